//! The runner: determinism (one seed, one trace hash, however the run is sliced), crash and
//! recovery without lost durable writes, fencing of a zombie, live controls, and a check that
//! can fail.
// On wasm32 the tests are `wasm_bindgen_test` functions, which clippy does not treat as
// tests; unwrapping is how a test says "this cannot fail here".
#![allow(clippy::unwrap_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use strata_lab::runner::WriterStatus;
use strata_lab::scenario::{FaultSpec, OpMix, StorePreset};
use strata_lab::{Control, Lab, Scenario, Summary};
use strata_sim::SimTime;

const STEADY_WRITES: &str = include_str!("../../../tests/scenarios/steady-writes.json");
const CRASH_RECOVER: &str = include_str!("../../../tests/scenarios/crash-recover.json");
const ZOMBIE_WRITER: &str = include_str!("../../../tests/scenarios/zombie-writer.json");
const RECOMMENDER: &str = include_str!("../../../tests/scenarios/recommender.json");
const COMPACTION: &str = include_str!("../../../tests/scenarios/compaction.json");
const RANGE_DELETES_TTL: &str = include_str!("../../../tests/scenarios/range-deletes-ttl.json");

/// The trace hash of tests/scenarios/steady-writes.json. It changes whenever the engine, the
/// store or the workload changes what a run does; when that is intended, update it here (the
/// failure message prints the new value) and say so in the commit.
const STEADY_WRITES_GOLDEN_HASH: &str = "d81a6ca566846a38";
/// The trace hash of tests/scenarios/compaction.json (the same rule applies).
const COMPACTION_GOLDEN_HASH: &str = "e5ead9bfaff2ce7e";

/// The order of events in tests/scenarios/steady-writes.json, independent of how the trace
/// hash encodes an event: FNV-1a over each event's sequence number, kind name and simulated
/// time. It changes only when a run does different things or does them in another order.
const STEADY_WRITES_EVENT_ORDER: &str = "eac4acafea959704";
/// The order of events in tests/scenarios/compaction.json (the same rule applies).
const COMPACTION_EVENT_ORDER: &str = "8d8ef2f578224419";

/// Runs `scenario` to the end and returns a fingerprint of its events' order (see
/// [`STEADY_WRITES_EVENT_ORDER`]) with the number of events it covers.
fn event_order(scenario: &Scenario) -> (String, u64) {
    use std::cell::RefCell;
    use std::rc::Rc;
    let mut lab = Lab::new(scenario).unwrap();
    let fold = Rc::new(RefCell::new((Vec::new(), 0u64)));
    let sink = fold.clone();
    lab.handle().with_trace(|trace| {
        assert_eq!(trace.total_events(), 0, "no event precedes the first step");
        trace.subscribe(Box::new(move |event| {
            let (bytes, count) = &mut *sink.borrow_mut();
            bytes.clear();
            bytes.extend_from_slice(&event.seq.to_le_bytes());
            bytes.extend_from_slice(event.kind.name().as_bytes());
            bytes.extend_from_slice(&event.at.as_nanos().to_le_bytes());
            *count = strata_sim::trace::stable_hash(&[&count.to_le_bytes()[..], bytes].concat());
        }));
    });
    lab.run_to_end().unwrap();
    let events = lab.trace().total_events();
    let hash = fold.borrow().1;
    (format!("{hash:016x}"), events)
}

#[test]
fn golden_scenarios_keep_their_order_of_events() {
    for (text, golden) in [
        (STEADY_WRITES, STEADY_WRITES_EVENT_ORDER),
        (COMPACTION, COMPACTION_EVENT_ORDER),
    ] {
        let s = scenario(text);
        let (order, events) = event_order(&s);
        assert!(events > 1000, "{}: {events} events", s.name);
        assert_eq!(
            order, golden,
            "{}: the order of events is now {order}",
            s.name
        );
    }
}

fn scenario(text: &str) -> Scenario {
    Scenario::from_json(text).expect("example scenarios are valid")
}

fn run(scenario: &Scenario) -> Summary {
    strata_lab::run_scenario(scenario).expect("the scenario runs")
}

