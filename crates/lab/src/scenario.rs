//! The scenario document: everything one run needs (seed, duration, workload, engine options,
//! object-store preset and overrides, timed faults, an optional recommender loop), as a
//! versioned serde schema.
//!
//! The same document is the CLI's input file, the payload of a share URL (see [`crate::share`])
//! and the playground's state, so the schema is strict: every struct denies unknown fields,
//! the version is checked before anything else, and [`Scenario::validate`] turns every
//! out-of-range value into a [`ScenarioError`] that names the field. The runner
//! ([`crate::runner`]) maps the scenario onto the simulated store and the engine; this module
//! knows nothing about either, so it stays a pure description.

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The schema version this build reads and writes.
pub const SCENARIO_VERSION: u32 = 1;

/// The memtable size of [`Scenario::playground`]: small enough that flushes and compactions
/// come within seconds at its write rate.
pub const PLAYGROUND_MEMTABLE_BYTES: u64 = 128 * 1024;

/// The longest simulated run a scenario may ask for: 7 days.
pub const MAX_DURATION_MS: u64 = 7 * 24 * 3600 * 1000;
/// The largest key space: the durability model keeps one entry per written key.
pub const MAX_KEY_COUNT: u64 = 10_000_000;
/// The largest value a workload writes (the engine's own limit may be lower).
pub const MAX_VALUE_BYTES: u64 = 4 * 1024 * 1024;
/// The longest key a workload writes (S3-style limit on keys).
pub const MAX_KEY_BYTES: u32 = 1024;
/// The highest arrival rate: beyond this a simulation would take hours of wall time.
pub const MAX_RATE_OPS_PER_SEC: f64 = 1_000_000.0;
/// The most operations in flight at once; the generator waits (like a client with a bounded
/// connection pool) when it is reached.
pub const MAX_IN_FLIGHT: u32 = 100_000;
/// The most entries one scan or batch may touch.
pub const MAX_OPS_PER_SCAN_OR_BATCH: u32 = 10_000;
/// The most faults in one scenario.
pub const MAX_FAULTS: usize = 1_000;
/// The most timed setting changes in one scenario (each holds a whole workload, engine or
/// store section, so this also bounds a share link's length).
pub const MAX_CHANGES: usize = 256;
/// Every value the workload writes starts with its 8-byte write id, so a read-back can tell
/// which write it sees; values are therefore at least this long.
pub const MIN_VALUE_BYTES: u64 = 8;

/// Why a scenario was refused. Every message names the field and the rule it broke.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    /// Not JSON, a field of the wrong type, or an unknown field.
    #[error("scenario could not be read: {0}")]
    Parse(String),
    #[error("unsupported scenario version {found}: this build reads version {supported}")]
    UnsupportedVersion { found: String, supported: u32 },
    #[error("invalid scenario: {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("malformed share token: {0}")]
    ShareToken(String),
    /// The sizes, added up, cannot fit a browser tab (see [`crate::budget`]).
    #[error(
        "the scenario needs about {total} of memory, over the budget of {budget}; the largest part is {largest}: {largest_size}"
    )]
    OverBudget {
        total: String,
        budget: String,
        largest: String,
        largest_size: String,
    },
}

/// Refuses a list longer than its limit: "1001 faults is over the limit of 1000".
fn check_count(field: &str, count: usize, max: usize) -> Result<(), ScenarioError> {
    if count > max {
        return Err(invalid(
            field,
            format!("{count} {field} is over the limit of {max}"),
        ));
    }
    Ok(())
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// One run: what to simulate and for how long.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Must be [`SCENARIO_VERSION`].
    pub version: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The root seed: every random stream of the run derives from it.
    pub seed: u64,
    /// Simulated time the workload runs for (work in flight at the end is allowed to finish).
    pub duration_ms: u64,
    #[serde(default)]
    pub workload: WorkloadSpec,
    #[serde(default)]
    pub engine: EngineSpec,
    #[serde(default)]
    pub store: StoreSpec,
    /// Faults and writer events, each at its simulated time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// Workload, engine and store settings replaced at a simulated time (the playground's live
    /// controls are recorded here, so a share link replays them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<SettingChange>,
    /// The recommender loop, when the scenario runs one beside the workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommender: Option<RecommenderSpec>,
    /// Read back every acknowledged-durable write when the run ends, and count the lost ones.
    #[serde(default = "default_true")]
    pub verify_at_end: bool,
    #[serde(default)]
    pub trace: TraceSpec,
}

fn default_true() -> bool {
    true
}

/// A setting replaced at a simulated time: from `at_ms` on, the run uses the new workload,
/// engine options or store settings, exactly as if the playground's control had been moved
/// then. Changes at the same millisecond apply in the order they are listed; each one takes
/// effect after every event due at or before `at_ms`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "set", rename_all = "snake_case")]
pub enum SettingChange {
    /// New workload settings (rate, mix, keys, values, await-durable), from the next arrival on.
    Workload { at_ms: u64, workload: WorkloadSpec },
    /// New engine options: the writer restarts cleanly (close, then open) to take them.
    Engine { at_ms: u64, engine: EngineSpec },
    /// A new preset or parameters for the store, for requests sent from then on.
    Store { at_ms: u64, store: StoreSpec },
}

/// [`SettingChange`]'s fields, read externally tagged (see [`deserialize_tagged`]).
#[derive(Deserialize)]
#[serde(
    remote = "SettingChange",
    rename_all = "snake_case",
    deny_unknown_fields
)]
#[allow(dead_code)] // Only its generated `deserialize` is used; it builds `SettingChange`s.
enum SettingChangeDef {
    Workload { at_ms: u64, workload: WorkloadSpec },
    Engine { at_ms: u64, engine: EngineSpec },
    Store { at_ms: u64, store: StoreSpec },
}

impl<'de> Deserialize<'de> for SettingChange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_tagged(
            deserializer,
            "set",
            "setting change",
            SettingChangeDef::deserialize,
        )
    }
}

impl SettingChange {
    pub fn at_ms(&self) -> u64 {
        match self {
            SettingChange::Workload { at_ms, .. }
            | SettingChange::Engine { at_ms, .. }
            | SettingChange::Store { at_ms, .. } => *at_ms,
        }
    }

