//! The state a run's tasks share ([`World`]), and the guards that give back what a task held
//! however it ends: an in-flight slot ([`InFlightGuard`]), a task the runtime refused
//! ([`SpawnWatch`]), a durability-check worker ([`WorkerDone`]).
//!
//! The tasks themselves live in the sibling modules, one per task, as `impl World` blocks.

use super::state::{Findings, RecommenderSide, WorkloadSide, WriterSide, WriterSlot};
use super::tenants::TenantTally;
use super::{ClientError, LabError, WriterStatus};
use crate::recommender::LoopPlan;
use crate::scenario::compile::TenantDatabase;
use crate::scenario::{FaultSpec, PlannedFault, RunPlan, WorkloadSpec};
use crate::workload::{DrawnOp, OpGenerator};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use strata_engine::{Db, ErrorKind};
use strata_objstore::{ObjectStore, SimStore};
use strata_recommender::log::RecommenderLoop;
use strata_recommender::simulation::RecommenderSim;
use strata_sim::sync::Notify;
use strata_sim::{
    EventKind, LocalBoxFuture, RuntimeRef, RuntimeSleep, SimDuration, SimRng, SimTime,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Finished {
    pub(super) at: SimTime,
    pub(super) trace_hash: u64,
    pub(super) trace_events: u64,
}

/// Everything the run's tasks share: the runtime and the store, the run's bounds, and the
/// state split by concern (see [`super::state`]).
pub(super) struct World {
    pub(super) runtime: RuntimeRef,
    /// The simulated store, for faults; `None` against a real store.
    pub(super) sim_store: Option<SimStore>,
    pub(super) store_port: Rc<dyn ObjectStore>,
    /// The trace's hash and event count now (the runtime owns the trace).
    pub(super) trace_snapshot: Box<dyn Fn() -> (u64, u64)>,
    /// The database's path prefix in the bucket.
    pub(super) path: String,
    /// When the workload stops.
    pub(super) end: SimTime,
    pub(super) verify_at_end: bool,
    pub(super) writers: WriterSide,
    pub(super) workload: WorkloadSide,
    pub(super) findings: Findings,
    pub(super) recommender: RecommenderSide,
    pub(super) fault_rng: RefCell<SimRng>,
    pub(super) zombie_rng: RefCell<SimRng>,
    pub(super) finished: Cell<Option<Finished>>,
    pub(super) finished_notify: Notify,
    /// A tenant's database folds its own events here (its runtime keeps them out of the
    /// trace); `None` for the scenario's own database.
    pub(super) tenant: Option<RefCell<TenantTally>>,
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
        world.workload.take_slot();
        InFlightGuard {
            world: world.clone(),
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.world.workload.give_slot();
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
    pub(super) fn mark_started(&mut self) {
        self.started = true;
    }
}

impl Drop for SpawnWatch {
    fn drop(&mut self) {
        if self.started {
            return;
        }
        let world = &self.world;
        world.findings.task_refused();
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
        if let Some(tally) = &self.tenant {
            tally.borrow_mut().observe(&kind, self.now());
        }
        self.runtime.record(kind);
    }

    /// A tenant database's tally. Panics on the scenario's own world, which has none.
    pub(super) fn tenant_tally(&self) -> &RefCell<TenantTally> {
        self.tenant
            .as_ref()
            .expect("only a tenant's world keeps a tally")
    }

    pub(super) fn sleep(&self, duration: SimDuration) -> RuntimeSleep {
        self.runtime.sleep(duration)
    }

    pub(super) fn sleep_until(&self, deadline: SimTime) -> RuntimeSleep {
        self.runtime.sleep(deadline.saturating_since(self.now()))
    }

    /// Spawns one of the run's tasks, watched for refusal (see [`SpawnWatch`]).
    pub(super) fn spawn(
        self: &Rc<Self>,
        what: TaskKind,
        future: impl std::future::Future<Output = ()> + 'static,
    ) {
        self.spawn_boxed(what, Box::pin(future));
    }

    /// [`World::spawn`]'s body, for a task already in its box: one watching wrapper for every
    /// kind of task, not a copy of it around each task's state machine (eleven in the page's
    /// wasm, 2.3 KB raw of wrappers). A task spawned this way is two boxes, and the wrapper
    /// polls it through its vtable; tasks that start by the thousand go through
    /// [`World::spawn_op`] instead.
    #[inline(never)]
    fn spawn_boxed(self: &Rc<Self>, what: TaskKind, future: LocalBoxFuture<'static, ()>) {
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

    /// Spawns a client operation. Its future takes the watch and marks it started first
    /// thing, so the operation's state machine (over a kilobyte) is polled where it was
    /// boxed; inside [`World::spawn`]'s wrapper its first poll would copy it whole.
    pub(super) fn spawn_op(self: &Rc<Self>, op: DrawnOp, slot: InFlightGuard) {
        let watch = SpawnWatch {
            world: self.clone(),
            what: TaskKind::Operation(op.kind.as_str()),
            started: false,
        };
        // Made in its box, not made on the stack and moved into it: the move copied the
        // whole state machine (872 bytes), though a new one has only its arguments set.
        let future = Box::write(Box::new_uninit(), self.clone().run_op(op, slot, watch));
        self.runtime.spawn_detached(Box::into_pin(future));
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
        match &*self.writers.writer.borrow() {
            WriterSlot::Up(_) => WriterStatus::Up,
            WriterSlot::Opening => WriterStatus::Opening,
            WriterSlot::Down => WriterStatus::Down,
        }
    }

    pub(super) fn current_writer(&self) -> Option<Rc<Db>> {
        match &*self.writers.writer.borrow() {
            WriterSlot::Up(db) => Some(db.clone()),
            _ => None,
        }
    }

    pub(super) fn set_writer(&self, slot: WriterSlot) {
        self.writers.set(slot);
    }

    pub(super) fn push_error(&self, op: &str, kind: &str, message: String) {
        self.findings.push_error(ClientError {
            at: self.now(),
            op: op.to_string(),
            kind: kind.to_string(),
            message,
        });
    }

    pub(super) fn record_op(
        &self,
        op: &'static str,
        bytes: u64,
        start: SimTime,
        ok: bool,
        durable: bool,
    ) {
        self.record_op_linked(op, bytes, start, (ok, durable), String::new(), 0);
    }

    /// [`World::record_op`] with the causal links: the operation's key and, for a write that
    /// was applied, its sequence number.
    pub(super) fn record_op_linked(
        &self,
        op: &'static str,
        bytes: u64,
        start: SimTime,
        (ok, durable): (bool, bool),
        key: String,
        seq: u64,
    ) {
        self.record(EventKind::ClientOp {
            op,
            bytes,
            start,
            ok,
            durable,
            key,
            seq,
        });
    }

    pub(super) fn take_write_id(&self) -> u64 {
        self.workload.take_write_id()
    }

    /// Moves every pending in-memory write at or below `db`'s durable watermark into the
    /// durable model.
    pub(super) fn sync_watermark(&self, db: &Db) {
        self.findings
            .model
            .borrow_mut()
            .durable_through(db.durable_seq());
    }
}

impl World {
    /// New workload settings, from the next arrival on.
    pub(super) fn set_workload(&self, workload: WorkloadSpec) -> Result<(), LabError> {
        workload.validate()?;
        self.workload.set(workload);
        Ok(())
    }
}

impl World {
    /// Builds the run's shared state on `runtime` and starts its tasks: the director, the
    /// timed events, the recommender loop (`recommender`, the plan's, taken out of it so that
    /// its configuration is moved into the loop's simulation, not cloned). Store faults go to
    /// `sim_store`; without one (a real store) a scenario with store faults or bit flips is
    /// refused.
    pub(super) fn start(
        plan: &RunPlan,
        recommender: Option<LoopPlan>,
        runtime: RuntimeRef,
        store_port: Rc<dyn ObjectStore>,
        sim_store: Option<SimStore>,
        trace_snapshot: Box<dyn Fn() -> (u64, u64)>,
    ) -> Result<Rc<World>, LabError> {
        let scenario = &plan.scenario;
        let (recommender, logging) = match recommender {
            Some(LoopPlan {
                config,
                log,
                logging,
                slates_per_sec,
                interval,
            }) => (
                Some(RecommenderLoop::new(
                    RecommenderSim::new(config, scenario.seed)?,
                    None,
                    slates_per_sec,
                )?),
                Some((log, logging, interval)),
            ),
            None => (None, None),
        };
        let world = World::new(
            plan,
            runtime,
            store_port,
            sim_store,
            trace_snapshot,
            recommender,
            None,
        );
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
        if let Some((log, logging, interval)) = logging {
            world.spawn(
                TaskKind::Background("recommender"),
                world.clone().recommend(log, logging, interval),
            );
        }
        Ok(world)
    }

    /// Builds a tenant's database on `runtime` (a [`TenantRuntime`]) and starts its director:
    /// the scenario's engine options and run bounds, the tenant's path and workload; no
    /// writer events, read replica or recommender (those belong to the scenario's own
    /// database).
    pub(super) fn start_tenant(
        plan: &RunPlan,
        database: &TenantDatabase,
        runtime: RuntimeRef,
        store_port: Rc<dyn ObjectStore>,
        trace_snapshot: Box<dyn Fn() -> (u64, u64)>,
    ) -> Rc<World> {
        let world = World::new(
            plan,
            runtime,
            store_port,
            None,
            trace_snapshot,
            None,
            Some(database),
        );
        world.spawn(TaskKind::Background("director"), world.clone().direct());
        world
    }

    /// The shared state of one database, before any of its tasks starts: the scenario's own
    /// (`tenant` is `None`: its path and workload) or a tenant's (the tenant database's path
    /// and workload, and a tally for its events). One constructor for both keeps one copy of
    /// it in the playground's wasm.
    fn new(
        plan: &RunPlan,
        runtime: RuntimeRef,
        store_port: Rc<dyn ObjectStore>,
        sim_store: Option<SimStore>,
        trace_snapshot: Box<dyn Fn() -> (u64, u64)>,
        recommender: Option<RecommenderLoop>,
        tenant: Option<&TenantDatabase>,
    ) -> Rc<World> {
        let scenario = &plan.scenario;
        let (path, workload) = match tenant {
            Some(database) => (database.path.clone(), &database.workload),
            None => (scenario.engine.db_path().to_string(), &scenario.workload),
        };
        let generator = OpGenerator::new(workload.clone(), runtime.rng("lab.workload"));
        Rc::new(World {
            store_port,
            sim_store,
            trace_snapshot,
            path,
            end: SimTime::from_millis(scenario.duration_ms),
            verify_at_end: scenario.verify_at_end,
            writers: WriterSide::new(plan.engine.clone()),
            workload: WorkloadSide::new(workload, generator),
            findings: Findings::new(),
            recommender: RecommenderSide::new(recommender),
            fault_rng: RefCell::new(runtime.rng("lab.faults")),
            zombie_rng: RefCell::new(runtime.rng("lab.zombie")),
            finished: Cell::new(None),
            finished_notify: Notify::new(),
            tenant: tenant.map(|_| RefCell::new(TenantTally::default())),
            runtime,
        })
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
        let mut plan = scenario.compile().expect("the test scenario compiles");
        let sim = Sim::new(scenario.seed);
        let handle = sim.handle();
        let store = SimStore::try_new(handle.clone(), plan.store.clone()).expect("valid store");
        let snapshot = handle.clone();
        let recommender = plan.recommender.take();
        let world = World::start(
            &plan,
            recommender,
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
