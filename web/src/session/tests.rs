//! The session, natively and in wasm32 (`wasm-pack test`):
//! scrubbing, live changes, injected faults and rebuilds in slices against replays of the same
//! scenario, and the one small scenario the page's tests share.

use super::*;
use strata_lab::scenario::{OpMix, StorePreset};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// A short, busy scenario on a fast store, named `name`: the page's tests run it where a
/// run must be quick and still flush, read and await durability.
pub(crate) fn small_named(name: &str) -> Scenario {
    let mut s = Scenario {
        name: name.to_string(),
        duration_ms: 3_000,
        ..Scenario::default()
    };
    s.store.preset = StorePreset::S3Express;
    s.workload.rate_ops_per_sec = 400.0;
    s.workload.key_count = 300;
    s.workload.mix = OpMix {
        read: 0.3,
        write: 0.7,
        ..OpMix::default()
    };
    s.workload.await_durable = true;
    s.engine.flush_interval_ms = Some(20.0);
    s.engine.memtable_bytes = Some(16 * 1024);
    s
}

/// The session's tests' scenario: [`small_named`] as `ui-small`.
fn small() -> Scenario {
    small_named("ui-small")
}

fn hash(session: &Session) -> String {
    session.lab().trace().hash_hex()
}

/// A fresh session on `scenario` (what a share link opens), re-simulated to the point
/// `original` has reached.
fn replayed(scenario: Scenario, original: &Session) -> Session {
    let mut replay = Session::new(scenario).unwrap();
    replay
        .begin_rebuild(
            replay.scenario().clone(),
            Milestone {
                events: original.lab().events_processed(),
                at: original.now(),
            },
        )
        .unwrap();
    replay.finish_rebuild().unwrap();
    replay
}

/// A workload control that changes only the rate.
fn with_rate(session: &Session, ops_per_sec: f64) -> Control {
    Control::SetWorkload {
        workload: WorkloadSpec {
            rate_ops_per_sec: ops_per_sec,
            ..session.settings().workload.clone()
        },
    }
}

/// Injects `fault` at the current moment and waits for the re-simulation.
fn inject_now(session: &mut Session, fault: FaultSpec) {
    session.inject_into_scenario(fault).unwrap();
    session.finish_rebuild().unwrap();
}

/// Plays like the page does: uneven frames, each capped at a few events.
pub(crate) fn play_frames(session: &mut Session, frames: u32) {
    for frame in 0..frames {
        let by = SimDuration::from_millis(5 + u64::from(frame % 7) * 3);
        session
            .advance(by, 40 + u64::from(frame % 5) * 17)
            .expect("the run advances");
    }
}

#[test]
fn seeking_back_and_forth_reproduces_the_same_trace() {
    let mut session = Session::new(small()).unwrap();
    play_frames(&mut session, 60);
    let changed = with_rate(&session, 900.0);
    session.apply_live(changed).unwrap();
    play_frames(&mut session, 60);
    let now = session.now();
    let events = session.lab().events_processed();
    let expected = hash(&session);
    assert!(events > 100, "the run should be busy, processed {events}");

    session.seek(SimTime::from_millis(50)).unwrap();
    session.finish_rebuild().unwrap();
    assert_eq!(session.now(), SimTime::from_millis(50));
    assert_ne!(hash(&session), expected);

    // Replaying to the exact point of the original run gives the same trace.
    session
        .begin_rebuild(session.scenario().clone(), Milestone { events, at: now })
        .unwrap();
    session.finish_rebuild().unwrap();
    assert_eq!(session.lab().events_processed(), events);
    assert_eq!(hash(&session), expected);
    assert_eq!(session.settings().workload.rate_ops_per_sec, 900.0);
}

