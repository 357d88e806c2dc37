//! The object-store request timeline: one lane per cause, each request a bar from its start to
//! its end, coloured by outcome. Hovering or focusing a bar shows its key, bytes, latency and
//! cost in a tooltip that stays readable (not the browser's tiny native one).
//!
//! Element counts are bounded. Up to [`MAX_BARS`] requests are drawn one by one; beyond that
//! the window is binned into columns of [`BIN_PX`] pixels per lane, each drawn as one bar
//! whose colour is its worst outcome and whose tooltip gives its totals.
//!
//! Clicking a bar (or pressing Enter on it) shows the request's cause chain: the request, the
//! job it was made for (a WAL object, a flush, a compaction, a client operation, or no client
//! cause), and the client operations that job served, with counts and shares. A binned column
//! stands for its most recent request. Below, the slowest client operations are buttons;
//! choosing one lists the requests it waited for. Both are asked of the run's
//! `strata_lab::explain` fold through [`Requests`], the same rules as `strata explain`, looked
//! up only for what is shown.

use crate::format;
pub use crate::frame::{requests_in_window, TimelineRequest, MAX_WINDOW_REQUESTS};
use crate::frame::{Answer, FrameRef, Requests};
use crate::widgets::{
    button, class_pair, container, identified_container, identified_text, svg_line, svg_text,
    text_element,
};
use std::cell::RefCell;
use std::rc::Rc;
use strata_lab::explain::{row_name, Explainer, JobKey, RequestBrief, SlowOperation};
use strata_sim::fmt::{fixed, shortest};
use strata_sim::{Cause, RequestOutcome, RequestRecord, SimTime};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The most requests drawn one bar each.
pub const MAX_BARS: usize = 600;
/// Width of one column when binning.
pub const BIN_PX: f64 = 6.0;

const WIDTH_PX: f64 = 960.0;
const LANE_HEIGHT_PX: f64 = 30.0;
const LABEL_WIDTH_PX: f64 = 120.0;

/// The lanes, in drawing order.
pub const LANES: [Cause; 8] = [
    Cause::Wal,
    Cause::Flush,
    Cause::Compaction,
    Cause::Manifest,
    Cause::Gc,
    Cause::Read,
    Cause::ReaderPoll,
    Cause::Recommender,
];

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// Requests overlapping the window, oldest first (shared: the tooltip looks a hovered bar
    /// up here instead of every bar carrying its own callbacks).
    pub requests: Rc<Vec<TimelineRequest>>,
    pub window_start: SimTime,
    pub window_end: SimTime,
    /// The frame on show: the slowest client operations (the buttons below the lanes) are
    /// its storage part's.
    pub frame: FrameRef,
    /// Where a click's cause chain is asked.
    pub ask: Requests,
}

/// What the explain panels show.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Selected {
    /// A request, by its trace sequence number.
    Request(u64),
    /// A client operation, by its number.
    Operation(u64),
}

/// A row of the fold as people read it.
fn served_name(row: &str) -> &str {
    match row {
        "other_writes" => "writes of no client operation",
        "other_databases" => "another database",
        other => other,
    }
}

pub(crate) fn brief_line(request: &RequestBrief) -> String {
    format!(
        "{} {} · {} · {} · {} · {}",
        request.op.as_str().to_ascii_uppercase(),
        request.key,
        lane_name(request.cause),
        format::bytes(request.bytes),
        format::millis(request.latency_ms),
        format::usd(request.usd)
    )
}

pub(crate) fn operation_line(op: &SlowOperation) -> String {
    format!(
        "{} {} · started {} · latency {}{}",
        op.kind,
        op.key,
        format::sim_time(SimTime::from_nanos((op.start_ms * 1e6) as u64)),
        format::millis(op.latency_ms),
        if op.ok { "" } else { " · failed" }
    )
}

