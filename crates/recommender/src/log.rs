//! Impression logs and policy checkpoints in the engine, and recovery from them.
//!
//! **Keys** (all under a configurable prefix, `recommender` by default):
//! - `{prefix}/imp/{time_ns:020}/{impression_id:020}`: one impression; the key sorts by
//!   simulated time, then by impression number, so a range scan reads impressions in the
//!   order they happened.
//! - `{prefix}/ckpt/{policy_version:020}`: a checkpoint; the last key is the newest. Only
//!   the newest `retain_checkpoints` are kept (older ones are deleted in the same batch).
//!
//! **Values** are JSON (floats round-trip exactly): an [`ImpressionRecord`] holds the
//! context, the whole slate, the item and its position, its propensity, the reward and the
//! policy version that chose it; a [`CheckpointRecord`] holds the policy's full serialised
//! state and the key of the last impression it includes.
//!
//! **Atomicity.** Each step's impressions (and the checkpoint, when one is due) go into one
//! `WriteBatch`, so the log always ends on a slate boundary and a checkpoint is never
//! durable without the impressions it covers.
//!
//! **Recovery** ([`recover_policy`]): load the newest checkpoint (or a fresh policy), then
//! replay, in key order, every impression logged after it by calling `update(context, arm,
//! reward)`. Because choosing never changes a policy's state, the result equals the state of
//! an uncrashed twin that made the same updates.

use crate::error::{RecommenderError, Result};
use crate::json::{Members, Writer};
use crate::policy::{AnyPolicy, Context, Policy, PolicyConfig};
use crate::simulation::{RecommenderSim, SlateOutcome};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::ops::Bound;
use std::rc::Rc;
use strata_engine::{Db, WriteBatch, WriteOptions};
use strata_sim::fmt::shortest;
use strata_sim::{EventKind, Runtime, RuntimeRef, SimDuration, SimTime};

/// The most checkpoints kept at once (bounds the retention queue).
pub const MAX_RETAINED_CHECKPOINTS: usize = 64;

/// Where and how often the loop writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// Key prefix; letters, digits, `-`, `_` and `/` only.
    pub prefix: String,
    /// Write every impression.
    pub log_impressions: bool,
    /// Checkpoint after at least this many impressions since the last one (0: never).
    pub checkpoint_every: u64,
    /// Checkpoints kept (1 ≤ n ≤ 64).
    pub retain_checkpoints: usize,
    /// Wait for each batch to be durable in the object store before the next step.
    pub durable_writes: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            prefix: "recommender".to_string(),
            log_impressions: true,
            checkpoint_every: 1000,
            retain_checkpoints: 3,
            durable_writes: false,
        }
    }
}

impl LogConfig {
    pub fn validate(&self) -> Result<()> {
        let prefix_ok = !self.prefix.is_empty()
            && self.prefix.len() <= 200
            && self
                .prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'));
        if !prefix_ok {
            return Err(RecommenderError::param(
                "prefix",
                &self.prefix,
                "1 to 200 characters of letters, digits, '-', '_' or '/'",
            ));
        }
        if self.retain_checkpoints == 0 || self.retain_checkpoints > MAX_RETAINED_CHECKPOINTS {
            return Err(RecommenderError::param(
                "retain_checkpoints",
                self.retain_checkpoints,
                format!("must lie in [1, {MAX_RETAINED_CHECKPOINTS}]"),
            ));
        }
        Ok(())
    }
}

/// One logged impression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImpressionRecord {
    pub impression_id: u64,
    pub time_ns: u64,
    pub step: u64,
    pub user: u32,
    pub context: Context,
    /// Every item of the slate, in position order.
    pub slate: Vec<u32>,
    pub arm: u32,
    pub position: u32,
    pub propensity: f64,
    pub reward: f64,
    pub exploratory: bool,
    /// The policy version (updates folded in) that chose this slate.
    pub policy_version: u64,
}

/// One checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    pub policy_version: u64,
    pub step: u64,
    /// The key of the last impression folded into `policy` (none before any impression).
    pub last_impression_key: Option<String>,
    pub policy: AnyPolicy,
}

pub fn impression_key(prefix: &str, time: SimTime, impression_id: u64) -> String {
    format!("{prefix}/imp/{:020}/{impression_id:020}", time.as_nanos())
}

