//! Off-policy evaluation beside the online truth.
//!
//! The behaviour policy is the scenario's (Thompson sampling, say); its log is the stream of
//! `Impression` and `Click` trace events (the most recent [`crate::session::MAX_IMPRESSIONS`]).
//! The target policy is **uniform random serving**: at every slate position each item has
//! probability 1/K, exactly, because a uniformly random slate puts each item at each position
//! with that marginal. The estimators (replay, IPS, SNIPS, DM, DR, …) come from the
//! recommender crate; the reward model for DM-family estimators is each arm's logged CTR.
//!
//! The *online truth* is measured, not assumed: a twin of the scenario's recommender with the
//! same seed (so the same users arrive in the same order) serves uniformly at random, and its
//! CTR over the same impression ids is what the estimates should bracket. The twin also gives
//! the regret chart's "uniform random" reference line.

use crate::session::Session;
use std::collections::VecDeque;
use std::rc::Rc;
use strata_lab::scenario::RecommenderSpec;
use strata_recommender::ope::{estimate, Estimate, OpeOptions, OpeRow, WeightDiagnostics};
use strata_recommender::policy::EpsilonGreedyConfig;
use strata_recommender::simulation::RecommenderSim;
use strata_recommender::PolicyConfig;

use crate::session::LoggedImpression;

/// Clicks the twin remembers, by impression id (matches the behaviour log's bound).
pub const MAX_TWIN_IMPRESSIONS: usize = crate::session::MAX_IMPRESSIONS;
/// IPS weight clipping, so one rare action cannot dominate the estimate.
pub const IPS_CLIP: f64 = 100.0;
/// How often the evaluation is refreshed while its tab is open (wall time).
pub const OPE_REFRESH_MS: f64 = 1_000.0;

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
        let plan = strata_lab::recommender::plan(spec).map_err(|e| e.to_string())?;
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
        let (clicks, shown) = self
            .clicks
            .iter()
            .filter(|(id, _)| *id >= first && *id <= last)
            .fold((0u64, 0u64), |(c, n), (_, click)| {
                (c + u64::from(*click), n + 1)
            });
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
    let model: Vec<f64> = shown
        .iter()
        .zip(&clicked)
        .map(|(n, c)| {
            if *n == 0 {
                overall
            } else {
                *c as f64 / *n as f64
            }
        })
        .collect();
    let rows: Vec<OpeRow<'_>> = log
        .iter()
        .filter(|row| (row.arm as usize) < items && row.propensity > 0.0)
        .map(|row| OpeRow {
            action: row.arm as usize,
            position: 0,
            reward: if row.clicked { 1.0 } else { 0.0 },
            propensity: row.propensity.min(1.0),
            target: &target,
            reward_model: Some(&model),
        })
        .collect();
    let options = OpeOptions {
        clip: Some(IPS_CLIP),
        switch_tau: Some(IPS_CLIP),
        dros_lambda: Some(IPS_CLIP),
    };
    let report = estimate(&rows, &options).map_err(|e| e.to_string())?;
    let first = log.iter().map(|r| r.impression_id).min().unwrap_or(0);
    let last = log.iter().map(|r| r.impression_id).max().unwrap_or(0);
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

/// The off-policy evaluation cache: the twin and the last result, refreshed at most every
/// [`OPE_REFRESH_MS`] of wall time while its tab is open.
#[derive(Default)]
pub struct OpeCache {
    /// The seed and recommender settings the twin was built for.
    key: Option<(u64, RecommenderSpec)>,
    twin: Option<Twin>,
    last_wall_ms: f64,
    pub result: Option<Rc<OpeResult>>,
    pub error: Option<String>,
}

