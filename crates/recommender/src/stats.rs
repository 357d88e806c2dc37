//! Small numerical helpers shared by policies, metrics and estimators: normal 95% intervals,
//! the Bernoulli KL divergence, Beta posterior quantiles and the Gini coefficient.
//!
//! All transcendental functions go through `strata_sim::math`, so results carry the same bits
//! natively and in wasm32.

use serde::{Deserialize, Serialize};
use strata_sim::{maps, math};

/// The two-sided 95% normal quantile used by every interval in the crate.
pub const Z_95: f64 = 1.96;

/// A sample mean with its normal 95% interval `mean ± 1.96·sd/√n`, where `sd` divides by
/// `n − 1`. With fewer than two values the interval collapses onto the mean and `sd` is zero.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanInterval {
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

impl MeanInterval {
    /// The mean and interval of `values`; `None` for an empty slice.
    pub fn of(values: &[f64]) -> Option<MeanInterval> {
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = if values.len() < 2 {
            0.0
        } else {
            let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
            (squares / (n - 1.0)).sqrt()
        };
        let half_width = Z_95 * sd / n.sqrt();
        Some(MeanInterval {
            n: values.len() as u64,
            mean,
            sd,
            ci95_low: mean - half_width,
            ci95_high: mean + half_width,
        })
    }
}

/// KL(Bernoulli(p) ‖ Bernoulli(q)), with the conventions 0·ln 0 = 0 and q clamped away from
/// 0 and 1 so that the value stays finite.
pub fn bernoulli_kl(p: f64, q: f64) -> f64 {
    const EDGE: f64 = 1e-15;
    let p = p.clamp(0.0, 1.0);
    let q = q.clamp(EDGE, 1.0 - EDGE);
    let mut kl = 0.0;
    if p > 0.0 {
        kl += p * math::ln(p / q);
    }
    if p < 1.0 {
        kl += (1.0 - p) * math::ln((1.0 - p) / (1.0 - q));
    }
    kl.max(0.0)
}

/// The regularised incomplete beta function I_x(a, b), by the continued fraction of
/// Numerical Recipes (modified Lentz), for a, b > 0 and x in [0, 1].
pub fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = math::lgamma(a + b) - math::lgamma(a) - math::lgamma(b)
        + a * math::ln(x)
        + b * math::ln(1.0 - x);
    let front = math::exp(ln_front);
    // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry
    // I_x(a, b) = 1 − I_{1−x}(b, a) on the other side.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const MAX_TERMS: usize = 300;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=MAX_TERMS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The `p`-quantile of Beta(a, b), by bisection on the CDF (a fixed 64 halvings, so the
