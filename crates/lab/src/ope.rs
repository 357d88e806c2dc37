//! Off-policy evaluation beside the online truth, for the page's evaluation panel and for
//! chapters' claims.
//!
//! The behaviour policy is the scenario's (Thompson sampling, say); its log is the stream of
//! `Impression` and `Click` trace events, folded by an [`ImpressionLog`] (the most recent
//! [`MAX_LOGGED_IMPRESSIONS`]). The target policy is **uniform random serving**: at every
//! slate position each item has probability 1/K, exactly, because a uniformly random slate
//! puts each item at each position with that marginal. The estimators (replay, IPS, SNIPS,
//! DM, DR, …) come from the recommender crate; the reward model for DM-family estimators is
//! each arm's logged CTR.
//!
//! The *online truth* is measured, not assumed: a [`Twin`] of the scenario's recommender with
//! the same seed (so the same users arrive in the same order) serves uniformly at random, and
//! its CTR over the same impression ids is what the estimates should bracket. The twin also
//! gives the regret chart's "uniform random" reference line.

use crate::scenario::RecommenderSpec;
use std::collections::VecDeque;
use strata_recommender::ope::{estimate, Estimate, OpeOptions, OpeRow, WeightDiagnostics};
use strata_recommender::policy::EpsilonGreedyConfig;
use strata_recommender::simulation::RecommenderSim;
use strata_recommender::PolicyConfig;
use strata_sim::EventKind;

/// Impressions an [`ImpressionLog`] keeps (the most recent).
pub const MAX_LOGGED_IMPRESSIONS: usize = 20_000;

/// One logged impression and whether it was clicked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoggedImpression {
    pub impression_id: u64,
    pub arm: u32,
    pub propensity: f64,
    pub clicked: bool,
}

/// The behaviour policy's log, folded from `Impression` and `Click` trace events, bounded to
/// the most recent [`MAX_LOGGED_IMPRESSIONS`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImpressionLog {
    rows: VecDeque<LoggedImpression>,
}

impl ImpressionLog {
    /// Folds one trace event (anything but an impression or a click is ignored).
    pub fn observe(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Impression {
                impression_id,
                arm,
                propensity,
            } => {
                if self.rows.len() == MAX_LOGGED_IMPRESSIONS {
                    self.rows.pop_front();
                }
                self.rows.push_back(LoggedImpression {
                    impression_id: *impression_id,
                    arm: *arm,
                    propensity: *propensity,
                    clicked: false,
                });
            }
            EventKind::Click { impression_id, .. } => {
                // A click follows its impression within the same slate: look from the back.
                if let Some(row) = self
                    .rows
                    .iter_mut()
                    .rev()
                    .take(64)
                    .find(|row| row.impression_id == *impression_id)
                {
                    row.clicked = true;
                }
            }
            _ => {}
        }
        assert!(self.rows.len() <= MAX_LOGGED_IMPRESSIONS);
    }

    pub fn rows(&self) -> impl ExactSizeIterator<Item = &LoggedImpression> {
        self.rows.iter()
    }

    pub fn to_vec(&self) -> Vec<LoggedImpression> {
        self.rows.iter().copied().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Clicks the twin remembers, by impression id (matches the behaviour log's bound).
pub const MAX_TWIN_IMPRESSIONS: usize = MAX_LOGGED_IMPRESSIONS;
/// IPS weight clipping, so one rare action cannot dominate the estimate.
pub const IPS_CLIP: f64 = 100.0;

/// The uniform-random twin of the scenario's recommender.
pub struct Twin {
    sim: RecommenderSim,
    clicks: VecDeque<(u64, bool)>,
}

impl std::fmt::Debug for Twin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twin")
            .field("steps", &self.sim.steps())
            .finish()
    }
}

