//! The recommender view: arms with posterior bars (mean and 95% interval) and pull counts;
//! regret with reference lines, CTR, coverage and exposure Gini over simulated time with drift
//! marked; the feedback loop (policy → impressions → clicks → log in the engine → model
//! update) with live counts on each arrow; the off-policy evaluation panel (estimates with
//! intervals beside the online truth); and the controls for policy, parameters, guardrails,
//! drift and feedback strength.
//!
//! Recommender settings are scenario settings (the lab has no live control for them), so
//! applying them re-simulates the run to the current moment and the share link carries them.

use crate::charts::{line_chart, LineChart, Mark, SaveSvgButton, Series};
use crate::command::Command;
use crate::format;
use crate::frame::RecommenderFrame;
use crate::ope::{evaluate_upload, upload_too_large, OpeResult, UploadedEvaluation};
use crate::widgets::{
    button, container, identified_container, identified_text, panel, select_field, stat, svg_line,
    svg_rect, svg_text, text_element, DraftInput,
};
use gloo::file::callbacks::FileReader;
use std::rc::Rc;
use strata_lab::scenario::{same_document, ByDocument, DriftSpec, PolicyKind, RecommenderSpec};
use strata_recommender::ope::Estimate;
use strata_recommender::simulation::RecommenderSummary;
use strata_sim::fmt::{fixed, shortest};
use strata_sim::SimTime;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Arms drawn at most (the rest are summarised).
pub const MAX_ARM_ROWS: usize = 40;

/// Everything the recommender view draws: the frame's part, and the off-policy evaluation
/// asked of the run.
#[derive(Clone, Debug)]
pub struct RecommenderModel {
    pub frame: Rc<RecommenderFrame>,
    /// The recommender of the scenario in force.
    pub spec: Option<RecommenderSpec>,
    pub ope: Option<Rc<OpeResult>>,
    pub ope_error: Option<String>,
}

impl RecommenderModel {
    pub fn slates_per_sec(&self) -> f64 {
        self.spec
            .as_ref()
            .map_or(1.0, |s| s.population.slates_per_sec.max(1e-9))
    }
}

impl std::ops::Deref for RecommenderModel {
    type Target = RecommenderFrame;
    fn deref(&self) -> &RecommenderFrame {
        &self.frame
    }
}

/// (step, value) to (simulated seconds, value), by a loop (a `map` and `collect` was an
/// instance of its own).
fn in_seconds(points: &[(u64, f64)], slates_per_sec: f64) -> Vec<(f64, f64)> {
    let mut seconds = Vec::with_capacity(points.len());
    for (step, value) in points {
        seconds.push((*step as f64 / slates_per_sec, *value));
    }
    seconds
}

