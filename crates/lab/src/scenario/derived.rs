//! serde's derived readers for the scenario's and the chapter's types, exactly as the build
//! used them before the hand-written readers of [`super::json`] replaced them: compiled for
//! tests only, as the reference those readers are checked against (the property tests in
//! `scenario/tests.rs`: same inputs accepted, same values, same messages).
//!
//! Each twin is a serde `remote` definition, so it builds the real type; sections are read
//! from their JSON objects only and tagged enums through an externally tagged twin, as the
//! schema's readers did then.

use super::faults::FaultSpecDef;
use super::*;
use crate::chapter::{Beat, Chapter, Claim, Variant};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;

/// A twin's reader of a struct from its JSON object.
type Read<T> = fn(Map<String, Value>) -> Result<T, serde_json::Error>;

/// A section read from its JSON object only (the old `json::object`).
fn object<'de, D: Deserializer<'de>, T>(d: D, name: &str, read: Read<T>) -> Result<T, D::Error> {
    from_object(Value::deserialize(d)?, name, read).map_err(de::Error::custom)
}

/// [`object`] for an optional section: `null` is `None`.
fn optional_object<'de, D: Deserializer<'de>, T>(
    d: D,
    name: &str,
    read: Read<T>,
) -> Result<Option<T>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        value => from_object(value, name, read)
            .map(Some)
            .map_err(de::Error::custom),
    }
}

/// [`object`] for a list of sections.
fn objects<'de, D: Deserializer<'de>, T>(
    d: D,
    name: &str,
    read: Read<T>,
) -> Result<Vec<T>, D::Error> {
    match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .map(|item| from_object(item, name, read))
            .collect::<Result<Vec<T>, _>>()
            .map_err(de::Error::custom),
        other => Err(de::Error::custom(json::wrong_type(&other, "a sequence"))),
    }
}

fn from_object<T>(value: Value, name: &str, read: Read<T>) -> Result<T, serde_json::Error> {
    match value {
        Value::Object(map) => read(map),
        other => Err(de::Error::custom(json::wrong_type(
            &other,
            &format!("struct {name}"),
        ))),
    }
}

/// An internally tagged enum read through its externally tagged twin (the old
/// `json::deserialize_tagged`).
fn tagged<'de, D: Deserializer<'de>, T>(
    d: D,
    tag: &str,
    what: &str,
    read_twin: fn(Value) -> Result<T, serde_json::Error>,
) -> Result<T, D::Error> {
    let value = Value::deserialize(d)?;
    let untagged = externally_tagged(value, tag, what).map_err(de::Error::custom)?;
    read_twin(untagged).map_err(de::Error::custom)
}

fn externally_tagged(value: Value, tag: &str, what: &str) -> Result<Value, String> {
    let mut fields = match value {
        Value::Object(fields) => fields,
        other => {
            let found = super::json::kind_of(&other);
            return Err(format!(
                "invalid type: {found}, expected a {what} object with a `{tag}` field"
            ));
        }
    };
    match fields.remove(tag) {
        Some(Value::String(name)) => {
            let mut outer = Map::new();
            outer.insert(name, Value::Object(fields));
            Ok(Value::Object(outer))
        }
        Some(other) => Err(format!("`{tag}` of a {what} must be a string, got {other}")),
        None => Err(format!("missing field `{tag}` in a {what}")),
    }
}

macro_rules! section_fns {
    ($($object:ident / $optional:ident / $objects:ident: $ty:ident => $def:ident;)*) => {$(
        #[allow(dead_code)]
        fn $object<'de, D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
            object(d, stringify!($ty), $def::deserialize)
        }
        #[allow(dead_code)]
        fn $optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$ty>, D::Error> {
            optional_object(d, stringify!($ty), $def::deserialize)
        }
        #[allow(dead_code)]
        fn $objects<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<$ty>, D::Error> {
            objects(d, stringify!($ty), $def::deserialize)
        }
    )*};
}

section_fns! {
    workload / _workload_opt / _workloads: WorkloadSpec => WorkloadSpecDef;
    engine / _engine_opt / _engines: EngineSpec => EngineSpecDef;
    store / _store_opt / _stores: StoreSpec => StoreSpecDef;
    trace / _trace_opt / _traces: TraceSpec => TraceSpecDef;
    mix / _mix_opt / _mixes: OpMix => OpMixDef;
    _compaction / compaction_opt / _compactions: CompactionSpec => CompactionSpecDef;
    _backpressure / backpressure_opt / _backpressures: BackpressureSpec => BackpressureSpecDef;
    _latency / latency_opt / _latencies: LatencySpec => LatencySpecDef;
    _recommender / recommender_opt / _recommenders: RecommenderSpec => RecommenderSpecDef;
    policy / _policy_opt / _policies: PolicySpec => PolicySpecDef;
    population / _population_opt / _populations: PopulationSpec => PopulationSpecDef;
    guardrails / _guardrails_opt / _guardrailss: GuardrailSpec => GuardrailSpecDef;
    log / _log_opt / _logs: LogSpec => LogSpecDef;
    _tenant / _tenant_opt / tenants: TenantSpec => TenantSpecDef;
    scenario / _scenario_opt / _scenarios: Scenario => ScenarioDef;
    _variant / variant_opt / _variants: Variant => VariantDef;
    _beat / _beat_opt / beats: Beat => BeatDef;
    _claim / _claim_opt / claims: Claim => ClaimDef;
}

