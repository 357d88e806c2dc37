//! The state a run's tasks share ([`World`]), and the guards that give back what a task held
//! however it ends: an in-flight slot ([`InFlightGuard`]), a task the runtime refused
//! ([`SpawnWatch`]), a durability-check worker ([`WorkerDone`]).
//!
//! The tasks themselves live in the sibling modules, one per task, as `impl World` blocks.

use super::{ClientError, LabError, WriterStatus, MAX_RECENT_ERRORS};
use crate::durability::DurabilityModel;
use crate::scenario::{FaultSpec, PlannedFault, RunPlan, WorkloadSpec};
use crate::workload::{KeySpace, OpGenerator};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use strata_engine::{Db, DbOptions, ErrorKind, Reader};
use strata_objstore::{ObjectStore, SimStore};
use strata_recommender::log::{LogStats, RecommenderLoop};
use strata_recommender::simulation::RecommenderSim;
use strata_sim::sync::Notify;
use strata_sim::{EventKind, LocalBoxFuture, RuntimeRef, SimDuration, SimRng, SimTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Finished {
    pub(super) at: SimTime,
    pub(super) trace_hash: u64,
    pub(super) trace_events: u64,
}

pub(super) enum WriterSlot {
    Up(Rc<Db>),
    Opening,
    Down,
}

/// Everything the run's tasks share.
pub(super) struct World {
    pub(super) runtime: RuntimeRef,
    /// The simulated store, for faults; `None` against a real store.
    pub(super) sim_store: Option<SimStore>,
    pub(super) store_port: Rc<dyn ObjectStore>,
    /// The trace's hash and event count now (the runtime owns the trace).
    pub(super) trace_snapshot: Box<dyn Fn() -> (u64, u64)>,
    pub(super) path: String,
    pub(super) end: SimTime,
    pub(super) options: RefCell<DbOptions>,
    /// Bumped whenever `options` changes, so an open that started before a change can tell.
    pub(super) options_version: Cell<u64>,
    pub(super) writer: RefCell<WriterSlot>,
    pub(super) writer_changed: Notify,
    /// The old writer after a takeover, until the run ends.
    pub(super) zombie: RefCell<Option<Rc<Db>>>,
    pub(super) generator: RefCell<OpGenerator>,
    pub(super) await_durable: Cell<bool>,
    /// The workload's key space (its key format and count).
    pub(super) keys: Cell<KeySpace>,
    pub(super) scan_keys: Cell<u32>,
    pub(super) max_in_flight: Cell<u32>,
    pub(super) workload_changed: Notify,
    pub(super) in_flight: Cell<u32>,
    pub(super) in_flight_changed: Notify,
    pub(super) next_write_id: Cell<u64>,
    pub(super) model: RefCell<DurabilityModel>,
    pub(super) lost_examples: RefCell<Vec<String>>,
    pub(super) recent_errors: RefCell<VecDeque<ClientError>>,
    pub(super) fault_rng: RefCell<SimRng>,
    pub(super) zombie_rng: RefCell<SimRng>,
    pub(super) finished: Cell<Option<Finished>>,
    pub(super) finished_notify: Notify,
    pub(super) verify_at_end: bool,
    /// Writers opened so far (the first, recoveries, restarts, takeovers).
    pub(super) opens: Cell<u64>,
    /// The recommender loop's simulation, when the scenario has one.
    pub(super) recommender: Option<RefCell<RecommenderLoop>>,
    pub(super) recommender_log: Cell<LogStats>,
    pub(super) recommender_log_failures: Cell<u64>,
    /// The read replica, when the scenario asks for one (opened at the start of the run).
    pub(super) reader: RefCell<Option<Rc<Reader>>>,
    /// Tasks the runtime refused at its task limit (see [`SpawnWatch`]).
    pub(super) tasks_refused: Cell<u64>,
}

/// One of the workload's in-flight slots. It is taken before the operation's task is spawned
/// and moved into it, so the slot comes back however the operation ends: when it finishes,
/// fails, or never starts because the runtime refused the task (a refused future is dropped
/// unpolled, and this guard with it).
pub(super) struct InFlightGuard {
    pub(super) world: Rc<World>,
}

impl InFlightGuard {
    pub(super) fn take(world: &Rc<World>) -> InFlightGuard {
        world.in_flight.set(world.in_flight.get() + 1);
        InFlightGuard {
            world: world.clone(),
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let in_flight = self.world.in_flight.get();
        assert!(in_flight > 0, "an in-flight slot is given back only once");
        self.world.in_flight.set(in_flight - 1);
        self.world.in_flight_changed.notify_waiters();
    }
}

/// Watches a spawned task for refusal. An executor at its live-task limit drops the future
/// it has no room for without polling it, and nothing else tells the spawner; so the watch
/// rides inside the future, is marked when the task first runs, and reports a refusal when
/// it is dropped unstarted: the lab counts it (the summary's `tasks_refused`), notes it in
/// the trace, and for an operation records a failed client operation, so a run at the limit
/// degrades visibly instead of stalling in silence.
pub(super) struct SpawnWatch {
    pub(super) world: Rc<World>,
    pub(super) what: TaskKind,
    pub(super) started: bool,
}

/// What a watched task was, for the refusal's note.
#[derive(Clone, Copy)]
pub(super) enum TaskKind {
    /// A client operation (`put`, `get`…): its refusal is also a failed operation.
    Operation(&'static str),
    /// Any other task of the run (the director, a recovery, a verifier…).
    Background(&'static str),
}

impl SpawnWatch {
    fn mark_started(&mut self) {
        self.started = true;
    }
}

impl Drop for SpawnWatch {
    fn drop(&mut self) {
        if self.started {
            return;
        }
        let world = &self.world;
        world.tasks_refused.set(world.tasks_refused.get() + 1);
        let (what, operation) = match self.what {
            TaskKind::Operation(name) => (name, Some(name)),
            TaskKind::Background(name) => (name, None),
        };
        world.note(format!(
            "task refused at the simulation's task limit: {what}"
        ));
        if let Some(name) = operation {
            let now = world.now();
            world.push_error(
                name,
                "refused",
                "the simulation is at its task limit; the operation did not run".to_string(),
            );
            world.record_op(name, 0, now, false, false);
        }
    }
}

/// Counts a durability-check worker down when it is dropped, finished or refused.
pub(super) struct WorkerDone {
    pub(super) remaining: Rc<Cell<usize>>,
    pub(super) done: Notify,
}

impl Drop for WorkerDone {
    fn drop(&mut self) {
        self.remaining.set(self.remaining.get() - 1);
        self.done.notify_waiters();
    }
}

pub(super) fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Fenced => "fenced",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Invalid => "invalid",
        ErrorKind::Corrupt => "corrupt",
        ErrorKind::Closed => "closed",
    }
}

impl World {
    pub(super) fn now(&self) -> SimTime {
        self.runtime.now()
    }

    pub(super) fn record(&self, kind: EventKind) {
        self.runtime.record(kind);
    }

    pub(super) fn sleep(&self, duration: SimDuration) -> LocalBoxFuture<'static, ()> {
        self.runtime.sleep(duration)
    }

    pub(super) fn sleep_until(&self, deadline: SimTime) -> LocalBoxFuture<'static, ()> {
        self.runtime.sleep(deadline.saturating_since(self.now()))
    }

    /// Spawns one of the run's tasks, watched for refusal (see [`SpawnWatch`]).
    pub(super) fn spawn(
        self: &Rc<Self>,
        what: TaskKind,
        future: impl std::future::Future<Output = ()> + 'static,
    ) {
        let mut watch = SpawnWatch {
            world: self.clone(),
            what,
            started: false,
        };
        self.runtime.spawn_detached(Box::pin(async move {
            // A method call moves the whole watch into the task (assigning the field alone
            // would capture only the field, and the watch would drop here, unstarted).
            watch.mark_started();
            future.await;
        }));
    }

    pub(super) fn sim_store(&self) -> Result<&SimStore, LabError> {
        self.sim_store
            .as_ref()
            .ok_or(LabError::FaultNeedsSimulatedStore)
    }

    pub(super) fn note(&self, text: impl Into<String>) {
        self.record(EventKind::Note { text: text.into() });
    }

    pub(super) fn writer_status(&self) -> WriterStatus {
        match &*self.writer.borrow() {
            WriterSlot::Up(_) => WriterStatus::Up,
            WriterSlot::Opening => WriterStatus::Opening,
            WriterSlot::Down => WriterStatus::Down,
        }
    }

    pub(super) fn current_writer(&self) -> Option<Rc<Db>> {
        match &*self.writer.borrow() {
            WriterSlot::Up(db) => Some(db.clone()),
            _ => None,
        }
    }

    pub(super) fn set_writer(&self, slot: WriterSlot) {
        *self.writer.borrow_mut() = slot;
        self.writer_changed.notify_waiters();
    }

    pub(super) fn push_error(&self, op: &str, kind: &str, message: String) {
        let mut errors = self.recent_errors.borrow_mut();
        if errors.len() == MAX_RECENT_ERRORS {
            errors.pop_front();
        }
        errors.push_back(ClientError {
            at: self.now(),
            op: op.to_string(),
            kind: kind.to_string(),
            message,
        });
    }

    pub(super) fn record_op(&self, op: &str, bytes: u64, start: SimTime, ok: bool, durable: bool) {
        self.record(EventKind::ClientOp {
            op: op.to_string(),
            bytes,
            start,
            ok,
            durable,
        });
    }

    pub(super) fn take_write_id(&self) -> u64 {
        let id = self.next_write_id.get();
        self.next_write_id.set(id + 1);
        id
    }

    /// Moves every pending in-memory write at or below `db`'s durable watermark into the
    /// durable model.
    pub(super) fn sync_watermark(&self, db: &Db) {
        self.model.borrow_mut().durable_through(db.durable_seq());
    }
}

