//! A run's trace as Chrome trace-event JSON, the format Perfetto (ui.perfetto.dev) and
//! chrome://tracing open.
//!
//! The vocabulary maps onto the format's like this:
//! - **Tracks.** One process (pid 1) named after the scenario; a thread per track, named
//!   with `thread_name` metadata events and ordered with `thread_sort_index`. Store requests
//!   get a track per [`Cause`] (`store: wal`, `store: flush`, …), client operations one
//!   (`client ops`), and flushes, compactions, write stalls, faults, engine events and the
//!   recommender one each.
//! - **Spans** are complete events (`"ph": "X"`, a `ts` and a `dur`): a store request from
//!   its start to its end, a client operation from its call to its answer, a flush from
//!   `flush_started` to `flush_finished`, a compaction likewise, a write stall over the
//!   duration it reports. A viewer draws slices of one thread as a stack, so spans that
//!   overlap without nesting (concurrent requests of one cause) go to extra lanes of their
//!   track (`store: wal #2`, …), at most [`MAX_LANES`] a track; the first free lane wins.
//! - **Instants** (`"ph": "i"`, thread scope) mark faults, crashes, recoveries, fencing,
//!   manifest writes, retries, hedges, GC deletes, durability checks and the recommender's
//!   checkpoints, policy updates and drifts. Impressions, clicks, WAL flush notices and
//!   memtable freezes are left out: each is visible through the requests it causes, and they
//!   would outnumber everything else.
//!
//! Timestamps (`ts`, `dur`) are microseconds of simulated time, with nanosecond fractions.
//! The output is a pure function of the events: keys in a fixed order, events sorted by
//! (time, track, sequence number), so one run gives the same bytes natively and in wasm32.
//!
//! **Bounded.** The export reads the trace's retained ring only (`trace.ring_capacity`
//! events, 10,000 by default and never over 1,000,000), so its size is bounded by the ring:
//! a few hundred bytes an event. `otherData` says how many events the run recorded and
//! which window of them the file holds. A flush or compaction whose start fell out of the
//! ring is left out; one still running at the end of the window is drawn up to the last
//! event, with `"finished": false`.

use crate::runner::Lab;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use strata_sim::{Cause, EventKind, SimTime, TraceEvent};

/// Lanes one track may use for overlapping spans (client operations in flight during an
/// outage need hundreds); a span past that shares the lane that frees up first.
pub const MAX_LANES: u32 = 1000;

/// The process every track belongs to.
const PID: u32 = 1;

/// A track: a group of threads (lanes) with one name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Track {
    Store(Cause),
    Client,
    Flush,
    Compaction,
    Stall,
    Faults,
    Engine,
    Recommender,
}

impl Track {
    /// The first thread id of the track; its lanes follow it.
    fn base_tid(self) -> u32 {
        let slot = match self {
            Track::Client => 0,
            Track::Store(cause) => 1 + cause as u32,
            Track::Flush => 1 + Cause::ALL.len() as u32,
            Track::Compaction => 2 + Cause::ALL.len() as u32,
            Track::Stall => 3 + Cause::ALL.len() as u32,
            Track::Faults => 4 + Cause::ALL.len() as u32,
            Track::Engine => 5 + Cause::ALL.len() as u32,
            Track::Recommender => 6 + Cause::ALL.len() as u32,
        };
        (slot + 1) * MAX_LANES
    }

    fn name(self) -> String {
        match self {
            Track::Store(cause) => format!("store: {}", cause.as_str()),
            Track::Client => "client ops".to_string(),
            Track::Flush => "flushes".to_string(),
            Track::Compaction => "compactions".to_string(),
            Track::Stall => "write stalls".to_string(),
            Track::Faults => "faults".to_string(),
            Track::Engine => "engine events".to_string(),
            Track::Recommender => "recommender".to_string(),
        }
    }

    fn category(self) -> &'static str {
        match self {
            Track::Store(_) => "store",
            Track::Client => "client",
            Track::Flush | Track::Compaction | Track::Stall | Track::Engine => "engine",
            Track::Faults => "fault",
            Track::Recommender => "recommender",
        }
    }
}

/// One trace event of the Chrome format. Field order is the serialised order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChromeEvent {
    pub name: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub cat: &'static str,
    pub ph: &'static str,
    pub ts: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dur: Option<f64>,
    pub pid: u32,
    pub tid: u32,
    /// An instant's scope (`"t"`: its thread).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<&'static str, Value>,
}

