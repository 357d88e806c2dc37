//! Chapters: the stories of the track told with the playground. A chapter is a data file
//! (`web/chapters/NAME.json`): a title, the question it answers, a scenario, optionally a
//! side-by-side variant (the same scenario and seed with one thing changed, as an RFC 7386
//! merge patch), *beats* (a caption, where to stop, what to highlight), and *claims*: the
//! numbers it ends on, each checked by running it ([`Chapter::verify`]).
//!
//! A beat stops at a simulated time (`at_ms`) or when the trace first shows an event of a
//! kind (`event`, the trace's own names: `compaction_finished`, `fenced`, …), or at the end.
//! A claim names a figure of the run's summary by its path (`latency.read.p99_ms`,
//! `recommender.exposure_gini`, `tenants.2.throttled`, `policy.guardrails.max_tv_served` for
//! the recommender's own summary) and says what it must be: below or above the variant's, or within bounds.

use crate::runner::LabError;
use crate::scenario::json;
use crate::scenario::{item, member, Scenario, ScenarioError};
use serde::Serialize;
use serde_json::Value;
use strata_sim::fmt::shortest;
use strata_sim::SimTime;

/// The most beats in one chapter.
pub const MAX_BEATS: usize = 20;
/// The most claims in one chapter.
pub const MAX_CLAIMS: usize = 8;
/// The longest caption, in bytes.
pub const MAX_CAPTION_BYTES: usize = 600;

/// The trace's event kinds a beat may not stop at: requests, client operations and notes
/// come many times a second, so a beat at one would stop at once.
const NOT_BEAT_EVENTS: [&str; 3] = ["request", "client_op", "note"];

/// The trace's event kinds a beat may stop at, in the trace's order of kinds.
pub fn beat_events() -> impl Iterator<Item = &'static str> {
    strata_sim::trace::EVENT_KIND_NAMES
        .iter()
        .copied()
        .filter(|kind| !NOT_BEAT_EVENTS.contains(kind))
}

/// The trace's name for `name` when a beat may stop at it.
pub fn beat_event(name: &str) -> Option<&'static str> {
    // A loop over the names, not `find` on [`beat_events`], whose instance the page had for
    // this search alone.
    for kind in strata_sim::trace::EVENT_KIND_NAMES {
        if kind == name {
            return (!NOT_BEAT_EVENTS.contains(&kind)).then_some(kind);
        }
    }
    None
}

/// The event kinds a beat may stop at, listed for a message.
fn beat_event_list() -> String {
    // Pushed by a loop, not collected from [`beat_events`]: that collection was the page's only.
    let mut kinds = Vec::new();
    for kind in strata_sim::trace::EVENT_KIND_NAMES {
        if !NOT_BEAT_EVENTS.contains(&kind) {
            kinds.push(kind);
        }
    }
    strata_sim::fmt::join(&kinds, ", ")
}

/// The page's figures a beat may highlight (element ids).
pub const HIGHLIGHTS: &[&str] = &[
    "cost-month",
    "cost-total",
    "puts-per-1000",
    "write-amp",
    "store-requests",
    "ops",
    "acked",
    "lost-durable",
    "keys-checked",
    "stored",
    "writer-status",
    "zombie-status",
    "lsm",
    "compactions",
    "last-compaction",
    "wal",
    "timeline",
    "hist-write",
    "hist-read",
    "hist-put",
    "hist-get",
    "tenants-table",
    "client-errors",
    "event-list",
    "regret",
    "ctr",
    "coverage",
    "gini",
    "ope",
    "guardrails",
];

/// One chapter file.
///
/// Read by hand from its JSON object, as the scenario is (see `scenario::json`): the
/// scenario, the variant, beats and claims from their objects only.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chapter {
    pub title: String,
    /// The question a visitor comes with ("why batch the WAL?").
    pub question: String,
    pub scenario: Scenario,
    /// The side-by-side run, when a comparison is the point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<Variant>,
    pub beats: Vec<Beat>,
    pub claims: Vec<Claim>,
}

