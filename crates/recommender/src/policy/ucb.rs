//! Optimism in the face of uncertainty: UCB1 and KL-UCB. Both are deterministic given their
//! state, so the propensity of the chosen arm is exactly 1.
//!
//! **UCB1** (Auer, Cesa-Bianchi & Fischer 2002), exactly: first play every arm once, in index
//! order; then play argmax_a `mean_a + α·sqrt(2·ln N / n_a)` where N is the total number of
//! pulls, n_a the arm's pulls and `mean_a = sum_a / n_a`; ties go to the lowest index. α = 1 is
//! the textbook rule. With discounted or sliding-window memory, N and n_a are the effective
//! (discounted or in-window) counts, which gives discounted UCB and sliding-window UCB; an arm
//! forgotten by the window is played again first.
//!
//! **KL-UCB** (Garivier & Cappé 2011) for rewards in [0, 1]: after one pull of each arm, play
//! argmax_a of the largest q in [mean_a, 1] with `n_a·KL(mean_a, q) ≤ ln N + c·ln ln N`
//! (the c term is dropped while ln N < 1, where ln ln N is not positive). q is found by 50
//! bisection steps, a fixed count so that results are bit-identical everywhere.

use super::{
    argmax_eligible, eligible_count, is_eligible, one_hot, ArmStats, Choice, KArmed, Memory,
    Policy, PolicyKind,
};
use crate::error::{require_at_least, RecommenderError, Result};
use crate::json::{Members, Writer};
use crate::stats::bernoulli_kl;
use serde::{Deserialize, Serialize};
use strata_sim::fmt::shortest;
use strata_sim::{math, SimRng};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ucb1Config {
    /// Scale of the exploration bonus, α ≥ 0 (1 is the textbook rule).
    pub alpha: f64,
    pub memory: Memory,
}

