//! The engine section: engine options, each optional (a field left out keeps the engine's
//! default), with compaction and backpressure as their own subsections.

use super::json;
use super::{
    check_finite_non_negative, check_positive, check_range_u64, got, invalid, ScenarioError,
};
use serde::Serialize;

/// Engine options; a field left out keeps the engine's default.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EngineSpec {
    /// The database's path prefix in the bucket (default `db`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// One WAL object is written per interval (or sooner when the buffer fills).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flush_interval_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_wal_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memtable_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_immutable_memtables: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bloom_bits_per_key: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_cache_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gc_interval_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gc_min_age_ms: Option<f64>,
    /// Compaction style and parameters (default: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compaction: Option<CompactionSpec>,
    /// Write backpressure limits (default: only the frozen-memtable bound).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backpressure: Option<BackpressureSpec>,
    /// Store retries: attempts, backoff base and cap, and the deadline of one request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_max_attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_base_delay_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_max_delay_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_deadline_ms: Option<f64>,
    /// Hedge read GETs slower than this percentile (0 < p < 100) of recent GETs…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hedge_percentile: Option<f64>,
    /// …or slower than this fixed delay (give one of the two).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hedge_delay_ms: Option<f64>,
    /// Run a read replica polling every this many ms; the summary reports its staleness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reader_poll_interval_ms: Option<f64>,
}

named_enum! {
    /// A compaction style, as a scenario names it (the engine's `CompactionStyle` carries the
    /// style's parameters too).
    pub enum CompactionKind: "compaction style" {
        /// No compaction: L0 grows.
        None = "none",
        Leveled = "leveled",
        SizeTiered = "size_tiered",
    }
}

named_enum! {
    /// What a write does past a backpressure limit, as a scenario names it.
    pub enum BackpressureKind: "backpressure mode" {
        /// The write waits until flushing and compaction catch up.
        Stall = "stall",
        /// The write fails at once (kind `Unavailable`).
        Reject = "reject",
    }
}

/// Compaction: the style and, optionally, its parameters (omitted ones keep the engine's
/// defaults for that style).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CompactionSpec {
    pub style: CompactionKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l0_trigger: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_merge_runs: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_runs: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_base_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_levels: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_sst_bytes: Option<u64>,
}

impl CompactionSpec {
    /// A style with every parameter at the engine's default for it.
    pub fn style(style: CompactionKind) -> Self {
        CompactionSpec {
            style,
            l0_trigger: None,
            min_merge_runs: None,
            max_runs: None,
            size_ratio: None,
            level_base_bytes: None,
            level_ratio: None,
            max_levels: None,
            target_sst_bytes: None,
        }
    }
}

/// Write backpressure: `stall` or `reject` past either limit (0 or omitted: no limit).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BackpressureSpec {
    /// Stall when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<BackpressureKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_l0_ssts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unflushed_bytes: Option<u64>,
}

impl EngineSpec {
    const FIELDS: &'static [&'static str] = &[
        "path",
        "flush_interval_ms",
        "max_wal_bytes",
        "memtable_bytes",
        "max_immutable_memtables",
        "block_bytes",
        "bloom_bits_per_key",
        "block_cache_bytes",
        "gc_interval_ms",
        "gc_min_age_ms",
        "compaction",
        "backpressure",
        "store_max_attempts",
        "retry_base_delay_ms",
        "retry_max_delay_ms",
        "retry_deadline_ms",
        "hedge_percentile",
        "hedge_delay_ms",
        "reader_poll_interval_ms",
    ];

    /// Reads the section from its JSON object (see [`json`]); every field is optional.
    pub(crate) fn from_value(value: serde_json::Value) -> Result<EngineSpec, json::Error> {
        json::section(value, "struct EngineSpec", |object| {
            let mut spec = EngineSpec::default();
            json::fields(object, EngineSpec::FIELDS, &mut |index, value| {
                let float = |value| json::optional(value, json::f64);
                let bytes = |value| json::optional(value, json::u64);
                let count = |value| json::optional(value, json::u32);
                match index {
                    0 => spec.path = json::optional(value, json::string)?,
                    1 => spec.flush_interval_ms = float(value)?,
                    2 => spec.max_wal_bytes = bytes(value)?,
                    3 => spec.memtable_bytes = bytes(value)?,
                    4 => spec.max_immutable_memtables = count(value)?,
                    5 => spec.block_bytes = bytes(value)?,
                    6 => spec.bloom_bits_per_key = count(value)?,
                    7 => spec.block_cache_bytes = bytes(value)?,
                    8 => spec.gc_interval_ms = float(value)?,
                    9 => spec.gc_min_age_ms = float(value)?,
                    10 => spec.compaction = json::optional(value, CompactionSpec::from_value)?,
                    11 => spec.backpressure = json::optional(value, BackpressureSpec::from_value)?,
                    12 => spec.store_max_attempts = count(value)?,
                    13 => spec.retry_base_delay_ms = float(value)?,
                    14 => spec.retry_max_delay_ms = float(value)?,
                    15 => spec.retry_deadline_ms = float(value)?,
                    16 => spec.hedge_percentile = float(value)?,
                    17 => spec.hedge_delay_ms = float(value)?,
                    _ => spec.reader_poll_interval_ms = float(value)?,
                }
                Ok(())
            })?;
            Ok(spec)
        })
    }
}

