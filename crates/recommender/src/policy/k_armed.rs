//! What every K-armed policy shares. A K-armed policy ignores the context and keeps its state
//! in one [`ArmStats`]; it says how it chooses, what its action distribution is and which arm
//! it believes best, and [`KArmed`] gives it the rest of the [`Policy`] contract once: its
//! kind, its arm count, its version (the updates folded in), the update itself (checked by
//! [`KArmed::accept_reward`], then recorded in the statistics) and Beta-posterior summaries.

use super::{beta_summaries, ArmStats, ArmSummary, Choice, Context, Policy, PolicyKind};
use crate::error::Result;
use strata_sim::SimRng;

/// A context-free policy over K arms whose state is one [`ArmStats`]. Implementing it
/// implements [`Policy`].
pub trait KArmed {
    /// Which algorithm this is.
    const KIND: PolicyKind;

    /// The per-arm counts and reward sums the policy decides from.
    fn arm_stats(&self) -> &ArmStats;
    fn arm_stats_mut(&mut self) -> &mut ArmStats;

    /// [`Policy::choose_among`] without the context.
    fn choose_arm(&self, eligible: Option<&[bool]>, rng: &mut SimRng) -> Result<Choice>;

    /// [`Policy::select_among`] without the context: by default the arm `choose_arm` picks.
    fn select_arm(&self, eligible: Option<&[bool]>, rng: &mut SimRng) -> Result<usize> {
        Ok(self.choose_arm(eligible, rng)?.arm)
    }

    /// [`Policy::probabilities`] without the context.
    fn arm_probabilities(&self, eligible: Option<&[bool]>, rng: &mut SimRng) -> Result<Vec<f64>>;

    /// [`Policy::greedy_arm`] without the context.
    fn best_arm(&self, eligible: Option<&[bool]>) -> Result<usize>;

    /// Refuses a reward the policy's model cannot take (the Beta–Bernoulli policies need
    /// [0, 1]); by default any reward the statistics accept.
    fn accept_reward(&self, _reward: f64) -> Result<()> {
        Ok(())
    }

    /// [`Policy::arm_summaries`]: by default a Beta(1 + s, 1 + f) posterior from the raw
    /// pulls and reward totals.
    fn summaries(&self) -> Vec<ArmSummary> {
        let stats = self.arm_stats();
        beta_summaries(stats.pulls(), stats.reward_totals())
    }
}

impl<P: KArmed> Policy for P {
    fn kind(&self) -> PolicyKind {
        P::KIND
    }
    fn arm_count(&self) -> usize {
        self.arm_stats().arms()
    }
    fn version(&self) -> u64 {
        self.arm_stats().updates()
    }
    fn choose_among(
        &self,
        _context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<Choice> {
        self.choose_arm(eligible, rng)
    }
    fn select_among(
        &self,
        _context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<usize> {
        self.select_arm(eligible, rng)
    }
    fn probabilities(
        &self,
        _context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<Vec<f64>> {
        self.arm_probabilities(eligible, rng)
    }
    fn greedy_arm(&self, _context: &Context, eligible: Option<&[bool]>) -> Result<usize> {
        self.best_arm(eligible)
    }
    fn update(&mut self, _context: &Context, arm: usize, reward: f64) -> Result<()> {
        self.accept_reward(reward)?;
        self.arm_stats_mut().record(arm, reward)
    }
    fn arm_summaries(&self) -> Vec<ArmSummary> {
        self.summaries()
    }
}
