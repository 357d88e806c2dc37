//! The off-policy evaluation panel's cache: the evaluation itself ([`strata_lab::ope`]: the
//! behaviour log, the uniform-random twin that measures the online truth, the estimators) is
//! the lab's; the page refreshes it at most every [`OPE_REFRESH_MS`] of wall time while its
//! tab is open.

use crate::session::Session;
use std::rc::Rc;
pub use strata_lab::ope::{evaluate, LoggedImpression, OpeResult, Twin, IPS_CLIP};
use strata_lab::scenario::RecommenderSpec;

/// How often the evaluation is refreshed while its tab is open (wall time).
pub const OPE_REFRESH_MS: f64 = 1_000.0;

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
        let log: Vec<LoggedImpression> = session.observed().impressions.to_vec();
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
        let log: Vec<LoggedImpression> = session.observed().impressions.to_vec();
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
}
