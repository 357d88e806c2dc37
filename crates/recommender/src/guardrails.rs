//! Trust guardrails around a policy, each with the metric that shows it working.
//!
//! 1. **Exploration cap** (`max_exploration_share`): a decision is exploratory when it shows
//!    an arm other than the policy's greedy arm. Before each decision, if one more exploratory
//!    decision would lift the running share above the cap, the cap *binds* and the greedy arm
//!    is shown (propensity 1: in that state the guarded policy is deterministic). So the
//!    served share never exceeds the cap. Metric: `exploration_share` against `cap`, and
//!    `cap_binding_decisions`.
//! 2. **Diversity floor** (`min_distinct_categories`, applied by [`crate::slate`]): a slate
//!    must hold items from at least this many categories. While filling positions, once the
//!    slots left equal the categories still missing, only items of missing categories are
//!    eligible, and the policy chooses among them (so propensities stay exact, conditional on
//!    the restriction). Metric: `min_distinct_categories_seen` and `diversity_restricted_positions`.
//! 3. **Rate limit on policy change** (`max_policy_change_tv`): for each context key the
//!    guard remembers the distribution it last served at the top position. If the policy's new
//!    distribution q is further than δ in total variation from the last served p, it serves
//!    p + (δ / TV)·(q − p) instead, which is exactly δ away, and samples the arm from it (the
//!    propensity is that mixture's probability). Metric: `max_tv_requested` vs
//!    `max_tv_served` and `tv_clamped_decisions`. The memory is bounded to
//!    [`MAX_TRACKED_CONTEXTS`] keys (least recently used evicted).
//!
//! When the cap binds while the rate limit is on, the cap wins (it is the harder business
//! promise); such steps are counted in `tv_limit_overridden_by_cap`.

use crate::error::{require_above, require_within, RecommenderError, Result};
use crate::policy::{softmax, Context, Policy};
use crate::stats::total_variation;
use serde::{Deserialize, Serialize};
use strata_sim::maps::LiteMap;
use strata_sim::SimRng;

/// How many context keys the rate limiter remembers.
pub const MAX_TRACKED_CONTEXTS: usize = 4096;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuardrailConfig {
    /// Largest share of exploratory decisions, in [0, 1].
    pub max_exploration_share: Option<f64>,
    /// Fewest distinct item categories per slate.
    pub min_distinct_categories: Option<usize>,
    /// Largest total-variation distance between consecutive served distributions, in (0, 1].
    pub max_policy_change_tv: Option<f64>,
}

impl GuardrailConfig {
    pub fn validate(&self) -> Result<()> {
        if let Some(cap) = self.max_exploration_share {
            require_within("max_exploration_share", cap, 0.0, 1.0)?;
        }
        if let Some(tv) = self.max_policy_change_tv {
            require_above("max_policy_change_tv", tv, 0.0)?;
            require_within("max_policy_change_tv", tv, 0.0, 1.0)?;
        }
        if self.min_distinct_categories == Some(0) {
            return Err(RecommenderError::param(
                "min_distinct_categories",
                0,
                "must be at least 1 (or absent)",
            ));
        }
        Ok(())
    }
}

/// What the guardrails did, for the UI and the CLI summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GuardrailMetrics {
    pub decisions: u64,
    pub exploratory_decisions: u64,
    pub exploration_share: f64,
    pub cap: Option<f64>,
    pub cap_binding_decisions: u64,
    pub tv_limit: Option<f64>,
    pub tv_checked_decisions: u64,
    pub tv_clamped_decisions: u64,
    pub max_tv_requested: f64,
    pub max_tv_served: f64,
    pub tv_limit_overridden_by_cap: u64,
    pub diversity_floor: Option<usize>,
    pub slates: u64,
    pub min_distinct_categories_seen: Option<usize>,
    pub mean_distinct_categories: f64,
    pub diversity_restricted_positions: u64,
}

/// One guarded decision.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub arm: usize,
    pub propensity: f64,
    pub exploratory: bool,
}

/// The guardrails' running state.
#[derive(Clone, Debug, PartialEq)]
pub struct Guardrails {
    config: GuardrailConfig,
    metrics: GuardrailMetrics,
    distinct_category_total: u64,
    /// key → (last use stamp, last served top-position distribution).
    last_served: LiteMap<u64, (u64, Vec<f64>)>,
    stamp: u64,
}