/// The cause chain of the request numbered `seq`: the request, its job, whom the job served.
/// `Some(number)` in the result names a client operation the chain leads to.
pub(crate) fn chain_lines(
    explainer: &Explainer,
    seq: u64,
    request: &RequestRecord,
) -> (Vec<String>, Option<u64>) {
    let mut lines = vec![format!(
        "{} {} · {} · {} · {} · {}",
        request.op.as_str().to_ascii_uppercase(),
        request.key,
        lane_name(request.cause),
        format::bytes(request.bytes),
        format::millis(request.end.saturating_since(request.start).as_millis_f64()),
        format::usd(format::picousd_to_usd(request.cost_picousd))
    )];
    let Some((job, explained)) = explainer.request_job(seq) else {
        lines.push("→ no longer retained by the explain fold".to_string());
        return (lines, None);
    };
    let made_for = match job {
        JobKey::Wal { wal_id } => format::counted("→ made for WAL object ", wal_id, ""),
        JobKey::Flush { memtable_id } => {
            format::counted("→ made for the flush of memtable ", memtable_id, "")
        }
        JobKey::Compaction { job_id } => format::counted("→ made for compaction job ", job_id, ""),
        JobKey::Operation { number } => {
            let line = match explainer.operation(number) {
                Some(op) => format!(
                    "→ made by client operation #{number}: {}",
                    operation_line(op)
                ),
                None => {
                    format::counted("→ made by client operation #", number, ", still in flight")
                }
            };
            lines.push(line);
            return (lines, Some(number));
        }
        JobKey::Background { row } => {
            lines.push(format!(
                "→ no client cause: background ({})",
                served_name(row_name(row))
            ));
            return (lines, None);
        }
    };
    lines.push(made_for);
    match explained {
        Some(explained) => {
            lines.push(format!(
                "→ which sent {} request{} costing {}, shared by:",
                format::grouped(explained.requests),
                if explained.requests == 1 { "" } else { "s" },
                format::usd(explained.usd)
            ));
            for served in &explained.served {
                let whom = served_name(served.row);
                let line = if served.operations > 0.0 {
                    // Whole for a WAL object; a flush straddling a WAL object counts a part.
                    let count = if served.operations.fract() == 0.0 {
                        format::grouped(served.operations as u64)
                    } else {
                        format::decimal(served.operations)
                    };
                    format!(
                        "  {count} {} writes · {} of its cost",
                        whom,
                        format::percent(served.share)
                    )
                } else {
                    format!("  {whom} · {} of its cost", format::percent(served.share))
                };
                lines.push(line);
            }
        }
        None => lines.push("→ still running: its shares are settled when it finishes".to_string()),
    }
    (lines, None)
}

/// How bad an outcome is, for picking a bin's colour.
fn severity(outcome: RequestOutcome) -> u8 {
    match outcome {
        RequestOutcome::Ok => 0,
        RequestOutcome::NotFound | RequestOutcome::AlreadyExists => 1,
        RequestOutcome::PreconditionFailed | RequestOutcome::Throttled => 2,
        _ => 3,
    }
}

/// A bar's classes: `request-bar`, `binned` for a bin's column, and its severity's colour.
fn bar_class(severity: u8, binned: bool) -> &'static str {
    match (severity, binned) {
        (0, false) => "request-bar ok",
        (1, false) => "request-bar miss",
        (2, false) => "request-bar warn",
        (_, false) => "request-bar bad",
        (0, true) => "request-bar binned ok",
        (1, true) => "request-bar binned miss",
        (2, true) => "request-bar binned warn",
        (_, true) => "request-bar binned bad",
    }
}

fn lane_name(cause: Cause) -> &'static str {
    match cause {
        Cause::Wal => "WAL",
        Cause::Flush => "flush",
        Cause::Compaction => "compaction",
        Cause::Manifest => "manifest",
        Cause::Gc => "GC",
        Cause::Read => "read",
        Cause::ReaderPoll => "reader poll",
        Cause::Recommender => "recommender",
        _ => "other",
    }
}

/// What the tooltip shows.
#[derive(Clone, Debug, PartialEq)]
enum Hovered {
    One(RequestRecord),
    Bin {
        cause: Cause,
        from: SimTime,
        to: SimTime,
        requests: u64,
        failed: u64,
        bytes: u64,
        cost_picousd: u64,
    },
}

