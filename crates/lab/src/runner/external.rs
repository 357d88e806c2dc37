//! [`ExternalRun`]: the run's tasks on another runtime and store than the simulator's (the
//! CLI's `--store`), and [`run_scenario`], the one-call simulated run.

use super::lab::{Lab, LabOptions};
use super::summary::{summary_of, Summary};
use super::tenants::{all_finished, start_tenants, Tenant};
use super::world::{TaskKind, World};
use super::LabError;
use crate::metrics::Metrics;
use crate::scenario::{PlannedChange, PlannedSetting, Scenario, SettingChange};
use std::cell::RefCell;
use std::rc::Rc;
use strata_objstore::ObjectStore;
use strata_sim::maps::LiteMap;
use strata_sim::{RuntimeRef, SimTime};

/// A scenario played on another runtime and store than the simulator's: the CLI's
/// `--store file:///dir` runs the same workload, writer events and durability checks in real
/// time against a real object store, with the scenario's tenants beside it. Store faults and
/// bit flips need the simulated store and are refused.
pub struct ExternalRun {
    scenario: Scenario,
    world: Rc<World>,
    tenants: Vec<Tenant>,
    metrics: Rc<RefCell<Metrics>>,
}

impl ExternalRun {
    /// Starts the run's tasks on `runtime`. `metrics` must already be subscribed to the
    /// runtime's trace, and `trace_snapshot` reads that trace's hash and event count.
    pub fn start(
        scenario: &Scenario,
        runtime: RuntimeRef,
        store: Rc<dyn ObjectStore>,
        metrics: Rc<RefCell<Metrics>>,
        trace_snapshot: Box<dyn Fn() -> (u64, u64)>,
    ) -> Result<ExternalRun, LabError> {
        if let Some(change) = scenario
            .changes
            .iter()
            .find(|change| matches!(change, SettingChange::Store { .. }))
        {
            return Err(LabError::StoreChangeNeedsSimulatedStore {
                at_ms: change.at_ms(),
            });
        }
        let mut plan = scenario.compile()?;
        let recommender = plan.recommender.take();
        let snapshot: Rc<dyn Fn() -> (u64, u64)> = Rc::from(trace_snapshot);
        let own_snapshot = snapshot.clone();
        let world = World::start(
            &plan,
            recommender,
            runtime.clone(),
            store.clone(),
            None,
            Box::new(move || own_snapshot()),
        )?;
        let tenants = start_tenants(&plan, runtime, store, || {
            let snapshot = snapshot.clone();
            Box::new(move || snapshot())
        });
        // Real time has no exact moment to hold on to: each change is a task that waits for
        // its time.
        for PlannedChange { change, setting } in plan.changes {
            let task_world = world.clone();
            world.spawn(TaskKind::Background("setting change"), async move {
                task_world
                    .sleep_until(SimTime::from_millis(change.at_ms()))
                    .await;
                let applied = match setting {
                    PlannedSetting::Workload(workload) => task_world.set_workload(workload),
                    PlannedSetting::Engine(options) => task_world.set_engine_options(options),
                    PlannedSetting::Store(_) => Ok(()),
                };
                match applied {
                    Ok(()) => task_world.note(format!("change: set {}", change.section())),
                    Err(error) => task_world.note(format!("setting change refused: {error}")),
                }
            });
        }
        Ok(ExternalRun {
            scenario: scenario.clone(),
            world,
            tenants,
            metrics,
        })
    }

    /// Whether the run has finished: the scenario's own database and every tenant's.
    pub fn finished(&self) -> bool {
        self.world.finished.get().is_some() && all_finished(&self.tenants)
    }

    /// Completes when the run has finished (drained, checked and closed).
    pub async fn wait_finished(&self) {
        let worlds = std::iter::once(&self.world).chain(
            self.tenants
                .iter()
                .flat_map(|t| t.worlds.iter().map(|(_, w)| w)),
        );
        for world in worlds {
            loop {
                let notified = world.finished_notify.notified();
                if world.finished.get().is_some() {
                    break;
                }
                notified.await;
            }
        }
    }

    pub fn summary(&self) -> Summary {
        let metrics = self.metrics.borrow();
        summary_of(
            &self.scenario,
            &self.world,
            &metrics,
            &self.tenants,
            &LiteMap::new(),
        )
    }
}

/// Runs a scenario from start to finish and returns its summary (what `strata run` prints),
/// without the explain fold, which a summary does not read.
pub fn run_scenario(scenario: &Scenario) -> Result<Summary, LabError> {
    Lab::with_options(scenario, LabOptions::summary_only())?.run_to_end()
}