fn feedback_loop(m: &RecommenderModel) -> Html {
    let logged = m.report.as_ref().map_or(0, |r| r.impressions_logged);
    let failures = m.report.as_ref().map_or(0, |r| r.log_failures);
    let checkpoints = m.report.as_ref().map_or(0, |r| r.checkpoints_written);
    let version = m.summary.as_ref().map_or(0, |s| s.policy_version);
    let policy = m
        .spec
        .as_ref()
        .map_or("–".to_string(), |s| s.policy.name.to_string());
    let boxes = [
        (40.0, 30.0, "policy", format!("{policy} · v{version}")),
        (330.0, 30.0, "impressions", "slates shown".to_string()),
        (620.0, 30.0, "clicks", "users respond".to_string()),
        (620.0, 170.0, "log in the engine", "WAL → SSTs".to_string()),
        (40.0, 170.0, "model update", "posterior moves".to_string()),
    ];
    let arrows = [
        (
            (240.0f64, 62.0f64),
            (330.0f64, 62.0f64),
            format!("{} impressions", format::grouped(m.impressions)),
            "arrow-impressions",
        ),
        (
            (530.0, 62.0),
            (620.0, 62.0),
            format!("{} clicks", format::grouped(m.clicks)),
            "arrow-clicks",
        ),
        (
            (720.0, 95.0),
            (720.0, 170.0),
            format!(
                "{} logged · {} failed",
                format::grouped(logged),
                format::grouped(failures)
            ),
            "arrow-logged",
        ),
        (
            (620.0, 202.0),
            (240.0, 202.0),
            format!(
                "{} updates · {} checkpoints",
                format::grouped(m.policy_updates),
                format::grouped(checkpoints.max(m.checkpoints))
            ),
            "arrow-updates",
        ),
        (
            (140.0, 170.0),
            (140.0, 95.0),
            "next slate".to_string(),
            "arrow-next",
        ),
    ];
    html! {
        <svg class="feedback-loop" id="feedback-loop" viewBox="0 0 980 250" width="100%" role="img"
             aria-label="the feedback loop: policy, impressions, clicks, log in the engine, model update">
            <defs>
                <marker id="arrowhead" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto">
                    <polygon points="0 0, 10 4, 0 8" class="arrowhead" />
                </marker>
            </defs>
            { for boxes.iter().map(|(x, y, title, sub)| html! {
                { container("g", "loop-box", html! { <>
                    <rect x={shortest(*x).to_string()} y={shortest(*y).to_string()} width="200" height="64" rx="8" />
                    { svg_text(x + 100.0, y + 27.0, Some("middle"), "loop-title", (*title).into()) }
                    { svg_text(x + 100.0, y + 49.0, Some("middle"), "", sub.clone().into()) }
                </> }) }
            }) }
            { for arrows.iter().map(|((x1, y1), (x2, y2), label, id)| {
                let (lx, ly) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
                let vertical = (x1 - x2).abs() < 1.0;
                html! {
                    <g class="loop-arrow" id={*id}>
                        <line x1={shortest(*x1).to_string()} y1={shortest(*y1).to_string()} x2={shortest(*x2).to_string()} y2={shortest(*y2).to_string()} marker-end="url(#arrowhead)" />
                        { svg_text(if vertical { lx + 8.0 } else { lx }, if vertical { ly + 4.0 } else { ly - 12.0 },
                                   Some(if vertical { "start" } else { "middle" }), "loop-count", label.clone().into()) }
                    </g>
                }
            }) }
        </svg>
    }
}

fn arms_figure(summary: &RecommenderSummary) -> Html {
    let arms: Vec<_> = summary.arms.iter().take(MAX_ARM_ROWS).collect();
    let max_pulls = arms.iter().map(|a| a.pulls).max().unwrap_or(1).max(1) as f64;
    let row = 24.0;
    let height = row * arms.len() as f64 + 40.0;
    let left = 70.0;
    let interval_w = 420.0;
    let pulls_x = left + interval_w + 40.0;
    let pulls_w = 300.0;
    // The axis ends at a round number just above the widest interval, so small click rates
    // are not squeezed into the left edge.
    let axis_max = {
        let widest = arms.iter().map(|a| a.ci95_high).fold(0.0f64, f64::max);
        ((widest * 1.1 * 20.0).ceil() / 20.0).clamp(0.05, 1.0)
    };
    let x_of = |p: f64| left + (p / axis_max).clamp(0.0, 1.0) * interval_w;
    html! {
        <svg class="arms" id="arms" viewBox={format!("0 0 880 {}", fixed(height, 0))} width="100%" role="img"
             aria-label="arms: posterior mean and 95% interval of the click rate, and pulls">
            { svg_text(left, 14.0, None, "axis-label", "posterior click rate: mean and 95% interval".into()) }
            { svg_text(pulls_x, 14.0, None, "axis-label", "pulls".into()) }
            { for arms.iter().enumerate().map(|(i, arm)| {
                let y = 24.0 + i as f64 * row;
                let pulls_width = arm.pulls as f64 / max_pulls * pulls_w;
                html! {
                    <g class="arm" key={arm.arm}>
                        { svg_text(4.0, y + 14.0, None, "", crate::format::counted("item ", arm.arm as u64, "").into()) }
                        { svg_line(x_of(0.0), y + 10.0, x_of(1.0), y + 10.0, "track") }
                        { svg_rect(x_of(arm.ci95_low), y + 4.0, (x_of(arm.ci95_high) - x_of(arm.ci95_low)).max(2.0), 12.0, "interval",
                            Some(format!("item {}: mean {}, 95% interval [{}, {}], {} pulls", arm.arm, fixed(arm.posterior_mean, 3), fixed(arm.ci95_low, 3), fixed(arm.ci95_high, 3), arm.pulls).into())) }
                        <circle cx={format::px(x_of(arm.posterior_mean))} cy={format::px(y + 10.0)} r="5" class="mean" />
                        { svg_rect(pulls_x, y + 4.0, pulls_width, 12.0, "pulls", None) }
                        { svg_text(pulls_x + pulls_width + 6.0, y + 14.0, None, "", format::grouped(arm.pulls).into()) }
                    </g>
                }
            }) }
            { for [0.0, 0.25, 0.5, 0.75, 1.0].iter().map(|f| {
                svg_text(x_of(f * axis_max), height - 4.0, Some("middle"), "", fixed(f * axis_max, 3).to_string().into())
            }) }
        </svg>
    }
}

