//! Runs one world: spawns its processes on a simulation with a seeded ready order, steps it
//! one event at a time, checks the out-of-band oracles after every event, and the in-band
//! ones (register model, replica, checkpoints) as each read or recovery completes.
//!
//! The run stops at the first broken oracle. A panic anywhere (an engine assertion, an
//! executor limit) is caught around the whole seed and reported as a failure.
//!
//! After `world.end` every process stops, faults are cleared, and a final audit opens a fresh
//! writer (fencing every zombie) and reads every key and the recommender's policy back.

mod recommender;
mod replica;
mod writer;

use crate::corrupt;
use crate::oracle::{id_of, value_of, Failure, Oracle, ReadTime, Register, Visibility};
use crate::process::{PausableRuntime, PausableStore, ProcessClock};
use crate::world::{Ending, Event, Mutation, Pause, World, KEY_COUNT};
use recommender::{check_recovered, recommender, recover};
use replica::replica;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use strata_engine::format::manifest::Manifest;
use strata_engine::paths::{ObjectKind, Paths};
use strata_engine::{
    CompactionStyle, Db, DbOptions, DbStatus, Error, ErrorKind, ReadOptions, Reader, ReaderOptions,
    WriteBatch, WriteOptions,
};
use strata_objstore::{ObjectStore, PutMode, SimStore, StoreError};
use strata_recommender::log::{
    checkpoint_key, impression_key, recover_policy, CheckpointRecord, ImpressionRecord,
};
use strata_recommender::{AnyPolicy, Context, Policy, PolicyConfig};
use strata_sim::trace::TraceObserver;
use strata_sim::{
    Cause, EventKind, ReadyOrder, RunError, RuntimeRef, Sim, SimDuration, SimHandle, SimRng,
    SimTime,
};
use writer::writer;

/// The database the writers share, and the recommender's.
pub const DB_ROOT: &str = "dst";
pub const RECOMMENDER_ROOT: &str = "dst-rec";
const RECOMMENDER_PREFIX: &str = "rec";
const ARMS: usize = 4;
/// How long after `world.end` the audit may take before the run counts as stuck.
const AUDIT_BUDGET: SimDuration = SimDuration::from_secs(120);
/// Live tasks a world may hold at once: far above what its processes need.
const MAX_LIVE_TASKS: usize = 5_000;
/// Of a writer's writes: the share that are range deletes, the share of the rest whose puts
/// carry a time-to-live, the widest range in keys, and the longest TTL (short enough that
/// entries expire across the flushes, compactions and crashes of a world).
const RANGE_DELETE_SHARE: f64 = 0.12;
const TTL_SHARE: f64 = 0.3;
const MAX_RANGE_KEYS: u64 = 6;
const MAX_TTL_MS: u64 = 3_000;

/// A test-only oracle that fails on a chosen combination, to show the shrinker at work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Planted {
    /// Fails when a writer crashes while the world holds a Slow fault.
    CrashUnderSlowFault,
}

/// What one run did, for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    /// Faults the store injected, by kind (from the trace).
    pub faults_by_kind: BTreeMap<String, u64>,
    /// Writers that opened while an older writer was still alive.
    pub takeovers: u64,
    /// GC passes of a superseded writer that deleted something after the takeover.
    pub gc_passes_raced: u64,
    pub gc_passes: u64,
    /// GC passes run while the store's clock disagreed with the writer's.
    pub gc_passes_skewed: u64,
    pub pauses: u64,
    pub writer_crashes: u64,
    pub zombies: u64,
    pub compaction_switches: u64,
    pub corruptions_applied: u64,
    pub recoveries_checked: u64,
    pub writes_issued: u64,
    /// Range deletes, and batches (or single writes) whose puts carry a time-to-live.
    pub range_deletes: u64,
    pub ttl_writes: u64,
    pub reads_checked: u64,
    pub replica_reads: u64,
    /// Ready-order choices among two or more ready tasks, and their hash (the interleaving).
    pub ready_choices: u64,
    pub interleaving_hash: u64,
    pub trace_hash: u64,
    pub events: u64,
    pub simulated_ms: u64,
}

/// A run's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub failure: Option<Failure>,
    pub stats: RunStats,
}

