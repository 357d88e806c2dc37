//! The workload section: the arrival rate, the key distribution and key space, value sizes,
//! the operation mix (range deletes among it), the writes' time-to-live, and how many
//! operations may be in flight.

use super::json;
use super::{
    check_finite_non_negative, check_range_u64, got, invalid, ScenarioError, MAX_DURATION_MS,
    MAX_IN_FLIGHT, MAX_KEY_BYTES, MAX_KEY_COUNT, MAX_OPS_PER_SCAN_OR_BATCH, MAX_RATE_OPS_PER_SEC,
    MAX_VALUE_BYTES, MIN_VALUE_BYTES,
};
use serde::{Serialize, Serializer};
use strata_sim::fmt::shortest;

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

impl KeyDistribution {
    /// Reads `{"kind": "zipf", "s": 0.9}` (see [`json::tagged`]).
    fn from_value(value: serde_json::Value) -> Result<KeyDistribution, json::Error> {
        let names = &["uniform", "zipf", "sequential"];
        let (variant, object) = json::tagged(value, "kind", "key distribution", names)?;
        // A unit variant has no fields: a stray member next to the tag is refused like any
        // other unknown field.
        let fields: &'static [&'static str] = if variant == 1 { &["s"] } else { &[] };
        let mut s = None;
        json::fields(object, fields, &mut |_, value| {
            s = Some(json::f64(value)?);
            Ok(())
        })?;
        Ok(match variant {
            0 => KeyDistribution::Uniform,
            1 => KeyDistribution::Zipf {
                s: json::required(s, "s")?,
            },
            _ => KeyDistribution::Sequential,
        })
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

impl ValueBytes {
    /// Reads a byte count or `{"min": bytes, "max": bytes}`, with the messages of the
    /// visitor serde called before (its `expecting` is the wrong-type message's).
    fn from_value(value: serde_json::Value) -> Result<ValueBytes, json::Error> {
        use serde::de::Error as _;
        match value {
            serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(bytes), _, _) => Ok(ValueBytes::fixed(bytes)),
                (None, Some(v), _) => Err(json::Error::custom(format_args!(
                    "value_bytes must not be negative, got {v}"
                ))),
                (None, None, v) => Err(json::Error::custom(format_args!(
                    "value_bytes must be a whole number of bytes, got {}",
                    shortest(v.unwrap_or(f64::NAN))
                ))),
            },
            serde_json::Value::Object(object) => {
                let (mut min, mut max) = (None, None);
                json::fields(object, &["min", "max"], &mut |index, value| {
                    let slot = if index == 0 { &mut min } else { &mut max };
                    *slot = Some(json::u64(value)?);
                    Ok(())
                })?;
                Ok(ValueBytes {
                    min: json::required(min, "min")?,
                    max: json::required(max, "max")?,
                })
            }
            other => Err(json::wrong_type(
                &other,
                "a byte count, or {\"min\": bytes, \"max\": bytes}",
            )),
        }
    }
}

/// Relative weights of the operation kinds (any non-negative numbers with a positive sum).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OpMix {
    pub read: f64,
    pub write: f64,
    pub delete: f64,
    pub scan: f64,
    /// Atomic write batches of `WorkloadSpec::batch_size` puts.
    pub batch: f64,
    /// Range deletes of `WorkloadSpec::range_delete_width` keys from a drawn key. Written
    /// only when positive, so a mix without range deletes reads and writes as it always has.
    #[serde(skip_serializing_if = "is_zero")]
    pub delete_range: f64,
}

fn is_zero(weight: &f64) -> bool {
    *weight == 0.0
}

impl Default for OpMix {
    fn default() -> Self {
        OpMix {
            read: 0.0,
            write: 1.0,
            delete: 0.0,
            scan: 0.0,
            batch: 0.0,
            delete_range: 0.0,
        }
    }
}

