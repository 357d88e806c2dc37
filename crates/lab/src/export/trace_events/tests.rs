//! Tests of the Chrome trace-event export: tracks, spans and instants of real runs, lanes that
//! never overlap, the same bytes however a run is sliced, and the ring's bound.

#![allow(clippy::unwrap_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::Scenario;
use serde_json::{json, Value};
use strata_sim::SimDuration;

/// Leveled compaction under load, with store errors and a writer crash, the whole run in
/// the ring.
pub(crate) fn compaction_with_faults(ring_capacity: usize) -> Scenario {
    let mut value: Value = serde_json::from_str(include_str!(
        "../../../../../tests/scenarios/compaction.json"
    ))
    .unwrap();
    value["duration_ms"] = json!(3000);
    value["faults"] = json!([
        { "kind": "server_errors", "from_ms": 0, "probability": 0.02, "ops": ["put"] },
        { "kind": "crash_writer", "at_ms": 1500, "recover_after_ms": 300 }
    ]);
    value["trace"] = json!({ "ring_capacity": ring_capacity });
    Scenario::from_json(&value.to_string()).unwrap()
}

fn exported(scenario: &Scenario) -> (Lab, Value) {
    let mut lab = Lab::new(scenario).unwrap();
    lab.run_to_end().unwrap();
    let json: Value = serde_json::from_str(&lab_chrome_trace_json(&lab)).unwrap();
    (lab, json)
}

