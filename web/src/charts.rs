//! Small SVG charts drawn straight from `html!`: a line chart with axes, units, reference
//! lines and time marks, and a histogram with percentile markers. No chart library. Each
//! chart has a small "SVG" button ([`SaveSvgButton`]) that saves it as a standalone `.svg`
//! file, its styles inlined (see [`crate::download::standalone_svg`]).
//!
//! Every chart bounds its element count: a series longer than [`MAX_POINTS`] is thinned to
//! that many points (one per pixel column or so) before it becomes a `<polyline>`, and a
//! histogram draws at most one bar per bucket of a fixed-size histogram.

use crate::download::{download, standalone_svg};
use crate::format;
use crate::frame::LatencyModel;
use crate::widgets::{container, svg_line, svg_rect, svg_text, text_element};
use yew::prelude::*;

/// Points drawn per series at most (the plot is about this many pixels wide).
pub const MAX_POINTS: usize = 400;
/// Vertical marks drawn at most.
pub const MAX_MARKS: usize = 32;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 40.0;
/// The latency histograms' height; their width is [`WIDTH`].
const HISTOGRAM_HEIGHT: f64 = 200.0;
/// The line charts' and the histograms' view boxes, written out rather than formatted from
/// the sizes at every render (a test checks them against the sizes).
const LINE_VIEW_BOX: &str = "0 0 560 220";
const HISTOGRAM_VIEW_BOX: &str = "0 0 560 200";

/// One line.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    /// A CSS colour (a `var(--…)` is fine).
    pub colour: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

/// A vertical mark on the x axis (a drift, a fault).
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub x: f64,
    pub label: String,
}

/// A line chart over simulated time, drawn by [`line_chart`]. Its marks are borrowed: the
/// recommender's four charts share one list, not a copy each.
pub struct LineChart<'a> {
    pub title: &'static str,
    pub x_label: &'static str,
    pub y_label: &'static str,
    pub series: Vec<Series>,
    pub marks: &'a [Mark],
    /// Fixed y range; otherwise from the data (starting at 0).
    pub y_range: Option<(f64, f64)>,
    pub id: &'static str,
}

/// Thins `points` to at most `max` by keeping evenly spaced ones (and the last).
pub fn thin(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let stride = points.len() as f64 / (max - 1) as f64;
    // Pushed by a loop: a `map` and `collect` here was an instance of its own.
    let mut out = Vec::with_capacity(max);
    for i in 0..max - 1 {
        out.push(points[((i as f64 * stride) as usize).min(points.len() - 1)]);
    }
    out.push(points[points.len() - 1]);
    out
}

/// "Nice" tick values covering [low, high]: 1, 2 or 5 times a power of ten apart.
pub fn ticks(low: f64, high: f64, target: usize) -> Vec<f64> {
    if !(low.is_finite() && high.is_finite()) || high <= low || target == 0 {
        return vec![low];
    }
    let raw = (high - low) / target as f64;
    let magnitude = format::pow10(format::log10(raw).floor());
    // The first of 1, 2, 5 and 10 times the magnitude that reaches `raw`, by a loop: a `map`
    // and `find` over the array was an instance of its own.
    let mut step = 10.0 * magnitude;
    for multiple in [1.0, 2.0, 5.0] {
        if multiple * magnitude >= raw {
            step = multiple * magnitude;
            break;
        }
    }
    let first = (low / step).ceil() * step;
    let mut out = Vec::new();
    let mut value = first;
    while value <= high + step * 1e-9 && out.len() < 20 {
        out.push(value);
        value += step;
    }
    out
}

/// The file a saved chart gets: `strata-ID.svg`, or the title cut to letters, digits and
/// dashes when the chart has no id.
pub fn svg_file_name(id: Option<&str>, title: &str) -> String {
    let source = id.unwrap_or(title);
    let mut stem = String::new();
    for c in source.chars() {
        if c.is_ascii_alphanumeric() {
            stem.push(c.to_ascii_lowercase());
        } else if !stem.is_empty() && !stem.ends_with('-') {
            // No dash first, and at most one at the end, popped below: trimmed as it is
            // built, so the page needs no `trim_matches` (its only caller).
            stem.push('-');
        }
    }
    if stem.ends_with('-') {
        stem.pop();
    }
    let stem = if stem.is_empty() { "chart" } else { &stem };
    format!("strata-{stem}.svg")
}