/// A vertical line across an estimates figure: the online truth, the logging policy's value.
struct Reference {
    label: String,
    value: f64,
    /// `truth` or `behaviour` (its colour and dash).
    class: &'static str,
    id: Option<&'static str>,
}

/// Every estimator's value and 95% interval on one axis, with reference lines; the run's
/// evaluation and an uploaded log's share it.
fn estimates_figure(
    id: &'static str,
    label: &'static str,
    estimates: &[(&'static str, Estimate)],
    references: &[Reference],
) -> Html {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for value in references.iter().map(|r| r.value) {
        low = low.min(value);
        high = high.max(value);
    }
    for (_, e) in estimates {
        low = low.min(e.ci95_low);
        high = high.max(e.ci95_high);
    }
    if !(low.is_finite() && high.is_finite()) {
        (low, high) = (0.0, 1.0);
    }
    let pad = ((high - low) * 0.1).max(0.01);
    let (low, high) = ((low - pad).max(0.0), high + pad);
    let left = 110.0;
    let width = 560.0;
    let x_of = |v: f64| left + (v - low) / (high - low) * width;
    let row = 26.0;
    let height = row * estimates.len() as f64 + 60.0;
    let svg_ref = NodeRef::default();
    html! {
        { container("figure", "chart estimates", html! { <>
            <SaveSvgButton target={svg_ref.clone()} file_name={crate::charts::svg_file_name(Some(id), label)} />
            <svg ref={svg_ref} id={id} viewBox={format!("0 0 940 {}", fixed(height, 0))} width="100%" role="img" aria-label={label}>
                { for estimates.iter().enumerate().map(|(i, (name, e))| {
                    let y = 10.0 + i as f64 * row;
                    html! {
                        { container("g", "estimate", html! { <>
                            { svg_text(4.0, y + 14.0, None, "", (*name).into()) }
                            { svg_line(x_of(e.ci95_low), y + 10.0, x_of(e.ci95_high), y + 10.0, "interval-line") }
                            <circle cx={format::px(x_of(e.value))} cy={format::px(y + 10.0)} r="5" class="mean" />
                            { svg_text(left + width + 10.0, y + 14.0, None, "", format!("{} [{}, {}]", fixed(e.value, 4), fixed(e.ci95_low, 4), fixed(e.ci95_high, 4)).into()) }
                        </> }) }
                    }
                }) }
                { for references.iter().enumerate().map(|(i, r)| html! {
                    <g class={r.class} id={r.id}>
                        { svg_line(x_of(r.value), 4.0, x_of(r.value), height - 40.0, "") }
                        { svg_text(x_of(r.value), height - 26.0 + 18.0 * i as f64, Some("middle"), "", r.label.clone().into()) }
                    </g>
                }) }
            </svg>
        </> }) }
    }
}

/// A file the upload panel has read: its name and text.
#[derive(Clone, Debug, PartialEq)]
struct ReadFile {
    name: String,
    text: Rc<str>,
}

/// The upload panel's files and the refusal of the last one chosen: one reducer, so the
/// refusal and the file an answer clears or sets change together, and an answer handled
/// before the next render keeps the other's update.
#[derive(Default)]
struct Uploads {
    log: Option<ReadFile>,
    target: Option<ReadFile>,
    refused: Option<String>,
    /// The log evaluated against the target, when there is a log: made when a file changes,
    /// not on every frame.
    evaluation: Rc<Option<Result<UploadedEvaluation, String>>>,
}

/// What a file input or its reader reports.
enum UploadAction {
    /// The input was emptied: its slot holds no file (a refusal shown stays).
    Cleared(UploadSlot),
    /// The file was too large or could not be read: its slot holds no file.
    Refused(UploadSlot, String),
    /// The file was read: its slot holds it and no refusal is shown.
    Read(UploadSlot, ReadFile),
}

impl Reducible for Uploads {
    type Action = UploadAction;

    fn reduce(self: Rc<Self>, action: UploadAction) -> Rc<Self> {
        let mut next = Uploads {
            log: self.log.clone(),
            target: self.target.clone(),
            refused: self.refused.clone(),
            evaluation: Rc::default(),
        };
        let (slot, file) = match action {
            UploadAction::Cleared(slot) => (slot, None),
            UploadAction::Refused(slot, message) => {
                next.refused = Some(message);
                (slot, None)
            }
            UploadAction::Read(slot, file) => {
                next.refused = None;
                (slot, Some(file))
            }
        };
        match slot {
            UploadSlot::Log => next.log = file,
            UploadSlot::Target => next.target = file,
        }
        // Evaluated again only when a file changed: a refusal or an emptied input that leaves
        // both files as they were keeps the evaluation it had.
        next.evaluation = if next.log == self.log && next.target == self.target {
            self.evaluation.clone()
        } else {
            Rc::new(next.log.as_ref().map(|log| {
                evaluate_upload(
                    &log.name,
                    &log.text,
                    next.target.as_ref().map(|t| (t.name.as_str(), &*t.text)),
                )
            }))
        };
        Rc::new(next)
    }
}

/// Which of the upload panel's two files an input reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UploadSlot {
    Log,
    Target,
}

/// Off-policy evaluation of a logged CSV the user uploads (`strata ope`'s format), with an
/// optional target file; a bad file shows the CLI's line-numbered message. Files are read
/// with a `FileReader` the component keeps until it answers; files over the limit are refused
/// unread.
#[function_component(OpeUpload)]
fn ope_upload() -> Html {
    let uploads = use_reducer(Uploads::default);
    let readers = use_mut_ref(|| [None::<FileReader>, None::<FileReader>]);
    let on_file = |slot: UploadSlot| {
        let (uploads, readers) = (uploads.dispatcher(), readers.clone());
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                uploads.dispatch(UploadAction::Cleared(slot));
                return;
            };
            let file = gloo::file::File::from(file);
            let name = file.name();
            if let Some(message) = upload_too_large(&name, file.size()) {
                uploads.dispatch(UploadAction::Refused(slot, message));
                input.set_value("");
                return;
            }
            let (uploads, slots) = (uploads.clone(), readers.clone());
            let task = crate::download::read_text(&file, move |result| {
                uploads.dispatch(match result {
                    Ok(text) => UploadAction::Read(
                        slot,
                        ReadFile {
                            name: name.clone(),
                            text: Rc::from(text),
                        },
                    ),
                    Err(error) => UploadAction::Refused(
                        slot,
                        format!("“{name}” could not be read ({error})."),
                    ),
                });
                slots.borrow_mut()[slot as usize].take();
            });
            readers.borrow_mut()[slot as usize] = Some(task);
        })
    };
    let result = match (&uploads.refused, &*uploads.evaluation) {
        (Some(message), _) => identified_text(
            "p",
            "ope-upload-error",
            "error-text",
            message.clone().into(),
        ),
        (None, None) => identified_text("p", "ope-upload-empty", "empty", "No file yet.".into()),
        (None, Some(Err(message))) => html! {
            { identified_text("p", "ope-upload-error", "error-text", format!("{}: {message}", uploads.log.as_ref().map_or("the file", |l| l.name.as_str())).into()) }
        },
        (None, Some(Ok(evaluation))) => uploaded_figure(evaluation),
    };
    html! {
        { container("div", "ope-upload", html! { <>
            { text_element("h3", "", "Evaluate your own log".into()) }
            { container("p", "hint", html! { <>{ "A CSV of logged bandit data in the format of " }{ text_element("code", "", "strata ope".into()) }
                { ": a header naming action,reward,propensity and optionally position (0-based), one row per logged decision. The target policy is uniform random over the actions the log names, unless you give a target file (one row per action, one column per position, each column summing to 1). The reward model for DM and the DR family is each action's mean logged reward at its position. " }
                { format!("Files up to {}; larger logs belong to the CLI.", format::bytes(crate::ope::MAX_OPE_UPLOAD_BYTES)) }</> }) }
            { container("div", "button-row", html! { <>
                { container("label", "file-label", html! { <>{ "Logged data (CSV)… " }
                    <input id="ope-upload" type="file" accept=".csv,text/csv,text/plain" onchange={on_file(UploadSlot::Log)} /></> }) }
                { container("label", "file-label", html! { <>{ "Target policy (CSV, optional)… " }
                    <input id="ope-target-upload" type="file" accept=".csv,text/csv,text/plain" onchange={on_file(UploadSlot::Target)} /></> }) }
            </> }) }
            { result }
        </> }) }
    }
}

