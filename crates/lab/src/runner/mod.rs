//! The runner: plays a compiled scenario (a [`crate::scenario::RunPlan`]) in the simulator,
//! step by step for the playground or in one go for the CLI, and answers questions about it
//! while it runs. It checks nothing the compile step already checked.
//!
//! One [`Lab`] owns one `Sim` (seeded from the scenario), one `SimStore`, the engine's writer
//! (and, after `start_zombie`, the old writer it fenced), the workload generator, the timed
//! faults, and the metrics subscribed to the trace. Everything that happens in a run happens
//! inside simulation tasks, so a run's trace is the same however the caller slices it into
//! `advance_to` calls: a browser frame loop and `strata run` reach the same trace hash.
//!
//! The tasks:
//! - the *director* opens the first writer, lets the workload run for `duration_ms`, waits for
//!   operations in flight (at most [`DRAIN_LIMIT`]), reads back every durable write
//!   (`verify_at_end`), closes the writer and marks the run finished;
//! - the *generator* draws Poisson arrivals and spawns one task per operation, holding at most
//!   `max_in_flight` at once;
//! - one task per timed fault or writer event (crash, recover, zombie, bit flip); store faults
//!   with windows go straight into the store's fault schedule.
//!
//! While a writer is opening, operations wait for it (up to [`WRITER_WAIT_LIMIT`]); while it
//! is down, they fail at once, as clients of a crashed database see.
//!
//! Every task the lab spawns carries a `SpawnWatch`: a task the runtime refuses at its
//! live-task limit is counted (`tasks_refused`), noted in the trace and, for an operation,
//! failed with kind `refused`, and whatever it held (an in-flight slot, a verifier's place)
//! is given back, so the run degrades visibly instead of stalling.
//!
//! The modules follow a run's stages:
//! - [`world`]: what the run's tasks share, and the guards that give back what a task held;
//!   [`state`]: that state split by concern (writers, workload, findings, recommender), each
//!   part owning its transitions and asserting its invariants.
//! - one module per task: [`director`] (open, run, drain, verify, close), [`generator`]
//!   (arrivals), [`operation`] (one client operation), [`writer`] (opens, crashes, recoveries,
//!   restarts, takeovers and the zombie's writes), [`verify`] (the durability check),
//!   [`events`] (timed faults and writer events), [`reader`] (the read replica) and
//!   [`recommend`] (the recommender loop);
//! - [`lab`]: [`Lab`], which plays a scenario in the simulator and takes live controls;
//! - [`external`]: [`ExternalRun`], the same tasks on another runtime and store;
//! - [`summary`]: the JSON summary folded from the trace;
//! - [`tombstones`]: where the writer's range tombstones sit, for the page's key axis.

mod director;
mod events;
pub mod external;
mod generator;
pub mod lab;
mod operation;
mod reader;
mod recommend;
mod state;
pub mod summary;
mod tenants;
pub mod tombstones;
pub mod tree_series;
mod verify;
mod world;
mod writer;

use crate::scenario::translate::engine_options_unchecked;
use crate::scenario::{
    EngineSpec, FaultSpec, ScenarioError, SettingChange, StoreSpec, WorkloadSpec,
};
use serde::{Deserialize, Serialize};
use strata_engine::DbOptions;
use strata_objstore::sim::{ConfigError as StoreConfigError, FaultError as StoreFaultError};
use strata_recommender::RecommenderError;
use strata_sim::{RunError, SimDuration, SimTime};

pub use crate::scenario::translate::{store_config, store_fault};
pub use external::{run_scenario, ExternalRun};
pub use lab::{Lab, LabOptions};
pub use summary::{
    CostSummary, LatencySummary, LsmShape, ReaderSummary, RunShape, Summary, WriteSummary,
};
pub use tenants::{PrefixSummary, TenantSummary};

/// How long after the workload stops the director waits for operations still in flight.
pub const DRAIN_LIMIT: SimDuration = SimDuration::from_secs(120);
/// How long an operation waits for a writer that is opening before it fails.
pub const WRITER_WAIT_LIMIT: SimDuration = SimDuration::from_secs(10);
/// Pause between attempts to open a writer when opening fails (an outage, say).
pub const REOPEN_DELAY: SimDuration = SimDuration::from_secs(1);
/// Read-backs in flight at once during a durability check.
pub const VERIFY_CONCURRENCY: usize = 32;
/// Client errors kept for display, most recent last.
pub const MAX_RECENT_ERRORS: usize = 64;
/// Lost keys named in the summary (the count covers all of them).
pub const MAX_LOST_EXAMPLES: usize = 20;
/// Writes a zombie attempts before it gives up (it stops at the first `Fenced`).
pub const ZOMBIE_MAX_WRITES: u32 = 50;
/// Pause between a zombie's writes.
pub const ZOMBIE_WRITE_INTERVAL: SimDuration = SimDuration::from_millis(100);

