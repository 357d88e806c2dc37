//! The object-store request timeline: one lane per cause, each request a bar from its start to
//! its end, coloured by outcome. The number of SVG elements is bounded (`MAX_BARS`): when more
//! requests fall in the window, the most recent ones are drawn.

use strata_sim::{Cause, EventKind, RequestOutcome, RequestRecord, SimTime, TraceEvent};
use yew::prelude::*;

/// The most bars drawn at once, so the page stays fast.
pub const MAX_BARS: usize = 600;

const WIDTH_PX: f64 = 960.0;
const LANE_HEIGHT_PX: f64 = 26.0;
const LABEL_WIDTH_PX: f64 = 110.0;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    /// Requests to draw (already filtered to the window by the caller).
    pub requests: Vec<RequestRecord>,
    pub window_start: SimTime,
    pub window_end: SimTime,
    pub lanes: Vec<Cause>,
}

/// Picks the requests that overlap `[start, end]` from retained trace events, newest last,
/// at most `MAX_BARS`.
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
        .take(MAX_BARS)
        .collect();
    picked.reverse();
    picked
}

fn outcome_colour(outcome: RequestOutcome) -> &'static str {
    match outcome {
        RequestOutcome::Ok => "var(--ok)",
        RequestOutcome::NotFound | RequestOutcome::AlreadyExists => "var(--muted)",
        RequestOutcome::PreconditionFailed | RequestOutcome::Throttled => "var(--warn)",
        _ => "var(--bad)",
    }
}

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let span_ns = props
        .window_end
        .saturating_since(props.window_start)
        .as_nanos()
        .max(1) as f64;
    let plot_width = WIDTH_PX - LABEL_WIDTH_PX;
    let x_of = |t: SimTime| {
        let offset = t.as_nanos().saturating_sub(props.window_start.as_nanos()) as f64;
        LABEL_WIDTH_PX + (offset / span_ns).min(1.0) * plot_width
    };
    let height = LANE_HEIGHT_PX * props.lanes.len() as f64 + 24.0;
    let lanes = props.lanes.iter().enumerate().map(|(i, cause)| {
        let y = i as f64 * LANE_HEIGHT_PX;
        html! {
            <g key={cause.as_str()}>
                <text x="4" y={format!("{:.1}", y + 17.0)}>{ cause.as_str() }</text>
                <line x1={LABEL_WIDTH_PX.to_string()} x2={WIDTH_PX.to_string()}
                      y1={format!("{:.1}", y + LANE_HEIGHT_PX)} y2={format!("{:.1}", y + LANE_HEIGHT_PX)}
                      stroke="#2d3742" />
            </g>
        }
    });
    let bars = props.requests.iter().enumerate().filter_map(|(i, request)| {
        let lane = props.lanes.iter().position(|c| *c == request.cause)?;
        let x0 = x_of(request.start.max(props.window_start));
        let x1 = x_of(request.end).max(x0 + 1.5);
        let y = lane as f64 * LANE_HEIGHT_PX + 5.0;
        let latency_ms = request.end.saturating_since(request.start).as_millis_f64();
        let title = format!(
            "{} {} — {} bytes, {:.1} ms, ${:.9}, {:?}",
            request.op.as_str(),
            request.key,
            request.bytes,
            latency_ms,
            request.cost_picousd as f64 * 1e-12,
            request.outcome
        );
        Some(html! {
            <rect key={i} x={format!("{x0:.1}")} y={format!("{y:.1}")}
                  width={format!("{:.1}", x1 - x0)} height={format!("{:.1}", LANE_HEIGHT_PX - 10.0)}
                  fill={outcome_colour(request.outcome)} tabindex="0" class="request-bar">
                <title>{ title }</title>
            </rect>
        })
    });
    let axis_y = LANE_HEIGHT_PX * props.lanes.len() as f64 + 16.0;
    html! {
        <svg class="timeline" viewBox={format!("0 0 {WIDTH_PX} {height}")} width="100%"
             role="img" aria-label="object-store requests over simulated time, one lane per cause">
            { for lanes }
            { for bars }
            <text x={LABEL_WIDTH_PX.to_string()} y={format!("{axis_y:.1}")}>{ format!("{}", props.window_start) }</text>
            <text x={(WIDTH_PX - 70.0).to_string()} y={format!("{axis_y:.1}")}>{ format!("{}", props.window_end) }</text>
        </svg>
    }
}
