//! The LSM tree drawn on the key axis: memtable fill, immutable memtables, L0 SSTs and the
//! sorted runs with their sizes (and, when leveled, each level's target), the range
//! tombstones under the rows that hold them, and the flush and compaction in progress.

use super::{MAX_IMMUTABLE_BOXES, MAX_L0_ROWS, MAX_RUN_ROWS, MAX_SSTS_PER_RUN};
use crate::format;
use crate::frame::{key_position, CompactionModel, StorageFrame};
use crate::widgets::{container, identified_text, svg_line, svg_rect, svg_text, text_element};
use strata_lab::runner::tombstones::TombstoneHolder;
use strata_lab::runner::WriterStatus;
use strata_sim::fmt::{fixed, shortest};
use yew::prelude::*;

pub(super) const ROW: f64 = 30.0;

/// Where the drawings put things. Wide: on a 960-unit width, each label beside its row. On
/// a phone the same type would draw at a third of its size, so the narrow layout draws on
/// 480 units (the type twice as large on screen) with each label on a line of its own above
/// its row and the bars across the whole width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    /// The drawing's width, in the SVG's units.
    pub width: f64,
    /// Where the bars (and the key axis) start.
    pub label: f64,
    /// The height of a label's own line above its row (0: the label is beside the row).
    pub label_line: f64,
    /// The width of a fill bar (memtable, WAL buffer).
    pub fill: f64,
    /// The distance between immutable memtables' boxes.
    pub box_step: f64,
}

impl Layout {
    pub const WIDE: Layout = Layout {
        width: 960.0,
        label: 150.0,
        label_line: 0.0,
        fill: 320.0,
        box_step: 70.0,
    };
    pub const NARROW: Layout = Layout {
        width: 480.0,
        label: 8.0,
        label_line: 20.0,
        fill: 160.0,
        box_step: 56.0,
    };

    pub fn narrow(self) -> bool {
        self.label_line > 0.0
    }

    /// A row label's baseline for a row at `y`: on its own line above, or `beside` down.
    fn label_y(self, y: f64, beside: f64) -> f64 {
        if self.narrow() {
            y - 5.0
        } else {
            y + beside
        }
    }
}

pub(super) fn fill_bar(
    x: f64,
    y: f64,
    width: f64,
    fill: f64,
    class: &'static str,
    label: String,
) -> Html {
    let fill = fill.clamp(0.0, 1.0);
    html! {
        { container("g", "", html! { <>
            { svg_rect(x, y, width, ROW - 10.0, "slot", None) }
            { svg_rect(x, y, width * fill, ROW - 10.0, class, None) }
            { svg_text(x + width + 8.0, y + 15.0, None, "", label.into()) }
        </> }) }
    }
}

/// The range tombstones `holder` holds, as bars over the keys they cover along the bottom of
/// the row at `y` (`x_of` places a key on the axis; `axis_end` is where workload keys end).
fn tombstone_bars(
    model: &StorageFrame,
    holder: TombstoneHolder,
    y: f64,
    x_of: &dyn Fn(&str) -> f64,
    axis_end: f64,
) -> Html {
    let held = model
        .range_tombstones
        .iter()
        .filter(|t| t.holder() == holder);
    let name = match holder {
        TombstoneHolder::Memtable(id) => format::counted("memtable #", id, ""),
        TombstoneHolder::Sst(id) => format::counted("SST #", id, ""),
    };
    html! {
        { for held.map(|t| {
            let x0 = x_of(&t.start);
            // A range that runs to the end of the key space ends past the last workload key.
            let x1 = x_of(&t.end).min(axis_end).max(x0 + 2.0);
            svg_rect(x0, y, x1 - x0, 4.0, "range-tombstone", Some(format!("range delete [{}, {}) in {name}", t.start, t.end).into()))
        }) }
    }
}