/// One binned column of one lane.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Bin {
    requests: u64,
    failed: u64,
    bytes: u64,
    cost_picousd: u64,
    worst: u8,
    /// The index of its most recent request in the window.
    last: usize,
}

/// What the bars of the last render stand for, so one delegated listener can find a bar's
/// request (or bin) from its `data-i` attribute.
#[derive(Default)]
struct Drawn {
    requests: Rc<Vec<TimelineRequest>>,
    bins: Vec<Hovered>,
    /// For each bin, the index of its most recent request (what a click on it explains).
    bin_last: Vec<usize>,
}

/// The bar an event is on, as its `data-i` index.
fn bar_index(event: &web_sys::Event) -> Option<usize> {
    let element = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    format::parse_index(&element.get_attribute("data-i")?)
}

/// The trace number of the request a clicked bar stands for.
fn clicked_request(event: &web_sys::Event, drawn: &Drawn) -> Option<u64> {
    let index = bar_index(event)?;
    let request = if drawn.bins.is_empty() {
        index
    } else {
        *drawn.bin_last.get(index)?
    };
    drawn.requests.get(request).map(|request| request.seq)
}

/// The hovered or focused bar's item and position, from the event's target.
fn hovered_from(event: &web_sys::Event, drawn: &Drawn) -> Option<(Hovered, f64, f64)> {
    let element = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    let index = format::parse_index(&element.get_attribute("data-i")?)?;
    let x = format::parse_f64(&element.get_attribute("x")?)?;
    let y = format::parse_f64(&element.get_attribute("y")?)?;
    let item = if drawn.bins.is_empty() {
        Hovered::One(drawn.requests.get(index)?.record.clone())
    } else {
        drawn.bins.get(index)?.clone()
    };
    Some((item, x, y))
}

/// The bar under the pointer or focus and the request or operation chosen: one reducer, so a
/// hover and a click handled before the next render each keep the other's update. One hook
/// rather than a `use_state` each, whose call sites are code of their own.
#[derive(Default)]
struct Pointed {
    hovered: Option<(Hovered, f64, f64)>,
    selected: Option<Selected>,
    /// The bars of the last render, written by each render and read by the listeners: one
    /// cell handed from state to state, not a `use_mut_ref` of its own.
    drawn: Rc<RefCell<Drawn>>,
}

enum PointedAction {
    Hover(Option<(Hovered, f64, f64)>),
    Select(Selected),
}

impl Reducible for Pointed {
    type Action = PointedAction;

