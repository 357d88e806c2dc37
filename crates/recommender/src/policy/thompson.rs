//! Thompson sampling with a Beta–Bernoulli model.
//!
//! Each arm's reward rate has a Beta(α₀ + S_a, β₀ + F_a) posterior, where S_a is the arm's
//! (effective) reward sum and F_a = n_a − S_a; rewards must lie in [0, 1] (a fractional reward
//! counts as a fractional success). To choose, draw θ_a from each eligible arm's posterior in
//! index order and play the argmax (ties to the lowest index). With discounted memory this is
//! discounted Thompson sampling; with a sliding window, the posterior of the window.
//!
//! **Propensity.** P(argmax = a) has no closed form, so it is estimated by Monte Carlo: after
//! the decision draw, one more u64 from the stream seeds a private generator, which draws M
//! (`propensity_draws`) further independent θ vectors; the estimate is
//! (1 + wins_a) / (M + 1), i.e. the decision draw counts as one of M + 1 samples. This is never
//! zero for the arm shown (so inverse-propensity weights stay finite) and is within 1/(M + 1)
//! of the unbiased frequency. `select_among` draws the same numbers and skips the M draws, so
//! it picks the same arm from the same stream.

use super::{
    argmax_eligible, eligible_count, is_eligible, ArmStats, ArmSummary, Choice, KArmed, Memory,
    Policy, PolicyKind,
};
use crate::error::{require_above, RecommenderError, Result};
use crate::json::{Members, Writer};
use crate::stats::BetaSummary;
use serde::{Deserialize, Serialize};
use strata_sim::fmt::shortest;
use strata_sim::SimRng;

/// The most Monte-Carlo draws a propensity estimate may take: bounds the cost of a decision.
pub const MAX_PROPENSITY_DRAWS: u32 = 100_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThompsonConfig {
    /// Prior successes α₀ > 0.
    pub prior_alpha: f64,
    /// Prior failures β₀ > 0.
    pub prior_beta: f64,
    /// M, the Monte-Carlo draws behind each propensity estimate (1 ≤ M ≤ 100,000).
    pub propensity_draws: u32,
    pub memory: Memory,
}

impl Default for ThompsonConfig {
    fn default() -> Self {
        ThompsonConfig {
            prior_alpha: 1.0,
            prior_beta: 1.0,
            propensity_draws: 100,
            memory: Memory::Stationary,
        }
    }
}

