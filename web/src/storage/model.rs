//! The storage view's model: everything it draws, read once per frame from the session (the
//! lab's metrics and state, and what the page folded from the trace), so the drawing code
//! holds no simulation state.

use super::{MAX_LISTED, TIMELINE_WINDOW};
use crate::format;
use crate::session::{Activity, EventLine, Session};
use crate::timeline::{requests_in_window, ExplainHandle, TimelineRequest};
use std::rc::Rc;
use strata_engine::compaction::level_target_bytes;
use strata_engine::{CompactionStyle, DbState};
use strata_lab::runner::tombstones::RangeTombstoneView;
use strata_lab::runner::{ClientError, TenantSummary, WriterStatus};
use strata_sim::{Histogram, SimTime, StoreOp};

/// A latency histogram ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyModel {
    pub title: &'static str,
    pub id: &'static str,
    pub buckets: Vec<(f64, f64, u64)>,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub count: u64,
}

impl LatencyModel {
    fn of(title: &'static str, id: &'static str, histogram: &Histogram) -> Self {
        let ms = |nanos: u64| nanos as f64 / 1e6;
        LatencyModel {
            title,
            id,
            buckets: histogram
                .buckets()
                .map(|(low, high, count)| (ms(low), ms(high), count))
                .collect(),
            p50_ms: ms(histogram.quantile(0.5)),
            p99_ms: ms(histogram.quantile(0.99)),
            p999_ms: ms(histogram.quantile(0.999)),
            count: histogram.count(),
        }
    }
}

/// The compaction style as the view labels it.
#[derive(Clone, Debug, PartialEq)]
pub enum CompactionModel {
    None,
    SizeTiered,
    /// Leveled, with the target size of levels 1, 2, … (the last level never overflows).
    Leveled {
        level_targets_bytes: Vec<u64>,
    },
}

impl CompactionModel {
    fn of(options: &strata_engine::DbOptions) -> Self {
        match options.compaction.style {
            CompactionStyle::None => CompactionModel::None,
            CompactionStyle::SizeTiered { .. } => CompactionModel::SizeTiered,
            CompactionStyle::Leveled {
                level_base_bytes,
                level_ratio,
                max_levels,
                ..
            } => CompactionModel::Leveled {
                level_targets_bytes: (1..=max_levels)
                    .map(|level| level_target_bytes(level_base_bytes, level_ratio, level))
                    .collect(),
            },
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            CompactionModel::None => "no compaction",
            CompactionModel::SizeTiered => "size-tiered compaction",
            CompactionModel::Leveled { .. } => "leveled compaction",
        }
    }
}

/// Everything the storage view draws.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageModel {
    pub now: SimTime,
    pub key_count: u64,
    pub writer: WriterStatus,
    /// Writers opened so far: 0 until the first open completes.
    pub writers_opened: u64,
    pub db: Option<DbState>,
    pub zombie: Option<DbState>,
    pub wal_limit_bytes: u64,
    /// The compaction style in force, with the target size of each level when leveled.
    pub compaction: CompactionModel,
    pub activities: Vec<Activity>,
    pub compactions_started: u64,
    pub compactions_committed: u64,
    pub last_compaction: Option<Activity>,
    pub cost_usd_per_month: f64,
    pub cost_usd_so_far: f64,
    pub puts_per_1000_writes: f64,
    pub write_amplification: f64,
    pub store_requests: u64,
    pub store_requests_failed: u64,
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub writes_acknowledged: u64,
    pub writes_acknowledged_durable: u64,
    pub durability_checks: u64,
    pub keys_checked: u64,
    pub lost_durable: u64,
    /// Read-backs that showed a deleted or expired value (must stay 0).
    pub resurrected: u64,
    /// Entries compaction dropped because their time-to-live had passed, and the bytes saved.
    pub expired_entries_dropped: u64,
    pub expired_bytes_dropped: u64,
    /// The writer's range tombstones, with the memtable or SST that holds each.
    pub range_tombstones: Vec<RangeTombstoneView>,
    /// Whether the workload deletes ranges or writes with a time-to-live (or something was
    /// resurrected): the figures about them are shown only then.
    pub shows_lifetimes: bool,
    pub fenced: u64,
    pub bytes_stored: u64,
    pub objects: u64,
    pub preset: String,
    pub latencies: Vec<LatencyModel>,
    pub requests: Rc<Vec<TimelineRequest>>,
    /// The run's explain fold, for the timeline's cause chains.
    pub explain: ExplainHandle,
    pub window_start: SimTime,
    pub errors: Vec<ClientError>,
    pub events: Vec<EventLine>,
    /// One row per database on the bucket; empty without tenants.
    pub tenants: Vec<TenantSummary>,
}