impl Default for Ucb1Config {
    fn default() -> Self {
        Ucb1Config {
            alpha: 1.0,
            memory: Memory::Stationary,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ucb1 {
    config: Ucb1Config,
    stats: ArmStats,
}

/// The first eligible arm without (remembered) pulls.
fn first_unplayed(stats: &ArmStats, eligible: Option<&[bool]>) -> Option<usize> {
    (0..stats.arms()).find(|a| is_eligible(eligible, *a) && stats.count(*a) <= 0.0)
}

impl Ucb1 {
    /// Checks a restored state (a checkpoint is outside input): the parameters `new` checks,
    /// and statistics of one consistent shape.
    pub fn validate(&self) -> Result<()> {
        self.stats.check(self.config.memory)?;
        Self::new(self.stats.arms(), self.config.clone()).map(|_| ())
    }

    pub fn new(arms: usize, config: Ucb1Config) -> Result<Ucb1> {
        require_at_least("alpha", config.alpha, 0.0)?;
        let stats = ArmStats::new(arms, config.memory)?;
        Ok(Ucb1 { config, stats })
    }

    pub fn stats(&self) -> &ArmStats {
        &self.stats
    }

    /// The UCB1 index of a pulled arm.
    pub fn index(&self, arm: usize) -> Option<f64> {
        let count = self.stats.count(arm);
        if count <= 0.0 {
            return None;
        }
        let mean = self.stats.sum(arm) / count;
        Some(mean + self.config.alpha * ((2.0 * math::ln(self.stats.total())) / count).sqrt())
    }

    fn pick(&self, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        if let Some(arm) = first_unplayed(&self.stats, eligible) {
            return Ok(arm);
        }
        argmax_eligible(self.arm_count(), eligible, |a| {
            self.index(a).unwrap_or(f64::INFINITY)
        })
        .ok_or_else(super::no_eligible_arm)
    }
}

impl KArmed for Ucb1 {
    const KIND: PolicyKind = PolicyKind::Ucb1;

    fn arm_stats(&self) -> &ArmStats {
        &self.stats
    }
    fn arm_stats_mut(&mut self) -> &mut ArmStats {
        &mut self.stats
    }

    fn choose_arm(&self, eligible: Option<&[bool]>, _rng: &mut SimRng) -> Result<Choice> {
        Ok(Choice {
            arm: self.pick(eligible)?,
            propensity: 1.0,
        })
    }
    fn arm_probabilities(&self, eligible: Option<&[bool]>, _rng: &mut SimRng) -> Result<Vec<f64>> {
        Ok(one_hot(self.arm_count(), self.pick(eligible)?))
    }
    fn best_arm(&self, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        argmax_eligible(self.arm_count(), eligible, |a| {
            self.stats.mean(a).unwrap_or(f64::NEG_INFINITY)
        })
        .ok_or_else(super::no_eligible_arm)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KlUcbConfig {
    /// The c in `ln N + c·ln ln N`; 0 is the usual practical choice, 3 the one with proofs.
    pub c: f64,
    pub memory: Memory,
}

impl Default for KlUcbConfig {
    fn default() -> Self {
        KlUcbConfig {
            c: 0.0,
            memory: Memory::Stationary,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KlUcb {
    config: KlUcbConfig,
    stats: ArmStats,
}

/// The largest q in [mean, 1] with count·KL(mean, q) ≤ budget, by 50 bisection steps.
pub fn kl_upper_bound(mean: f64, count: f64, budget: f64) -> f64 {
    let mean = mean.clamp(0.0, 1.0);
    if budget <= 0.0 || count <= 0.0 {
        return mean;
    }
    let (mut low, mut high) = (mean, 1.0);
    for _ in 0..50 {
        let mid = 0.5 * (low + high);
        if count * bernoulli_kl(mean, mid) <= budget {
            low = mid;
        } else {
            high = mid;
        }
    }
    low
}

impl KlUcb {
    /// Checks a restored state (a checkpoint is outside input): the parameters `new` checks,
    /// and statistics of one consistent shape.
    pub fn validate(&self) -> Result<()> {
        self.stats.check(self.config.memory)?;
        Self::new(self.stats.arms(), self.config.clone()).map(|_| ())
    }

    pub fn new(arms: usize, config: KlUcbConfig) -> Result<KlUcb> {
        require_at_least("c", config.c, 0.0)?;
        let stats = ArmStats::new(arms, config.memory)?;
        Ok(KlUcb { config, stats })
    }

    pub fn stats(&self) -> &ArmStats {
        &self.stats
    }

    /// The exploration budget ln N + c·ln ln N.
    fn budget(&self) -> f64 {
        let ln_n = math::ln(self.stats.total());
        if ln_n >= 1.0 {
            ln_n + self.config.c * math::ln(ln_n)
        } else {
            ln_n
        }
    }

    pub fn index(&self, arm: usize) -> Option<f64> {
        let count = self.stats.count(arm);
        let mean = self.stats.mean(arm)?;
        Some(kl_upper_bound(mean, count, self.budget()))
    }

    fn pick(&self, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        if let Some(arm) = first_unplayed(&self.stats, eligible) {
            return Ok(arm);
        }
        argmax_eligible(self.arm_count(), eligible, |a| {
            self.index(a).unwrap_or(f64::INFINITY)
        })
        .ok_or_else(super::no_eligible_arm)
    }
}

impl KArmed for KlUcb {
    const KIND: PolicyKind = PolicyKind::KlUcb;

    fn arm_stats(&self) -> &ArmStats {
        &self.stats
    }
    fn arm_stats_mut(&mut self) -> &mut ArmStats {
        &mut self.stats
    }

    fn choose_arm(&self, eligible: Option<&[bool]>, _rng: &mut SimRng) -> Result<Choice> {
        Ok(Choice {
            arm: self.pick(eligible)?,
            propensity: 1.0,
        })
    }
    fn arm_probabilities(&self, eligible: Option<&[bool]>, _rng: &mut SimRng) -> Result<Vec<f64>> {
        Ok(one_hot(self.arm_count(), self.pick(eligible)?))
    }
    fn best_arm(&self, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        argmax_eligible(self.arm_count(), eligible, |a| {
            self.stats.mean(a).unwrap_or(f64::NEG_INFINITY)
        })
        .ok_or_else(super::no_eligible_arm)
    }
    fn accept_reward(&self, reward: f64) -> Result<()> {
        if !(0.0..=1.0).contains(&reward) {
            return Err(RecommenderError::InvalidCall(format!(
                "KL-UCB needs rewards in [0, 1], got {}",
                shortest(reward)
            )));
        }
        Ok(())
    }
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for Ucb1Config {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("alpha").f64(self.alpha);
        writer.key("memory").object(&self.memory);
    }
}

impl Members for Ucb1 {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("config").object(&self.config);
        writer.key("stats").object(&self.stats);
    }
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for KlUcbConfig {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("c").f64(self.c);
        writer.key("memory").object(&self.memory);
    }
}

impl Members for KlUcb {
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
    fn ucb1_plays_each_arm_once_in_index_order_then_follows_the_rule() {
        let mut p = Ucb1::new(3, Ucb1Config::default()).unwrap();
        let ctx = Context::empty();
        let mut rng = SimRng::seed_from_u64(0);
        let rewards = [0.0, 1.0, 0.0];
        for expected in 0..3 {
            let c = p.choose(&ctx, &mut rng).unwrap();
            assert_eq!((c.arm, c.propensity), (expected, 1.0));
            p.update(&ctx, c.arm, rewards[c.arm]).unwrap();
        }
        // N = 3, each n = 1: indices 0 + sqrt(2 ln 3), 1 + sqrt(2 ln 3), 0 + sqrt(2 ln 3).
        let bonus = (2.0 * math::ln(3.0)).sqrt();
        assert_eq!(p.index(0), Some(bonus));
        assert_eq!(p.index(1), Some(1.0 + bonus));
        assert_eq!(p.choose(&ctx, &mut rng).unwrap().arm, 1);
        p.update(&ctx, 1, 0.0).unwrap();
        // N = 4; arm 1: 1/2 + sqrt(2 ln 4 / 2) = 0.5 + 1.1774 = 1.677; arms 0, 2: sqrt(2 ln 4) = 1.665.
        assert_eq!(p.choose(&ctx, &mut rng).unwrap().arm, 1);
        p.update(&ctx, 1, 0.0).unwrap();
        // N = 5; arm 1: 1/3 + sqrt(2 ln 5 / 3) = 1.3691; arm 0: sqrt(2 ln 5) = 1.794, ties with 2 → 0.
        assert_eq!(p.choose(&ctx, &mut rng).unwrap().arm, 0);
    }

    #[test]
    fn ucb1_alpha_zero_is_greedy_and_negative_alpha_is_rejected() {
        let mut p = Ucb1::new(
            2,
            Ucb1Config {
                alpha: 0.0,
                ..Default::default()
            },
        )
        .unwrap();
        let ctx = Context::empty();
        p.update(&ctx, 0, 0.2).unwrap();
        p.update(&ctx, 1, 0.3).unwrap();
        let mut rng = SimRng::seed_from_u64(0);
        for _ in 0..5 {
            assert_eq!(p.choose(&ctx, &mut rng).unwrap().arm, 1);
        }
        assert!(Ucb1::new(
            2,
            Ucb1Config {
                alpha: -1.0,
                ..Default::default()
            }
        )
        .is_err());
    }

    #[test]
    fn sliding_window_ucb_replays_forgotten_arms() {
        let config = Ucb1Config {
            alpha: 1.0,
            memory: Memory::SlidingWindow { window: 2 },
        };
        let mut p = Ucb1::new(3, config).unwrap();
        let ctx = Context::empty();
        p.update(&ctx, 0, 1.0).unwrap();
        p.update(&ctx, 1, 1.0).unwrap();
        p.update(&ctx, 2, 1.0).unwrap();
        // Arm 0 fell out of the window: it is played again first.
        let mut rng = SimRng::seed_from_u64(0);
        assert_eq!(p.choose(&ctx, &mut rng).unwrap().arm, 0);
    }

    #[test]
    fn kl_upper_bound_solves_the_constraint() {
        // mean 0.5, n = 10, budget ln 100: the bound q satisfies 10·KL(0.5, q) = ln 100.
        let budget = math::ln(100.0);
        let q = kl_upper_bound(0.5, 10.0, budget);
        assert!((10.0 * bernoulli_kl(0.5, q) - budget).abs() < 1e-9);
        assert!(q > 0.5 && q < 1.0);
        assert_eq!(kl_upper_bound(0.3, 5.0, 0.0), 0.3);
        // A tighter bound with more pulls.
        assert!(kl_upper_bound(0.5, 100.0, budget) < q);
    }

    #[test]
    fn klucb_prefers_the_better_arm_eventually() {
        let mut p = KlUcb::new(2, KlUcbConfig::default()).unwrap();
        let ctx = Context::empty();
        let mut rng = SimRng::seed_from_u64(11);
        let means = [0.2, 0.8];
        let mut pulls = [0u32; 2];
        for _ in 0..2000 {
            let c = p.choose(&ctx, &mut rng).unwrap();
            assert_eq!(c.propensity, 1.0);
            let reward = if rng.bernoulli(means[c.arm]) {
                1.0
            } else {
                0.0
            };
            p.update(&ctx, c.arm, reward).unwrap();
            pulls[c.arm] += 1;
        }
        assert!(pulls[1] > 1900, "pulls {pulls:?}");
        assert!(p.update(&ctx, 0, 2.0).is_err());
    }
}