/// What the file says about the run it comes from (`otherData`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunLabel {
    pub scenario: String,
    pub seed: u64,
    pub trace_hash: String,
    /// Events the run recorded, all of them.
    pub events_recorded: u64,
    /// Events in the file's window (the trace's retained ring).
    pub events_retained: u64,
    /// The sequence number of the window's first event.
    pub first_seq: u64,
    pub ring_capacity: u64,
    pub time_unit: &'static str,
}

/// A whole file: `{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChromeTrace {
    pub trace_events: Vec<ChromeEvent>,
    pub display_time_unit: &'static str,
    pub other_data: RunLabel,
}

impl ChromeTrace {
    /// The JSON text (compact, one line: files of a million events stay small).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a trace of plain fields serialises to JSON")
    }
}

fn micros(at: SimTime) -> f64 {
    at.as_nanos() as f64 / 1000.0
}

/// A span before it has a lane.
struct Span {
    track: Track,
    start: SimTime,
    end: SimTime,
    seq: u64,
    name: String,
    args: BTreeMap<&'static str, Value>,
}

/// Places spans on the lanes of their tracks: each goes to the first lane whose last span
/// has ended by its start (spans are taken in order of start).
fn lay_out(mut spans: Vec<Span>) -> (Vec<(u64, ChromeEvent)>, BTreeMap<Track, u32>) {
    spans.sort_by_key(|span| (span.start, span.seq));
    let mut lanes: BTreeMap<Track, Vec<SimTime>> = BTreeMap::new();
    let mut events = Vec::with_capacity(spans.len());
    for span in spans {
        let ends = lanes.entry(span.track).or_default();
        let lane = match ends.iter().position(|end| *end <= span.start) {
            Some(free) => free,
            None if ends.len() < MAX_LANES as usize => {
                ends.push(span.start);
                ends.len() - 1
            }
            None => ends
                .iter()
                .enumerate()
                .min_by_key(|(_, end)| **end)
                .map_or(0, |(lane, _)| lane),
        };
        ends[lane] = ends[lane].max(span.end);
        assert!(ends.len() <= MAX_LANES as usize);
        events.push((
            span.seq,
            ChromeEvent {
                name: span.name,
                cat: span.track.category(),
                ph: "X",
                ts: micros(span.start),
                dur: Some(micros(span.end) - micros(span.start)),
                pid: PID,
                tid: span.track.base_tid() + lane as u32,
                s: None,
                args: span.args,
            },
        ));
    }
    let used = lanes
        .into_iter()
        .map(|(track, ends)| (track, ends.len() as u32))
        .collect();
    (events, used)
}

fn instant(
    track: Track,
    at: SimTime,
    name: String,
    args: BTreeMap<&'static str, Value>,
) -> ChromeEvent {
    ChromeEvent {
        name,
        cat: track.category(),
        ph: "i",
        ts: micros(at),
        dur: None,
        pid: PID,
        tid: track.base_tid(),
        s: Some("t"),
        args,
    }
}