#[test]
fn a_live_change_joins_the_scenario_and_the_link_replays_it() {
    let mut session = Session::new(small()).unwrap();
    play_frames(&mut session, 37);
    session.step().unwrap();
    let before = session.lab().events_processed();
    let faster = with_rate(&session, 1200.0);
    session.apply_live(faster).unwrap();
    // It took effect at once: no rebuild, the settings show it, the run went on from here.
    assert!(!session.rebuilding());
    assert!(session.lab().events_processed() >= before);
    assert_eq!(session.settings().workload.rate_ops_per_sec, 1200.0);
    assert_eq!(session.scenario().changes.len(), 1);
    let at = SimTime::from_millis(session.scenario().changes[0].at_ms());
    assert_eq!(session.now(), at);
    let slower = Control::SetStore {
        store: StoreSpec {
            preset: StorePreset::S3Standard,
            ..session.settings().store.clone()
        },
    };
    play_frames(&mut session, 20);
    session.apply_live(slower).unwrap();
    play_frames(&mut session, 40);
    let expected = hash(&session);

    // The link: a fresh session on the scenario, played to the same point.
    let token = session.scenario().to_share_token();
    let replay = replayed(Scenario::from_share_token(&token).unwrap(), &session);
    assert_eq!(hash(&replay), expected);
    assert_eq!(replay.settings(), session.settings());

    // Scrubbing back to before the first change shows the old settings again.
    session
        .seek(SimTime::from_nanos(at.as_nanos() - 1_000_000))
        .unwrap();
    session.finish_rebuild().unwrap();
    assert_eq!(session.settings().workload.rate_ops_per_sec, 400.0);
    // And playing past it again applies it again.
    session
        .advance(SimDuration::from_millis(5), u64::MAX)
        .unwrap();
    assert_eq!(session.settings().workload.rate_ops_per_sec, 1200.0);
}

#[test]
fn changes_stop_before_the_link_grows_too_long() {
    let mut session = Session::new(small()).unwrap();
    let mut refused = None;
    for i in 0..strata_lab::scenario::MAX_CHANGES + 1 {
        session
            .advance(SimDuration::from_millis(2), u64::MAX)
            .unwrap();
        let control = Control::SetWorkload {
            workload: WorkloadSpec {
                rate_ops_per_sec: 100.0 + i as f64,
                ..session.settings().workload.clone()
            },
        };
        if let Err(error) = session.apply_live(control) {
            refused = Some((i, error.to_string()));
            break;
        }
    }
    let (count, message) = refused.expect("the changes must stop somewhere");
    assert!(
        message.contains("share link") || message.contains("limit"),
        "{message}"
    );
    assert_eq!(session.scenario().changes.len(), count);
    assert!(session.scenario().to_share_token().len() <= MAX_SHARE_TOKEN_BYTES);
    // The refusal left the run alone: it goes on.
    let before = session.now();
    session
        .advance(SimDuration::from_millis(5), u64::MAX)
        .unwrap();
    assert!(session.now() > before);
}

#[test]
fn a_rebuild_reports_progress_in_slices() {
    let mut session = Session::new(small()).unwrap();
    play_frames(&mut session, 100);
    session.seek(session.now()).unwrap();
    let mut slices = 0;
    let mut last = 0.0;
    let mut events = 0;
    loop {
        let worked = session.work(50).unwrap();
        assert!(worked.events <= 50, "a slice over its bound: {worked:?}");
        events += worked.events;
        if worked.finished {
            break;
        }
        let progress = session.rebuild_progress().unwrap();
        assert!(progress >= last, "progress went back: {last} -> {progress}");
        last = progress;
        slices += 1;
        assert!(slices < 100_000, "the rebuild never finished");
    }
    // The slices' counts add up to the replayed run's.
    assert_eq!(events, session.lab().events_processed());
    assert_eq!(session.work(50).unwrap(), Worked::default(), "nothing left");
    assert!(
        slices > 2,
        "a long rebuild should take several slices, took {slices}"
    );
    assert!(!session.rebuilding());
}

#[test]
fn an_injected_fault_joins_the_scenario_and_the_link_replays_it() {
    let mut session = Session::new(small()).unwrap();
    play_frames(&mut session, 50);
    let at = session.now();
    inject_now(
        &mut session,
        FaultSpec::Outage {
            from_ms: 0,
            until_ms: 200,
        },
    );
    assert_eq!(session.scenario().faults.len(), 1);
    assert!(session.now() >= at);
    play_frames(&mut session, 60);
    // A fresh session on the saved scenario, played to the same point, agrees.
    let replay = replayed(session.scenario().clone(), &session);
    assert_eq!(hash(&replay), hash(&session));
    let outages = session
        .lab()
        .store_stats()
        .faults_injected
        .get(&strata_sim::FaultKind::Outage)
        .copied()
        .unwrap_or(0);
    assert!(outages > 0, "the outage should have failed some requests");
}

#[test]
fn a_crash_then_recover_loses_nothing_durable() {
    let mut session = Session::new(small()).unwrap();
    play_frames(&mut session, 40);
    inject_now(
        &mut session,
        FaultSpec::CrashWriter {
            at_ms: 0,
            recover_after_ms: None,
        },
    );
    play_frames(&mut session, 10);
    inject_now(&mut session, FaultSpec::Recover { at_ms: 0 });
    play_frames(&mut session, 80);
    let metrics = session.lab().metrics();
    assert_eq!(metrics.engine_event("writer_crashed"), 1);
    assert!(
        metrics.durability_checks >= 1,
        "{:?}",
        session.observed().events
    );
    assert!(metrics.keys_checked > 0);
    assert_eq!(metrics.lost_durable_writes, 0);
}