fn uploaded_figure(evaluation: &UploadedEvaluation) -> Html {
    let report = &evaluation.report;
    let references = [Reference {
        label: format!(
            "logged mean reward {}",
            fixed(evaluation.logged_mean_reward, 4)
        ),
        value: evaluation.logged_mean_reward,
        class: "behaviour",
        id: None,
    }];
    html! {
        { identified_container("div", "ope-upload-result", "ope", html! { <>
            { estimates_figure("ope-upload-chart", "off-policy estimates of the target policy on the uploaded log, with 95% intervals", &report.estimates(), &references) }
            { container("p", "hint", html! { <>{ format!(
                "“{}”: {} rows; target: {}. Effective sample size {}, max weight {}.",
                evaluation.file_name, format::grouped(report.rows), evaluation.target,
                fixed(report.diagnostics.effective_sample_size, 0), fixed(report.diagnostics.max_weight, 1)) }</> }) }
            if !report.skipped.is_empty() {
                { text_element("p", "hint", format!("Skipped: {}", report.skipped.iter().map(|(name, why)| format!("{name} ({why})")).collect::<Vec<_>>().join("; ")).into()) }
            }
            { for report.notes.iter().map(|note| text_element("p", "hint", note.clone().into())) }
        </> }) }
    }
}

fn ope_panel(m: &RecommenderModel) -> Html {
    let Some(result) = &m.ope else {
        let text = m
            .ope_error
            .clone()
            .unwrap_or_else(|| "Waiting for logged impressions…".to_string());
        return identified_text("p", "ope-empty", "empty", text.into());
    };
    let mut references = Vec::new();
    if let Some(truth) = result.truth_ctr {
        references.push(Reference {
            label: format!("online truth {}", fixed(truth, 4)),
            value: truth,
            class: "truth",
            id: Some("ope-truth"),
        });
    }
    references.push(Reference {
        label: format!("logging policy {}", fixed(result.behaviour_ctr, 4)),
        value: result.behaviour_ctr,
        class: "behaviour",
        id: None,
    });
    html! {
        { container("div", "ope", html! { <>
            { estimates_figure("ope-chart", "off-policy estimates of uniform random serving, with 95% intervals, beside the online truth", &result.estimates, &references) }
            { container("p", "hint", html! { <>{ format!(
                "Target: uniform random serving. {} logged impressions (ids {}–{}); effective sample size {}, max weight {}. Truth: a twin with the same seed serving uniformly, {} impressions over the same ids.",
                format::grouped(result.rows), result.first_impression, result.last_impression,
                fixed(result.diagnostics.effective_sample_size, 0), fixed(result.diagnostics.max_weight, 1), format::grouped(result.truth_impressions)) }</> }) }
        </> }) }
    }
}

