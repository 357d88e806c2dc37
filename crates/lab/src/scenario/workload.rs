//! The workload section: the arrival rate, the key distribution and key space, value sizes,
//! the operation mix, and how many operations may be in flight.

use super::json::deserialize_tagged;
use super::{
    check_finite_non_negative, check_range_u64, invalid, ScenarioError, MAX_IN_FLIGHT,
    MAX_KEY_BYTES, MAX_KEY_COUNT, MAX_OPS_PER_SCAN_OR_BATCH, MAX_RATE_OPS_PER_SEC, MAX_VALUE_BYTES,
    MIN_VALUE_BYTES,
};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// How keys are picked.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyDistribution {
    /// Every key equally likely.
    Uniform,
    /// Key rank r drawn with probability ∝ 1 / (r + 1)^s (s = 0 is uniform, s ≈ 1 is skewed).
    Zipf { s: f64 },
    /// Keys 0, 1, 2, … in order, wrapping at `key_count`.
    Sequential,
}

/// [`KeyDistribution`]'s fields, read externally tagged (see [`deserialize_tagged`]). The
/// unit variants are written `{}` so that `{"kind": "uniform"}` becomes `{"uniform": {}}` and
/// a stray field next to the tag is refused like any other unknown field.
#[derive(Deserialize)]
#[serde(
    remote = "KeyDistribution",
    rename_all = "snake_case",
    deny_unknown_fields
)]
#[allow(dead_code)] // Only its generated `deserialize` is used; it builds `KeyDistribution`s.
enum KeyDistributionDef {
    Uniform {},
    Zipf { s: f64 },
    Sequential {},
}

impl<'de> Deserialize<'de> for KeyDistribution {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_tagged(
            deserializer,
            "kind",
            "key distribution",
            KeyDistributionDef::deserialize,
        )
    }
}

/// Value sizes: a fixed size (`"value_bytes": 100`) or a uniform range
/// (`"value_bytes": {"min": 64, "max": 256}`), both inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueBytes {
    pub min: u64,
    pub max: u64,
}

impl ValueBytes {
    pub const fn fixed(bytes: u64) -> Self {
        ValueBytes {
            min: bytes,
            max: bytes,
        }
    }
}

impl Serialize for ValueBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        if self.min == self.max {
            serializer.serialize_u64(self.min)
        } else {
            let mut s = serializer.serialize_struct("ValueBytes", 2)?;
            s.serialize_field("min", &self.min)?;
            s.serialize_field("max", &self.max)?;
            s.end()
        }
    }
}

