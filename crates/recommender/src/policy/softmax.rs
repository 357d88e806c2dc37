//! Softmax (Boltzmann) exploration: P(a) ∝ exp(value_a / τ) over eligible arms, where value_a
//! is the arm's mean reward (or `initial_value` before its first pull). The propensity is this
//! probability exactly. The maximum is subtracted before exponentiating so that small
//! temperatures stay finite.

use super::{eligible_count, is_eligible, ArmStats, Choice, KArmed, Memory, Policy, PolicyKind};
use crate::error::{require_above, require_finite, Result};
use crate::json::{Members, Writer};
use serde::{Deserialize, Serialize};
use strata_sim::{math, SimRng};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SoftmaxConfig {
    /// Temperature τ > 0: large τ is near uniform, small τ near greedy.
    pub temperature: f64,
    pub initial_value: f64,
    pub memory: Memory,
}

impl Default for SoftmaxConfig {
    fn default() -> Self {
        SoftmaxConfig {
            temperature: 0.1,
            initial_value: 0.0,
            memory: Memory::Stationary,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Softmax {
    config: SoftmaxConfig,
    stats: ArmStats,
}

impl Softmax {
    /// Checks a restored state (a checkpoint is outside input): the parameters `new` checks,
    /// and statistics of one consistent shape.
    pub fn validate(&self) -> Result<()> {
        self.stats.check(self.config.memory)?;
        Self::new(self.stats.arms(), self.config.clone()).map(|_| ())
    }

    pub fn new(arms: usize, config: SoftmaxConfig) -> Result<Softmax> {
        require_above("temperature", config.temperature, 0.0)?;
        require_finite("initial_value", config.initial_value)?;
        let stats = ArmStats::new(arms, config.memory)?;
        Ok(Softmax { config, stats })
    }

    pub fn stats(&self) -> &ArmStats {
        &self.stats
    }

    fn value(&self, arm: usize) -> f64 {
        self.stats.mean(arm).unwrap_or(self.config.initial_value)
    }

    fn distribution(&self, eligible: Option<&[bool]>) -> Result<Vec<f64>> {
        eligible_count(self.arm_count(), eligible)?;
        let arms = self.arm_count();
        // Loops, not `filter`, `map`, `fold` and `collect`, whose instances the page had for
        // these alone; the same values in the same order.
        let mut max_value = f64::NEG_INFINITY;
        for a in 0..arms {
            if is_eligible(eligible, a) {
                max_value = f64::max(max_value, self.value(a));
            }
        }
        let mut weights = Vec::with_capacity(arms);
        for a in 0..arms {
            weights.push(if is_eligible(eligible, a) {
                math::exp((self.value(a) - max_value) / self.config.temperature)
            } else {
                0.0
            });
        }
        let total: f64 = weights.iter().sum();
        for w in &mut weights {
            *w /= total;
        }
        Ok(weights)
    }
}

impl KArmed for Softmax {
    const KIND: PolicyKind = PolicyKind::Softmax;

    fn arm_stats(&self) -> &ArmStats {
        &self.stats
    }
    fn arm_stats_mut(&mut self) -> &mut ArmStats {
        &mut self.stats
    }

    fn choose_arm(&self, eligible: Option<&[bool]>, rng: &mut SimRng) -> Result<Choice> {
        let probabilities = self.distribution(eligible)?;
        let arm = sample(&probabilities, rng);
        Ok(Choice {
            arm,
            propensity: probabilities[arm],
        })
    }

    fn arm_probabilities(&self, eligible: Option<&[bool]>, _rng: &mut SimRng) -> Result<Vec<f64>> {
        self.distribution(eligible)
    }

    fn best_arm(&self, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        super::argmax_eligible(self.arm_count(), eligible, |a| self.value(a))
            .ok_or_else(super::no_eligible_arm)
    }
}

/// Samples an index from a normalised distribution with one uniform draw; rounding residue
/// falls to the last arm with positive probability.
pub(crate) fn sample(probabilities: &[f64], rng: &mut SimRng) -> usize {
    let u = rng.next_f64();
    let mut cumulative = 0.0;
    let mut last_positive = 0;
    for (i, p) in probabilities.iter().enumerate() {
        if *p > 0.0 {
            last_positive = i;
            cumulative += p;
            if u < cumulative {
                return i;
            }
        }
    }
    last_positive
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for SoftmaxConfig {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("temperature").f64(self.temperature);
        writer.key("initial_value").f64(self.initial_value);
        writer.key("memory").object(&self.memory);
    }
}

impl Members for Softmax {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("config").object(&self.config);
        writer.key("stats").object(&self.stats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Context;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn probabilities_by_hand() {
        // Means 1 and 0 at τ = 0.5: weights e² and 1 → e²/(e²+1) ≈ 0.880797.
        let mut p = Softmax::new(
            2,
            SoftmaxConfig {
                temperature: 0.5,
                ..Default::default()
            },
        )
        .unwrap();
        let ctx = Context::empty();
        p.update(&ctx, 0, 1.0).unwrap();
        p.update(&ctx, 1, 0.0).unwrap();
        let mut rng = SimRng::seed_from_u64(3);
        let probs = p.probabilities(&ctx, None, &mut rng).unwrap();
        assert!((probs[0] - 0.880_797_077_977_882_3).abs() < 1e-12);
        assert!((probs[0] + probs[1] - 1.0).abs() < 1e-15);
        let mut zeros = 0;
        for _ in 0..10_000 {
            let c = p.choose(&ctx, &mut rng).unwrap();
            assert_eq!(c.propensity, probs[c.arm]);
            zeros += usize::from(c.arm == 0);
        }
        assert!((zeros as f64 / 10_000.0 - 0.8808).abs() < 0.015);
    }

    #[test]
    fn tiny_temperatures_stay_finite_and_masks_apply() {
        let mut p = Softmax::new(
            3,
            SoftmaxConfig {
                temperature: 1e-6,
                ..Default::default()
            },
        )
        .unwrap();
        let ctx = Context::empty();
        p.update(&ctx, 1, 1.0).unwrap();
        let mut rng = SimRng::seed_from_u64(3);
        assert_eq!(
            p.probabilities(&ctx, None, &mut rng).unwrap(),
            vec![0.0, 1.0, 0.0]
        );
        let mask = [true, false, true];
        let probs = p.probabilities(&ctx, Some(&mask), &mut rng).unwrap();
        assert_eq!(probs, vec![0.5, 0.0, 0.5]);
        assert!(Softmax::new(
            3,
            SoftmaxConfig {
                temperature: 0.0,
                ..Default::default()
            }
        )
        .is_err());
    }
}
