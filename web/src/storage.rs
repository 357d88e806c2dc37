//! The storage view: the LSM tree's shape (memtable fill, immutable memtables, L0 SSTs and
//! sorted runs drawn on the key axis with their sizes), flushes and compactions animating as
//! they start and end, the WAL buffer and the acknowledged/durable watermarks, the headline
//! figures ($/month, PUTs per 1,000 writes, write amplification), latency histograms, the
//! request timeline, and the writer's status, errors and notable events. Range tombstones are
//! bars over the keys they cover, on the row of the memtable or SST that holds them; entries
//! compaction dropped because their time-to-live passed are counted in the headline figures
//! and in each compaction's story.
//!
//! Everything here is drawn from a [`StorageModel`] built once per frame from the session, so
//! the view itself holds no simulation state.

use crate::charts::LatencyHistogram;
use crate::format;
use crate::session::{Activity, ActivityKind, EventLine, Session};
use crate::tenants::tenants_panel;
use crate::timeline::{requests_in_window, ExplainHandle, Timeline, TimelineRequest};
use std::rc::Rc;
use strata_engine::compaction::level_target_bytes;
use strata_engine::{CompactionStyle, DbState, DbStatus};
use strata_lab::runner::tombstones::{RangeTombstoneView, TombstoneHolder};
use strata_lab::runner::{ClientError, TenantSummary, WriterStatus};
use strata_sim::{Histogram, SimDuration, SimTime, StoreOp};
use yew::prelude::*;

/// L0 SSTs drawn one row each at most; the rest are counted.
pub const MAX_L0_ROWS: usize = 10;
/// Sorted runs drawn at most.
pub const MAX_RUN_ROWS: usize = 6;
/// SSTs drawn per run at most (the rest are merged into one segment).
pub const MAX_SSTS_PER_RUN: usize = 64;
/// Immutable memtables drawn at most.
pub const MAX_IMMUTABLE_BOXES: usize = 8;
/// Errors and events listed at most.
pub const MAX_LISTED: usize = 10;
/// The timeline's width in simulated time.
pub const TIMELINE_WINDOW: SimDuration = SimDuration::from_millis(2_000);

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

    fn name(&self) -> &'static str {
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

const LSM_WIDTH: f64 = 960.0;
const LSM_LABEL: f64 = 150.0;
const ROW: f64 = 30.0;

fn stat(id: &'static str, value: String, label: &'static str) -> Html {
    html! {
        <div class="stat">
            <span class="value" id={id}>{ value }</span>
            <span class="label">{ label }</span>
        </div>
    }
}

fn fill_bar(x: f64, y: f64, width: f64, fill: f64, class: &'static str, label: String) -> Html {
    let fill = fill.clamp(0.0, 1.0);
    html! {
        <g>
            <rect x={format::px(x)} y={format::px(y)} width={format::px(width)} height={format::px(ROW - 10.0)} class="slot" />
            <rect x={format::px(x)} y={format::px(y)} width={format::px(width * fill)} height={format::px(ROW - 10.0)} class={class} />
            <text x={format::px(x + width + 8.0)} y={format::px(y + 15.0)}>{ label }</text>
        </g>
    }
}

/// The range tombstones `holder` holds, as bars over the keys they cover along the bottom of
/// the row at `y` (`x_of` places a key on the axis; `axis_end` is where workload keys end).
fn tombstone_bars(
    model: &StorageModel,
    holder: TombstoneHolder,
    y: f64,
    x_of: &dyn Fn(&str) -> f64,
    axis_end: f64,
) -> Html {
    let held = model.range_tombstones.iter().filter(|t| t.holder == holder);
    let name = match holder {
        TombstoneHolder::Memtable(id) => format!("memtable #{id}"),
        TombstoneHolder::Sst(id) => format!("SST #{id}"),
    };
    html! {
        { for held.map(|t| {
            let x0 = x_of(&t.start);
            // A range that runs to the end of the key space ends past the last workload key.
            let x1 = x_of(&t.end).min(axis_end).max(x0 + 2.0);
            html! {
                <rect x={format::px(x0)} y={format::px(y)} width={format::px(x1 - x0)} height="4" class="range-tombstone">
                    <title>{ format!("range delete [{}, {}) in {name}", t.start, t.end) }</title>
                </rect>
            }
        }) }
    }
}