impl<'de> Deserialize<'de> for ValueBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueBytesVisitor;
        impl<'de> Visitor<'de> for ValueBytesVisitor {
            type Value = ValueBytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte count, or {\"min\": bytes, \"max\": bytes}")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ValueBytes, E> {
                Ok(ValueBytes::fixed(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ValueBytes, E> {
                u64::try_from(v)
                    .map(ValueBytes::fixed)
                    .map_err(|_| E::custom(format!("value_bytes must not be negative, got {v}")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ValueBytes, E> {
                Err(E::custom(format!(
                    "value_bytes must be a whole number of bytes, got {v}"
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ValueBytes, A::Error> {
                let mut min = None;
                let mut max = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "min" => min = Some(map.next_value::<u64>()?),
                        "max" => max = Some(map.next_value::<u64>()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["min", "max"]));
                        }
                    }
                }
                let min = min.ok_or_else(|| de::Error::missing_field("min"))?;
                let max = max.ok_or_else(|| de::Error::missing_field("max"))?;
                Ok(ValueBytes { min, max })
            }
        }
        deserializer.deserialize_any(ValueBytesVisitor)
    }
}

/// Relative weights of the operation kinds (any non-negative numbers with a positive sum).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpMix {
    pub read: f64,
    pub write: f64,
    pub delete: f64,
    pub scan: f64,
    /// Atomic write batches of `WorkloadSpec::batch_size` puts.
    pub batch: f64,
}

impl Default for OpMix {
    fn default() -> Self {
        OpMix {
            read: 0.0,
            write: 1.0,
            delete: 0.0,
            scan: 0.0,
            batch: 0.0,
        }
    }
}

impl OpMix {
    /// The weights in a fixed order: read, write, delete, scan, batch.
    pub fn weights(&self) -> [f64; 5] {
        [self.read, self.write, self.delete, self.scan, self.batch]
    }
}

/// The client workload: an open-loop arrival process (Poisson at `rate_ops_per_sec`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadSpec {
    /// Mean arrivals per simulated second, all kinds together. Zero pauses the workload.
    pub rate_ops_per_sec: f64,
    pub key_distribution: KeyDistribution,
    /// Keys are drawn from `0..key_count`.
    pub key_count: u64,
    /// Every key is `k` followed by its zero-padded index, this many bytes in all.
    pub key_bytes: u32,
    pub value_bytes: ValueBytes,
    #[serde(deserialize_with = "super::json::object")]
    pub mix: OpMix,
    /// Entries a scan asks for, starting at a drawn key.
    pub scan_keys: u32,
    /// Puts per batch.
    pub batch_size: u32,
    /// Writes are acknowledged only once durable in the object store.
    pub await_durable: bool,
    /// The most operations in flight; arrivals wait beyond it.
    pub max_in_flight: u32,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec {
            rate_ops_per_sec: 100.0,
            key_distribution: KeyDistribution::Uniform,
            key_count: 10_000,
            key_bytes: 16,
            value_bytes: ValueBytes::fixed(100),
            mix: OpMix::default(),
            scan_keys: 100,
            batch_size: 10,
            await_durable: false,
            max_in_flight: 1024,
        }
    }
}

impl WorkloadSpec {
    pub fn validate(&self) -> Result<(), ScenarioError> {
        check_finite_non_negative("workload.rate_ops_per_sec", self.rate_ops_per_sec)?;
        if self.rate_ops_per_sec > MAX_RATE_OPS_PER_SEC {
            return Err(invalid(
                "workload.rate_ops_per_sec",
                format!(
                    "{} is over the limit of {MAX_RATE_OPS_PER_SEC}",
                    self.rate_ops_per_sec
                ),
            ));
        }
        if let KeyDistribution::Zipf { s } = self.key_distribution {
            if !s.is_finite() || !(0.0..=10.0).contains(&s) {
                return Err(invalid(
                    "workload.key_distribution.s",
                    format!("the Zipf exponent must be in [0, 10], got {s}"),
                ));
            }
        }
        check_range_u64("workload.key_count", self.key_count, 1, MAX_KEY_COUNT)?;
        let needed = crate::workload::KeySpace::min_key_bytes(self.key_count);
        if self.key_bytes < needed || self.key_bytes > MAX_KEY_BYTES {
            return Err(invalid(
                "workload.key_bytes",
                format!(
                    "must be between {needed} (enough for {} keys) and {MAX_KEY_BYTES}, got {}",
                    self.key_count, self.key_bytes
                ),
            ));
        }
        let ValueBytes { min, max } = self.value_bytes;
        if min > max {
            return Err(invalid(
                "workload.value_bytes",
                format!("min {min} is greater than max {max}"),
            ));
        }
        check_range_u64(
            "workload.value_bytes",
            min,
            MIN_VALUE_BYTES,
            MAX_VALUE_BYTES,
        )?;
        check_range_u64(
            "workload.value_bytes",
            max,
            MIN_VALUE_BYTES,
            MAX_VALUE_BYTES,
        )?;
        let names = ["read", "write", "delete", "scan", "batch"];
        for (name, weight) in names.iter().zip(self.mix.weights()) {
            check_finite_non_negative(&format!("workload.mix.{name}"), weight)?;
        }
        if self.mix.weights().iter().sum::<f64>() <= 0.0 {
            return Err(invalid(
                "workload.mix",
                "at least one operation kind needs a positive weight",
            ));
        }
        check_range_u64(
            "workload.scan_keys",
            self.scan_keys.into(),
            1,
            MAX_OPS_PER_SCAN_OR_BATCH.into(),
        )?;
        check_range_u64(
            "workload.batch_size",
            self.batch_size.into(),
            1,
            MAX_OPS_PER_SCAN_OR_BATCH.into(),
        )?;
        check_range_u64(
            "workload.max_in_flight",
            self.max_in_flight.into(),
            1,
            MAX_IN_FLIGHT.into(),
        )?;
        Ok(())
    }
}
