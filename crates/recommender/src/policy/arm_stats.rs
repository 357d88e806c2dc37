//! Per-arm counts and reward sums, with the memory that makes a K-armed policy stationary,
//! discounted or sliding-window.
//!
//! - `Stationary`: plain totals. Counts are whole numbers kept in f64 (exact up to 2^53), and
//!   a mean is `sum / count`, the same expression other libraries use, so UCB1 decisions can
//!   be matched bit for bit.
//! - `Discounted { gamma }`: before each update every arm's count and sum is multiplied by γ
//!   (Garivier & Moulines' discounted UCB; Raj & Kalyani's discounted Thompson sampling).
//! - `SlidingWindow { window }`: only the last `window` updates count (bounded ring buffer,
//!   at most [`MAX_WINDOW`] entries).
//!
//! Raw, never-forgetting pull counts and reward totals are kept alongside for metrics.

use super::{check_arm, check_arm_count, check_reward};
use crate::error::{require_within, RecommenderError, Result};
use crate::json::{Members, Writer};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The most updates a policy's statistics may hold: 2^53, where f64 counts stop being exact.
pub const MAX_UPDATES: u64 = 1 << 53;

/// The largest sliding window: bounds the ring buffer.
pub const MAX_WINDOW: u32 = 1_000_000;

/// How a policy forgets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Memory {
    #[default]
    Stationary,
    /// Multiply all statistics by `gamma` in (0, 1] before each update.
    Discounted { gamma: f64 },
    /// Keep only the last `window` updates (1 ≤ window ≤ [`MAX_WINDOW`]).
    SlidingWindow { window: u32 },
}