/// The LSM tree, one row per layer.
fn lsm_figure(model: &StorageModel) -> Html {
    let Some(db) = &model.db else {
        let text = match model.writer {
            WriterStatus::Opening => "The writer is opening (recovering from the object store)…",
            _ => "No writer is up: the database is down until a recovery.",
        };
        return html! { <p class="empty" id="lsm-empty">{ text }</p> };
    };
    let axis = LSM_WIDTH - LSM_LABEL - 20.0;
    let x_of = |key: &str| LSM_LABEL + key_position(key, model.key_count) * axis;
    let axis_end = LSM_LABEL + 0.9 * axis;
    let flushing = model
        .activities
        .iter()
        .filter(|a| a.kind == ActivityKind::Flush && a.finished.is_none())
        .count();
    let compacting = model
        .activities
        .iter()
        .filter(|a| a.kind == ActivityKind::Compaction && a.finished.is_none())
        .count();
    let mut rows: Vec<Html> = Vec::new();
    let mut y = 4.0;
    // Memtable.
    rows.push(html! {
        <g key="memtable">
            <text x="4" y={format::px(y + 15.0)} class="row-label">{ "memtable" }</text>
            { fill_bar(LSM_LABEL, y, 320.0, db.memtable.fill, "fill-memtable",
                format!("#{} · {} of {} · {} keys", db.memtable.id, format::bytes(db.memtable.size_bytes), format::bytes(db.memtable.limit_bytes), format::grouped(db.memtable.keys))) }
            { tombstone_bars(model, TombstoneHolder::Memtable(db.memtable.id), y + ROW - 8.0, &x_of, axis_end) }
        </g>
    });
    y += ROW;
    // Immutable memtables.
    let boxes = db.immutable_memtables.iter().take(MAX_IMMUTABLE_BOXES).enumerate().map(|(i, m)| {
        let x = LSM_LABEL + i as f64 * 70.0;
        let is_flushing = db.flushing_memtable_id == Some(m.id);
        html! {
            <g key={m.id}>
                <rect x={format::px(x)} y={format::px(y)} width="62" height={format::px(ROW - 10.0)}
                      class={classes!("immutable", is_flushing.then_some("flushing"))}>
                    <title>{ format!("immutable memtable #{}: {}, {} keys", m.id, format::bytes(m.size_bytes), m.keys) }</title>
                </rect>
                <text x={format::px(x + 4.0)} y={format::px(y + 15.0)} class="in-box">{ format!("#{}", m.id) }</text>
            </g>
        }
    });
    let immutable_more = db
        .immutable_memtables
        .len()
        .saturating_sub(MAX_IMMUTABLE_BOXES);
    rows.push(html! {
        <g key="immutable">
            <text x="4" y={format::px(y + 15.0)} class="row-label">{ format!("immutable ({})", db.immutable_memtables.len()) }</text>
            { for boxes }
            if immutable_more > 0 {
                <text x={format::px(LSM_LABEL + MAX_IMMUTABLE_BOXES as f64 * 70.0)} y={format::px(y + 15.0)}>{ format!("+{immutable_more} more") }</text>
            }
            { for db.immutable_memtables.iter().map(|m| tombstone_bars(model, TombstoneHolder::Memtable(m.id), y + ROW - 8.0, &x_of, axis_end)) }
            if flushing > 0 {
                <g class="activity flush-activity">
                    <text x={format::px(LSM_WIDTH - 10.0)} y={format::px(y + 15.0)} text-anchor="end">{ "flushing → L0" }</text>
                </g>
            }
        </g>
    });
    y += ROW;
    // L0.
    rows.push(html! {
        <text key="l0-label" x="4" y={format::px(y + 15.0)} class="row-label">
            { format!("L0 ({} SSTs, {})", db.l0.len(), format::bytes(db.l0.iter().map(|s| s.size_bytes).sum())) }
        </text>
    });
    for sst in db.l0.iter().take(MAX_L0_ROWS) {
        let x0 = x_of(&sst.first_key);
        let x1 = x_of(&sst.last_key).max(x0 + 4.0);
        rows.push(html! {
            <g key={format!("sst-{}", sst.id)} class="sst fresh">
                <rect x={format::px(x0)} y={format::px(y + 2.0)} width={format::px(x1 - x0)} height={format::px(ROW - 14.0)} class="sst-l0" tabindex="0">
                    <title>{ format!("SST #{}: {} … {}, {}, {} entries", sst.id, sst.first_key, sst.last_key, format::bytes(sst.size_bytes), format::grouped(sst.entries)) }</title>
                </rect>
                <text x={format::px(x0 + 6.0)} y={format::px(y + 13.5)} class="sst-size">{ format!("SST #{} · {} · {} entries", sst.id, format::bytes(sst.size_bytes), format::grouped(sst.entries)) }</text>
                { tombstone_bars(model, TombstoneHolder::Sst(sst.id), y + ROW - 12.0, &x_of, axis_end) }
            </g>
        });
        y += ROW - 10.0;
    }
    let l0_more = db.l0.len().saturating_sub(MAX_L0_ROWS);
    if l0_more > 0 {
        rows.push(html! { <text key="l0-more" x={LSM_LABEL.to_string()} y={format::px(y + 14.0)}>{ format!("+{l0_more} older L0 SSTs") }</text> });
        y += ROW - 10.0;
    }
    if db.l0.is_empty() {
        rows.push(html! { <text key="l0-empty" x={LSM_LABEL.to_string()} y={format::px(y + 15.0)} class="muted">{ "no L0 SSTs yet: the first flush writes one" }</text> });
        y += ROW - 10.0;
    }
    y += 12.0;
    // Sorted runs.
    for (index, run) in db.runs.iter().take(MAX_RUN_ROWS).enumerate() {
        let segments = run.ssts.iter().take(MAX_SSTS_PER_RUN).map(|sst| {
            let x0 = x_of(&sst.first_key);
            let x1 = x_of(&sst.last_key).max(x0 + 3.0);
            html! {
                <rect key={sst.id} x={format::px(x0)} y={format::px(y + 2.0)} width={format::px(x1 - x0)} height={format::px(ROW - 12.0)} class="sst-run">
                    <title>{ format!("SST #{}: {} … {}, {}", sst.id, sst.first_key, sst.last_key, format::bytes(sst.size_bytes)) }</title>
                </rect>
            }
        });
        // A leveled layout's runs are its levels, each against its target size; a tiered
        // layout's are runs, newest first.
        let target = match &model.compaction {
            CompactionModel::Leveled {
                level_targets_bytes,
            } if run.level > 0 => level_targets_bytes.get(run.level as usize - 1).copied(),
            _ => None,
        };
        let label = if run.level > 0 {
            format!("L{} ({} SSTs)", run.level, run.ssts.len())
        } else {
            format!("run {} ({} SSTs)", run.id, run.ssts.len())
        };
        let size = match target {
            Some(target) => format!(
                "{} of {} target",
                format::bytes(run.size_bytes),
                format::bytes(target)
            ),
            None => format::bytes(run.size_bytes),
        };
        let kind = if run.level > 0 { "level" } else { "tiered-run" };
        rows.push(html! {
            <g key={format!("run-{}", run.id)} class={classes!("run", kind, (compacting > 0 && index == 0).then_some("compacting"))}
               data-level={run.level.to_string()}>
                <text x="4" y={format::px(y + 12.0)} class="row-label run-label">{ label }</text>
                <text x="4" y={format::px(y + 24.0)} class="row-label run-size">{ size }</text>
                { for segments }
                { for run.ssts.iter().take(MAX_SSTS_PER_RUN).map(|sst| tombstone_bars(model, TombstoneHolder::Sst(sst.id), y + ROW - 10.0, &x_of, axis_end)) }
            </g>
        });
        y += ROW;
    }
    if compacting > 0 {
        let phase = model
            .last_compaction
            .filter(|job| job.finished.is_none())
            .map_or("compacting", |job| job.phase());
        rows.push(html! {
            <g key="compacting" class="activity compaction-activity">
                <text x={format::px(LSM_WIDTH - 10.0)} y={format::px(y + 15.0)} text-anchor="end">{ format!("{phase} ({compacting} jobs)") }</text>
            </g>
        });
        y += ROW;
    }
    // Key axis.
    rows.push(html! {
        <g key="axis" class="key-axis">
            <line x1={LSM_LABEL.to_string()} x2={(LSM_LABEL + axis).to_string()} y1={format::px(y + 4.0)} y2={format::px(y + 4.0)} />
            if !model.range_tombstones.is_empty() {
                <text x={format::px(LSM_LABEL + 0.45 * axis)} y={format::px(y + 20.0)} text-anchor="middle" class="range-tombstone-legend" id="range-tombstone-count">
                    { format!("▬ {} range tombstones", model.range_tombstones.len()) }
                </text>
            }
            <text x={LSM_LABEL.to_string()} y={format::px(y + 20.0)}>{ "k0" }</text>
            <text x={format::px(LSM_LABEL + 0.9 * axis)} y={format::px(y + 20.0)} text-anchor="end">{ format!("k{} (workload keys)", model.key_count.saturating_sub(1)) }</text>
            <text x={format::px(LSM_LABEL + axis)} y={format::px(y + 20.0)} text-anchor="end">{ "other" }</text>
        </g>
    });
    y += 26.0;
    html! {
        <svg class="lsm" id="lsm" viewBox={format!("0 0 {LSM_WIDTH} {y:.0}")} width="100%" role="img"
             aria-label="the LSM tree: memtable, immutable memtables, L0 SSTs and sorted runs on the key axis">
            { for rows }
        </svg>
    }
}

