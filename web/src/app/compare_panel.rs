//! The compare panel under the chapter panel: the run on show and its side-by-side variant
//! ([`crate::compare`]) in two columns, each with a sparkline of the first figure, then a
//! table of the figures with the difference (variant − base, and as a %).
//!
//! The variant is kept in the chapters' state beside the chapter that brought it (or the
//! share link's `vs`); [`follow`] keeps it at the run's simulated time, and is called by the
//! frame loop after every frame and by the root before every render (a step, a reset). A
//! variant that starts again (a live change, a move back) catches up in slices of
//! [`CATCH_UP_SLICE_EVENTS`] for at most [`CATCH_UP_BUDGET_MS`] a call; while the page is
//! paused, the panel's own animation frame keeps it going, and the panel says so.

use super::chapter::SharedChapters;
use super::{wall_ms, Action, SharedSession, UiState};
use crate::compare::{Compare, Row};
use crate::format;
use crate::link;
use crate::session::Session;
use gloo::render::{request_animation_frame, AnimationFrame};
use strata_lab::Scenario;
use yew::prelude::*;

/// Events a catching-up variant replays per slice (as a rebuild of the run on show does).
pub const CATCH_UP_SLICE_EVENTS: u64 = 100;
/// Wall time one call may spend catching up, in milliseconds: a part of a frame.
pub const CATCH_UP_BUDGET_MS: f64 = 6.0;

/// Brings the variant (if any) to the run's time: in lockstep the whole way, catching up for
/// at most [`CATCH_UP_BUDGET_MS`]. A variant that cannot follow is dropped and the message
/// says why; the run on show goes on alone.
pub fn follow(session: &Session, chapters: &SharedChapters) -> Result<(), String> {
    let Ok(mut chapters) = chapters.0.try_borrow_mut() else {
        return Ok(());
    };
    let Some(compare) = chapters.compare.as_mut() else {
        return Ok(());
    };
    let start = wall_ms();
    let followed = loop {
        match compare.follow(session.scenario(), session.now(), CATCH_UP_SLICE_EVENTS) {
            Ok(false) if wall_ms() - start < CATCH_UP_BUDGET_MS => {}
            other => break other,
        }
    };
    if let Err(e) = followed {
        chapters.compare = None;
        return Err(format!(
            "The side-by-side run stopped ({e}); this run goes on alone."
        ));
    }
    Ok(())
}

/// While the run is rebuilt (a scrub back, a previous beat), replays the variant toward the
/// same target, at most `max_events` events. Returns whether there is more to replay.
pub fn prepare(session: &Session, chapters: &SharedChapters, max_events: u64) -> bool {
    let Some(target) = session.rebuild_target() else {
        return false;
    };
    let Ok(mut chapters) = chapters.0.try_borrow_mut() else {
        return false;
    };
    // A failure here leaves it to `follow`, which starts the variant again from time zero.
    chapters.compare.as_mut().is_some_and(|compare| {
        compare
            .prepare(session.scenario(), target, max_events)
            .unwrap_or(false)
    })
}

/// The side-by-side run a share link's `vs` names beside a run of `base`, if it names one.
pub fn from_link(hash: &str, base: &Scenario) -> Result<Option<Compare>, String> {
    match crate::link::variant(hash) {
        None => Ok(None),
        Some(Err(text)) => Err(text),
        Some(Ok(variant)) => Compare::whole(base, variant)
            .map(|compare| Some(compare.with_claims(link::variant_claims(hash))))
            .map_err(|e| {
                format!(
                    "The link's side-by-side variant could not start ({e}); this run plays alone."
                )
            }),
    }
}

/// The address of the run on show (`fragment`) with `compare` beside it: the variant's
/// scenario (`vs`) and, for a chapter's, its claim figures (`vf`).
pub fn address(fragment: &str, compare: &Compare) -> String {
    link::with_variant_claims(
        &link::with_variant(fragment, Some(compare.scenario())),
        compare.claims(),
    )
}