/// The recommender controls' draft, and the settings it was made from.
#[derive(Clone, Debug)]
pub struct RecommenderForm {
    /// The settings in the props when the draft was last reset to them.
    pub from: Option<RecommenderSpec>,
    pub draft: Option<RecommenderSpec>,
}

pub enum RecommenderAction {
    Reset(Option<Box<RecommenderSpec>>),
    Edit(Box<dyn FnOnce(&mut RecommenderSpec)>),
}

impl Reducible for RecommenderForm {
    type Action = RecommenderAction;
    fn reduce(self: Rc<Self>, action: RecommenderAction) -> Rc<Self> {
        match action {
            RecommenderAction::Reset(spec) => {
                let spec = spec.map(|s| *s);
                Rc::new(RecommenderForm {
                    from: spec.clone(),
                    draft: spec,
                })
            }
            RecommenderAction::Edit(edit) => {
                let mut next = (*self).clone();
                if let Some(draft) = next.draft.as_mut() {
                    edit(draft);
                }
                Rc::new(next)
            }
        }
    }
}

/// Parses an optional number field: empty means "the policy's default".
pub fn optional_number(text: &str) -> Result<Option<f64>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    format::parse_f64(trimmed)
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| format!("“{trimmed}” is not a number"))
}

#[derive(Properties, PartialEq)]
pub struct RecommenderControlsProps {
    /// Compared as a document: the page does not link the scenario types' derived `PartialEq`.
    pub spec: ByDocument<Option<RecommenderSpec>>,
    pub now: SimTime,
    pub on_command: Callback<Command>,
    #[prop_or_default]
    pub disabled: bool,
}