/// Reads a scenario document's object as `Scenario::from_json` did with the derived code
/// (after its version check).
pub(crate) fn scenario_from_object(map: Map<String, Value>) -> Result<Scenario, serde_json::Error> {
    ScenarioDef::deserialize(map)
}

/// Reads a chapter from a `Value` as the page did (`serde_json::from_value::<Chapter>`).
pub(crate) fn chapter_from_value(value: Value) -> Result<Chapter, serde_json::Error> {
    ChapterDef::deserialize(value)
}

fn default_true() -> bool {
    true
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(remote = "Scenario", deny_unknown_fields)]
struct ScenarioDef {
    version: u32,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    seed: u64,
    duration_ms: u64,
    #[serde(default, deserialize_with = "workload")]
    workload: WorkloadSpec,
    #[serde(default, deserialize_with = "engine")]
    engine: EngineSpec,
    #[serde(default, deserialize_with = "store")]
    store: StoreSpec,
    #[serde(default, deserialize_with = "faults")]
    faults: Vec<FaultSpec>,
    #[serde(default, deserialize_with = "changes")]
    changes: Vec<SettingChange>,
    #[serde(default, deserialize_with = "recommender_opt")]
    recommender: Option<RecommenderSpec>,
    #[serde(default, deserialize_with = "tenants")]
    tenants: Vec<TenantSpec>,
    #[serde(default = "default_true")]
    verify_at_end: bool,
    #[serde(default, deserialize_with = "trace")]
    trace: TraceSpec,
}

#[derive(Deserialize)]
#[serde(
    remote = "TraceSpec",
    deny_unknown_fields,
    default = "TraceSpec::default"
)]
struct TraceSpecDef {
    ring_capacity: usize,
}

fn faults<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<FaultSpec>, D::Error> {
    struct Fault(FaultSpec);
    impl<'de> Deserialize<'de> for Fault {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            tagged(d, "kind", "fault", FaultSpecDef::deserialize).map(Fault)
        }
    }
    Ok(Vec::<Fault>::deserialize(d)?
        .into_iter()
        .map(|f| f.0)
        .collect())
}

fn changes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SettingChange>, D::Error> {
    struct Change(SettingChange);
    impl<'de> Deserialize<'de> for Change {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            tagged(d, "set", "setting change", SettingChangeDef::deserialize).map(Change)
        }
    }
    Ok(Vec::<Change>::deserialize(d)?
        .into_iter()
        .map(|c| c.0)
        .collect())
}

#[derive(Deserialize)]
#[serde(
    remote = "SettingChange",
    rename_all = "snake_case",
    deny_unknown_fields
)]
enum SettingChangeDef {
    Workload {
        at_ms: u64,
        #[serde(deserialize_with = "workload")]
        workload: WorkloadSpec,
    },
    Engine {
        at_ms: u64,
        #[serde(deserialize_with = "engine")]
        engine: EngineSpec,
    },
    Store {
        at_ms: u64,
        #[serde(deserialize_with = "store")]
        store: StoreSpec,
    },
}

#[derive(Deserialize)]
#[serde(
    remote = "WorkloadSpec",
    deny_unknown_fields,
    default = "WorkloadSpec::default"
)]
struct WorkloadSpecDef {
    rate_ops_per_sec: f64,
    #[serde(deserialize_with = "key_distribution")]
    key_distribution: KeyDistribution,
    key_count: u64,
    key_bytes: u32,
    #[serde(deserialize_with = "value_bytes")]
    value_bytes: ValueBytes,
    #[serde(deserialize_with = "mix")]
    mix: OpMix,
    scan_keys: u32,
    batch_size: u32,
    range_delete_width: u32,
    ttl_ms: Option<u64>,
    await_durable: bool,
    max_in_flight: u32,
}

fn key_distribution<'de, D: Deserializer<'de>>(d: D) -> Result<KeyDistribution, D::Error> {
    tagged(
        d,
        "kind",
        "key distribution",
        KeyDistributionDef::deserialize,
    )
}

