//! The popularity baseline: always show the arm with the most (effective) reward so far, ties
//! to the lowest index. It never explores, which is exactly what makes it the baseline: it
//! shows how a feedback loop locks in early winners. Deterministic, so propensities are 1.

use super::{
    argmax_eligible, eligible_count, one_hot, ArmStats, Choice, KArmed, Memory, Policy, PolicyKind,
};
use crate::error::Result;
use crate::json::{Members, Writer};
use serde::{Deserialize, Serialize};
use strata_sim::SimRng;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PopularityConfig {
    /// Discounted memory gives a "trending" baseline; a window, "popular lately".
    pub memory: Memory,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Popularity {
    config: PopularityConfig,
    stats: ArmStats,
}

impl Popularity {
    /// Checks a restored state (a checkpoint is outside input): the parameters `new` checks,
    /// and statistics of one consistent shape.
    pub fn validate(&self) -> Result<()> {
        self.stats.check(self.config.memory)?;
        Self::new(self.stats.arms(), self.config.clone()).map(|_| ())
    }

    pub fn new(arms: usize, config: PopularityConfig) -> Result<Popularity> {
        let stats = ArmStats::new(arms, config.memory)?;
        Ok(Popularity { config, stats })
    }

    fn pick(&self, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        argmax_eligible(self.arm_count(), eligible, |a| self.stats.sum(a))
            .ok_or_else(super::no_eligible_arm)
    }
}

impl KArmed for Popularity {
    const KIND: PolicyKind = PolicyKind::Popularity;

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
        self.pick(eligible)
    }
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for PopularityConfig {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("memory").object(&self.memory);
    }
}

impl Members for Popularity {
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
    fn shows_the_most_clicked_arm() {
        let mut p = Popularity::new(3, PopularityConfig::default()).unwrap();
        let ctx = Context::empty();
        let mut rng = SimRng::seed_from_u64(0);
        assert_eq!(p.choose(&ctx, &mut rng).unwrap().arm, 0);
        p.update(&ctx, 2, 1.0).unwrap();
        p.update(&ctx, 1, 1.0).unwrap();
        p.update(&ctx, 1, 0.0).unwrap();
        // Arms 1 and 2 tie at one click: the lower index wins.
        assert_eq!(
            p.choose(&ctx, &mut rng).unwrap(),
            Choice {
                arm: 1,
                propensity: 1.0
            }
        );
        p.update(&ctx, 2, 1.0).unwrap();
        assert_eq!(p.choose(&ctx, &mut rng).unwrap().arm, 2);
        let mask = [true, true, false];
        assert_eq!(p.choose_among(&ctx, Some(&mask), &mut rng).unwrap().arm, 1);
    }
}
