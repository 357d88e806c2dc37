//! The runner: plays a scenario in the simulator, step by step for the playground or in one
//! go for the CLI, and answers questions about it while it runs.
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

use crate::durability::{DurabilityModel, KeyRecord, ReadBack};
use crate::metrics::{self, LatencyPercentiles, Metrics, OpCounts};
use crate::recommender::{LoopPlan, RecommenderReport};
use crate::scenario::{
    CompactionSpec, EngineSpec, FaultOp, FaultSpec, LatencySpec, Scenario, ScenarioError,
    SettingChange, StorePreset, StoreSpec, WorkloadSpec,
};
use crate::workload::{self, DrawnOp, OpGenerator, OpKind};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, Ref, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use strata_engine::{
    Amplification, BackpressureMode, BackpressureOptions, CompactionOptions, CompactionStyle, Db,
    DbOptions, DbState, ErrorKind, HedgeOptions, ReadOptions, Reader, ReaderOptions,
    ReaderStaleness, WriteBatch, WriteOptions,
};
use strata_objstore::sim::{FaultAction, FaultSpec as StoreFaultSpec, LatencyDist};
use strata_objstore::{ObjectStore, SimStore, SimStoreConfig, StoreStats};
use strata_recommender::log::{record_step_events, EngineLogger, LogStats};
use strata_recommender::simulation::{RecommenderSim, RecommenderSummary};
use strata_recommender::Policy;
use strata_sim::maps::btree_map;
use strata_sim::sync::{race, timeout, Either, Notify};
use strata_sim::{
    EventKind, ExecutorLimits, LocalBoxFuture, RuntimeRef, Sim, SimDuration, SimHandle, SimRng,
    SimTime, StoreOp, Trace, TraceConfig,
};

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

/// Why a lab could not be built, or a control could not be applied.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error("the store refused its configuration: {0}")]
    StoreConfig(String),
    #[error("the store refused a fault: {0}")]
    Fault(String),
    #[error("the engine refused its options: {0}")]
    EngineOptions(String),
    #[error("the simulation stopped: {0}")]
    Simulation(String),
    #[error("the recommender refused its configuration: {0}")]
    Recommender(String),
    #[error("{0}")]
    Control(String),
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Finished {
    at: SimTime,
    trace_hash: u64,
    trace_events: u64,
}

enum WriterSlot {
    Up(Rc<Db>),
    Opening,
    Down,
}

/// Everything the run's tasks share.
struct World {
    runtime: RuntimeRef,
    /// The simulated store, for faults; `None` against a real store.
    sim_store: Option<SimStore>,
    store_port: Rc<dyn ObjectStore>,
    /// The trace's hash and event count now (the runtime owns the trace).
    trace_snapshot: Box<dyn Fn() -> (u64, u64)>,
    path: String,
    end: SimTime,
    options: RefCell<DbOptions>,
    /// Bumped whenever `options` changes, so an open that started before a change can tell.
    options_version: Cell<u64>,
    writer: RefCell<WriterSlot>,
    writer_changed: Notify,
    /// The old writer after a takeover, until the run ends.
    zombie: RefCell<Option<Rc<Db>>>,
    generator: RefCell<OpGenerator>,
    await_durable: Cell<bool>,
    key_bytes: Cell<u32>,
    scan_keys: Cell<u32>,
    max_in_flight: Cell<u32>,
    workload_changed: Notify,
    in_flight: Cell<u32>,
    in_flight_changed: Notify,
    next_write_id: Cell<u64>,
    model: RefCell<DurabilityModel>,
    lost_examples: RefCell<Vec<String>>,
    recent_errors: RefCell<VecDeque<ClientError>>,
    fault_rng: RefCell<SimRng>,
    zombie_rng: RefCell<SimRng>,
    finished: Cell<Option<Finished>>,
    finished_notify: Notify,
    verify_at_end: bool,
    /// Writers opened so far (the first, recoveries, restarts, takeovers).
    opens: Cell<u64>,
    /// The recommender loop's simulation, when the scenario has one.
    recommender: Option<Rc<RefCell<RecommenderSim>>>,
    recommender_log: Cell<LogStats>,
    recommender_log_failures: Cell<u64>,
    /// The read replica, when the scenario asks for one (opened at the start of the run).
    reader: RefCell<Option<Rc<Reader>>>,
    /// Tasks the runtime refused at its task limit (see [`SpawnWatch`]).
    tasks_refused: Cell<u64>,
}