/// Flushes and compactions drawn at most in the activity strip (the most recent).
pub const MAX_ACTIVITY_PILLS: usize = 4;

/// The most recent flushes and compactions: a pill appears (pulsing) when one starts and
/// flashes once when it ends. Pills are keyed by activity, so the element lives from the start
/// to the end and its change of class replays the end animation.
fn activity_strip(model: &StorageModel) -> Html {
    let recent: Vec<&Activity> = model
        .activities
        .iter()
        .rev()
        .take(MAX_ACTIVITY_PILLS)
        .collect();
    if recent.is_empty() {
        return html! { <div class="activity-strip"><span class="muted">{ "No flush or compaction yet." }</span></div> };
    }
    html! {
        <div class="activity-strip" id="activity-strip">
            { for recent.into_iter().rev().map(|a| {
                let (kind, what) = match a.kind {
                    ActivityKind::Flush => ("flush", format!("flush of memtable #{}", a.id)),
                    ActivityKind::Compaction => ("compaction", format!("compaction job #{}", a.id)),
                };
                let (state, text) = match a.finished {
                    None if a.kind == ActivityKind::Compaction => ("running", compaction_progress(a)),
                    None => ("running", format!("{what} → started {} …", format::sim_time(a.started))),
                    Some(end) => ("done", format!("{what} ✓ {} in {}{}", format::bytes(a.bytes), format::millis(end.saturating_since(a.started).as_millis_f64()), expired_story(a))),
                };
                let id = (a.finished.is_none() && a.kind == ActivityKind::Flush).then_some("flush-activity");
                html! {
                    <span key={format!("{kind}-{}-{}", a.id, a.started.as_nanos())} id={id}
                          class={classes!("activity-pill", kind, state)}>{ text }</span>
                }
            }) }
        </div>
    }
}