#[derive(Properties, Clone, Debug, PartialEq)]
pub struct SaveSvgProps {
    /// The `<svg>` element to save.
    pub target: NodeRef,
    pub file_name: AttrValue,
}

/// A small button that saves the `<svg>` behind `target` as a standalone file. A failure
/// (the page could not copy or serialise the chart) is said beside the button.
#[function_component(SaveSvgButton)]
pub fn save_svg_button(props: &SaveSvgProps) -> Html {
    let failure = use_state(Option::<String>::default);
    let onclick = {
        let target = props.target.clone();
        let name = props.file_name.clone();
        let failure = failure.clone();
        Callback::from(move |_: MouseEvent| {
            let saved = target
                .cast::<web_sys::Element>()
                .ok_or_else(|| "the chart is not drawn yet".to_string())
                .and_then(|svg| standalone_svg(&svg))
                .and_then(|text| download(&name, "image/svg+xml", &text));
            failure.set(saved.err());
        })
    };
    html! {
        { container("span", "svg-save", html! { <>
            <button class="svg-save-button" title={format!("Save this chart as {} (a standalone SVG file)", props.file_name)} {onclick}>{ "SVG" }</button>
            if let Some(message) = &*failure { { text_element("span", "svg-save-failure", message.clone().into()) } }
        </> }) }
    }
}