/// The second run of a side-by-side chapter: the scenario with `patch` merged in (RFC 7386:
/// objects merge, `null` removes, anything else replaces).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variant {
    /// What the first run is called beside it ("flush every 100 ms").
    pub base_label: String,
    /// What the variant is called ("flush every 10 ms").
    pub label: String,
    pub patch: Value,
}

/// One step of the story.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Beat {
    pub caption: String,
    /// Stop at this simulated time…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
    /// …or when the trace first shows an event of this kind (after the previous beat)…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// …or, with neither, at the end of the run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub highlight: Vec<String>,
}

/// A number the chapter ends on, and what it must be.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Claim {
    /// A dotted path into the run's summary.
    pub figure: String,
    /// What the audience should read off it.
    pub says: String,
    /// The base run's figure is below the variant's…
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub below_variant: bool,
    /// …or above it…
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub above_variant: bool,
    /// …and/or within bounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
}

impl Chapter {
    /// Reads a chapter from its JSON object (see `scenario::json`): everything but the
    /// variant is required. (The page reads a chapter file through this, straight from its
    /// `Value`; `Deserialize` comes here too.)
    pub fn from_value(value: Value) -> Result<Chapter, json::Error> {
        json::section(value, "struct Chapter", |object| {
            let (mut title, mut question, mut scenario) = (None, None, None);
            let (mut variant, mut beats, mut claims) = (None, None, None);
            let names = &[
                "title", "question", "scenario", "variant", "beats", "claims",
            ];
            json::fields(object, names, &mut |index, value| {
                match index {
                    0 => title = Some(json::string(value)?),
                    1 => question = Some(json::string(value)?),
                    2 => scenario = Some(Scenario::from_value(value)?),
                    3 => variant = json::optional(value, Variant::from_value)?,
                    4 => beats = Some(json::list(value, Beat::from_value)?),
                    _ => claims = Some(json::list(value, Claim::from_value)?),
                }
                Ok(())
            })?;
            Ok(Chapter {
                title: json::required(title, "title")?,
                question: json::required(question, "question")?,
                scenario: json::required(scenario, "scenario")?,
                variant,
                beats: json::required(beats, "beats")?,
                claims: json::required(claims, "claims")?,
            })
        })
    }
}

impl Variant {
    fn from_value(value: Value) -> Result<Variant, json::Error> {
        json::section(value, "struct Variant", |object| {
            let (mut base_label, mut label, mut patch) = (None, None, None);
            json::fields(
                object,
                &["base_label", "label", "patch"],
                &mut |index, value| {
                    match index {
                        0 => base_label = Some(json::string(value)?),
                        1 => label = Some(json::string(value)?),
                        _ => patch = Some(value),
                    }
                    Ok(())
                },
            )?;
            Ok(Variant {
                base_label: json::required(base_label, "base_label")?,
                label: json::required(label, "label")?,
                patch: json::required(patch, "patch")?,
            })
        })
    }
}

impl Beat {
    fn from_value(value: Value) -> Result<Beat, json::Error> {
        json::section(value, "struct Beat", |object| {
            let mut caption = None;
            let mut beat = Beat {
                caption: String::new(),
                at_ms: None,
                event: None,
                highlight: Vec::new(),
            };
            let names = &["caption", "at_ms", "event", "highlight"];
            json::fields(object, names, &mut |index, value| {
                match index {
                    0 => caption = Some(json::string(value)?),
                    1 => beat.at_ms = json::optional(value, json::u64)?,
                    2 => beat.event = json::optional(value, json::string)?,
                    _ => beat.highlight = json::list(value, json::string)?,
                }
                Ok(())
            })?;
            beat.caption = json::required(caption, "caption")?;
            Ok(beat)
        })
    }
}

