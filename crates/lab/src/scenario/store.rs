//! The store section: a simulated object-store preset and any of its parameters overridden
//! (latencies, bandwidth, rate limits, the request deadline, prices).

use super::{check_finite_non_negative, check_positive, invalid, ScenarioError};
use serde::{Deserialize, Serialize};

/// The object-store presets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorePreset {
    #[default]
    S3Standard,
    S3Express,
    /// Zero latency, no cost: the engine's own speed.
    Instant,
}

impl StorePreset {
    pub fn as_str(self) -> &'static str {
        match self {
            StorePreset::S3Standard => "s3_standard",
            StorePreset::S3Express => "s3_express",
            StorePreset::Instant => "instant",
        }
    }
}

/// Latency of one request class: lognormal with these two percentiles.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The simulated store: a preset, and any parameter overridden.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSpec {
    pub preset: StorePreset,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json::optional_object"
    )]
    pub get_latency: Option<LatencySpec>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json::optional_object"
    )]
    pub put_latency: Option<LatencySpec>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json::optional_object"
    )]
    pub list_latency: Option<LatencySpec>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json::optional_object"
    )]
    pub delete_latency: Option<LatencySpec>,
    /// Per-connection transfer rate; adds size ÷ bandwidth to every request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bandwidth_bytes_per_sec: Option<f64>,
    /// Per-prefix PUT/DELETE rate limit before 503 SlowDown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub put_limit_per_sec: Option<f64>,
    /// Per-prefix GET/HEAD rate limit before 503 SlowDown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_limit_per_sec: Option<f64>,
    /// The client's deadline per request; a request without an answer by then times out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub put_usd_per_1000: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_usd_per_1000: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_usd_per_1000: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_usd_per_gb_month: Option<f64>,
}

impl StoreSpec {
    pub fn validate(&self) -> Result<(), ScenarioError> {
        for (field, latency) in [
            ("store.get_latency", self.get_latency),
            ("store.put_latency", self.put_latency),
            ("store.list_latency", self.list_latency),
            ("store.delete_latency", self.delete_latency),
        ] {
            if let Some(LatencySpec { p50_ms, p99_ms }) = latency {
                check_finite_non_negative(&format!("{field}.p50_ms"), p50_ms)?;
                check_finite_non_negative(&format!("{field}.p99_ms"), p99_ms)?;
                if p99_ms < p50_ms {
                    return Err(invalid(
                        field,
                        format!("p99_ms {p99_ms} is below p50_ms {p50_ms}"),
                    ));
                }
            }
        }
        if let Some(bandwidth) = self.bandwidth_bytes_per_sec {
            check_positive("store.bandwidth_bytes_per_sec", bandwidth)?;
        }
        if let Some(timeout) = self.request_timeout_ms {
            if !timeout.is_finite() || !(1.0..=3_600_000.0).contains(&timeout) {
                return Err(invalid(
                    "store.request_timeout_ms",
                    format!("must be between 1 and 3,600,000, got {timeout}"),
                ));
            }
        }
        for (field, value) in [
            ("store.put_limit_per_sec", self.put_limit_per_sec),
            ("store.get_limit_per_sec", self.get_limit_per_sec),
        ] {
            if let Some(value) = value {
                check_positive(field, value)?;
            }
        }
        for (field, value) in [
            ("store.put_usd_per_1000", self.put_usd_per_1000),
            ("store.get_usd_per_1000", self.get_usd_per_1000),
            ("store.list_usd_per_1000", self.list_usd_per_1000),
            (
                "store.storage_usd_per_gb_month",
                self.storage_usd_per_gb_month,
            ),
        ] {
            if let Some(value) = value {
                check_finite_non_negative(field, value)?;
            }
        }
        Ok(())
    }
}
