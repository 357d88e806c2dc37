//! The compare panel's figures: the standard rows, a row's difference, and the off-policy
//! estimates (`ope.*`) computed from each run's impression log as
//! [`strata_lab::chapter::ope_figures`] does (the other paths are read by
//! [`super::lookup`]).

use crate::ope::twin_is_stale;
#[cfg(test)]
use serde_json::Value;
use strata_lab::ope::{evaluate, ImpressionLog, OpeResult, Twin};
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

#[cfg(test)]
/// Reads the figure at a dotted `path` of `summary` (array items by index). An object is
/// the sum of the numbers in it (`requests`: every request of every kind).
pub fn figure(summary: &Value, path: &str) -> Option<f64> {
    sum(strata_lab::chapter::value_at(summary, path).ok()?)
}

#[cfg(test)]
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

/// One run's off-policy evaluation for the `ope.*` figures, with the uniform-random twin
/// kept and advanced as the run goes rather than simulated from the start at every render.
#[derive(Default)]
pub struct OpeFigures {
    /// The seed and recommender settings the twin serves.
    key: Option<(u64, RecommenderSpec)>,
    twin: Option<Twin>,
    /// The run's time and recommender steps the evaluation was made at.
    at: Option<(SimTime, u64)>,
    /// None when the evaluation cannot run (no impressions yet, the twin failed).
    result: Option<OpeResult>,
}

impl OpeFigures {
    /// The evaluation of `lab`'s run now, from its impression log `log`.
    pub(super) fn of(&mut self, lab: &Lab, log: &ImpressionLog) -> Option<&OpeResult> {
        let scenario = lab.scenario();
        let Some(spec) = &scenario.recommender else {
            *self = OpeFigures::default();
            return None;
        };
        let steps = lab.recommender_summary().map_or(0, |s| s.steps);
        if twin_is_stale(
            self.key.as_ref(),
            self.twin.as_ref(),
            scenario.seed,
            spec,
            steps,
        ) {
            *self = OpeFigures {
                key: Some((scenario.seed, spec.clone())),
                ..OpeFigures::default()
            };
        }
        let at = (lab.now(), steps);
        if self.at != Some(at) {
            self.at = Some(at);
            let twin = match self.twin.take() {
                Some(twin) => Ok(twin),
                None => Twin::new(spec, scenario.seed),
            };
            self.result = twin
                .and_then(|mut twin| {
                    twin.advance_to(steps)?;
                    let result = evaluate(&log.to_vec(), spec.population.items as usize, &twin);
                    self.twin = Some(twin);
                    result
                })
                .ok();
        }
        self.result.as_ref()
    }
}

/// The figure at `path` (the part after `ope.`) of an evaluation: the paths and arithmetic
/// of [`strata_lab::chapter::ope_figures`], read from the result's fields.
pub fn ope_figure(result: &OpeResult, path: &str) -> Option<f64> {
    let keys: Vec<&str> = path.split('.').collect();
    let d = &result.diagnostics;
    match keys.as_slice() {
        ["rows"] => Some(result.rows as f64),
        ["behaviour_ctr"] => Some(result.behaviour_ctr),
        ["truth_ctr"] => result.truth_ctr,
        ["estimates", name, field] => {
            let (_, e) = result.estimates.iter().find(|(n, _)| n == name)?;
            match *field {
                "value" => Some(e.value),
                "ci95_low" => Some(e.ci95_low),
                "ci95_high" => Some(e.ci95_high),
                "ci95_width" => Some(e.ci95_high - e.ci95_low),
                "sd" => Some(e.sd),
                "n" => Some(e.n as f64),
                "error" => result.truth_ctr.map(|truth| (e.value - truth).abs()),
                _ => None,
            }
        }
        ["diagnostics", "mean_weight"] => Some(d.mean_weight),
        ["diagnostics", "max_weight"] => Some(d.max_weight),
        ["diagnostics", "effective_sample_size"] => Some(d.effective_sample_size),
        ["diagnostics", "clipped_rows"] => Some(d.clipped_rows as f64),
        _ => None,
    }
}