impl Twin {
    /// The twin of `spec` under `seed`, serving uniformly at random without guardrails.
    pub fn new(spec: &RecommenderSpec, seed: u64) -> Result<Twin, String> {
        let plan = crate::recommender::plan(spec).map_err(|e| e.to_string())?;
        let mut config = plan.config;
        config.policy = PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig {
            epsilon: 1.0,
            decay: 0.0,
            ..EpsilonGreedyConfig::default()
        });
        config.guardrails = Default::default();
        let sim = RecommenderSim::new(config, seed).map_err(|e| e.to_string())?;
        Ok(Twin {
            sim,
            clicks: VecDeque::new(),
        })
    }

    pub fn steps(&self) -> u64 {
        self.sim.steps()
    }

    /// Serves slates until the twin has taken `steps` steps.
    pub fn advance_to(&mut self, steps: u64) -> Result<(), String> {
        while self.sim.steps() < steps {
            let outcome = self.sim.step().map_err(|e| e.to_string())?;
            for slot in &outcome.slots {
                if self.clicks.len() == MAX_TWIN_IMPRESSIONS {
                    self.clicks.pop_front();
                }
                self.clicks.push_back((slot.impression_id, slot.click));
            }
        }
        Ok(())
    }

    /// CTR over impression ids in `[first, last]`, with the number of impressions.
    pub fn ctr_between(&self, first: u64, last: u64) -> Option<(f64, u64)> {
        // A loop, not `filter` and `fold`, whose instances the page had for this alone.
        let (mut clicks, mut shown) = (0u64, 0u64);
        for (id, click) in &self.clicks {
            if *id >= first && *id <= last {
                clicks += u64::from(*click);
                shown += 1;
            }
        }
        (shown > 0).then(|| (clicks as f64 / shown as f64, shown))
    }

    pub fn summary(&self) -> strata_recommender::simulation::RecommenderSummary {
        self.sim.summary()
    }
}

/// One evaluation, as the panel draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct OpeResult {
    pub rows: u64,
    pub first_impression: u64,
    pub last_impression: u64,
    /// The behaviour policy's own CTR over the log (on-policy, exact).
    pub behaviour_ctr: f64,
    /// The twin's CTR over the same impression ids, and how many it served.
    pub truth_ctr: Option<f64>,
    pub truth_impressions: u64,
    pub estimates: Vec<(&'static str, Estimate)>,
    pub diagnostics: WeightDiagnostics,
    pub notes: Vec<String>,
    /// (step, cumulative regret) of the twin: the uniform-random reference.
    pub uniform_regret: Vec<(u64, f64)>,
}

