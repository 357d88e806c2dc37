//! The simulated store's configuration: latency per request class, bandwidth, prices,
//! throttling limits and size limits, with the three presets (instant, S3 Standard, S3 Express
//! One Zone). Sources for every preset figure are in docs/objstore.md.
//!
//! Everything here is plain data (serde), so a scenario document carries it and the UI edits
//! it live through `SimStore::set_config`. `validate` is the one gate: a config that passes it
//! cannot make the store panic or divide by zero.

use serde::{Deserialize, Serialize};
use strata_sim::SimDuration;

/// One request class's base latency (time to first byte), as two percentiles of a lognormal.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyDist {
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl LatencyDist {
    pub const ZERO: LatencyDist = LatencyDist {
        p50_ms: 0.0,
        p99_ms: 0.0,
    };

    pub const fn new(p50_ms: f64, p99_ms: f64) -> Self {
        LatencyDist { p50_ms, p99_ms }
    }
}

/// Base latency for every request class, plus the per-connection bandwidth that turns a
/// request's size into transfer time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyConfig {
    pub get: LatencyDist,
    pub head: LatencyDist,
    pub put: LatencyDist,
    pub list: LatencyDist,
    pub delete: LatencyDist,
    /// Bytes per second one request moves; 0 means transfer takes no time.
    pub bandwidth_bytes_per_sec: u64,
}

/// Prices in picodollars (1e-12 USD), so that totals are exact integers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    /// Per PUT/COPY/POST/LIST request (S3 bills LIST with the write class).
    pub put_list_request_picousd: u64,
    /// Per GET/HEAD request (and every other read).
    pub get_head_request_picousd: u64,
    /// Per DELETE request (free on S3).
    pub delete_request_picousd: u64,
    /// Per GiB-month stored (AWS's "GB" is 2^30 bytes).
    pub storage_picousd_per_gib_month: u64,
    /// Per GiB uploaded beyond `transfer_free_bytes` of each PUT (S3 Express One Zone).
    pub upload_picousd_per_gib: u64,
    /// Per GiB retrieved beyond `transfer_free_bytes` of each GET (S3 Express One Zone).
    pub retrieval_picousd_per_gib: u64,
    /// The part of each request's payload the per-GiB charges do not apply to.
    pub transfer_free_bytes: u64,
}

impl Pricing {
    /// S3 Standard, us-east-1: PUT/LIST $0.005 per 1,000, GET $0.0004 per 1,000, storage
    /// $0.023 per GB-month, DELETE free, no per-GB transfer charge inside the region.
    pub const fn s3_standard() -> Self {
        Pricing {
            put_list_request_picousd: 5_000_000,
            get_head_request_picousd: 400_000,
            delete_request_picousd: 0,
            storage_picousd_per_gib_month: 23_000_000_000,
            upload_picousd_per_gib: 0,
            retrieval_picousd_per_gib: 0,
            transfer_free_bytes: 0,
        }
    }

    /// S3 Express One Zone, us-east-1 (April 2025 prices): PUT/LIST $0.00113 per 1,000, GET
    /// $0.00003 per 1,000, storage $0.11 per GB-month, upload $0.0032/GB and retrieval
    /// $0.0006/GB for the part of a request above 512 KiB.
    pub const fn s3_express() -> Self {
        Pricing {
            put_list_request_picousd: 1_130_000,
            get_head_request_picousd: 30_000,
            delete_request_picousd: 0,
            storage_picousd_per_gib_month: 110_000_000_000,
            upload_picousd_per_gib: 3_200_000_000,
            retrieval_picousd_per_gib: 600_000_000,
            transfer_free_bytes: 512 * 1024,
        }
    }

    /// Nothing costs anything.
    pub const fn free() -> Self {
        Pricing {
            put_list_request_picousd: 0,
            get_head_request_picousd: 0,
            delete_request_picousd: 0,
            storage_picousd_per_gib_month: 0,
            upload_picousd_per_gib: 0,
            retrieval_picousd_per_gib: 0,
            transfer_free_bytes: 0,
        }
    }
}

/// Per-prefix request-rate limits (S3's 3,500 writes and 5,500 reads per second per prefix).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottleConfig {
    pub enabled: bool,
    /// PUT/COPY/POST/DELETE requests per second per prefix.
    pub write_requests_per_sec: u32,
    /// GET/HEAD/LIST requests per second per prefix.
    pub read_requests_per_sec: u32,
    /// How long a burst at the full rate the bucket absorbs before throttling: a burst of
    /// `rate × burst` requests at one instant passes.
    pub burst: SimDuration,
}

