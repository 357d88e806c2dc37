//! Metrics of a bandit or recommender run: regret against the oracle with its reference
//! bounds, CTR over time, catalogue coverage, exposure concentration, and per-arm summaries.
//!
//! Every retained series is bounded: [`Series`] keeps at most its capacity of points by
//! doubling its sampling stride and dropping every other point when full, so a run of any
//! length costs the same memory.

use crate::stats::{bernoulli_kl, gini};
use serde::{Deserialize, Serialize};
use strata_sim::math;

/// Lai & Robbins' asymptotic lower bound on the expected regret of any consistent policy on a
/// K-armed Bernoulli problem: Σ_{a: Δ_a > 0} Δ_a / KL(μ_a, μ*) · ln t.
pub fn lai_robbins_bound(means: &[f64], t: f64) -> f64 {
    let best = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if t <= 1.0 {
        return 0.0;
    }
    let ln_t = math::ln(t);
    means
        .iter()
        .filter(|m| **m < best)
        .map(|m| (best - m) / bernoulli_kl(*m, best) * ln_t)
        .sum()
}

/// The finite-time upper bound on UCB1's expected regret (Auer, Cesa-Bianchi & Fischer 2002,
/// Theorem 1): Σ_{a: Δ_a > 0} 8·ln t / Δ_a + (1 + π²/3)·Σ_a Δ_a.
pub fn ucb1_upper_bound(means: &[f64], t: f64) -> f64 {
    let best = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ln_t = if t > 1.0 { math::ln(t) } else { 0.0 };
    let constant = 1.0 + std::f64::consts::PI * std::f64::consts::PI / 3.0;
    means
        .iter()
        .filter(|m| **m < best)
        .map(|m| {
            let gap = best - m;
            8.0 * ln_t / gap + constant * gap
        })
        .sum()
}

/// A bounded time series of (t, value) points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    capacity: usize,
    stride: u64,
    points: Vec<(u64, f64)>,
}

impl Series {
    /// Holds at most `capacity` points (at least 2).
    pub fn new(capacity: usize) -> Series {
        Series {
            capacity: capacity.max(2),
            stride: 1,
            points: Vec::new(),
        }
    }

    /// Offers the value at time `t`; kept only when `t` is a multiple of the current stride.
    pub fn offer(&mut self, t: u64, value: f64) {
        if !t.is_multiple_of(self.stride) {
            return;
        }
        self.points.push((t, value));
        if self.points.len() >= self.capacity {
            self.stride *= 2;
            let stride = self.stride;
            self.points.retain(|(t, _)| t.is_multiple_of(stride));
        }
    }

    pub fn points(&self) -> &[(u64, f64)] {
        &self.points
    }
}

/// Exposure counts per item, for coverage and concentration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    counts: Vec<u64>,
    shown_items: u64,
}

impl Exposure {
    pub fn new(items: usize) -> Exposure {
        Exposure {
            counts: vec![0; items],
            shown_items: 0,
        }
    }
    pub fn record(&mut self, item: usize) {
        if let Some(count) = self.counts.get_mut(item) {
            if *count == 0 {
                self.shown_items += 1;
            }
            *count += 1;
        }
    }
    /// The share of the catalogue shown at least once.
    pub fn coverage(&self) -> f64 {
        if self.counts.is_empty() {
            0.0
        } else {
            self.shown_items as f64 / self.counts.len() as f64
        }
    }
    /// The Gini coefficient of exposures across the whole catalogue.
    pub fn gini(&self) -> f64 {
        let amounts: Vec<f64> = self.counts.iter().map(|c| *c as f64).collect();
        gini(&amounts)
    }
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bounds_by_hand() {
        let means = [0.5, 0.4, 0.5];
        let t = 1000.0;
        let ln_t = math::ln(t);
        let kl = bernoulli_kl(0.4, 0.5);
        assert!((lai_robbins_bound(&means, t) - 0.1 / kl * ln_t).abs() < 1e-9);
        let expected_ucb =
            8.0 * ln_t / 0.1 + (1.0 + std::f64::consts::PI * std::f64::consts::PI / 3.0) * 0.1;
        assert!((ucb1_upper_bound(&means, t) - expected_ucb).abs() < 1e-9);
        assert_eq!(lai_robbins_bound(&[0.3, 0.3], t), 0.0);
        assert_eq!(lai_robbins_bound(&means, 1.0), 0.0);
    }

    #[test]
    fn series_stays_bounded_and_keeps_the_early_and_late_points() {
        let mut s = Series::new(8);
        for t in 0..1000 {
            s.offer(t, t as f64);
        }
        assert!(s.points().len() < 8);
        assert_eq!(s.points()[0], (0, 0.0));
        assert!(s.points().last().unwrap().0 >= 1000 - 256);
        assert!(s.points().windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn exposure_coverage_and_gini() {
        let mut e = Exposure::new(4);
        assert_eq!(e.coverage(), 0.0);
        for _ in 0..3 {
            e.record(1);
        }
        e.record(2);
        e.record(9);
        assert_eq!(e.coverage(), 0.5);
        // Amounts (0, 3, 1, 0) sorted (0, 0, 1, 3): Σ(2i − 5)x = 1·1 + 3·3 = 10; 10 / (4·4).
        assert!((e.gini() - 10.0 / 16.0).abs() < 1e-12);
    }
}