/// One numeric setting of the recommender form: its label and the input that commits it.
fn number_field(
    label: &'static str,
    id: &'static str,
    step: &'static str,
    value: String,
    on_commit: Callback<String>,
) -> Html {
    html! {
        { container("label", "field", html! { <>{ text_element("span", "field-label", label.into()) }
            <DraftInput id={id} kind="number" step={step} value={value} on_commit={on_commit} /></> }) }
    }
}

#[function_component(RecommenderControls)]
pub fn recommender_controls(props: &RecommenderControlsProps) -> Html {
    let form = use_reducer(|| RecommenderForm {
        from: props.spec.0.clone(),
        draft: props.spec.0.clone(),
    });
    // New settings in the props (applied, a drift, a link, a re-simulation): the draft starts
    // again from them. Reset here, not by an effect on the settings (every effect is code of
    // its own in the wasm, docs/ui.md's cuts table): the reducer runs at once, so this render
    // already shows the new draft, and the render the reset asks for shows it again.
    if !same_document(&form.from, &props.spec.0) {
        form.dispatch(RecommenderAction::Reset(props.spec.0.clone().map(Box::new)));
    }
    let Some(draft) = form.draft.clone() else {
        let on_enable = {
            let on_command = props.on_command.clone();
            Callback::from(move |_: MouseEvent| {
                on_command.emit(Command::SetRecommender(Some(
                    crate::link::default_recommender(),
                )))
            })
        };
        return html! {
            { container("section", "panel", html! { <>
                { text_element("h2", "", "Recommender".into()) }
                { text_element("p", "", "This scenario runs no recommender loop.".into()) }
                { button("recommender-on", "primary", "Add a recommender loop".into(), on_enable, props.disabled) }
            </> }) }
        };
    };
    // A field editor: parses the input, and either edits the draft or reports the problem.
    let edit_number = |name: &'static str, apply: fn(&mut RecommenderSpec, Option<f64>)| {
        let form = form.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |text: String| match optional_number(&text) {
            Ok(value) => form.dispatch(RecommenderAction::Edit(Box::new(move |spec| {
                apply(spec, value)
            }))),
            Err(message) => on_command.emit(Command::Refused(format!("{name}: {message}"))),
        })
    };
    let on_policy = {
        let form = form.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            match select.value().parse::<PolicyKind>() {
                Ok(kind) => form.dispatch(RecommenderAction::Edit(Box::new(move |spec| {
                    spec.policy.name = kind
                }))),
                Err(error) => on_command.emit(Command::Refused(error.to_string())),
            }
        })
    };
    let on_apply = {
        let on_command = props.on_command.clone();
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            match draft.validate(strata_lab::scenario::MAX_DURATION_MS) {
                Ok(()) => on_command.emit(Command::SetRecommender(Some(draft.clone()))),
                Err(error) => on_command.emit(Command::Refused(format!(
                    "The recommender settings were refused and the run goes on unchanged: {error}"
                ))),
            }
        })
    };
    let on_drift = {
        let on_command = props.on_command.clone();
        let spec = props.spec.0.clone();
        let now_ms = props.now.as_nanos().div_ceil(1_000_000);
        Callback::from(move |_: MouseEvent| {
            if let Some(mut spec) = spec.clone() {
                spec.drift.push(DriftSpec::Abrupt { at_ms: now_ms });
                on_command.emit(Command::SetRecommender(Some(spec)));
            }
        })
    };
    let on_disable = {
        let on_command = props.on_command.clone();
        Callback::from(move |_: MouseEvent| on_command.emit(Command::SetRecommender(None)))
    };
    let opt = |v: Option<f64>| v.map(|v| shortest(v).to_string()).unwrap_or_default();
    html! {
        { panel("panel recommender-controls", "recommender controls", html! { <>
            { text_element("h2", "", "Recommender settings".into()) }
            { text_element("p", "hint", "These are scenario settings: applying them re-simulates the run to now with them, and the share link carries them. Empty fields keep the policy's defaults.".into()) }
            { select_field("policy", "policy", &PolicyKind::ALL.map(|kind| (kind.as_str(), kind.as_str())), draft.policy.name.as_str(), on_policy, props.disabled, Html::default()) }
            { number_field("ε (egreedy)", "policy-epsilon", "any", opt(draft.policy.epsilon), edit_number("epsilon", |s, v| s.policy.epsilon = v)) }
            { number_field("α (UCB, linear)", "policy-alpha", "any", opt(draft.policy.alpha), edit_number("alpha", |s, v| s.policy.alpha = v)) }
            { number_field("τ (softmax)", "policy-tau", "any", opt(draft.policy.tau), edit_number("tau", |s, v| s.policy.tau = v)) }
            { number_field("discount γ", "policy-discount", "any", opt(draft.policy.discount), edit_number("discount", |s, v| s.policy.discount = v)) }
            { number_field("max exploration share", "guard-exploration", "any", opt(draft.guardrails.max_exploration_share), edit_number("max exploration share", |s, v| s.guardrails.max_exploration_share = v)) }
            { number_field("min distinct categories", "guard-categories", "1", draft.guardrails.min_distinct_categories.map(|v| v.to_string()).unwrap_or_default(), edit_number("min distinct categories", |s, v| s.guardrails.min_distinct_categories = v.map(|v| v.max(0.0).round() as u32))) }
            { number_field("max policy change (TV)", "guard-change", "any", opt(draft.guardrails.max_policy_change), edit_number("max policy change", |s, v| s.guardrails.max_policy_change = v)) }
            { number_field("feedback strength", "feedback-gain", "any", shortest(draft.population.feedback_gain).to_string(), edit_number("feedback strength", |s, v| s.population.feedback_gain = v.unwrap_or(0.0))) }
            { container("div", "button-row", html! { <>
                { button("apply-recommender", "primary", "Apply (re-simulates to now)".into(), on_apply, props.disabled) }
                { button("drift-now", "", "Drift now".into(), on_drift, props.disabled) }
                { button("recommender-off", "", "Remove the loop".into(), on_disable, props.disabled) }
            </> }) }
            if !draft.drift.is_empty() {
                { identified_container("p", "drift-list", "hint", html! { <>{ format!("Drift in the scenario: {}", draft.drift.iter().map(|d| match d {
                    DriftSpec::Abrupt { at_ms } => format!("abrupt at {}", format::sim_time(SimTime::from_millis(*at_ms))),
                    DriftSpec::Gradual { from_ms, until_ms, degrees } => format!("{}° from {} to {}", shortest(*degrees), format::sim_time(SimTime::from_millis(*from_ms)), format::sim_time(SimTime::from_millis(*until_ms))),
                }).collect::<Vec<_>>().join(", ")) }</> }) }
            }
        </> }) }
    }
}