/// A small scenario on a fast store, for tests that need many runs.
fn small() -> Scenario {
    let mut s = Scenario {
        name: "small".to_string(),
        duration_ms: 1500,
        ..Scenario::default()
    };
    s.store.preset = StorePreset::S3Express;
    s.workload.rate_ops_per_sec = 300.0;
    s.workload.key_count = 200;
    s.workload.mix = OpMix {
        read: 0.3,
        write: 0.6,
        delete: 0.1,
        scan: 0.0,
        batch: 0.0,
        delete_range: 0.0,
    };
    s.workload.await_durable = true;
    s.engine.flush_interval_ms = Some(20.0);
    s
}

#[test]
fn steady_writes_matches_its_golden_hash() {
    let summary = run(&scenario(STEADY_WRITES));
    assert!(summary.finished);
    assert_eq!(summary.writes.lost_durable, 0);
    assert!(summary.writes.acknowledged > 4000, "{:?}", summary.writes);
    assert_eq!(
        summary.trace_hash, STEADY_WRITES_GOLDEN_HASH,
        "steady-writes.json now hashes to {}",
        summary.trace_hash
    );
}

#[test]
fn compaction_matches_its_golden_hash_and_builds_levels() {
    let summary = run(&scenario(COMPACTION));
    assert!(summary.finished);
    assert_eq!(summary.writes.lost_durable, 0);
    assert!(
        summary
            .engine_events
            .get("compaction_finished")
            .copied()
            .unwrap_or(0)
            >= 3
    );
    let lsm = summary.lsm.as_ref().unwrap();
    assert!(lsm.runs.len() >= 2, "L1 and L2: {lsm:?}");
    assert_eq!(
        summary.trace_hash, COMPACTION_GOLDEN_HASH,
        "compaction.json now hashes to {}",
        summary.trace_hash
    );
}

#[test]
fn same_seed_same_hash_and_another_seed_another() {
    let s = small();
    let first = run(&s);
    let second = run(&s);
    assert_eq!(first, second, "two runs of one scenario differ");
    let mut other = s.clone();
    other.seed += 1;
    assert_ne!(run(&other).trace_hash, first.trace_hash);
}

#[test]
fn slicing_the_run_into_frames_does_not_change_it() {
    let s = small();
    let whole = run(&s);
    // Like the playground: uneven frames of simulated time, few events per frame.
    let mut lab = Lab::new(&s).unwrap();
    let mut until = SimTime::ZERO;
    let mut frame = 0u64;
    while !lab.finished() {
        frame += 1;
        until += strata_sim::SimDuration::from_micros(700 + (frame * 7919) % 9000);
        let progress = lab.advance_to(until, 1 + frame % 5).unwrap();
        assert!(progress.now <= until);
        assert!(frame < 10_000_000, "the run never finished");
    }
    assert_eq!(lab.summary(), whole);
    // Stepping one event at a time agrees too.
    let mut lab = Lab::new(&s).unwrap();
    while !lab.finished() {
        lab.step().unwrap();
    }
    assert_eq!(lab.summary().trace_hash, whole.trace_hash);
}

#[test]
fn a_crash_and_recovery_loses_no_durable_write() {
    let summary = run(&scenario(CRASH_RECOVER));
    assert_eq!(
        summary.writes.lost_durable, 0,
        "{:?}",
        summary.writes.lost_examples
    );
    // The recovery and the end both read every durable key back.
    assert_eq!(summary.writes.durability_checks, 2);
    assert!(summary.writes.keys_verified > 500);
    assert_eq!(summary.writers_opened, 2);
    assert_eq!(summary.engine_events.get("writer_crashed"), Some(&1));
    // Clients saw errors while the writer was down.
    assert!(summary.operations.get("put").expect("puts ran").failed > 0);
}

#[test]
fn range_deletes_and_expiry_through_a_crash_resurrect_nothing_and_expired_entries_are_dropped() {
    let summary = run(&scenario(RANGE_DELETES_TTL));
    assert!(summary.finished);
    let writes = &summary.writes;
    assert_eq!(writes.lost_durable, 0, "{:?}", writes.lost_examples);
    assert_eq!(writes.resurrected, 0, "{:?}", writes.lost_examples);
    // The recovery and the end both read every durable key back.
    assert_eq!(writes.durability_checks, 2);
    assert!(writes.keys_verified > 500, "{writes:?}");
    assert_eq!(summary.engine_events.get("writer_crashed"), Some(&1));
    assert!(summary.operations.get("delete_range").unwrap().ok > 100);
    assert!(
        writes.expired_entries_dropped > 0 && writes.expired_bytes_dropped > 0,
        "{writes:?}"
    );
}