impl OpMix {
    /// The weights' names, in the order of [`OpMix::weights`] (range deletes last, so that a
    /// mix without them draws exactly as before they existed).
    pub const NAMES: [&'static str; 6] =
        ["read", "write", "delete", "scan", "batch", "delete_range"];

    /// The weights in a fixed order: read, write, delete, scan, batch, delete_range.
    pub fn weights(&self) -> [f64; 6] {
        [
            self.read,
            self.write,
            self.delete,
            self.scan,
            self.batch,
            self.delete_range,
        ]
    }
}

/// The default width of a range delete, in keys of the key space.
pub const DEFAULT_RANGE_DELETE_WIDTH: u32 = 10;

fn is_default_range_delete_width(width: &u32) -> bool {
    *width == DEFAULT_RANGE_DELETE_WIDTH
}

/// The client workload: an open-loop arrival process (Poisson at `rate_ops_per_sec`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkloadSpec {
    /// Mean arrivals per simulated second, all kinds together. Zero pauses the workload.
    pub rate_ops_per_sec: f64,
    pub key_distribution: KeyDistribution,
    /// Keys are drawn from `0..key_count`.
    pub key_count: u64,
    /// Every key is `k` followed by its zero-padded index, this many bytes in all.
    pub key_bytes: u32,
    pub value_bytes: ValueBytes,
    pub mix: OpMix,
    /// Entries a scan asks for, starting at a drawn key.
    pub scan_keys: u32,
    /// Puts per batch.
    pub batch_size: u32,
    /// Keys a range delete covers: from a drawn key (like a scan's start), this many
    /// consecutive keys of the key space, cut at its end.
    #[serde(skip_serializing_if = "is_default_range_delete_width")]
    pub range_delete_width: u32,
    /// The time-to-live of every put and batch put, in simulated milliseconds; `None` (the
    /// default) writes entries that never expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
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
            range_delete_width: DEFAULT_RANGE_DELETE_WIDTH,
            ttl_ms: None,
            await_durable: false,
            max_in_flight: 1024,
        }
    }
}

impl OpMix {
    fn from_value(value: serde_json::Value) -> Result<OpMix, json::Error> {
        json::section(value, "struct OpMix", |object| {
            let mut mix = OpMix::default();
            json::fields(object, &OpMix::NAMES, &mut |index, value| {
                let weight = json::f64(value)?;
                match index {
                    0 => mix.read = weight,
                    1 => mix.write = weight,
                    2 => mix.delete = weight,
                    3 => mix.scan = weight,
                    4 => mix.batch = weight,
                    _ => mix.delete_range = weight,
                }
                Ok(())
            })?;
            Ok(mix)
        })
    }
}

impl WorkloadSpec {
    const FIELDS: &'static [&'static str] = &[
        "rate_ops_per_sec",
        "key_distribution",
        "key_count",
        "key_bytes",
        "value_bytes",
        "mix",
        "scan_keys",
        "batch_size",
        "range_delete_width",
        "ttl_ms",
        "await_durable",
        "max_in_flight",
    ];

    /// Reads the section from its JSON object (see [`json`]); every field has its default.
    pub(crate) fn from_value(value: serde_json::Value) -> Result<WorkloadSpec, json::Error> {
        json::section(value, "struct WorkloadSpec", |object| {
            let mut spec = WorkloadSpec::default();
            json::fields(object, WorkloadSpec::FIELDS, &mut |index, value| {
                match index {
                    0 => spec.rate_ops_per_sec = json::f64(value)?,
                    1 => spec.key_distribution = KeyDistribution::from_value(value)?,
                    2 => spec.key_count = json::u64(value)?,
                    3 => spec.key_bytes = json::u32(value)?,
                    4 => spec.value_bytes = ValueBytes::from_value(value)?,
                    5 => spec.mix = OpMix::from_value(value)?,
                    6 => spec.scan_keys = json::u32(value)?,
                    7 => spec.batch_size = json::u32(value)?,
                    8 => spec.range_delete_width = json::u32(value)?,
                    9 => spec.ttl_ms = json::optional(value, json::u64)?,
                    10 => spec.await_durable = json::bool(value)?,
                    _ => spec.max_in_flight = json::u32(value)?,
                }
                Ok(())
            })?;
            Ok(spec)
        })
    }
}

impl WorkloadSpec {
    /// Writes the section as the derived `Serialize` does (see [`json::Writer`]).
    pub(crate) fn write_json(&self, w: &mut json::Writer) {
        w.begin_object();
        w.key("rate_ops_per_sec").f64(self.rate_ops_per_sec);
        w.key("key_distribution").begin_object();
        match self.key_distribution {
            KeyDistribution::Uniform => w.key("kind").string("uniform"),
            KeyDistribution::Zipf { s } => {
                w.key("kind").string("zipf");
                w.key("s").f64(s);
            }
            KeyDistribution::Sequential => w.key("kind").string("sequential"),
        }
        w.end_object();
        w.key("key_count").u64(self.key_count);
        w.key("key_bytes").u64(self.key_bytes.into());
        let ValueBytes { min, max } = self.value_bytes;
        if min == max {
            w.key("value_bytes").u64(min);
        } else {
            w.key("value_bytes").begin_object();
            w.key("min").u64(min);
            w.key("max").u64(max);
            w.end_object();
        }
        w.key("mix").begin_object();
        for (name, weight) in OpMix::NAMES.iter().zip(self.mix.weights()) {
            // Only `delete_range` is left out at zero (see `OpMix`).
            if *name != "delete_range" || !is_zero(&weight) {
                w.key(name).f64(weight);
            }
        }
        w.end_object();
        w.key("scan_keys").u64(self.scan_keys.into());
        w.key("batch_size").u64(self.batch_size.into());
        if !is_default_range_delete_width(&self.range_delete_width) {
            w.key("range_delete_width")
                .u64(self.range_delete_width.into());
        }
        w.optional_u64("ttl_ms", self.ttl_ms);
        w.key("await_durable").bool(self.await_durable);
        w.key("max_in_flight").u64(self.max_in_flight.into());
        w.end_object();
    }
}