impl ThrottleConfig {
    pub const fn s3() -> Self {
        ThrottleConfig {
            enabled: true,
            write_requests_per_sec: 3_500,
            read_requests_per_sec: 5_500,
            burst: SimDuration::from_secs(1),
        }
    }

    pub const fn off() -> Self {
        ThrottleConfig {
            enabled: false,
            ..ThrottleConfig::s3()
        }
    }
}

/// The largest object S3 accepts in one PUT: 5 GiB.
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// Everything the simulated store can be told. Every field can change while a run is going.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimStoreConfig {
    /// The preset this config started from, for display ("s3_standard", "custom"…).
    pub name: String,
    pub latency: LatencyConfig,
    pub pricing: Pricing,
    pub throttle: ThrottleConfig,
    /// PUTs above this size fail with `InvalidRequest`.
    pub max_object_bytes: u64,
    /// The client's deadline: a request with no answer by then ends in `Timeout`.
    pub request_timeout: SimDuration,
    /// How many leading `/`-separated segments of a key name its prefix (tenant) for cost
    /// totals and throttling partitions. 1 means "tenant-a/wal/7" belongs to "tenant-a".
    pub prefix_segments: u32,
    /// The trailing window over which the request rate is measured for the $/month
    /// projection.
    pub cost_window: SimDuration,
}

/// A configuration the store refuses, with the reason.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("{class} latency: p50 {} ms and p99 {} ms must be finite, non-negative, with p99 >= p50 and p99 > 0 when p50 > 0", strata_sim::fmt::shortest(*p50_ms), strata_sim::fmt::shortest(*p99_ms))]
    BadLatency {
        class: &'static str,
        p50_ms: f64,
        p99_ms: f64,
    },
    #[error("throttle rates must be at least 1 request per second and the burst at least 1 ms")]
    BadThrottle,
    #[error("max_object_bytes must be at least 1")]
    BadMaxObjectBytes,
    #[error("request_timeout must be at least 1 ms")]
    BadRequestTimeout,
    #[error("prefix_segments must be between 1 and 16, got {0}")]
    BadPrefixSegments(u32),
    #[error("cost_window must be between 1 s and 1 hour")]
    BadCostWindow,
}

impl SimStoreConfig {
    /// Zero latency, no throttling, S3 Standard prices: semantics without waiting, for tests
    /// and benchmarks.
    pub fn instant() -> Self {
        SimStoreConfig {
            name: "instant".to_string(),
            latency: LatencyConfig {
                get: LatencyDist::ZERO,
                head: LatencyDist::ZERO,
                put: LatencyDist::ZERO,
                list: LatencyDist::ZERO,
                delete: LatencyDist::ZERO,
                bandwidth_bytes_per_sec: 0,
            },
            pricing: Pricing::s3_standard(),
            throttle: ThrottleConfig::off(),
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            request_timeout: SimDuration::from_secs(30),
            prefix_segments: 1,
            cost_window: SimDuration::from_secs(60),
        }
    }

    /// S3 Standard in one region, measured from a client in the same region.
    pub fn s3_standard() -> Self {
        SimStoreConfig {
            name: "s3_standard".to_string(),
            latency: LatencyConfig {
                get: LatencyDist::new(25.0, 100.0),
                // HEAD is a GET without the body: same time to first byte.
                head: LatencyDist::new(25.0, 100.0),
                put: LatencyDist::new(60.0, 250.0),
                list: LatencyDist::new(60.0, 200.0),
                // DELETE is a metadata write: priced as free, timed like a PUT.
                delete: LatencyDist::new(60.0, 250.0),
                bandwidth_bytes_per_sec: 100 * 1024 * 1024,
            },
            pricing: Pricing::s3_standard(),
            throttle: ThrottleConfig::s3(),
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            request_timeout: SimDuration::from_secs(30),
            prefix_segments: 1,
            cost_window: SimDuration::from_secs(60),
        }
    }

    /// S3 Express One Zone (directory bucket), client in the same availability zone.
    pub fn s3_express() -> Self {
        SimStoreConfig {
            name: "s3_express".to_string(),
            latency: LatencyConfig {
                get: LatencyDist::new(4.0, 10.0),
                head: LatencyDist::new(4.0, 10.0),
                put: LatencyDist::new(6.0, 15.0),
                list: LatencyDist::new(8.0, 20.0),
                delete: LatencyDist::new(6.0, 15.0),
                bandwidth_bytes_per_sec: 100 * 1024 * 1024,
            },
            pricing: Pricing::s3_express(),
            // Directory buckets scale to hundreds of thousands of requests per second, and
            // are not partitioned by prefix like general-purpose buckets.
            throttle: ThrottleConfig::off(),
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            request_timeout: SimDuration::from_secs(30),
            prefix_segments: 1,
            cost_window: SimDuration::from_secs(60),
        }
    }