fn args<const N: usize>(pairs: [(&'static str, Value); N]) -> BTreeMap<&'static str, Value> {
    BTreeMap::from(pairs)
}

/// The metadata events: the process's name, and each track lane's name and place.
fn metadata(process: &str, lanes: &BTreeMap<Track, u32>) -> Vec<ChromeEvent> {
    let meta = |name: &str, tid: u32, args: BTreeMap<&'static str, Value>| ChromeEvent {
        name: name.to_string(),
        cat: "",
        ph: "M",
        ts: 0.0,
        dur: None,
        pid: PID,
        tid,
        s: None,
        args,
    };
    let mut out = vec![meta("process_name", 0, args([("name", json!(process))]))];
    for (track, count) in lanes {
        for lane in 0..*count {
            let tid = track.base_tid() + lane;
            let name = if lane == 0 {
                track.name()
            } else {
                format!("{} #{}", track.name(), lane + 1)
            };
            out.push(meta("thread_name", tid, args([("name", json!(name))])));
            out.push(meta(
                "thread_sort_index",
                tid,
                args([("sort_index", json!(tid))]),
            ));
        }
    }
    out
}

/// Builds the Chrome trace of `events` (oldest first, as the trace's ring keeps them).
pub fn chrome_trace<'a>(
    events: impl IntoIterator<Item = &'a TraceEvent>,
    label: RunLabel,
) -> ChromeTrace {
    let mut spans = Vec::new();
    let mut instants: Vec<(u64, ChromeEvent)> = Vec::new();
    let mut tracks_seen: BTreeMap<Track, u32> = BTreeMap::new();
    // Open flushes by memtable id and compactions by job id: (start, seq, args).
    let mut open_flushes: BTreeMap<u64, (SimTime, u64)> = BTreeMap::new();
    let mut open_compactions: BTreeMap<u64, (SimTime, u64, u64, u64)> = BTreeMap::new();
    let mut last_at = SimTime::ZERO;
    for event in events {
        let at = event.at;
        last_at = last_at.max(at);
        let mut point = |track: Track, name: String, a: BTreeMap<&'static str, Value>| {
            tracks_seen.entry(track).or_insert(1);
            instants.push((event.seq, instant(track, at, name, a)));
        };
        match &event.kind {
            EventKind::Request(record) => spans.push(Span {
                track: Track::Store(record.cause),
                start: record.start,
                end: record.end.max(record.start),
                seq: event.seq,
                name: record.op.as_str().to_string(),
                args: args([
                    ("key", json!(record.key)),
                    ("bytes", json!(record.bytes)),
                    ("outcome", json!(record.outcome)),
                    ("cost_picousd", json!(record.cost_picousd)),
                    ("applied_despite_error", json!(record.applied_despite_error)),
                ]),
            }),
            EventKind::ClientOp {
                op,
                bytes,
                start,
                ok,
                durable,
            } => spans.push(Span {
                track: Track::Client,
                start: *start,
                end: at.max(*start),
                seq: event.seq,
                name: (*op).to_string(),
                args: args([
                    ("bytes", json!(bytes)),
                    ("ok", json!(ok)),
                    ("durable", json!(durable)),
                ]),
            }),
            EventKind::FlushStarted { memtable_id } => {
                open_flushes.insert(*memtable_id, (at, event.seq));
            }
            EventKind::FlushFinished {
                memtable_id,
                sst_id,
                bytes,
            } => {
                if let Some((start, seq)) = open_flushes.remove(memtable_id) {
                    spans.push(Span {
                        track: Track::Flush,
                        start,
                        end: at,
                        seq,
                        name: format!("flush memtable {memtable_id}"),
                        args: args([
                            ("memtable_id", json!(memtable_id)),
                            ("sst_id", json!(sst_id)),
                            ("bytes", json!(bytes)),
                            ("finished", json!(true)),
                        ]),
                    });
                }
            }
            EventKind::CompactionStarted {
                job_id,
                input_ssts,
                input_bytes,
            } => {
                open_compactions.insert(*job_id, (at, event.seq, *input_ssts, *input_bytes));
            }
            EventKind::CompactionFinished {
                job_id,
                output_ssts,
                output_bytes,
            } => {
                if let Some((start, seq, input_ssts, input_bytes)) = open_compactions.remove(job_id)
                {
                    spans.push(Span {
                        track: Track::Compaction,
                        start,
                        end: at,
                        seq,
                        name: format!("compaction {job_id}"),
                        args: args([
                            ("job_id", json!(job_id)),
                            ("input_ssts", json!(input_ssts)),
                            ("input_bytes", json!(input_bytes)),
                            ("output_ssts", json!(output_ssts)),
                            ("output_bytes", json!(output_bytes)),
                            ("finished", json!(true)),
                        ]),
                    });
                }
            }
            EventKind::WriteStalled { duration } => spans.push(Span {
                track: Track::Stall,
                start: SimTime::from_nanos(at.as_nanos().saturating_sub(duration.as_nanos())),
                end: at,
                seq: event.seq,
                name: "write stall".to_string(),
                args: args([("duration_ms", json!(duration.as_millis_f64()))]),
            }),
            EventKind::FaultInjected { fault, key } => point(
                Track::Faults,
                format!("fault: {}", json!(fault).as_str().unwrap_or("fault")),
                args([("fault", json!(fault)), ("key", json!(key))]),
            ),
            EventKind::WriterCrashed { writer_epoch } => point(
                Track::Faults,
                "writer crashed".to_string(),
                args([("writer_epoch", json!(writer_epoch))]),
            ),
            EventKind::WriterRecovered {
                writer_epoch,
                replayed_wal_objects,
            } => point(
                Track::Engine,
                "writer recovered".to_string(),
                args([
                    ("writer_epoch", json!(writer_epoch)),
                    ("replayed_wal_objects", json!(replayed_wal_objects)),
                ]),
            ),
            EventKind::Fenced { writer_epoch } => point(
                Track::Engine,
                "fenced".to_string(),
                args([("writer_epoch", json!(writer_epoch))]),
            ),
            EventKind::ManifestWritten {
                manifest_id,
                writer_epoch,
            } => point(
                Track::Engine,
                "manifest written".to_string(),
                args([
                    ("manifest_id", json!(manifest_id)),
                    ("writer_epoch", json!(writer_epoch)),
                ]),
            ),
            EventKind::Retried { cause, attempt } => point(
                Track::Engine,
                format!("retried ({})", cause.as_str()),
                args([("cause", json!(cause)), ("attempt", json!(attempt))]),
            ),
            EventKind::Hedged { key } => point(
                Track::Engine,
                "hedged".to_string(),
                args([("key", json!(key))]),
            ),
            EventKind::GcDeleted { key } => point(
                Track::Engine,
                "gc deleted".to_string(),
                args([("key", json!(key))]),
            ),
            EventKind::DurabilityChecked { keys_checked, lost } => point(
                Track::Engine,
                "durability checked".to_string(),
                args([("keys_checked", json!(keys_checked)), ("lost", json!(lost))]),
            ),
            EventKind::PolicyUpdated { version } => point(
                Track::Recommender,
                "policy updated".to_string(),
                args([("version", json!(version))]),
            ),
            EventKind::Checkpointed { version, bytes } => point(
                Track::Recommender,
                "checkpointed".to_string(),
                args([("version", json!(version)), ("bytes", json!(bytes))]),
            ),
            EventKind::DriftApplied { description } => point(
                Track::Recommender,
                "drift".to_string(),
                args([("description", json!(description))]),
            ),
            EventKind::Note { text } => point(
                Track::Engine,
                "note".to_string(),
                args([("text", json!(text))]),
            ),
            EventKind::Impression { .. }
            | EventKind::Click { .. }
            | EventKind::WalFlushed { .. }
            | EventKind::MemtableFrozen { .. } => {}
        }
    }
    // Still running at the end of the window: drawn up to the last event.
    for (memtable_id, (start, seq)) in open_flushes {
        spans.push(Span {
            track: Track::Flush,
            start,
            end: last_at,
            seq,
            name: format!("flush memtable {memtable_id}"),
            args: args([
                ("memtable_id", json!(memtable_id)),
                ("finished", json!(false)),
            ]),
        });
    }
    for (job_id, (start, seq, input_ssts, input_bytes)) in open_compactions {
        spans.push(Span {
            track: Track::Compaction,
            start,
            end: last_at,
            seq,
            name: format!("compaction {job_id}"),
            args: args([
                ("job_id", json!(job_id)),
                ("input_ssts", json!(input_ssts)),
                ("input_bytes", json!(input_bytes)),
                ("finished", json!(false)),
            ]),
        });
    }
    let (mut timed, lanes) = lay_out(spans);
    for (track, count) in lanes {
        let seen = tracks_seen.entry(track).or_insert(0);
        *seen = (*seen).max(count);
    }
    let process = format!("strata: {} (seed {})", label.scenario, label.seed);
    timed.extend(instants);
    timed.sort_by(|(seq_a, a), (seq_b, b)| {
        a.ts.total_cmp(&b.ts)
            .then(a.tid.cmp(&b.tid))
            .then(seq_a.cmp(seq_b))
    });
    let mut trace_events = metadata(&process, &tracks_seen);
    trace_events.extend(timed.into_iter().map(|(_, event)| event));
    ChromeTrace {
        trace_events,
        display_time_unit: "ms",
        other_data: label,
    }
}