/// Runs `world` and reports its first failure, if any.
pub fn run_world(world: &World, planted: Option<Planted>) -> Outcome {
    run_world_observed(world, planted, None)
}

/// `run_world`, with an observer that sees every trace event (for a replay that prints
/// what happened).
pub fn run_world_observed(
    world: &World,
    planted: Option<Planted>,
    observer: Option<TraceObserver>,
) -> Outcome {
    let stats = Rc::new(RefCell::new(RunStats::default()));
    let result = {
        let stats = stats.clone();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            run_inner(world, planted, &stats, observer)
        }))
    };
    let stats = stats.borrow().clone();
    let failure = match result {
        Ok(failure) => failure,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".to_string());
            Some(Failure {
                oracle: Oracle::Panic,
                at: SimTime::from_millis(stats.simulated_ms),
                message,
            })
        }
    };
    Outcome { failure, stats }
}

/// Everything the processes of one run share.
struct Ctx {
    handle: SimHandle,
    store: SimStore,
    port: Rc<dyn ObjectStore>,
    world: World,
    planted: Option<Planted>,
    model: RefCell<Register>,
    failure: RefCell<Option<Failure>>,
    stats: Rc<RefCell<RunStats>>,
    /// Open writer handles by writer id (for compaction switches and takeover counts).
    live: RefCell<BTreeMap<u32, Rc<Db>>>,
    /// Abandoned handles: kept alive so that their background tasks go on.
    zombies: RefCell<Vec<Rc<Db>>>,
    style: RefCell<Option<CompactionStyle>>,
    /// Whether any corruption (bit flip or re-sealed) can be in the store.
    bit_flips_possible: bool,
    clocks: RefCell<Vec<Rc<ProcessClock>>>,
    /// The recommender's twin: the policy after each step any recommender process took, in
    /// the order they were taken (`None` for a step whose write never reached the log), and
    /// the newest step whose batch was acknowledged durable. A step keeps its index for
    /// good: a zombie and the current process interleave their steps, and one process's
    /// failed write must not take back another's step.
    twins: RefCell<Vec<TwinStep>>,
    twin_durable_step: Cell<usize>,
    /// How many steps were ever pushed onto the twins: each step's identity.
    twin_pushes: Cell<u64>,
    next_impression: Cell<u64>,
    /// Out-of-band manifest tracking.
    latest_manifest_id: Cell<Option<u64>>,
    checked_state: Cell<(Option<u64>, u64)>,
    paths: Paths,
}

impl Ctx {
    fn fail(&self, oracle: Oracle, message: impl Into<String>) {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(Failure {
                oracle,
                at: self.handle.now(),
                message: message.into(),
            });
        }
    }

    fn failed(&self) -> bool {
        self.failure.borrow().is_some()
    }

    fn corruption_possible(&self) -> bool {
        self.bit_flips_possible || self.model.borrow().resealed_corruption
    }

    /// Whether `error` is one this world can cause. Store unavailability always can (faults,
    /// retries running out); `Corrupt` only once something corrupted the store; `Fenced` and
    /// `Closed` only for writers (the caller decides).
    fn tolerable(&self, error: &Error) -> bool {
        match error.kind() {
            ErrorKind::Unavailable => !lost_object(error),
            ErrorKind::Corrupt => self.corruption_possible(),
            ErrorKind::Fenced | ErrorKind::Closed => true,
            ErrorKind::Invalid => false,
        }
    }

    fn latest_epoch(&self) -> u64 {
        self.latest_manifest()
            .map(|manifest| manifest.writer_epoch)
            .unwrap_or(0)
    }

    /// The writer epoch of the newest manifest under `root`, read out of band (a scan of the
    /// keys: for the rare checks outside the shared database).
    fn latest_epoch_in(&self, root: &str) -> u64 {
        let Ok(paths) = Paths::new(root) else {
            return 0;
        };
        let newest = self
            .store
            .keys()
            .iter()
            .filter_map(|key| paths.parse(ObjectKind::Manifest, key))
            .max();
        newest
            .and_then(|id| self.store.inspect(&paths.manifest(id)))
            .and_then(|(_, bytes)| Manifest::decode(&bytes).ok())
            .map_or(0, |manifest| manifest.writer_epoch)
    }

    /// The newest manifest in the store, read out of band.
    fn latest_manifest_id(&self) -> Option<u64> {
        let mut latest = match self.latest_manifest_id.get() {
            Some(id) => id,
            None => {
                let found = self
                    .store
                    .keys()
                    .iter()
                    .filter_map(|key| self.paths.parse(ObjectKind::Manifest, key))
                    .max()?;
                self.latest_manifest_id.set(Some(found));
                found
            }
        };
        while self
            .store
            .inspect(&self.paths.manifest(latest + 1))
            .is_some()
        {
            latest += 1;
        }
        self.latest_manifest_id.set(Some(latest));
        Some(latest)
    }

    fn latest_manifest(&self) -> Option<Manifest> {
        let id = self.latest_manifest_id()?;
        let (_, bytes) = self.store.inspect(&self.paths.manifest(id))?;
        Manifest::decode(&bytes).ok()
    }

    /// Every object the latest manifest references exists: checked after every event, when
    /// the latest manifest or the object count changed since the last check.
    fn check_manifest_objects(&self) {
        let id = self.latest_manifest_id();
        let state = (id, self.store.object_count());
        if state == self.checked_state.get() {
            return;
        }
        self.checked_state.set(state);
        let Some(manifest) = self.latest_manifest() else {
            return;
        };
        for sst in manifest.sst_ids() {
            if self.store.inspect(&self.paths.sst(sst)).is_none() {
                self.fail(
                    Oracle::ManifestObjects,
                    format!(
                        "manifest {} (epoch {}) references SST {sst}, which the store no longer holds",
                        manifest.manifest_id, manifest.writer_epoch
                    ),
                );
                return;
            }
        }
    }
}