/// A running compaction's phase and progress: "compaction job #3: reading inputs, 40 KiB of
/// 120 KiB from 4 SSTs".
fn compaction_progress(job: &Activity) -> String {
    let inputs = format!(
        "{} of {} from {} SSTs",
        format::bytes(job.bytes_read),
        format::bytes(job.input_bytes),
        job.input_ssts
    );
    match job.phase() {
        "writing outputs" => format!(
            "compaction job #{}: writing outputs, {} so far (read {inputs})",
            job.id,
            format::bytes(job.bytes_written)
        ),
        phase => format!("compaction job #{}: {phase}, {inputs}", job.id),
    }
}

/// What a compaction dropped because it had expired: ", dropped 12 expired entries (1.2 KiB)",
/// or nothing when none had.
fn expired_story(job: &Activity) -> String {
    if job.expired_entries == 0 {
        return String::new();
    }
    format!(
        ", dropped {} expired entries ({})",
        format::grouped(job.expired_entries),
        format::bytes(job.expired_bytes)
    )
}

/// The compaction line under the tree: the style, the counts, and the last job's story
/// (started, read its inputs, wrote its outputs, committed), which outlasts its pill.
fn compaction_line(model: &StorageModel) -> Html {
    let last = model.last_compaction.map(|job| match job.finished {
        Some(end) => format!(
            "last: job #{} read {} SSTs ({}), wrote {} SSTs ({}){}, committed at {}",
            job.id,
            job.input_ssts,
            format::bytes(job.input_bytes),
            job.output_ssts,
            format::bytes(job.bytes),
            expired_story(&job),
            format::sim_time(end)
        ),
        None => compaction_progress(&job),
    });
    html! {
        <p class="compaction-line" id="compactions">
            { format!("{}: {} started, {} committed", model.compaction.name(),
                format::grouped(model.compactions_started), format::grouped(model.compactions_committed)) }
            if let Some(last) = last {
                <span class="muted" id="last-compaction">{ format!(" · {last}") }</span>
            }
        </p>
    }
}