impl OpeCache {
    /// Brings the evaluation up to date with `session`, at most every [`OPE_REFRESH_MS`] of
    /// wall time (`now_ms`); a new seed or new settings start a new twin.
    pub fn refresh(&mut self, session: &Session, now_ms: f64) {
        let Some(spec) = &session.scenario().recommender else {
            *self = OpeCache::default();
            return;
        };
        let key = (session.scenario().seed, spec.clone());
        let steps = session.lab().recommender_summary().map_or(0, |s| s.steps);
        let stale_twin = self.key.as_ref() != Some(&key)
            || self.twin.as_ref().is_some_and(|t| t.steps() > steps);
        if stale_twin {
            self.key = Some(key);
            self.twin = None;
            self.result = None;
            self.last_wall_ms = f64::NEG_INFINITY;
        }
        if now_ms - self.last_wall_ms < OPE_REFRESH_MS {
            return;
        }
        self.last_wall_ms = now_ms;
        if self.twin.is_none() {
            match Twin::new(spec, session.scenario().seed) {
                Ok(twin) => self.twin = Some(twin),
                Err(e) => {
                    self.error = Some(format!("The uniform-random twin could not start: {e}"));
                    return;
                }
            }
        }
        let Some(twin) = self.twin.as_mut() else {
            return;
        };
        if let Err(e) = twin.advance_to(steps) {
            self.error = Some(format!("The uniform-random twin stopped: {e}"));
            return;
        }
        let log: Vec<LoggedImpression> = session.observed().impressions.iter().copied().collect();
        match evaluate(&log, spec.population.items as usize, twin) {
            Ok(result) => {
                self.result = Some(Rc::new(result));
                self.error = None;
            }
            Err(e) => {
                self.result = None;
                self.error = Some(format!("Off-policy evaluation: {e}."));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::default_recommender;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn estimates_bracket_the_twins_truth_on_a_logged_run() {
        // The behaviour log: a Thompson-sampling run of the default recommender, taken from
        // the lab's trace exactly as the page takes it.
        let mut scenario = crate::link::default_scenario();
        scenario.duration_ms = 60_000;
        scenario.workload.rate_ops_per_sec = 20.0;
        if let Some(spec) = scenario.recommender.as_mut() {
            spec.drift.clear();
        }
        let spec = scenario.recommender.clone().unwrap();
        let mut session = crate::session::Session::new(scenario.clone()).unwrap();
        session
            .advance(strata_sim::SimDuration::from_secs(50), u64::MAX)
            .unwrap();
        let steps = session.lab().recommender_summary().unwrap().steps;
        assert!(steps > 400, "{steps}");
        let log: Vec<LoggedImpression> = session.observed().impressions.iter().copied().collect();
        let mut twin = Twin::new(&spec, scenario.seed).unwrap();
        twin.advance_to(steps).unwrap();
        let result = evaluate(&log, spec.population.items as usize, &twin).unwrap();
        let truth = result
            .truth_ctr
            .expect("the twin served the same impression ids");
        assert!(result.rows > 1000);
        let ips = result
            .estimates
            .iter()
            .find(|(n, _)| *n == "ips")
            .unwrap()
            .1;
        let dr = result.estimates.iter().find(|(n, _)| *n == "dr").unwrap().1;
        // Uniform serving should click less than a learning policy, and the intervals should
        // be honest about the truth (generous, since both are noisy).
        assert!(
            truth < result.behaviour_ctr + 0.05,
            "{truth} vs {}",
            result.behaviour_ctr
        );
        for e in [ips, dr] {
            let slack = 3.0 * (e.ci95_high - e.ci95_low) / 2.0 + 0.02;
            assert!((e.value - truth).abs() < slack, "{e:?} vs truth {truth}");
        }
        assert!(!result.uniform_regret.is_empty());
        let _ = default_recommender();
    }

    #[test]
    fn an_empty_log_is_reported_not_panicked() {
        let twin = Twin::new(&default_recommender(), 1).unwrap();
        assert!(evaluate(&[], 12, &twin)
            .unwrap_err()
            .contains("no impressions"));
    }
}