#[test]
fn a_zombie_writer_is_fenced_and_nothing_durable_is_lost() {
    let summary = run(&scenario(ZOMBIE_WRITER));
    assert_eq!(
        summary.writes.lost_durable, 0,
        "{:?}",
        summary.writes.lost_examples
    );
    assert!(summary.engine_events.get("fenced").copied().unwrap_or(0) >= 1);
    assert_eq!(summary.writers_opened, 2);
    assert_eq!(summary.lsm.as_ref().map(|l| l.writer_epoch), Some(2));
}

#[test]
fn live_controls_crash_recover_and_pause() {
    let s = small();
    let mut lab = Lab::new(&s).unwrap();
    lab.advance_to(SimTime::from_millis(400), u64::MAX).unwrap();
    assert_eq!(lab.writer_status(), WriterStatus::Up);
    lab.apply(Control::CrashWriter).unwrap();
    assert_eq!(lab.writer_status(), WriterStatus::Down);
    // Recovering twice, or crashing a dead writer, is refused with a reason.
    assert!(lab.apply(Control::CrashWriter).is_err());
    lab.advance_to(SimTime::from_millis(500), u64::MAX).unwrap();
    lab.apply(Control::Recover).unwrap();
    assert!(lab.apply(Control::Recover).is_err());
    lab.advance_to(SimTime::from_millis(900), u64::MAX).unwrap();
    assert_eq!(lab.writer_status(), WriterStatus::Up);
    // Pause the workload: no operation starts after this.
    let mut paused = s.workload.clone();
    paused.rate_ops_per_sec = 0.0;
    lab.apply(Control::SetWorkload { workload: paused })
        .unwrap();
    lab.advance_to(SimTime::from_millis(1000), u64::MAX)
        .unwrap();
    let ops_at_pause: u64 = lab.metrics().ops.values().map(|c| c.ok + c.failed).sum();
    let summary = lab.run_to_end().unwrap();
    let ops_at_end: u64 = summary.operations.values().map(|c| c.ok + c.failed).sum();
    // Operations in flight at the pause may still finish, but no new ones arrive.
    assert!(ops_at_end - ops_at_pause <= u64::from(s.workload.max_in_flight));
    assert!(
        ops_at_end - ops_at_pause < 20,
        "{ops_at_pause} → {ops_at_end}"
    );
    assert_eq!(summary.writes.lost_durable, 0);
    assert!(summary.writes.durability_checks >= 2);
    // A bad control is refused and the run goes on.
    let mut bad = s.workload.clone();
    bad.rate_ops_per_sec = -1.0;
    assert!(lab.apply(Control::SetWorkload { workload: bad }).is_err());
}

#[test]
fn injected_faults_show_in_the_summary() {
    let s = small();
    let mut lab = Lab::new(&s).unwrap();
    lab.advance_to(SimTime::from_millis(300), u64::MAX).unwrap();
    lab.apply(Control::InjectFault {
        fault: FaultSpec::Outage {
            from_ms: 0,
            until_ms: 200,
        },
    })
    .unwrap();
    let summary = lab.run_to_end().unwrap();
    assert!(summary.faults_injected.get("outage").copied().unwrap_or(0) > 0);
    assert!(summary.requests_failed > 0);
    assert_eq!(summary.writes.lost_durable, 0);
}

#[test]
fn the_durability_check_catches_a_store_that_forgets() {
    // Crash the writer, then wipe the bucket behind the engine's back before it recovers:
    // every acknowledged-durable write is gone, and the check must say so.
    let s = small();
    let mut lab = Lab::new(&s).unwrap();
    lab.advance_to(SimTime::from_millis(600), u64::MAX).unwrap();
    lab.apply(Control::CrashWriter).unwrap();
    let store = lab.store().clone();
    let handle = lab.handle();
    handle.spawn(async move {
        for key in store.keys() {
            use strata_objstore::ObjectStore;
            let _ = store.delete(strata_sim::Cause::Other, &key).await;
        }
    });
    lab.advance_to(SimTime::from_millis(700), u64::MAX).unwrap();
    lab.apply(Control::Recover).unwrap();
    let summary = lab.run_to_end().unwrap();
    assert!(summary.writes.lost_durable > 0, "{:?}", summary.writes);
    assert!(!summary.writes.lost_examples.is_empty());
}