#[derive(Deserialize)]
#[serde(
    remote = "KeyDistribution",
    rename_all = "snake_case",
    deny_unknown_fields
)]
enum KeyDistributionDef {
    Uniform {},
    Zipf { s: f64 },
    Sequential {},
}

/// `ValueBytes`'s visitor, as it was.
fn value_bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ValueBytes, D::Error> {
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

#[derive(Deserialize)]
#[serde(remote = "OpMix", deny_unknown_fields, default = "OpMix::default")]
struct OpMixDef {
    read: f64,
    write: f64,
    delete: f64,
    scan: f64,
    batch: f64,
    delete_range: f64,
}

#[derive(Deserialize)]
#[serde(
    remote = "EngineSpec",
    deny_unknown_fields,
    default = "EngineSpec::default"
)]
struct EngineSpecDef {
    path: Option<String>,
    flush_interval_ms: Option<f64>,
    max_wal_bytes: Option<u64>,
    memtable_bytes: Option<u64>,
    max_immutable_memtables: Option<u32>,
    block_bytes: Option<u64>,
    bloom_bits_per_key: Option<u32>,
    block_cache_bytes: Option<u64>,
    gc_interval_ms: Option<f64>,
    gc_min_age_ms: Option<f64>,
    #[serde(default, deserialize_with = "compaction_opt")]
    compaction: Option<CompactionSpec>,
    #[serde(default, deserialize_with = "backpressure_opt")]
    backpressure: Option<BackpressureSpec>,
    store_max_attempts: Option<u32>,
    retry_base_delay_ms: Option<f64>,
    retry_max_delay_ms: Option<f64>,
    retry_deadline_ms: Option<f64>,
    hedge_percentile: Option<f64>,
    hedge_delay_ms: Option<f64>,
    reader_poll_interval_ms: Option<f64>,
}

#[derive(Deserialize)]
#[serde(remote = "CompactionKind")]
enum CompactionKindDef {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "leveled")]
    Leveled,
    #[serde(rename = "size_tiered")]
    SizeTiered,
}

#[derive(Deserialize)]
#[serde(remote = "BackpressureKind")]
enum BackpressureKindDef {
    #[serde(rename = "stall")]
    Stall,
    #[serde(rename = "reject")]
    Reject,
}

#[derive(Deserialize)]
#[serde(remote = "CompactionSpec", deny_unknown_fields)]
struct CompactionSpecDef {
    #[serde(with = "CompactionKindDef")]
    style: CompactionKind,
    #[serde(default)]
    l0_trigger: Option<u32>,
    #[serde(default)]
    min_merge_runs: Option<u32>,
    #[serde(default)]
    max_runs: Option<u32>,
    #[serde(default)]
    size_ratio: Option<f64>,
    #[serde(default)]
    level_base_bytes: Option<u64>,
    #[serde(default)]
    level_ratio: Option<f64>,
    #[serde(default)]
    max_levels: Option<u32>,
    #[serde(default)]
    target_sst_bytes: Option<u64>,
}

fn backpressure_mode<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BackpressureKind>, D::Error> {
    #[derive(Deserialize)]
    struct Mode(#[serde(with = "BackpressureKindDef")] BackpressureKind);
    Ok(Option::<Mode>::deserialize(d)?.map(|mode| mode.0))
}

#[derive(Deserialize)]
#[serde(remote = "BackpressureSpec", deny_unknown_fields)]
struct BackpressureSpecDef {
    #[serde(default, deserialize_with = "backpressure_mode")]
    mode: Option<BackpressureKind>,
    #[serde(default)]
    max_l0_ssts: Option<u64>,
    #[serde(default)]
    max_unflushed_bytes: Option<u64>,
}

#[derive(Deserialize)]
#[serde(remote = "StorePreset", rename_all = "snake_case")]
enum StorePresetDef {
    S3Standard,
    S3Express,
    Instant,
}

#[derive(Deserialize)]
#[serde(remote = "LatencySpec", deny_unknown_fields)]
struct LatencySpecDef {
    p50_ms: f64,
    p99_ms: f64,
}

#[derive(Deserialize)]
#[serde(
    remote = "StoreSpec",
    deny_unknown_fields,
    default = "StoreSpec::default"
)]
struct StoreSpecDef {
    #[serde(with = "StorePresetDef")]
    preset: StorePreset,
    #[serde(default, deserialize_with = "latency_opt")]
    get_latency: Option<LatencySpec>,
    #[serde(default, deserialize_with = "latency_opt")]
    put_latency: Option<LatencySpec>,
    #[serde(default, deserialize_with = "latency_opt")]
    list_latency: Option<LatencySpec>,
    #[serde(default, deserialize_with = "latency_opt")]
    delete_latency: Option<LatencySpec>,
    bandwidth_bytes_per_sec: Option<f64>,
    put_limit_per_sec: Option<f64>,
    get_limit_per_sec: Option<f64>,
    request_timeout_ms: Option<f64>,
    put_usd_per_1000: Option<f64>,
    get_usd_per_1000: Option<f64>,
    list_usd_per_1000: Option<f64>,
    storage_usd_per_gb_month: Option<f64>,
}