    fn reduce(self: Rc<Self>, action: PointedAction) -> Rc<Self> {
        Rc::new(match action {
            PointedAction::Hover(hovered) => Pointed {
                hovered,
                selected: self.selected,
                drawn: self.drawn.clone(),
            },
            PointedAction::Select(selected) => Pointed {
                hovered: self.hovered.clone(),
                selected: Some(selected),
                drawn: self.drawn.clone(),
            },
        })
    }
}

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let pointed = use_reducer(Pointed::default);
    let drawn = pointed.drawn.clone();
    let span_ns = props
        .window_end
        .saturating_since(props.window_start)
        .as_nanos()
        .max(1) as f64;
    let plot_width = WIDTH_PX - LABEL_WIDTH_PX;
    let start_ns = props.window_start.as_nanos();
    let x_of = |t: SimTime| {
        let offset = t.as_nanos().saturating_sub(start_ns) as f64;
        LABEL_WIDTH_PX + (offset / span_ns).min(1.0) * plot_width
    };
    let height = LANE_HEIGHT_PX * LANES.len() as f64 + 28.0;
    let lanes = LANES.iter().enumerate().map(|(i, cause)| {
        let y = i as f64 * LANE_HEIGHT_PX;
        html! {
            <g key={cause.as_str()}>
                <text x="4" y={format::px(y + 20.0)} class={class_pair("lane-label", &format!("cause-{}", cause.as_str()))}>{ lane_name(*cause) }</text>
                { svg_line(LABEL_WIDTH_PX, y + LANE_HEIGHT_PX, WIDTH_PX, y + LANE_HEIGHT_PX, "lane-line") }
            </g>
        }
    });
    // One listener per event type on the whole figure, not four per bar: with hundreds of
    // bars re-rendered every frame, per-bar callbacks dominate the frame time.
    let on_enter = {
        let pointed = pointed.dispatcher();
        let drawn = drawn.clone();
        Callback::from(move |event: web_sys::Event| {
            if let Some(found) = hovered_from(&event, &drawn.borrow()) {
                pointed.dispatch(PointedAction::Hover(Some(found)));
            }
        })
    };
    let on_leave = {
        let pointed = pointed.dispatcher();
        Callback::from(move |event: web_sys::Event| {
            let on_bar = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|e| e.has_attribute("data-i"));
            if on_bar {
                pointed.dispatch(PointedAction::Hover(None));
            }
        })
    };
    let on_click = {
        let pointed = pointed.dispatcher();
        let drawn = drawn.clone();
        Callback::from(move |event: web_sys::Event| {
            if let Some(seq) = clicked_request(&event, &drawn.borrow()) {
                pointed.dispatch(PointedAction::Select(Selected::Request(seq)));
            }
        })
    };
    let on_key = {
        let on_click = on_click.clone();
        Callback::from(move |event: KeyboardEvent| {
            // Enter only: Space on the page plays or pauses (app/keyboard.rs).
            if event.key() == "Enter" {
                event.prevent_default();
                on_click.emit(event.into());
            }
        })
    };
    let binned = props.requests.len() > MAX_BARS;
    let mut bin_items: Vec<Hovered> = Vec::new();
    let mut bin_last: Vec<usize> = Vec::new();
    let bars: Html = if !binned {
        props
            .requests
            .iter()
            .enumerate()
            .map(|(index, request)| {
                let request = &request.record;
                let lane = LANES
                    .iter()
                    .position(|c| *c == request.cause)
                    .unwrap_or(LANES.len() - 1);
                let x0 = x_of(request.start.max(props.window_start));
                let x1 = x_of(request.end).max(x0 + 2.0);
                let y = lane as f64 * LANE_HEIGHT_PX + 6.0;
                let class = bar_class(severity(request.outcome), false);
                let key = format!(
                    "{}-{}-{}",
                    request.start.as_nanos(),
                    request.end.as_nanos(),
                    request.key
                );
                html! {
                    <rect key={key} x={format::px(x0)} y={format::px(y)} data-i={index.to_string()} data-cause={request.cause.as_str()}
                          width={format::px(x1 - x0)} height={format::px(LANE_HEIGHT_PX - 12.0)}
                          class={class} tabindex="0" />
                }
            })
            .collect()
    } else {
        let columns = (plot_width / BIN_PX).floor() as usize;
        // Dense, lane-major: the bins come out in (lane, column) order. A vector rather than
        // a map, whose B-tree code for this one key and value type would ship in the bundle.
        let per_lane = columns.max(1);
        // Pushed by a loop: `vec!` of a clone was `from_elem` and `extend_with` of their own.
        let mut bins: Vec<Bin> = Vec::new();
        for _ in 0..LANES.len() * per_lane {
            bins.push(Bin::default());
        }
        for (index, request) in props.requests.iter().enumerate() {
            let request = &request.record;
            let lane = LANES
                .iter()
                .position(|c| *c == request.cause)
                .unwrap_or(LANES.len() - 1);
            let x = x_of(request.end.min(props.window_end)) - LABEL_WIDTH_PX;
            let column = ((x / BIN_PX) as usize).min(columns.saturating_sub(1));
            let bin = &mut bins[lane * per_lane + column];
            bin.requests += 1;
            bin.bytes += request.bytes;
            bin.cost_picousd += request.cost_picousd;
            let s = severity(request.outcome);
            if s >= 2 {
                bin.failed += 1;
            }
            bin.worst = bin.worst.max(s);
            bin.last = index;
        }
        let max_requests = bins.iter().map(|b| b.requests).max().unwrap_or(1).max(1) as f64;
        bins.iter()
            .enumerate()
            .filter(|(_, bin)| bin.requests > 0)
            .map(|(at, bin)| (at / per_lane, at % per_lane, bin))
            .enumerate()
            .map(|(index, (lane, column, bin))| {
                let x0 = LABEL_WIDTH_PX + column as f64 * BIN_PX;
                let full = LANE_HEIGHT_PX - 12.0;
                let h = (full * (0.25 + 0.75 * bin.requests as f64 / max_requests)).min(full);
                let y = lane as f64 * LANE_HEIGHT_PX + 6.0 + (full - h);
                let from = SimTime::from_nanos(start_ns + ((column as f64 * BIN_PX) / plot_width * span_ns) as u64);
                let to = SimTime::from_nanos(start_ns + (((column + 1) as f64 * BIN_PX) / plot_width * span_ns) as u64);
                bin_last.push(bin.last);
                bin_items.push(Hovered::Bin {
                    cause: LANES[lane],
                    from,
                    to,
                    requests: bin.requests,
                    failed: bin.failed,
                    bytes: bin.bytes,
                    cost_picousd: bin.cost_picousd,
                });
                html! {
                    <rect key={format!("{lane}-{column}")} x={format::px(x0)} y={format::px(y)} data-i={index.to_string()} data-cause={LANES[lane].as_str()}
                          width={format::px(BIN_PX - 1.0)} height={format::px(h)}
                          class={bar_class(bin.worst, true)} tabindex="0" />
                }
            })
            .collect()
    };
    *drawn.borrow_mut() = Drawn {
        requests: props.requests.clone(),
        bins: bin_items,
        bin_last,
    };
    let panels = explain_panels(props, &pointed);
    let axis_y = LANE_HEIGHT_PX * LANES.len() as f64 + 20.0;
    let tooltip = pointed.hovered.as_ref().map(|(what, x, y)| {
        let lines: Vec<String> = match what {
            Hovered::One(r) => vec![
                format!("{} {}", r.op.as_str().to_ascii_uppercase(), r.key),
                format!(
                    "cause {} · outcome {}",
                    lane_name(r.cause),
                    r.outcome.as_str()
                ),
                format!(
                    "{} · latency {}",
                    format::bytes(r.bytes),
                    format::millis(r.end.saturating_since(r.start).as_millis_f64())
                ),
                format!(
                    "cost {} · {} → {}",
                    format::usd(format::picousd_to_usd(r.cost_picousd)),
                    format::sim_time(r.start),
                    format::sim_time(r.end)
                ),
            ],
            Hovered::Bin {
                cause,
                from,
                to,
                requests,
                failed,
                bytes,
                cost_picousd,
            } => vec![
                format!(
                    "{} {} requests ({} failed)",
                    format::grouped(*requests),
                    lane_name(*cause),
                    format::grouped(*failed)
                ),
                format!("{} → {}", format::sim_time(*from), format::sim_time(*to)),
                format!(
                    "{} · cost {}",
                    format::bytes(*bytes),
                    format::usd(format::picousd_to_usd(*cost_picousd))
                ),
            ],
        };
        // Keep the tooltip inside the figure: left of the bar when the bar is far right.
        let left_pct = (x / WIDTH_PX * 100.0).min(62.0);
        let top_px = y + LANE_HEIGHT_PX;
        html! {
            <div id="request-tooltip" class="tooltip" role="tooltip"
                 style={format!("left: {}%; top: {}px", fixed(left_pct, 1), fixed(top_px, 0))}>
                { for lines.into_iter().map(|line| text_element("div", "", line.into())) }
            </div>
        }
    });
    html! {
        { container("div", "timeline-wrap", html! { <>
            <svg class="timeline" viewBox={format!("0 0 {} {}", shortest(WIDTH_PX), shortest(height))} width="100%"
                 role="group" aria-label="object-store requests over simulated time, one lane per cause"
                 onmouseover={on_enter.reform(|e: MouseEvent| e.into())} onfocusin={on_enter.reform(|e: FocusEvent| e.into())}
                 onmouseout={on_leave.reform(|e: MouseEvent| e.into())} onfocusout={on_leave.reform(|e: FocusEvent| e.into())}
                 onclick={on_click.reform(|e: MouseEvent| e.into())} onkeydown={on_key}>
                { for lanes }
                { bars }
                { svg_text(LABEL_WIDTH_PX, axis_y, None, "", format::sim_time(props.window_start).into()) }
                { svg_text(WIDTH_PX, axis_y, Some("end"), "", format::sim_time(props.window_end).into()) }
                { svg_text(LABEL_WIDTH_PX + plot_width / 2.0, axis_y, Some("middle"), "axis-label",
                    if binned { format!("simulated time · {} requests binned into {}-px columns", format::grouped(props.requests.len() as u64), fixed(BIN_PX, 0)).into() } else { "simulated time".into() }) }
            </svg>
            // One child whether shown or not: Yew matches unkeyed children from the end, so a
            // tooltip that came and went as an extra child made the figure before it be
            // rebuilt, and a focused bar lose its focus.
            { tooltip.unwrap_or_default() }
            { container("div", "legend-row", html! { <>
                { container("span", "swatch ok", Html::default()) }{ "ok" }
                { container("span", "swatch miss", Html::default()) }{ "not found / exists" }
                { container("span", "swatch warn", Html::default()) }{ "conflict / throttled" }
                { container("span", "swatch bad", Html::default()) }{ "error / timeout / outage" }
                { text_element("span", "hint", "· click a request (or press Enter on it) for its cause chain".into()) }
            </> }) }
            { panels }
        </> }) }
    }
}

