//! The scenario's recommender section, turned into the recommender crate's configuration:
//! the policy, the population and its drift, the guardrails, and where the loop logs.
//!
//! Times in the scenario are milliseconds; the recommender counts steps (one slate per
//! step), so drift times are converted at `slates_per_sec`. The runner ([`crate::runner`])
//! drives the recommender crate's `RecommenderLoop` with this plan and attaches it to
//! whichever writer is up.

use crate::scenario::{DriftSpec, RecommenderSpec};
use serde::{Deserialize, Serialize};
use strata_recommender::guardrails::GuardrailConfig;
use strata_recommender::log::LogConfig;
use strata_recommender::policy::{
    EpsilonGreedyConfig, KlUcbConfig, LinTsConfig, LinUcbConfig, Memory, PopularityConfig,
    SoftmaxConfig, ThompsonConfig, Ucb1Config,
};
use strata_recommender::population::{DriftConfig, FeedbackConfig, PopulationConfig};
use strata_recommender::simulation::RecommenderConfig;
use strata_recommender::{PolicyConfig, PolicyKind, RecommenderError};
use strata_sim::SimDuration;

/// Where the loop writes in the engine: after every workload key
/// ([`crate::workload::KeySpace::end`]), so the two never mix.
pub const LOG_PREFIX: &str = "recommender";

/// Everything the runner needs to start the loop.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopPlan {
    pub config: RecommenderConfig,
    pub log: LogConfig,
    /// Whether anything is written to the engine at all.
    pub logging: bool,
    /// Slates shown per simulated second.
    pub slates_per_sec: f64,
    /// Simulated time between slates.
    pub interval: SimDuration,
}

/// The step a scenario time falls on.
fn step_at(ms: u64, slates_per_sec: f64) -> u64 {
    (ms as f64 / 1000.0 * slates_per_sec).floor() as u64
}

fn policy_config(spec: &RecommenderSpec) -> PolicyConfig {
    let policy = &spec.policy;
    let memory = match (policy.discount, policy.window) {
        (Some(gamma), _) if gamma < 1.0 => Memory::Discounted { gamma },
        (_, Some(window)) => Memory::SlidingWindow { window },
        _ => Memory::Stationary,
    };
    let dims = spec.population.dims as usize;
    match policy.name {
        PolicyKind::EpsilonGreedy => {
            let defaults = EpsilonGreedyConfig::default();
            PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig {
                epsilon: policy.epsilon.unwrap_or(defaults.epsilon),
                memory,
                ..defaults
            })
        }
        PolicyKind::Softmax => {
            let defaults = SoftmaxConfig::default();
            PolicyConfig::Softmax(SoftmaxConfig {
                temperature: policy.tau.unwrap_or(defaults.temperature),
                memory,
                ..defaults
            })
        }
        PolicyKind::Ucb1 => PolicyConfig::Ucb1(Ucb1Config {
            alpha: policy.alpha.unwrap_or(1.0),
            memory,
        }),
        PolicyKind::KlUcb => PolicyConfig::KlUcb(KlUcbConfig {
            memory,
            ..KlUcbConfig::default()
        }),
        PolicyKind::LinUcb => {
            let defaults = LinUcbConfig::default();
            PolicyConfig::LinUcb(LinUcbConfig {
                dims,
                alpha: policy.alpha.unwrap_or(defaults.alpha),
                ..defaults
            })
        }
        PolicyKind::LinTs => {
            let defaults = LinTsConfig::default();
            PolicyConfig::LinTs(LinTsConfig {
                dims,
                alpha: policy.alpha.unwrap_or(defaults.alpha),
                ..defaults
            })
        }
        PolicyKind::Popularity => PolicyConfig::Popularity(PopularityConfig { memory }),
        PolicyKind::Thompson => PolicyConfig::Thompson(ThompsonConfig {
            memory,
            ..ThompsonConfig::default()
        }),
    }
}