pub fn checkpoint_key(prefix: &str, policy_version: u64) -> String {
    format!("{prefix}/ckpt/{policy_version:020}")
}

/// `[start, end)` of the keys under `{prefix}/{segment}/`.
fn segment_range(prefix: &str, segment: &str) -> (Vec<u8>, Vec<u8>) {
    let start = format!("{prefix}/{segment}/").into_bytes();
    // '0' is the byte after '/', so this bounds exactly the keys that start with `start`.
    let end = format!("{prefix}/{segment}0").into_bytes();
    (start, end)
}

fn engine(error: strata_engine::Error) -> RecommenderError {
    RecommenderError::Engine(error.to_string())
}

/// The impression's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for ImpressionRecord {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("impression_id").u64(self.impression_id);
        writer.key("time_ns").u64(self.time_ns);
        writer.key("step").u64(self.step);
        writer.key("user").u64(u64::from(self.user));
        writer.key("context").object(&self.context);
        writer.key("slate").u32s(&self.slate);
        writer.key("arm").u64(u64::from(self.arm));
        writer.key("position").u64(u64::from(self.position));
        writer.key("propensity").f64(self.propensity);
        writer.key("reward").f64(self.reward);
        writer.key("exploratory").bool(self.exploratory);
        writer.key("policy_version").u64(self.policy_version);
    }
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for CheckpointRecord {
    fn write_members(&self, writer: &mut Writer) {
        CheckpointView {
            policy_version: self.policy_version,
            step: self.step,
            last_impression_key: self.last_impression_key.as_deref(),
            policy: &self.policy,
        }
        .write_members(writer);
    }
}

/// A checkpoint's fields by reference: what [`EngineLogger::prepare`] writes, so a due
/// checkpoint serialises the live policy rather than a copy of it (in the playground's wasm,
/// a copy linked the `Clone` of every policy's state for this alone).
struct CheckpointView<'a> {
    policy_version: u64,
    step: u64,
    last_impression_key: Option<&'a str>,
    policy: &'a AnyPolicy,
}

impl Members for CheckpointView<'_> {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("policy_version").u64(self.policy_version);
        writer.key("step").u64(self.step);
        match self.last_impression_key {
            Some(key) => writer.key("last_impression_key").string(key),
            None => writer.key("last_impression_key").null(),
        }
        writer.key("policy").object(self.policy);
    }
}

/// Through `strata_sim::json`, which reads every float exactly, then the derived reader.
fn decode<T: for<'de> Deserialize<'de>>(key: &[u8], bytes: &[u8]) -> Result<T> {
    let codec = |e: &dyn std::fmt::Display| {
        RecommenderError::Codec(format!("{}: {e}", String::from_utf8_lossy(key)))
    };
    let value = strata_sim::json::from_slice(bytes).map_err(|e| codec(&e))?;
    serde_json::from_value(value).map_err(|e| codec(&e))
}

/// Decodes a checkpoint value stored under `key` and checks its policy's state with
/// [`AnyPolicy::validate`]: a checkpoint is read back from storage, so its shapes are not
/// trusted.
pub fn decode_checkpoint(key: &[u8], bytes: &[u8]) -> Result<CheckpointRecord> {
    let record: CheckpointRecord = decode(key, bytes)?;
    record.policy.validate().map_err(|error| {
        RecommenderError::Codec(format!("{}: {error}", String::from_utf8_lossy(key)))
    })?;
    Ok(record)
}

/// Counters of what the logger wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogStats {
    pub impressions_logged: u64,
    pub checkpoints_written: u64,
    pub bytes_written: u64,
    pub last_checkpoint_version: Option<u64>,
}

/// Writes one step at a time into the engine.
pub struct EngineLogger {
    config: LogConfig,
    db: Rc<Db>,
    impressions_since_checkpoint: u64,
    /// Checkpoint keys still in the engine, oldest first (at most `retain_checkpoints`).
    retained: VecDeque<String>,
    stats: LogStats,
}