/// The Chrome trace of `lab`'s retained events, labelled with its scenario and trace hash.
pub fn lab_chrome_trace(lab: &Lab) -> ChromeTrace {
    // Before borrowing the trace: the hash is read through the simulation's handle.
    let trace_hash = lab.trace_hash_hex();
    let trace = lab.trace();
    let label = RunLabel {
        scenario: lab.scenario().name.clone(),
        seed: lab.scenario().seed,
        trace_hash,
        events_recorded: trace.total_events(),
        events_retained: trace.retained().len() as u64,
        first_seq: trace
            .retained()
            .next()
            .map_or(trace.total_events(), |e| e.seq),
        ring_capacity: trace.ring_capacity() as u64,
        time_unit: "ts and dur in microseconds of simulated time",
    };
    chrome_trace(trace.retained(), label)
}

/// The JSON text `strata run --trace-out` writes and the page saves.
pub fn lab_chrome_trace_json(lab: &Lab) -> String {
    lab_chrome_trace(lab).to_json()
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::Scenario;
    use strata_sim::SimDuration;

    /// Leveled compaction under load, with store errors and a writer crash, the whole run in
    /// the ring.
    pub(crate) fn compaction_with_faults(ring_capacity: usize) -> Scenario {
        let mut value: Value =
            serde_json::from_str(include_str!("../../../../tests/scenarios/compaction.json"))
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

    fn thread_names(json: &Value) -> BTreeMap<u64, String> {
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
        let mut by_tid: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
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
    fn flushes_compactions_and_stalls_become_spans() {
        let events = [
            event(0, 10, EventKind::FlushStarted { memtable_id: 7 }),
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
        assert_eq!(compaction.args["finished"], json!(false));
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
}
