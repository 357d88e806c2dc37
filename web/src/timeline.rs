//! The object-store request timeline: one lane per cause, each request a bar from its start to
//! its end, coloured by outcome. Hovering or focusing a bar shows its key, bytes, latency and
//! cost in a tooltip that stays readable (not the browser's tiny native one).
//!
//! Element counts are bounded. Up to [`MAX_BARS`] requests are drawn one by one; beyond that
//! the window is binned into columns of [`BIN_PX`] pixels per lane, each drawn as one bar
//! whose colour is its worst outcome and whose tooltip gives its totals.

use crate::format;
use std::rc::Rc;
use strata_sim::{Cause, EventKind, RequestOutcome, RequestRecord, SimTime, TraceEvent};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The most requests drawn one bar each.
pub const MAX_BARS: usize = 600;
/// Requests read from the trace for one window at most (the ring holds 10,000 events).
pub const MAX_WINDOW_REQUESTS: usize = 10_000;
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
    pub requests: Rc<Vec<RequestRecord>>,
    pub window_start: SimTime,
    pub window_end: SimTime,
}

/// Picks the requests that overlap `[start, end]` from retained trace events, oldest first, at
/// most [`MAX_WINDOW_REQUESTS`] (the most recent ones).
pub fn requests_in_window<'a>(
    events: impl DoubleEndedIterator<Item = &'a TraceEvent>,
    start: SimTime,
    end: SimTime,
) -> Vec<RequestRecord> {
    let mut picked: Vec<RequestRecord> = events
        .rev()
        .filter_map(|event| match &event.kind {
            EventKind::Request(request) if request.end >= start && request.start <= end => {
                Some(request.clone())
            }
            _ => None,
        })
        .take(MAX_WINDOW_REQUESTS)
        .collect();
    picked.reverse();
    picked
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

fn severity_class(severity: u8) -> &'static str {
    match severity {
        0 => "ok",
        1 => "miss",
        2 => "warn",
        _ => "bad",
    }
}

/// The outcome's name as the trace writes it (snake_case). A match rather than a round trip
/// through serde_json, which kept a JSON value serialiser in the bundle for this one tooltip.
fn outcome_name(outcome: RequestOutcome) -> &'static str {
    match outcome {
        RequestOutcome::Ok => "ok",
        RequestOutcome::NotFound => "not_found",
        RequestOutcome::AlreadyExists => "already_exists",
        RequestOutcome::PreconditionFailed => "precondition_failed",
        RequestOutcome::Throttled => "throttled",
        RequestOutcome::Timeout => "timeout",
        RequestOutcome::Unavailable => "unavailable",
        RequestOutcome::ServerError => "server_error",
        RequestOutcome::Invalid => "invalid",
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
}

/// What the bars of the last render stand for, so one delegated listener can find a bar's
/// request (or bin) from its `data-i` attribute.
#[derive(Default)]
struct Drawn {
    requests: Rc<Vec<RequestRecord>>,
    bins: Vec<Hovered>,
}