    /// `workload`, `engine` or `store`: the section the change replaces.
    pub fn section(&self) -> &'static str {
        match self {
            SettingChange::Workload { .. } => "workload",
            SettingChange::Engine { .. } => "engine",
            SettingChange::Store { .. } => "store",
        }
    }

    fn validate(&self, field: &str, duration_ms: u64) -> Result<(), ScenarioError> {
        if self.at_ms() > duration_ms {
            return Err(invalid(
                format!("{field}.at_ms"),
                format!(
                    "{} is after the run ends (duration_ms {duration_ms})",
                    self.at_ms()
                ),
            ));
        }
        let section = match self {
            SettingChange::Workload { workload, .. } => workload.validate(),
            SettingChange::Engine { engine, .. } => engine.validate(),
            SettingChange::Store { store, .. } => store.validate(),
        };
        // Name the change in the message: "changes[3].workload.rate_ops_per_sec".
        section.map_err(|error| match error {
            ScenarioError::Invalid {
                field: inner,
                reason,
            } => invalid(format!("{field}.{inner}"), reason),
            other => other,
        })
    }
}

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

/// Reads an internally tagged enum (`{"kind": "slow", "multiplier": 2}`) without serde's
/// derived internally tagged path.
///
/// That path buffers the object in serde's private `Content` type and then deserialises every
/// field type a second time from it, which in the playground's wasm cost about 20 KB gzip for
/// the scenario's four tagged enums. Here the object is read as a `serde_json::Value` (the
/// scenario parser already reads `Value`s, see [`Scenario::from_json`], so this reuses the
/// code it has), the tag is taken out, and the rest is handed to a derived, externally tagged
/// twin of the enum as `{"slow": {"multiplier": 2}}`. The twin is a serde `remote` definition,
/// so it builds the real enum directly and its messages are serde's own: an unknown tag gets
/// "unknown variant `x`, expected one of …", an unknown field "unknown field `y`, expected …".
/// The serialised form is untouched: the enums still derive `Serialize` with their tag.
fn deserialize_tagged<'de, D, T>(
    deserializer: D,
    tag: &'static str,
    what: &'static str,
    read_twin: fn(serde_json::Value) -> Result<T, serde_json::Error>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    let untagged = externally_tagged(value, tag, what).map_err(de::Error::custom)?;
    read_twin(untagged).map_err(de::Error::custom)
}

/// `{"<tag>": "name", ...rest}` to `{"name": {...rest}}`; not generic, so there is one copy.
fn externally_tagged(
    value: serde_json::Value,
    tag: &str,
    what: &str,
) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    let mut fields = match value {
        Value::Object(fields) => fields,
        other => {
            let found = match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            };
            return Err(format!(
                "invalid type: {found}, expected a {what} object with a `{tag}` field"
            ));
        }
    };
    match fields.remove(tag) {
        Some(Value::String(name)) => {
            let mut outer = serde_json::Map::new();
            outer.insert(name, Value::Object(fields));
            Ok(Value::Object(outer))
        }
        Some(other) => Err(format!("`{tag}` of a {what} must be a string, got {other}")),
        None => Err(format!("missing field `{tag}` in a {what}")),
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

/// Engine options; a field left out keeps the engine's default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
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

/// Compaction: the style and, optionally, its parameters (omitted ones keep the engine's
/// defaults for that style).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompactionSpec {
    /// `none`, `size_tiered` or `leveled`.
    pub style: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l0_trigger: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_merge_runs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_base_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_levels: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_sst_bytes: Option<u64>,
}