/// A scenario being played.
pub struct Lab {
    scenario: Scenario,
    sim: Sim,
    world: Rc<World>,
    store: SimStore,
    metrics: Rc<RefCell<Metrics>>,
    /// The scenario's setting changes not yet applied, in time order (ties in scenario order).
    /// Bounded by `MAX_CHANGES`.
    pending_changes: VecDeque<(SimTime, SettingChange)>,
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

fn latency_dist(spec: LatencySpec) -> LatencyDist {
    LatencyDist::new(spec.p50_ms, spec.p99_ms)
}

/// Dollars per thousand requests to picodollars per request (rounded to the nearest).
fn per_request_picousd(usd_per_1000: f64) -> u64 {
    (usd_per_1000 * 1e9).round() as u64
}

/// The store configuration a scenario asks for: its preset, with overrides applied.
pub fn store_config(spec: &StoreSpec) -> SimStoreConfig {
    let mut config = match spec.preset {
        StorePreset::S3Standard => SimStoreConfig::s3_standard(),
        StorePreset::S3Express => SimStoreConfig::s3_express(),
        StorePreset::Instant => SimStoreConfig::instant(),
    };
    let mut custom = false;
    if let Some(latency) = spec.get_latency {
        config.latency.get = latency_dist(latency);
        config.latency.head = latency_dist(latency);
        custom = true;
    }
    if let Some(latency) = spec.put_latency {
        config.latency.put = latency_dist(latency);
        custom = true;
    }
    if let Some(latency) = spec.list_latency {
        config.latency.list = latency_dist(latency);
        custom = true;
    }
    if let Some(latency) = spec.delete_latency {
        config.latency.delete = latency_dist(latency);
        custom = true;
    }
    if let Some(bandwidth) = spec.bandwidth_bytes_per_sec {
        config.latency.bandwidth_bytes_per_sec = bandwidth.round() as u64;
        custom = true;
    }
    if let Some(limit) = spec.put_limit_per_sec {
        config.throttle.enabled = true;
        config.throttle.write_requests_per_sec = limit.round().clamp(1.0, u32::MAX as f64) as u32;
        custom = true;
    }
    if let Some(limit) = spec.get_limit_per_sec {
        config.throttle.enabled = true;
        config.throttle.read_requests_per_sec = limit.round().clamp(1.0, u32::MAX as f64) as u32;
        custom = true;
    }
    if let Some(ms) = spec.request_timeout_ms {
        config.request_timeout = SimDuration::from_millis_f64(ms);
        custom = true;
    }
    if let Some(price) = spec.put_usd_per_1000 {
        config.pricing.put_list_request_picousd = per_request_picousd(price);
        custom = true;
    }
    if let Some(price) = spec.list_usd_per_1000 {
        // S3 bills LIST with PUT; a separate LIST price sets the shared class.
        config.pricing.put_list_request_picousd = per_request_picousd(price);
        custom = true;
    }
    if let Some(price) = spec.get_usd_per_1000 {
        config.pricing.get_head_request_picousd = per_request_picousd(price);
        custom = true;
    }
    if let Some(price) = spec.storage_usd_per_gb_month {
        config.pricing.storage_picousd_per_gib_month = (price * 1e12).round() as u64;
        custom = true;
    }
    if custom {
        config.name = format!("{} (custom)", spec.preset.as_str());
    }
    config
}

/// The engine options a scenario asks for: the engine's defaults, with overrides applied,
/// checked by the engine.
pub fn engine_options(spec: &EngineSpec) -> Result<DbOptions, LabError> {
    let options = engine_options_unchecked(spec);
    options
        .validate()
        .map_err(|e| LabError::EngineOptions(e.to_string()))?;
    Ok(options)
}

/// The same options, before the engine has checked them (the resource budget reads their
/// sizes; [`check_owners`] asks the engine).
pub(crate) fn engine_options_unchecked(spec: &EngineSpec) -> DbOptions {
    let mut options = DbOptions::default();
    let usize_of = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    if let Some(ms) = spec.flush_interval_ms {
        options.flush_interval = SimDuration::from_millis_f64(ms);
    }
    if let Some(bytes) = spec.max_wal_bytes {
        options.max_wal_bytes = usize_of(bytes);
    }
    if let Some(bytes) = spec.memtable_bytes {
        options.memtable_bytes = usize_of(bytes);
    }
    if let Some(count) = spec.max_immutable_memtables {
        options.max_immutable_memtables = count as usize;
    }
    if let Some(bytes) = spec.block_bytes {
        options.block_bytes = usize_of(bytes);
    }
    if let Some(bits) = spec.bloom_bits_per_key {
        options.bloom_bits_per_key = bits;
    }
    if let Some(bytes) = spec.block_cache_bytes {
        options.block_cache_bytes = usize_of(bytes);
    }
    if let Some(ms) = spec.gc_interval_ms {
        options.gc_interval = SimDuration::from_millis_f64(ms);
    }
    if let Some(ms) = spec.gc_min_age_ms {
        options.gc_min_age = SimDuration::from_millis_f64(ms);
    }
    if let Some(compaction) = &spec.compaction {
        options.compaction = compaction_options(compaction, options.memtable_bytes);
    }
    if let Some(backpressure) = &spec.backpressure {
        options.backpressure = BackpressureOptions {
            mode: match backpressure.mode.as_deref() {
                Some("reject") => BackpressureMode::Reject,
                _ => BackpressureMode::Stall,
            },
            max_l0_ssts: backpressure.max_l0_ssts.map_or(0, usize_of),
            max_unflushed_bytes: backpressure.max_unflushed_bytes.map_or(0, usize_of),
        };
    }
    if let Some(attempts) = spec.store_max_attempts {
        options.store_max_attempts = attempts;
    }
    if let Some(ms) = spec.retry_base_delay_ms {
        options.store_retry_delay = SimDuration::from_millis_f64(ms);
    }
    if let Some(ms) = spec.retry_max_delay_ms {
        options.store_retry_max_delay = SimDuration::from_millis_f64(ms);
    }
    if let Some(ms) = spec.retry_deadline_ms {
        options.store_retry_deadline = SimDuration::from_millis_f64(ms);
    }
    if let Some(percentile) = spec.hedge_percentile {
        options.hedge = HedgeOptions::Percentile {
            percentile,
            min_samples: 50,
        };
    }
    if let Some(ms) = spec.hedge_delay_ms {
        options.hedge = HedgeOptions::Delay {
            delay: SimDuration::from_millis_f64(ms),
        };
    }
    options
}

/// Asks the owner of each value in the scenario whether it accepts it: the engine its
/// options (the scenario's and every engine change's), the simulated store its
/// configuration (likewise) and each store fault, the recommender its population, policy,
/// guardrails and log. The scenario's own field checks come first and catch most values
/// with the field named; this catches what only an owner knows (the engine's 16 MiB block
/// cap, say), so that whatever validates also runs. Called by [`Scenario::validate`], the one
/// path `strata validate`, `strata run` and the playground all take.
pub(crate) fn check_owners(scenario: &Scenario) -> Result<(), ScenarioError> {
    fn refused(field: String, owner: &str, error: impl std::fmt::Display) -> ScenarioError {
        ScenarioError::Invalid {
            field,
            reason: format!("the {owner} refuses it: {error}"),
        }
    }
    let mut engines = vec![("engine".to_string(), &scenario.engine)];
    let mut stores = vec![("store".to_string(), &scenario.store)];
    for (index, change) in scenario.changes.iter().enumerate() {
        match change {
            SettingChange::Engine { engine, .. } => {
                engines.push((format!("changes[{index}].engine"), engine))
            }
            SettingChange::Store { store, .. } => {
                stores.push((format!("changes[{index}].store"), store))
            }
            SettingChange::Workload { .. } => {}
        }
    }
    for (field, spec) in engines {
        engine_options_unchecked(spec)
            .validate()
            .map_err(|e| refused(field, "engine", e))?;
    }
    for (field, spec) in stores {
        store_config(spec)
            .validate()
            .map_err(|e| refused(field, "simulated store", e))?;
    }
    for (index, fault) in scenario.faults.iter().enumerate() {
        if let Some(spec) = store_fault(fault) {
            spec.validate()
                .map_err(|e| refused(format!("faults[{index}]"), "simulated store", e))?;
        }
    }
    if let Some(spec) = &scenario.recommender {
        let plan = crate::recommender::plan(spec)
            .map_err(|e| refused("recommender.log".to_string(), "recommender", e))?;
        let config = &plan.config;
        config
            .population
            .validate()
            .map_err(|e| refused("recommender.population".to_string(), "recommender", e))?;
        config
            .guardrails
            .validate()
            .map_err(|e| refused("recommender.guardrails".to_string(), "recommender", e))?;
        // One arm is enough to check every parameter without sizing a model by the catalogue.
        config
            .policy
            .build(1)
            .map_err(|e| refused("recommender.policy".to_string(), "recommender", e))?;
    }
    Ok(())
}

/// The engine's compaction options for a scenario's compaction section: the style's
/// defaults (leveled: base level of four memtables, ratio 10), with overrides applied.
fn compaction_options(spec: &CompactionSpec, memtable_bytes: usize) -> CompactionOptions {
    let usize_of = |value: u32| value as usize;
    let style = match spec.style.as_str() {
        "size_tiered" => {
            let CompactionStyle::SizeTiered {
                l0_trigger,
                min_merge_runs,
                max_runs,
                size_ratio,
            } = CompactionStyle::size_tiered()
            else {
                unreachable!("size_tiered() is size-tiered")
            };
            CompactionStyle::SizeTiered {
                l0_trigger: spec.l0_trigger.map_or(l0_trigger, usize_of),
                min_merge_runs: spec.min_merge_runs.map_or(min_merge_runs, usize_of),
                max_runs: spec.max_runs.map_or(max_runs, usize_of),
                size_ratio: spec.size_ratio.unwrap_or(size_ratio),
            }
        }
        "leveled" => {
            let base = (4 * memtable_bytes) as u64;
            let CompactionStyle::Leveled {
                l0_trigger,
                level_base_bytes,
                level_ratio,
                max_levels,
            } = CompactionStyle::leveled(base)
            else {
                unreachable!("leveled() is leveled")
            };
            CompactionStyle::Leveled {
                l0_trigger: spec.l0_trigger.map_or(l0_trigger, usize_of),
                level_base_bytes: spec.level_base_bytes.unwrap_or(level_base_bytes),
                level_ratio: spec.level_ratio.unwrap_or(level_ratio),
                max_levels: spec.max_levels.unwrap_or(max_levels),
            }
        }
        _ => CompactionStyle::None,
    };
    let defaults = CompactionOptions::default();
    CompactionOptions {
        style,
        target_sst_bytes: spec.target_sst_bytes.unwrap_or(defaults.target_sst_bytes),
    }
}

fn store_op(op: FaultOp) -> StoreOp {
    match op {
        FaultOp::Get => StoreOp::Get,
        FaultOp::Head => StoreOp::Head,
        FaultOp::Put => StoreOp::Put,
        FaultOp::List => StoreOp::List,
        FaultOp::Delete => StoreOp::Delete,
    }
}

/// The store fault a scenario fault becomes, if it is one.
pub fn store_fault(fault: &FaultSpec) -> Option<StoreFaultSpec> {
    let action = match fault {
        FaultSpec::ServerErrors { .. } => FaultAction::ServerError,
        FaultSpec::Timeouts {
            applied_probability,
            ..
        } => FaultAction::Timeout {
            applied_probability: *applied_probability,
        },
        FaultSpec::Throttle { .. } => FaultAction::Throttle,
        FaultSpec::LostAcks { .. } => FaultAction::LostAck,
        FaultSpec::Slow { multiplier, .. } => FaultAction::Slow {
            multiplier: *multiplier,
        },
        FaultSpec::BitFlips { .. } => FaultAction::BitFlipOnPut,
        FaultSpec::Outage { from_ms, until_ms } => {
            return Some(StoreFaultSpec::always(FaultAction::Outage).with_window(
                SimTime::from_millis(*from_ms),
                SimTime::from_millis(*until_ms),
            ));
        }
        FaultSpec::BitFlip { .. }
        | FaultSpec::CrashWriter { .. }
        | FaultSpec::Recover { .. }
        | FaultSpec::StartZombie { .. } => return None,
    };
    let window = fault.window()?;
    let mut spec = StoreFaultSpec::always(action)
        .with_window(
            SimTime::from_millis(window.from_ms),
            window.until_ms.map_or(SimTime::MAX, SimTime::from_millis),
        )
        .with_probability(window.probability);
    if !window.ops.is_empty() {
        let ops: Vec<StoreOp> = window.ops.iter().copied().map(store_op).collect();
        spec = spec.with_ops(&ops);
    }
    if !window.prefix.is_empty() {
        spec = spec.with_key_prefix(&window.prefix);
    }
    Some(spec)
}

/// One of the workload's in-flight slots. It is taken before the operation's task is spawned
/// and moved into it, so the slot comes back however the operation ends: when it finishes,
/// fails, or never starts because the runtime refused the task (a refused future is dropped
/// unpolled, and this guard with it).
struct InFlightGuard {
    world: Rc<World>,
}

impl InFlightGuard {
    fn take(world: &Rc<World>) -> InFlightGuard {
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
struct SpawnWatch {
    world: Rc<World>,
    what: TaskKind,
    started: bool,
}

/// What a watched task was, for the refusal's note.
#[derive(Clone, Copy)]
enum TaskKind {
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
struct WorkerDone {
    remaining: Rc<Cell<usize>>,
    done: Notify,
}

impl Drop for WorkerDone {
    fn drop(&mut self) {
        self.remaining.set(self.remaining.get() - 1);
        self.done.notify_waiters();
    }
}

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Fenced => "fenced",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Invalid => "invalid",
        ErrorKind::Corrupt => "corrupt",
        ErrorKind::Closed => "closed",
    }
}

impl World {
    fn now(&self) -> SimTime {
        self.runtime.now()
    }