/// Whether an engine error says a stored object it needed is gone.
fn lost_object(error: &Error) -> bool {
    matches!(
        error,
        Error::Store {
            source: StoreError::NotFound { .. },
            ..
        }
    ) || error.to_string().contains("object not found")
}

fn run_inner(
    world: &World,
    planted: Option<Planted>,
    stats: &Rc<RefCell<RunStats>>,
    observer: Option<TraceObserver>,
) -> Option<Failure> {
    let sim = Sim::new(world.seed);
    if let Some(observer) = observer {
        sim.trace_mut().subscribe(observer);
    }
    sim.set_ready_order(ReadyOrder::Seeded);
    let store = SimStore::new(sim.handle(), world.store.clone());
    let mut bit_flips_possible = false;
    for event in &world.events {
        if let Event::Fault { spec, .. } = event {
            bit_flips_possible |= spec.action.kind() == strata_sim::FaultKind::BitFlip;
            store
                .add_fault(spec.clone())
                .expect("generated faults are valid");
        }
    }
    {
        let stats = stats.clone();
        sim.trace_mut().subscribe(Box::new(move |event| {
            if let EventKind::FaultInjected { fault, .. } = &event.kind {
                *stats
                    .borrow_mut()
                    .faults_by_kind
                    .entry(format!("{fault:?}"))
                    .or_insert(0) += 1;
            }
        }));
    }
    let ctx = Rc::new(Ctx {
        handle: sim.handle(),
        port: Rc::new(store.clone()),
        store,
        world: world.clone(),
        planted,
        model: RefCell::new(Register::default()),
        failure: RefCell::new(None),
        stats: stats.clone(),
        live: RefCell::new(BTreeMap::new()),
        zombies: RefCell::new(Vec::new()),
        style: RefCell::new(None),
        bit_flips_possible,
        clocks: RefCell::new(Vec::new()),
        twins: RefCell::new(Vec::new()),
        twin_pushes: Cell::new(0),
        twin_durable_step: Cell::new(0),
        next_impression: Cell::new(1),
        latest_manifest_id: Cell::new(None),
        checked_state: Cell::new((None, u64::MAX)),
        paths: Paths::new(DB_ROOT).expect("a valid root"),
    });
    let handle = sim.handle();
    for event in world.events.clone() {
        let ctx = ctx.clone();
        match event {
            Event::Writer {
                id,
                start,
                stop,
                ending,
                pauses,
            } => {
                handle.spawn(writer(ctx, id, start, stop, ending, pauses));
            }
            Event::SwitchCompaction { at, style } => {
                handle.spawn(async move {
                    ctx.handle.sleep_until(at).await;
                    *ctx.style.borrow_mut() = Some(style.clone());
                    ctx.stats.borrow_mut().compaction_switches += 1;
                    for db in ctx.live.borrow().values() {
                        if let Err(error) = db.set_compaction_style(style.clone()) {
                            ctx.fail(Oracle::UnexpectedError, format!("set style: {error}"));
                        }
                    }
                });
            }
            Event::Fault { .. } => {}
            Event::Corrupt { id, at, mutation } => {
                handle.spawn(corruption(ctx, id, at, mutation));
            }
            Event::Recommender {
                id,
                start,
                stop,
                crash,
            } => {
                handle.spawn(recommender(ctx, id, start, stop, crash));
            }
        }
    }
    if world.reader {
        handle.spawn(replica(ctx.clone()));
    }
    let audited = Rc::new(Cell::new(false));
    {
        let (ctx, audited) = (ctx.clone(), audited.clone());
        handle.spawn(async move {
            audit(&ctx).await;
            audited.set(true);
        });
    }
    let deadline = world.end + AUDIT_BUDGET;
    while !ctx.failed() && !audited.get() {
        if sim.now() > deadline {
            ctx.fail(Oracle::Bound, "the audit did not finish in its time budget");
            break;
        }
        match sim.step() {
            Ok(true) => {}
            Ok(false) => {
                ctx.fail(Oracle::Bound, "the run went idle before its audit finished");
                break;
            }
            Err(error @ (RunError::Livelock { .. } | RunError::Deadlock { .. }))
            | Err(error @ RunError::TimeBudgetExceeded { .. }) => {
                ctx.fail(Oracle::Bound, error.to_string());
                break;
            }
        }
        ctx.check_manifest_objects();
        if sim.live_tasks() > MAX_LIVE_TASKS {
            ctx.fail(
                Oracle::Bound,
                format!("{} live tasks, above {MAX_LIVE_TASKS}", sim.live_tasks()),
            );
        }
        let mut stats = ctx.stats.borrow_mut();
        stats.simulated_ms = sim.now().as_nanos() / 1_000_000;
    }
    {
        let mut stats = ctx.stats.borrow_mut();
        let (choices, hash) = sim.ready_choices();
        stats.ready_choices = choices;
        stats.interleaving_hash = hash;
        stats.trace_hash = sim.trace().hash();
        stats.events = sim.events_processed();
        let model = ctx.model.borrow();
        stats.writes_issued = model.writes_issued;
        stats.reads_checked = model.reads_checked;
        for clock in ctx.clocks.borrow().iter() {
            stats.gc_passes += clock.gc_passes.get();
            stats.gc_passes_raced += clock.gc_passes_raced.get();
            if world.store_clock_behind_ms != 0 {
                stats.gc_passes_skewed += clock.gc_passes.get();
            }
        }
    }
    let failure = ctx.failure.borrow().clone();
    // Break the cycles between handles and tasks before the simulation drops.
    ctx.live.borrow_mut().clear();
    ctx.zombies.borrow_mut().clear();
    failure
}

