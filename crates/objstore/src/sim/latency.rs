//! The latency sampler: a lognormal time to first byte per request class, plus payload size
//! divided by the per-connection bandwidth.
//!
//! A lognormal is fixed by two percentiles: mu = ln p50 and sigma = ln(p99/p50) / z_0.99,
//! where z_0.99 is the standard normal's 0.99 quantile. Parameters are derived once per
//! config (`LatencyModel::new`), so sampling is a normal draw, one `exp` and a division.

use super::config::{LatencyConfig, LatencyDist};
use strata_sim::math::{exp, ln, normal_quantile};
use strata_sim::{SimDuration, SimRng, StoreOp};

/// A lognormal fixed by its median and 99th percentile, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lognormal {
    /// ln of the median in ms; unused when `zero`.
    mu: f64,
    sigma: f64,
    zero: bool,
}

impl Lognormal {
    /// Derives mu and sigma. The dist must have passed `SimStoreConfig::validate`.
    pub fn from_percentiles(dist: LatencyDist) -> Self {
        if dist.p50_ms <= 0.0 {
            return Lognormal {
                mu: 0.0,
                sigma: 0.0,
                zero: true,
            };
        }
        let z99 = normal_quantile(0.99);
        Lognormal {
            mu: ln(dist.p50_ms),
            sigma: ln(dist.p99_ms / dist.p50_ms) / z99,
            zero: false,
        }
    }

    /// One draw, in milliseconds. Consumes exactly one normal draw even when zero, so that
    /// changing a preset never shifts the draws of later requests.
    pub fn sample_ms(&self, rng: &mut SimRng) -> f64 {
        let z = rng.standard_normal();
        if self.zero {
            0.0
        } else {
            exp(self.mu + self.sigma * z)
        }
    }

    /// The value at quantile `q` of this distribution, in ms (for checks and the UI).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.zero {
            0.0
        } else {
            exp(self.mu + self.sigma * normal_quantile(q))
        }
    }
}

/// The derived sampler for a whole `LatencyConfig`.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyModel {
    get: Lognormal,
    head: Lognormal,
    put: Lognormal,
    list: Lognormal,
    delete: Lognormal,
    bandwidth_bytes_per_sec: u64,
}

impl LatencyModel {
    pub fn new(config: &LatencyConfig) -> Self {
        LatencyModel {
            get: Lognormal::from_percentiles(config.get),
            head: Lognormal::from_percentiles(config.head),
            put: Lognormal::from_percentiles(config.put),
            list: Lognormal::from_percentiles(config.list),
            delete: Lognormal::from_percentiles(config.delete),
            bandwidth_bytes_per_sec: config.bandwidth_bytes_per_sec,
        }
    }

    pub fn class(&self, op: StoreOp) -> &Lognormal {
        match op {
            StoreOp::Get => &self.get,
            StoreOp::Head => &self.head,
            StoreOp::Put => &self.put,
            StoreOp::List => &self.list,
            StoreOp::Delete => &self.delete,
        }
    }

    /// Time to move `bytes` over one connection.
    pub fn transfer(&self, bytes: u64) -> SimDuration {
        if self.bandwidth_bytes_per_sec == 0 || bytes == 0 {
            return SimDuration::ZERO;
        }
        let nanos = u128::from(bytes) * 1_000_000_000 / u128::from(self.bandwidth_bytes_per_sec);
        SimDuration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// A request's whole latency: base draw for its class plus transfer of `bytes`.
    pub fn sample(&self, op: StoreOp, bytes: u64, rng: &mut SimRng) -> SimDuration {
        let base = SimDuration::from_millis_f64(self.class(op).sample_ms(rng));
        base + self.transfer(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_sim::RngStreams;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The empirical quantile of sorted samples (nearest rank).
    fn empirical(sorted: &[f64], q: f64) -> f64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    /// 100,000 draws reproduce the configured p50 and p99 within 3%. The sampling error of
    /// the empirical p99 of 100,000 lognormal draws with these sigmas is about 0.7% (one
    /// standard error), so 3% is over four standard errors: a wrong sigma or mu fails, noise
    /// does not.
    #[test]
    fn sampler_matches_configured_p50_and_p99_within_three_percent() {
        let streams = RngStreams::new(20_251_126);
        for (name, dist) in [
            ("s3 standard get", LatencyDist::new(25.0, 100.0)),
            ("s3 standard put", LatencyDist::new(60.0, 250.0)),
            ("s3 express list", LatencyDist::new(8.0, 20.0)),
        ] {
            let sampler = Lognormal::from_percentiles(dist);
            let mut rng = streams.stream(name);
            let mut samples: Vec<f64> = (0..100_000).map(|_| sampler.sample_ms(&mut rng)).collect();
            samples.sort_by(f64::total_cmp);
            let p50 = empirical(&samples, 0.50);
            let p99 = empirical(&samples, 0.99);
            let p50_error = (p50 - dist.p50_ms).abs() / dist.p50_ms;
            let p99_error = (p99 - dist.p99_ms).abs() / dist.p99_ms;
            assert!(p50_error < 0.03, "{name}: p50 {p50:.2} vs {}", dist.p50_ms);
            assert!(p99_error < 0.03, "{name}: p99 {p99:.2} vs {}", dist.p99_ms);
        }
    }

    #[test]
    fn analytic_quantiles_equal_the_configured_ones() {
        let sampler = Lognormal::from_percentiles(LatencyDist::new(25.0, 100.0));
        assert!((sampler.quantile_ms(0.5) - 25.0).abs() < 1e-9);
        assert!((sampler.quantile_ms(0.99) - 100.0).abs() < 1e-6);
    }

    #[test]
    fn transfer_time_is_size_over_bandwidth_and_zero_latency_is_zero() {
        let config = LatencyConfig {
            get: LatencyDist::ZERO,
            head: LatencyDist::ZERO,
            put: LatencyDist::ZERO,
            list: LatencyDist::ZERO,
            delete: LatencyDist::ZERO,
            bandwidth_bytes_per_sec: 100 * 1024 * 1024,
        };
        let model = LatencyModel::new(&config);
        assert_eq!(model.transfer(100 * 1024 * 1024), SimDuration::from_secs(1));
        assert_eq!(
            model.transfer(50 * 1024 * 1024),
            SimDuration::from_millis(500)
        );
        let mut rng = RngStreams::new(1).stream("x");
        assert_eq!(model.sample(StoreOp::Head, 0, &mut rng), SimDuration::ZERO);
    }
}