/// The hovered or focused bar's item and position, from the event's target.
fn hovered_from(event: &web_sys::Event, drawn: &Drawn) -> Option<(Hovered, f64, f64)> {
    let element = event.target()?.dyn_into::<web_sys::Element>().ok()?;
    let index: usize = element.get_attribute("data-i")?.parse().ok()?;
    let x = format::parse_f64(&element.get_attribute("x")?)?;
    let y = format::parse_f64(&element.get_attribute("y")?)?;
    let item = if drawn.bins.is_empty() {
        Hovered::One(drawn.requests.get(index)?.clone())
    } else {
        drawn.bins.get(index)?.clone()
    };
    Some((item, x, y))
}

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let hovered = use_state(|| None::<(Hovered, f64, f64)>);
    let drawn = use_mut_ref(Drawn::default);
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
                <text x="4" y={format::px(y + 20.0)} class={classes!("lane-label", format!("cause-{}", cause.as_str()))}>{ lane_name(*cause) }</text>
                <line x1={LABEL_WIDTH_PX.to_string()} x2={WIDTH_PX.to_string()}
                      y1={format::px(y + LANE_HEIGHT_PX)} y2={format::px(y + LANE_HEIGHT_PX)} class="lane-line" />
            </g>
        }
    });
    // One listener per event type on the whole figure, not four per bar: with hundreds of
    // bars re-rendered every frame, per-bar callbacks dominate the frame time.
    let on_enter = {
        let hovered = hovered.clone();
        let drawn = drawn.clone();
        Callback::from(move |event: web_sys::Event| {
            if let Some(found) = hovered_from(&event, &drawn.borrow()) {
                hovered.set(Some(found));
            }
        })
    };
    let on_leave = {
        let hovered = hovered.clone();
        Callback::from(move |event: web_sys::Event| {
            let on_bar = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|e| e.has_attribute("data-i"));
            if on_bar {
                hovered.set(None);
            }
        })
    };
    let binned = props.requests.len() > MAX_BARS;
    let mut bin_items: Vec<Hovered> = Vec::new();
    let bars: Html = if !binned {
        props
            .requests
            .iter()
            .enumerate()
            .map(|(index, request)| {
                let lane = LANES
                    .iter()
                    .position(|c| *c == request.cause)
                    .unwrap_or(LANES.len() - 1);
                let x0 = x_of(request.start.max(props.window_start));
                let x1 = x_of(request.end).max(x0 + 2.0);
                let y = lane as f64 * LANE_HEIGHT_PX + 6.0;
                let class = classes!("request-bar", severity_class(severity(request.outcome)));
                let key = format!(
                    "{}-{}-{}",
                    request.start.as_nanos(),
                    request.end.as_nanos(),
                    request.key
                );
                html! {
                    <rect key={key} x={format::px(x0)} y={format::px(y)} data-i={index.to_string()}
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
        let mut bins: Vec<Bin> = vec![Bin::default(); LANES.len() * per_lane];
        for request in props.requests.iter() {
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
                    <rect key={format!("{lane}-{column}")} x={format::px(x0)} y={format::px(y)} data-i={index.to_string()}
                          width={format::px(BIN_PX - 1.0)} height={format::px(h)}
                          class={classes!("request-bar", "binned", severity_class(bin.worst))} tabindex="0" />
                }
            })
            .collect()
    };
    *drawn.borrow_mut() = Drawn {
        requests: props.requests.clone(),
        bins: bin_items,
    };
    let axis_y = LANE_HEIGHT_PX * LANES.len() as f64 + 20.0;
    let tooltip = hovered.as_ref().map(|(what, x, y)| {
        let lines: Vec<String> = match what {
            Hovered::One(r) => vec![
                format!("{} {}", r.op.as_str().to_ascii_uppercase(), r.key),
                format!(
                    "cause {} · outcome {}",
                    lane_name(r.cause),
                    outcome_name(r.outcome)
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
                 style={format!("left: {left_pct:.1}%; top: {top_px:.0}px")}>
                { for lines.into_iter().map(|line| html! { <div>{ line }</div> }) }
            </div>
        }
    });
    html! {
        <div class="timeline-wrap">
            <svg class="timeline" viewBox={format!("0 0 {WIDTH_PX} {height}")} width="100%"
                 role="group" aria-label="object-store requests over simulated time, one lane per cause"
                 onmouseover={on_enter.reform(|e: MouseEvent| e.into())} onfocusin={on_enter.reform(|e: FocusEvent| e.into())}
                 onmouseout={on_leave.reform(|e: MouseEvent| e.into())} onfocusout={on_leave.reform(|e: FocusEvent| e.into())}>
                { for lanes }
                { bars }
                <text x={LABEL_WIDTH_PX.to_string()} y={format::px(axis_y)}>{ format::sim_time(props.window_start) }</text>
                <text x={WIDTH_PX.to_string()} y={format::px(axis_y)} text-anchor="end">{ format::sim_time(props.window_end) }</text>
                <text x={format::px(LABEL_WIDTH_PX + plot_width / 2.0)} y={format::px(axis_y)} text-anchor="middle" class="axis-label">
                    { if binned { format!("simulated time · {} requests binned into {BIN_PX:.0}-px columns", format::grouped(props.requests.len() as u64)) } else { "simulated time".to_string() } }
                </text>
            </svg>
            { for tooltip }
            <div class="legend-row">
                <span class="swatch ok"></span>{ "ok" }
                <span class="swatch miss"></span>{ "not found / exists" }
                <span class="swatch warn"></span>{ "conflict / throttled" }
                <span class="swatch bad"></span>{ "error / timeout / outage" }
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn outcome_names_are_the_trace_names() {
        let all = [
            RequestOutcome::Ok,
            RequestOutcome::NotFound,
            RequestOutcome::AlreadyExists,
            RequestOutcome::PreconditionFailed,
            RequestOutcome::Throttled,
            RequestOutcome::Timeout,
            RequestOutcome::Unavailable,
            RequestOutcome::ServerError,
            RequestOutcome::Invalid,
        ];
        for outcome in all {
            let json = serde_json::to_value(outcome).expect("an outcome serialises");
            assert_eq!(json.as_str(), Some(outcome_name(outcome)), "{outcome:?}");
        }
    }
}