#[test]
fn the_recommender_loop_logs_into_the_engine_through_a_crash() {
    let summary = run(&scenario(RECOMMENDER));
    let rec = summary
        .recommender
        .expect("the scenario runs a recommender");
    // 50 slates per second for 5 s, 3 items each.
    assert_eq!(rec.steps, 250);
    assert_eq!(rec.impressions, 750);
    assert!(rec.clicks > 0 && rec.clicks < rec.impressions);
    // Most impressions reached the engine; the ones served while the writer was down did not.
    assert!(rec.impressions_logged > 500, "{rec:?}");
    assert!(rec.impressions_logged < rec.impressions, "{rec:?}");
    assert!(rec.log_failures > 0);
    assert!(rec.checkpoints_written >= 5, "{rec:?}");
    assert!(summary.engine_events.contains_key("writer_crashed"));
    assert_eq!(summary.writes.lost_durable, 0);
    // The impressions are in the trace too.
    let lab_trace_impressions = {
        let mut lab = Lab::new(&scenario(RECOMMENDER)).unwrap();
        lab.run_to_end().unwrap();
        let count = lab.trace().counts().get("impression").copied();
        count
    };
    assert_eq!(lab_trace_impressions, Some(750));
}

/// A runtime over the simulator with a live-task limit of its own, which refuses a task
/// exactly as the executor does at its limit: the future is dropped without being polled and
/// the spawner gets a handle that aborts nothing. (The executor's own refusal also asserts in
/// debug builds, which is why the test reaches it through the runtime port.)
struct TaskLimited {
    handle: strata_sim::SimHandle,
    live_tasks: std::rc::Rc<std::cell::Cell<usize>>,
    max_tasks: usize,
    refused: std::rc::Rc<std::cell::Cell<u64>>,
}

/// Gives a task's place back when its future is dropped (finished or aborted).
struct LiveTask(std::rc::Rc<std::cell::Cell<usize>>);