/// Maps a validated recommender section onto the recommender crate's types.
pub fn plan(spec: &RecommenderSpec) -> Result<LoopPlan, RecommenderError> {
    let population = &spec.population;
    let rate = population.slates_per_sec;
    let mut drift = DriftConfig::default();
    for change in &spec.drift {
        match change {
            DriftSpec::Abrupt { at_ms } => drift.abrupt_at.push(step_at(*at_ms, rate)),
            DriftSpec::Gradual {
                from_ms,
                until_ms,
                degrees,
            } => {
                let from = step_at(*from_ms, rate);
                let until = step_at(*until_ms, rate).max(from + 1);
                let radians = degrees * std::f64::consts::PI / 180.0;
                drift.rotation_from_step = from;
                drift.rotation_until_step = Some(until);
                drift.rotation_per_step = radians / (until - from) as f64;
            }
        }
    }
    let mut population_config = PopulationConfig {
        users: population.users as usize,
        items: population.items as usize,
        dims: population.dims as usize,
        categories: population.categories as usize,
        feedback: FeedbackConfig {
            gain: population.feedback_gain,
        },
        drift,
        shared_taste: population.shared_taste,
        ..PopulationConfig::default()
    };
    if let Some(bias) = &population.position_bias {
        population_config.click_model.position_bias = bias.clone();
    }
    let config = RecommenderConfig {
        population: population_config,
        policy: policy_config(spec),
        slate_size: population.slate_size as usize,
        guardrails: GuardrailConfig {
            max_exploration_share: spec.guardrails.max_exploration_share,
            min_distinct_categories: spec.guardrails.min_distinct_categories.map(|n| n as usize),
            max_policy_change_tv: spec.guardrails.max_policy_change,
        },
        ..RecommenderConfig::default()
    };
    let log = LogConfig {
        prefix: LOG_PREFIX.to_string(),
        log_impressions: spec.log.log_impressions,
        checkpoint_every: spec.log.checkpoint_every,
        durable_writes: spec.log.durable_writes,
        ..LogConfig::default()
    };
    log.validate()?;
    Ok(LoopPlan {
        config,
        logging: spec.log.log_impressions || spec.log.checkpoint_every > 0,
        log,
        slates_per_sec: rate,
        interval: SimDuration::from_secs_f64(1.0 / rate),
    })
}

/// The recommender's part of a run summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecommenderReport {
    pub policy: String,
    pub steps: u64,
    pub impressions: u64,
    pub clicks: u64,
    pub ctr: f64,
    pub cumulative_regret: f64,
    pub catalogue_coverage: f64,
    pub exposure_gini: f64,
    pub policy_version: u64,
    pub exploration_share: f64,
    pub impressions_logged: u64,
    pub checkpoints_written: u64,
    /// Steps whose log write failed (the writer was down or fenced, the store failing).
    pub log_failures: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{GuardrailSpec, LogSpec, PolicySpec, PopulationSpec};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn spec(name: PolicyKind) -> RecommenderSpec {
        RecommenderSpec {
            policy: PolicySpec {
                name,
                alpha: Some(2.0),
                epsilon: Some(0.2),
                tau: Some(0.5),
                discount: None,
                window: Some(100),
            },
            population: PopulationSpec {
                slates_per_sec: 10.0,
                ..PopulationSpec::default()
            },
            drift: vec![
                DriftSpec::Abrupt { at_ms: 2500 },
                DriftSpec::Gradual {
                    from_ms: 1000,
                    until_ms: 3000,
                    degrees: 90.0,
                },
            ],
            guardrails: GuardrailSpec {
                max_exploration_share: Some(0.3),
                min_distinct_categories: Some(2),
                max_policy_change: Some(0.5),
            },
            log: LogSpec::default(),
        }
    }

    #[test]
    fn policies_take_their_parameters() {
        let plan = plan(&spec(PolicyKind::EpsilonGreedy)).unwrap();
        assert_eq!(
            plan.config.policy,
            PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig {
                epsilon: 0.2,
                memory: Memory::SlidingWindow { window: 100 },
                ..EpsilonGreedyConfig::default()
            })
        );
        match plan_policy(PolicyKind::Ucb1) {
            PolicyConfig::Ucb1(c) => assert_eq!(c.alpha, 2.0),
            other => panic!("{other:?}"),
        }
        match plan_policy(PolicyKind::LinUcb) {
            PolicyConfig::LinUcb(c) => assert_eq!((c.dims, c.alpha), (4, 2.0)),
            other => panic!("{other:?}"),
        }
        match plan_policy(PolicyKind::Softmax) {
            PolicyConfig::Softmax(c) => assert_eq!(c.temperature, 0.5),
            other => panic!("{other:?}"),
        }
    }

    fn plan_policy(name: PolicyKind) -> PolicyConfig {
        plan(&spec(name)).unwrap().config.policy
    }

    #[test]
    fn the_log_sorts_after_every_workload_key() {
        assert!(crate::workload::KeySpace::end() <= LOG_PREFIX.as_bytes().to_vec());
    }

    #[test]
    fn drift_times_become_steps_at_the_slate_rate() {
        let plan = plan(&spec(PolicyKind::Thompson)).unwrap();
        let drift = &plan.config.population.drift;
        // 10 slates per second: 2.5 s is step 25; 1 s to 3 s is steps 10 to 30.
        assert_eq!(drift.abrupt_at, vec![25]);
        assert_eq!(drift.rotation_from_step, 10);
        assert_eq!(drift.rotation_until_step, Some(30));
        let quarter_turn = std::f64::consts::FRAC_PI_2;
        assert!((drift.rotation_per_step * 20.0 - quarter_turn).abs() < 1e-12);
        assert_eq!(plan.interval, SimDuration::from_millis(100));
        assert_eq!(plan.config.guardrails.min_distinct_categories, Some(2));
        assert_eq!(plan.log.prefix, LOG_PREFIX);
    }
}