#[derive(Deserialize)]
#[serde(remote = "RecommenderSpec", deny_unknown_fields)]
struct RecommenderSpecDef {
    #[serde(deserialize_with = "policy")]
    policy: PolicySpec,
    #[serde(default, deserialize_with = "population")]
    population: PopulationSpec,
    #[serde(default, deserialize_with = "drift")]
    drift: Vec<DriftSpec>,
    #[serde(default, deserialize_with = "guardrails")]
    guardrails: GuardrailSpec,
    #[serde(default, deserialize_with = "log")]
    log: LogSpec,
}

fn policy_name<'de, D: Deserializer<'de>>(d: D) -> Result<PolicyKind, D::Error> {
    let name = String::deserialize(d)?;
    name.parse().map_err(de::Error::custom)
}

#[derive(Deserialize)]
#[serde(remote = "PolicySpec", deny_unknown_fields)]
struct PolicySpecDef {
    #[serde(deserialize_with = "policy_name")]
    name: PolicyKind,
    #[serde(default)]
    alpha: Option<f64>,
    #[serde(default)]
    epsilon: Option<f64>,
    #[serde(default)]
    tau: Option<f64>,
    #[serde(default)]
    discount: Option<f64>,
    #[serde(default)]
    window: Option<u32>,
}

#[derive(Deserialize)]
#[serde(
    remote = "PopulationSpec",
    deny_unknown_fields,
    default = "PopulationSpec::default"
)]
struct PopulationSpecDef {
    users: u32,
    items: u32,
    dims: u32,
    categories: u32,
    slate_size: u32,
    slates_per_sec: f64,
    feedback_gain: f64,
    position_bias: Option<Vec<f64>>,
    shared_taste: f64,
}

fn drift<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DriftSpec>, D::Error> {
    struct Drift(DriftSpec);
    impl<'de> Deserialize<'de> for Drift {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            tagged(d, "kind", "drift", DriftSpecDef::deserialize).map(Drift)
        }
    }
    Ok(Vec::<Drift>::deserialize(d)?
        .into_iter()
        .map(|x| x.0)
        .collect())
}

#[derive(Deserialize)]
#[serde(remote = "DriftSpec", rename_all = "snake_case", deny_unknown_fields)]
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

#[derive(Deserialize)]
#[serde(
    remote = "GuardrailSpec",
    deny_unknown_fields,
    default = "GuardrailSpec::default"
)]
struct GuardrailSpecDef {
    max_exploration_share: Option<f64>,
    min_distinct_categories: Option<u32>,
    max_policy_change: Option<f64>,
}

#[derive(Deserialize)]
#[serde(remote = "LogSpec", deny_unknown_fields, default = "LogSpec::default")]
struct LogSpecDef {
    log_impressions: bool,
    checkpoint_every: u64,
    durable_writes: bool,
}

#[derive(Deserialize)]
#[serde(remote = "TenantSpec", deny_unknown_fields)]
struct TenantSpecDef {
    name: String,
    #[serde(default, deserialize_with = "workload")]
    workload: WorkloadSpec,
    #[serde(default = "one")]
    prefixes: u32,
}

#[derive(Deserialize)]
#[serde(remote = "Chapter", deny_unknown_fields)]
struct ChapterDef {
    title: String,
    question: String,
    #[serde(deserialize_with = "scenario")]
    scenario: Scenario,
    #[serde(default, deserialize_with = "variant_opt")]
    variant: Option<Variant>,
    #[serde(deserialize_with = "beats")]
    beats: Vec<Beat>,
    #[serde(deserialize_with = "claims")]
    claims: Vec<Claim>,
}

#[derive(Deserialize)]
#[serde(remote = "Variant", deny_unknown_fields)]
struct VariantDef {
    base_label: String,
    label: String,
    patch: Value,
}

#[derive(Deserialize)]
#[serde(remote = "Beat", deny_unknown_fields)]
struct BeatDef {
    caption: String,
    #[serde(default)]
    at_ms: Option<u64>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    highlight: Vec<String>,
}

#[derive(Deserialize)]
#[serde(remote = "Claim", deny_unknown_fields)]
struct ClaimDef {
    figure: String,
    says: String,
    #[serde(default)]
    below_variant: bool,
    #[serde(default)]
    above_variant: bool,
    #[serde(default)]
    at_least: Option<f64>,
    #[serde(default)]
    at_most: Option<f64>,
}