impl World {
    /// New workload settings, from the next arrival on.
    pub(super) fn set_workload(&self, workload: WorkloadSpec) -> Result<(), LabError> {
        workload.validate()?;
        self.await_durable.set(workload.await_durable);
        self.keys.set(KeySpace::of(&workload));
        self.scan_keys.set(workload.scan_keys);
        self.max_in_flight.set(workload.max_in_flight);
        self.generator.borrow_mut().set_spec(workload);
        self.workload_changed.notify_waiters();
        self.in_flight_changed.notify_waiters();
        Ok(())
    }
}

impl World {
    /// Builds the run's shared state on `runtime` and starts its tasks: the director, the
    /// timed events, the recommender loop. Store faults go to `sim_store`; without one (a
    /// real store) a scenario with store faults or bit flips is refused.
    pub(super) fn start(
        plan: &RunPlan,
        runtime: RuntimeRef,
        store_port: Rc<dyn ObjectStore>,
        sim_store: Option<SimStore>,
        trace_snapshot: Box<dyn Fn() -> (u64, u64)>,
    ) -> Result<Rc<World>, LabError> {
        let scenario = &plan.scenario;
        let workload = scenario.workload.clone();
        let recommender = match &plan.recommender {
            Some(loop_plan) => Some(RefCell::new(RecommenderLoop::new(
                RecommenderSim::new(loop_plan.config.clone(), scenario.seed)?,
                None,
                loop_plan.slates_per_sec,
            )?)),
            None => None,
        };
        let world = Rc::new(World {
            store_port,
            sim_store,
            trace_snapshot,
            path: scenario
                .engine
                .path
                .clone()
                .unwrap_or_else(|| "db".to_string()),
            end: SimTime::from_millis(scenario.duration_ms),
            options: RefCell::new(plan.engine.clone()),
            options_version: Cell::new(0),
            // The director opens the first writer as soon as the run starts: until then it is
            // opening, not down (nothing has crashed).
            writer: RefCell::new(WriterSlot::Opening),
            writer_changed: Notify::new(),
            zombie: RefCell::new(None),
            generator: RefCell::new(OpGenerator::new(
                workload.clone(),
                runtime.rng("lab.workload"),
            )),
            await_durable: Cell::new(workload.await_durable),
            keys: Cell::new(KeySpace::of(&workload)),
            scan_keys: Cell::new(workload.scan_keys),
            max_in_flight: Cell::new(workload.max_in_flight),
            workload_changed: Notify::new(),
            in_flight: Cell::new(0),
            in_flight_changed: Notify::new(),
            next_write_id: Cell::new(1),
            model: RefCell::new(DurabilityModel::new()),
            lost_examples: RefCell::new(Vec::new()),
            recent_errors: RefCell::new(VecDeque::new()),
            fault_rng: RefCell::new(runtime.rng("lab.faults")),
            zombie_rng: RefCell::new(runtime.rng("lab.zombie")),
            finished: Cell::new(None),
            finished_notify: Notify::new(),
            verify_at_end: scenario.verify_at_end,
            opens: Cell::new(0),
            recommender,
            recommender_log: Cell::new(LogStats::default()),
            recommender_log_failures: Cell::new(0),
            reader: RefCell::new(None),
            tasks_refused: Cell::new(0),
            runtime,
        });
        for fault in &plan.faults {
            match fault {
                PlannedFault::Store(spec) => {
                    world.sim_store()?.add_fault(spec.clone())?;
                }
                PlannedFault::Event(event) => {
                    if matches!(event, FaultSpec::BitFlip { .. }) {
                        world.sim_store()?;
                    }
                    world.schedule_event(event.clone());
                }
            }
        }
        world.spawn(TaskKind::Background("director"), world.clone().direct());
        if let Some(ms) = scenario.engine.reader_poll_interval_ms {
            world.spawn(
                TaskKind::Background("read replica"),
                world.clone().follow(SimDuration::from_millis_f64(ms)),
            );
        }
        if let Some(loop_plan) = &plan.recommender {
            world.spawn(
                TaskKind::Background("recommender"),
                world.clone().recommend(loop_plan.clone()),
            );
        }
        Ok(world)
    }
}