/// Whether a variant runs beside the run on show.
pub fn comparing(chapters: &SharedChapters) -> bool {
    chapters
        .0
        .try_borrow()
        .is_ok_and(|chapters| chapters.compare.is_some())
}

/// A number as the panel shows it: about three significant digits, also below 1 (a cost of
/// $0.000228 is not "0.000").
fn number(value: Option<f64>) -> String {
    match value {
        None => "—".to_string(),
        Some(0.0) => "0".to_string(),
        Some(v) if v.abs() >= 1.0 || !v.is_finite() => format::decimal(v),
        Some(v) => {
            let mut decimals = 3;
            let mut scaled = v.abs() * 10.0;
            while scaled < 1.0 && decimals < 12 {
                scaled *= 10.0;
                decimals += 1;
            }
            format!("{v:.decimals$}")
        }
    }
}

/// The exact figure, for a reader of the page (tests, scripts).
fn exact(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

fn signed(value: Option<f64>, suffix: &str) -> String {
    match value {
        Some(v) if v > 0.0 => format!("+{}{suffix}", number(Some(v))),
        Some(_) => format!("{}{suffix}", number(value)),
        None => "—".to_string(),
    }
}

/// One run's sparkline of the first figure, on the scale both runs share.
fn sparkline(points: &[(f64, f64)], low: f64, high: f64, end_ms: f64, class: &str) -> Html {
    const W: f64 = 240.0;
    const H: f64 = 48.0;
    let span = (high - low).max(f64::MIN_POSITIVE);
    let line: Vec<String> = points
        .iter()
        .map(|(ms, v)| {
            let x = W * ms / end_ms.max(1.0);
            let y = H - 2.0 - (H - 4.0) * (v - low) / span;
            format!("{x:.1},{y:.1}")
        })
        .collect();
    html! {
        <svg class={classes!("compare-spark", class.to_string())} viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" role="img">
            <polyline points={line.join(" ")} fill="none" stroke-width="2" />
        </svg>
    }
}

fn column(compare: &Compare, label: &str, base: bool, rows: &[Row], id: &str) -> Html {
    let first = rows.first();
    let series: Vec<(f64, f64)> = compare
        .points()
        .iter()
        .filter_map(|(ms, b, v)| Some((*ms, if base { (*b)? } else { (*v)? })))
        .collect();
    let all = compare
        .points()
        .iter()
        .flat_map(|(_, b, v)| [*b, *v])
        .flatten();
    let (low, high) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (low, high) = if low.is_finite() {
        (low.min(0.0), high)
    } else {
        (0.0, 1.0)
    };
    let end_ms = compare.scenario().duration_ms as f64;
    let value = first.and_then(|row| if base { row.base } else { row.variant });
    let figure = first.map(|row| row.label.clone()).unwrap_or_default();
    html! {
        <div class="compare-column" id={id.to_string()}>
            <div class="compare-label">{ label.to_string() }</div>
            <div class="compare-figure"><span class="muted">{ figure }</span>{ " " }<strong>{ number(value) }</strong></div>
            { sparkline(&series, low, high, end_ms, if base { "base" } else { "variant" }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn small_figures_keep_three_significant_digits() {
        assert_eq!(number(Some(0.00022826)), "0.000228");
        assert_eq!(number(Some(-0.0221)), "-0.0221");
        assert_eq!(number(Some(0.5)), "0.500");
        assert_eq!(number(Some(0.0)), "0");
        assert_eq!(signed(Some(0.0000987), ""), "+0.0000987");
        assert_eq!(signed(Some(-12.34), " %"), "-12.3 %");
        assert_eq!(number(Some(97.17)), "97.2");
        assert_eq!(number(None), "—");
        assert_eq!(number(Some(1e-300)), format!("{:.12}", 1e-300));
    }
}

#[derive(Properties, PartialEq)]
pub struct ComparePanelProps {
    pub session: SharedSession,
    pub chapters: SharedChapters,
    /// Only to redraw with the root.
    pub state: UseReducerHandle<UiState>,
}

/// While the variant catches up and the frame loop is not running (the page is paused),
/// one animation frame at a time: a catch-up slice, then a redraw, which schedules the next.
/// The effect owns the frame and cancels it when torn down.
#[hook]
fn use_catch_up(props: &ComparePanelProps) {
    let state = &props.state;
    let frame_loop_runs = state.playing
        || state.to_end
        || state.rebuilding
        || state.beat_run.is_some()
        || state.go_to.is_some();
    let catching_up = props
        .chapters
        .0
        .try_borrow()
        .is_ok_and(|c| c.compare.as_ref().is_some_and(Compare::catching_up));
    let session = props.session.clone();
    let chapters = props.chapters.clone();
    let dispatcher = state.dispatcher();
    use_effect(move || {
        let frame: Option<AnimationFrame> = (catching_up && !frame_loop_runs).then(|| {
            request_animation_frame(move |_| {
                if let Err(text) = follow(&session.0.borrow(), &chapters) {
                    dispatcher.dispatch(super::error(text));
                }
                dispatcher.dispatch(Action::Redraw);
            })
        });
        move || drop(frame)
    });
}

#[function_component(ComparePanel)]
pub fn compare_panel(props: &ComparePanelProps) -> Html {
    use_catch_up(props);
    let session = props.session.0.borrow();
    let Ok(mut chapters) = props.chapters.0.try_borrow_mut() else {
        return html! {};
    };
    let Some(compare) = chapters.compare.as_mut() else {
        return html! {};
    };
    let rows = compare.rows(session.lab(), &session.observed().impressions);
    compare.sample(&rows);
    let catching_up = compare.catching_up();
    let claims = compare.claim_count();
    let lines: Html = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let class = match row.difference() {
                Some(d) if d > 0.0 => "up",
                Some(d) if d < 0.0 => "down",
                _ => "",
            };
            html! {
                <tr class={if index < claims { "claim" } else { "standard" }}>
                    <th scope="row" title={row.path.clone()}>{ row.label.clone() }</th>
                    <td class="base-value" data-value={exact(row.base)}>{ number(row.base) }</td>
                    <td class="variant-value" data-value={exact(row.variant)}>{ number(row.variant) }</td>
                    <td class={classes!("difference", class)}>{ signed(row.difference(), "") }</td>
                    <td class={classes!("difference-percent", class)}>{ signed(row.percent(), " %") }</td>
                </tr>
            }
        })
        .collect();
    html! {
        <section id="compare" class="compare-panel" aria-label="Side by side" data-base-ns={session.now().as_nanos().to_string()} data-variant-ns={compare.lab().now().as_nanos().to_string()} data-catching-up={catching_up.then_some("true")}>
            <div class="compare-columns">
                { column(compare, &compare.base_label, true, &rows, "compare-base") }
                { column(compare, &compare.label, false, &rows, "compare-variant") }
            </div>
            if catching_up {
                <p class="compare-time catching-up" id="compare-catching-up" role="status">{ format!("The variant is catching up: at {} of {}, replayed from the start after the change.", format::sim_time(compare.lab().now()), format::sim_time(session.now())) }</p>
            } else {
                <p class="muted compare-time">{ format!("Both at {}; the variant's trace hash ", format::sim_time(compare.lab().now())) }<code id="compare-hash">{ compare.lab().trace_hash_hex() }</code></p>
            }
            <table class="compare-table">
                <thead><tr><th></th><th>{ compare.base_label.clone() }</th><th>{ compare.label.clone() }</th><th>{ "difference" }</th><th>{ "%" }</th></tr></thead>
                <tbody>{ lines }</tbody>
            </table>
        </section>
    }
}