/// Evaluates uniform random serving on `log` (the behaviour policy's impressions) against
/// `twin`, which must have served at least as many steps as the log covers.
pub fn evaluate(log: &[LoggedImpression], items: usize, twin: &Twin) -> Result<OpeResult, String> {
    if log.is_empty() {
        return Err("no impressions logged yet".to_string());
    }
    if items == 0 {
        return Err("the catalogue is empty".to_string());
    }
    let target = vec![1.0 / items as f64; items];
    // The reward model: each arm's logged CTR (the overall CTR for arms never shown).
    let mut shown = vec![0u64; items];
    let mut clicked = vec![0u64; items];
    for row in log {
        let arm = row.arm as usize;
        if arm < items {
            shown[arm] += 1;
            clicked[arm] += u64::from(row.clicked);
        }
    }
    let total_clicks: u64 = clicked.iter().sum();
    let overall = total_clicks as f64 / log.len() as f64;
    // Loops here and for the impression ids below, not `zip`, `filter`, `map`, `collect`, `min`
    // and `max`, whose instances the page had for these lists alone.
    let mut model = Vec::with_capacity(items);
    for (n, c) in shown.iter().zip(&clicked) {
        model.push(if *n == 0 {
            overall
        } else {
            *c as f64 / *n as f64
        });
    }
    let mut rows: Vec<OpeRow<'_>> = Vec::new();
    for row in log {
        if (row.arm as usize) < items && row.propensity > 0.0 {
            rows.push(OpeRow {
                action: row.arm as usize,
                position: 0,
                reward: if row.clicked { 1.0 } else { 0.0 },
                propensity: row.propensity.min(1.0),
                target: &target,
                reward_model: Some(&model),
            });
        }
    }
    let options = OpeOptions {
        clip: Some(IPS_CLIP),
        switch_tau: Some(IPS_CLIP),
        dros_lambda: Some(IPS_CLIP),
    };
    let report = estimate(&rows, &options).map_err(|e| e.to_string())?;
    // The log is not empty, so both are ids it holds.
    let (mut first, mut last) = (u64::MAX, 0);
    for row in log {
        first = first.min(row.impression_id);
        last = last.max(row.impression_id);
    }
    let truth = twin.ctr_between(first, last);
    let summary = twin.summary();
    Ok(OpeResult {
        rows: rows.len() as u64,
        first_impression: first,
        last_impression: last,
        behaviour_ctr: overall,
        truth_ctr: truth.map(|(ctr, _)| ctr),
        truth_impressions: truth.map_or(0, |(_, n)| n),
        estimates: report.estimates(),
        diagnostics: report.diagnostics,
        notes: report.notes,
        uniform_regret: summary.regret_series,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn an_empty_log_is_reported_not_panicked() {
        let spec = crate::scenario::Scenario::playground().recommender.unwrap();
        let twin = Twin::new(&spec, 1).unwrap();
        assert!(evaluate(&[], 12, &twin)
            .unwrap_err()
            .contains("no impressions"));
    }

    #[test]
    fn only_shown_arms_with_a_propensity_are_rows_and_the_ids_span_the_whole_log() {
        let spec = crate::scenario::Scenario::playground().recommender.unwrap();
        let twin = Twin::new(&spec, 1).unwrap();
        let row = |impression_id, arm, propensity, clicked| LoggedImpression {
            impression_id,
            arm,
            propensity,
            clicked,
        };
        let log = [
            row(5, 0, 0.5, true),
            row(3, 1, 0.25, false),
            row(9, 99, 0.5, true),
            row(7, 2, 0.0, false),
        ];
        let result = evaluate(&log, 3, &twin).unwrap();
        assert_eq!(result.rows, 2);
        assert_eq!((result.first_impression, result.last_impression), (3, 9));
        // The click on an arm outside the catalogue is not counted; every impression is.
        assert_eq!(result.behaviour_ctr, 0.25);
    }

    #[test]
    fn the_twins_ctr_counts_the_impressions_between_both_ids() {
        let spec = crate::scenario::Scenario::playground().recommender.unwrap();
        let mut twin = Twin::new(&spec, 1).unwrap();
        twin.advance_to(50).unwrap();
        let (ctr, shown) = twin.ctr_between(10, 40).unwrap();
        assert_eq!(shown, 31, "both ends included");
        let clicks = twin
            .clicks
            .iter()
            .filter(|(id, click)| (10..=40).contains(id) && *click)
            .count();
        assert_eq!(ctr, clicks as f64 / 31.0);
        assert_eq!(twin.ctr_between(u64::MAX, u64::MAX), None);
    }

    #[test]
    fn a_click_marks_its_impression_and_the_log_keeps_its_bound() {
        let mut log = ImpressionLog::default();
        for id in 0..(MAX_LOGGED_IMPRESSIONS as u64 + 10) {
            log.observe(&EventKind::Impression {
                impression_id: id,
                arm: (id % 7) as u32,
                propensity: 0.5,
            });
        }
        let last = MAX_LOGGED_IMPRESSIONS as u64 + 9;
        log.observe(&EventKind::Click {
            impression_id: last,
            arm: (last % 7) as u32,
        });
        assert_eq!(log.rows().len(), MAX_LOGGED_IMPRESSIONS);
        assert_eq!(log.rows().next().unwrap().impression_id, 10);
        assert!(log.rows().last().unwrap().clicked);
        assert_eq!(log.rows().filter(|row| row.clicked).count(), 1);
    }
}