/// The WAL buffer and the watermarks on a sequence-number axis.
fn wal_figure(model: &StorageModel) -> Html {
    let Some(db) = &model.db else {
        return html! {};
    };
    let ack = db.acknowledged_seq;
    let durable = db.durable_seq;
    let flushed = db.last_flushed_seq;
    let span = (ack.saturating_sub(flushed))
        .max(ack.saturating_sub(durable) * 2)
        .max(10);
    let low = ack.saturating_sub(span);
    let width = 960.0;
    let left = 150.0;
    let axis = width - left - 40.0;
    let x_of = |seq: u64| left + (seq.saturating_sub(low) as f64 / span as f64).min(1.0) * axis;
    let at_risk = ack.saturating_sub(durable);
    let buffer_fill = db.wal.buffer_bytes as f64 / model.wal_limit_bytes.max(1) as f64;
    html! {
        <svg class="wal" id="wal" viewBox={format!("0 0 {width} 124")} width="100%" role="img"
             aria-label="the WAL buffer and the acknowledged and durable watermarks">
            <text x="4" y="19" class="row-label">{ "WAL buffer" }</text>
            { fill_bar(left, 4.0, 320.0, buffer_fill, "fill-wal",
                format!("{} in {} records{}", format::bytes(db.wal.buffer_bytes), format::grouped(db.wal.buffer_records),
                    db.wal.pending_wal_id.map(|id| format!(" · uploading WAL #{id}")).unwrap_or_default())) }
            <text x="4" y="62" class="row-label">{ "sequence" }</text>
            <line x1={left.to_string()} x2={(left + axis).to_string()} y1="58" y2="58" class="seq-axis" />
            <rect x={format::px(x_of(durable))} y="50" width={format::px((x_of(ack) - x_of(durable)).max(0.0))} height="16" class="at-risk">
                <title>{ format!("{at_risk} acknowledged writes not yet durable: a crash now loses them") }</title>
            </rect>
            <g class="watermark flushed">
                <line x1={format::px(x_of(flushed))} x2={format::px(x_of(flushed))} y1="44" y2="72" />
                <text x={format::px(x_of(flushed))} y="88" text-anchor="middle">{ format!("in SSTs {flushed}") }</text>
            </g>
            <g class="watermark durable">
                <line x1={format::px(x_of(durable))} x2={format::px(x_of(durable))} y1="40" y2="76" />
                <text x={format::px(x_of(durable))} y="104" text-anchor="middle" id="durable-seq">{ format!("durable {durable}") }</text>
            </g>
            <g class="watermark acknowledged">
                <line x1={format::px(x_of(ack))} x2={format::px(x_of(ack))} y1="40" y2="76" />
                <text x={format::px(x_of(ack))} y="38" text-anchor="end" id="acknowledged-seq">{ format!("acknowledged {ack}") }</text>
            </g>
            <text x={left.to_string()} y="120" class="muted">{ format!("{at_risk} writes acknowledged but not durable · {} live WAL objects · replay would start at WAL #{}", db.wal.live_objects, db.wal.replay_from) }</text>
        </svg>
    }
}

