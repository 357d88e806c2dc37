//! ε-greedy with optional decay.
//!
//! With probability ε_t the policy shows a uniformly random eligible arm, otherwise the arm
//! with the highest mean estimate (ties to the lowest index; an arm never pulled is valued at
//! `initial_value`). ε_t = ε / (1 + decay · t), where t is the number of updates so far, so
//! `decay = 0` keeps ε constant. Because the greedy arm is unique, the propensity has the
//! exact closed form ε_t/m + (1 − ε_t)·[a = greedy] over m eligible arms.

use super::{
    argmax_eligible, eligible_count, nth_eligible, ArmStats, Choice, KArmed, Memory, Policy,
    PolicyKind,
};
use crate::error::{require_at_least, require_finite, require_within, Result};
use crate::json::{Members, Writer};
use serde::{Deserialize, Serialize};
use strata_sim::SimRng;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EpsilonGreedyConfig {
    /// Exploration probability at t = 0, in [0, 1].
    pub epsilon: f64,
    /// ε_t = ε / (1 + decay·t); 0 keeps ε fixed.
    pub decay: f64,
    /// The value assumed for an arm never pulled.
    pub initial_value: f64,
    pub memory: Memory,
}

impl Default for EpsilonGreedyConfig {
    fn default() -> Self {
        EpsilonGreedyConfig {
            epsilon: 0.1,
            decay: 0.0,
            initial_value: 0.0,
            memory: Memory::Stationary,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpsilonGreedy {
    config: EpsilonGreedyConfig,
    stats: ArmStats,
}

impl EpsilonGreedy {
    /// Checks a restored state (a checkpoint is outside input): the parameters `new` checks,
    /// and statistics of one consistent shape.
    pub fn validate(&self) -> Result<()> {
        self.stats.check(self.config.memory)?;
        Self::new(self.stats.arms(), self.config.clone()).map(|_| ())
    }

    pub fn new(arms: usize, config: EpsilonGreedyConfig) -> Result<EpsilonGreedy> {
        require_within("epsilon", config.epsilon, 0.0, 1.0)?;
        require_at_least("decay", config.decay, 0.0)?;
        require_finite("initial_value", config.initial_value)?;
        let stats = ArmStats::new(arms, config.memory)?;
        Ok(EpsilonGreedy { config, stats })
    }

    pub fn config(&self) -> &EpsilonGreedyConfig {
        &self.config
    }
    pub fn stats(&self) -> &ArmStats {
        &self.stats
    }

    /// ε after the updates so far.
    pub fn epsilon_now(&self) -> f64 {
        self.config.epsilon / (1.0 + self.config.decay * self.stats.updates() as f64)
    }

    fn value(&self, arm: usize) -> f64 {
        self.stats.mean(arm).unwrap_or(self.config.initial_value)
    }

    fn greedy(&self, eligible: Option<&[bool]>) -> Result<usize> {
        argmax_eligible(self.stats.arms(), eligible, |a| self.value(a))
            .ok_or_else(super::no_eligible_arm)
    }
}

impl KArmed for EpsilonGreedy {
    const KIND: PolicyKind = PolicyKind::EpsilonGreedy;

    fn arm_stats(&self) -> &ArmStats {
        &self.stats
    }
    fn arm_stats_mut(&mut self) -> &mut ArmStats {
        &mut self.stats
    }

    fn choose_arm(&self, eligible: Option<&[bool]>, rng: &mut SimRng) -> Result<Choice> {
        let m = eligible_count(self.arm_count(), eligible)?;
        let greedy = self.greedy(eligible)?;
        let epsilon = self.epsilon_now();
        // Always draw the same numbers, so the random stream advances identically whichever
        // branch is taken.
        let explore = rng.next_f64() < epsilon;
        let pick = rng.index(m);
        let arm = if explore {
            nth_eligible(self.arm_count(), eligible, pick).unwrap_or(greedy)
        } else {
            greedy
        };
        let uniform = epsilon / m as f64;
        let propensity = if arm == greedy {
            uniform + (1.0 - epsilon)
        } else {
            uniform
        };
        Ok(Choice { arm, propensity })
    }

    fn arm_probabilities(&self, eligible: Option<&[bool]>, _rng: &mut SimRng) -> Result<Vec<f64>> {
        let m = eligible_count(self.arm_count(), eligible)?;
        let greedy = self.greedy(eligible)?;
        let epsilon = self.epsilon_now();
        // A loop, not `map` and `collect`, whose instances the page had for this list alone.
        let mut probabilities = Vec::with_capacity(self.arm_count());
        for a in 0..self.arm_count() {
            probabilities.push(if !super::is_eligible(eligible, a) {
                0.0
            } else if a == greedy {
                epsilon / m as f64 + (1.0 - epsilon)
            } else {
                epsilon / m as f64
            });
        }
        Ok(probabilities)
    }

    fn best_arm(&self, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        self.greedy(eligible)
    }
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for EpsilonGreedyConfig {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("epsilon").f64(self.epsilon);
        writer.key("decay").f64(self.decay);
        writer.key("initial_value").f64(self.initial_value);
        writer.key("memory").object(&self.memory);
    }
}

impl Members for EpsilonGreedy {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("config").object(&self.config);
        writer.key("stats").object(&self.stats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RecommenderError;
    use crate::policy::Context;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn policy(epsilon: f64, decay: f64) -> EpsilonGreedy {
        EpsilonGreedy::new(
            4,
            EpsilonGreedyConfig {
                epsilon,
                decay,
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn propensities_match_the_closed_form() {
        let mut p = policy(0.2, 0.0);
        let ctx = Context::empty();
        p.update(&ctx, 2, 1.0).unwrap();
        p.update(&ctx, 1, 0.0).unwrap();
        let mut rng = SimRng::seed_from_u64(1);
        let probs = p.probabilities(&ctx, None, &mut rng).unwrap();
        // Greedy arm 2: 0.2/4 + 0.8 = 0.85; the others 0.05.
        let expected = [0.05, 0.05, 0.85, 0.05];
        for (got, want) in probs.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{probs:?}");
        }
        for _ in 0..200 {
            let c = p.choose(&ctx, &mut rng).unwrap();
            assert_eq!(c.propensity, probs[c.arm]);
        }
        // Restricted to arms {0, 1}: both unpulled-or-zero mean 0, greedy is 0.
        let mask = [true, true, false, false];
        let probs = p.probabilities(&ctx, Some(&mask), &mut rng).unwrap();
        let expected = [0.9, 0.1, 0.0, 0.0];
        for (got, want) in probs.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{probs:?}");
        }
    }

    #[test]
    fn empirical_frequencies_follow_the_propensities() {
        let p = policy(0.4, 0.0);
        let ctx = Context::empty();
        let mut rng = SimRng::seed_from_u64(7);
        let mut counts = [0u32; 4];
        let n = 20_000;
        for _ in 0..n {
            counts[p.choose(&ctx, &mut rng).unwrap().arm] += 1;
        }
        // Greedy arm 0 (all values tie at 0): 0.1 + 0.6 = 0.7, others 0.1.
        assert!((f64::from(counts[0]) / f64::from(n) - 0.7).abs() < 0.015);
        assert!((f64::from(counts[3]) / f64::from(n) - 0.1).abs() < 0.01);
    }

    #[test]
    fn epsilon_decays_as_configured() {
        let mut p = policy(0.5, 1.0);
        assert_eq!(p.epsilon_now(), 0.5);
        for _ in 0..3 {
            p.update(&Context::empty(), 0, 1.0).unwrap();
        }
        assert_eq!(p.epsilon_now(), 0.125);
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for (eps, decay) in [(-0.1, 0.0), (1.1, 0.0), (f64::NAN, 0.0), (0.1, -1.0)] {
            let made = EpsilonGreedy::new(
                3,
                EpsilonGreedyConfig {
                    epsilon: eps,
                    decay,
                    ..Default::default()
                },
            );
            assert!(matches!(
                made,
                Err(RecommenderError::InvalidParameter { .. })
            ));
        }
    }
}