json::deserialize_with_reader! {
    KeyDistribution => KeyDistribution::from_value;
    ValueBytes => ValueBytes::from_value;
    OpMix => OpMix::from_value;
    WorkloadSpec => WorkloadSpec::from_value;
}

impl WorkloadSpec {
    pub fn validate(&self) -> Result<(), ScenarioError> {
        check_finite_non_negative("workload.rate_ops_per_sec", self.rate_ops_per_sec)?;
        if self.rate_ops_per_sec > MAX_RATE_OPS_PER_SEC {
            return Err(invalid(
                "workload.rate_ops_per_sec",
                format!(
                    "{} is over the limit of {}",
                    shortest(self.rate_ops_per_sec),
                    shortest(MAX_RATE_OPS_PER_SEC)
                ),
            ));
        }
        if let KeyDistribution::Zipf { s } = self.key_distribution {
            if !s.is_finite() || !(0.0..=10.0).contains(&s) {
                return Err(invalid(
                    "workload.key_distribution.s",
                    got("the Zipf exponent must be in [0, 10]", s),
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
        for (name, weight) in OpMix::NAMES.iter().zip(self.mix.weights()) {
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
            "workload.range_delete_width",
            self.range_delete_width.into(),
            1,
            MAX_OPS_PER_SCAN_OR_BATCH.into(),
        )?;
        if let Some(ttl_ms) = self.ttl_ms {
            // No run lasts longer than its duration limit, so a longer TTL could never be
            // seen to expire.
            check_range_u64("workload.ttl_ms", ttl_ms, 1, MAX_DURATION_MS)?;
        }
        check_range_u64(
            "workload.max_in_flight",
            self.max_in_flight.into(),
            1,
            MAX_IN_FLIGHT.into(),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::super::Scenario;
    use super::*;

    fn refused_field(workload: WorkloadSpec) -> String {
        let scenario = Scenario {
            workload,
            ..Scenario::playground()
        };
        match scenario.compile() {
            Err(ScenarioError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn range_delete_width_and_ttl_out_of_range_are_refused_naming_the_field() {
        let mix = OpMix {
            delete_range: 1.0,
            ..OpMix::default()
        };
        for (workload, field) in [
            (
                WorkloadSpec {
                    range_delete_width: 0,
                    mix,
                    ..WorkloadSpec::default()
                },
                "workload.range_delete_width",
            ),
            (
                WorkloadSpec {
                    range_delete_width: MAX_OPS_PER_SCAN_OR_BATCH + 1,
                    ..WorkloadSpec::default()
                },
                "workload.range_delete_width",
            ),
            (
                WorkloadSpec {
                    ttl_ms: Some(0),
                    ..WorkloadSpec::default()
                },
                "workload.ttl_ms",
            ),
            (
                WorkloadSpec {
                    ttl_ms: Some(MAX_DURATION_MS + 1),
                    ..WorkloadSpec::default()
                },
                "workload.ttl_ms",
            ),
            (
                WorkloadSpec {
                    mix: OpMix {
                        delete_range: -1.0,
                        ..OpMix::default()
                    },
                    ..WorkloadSpec::default()
                },
                "workload.mix.delete_range",
            ),
        ] {
            assert_eq!(refused_field(workload), field);
        }
        let fine = Scenario {
            workload: WorkloadSpec {
                mix,
                ttl_ms: Some(MAX_DURATION_MS),
                range_delete_width: 1,
                ..WorkloadSpec::default()
            },
            ..Scenario::playground()
        };
        fine.compile().unwrap();
    }

    #[test]
    fn range_deletes_and_ttl_read_and_write_their_json_and_stay_out_of_it_when_unused() {
        let text = r#"{"mix": {"write": 1, "delete_range": 0.5}, "range_delete_width": 25, "ttl_ms": 3000}"#;
        let workload: WorkloadSpec = serde_json::from_str(text).unwrap();
        assert_eq!(workload.mix.delete_range, 0.5);
        assert_eq!(workload.range_delete_width, 25);
        assert_eq!(workload.ttl_ms, Some(3000));
        let back: WorkloadSpec =
            serde_json::from_str(&serde_json::to_string(&workload).unwrap()).unwrap();
        assert_eq!(back, workload);
        // A workload that uses neither writes exactly what it wrote before they existed, so
        // its share links do not change.
        let plain = serde_json::to_string(&WorkloadSpec::default()).unwrap();
        for name in ["delete_range", "range_delete_width", "ttl_ms"] {
            assert!(!plain.contains(name), "{name} in {plain}");
        }
    }
}