impl Guardrails {
    pub fn new(config: GuardrailConfig) -> Result<Guardrails> {
        config.validate()?;
        let metrics = GuardrailMetrics {
            cap: config.max_exploration_share,
            tv_limit: config.max_policy_change_tv,
            diversity_floor: config.min_distinct_categories,
            ..Default::default()
        };
        Ok(Guardrails {
            config,
            metrics,
            distinct_category_total: 0,
            last_served: LiteMap::new(),
            stamp: 0,
        })
    }

    pub fn config(&self) -> &GuardrailConfig {
        &self.config
    }

    pub fn metrics(&self) -> GuardrailMetrics {
        self.metrics.clone()
    }

    /// Whether one more exploratory decision would lift the share above the cap.
    fn cap_binds(&self) -> bool {
        self.config.max_exploration_share.is_some_and(|cap| {
            (self.metrics.exploratory_decisions + 1) as f64
                > cap * (self.metrics.decisions + 1) as f64
        })
    }

    fn remember(&mut self, key: u64, distribution: Vec<f64>) {
        self.stamp += 1;
        if !self.last_served.contains_key(&key) && self.last_served.len() >= MAX_TRACKED_CONTEXTS {
            let oldest = self
                .last_served
                .iter()
                .min_by_key(|(_, (stamp, _))| *stamp)
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                self.last_served.remove(&oldest);
            }
        }
        self.last_served.insert(key, (self.stamp, distribution));
    }

    /// One guarded decision among `eligible` arms. The rate limit applies only to
    /// unrestricted decisions (`eligible == None`: the top position of a slate), where
    /// consecutive distributions are comparable.
    pub fn decide<P: Policy + ?Sized>(
        &mut self,
        policy: &P,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<Decision> {
        let greedy = policy.greedy_arm(context, eligible)?;
        let arms = policy.arm_count();
        let rate_limited = self.config.max_policy_change_tv.is_some() && eligible.is_none();
        let (arm, propensity) = if self.cap_binds() {
            self.metrics.cap_binding_decisions += 1;
            if rate_limited {
                let served = crate::policy::one_hot(arms, greedy);
                if let Some((_, previous)) = self.last_served.get(&context.key) {
                    let tv = total_variation(previous, &served);
                    if tv > self.config.max_policy_change_tv.unwrap_or(1.0) {
                        self.metrics.tv_limit_overridden_by_cap += 1;
                    }
                    self.metrics.max_tv_served = self.metrics.max_tv_served.max(tv);
                }
                self.remember(context.key, served);
            }
            (greedy, 1.0)
        } else if rate_limited {
            let limit = self.config.max_policy_change_tv.unwrap_or(1.0);
            let requested = policy.probabilities(context, None, rng)?;
            let served = match self.last_served.get(&context.key) {
                Some((_, previous)) => {
                    self.metrics.tv_checked_decisions += 1;
                    let tv = total_variation(previous, &requested);
                    self.metrics.max_tv_requested = self.metrics.max_tv_requested.max(tv);
                    if tv > limit {
                        self.metrics.tv_clamped_decisions += 1;
                        let step = limit / tv;
                        let mixed: Vec<f64> = previous
                            .iter()
                            .zip(&requested)
                            .map(|(p, q)| p + step * (q - p))
                            .collect();
                        let served_tv = total_variation(previous, &mixed);
                        self.metrics.max_tv_served = self.metrics.max_tv_served.max(served_tv);
                        mixed
                    } else {
                        self.metrics.max_tv_served = self.metrics.max_tv_served.max(tv);
                        requested
                    }
                }
                None => requested,
            };
            let arm = softmax::sample(&served, rng);
            let propensity = served[arm];
            self.remember(context.key, served);
            (arm, propensity)
        } else {
            let choice = policy.choose_among(context, eligible, rng)?;
            (choice.arm, choice.propensity)
        };
        let exploratory = arm != greedy;
        self.metrics.decisions += 1;
        if exploratory {
            self.metrics.exploratory_decisions += 1;
        }
        self.metrics.exploration_share =
            self.metrics.exploratory_decisions as f64 / self.metrics.decisions as f64;
        Ok(Decision {
            arm,
            propensity,
            exploratory,
        })
    }

    /// Records a finished slate's category count and how many positions the floor restricted.
    pub(crate) fn record_slate(&mut self, distinct_categories: usize, restricted_positions: u64) {
        self.metrics.slates += 1;
        self.distinct_category_total += distinct_categories as u64;
        self.metrics.diversity_restricted_positions += restricted_positions;
        self.metrics.min_distinct_categories_seen = Some(
            self.metrics
                .min_distinct_categories_seen
                .map_or(distinct_categories, |m| m.min(distinct_categories)),
        );
        self.metrics.mean_distinct_categories =
            self.distinct_category_total as f64 / self.metrics.slates as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{EpsilonGreedyConfig, PolicyConfig, ThompsonConfig};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn egreedy(epsilon: f64) -> crate::policy::AnyPolicy {
        PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig {
            epsilon,
            ..Default::default()
        })
        .build(5)
        .unwrap()
    }

    #[test]
    fn exploration_cap_holds_the_share_under_the_cap() {
        let policy = egreedy(0.6);
        let ctx = Context::empty();
        let mut rng = SimRng::seed_from_u64(1);
        let mut free = Guardrails::new(GuardrailConfig::default()).unwrap();
        let mut capped = Guardrails::new(GuardrailConfig {
            max_exploration_share: Some(0.1),
            ..Default::default()
        })
        .unwrap();
        for _ in 0..2000 {
            free.decide(&policy, &ctx, None, &mut rng).unwrap();
            let d = capped.decide(&policy, &ctx, None, &mut rng).unwrap();
            let m = capped.metrics();
            assert!(
                m.exploration_share <= 0.1 + 1e-12,
                "{}",
                m.exploration_share
            );
            if !d.exploratory {
                assert!(d.arm == 0);
            }
        }
        // Without the cap ε = 0.6 over 5 arms explores about 0.6·4/5 = 48% of the time.
        assert!(free.metrics().exploration_share > 0.4);
        let m = capped.metrics();
        assert!(
            m.exploration_share > 0.09,
            "the cap is used, not just obeyed"
        );
        assert!(m.cap_binding_decisions > 1000);
    }

    #[test]
    fn rate_limit_clamps_total_variation() {
        let mut policy = PolicyConfig::Thompson(ThompsonConfig::default())
            .build(3)
            .unwrap();
        let ctx = Context::empty();
        let mut rng = SimRng::seed_from_u64(2);
        let mut guard = Guardrails::new(GuardrailConfig {
            max_policy_change_tv: Some(0.05),
            ..Default::default()
        })
        .unwrap();
        let mut previous: Option<Vec<f64>> = None;
        for step in 0..300 {
            let d = guard.decide(&policy, &ctx, None, &mut rng).unwrap();
            assert!(d.propensity > 0.0);
            let served = guard.last_served[&0].1.clone();
            if let Some(prev) = &previous {
                assert!(
                    total_variation(prev, &served) <= 0.05 + 1e-12,
                    "step {step}"
                );
            }
            assert_eq!(served[d.arm], d.propensity);
            previous = Some(served);
            // Arm 2 always pays: the raw posterior moves fast.
            policy
                .update(&ctx, d.arm, if d.arm == 2 { 1.0 } else { 0.0 })
                .unwrap();
        }
        let m = guard.metrics();
        assert!(
            m.max_tv_requested > 0.05,
            "the policy wanted to move faster"
        );
        assert!(m.max_tv_served <= 0.05 + 1e-12);
        assert!(m.tv_clamped_decisions > 0);
    }

    #[test]
    fn tracked_contexts_are_bounded() {
        let policy = egreedy(0.1);
        let mut rng = SimRng::seed_from_u64(3);
        let mut guard = Guardrails::new(GuardrailConfig {
            max_policy_change_tv: Some(0.5),
            ..Default::default()
        })
        .unwrap();
        for key in 0..(MAX_TRACKED_CONTEXTS as u64 + 10) {
            guard
                .decide(&policy, &Context::new(key, vec![]), None, &mut rng)
                .unwrap();
        }
        assert_eq!(guard.last_served.len(), MAX_TRACKED_CONTEXTS);
        assert!(!guard.last_served.contains_key(&0));
    }

    #[test]
    fn invalid_guardrails_are_typed_errors() {
        for config in [
            GuardrailConfig {
                max_exploration_share: Some(1.5),
                ..Default::default()
            },
            GuardrailConfig {
                max_policy_change_tv: Some(0.0),
                ..Default::default()
            },
            GuardrailConfig {
                min_distinct_categories: Some(0),
                ..Default::default()
            },
        ] {
            assert!(matches!(
                Guardrails::new(config),
                Err(RecommenderError::InvalidParameter { .. })
            ));
        }
    }
}
