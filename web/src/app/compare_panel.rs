//! The compare panel under the chapter panel: the run on show and its side-by-side variant
//! ([`crate::compare`]) in two columns, each with a sparkline of the first figure, then a
//! table of the figures with the difference (variant − base, and as a %).
//!
//! The variant is kept in the chapters' state beside the chapter that brought it (or the
//! share link's `vs`); its lab runs in the page's worker ([`crate::worker`]). [`follow`] asks
//! the worker to bring it to the run's simulated time, and is called with every frame of the
//! run on show and again after every reply (the run may have moved meanwhile); the reply, with
//! the variant's figures, comes back as a message to the chapters' state. The run on show's
//! figures for the rows come with its frames (asked for by path while a variant is shown). A
//! variant that starts again (a live change, a move back) catches up in the worker, one slice
//! a request, and the panel says so; the main thread only sends the next request.

use super::chapter::SharedChapters;
use super::run_view::SharedRun;
use super::{error, Action, UiState};
use crate::compare::{Compare, Row};
use crate::format;
use crate::frame::{Frame, FrameRef};
use crate::link;
use crate::widgets::{class_pair, container, identified_text, text_element};
use crate::worker::host;
use crate::worker::protocol::Reply;
use std::cell::Cell;
use strata_lab::Scenario;
use strata_sim::fmt::{fixed, shortest};
use yew::prelude::*;

thread_local! {
    /// Whether the run on show moves (the panel notes it at each render): its frames then
    /// redraw the panel with the latest reply anyway, and a reply need not ask for a render.
    static RUN_MOVES: Cell<bool> = const { Cell::new(false) };
}

/// Asks for the variant (if any) to be brought to the run's time, unless a request is in
/// flight or it is there already. The reply is taken into the chapters' state; a variant that
/// cannot follow is dropped and the message says why; the run on show goes on alone.
pub fn follow(
    frame: &Frame,
    run: &SharedRun,
    chapters: &SharedChapters,
    dispatcher: &UseReducerDispatcher<UiState>,
) {
    let Ok(mut shared) = chapters.0.try_borrow_mut() else {
        return;
    };
    // The run's frames carry its figures for the panel's rows while there is a variant.
    run.want_figures(
        shared
            .compare
            .as_ref()
            .map(Compare::paths)
            .unwrap_or_default(),
    );
    let Some(compare) = shared.compare.as_mut() else {
        return;
    };
    let rebuild_target = frame.time.rebuild.map(|rebuild| rebuild.target);
    let Some(request) = compare.next_request(&frame.scenario, frame.time.now, rebuild_target)
    else {
        return;
    };
    if matches!(
        request,
        crate::worker::protocol::Request::StartVariant { .. }
    ) {
        compare.on_drop(Box::new(|stop| {
            host::send(stop, Callback::noop());
        }));
    }
    let stream = compare.stream();
    drop(shared);
    let on_reply = {
        let chapters = chapters.clone();
        let dispatcher = dispatcher.clone();
        let run = run.clone();
        Callback::from(move |reply: Reply| {
            // Replies arrive as tasks of their own, never while the chapters are borrowed.
            let mut shared = chapters.0.borrow_mut();
            // A reply about a variant the page has let go since is of no use.
            let Some(compare) = shared.compare.as_mut().filter(|c| c.stream() == stream) else {
                return;
            };
            if let Err(e) = compare.receive(reply) {
                shared.compare = None;
                dispatcher.dispatch(error(format!(
                    "The side-by-side run stopped ({e}); this run goes on alone."
                )));
            }
            drop(shared);
            // The run may have moved on meanwhile, or the variant has more to catch up.
            if let Some(frame) = run.frame() {
                follow(&frame, &run, &chapters, &dispatcher);
            }
            if !RUN_MOVES.with(Cell::get) {
                dispatcher.dispatch(Action::Redraw);
            }
        })
    };
    host::send(request, on_reply);
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
            fixed(v, decimals).to_string()
        }
    }
}

/// The exact figure, for a reader of the page (tests, scripts).
fn exact(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| shortest(v).to_string())
}

fn signed(value: Option<f64>, suffix: &str) -> String {
    match value {
        Some(v) if v > 0.0 => format!("+{}{suffix}", number(Some(v))),
        Some(_) => format!("{}{suffix}", number(value)),
        None => "—".to_string(),
    }
}

/// A sparkline's size, and its view box written out (a test checks it against the size).
pub(crate) const SPARK_W: f64 = 240.0;
pub(crate) const SPARK_H: f64 = 48.0;
pub(crate) const SPARK_VIEW_BOX: &str = "0 0 240 48";

/// One run's sparkline of the first figure, on the scale both runs share.
fn sparkline(points: &[(f64, f64)], low: f64, high: f64, end_ms: f64, class: &str) -> Html {
    const W: f64 = SPARK_W;
    const H: f64 = SPARK_H;
    let span = (high - low).max(f64::MIN_POSITIVE);
    let mut line = String::new();
    for (ms, v) in points {
        let x = W * ms / end_ms.max(1.0);
        let y = H - 2.0 - (H - 4.0) * (v - low) / span;
        format::push_point(&mut line, x, y);
    }
    html! {
        <svg class={class_pair("compare-spark", class)} viewBox={SPARK_VIEW_BOX} preserveAspectRatio="none" role="img">
            <polyline points={line} fill="none" stroke-width="2" />
        </svg>
    }
}