#[test]
fn bad_controls_leave_the_run_alone() {
    let mut session = Session::new(small()).unwrap();
    play_frames(&mut session, 20);
    let before = (session.now(), hash(&session));
    let bad = with_rate(&session, -5.0);
    let error = session.apply_live(bad).unwrap_err();
    assert!(error.to_string().contains("rate_ops_per_sec"), "{error}");
    assert!(session.scenario().changes.is_empty());
    assert_eq!((session.now(), hash(&session)), before);
    let mut broken = session.scenario().clone();
    broken.duration_ms = 0;
    assert!(session.change_scenario_here(broken).is_err());
    assert!(!session.rebuilding());
}

#[test]
fn observed_folds_flushes_and_checks() {
    let mut session = Session::new(small()).unwrap();
    session.lab.run_to_end().unwrap();
    let observed = session.observed();
    assert!(
        observed
            .activities
            .iter()
            .any(|a| a.kind == ActivityKind::Flush && a.finished.is_some()),
        "a busy run with a 16 KiB memtable should flush"
    );
    assert!(observed
        .events
        .iter()
        .any(|line| line.class == LineClass::Check && line.text.contains("0 durable writes lost")));
}

#[test]
fn corrupted_ssts_surface_as_corrupt_errors() {
    let mut scenario = crate::link::default_scenario();
    scenario.recommender = None;
    scenario.engine.memtable_bytes = Some(32 * 1024);
    scenario.engine.block_cache_bytes = Some(0);
    scenario.workload.mix = OpMix {
        read: 0.5,
        write: 0.5,
        ..OpMix::default()
    };
    let mut session = Session::new(scenario).unwrap();
    session
        .advance(SimDuration::from_secs(2), u64::MAX)
        .unwrap();
    let form = crate::chaos::ChaosForm {
        window_ms: 5_000,
        ..crate::chaos::ChaosForm::default()
    };
    session
        .inject_into_scenario(crate::chaos::fault_for("bit_flips", &form, "db").unwrap())
        .unwrap();
    session.finish_rebuild().unwrap();
    session
        .advance(SimDuration::from_secs(12), u64::MAX)
        .unwrap();
    let errors = session.lab().recent_errors();
    let kinds: Vec<&str> = errors.iter().map(|e| e.kind.as_str()).collect();
    eprintln!("{kinds:?} {:?}", errors.last());
    assert!(kinds.contains(&"corrupt"), "{kinds:?}");
}

#[test]
fn removing_a_change_or_a_fault_replays_the_run_without_it() {
    let mut session = Session::new(small()).unwrap();
    play_frames(&mut session, 30);
    let faster = with_rate(&session, 900.0);
    session.apply_live(faster).unwrap();
    play_frames(&mut session, 20);
    inject_now(
        &mut session,
        FaultSpec::CrashWriter {
            at_ms: 0,
            recover_after_ms: None,
        },
    );
    inject_now(&mut session, FaultSpec::Recover { at_ms: 50 });
    play_frames(&mut session, 30);
    let now = session.now();
    let with_all = hash(&session);

    // A crash whose recovery is still listed cannot go alone; a stale position is refused.
    let crash = session.scenario().faults[0].clone();
    let error = session.remove_fault(0, &crash).unwrap_err();
    assert!(error.to_string().contains("recover"), "{error}");
    let change = session.scenario().changes[0].clone();
    let error = session.remove_change(1, &change).unwrap_err();
    assert!(error.to_string().contains("no longer"), "{error}");
    assert!(!session.rebuilding());
    assert_eq!(hash(&session), with_all);

    // Recovery, then the crash, then the change: each removal replays to the same moment,
    // and the result is the run of the scenario without them.
    let recover = session.scenario().faults[1].clone();
    session.remove_fault(1, &recover).unwrap();
    session.finish_rebuild().unwrap();
    session.remove_fault(0, &crash).unwrap();
    session.finish_rebuild().unwrap();
    session.remove_change(0, &change).unwrap();
    session.finish_rebuild().unwrap();
    assert_eq!(session.now(), now);
    assert_eq!(session.scenario(), &small());
    assert_eq!(session.settings().workload.rate_ops_per_sec, 400.0);
    let mut plain = Session::new(small()).unwrap();
    plain
        .advance_until(now, u64::MAX)
        .expect("the plain run advances");
    assert_eq!(hash(&session), hash(&plain));
    assert_ne!(hash(&session), with_all);
}