/// One step of the recommender's twins (see `Ctx::twins`).
struct TwinStep {
    /// Which push made it, counting from 0 over the whole run.
    push: u64,
    /// The policy after the step; `None` once its write is known never to have reached the
    /// log.
    policy: Option<AnyPolicy>,
}

fn key_of(index: u64) -> Vec<u8> {
    format!("k{index:02}").into_bytes()
}

fn options_now(ctx: &Ctx) -> DbOptions {
    let mut options = ctx.world.options.clone();
    if let Some(style) = ctx.style.borrow().clone() {
        options.compaction.style = style;
    }
    options
}

/// Opens a writer, retrying what the world can cause, until `give_up_at`.
async fn open_writer(
    ctx: &Ctx,
    runtime: &RuntimeRef,
    port: &Rc<dyn ObjectStore>,
    root: &str,
    give_up_at: SimTime,
) -> Option<Db> {
    loop {
        if ctx.failed() || ctx.handle.now() >= give_up_at {
            return None;
        }
        match Db::open(runtime.clone(), port.clone(), root, options_now(ctx)).await {
            Ok(db) => return Some(db),
            Err(error) => {
                if error.kind() == ErrorKind::Corrupt && ctx.corruption_possible() {
                    // A corrupted database may refuse to open, with a typed error.
                    return None;
                }
                if !ctx.tolerable(&error) {
                    ctx.fail(Oracle::UnexpectedError, format!("open {root}: {error}"));
                    return None;
                }
                ctx.handle.sleep(SimDuration::from_millis(50)).await;
            }
        }
    }
}