/// The cause chain of the selected request or the requests of the selected operation, and the
/// slowest operations as buttons.
fn explain_panels(props: &TimelineProps, pointed: &UseReducerHandle<Pointed>) -> Html {
    let slowest = props
        .frame
        .storage
        .as_ref()
        .map_or(&[][..], |storage| &storage.slowest);
    let select = |what: Selected| {
        let pointed = pointed.dispatcher();
        Callback::from(move |_: MouseEvent| pointed.dispatch(PointedAction::Select(what)))
    };
    let detail = match pointed.selected {
        Some(Selected::Request(seq)) => {
            let request = props
                .requests
                .iter()
                .rev()
                .find(|request| request.seq == seq)
                .map(|request| request.record.clone());
            match request {
                Some(request) => match props.ask.request_chain(seq, &request) {
                    Answer::Waiting => html! {
                        <div id="request-chain" class="explain-detail" aria-busy="true">{ "Looking up the request's cause chain…" }</div>
                    },
                    Answer::Ready((lines, operation)) => html! {
                        <div id="request-chain" class="explain-detail" aria-live="polite">
                            { text_element("h3", "", "Why this request".into()) }
                            { for lines.into_iter().map(|line| text_element("div", "", line.into())) }
                            if let Some(number) = operation {
                                { button("chain-operation", "", "Show the requests this operation waited for".into(), select(Selected::Operation(number)), false) }
                            }
                        </div>
                    },
                },
                None => html! {
                    { identified_text("div", "request-chain", "explain-detail", "The request has left the window.".into()) }
                },
            }
        }
        Some(Selected::Operation(number)) => match props.ask.operation(number) {
            Answer::Waiting => html! {
                <div id="operation-requests" class="explain-detail" aria-busy="true">{ format::counted("Looking up client operation #", number, "…") }</div>
            },
            Answer::Ready(Some(op)) => {
                let how = match op.waited_for {
                    "requests" => "its own requests:",
                    "wal" => "its WAL object, which carried it to the store:",
                    "memory" => "no request: it was acknowledged from memory.",
                    _ => "no request: it failed before sending any.",
                };
                html! {
                    <div id="operation-requests" class="explain-detail" aria-live="polite">
                        { text_element("h3", "", format::counted("Client operation #", number, "").into()) }
                        { text_element("div", "", op.line.into()) }
                        { text_element("div", "", format!("It waited for {how}").into()) }
                        { container("ul", "", html! { <>
                            { for op.requests.into_iter().map(|request| text_element("li", "", request.into())) }
                        </> }) }
                    </div>
                }
            }
            Answer::Ready(None) => html! {
                { identified_text("div", "operation-requests", "explain-detail", format::counted("Client operation #", number, " is no longer retained.").into()) }
            },
        },
        None => Html::default(),
    };
    html! {
        { container("div", "explain-panels", html! { <>
            { identified_container("div", "slowest-ops", "explain-list", html! { <>
                { text_element("h3", "", "Slowest client operations".into()) }
                if slowest.is_empty() {
                    { text_element("p", "empty", "None yet.".into()) }
                } else {
                    { container("ol", "", html! { <>
                        { for slowest.iter().map(|op| html! {
                            <li key={op.number.to_string()}>
                                { button("", "slow-op", format!("{} {} · {}", op.kind, op.key, format::millis(op.latency_ms)).into(), select(Selected::Operation(op.number)), false) }
                            </li>
                        }) }
                    </> }) }
                }
            </> }) }
            { detail }
        </> }) }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_bars_classes_are_request_bar_then_binned_for_a_column_then_its_severity() {
        for (severity, colour) in [(0, "ok"), (1, "miss"), (2, "warn"), (3, "bad"), (9, "bad")] {
            assert_eq!(bar_class(severity, false), format!("request-bar {colour}"));
            assert_eq!(
                bar_class(severity, true),
                format!("request-bar binned {colour}")
            );
        }
    }

    /// A short run of the playground's steady-writes scenario, with its requests by number.
    fn played() -> (strata_lab::Lab, Vec<TimelineRequest>) {
        let text = include_str!("../../tests/scenarios/steady-writes.json");
        let scenario = strata_lab::Scenario::from_json(text).expect("the fixture reads");
        let mut lab = strata_lab::Lab::new(&scenario).expect("the fixture compiles");
        lab.advance_to(SimTime::from_millis(3_000), u64::MAX)
            .expect("the run plays");
        let requests = requests_in_window(
            &lab.trace(),
            SimTime::ZERO,
            SimTime::from_millis(3_000),
            None,
        );
        (lab, requests)
    }

    #[test]
    fn a_wal_put_leads_to_the_writes_it_carried_and_a_read_to_its_operation() {
        let (lab, requests) = played();
        let explainer = lab.explainer();
        let wal = requests
            .iter()
            .rev()
            .find(|r| r.record.cause == Cause::Wal && r.record.op == strata_sim::StoreOp::Put)
            .expect("writes were uploaded");
        // The newest WAL object may still be open; an older one has settled.
        let settled = requests
            .iter()
            .filter(|r| r.record.cause == Cause::Wal && r.record.op == strata_sim::StoreOp::Put)
            .find(|r| chain_lines(&explainer, r.seq, &r.record).0.len() > 3)
            .expect("a WAL object settled");
        let (lines, operation) = chain_lines(&explainer, settled.seq, &settled.record);
        assert!(lines[1].starts_with("→ made for WAL object"), "{lines:?}");
        assert!(lines[2].contains("shared by"), "{lines:?}");
        assert!(lines[3].contains("put writes"), "{lines:?}");
        assert_eq!(operation, None);
        let (lines, _) = chain_lines(&explainer, wal.seq, &wal.record);
        assert!(lines[0].starts_with("PUT db/wal/"), "{lines:?}");

        let read = requests
            .iter()
            .find(|r| r.record.cause == Cause::Read)
            .expect("gets read SSTs");
        let (lines, operation) = chain_lines(&explainer, read.seq, &read.record);
        let number = operation.expect("a read leads to its operation");
        assert!(
            lines[1].contains(&format!("client operation #{number}")),
            "{lines:?}"
        );
        assert!(lines[1].contains("get k"), "{lines:?}");
        let op = explainer.operation(number).expect("it completed");
        assert!(op.requests.iter().any(|r| r.seq == read.seq), "{op:?}");
        assert!(!explainer.slowest().is_empty());
    }
}
