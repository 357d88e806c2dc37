//! Timed setting changes: a scenario's `changes` apply at their simulated time however the run
//! is cut into frames or steps, a change scheduled while the run goes (the playground's live
//! controls) gives the same run as the scenario that lists it from the start, and bad changes
//! are refused with the field named.
// On wasm32 the tests are `wasm_bindgen_test` functions, which clippy does not treat as
// tests; unwrapping is how a test says "this cannot fail here".
#![allow(clippy::unwrap_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use strata_lab::scenario::{OpMix, ScenarioError, SettingChange, StorePreset, MAX_CHANGES};
use strata_lab::{Control, Lab, LabError, Scenario, Summary};
use strata_sim::{SimDuration, SimTime};

/// A small scenario on a fast store, writes only, so the write count follows the rate.
fn small() -> Scenario {
    let mut s = Scenario {
        name: "changes".to_string(),
        duration_ms: 2000,
        ..Scenario::default()
    };
    s.store.preset = StorePreset::S3Express;
    s.workload.rate_ops_per_sec = 200.0;
    s.workload.key_count = 300;
    s.workload.mix = OpMix {
        read: 0.2,
        write: 0.8,
        delete: 0.0,
        scan: 0.0,
        batch: 0.0,
        delete_range: 0.0,
    };
    s.engine.flush_interval_ms = Some(25.0);
    s
}

/// `small` with the rate tripled at 700 ms, the flush interval changed at 1200 ms and the
/// store moved to S3 Standard at 1200 ms too (same millisecond: scenario order holds).
fn with_changes() -> Scenario {
    let mut s = small();
    let mut faster = s.workload.clone();
    faster.rate_ops_per_sec = 600.0;
    let mut engine = s.engine.clone();
    engine.flush_interval_ms = Some(80.0);
    let mut store = s.store.clone();
    store.preset = StorePreset::S3Standard;
    s.changes = vec![
        SettingChange::Engine {
            at_ms: 1200,
            engine,
        },
        SettingChange::Workload {
            at_ms: 700,
            workload: faster,
        },
        SettingChange::Store { at_ms: 1200, store },
    ];
    s
}

fn run(scenario: &Scenario) -> Summary {
    strata_lab::run_scenario(scenario).unwrap()
}

#[test]
fn a_change_takes_effect_at_its_time() {
    let plain = run(&small());
    let changed = run(&with_changes());
    assert!(plain.finished && changed.finished);
    assert_eq!(changed.writes.lost_durable, 0);
    // 200 ops/s for 2 s against 200 ops/s for 0.7 s then 600 ops/s for 1.3 s.
    let plain_ops = plain.writes.acknowledged as f64;
    let changed_ops = changed.writes.acknowledged as f64;
    assert!(
        changed_ops > plain_ops * 2.0,
        "the rate change did not show: {plain_ops} writes without it, {changed_ops} with it"
    );
    assert_ne!(plain.trace_hash, changed.trace_hash);
    // The lab's trace says when each change applied.
    let mut lab = Lab::new(&with_changes()).unwrap();
    lab.advance_to(SimTime::from_millis(699), u64::MAX).unwrap();
    let notes = |lab: &Lab| {
        lab.trace()
            .retained()
            .filter(|e| format!("{:?}", e.kind).contains("control: set"))
            .map(|e| e.at)
            .collect::<Vec<_>>()
    };
    assert!(notes(&lab).is_empty(), "a change applied early");
    lab.advance_to(SimTime::from_millis(700), u64::MAX).unwrap();
    assert_eq!(notes(&lab), vec![SimTime::from_millis(700)]);
    lab.advance_to(SimTime::from_millis(1300), u64::MAX)
        .unwrap();
    assert_eq!(
        notes(&lab),
        vec![
            SimTime::from_millis(700),
            SimTime::from_millis(1200),
            SimTime::from_millis(1200)
        ]
    );
}

#[test]
fn frames_and_steps_do_not_move_a_change() {
    let s = with_changes();
    let whole = run(&s);
    let mut lab = Lab::new(&s).unwrap();
    let mut until = SimTime::ZERO;
    let mut frame = 0u64;
    while !lab.finished() {
        frame += 1;
        until += SimDuration::from_micros(300 + (frame * 7919) % 4000);
        lab.advance_to(until, 1 + frame % 4).unwrap();
        assert!(frame < 10_000_000, "the run never finished");
    }
    // The engine's $/hour gauges divide by the time since open, which is later when the last
    // frame overshoots the end: compare what the run did.
    let sliced = lab.summary();
    assert_eq!(sliced.trace_hash, whole.trace_hash);
    assert_eq!(sliced.trace_events, whole.trace_events);
    assert_eq!(sliced.writes, whole.writes);
    assert_eq!(sliced.operations, whole.operations);
    // One step at a time: a change applied is a step of its own, never "nothing to do".
    let mut lab = Lab::new(&s).unwrap();
    while !lab.finished() {
        let progress = lab.step().unwrap();
        assert_eq!(
            progress.events_processed, 1,
            "a step did nothing at {}",
            progress.now
        );
    }
    assert_eq!(lab.summary().trace_hash, whole.trace_hash);
}