pub(crate) fn check_propensity_draws(draws: u32) -> Result<()> {
    if draws == 0 || draws > MAX_PROPENSITY_DRAWS {
        return Err(RecommenderError::param(
            "propensity_draws",
            draws,
            format!("must lie in [1, {MAX_PROPENSITY_DRAWS}]"),
        ));
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thompson {
    config: ThompsonConfig,
    stats: ArmStats,
}

impl Thompson {
    /// Checks a restored state (a checkpoint is outside input): the parameters `new` checks,
    /// and statistics of one consistent shape.
    pub fn validate(&self) -> Result<()> {
        self.stats.check(self.config.memory)?;
        Self::new(self.stats.arms(), self.config.clone()).map(|_| ())
    }

    pub fn new(arms: usize, config: ThompsonConfig) -> Result<Thompson> {
        require_above("prior_alpha", config.prior_alpha, 0.0)?;
        require_above("prior_beta", config.prior_beta, 0.0)?;
        check_propensity_draws(config.propensity_draws)?;
        let stats = ArmStats::new(arms, config.memory)?;
        Ok(Thompson { config, stats })
    }

    pub fn stats(&self) -> &ArmStats {
        &self.stats
    }

    /// The Beta posterior parameters of `arm`.
    pub fn posterior(&self, arm: usize) -> (f64, f64) {
        let successes = self.stats.sum(arm).max(0.0);
        let failures = (self.stats.count(arm) - successes).max(0.0);
        (
            self.config.prior_alpha + successes,
            self.config.prior_beta + failures,
        )
    }

    /// One posterior draw per eligible arm, returning the argmax.
    fn draw_argmax(&self, eligible: Option<&[bool]>, rng: &mut SimRng) -> Option<usize> {
        let arms = self.arm_count();
        let mut best: Option<(usize, f64)> = None;
        for arm in 0..arms {
            if !is_eligible(eligible, arm) {
                continue;
            }
            let (a, b) = self.posterior(arm);
            let theta = rng.beta(a, b);
            match best {
                Some((_, value)) if theta <= value => {}
                _ => best = Some((arm, theta)),
            }
        }
        best.map(|(arm, _)| arm)
    }

    /// Win counts of each arm over `draws` independent posterior draws.
    fn win_counts(&self, eligible: Option<&[bool]>, seed: u64, draws: u32) -> Vec<u32> {
        let mut private = SimRng::seed_from_u64(seed);
        let mut wins = vec![0u32; self.arm_count()];
        for _ in 0..draws {
            if let Some(arm) = self.draw_argmax(eligible, &mut private) {
                wins[arm] += 1;
            }
        }
        wins
    }
}

impl KArmed for Thompson {
    const KIND: PolicyKind = PolicyKind::Thompson;

    fn arm_stats(&self) -> &ArmStats {
        &self.stats
    }
    fn arm_stats_mut(&mut self) -> &mut ArmStats {
        &mut self.stats
    }

    fn choose_arm(&self, eligible: Option<&[bool]>, rng: &mut SimRng) -> Result<Choice> {
        eligible_count(self.arm_count(), eligible)?;
        let arm = self
            .draw_argmax(eligible, rng)
            .ok_or_else(super::no_eligible_arm)?;
        let seed = rng.next_u64();
        let draws = self.config.propensity_draws;
        let wins = self.win_counts(eligible, seed, draws);
        let propensity = (1.0 + f64::from(wins[arm])) / (1.0 + f64::from(draws));
        Ok(Choice { arm, propensity })
    }

    fn select_arm(&self, eligible: Option<&[bool]>, rng: &mut SimRng) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        let arm = self
            .draw_argmax(eligible, rng)
            .ok_or_else(super::no_eligible_arm)?;
        // Keep the stream in step with `choose_among`.
        let _propensity_seed = rng.next_u64();
        Ok(arm)
    }

    /// The Monte-Carlo estimate wins_a / M (zero is possible for an arm never drawn).
    fn arm_probabilities(&self, eligible: Option<&[bool]>, rng: &mut SimRng) -> Result<Vec<f64>> {
        eligible_count(self.arm_count(), eligible)?;
        let draws = self.config.propensity_draws;
        let wins = self.win_counts(eligible, rng.next_u64(), draws);
        // A loop, not `map` and `collect`, whose instance the page had for this list alone.
        let mut probabilities = Vec::with_capacity(wins.len());
        for w in &wins {
            probabilities.push(f64::from(*w) / f64::from(draws));
        }
        Ok(probabilities)
    }

    fn best_arm(&self, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        argmax_eligible(self.arm_count(), eligible, |a| {
            let (alpha, beta) = self.posterior(a);
            alpha / (alpha + beta)
        })
        .ok_or_else(super::no_eligible_arm)
    }

    fn accept_reward(&self, reward: f64) -> Result<()> {
        if !(0.0..=1.0).contains(&reward) {
            return Err(RecommenderError::InvalidCall(format!(
                "Beta–Bernoulli Thompson sampling needs rewards in [0, 1], got {}",
                shortest(reward)
            )));
        }
        Ok(())
    }

    /// The policy's own posterior (prior and memory included), with the raw pull counts.
    fn summaries(&self) -> Vec<ArmSummary> {
        // A loop, not `map` and `collect`, whose instances the page had for this list alone.
        let mut summaries = Vec::with_capacity(self.arm_count());
        for arm in 0..self.arm_count() {
            let (a, b) = self.posterior(arm);
            let posterior = BetaSummary::new(a, b);
            summaries.push(ArmSummary {
                arm,
                pulls: self.stats.pulls()[arm],
                reward_total: self.stats.reward_totals()[arm],
                posterior_mean: posterior.mean,
                ci95_low: posterior.ci95_low,
                ci95_high: posterior.ci95_high,
            });
        }
        summaries
    }
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for ThompsonConfig {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("prior_alpha").f64(self.prior_alpha);
        writer.key("prior_beta").f64(self.prior_beta);
        writer
            .key("propensity_draws")
            .u64(u64::from(self.propensity_draws));
        writer.key("memory").object(&self.memory);
    }
}

impl Members for Thompson {
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

    fn trained() -> Thompson {
        let mut p = Thompson::new(3, ThompsonConfig::default()).unwrap();
        let ctx = Context::empty();
        // Arm 0: 2/10, arm 1: 6/10, arm 2: 5/10.
        for (arm, successes) in [(0, 2), (1, 6), (2, 5)] {
            for i in 0..10 {
                p.update(&ctx, arm, if i < successes { 1.0 } else { 0.0 })
                    .unwrap();
            }
        }
        p
    }

    #[test]
    fn posterior_by_hand() {
        let p = trained();
        assert_eq!(p.posterior(1), (7.0, 5.0));
        let summary = p.arm_summaries();
        assert_eq!(summary[1].pulls, 10);
        assert!((summary[1].posterior_mean - 7.0 / 12.0).abs() < 1e-15);
        assert_eq!(p.greedy_arm(&Context::empty(), None).unwrap(), 1);
    }

    #[test]
    fn propensity_estimates_track_choice_frequencies() {
        let p = trained();
        let ctx = Context::empty();
        let mut rng = SimRng::seed_from_u64(5);
        let n = 4000;
        let mut counts = [0u32; 3];
        let mut propensity_sums = [0.0; 3];
        for _ in 0..n {
            let c = p.choose(&ctx, &mut rng).unwrap();
            assert!(c.propensity > 0.0 && c.propensity <= 1.0);
            counts[c.arm] += 1;
            propensity_sums[c.arm] += c.propensity;
        }
        let probabilities = p.probabilities(&ctx, None, &mut rng).unwrap();
        for arm in 0..3 {
            let frequency = f64::from(counts[arm]) / f64::from(n);
            assert!((frequency - probabilities[arm]).abs() < 0.1, "arm {arm}");
            if counts[arm] > 100 {
                let mean_propensity = propensity_sums[arm] / f64::from(counts[arm]);
                // The mean propensity of a shown arm is near its frequency (plus the M+1 shrink).
                assert!((mean_propensity - frequency).abs() < 0.1, "arm {arm}");
            }
        }
    }

    #[test]
    fn select_matches_choose_on_the_same_stream() {
        let p = trained();
        let ctx = Context::empty();
        let mut a = SimRng::seed_from_u64(9);
        let mut b = SimRng::seed_from_u64(9);
        for _ in 0..100 {
            assert_eq!(
                p.choose(&ctx, &mut a).unwrap().arm,
                p.select_among(&ctx, None, &mut b).unwrap()
            );
        }
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_bad_rewards_and_parameters() {
        let mut p = trained();
        assert!(p.update(&Context::empty(), 0, 1.5).is_err());
        assert!(Thompson::new(
            2,
            ThompsonConfig {
                prior_alpha: 0.0,
                ..Default::default()
            }
        )
        .is_err());
        assert!(Thompson::new(
            2,
            ThompsonConfig {
                propensity_draws: 0,
                ..Default::default()
            }
        )
        .is_err());
    }
}