/// result is deterministic and accurate to about 1e-15).
pub fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let (mut low, mut high) = (0.0_f64, 1.0_f64);
    for _ in 0..64 {
        let mid = 0.5 * (low + high);
        if regularized_incomplete_beta(a, b, mid) < p {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

/// A Beta posterior summary: mean and central 95% credible interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BetaSummary {
    pub alpha: f64,
    pub beta: f64,
    pub mean: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

impl BetaSummary {
    pub fn new(alpha: f64, beta: f64) -> BetaSummary {
        BetaSummary {
            alpha,
            beta,
            mean: alpha / (alpha + beta),
            ci95_low: beta_quantile(alpha, beta, 0.025),
            ci95_high: beta_quantile(alpha, beta, 0.975),
        }
    }
}

/// The Gini coefficient of non-negative amounts (0: all equal, → 1: one holds everything).
/// Zero for an empty slice or an all-zero one.
pub fn gini(amounts: &[f64]) -> f64 {
    // Sorted by `total_cmp`, as integers that order the same way (the `u64` sort is shared
    // with the rest of the playground's wasm; an `f64` sort would be a copy of its own).
    // Both lists pushed by loops, not `map`ped and `collect`ed: each chain was an instance
    // of its own in the page.
    let mut keys: Vec<u64> = Vec::with_capacity(amounts.len());
    for a in amounts {
        keys.push(maps::total_order_key(a.max(0.0)));
    }
    keys.sort_unstable();
    let mut sorted: Vec<f64> = Vec::with_capacity(keys.len());
    for key in keys {
        sorted.push(maps::from_total_order_key(key));
    }
    let n = sorted.len() as f64;
    let total: f64 = sorted.iter().sum();
    if sorted.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x)
        .sum();
    weighted / (n * total)
}

/// Total-variation distance between two distributions of the same length: half the L1 gap.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn mean_interval_matches_a_hand_computation() {
        // values 1, 2, 3, 4: mean 2.5, sample variance 5/3, sd 1.290994…, half width
        // 1.96 · 1.290994 / 2 = 1.265174…
        let m = MeanInterval::of(&[1.0, 2.0, 3.0, 4.0]).expect("non-empty");
        assert_eq!(m.n, 4);
        assert!((m.mean - 2.5).abs() < 1e-12);
        assert!((m.sd - (5.0_f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((m.ci95_low - (2.5 - 1.265_174_4)).abs() < 1e-6);
        assert!((m.ci95_high - (2.5 + 1.265_174_4)).abs() < 1e-6);
        let one = MeanInterval::of(&[7.0]).expect("non-empty");
        assert_eq!((one.sd, one.ci95_low, one.ci95_high), (0.0, 7.0, 7.0));
        assert!(MeanInterval::of(&[]).is_none());
    }

    #[test]
    fn bernoulli_kl_known_values() {
        // KL(0.4 ‖ 0.5) = 0.4 ln 0.8 + 0.6 ln 1.2
        let expected = 0.4 * math::ln(0.8) + 0.6 * math::ln(1.2);
        assert!((bernoulli_kl(0.4, 0.5) - expected).abs() < 1e-15);
        assert_eq!(bernoulli_kl(0.3, 0.3), 0.0);
        assert!(bernoulli_kl(0.0, 0.5) > 0.69 && bernoulli_kl(0.0, 0.5) < 0.70);
        assert!(bernoulli_kl(1.0, 0.0).is_finite());
    }

    #[test]
    fn beta_quantiles_match_closed_forms() {
        // Beta(1, 1) is uniform: the quantile is p itself.
        assert!((beta_quantile(1.0, 1.0, 0.025) - 0.025).abs() < 1e-12);
        // Beta(2, 1) has CDF x²: quantile √p.
        assert!((beta_quantile(2.0, 1.0, 0.25) - 0.5).abs() < 1e-12);
        // Beta(1, 3) has CDF 1 − (1 − x)³.
        let q = beta_quantile(1.0, 3.0, 0.5);
        assert!((q - (1.0 - math::powf(0.5, 1.0 / 3.0))).abs() < 1e-12);
        let s = BetaSummary::new(11.0, 91.0);
        assert!(s.ci95_low < s.mean && s.mean < s.ci95_high);
        // Reference values from SciPy's beta.ppf: Beta(11, 91) 2.5% = 0.0556372, 97.5% = 0.1745528.
        assert!((s.ci95_low - 0.055_637_22).abs() < 1e-7, "{}", s.ci95_low);
        assert!((s.ci95_high - 0.174_552_83).abs() < 1e-7, "{}", s.ci95_high);
    }

    #[test]
    fn gini_of_equal_and_concentrated_amounts() {
        assert_eq!(gini(&[3.0, 3.0, 3.0]), 0.0);
        // One of four holds everything: (n − 1)/n = 0.75.
        assert!((gini(&[0.0, 0.0, 0.0, 8.0]) - 0.75).abs() < 1e-12);
        // 1, 2, 3: Σ(2i − n − 1)x = (−2)(1) + 0 + 2(3) = 4; 4 / (3 · 6) = 2/9.
        assert!((gini(&[2.0, 3.0, 1.0]) - 2.0 / 9.0).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }

    #[test]
    fn total_variation_is_half_l1() {
        assert!((total_variation(&[0.5, 0.5, 0.0], &[0.0, 0.5, 0.5]) - 0.5).abs() < 1e-15);
        assert_eq!(total_variation(&[1.0], &[1.0]), 0.0);
    }
}