/// What the recommender view is drawn from.
pub struct RecommenderView {
    pub model: RecommenderModel,
    pub on_command: Callback<Command>,
    pub disabled: bool,
}

/// One of the view's charts over simulated time.
fn time_chart(
    id: &'static str,
    title: &'static str,
    y_label: &'static str,
    series: Vec<Series>,
    marks: &[Mark],
    y_range: Option<(f64, f64)>,
) -> Html {
    line_chart(&LineChart {
        title,
        x_label: "simulated time (s)",
        y_label,
        series,
        marks,
        y_range,
        id,
    })
}

/// Draws the recommender tab. A function, not a component, as the tab's body is.
pub fn recommender_view(props: &RecommenderView) -> Html {
    let m = &props.model;
    let controls = html! {
        <RecommenderControls spec={ByDocument(m.spec.clone())} now={m.now} on_command={props.on_command.clone()} disabled={props.disabled} />
    };
    let upload = html! {
        { panel("panel", "evaluate a logged file", html! { <>
            <OpeUpload />
        </> }) }
    };
    let Some(summary) = &m.summary else {
        return html! { { container("div", "recommender-view", html! { <>{ controls }{ upload }</> }) } };
    };
    let rate = m.slates_per_sec();
    let mut marks = Vec::new();
    for (at, text) in &m.drifts {
        let label = format!("drift: {text}");
        marks.push(Mark { x: *at, label });
    }
    let mut regret_series = vec![Series {
        label: "regret (policy)".to_string(),
        colour: "var(--accent)".to_string(),
        points: in_seconds(&summary.regret_series, rate),
        dashed: false,
    }];
    if let Some(ope) = &m.ope {
        regret_series.push(Series {
            label: "uniform random".to_string(),
            colour: "var(--bad)".to_string(),
            points: in_seconds(&ope.uniform_regret, rate),
            dashed: true,
        });
    }
    let one = |label: &str, colour: &str, points: &[(u64, f64)]| {
        vec![Series {
            label: label.to_string(),
            colour: colour.to_string(),
            points: in_seconds(points, rate),
            dashed: false,
        }]
    };
    html! {
        { container("div", "recommender-view", html! { <>
            { panel("panel", "recommender figures", html! { <>
                { container("div", "stats", html! { <>
                    { stat("rec-ctr", format::percent(summary.ctr), "CTR") }
                    { stat("rec-regret", format::decimal(summary.cumulative_regret), "regret (expected clicks)") }
                    { stat("rec-coverage", format::percent(summary.catalogue_coverage), "catalogue coverage") }
                    { stat("rec-gini", fixed(summary.exposure_gini, 3).to_string(), "exposure Gini") }
                    { stat("rec-steps", format::grouped(summary.steps), "slates served") }
                    { stat("rec-exploration", format::percent(summary.guardrails.exploration_share), "exploratory decisions") }
                </> }) }
            </> }) }
            { panel("panel", "feedback loop", html! { <>
                { text_element("h2", "", "The feedback loop".into()) }
                { feedback_loop(m) }
            </> }) }
            { panel("panel", "arms", html! { <>
                { text_element("h2", "", crate::format::counted("Arms (", summary.arms.len() as u64, " items)").into()) }
                { arms_figure(summary) }
            </> }) }
            { panel("panel", "recommender charts", html! { <>
                { container("div", "chart-grid", html! { <>
                    { time_chart("chart-regret", "Cumulative regret", "expected clicks lost", regret_series, &marks, None) }
                    { time_chart("chart-ctr", "CTR (windowed)", "clicks per impression", one("CTR", "var(--accent)", &summary.ctr_series), &marks, None) }
                    { time_chart("chart-coverage", "Catalogue coverage (windowed)", "share of items shown", one("coverage", "var(--ok)", &summary.window_coverage_series), &marks, Some((0.0, 1.05))) }
                    { time_chart("chart-gini", "Exposure Gini", "Gini (0 even, 1 one item)", one("Gini", "var(--warn)", &summary.gini_series), &marks, Some((0.0, 1.05))) }
                </> }) }
            </> }) }
            { panel("panel", "off-policy evaluation", html! { <>
                { text_element("h2", "", "Off-policy evaluation: what if we served uniformly at random?".into()) }
                { ope_panel(m) }
                <OpeUpload />
            </> }) }
            { controls }
        </> }) }
    }
}

#[cfg(test)]
mod tests;