/// Checks the result of a read of `key` by a writer, a read that started at `started` and
/// finished now.
fn check_writer_read(
    ctx: &Ctx,
    key: &[u8],
    result: Result<Option<bytes::Bytes>, Error>,
    visibility: Visibility,
    started: SimTime,
    superseded: bool,
) {
    match result {
        Ok(got) => {
            let time = ReadTime {
                started,
                finished: ctx.handle.now(),
            };
            let checked = ctx
                .model
                .borrow_mut()
                .check_read(key, got.as_deref(), visibility, time);
            if let Err(message) = checked {
                if !superseded {
                    ctx.fail(Oracle::Register, message);
                }
            }
        }
        Err(error) => {
            if lost_object(&error) {
                // A replaced writer reads through its own, stale version: a newer writer's
                // GC may remove what it still names.
                if !superseded {
                    ctx.fail(Oracle::Register, format!("a read lost an object: {error}"));
                }
            } else if !ctx.tolerable(&error) {
                ctx.fail(Oracle::UnexpectedError, format!("read: {error}"));
            }
        }
    }
}

async fn corruption(ctx: Rc<Ctx>, id: u32, at: SimTime, mutation: Mutation) {
    ctx.handle.sleep_until(at).await;
    let mut rng = ctx.handle.rng(&format!("dst.corrupt.{id}"));
    let root = if rng.bernoulli(0.2) {
        RECOMMENDER_ROOT
    } else {
        DB_ROOT
    };
    let Some((key, bytes)) = corrupt::plan(&ctx.store, root, mutation, &mut rng) else {
        return;
    };
    // Marked before the write lands: from now on the store may hold the change.
    ctx.model.borrow_mut().resealed_corruption = true;
    ctx.stats.borrow_mut().corruptions_applied += 1;
    // A plain overwrite through the store (it may itself meet a fault).
    let _ = ctx
        .port
        .put(Cause::Other, &key, bytes, PutMode::Overwrite)
        .await;
}