impl CompactionSpec {
    /// A style with every parameter at the engine's default for it.
    pub fn style(style: &str) -> Self {
        CompactionSpec {
            style: style.to_string(),
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackpressureSpec {
    /// `stall` (default) or `reject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_l0_ssts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unflushed_bytes: Option<u64>,
}

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

/// Which requests a store fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultOp {
    Get,
    Head,
    Put,
    List,
    Delete,
}

/// A window of simulated time, a probability and a filter, shared by the store's faults.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    pub from_ms: u64,
    /// End of the window (exclusive); `None` means until the run ends.
    pub until_ms: Option<u64>,
    /// Chance that a matching request is hit.
    pub probability: f64,
    /// Only these operations (empty: all).
    pub ops: Vec<FaultOp>,
    /// Only keys starting with this prefix (empty: all).
    pub prefix: String,
}

fn default_probability() -> f64 {
    1.0
}

fn half() -> f64 {
    0.5
}

fn is_one(value: &f64) -> bool {
    *value == 1.0
}

/// The body of [`FaultSpec`] and of its deserialisation twin: the listed store faults with
/// the window fields, then the fixed variants. Used by `fault_spec!` only.
macro_rules! fault_spec_enum {
    (
        $(#[$attr:meta])* $vis:vis enum $name:ident;
        $($(#[$doc:meta])* $variant:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* }),*
    ) => {
        $(#[$attr])*
        $vis enum $name {
            $(
                $(#[$doc])*
                $variant {
                    #[serde(default)]
                    from_ms: u64,
                    #[serde(default, skip_serializing_if = "Option::is_none")]
                    until_ms: Option<u64>,
                    #[serde(default = "default_probability", skip_serializing_if = "is_one")]
                    probability: f64,
                    #[serde(default, skip_serializing_if = "Vec::is_empty")]
                    ops: Vec<FaultOp>,
                    #[serde(default, skip_serializing_if = "String::is_empty")]
                    prefix: String,
                    $($(#[$fdoc])* $field: $ty,)*
                },
            )*
            /// Every request fails from `from_ms` to `until_ms`.
            Outage { from_ms: u64, until_ms: u64 },
            /// At `at_ms`, flip one bit of one stored object: a drawn object whose key starts
            /// with `prefix` (empty: any object).
            BitFlip {
                at_ms: u64,
                #[serde(default, skip_serializing_if = "String::is_empty")]
                prefix: String,
            },
            /// At `at_ms`, the writer process dies: background tasks stop, unflushed writes
            /// are gone. With `recover_after_ms`, a new writer opens the database that long
            /// afterwards.
            CrashWriter {
                at_ms: u64,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                recover_after_ms: Option<u64>,
            },
            /// At `at_ms`, a new writer opens the database after a crash, recovers it, and
            /// reads back every durable write.
            Recover { at_ms: u64 },
            /// At `at_ms`, a second writer opens the database while the first still runs. The
            /// first becomes a zombie: it keeps trying to write and must be fenced; the
            /// workload moves to the new writer.
            StartZombie { at_ms: u64 },
        }
    };
}

/// Declares the store-fault variants with the window fields inline: serde's `flatten` does
/// not combine with `deny_unknown_fields`, and a strict schema matters more than brevity.
/// Emits [`FaultSpec`] (serialised with its `kind` tag) and `FaultSpecDef`, the same variants
/// read externally tagged (see [`deserialize_tagged`]), from one list so the two cannot differ.
macro_rules! fault_spec {
    ($($(#[$doc:meta])* $variant:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* }),* $(,)?) => {
        fault_spec_enum! {
            /// A fault, or a writer event, at its simulated time.
            ///
            /// Store faults (`server_errors`, `timeouts`, `lost_acks`, `slow`, `bit_flips`) share
            /// a window: `from_ms` (default 0), `until_ms` (default: the end of the run),
            /// `probability` (default 1), `ops` (default: all) and `prefix` (default: all keys).
            #[derive(Clone, Debug, PartialEq, Serialize)]
            #[serde(tag = "kind", rename_all = "snake_case")]
            pub enum FaultSpec;
            $($(#[$doc])* $variant { $($(#[$fdoc])* $field : $ty),* }),*
        }

        fault_spec_enum! {
            /// [`FaultSpec`]'s fields, read externally tagged (see [`deserialize_tagged`]).
            #[derive(Deserialize)]
            #[serde(remote = "FaultSpec", rename_all = "snake_case", deny_unknown_fields)]
            // Only its generated `deserialize` is used; it builds `FaultSpec`s.
            #[allow(dead_code)]
            enum FaultSpecDef;
            $($(#[$doc])* $variant { $($(#[$fdoc])* $field : $ty),* }),*
        }

        impl FaultSpec {
            /// The store-fault window, for the variants that have one.
            pub fn window(&self) -> Option<FaultWindow> {
                match self {
                    $(
                        FaultSpec::$variant { from_ms, until_ms, probability, ops, prefix, .. } => {
                            Some(FaultWindow {
                                from_ms: *from_ms,
                                until_ms: *until_ms,
                                probability: *probability,
                                ops: ops.clone(),
                                prefix: prefix.clone(),
                            })
                        }
                    )*
                    _ => None,
                }
            }
        }
    };
}

fault_spec! {
    /// Matching requests fail with a 5xx (the caller sees Unavailable).
    ServerErrors {},
    /// Matching requests get no answer before the client's deadline; a write still lands
    /// with `applied_probability` (default 0.5).
    Timeouts {
        #[serde(default = "half")]
        applied_probability: f64
    },
    /// Matching requests get 503 SlowDown whatever the request rate.
    Throttle {},
    /// Matching writes are applied but the caller sees an error.
    LostAcks {},
    /// Matching requests take `multiplier` times longer.
    Slow {
        /// At least 1.
        multiplier: f64
    },
    /// Matching PUTs are corrupted by one flipped bit as they are stored.
    BitFlips {},
}

impl<'de> Deserialize<'de> for FaultSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_tagged(deserializer, "kind", "fault", FaultSpecDef::deserialize)
    }
}

impl FaultSpec {
    /// When the fault starts.
    pub fn start_ms(&self) -> u64 {
        match self {
            FaultSpec::ServerErrors { from_ms, .. }
            | FaultSpec::Timeouts { from_ms, .. }
            | FaultSpec::Throttle { from_ms, .. }
            | FaultSpec::LostAcks { from_ms, .. }
            | FaultSpec::Slow { from_ms, .. }
            | FaultSpec::BitFlips { from_ms, .. }
            | FaultSpec::Outage { from_ms, .. } => *from_ms,
            FaultSpec::BitFlip { at_ms, .. }
            | FaultSpec::CrashWriter { at_ms, .. }
            | FaultSpec::Recover { at_ms }
            | FaultSpec::StartZombie { at_ms } => *at_ms,
        }
    }

    /// The same fault with every time moved `offset_ms` later (a fault injected live is
    /// written relative to the moment it is injected).
    pub fn shifted(&self, offset_ms: u64) -> FaultSpec {
        let mut fault = self.clone();
        let shift = |t: &mut u64| *t = t.saturating_add(offset_ms);
        match &mut fault {
            FaultSpec::ServerErrors {
                from_ms, until_ms, ..
            }
            | FaultSpec::Timeouts {
                from_ms, until_ms, ..
            }
            | FaultSpec::Throttle {
                from_ms, until_ms, ..
            }
            | FaultSpec::LostAcks {
                from_ms, until_ms, ..
            }
            | FaultSpec::Slow {
                from_ms, until_ms, ..
            }
            | FaultSpec::BitFlips {
                from_ms, until_ms, ..
            } => {
                shift(from_ms);
                if let Some(until) = until_ms {
                    shift(until);
                }
            }
            FaultSpec::Outage { from_ms, until_ms } => {
                shift(from_ms);
                shift(until_ms);
            }
            FaultSpec::BitFlip { at_ms, .. }
            | FaultSpec::CrashWriter { at_ms, .. }
            | FaultSpec::Recover { at_ms }
            | FaultSpec::StartZombie { at_ms } => shift(at_ms),
        }
        fault
    }

    /// The `kind` tag, as written in the document.
    pub fn kind(&self) -> &'static str {
        match self {
            FaultSpec::ServerErrors { .. } => "server_errors",
            FaultSpec::Timeouts { .. } => "timeouts",
            FaultSpec::Throttle { .. } => "throttle",
            FaultSpec::LostAcks { .. } => "lost_acks",
            FaultSpec::Slow { .. } => "slow",
            FaultSpec::Outage { .. } => "outage",
            FaultSpec::BitFlips { .. } => "bit_flips",
            FaultSpec::BitFlip { .. } => "bit_flip",
            FaultSpec::CrashWriter { .. } => "crash_writer",
            FaultSpec::Recover { .. } => "recover",
            FaultSpec::StartZombie { .. } => "start_zombie",
        }
    }
}

/// The recommender loop that runs beside the workload: a policy serving slates to a simulated
/// population, logging impressions into the engine and checkpointing its state there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommenderSpec {
    pub policy: PolicySpec,
    #[serde(default)]
    pub population: PopulationSpec,
    /// Changes of the users' preferences over time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftSpec>,
    #[serde(default)]
    pub guardrails: GuardrailSpec,
    #[serde(default)]
    pub log: LogSpec,
}

impl RecommenderSpec {
    /// The recommender loop of [`Scenario::playground`] (and the one the playground adds when
    /// the loop is turned on): Thompson sampling over 12 items, 10 slates a second, with an
    /// abrupt change of preferences at 2 minutes.
    pub fn playground() -> Self {
        RecommenderSpec {
            policy: PolicySpec::named("ts"),
            population: PopulationSpec {
                items: 12,
                slates_per_sec: 10.0,
                ..PopulationSpec::default()
            },
            drift: vec![DriftSpec::Abrupt { at_ms: 120_000 }],
            guardrails: GuardrailSpec::default(),
            log: LogSpec::default(),
        }
    }
}

/// The bandit policy and its parameters (absent parameters keep the policy's defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// One of `egreedy`, `softmax`, `ucb1`, `klucb`, `ts`, `linucb`, `lints`, `popularity`.
    pub name: String,
    /// UCB1's exploration factor, LinUCB's bonus width or LinTS's posterior scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// ε-greedy's exploration rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// Softmax temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau: Option<f64>,
    /// Discount per update for non-stationary worlds, in (0, 1] (not with `window`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<f64>,
    /// Sliding window of the last this many updates (not with `discount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
}

impl PolicySpec {
    /// The policy `name` with every parameter at the policy's default.
    pub fn named(name: &str) -> Self {
        PolicySpec {
            name: name.to_string(),
            alpha: None,
            epsilon: None,
            tau: None,
            discount: None,
            window: None,
        }
    }
}

/// The simulated users and items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PopulationSpec {
    pub users: u32,
    pub items: u32,
    /// Feature dimensions of users and items.
    pub dims: u32,
    /// Item categories (the diversity guardrail counts distinct categories in a slate).
    pub categories: u32,
    /// Items shown per slate.
    pub slate_size: u32,
    /// Slates shown per simulated second.
    pub slates_per_sec: f64,
    /// Popularity gained per ln(1 + exposures): the feedback loop (0 turns it off).
    pub feedback_gain: f64,
    /// Additive click logit per slate position, first position first (absent: the click
    /// model's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position_bias: Option<Vec<f64>>,
}

impl Default for PopulationSpec {
    fn default() -> Self {
        PopulationSpec {
            users: 200,
            items: 30,
            dims: 4,
            categories: 5,
            slate_size: 3,
            slates_per_sec: 20.0,
            feedback_gain: 0.0,
            position_bias: None,
        }
    }
}

/// A change of preferences.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DriftSpec {
    /// At `at_ms`, every user's preferences are redrawn.
    Abrupt { at_ms: u64 },
    /// From `from_ms` to `until_ms`, preferences rotate by `degrees` in all.
    Gradual {
        from_ms: u64,
        until_ms: u64,
        degrees: f64,
    },
}

/// [`DriftSpec`]'s fields, read externally tagged (see [`deserialize_tagged`]).
#[derive(Deserialize)]
#[serde(remote = "DriftSpec", rename_all = "snake_case", deny_unknown_fields)]
#[allow(dead_code)] // Only its generated `deserialize` is used; it builds `DriftSpec`s.
enum DriftSpecDef {
    Abrupt {
        at_ms: u64,
    },
    Gradual {
        from_ms: u64,
        until_ms: u64,
        degrees: f64,
    },
}

impl<'de> Deserialize<'de> for DriftSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_tagged(deserializer, "kind", "drift", DriftSpecDef::deserialize)
    }
}

/// Limits that keep an adapting policy trustworthy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardrailSpec {
    /// The largest share of decisions that may be exploratory, in [0, 1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_exploration_share: Option<f64>,
    /// The fewest distinct item categories a slate must hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_distinct_categories: Option<u32>,
    /// The largest total-variation distance between consecutive served distributions, (0, 1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_policy_change: Option<f64>,
}

/// Where the recommender's logs and checkpoints go.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSpec {
    /// Write every impression into the engine.
    pub log_impressions: bool,
    /// Checkpoint the policy's state every this many impressions (0: never).
    pub checkpoint_every: u64,
    /// Wait for each step's batch to be durable before the next step.
    pub durable_writes: bool,
}

impl Default for LogSpec {
    fn default() -> Self {
        LogSpec {
            log_impressions: true,
            checkpoint_every: 1000,
            durable_writes: false,
        }
    }
}

/// How much of the trace is retained for drawing (the hash and metrics cover everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TraceSpec {
    pub ring_capacity: usize,
}

impl Default for TraceSpec {
    fn default() -> Self {
        TraceSpec {
            ring_capacity: 10_000,
        }
    }
}

impl Default for Scenario {
    /// A small, steady write workload on S3 Standard: the playground's starting point.
    fn default() -> Self {
        Scenario {
            version: SCENARIO_VERSION,
            name: "default".to_string(),
            description: String::new(),
            seed: 42,
            duration_ms: 10_000,
            workload: WorkloadSpec::default(),
            engine: EngineSpec::default(),
            store: StoreSpec::default(),
            faults: Vec::new(),
            changes: Vec::new(),
            recommender: None,
            verify_at_end: true,
            trace: TraceSpec::default(),
        }
    }
}

impl Scenario {
    /// The playground's starting scenario, and the one to run to see the engine at work: a
    /// mixed workload on S3 Standard with a Thompson-sampling recommender logging into the
    /// engine, and leveled compaction tuned so that the first minute already shows flushes
    /// filling L0 and a compaction merging them into L1 (a 128 KiB memtable flushes every
    /// few seconds; four L0 SSTs trigger a merge; L1 holds 512 KiB before it spills into L2).
    pub fn playground() -> Scenario {
        let mut scenario = Scenario {
            name: "playground".to_string(),
            description: "A mixed workload on S3 Standard with leveled compaction and a Thompson-sampling recommender logging into the engine.".to_string(),
            duration_ms: 600_000,
            ..Scenario::default()
        };
        scenario.workload.rate_ops_per_sec = 200.0;
        scenario.workload.key_distribution = KeyDistribution::Zipf { s: 0.9 };
        scenario.workload.mix = OpMix {
            read: 0.3,
            write: 0.7,
            ..OpMix::default()
        };
        scenario.engine.memtable_bytes = Some(PLAYGROUND_MEMTABLE_BYTES);
        scenario.engine.compaction = Some(CompactionSpec {
            l0_trigger: Some(4),
            level_base_bytes: Some(4 * PLAYGROUND_MEMTABLE_BYTES),
            level_ratio: Some(10.0),
            ..CompactionSpec::style("leveled")
        });
        scenario.store.preset = StorePreset::S3Standard;
        scenario.recommender = Some(RecommenderSpec::playground());
        scenario
    }

    /// Parses and validates a scenario document. The version is checked first, so that a
    /// document from another version gets a version error rather than a field error.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ScenarioError::Parse(e.to_string()))?;
        let Some(object) = value.as_object() else {
            return Err(ScenarioError::Parse(
                "a scenario is a JSON object".to_string(),
            ));
        };
        match object.get("version") {
            None => {
                return Err(invalid(
                    "version",
                    format!("missing; this build reads version {SCENARIO_VERSION}"),
                ))
            }
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(SCENARIO_VERSION.into()) => {}
            Some(other) => {
                return Err(ScenarioError::UnsupportedVersion {
                    found: other.to_string(),
                    supported: SCENARIO_VERSION,
                })
            }
        }
        let scenario: Scenario =
            serde_json::from_value(value).map_err(|e| ScenarioError::Parse(e.to_string()))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// The document as pretty JSON (what `strata` reads and the playground saves).
    pub fn to_json_pretty(&self) -> String {
        // Re-indenting the compact text gives serde_json's pretty output byte for byte without
        // a second, pretty-printing copy of every type's `Serialize` code in the playground.
        indent_compact_json(&self.to_json())
    }

    /// The document as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .expect("a scenario has only string-keyed maps and finite numbers")
    }

    /// Checks every value against its documented range, then asks each value's owner (the
    /// engine, the simulated store, the recommender) whether it accepts it, then checks the
    /// resource budget. This is the one validation: `strata validate`, `strata run`, share
    /// links and the playground's controls all come through here, so what validates runs.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.version != SCENARIO_VERSION {
            return Err(ScenarioError::UnsupportedVersion {
                found: self.version.to_string(),
                supported: SCENARIO_VERSION,
            });
        }
        if self.duration_ms == 0 {
            return Err(invalid("duration_ms", "must be greater than zero"));
        }
        if self.duration_ms > MAX_DURATION_MS {
            return Err(invalid(
                "duration_ms",
                format!(
                    "{} is over the limit of {MAX_DURATION_MS} (7 days)",
                    self.duration_ms
                ),
            ));
        }
        self.workload.validate()?;
        self.engine.validate()?;
        self.store.validate()?;
        check_count("faults", self.faults.len(), MAX_FAULTS)?;
        for (index, fault) in self.faults.iter().enumerate() {
            validate_fault(&format!("faults[{index}]"), fault, self.duration_ms)?;
        }
        self.validate_writer_events()?;
        check_count("changes", self.changes.len(), MAX_CHANGES)?;
        for (index, change) in self.changes.iter().enumerate() {
            change.validate(&format!("changes[{index}]"), self.duration_ms)?;
        }
        if let Some(recommender) = &self.recommender {
            recommender.validate(self.duration_ms)?;
        }
        if self.trace.ring_capacity == 0
            || self.trace.ring_capacity > strata_sim::trace::MAX_RING_CAPACITY
        {
            return Err(invalid(
                "trace.ring_capacity",
                format!(
                    "must be between 1 and {}, got {}",
                    strata_sim::trace::MAX_RING_CAPACITY,
                    self.trace.ring_capacity
                ),
            ));
        }
        crate::runner::check_owners(self)?;
        crate::budget::check(self)
    }

    /// Crash, recover and zombie events must make sense in time order: a recover needs a
    /// crashed writer, and a crash or a zombie needs a live one.
    fn validate_writer_events(&self) -> Result<(), ScenarioError> {
        let mut events: Vec<(u64, usize, &FaultSpec)> = Vec::new();
        for (index, fault) in self.faults.iter().enumerate() {
            match fault {
                FaultSpec::CrashWriter {
                    at_ms,
                    recover_after_ms,
                } => {
                    events.push((*at_ms, index, fault));
                    if let Some(after) = recover_after_ms {
                        let recover_at = at_ms.saturating_add(*after);
                        if recover_at > self.duration_ms {
                            return Err(invalid(
                                format!("faults[{index}].recover_after_ms"),
                                format!(
                                    "the recovery at {recover_at} ms is after the run ends (duration_ms {})",
                                    self.duration_ms
                                ),
                            ));
                        }
                        events.push((recover_at, index, &RECOVER_MARKER));
                    }
                }
                FaultSpec::Recover { at_ms } | FaultSpec::StartZombie { at_ms } => {
                    events.push((*at_ms, index, fault))
                }
                _ => {}
            }
        }
        // Stable by time, then by position in the document.
        events.sort_by_key(|(at, index, _)| (*at, *index));
        let mut writer_up = true;
        for (_, index, event) in events {
            let field = format!("faults[{index}]");
            match event {
                FaultSpec::CrashWriter { .. } | FaultSpec::StartZombie { .. } if !writer_up => {
                    return Err(invalid(
                        field,
                        format!(
                            "{} while the writer is down (add a recover first)",
                            event.kind()
                        ),
                    ));
                }
                FaultSpec::CrashWriter { .. } => writer_up = false,
                FaultSpec::Recover { .. } if writer_up => {
                    return Err(invalid(
                        field,
                        "recover while the writer is up (crash it first)",
                    ));
                }
                FaultSpec::Recover { .. } => writer_up = true,
                _ => {}
            }
        }
        Ok(())
    }
}