impl EngineLogger {
    pub fn new(db: Rc<Db>, config: LogConfig) -> Result<EngineLogger> {
        config.validate()?;
        Ok(EngineLogger {
            config,
            db,
            impressions_since_checkpoint: 0,
            retained: VecDeque::new(),
            stats: LogStats::default(),
        })
    }

    pub fn stats(&self) -> LogStats {
        self.stats
    }
    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Builds the batch for one step (its impressions, and a checkpoint of `policy` when one
    /// is due) and records `Checkpointed` in the trace. `policy` must be the state after the
    /// step's updates. Synchronous, so callers need not hold borrows across an await.
    pub fn prepare(
        &mut self,
        runtime: &dyn Runtime,
        outcome: &SlateOutcome,
        policy: &AnyPolicy,
    ) -> Result<WriteBatch> {
        let mut batch = WriteBatch::new();
        let now = runtime.now();
        let prefix = self.config.prefix.clone();
        let slate: Vec<u32> = outcome.slots.iter().map(|s| s.arm).collect();
        let mut last_key = None;
        for slot in &outcome.slots {
            let key = impression_key(&prefix, now, slot.impression_id);
            if self.config.log_impressions {
                let record = ImpressionRecord {
                    impression_id: slot.impression_id,
                    time_ns: now.as_nanos(),
                    step: outcome.step,
                    user: outcome.user,
                    context: outcome.context.clone(),
                    slate: slate.clone(),
                    arm: slot.arm,
                    position: slot.position,
                    propensity: slot.propensity,
                    reward: if slot.click { 1.0 } else { 0.0 },
                    exploratory: slot.exploratory,
                    policy_version: outcome.policy_version,
                };
                let value = crate::json::to_vec(&record);
                self.stats.bytes_written += (key.len() + value.len()) as u64;
                batch.put(key.as_bytes(), value);
                self.stats.impressions_logged += 1;
            }
            last_key = Some(key);
        }
        self.impressions_since_checkpoint += outcome.slots.len() as u64;
        let due = self.config.checkpoint_every > 0
            && self.impressions_since_checkpoint >= self.config.checkpoint_every;
        // A checkpoint that skips unlogged impressions could never be caught up by replay, so
        // checkpoints need the impressions logged (or are the only record, when they are not).
        if due {
            self.impressions_since_checkpoint = 0;
            let record = CheckpointView {
                policy_version: policy.version(),
                step: outcome.step,
                last_impression_key: last_key.as_deref(),
                policy,
            };
            let key = checkpoint_key(&prefix, record.policy_version);
            let value = crate::json::to_vec(&record);
            let bytes = value.len() as u64;
            self.stats.bytes_written += key.len() as u64 + bytes;
            batch.put(key.as_bytes(), value);
            self.retained.push_back(key);
            while self.retained.len() > self.config.retain_checkpoints {
                if let Some(old) = self.retained.pop_front() {
                    batch.delete(old.as_bytes());
                }
            }
            self.stats.checkpoints_written += 1;
            self.stats.last_checkpoint_version = Some(record.policy_version);
            runtime.record(EventKind::Checkpointed {
                version: record.policy_version,
                bytes,
            });
        }
        Ok(batch)
    }

    /// Writes a prepared batch (waiting for durability when configured).
    pub async fn write(&self, batch: &WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let options = self.write_options();
        self.db.write(batch, options).await.map_err(engine)
    }

    fn write_options(&self) -> WriteOptions {
        if self.config.durable_writes {
            WriteOptions::DURABLE
        } else {
            WriteOptions::NO_AWAIT
        }
    }

    /// The database this logger writes into.
    pub fn db(&self) -> &Rc<Db> {
        &self.db
    }

    /// A prepared batch with what writing it needs, so that the write can be awaited without
    /// holding the logger (or whatever owns it) borrowed.
    pub fn pending(&self, batch: WriteBatch) -> PendingLog {
        PendingLog {
            db: self.db.clone(),
            batch,
            options: self.write_options(),
        }
    }

    /// `prepare` then `write`.
    pub async fn log_step(
        &mut self,
        runtime: &dyn Runtime,
        outcome: &SlateOutcome,
        policy: &AnyPolicy,
    ) -> Result<()> {
        let batch = self.prepare(runtime, outcome, policy)?;
        self.write(&batch).await
    }
}

/// One step's log batch, ready to write: see [`EngineLogger::pending`].
pub struct PendingLog {
    db: Rc<Db>,
    batch: WriteBatch,
    options: WriteOptions,
}

impl PendingLog {
    /// Writes the batch (an empty one writes nothing).
    pub async fn write(self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.db
            .write(&self.batch, self.options)
            .await
            .map_err(engine)
    }
}

/// Records the step's `DriftApplied`, `Impression`, `Click` and `PolicyUpdated` events.
pub fn record_step_events(runtime: &dyn Runtime, outcome: &SlateOutcome, policy_version: u64) {
    if let Some(description) = &outcome.drift {
        runtime.record(EventKind::DriftApplied {
            description: description.clone(),
        });
    }
    for slot in &outcome.slots {
        runtime.record(EventKind::Impression {
            impression_id: slot.impression_id,
            arm: slot.arm,
            propensity: slot.propensity,
        });
        if slot.click {
            runtime.record(EventKind::Click {
                impression_id: slot.impression_id,
                arm: slot.arm,
            });
        }
    }
    runtime.record(EventKind::PolicyUpdated {
        version: policy_version,
    });
}

/// A recovered policy and how it was rebuilt.
#[derive(Clone, Debug, PartialEq)]
pub struct Recovered {
    pub policy: AnyPolicy,
    pub checkpoint_version: Option<u64>,
    pub replayed_impressions: u64,
    /// The last impression folded in (from the checkpoint or the replay).
    pub last_impression_id: Option<u64>,
}

/// Rebuilds a policy from the newest checkpoint under `prefix` plus the impressions logged
/// after it; a fresh `config.build(arms)` when there is no checkpoint.
pub async fn recover_policy(
    db: &Db,
    prefix: &str,
    config: &PolicyConfig,
    arms: usize,
) -> Result<Recovered> {
    let (start, end) = segment_range(prefix, "ckpt");
    let mut checkpoints = db.scan(start..end).map_err(engine)?;
    let mut newest: Option<CheckpointRecord> = None;
    while let Some((key, value)) = checkpoints.next().await.map_err(engine)? {
        newest = Some(decode_checkpoint(&key, &value)?);
    }
    let (mut policy, checkpoint_version, after) = match newest {
        Some(checkpoint) => (
            checkpoint.policy,
            Some(checkpoint.policy_version),
            checkpoint.last_impression_key,
        ),
        None => (config.build(arms)?, None, None),
    };
    if policy.arm_count() != arms {
        return Err(RecommenderError::Codec(format!(
            "checkpoint has {} arms, expected {arms}",
            policy.arm_count()
        )));
    }
    let mut last_impression_id = None;
    if let Some(key) = &after {
        // The id is the key's last segment.
        last_impression_id = key.rsplit('/').next().and_then(|id| id.parse::<u64>().ok());
    }
    let (start, end) = segment_range(prefix, "imp");
    let lower = match after {
        Some(key) => Bound::Excluded(key.into_bytes()),
        None => Bound::Included(start),
    };
    let mut impressions = db.scan((lower, Bound::Excluded(end))).map_err(engine)?;
    let mut replayed = 0;
    while let Some((key, value)) = impressions.next().await.map_err(engine)? {
        let record: ImpressionRecord = decode(&key, &value)?;
        policy.update(&record.context, record.arm as usize, record.reward)?;
        last_impression_id = Some(record.impression_id);
        replayed += 1;
    }
    Ok(Recovered {
        policy,
        checkpoint_version,
        replayed_impressions: replayed,
        last_impression_id,
    })
}

/// Reads up to `limit` logged impressions in time order (for export and OPE).
pub async fn load_impressions(
    db: &Db,
    prefix: &str,
    limit: usize,
) -> Result<Vec<ImpressionRecord>> {
    let (start, end) = segment_range(prefix, "imp");
    let mut scan = db.scan(start..end).map_err(engine)?;
    let mut out = Vec::new();
    while out.len() < limit {
        match scan.next().await.map_err(engine)? {
            Some((key, value)) => out.push(decode(&key, &value)?),
            None => break,
        }
    }
    Ok(out)
}

/// Logged impressions as an OPE log CSV (`action,reward,propensity,position`), the format
/// [`crate::ope::ope_from_csv`] reads.
pub fn impressions_to_csv(records: &[ImpressionRecord]) -> String {
    let mut out = String::from("action,reward,propensity,position\n");
    for r in records {
        out.push_str(&format!(
            "{},{},{},{}\n",
            r.arm,
            shortest(r.reward),
            shortest(r.propensity),
            r.position
        ));
    }
    out
}

/// The recommender loop in simulated time: a slate every `1 / slates_per_sec` seconds,
/// trace events for each, and the engine log when a logger is given.
///
/// [`RecommenderLoop::step`] is one whole step. A driver that must not hold the loop borrowed
/// across an await (the lab shares it with the views that read its summary) calls
/// [`RecommenderLoop::serve`], which does the synchronous part and hands back the log write,
/// and awaits that write itself; it may also move the loop to another database between steps
/// with [`RecommenderLoop::replace_logger`].
pub struct RecommenderLoop {
    sim: RecommenderSim,
    logger: Option<EngineLogger>,
    interval: SimDuration,
}

/// What [`RecommenderLoop::serve`] did: the slate shown, and the step's log write when a
/// logger is attached (an error here is the log's, not the loop's).
pub struct Served {
    pub outcome: SlateOutcome,
    pub log: Option<Result<PendingLog>>,
}

impl RecommenderLoop {
    pub fn new(
        sim: RecommenderSim,
        logger: Option<EngineLogger>,
        slates_per_sec: f64,
    ) -> Result<RecommenderLoop> {
        RecommenderLoop::check_rate(slates_per_sec)?;
        Ok(RecommenderLoop {
            sim,
            logger,
            interval: SimDuration::from_secs_f64(1.0 / slates_per_sec),
        })
    }