fn thread_names(json: &Value) -> std::collections::BTreeMap<u64, String> {
    json["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| {
            (
                e["tid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn expired_entries_dropped_by_compaction_are_instants_on_the_compaction_track() {
    let scenario = Scenario::from_json(include_str!(
        "../../../../../tests/scenarios/range-deletes-ttl.json"
    ))
    .unwrap();
    let (_, json) = exported(&scenario);
    let names = thread_names(&json);
    let dropped: Vec<&Value> = json["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "i" && e["name"] == "expired entries dropped")
        .collect();
    assert!(!dropped.is_empty());
    assert!(dropped.iter().all(|e| {
        names[&e["tid"].as_u64().unwrap()].starts_with("compactions")
            && e["args"]["entries"].as_u64().unwrap() > 0
    }));
}

#[test]
fn a_run_with_compaction_and_faults_has_its_tracks_spans_and_instants() {
    let (lab, json) = exported(&compaction_with_faults(200_000));
    let events = json["traceEvents"].as_array().unwrap();
    let names = thread_names(&json);
    for track in [
        "client ops",
        "store: wal",
        "store: flush",
        "store: compaction",
        "flushes",
        "compactions",
        "faults",
    ] {
        assert!(
            names.values().any(|name| name == track),
            "no track {track}: {names:?}"
        );
    }
    let named = |tid: &Value| names[&tid.as_u64().unwrap()].clone();
    let compactions: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "X" && named(&e["tid"]).starts_with("compactions"))
        .collect();
    assert!(!compactions.is_empty());
    assert!(compactions.iter().all(|e| e["dur"].as_f64().unwrap() > 0.0));
    assert!(events
        .iter()
        .any(|e| e["ph"] == "X" && named(&e["tid"]).starts_with("flushes")));
    let faults: Vec<&Value> = events
        .iter()
        .filter(|e| e["ph"] == "i" && named(&e["tid"]) == "faults")
        .collect();
    assert!(faults.iter().any(|e| e["name"] == "fault: server_error"));
    assert!(faults.iter().any(|e| e["name"] == "writer crashed"));
    assert!(faults.iter().all(|e| e["s"] == "t"));
    assert_eq!(json["displayTimeUnit"], "ms");
    assert_eq!(json["otherData"]["trace_hash"], lab.trace_hash_hex());
    assert_eq!(
        json["otherData"]["events_recorded"],
        lab.trace().total_events()
    );

    // Timestamps are microseconds of simulated time: the first request's span starts
    // at its start and lasts its latency.
    let trace = lab.trace();
    let record = trace
        .retained()
        .find_map(|e| match &e.kind {
            EventKind::Request(r) if r.end > r.start => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    let span = events
        .iter()
        .find(|e| {
            e["ph"] == "X"
                && e["args"]["key"] == record.key
                && e["ts"].as_f64().unwrap() == record.start.as_nanos() as f64 / 1000.0
        })
        .unwrap();
    assert_eq!(
        span["dur"].as_f64().unwrap(),
        (record.end.as_nanos() - record.start.as_nanos()) as f64 / 1000.0
    );
}

#[test]
fn spans_of_one_thread_never_overlap() {
    let (_, json) = exported(&compaction_with_faults(200_000));
    let mut by_tid: std::collections::BTreeMap<u64, Vec<(f64, f64)>> = Default::default();
    for e in json["traceEvents"].as_array().unwrap() {
        if e["ph"] == "X" {
            let ts = e["ts"].as_f64().unwrap();
            let dur = e["dur"].as_f64().unwrap();
            assert!(ts >= 0.0 && dur >= 0.0, "{e}");
            by_tid
                .entry(e["tid"].as_u64().unwrap())
                .or_default()
                .push((ts, ts + dur));
        }
    }
    // Concurrent WAL and read requests need more than one lane.
    assert!(by_tid.len() > 8, "{:?}", by_tid.keys());
    for (tid, mut spans) in by_tid {
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in spans.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "tid {tid}: {pair:?}");
        }
    }
}

#[test]
fn the_same_run_gives_the_same_bytes() {
    let scenario = compaction_with_faults(20_000);
    let once = {
        let mut lab = Lab::new(&scenario).unwrap();
        lab.run_to_end().unwrap();
        lab_chrome_trace_json(&lab)
    };
    let again = {
        let mut lab = Lab::new(&scenario).unwrap();
        // Sliced differently: the trace, and so the file, is the same.
        while !lab.finished() {
            let until = lab.now() + SimDuration::from_millis(137);
            lab.advance_to(until, 1_000_000).unwrap();
        }
        lab.run_to_end().unwrap();
        lab_chrome_trace_json(&lab)
    };
    assert_eq!(once, again);
}

#[test]
fn the_file_is_bounded_by_the_ring() {
    let (_, json) = exported(&compaction_with_faults(500));
    let events = json["traceEvents"].as_array().unwrap();
    let timed = events.iter().filter(|e| e["ph"] != "M").count();
    assert!(timed <= 500, "{timed}");
    assert_eq!(json["otherData"]["events_retained"], 500);
    assert!(json["otherData"]["first_seq"].as_u64().unwrap() > 0);
}

fn event(seq: u64, at_ms: u64, kind: EventKind) -> TraceEvent {
    TraceEvent {
        seq,
        at: SimTime::from_millis(at_ms),
        kind,
        origin: 0,
    }
}

fn label() -> RunLabel {
    RunLabel {
        scenario: "t".to_string(),
        seed: 1,
        trace_hash: "0".to_string(),
        events_recorded: 0,
        events_retained: 0,
        first_seq: 0,
        ring_capacity: 0,
        time_unit: "",
    }
}

#[test]
fn items_are_ordered_by_their_keys_part_by_part() {
    let items = vec![
        (2, 1, 'a'),
        (1, 9, 'b'),
        (2, 0, 'c'),
        (1, 9, 'd'),
        (0, 5, 'e'),
    ];
    let sorted = in_order(items, |(major, minor, _)| [*major, *minor]);
    let letters: String = sorted.iter().map(|(_, _, c)| *c).collect();
    // Equal keys keep their order (b before d).
    assert_eq!(letters, "ebdca");
}

#[test]
fn every_track_has_its_own_slot() {
    for (slot, track) in Track::all().into_iter().enumerate() {
        assert_eq!(track.slot(), slot, "{track:?}");
    }
}

#[test]
fn strings_numbers_and_odd_names_are_written_as_json() {
    let mut out = String::new();
    write_string(&mut out, "a \"quoted\" \\ name\n\u{1}é");
    assert_eq!(
        serde_json::from_str::<String>(&out).unwrap(),
        "a \"quoted\" \\ name\n\u{1}é"
    );
    for value in [0.0, 1.5, 1827707.256, 1e-7, 123456789012.125] {
        let mut out = String::new();
        write_number(&mut out, value);
        assert_eq!(serde_json::from_str::<f64>(&out).unwrap(), value, "{out}");
    }
    let mut out = String::new();
    write_number(&mut out, f64::NAN);
    assert_eq!(out, "null");
    let event = instant(
        Track::Faults,
        SimTime::from_nanos(1_500),
        "fault: \"x\"".to_string(),
        args([
            ("key", Arg::from("db/wal/1")),
            ("n", Arg::from(3u64)),
            ("ok", Arg::from(true)),
        ]),
    );
    let mut out = String::new();
    write_event(&mut out, &event);
    let value: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        value,
        json!({"name": "fault: \"x\"", "cat": "fault", "ph": "i", "ts": 1.5, "pid": 1,
               "tid": Track::Faults.base_tid(), "s": "t",
               "args": {"key": "db/wal/1", "n": 3, "ok": true}})
    );
}

#[test]
fn flushes_compactions_and_stalls_become_spans() {
    let events = [
        event(
            0,
            10,
            EventKind::FlushStarted {
                memtable_id: 7,
                min_seq: 1,
                max_seq: 2,
            },
        ),
        event(
            1,
            12,
            EventKind::CompactionStarted {
                job_id: 3,
                input_ssts: 4,
                input_bytes: 100,
            },
        ),
        event(
            2,
            30,
            EventKind::FlushFinished {
                memtable_id: 7,
                sst_id: 9,
                bytes: 50,
            },
        ),
        event(
            3,
            40,
            EventKind::WriteStalled {
                duration: SimDuration::from_millis(15),
            },
        ),
        // A flush whose start is not in the window is left out.
        event(
            4,
            45,
            EventKind::FlushFinished {
                memtable_id: 1,
                sst_id: 2,
                bytes: 5,
            },
        ),
        event(5, 50, EventKind::Note { text: "end".into() }),
    ];
    let trace = chrome_trace(events.iter(), label());
    let spans: Vec<&ChromeEvent> = trace.trace_events.iter().filter(|e| e.ph == "X").collect();
    assert_eq!(spans.len(), 3, "{spans:?}");
    let flush = spans.iter().find(|e| e.name == "flush memtable 7").unwrap();
    assert_eq!((flush.ts, flush.dur), (10_000.0, Some(20_000.0)));
    let compaction = spans.iter().find(|e| e.name == "compaction 3").unwrap();
    // Still running at the window's end: drawn to the last event, marked unfinished.
    assert_eq!((compaction.ts, compaction.dur), (12_000.0, Some(38_000.0)));
    assert!(compaction.args.contains(&("finished", Arg::Flag(false))));
    let stall = spans.iter().find(|e| e.name == "write stall").unwrap();
    assert_eq!((stall.ts, stall.dur), (25_000.0, Some(15_000.0)));
    // Sorted by time after the metadata.
    let times: Vec<f64> = trace
        .trace_events
        .iter()
        .filter(|e| e.ph != "M")
        .map(|e| e.ts)
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}