/// Lays out compact JSON (no whitespace outside strings, as serde_json writes it) the way
/// `serde_json::to_string_pretty` does: two-space indents, one member or element per line,
/// `": "` after keys, and empty objects and arrays as `{}` and `[]`. Strings are copied as is.
fn indent_compact_json(compact: &str) -> String {
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// Stands for the recover implied by `crash_writer.recover_after_ms` in the ordering check.
const RECOVER_MARKER: FaultSpec = FaultSpec::Recover { at_ms: 0 };

fn check_finite_non_negative(field: &str, value: f64) -> Result<(), ScenarioError> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid(
            field,
            format!("must be a finite number ≥ 0, got {value}"),
        ));
    }
    Ok(())
}

fn check_positive(field: &str, value: f64) -> Result<(), ScenarioError> {
    if !value.is_finite() || value <= 0.0 {
        return Err(invalid(
            field,
            format!("must be a finite number > 0, got {value}"),
        ));
    }
    Ok(())
}

fn check_probability(field: &str, value: f64) -> Result<(), ScenarioError> {
    if !(0.0..=1.0).contains(&value) {
        return Err(invalid(field, format!("must be in [0, 1], got {value}")));
    }
    Ok(())
}

fn check_range_u64(field: &str, value: u64, low: u64, high: u64) -> Result<(), ScenarioError> {
    if value < low || value > high {
        return Err(invalid(
            field,
            format!("must be between {low} and {high}, got {value}"),
        ));
    }
    Ok(())
}