    fn record(&self, kind: EventKind) {
        self.runtime.record(kind);
    }

    fn sleep(&self, duration: SimDuration) -> LocalBoxFuture<'static, ()> {
        self.runtime.sleep(duration)
    }

    fn sleep_until(&self, deadline: SimTime) -> LocalBoxFuture<'static, ()> {
        self.runtime.sleep(deadline.saturating_since(self.now()))
    }

    /// Spawns one of the run's tasks, watched for refusal (see [`SpawnWatch`]).
    fn spawn(
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

    fn sim_store(&self) -> Result<&SimStore, LabError> {
        self.sim_store
            .as_ref()
            .ok_or_else(|| LabError::Fault("store faults need the simulated store".to_string()))
    }

    fn note(&self, text: impl Into<String>) {
        self.record(EventKind::Note { text: text.into() });
    }

    fn writer_status(&self) -> WriterStatus {
        match &*self.writer.borrow() {
            WriterSlot::Up(_) => WriterStatus::Up,
            WriterSlot::Opening => WriterStatus::Opening,
            WriterSlot::Down => WriterStatus::Down,
        }
    }

    fn current_writer(&self) -> Option<Rc<Db>> {
        match &*self.writer.borrow() {
            WriterSlot::Up(db) => Some(db.clone()),
            _ => None,
        }
    }

    fn set_writer(&self, slot: WriterSlot) {
        *self.writer.borrow_mut() = slot;
        self.writer_changed.notify_waiters();
    }

    fn push_error(&self, op: &str, kind: &str, message: String) {
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

    fn record_op(&self, op: &str, bytes: u64, start: SimTime, ok: bool, durable: bool) {
        self.record(EventKind::ClientOp {
            op: op.to_string(),
            bytes,
            start,
            ok,
            durable,
        });
    }

    fn take_write_id(&self) -> u64 {
        let id = self.next_write_id.get();
        self.next_write_id.set(id + 1);
        id
    }

    /// Moves every pending in-memory write at or below `db`'s durable watermark into the
    /// durable model.
    fn sync_watermark(&self, db: &Db) {
        self.model.borrow_mut().durable_through(db.durable_seq());
    }

    /// The writer for an operation: the current one, or the next one if it is opening (for at
    /// most `WRITER_WAIT_LIMIT`). `None` when the writer is down.
    async fn writer_for_op(self: &Rc<Self>) -> Option<Rc<Db>> {
        let deadline = self.now() + WRITER_WAIT_LIMIT;
        loop {
            match self.writer_status() {
                WriterStatus::Up => return self.current_writer(),
                WriterStatus::Down => return None,
                WriterStatus::Opening => {
                    let now = self.now();
                    if now >= deadline {
                        return None;
                    }
                    let changed = self.writer_changed.notified();
                    if let Either::Right(()) =
                        race(changed, self.sleep(deadline.saturating_since(now))).await
                    {
                        return None;
                    }
                }
            }
        }
    }

    /// Opens the read replica once the first writer is up, retrying while the store fails.
    async fn follow(self: Rc<Self>, poll_interval: SimDuration) {
        while self.current_writer().is_none() && self.finished.get().is_none() {
            self.writer_changed.notified().await;
        }
        let options = ReaderOptions {
            poll_interval,
            ..ReaderOptions::default()
        };
        while self.finished.get().is_none() {
            match Reader::open(
                self.runtime.clone(),
                self.store_port.clone(),
                &self.path,
                options.clone(),
            )
            .await
            {
                Ok(reader) => {
                    *self.reader.borrow_mut() = Some(Rc::new(reader));
                    return;
                }
                Err(error) => {
                    self.note(format!("reader open failed: {error}"));
                    self.sleep(REOPEN_DELAY).await;
                }
            }
        }
    }

    /// Opens a writer, retrying after `REOPEN_DELAY` while the store fails, until the run
    /// finishes. Returns the new writer.
    async fn open_writer(self: &Rc<Self>, reason: &str) -> Option<Rc<Db>> {
        let mut attempts = 0u64;
        loop {
            attempts += 1;
            let options = self.options.borrow().clone();
            let version = self.options_version.get();
            match Db::open(
                self.runtime.clone(),
                self.store_port.clone(),
                &self.path,
                options,
            )
            .await
            {
                Ok(db) => {
                    self.opens.set(self.opens.get() + 1);
                    if self.options_version.get() != version && self.finished.get().is_none() {
                        // The options changed while this open ran: close cleanly and open
                        // again with the new ones, as a restart would.
                        self.note(format!("{reason}: reopening to take new engine options"));
                        if let Err(error) = db.close().await {
                            self.note(format!("{reason}: close failed: {error}"));
                        }
                        continue;
                    }
                    return Some(Rc::new(db));
                }
                Err(error) => {
                    self.note(format!("{reason}: open attempt {attempts} failed: {error}"));
                    if error.kind() == ErrorKind::Invalid || self.finished.get().is_some() {
                        return None;
                    }
                    self.sleep(REOPEN_DELAY).await;
                }
            }
        }
    }

    /// Runs one drawn operation against the writer and records it.
    async fn run_op(self: Rc<Self>, op: DrawnOp, _slot: InFlightGuard) {
        let start = self.now();
        let name = op.kind.as_str();
        let key_bytes = self.key_bytes.get();
        let await_durable = self.await_durable.get();
        let write_options = WriteOptions { await_durable };
        // Write ids are taken and writes registered before the first await, in issue order.
        let mut write_ids = Vec::new();
        if op.kind.is_write() {
            let mut model = self.model.borrow_mut();
            for key in &op.keys {
                let id = self.take_write_id();
                model.issued(*key, id, op.kind == OpKind::Delete);
                write_ids.push(id);
            }
        }
        let Some(db) = self.writer_for_op().await else {
            let mut model = self.model.borrow_mut();
            for (key, id) in op.keys.iter().zip(&write_ids) {
                model.failed(*key, *id);
            }
            drop(model);
            self.push_error(name, "closed", "no writer is up".to_string());
            self.record_op(name, 0, start, false, false);
            return;
        };
        let result: Result<u64, strata_engine::Error> = match op.kind {
            OpKind::Put => {
                let key = workload::key_for(op.keys[0], key_bytes);
                let value = workload::value_for(write_ids[0], op.value_bytes[0]);
                let bytes = (key.len() + value.len()) as u64;
                db.put(&key, &value, write_options).await.map(|()| bytes)
            }
            OpKind::Delete => {
                let key = workload::key_for(op.keys[0], key_bytes);
                let bytes = key.len() as u64;
                db.delete(&key, write_options).await.map(|()| bytes)
            }
            OpKind::Batch => {
                let mut batch = WriteBatch::new();
                let mut bytes = 0u64;
                for ((key, id), len) in op.keys.iter().zip(&write_ids).zip(&op.value_bytes) {
                    let key = workload::key_for(*key, key_bytes);
                    let value = workload::value_for(*id, *len);
                    bytes += (key.len() + value.len()) as u64;
                    batch.put(key, value);
                }
                db.write(&batch, write_options).await.map(|()| bytes)
            }
            OpKind::Get => {
                let key = workload::key_for(op.keys[0], key_bytes);
                db.get(&key, ReadOptions::default())
                    .await
                    .map(|value| value.map_or(0, |v| v.len() as u64))
            }
            OpKind::Scan => {
                let from = workload::key_for(op.keys[0], key_bytes);
                scan_bytes(&db, from, self.scan_keys.get() as usize).await
            }
        };
        match result {
            Ok(bytes) => {
                if op.kind.is_write() {
                    let mut model = self.model.borrow_mut();
                    // Nothing awaited since the write returned, so the acknowledged watermark
                    // is this write's sequence number.
                    let seq = db.acknowledged_seq();
                    for (key, id) in op.keys.iter().zip(&write_ids) {
                        if await_durable {
                            model.acknowledged_durable(*key, *id);
                        } else {
                            model.acknowledged_in_memory(*key, *id, seq);
                        }
                    }
                    drop(model);
                    self.sync_watermark(&db);
                }
                self.record_op(
                    name,
                    bytes,
                    start,
                    true,
                    op.kind.is_write() && await_durable,
                );
            }
            Err(error) => {
                {
                    let mut model = self.model.borrow_mut();
                    for (key, id) in op.keys.iter().zip(&write_ids) {
                        model.failed(*key, *id);
                    }
                }
                self.push_error(name, kind_name(error.kind()), error.to_string());
                self.record_op(name, 0, start, false, false);
            }
        }
    }

    /// Reads back every key with a durable write and records how many were lost.
    async fn verify(self: &Rc<Self>, db: Rc<Db>, reason: &str) {
        let snapshot: Vec<(u64, KeyRecord)> = self.model.borrow().snapshot().into_iter().collect();
        let queue = Rc::new(RefCell::new(VecDeque::from(snapshot)));
        let tally = Rc::new(Cell::new((0u64, 0u64, 0u64))); // (checked, lost, unreadable)
        let remaining = Rc::new(Cell::new(VERIFY_CONCURRENCY));
        let done = Notify::new();
        for _ in 0..VERIFY_CONCURRENCY {
            let world = self.clone();
            let db = db.clone();
            let queue = queue.clone();
            let tally = tally.clone();
            let remaining = remaining.clone();
            let done = done.clone();
            // Counts this worker down however it ends, refused at spawn included: a
            // verification must not wait for a worker that never ran.
            let worker_done = WorkerDone {
                remaining: remaining.clone(),
                done: done.clone(),
            };
            self.spawn(TaskKind::Background("durability check"), async move {
                loop {
                    let Some((key, record)) = queue.borrow_mut().pop_front() else {
                        break;
                    };
                    let key_bytes = workload::key_for(key, world.key_bytes.get());
                    let read = match db.get(&key_bytes, ReadOptions::default()).await {
                        Ok(None) => ReadBack::Absent,
                        Ok(Some(value)) => {
                            workload::write_id_of(&value).map_or(ReadBack::Foreign, ReadBack::Value)
                        }
                        Err(_) => {
                            let (c, l, u) = tally.get();
                            tally.set((c, l, u + 1));
                            continue;
                        }
                    };
                    let later_delete = world.model.borrow().last_delete(key);
                    let ok = DurabilityModel::read_is_acceptable(&record, read, later_delete);
                    let (c, l, u) = tally.get();
                    tally.set((c + 1, l + u64::from(!ok), u));
                    if !ok {
                        let mut examples = world.lost_examples.borrow_mut();
                        if examples.len() < MAX_LOST_EXAMPLES {
                            examples.push(format!(
                                "{}: read {read:?}, expected a write id >= {}",
                                String::from_utf8_lossy(&key_bytes),
                                record.threshold.unwrap_or(0)
                            ));
                        }
                    }
                }
                drop(worker_done);
            });
        }
        loop {
            // Take the notification future before checking, so a wake in between is kept.
            let notified = done.notified();
            if remaining.get() == 0 {
                break;
            }
            notified.await;
        }
        let (checked, lost, unreadable) = tally.get();
        if unreadable > 0 {
            self.note(format!(
                "{reason}: {unreadable} keys could not be read back (store or writer errors)"
            ));
        }
        self.record(EventKind::DurabilityChecked {
            keys_checked: checked,
            lost,
        });
    }

    /// Crashes the writer now.
    fn crash_writer(self: &Rc<Self>) -> Result<(), LabError> {
        let Some(db) = self.current_writer() else {
            return Err(LabError::Control(
                "crash: no writer is up (it is down or still opening)".to_string(),
            ));
        };
        self.sync_watermark(&db);
        self.model.borrow_mut().writer_lost();
        db.crash();
        self.set_writer(WriterSlot::Down);
        Ok(())
    }

    /// Opens a new writer after a crash, then reads back every durable write.
    fn spawn_recover(self: &Rc<Self>) -> Result<(), LabError> {
        if self.writer_status() != WriterStatus::Down {
            return Err(LabError::Control(
                "recover: the writer is not down (crash it first)".to_string(),
            ));
        }
        self.set_writer(WriterSlot::Opening);
        let world = self.clone();
        self.spawn(TaskKind::Background("recovery"), async move {
            match world.open_writer("recover").await {
                Some(db) => {
                    world.set_writer(WriterSlot::Up(db.clone()));
                    world.verify(db, "recover").await;
                }
                None => world.set_writer(WriterSlot::Down),
            }
        });
        Ok(())
    }

    /// Opens a second writer while the first runs; the first becomes a zombie.
    fn spawn_zombie(self: &Rc<Self>) -> Result<(), LabError> {
        let Some(old) = self.current_writer() else {
            return Err(LabError::Control(
                "start zombie: no writer is up to become the zombie".to_string(),
            ));
        };
        if self.zombie.borrow().is_some() {
            return Err(LabError::Control(
                "start zombie: a zombie is already running".to_string(),
            ));
        }
        let world = self.clone();
        self.spawn(TaskKind::Background("takeover"), async move {
            // The old writer keeps serving while the new one opens, as in a real takeover
            // where nobody told the old process it was replaced.
            let Some(new) = world.open_writer("takeover").await else {
                return;
            };
            world.sync_watermark(&old);
            world.model.borrow_mut().writer_lost();
            *world.zombie.borrow_mut() = Some(old.clone());
            world.set_writer(WriterSlot::Up(new.clone()));
            let zombie_world = world.clone();
            world.spawn(TaskKind::Background("zombie writes"), async move {
                zombie_world.zombie_writes(old).await
            });
            world.verify(new, "takeover").await;
        });
        Ok(())
    }

    /// The zombie keeps writing (await-durable, so each write needs a WAL upload) until it is
    /// told it is fenced.
    async fn zombie_writes(self: Rc<Self>, zombie: Rc<Db>) {
        for _ in 0..ZOMBIE_MAX_WRITES {
            self.sleep(ZOMBIE_WRITE_INTERVAL).await;
            if self.finished.get().is_some() {
                return;
            }
            let key_count = self.generator.borrow().spec().key_count;
            let key = self.zombie_rng.borrow_mut().below(key_count);
            let id = self.take_write_id();
            self.model.borrow_mut().issued(key, id, false);
            let start = self.now();
            let key_bytes = workload::key_for(key, self.key_bytes.get());
            let value = workload::value_for(id, 64);
            match zombie.put(&key_bytes, &value, WriteOptions::DURABLE).await {
                Ok(()) => {
                    // A fenced writer must never get a durable acknowledgement; if it does,
                    // the model expects the write and the next check reports it lost.
                    self.model.borrow_mut().acknowledged_durable(key, id);
                    self.record_op(
                        "put",
                        (key_bytes.len() + value.len()) as u64,
                        start,
                        true,
                        true,
                    );
                }
                Err(error) => {
                    self.model.borrow_mut().failed(key, id);
                    self.push_error("put", kind_name(error.kind()), format!("zombie: {error}"));
                    self.record_op("put", 0, start, false, false);
                    if matches!(error.kind(), ErrorKind::Fenced | ErrorKind::Closed) {
                        return;
                    }
                }
            }
        }
    }

    /// New workload settings, from the next arrival on.
    fn set_workload(&self, workload: WorkloadSpec) -> Result<(), LabError> {
        workload.validate()?;
        self.await_durable.set(workload.await_durable);
        self.key_bytes.set(workload.key_bytes);
        self.scan_keys.set(workload.scan_keys);
        self.max_in_flight.set(workload.max_in_flight);
        self.generator.borrow_mut().set_spec(workload);
        self.workload_changed.notify_waiters();
        self.in_flight_changed.notify_waiters();
        Ok(())
    }

    /// New engine options: the writer restarts cleanly to take them.
    fn set_engine(self: &Rc<Self>, engine: &EngineSpec) -> Result<(), LabError> {
        engine.validate()?;
        *self.options.borrow_mut() = engine_options(engine)?;
        self.options_version.set(self.options_version.get() + 1);
        self.spawn_restart()
    }

    /// Restarts the writer cleanly with new options.
    fn spawn_restart(self: &Rc<Self>) -> Result<(), LabError> {
        let Some(old) = self.current_writer() else {
            // Down or opening: the options apply at the next open.
            return Ok(());
        };
        self.set_writer(WriterSlot::Opening);
        let world = self.clone();
        self.spawn(TaskKind::Background("restart"), async move {
            if let Err(error) = old.close().await {
                world.note(format!("restart: close failed: {error}"));
            }
            world.sync_watermark(&old);
            world.model.borrow_mut().writer_lost();
            match world.open_writer("restart").await {
                Some(db) => world.set_writer(WriterSlot::Up(db)),
                None => world.set_writer(WriterSlot::Down),
            }
        });
        Ok(())
    }

    /// Flips one bit of one stored object under `prefix` (drawn from the lab's fault stream).
    fn flip_bit(&self, prefix: &str) -> Result<(), LabError> {
        let store = self.sim_store()?;
        let candidates: Vec<String> = store
            .keys()
            .into_iter()
            .filter(|key| key.starts_with(prefix))
            .filter(|key| {
                store
                    .inspect(key)
                    .is_some_and(|(meta, _)| meta.size_bytes > 0)
            })
            .collect();
        if candidates.is_empty() {
            self.note(format!("bit flip skipped: no object under {prefix:?}"));
            return Ok(());
        }
        let key = candidates[self.fault_rng.borrow_mut().index(candidates.len())].clone();
        if let Err(error) = store.flip_bit(Some(&key), None) {
            self.note(format!("bit flip failed: {error}"));
        }
        Ok(())
    }

    /// Applies a writer event or one-shot fault now.
    fn apply_event(self: &Rc<Self>, fault: &FaultSpec) -> Result<(), LabError> {
        match fault {
            FaultSpec::BitFlip { prefix, .. } => self.flip_bit(prefix),
            FaultSpec::CrashWriter {
                recover_after_ms, ..
            } => {
                self.crash_writer()?;
                if let Some(after) = recover_after_ms {
                    let world = self.clone();
                    let delay = SimDuration::from_millis(*after);
                    self.spawn(TaskKind::Background("timed recovery"), async move {
                        world.sleep(delay).await;
                        if let Err(error) = world.spawn_recover() {
                            world.note(error.to_string());
                        }
                    });
                }
                Ok(())
            }
            FaultSpec::Recover { .. } => self.spawn_recover(),
            FaultSpec::StartZombie { .. } => self.spawn_zombie(),
            _ => {
                let spec = store_fault(fault).ok_or_else(|| {
                    LabError::Fault(format!("{} is not a store fault", fault.kind()))
                })?;
                self.sim_store()?
                    .add_fault(spec)
                    .map(|_| ())
                    .map_err(|e| LabError::Fault(e.to_string()))
            }
        }
    }

    /// Schedules a timed writer event or one-shot fault.
    fn schedule_event(self: &Rc<Self>, fault: FaultSpec) {
        let world = self.clone();
        let at = SimTime::from_millis(fault.start_ms());
        self.spawn(TaskKind::Background(fault.kind()), async move {
            world.sleep_until(at).await;
            if world.finished.get().is_some() {
                return;
            }
            if let Err(error) = world.apply_event(&fault) {
                world.note(format!("{}: {error}", fault.kind()));
            }
        });
    }

    /// Draws arrivals until the workload ends, one task per operation.
    async fn generate(self: Rc<Self>) {
        loop {
            if self.now() >= self.end {
                return;
            }
            while self.in_flight.get() >= self.max_in_flight.get() {
                self.in_flight_changed.notified().await;
            }
            let gap = self.generator.borrow_mut().next_gap();
            let changed = self.workload_changed.notified();
            let remaining = self.end.saturating_since(self.now());
            match gap {
                None => {
                    // Paused (rate 0): wait for a change or the end.
                    let _ = race(changed, self.sleep(remaining)).await;
                    continue;
                }
                Some(gap) if gap > remaining => {
                    // The next arrival falls after the end: wait for a change or the end.
                    let _ = race(changed, self.sleep(remaining)).await;
                    continue;
                }
                Some(gap) => {
                    // A rate change mid-gap redraws the gap: arrivals stay Poisson because the
                    // exponential distribution is memoryless.
                    if let Either::Left(()) = race(changed, self.sleep(gap)).await {
                        continue;
                    }
                }
            }
            let op = self.generator.borrow_mut().next_op();
            let slot = InFlightGuard::take(&self);
            let kind = TaskKind::Operation(op.kind.as_str());
            self.spawn(kind, self.clone().run_op(op, slot));
        }
    }

    /// Serves one slate every `plan.interval` until the workload ends, logging each step into
    /// whichever writer is up (a step served while the writer is down is not logged, as a
    /// recommender that keeps serving through a database outage would do).
    async fn recommend(self: Rc<Self>, plan: LoopPlan) {
        let Some(sim) = self.recommender.clone() else {
            return;
        };
        let mut logger: Option<(Rc<Db>, EngineLogger)> = None;
        let mut logged_before = LogStats::default();
        while self.now() < self.end {
            let step = {
                let mut sim = sim.borrow_mut();
                sim.step().map(|outcome| (outcome, sim.policy().version()))
            };
            let (outcome, version) = match step {
                Ok(step) => step,
                Err(error) => {
                    self.note(format!("recommender stopped: {error}"));
                    return;
                }
            };
            record_step_events(self.runtime.as_ref(), &outcome, version);
            if plan.logging {
                if let Some(db) = self.current_writer() {
                    let attached = logger.as_ref().is_some_and(|(d, _)| Rc::ptr_eq(d, &db));
                    if !attached {
                        // A new writer: keep the totals of the loggers before it.
                        if let Some((_, old)) = &logger {
                            logged_before = add_log_stats(logged_before, old.stats());
                        }
                        logger = EngineLogger::new(db.clone(), plan.log.clone())
                            .ok()
                            .map(|l| (db, l));
                    }
                    if let Some((_, active)) = logger.as_mut() {
                        // `prepare` is synchronous, so no borrow of the policy spans an await.
                        let batch = {
                            let sim = sim.borrow();
                            active.prepare(self.runtime.as_ref(), &outcome, sim.policy())
                        };
                        let written = match batch {
                            Ok(batch) => active.write(&batch).await,
                            Err(error) => Err(error),
                        };
                        if let Err(error) = written {
                            self.recommender_log_failures
                                .set(self.recommender_log_failures.get() + 1);
                            self.push_error("recommender", "log", error.to_string());
                        }
                        self.recommender_log
                            .set(add_log_stats(logged_before, active.stats()));
                    }
                } else {
                    self.recommender_log_failures
                        .set(self.recommender_log_failures.get() + 1);
                }
            }
            self.sleep(plan.interval).await;
        }
    }

    /// Opens the first writer, runs the workload, drains, verifies, closes.
    async fn direct(self: Rc<Self>) {
        self.set_writer(WriterSlot::Opening);
        match self.open_writer("open").await {
            Some(db) => self.set_writer(WriterSlot::Up(db)),
            None => self.set_writer(WriterSlot::Down),
        }
        let generator = self.clone();
        self.spawn(TaskKind::Background("workload"), generator.generate());
        self.sleep_until(self.end).await;
        // The workload has stopped: let what is in flight finish.
        let drain_deadline = self.end + DRAIN_LIMIT;
        while self.in_flight.get() > 0 && self.now() < drain_deadline {
            let remaining = drain_deadline.saturating_since(self.now());
            let _ = race(self.in_flight_changed.notified(), self.sleep(remaining)).await;
        }
        // A writer that is still opening gets the same grace.
        while self.writer_status() == WriterStatus::Opening && self.now() < drain_deadline {
            let remaining = drain_deadline.saturating_since(self.now());
            let _ = timeout(
                self.runtime.as_ref(),
                remaining,
                self.writer_changed.notified(),
            )
            .await;
        }
        if self.verify_at_end {
            if self.writer_status() == WriterStatus::Down {
                // Ended with the writer down: recover it so the check reads what survived.
                self.set_writer(WriterSlot::Opening);
                match self.open_writer("final recovery").await {
                    Some(db) => self.set_writer(WriterSlot::Up(db)),
                    None => self.set_writer(WriterSlot::Down),
                }
            }
            if let Some(db) = self.current_writer() {
                // Make every acknowledged write durable first, so that the check covers all
                // of them and not only those the last WAL upload happened to include.
                if let Err(error) = db.flush().await {
                    self.note(format!("final flush failed: {error}"));
                }
                self.sync_watermark(&db);
                self.verify(db, "end").await;
            }
        }
        if let Some(db) = self.current_writer() {
            if let Err(error) = db.close().await {
                self.note(format!("close failed: {error}"));
            }
            self.sync_watermark(&db);
        }
        if let Some(zombie) = self.zombie.borrow().clone() {
            zombie.crash();
        }
        self.note("run finished");
        let (trace_hash, trace_events) = (self.trace_snapshot)();
        self.finished.set(Some(Finished {
            at: self.now(),
            trace_hash,
            trace_events,
        }));
        self.finished_notify.notify_waiters();
    }
}

fn add_log_stats(a: LogStats, b: LogStats) -> LogStats {
    LogStats {
        impressions_logged: a.impressions_logged + b.impressions_logged,
        checkpoints_written: a.checkpoints_written + b.checkpoints_written,
        bytes_written: a.bytes_written + b.bytes_written,
        last_checkpoint_version: b.last_checkpoint_version.or(a.last_checkpoint_version),
    }
}

impl World {
    /// Builds the run's shared state on `runtime` and starts its tasks: the director, the
    /// timed events, the recommender loop. Store faults go to `sim_store`; without one (a
    /// real store) a scenario with store faults or bit flips is refused.
    fn start(
        scenario: &Scenario,
        runtime: RuntimeRef,
        store_port: Rc<dyn ObjectStore>,
        sim_store: Option<SimStore>,
        trace_snapshot: Box<dyn Fn() -> (u64, u64)>,
    ) -> Result<Rc<World>, LabError> {
        scenario.validate()?;
        let options = engine_options(&scenario.engine)?;
        let workload = scenario.workload.clone();
        let plan = match &scenario.recommender {
            Some(spec) => Some(crate::recommender::plan(spec)?),
            None => None,
        };
        let recommender = match &plan {
            Some(plan) => Some(Rc::new(RefCell::new(
                RecommenderSim::new(plan.config.clone(), scenario.seed)
                    .map_err(|e| LabError::Recommender(e.to_string()))?,
            ))),
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
            options: RefCell::new(options),
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
            key_bytes: Cell::new(workload.key_bytes),
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
        for fault in &scenario.faults {
            if let Some(spec) = store_fault(fault) {
                world
                    .sim_store()?
                    .add_fault(spec)
                    .map_err(|e| LabError::Fault(e.to_string()))?;
            } else {
                if matches!(fault, FaultSpec::BitFlip { .. }) {
                    world.sim_store()?;
                }
                world.schedule_event(fault.clone());
            }
        }
        world.spawn(TaskKind::Background("director"), world.clone().direct());
        if let Some(ms) = scenario.engine.reader_poll_interval_ms {
            world.spawn(
                TaskKind::Background("read replica"),
                world.clone().follow(SimDuration::from_millis_f64(ms)),
            );
        }
        if let Some(plan) = plan {
            world.spawn(
                TaskKind::Background("recommender"),
                world.clone().recommend(plan),
            );
        }
        Ok(world)
    }
}

/// Reads up to `limit` entries from `from` on, returning the bytes seen.
async fn scan_bytes(db: &Db, from: Vec<u8>, limit: usize) -> Result<u64, strata_engine::Error> {
    // Workload keys all start with `k`: stop before anything else (the recommender's log).
    let mut iter = db.scan(from..b"l".to_vec())?;
    let mut bytes = 0u64;
    let mut entries = 0usize;
    while entries < limit {
        match iter.next().await? {
            Some((key, value)) => {
                bytes += (key.len() + value.len()) as u64;
                entries += 1;
            }
            None => break,
        }
    }
    Ok(bytes)
}

/// Queues `change` in time order, after those already queued for the same time: the order
/// a scenario lists them in, and the order live changes were made in.
fn enqueue_change(pending: &mut VecDeque<(SimTime, SettingChange)>, change: SettingChange) {
    let at = SimTime::from_millis(change.at_ms());
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
    /// Builds the run: validates the scenario, creates the simulation, the store with its
    /// faults, and the tasks. Nothing runs until `advance_to`, `step` or `run_to_end`.
    pub fn new(scenario: &Scenario) -> Result<Lab, LabError> {
        Lab::with_executor_limits(scenario, ExecutorLimits::default())
    }

    /// The same, on an executor with other limits (a test gives it a tiny task limit).
    pub fn with_executor_limits(
        scenario: &Scenario,
        limits: ExecutorLimits,
    ) -> Result<Lab, LabError> {
        scenario.validate()?;
        let sim = Sim::with_config(
            scenario.seed,
            TraceConfig {
                ring_capacity: scenario.trace.ring_capacity,
            },
            limits,
        );
        let metrics = metrics::subscribe(&mut sim.trace_mut());
        let handle = sim.handle();
        let store = SimStore::try_new(handle.clone(), store_config(&scenario.store))
            .map_err(|e| LabError::StoreConfig(e.to_string()))?;
        let snapshot_handle = handle.clone();
        let world = World::start(
            scenario,
            Rc::new(handle),
            Rc::new(store.clone()),
            Some(store.clone()),
            Box::new(move || snapshot_handle.with_trace(|t| (t.hash(), t.total_events()))),
        )?;
        let mut pending_changes = VecDeque::new();
        for change in &scenario.changes {
            enqueue_change(&mut pending_changes, change.clone());
        }
        Ok(Lab {
            scenario: scenario.clone(),
            sim,
            world,
            store,
            metrics,
            pending_changes,
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

    pub fn finished(&self) -> bool {
        self.world.finished.get().is_some()
    }

    /// Processes events up to `until` (at most `max_events` of them, so a browser frame stays
    /// short). Setting changes due on the way apply once every event due at or before their
    /// time has run, however the run is cut into calls.
    pub fn advance_to(&mut self, until: SimTime, max_events: u64) -> Result<Progress, LabError> {
        let mut processed = 0u64;
        loop {
            let stop = match self.pending_changes.front() {
                Some((at, _)) if *at <= until => *at,
                _ => until,
            };
            processed += self
                .sim
                .run_until(stop, max_events - processed)
                .map_err(|e| LabError::Simulation(e.to_string()))?;
            if !self.apply_due_changes()? || processed >= max_events || stop == until {
                break;
            }
        }
        Ok(self.progress(processed))
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
                // is ready), and the change applies.
                self.sim
                    .run_until(at, u64::MAX)
                    .map_err(|e| LabError::Simulation(e.to_string()))?;
                self.apply_due_changes()?;
                return Ok(Stepped::Change);
            }
        }
        let stepped = self
            .sim
            .step()
            .map_err(|e| LabError::Simulation(e.to_string()))?;
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
            if let Err(error) = self.apply(Control::from(change)) {
                self.world.note(format!("setting change refused: {error}"));
            }
            applied = true;
        }
        Ok(applied)
    }

    /// The scenario's setting changes the run has applied so far, in the order they applied.
    pub fn applied_changes(&self) -> Vec<&SettingChange> {
        let mut sorted: Vec<&SettingChange> = self.scenario.changes.iter().collect();
        // Stable, like the pending queue: ties keep the scenario's order.
        sorted.sort_by_key(|change| change.at_ms());
        let applied = sorted.len().saturating_sub(self.pending_changes.len());
        sorted.truncate(applied);
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
        scenario.changes.push(change.clone());
        scenario.validate()?;
        self.scenario = scenario;
        enqueue_change(&mut self.pending_changes, change);
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
                return Err(LabError::Simulation(format!(
                    "nothing left to run at {} but the run has not finished",
                    self.sim.now()
                )));
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
                self.store
                    .set_config(store_config(&store))
                    .map_err(|e| LabError::StoreConfig(e.to_string()))?;
            }
            Control::InjectFault { fault } => {
                let now_ms = self.sim.now().as_nanos() / 1_000_000;
                let fault = fault.shifted(now_ms);
                match store_fault(&fault) {
                    Some(spec) => {
                        self.store
                            .add_fault(spec)
                            .map_err(|e| LabError::Fault(e.to_string()))?;
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
        self.world.opens.get()
    }

    /// The current writer's state, when one is up.
    pub fn db_state(&self) -> Option<DbState> {
        self.world.current_writer().map(|db| db.state())
    }

    /// The fenced old writer's state, after a takeover.
    pub fn zombie_state(&self) -> Option<DbState> {
        self.world.zombie.borrow().as_ref().map(|db| db.state())
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

    /// The recommender loop's full summary (series, arms, guardrails), when there is one.
    pub fn recommender_summary(&self) -> Option<RecommenderSummary> {
        self.world
            .recommender
            .as_ref()
            .map(|sim| sim.borrow().summary())
    }

    /// Recent client errors, oldest first (at most [`MAX_RECENT_ERRORS`]).
    pub fn recent_errors(&self) -> Vec<ClientError> {
        self.world.recent_errors.borrow().iter().cloned().collect()
    }

    /// Operations in flight now.
    pub fn in_flight(&self) -> u32 {
        self.world.in_flight.get()
    }

    pub fn events_processed(&self) -> u64 {
        self.sim.events_processed()
    }

    /// The summary as of now; after the run finished, its final figures and trace hash.
    pub fn summary(&self) -> Summary {
        summary_of(&self.scenario, &self.world, &self.metrics.borrow())
    }
}

/// The summary of a run as of now (its final figures once it finished).
fn summary_of(scenario: &Scenario, world: &World, metrics: &Metrics) -> Summary {
    let finished = world.finished.get();
    let (trace_hash, trace_events, at) = match finished {
        Some(f) => (f.trace_hash, f.trace_events, f.at),
        None => {
            let (hash, events) = (world.trace_snapshot)();
            (hash, events, world.now())
        }
    };
    let mut requests: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut requests_failed = 0;
    for ((op, cause), counts) in &metrics.requests {
        *requests
            .entry(op.as_str().to_string())
            .or_default()
            .entry(cause.as_str().to_string())
            .or_default() += counts.count;
        requests_failed += counts.failed;
    }
    let cost_by_cause = metrics.cost_by_cause_picousd();
    let model = world.model.borrow();
    Summary {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        duration_ms: scenario.duration_ms,
        finished: finished.is_some(),
        simulated_ms: at.as_millis_f64(),
        trace_hash: format!("{trace_hash:016x}"),
        trace_events,
        operations: metrics.ops.clone(),
        writes: WriteSummary {
            acknowledged: metrics.writes_acknowledged,
            acknowledged_durable: metrics.writes_acknowledged_durable,
            durable_wal_entries: metrics.wal_entries_durable,
            durable_tracked: model.durable_writes,
            lost_durable: metrics.lost_durable_writes,
            keys_verified: metrics.keys_checked,
            durability_checks: metrics.durability_checks,
            lost_examples: world.lost_examples.borrow().clone(),
        },
        requests,
        requests_failed,
        cost: CostSummary {
            total_usd: metrics::usd(metrics.cost_picousd),
            total_picousd: metrics.cost_picousd,
            by_cause_usd: btree_map(
                cost_by_cause
                    .iter()
                    .map(|(cause, p)| (cause.as_str().to_string(), metrics::usd(*p))),
            ),
        },
        latency: LatencySummary {
            write: LatencyPercentiles::from_nanos(&metrics.write_latency_nanos),
            read: LatencyPercentiles::from_nanos(&metrics.read_latency_nanos),
            scan: LatencyPercentiles::from_nanos(&metrics.scan_latency_nanos),
        },
        user_bytes_written: metrics.user_bytes_written,
        bytes_put: metrics.bytes_put,
        write_amplification: metrics.write_amplification(),
        puts_per_1000_writes: metrics.puts_per_1000_writes(),
        lsm: world
            .current_writer()
            .map(|db| LsmShape::from_state(&db.state())),
        faults_injected: btree_map(
            metrics
                .faults
                .iter()
                .map(|(kind, count)| (fault_name(*kind), *count)),
        ),
        engine_events: btree_map(
            metrics
                .engine_events
                .iter()
                .map(|(name, count)| (name.to_string(), *count)),
        ),
        recommender: world.recommender_report(),
        writers_opened: world.opens.get(),
        unfinished_ops: u64::from(world.in_flight.get()),
        tasks_refused: world.tasks_refused.get(),
        engine: world.current_writer().map(|db| db.amplification()),
        reader: world.reader.borrow().as_ref().map(|reader| ReaderSummary {
            staleness: reader.staleness(),
            seq_lag: world
                .current_writer()
                .map_or(0, |db| reader.seq_lag(db.durable_seq())),
        }),
    }
}

impl World {
    fn recommender_report(&self) -> Option<RecommenderReport> {
        let sim = self.recommender.as_ref()?.borrow();
        let summary = sim.summary();
        let log = self.recommender_log.get();
        Some(RecommenderReport {
            policy: sim.policy().kind().as_str().to_string(),
            steps: summary.steps,
            impressions: summary.impressions,
            clicks: summary.clicks,
            ctr: summary.ctr,
            cumulative_regret: summary.cumulative_regret,
            catalogue_coverage: summary.catalogue_coverage,
            exposure_gini: summary.exposure_gini,
            policy_version: summary.policy_version,
            exploration_share: summary.guardrails.exploration_share,
            impressions_logged: log.impressions_logged,
            checkpoints_written: log.checkpoints_written,
            log_failures: self.recommender_log_failures.get(),
        })
    }
}

/// A fault kind's snake_case name, as the trace writes it.
fn fault_name(kind: strata_sim::FaultKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{kind:?}"))
}

/// A scenario played on another runtime and store than the simulator's: the CLI's
/// `--store file:///dir` runs the same workload, writer events and durability checks in real
/// time against a real object store. Store faults and bit flips need the simulated store and
/// are refused.
pub struct ExternalRun {
    scenario: Scenario,
    world: Rc<World>,
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
            return Err(LabError::StoreConfig(format!(
                "the scenario changes the store's settings at {} ms, which needs the simulated store",
                change.at_ms()
            )));
        }
        let world = World::start(scenario, runtime, store, None, trace_snapshot)?;
        // Real time has no exact moment to hold on to: each change is a task that waits for
        // its time.
        for change in scenario.changes.clone() {
            let task_world = world.clone();
            world.spawn(TaskKind::Background("setting change"), async move {
                task_world
                    .sleep_until(SimTime::from_millis(change.at_ms()))
                    .await;
                let applied = match &change {
                    SettingChange::Workload { workload, .. } => {
                        task_world.set_workload(workload.clone())
                    }
                    SettingChange::Engine { engine, .. } => task_world.set_engine(engine),
                    SettingChange::Store { .. } => Ok(()),
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
            metrics,
        })
    }

    pub fn finished(&self) -> bool {
        self.world.finished.get().is_some()
    }

    /// Completes when the run has finished (drained, checked and closed).
    pub async fn wait_finished(&self) {
        loop {
            let notified = self.world.finished_notify.notified();
            if self.finished() {
                return;
            }
            notified.await;
        }
    }

    pub fn summary(&self) -> Summary {
        summary_of(&self.scenario, &self.world, &self.metrics.borrow())
    }
}

/// Runs a scenario from start to finish and returns its summary (what `strata run` prints).
pub fn run_scenario(scenario: &Scenario) -> Result<Summary, LabError> {
    Lab::new(scenario)?.run_to_end()
}

/// Writes, as the client saw them and as the durability check found them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteSummary {
    /// Write operations (put, delete, batch) acknowledged.
    pub acknowledged: u64,
    /// Of those, acknowledged only once durable (await-durable).
    pub acknowledged_durable: u64,
    /// WAL entries the engine made durable (from `wal_flushed` events).
    pub durable_wal_entries: u64,
    /// Writes (batch entries counted one by one) the durability model knows to be durable.
    pub durable_tracked: u64,
    /// Acknowledged-durable writes missing at a read-back. Must be 0.
    pub lost_durable: u64,
    pub keys_verified: u64,
    pub durability_checks: u64,
    /// Up to 20 lost keys, with what was read and what was expected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost_examples: Vec<String>,
}

/// Dollars, by cause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    pub total_usd: f64,
    /// The exact total, in picodollars (1e-12 USD).
    pub total_picousd: u64,
    pub by_cause_usd: BTreeMap<String, f64>,
}

/// Client latency percentiles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub write: LatencyPercentiles,
    pub read: LatencyPercentiles,
    pub scan: LatencyPercentiles,
}

/// The LSM tree's shape at the end of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LsmShape {
    pub writer_epoch: u64,
    pub manifest_id: u64,
    pub memtable_bytes: u64,
    pub immutable_memtables: u64,
    pub l0_ssts: u64,
    pub l0_bytes: u64,
    /// Sorted runs, newest first: SST count and bytes of each.
    pub runs: Vec<RunShape>,
    pub acknowledged_seq: u64,
    pub durable_seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunShape {
    pub ssts: u64,
    pub bytes: u64,
}

impl LsmShape {
    pub fn from_state(state: &DbState) -> Self {
        LsmShape {
            writer_epoch: state.writer_epoch,
            manifest_id: state.manifest_id,
            memtable_bytes: state.memtable.size_bytes,
            immutable_memtables: state.immutable_memtables.len() as u64,
            l0_ssts: state.l0.len() as u64,
            l0_bytes: state.l0.iter().map(|sst| sst.size_bytes).sum(),
            runs: state
                .runs
                .iter()
                .map(|run| RunShape {
                    ssts: run.ssts.len() as u64,
                    bytes: run.size_bytes,
                })
                .collect(),
            acknowledged_seq: state.acknowledged_seq,
            durable_seq: state.durable_seq,
        }
    }
}

/// The JSON summary of a run: what `strata run` prints and the playground shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub duration_ms: u64,
    pub finished: bool,
    /// Simulated time when the run finished (after draining and checking).
    pub simulated_ms: f64,
    /// The hash over every trace event of the run, 16 hex digits.
    pub trace_hash: String,
    pub trace_events: u64,
    /// Client operations by kind.
    pub operations: BTreeMap<String, OpCounts>,
    pub writes: WriteSummary,
    /// Object-store requests: operation → cause → count.
    pub requests: BTreeMap<String, BTreeMap<String, u64>>,
    pub requests_failed: u64,
    pub cost: CostSummary,
    pub latency: LatencySummary,
    pub user_bytes_written: u64,
    pub bytes_put: u64,
    /// Bytes PUT ÷ user bytes written.
    pub write_amplification: f64,
    pub puts_per_1000_writes: f64,
    /// The final LSM shape; absent when no writer is up (closed handles still report theirs).
    pub lsm: Option<LsmShape>,
    pub faults_injected: BTreeMap<String, u64>,
    pub engine_events: BTreeMap<String, u64>,
    /// The recommender loop's figures, when the scenario runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommender: Option<RecommenderReport>,
    pub writers_opened: u64,
    /// Operations still in flight when the run finished (hung past the drain limit).
    pub unfinished_ops: u64,
    /// Tasks the simulation refused because it was at its live-task limit. A refused
    /// operation fails with kind `refused` and gives its in-flight slot back; the workload
    /// goes on. Should be 0: a positive count means the scenario asks for more concurrency
    /// than the simulation allows.
    #[serde(default)]
    pub tasks_refused: u64,
    /// The engine's meters for the writer up at the end (since it opened): amplification,
    /// compaction cost, stall time, retries and hedges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Amplification>,
    /// The read replica's staleness, when the scenario runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<ReaderSummary>,
}

/// How far the read replica trailed the writer at the end of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReaderSummary {
    #[serde(flatten)]
    pub staleness: ReaderStaleness,
    /// Sequence numbers behind the writer's durable watermark.
    pub seq_lag: u64,
}