impl Drop for LiveTask {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

impl strata_sim::Runtime for TaskLimited {
    fn now(&self) -> SimTime {
        self.handle.now()
    }
    fn sleep(&self, duration: strata_sim::SimDuration) -> strata_sim::RuntimeSleep {
        strata_sim::RuntimeSleep::Sim(self.handle.sleep(duration))
    }
    fn spawn_detached(
        &self,
        future: strata_sim::LocalBoxFuture<'static, ()>,
    ) -> strata_sim::AbortHandle {
        if self.live_tasks.get() >= self.max_tasks {
            self.refused.set(self.refused.get() + 1);
            drop(future);
            return strata_sim::AbortHandle::noop();
        }
        self.live_tasks.set(self.live_tasks.get() + 1);
        let live = LiveTask(self.live_tasks.clone());
        strata_sim::Runtime::spawn_detached(
            &self.handle,
            Box::pin(async move {
                let _live = live;
                future.await;
            }),
        )
    }
    fn record(&self, kind: strata_sim::EventKind) {
        self.handle.record(kind);
    }
    fn record_at(&self, at: SimTime, kind: strata_sim::EventKind) {
        self.handle.record_at(at, kind);
    }
    fn rng(&self, name: &str) -> strata_sim::SimRng {
        self.handle.rng(name)
    }
}

#[test]
fn a_task_refused_at_the_task_limit_gives_its_slot_back_and_the_workload_goes_on() {
    // Await-durable writes wait for a WAL upload, so many operations are in flight at once;
    // the runtime has room for far fewer tasks than the workload's in-flight limit.
    let mut s = small();
    s.duration_ms = 4000;
    s.workload.rate_ops_per_sec = 2000.0;
    s.workload.max_in_flight = 40;
    s.engine.flush_interval_ms = Some(100.0);
    let sim = strata_sim::Sim::new(s.seed);
    let metrics = strata_lab::metrics::subscribe(&mut sim.trace_mut());
    let store = strata_objstore::SimStore::try_new(
        sim.handle(),
        strata_lab::runner::store_config(&s.store),
    )
    .unwrap();
    let refused = std::rc::Rc::new(std::cell::Cell::new(0));
    let runtime = std::rc::Rc::new(TaskLimited {
        handle: sim.handle(),
        live_tasks: std::rc::Rc::new(std::cell::Cell::new(0)),
        max_tasks: 24,
        refused: refused.clone(),
    });
    let snapshot = sim.handle();
    let run = strata_lab::ExternalRun::start(
        &s,
        runtime,
        std::rc::Rc::new(store),
        metrics,
        Box::new(move || snapshot.with_trace(|t| (t.hash(), t.total_events()))),
    )
    .unwrap();
    let ok_ops = |summary: &Summary| summary.operations.values().map(|c| c.ok).sum::<u64>();
    sim.run_until(SimTime::from_millis(2000), u64::MAX).unwrap();
    let halfway = run.summary();
    assert!(refused.get() > 0, "the limit was not reached");
    sim.run_until(SimTime::from_millis(60_000), u64::MAX)
        .unwrap();
    assert!(run.finished(), "the run did not finish");
    let summary = run.summary();
    // Refusals are counted and seen, and every refused operation gave its slot back: the
    // second half of the run still completed operations, and nothing was left in flight
    // (a leaked slot would hold the drain until its limit).
    assert_eq!(summary.tasks_refused, refused.get());
    assert!(summary.operations.values().map(|c| c.failed).sum::<u64>() > 0);
    // The end's durability check ran with the workers it got (some were refused too).
    assert_eq!(summary.writes.lost_durable, 0);
    assert!(summary.writes.keys_verified > 0);
    assert!(
        ok_ops(&summary) > ok_ops(&halfway) + 500,
        "the workload stopped: {} ok operations at 2 s, {} at the end",
        ok_ops(&halfway),
        ok_ops(&summary)
    );
    assert_eq!(summary.unfinished_ops, 0);
    assert!(summary.simulated_ms < 5000.0, "{}", summary.simulated_ms);
    let noted = sim.trace().retained().any(|event| {
        matches!(&event.kind, strata_sim::EventKind::Note { text }
            if text.starts_with("task refused at the simulation's task limit"))
    });
    assert!(noted, "no refusal in the trace");
}

#[test]
fn before_the_first_open_the_writer_is_opening_not_down() {
    let lab = Lab::new(&small()).unwrap();
    assert_eq!(lab.writer_status(), WriterStatus::Opening);
    assert_eq!(lab.writers_opened(), 0);
}

#[test]
fn the_playground_scenario_compacts_within_its_first_minute() {
    use strata_sim::{Cause, EventKind, StoreOp};
    let mut lab = Lab::new(&Scenario::playground()).unwrap();
    // Follow one compaction job through its phases, from the trace as the page folds it.
    let mut started = None;
    let (mut read_input, mut wrote_output, mut committed) = (false, false, None);
    let mut until = SimTime::ZERO;
    while committed.is_none() && until < SimTime::from_millis(60_000) {
        until += strata_sim::SimDuration::from_millis(250);
        lab.advance_to(until, u64::MAX).unwrap();
        for event in lab.trace().retained() {
            match &event.kind {
                EventKind::CompactionStarted { job_id, .. } if started.is_none() => {
                    started = Some((*job_id, event.at))
                }
                EventKind::Request(request)
                    if request.cause == Cause::Compaction && started.is_some() =>
                {
                    read_input |= request.op == StoreOp::Get;
                    wrote_output |= request.op == StoreOp::Put;
                }
                EventKind::CompactionFinished { job_id, .. }
                    if started.is_some_and(|(id, _)| id == *job_id) =>
                {
                    committed = Some(event.at)
                }
                _ => {}
            }
        }
    }
    let (_, started_at) = started.expect("a compaction started in the first minute");
    let committed_at = committed.expect("the compaction committed in the first minute");
    assert!(
        read_input && wrote_output,
        "the job read its inputs and wrote its outputs"
    );
    assert!(
        committed_at <= SimTime::from_millis(60_000),
        "{committed_at}"
    );
    // Leave a margin: the page must show it well within the minute.
    assert!(started_at <= SimTime::from_millis(45_000), "{started_at}");
    let state = lab.db_state().unwrap();
    assert_eq!(state.compaction_style, "leveled");
    assert!(
        state.runs.iter().any(|run| run.level == 1),
        "{:?}",
        state.runs
    );
}
