//! The storage view's part of a frame: everything it draws, read from the session (the lab's
//! metrics and state, and what the page folded from the trace), so the drawing code holds no
//! simulation state. Bounded: the LSM's shape, counts, the last events and errors, the
//! histograms' buckets, and the timeline's requests since the page's last.

use super::timeline::TimelineIncrement;
use crate::format;
use crate::session::{Activity, ActivityKind, EventLine, Session};
use crate::storage::{MAX_ACTIVITY_PILLS, MAX_LISTED, TIMELINE_WINDOW};
#[cfg(test)]
use serde::{Deserialize, Serialize};
use strata_engine::compaction::level_target_bytes;
use strata_engine::{CompactionStyle, DbState};
use strata_lab::runner::tombstones::{RangeTombstoneView, TombstoneHolder};
use strata_lab::runner::{ClientError, TenantSummary, WriterStatus};
use strata_sim::{Histogram, SimTime, StoreOp};

/// Which latency a histogram shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub enum LatencyKind {
    ClientWrite,
    ClientRead,
    StorePut,
    StoreGet,
}

impl LatencyKind {
    pub fn title(self) -> &'static str {
        match self {
            LatencyKind::ClientWrite => "Client write latency",
            LatencyKind::ClientRead => "Client read latency",
            LatencyKind::StorePut => "Object-store PUT latency",
            LatencyKind::StoreGet => "Object-store GET latency",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            LatencyKind::ClientWrite => "hist-write",
            LatencyKind::ClientRead => "hist-read",
            LatencyKind::StorePut => "hist-put",
            LatencyKind::StoreGet => "hist-get",
        }
    }
}

/// A range tombstone as the tree draws it: the keys it covers, on the row of the memtable
/// (`in_memtable`) or the SST with id `holder`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct TombstoneBar {
    pub in_memtable: bool,
    pub holder: u64,
    pub start: String,
    pub end: String,
}

impl From<RangeTombstoneView> for TombstoneBar {
    fn from(view: RangeTombstoneView) -> Self {
        let (in_memtable, holder) = match view.holder {
            TombstoneHolder::Memtable(id) => (true, id),
            TombstoneHolder::Sst(id) => (false, id),
        };
        TombstoneBar {
            in_memtable,
            holder,
            start: view.start,
            end: view.end,
        }
    }
}

impl TombstoneBar {
    /// The memtable or SST that holds it.
    pub fn holder(&self) -> TombstoneHolder {
        if self.in_memtable {
            TombstoneHolder::Memtable(self.holder)
        } else {
            TombstoneHolder::Sst(self.holder)
        }
    }
}

/// A latency histogram ready to draw.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct LatencyModel {
    pub kind: LatencyKind,
    /// The chart's axis and its bars (see [`crate::charts::histogram_bars`]).
    pub low_ms: f64,
    pub high_ms: f64,
    pub buckets: Vec<(f64, f64, u64)>,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub count: u64,
}

impl LatencyModel {
    fn of(kind: LatencyKind, histogram: &Histogram) -> Self {
        let ms = |nanos: u64| nanos as f64 / 1e6;
        let mut buckets = Vec::new();
        for (low, high, count) in histogram.buckets() {
            buckets.push((ms(low), ms(high), count));
        }
        let p999_ms = ms(histogram.quantile(0.999));
        let (low_ms, high_ms, buckets) = if buckets.is_empty() {
            (0.0, 0.0, buckets)
        } else {
            crate::charts::histogram_bars(&buckets, p999_ms)
        };
        LatencyModel {
            kind,
            low_ms,
            high_ms,
            buckets,
            p50_ms: ms(histogram.quantile(0.5)),
            p99_ms: ms(histogram.quantile(0.99)),
            p999_ms,
            count: histogram.count(),
        }
    }
}

/// The compaction style as the view labels it.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
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
            } => {
                let mut level_targets_bytes = Vec::new();
                for level in 1..=max_levels {
                    level_targets_bytes.push(level_target_bytes(
                        level_base_bytes,
                        level_ratio,
                        level,
                    ));
                }
                CompactionModel::Leveled {
                    level_targets_bytes,
                }
            }
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
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct StorageFrame {
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
    /// The most recent flushes and compactions, oldest first (the activity strip's).
    pub activities: Vec<Activity>,
    /// Flushes and compactions running (of all the page remembers).
    pub flushes_running: u64,
    pub compactions_running: u64,
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
    pub range_tombstones: Vec<TombstoneBar>,
    /// Whether the workload deletes ranges or writes with a time-to-live (or something was
    /// resurrected): the figures about them are shown only then.
    pub shows_lifetimes: bool,
    pub fenced: u64,
    pub bytes_stored: u64,
    pub objects: u64,
    pub preset: String,
    pub latencies: Vec<LatencyModel>,
    /// The timeline's requests since the page's last (the page keeps the window).
    pub timeline: TimelineIncrement,
    /// The slowest client operations, as the timeline lists them.
    pub slowest: Vec<SlowOperationLine>,
    pub window_start: SimTime,
    pub errors: Vec<ClientError>,
    pub events: Vec<EventLine>,
    /// One row per database on the bucket; empty without tenants.
    pub tenants: Vec<TenantSummary>,
}

