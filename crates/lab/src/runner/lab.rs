//! [`Lab`]: a scenario played in the simulator, incrementally (the playground's frames and
//! steps) or to the end (`strata run`), with setting changes applied at their exact
//! simulated millisecond and live controls applied now.

use super::summary::{summary_of, LsmShape, ReaderSummary, Summary};
use super::tenants::{all_finished, run_end, start_tenants, summaries, Tenant, TenantSummary};
use super::tombstones::SstTombstones;
use super::tree_series::TreeSeries;
use super::world::World;
use super::{ClientError, Control, LabError, Progress, WriterStatus};
use crate::explain::{self, Explainer, Explanation};
use crate::metrics::{self, Metrics};
use crate::recommender::RecommenderReport;
use crate::scenario::translate::{store_config, store_fault};
use crate::scenario::{PlannedChange, PlannedSetting, RunPlan, Scenario, SettingChange};
use std::cell::{Ref, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use strata_engine::{Amplification, DbState};
use strata_objstore::{SimStore, StoreStats};
use strata_recommender::simulation::RecommenderSummary;
use strata_sim::{ExecutorLimits, Sim, SimHandle, SimTime, Trace, TraceConfig};

/// What a [`Lab`] folds from its trace beyond what every run needs (the metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabOptions {
    /// Attribute every request to the client operations that caused it as the run goes
    /// ([`crate::explain`]): the page's cause chains and `strata explain` read it. It costs
    /// about a tenth of a native run's time, so `strata run` and the benchmarks leave it
    /// off. The run itself, and its trace hash, are the same either way.
    pub explain: bool,
    /// Keep the scenario's ring of recent events (`trace.ring_capacity`) for drawing and for
    /// the trace export. A run read only for its summary keeps none: the summary, the hash and
    /// the metrics come from every event as it is recorded, not from the ring. The run and its
    /// trace hash are the same either way.
    pub retain_trace: bool,
    /// The executor's limits (a test gives it a tiny task limit).
    pub executor_limits: ExecutorLimits,
}

impl Default for LabOptions {
    /// Explain on, the trace's ring kept, the executor's default limits: what the page plays.
    fn default() -> Self {
        LabOptions {
            explain: true,
            retain_trace: true,
            executor_limits: ExecutorLimits::default(),
        }
    }
}

impl LabOptions {
    /// What a run to the end for its summary alone needs: no explain fold, no retained ring.
    pub fn summary_only() -> Self {
        LabOptions {
            explain: false,
            retain_trace: false,
            ..LabOptions::default()
        }
    }
}

/// A scenario being played.
pub struct Lab {
    scenario: Scenario,
    sim: Sim,
    world: Rc<World>,
    store: SimStore,
    metrics: Rc<RefCell<Metrics>>,
    /// Every request attributed to the client operations that caused it; left empty when
    /// the lab was built without [`LabOptions::explain`].
    explainer: Rc<RefCell<Explainer>>,
    /// Whether `explainer` follows the trace.
    explains: bool,
    /// The tenants' databases beside the scenario's own, in document order.
    tenants: Vec<Tenant>,
    /// The scenario's setting changes not yet applied, in time order (ties in scenario order).
    /// Bounded by `MAX_CHANGES`.
    pending_changes: VecDeque<(SimTime, PlannedChange)>,
    /// The range tombstones of the SSTs in the writer's tree, read once each (see
    /// [`super::tombstones`]); bounded by the tree.
    sst_tombstones: RefCell<SstTombstones>,
    /// The writer's tree shape at each series bucket's boundary (see [`super::tree_series`]).
    tree_series: TreeSeries,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("scenario", &self.scenario.name)
            .field("now", &self.sim.now())
            .field("finished", &self.finished())
            .finish()
    }
}

/// Queues `change` in time order, after those already queued for the same time: the order
/// a scenario lists them in, and the order live changes were made in.
fn enqueue_change(pending: &mut VecDeque<(SimTime, PlannedChange)>, change: PlannedChange) {
    let at = SimTime::from_millis(change.change.at_ms());
    let index = pending
        .iter()
        .position(|(pending_at, _)| *pending_at > at)
        .unwrap_or(pending.len());
    pending.insert(index, (at, change));
}

/// What one step of a lab did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stepped {
    Event,
    Change,
    Nothing,
}

