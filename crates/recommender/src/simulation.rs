//! The recommender loop, as a pure step function: one step shows one slate to one user,
//! draws clicks from the population's click model, updates the policy, feeds the popularity
//! loop and the metrics. No I/O and no clock: the engine-backed runner
//! ([`crate::log`]) and the UI drive it, and tests call it directly.
//!
//! Random streams (all from the run's seed): `recommender.users` picks who arrives,
//! `recommender.policy` feeds the policy's choices, `recommender.clicks` draws clicks, plus
//! the population's own streams. Each consumer owns its stream, so, for example, switching
//! the policy never changes which users arrive.
//!
//! Regret is measured per step against the oracle that knows the true click model in the
//! current state (popularity and drift included): expected clicks of the oracle's slate minus
//! expected clicks of the slate shown.

use crate::error::{RecommenderError, Result};
use crate::guardrails::{GuardrailConfig, GuardrailMetrics, Guardrails};
use crate::metrics::{Exposure, Series};
use crate::policy::{AnyPolicy, ArmSummary, Context, Policy, PolicyConfig};
use crate::population::{Population, PopulationConfig};
use crate::slate::build_slate;
use serde::{Deserialize, Serialize};
use strata_sim::{RngStreams, SimRng};

/// Everything that defines a recommender run (besides the seed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecommenderConfig {
    pub population: PopulationConfig,
    pub policy: PolicyConfig,
    /// Items per slate, k ≥ 1.
    pub slate_size: usize,
    pub guardrails: GuardrailConfig,
    /// Points retained per metric series (the bound on their memory).
    pub series_points: usize,
    /// Steps per CTR/coverage window.
    pub metrics_window: u64,
}

impl Default for RecommenderConfig {
    fn default() -> Self {
        RecommenderConfig {
            population: PopulationConfig::default(),
            policy: PolicyConfig::default(),
            slate_size: 3,
            guardrails: GuardrailConfig::default(),
            series_points: 256,
            metrics_window: 200,
        }
    }
}

/// One shown item and what happened to it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlotOutcome {
    /// Global impression number (0-based), one per shown item.
    pub impression_id: u64,
    pub arm: u32,
    pub position: u32,
    pub propensity: f64,
    pub exploratory: bool,
    pub click: bool,
    /// The true click probability (for evaluation, never shown to the policy).
    pub click_probability: f64,
}

/// One step: a slate shown to a user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlateOutcome {
    pub step: u64,
    pub user: u32,
    pub context: Context,
    /// The policy version (updates folded in) when the slate was chosen.
    pub policy_version: u64,
    pub slots: Vec<SlotOutcome>,
    pub expected_clicks: f64,
    pub oracle_expected_clicks: f64,
    /// Set when drift happened at this step.
    pub drift: Option<String>,
}

/// Summary metrics of a run so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecommenderSummary {
    pub steps: u64,
    pub impressions: u64,
    pub clicks: u64,
    pub ctr: f64,
    pub cumulative_regret: f64,
    pub catalogue_coverage: f64,
    pub exposure_gini: f64,
    pub policy_version: u64,
    /// (step, cumulative regret).
    pub regret_series: Vec<(u64, f64)>,
    /// (step, CTR within the window ending at step).
    pub ctr_series: Vec<(u64, f64)>,
    /// (step, share of the catalogue shown within the window).
    pub window_coverage_series: Vec<(u64, f64)>,
    /// (step, exposure Gini over the whole run so far).
    pub gini_series: Vec<(u64, f64)>,
    pub arms: Vec<ArmSummary>,
    pub guardrails: GuardrailMetrics,
}

/// A running recommender simulation.
#[derive(Clone, Debug)]
pub struct RecommenderSim {
    /// Items per slate ([`RecommenderConfig::slate_size`]).
    slate_size: usize,
    /// Steps per CTR/coverage window ([`RecommenderConfig::metrics_window`]).
    metrics_window: u64,
    population: Population,
    policy: AnyPolicy,
    guardrails: Guardrails,
    user_rng: SimRng,
    policy_rng: SimRng,
    click_rng: SimRng,
    step: u64,
    impressions: u64,
    clicks: u64,
    cumulative_regret: f64,
    exposure: Exposure,
    regret_series: Series,
    ctr_series: Series,
    window_coverage_series: Series,
    gini_series: Series,
    window_impressions: u64,
    window_clicks: u64,
    window_shown: Vec<bool>,
    window_distinct: u64,
}