#[test]
fn a_change_scheduled_live_replays_from_the_scenario() {
    let base = small();
    let mut faster = base.workload.clone();
    faster.rate_ops_per_sec = 500.0;
    let control = Control::SetWorkload { workload: faster };
    // Play to an instant that is not a whole millisecond, by frames and then by steps, as
    // the playground does; then schedule the change at the next whole millisecond.
    let mut lab = Lab::new(&base).unwrap();
    lab.advance_to(SimTime::from_nanos(912_345_678), u64::MAX)
        .unwrap();
    for _ in 0..7 {
        lab.step().unwrap();
    }
    let at_ms = lab.now().as_nanos().div_ceil(1_000_000);
    lab.schedule_change(control.at(at_ms).unwrap()).unwrap();
    assert_eq!(lab.scenario().changes.len(), 1);
    let live = lab.run_to_end().unwrap();

    let mut replay = base.clone();
    replay.changes = lab.scenario().changes.clone();
    let replayed = run(&replay);
    assert_eq!(live, replayed, "the live change and its replay differ");
    assert_ne!(replayed.trace_hash, run(&base).trace_hash);
    // Through a share token too.
    let token = lab.scenario().to_share_token();
    let opened = Scenario::from_share_token(&token).unwrap();
    assert_eq!(run(&opened).trace_hash, live.trace_hash);
}

#[test]
fn a_change_in_the_past_is_refused() {
    let mut lab = Lab::new(&small()).unwrap();
    lab.advance_to(SimTime::from_millis(500), u64::MAX).unwrap();
    let workload = small().workload;
    let error = lab
        .schedule_change(SettingChange::Workload {
            at_ms: 499,
            workload,
        })
        .unwrap_err();
    assert!(matches!(error, LabError::Control(_)), "{error}");
    assert!(error.to_string().contains("in the past"), "{error}");
    assert!(lab.scenario().changes.is_empty());
    // Only workload, engine and store controls become changes.
    assert!(Control::CrashWriter.at(10).is_none());
}

#[test]
fn bad_changes_name_their_field() {
    let mut s = small();
    s.changes = vec![SettingChange::Workload {
        at_ms: 5000,
        workload: s.workload.clone(),
    }];
    let error = s.validate().unwrap_err();
    assert!(
        matches!(&error, ScenarioError::Invalid { field, .. } if field == "changes[0].at_ms"),
        "{error}"
    );

    let mut bad = s.workload.clone();
    bad.rate_ops_per_sec = -1.0;
    s.changes = vec![SettingChange::Workload {
        at_ms: 10,
        workload: bad,
    }];
    let error = s.validate().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("changes[0].workload.rate_ops_per_sec"),
        "{error}"
    );

    s.changes = (0..=MAX_CHANGES as u64)
        .map(|at_ms| SettingChange::Workload {
            at_ms,
            workload: small().workload,
        })
        .collect();
    let error = s.validate().unwrap_err();
    assert!(error.to_string().contains("limit"), "{error}");

    // The schema is strict: an unknown section or field is a parse error.
    let text = r#"{"version":1,"seed":1,"duration_ms":1000,
        "changes":[{"set":"weather","at_ms":10}]}"#;
    assert!(matches!(
        Scenario::from_json(text),
        Err(ScenarioError::Parse(_))
    ));
    let text = r#"{"version":1,"seed":1,"duration_ms":1000,
        "changes":[{"set":"store","at_ms":10,"store":{"preset":"s3_express"},"when":3}]}"#;
    assert!(matches!(
        Scenario::from_json(text),
        Err(ScenarioError::Parse(_))
    ));
    let text = r#"{"version":1,"seed":1,"duration_ms":1000,
        "changes":[{"set":"store","at_ms":10,"store":{"preset":"s3_express"}}]}"#;
    let parsed = Scenario::from_json(text).unwrap();
    assert_eq!(parsed.changes[0].section(), "store");
}

#[test]
fn an_engine_change_during_the_first_open_still_takes_effect() {
    // At 0 ms the writer is still opening: it must reopen with the new options, not keep the
    // ones it started with.
    let plain = small();
    let mut changed = small();
    let mut engine = changed.engine.clone();
    engine.flush_interval_ms = Some(500.0);
    changed.changes = vec![SettingChange::Engine { at_ms: 0, engine }];
    let wal_puts = |summary: &Summary| summary.requests["put"]["wal"];
    let before = run(&plain);
    let after = run(&changed);
    assert!(
        wal_puts(&after) * 5 < wal_puts(&before),
        "a 500 ms flush interval should cut WAL PUTs: {} before, {} after",
        wal_puts(&before),
        wal_puts(&after)
    );
    assert_eq!(after.writes.lost_durable, 0);
    // The same, made live at 0 ms like the playground does before pressing play.
    let mut lab = Lab::new(&plain).unwrap();
    lab.schedule_change(changed.changes[0].clone()).unwrap();
    lab.advance_to(SimTime::ZERO, u64::MAX).unwrap();
    assert_eq!(lab.run_to_end().unwrap().trace_hash, after.trace_hash);
}