impl Lab {
    /// Builds the run with the page's options ([`LabOptions::default`]: explain on):
    /// compiles the scenario ([`Scenario::compile`]), then plays the plan
    /// ([`Lab::from_plan`]). Nothing runs until `advance_to`, `step` or `run_to_end`.
    pub fn new(scenario: &Scenario) -> Result<Lab, LabError> {
        Lab::with_options(scenario, LabOptions::default())
    }

    /// The same, with other options.
    pub fn with_options(scenario: &Scenario, options: LabOptions) -> Result<Lab, LabError> {
        Lab::from_plan(scenario.compile()?, options)
    }

    /// Creates the simulation, the store with its faults, and the run's tasks for a compiled
    /// scenario.
    pub fn from_plan(mut plan: RunPlan, options: LabOptions) -> Result<Lab, LabError> {
        let recommender = plan.recommender.take();
        let scenario = &plan.scenario;
        let sim = Sim::with_config(
            scenario.seed,
            TraceConfig {
                ring_capacity: if options.retain_trace {
                    scenario.trace.ring_capacity
                } else {
                    0
                },
            },
            options.executor_limits,
        );
        let metrics = metrics::subscribe(&mut sim.trace_mut());
        let db_path = scenario.engine.db_path();
        let explainer = if options.explain {
            explain::subscribe(&mut sim.trace_mut(), db_path)
        } else {
            Rc::new(RefCell::new(Explainer::new(db_path)))
        };
        let handle = sim.handle();
        let store = SimStore::try_new(handle.clone(), plan.store.clone())?;
        let snapshot_handle = handle.clone();
        let world = World::start(
            &plan,
            recommender,
            Rc::new(handle.clone()),
            Rc::new(store.clone()),
            Some(store.clone()),
            Box::new(move || snapshot_handle.with_trace(|t| (t.hash(), t.total_events()))),
        )?;
        let tenants = start_tenants(
            &plan,
            Rc::new(handle.clone()),
            Rc::new(store.clone()),
            || {
                let handle = handle.clone();
                Box::new(move || handle.with_trace(|t| (t.hash(), t.total_events())))
            },
        );
        let mut pending_changes = VecDeque::new();
        for change in &plan.changes {
            enqueue_change(&mut pending_changes, change.clone());
        }
        Ok(Lab {
            scenario: plan.scenario,
            sim,
            world,
            store,
            metrics,
            explainer,
            explains: options.explain,
            tenants,
            pending_changes,
            sst_tombstones: RefCell::new(SstTombstones::new()),
            tree_series: TreeSeries::default(),
        })
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    /// When the workload stops (the run finishes a little later, once drained and checked).
    pub fn workload_end(&self) -> SimTime {
        self.world.end
    }

    /// Whether the run has finished: the scenario's own database and every tenant's.
    pub fn finished(&self) -> bool {
        self.world.finished.get().is_some() && all_finished(&self.tenants)
    }

    /// Processes events up to `until` (at most `max_events` of them, so a browser frame stays
    /// short). Setting changes due on the way apply once every event due at or before their
    /// time has run, however the run is cut into calls.
    pub fn advance_to(&mut self, until: SimTime, max_events: u64) -> Result<Progress, LabError> {
        let mut processed = 0u64;
        loop {
            // Stop at the next setting change and at the next boundary of the tree's series.
            let mut stop = match self.pending_changes.front() {
                Some((at, _)) if *at <= until => *at,
                _ => until,
            };
            stop = stop.min(self.tree_series.next_at());
            processed += self.sim.run_until(stop, max_events - processed)?;
            let settled =
                self.sim.now() == stop && self.sim.next_event_time().is_none_or(|n| n > stop);
            if settled {
                self.sample_tree_through(stop);
            }
            self.apply_due_changes()?;
            if !settled || processed >= max_events || stop == until {
                break;
            }
        }
        Ok(self.progress(processed))
    }

    /// Samples the tree at the series' boundaries up to `through`, where no event due at or
    /// before them is left.
    fn sample_tree_through(&mut self, through: SimTime) {
        let world = &self.world;
        self.tree_series
            .sample_through(through, || world.current_writer().map(|db| db.state()));
    }

    /// The writer's tree shape at each boundary of the metrics' series so far.
    pub fn tree_series(&self) -> &TreeSeries {
        &self.tree_series
    }

    /// Processes one event (one timer firing and everything it wakes), or, when a setting
    /// change is due before the next event, brings the clock to it and applies it instead.
    /// `events_processed` is 1 for either and 0 when nothing was left to do.
    pub fn step(&mut self) -> Result<Progress, LabError> {
        let stepped = self.step_once()?;
        Ok(self.progress(u64::from(stepped != Stepped::Nothing)))
    }

    fn step_once(&mut self) -> Result<Stepped, LabError> {
        if let Some((at, _)) = self.pending_changes.front() {
            let at = *at;
            if self.sim.next_event_time().is_none_or(|next| next > at) {
                // Nothing is due before the change: the clock moves to it (running whatever
                // is ready), and the change applies, after the tree's samples due by then.
                self.sample_tree_through(at);
                self.sim.run_until(at, u64::MAX)?;
                self.apply_due_changes()?;
                return Ok(Stepped::Change);
            }
        }
        // Boundaries before the next event have seen every event due by them.
        if let Some(next) = self.sim.next_event_time() {
            if next > SimTime::ZERO {
                self.sample_tree_through(SimTime::from_nanos(next.as_nanos() - 1));
            }
        }
        let stepped = self.sim.step()?;
        Ok(if stepped {
            Stepped::Event
        } else {
            Stepped::Nothing
        })
    }

    /// Applies every pending change whose time has come: the clock is at its time and no
    /// event at or before it is left. Returns whether any applied.
    fn apply_due_changes(&mut self) -> Result<bool, LabError> {
        let mut applied = false;
        while let Some((at, _)) = self.pending_changes.front() {
            let at = *at;
            let settled =
                self.sim.now() == at && self.sim.next_event_time().is_none_or(|next| next > at);
            if !settled {
                break;
            }
            let Some((_, change)) = self.pending_changes.pop_front() else {
                break;
            };
            // A change the run cannot take (a writer that cannot restart, say) is noted in
            // the trace like a refused live control; the run goes on.
            if let Err(error) = self.apply_planned(change) {
                self.world.note(format!("setting change refused: {error}"));
            }
            applied = true;
        }
        Ok(applied)
    }

    /// Applies a compiled setting change now, noted in the trace as the control it stands
    /// for.
    fn apply_planned(&mut self, planned: PlannedChange) -> Result<(), LabError> {
        let note = Control::from(planned.change).describe();
        match planned.setting {
            PlannedSetting::Workload(workload) => self.world.set_workload(workload)?,
            PlannedSetting::Engine(options) => self.world.set_engine_options(options)?,
            PlannedSetting::Store(config) => self.store.set_config(config)?,
        }
        self.world.note(note);
        Ok(())
    }

    /// The scenario's setting changes the run has applied so far, in the order they applied.
    pub fn applied_changes(&self) -> Vec<&SettingChange> {
        let changes = &self.scenario.changes;
        // Stable, like the pending queue: ties keep the scenario's order.
        let order = strata_sim::maps::stable_order(changes.iter().map(SettingChange::at_ms));
        let applied = order.len().saturating_sub(self.pending_changes.len());
        // Pushed by a loop, not a `map` and an in-place `collect`, whose instances the page
        // had for this list alone.
        let mut sorted: Vec<&SettingChange> = Vec::with_capacity(applied);
        for &position in &order[..applied] {
            sorted.push(&changes[position]);
        }
        sorted
    }

    /// Adds a setting change to the run and to its scenario, as a share link must replay it.
    /// It cannot be earlier than the current simulated time; it applies when the run reaches
    /// it (after changes already scheduled for the same millisecond).
    pub fn schedule_change(&mut self, change: SettingChange) -> Result<(), LabError> {
        let at = SimTime::from_millis(change.at_ms());
        if at < self.sim.now() {
            return Err(LabError::Control(format!(
                "a {} change at {} ms is in the past (the run is at {})",
                change.section(),
                change.at_ms(),
                self.sim.now()
            )));
        }
        let mut scenario = self.scenario.clone();
        scenario.changes.push(change);
        let mut plan = scenario.compile()?;
        let planned = plan
            .changes
            .pop()
            .expect("the compiled scenario holds the change just added");
        self.scenario = scenario;
        enqueue_change(&mut self.pending_changes, planned);
        Ok(())
    }

    fn progress(&self, events_processed: u64) -> Progress {
        Progress {
            now: self.sim.now(),
            events_processed,
            finished: self.finished(),
        }
    }

    /// Runs until the run finishes and returns its summary.
    pub fn run_to_end(&mut self) -> Result<Summary, LabError> {
        while !self.finished() {
            if self.step_once()? == Stepped::Nothing && !self.finished() {
                return Err(LabError::Stalled { at: self.sim.now() });
            }
        }
        Ok(self.summary())
    }

    /// Applies a live control at the current simulated time.
    pub fn apply(&mut self, control: Control) -> Result<(), LabError> {
        let note = control.describe();
        let world = &self.world;
        match control {
            Control::SetWorkload { workload } => world.set_workload(workload)?,
            Control::SetEngine { engine } => world.set_engine(&engine)?,
            Control::SetStore { store } => {
                store.validate()?;
                self.store.set_config(store_config(&store))?;
            }
            Control::InjectFault { fault } => {
                let now_ms = self.sim.now().as_nanos() / 1_000_000;
                let fault = fault.shifted(now_ms);
                match store_fault(&fault) {
                    Some(spec) => {
                        self.store.add_fault(spec)?;
                    }
                    None if fault.start_ms() <= now_ms => world.apply_event(&fault)?,
                    None => world.schedule_event(fault),
                }
            }
            Control::ClearStoreFaults => self.store.clear_faults(),
            Control::CrashWriter => world.crash_writer()?,
            Control::Recover => world.spawn_recover()?,
            Control::StartZombie => world.spawn_zombie()?,
        }
        world.note(note);
        Ok(())
    }

    /// The trace (retained events, counts, hash).
    pub fn trace(&self) -> Ref<'_, Trace> {
        self.sim.trace()
    }