/// Why a lab could not be built, or a control could not be applied. Each owner's refusal
/// keeps its typed error as the source.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("the store refused its configuration: {0}")]
    StoreConfig(#[from] StoreConfigError),
    /// A store change in a scenario run against a real store.
    #[error("the store refused its configuration: the scenario changes the store's settings at {at_ms} ms, which needs the simulated store")]
    StoreChangeNeedsSimulatedStore { at_ms: u64 },
    #[error("the store refused a fault: {0}")]
    Fault(#[from] StoreFaultError),
    /// A store fault or a bit flip in a run against a real store.
    #[error("the store refused a fault: store faults need the simulated store")]
    FaultNeedsSimulatedStore,
    #[error("the store refused a fault: {kind} is not a store fault")]
    NotAStoreFault { kind: &'static str },
    #[error("the engine refused its options: {0}")]
    EngineOptions(#[source] strata_engine::Error),
    #[error("the simulation stopped: {0}")]
    Simulation(#[from] RunError),
    /// Nothing is left to run, yet the director has not finished the run.
    #[error("the simulation stopped: nothing left to run at {at} but the run has not finished")]
    Stalled { at: SimTime },
    #[error("the recommender refused its configuration: {0}")]
    Recommender(#[from] RecommenderError),
    /// An explanation asked of a lab built without the explain fold.
    #[error("this run was built without the explain fold (LabOptions::explain)")]
    ExplainOff,
    /// A live control the run cannot take now (the lab's own rule, named in the message).
    #[error("{0}")]
    Control(String),
}

/// The engine options an engine section asks for, checked by the engine (what a live engine
/// control runs with; a scenario's own sections are checked by its compile step).
pub fn engine_options(spec: &EngineSpec) -> Result<DbOptions, LabError> {
    let options = engine_options_unchecked(spec);
    options.validate().map_err(LabError::EngineOptions)?;
    Ok(options)
}

/// A change made while the run goes on (the playground's controls).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "control", rename_all = "snake_case")]
pub enum Control {
    /// Rate, mix, keys, value sizes, await-durable: from the next arrival on.
    SetWorkload {
        workload: WorkloadSpec,
    },
    /// New engine options: the writer restarts cleanly (close, then open) to take them.
    SetEngine {
        engine: EngineSpec,
    },
    /// A new preset or parameters for the store, for requests sent from now on.
    SetStore {
        store: StoreSpec,
    },
    /// A fault whose times count from now (`at_ms: 0` is now).
    InjectFault {
        fault: FaultSpec,
    },
    /// Removes every store fault (windows included).
    ClearStoreFaults,
    CrashWriter,
    Recover,
    StartZombie,
}

impl From<SettingChange> for Control {
    fn from(change: SettingChange) -> Control {
        match change {
            SettingChange::Workload { workload, .. } => Control::SetWorkload { workload },
            SettingChange::Engine { engine, .. } => Control::SetEngine { engine },
            SettingChange::Store { store, .. } => Control::SetStore { store },
        }
    }
}

impl Control {
    /// The scenario change that makes this control happen at `at_ms`, for the controls a
    /// scenario can hold (workload, engine, store); `None` for the others.
    pub fn at(&self, at_ms: u64) -> Option<SettingChange> {
        match self {
            Control::SetWorkload { workload } => Some(SettingChange::Workload {
                at_ms,
                workload: workload.clone(),
            }),
            Control::SetEngine { engine } => Some(SettingChange::Engine {
                at_ms,
                engine: engine.clone(),
            }),
            Control::SetStore { store } => Some(SettingChange::Store {
                at_ms,
                store: store.clone(),
            }),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Control::SetWorkload { .. } => "control: set workload".to_string(),
            Control::SetEngine { .. } => "control: set engine options".to_string(),
            Control::SetStore { store } => {
                format!("control: set store ({})", store.preset.as_str())
            }
            Control::InjectFault { fault } => format!("control: inject {}", fault.kind()),
            Control::ClearStoreFaults => "control: clear store faults".to_string(),
            Control::CrashWriter => "control: crash writer".to_string(),
            Control::Recover => "control: recover".to_string(),
            Control::StartZombie => "control: start zombie".to_string(),
        }
    }
}

/// Where the writer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriterStatus {
    Up,
    /// A writer is opening (first open, recovery, restart or takeover).
    Opening,
    /// Crashed and not recovering.
    Down,
}

/// What one `advance_to` or `step` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub now: SimTime,
    pub events_processed: u64,
    pub finished: bool,
}

/// A client operation that failed, for the playground's error list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientError {
    pub at: SimTime,
    pub op: String,
    pub kind: String,
    pub message: String,
}