/// Decimal digits needed to write `n`.
fn digits(n: u64) -> u32 {
    n.checked_ilog10().map_or(1, |d| d + 1)
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
        let needed = 1 + digits(self.key_count - 1);
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

impl EngineSpec {
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
                    format!("must be strictly between 0 and 100, got {percentile}"),
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
            if !["none", "size_tiered", "leveled"].contains(&compaction.style.as_str()) {
                return Err(invalid(
                    "engine.compaction.style",
                    format!(
                        "must be none, size_tiered or leveled, got {:?}",
                        compaction.style
                    ),
                ));
            }
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
                        format!("must be at least 2, got {ratio}"),
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
        if let Some(mode) = self.backpressure.as_ref().and_then(|b| b.mode.as_ref()) {
            if mode != "stall" && mode != "reject" {
                return Err(invalid(
                    "engine.backpressure.mode",
                    format!("must be stall or reject, got {mode:?}"),
                ));
            }
        }
        Ok(())
    }
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

fn validate_window(
    field: &str,
    window: &FaultWindow,
    duration_ms: u64,
) -> Result<(), ScenarioError> {
    check_probability(&format!("{field}.probability"), window.probability)?;
    if window.from_ms > duration_ms {
        return Err(invalid(
            format!("{field}.from_ms"),
            format!(
                "{} is after the run ends (duration_ms {duration_ms})",
                window.from_ms
            ),
        ));
    }
    if let Some(until) = window.until_ms {
        if until <= window.from_ms {
            return Err(invalid(
                format!("{field}.until_ms"),
                format!(
                    "the window ends at {until}, not after it starts at {}",
                    window.from_ms
                ),
            ));
        }
    }
    Ok(())
}

fn validate_fault(field: &str, fault: &FaultSpec, duration_ms: u64) -> Result<(), ScenarioError> {
    if let Some(window) = fault.window() {
        validate_window(field, &window, duration_ms)?;
    }
    match fault {
        FaultSpec::Timeouts {
            applied_probability,
            ..
        } => check_probability(
            &format!("{field}.applied_probability"),
            *applied_probability,
        ),
        FaultSpec::ServerErrors { .. }
        | FaultSpec::Throttle { .. }
        | FaultSpec::LostAcks { .. }
        | FaultSpec::BitFlips { .. } => Ok(()),
        FaultSpec::Slow { multiplier, .. } => {
            if !multiplier.is_finite() || *multiplier < 1.0 {
                return Err(invalid(
                    format!("{field}.multiplier"),
                    format!("must be a finite number ≥ 1, got {multiplier}"),
                ));
            }
            Ok(())
        }
        FaultSpec::Outage { from_ms, until_ms } => {
            if until_ms <= from_ms {
                return Err(invalid(
                    format!("{field}.until_ms"),
                    format!("the outage ends at {until_ms}, not after it starts at {from_ms}"),
                ));
            }
            if *from_ms > duration_ms {
                return Err(invalid(
                    format!("{field}.from_ms"),
                    format!("{from_ms} is after the run ends (duration_ms {duration_ms})"),
                ));
            }
            Ok(())
        }
        FaultSpec::BitFlip { at_ms, .. }
        | FaultSpec::CrashWriter { at_ms, .. }
        | FaultSpec::Recover { at_ms }
        | FaultSpec::StartZombie { at_ms } => {
            if *at_ms > duration_ms {
                return Err(invalid(
                    format!("{field}.at_ms"),
                    format!("{at_ms} is after the run ends (duration_ms {duration_ms})"),
                ));
            }
            Ok(())
        }
    }
}

/// The policy names the recommender loop accepts.
pub const POLICY_NAMES: [&str; 8] = [
    "egreedy",
    "softmax",
    "ucb1",
    "klucb",
    "ts",
    "linucb",
    "lints",
    "popularity",
];

impl RecommenderSpec {
    pub fn validate(&self, duration_ms: u64) -> Result<(), ScenarioError> {
        let policy = &self.policy;
        if !POLICY_NAMES.contains(&policy.name.as_str()) {
            return Err(invalid(
                "recommender.policy.name",
                format!(
                    "unknown policy {:?}; expected one of {}",
                    policy.name,
                    POLICY_NAMES.join(", ")
                ),
            ));
        }
        if let Some(alpha) = policy.alpha {
            check_finite_non_negative("recommender.policy.alpha", alpha)?;
        }
        if let Some(epsilon) = policy.epsilon {
            check_probability("recommender.policy.epsilon", epsilon)?;
        }
        if let Some(tau) = policy.tau {
            check_positive("recommender.policy.tau", tau)?;
        }
        if let Some(discount) = policy.discount {
            if !(discount > 0.0 && discount <= 1.0) {
                return Err(invalid(
                    "recommender.policy.discount",
                    format!("must be in (0, 1], got {discount}"),
                ));
            }
            if policy.window.is_some() {
                return Err(invalid(
                    "recommender.policy",
                    "give discount or window, not both",
                ));
            }
        }
        if let Some(window) = policy.window {
            check_range_u64("recommender.policy.window", window.into(), 1, 1_000_000)?;
        }
        let population = &self.population;
        check_range_u64(
            "recommender.population.users",
            population.users.into(),
            1,
            100_000,
        )?;
        check_range_u64(
            "recommender.population.items",
            population.items.into(),
            1,
            10_000,
        )?;
        check_range_u64("recommender.population.dims", population.dims.into(), 1, 64)?;
        check_range_u64(
            "recommender.population.categories",
            population.categories.into(),
            1,
            population.items.into(),
        )?;
        check_range_u64(
            "recommender.population.slate_size",
            population.slate_size.into(),
            1,
            population.items.into(),
        )?;
        check_positive(
            "recommender.population.slates_per_sec",
            population.slates_per_sec,
        )?;
        if population.slates_per_sec > MAX_RATE_OPS_PER_SEC {
            return Err(invalid(
                "recommender.population.slates_per_sec",
                format!("over the limit of {MAX_RATE_OPS_PER_SEC}"),
            ));
        }
        check_finite_non_negative(
            "recommender.population.feedback_gain",
            population.feedback_gain,
        )?;
        if let Some(bias) = &population.position_bias {
            if bias.is_empty() || bias.iter().any(|b| !b.is_finite()) {
                return Err(invalid(
                    "recommender.population.position_bias",
                    "needs at least one entry, all finite",
                ));
            }
        }
        for (index, drift) in self.drift.iter().enumerate() {
            let field = format!("recommender.drift[{index}]");
            match drift {
                DriftSpec::Abrupt { at_ms } => {
                    if *at_ms > duration_ms {
                        return Err(invalid(
                            format!("{field}.at_ms"),
                            format!("{at_ms} is after the run ends (duration_ms {duration_ms})"),
                        ));
                    }
                }
                DriftSpec::Gradual {
                    from_ms,
                    until_ms,
                    degrees,
                } => {
                    if until_ms <= from_ms {
                        return Err(invalid(
                            format!("{field}.until_ms"),
                            format!(
                                "the drift ends at {until_ms}, not after it starts at {from_ms}"
                            ),
                        ));
                    }
                    if !degrees.is_finite() {
                        return Err(invalid(format!("{field}.degrees"), "must be finite"));
                    }
                }
            }
        }
        if self
            .drift
            .iter()
            .filter(|d| matches!(d, DriftSpec::Gradual { .. }))
            .count()
            > 1
        {
            return Err(invalid(
                "recommender.drift",
                "at most one gradual drift per scenario",
            ));
        }
        if let Some(share) = self.guardrails.max_exploration_share {
            check_probability("recommender.guardrails.max_exploration_share", share)?;
        }
        if let Some(change) = self.guardrails.max_policy_change {
            if !(change > 0.0 && change <= 1.0) {
                return Err(invalid(
                    "recommender.guardrails.max_policy_change",
                    format!("must be in (0, 1], got {change}"),
                ));
            }
        }
        if let Some(distinct) = self.guardrails.min_distinct_categories {
            check_range_u64(
                "recommender.guardrails.min_distinct_categories",
                distinct.into(),
                1,
                population.slate_size.min(population.categories).into(),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    // On wasm32 the tests are `wasm_bindgen_test` functions, which clippy does not treat as
    // tests; unwrapping is how a test says "this cannot fail here".
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// Every variant of every tagged enum with the exact JSON the schema documents for it.
    fn fault_examples() -> Vec<(&'static str, FaultSpec)> {
        vec![
            (
                r#"{"kind":"server_errors","from_ms":5,"until_ms":9,"probability":0.25,"ops":["get","put"],"prefix":"db/wal"}"#,
                FaultSpec::ServerErrors {
                    from_ms: 5,
                    until_ms: Some(9),
                    probability: 0.25,
                    ops: vec![FaultOp::Get, FaultOp::Put],
                    prefix: "db/wal".to_string(),
                },
            ),
            (
                r#"{"kind":"timeouts","from_ms":0,"applied_probability":0.5}"#,
                FaultSpec::Timeouts {
                    from_ms: 0,
                    until_ms: None,
                    probability: 1.0,
                    ops: vec![],
                    prefix: String::new(),
                    applied_probability: 0.5,
                },
            ),
            (
                r#"{"kind":"throttle","from_ms":1,"probability":0.5}"#,
                FaultSpec::Throttle {
                    from_ms: 1,
                    until_ms: None,
                    probability: 0.5,
                    ops: vec![],
                    prefix: String::new(),
                },
            ),
            (
                r#"{"kind":"lost_acks","from_ms":2,"ops":["delete"]}"#,
                FaultSpec::LostAcks {
                    from_ms: 2,
                    until_ms: None,
                    probability: 1.0,
                    ops: vec![FaultOp::Delete],
                    prefix: String::new(),
                },
            ),
            (
                r#"{"kind":"slow","from_ms":3,"until_ms":4,"multiplier":2.5}"#,
                FaultSpec::Slow {
                    from_ms: 3,
                    until_ms: Some(4),
                    probability: 1.0,
                    ops: vec![],
                    prefix: String::new(),
                    multiplier: 2.5,
                },
            ),
            (
                r#"{"kind":"bit_flips","from_ms":0,"prefix":"db/sst"}"#,
                FaultSpec::BitFlips {
                    from_ms: 0,
                    until_ms: None,
                    probability: 1.0,
                    ops: vec![],
                    prefix: "db/sst".to_string(),
                },
            ),
            (
                r#"{"kind":"outage","from_ms":10,"until_ms":20}"#,
                FaultSpec::Outage {
                    from_ms: 10,
                    until_ms: 20,
                },
            ),
            (
                r#"{"kind":"bit_flip","at_ms":7,"prefix":"db/"}"#,
                FaultSpec::BitFlip {
                    at_ms: 7,
                    prefix: "db/".to_string(),
                },
            ),
            (
                r#"{"kind":"crash_writer","at_ms":8,"recover_after_ms":100}"#,
                FaultSpec::CrashWriter {
                    at_ms: 8,
                    recover_after_ms: Some(100),
                },
            ),
            (
                r#"{"kind":"crash_writer","at_ms":8}"#,
                FaultSpec::CrashWriter {
                    at_ms: 8,
                    recover_after_ms: None,
                },
            ),
            (
                r#"{"kind":"recover","at_ms":9}"#,
                FaultSpec::Recover { at_ms: 9 },
            ),
            (
                r#"{"kind":"start_zombie","at_ms":11}"#,
                FaultSpec::StartZombie { at_ms: 11 },
            ),
        ]
    }

    /// Reads `text` the way a scenario's sections are read: parsed to a `Value`, then
    /// deserialised from it.
    fn via_value<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    fn assert_round_trip<T>(text: &str, expected: &T)
    where
        T: Serialize + serde::de::DeserializeOwned + PartialEq + fmt::Debug,
    {
        assert_eq!(serde_json::to_string(expected).unwrap(), text);
        assert_eq!(&via_value::<T>(text).unwrap(), expected, "{text}");
        // Straight from text too: the impls work with any deserializer.
        assert_eq!(
            &serde_json::from_str::<T>(text).unwrap(),
            expected,
            "{text}"
        );
    }

    #[test]
    fn every_fault_kind_reads_and_writes_its_documented_json() {
        let examples = fault_examples();
        let mut kinds: Vec<&str> = examples.iter().map(|(_, f)| f.kind()).collect();
        kinds.dedup();
        assert_eq!(kinds.len(), 11, "one example per kind: {kinds:?}");
        for (text, fault) in &examples {
            assert_round_trip(text, fault);
            assert!(text.starts_with(&format!("{{\"kind\":\"{}\"", fault.kind())));
        }
    }

    #[test]
    fn store_fault_fields_left_out_take_their_defaults() {
        let fault: FaultSpec = via_value(r#"{"kind":"timeouts"}"#).unwrap();
        let FaultSpec::Timeouts {
            from_ms,
            until_ms,
            probability,
            ops,
            prefix,
            applied_probability,
        } = fault
        else {
            panic!("not a timeouts fault: {fault:?}");
        };
        assert_eq!(
            (from_ms, until_ms, ops.len(), prefix.len()),
            (0, None, 0, 0)
        );
        assert_eq!((probability, applied_probability), (1.0, 0.5));
    }

    #[test]
    fn key_distributions_drifts_and_changes_read_and_write_their_documented_json() {
        assert_round_trip(r#"{"kind":"uniform"}"#, &KeyDistribution::Uniform);
        assert_round_trip(
            r#"{"kind":"zipf","s":0.99}"#,
            &KeyDistribution::Zipf { s: 0.99 },
        );
        assert_round_trip(r#"{"kind":"sequential"}"#, &KeyDistribution::Sequential);
        assert_round_trip(
            r#"{"kind":"abrupt","at_ms":5}"#,
            &DriftSpec::Abrupt { at_ms: 5 },
        );
        assert_round_trip(
            r#"{"kind":"gradual","from_ms":1,"until_ms":2,"degrees":45.5}"#,
            &DriftSpec::Gradual {
                from_ms: 1,
                until_ms: 2,
                degrees: 45.5,
            },
        );
        assert_round_trip(
            r#"{"set":"store","at_ms":3,"store":{"preset":"s3_express"}}"#,
            &SettingChange::Store {
                at_ms: 3,
                store: StoreSpec {
                    preset: StorePreset::S3Express,
                    ..StoreSpec::default()
                },
            },
        );
        assert_round_trip(
            r#"{"set":"engine","at_ms":4,"engine":{"flush_interval_ms":50.0}}"#,
            &SettingChange::Engine {
                at_ms: 4,
                engine: EngineSpec {
                    flush_interval_ms: Some(50.0),
                    ..EngineSpec::default()
                },
            },
        );
        let workload = WorkloadSpec {
            key_distribution: KeyDistribution::Zipf { s: 1.5 },
            ..WorkloadSpec::default()
        };
        let change = SettingChange::Workload {
            at_ms: 6,
            workload: workload.clone(),
        };
        let text = serde_json::to_string(&change).unwrap();
        assert!(
            text.starts_with(r#"{"set":"workload","at_ms":6,"workload":{"rate_ops_per_sec""#),
            "{text}"
        );
        assert!(
            text.contains(r#""key_distribution":{"kind":"zipf","s":1.5}"#),
            "{text}"
        );
        assert_round_trip(&text, &change);
    }

    #[test]
    fn an_unknown_kind_is_named_with_the_kinds_allowed() {
        let err = via_value::<FaultSpec>(r#"{"kind":"meteor","at_ms":1}"#).unwrap_err();
        assert!(err.contains("unknown variant `meteor`"), "{err}");
        for kind in ["server_errors", "outage", "crash_writer", "start_zombie"] {
            assert!(err.contains(&format!("`{kind}`")), "{kind} not in: {err}");
        }
        let err = via_value::<SettingChange>(r#"{"set":"weather","at_ms":1}"#).unwrap_err();
        assert!(err.contains("unknown variant `weather`"), "{err}");
        assert!(err.contains("`workload`, `engine`, `store`"), "{err}");
        let err = via_value::<KeyDistribution>(r#"{"kind":"normal"}"#).unwrap_err();
        assert!(err.contains("`uniform`, `zipf`, `sequential`"), "{err}");
        let err = via_value::<DriftSpec>(r#"{"kind":"sudden","at_ms":1}"#).unwrap_err();
        assert!(err.contains("`abrupt` or `gradual`"), "{err}");
    }

    #[test]
    fn unknown_missing_and_mistyped_fields_are_refused_by_name() {
        for (text, expected) in [
            (
                r#"{"kind":"outage","from_ms":1,"until_ms":2,"severity":3}"#,
                "unknown field `severity`",
            ),
            (
                r#"{"kind":"timeouts","probabilty":0.5}"#,
                "unknown field `probabilty`",
            ),
            (
                r#"{"kind":"slow","from_ms":1}"#,
                "missing field `multiplier`",
            ),
            (
                r#"{"kind":"recover","at_ms":"soon"}"#,
                "invalid type: string \"soon\"",
            ),
            (r#"{"at_ms":1}"#, "missing field `kind`"),
            (
                r#"{"kind":7,"at_ms":1}"#,
                "`kind` of a fault must be a string",
            ),
            (r#""outage""#, "expected a fault object with a `kind` field"),
        ] {
            let err = via_value::<FaultSpec>(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
        // A unit kind takes no fields either.
        let err = via_value::<KeyDistribution>(r#"{"kind":"uniform","s":1.0}"#).unwrap_err();
        assert!(err.contains("unknown field `s`"), "{err}");
        let err = via_value::<SettingChange>(r#"{"at_ms":1}"#).unwrap_err();
        assert!(err.contains("missing field `set`"), "{err}");
        let err = via_value::<SettingChange>(r#"{"set":"store","at_ms":1,"store":{},"when":2}"#)
            .unwrap_err();
        assert!(err.contains("unknown field `when`"), "{err}");
    }

    #[test]
    fn pretty_json_is_serde_jsons_pretty_layout() {
        let mut odd = Scenario {
            name: "odd \"name\" {with} [brackets], colons: and \\ slashes".to_string(),
            description: "ünïcode ✓, a tab\t and a newline\n".to_string(),
            ..Scenario::default()
        };
        odd.faults = fault_examples().into_iter().map(|(_, f)| f).collect();
        odd.recommender = Some(RecommenderSpec {
            policy: PolicySpec::named("ts"),
            population: PopulationSpec {
                position_bias: Some(vec![]),
                ..PopulationSpec::default()
            },
            drift: vec![DriftSpec::Abrupt { at_ms: 1 }],
            guardrails: GuardrailSpec::default(),
            log: LogSpec::default(),
        });
        let mut scenarios = vec![Scenario::default(), odd];
        for text in [
            include_str!("../../../tests/scenarios/recommender.json"),
            include_str!("../../../tests/scenarios/zombie-writer.json"),
            include_str!("../../../tests/scenarios/rate-change.json"),
        ] {
            scenarios.push(Scenario::from_json(text).unwrap());
        }
        for scenario in &scenarios {
            let expected = serde_json::to_string_pretty(scenario).unwrap();
            assert_eq!(scenario.to_json_pretty(), expected);
            // Read back without validation: the odd one's faults are not a sensible sequence.
            assert_eq!(
                serde_json::from_str::<Scenario>(&expected).unwrap(),
                *scenario
            );
        }
        assert_eq!(indent_compact_json(r#"{"a":[],"b":{},"c":[1,{"d":"x,y"}]}"#),
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": \"x,y\"\n    }\n  ]\n}");
    }

    #[test]
    fn a_bad_fault_in_a_scenario_is_a_parse_error_naming_it() {
        let text = r#"{"version":1,"seed":1,"duration_ms":1000,
            "workload":{"key_distribution":{"kind":"zipf","s":1.1}},
            "faults":[{"kind":"outage","from_ms":1,"until_ms":2},{"kind":"meteor"}]}"#;
        match Scenario::from_json(text) {
            Err(ScenarioError::Parse(message)) => {
                assert!(message.contains("meteor"), "{message}")
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        let fixed = text.replace(r#",{"kind":"meteor"}"#, "");
        let scenario = Scenario::from_json(&fixed).unwrap();
        assert_eq!(scenario.faults.len(), 1);
        assert_eq!(
            scenario.workload.key_distribution,
            KeyDistribution::Zipf { s: 1.1 }
        );
        // Written back, the document reads as the same scenario.
        assert_eq!(Scenario::from_json(&scenario.to_json()).unwrap(), scenario);
    }
}