    /// Every request so far attributed to the client operations that caused it (nothing,
    /// when the lab was built without [`LabOptions::explain`]).
    pub fn explainer(&self) -> Ref<'_, Explainer> {
        self.explainer.borrow()
    }

    /// The explain fold itself, for a view that looks up only what it shows.
    pub fn explainer_handle(&self) -> Rc<RefCell<Explainer>> {
        self.explainer.clone()
    }

    /// Whether the lab folds the explain attribution ([`LabOptions::explain`]).
    pub fn explains(&self) -> bool {
        self.explains
    }

    /// Runs until the run finishes and returns where its cost went (`strata explain`).
    /// A lab built without [`LabOptions::explain`] has nothing to say, and says so before
    /// running.
    pub fn run_to_explanation(&mut self) -> Result<(Explanation, Summary), LabError> {
        if !self.explains {
            return Err(LabError::ExplainOff);
        }
        let summary = self.run_to_end()?;
        let mut explainer = self.explainer.borrow_mut();
        explainer.settle_open();
        Ok((explainer.explanation(), summary))
    }

    /// The metrics folded from every event so far.
    pub fn metrics(&self) -> Ref<'_, Metrics> {
        self.metrics.borrow()
    }

    pub fn writer_status(&self) -> WriterStatus {
        self.world.writer_status()
    }

    /// Writers opened so far (the first, recoveries, restarts, takeovers): 0 before the
    /// first open completes.
    pub fn writers_opened(&self) -> u64 {
        self.world.writers.opens.get()
    }

    /// The current writer's state, when one is up.
    pub fn db_state(&self) -> Option<DbState> {
        self.world.current_writer().map(|db| db.state())
    }

    /// The fenced old writer's state, after a takeover.
    pub fn zombie_state(&self) -> Option<DbState> {
        self.world
            .writers
            .zombie
            .borrow()
            .as_ref()
            .map(|db| db.state())
    }

    pub fn store_stats(&self) -> StoreStats {
        self.store.stats()
    }

    /// The simulation's handle: its clock, trace and task spawner (tests and tools use it to
    /// act inside the run, e.g. to tamper with the store out of band).
    pub fn handle(&self) -> SimHandle {
        self.sim.handle()
    }

    pub fn store(&self) -> &SimStore {
        &self.store
    }

    /// Read-backs so far that showed a deleted or expired value (the summary's
    /// `writes.resurrected`; must stay 0).
    pub fn resurrected(&self) -> u64 {
        self.world.findings.resurrected.get()
    }

    pub(super) fn world(&self) -> &World {
        &self.world
    }

    pub(super) fn sst_tombstones(&self) -> &RefCell<SstTombstones> {
        &self.sst_tombstones
    }

    /// The recommender loop's full summary (series, arms, guardrails), when there is one.
    pub fn recommender_summary(&self) -> Option<RecommenderSummary> {
        self.world
            .recommender
            .looped
            .as_ref()
            .map(|looped| looped.borrow().sim().summary())
    }

    /// Recent client errors, oldest first (at most [`MAX_RECENT_ERRORS`]).
    pub fn recent_errors(&self) -> Vec<ClientError> {
        self.world
            .findings
            .recent_errors
            .borrow()
            .iter()
            .cloned()
            .collect()
    }

    /// Operations in flight now.
    pub fn in_flight(&self) -> u32 {
        self.world.workload.in_flight.get()
    }

    pub fn events_processed(&self) -> u64 {
        self.sim.events_processed()
    }

    /// The summary as of now; after the run finished, its final figures and trace hash.
    pub fn summary(&self) -> Summary {
        let metrics = self.metrics.borrow();
        summary_of(
            &self.scenario,
            &self.world,
            &metrics,
            &self.tenants,
            &self.store.stats().by_prefix,
        )
    }

    /// The summary's `tenants` rows alone (empty without tenants): one per database on the
    /// bucket, the scenario's own first. The playground draws them every frame without
    /// building the whole summary.
    pub fn tenant_rows(&self) -> Vec<TenantSummary> {
        if self.tenants.is_empty() {
            return Vec::new();
        }
        summaries(
            &self.world,
            &self.metrics.borrow(),
            &self.tenants,
            &self.store.stats().by_prefix,
        )
    }

    /// The summary's `trace_hash` alone (16 hex digits): the final hash once the run has
    /// finished, the hash so far before. The playground shows it without building the whole
    /// summary, which keeps the summary's code out of its download.
    pub fn trace_hash_hex(&self) -> String {
        format!("{:016x}", self.run_end().0)
    }

    /// The trace's hash, its event count and the time they stand at, as the summary gives
    /// them: the run's end once it finished (with tenants, once the last database finished),
    /// now before.
    fn run_end(&self) -> (u64, u64, SimTime) {
        if self.tenants.is_empty() {
            self.world.trace_hash_and_end()
        } else {
            run_end(&self.world, &self.tenants)
        }
    }

    /// The summary's `trace_events` alone.
    pub fn trace_events(&self) -> u64 {
        self.run_end().1
    }

    /// The summary's `simulated_ms` alone: the run's end once it finished, now before.
    pub fn simulated_ms(&self) -> f64 {
        self.run_end().2.as_millis_f64()
    }

    /// The summary's `lsm` alone: the tree's shape, when a writer is up.
    pub fn lsm_shape(&self) -> Option<LsmShape> {
        self.world.lsm_shape()
    }

    /// The summary's `engine` alone: the meters of the writer up now.
    pub fn amplification(&self) -> Option<Amplification> {
        self.world.amplification()
    }

    /// The summary's `reader` alone, when the scenario runs a read replica.
    pub fn reader_summary(&self) -> Option<ReaderSummary> {
        self.world.reader_summary()
    }

    /// The summary's `writes.durable_tracked` alone.
    pub fn durable_tracked(&self) -> u64 {
        self.world.durable_tracked()
    }

    /// The summary's `tasks_refused` alone: tasks the simulation refused at its live-task
    /// limit.
    pub fn tasks_refused(&self) -> u64 {
        self.world.findings.tasks_refused.get()
    }

    /// The summary's `recommender` alone, when the scenario runs the loop.
    pub fn recommender_report(&self) -> Option<RecommenderReport> {
        self.world.recommender_report()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::scenario::WorkloadSpec;

    fn change(at_ms: u64, rate_ops_per_sec: f64) -> PlannedChange {
        let workload = WorkloadSpec {
            rate_ops_per_sec,
            ..WorkloadSpec::default()
        };
        PlannedChange {
            change: SettingChange::Workload {
                at_ms,
                workload: workload.clone(),
            },
            setting: PlannedSetting::Workload(workload),
        }
    }

    #[test]
    fn changes_queue_in_time_order_and_ties_keep_the_order_they_came_in() {
        let mut pending = VecDeque::new();
        for (at_ms, rate) in [(300, 1.0), (100, 2.0), (300, 3.0), (200, 4.0), (100, 5.0)] {
            enqueue_change(&mut pending, change(at_ms, rate));
        }
        let order: Vec<(u64, f64)> = pending
            .iter()
            .map(|(at, planned)| match &planned.setting {
                PlannedSetting::Workload(w) => (at.as_nanos() / 1_000_000, w.rate_ops_per_sec),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            order,
            [(100, 2.0), (100, 5.0), (200, 4.0), (300, 1.0), (300, 3.0)]
        );
    }

    #[test]
    fn applied_changes_are_in_time_order_and_ties_keep_the_scenario_order() {
        let mut scenario = super::super::world::tiny::scenario();
        scenario.duration_ms = 1000;
        scenario.changes = [(300, 1.0), (100, 2.0), (300, 3.0), (200, 4.0), (100, 5.0)]
            .into_iter()
            .map(|(at_ms, rate)| change(at_ms, rate).change)
            .collect();
        let mut lab = Lab::new(&scenario).unwrap();
        lab.run_to_end().unwrap();
        let applied: Vec<(u64, f64)> = lab
            .applied_changes()
            .into_iter()
            .map(|change| match change {
                SettingChange::Workload { at_ms, workload } => (*at_ms, workload.rate_ops_per_sec),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            applied,
            [(100, 2.0), (100, 5.0), (200, 4.0), (300, 1.0), (300, 3.0)]
        );
    }

    #[test]
    fn the_explain_fold_changes_nothing_in_the_run_and_is_only_there_when_asked_for() {
        let mut scenario = super::super::world::tiny::scenario();
        scenario.duration_ms = 1000;
        scenario.workload.rate_ops_per_sec = 400.0;
        scenario.workload.mix.read = 0.4;
        scenario.workload.mix.write = 0.6;
        let mut explained = Lab::with_options(&scenario, LabOptions::default()).unwrap();
        let mut plain = Lab::with_options(&scenario, LabOptions::summary_only()).unwrap();
        assert!(explained.explains() && !plain.explains());
        let (explanation, summary) = explained.run_to_explanation().unwrap();
        let plain_summary = plain.run_to_end().unwrap();
        // Nor does keeping the ring of recent events, which a summary-only run leaves out.
        assert!(explained.trace().retained().len() > 100);
        assert_eq!(plain.trace().retained().len(), 0);
        assert_eq!(summary.trace_hash, plain_summary.trace_hash);
        assert_eq!(
            serde_json::to_string(&summary).unwrap(),
            serde_json::to_string(&plain_summary).unwrap()
        );
        assert!(explanation.total_usd > 0.0, "{explanation:?}");
        assert!(
            explanation.operations.contains_key("put"),
            "{explanation:?}"
        );
        // Without the fold nothing was attributed, and an explanation is refused.
        assert!(plain.explainer().explanation().operations.is_empty());
        assert!(matches!(
            plain.run_to_explanation(),
            Err(LabError::ExplainOff)
        ));
    }

    #[test]
    fn the_summarys_parts_read_alone_are_the_summarys_midway_and_at_the_end() {
        let mut scenario = super::super::world::tiny::scenario();
        scenario.duration_ms = 1000;
        scenario.workload.rate_ops_per_sec = 200.0;
        let mut lab = Lab::new(&scenario).unwrap();
        lab.advance_to(SimTime::from_millis(500), u64::MAX).unwrap();
        for at_end in [false, true] {
            if at_end {
                lab.run_to_end().unwrap();
            }
            let summary = lab.summary();
            assert_eq!(summary.finished, at_end);
            assert_eq!(lab.trace_hash_hex(), summary.trace_hash);
            assert_eq!(lab.trace_events(), summary.trace_events);
            assert_eq!(lab.simulated_ms(), summary.simulated_ms);
            assert_eq!(lab.lsm_shape(), summary.lsm);
            assert!(summary.lsm.is_some());
            assert_eq!(lab.amplification(), summary.engine);
            assert_eq!(lab.reader_summary(), summary.reader);
            assert_eq!(lab.durable_tracked(), summary.writes.durable_tracked);
            assert!(summary.writes.durable_tracked > 0);
            assert_eq!(lab.tasks_refused(), summary.tasks_refused);
            assert_eq!(lab.tenant_rows(), summary.tenants);
        }
    }

    #[test]
    fn a_tiny_run_finishes_and_its_summary_counts_each_acknowledged_write_once() {
        let mut scenario = super::super::world::tiny::scenario();
        scenario.duration_ms = 1000;
        scenario.workload.rate_ops_per_sec = 200.0;
        let summary = Lab::new(&scenario).unwrap().run_to_end().unwrap();
        assert!(summary.finished);
        let puts = *summary.operations.get("put").expect("puts ran");
        assert!(puts.ok > 100, "{puts:?}");
        assert_eq!(summary.writes.acknowledged, puts.ok);
        assert_eq!(summary.writes.lost_durable, 0);
        assert_eq!(summary.unfinished_ops, 0);
        assert_eq!(summary.writers_opened, 1);
    }
}