/// One of the slowest client operations, as its button reads.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct SlowOperationLine {
    pub number: u64,
    pub kind: String,
    pub key: String,
    pub latency_ms: f64,
}

impl StorageFrame {
    /// The storage view's frame; the timeline brings the requests after `timeline_after` (a
    /// trace sequence number of this run), or all of its window. Its lists are pushed by plain
    /// loops: each iterator chain here was an instance the page had for that list alone.
    pub fn build(session: &Session, timeline_after: Option<u64>) -> Self {
        let lab = session.lab();
        let now = lab.now();
        let stats = lab.store_stats();
        let observed = session.observed();
        let metrics = lab.metrics();
        let (ops_ok, ops_failed) = metrics
            .ops
            .values()
            .fold((0, 0), |(ok, failed), c| (ok + c.ok, failed + c.failed));
        let store_requests_failed = crate::compare::requests_failed(&metrics);
        let latencies = vec![
            LatencyModel::of(LatencyKind::ClientWrite, &metrics.write_latency_nanos),
            LatencyModel::of(LatencyKind::ClientRead, &metrics.read_latency_nanos),
            LatencyModel::of(
                LatencyKind::StorePut,
                metrics.store_latency_nanos(StoreOp::Put),
            ),
            LatencyModel::of(
                LatencyKind::StoreGet,
                metrics.store_latency_nanos(StoreOp::Get),
            ),
        ];
        let window_start =
            SimTime::from_nanos(now.as_nanos().saturating_sub(TIMELINE_WINDOW.as_nanos()));
        let timeline = TimelineIncrement::of(&lab.trace(), window_start, now, timeline_after);
        let mut slowest = Vec::new();
        for op in lab.explainer().slowest() {
            slowest.push(SlowOperationLine {
                number: op.number,
                kind: op.kind.to_string(),
                key: op.key.clone(),
                latency_ms: op.latency_ms,
            });
        }
        let (workload, engine, _) = session.settings_in_force();
        let wal_limit_bytes = engine
            .max_wal_bytes
            .unwrap_or(strata_engine::DbOptions::default().max_wal_bytes as u64);
        let compaction =
            CompactionModel::of(&strata_lab::runner::engine_options(engine).unwrap_or_default());
        let mut errors = lab.recent_errors();
        errors.reverse();
        errors.truncate(MAX_LISTED);
        let mut events = Vec::new();
        for event in observed.events.iter().rev() {
            if events.len() == MAX_LISTED {
                break;
            }
            events.push(event.clone());
        }
        // The newest pills, the older ones passed by a count: `skip` was the only use of the
        // deque's `advance_by`.
        let mut skip = observed.activities.len().saturating_sub(MAX_ACTIVITY_PILLS);
        let mut activities = Vec::new();
        for activity in &observed.activities {
            if skip > 0 {
                skip -= 1;
            } else {
                activities.push(*activity);
            }
        }
        let running = |kind: ActivityKind| {
            let mut running = 0;
            for activity in &observed.activities {
                if activity.kind == kind && activity.finished.is_none() {
                    running += 1;
                }
            }
            running
        };
        let db = lab.db_state();
        let mut range_tombstones = Vec::new();
        if let Some(state) = &db {
            for tombstone in lab.range_tombstones(state) {
                range_tombstones.push(TombstoneBar::from(tombstone));
            }
        }
        StorageFrame {
            now,
            key_count: workload.key_count,
            writer: lab.writer_status(),
            writers_opened: lab.writers_opened(),
            db,
            zombie: lab.zombie_state(),
            wal_limit_bytes,
            compaction,
            activities,
            flushes_running: running(ActivityKind::Flush),
            compactions_running: running(ActivityKind::Compaction),
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
            shows_lifetimes: workload.ttl_ms.is_some()
                || workload.mix.delete_range > 0.0
                || metrics.expired_entries_dropped > 0
                || lab.resurrected() > 0,
            range_tombstones,
            fenced: metrics.fenced(),
            bytes_stored: stats.bytes_stored,
            objects: stats.objects,
            preset: stats.preset.clone(),
            latencies,
            timeline,
            slowest,
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