/// After the end: faults off, zombies fenced by a fresh writer, every key and the policy
/// read back under the register model.
async fn audit(ctx: &Ctx) {
    ctx.handle.sleep_until(ctx.world.end).await;
    ctx.store.clear_faults();
    ctx.handle.sleep(SimDuration::from_secs(1)).await;
    if ctx.failed() {
        return;
    }
    let runtime: RuntimeRef = Rc::new(ctx.handle.clone());
    let give_up = ctx.world.end + SimDuration::from_secs(60);
    let opened = ctx.handle.now();
    let writers_ran = ctx.model.borrow().writes_issued > 0;
    if writers_ran {
        if let Some(db) = open_writer(ctx, &runtime, &ctx.port, DB_ROOT, give_up).await {
            for index in 0..KEY_COUNT {
                let key = key_of(index);
                let started = ctx.handle.now();
                let result = db.get(&key, ReadOptions::DURABLE).await;
                let visibility = Visibility {
                    everyone_before: opened,
                    own: None,
                };
                check_writer_read(ctx, &key, result, visibility, started, false);
            }
            let _ = db.close().await;
        }
    }
    if !ctx.twins.borrow().is_empty() {
        if let Some(db) = open_writer(ctx, &runtime, &ctx.port, RECOMMENDER_ROOT, give_up).await {
            if let Some(policy) = recover(ctx, &db).await {
                check_recovered(ctx, &db, &policy);
            }
            let _ = db.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::generate;

    /// Runs the world of each seed, asserts that it passes, and returns the runs' statistics.
    fn pass(seeds: &[u64]) -> Vec<RunStats> {
        seeds
            .iter()
            .map(|&seed| {
                let outcome = run_world(&generate(seed), None);
                assert!(
                    outcome.failure.is_none(),
                    "seed {seed}: {:?}",
                    outcome.failure
                );
                outcome.stats
            })
            .collect()
    }

    #[test]
    fn a_seed_replays_exactly_and_another_seed_explores_another_interleaving() {
        let first = run_world(&generate(3), None);
        assert_eq!(run_world(&generate(3), None), first);
        assert!(first.stats.ready_choices > 0);
        assert!(first.stats.writes_issued > 0 && first.stats.reads_checked > 0);
        let other = run_world(&generate(4), None);
        assert_ne!(other.stats.interleaving_hash, first.stats.interleaving_hash);
    }

    /// Worlds that once lost data: a writer's scan, paused while a compaction retired its
    /// SSTs, read one that GC had collected (10445, 12401, 17274); a replica's poll, whose
    /// WAL listing outlasted a flush and the GC after it, served a view with a hole in it
    /// (7768, 15698).
    #[test]
    fn a_scan_and_a_replica_poll_racing_gc_lose_nothing() {
        pass(&[7768, 10445, 12401, 15698, 17274]);
    }

    /// In these worlds a recommender's open hangs (seed 33681) or its write does (seed 4806)
    /// until long after its successor took over; it then closes cleanly. A clean close makes
    /// its own steps durable, not the ones its successor logged since, which a crash of the
    /// successor may still lose.
    #[test]
    fn a_recommender_closing_cleanly_makes_only_its_own_steps_durable() {
        for stats in pass(&[4806, 33681]) {
            assert!(stats.recoveries_checked >= 2);
        }
    }

    /// An open fails part-way through its fence (an outage), leaving a WAL id unclaimed
    /// below its fence object; the replica must still follow the next writer (seed 46500).
    #[test]
    fn a_replica_follows_the_writer_after_a_failed_open() {
        let stats = pass(&[46500]);
        assert!(stats[0].replica_reads > 0);
    }

    /// An open pauses or hangs between reading the manifest and creating its epoch bump,
    /// past the moment the running writer collected that manifest id; the bump lands in the
    /// freed id, with an epoch proving nothing (seeds 7241, 63995).
    #[test]
    fn an_open_held_up_past_gc_still_takes_over_cleanly() {
        pass(&[7241, 63995]);
    }

    /// A recommender's write hangs while a recovery cuts the twins below its step and its
    /// successor pushes a step at that index; the hung write then fails, not applied. It
    /// must leave the successor's step alone (seed 46228).
    #[test]
    fn a_failed_write_marks_only_its_own_step_of_the_twins() {
        let stats = pass(&[46228]);
        assert!(stats[0].recoveries_checked >= 2);
    }

    /// A replaced recommender's handle, fenced after a failed write, recovers from its old
    /// view while its successor has compacted that view's SSTs away and collected them
    /// (seeds 393957, 398843). Its scan finds one gone: that is the zombie's `Fenced`, not
    /// an object the store lost, and the current recommender's checkpoints stay whole.
    #[test]
    fn a_replaced_recommenders_recovery_meeting_collected_ssts_loses_nothing() {
        for stats in pass(&[393957, 398843]) {
            assert!(stats.recoveries_checked >= 2);
        }
    }

    /// A recommender's open, its first PUT held for seconds by a slow fault, is overtaken by
    /// the next recommender's; it then walks ahead for a free WAL id and leaves its empty
    /// fence objects at the ids the current recommender's next upload needs (seed 644658).
    /// The current one steps past them and keeps writing; taken as fencing, they stopped it,
    /// and its recovery through the stopped handle claimed steps that were never durable.
    #[test]
    fn a_current_writer_steps_past_an_overtaken_opens_late_fences() {
        let stats = pass(&[644658]);
        assert!(stats[0].recoveries_checked >= 2);
    }

    /// In these worlds a recommender past its stop time is still waiting on a write when the
    /// next one takes over; its write then fails, not applied. Its step must not take back the
    /// current recommender's step from the twins, or no twin matches the next recovery.
    #[test]
    fn a_zombie_recommenders_failed_write_leaves_the_current_ones_steps_in_the_twins() {
        for stats in pass(&[1081, 2138]) {
            assert!(stats.recoveries_checked >= 2);
        }
    }
}