impl RecommenderSim {
    pub fn new(config: RecommenderConfig, seed: u64) -> Result<RecommenderSim> {
        // Taken apart, so the population's and the guardrails' settings move into what they
        // configure: a clone of `PopulationConfig` was the page's only one.
        let RecommenderConfig {
            population,
            policy: policy_config,
            slate_size,
            guardrails,
            series_points,
            metrics_window,
        } = config;
        let streams = RngStreams::new(seed);
        let population_dims = population.dims;
        let population = Population::new(population, &streams)?;
        let policy = policy_config.build(population.items())?;
        if policy_config.is_contextual() {
            let dims = match &policy_config {
                PolicyConfig::LinUcb(c) => c.dims,
                PolicyConfig::LinTs(c) => c.dims,
                _ => population_dims,
            };
            if dims != population_dims {
                return Err(RecommenderError::param(
                    "policy.dims",
                    dims,
                    format!("must equal the population's feature dims ({population_dims})"),
                ));
            }
        }
        if slate_size == 0 || slate_size > population.items() {
            return Err(RecommenderError::param(
                "slate_size",
                slate_size,
                format!(
                    "must lie in [1, {}] (the number of items)",
                    population.items()
                ),
            ));
        }
        if metrics_window == 0 {
            return Err(RecommenderError::param(
                "metrics_window",
                0,
                "must be at least 1",
            ));
        }
        let guardrails = Guardrails::new(guardrails)?;
        let items = population.items();
        Ok(RecommenderSim {
            exposure: Exposure::new(items),
            window_shown: vec![false; items],
            regret_series: Series::new(series_points),
            ctr_series: Series::new(series_points),
            window_coverage_series: Series::new(series_points),
            gini_series: Series::new(series_points),
            user_rng: streams.stream("recommender.users"),
            policy_rng: streams.stream("recommender.policy"),
            click_rng: streams.stream("recommender.clicks"),
            slate_size,
            metrics_window,
            population,
            policy,
            guardrails,
            step: 0,
            impressions: 0,
            clicks: 0,
            cumulative_regret: 0.0,
            window_impressions: 0,
            window_clicks: 0,
            window_distinct: 0,
        })
    }

    pub fn policy(&self) -> &AnyPolicy {
        &self.policy
    }
    pub fn population(&self) -> &Population {
        &self.population
    }
    pub fn steps(&self) -> u64 {
        self.step
    }
    pub fn impressions(&self) -> u64 {
        self.impressions
    }

    /// Shows one slate and learns from it.
    pub fn step(&mut self) -> Result<SlateOutcome> {
        let step = self.step;
        let drift = self.population.advance_to(step);
        let user = self.population.sample_user(&mut self.user_rng);
        let features = self.population.user_features(user);
        let context = Context::new(user as u64, features);
        let policy_version = self.policy.version();
        let slate = build_slate(
            &mut self.guardrails,
            &self.policy,
            &context,
            self.slate_size,
            self.population.item_categories(),
            &mut self.policy_rng,
        )?;
        let shown: Vec<usize> = slate.iter().map(|s| s.arm).collect();
        let oracle = self
            .population
            .oracle_slate(&context.features, self.slate_size);
        let oracle_expected_clicks = self.population.expected_clicks(&context.features, &oracle);
        let mut slots = Vec::with_capacity(slate.len());
        let mut expected_clicks = 0.0;
        for slot in &slate {
            let probability =
                self.population
                    .click_probability(&context.features, slot.arm, slot.position);
            expected_clicks += probability;
            let click = self.click_rng.bernoulli(probability);
            slots.push(SlotOutcome {
                impression_id: self.impressions,
                arm: slot.arm as u32,
                position: slot.position as u32,
                propensity: slot.propensity,
                exploratory: slot.exploratory,
                click,
                click_probability: probability,
            });
            self.impressions += 1;
        }
        for slot in &slots {
            let reward = if slot.click { 1.0 } else { 0.0 };
            self.policy.update(&context, slot.arm as usize, reward)?;
            self.population.record_exposure(slot.arm as usize);
            self.exposure.record(slot.arm as usize);
            self.clicks += u64::from(slot.click);
            self.window_clicks += u64::from(slot.click);
            self.window_impressions += 1;
            if let Some(seen) = self.window_shown.get_mut(slot.arm as usize) {
                if !*seen {
                    *seen = true;
                    self.window_distinct += 1;
                }
            }
        }
        debug_assert_eq!(shown.len(), slots.len());
        self.cumulative_regret += oracle_expected_clicks - expected_clicks;
        self.step += 1;
        let done = self.step;
        self.regret_series.offer(done, self.cumulative_regret);
        if done.is_multiple_of(self.metrics_window) {
            let ctr = self.window_clicks as f64 / self.window_impressions.max(1) as f64;
            let coverage = self.window_distinct as f64 / self.window_shown.len() as f64;
            self.ctr_series.offer(done, ctr);
            self.window_coverage_series.offer(done, coverage);
            self.gini_series.offer(done, self.exposure.gini());
            self.window_clicks = 0;
            self.window_impressions = 0;
            self.window_distinct = 0;
            self.window_shown.iter_mut().for_each(|s| *s = false);
        }
        Ok(SlateOutcome {
            step,
            user: user as u32,
            context,
            policy_version,
            slots,
            expected_clicks,
            oracle_expected_clicks,
            drift,
        })
    }