impl StorageModel {
    pub fn from_session(session: &Session) -> Self {
        let lab = session.lab();
        let now = lab.now();
        let stats = lab.store_stats();
        let observed = session.observed();
        let metrics = lab.metrics();
        let (ops_ok, ops_failed) = metrics
            .ops
            .values()
            .fold((0, 0), |(ok, failed), c| (ok + c.ok, failed + c.failed));
        let store_requests_failed = metrics.requests().map(|(_, c)| c.failed).sum();
        let mut latencies = vec![
            LatencyModel::of(
                "Client write latency",
                "hist-write",
                &metrics.write_latency_nanos,
            ),
            LatencyModel::of(
                "Client read latency",
                "hist-read",
                &metrics.read_latency_nanos,
            ),
        ];
        for (op, title, id) in [
            (StoreOp::Put, "Object-store PUT latency", "hist-put"),
            (StoreOp::Get, "Object-store GET latency", "hist-get"),
        ] {
            latencies.push(LatencyModel::of(title, id, metrics.store_latency_nanos(op)));
        }
        let window_start =
            SimTime::from_nanos(now.as_nanos().saturating_sub(TIMELINE_WINDOW.as_nanos()));
        let requests = Rc::new(requests_in_window(
            lab.trace().retained(),
            window_start,
            now,
        ));
        let settings = session.settings();
        let wal_limit_bytes = settings
            .engine
            .max_wal_bytes
            .unwrap_or(strata_engine::DbOptions::default().max_wal_bytes as u64);
        let compaction = CompactionModel::of(
            &strata_lab::runner::engine_options(&settings.engine).unwrap_or_default(),
        );
        let mut errors = lab.recent_errors();
        errors.reverse();
        errors.truncate(MAX_LISTED);
        let events: Vec<EventLine> = observed
            .events
            .iter()
            .rev()
            .take(MAX_LISTED)
            .cloned()
            .collect();
        let db = lab.db_state();
        let range_tombstones = db
            .as_ref()
            .map(|state| lab.range_tombstones(state))
            .unwrap_or_default();
        StorageModel {
            now,
            key_count: settings.workload.key_count,
            writer: lab.writer_status(),
            writers_opened: lab.writers_opened(),
            db,
            zombie: lab.zombie_state(),
            wal_limit_bytes,
            compaction,
            activities: observed.activities.iter().copied().collect(),
            compactions_started: metrics.compactions_started(),
            compactions_committed: metrics.compactions_committed(),
            last_compaction: observed.last_compaction,
            cost_usd_per_month: format::picousd_to_usd(
                stats.cost.projected_total_picousd_per_month,
            ),
            cost_usd_so_far: format::picousd_to_usd(stats.cost.total_picousd),
            puts_per_1000_writes: metrics.puts_per_1000_writes(),
            write_amplification: metrics.write_amplification(),
            store_requests: stats.requests,
            store_requests_failed,
            ops_ok,
            ops_failed,
            writes_acknowledged: metrics.writes_acknowledged,
            writes_acknowledged_durable: metrics.writes_acknowledged_durable,
            durability_checks: metrics.durability_checks,
            keys_checked: metrics.keys_checked,
            lost_durable: metrics.lost_durable_writes,
            resurrected: lab.resurrected(),
            expired_entries_dropped: metrics.expired_entries_dropped,
            expired_bytes_dropped: metrics.expired_bytes_dropped,
            shows_lifetimes: settings.workload.ttl_ms.is_some()
                || settings.workload.mix.delete_range > 0.0
                || metrics.expired_entries_dropped > 0
                || lab.resurrected() > 0,
            range_tombstones,
            fenced: metrics.fenced(),
            bytes_stored: stats.bytes_stored,
            objects: stats.objects,
            preset: stats.preset.clone(),
            latencies,
            requests,
            explain: ExplainHandle(lab.explainer_handle()),
            window_start,
            errors,
            events,
            tenants: lab.tenant_rows(),
        }
    }
}

/// Where a key sits on the key axis, in [0, 1]. Workload keys are `k` + a zero-padded index;
/// anything else (the recommender's log) sorts after them and is drawn in the last tenth.
pub fn key_position(key: &str, key_count: u64) -> f64 {
    let index = key
        .strip_prefix('k')
        .and_then(|digits| digits.parse::<u64>().ok());
    match index {
        Some(index) => 0.9 * (index as f64 / key_count.max(1) as f64).min(1.0),
        None if key < "k" => 0.0,
        None => 0.95,
    }
}