impl CompactionSpec {
    const FIELDS: &'static [&'static str] = &[
        "style",
        "l0_trigger",
        "min_merge_runs",
        "max_runs",
        "size_ratio",
        "level_base_bytes",
        "level_ratio",
        "max_levels",
        "target_sst_bytes",
    ];

    /// Reads the subsection from its JSON object: `style` is required.
    fn from_value(value: serde_json::Value) -> Result<CompactionSpec, json::Error> {
        json::section(value, "struct CompactionSpec", |object| {
            let mut style = None;
            let mut spec = CompactionSpec::style(CompactionKind::None);
            json::fields(object, CompactionSpec::FIELDS, &mut |index, value| {
                let float = |value| json::optional(value, json::f64);
                let count = |value| json::optional(value, json::u32);
                let bytes = |value| json::optional(value, json::u64);
                match index {
                    0 => style = Some(CompactionKind::from_value(value)?),
                    1 => spec.l0_trigger = count(value)?,
                    2 => spec.min_merge_runs = count(value)?,
                    3 => spec.max_runs = count(value)?,
                    4 => spec.size_ratio = float(value)?,
                    5 => spec.level_base_bytes = bytes(value)?,
                    6 => spec.level_ratio = float(value)?,
                    7 => spec.max_levels = count(value)?,
                    _ => spec.target_sst_bytes = bytes(value)?,
                }
                Ok(())
            })?;
            spec.style = json::required(style, "style")?;
            Ok(spec)
        })
    }
}

impl BackpressureSpec {
    /// Reads the subsection from its JSON object; every field is optional.
    fn from_value(value: serde_json::Value) -> Result<BackpressureSpec, json::Error> {
        json::section(value, "struct BackpressureSpec", |object| {
            let mut spec = BackpressureSpec::default();
            let names = &["mode", "max_l0_ssts", "max_unflushed_bytes"];
            json::fields(object, names, &mut |index, value| {
                match index {
                    0 => spec.mode = json::optional(value, BackpressureKind::from_value)?,
                    1 => spec.max_l0_ssts = json::optional(value, json::u64)?,
                    _ => spec.max_unflushed_bytes = json::optional(value, json::u64)?,
                }
                Ok(())
            })?;
            Ok(spec)
        })
    }
}

impl EngineSpec {
    /// Writes the section as the derived `Serialize` does (see [`json::Writer`]): only the
    /// options that are set.
    pub(crate) fn write_json(&self, w: &mut json::Writer) {
        w.begin_object();
        if let Some(path) = &self.path {
            w.key("path").string(path);
        }
        w.optional_f64("flush_interval_ms", self.flush_interval_ms);
        w.optional_u64("max_wal_bytes", self.max_wal_bytes);
        w.optional_u64("memtable_bytes", self.memtable_bytes);
        w.optional_u32("max_immutable_memtables", self.max_immutable_memtables);
        w.optional_u64("block_bytes", self.block_bytes);
        w.optional_u32("bloom_bits_per_key", self.bloom_bits_per_key);
        w.optional_u64("block_cache_bytes", self.block_cache_bytes);
        w.optional_f64("gc_interval_ms", self.gc_interval_ms);
        w.optional_f64("gc_min_age_ms", self.gc_min_age_ms);
        if let Some(compaction) = &self.compaction {
            w.key("compaction").begin_object();
            w.key("style").string(compaction.style.as_str());
            w.optional_u32("l0_trigger", compaction.l0_trigger);
            w.optional_u32("min_merge_runs", compaction.min_merge_runs);
            w.optional_u32("max_runs", compaction.max_runs);
            w.optional_f64("size_ratio", compaction.size_ratio);
            w.optional_u64("level_base_bytes", compaction.level_base_bytes);
            w.optional_f64("level_ratio", compaction.level_ratio);
            w.optional_u32("max_levels", compaction.max_levels);
            w.optional_u64("target_sst_bytes", compaction.target_sst_bytes);
            w.end_object();
        }
        if let Some(backpressure) = &self.backpressure {
            w.key("backpressure").begin_object();
            if let Some(mode) = backpressure.mode {
                w.key("mode").string(mode.as_str());
            }
            w.optional_u64("max_l0_ssts", backpressure.max_l0_ssts);
            w.optional_u64("max_unflushed_bytes", backpressure.max_unflushed_bytes);
            w.end_object();
        }
        w.optional_u32("store_max_attempts", self.store_max_attempts);
        w.optional_f64("retry_base_delay_ms", self.retry_base_delay_ms);
        w.optional_f64("retry_max_delay_ms", self.retry_max_delay_ms);
        w.optional_f64("retry_deadline_ms", self.retry_deadline_ms);
        w.optional_f64("hedge_percentile", self.hedge_percentile);
        w.optional_f64("hedge_delay_ms", self.hedge_delay_ms);
        w.optional_f64("reader_poll_interval_ms", self.reader_poll_interval_ms);
        w.end_object();
    }
}