    /// Runs `steps` steps, keeping no outcomes.
    pub fn run(&mut self, steps: u64) -> Result<()> {
        for _ in 0..steps {
            self.step()?;
        }
        Ok(())
    }

    pub fn summary(&self) -> RecommenderSummary {
        RecommenderSummary {
            steps: self.step,
            impressions: self.impressions,
            clicks: self.clicks,
            ctr: self.clicks as f64 / self.impressions.max(1) as f64,
            cumulative_regret: self.cumulative_regret,
            catalogue_coverage: self.exposure.coverage(),
            exposure_gini: self.exposure.gini(),
            policy_version: self.policy.version(),
            regret_series: self.regret_series.points().to_vec(),
            ctr_series: self.ctr_series.points().to_vec(),
            window_coverage_series: self.window_coverage_series.points().to_vec(),
            gini_series: self.gini_series.points().to_vec(),
            arms: self.policy.arm_summaries(),
            guardrails: self.guardrails.metrics(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{EpsilonGreedyConfig, LinUcbConfig, PopularityConfig, ThompsonConfig};
    use crate::population::FeedbackConfig;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Thompson sampling with few propensity draws: tests run in debug mode.
    fn fast_ts() -> PolicyConfig {
        PolicyConfig::Thompson(ThompsonConfig {
            propensity_draws: 4,
            ..Default::default()
        })
    }

    fn fast() -> RecommenderConfig {
        RecommenderConfig {
            policy: fast_ts(),
            ..Default::default()
        }
    }

    fn run(config: RecommenderConfig, seed: u64, steps: u64) -> RecommenderSim {
        let mut sim = RecommenderSim::new(config, seed).unwrap();
        sim.run(steps).unwrap();
        sim
    }

    #[test]
    fn same_seed_same_run() {
        let a = run(fast(), 9, 300);
        let b = run(fast(), 9, 300);
        assert_eq!(a.summary(), b.summary());
        assert_eq!(a.policy(), b.policy());
        let c = run(fast(), 10, 300);
        assert_ne!(a.summary().clicks, c.summary().clicks);
    }

    #[test]
    fn slates_log_positions_propensities_and_position_bias_shows_in_clicks() {
        let mut sim = RecommenderSim::new(fast(), 1).unwrap();
        let mut by_position = [(0u64, 0u64); 3];
        for _ in 0..1500 {
            let outcome = sim.step().unwrap();
            assert_eq!(outcome.slots.len(), 3);
            let mut arms: Vec<u32> = outcome.slots.iter().map(|s| s.arm).collect();
            arms.sort_unstable();
            arms.dedup();
            assert_eq!(arms.len(), 3, "a slate never repeats an item");
            for (p, slot) in outcome.slots.iter().enumerate() {
                assert_eq!(slot.position as usize, p);
                assert!(slot.propensity > 0.0 && slot.propensity <= 1.0);
                by_position[p].0 += 1;
                by_position[p].1 += u64::from(slot.click);
            }
            assert!(outcome.oracle_expected_clicks + 1e-12 >= outcome.expected_clicks);
        }
        let ctr = |(n, c): (u64, u64)| c as f64 / n as f64;
        // The top position is both the policy's best pick and the least penalised.
        assert!(ctr(by_position[0]) > ctr(by_position[2]));
        let summary = sim.summary();
        assert_eq!(summary.impressions, 4500);
        assert!(summary.cumulative_regret > 0.0);
        assert!(!summary.ctr_series.is_empty());
        assert_eq!(summary.arms.len(), 30);
    }

    #[test]
    fn learning_beats_the_popularity_lock_in() {
        let ts = run(fast(), 3, 1500).summary();
        let pop = run(
            RecommenderConfig {
                policy: PolicyConfig::Popularity(PopularityConfig::default()),
                ..Default::default()
            },
            3,
            1500,
        )
        .summary();
        assert!(
            ts.cumulative_regret < pop.cumulative_regret,
            "{} vs {}",
            ts.cumulative_regret,
            pop.cumulative_regret
        );
    }

    #[test]
    fn the_feedback_loop_concentrates_exposure() {
        let config = |gain| RecommenderConfig {
            policy: PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig {
                epsilon: 0.05,
                ..Default::default()
            }),
            population: PopulationConfig {
                feedback: FeedbackConfig { gain },
                ..Default::default()
            },
            ..Default::default()
        };
        let without = run(config(0.0), 4, 2000).summary();
        let with = run(config(1.0), 4, 2000).summary();
        assert!(
            with.exposure_gini > without.exposure_gini,
            "{} vs {}",
            with.exposure_gini,
            without.exposure_gini
        );
    }

    #[test]
    fn contextual_policies_need_matching_dims_and_learn() {
        let bad = RecommenderConfig {
            policy: PolicyConfig::LinUcb(LinUcbConfig {
                dims: 3,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(matches!(
            RecommenderSim::new(bad, 1),
            Err(RecommenderError::InvalidParameter {
                name: "policy.dims",
                ..
            })
        ));
        let lin = RecommenderConfig {
            policy: PolicyConfig::LinUcb(LinUcbConfig {
                dims: 4,
                alpha: 0.3,
                ..Default::default()
            }),
            population: PopulationConfig {
                click_model: crate::population::ClickModel {
                    base_popularity_sd: 0.0,
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        };
        let ts = RecommenderConfig {
            policy: fast_ts(),
            ..lin.clone()
        };
        let lin = run(lin, 5, 1500).summary();
        let ts = run(ts, 5, 1500).summary();
        // Preferences are personal: a per-user linear model beats a global per-item rate.
        assert!(
            lin.cumulative_regret < ts.cumulative_regret,
            "{} vs {}",
            lin.cumulative_regret,
            ts.cumulative_regret
        );
    }

    #[test]
    fn guardrails_hold_in_the_full_loop_and_their_metrics_show_it() {
        let eager = PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig {
            epsilon: 0.5,
            ..Default::default()
        });
        let free = run(
            RecommenderConfig {
                policy: eager.clone(),
                ..Default::default()
            },
            8,
            600,
        )
        .summary()
        .guardrails;
        let guarded = run(
            RecommenderConfig {
                policy: eager,
                guardrails: GuardrailConfig {
                    max_exploration_share: Some(0.2),
                    min_distinct_categories: Some(3),
                    max_policy_change_tv: Some(0.1),
                },
                ..Default::default()
            },
            8,
            600,
        )
        .summary()
        .guardrails;
        // Exploration: ε = 0.5 explores far more than the cap unguarded, never more guarded.
        assert!(free.exploration_share > 0.3, "{}", free.exploration_share);
        assert!(guarded.exploration_share <= 0.2 + 1e-12);
        assert!(guarded.cap_binding_decisions > 0);
        // Diversity: every guarded slate spans three categories.
        assert_eq!(guarded.min_distinct_categories_seen, Some(3));
        assert!(free.min_distinct_categories_seen < Some(3));
        assert!(guarded.diversity_restricted_positions > 0);
        // Rate limit: the served top-position distribution never jumps more than δ, except
        // where the cap overrode it.
        assert!(guarded.tv_checked_decisions > 0);
        if guarded.tv_limit_overridden_by_cap == 0 {
            assert!(
                guarded.max_tv_served <= 0.1 + 1e-12,
                "{}",
                guarded.max_tv_served
            );
        }
    }

    #[test]
    fn rate_limit_alone_bounds_every_served_change() {
        let guarded = run(
            RecommenderConfig {
                policy: fast_ts(),
                guardrails: GuardrailConfig {
                    max_policy_change_tv: Some(0.05),
                    ..Default::default()
                },
                population: PopulationConfig {
                    users: 1,
                    ..Default::default()
                },
                ..Default::default()
            },
            9,
            300,
        )
        .summary()
        .guardrails;
        assert!(
            guarded.max_tv_requested > 0.05,
            "{}",
            guarded.max_tv_requested
        );
        assert!(
            guarded.max_tv_served <= 0.05 + 1e-12,
            "{}",
            guarded.max_tv_served
        );
        assert!(guarded.tv_clamped_decisions > 0);
    }

    #[test]
    fn bad_configs_are_typed_errors() {
        for config in [
            RecommenderConfig {
                slate_size: 0,
                ..Default::default()
            },
            RecommenderConfig {
                slate_size: 31,
                ..Default::default()
            },
            RecommenderConfig {
                metrics_window: 0,
                ..Default::default()
            },
        ] {
            assert!(matches!(
                RecommenderSim::new(config, 1),
                Err(RecommenderError::InvalidParameter { .. })
            ));
        }
    }
}