/// The writer's badge: its class and text. Before the first open the writer's slot is empty,
/// as after a crash, but it is opening, not down.
fn writer_badge(model: &StorageModel) -> (&'static str, String) {
    match (&model.writer, &model.db) {
        (WriterStatus::Up, Some(db)) => (
            "up",
            format!(
                "writer up · epoch {} · manifest #{}",
                db.writer_epoch, db.manifest_id
            ),
        ),
        (WriterStatus::Up, None) => ("up", "writer up".to_string()),
        (WriterStatus::Opening | WriterStatus::Down, _) if model.writers_opened == 0 => (
            "opening",
            "writer opening (first open: reading the manifest)".to_string(),
        ),
        (WriterStatus::Opening, _) => (
            "opening",
            "writer opening (recovery in progress)".to_string(),
        ),
        (WriterStatus::Down, _) => ("down", "writer down (crashed)".to_string()),
    }
}

fn writer_line(model: &StorageModel) -> Html {
    let (class, text) = writer_badge(model);
    let zombie = model.zombie.as_ref().map(|z| {
        let status = match z.status {
            DbStatus::Fenced => "fenced",
            DbStatus::Open => "still writing",
            DbStatus::Closed => "closed",
            DbStatus::Crashed => "stopped",
        };
        html! { <span class={classes!("badge", if z.status == DbStatus::Fenced { "fenced" } else { "zombie" })} id="zombie-status">
            { format!("zombie writer epoch {}: {status}", z.writer_epoch) }
        </span> }
    });
    html! {
        <div class="writer-line">
            <span class={classes!("badge", class)} id="writer-status">{ text }</span>
            { for zombie }
            if model.fenced > 0 {
                <span class="badge fenced" id="fenced-count">{ format!("{} fenced write attempts", model.fenced) }</span>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct StorageViewProps {
    pub model: StorageModel,
}

#[function_component(StorageView)]
pub fn storage_view(props: &StorageViewProps) -> Html {
    let m = &props.model;
    html! {
        <div class="storage-view">
            <section class="panel" aria-label="headline figures">
                <div class="stats">
                    { stat("cost-month", format::usd(m.cost_usd_per_month), "$/month at this rate") }
                    { stat("cost-total", format::usd(m.cost_usd_so_far), "spent so far") }
                    { stat("puts-per-1000", format::decimal(m.puts_per_1000_writes), "PUTs per 1,000 writes") }
                    { stat("write-amp", format!("{}×", format::decimal(m.write_amplification)), "write amplification") }
                    { stat("store-requests", format::grouped(m.store_requests), "object-store requests") }
                    { stat("ops", format!("{} / {}", format::grouped(m.ops_ok), format::grouped(m.ops_failed)), "client ops ok / failed") }
                    { stat("acked", format!("{} ({} durable)", format::grouped(m.writes_acknowledged), format::grouped(m.writes_acknowledged_durable)), "writes acknowledged") }
                    { stat("lost-durable", format::grouped(m.lost_durable), "durable writes lost") }
                    if m.shows_lifetimes {
                        { stat("resurrected", format::grouped(m.resurrected), "deleted or expired values read back") }
                        { stat("expired-dropped", format!("{} ({})", format::grouped(m.expired_entries_dropped), format::bytes(m.expired_bytes_dropped)), "expired entries dropped by compaction") }
                    }
                    { stat("keys-checked", format!("{} in {} checks", format::grouped(m.keys_checked), m.durability_checks), "keys read back") }
                    { stat("stored", format!("{} in {} objects", format::bytes(m.bytes_stored), format::grouped(m.objects)), "stored") }
                </div>
                { writer_line(m) }
            </section>
            <section class="panel" aria-label="LSM tree">
                <h2>{ "The LSM tree" }</h2>
                { lsm_figure(m) }
                { compaction_line(m) }
                { activity_strip(m) }
                { wal_figure(m) }
            </section>
            { tenants_panel(&m.tenants) }
            <section class="panel" aria-label="request timeline" id="timeline">
                <h2>{ format!("Object-store requests ({}, last {} s of simulated time)", m.preset, TIMELINE_WINDOW.as_secs_f64()) }</h2>
                <Timeline requests={m.requests.clone()} window_start={m.window_start} window_end={m.now} explain={m.explain.clone()} />
            </section>
            <section class="panel histograms" aria-label="latency histograms">
                <h2>{ "Latency" }</h2>
                <div class="chart-grid">
                    { for m.latencies.iter().map(|l| html! {
                        <LatencyHistogram title={l.title} id={l.id} buckets={l.buckets.clone()} p50_ms={l.p50_ms}
                                          p99_ms={l.p99_ms} p999_ms={l.p999_ms} count={l.count} />
                    }) }
                </div>
            </section>
            <section class="panel lists" aria-label="errors and events">
                <div>
                    <h2>{ "Client errors (most recent first)" }</h2>
                    if m.errors.is_empty() {
                        <p class="empty">{ "None so far." }</p>
                    } else {
                        <ul class="errors" id="client-errors">
                            { for m.errors.iter().map(|e| html! {
                                <li class={classes!("error-line", format!("kind-{}", e.kind))}>
                                    <span class="when">{ format::sim_time(e.at) }</span>
                                    <span class="kind">{ e.kind.clone() }</span>
                                    <span>{ format!("{}: {}", e.op, e.message) }</span>
                                </li>
                            }) }
                        </ul>
                    }
                </div>
                <div>
                    <h2>{ "Events (most recent first)" }</h2>
                    if m.events.is_empty() {
                        <p class="empty">{ "Nothing notable yet." }</p>
                    } else {
                        <ul class="events" id="event-list">
                            { for m.events.iter().map(|e| html! {
                                <li class={classes!("event-line", e.class)}>
                                    <span class="when">{ format::sim_time(e.at) }</span>
                                    <span>{ e.text.clone() }</span>
                                </li>
                            }) }
                        </ul>
                    }
                </div>
            </section>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn before_the_first_open_the_writer_is_opening_not_crashed() {
        let mut session = Session::new(crate::link::default_scenario()).unwrap();
        let model = StorageModel::from_session(&session);
        assert_eq!(model.writers_opened, 0);
        let (class, text) = writer_badge(&model);
        assert_eq!(class, "opening", "{text}");
        assert!(
            text.contains("opening") && !text.contains("crashed"),
            "{text}"
        );
        while session.lab().writers_opened() == 0 {
            session.step().unwrap();
        }
        assert_eq!(writer_badge(&StorageModel::from_session(&session)).0, "up");
    }

    #[test]
    fn keys_land_on_the_axis_in_order() {
        assert_eq!(key_position("k0000", 1000), 0.0);
        let middle = key_position("k0500", 1000);
        assert!((middle - 0.45).abs() < 1e-12, "{middle}");
        assert!(key_position("k0999", 1000) < 0.9);
        assert_eq!(key_position("recommender/imp/1", 1000), 0.95);
        assert_eq!(key_position("0x00ff", 1000), 0.0);
    }

    #[test]
    fn range_deletes_and_expiry_reach_the_view_with_the_holders_and_the_compactions_that_dropped_them(
    ) {
        let text = include_str!("../../tests/scenarios/range-deletes-ttl.json");
        let scenario = strata_lab::Scenario::from_json(text).unwrap();
        let mut session = Session::new(scenario).unwrap();
        let mut holders_seen = (false, false);
        for _ in 0..7 {
            session
                .advance(SimDuration::from_secs(1), u64::MAX)
                .unwrap();
            let model = StorageModel::from_session(&session);
            for tombstone in &model.range_tombstones {
                match tombstone.holder {
                    TombstoneHolder::Memtable(_) => holders_seen.0 = true,
                    TombstoneHolder::Sst(_) => holders_seen.1 = true,
                }
            }
        }
        assert_eq!(holders_seen, (true, true));
        let model = StorageModel::from_session(&session);
        assert!(model.shows_lifetimes);
        assert!(model.expired_entries_dropped > 0 && model.expired_bytes_dropped > 0);
        assert_eq!(model.resurrected, 0);
        // Each compaction's story carries what it dropped, and together they are the total.
        let by_job: u64 = session
            .observed()
            .activities
            .iter()
            .map(|job| job.expired_entries)
            .sum();
        assert_eq!(by_job, model.expired_entries_dropped);
        let job = session
            .observed()
            .activities
            .iter()
            .find(|job| job.expired_entries > 0)
            .copied()
            .unwrap();
        assert!(expired_story(&job).contains("expired entries"));
    }

    #[test]
    fn a_workload_without_range_deletes_or_ttl_hides_their_figures() {
        let mut session = Session::new(strata_lab::Scenario::playground()).unwrap();
        session
            .advance(SimDuration::from_secs(2), u64::MAX)
            .unwrap();
        let model = StorageModel::from_session(&session);
        assert!(!model.shows_lifetimes);
        assert!(model.range_tombstones.is_empty());
    }
}
