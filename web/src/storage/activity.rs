//! What moves around the tree: the strip of recent flushes and compactions, the compaction
//! line with the last job's story, the WAL buffer with the acknowledged and durable
//! watermarks, and the writer's (and a zombie's) status.

use super::lsm::{fill_bar, Layout};
use crate::format;
use crate::frame::StorageFrame;
use crate::session::{Activity, ActivityKind};
use crate::widgets::{
    class_pair, container, identified_container, identified_text, svg_line, svg_rect, svg_text,
    text_element,
};
use strata_engine::DbStatus;
use strata_lab::runner::WriterStatus;
use strata_sim::fmt::shortest;
use yew::prelude::*;

/// The most recent flushes and compactions: a pill appears (pulsing) when one starts and
/// flashes once when it ends. Pills are keyed by activity, so the element lives from the start
/// to the end and its change of class replays the end animation.
pub(super) fn activity_strip(model: &StorageFrame) -> Html {
    let recent = &model.activities;
    if recent.is_empty() {
        return html! { { container("div", "activity-strip", html! { <>{ text_element("span", "muted", "No flush or compaction yet.".into()) }</> }) } };
    }
    html! {
        { identified_container("div", "activity-strip", "activity-strip", html! { <>
            { for recent.iter().map(|a| {
                let (kind, what) = match a.kind {
                    ActivityKind::Flush => ("flush", format::counted("flush of memtable #", a.id, "")),
                    ActivityKind::Compaction => ("compaction", format::counted("compaction job #", a.id, "")),
                };
                let text = match a.finished {
                    None if a.kind == ActivityKind::Compaction => compaction_progress(a),
                    None => format!("{what} → started {} …", format::sim_time(a.started)),
                    Some(end) => format!("{what} ✓ {} in {}{}", format::bytes(a.bytes), format::millis(end.saturating_since(a.started).as_millis_f64()), expired_story(a)),
                };
                let class = match (a.kind, a.finished.is_some()) {
                    (ActivityKind::Flush, false) => "activity-pill flush running",
                    (ActivityKind::Flush, true) => "activity-pill flush done",
                    (ActivityKind::Compaction, false) => "activity-pill compaction running",
                    (ActivityKind::Compaction, true) => "activity-pill compaction done",
                };
                let id = (a.finished.is_none() && a.kind == ActivityKind::Flush).then_some("flush-activity");
                html! {
                    <span key={format!("{kind}-{}-{}", a.id, a.started.as_nanos())} id={id}
                          class={class}>{ text }</span>
                }
            }) }
        </> }) }
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
pub(super) fn expired_story(job: &Activity) -> String {
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
pub(super) fn compaction_line(model: &StorageFrame) -> Html {
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
        { identified_container("p", "compactions", "compaction-line", html! { <>
            { format!("{}: {} started, {} committed", model.compaction.name(),
                format::grouped(model.compactions_started), format::grouped(model.compactions_committed)) }
            if let Some(last) = last {
                { identified_text("span", "last-compaction", "muted", format!(" · {last}").into()) }
            }
        </> }) }
    }
}

/// The WAL buffer and the watermarks on a sequence-number axis.
pub(super) fn wal_figure(model: &StorageFrame, layout: Layout) -> Html {
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
    let width = layout.width;
    // The row labels ("WAL buffer", "sequence") stay beside their rows, in less room.
    let left = if layout.narrow() { 104.0 } else { 150.0 };
    // Room on the right for the watermarks' labels, centred on their marks.
    let axis = width - left - if layout.narrow() { 64.0 } else { 40.0 };
    let x_of = |seq: u64| left + (seq.saturating_sub(low) as f64 / span as f64).min(1.0) * axis;
    // Each watermark's place worked out once for its line, its label and the at-risk bar.
    let (x_flushed, x_durable, x_ack) = (x_of(flushed), x_of(durable), x_of(ack));
    let at_risk = ack.saturating_sub(durable);
    let buffer_fill = db.wal.buffer_bytes as f64 / model.wal_limit_bytes.max(1) as f64;
    let notes = [
        format::counted("", at_risk, " writes acknowledged but not durable"),
        format::counted("", db.wal.live_objects, " live WAL objects"),
        format::counted("replay would start at WAL #", db.wal.replay_from, ""),
    ];
    // One line wide; a line each on a phone.
    let notes: Vec<String> = if layout.narrow() {
        notes.to_vec()
    } else {
        vec![notes.join(" · ")]
    };
    let height = 104.0 + 20.0 * notes.len() as f64;
    html! {
        <svg class="wal" id="wal" viewBox={format!("0 0 {} {}", shortest(width), shortest(height))} width="100%" role="img"
             aria-label="the WAL buffer and the acknowledged and durable watermarks">
            { svg_text(4.0, 19.0, None, "row-label", "WAL buffer".into()) }
            { fill_bar(left, 4.0, layout.fill, buffer_fill, "fill-wal",
                format!("{} in {} records{}", format::bytes(db.wal.buffer_bytes), format::grouped(db.wal.buffer_records),
                    db.wal.pending_wal_id.map(|id| format::counted(" · uploading WAL #", id, "")).unwrap_or_default())) }
            { svg_text(4.0, 62.0, None, "row-label", "sequence".into()) }
            { svg_line(left, 58.0, left + axis, 58.0, "seq-axis") }
            { svg_rect(x_durable, 50.0, (x_ack - x_durable).max(0.0), 16.0, "at-risk",
                Some(format::counted("", at_risk, " acknowledged writes not yet durable: a crash now loses them").into())) }
            { container("g", "watermark flushed", html! { <>
                { svg_line(x_flushed, 44.0, x_flushed, 72.0, "") }
                { svg_text(x_flushed, 88.0, Some("middle"), "", format::counted("in SSTs ", flushed, "").into()) }
            </> }) }
            { container("g", "watermark durable", html! { <>
                { svg_line(x_durable, 40.0, x_durable, 76.0, "") }
                <text x={format::px(x_durable)} y="104" text-anchor="middle" id="durable-seq">{ format::counted("durable ", durable, "") }</text>
            </> }) }
            { container("g", "watermark acknowledged", html! { <>
                { svg_line(x_ack, 40.0, x_ack, 76.0, "") }
                <text x={format::px(x_ack)} y="38" text-anchor="end" id="acknowledged-seq">{ format::counted("acknowledged ", ack, "") }</text>
            </> }) }
            { for notes.iter().enumerate().map(|(line, text)| {
                svg_text(if layout.narrow() { 4.0 } else { left }, 120.0 + 20.0 * line as f64, None, "muted", text.clone().into())
            }) }
        </svg>
    }
}

/// The writer's badge: its class and text. Before the first open the writer's slot is empty,
/// as after a crash, but it is opening, not down.
pub(super) fn writer_badge(model: &StorageFrame) -> (&'static str, String) {
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

pub(super) fn writer_line(model: &StorageFrame) -> Html {
    let (class, text) = writer_badge(model);
    let zombie = model.zombie.as_ref().map(|z| {
        let status = match z.status {
            DbStatus::Fenced => "fenced",
            DbStatus::Open => "still writing",
            DbStatus::Closed => "closed",
            DbStatus::Crashed => "stopped",
        };
        html! { <span class={if z.status == DbStatus::Fenced { "badge fenced" } else { "badge zombie" }} id="zombie-status">
            { format!("zombie writer epoch {}: {status}", z.writer_epoch) }
        </span> }
    });
    html! {
        { container("div", "writer-line", html! { <>
            <span class={class_pair("badge", class)} id="writer-status">{ text }</span>
            { for zombie }
            if model.fenced > 0 {
                { identified_text("span", "fenced-count", "badge fenced", format::counted("", model.fenced, " fenced write attempts").into()) }
            }
        </> }) }
    }
}
