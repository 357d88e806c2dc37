//! The compare panel's figures: the standard rows, a row's difference, and the off-policy
//! estimates (`ope.*`) computed from each run's impression log as
//! [`strata_lab::chapter::ope_figures`] does (the other paths are read by
//! [`super::lookup`]).

use serde_json::Value;
use strata_lab::ope::{ImpressionLog, Twin};
use strata_lab::scenario::RecommenderSpec;
use strata_lab::Lab;
use strata_sim::SimTime;

/// Standard figures for a storage run: label and summary path.
pub const STORAGE_FIGURES: &[(&str, &str)] = &[
    ("client p99 write (ms)", "latency.write.p99_ms"),
    ("client p99 read (ms)", "latency.read.p99_ms"),
    ("store requests", "requests"),
    ("$ so far", "cost.total_usd"),
    ("L0 SSTs", "lsm.l0_ssts"),
    ("write amplification", "write_amplification"),
];
/// Standard figures for a recommender run.
pub const RECOMMENDER_FIGURES: &[(&str, &str)] = &[
    ("CTR", "policy.ctr"),
    ("regret", "policy.cumulative_regret"),
    ("coverage", "policy.catalogue_coverage"),
    ("Gini", "policy.exposure_gini"),
];

/// Reads the figure at a dotted `path` of `summary` (array items by index). An object is
/// the sum of the numbers in it (`requests`: every request of every kind).
pub fn figure(summary: &Value, path: &str) -> Option<f64> {
    sum(strata_lab::chapter::value_at(summary, path).ok()?)
}

fn sum(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::Object(map) => Some(map.values().filter_map(sum).sum()),
        _ => None,
    }
}

/// A run's summary as JSON, with the recommender's own summary under `policy` (as
/// `strata chapter` reads claims): what [`super::lookup::figure`] is checked against.
#[cfg(test)]
pub fn summary_value(lab: &Lab) -> Value {
    let mut value = serde_json::to_value(lab.summary()).unwrap_or(Value::Null);
    if let (Some(policy), Value::Object(map)) = (lab.recommender_summary(), &mut value) {
        let policy = serde_json::to_value(policy).unwrap_or(Value::Null);
        map.insert("policy".to_string(), policy);
    }
    value
}

/// One row of the compare panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub label: String,
    pub path: String,
    pub base: Option<f64>,
    pub variant: Option<f64>,
}

impl Row {
    /// Variant − base.
    pub fn difference(&self) -> Option<f64> {
        Some(self.variant? - self.base?)
    }

    /// The difference as a percentage of the base (none when the base is zero).
    pub fn percent(&self) -> Option<f64> {
        let (base, difference) = (self.base?, self.difference()?);
        (base != 0.0).then(|| 100.0 * difference / base.abs())
    }
}

/// One run's `ope.*` figures (as `{"ope": …}`), with the uniform-random twin kept and
/// advanced as the run goes rather than simulated from the start at every render.
#[derive(Default)]
pub(super) struct OpeFigures {
    /// The seed and recommender settings the twin serves.
    key: Option<(u64, RecommenderSpec)>,
    twin: Option<Twin>,
    /// The run's time and recommender steps the figures were computed at.
    at: Option<(SimTime, u64)>,
    value: Value,
}

impl OpeFigures {
    pub(super) fn of(&mut self, lab: &Lab, log: &ImpressionLog) -> &Value {
        let scenario = lab.scenario();
        let Some(spec) = &scenario.recommender else {
            *self = OpeFigures::default();
            return &self.value;
        };
        let steps = lab.recommender_summary().map_or(0, |s| s.steps);
        let key = (scenario.seed, spec.clone());
        if self.key.as_ref() != Some(&key) || self.twin.as_ref().is_some_and(|t| t.steps() > steps)
        {
            *self = OpeFigures {
                key: Some(key),
                ..OpeFigures::default()
            };
        }
        let at = (lab.now(), steps);
        if self.at == Some(at) {
            return &self.value;
        }
        self.at = Some(at);
        let twin = match self.twin.take() {
            Some(twin) => Ok(twin),
            None => Twin::new(spec, scenario.seed),
        };
        let figures = twin.and_then(|mut twin| {
            twin.advance_to(steps)?;
            let figures = strata_lab::chapter::ope_figures_with(
                &twin,
                spec.population.items as usize,
                &log.to_vec(),
            );
            self.twin = Some(twin);
            Ok(figures)
        });
        let figures = figures.unwrap_or_else(|error| serde_json::json!({ "error": error }));
        self.value = serde_json::json!({ "ope": figures });
        &self.value
    }
}