    /// The preset named `name` ("instant", "s3_standard", "s3_express"), if there is one.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "instant" => Some(SimStoreConfig::instant()),
            "s3_standard" => Some(SimStoreConfig::s3_standard()),
            "s3_express" => Some(SimStoreConfig::s3_express()),
            _ => None,
        }
    }

    /// Checks every field; the store accepts only configs that pass.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let classes = [
            ("get", self.latency.get),
            ("head", self.latency.head),
            ("put", self.latency.put),
            ("list", self.latency.list),
            ("delete", self.latency.delete),
        ];
        for (class, dist) in classes {
            let LatencyDist { p50_ms, p99_ms } = dist;
            let finite = p50_ms.is_finite() && p99_ms.is_finite();
            let ordered = p50_ms >= 0.0 && p99_ms >= p50_ms;
            // A positive p50 with p99 == p50 is a point mass: fine. Zero p50 with a positive
            // p99 has no lognormal (ln 0), so it is refused.
            let representable = p50_ms > 0.0 || p99_ms == 0.0;
            // Over a day per request is a typo, and would overflow nanosecond arithmetic
            // after the slow-fault multiplier.
            let sane = p99_ms <= 86_400_000.0;
            if !(finite && ordered && representable && sane) {
                return Err(ConfigError::BadLatency {
                    class,
                    p50_ms,
                    p99_ms,
                });
            }
        }
        let throttle = &self.throttle;
        if throttle.write_requests_per_sec == 0
            || throttle.read_requests_per_sec == 0
            || throttle.burst < SimDuration::from_millis(1)
        {
            return Err(ConfigError::BadThrottle);
        }
        if self.max_object_bytes == 0 {
            return Err(ConfigError::BadMaxObjectBytes);
        }
        if self.request_timeout < SimDuration::from_millis(1) {
            return Err(ConfigError::BadRequestTimeout);
        }
        if !(1..=16).contains(&self.prefix_segments) {
            return Err(ConfigError::BadPrefixSegments(self.prefix_segments));
        }
        if self.cost_window < SimDuration::from_secs(1)
            || self.cost_window > SimDuration::from_secs(3600)
        {
            return Err(ConfigError::BadCostWindow);
        }
        Ok(())
    }
}

impl Default for SimStoreConfig {
    fn default() -> Self {
        SimStoreConfig::s3_standard()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn presets_validate_and_are_found_by_name() {
        for name in ["instant", "s3_standard", "s3_express"] {
            let config = SimStoreConfig::preset(name).expect("preset exists");
            assert_eq!(config.name, name);
            assert_eq!(config.validate(), Ok(()));
        }
        assert!(SimStoreConfig::preset("s3_glacier").is_none());
    }

    #[test]
    fn bad_latency_and_limits_are_refused() {
        let mut config = SimStoreConfig::s3_standard();
        config.latency.put = LatencyDist::new(50.0, 10.0);
        assert!(matches!(
            config.validate(),
            Err(ConfigError::BadLatency { class: "put", .. })
        ));
        config.latency.put = LatencyDist::new(0.0, 5.0);
        assert!(config.validate().is_err());
        config.latency.put = LatencyDist::new(f64::NAN, 5.0);
        assert!(config.validate().is_err());
        config.latency.put = LatencyDist::new(5.0, 5.0);
        assert_eq!(config.validate(), Ok(()));

        let mut config = SimStoreConfig::instant();
        config.max_object_bytes = 0;
        assert_eq!(config.validate(), Err(ConfigError::BadMaxObjectBytes));
        let mut config = SimStoreConfig::instant();
        config.prefix_segments = 0;
        assert_eq!(config.validate(), Err(ConfigError::BadPrefixSegments(0)));
        let mut config = SimStoreConfig::instant();
        config.throttle.read_requests_per_sec = 0;
        assert_eq!(config.validate(), Err(ConfigError::BadThrottle));
    }

    #[test]
    fn config_round_trips_through_json() {
        let config = SimStoreConfig::s3_express();
        let json = serde_json::to_string(&config).expect("serialises");
        let back: SimStoreConfig = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, config);
    }
}