/// The base's (`base`) or the variant's sparkline points, `(ms, value)`, and the range of
/// both runs' values (from 0 at most; 0 to 1 without any), so the two lines share a scale.
/// One loop: the `filter_map` and `collect`, and the `flat_map`, `flatten` and `fold` it
/// replaces, were instances of their own.
fn spark_series(
    points: &[(f64, Option<f64>, Option<f64>)],
    base: bool,
) -> (Vec<(f64, f64)>, f64, f64) {
    let mut series = Vec::new();
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for (ms, b, v) in points {
        if let Some(value) = if base { *b } else { *v } {
            series.push((*ms, value));
        }
        for value in [*b, *v].into_iter().flatten() {
            low = low.min(value);
            high = high.max(value);
        }
    }
    if low.is_finite() {
        (series, low.min(0.0), high)
    } else {
        (series, 0.0, 1.0)
    }
}

fn column(compare: &Compare, label: &str, base: bool, rows: &[Row], id: &str) -> Html {
    let first = rows.first();
    let (series, low, high) = spark_series(compare.points(), base);
    let end_ms = compare.scenario().duration_ms as f64;
    let value = first.and_then(|row| if base { row.base } else { row.variant });
    let figure = first.map(|row| row.label.clone()).unwrap_or_default();
    html! {
        <div class="compare-column" id={id.to_string()}>
            { text_element("div", "compare-label", label.to_string().into()) }
            { container("div", "compare-figure", html! { <>{ text_element("span", "muted", figure.into()) }{ " " }{ text_element("strong", "", number(value).into()) }</> }) }
            { sparkline(&series, low, high, end_ms, if base { "base" } else { "variant" }) }
        </div>
    }
}

/// What the compare panel is drawn from.
pub struct ComparePanel {
    /// The run on show's frame, with its figures for the rows.
    pub frame: FrameRef,
    pub chapters: SharedChapters,
    /// Only to redraw with the root.
    pub state: UseReducerHandle<UiState>,
}

/// A function, not a component: the root renders it with every frame, and its callbacks are
/// made anew each time, so a component's memo never saved a render and its code cost bytes.
pub fn compare_panel(props: &ComparePanel) -> Html {
    let state = &props.state;
    RUN_MOVES.with(|runs| {
        runs.set(
            state.playing
                || state.to_end
                || state.rebuilding
                || state.beat_run.is_some()
                || state.go_to.is_some(),
        )
    });
    let frame = &props.frame;
    let now = frame.time.now;
    let Ok(mut chapters) = props.chapters.0.try_borrow_mut() else {
        return html! {};
    };
    let Some(compare) = chapters.compare.as_mut() else {
        return html! {};
    };
    let rows = compare.rows(&frame.figures);
    compare.sample(&rows, now);
    let in_step = compare.in_step(now);
    let catching_up = !in_step && compare.restarted();
    let claims = compare.claim_count();
    let lines: Html = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let (difference_class, percent_class) = match row.difference() {
                Some(d) if d > 0.0 => ("difference up", "difference-percent up"),
                Some(d) if d < 0.0 => ("difference down", "difference-percent down"),
                _ => ("difference", "difference-percent"),
            };
            html! {
                <tr class={if index < claims { "claim" } else { "standard" }}>
                    <th scope="row" title={row.path.clone()}>{ row.label.clone() }</th>
                    <td class="base-value" data-value={exact(row.base)}>{ number(row.base) }</td>
                    <td class="variant-value" data-value={exact(row.variant)}>{ number(row.variant) }</td>
                    { text_element("td", difference_class, signed(row.difference(), "").into()) }
                    { text_element("td", percent_class, signed(row.percent(), " %").into()) }
                </tr>
            }
        })
        .collect();
    html! {
        <section id="compare" class="compare-panel" aria-label="Side by side" data-base-ns={now.as_nanos().to_string()} data-variant-ns={compare.now().as_nanos().to_string()} data-catching-up={(!in_step).then_some("true")} data-waiting={compare.waiting().then_some("true")}>
            { container("div", "compare-columns", html! { <>
                { column(compare, &compare.base_label, true, &rows, "compare-base") }
                { column(compare, &compare.label, false, &rows, "compare-variant") }
            </> }) }
            if catching_up {
                <p class="compare-time catching-up" id="compare-catching-up" role="status">{ format!("The variant is catching up: at {} of {}, replayed from the start after the change.", format::sim_time(compare.now()), format::sim_time(now)) }</p>
            } else {
                { container("p", "muted compare-time", html! { <>{ format!("Both at {}; the variant's trace hash ", format::sim_time(compare.now())) }{ identified_text("code", "compare-hash", "", (compare.trace_hash().to_string()).into()) }</> }) }
            }
            <table class="compare-table">
                { container("thead", "", html! { <><tr><th></th>{ text_element("th", "", compare.base_label.clone().into()) }{ text_element("th", "", compare.label.clone().into()) }{ text_element("th", "", "difference".into()) }{ text_element("th", "", "%".into()) }</tr></> }) }
                { container("tbody", "", html! { <>{ lines }</> }) }
            </table>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn both_sparklines_share_the_range_of_both_runs_from_zero() {
        let points = [
            (0.0, Some(2.0), None),
            (10.0, Some(3.0), Some(-1.0)),
            (20.0, None, Some(7.5)),
        ];
        assert_eq!(
            spark_series(&points, true),
            (vec![(0.0, 2.0), (10.0, 3.0)], -1.0, 7.5)
        );
        assert_eq!(
            spark_series(&points, false),
            (vec![(10.0, -1.0), (20.0, 7.5)], -1.0, 7.5)
        );
        let positive = [(0.0, Some(2.0), Some(4.0))];
        assert_eq!(spark_series(&positive, true), (vec![(0.0, 2.0)], 0.0, 4.0));
        assert_eq!(
            spark_series(&[(5.0, None, None)], false),
            (vec![], 0.0, 1.0)
        );
    }

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