/// The LSM tree, one row per layer.
pub(super) fn lsm_figure(model: &StorageFrame, layout: Layout) -> Html {
    let Some(db) = &model.db else {
        let text = match model.writer {
            WriterStatus::Opening => "The writer is opening (recovering from the object store)…",
            _ => "No writer is up: the database is down until a recovery.",
        };
        return identified_text("p", "lsm-empty", "empty", text.into());
    };
    let (width, label_x) = (layout.width, layout.label);
    let axis = width - label_x - 20.0;
    let x_of = |key: &str| label_x + key_position(key, model.key_count) * axis;
    let axis_end = label_x + 0.9 * axis;
    let (flushing, compacting) = (model.flushes_running, model.compactions_running);
    let mut rows: Vec<Html> = Vec::new();
    let mut y = 4.0;
    // Memtable.
    y += layout.label_line;
    rows.push(html! {
        <g key="memtable">
            { svg_text(4.0, layout.label_y(y, 15.0), None, "row-label", "memtable".into()) }
            { fill_bar(label_x, y, layout.fill, db.memtable.fill, "fill-memtable",
                format!("#{} · {} of {} · {} keys", db.memtable.id, format::bytes(db.memtable.size_bytes), format::bytes(db.memtable.limit_bytes), format::grouped(db.memtable.keys))) }
            { tombstone_bars(model, TombstoneHolder::Memtable(db.memtable.id), y + ROW - 8.0, &x_of, axis_end) }
        </g>
    });
    y += ROW + layout.label_line;
    // Immutable memtables.
    let boxes = db.immutable_memtables.iter().take(MAX_IMMUTABLE_BOXES).enumerate().map(|(i, m)| {
        let x = label_x + i as f64 * layout.box_step;
        let is_flushing = db.flushing_memtable_id == Some(m.id);
        html! {
            <g key={m.id}>
                { svg_rect(x, y, layout.box_step - 8.0, ROW - 10.0, if is_flushing { "immutable flushing" } else { "immutable" },
                    Some(format!("immutable memtable #{}: {}, {} keys", m.id, format::bytes(m.size_bytes), m.keys).into())) }
                { svg_text(x + 4.0, y + 15.0, None, "in-box", format::counted("#", m.id, "").into()) }
            </g>
        }
    });
    let immutable_more = db
        .immutable_memtables
        .len()
        .saturating_sub(MAX_IMMUTABLE_BOXES);
    rows.push(html! {
        <g key="immutable">
            { svg_text(4.0, layout.label_y(y, 15.0), None, "row-label", format::counted("immutable (", db.immutable_memtables.len() as u64, ")").into()) }
            { for boxes }
            if immutable_more > 0 {
                { svg_text(label_x + MAX_IMMUTABLE_BOXES as f64 * layout.box_step, y + 15.0, None, "", format::counted("+", immutable_more as u64, " more").into()) }
            }
            { for db.immutable_memtables.iter().map(|m| tombstone_bars(model, TombstoneHolder::Memtable(m.id), y + ROW - 8.0, &x_of, axis_end)) }
            if flushing > 0 {
                { container("g", "activity flush-activity", html! { <>
                    { svg_text(width - 10.0, layout.label_y(y, 15.0), Some("end"), "", "flushing → L0".into()) }
                </> }) }
            }
        </g>
    });
    y += ROW + layout.label_line;
    // L0. Its size summed by a loop: a `map` and `sum` was an instance of its own.
    let mut l0_bytes = 0;
    for sst in &db.l0 {
        l0_bytes += sst.size_bytes;
    }
    rows.push(html! {
        <text key="l0-label" x="4" y={format::px(layout.label_y(y, 15.0))} class="row-label">
            { format!("L0 ({} SSTs, {})", db.l0.len(), format::bytes(l0_bytes)) }
        </text>
    });
    for sst in db.l0.iter().take(MAX_L0_ROWS) {
        let x0 = x_of(&sst.first_key);
        let x1 = x_of(&sst.last_key).max(x0 + 4.0);
        rows.push(html! {
            <g key={format::counted("sst-", sst.id, "")} class="sst fresh">
                <rect x={format::px(x0)} y={format::px(y + 2.0)} width={format::px(x1 - x0)} height={format::px(ROW - 14.0)} class="sst-l0" tabindex="0">
                    { text_element("title", "", format!("SST #{}: {} … {}, {}, {} entries", sst.id, sst.first_key, sst.last_key, format::bytes(sst.size_bytes), format::grouped(sst.entries)).into()) }
                </rect>
                { svg_text(x0 + 6.0, y + 13.5, None, "sst-size", format!("SST #{} · {} · {} entries", sst.id, format::bytes(sst.size_bytes), format::grouped(sst.entries)).into()) }
                { tombstone_bars(model, TombstoneHolder::Sst(sst.id), y + ROW - 12.0, &x_of, axis_end) }
            </g>
        });
        y += ROW - 10.0;
    }
    let l0_more = db.l0.len().saturating_sub(MAX_L0_ROWS);
    if l0_more > 0 {
        rows.push(html! { <text key="l0-more" x={shortest(label_x).to_string()} y={format::px(y + 14.0)}>{ format::counted("+", l0_more as u64, " older L0 SSTs") }</text> });
        y += ROW - 10.0;
    }
    if db.l0.is_empty() {
        rows.push(html! { <text key="l0-empty" x={shortest(label_x).to_string()} y={format::px(y + 15.0)} class="muted">{ "no L0 SSTs yet: the first flush writes one" }</text> });
        y += ROW - 10.0;
    }
    y += 12.0;
    // Sorted runs.
    for (index, run) in db.runs.iter().take(MAX_RUN_ROWS).enumerate() {
        y += layout.label_line;
        let segments = run.ssts.iter().take(MAX_SSTS_PER_RUN).map(|sst| {
            let x0 = x_of(&sst.first_key);
            let x1 = x_of(&sst.last_key).max(x0 + 3.0);
            html! {
                <rect key={sst.id} x={format::px(x0)} y={format::px(y + 2.0)} width={format::px(x1 - x0)} height={format::px(ROW - 12.0)} class="sst-run">
                    { text_element("title", "", format!("SST #{}: {} … {}, {}", sst.id, sst.first_key, sst.last_key, format::bytes(sst.size_bytes)).into()) }
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
        let class = match (run.level > 0, compacting > 0 && index == 0) {
            (true, false) => "run level",
            (true, true) => "run level compacting",
            (false, false) => "run tiered-run",
            (false, true) => "run tiered-run compacting",
        };
        rows.push(html! {
            <g key={format::counted("run-", run.id, "")} class={class}
               data-level={run.level.to_string()}>
                if layout.narrow() {
                    { svg_text(4.0, layout.label_y(y, 0.0), None, "row-label run-label", format!("{label} · {size}").into()) }
                } else {
                    { svg_text(4.0, y + 12.0, None, "row-label run-label", label.into()) }
                    { svg_text(4.0, y + 24.0, None, "row-label run-size", size.into()) }
                }
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
                { svg_text(width - 10.0, y + 15.0, Some("end"), "", format!("{phase} ({compacting} jobs)").into()) }
            </g>
        });
        y += ROW;
    }
    // Key axis.
    rows.push(html! {
        <g key="axis" class="key-axis">
            { svg_line(label_x, y + 4.0, label_x + axis, y + 4.0, "") }
            if !model.range_tombstones.is_empty() {
                <text x={format::px(label_x + 0.45 * axis)} y={format::px(y + if layout.narrow() { 40.0 } else { 20.0 })} text-anchor="middle" class="range-tombstone-legend" id="range-tombstone-count">
                    { format::counted("▬ ", model.range_tombstones.len() as u64, " range tombstones") }
                </text>
            }
            { svg_text(label_x, y + 20.0, None, "", "k0".into()) }
            { svg_text(label_x + 0.9 * axis, y + 20.0, Some("end"), "", format::counted("k", model.key_count.saturating_sub(1), " (workload keys)").into()) }
            { svg_text(label_x + axis, y + 20.0, Some("end"), "", "other".into()) }
        </g>
    });
    y += 26.0;
    if layout.narrow() && !model.range_tombstones.is_empty() {
        y += 20.0;
    }
    html! {
        <svg class="lsm" id="lsm" viewBox={format!("0 0 {} {}", shortest(width), fixed(y, 0))} width="100%" role="img"
             aria-label="the LSM tree: memtable, immutable memtables, L0 SSTs and sorted runs on the key axis">
            { for rows }
        </svg>
    }
}