impl Memory {
    pub fn validate(&self) -> Result<()> {
        match *self {
            Memory::Stationary => Ok(()),
            Memory::Discounted { gamma } => require_within("gamma", gamma, f64::MIN_POSITIVE, 1.0),
            Memory::SlidingWindow { window } => {
                if window == 0 || window > MAX_WINDOW {
                    return Err(RecommenderError::param(
                        "window",
                        window,
                        format!("must lie in [1, {MAX_WINDOW}]"),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// The statistics a K-armed policy decides from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArmStats {
    memory: Memory,
    /// Effective number of pulls of each arm under the memory.
    counts: Vec<f64>,
    /// Effective reward sum of each arm under the memory.
    sums: Vec<f64>,
    /// Effective total pulls (Σ counts, kept separately so that it is a single running value).
    total: f64,
    /// The last `window` (arm, reward) pairs, for `SlidingWindow` only.
    window: VecDeque<(u32, f64)>,
    /// Raw pulls of each arm since the start.
    pulls: Vec<u64>,
    /// Raw reward total of each arm since the start.
    reward_totals: Vec<f64>,
    updates: u64,
}

impl ArmStats {
    pub fn new(arms: usize, memory: Memory) -> Result<ArmStats> {
        check_arm_count(arms)?;
        memory.validate()?;
        Ok(ArmStats {
            memory,
            counts: vec![0.0; arms],
            sums: vec![0.0; arms],
            total: 0.0,
            window: VecDeque::new(),
            pulls: vec![0; arms],
            reward_totals: vec![0.0; arms],
            updates: 0,
        })
    }

    pub fn arms(&self) -> usize {
        self.counts.len()
    }
    pub fn memory(&self) -> Memory {
        self.memory
    }
    pub fn updates(&self) -> u64 {
        self.updates
    }
    /// Effective count of `arm` (zero when never pulled, or forgotten).
    pub fn count(&self, arm: usize) -> f64 {
        self.counts.get(arm).copied().unwrap_or(0.0)
    }
    /// Effective reward sum of `arm`.
    pub fn sum(&self, arm: usize) -> f64 {
        self.sums.get(arm).copied().unwrap_or(0.0)
    }
    /// Effective total pulls over all arms.
    pub fn total(&self) -> f64 {
        self.total
    }
    /// `sum / count`, or `None` for an arm with no (remembered) pulls.
    pub fn mean(&self, arm: usize) -> Option<f64> {
        let count = self.count(arm);
        (count > 0.0).then(|| self.sum(arm) / count)
    }
    pub fn pulls(&self) -> &[u64] {
        &self.pulls
    }
    pub fn reward_totals(&self) -> &[f64] {
        &self.reward_totals
    }

    /// Checks a restored state (a checkpoint is outside input): one entry per arm in every
    /// per-arm vector, 1 to `MAX_ARMS` arms, `memory` as configured, finite non-negative
    /// counts and finite sums, a window only under `SlidingWindow` and no longer than it, with
    /// arms in range, and `updates` equal to the pulls (below 2^53, where f64 counts stay exact).
    pub fn check(&self, memory: Memory) -> Result<()> {
        let arms = self.counts.len();
        check_arm_count(arms)?;
        let corrupt =
            |what: String| Err(RecommenderError::Codec(format!("arm statistics: {what}")));
        if self.sums.len() != arms || self.pulls.len() != arms || self.reward_totals.len() != arms {
            return corrupt(format!(
                "{arms} counts but {} sums, {} pulls and {} reward totals",
                self.sums.len(),
                self.pulls.len(),
                self.reward_totals.len()
            ));
        }
        if self.memory != memory {
            return corrupt("memory differs from the policy's configuration".to_string());
        }
        self.memory.validate()?;
        let counts_ok = self.counts.iter().all(|c| c.is_finite() && *c >= 0.0);
        let sums_ok = self
            .sums
            .iter()
            .chain(&self.reward_totals)
            .all(|v| v.is_finite());
        if !counts_ok || !sums_ok || !self.total.is_finite() || self.total < 0.0 {
            return corrupt("a count or sum is negative or not finite".to_string());
        }
        let window_limit = match self.memory {
            Memory::SlidingWindow { window } => window as usize,
            _ => 0,
        };
        if self.window.len() > window_limit {
            return corrupt(format!(
                "{} windowed updates, at most {window_limit} allowed",
                self.window.len()
            ));
        }
        if self
            .window
            .iter()
            .any(|(arm, reward)| *arm as usize >= arms || !reward.is_finite())
        {
            return corrupt("a windowed update names an arm out of range".to_string());
        }
        let pulls = self
            .pulls
            .iter()
            .try_fold(0u64, |total, pulls| total.checked_add(*pulls));
        if pulls != Some(self.updates) || self.updates >= MAX_UPDATES {
            return corrupt(format!(
                "{} updates do not match the pulls, or exceed {MAX_UPDATES}",
                self.updates
            ));
        }
        Ok(())
    }

    /// Folds in one reward for `arm`.
    pub fn record(&mut self, arm: usize, reward: f64) -> Result<()> {
        check_arm(self.arms(), arm)?;
        check_reward(reward)?;
        match self.memory {
            Memory::Stationary => {
                self.counts[arm] += 1.0;
                self.sums[arm] += reward;
                self.total += 1.0;
            }
            Memory::Discounted { gamma } => {
                for (count, sum) in self.counts.iter_mut().zip(self.sums.iter_mut()) {
                    *count *= gamma;
                    *sum *= gamma;
                }
                self.counts[arm] += 1.0;
                self.sums[arm] += reward;
                self.total = self.total * gamma + 1.0;
            }
            Memory::SlidingWindow { window } => {
                self.window.push_back((arm as u32, reward));
                self.counts[arm] += 1.0;
                self.sums[arm] += reward;
                self.total += 1.0;
                while self.window.len() > window as usize {
                    if let Some((old_arm, old_reward)) = self.window.pop_front() {
                        let old_arm = old_arm as usize;
                        self.counts[old_arm] -= 1.0;
                        self.sums[old_arm] -= old_reward;
                        self.total -= 1.0;
                        if self.counts[old_arm] <= 0.0 {
                            // Exactly forgotten: clear float residue so the arm reads as unplayed.
                            self.counts[old_arm] = 0.0;
                            self.sums[old_arm] = 0.0;
                        }
                    }
                }
            }
        }
        self.pulls[arm] += 1;
        self.reward_totals[arm] += reward;
        self.updates += 1;
        Ok(())
    }
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`): the
/// internally tagged `"kind"` first, then the variant's field.
impl Members for Memory {
    fn write_members(&self, writer: &mut Writer) {
        match self {
            Memory::Stationary => writer.tag("stationary"),
            Memory::Discounted { gamma } => {
                writer.tag("discounted");
                writer.key("gamma").f64(*gamma);
            }
            Memory::SlidingWindow { window } => {
                writer.tag("sliding_window");
                writer.key("window").u64(u64::from(*window));
            }
        }
    }
}

impl Members for ArmStats {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("memory").object(&self.memory);
        writer.key("counts").f64s(&self.counts);
        writer.key("sums").f64s(&self.sums);
        writer.key("total").f64(self.total);
        // Each (arm, reward) pair as a two-element array, as serde writes a tuple.
        writer.key("window").begin_array();
        for (arm, reward) in &self.window {
            writer.begin_array();
            writer.u64(u64::from(*arm));
            writer.f64(*reward);
            writer.end_array();
        }
        writer.end_array();
        writer.key("pulls").u64s(&self.pulls);
        writer.key("reward_totals").f64s(&self.reward_totals);
        writer.key("updates").u64(self.updates);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn stationary_stats_are_plain_totals() {
        let mut stats = ArmStats::new(2, Memory::Stationary).unwrap();
        stats.record(0, 1.0).unwrap();
        stats.record(0, 0.0).unwrap();
        stats.record(1, 1.0).unwrap();
        assert_eq!(stats.mean(0), Some(0.5));
        assert_eq!(stats.mean(1), Some(1.0));
        assert_eq!(stats.total(), 3.0);
        assert!(stats.record(2, 1.0).is_err());
        assert!(stats.record(0, f64::NAN).is_err());
    }

    #[test]
    fn discounting_by_hand() {
        // γ = 0.5: pull 0 (r=1), then 1 (r=0), then 0 (r=1).
        // counts: [1,0] → [0.5,1] → [1.25,0.5]; sums: [1,0] → [0.5,0] → [1.25,0].
        let mut stats = ArmStats::new(2, Memory::Discounted { gamma: 0.5 }).unwrap();
        stats.record(0, 1.0).unwrap();
        stats.record(1, 0.0).unwrap();
        stats.record(0, 1.0).unwrap();
        assert_eq!(stats.count(0), 1.25);
        assert_eq!(stats.count(1), 0.5);
        assert_eq!(stats.sum(0), 1.25);
        assert_eq!(stats.total(), 1.75);
        assert_eq!(stats.pulls(), &[2, 1]);
    }

    #[test]
    fn sliding_window_forgets_the_oldest() {
        let mut stats = ArmStats::new(2, Memory::SlidingWindow { window: 2 }).unwrap();
        stats.record(0, 1.0).unwrap();
        stats.record(1, 0.0).unwrap();
        stats.record(1, 1.0).unwrap();
        assert_eq!(stats.count(0), 0.0);
        assert_eq!(stats.mean(0), None);
        assert_eq!(stats.mean(1), Some(0.5));
        assert_eq!(stats.total(), 2.0);
        assert_eq!(stats.pulls(), &[1, 2]);
    }

    #[test]
    fn bad_memories_are_typed_errors() {
        assert!(ArmStats::new(2, Memory::Discounted { gamma: 0.0 }).is_err());
        assert!(ArmStats::new(2, Memory::Discounted { gamma: 1.5 }).is_err());
        assert!(ArmStats::new(2, Memory::SlidingWindow { window: 0 }).is_err());
        assert!(ArmStats::new(0, Memory::Stationary).is_err());
    }

    #[test]
    fn restored_statistics_of_inconsistent_shape_are_refused() {
        let mut stats = ArmStats::new(3, Memory::SlidingWindow { window: 2 }).unwrap();
        stats.record(1, 1.0).unwrap();
        assert!(stats.check(stats.memory()).is_ok());
        let mut short = stats.clone();
        short.pulls.pop();
        assert!(short.check(short.memory()).is_err());
        let mut stray = stats.clone();
        stray.window.push_back((7, 1.0));
        assert!(stray.check(stray.memory()).is_err());
        let mut negative = stats.clone();
        negative.counts[0] = -1.0;
        assert!(negative.check(negative.memory()).is_err());
        let mut miscounted = stats.clone();
        miscounted.updates = 5;
        assert!(miscounted.check(miscounted.memory()).is_err());
        assert!(stats.check(Memory::Stationary).is_err(), "memory differs");
    }
}