json::deserialize_with_reader! {
    EngineSpec => EngineSpec::from_value;
    CompactionSpec => CompactionSpec::from_value;
    BackpressureSpec => BackpressureSpec::from_value;
}

/// The database's path prefix when a scenario names none.
pub const DEFAULT_DB_PATH: &str = "db";

impl EngineSpec {
    /// The database's path prefix in the bucket.
    pub fn db_path(&self) -> &str {
        self.path.as_deref().unwrap_or(DEFAULT_DB_PATH)
    }

    pub fn validate(&self) -> Result<(), ScenarioError> {
        if let Some(path) = &self.path {
            if path.is_empty() || path.len() > 256 || path.starts_with('/') || path.ends_with('/') {
                return Err(invalid(
                    "engine.path",
                    format!(
                        "must be 1 to 256 bytes without a leading or trailing '/', got {path:?}"
                    ),
                ));
            }
        }
        for (field, value) in [
            ("engine.flush_interval_ms", self.flush_interval_ms),
            ("engine.gc_interval_ms", self.gc_interval_ms),
        ] {
            if let Some(value) = value {
                check_positive(field, value)?;
            }
        }
        if let Some(value) = self.gc_min_age_ms {
            check_finite_non_negative("engine.gc_min_age_ms", value)?;
        }
        for (field, value, low) in [
            ("engine.max_wal_bytes", self.max_wal_bytes, 1),
            ("engine.memtable_bytes", self.memtable_bytes, 1024),
            ("engine.block_bytes", self.block_bytes, 64),
            ("engine.block_cache_bytes", self.block_cache_bytes, 0),
        ] {
            if let Some(value) = value {
                check_range_u64(field, value, low, 1 << 40)?;
            }
        }
        if let Some(bits) = self.bloom_bits_per_key {
            check_range_u64("engine.bloom_bits_per_key", bits.into(), 0, 64)?;
        }
        if let Some(count) = self.max_immutable_memtables {
            check_range_u64("engine.max_immutable_memtables", count.into(), 1, 1024)?;
        }
        for (field, value) in [
            ("engine.retry_base_delay_ms", self.retry_base_delay_ms),
            ("engine.retry_max_delay_ms", self.retry_max_delay_ms),
            ("engine.retry_deadline_ms", self.retry_deadline_ms),
            ("engine.hedge_delay_ms", self.hedge_delay_ms),
            (
                "engine.reader_poll_interval_ms",
                self.reader_poll_interval_ms,
            ),
        ] {
            if let Some(value) = value {
                check_positive(field, value)?;
            }
        }
        if let Some(attempts) = self.store_max_attempts {
            check_range_u64("engine.store_max_attempts", attempts.into(), 1, 1000)?;
        }
        if let Some(percentile) = self.hedge_percentile {
            if !(percentile > 0.0 && percentile < 100.0) {
                return Err(invalid(
                    "engine.hedge_percentile",
                    got("must be strictly between 0 and 100", percentile),
                ));
            }
            if self.hedge_delay_ms.is_some() {
                return Err(invalid(
                    "engine.hedge_delay_ms",
                    "give hedge_percentile or hedge_delay_ms, not both",
                ));
            }
        }
        if let Some(compaction) = &self.compaction {
            for (field, value) in [
                ("engine.compaction.size_ratio", compaction.size_ratio),
                ("engine.compaction.level_ratio", compaction.level_ratio),
            ] {
                if let Some(value) = value {
                    check_positive(field, value)?;
                }
            }
            if let Some(ratio) = compaction.level_ratio {
                if ratio < 2.0 {
                    return Err(invalid(
                        "engine.compaction.level_ratio",
                        got("must be at least 2", ratio),
                    ));
                }
            }
            if compaction.level_base_bytes == Some(0) {
                return Err(invalid(
                    "engine.compaction.level_base_bytes",
                    "a zero-sized level holds nothing",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn style_and_mode_names_read_back_and_are_the_json_spelling() {
        for kind in CompactionKind::ALL {
            assert_eq!(kind.to_string().parse::<CompactionKind>().unwrap(), *kind);
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        for kind in BackpressureKind::ALL {
            assert_eq!(kind.to_string().parse::<BackpressureKind>().unwrap(), *kind);
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        let names: Vec<&str> = CompactionKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["none", "leveled", "size_tiered"]);
        assert_eq!(
            "lsm".parse::<CompactionKind>().unwrap_err().to_string(),
            "unknown compaction style \"lsm\"; expected one of none, leveled, size_tiered"
        );
        assert_eq!(
            "drop".parse::<BackpressureKind>().unwrap_err().to_string(),
            "unknown backpressure mode \"drop\"; expected one of stall, reject"
        );
    }
}