/// A tiny world for the tasks' unit tests: an instant store, no workload arrivals unless the
/// scenario asks for them, and the simulation that drives it.
#[cfg(test)]
pub(super) mod tiny {
    use super::World;
    use crate::scenario::{Scenario, StorePreset};
    use std::rc::Rc;
    use strata_objstore::SimStore;
    use strata_sim::{Sim, SimTime};

    /// A ten-second scenario on the instant store whose workload is paused.
    pub fn scenario() -> Scenario {
        let mut scenario = Scenario::default();
        scenario.store.preset = StorePreset::Instant;
        scenario.workload.rate_ops_per_sec = 0.0;
        scenario
    }

    /// The world of `scenario`, started, with the simulation it runs in.
    pub fn world(scenario: &Scenario) -> (Sim, Rc<World>) {
        let plan = scenario.compile().expect("the test scenario compiles");
        let sim = Sim::new(scenario.seed);
        let handle = sim.handle();
        let store = SimStore::try_new(handle.clone(), plan.store.clone()).expect("valid store");
        let snapshot = handle.clone();
        let world = World::start(
            &plan,
            Rc::new(handle),
            Rc::new(store.clone()),
            Some(store),
            Box::new(move || snapshot.with_trace(|t| (t.hash(), t.total_events()))),
        )
        .expect("the world starts");
        (sim, world)
    }

    /// Runs the simulation until `ms` of simulated time.
    pub fn run_until(sim: &Sim, ms: u64) {
        sim.run_until(SimTime::from_millis(ms), u64::MAX)
            .expect("the tiny world runs");
    }
}
