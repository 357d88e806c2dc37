//! The run's JSON summary ([`Summary`]): figures folded from trace events by the metrics,
//! the final LSM shape from the engine's state, and the recommender's report.

use super::tenants::{with_tenants, Tenant, TenantSummary};
use super::world::World;
use crate::metrics::{self, LatencyPercentiles, Metrics, OpCounts};
use crate::recommender::RecommenderReport;
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use strata_engine::{Amplification, DbState, ReaderStaleness};
use strata_objstore::sim::RequestStats;
use strata_recommender::Policy;
use strata_sim::maps::{btree_map, LiteMap};
use strata_sim::SimTime;

/// The summary of a run as of now (its final figures once it finished).
pub(super) fn summary_of(
    scenario: &Scenario,
    world: &World,
    metrics: &Metrics,
    tenants: &[Tenant],
    by_prefix: &LiteMap<String, RequestStats>,
) -> Summary {
    let own = own_summary(scenario, world, metrics);
    with_tenants(own, world, metrics, tenants, by_prefix)
}

/// The summary of the scenario's own database (and the whole bucket's requests and cost).
fn own_summary(scenario: &Scenario, world: &World, metrics: &Metrics) -> Summary {
    let finished = world.finished.get();
    let (trace_hash, trace_events, at) = world.trace_hash_and_end();
    let mut requests: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut requests_failed = 0;
    for ((op, cause), counts) in metrics.requests() {
        *requests
            .entry(op.as_str().to_string())
            .or_default()
            .entry(cause.as_str().to_string())
            .or_default() += counts.count;
        requests_failed += counts.failed;
    }
    let cost_by_cause = metrics.cost_by_cause_picousd();
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
            durable_tracked: world.durable_tracked(),
            lost_durable: metrics.lost_durable_writes,
            resurrected: world.findings.resurrected.get(),
            expired_entries_dropped: metrics.expired_entries_dropped,
            expired_bytes_dropped: metrics.expired_bytes_dropped,
            keys_verified: metrics.keys_checked,
            durability_checks: metrics.durability_checks,
            lost_examples: world.findings.lost_examples.borrow().clone(),
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
        lsm: world.lsm_shape(),
        faults_injected: btree_map(
            metrics
                .faults()
                .map(|(kind, count)| (kind.as_str().to_string(), count)),
        ),
        engine_events: metrics.engine_events.clone(),
        recommender: world.recommender_report(),
        writers_opened: world.writers.opens.get(),
        unfinished_ops: u64::from(world.workload.in_flight.get()),
        tasks_refused: world.findings.tasks_refused.get(),
        engine: world.amplification(),
        reader: world.reader_summary(),
        tenants: Vec::new(),
    }
}

impl World {
    /// The trace's hash and event count, and the time they stand at: the run's end once it
    /// finished, now before.
    pub(super) fn trace_hash_and_end(&self) -> (u64, u64, SimTime) {
        match self.finished.get() {
            Some(f) => (f.trace_hash, f.trace_events, f.at),
            None => {
                let (hash, events) = (self.trace_snapshot)();
                (hash, events, self.now())
            }
        }
    }

    /// The LSM tree's shape now: the summary's `lsm` (none when no writer is up).
    pub(super) fn lsm_shape(&self) -> Option<LsmShape> {
        self.current_writer()
            .map(|db| LsmShape::from_state(&db.state()))
    }

    /// The engine's meters of the writer up now: the summary's `engine`.
    pub(super) fn amplification(&self) -> Option<Amplification> {
        self.current_writer().map(|db| db.amplification())
    }

    /// The read replica's staleness and lag now: the summary's `reader`.
    pub(super) fn reader_summary(&self) -> Option<ReaderSummary> {
        self.writers
            .reader
            .borrow()
            .as_ref()
            .map(|reader| ReaderSummary {
                staleness: reader.staleness(),
                seq_lag: self
                    .current_writer()
                    .map_or(0, |db| reader.seq_lag(db.durable_seq())),
            })
    }

    /// Writes the durability model knows to be durable: the summary's
    /// `writes.durable_tracked`.
    pub(super) fn durable_tracked(&self) -> u64 {
        self.findings.model.borrow().durable_writes
    }

    pub(super) fn recommender_report(&self) -> Option<RecommenderReport> {
        let looped = self.recommender.looped.as_ref()?.borrow();
        let sim = looped.sim();
        let summary = sim.summary();
        let log = self.recommender.log.get();
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
            log_failures: self.recommender.log_failures.get(),
        })
    }
}

/// Writes, as the client saw them and as the durability check found them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteSummary {
    /// Write operations (put, delete, batch, delete_range) acknowledged.
    pub acknowledged: u64,
    /// Of those, acknowledged only once durable (await-durable).
    pub acknowledged_durable: u64,
    /// WAL entries the engine made durable (from `wal_flushed` events).
    pub durable_wal_entries: u64,
    /// Writes (batch entries counted one by one) the durability model knows to be durable.
    pub durable_tracked: u64,
    /// Acknowledged-durable writes missing at a read-back. Must be 0.
    pub lost_durable: u64,
    /// Read-backs that showed a value removed by an acknowledged-durable delete, a covering
    /// acknowledged-durable range delete, or its expiry (by simulated time). Must be 0.
    #[serde(default)]
    pub resurrected: u64,
    /// Entries compaction dropped (or cut to a tombstone) because their time-to-live had
    /// passed, over every writer of the run, and the key and value bytes that saved.
    #[serde(default)]
    pub expired_entries_dropped: u64,
    #[serde(default)]
    pub expired_bytes_dropped: u64,
    pub keys_verified: u64,
    pub durability_checks: u64,
    /// Up to 20 lost or resurrected keys, with what was read and what was expected.
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
        // A loop, not `map` and `collect`, whose instances the page had for this list alone.
        let mut runs = Vec::with_capacity(state.runs.len());
        for run in &state.runs {
            runs.push(RunShape {
                ssts: run.ssts.len() as u64,
                bytes: run.size_bytes,
            });
        }
        LsmShape {
            writer_epoch: state.writer_epoch,
            manifest_id: state.manifest_id,
            memtable_bytes: state.memtable.size_bytes,
            immutable_memtables: state.immutable_memtables.len() as u64,
            l0_ssts: state.l0.len() as u64,
            l0_bytes: state.l0.iter().map(|sst| sst.size_bytes).sum(),
            runs,
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
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub operations: LiteMap<String, OpCounts>,
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
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub engine_events: LiteMap<String, u64>,
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
    /// With tenants: one row per database on the bucket, the scenario's own first, with its
    /// client operations and latency and its prefixes' requests, throttling and dollars.
    /// The top-level `operations`, `writes` and `latency` are the scenario's own database's;
    /// `requests` and `cost` are the whole bucket's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<TenantSummary>,
}

/// How far the read replica trailed the writer at the end of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReaderSummary {
    #[serde(flatten)]
    pub staleness: ReaderStaleness,
    /// Sequence numbers behind the writer's durable watermark.
    pub seq_lag: u64,
}