/// Draws a line chart. A function, not a component: the views that draw it render it anew
/// with every frame anyway, and a component cost the page its own mounting, props and
/// comparison code (docs/ui.md, the cuts table).
pub fn line_chart(props: &LineChart<'_>) -> Html {
    let svg_ref = NodeRef::default();
    let (mut x_min, mut x_max, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    let mut y_min = 0.0f64;
    // Plain loops here and below: the `flat_map`, the legend's `map` and `collect` and the
    // marks' `take`, `filter` and `map` were instances the page had for this chart alone.
    for series in &props.series {
        for (x, y) in &series.points {
            x_min = x_min.min(*x);
            x_max = x_max.max(*x);
            y_max = y_max.max(*y);
            y_min = y_min.min(*y);
        }
    }
    if !x_min.is_finite() {
        x_min = 0.0;
        x_max = 1.0;
    }
    // Marks (drifts) stay on the axis even before the series reaches them.
    for mark in props.marks.iter().take(MAX_MARKS) {
        if mark.x.is_finite() && mark.x >= x_min {
            x_max = x_max.max(mark.x);
        }
    }
    if x_max <= x_min {
        x_max = x_min + 1.0;
    }
    let (y_low, y_high) = props.y_range.unwrap_or((
        y_min,
        if y_max > y_min {
            y_max * 1.08
        } else {
            y_min + 1.0
        },
    ));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let sx = move |x: f64| LEFT + (x - x_min) / (x_max - x_min) * plot_w;
    let sy =
        move |y: f64| TOP + plot_h - ((y - y_low) / (y_high - y_low)).clamp(-0.05, 1.05) * plot_h;
    let x_ticks = ticks(x_min, x_max, 5);
    let y_ticks = ticks(y_low, y_high, 4);
    let lines = props.series.iter().map(|series| {
        let mut points = String::new();
        for (x, y) in thin(&series.points, MAX_POINTS).iter() {
            format::push_point(&mut points, sx(*x), sy(*y));
        }
        html! {
            <polyline points={points} fill="none" stroke={series.colour.clone()} stroke-width="2.5"
                      stroke-dasharray={if series.dashed { "6 4" } else { "none" }} />
        }
    });
    // Legend entries side by side, each as wide as its label (about 6.5 px a character at
    // the chart's font size), wrapping to a second line when the plot is full.
    let mut legend_x = LEFT + 8.0;
    let mut legend_row = 0.0;
    let mut legend_positions = Vec::new();
    for series in &props.series {
        let width = 34.0 + series.label.chars().count() as f64 * 6.5;
        if legend_x + width > WIDTH - RIGHT && legend_x > LEFT + 8.0 {
            legend_x = LEFT + 8.0;
            legend_row += 16.0;
        }
        legend_positions.push((legend_x, legend_row));
        legend_x += width;
    }
    let legend = props.series.iter().zip(legend_positions).map(|(series, (x, row))| {
        let top = TOP + row;
        html! {
            { container("g", "", html! { <>
                <line x1={format::px(x)} x2={format::px(x + 18.0)} y1={format::px(top + 6.0)} y2={format::px(top + 6.0)}
                      stroke={series.colour.clone()} stroke-width="3" stroke-dasharray={if series.dashed { "6 4" } else { "none" }} />
                { svg_text(x + 22.0, top + 10.0, None, "legend", series.label.clone().into()) }
            </> }) }
        }
    });
    let mut marks = Vec::new();
    for mark in props.marks.iter().take(MAX_MARKS) {
        if mark.x < x_min || mark.x > x_max {
            continue;
        }
        let x = sx(mark.x);
        marks.push(html! {
            { container("g", "mark", html! { <>
                <line x1={format::px(x)} x2={format::px(x)} y1={format::px(TOP)} y2={format::px(TOP + plot_h)}
                      stroke="var(--warn)" stroke-width="2" stroke-dasharray="3 3" />
                { svg_text(x + 3.0, TOP + plot_h - 4.0, None, "mark-label", mark.label.clone().into()) }
                { text_element("title", "", mark.label.clone().into()) }
            </> }) }
        });
    }
    let file_name = svg_file_name(Some(props.id), props.title);
    html! {
        <figure class="chart" id={props.id}>
            { text_element("figcaption", "", props.title.into()) }
            <SaveSvgButton target={svg_ref.clone()} file_name={file_name} />
            <svg ref={svg_ref} viewBox={LINE_VIEW_BOX} width="100%" role="img" aria-label={props.title}>
                { svg_rect(LEFT, TOP, plot_w, plot_h, "plot-area", None) }
                { for y_ticks.iter().map(|y| html! {
                    { container("g", "", html! { <>
                        { svg_line(LEFT, sy(*y), LEFT + plot_w, sy(*y), "grid") }
                        { svg_text(LEFT - 6.0, sy(*y) + 4.0, Some("end"), "", format::decimal(*y).into()) }
                    </> }) }
                }) }
                { for x_ticks.iter().map(|x| svg_text(sx(*x), TOP + plot_h + 16.0, Some("middle"), "", format::decimal(*x).into())) }
                { for lines }
                { for marks }
                { for legend }
                { svg_text(LEFT + plot_w / 2.0, HEIGHT - 4.0, Some("middle"), "axis-label", props.x_label.into()) }
                <text x="14" y={format::px(TOP + plot_h / 2.0)} text-anchor="middle" class="axis-label"
                      transform={format!("rotate(-90 14 {})", format::px(TOP + plot_h / 2.0))}>{ props.y_label }</text>
            </svg>
        </figure>
    }
}

/// Merges buckets so that at most `max` remain, each covering an equal slice of the log axis.
pub fn rebin_log(buckets: &[(f64, f64, u64)], max: usize) -> Vec<(f64, f64, u64)> {
    if buckets.len() <= max || max == 0 {
        return buckets.to_vec();
    }
    let low = buckets.first().map_or(0.001, |b| b.0.max(0.001));
    let high = buckets.last().map_or(1.0, |b| b.1.max(low * 1.001));
    let (log_low, log_high) = (format::log10(low), format::log10(high));
    let width = (log_high - log_low) / max as f64;
    let mut out: Vec<(f64, f64, u64)> = (0..max)
        .map(|i| {
            (
                format::pow10(log_low + width * i as f64),
                format::pow10(log_low + width * (i + 1) as f64),
                0,
            )
        })
        .collect();
    for (lo, _, count) in buckets {
        let position = ((format::log10(lo.max(low)) - log_low) / width).floor() as usize;
        out[position.min(max - 1)].2 += count;
    }
    let mut kept = Vec::new();
    for bar in out {
        if bar.2 > 0 {
            kept.push(bar);
        }
    }
    kept
}

/// Bars per latency histogram.
pub const HISTOGRAM_BARS: usize = 48;

/// A histogram's axis and bars: `buckets` (low_ms, high_ms, count per non-empty bucket)
/// spread over [`HISTOGRAM_BARS`] slices of a log axis wide enough for `p999_ms`. Zero-latency
/// samples (memtable hits, the instant store) go in the first bar.
pub fn histogram_bars(
    buckets: &[(f64, f64, u64)],
    p999_ms: f64,
) -> (f64, f64, Vec<(f64, f64, u64)>) {
    let low = buckets.first().map_or(0.01, |b| b.0).max(0.01);
    let high = buckets
        .last()
        .map_or(1.0, |b| b.1)
        .max(p999_ms)
        .max(low * 10.0);
    (low, high, log_bins(buckets, low, high, HISTOGRAM_BARS))
}

/// Spreads `buckets` over `bars` equal slices of the log axis from `low` to `high` (samples
/// below `low` go in the first slice), so that bars have an even, readable width.
pub fn log_bins(
    buckets: &[(f64, f64, u64)],
    low: f64,
    high: f64,
    bars: usize,
) -> Vec<(f64, f64, u64)> {
    if bars == 0 || high <= low || low <= 0.0 {
        return buckets.to_vec();
    }
    let (log_low, log_high) = (format::log10(low), format::log10(high));
    let width = (log_high - log_low) / bars as f64;
    // The slices, then the samples, then the empty slices dropped, by plain loops: a `map` and
    // `collect` and a `retain` here were instances the page had for these lists alone.
    let mut out: Vec<(f64, f64, u64)> = Vec::with_capacity(bars);
    for i in 0..bars {
        out.push((
            format::pow10(log_low + width * i as f64),
            format::pow10(log_low + width * (i + 1) as f64),
            0,
        ));
    }
    for (lo, hi, count) in buckets {
        // A bucket's samples count where its middle falls.
        let middle = ((lo.max(low * 0.5)) * hi.max(low * 0.5)).sqrt();
        let position = ((format::log10(middle.max(low)) - log_low) / width).floor();
        let index = if position.is_finite() && position > 0.0 {
            position as usize
        } else {
            0
        };
        out[index.min(bars - 1)].2 += count;
    }
    let mut kept = Vec::new();
    for bar in out {
        if bar.2 > 0 {
            kept.push(bar);
        }
    }
    kept
}

/// Draws a latency histogram: bars on a log-scaled x axis in milliseconds (the frame's
/// [`LatencyModel`], its bars as [`histogram_bars`] spreads them), with p50, p99 and p99.9
/// marked. A function, not a component, as [`line_chart`] is.
pub fn latency_histogram(props: &LatencyModel) -> Html {
    let (title, id) = (props.kind.title(), props.kind.id());
    let svg_ref = NodeRef::default();
    let width = WIDTH;
    let height = HISTOGRAM_HEIGHT;
    let plot_w = width - LEFT - RIGHT;
    let plot_h = height - TOP - BOTTOM;
    if props.buckets.is_empty() {
        return html! {
            <figure class="chart" id={id}>
                { text_element("figcaption", "", title.into()) }
                { text_element("p", "empty", "No samples yet.".into()) }
            </figure>
        };
    }
    let (low, high, buckets) = (props.low_ms, props.high_ms, &props.buckets);
    let (log_low, log_high) = (format::log10(low), format::log10(high));
    let sx = move |ms: f64| {
        LEFT + (format::log10(ms.max(low)) - log_low) / (log_high - log_low) * plot_w
    };
    let mut max_count = 1;
    for bucket in buckets {
        max_count = max_count.max(bucket.2);
    }
    let max_count = max_count as f64;
    let bars = buckets.iter().map(|(lo, hi, count)| {
        let x0 = sx(*lo);
        let x1 = sx(*hi).max(x0 + 1.0);
        let h = *count as f64 / max_count * plot_h;
        svg_rect(
            x0,
            TOP + plot_h - h,
            x1 - x0,
            h,
            "hist-bar",
            Some(
                format!(
                    "{} – {}: {} samples",
                    format::millis(*lo),
                    format::millis(*hi),
                    format::grouped(*count)
                )
                .into(),
            ),
        )
    });
    let markers = [("p50", props.p50_ms), ("p99", props.p99_ms), ("p99.9", props.p999_ms)]
        .into_iter()
        .enumerate()
        .map(|(i, (name, ms))| {
            let x = sx(ms);
            // Labels near the right edge go on the line's left so they stay readable.
            let (label_x, anchor) = if x > LEFT + plot_w - 110.0 { (x - 4.0, "end") } else { (x + 4.0, "start") };
            html! {
                { container("g", "percentile", html! { <>
                    { svg_line(x, TOP, x, TOP + plot_h, "") }
                    { svg_text(label_x, TOP + 12.0 + 14.0 * i as f64, Some(anchor), "", format!("{name} {}", format::millis(ms)).into()) }
                </> }) }
            }
        });
    let mut decades = Vec::new();
    for exponent in log_low.floor() as i32..=log_high.ceil() as i32 {
        let decade = format::pow10(f64::from(exponent));
        if decade >= low * 0.999 && decade <= high * 1.001 {
            decades.push(decade);
        }
    }
    let file_name = svg_file_name(Some(id), title);
    html! {
        <figure class="chart" id={id}>
            { text_element("figcaption", "", format!("{title} — {} samples", format::grouped(props.count)).into()) }
            <SaveSvgButton target={svg_ref.clone()} file_name={file_name} />
            <svg ref={svg_ref} viewBox={HISTOGRAM_VIEW_BOX} width="100%" role="img" aria-label={title}>
                { svg_rect(LEFT, TOP, plot_w, plot_h, "plot-area", None) }
                { for bars }
                { for markers }
                { for decades.iter().map(|v| {
                    let x = sx(*v);
                    let anchor = if x > LEFT + plot_w - 30.0 { "end" } else if x < LEFT + 30.0 { "start" } else { "middle" };
                    svg_text(x, TOP + plot_h + 16.0, Some(anchor), "", format::millis(*v).into())
                }) }
                { svg_text(LEFT + plot_w / 2.0, height - 4.0, Some("middle"), "axis-label", "latency (log scale)".into()) }
                <text x="14" y={format::px(TOP + plot_h / 2.0)} text-anchor="middle" class="axis-label"
                      transform={format!("rotate(-90 14 {})", format::px(TOP + plot_h / 2.0))}>{ "count" }</text>
            </svg>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_saved_chart_is_named_after_its_id_or_title() {
        assert_eq!(
            svg_file_name(Some("chart-regret"), "Cumulative regret"),
            "strata-chart-regret.svg"
        );
        assert_eq!(
            svg_file_name(None, "Write latency (ms) — p99"),
            "strata-write-latency-ms-p99.svg"
        );
        assert_eq!(svg_file_name(None, "—"), "strata-chart.svg");
        // As a stem with every run of other characters made one dash, then trimmed.
        for title in [
            "",
            "-",
            "--a--",
            " a b ",
            "(x)",
            "ü-ü",
            "a1 — B2!",
            "_x_",
            "é",
        ] {
            let mut stem = String::new();
            for c in title.chars() {
                if c.is_ascii_alphanumeric() {
                    stem.push(c.to_ascii_lowercase());
                } else if !stem.ends_with('-') {
                    stem.push('-');
                }
            }
            let stem = stem.trim_matches('-');
            let stem = if stem.is_empty() { "chart" } else { stem };
            assert_eq!(svg_file_name(None, title), format!("strata-{stem}.svg"));
        }
    }

    #[test]
    fn thinning_bounds_the_points_and_keeps_the_ends() {
        let points: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, (i * 2) as f64)).collect();
        let thinned = thin(&points, 400);
        assert_eq!(thinned.len(), 400);
        assert_eq!(thinned[0], (0.0, 0.0));
        assert_eq!(thinned[399], (9999.0, 19998.0));
        // Evenly spaced: every 10,000 / 399th point.
        assert_eq!(thinned[1], (25.0, 50.0));
        assert_eq!(thinned[200], (5012.0, 10024.0));
        assert_eq!(thin(&points[..10], 400).len(), 10);
    }

    /// Every element under `node`, depth first, with its attributes as `name=value`.
    fn drawn(node: &Html, out: &mut Vec<(String, Vec<String>)>) {
        match node {
            Html::VTag(tag) => {
                let attributes = tag
                    .attributes
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                out.push((tag.tag().to_string(), attributes));
                if let Some(children) = tag.children() {
                    drawn(children, out);
                }
            }
            Html::VList(list) => list.iter().for_each(|child| drawn(child, out)),
            _ => {}
        }
    }

    #[test]
    fn a_line_chart_draws_each_series_its_legend_on_rows_and_the_marks_in_its_range() {
        let series = |label: &str, points: Vec<(f64, f64)>| Series {
            label: label.to_string(),
            colour: "red".to_string(),
            dashed: false,
            points,
        };
        let label = "twenty characters ok";
        let marks = [
            Mark {
                x: 5.0,
                label: "drift".to_string(),
            },
            Mark {
                x: -1.0,
                label: "before".to_string(),
            },
            Mark {
                x: 12.0,
                label: "ahead".to_string(),
            },
        ];
        let chart = line_chart(&LineChart {
            title: "Chart",
            x_label: "s",
            y_label: "y",
            series: vec![
                series(label, vec![(0.0, 1.0), (10.0, 3.0)]),
                series(label, vec![(2.0, -1.0)]),
                series(label, vec![(4.0, 2.0), (6.0, 0.5), (8.0, 1.5)]),
            ],
            marks: &marks,
            y_range: None,
            id: "chart-test",
        });
        let mut elements = Vec::new();
        drawn(&chart, &mut elements);
        let lines: Vec<&Vec<String>> = elements
            .iter()
            .filter(|(tag, _)| tag == "polyline")
            .map(|(_, attributes)| attributes)
            .collect();
        assert_eq!(lines.len(), 3);
        let points = |attributes: &Vec<String>| {
            attributes
                .iter()
                .find_map(|a| a.strip_prefix("points=").map(|p| p.split(' ').count()))
        };
        assert_eq!(
            lines.iter().map(|a| points(a)).collect::<Vec<_>>(),
            [Some(2), Some(1), Some(3)]
        );
        let groups = |class: &str| {
            elements
                .iter()
                .filter(|(tag, attributes)| {
                    tag == "g" && attributes.contains(&format!("class={class}"))
                })
                .count()
        };
        // The mark after the data stretches the axis; the one before it is left out.
        assert_eq!(groups("mark"), 2);
        // The legend's swatches: two on the first row, the third wrapped onto the second.
        let rows: Vec<&String> = elements
            .iter()
            .filter(|(tag, attributes)| {
                tag == "line" && attributes.contains(&"stroke-width=3".to_string())
            })
            .filter_map(|(_, attributes)| attributes.iter().find(|a| a.starts_with("y1=")))
            .collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], rows[1]);
        assert_ne!(rows[1], rows[2]);
    }

    #[test]
    fn ticks_step_by_the_first_of_one_two_five_and_ten_times_the_magnitude_that_reaches_the_span() {
        for (low, high, target) in [
            (0.0, 10.0, 5),
            (0.0, 0.37, 4),
            (3.0, 1234.5, 5),
            (-2.0, 0.7, 4),
            (0.0, 99.0, 4),
            (1.0, 1.3, 3),
        ] {
            let raw = (high - low) / target as f64;
            let magnitude = format::pow10(format::log10(raw).floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .into_iter()
                .map(|m| m * magnitude)
                .find(|s| *s >= raw)
                .unwrap_or(10.0 * magnitude);
            let drawn = ticks(low, high, target);
            assert!(drawn.len() >= 2, "{low}..{high}: {drawn:?}");
            assert!(
                (drawn[1] - drawn[0] - step).abs() <= step * 1e-9,
                "{low}..{high}: {drawn:?}, step {step}"
            );
        }
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let t = ticks(0.0, 0.37, 4);
        assert_eq!(t.len(), 4, "{t:?}");
        assert!((t[1] - 0.1).abs() < 1e-12);
    }

    #[test]
    fn log_bins_keep_every_sample_and_bound_the_bars() {
        let buckets: Vec<(f64, f64, u64)> = (0..500)
            .map(|i| (i as f64 * 0.3, (i + 1) as f64 * 0.3, 1 + i as u64 % 7))
            .collect();
        let bars = log_bins(&buckets, 0.01, 200.0, HISTOGRAM_BARS);
        assert!(bars.len() <= HISTOGRAM_BARS);
        // The axis's slices in order, the empty ones left out.
        let (log_low, log_high) = (format::log10(0.01), format::log10(200.0));
        let width = (log_high - log_low) / HISTOGRAM_BARS as f64;
        let mut slice = 0;
        for bar in &bars {
            assert!(bar.2 > 0, "{bar:?} is empty");
            while format::pow10(log_low + width * slice as f64) != bar.0 {
                slice += 1;
                assert!(slice < HISTOGRAM_BARS, "{bar:?} is no slice after the last");
            }
            assert_eq!(bar.1, format::pow10(log_low + width * (slice + 1) as f64));
            slice += 1;
        }
        assert!(bars.len() > 10, "most slices hold samples: {}", bars.len());
        let total: u64 = buckets.iter().map(|b| b.2).sum();
        assert_eq!(bars.iter().map(|b| b.2).sum::<u64>(), total);
    }

    #[test]
    fn rebinning_keeps_every_sample() {
        let buckets: Vec<(f64, f64, u64)> = (1..=1000)
            .map(|i| (i as f64 * 0.1, (i + 1) as f64 * 0.1, i as u64))
            .collect();
        let rebinned = rebin_log(&buckets, 50);
        assert!(rebinned.len() <= 50);
        let total: u64 = buckets.iter().map(|b| b.2).sum();
        assert_eq!(rebinned.iter().map(|b| b.2).sum::<u64>(), total);
    }

    /// The view boxes and the other numbers the page writes out as text (the speed slider's
    /// ends, the timeline's window), each the text of its number.
    #[test]
    fn the_texts_written_out_are_the_numbers_they_stand_for() {
        use strata_sim::fmt::shortest;
        let view_box = |w: f64, h: f64| format!("0 0 {} {}", shortest(w), shortest(h));
        assert_eq!(LINE_VIEW_BOX, view_box(WIDTH, HEIGHT));
        assert_eq!(HISTOGRAM_VIEW_BOX, view_box(WIDTH, HISTOGRAM_HEIGHT));
        assert_eq!(
            crate::app::compare_panel::SPARK_VIEW_BOX,
            view_box(
                crate::app::compare_panel::SPARK_W,
                crate::app::compare_panel::SPARK_H
            )
        );
        use crate::app::{SPEED_LOG10_MAX, SPEED_LOG10_MAX_TEXT};
        use crate::app::{SPEED_LOG10_MIN, SPEED_LOG10_MIN_TEXT};
        assert_eq!(SPEED_LOG10_MIN_TEXT, shortest(SPEED_LOG10_MIN).to_string());
        assert_eq!(SPEED_LOG10_MAX_TEXT, shortest(SPEED_LOG10_MAX).to_string());
        assert_eq!(
            crate::storage::TIMELINE_WINDOW_SECS_TEXT,
            shortest(crate::storage::TIMELINE_WINDOW.as_secs_f64()).to_string()
        );
    }
}
