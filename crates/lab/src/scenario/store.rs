//! The store section: a simulated object-store preset and any of its parameters overridden
//! (latencies, bandwidth, rate limits, the request deadline, prices).

use super::json;
use super::{check_finite_non_negative, check_positive, got, invalid, member, ScenarioError};
use serde::Serialize;
use strata_sim::fmt::shortest;

/// The object-store presets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorePreset {
    #[default]
    S3Standard,
    S3Express,
    /// Zero latency, no cost: the engine's own speed.
    Instant,
}

impl StorePreset {
    const ALL: [StorePreset; 3] = [
        StorePreset::S3Standard,
        StorePreset::S3Express,
        StorePreset::Instant,
    ];

    /// Reads the name as serde_json reads a unit variant (see [`json::unit_variant`]).
    fn from_value(value: serde_json::Value) -> Result<StorePreset, json::Error> {
        let names = &["s3_standard", "s3_express", "instant"];
        json::unit_variant(value, names).map(|index| StorePreset::ALL[index])
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StorePreset::S3Standard => "s3_standard",
            StorePreset::S3Express => "s3_express",
            StorePreset::Instant => "instant",
        }
    }
}

/// Latency of one request class: lognormal with these two percentiles.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LatencySpec {
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The simulated store: a preset, and any parameter overridden.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StoreSpec {
    pub preset: StorePreset,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_latency: Option<LatencySpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub put_latency: Option<LatencySpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_latency: Option<LatencySpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
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

impl LatencySpec {
    fn from_value(value: serde_json::Value) -> Result<LatencySpec, json::Error> {
        json::section(value, "struct LatencySpec", |object| {
            let (mut p50_ms, mut p99_ms) = (None, None);
            json::fields(object, &["p50_ms", "p99_ms"], &mut |index, value| {
                let slot = if index == 0 { &mut p50_ms } else { &mut p99_ms };
                *slot = Some(json::f64(value)?);
                Ok(())
            })?;
            Ok(LatencySpec {
                p50_ms: json::required(p50_ms, "p50_ms")?,
                p99_ms: json::required(p99_ms, "p99_ms")?,
            })
        })
    }
}

impl StoreSpec {
    const FIELDS: &'static [&'static str] = &[
        "preset",
        "get_latency",
        "put_latency",
        "list_latency",
        "delete_latency",
        "bandwidth_bytes_per_sec",
        "put_limit_per_sec",
        "get_limit_per_sec",
        "request_timeout_ms",
        "put_usd_per_1000",
        "get_usd_per_1000",
        "list_usd_per_1000",
        "storage_usd_per_gb_month",
    ];

    /// Reads the section from its JSON object (see [`json`]); every field is optional.
    pub(crate) fn from_value(value: serde_json::Value) -> Result<StoreSpec, json::Error> {
        json::section(value, "struct StoreSpec", |object| {
            let mut spec = StoreSpec::default();
            json::fields(object, StoreSpec::FIELDS, &mut |index, value| {
                let latency = |value| json::optional(value, LatencySpec::from_value);
                let float = |value| json::optional(value, json::f64);
                match index {
                    0 => spec.preset = StorePreset::from_value(value)?,
                    1 => spec.get_latency = latency(value)?,
                    2 => spec.put_latency = latency(value)?,
                    3 => spec.list_latency = latency(value)?,
                    4 => spec.delete_latency = latency(value)?,
                    5 => spec.bandwidth_bytes_per_sec = float(value)?,
                    6 => spec.put_limit_per_sec = float(value)?,
                    7 => spec.get_limit_per_sec = float(value)?,
                    8 => spec.request_timeout_ms = float(value)?,
                    9 => spec.put_usd_per_1000 = float(value)?,
                    10 => spec.get_usd_per_1000 = float(value)?,
                    11 => spec.list_usd_per_1000 = float(value)?,
                    _ => spec.storage_usd_per_gb_month = float(value)?,
                }
                Ok(())
            })?;
            Ok(spec)
        })
    }
}

impl StoreSpec {
    /// Writes the section as the derived `Serialize` does (see [`json::Writer`]).
    pub(crate) fn write_json(&self, w: &mut json::Writer) {
        w.begin_object();
        w.key("preset").string(self.preset.as_str());
        for (name, latency) in [
            ("get_latency", self.get_latency),
            ("put_latency", self.put_latency),
            ("list_latency", self.list_latency),
            ("delete_latency", self.delete_latency),
        ] {
            if let Some(LatencySpec { p50_ms, p99_ms }) = latency {
                w.key(name).begin_object();
                w.key("p50_ms").f64(p50_ms);
                w.key("p99_ms").f64(p99_ms);
                w.end_object();
            }
        }
        for (name, value) in [
            ("bandwidth_bytes_per_sec", self.bandwidth_bytes_per_sec),
            ("put_limit_per_sec", self.put_limit_per_sec),
            ("get_limit_per_sec", self.get_limit_per_sec),
            ("request_timeout_ms", self.request_timeout_ms),
            ("put_usd_per_1000", self.put_usd_per_1000),
            ("get_usd_per_1000", self.get_usd_per_1000),
            ("list_usd_per_1000", self.list_usd_per_1000),
            ("storage_usd_per_gb_month", self.storage_usd_per_gb_month),
        ] {
            w.optional_f64(name, value);
        }
        w.end_object();
    }
}

json::deserialize_with_reader! {
    StorePreset => StorePreset::from_value;
    LatencySpec => LatencySpec::from_value;
    StoreSpec => StoreSpec::from_value;
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
                check_finite_non_negative(&member(field, "p50_ms"), p50_ms)?;
                check_finite_non_negative(&member(field, "p99_ms"), p99_ms)?;
                if p99_ms < p50_ms {
                    return Err(invalid(
                        field,
                        format!(
                            "p99_ms {} is below p50_ms {}",
                            shortest(p99_ms),
                            shortest(p50_ms)
                        ),
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
                    got("must be between 1 and 3,600,000", timeout),
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