    /// Refuses a slate rate the loop cannot keep: positive, between 1e-6 and 1e9 a second.
    pub fn check_rate(slates_per_sec: f64) -> Result<()> {
        crate::error::require_above("slates_per_sec", slates_per_sec, 0.0)?;
        crate::error::require_within("slates_per_sec", slates_per_sec, 1e-6, 1e9)
    }

    pub fn sim(&self) -> &RecommenderSim {
        &self.sim
    }
    pub fn logger(&self) -> Option<&EngineLogger> {
        self.logger.as_ref()
    }
    /// Simulated time between slates.
    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// Attaches another logger (a new database after a crash or a takeover, say), or none,
    /// and returns the one it replaces with its counters.
    pub fn replace_logger(&mut self, logger: Option<EngineLogger>) -> Option<EngineLogger> {
        std::mem::replace(&mut self.logger, logger)
    }

    /// The synchronous part of a step: show a slate, record its events, and, when `log` is
    /// true and a logger is attached, prepare its log batch (a checkpoint's `Checkpointed`
    /// event is recorded here). The write is the caller's to await. `log: false` serves the
    /// slate unlogged, as a loop does while its database is unavailable.
    pub fn serve(&mut self, runtime: &dyn Runtime, log: bool) -> Result<Served> {
        let outcome = self.sim.step()?;
        record_step_events(runtime, &outcome, self.sim.policy().version());
        let logger = if log { self.logger.as_mut() } else { None };
        let log = logger.map(|logger| {
            let batch = logger.prepare(runtime, &outcome, self.sim.policy())?;
            Ok(logger.pending(batch))
        });
        Ok(Served { outcome, log })
    }

    /// One step: show a slate, record its events, log it.
    pub async fn step(&mut self, runtime: &dyn Runtime) -> Result<SlateOutcome> {
        let Served { outcome, log } = self.serve(runtime, true)?;
        if let Some(log) = log {
            log?.write().await?;
        }
        Ok(outcome)
    }

    /// Steps until simulated time reaches `until`; returns the steps taken.
    pub async fn run_until(&mut self, runtime: RuntimeRef, until: SimTime) -> Result<u64> {
        let mut steps = 0;
        while runtime.now() < until {
            self.step(runtime.as_ref()).await?;
            steps += 1;
            runtime.sleep(self.interval).await;
        }
        Ok(steps)
    }

    pub fn into_parts(self) -> (RecommenderSim, Option<EngineLogger>) {
        (self.sim, self.logger)
    }
}
