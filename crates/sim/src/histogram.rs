//! A bounded latency histogram with log-linear buckets (HDR-style): 3 significant figures,
//! fixed memory whatever the number of samples, and exact counts for percentile queries.
//!
//! Values are nanoseconds (or any non-negative integer). Bucket `b` of magnitude `m` covers
//! `[2^m · (1 + b/SUB), 2^m · (1 + (b+1)/SUB))`, so the relative error of any reported
//! percentile is below 1/SUB.

use serde::{Deserialize, Serialize};

const SUB_BUCKET_BITS: u32 = 7;
const SUB_BUCKETS: u64 = 1 << SUB_BUCKET_BITS;
const MAGNITUDES: usize = 64;

/// A fixed-size histogram: 64 magnitudes × 128 sub-buckets, stored sparsely.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    min: u64,
    max: u64,
}

fn bucket_of(value: u64) -> usize {
    if value < SUB_BUCKETS {
        return value as usize;
    }
    let magnitude = 63 - value.leading_zeros();
    let shift = magnitude - SUB_BUCKET_BITS;
    let sub = (value >> shift) - SUB_BUCKETS;
    ((magnitude - SUB_BUCKET_BITS + 1) as usize) * SUB_BUCKETS as usize + sub as usize
}

fn bucket_low(bucket: usize) -> u64 {
    let sub_buckets = SUB_BUCKETS as usize;
    if bucket < sub_buckets {
        return bucket as u64;
    }
    let group = bucket / sub_buckets;
    let sub = (bucket % sub_buckets) as u64;
    let shift = (group - 1) as u32;
    (SUB_BUCKETS + sub) << shift
}

fn bucket_high(bucket: usize) -> u64 {
    let sub_buckets = SUB_BUCKETS as usize;
    if bucket < sub_buckets {
        return bucket as u64;
    }
    let group = bucket / sub_buckets;
    let shift = (group - 1) as u32;
    bucket_low(bucket).saturating_add((1u64 << shift) - 1)
}

impl Histogram {
    pub fn new() -> Self {
        Histogram::default()
    }

    pub fn record(&mut self, value: u64) {
        let bucket = bucket_of(value);
        if self.counts.len() <= bucket {
            let limit = MAGNITUDES * SUB_BUCKETS as usize;
            self.counts.resize((bucket + 1).min(limit), 0);
        }
        self.counts[bucket] += 1;
        if self.total == 0 || value < self.min {
            self.min = value;
        }
        if value > self.max {
            self.max = value;
        }
        self.total += 1;
        self.sum += u128::from(value);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn min(&self) -> u64 {
        self.min
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// The value at quantile `q` in [0, 1] (the upper edge of its bucket, clamped to the
    /// largest value seen). Zero when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let q = q.clamp(0.0, 1.0);
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bucket_high(bucket).min(self.max).max(self.min);
            }
        }
        self.max
    }

    pub fn merge(&mut self, other: &Histogram) {
        if other.total == 0 {
            return;
        }
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        if self.total == 0 || other.min < self.min {
            self.min = other.min;
        }
        self.max = self.max.max(other.max);
        self.total += other.total;
        self.sum += other.sum;
    }

    /// Non-empty buckets as (low, high, count), for drawing.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(b, c)| (bucket_low(b), bucket_high(b), *c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn quantiles_are_within_one_percent() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1000);
        }
        for (q, expected) in [
            (0.5, 50_000_000.0),
            (0.99, 99_000_000.0),
            (0.999, 99_900_000.0),
        ] {
            let got = h.quantile(q) as f64;
            assert!(
                (got - expected).abs() / expected < 0.01,
                "q{q}: {got} vs {expected}"
            );
        }
        assert_eq!(h.count(), 100_000);
        assert_eq!(h.min(), 1000);
        assert_eq!(h.max(), 100_000_000);
    }

    #[test]
    fn small_values_are_exact_and_merge_adds() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        for v in [0, 1, 2, 3] {
            a.record(v);
        }
        b.record(u64::MAX);
        a.merge(&b);
        assert_eq!(a.count(), 5);
        assert_eq!(a.quantile(0.2), 0);
        assert_eq!(a.quantile(0.8), 3);
        assert_eq!(a.quantile(1.0), u64::MAX);
        assert_eq!(Histogram::new().quantile(0.5), 0);
    }

    #[test]
    fn buckets_cover_their_values() {
        for v in [0u64, 5, 127, 128, 129, 1000, 123_456_789, u64::MAX / 3] {
            let b = bucket_of(v);
            assert!(
                bucket_low(b) <= v && v <= bucket_high(b),
                "value {v} bucket {b}"
            );
        }
    }
}