impl Claim {
    fn from_value(value: Value) -> Result<Claim, json::Error> {
        json::section(value, "struct Claim", |object| {
            let (mut figure, mut says) = (None, None);
            let mut claim = Claim {
                figure: String::new(),
                says: String::new(),
                below_variant: false,
                above_variant: false,
                at_least: None,
                at_most: None,
            };
            let names = &[
                "figure",
                "says",
                "below_variant",
                "above_variant",
                "at_least",
                "at_most",
            ];
            json::fields(object, names, &mut |index, value| {
                match index {
                    0 => figure = Some(json::string(value)?),
                    1 => says = Some(json::string(value)?),
                    2 => claim.below_variant = json::bool(value)?,
                    3 => claim.above_variant = json::bool(value)?,
                    4 => claim.at_least = json::optional(value, json::f64)?,
                    _ => claim.at_most = json::optional(value, json::f64)?,
                }
                Ok(())
            })?;
            claim.figure = json::required(figure, "figure")?;
            claim.says = json::required(says, "says")?;
            Ok(claim)
        })
    }
}

json::deserialize_with_reader! {
    Chapter => Chapter::from_value;
    Variant => Variant::from_value;
    Beat => Beat::from_value;
    Claim => Claim::from_value;
}

/// Why a chapter was refused, or why its claim did not hold.
#[derive(Debug, thiserror::Error)]
pub enum ChapterError {
    #[error("chapter could not be read: {0}")]
    Parse(String),
    #[error("invalid chapter: {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("chapter {field}: {source}")]
    Scenario {
        field: &'static str,
        #[source]
        source: ScenarioError,
    },
    #[error("chapter run failed: {0}")]
    Run(#[from] LabError),
    #[error("claim {index} ({figure}) does not hold: {reason}")]
    ClaimFailed {
        index: usize,
        figure: String,
        reason: String,
    },
}

/// "1 to `max` `what`": the allowed size of a chapter's text or list.
fn one_to(max: usize, what: &str) -> String {
    format!("1 to {max} {what}")
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ChapterError {
    ChapterError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// What a verified chapter showed: each claim's figure in the base run and the variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    pub figures: Vec<(String, f64, Option<f64>)>,
    /// Each beat's stopping time in the base run (the end for a beat without a stop).
    pub beat_times: Vec<SimTime>,
}

impl Chapter {
    /// Parses and checks a chapter file: the scenario and the variant compile, beats name
    /// known events and figures, stops move forward, claims are well formed.
    pub fn from_json(text: &str) -> Result<Chapter, ChapterError> {
        let value =
            strata_sim::json::from_str(text).map_err(|e| ChapterError::Parse(e.to_string()))?;
        let chapter = Chapter::from_value(value).map_err(|e| ChapterError::Parse(e.to_string()))?;
        chapter.validate()?;
        Ok(chapter)
    }

    /// The variant's scenario, when the chapter has one.
    pub fn variant_scenario(&self) -> Result<Option<Scenario>, ChapterError> {
        let Some(variant) = &self.variant else {
            return Ok(None);
        };
        let mut value =
            serde_json::to_value(&self.scenario).map_err(|e| ChapterError::Parse(e.to_string()))?;
        crate::scenario::merge_patch(&mut value, &variant.patch);
        let scenario =
            Scenario::from_json(&crate::scenario::compact_json(&value)).map_err(|source| {
                ChapterError::Scenario {
                    field: "variant.patch",
                    source,
                }
            })?;
        if scenario == self.scenario {
            return Err(invalid("variant.patch", "changes nothing in the scenario"));
        }
        if scenario.seed != self.scenario.seed {
            return Err(invalid(
                "variant.patch",
                "changes the seed; a side-by-side run keeps it, so that only the one setting differs",
            ));
        }
        Ok(Some(scenario))
    }

    pub fn validate(&self) -> Result<(), ChapterError> {
        self.check_title()?;
        self.scenario
            .compile()
            .map_err(|source| ChapterError::Scenario {
                field: "scenario",
                source,
            })?;
        self.variant_scenario()?;
        self.check_story()
    }

    fn check_title(&self) -> Result<(), ChapterError> {
        if self.title.trim().is_empty() || self.title.len() > 80 {
            return Err(invalid("title", "1 to 80 characters"));
        }
        if self.question.trim().is_empty() || self.question.len() > MAX_CAPTION_BYTES {
            return Err(invalid("question", one_to(MAX_CAPTION_BYTES, "bytes")));
        }
        Ok(())
    }

    /// The checks of [`Chapter::validate`] that leave the scenario and the variant alone:
    /// title, question, beats and claims. For a reader that plays only the base scenario and
    /// validates it when it starts the run (the page, which so keeps the variant's merge
    /// patch and a second serialiser of every scenario type out of its download).
    pub fn check_story(&self) -> Result<(), ChapterError> {
        self.check_title()?;
        if self.beats.is_empty() || self.beats.len() > MAX_BEATS {
            return Err(invalid("beats", one_to(MAX_BEATS, "beats")));
        }
        let mut last_at = 0;
        for (index, beat) in self.beats.iter().enumerate() {
            let field = item("beats", index);
            if beat.caption.trim().is_empty() || beat.caption.len() > MAX_CAPTION_BYTES {
                return Err(invalid(
                    member(&field, "caption"),
                    one_to(MAX_CAPTION_BYTES, "bytes"),
                ));
            }
            match (beat.at_ms, &beat.event) {
                (Some(_), Some(_)) => {
                    return Err(invalid(&field, "stops at a time or at an event, not both"))
                }
                (Some(at), None) => {
                    if at < last_at || at > self.scenario.duration_ms {
                        return Err(invalid(
                            member(&field, "at_ms"),
                            format!(
                                "{at} is before the previous stop ({last_at} ms) or after the run's {} ms",
                                self.scenario.duration_ms
                            ),
                        ));
                    }
                    last_at = at;
                }
                (None, Some(event)) if beat_event(event).is_none() => {
                    return Err(invalid(
                        member(&field, "event"),
                        format!(
                            "unknown event {event:?}; expected one of {}",
                            beat_event_list()
                        ),
                    ))
                }
                _ => {}
            }
            if let Some(unknown) = beat
                .highlight
                .iter()
                .find(|id| !HIGHLIGHTS.contains(&id.as_str()))
            {
                return Err(invalid(
                    member(&field, "highlight"),
                    format!(
                        "unknown figure {unknown:?}; expected one of {}",
                        strata_sim::fmt::join(HIGHLIGHTS, ", ")
                    ),
                ));
            }
        }
        if self.claims.is_empty() || self.claims.len() > MAX_CLAIMS {
            return Err(invalid("claims", one_to(MAX_CLAIMS, "claims")));
        }
        for (index, claim) in self.claims.iter().enumerate() {
            let field = item("claims", index);
            let compares = claim.below_variant || claim.above_variant;
            if claim.below_variant && claim.above_variant {
                return Err(invalid(&field, "below and above the variant at once"));
            }
            if compares && self.variant.is_none() {
                return Err(invalid(
                    &field,
                    "compares with a variant the chapter has not",
                ));
            }
            if !compares && claim.at_least.is_none() && claim.at_most.is_none() {
                return Err(invalid(
                    &field,
                    "says nothing: compare with the variant or give bounds",
                ));
            }
            if claim.figure.is_empty() || claim.says.trim().is_empty() {
                return Err(invalid(&field, "needs a figure and what it says"));
            }
        }
        Ok(())
    }

    /// Runs the chapter (and its variant) to the end and checks every claim and that every
    /// beat's stop is reached in order.
    pub fn verify(&self) -> Result<Verified, ChapterError> {
        let (base, beat_times) = run(&self.scenario, &self.beats)?;
        let variant = match self.variant_scenario()? {
            Some(scenario) => Some(run(&scenario, &[])?.0),
            None => None,
        };
        let mut figures = Vec::new();
        for (index, claim) in self.claims.iter().enumerate() {
            let failed = |reason: String| ChapterError::ClaimFailed {
                index,
                figure: claim.figure.clone(),
                reason,
            };
            let value = figure(&base, &claim.figure).map_err(failed)?;
            let other = match &variant {
                Some(variant) => Some(figure(variant, &claim.figure).map_err(failed)?),
                None => None,
            };
            // Figures through `shortest`: the text of `{}` without core's float formatting
            // (the page checks chapters too).
            if let Some(min) = claim.at_least {
                if value < min {
                    return Err(failed(format!(
                        "{} is below {}",
                        shortest(value),
                        shortest(min)
                    )));
                }
            }
            if let Some(max) = claim.at_most {
                if value > max {
                    return Err(failed(format!(
                        "{} is above {}",
                        shortest(value),
                        shortest(max)
                    )));
                }
            }
            if let Some(other) = other {
                if claim.below_variant && value >= other {
                    return Err(failed(format!(
                        "{} is not below the variant's {}",
                        shortest(value),
                        shortest(other)
                    )));
                }
                if claim.above_variant && value <= other {
                    return Err(failed(format!(
                        "{} is not above the variant's {}",
                        shortest(value),
                        shortest(other)
                    )));
                }
            }
            figures.push((claim.figure.clone(), value, other));
        }
        Ok(Verified {
            figures,
            beat_times,
        })
    }
}

/// Runs `scenario` to the end, noting when each beat's stop comes; returns the summary as
/// JSON (with the recommender's own summary under `policy`) and the stops.
fn run(scenario: &Scenario, beats: &[Beat]) -> Result<(Value, Vec<SimTime>), ChapterError> {
    let mut lab = crate::Lab::new(scenario)?;
    let log = std::rc::Rc::new(std::cell::RefCell::new(crate::ope::ImpressionLog::default()));
    if scenario.recommender.is_some() {
        let sink = log.clone();
        lab.handle().with_trace(|trace| {
            trace.subscribe(Box::new(move |event| {
                sink.borrow_mut().observe(&event.kind)
            }));
        });
    }
    let mut times = Vec::with_capacity(beats.len());
    for (index, beat) in beats.iter().enumerate() {
        let at = match (beat.at_ms, &beat.event) {
            (Some(at), _) => {
                lab.advance_to(SimTime::from_millis(at), u64::MAX)?;
                SimTime::from_millis(at)
            }
            (None, Some(event)) => {
                let seen = |lab: &crate::Lab| lab.trace().count(event);
                let before = seen(&lab);
                while seen(&lab) == before {
                    if lab.finished() {
                        return Err(invalid(
                            member(&item("beats", index), "event"),
                            format!("the run ends before any {event:?} event"),
                        ));
                    }
                    lab.step()?;
                }
                lab.now()
            }
            (None, None) => {
                lab.run_to_end()?;
                lab.now()
            }
        };
        times.push(at);
    }
    let summary = lab.run_to_end()?;
    let mut value =
        serde_json::to_value(&summary).map_err(|e| ChapterError::Parse(e.to_string()))?;
    if let (Some(policy), Value::Object(map)) = (lab.recommender_summary(), &mut value) {
        let steps = policy.steps;
        let policy =
            serde_json::to_value(policy).map_err(|e| ChapterError::Parse(e.to_string()))?;
        map.insert("policy".to_string(), policy);
        if let Some(spec) = &scenario.recommender {
            map.insert(
                "ope".to_string(),
                ope_figures(spec, scenario.seed, steps, &log.borrow().to_vec()),
            );
        }
    }
    Ok((value, times))
}

/// Off-policy estimates of uniform random serving from the run's log, beside the online
/// truth (see [`crate::ope`]), as claim figures: `ope.truth_ctr`, `ope.behaviour_ctr`,
/// `ope.estimates.ips.value`, `….ci95_width`, `….error` (distance from the truth),
/// `ope.diagnostics.effective_sample_size`, …; an evaluation that cannot run gives
/// `ope.error` and no figures. `steps` is the recommender's (its summary's `steps`).
pub fn ope_figures(
    spec: &crate::scenario::RecommenderSpec,
    seed: u64,
    steps: u64,
    log: &[crate::ope::LoggedImpression],
) -> Value {
    let twin = crate::ope::Twin::new(spec, seed).and_then(|mut twin| {
        twin.advance_to(steps)?;
        Ok(twin)
    });
    match twin {
        Ok(twin) => ope_figures_with(&twin, spec.population.items as usize, log),
        Err(error) => serde_json::json!({ "error": error }),
    }
}

/// [`ope_figures`] with the twin already at the recommender's steps. (The page's side by
/// side reads the same paths from an [`crate::ope::OpeResult`]'s fields, with this
/// arithmetic; its test checks every number against these.)
fn ope_figures_with(
    twin: &crate::ope::Twin,
    items: usize,
    log: &[crate::ope::LoggedImpression],
) -> Value {
    match crate::ope::evaluate(log, items, twin) {
        Ok(result) => {
            let mut estimates = serde_json::Map::new();
            for (name, e) in &result.estimates {
                estimates.insert(
                    (*name).to_string(),
                    serde_json::json!({
                        "value": e.value, "ci95_low": e.ci95_low, "ci95_high": e.ci95_high,
                        "ci95_width": e.ci95_high - e.ci95_low, "sd": e.sd, "n": e.n,
                        "error": result.truth_ctr.map(|truth| (e.value - truth).abs()),
                    }),
                );
            }
            serde_json::json!({
                "rows": result.rows,
                "behaviour_ctr": result.behaviour_ctr,
                "truth_ctr": result.truth_ctr,
                "estimates": estimates,
                "diagnostics": {
                    "mean_weight": result.diagnostics.mean_weight,
                    "max_weight": result.diagnostics.max_weight,
                    "effective_sample_size": result.diagnostics.effective_sample_size,
                    "clipped_rows": result.diagnostics.clipped_rows,
                },
            })
        }
        Err(error) => serde_json::json!({ "error": error }),
    }
}

/// The value at `path` in a summary: dotted keys, where a number indexes a list
/// (`tenants.2.throttled`). The page's compare panel reads its figures through this too.
pub fn value_at<'v>(value: &'v Value, path: &str) -> Result<&'v Value, String> {
    let mut at = value;
    for key in path.split('.') {
        let next = match (at, key.parse::<usize>()) {
            (Value::Array(items), Ok(index)) => items.get(index),
            _ => at.get(key),
        };
        at = next.ok_or_else(|| format!("the summary has no {key:?} on the way to {path}"))?;
    }
    Ok(at)
}

/// The number at `path` (see [`value_at`]) in `value`.
fn figure(value: &Value, path: &str) -> Result<f64, String> {
    let at = value_at(value, path)?;
    at.as_f64()
        .ok_or_else(|| format!("{path} is {at}, not a number"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn the_scenario_beats_and_claims_are_objects_and_an_array_is_refused_naming_the_struct() {
        let scenario: Value = serde_json::from_str(&Scenario::default().to_json()).unwrap();
        let chapter = |beats: Value| {
            serde_json::json!({
                "title": "t", "question": "q", "scenario": scenario.clone(),
                "beats": beats, "claims": [],
            })
        };
        let read: Chapter =
            serde_json::from_value(chapter(serde_json::json!([{ "caption": "c" }]))).unwrap();
        assert_eq!(read.beats[0].caption, "c");
        assert_eq!(read.scenario, Scenario::default());
        let error = serde_json::from_value::<Chapter>(chapter(serde_json::json!([["c"]])))
            .unwrap_err()
            .to_string();
        assert!(error.contains("expected struct Beat"), "{error}");
    }
}
