//! The scenario document: everything one run needs (seed, duration, workload, engine options,
//! object-store preset and overrides, timed faults, an optional recommender loop), as a
//! versioned JSON schema, and its compile step.
//!
//! The same document is the CLI's input file, the payload of a share URL (see [`crate::share`])
//! and the playground's state, so the schema is strict: every struct denies unknown fields,
//! the version is checked before anything else, and names (compaction styles, backpressure
//! modes, policies) are enums that refuse anything else as the document is read. Then
//! [`Scenario::compile`] checks every value's range, has each value's owner check it and
//! checks the resource budget ([`crate::budget`]), and yields a [`RunPlan`]: the typed values
//! the runner ([`crate::runner`]) runs.
//!
//! The modules follow the document's sections: [`workload`], [`engine`], [`store`],
//! [`faults`] (store faults and writer events), [`changes`] (timed setting changes) and
//! [`recommender`], each with the reader and the writer of its JSON; [`json`] holds the
//! helpers they share, written by hand over `serde_json::Value` rather than derived, for the
//! playground's download (the readers keep serde's behaviour and messages, and tests check
//! them against serde's derived readers; see [`json`]), and the pretty layout. Then the stages:
//! [`translate`] maps sections onto the engine's and the store's option types, and
//! [`compile`] runs every check once and builds the [`RunPlan`].

/// A name in a scenario that is none of the names its type allows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {found:?}; expected one of {}", expected.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub found: String,
    pub expected: &'static [&'static str],
}

/// Declares a unit enum whose variants a scenario spells as snake_case strings, with `ALL`,
/// `as_str`, `Display` and `FromStr`; serde writes the same strings and `json::unit_variant`
/// reads them.
macro_rules! named_enum {
    (
        $(#[$attr:meta])*
        pub enum $name:ident: $what:literal {
            $($(#[$vdoc:meta])* $variant:ident = $text:literal,)*
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every variant, in the order the playground lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            const NAMES: &'static [&'static str] = &[$($text),*];

            /// The name a scenario writes.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $name {
            /// Reads the name as serde_json reads a unit variant (`scenario::json::unit_variant`).
            pub(crate) fn from_value(
                value: serde_json::Value,
            ) -> Result<$name, $crate::scenario::json::Error> {
                $crate::scenario::json::unit_variant(value, $name::NAMES)
                    .map(|index| $name::ALL[index])
            }
        }

        $crate::scenario::json::deserialize_with_reader! {
            $name => $name::from_value;
        }

        impl std::str::FromStr for $name {
            type Err = $crate::scenario::UnknownName;

            fn from_str(text: &str) -> Result<$name, Self::Err> {
                strata_sim::fmt::index_of_name($name::NAMES, text)
                    .map(|index| $name::ALL[index])
                    .ok_or_else(|| $crate::scenario::UnknownName {
                        what: $what,
                        found: text.to_string(),
                        expected: $name::NAMES,
                    })
            }
        }
    };
}

pub mod changes;
pub mod compile;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod derived;
pub mod engine;
pub mod faults;
pub(crate) mod json;
pub mod patch;
/// The scenario's JSON writer, for other documents written by hand (the page's worker messages).
pub use json::{
    compact as compact_json, same_document, ByDocument, Document, Writer as JsonWriter,
};
#[cfg(all(test, not(target_arch = "wasm32")))]
mod reader_tests;
pub mod recommender;
pub mod store;
pub mod tenants;
#[cfg(test)]
mod tests;
pub mod translate;
pub mod workload;

pub use changes::SettingChange;
pub use compile::{PlannedChange, PlannedFault, PlannedSetting, RunPlan};
pub use engine::{BackpressureKind, BackpressureSpec, CompactionKind, CompactionSpec, EngineSpec};
pub use faults::{FaultSpec, FaultWindow, StoreOp};
pub use patch::{copy_value, merge_patch, take_member};
pub use recommender::{
    DriftSpec, GuardrailSpec, LogSpec, PolicySpec, PopulationSpec, RecommenderSpec,
};
pub use store::{LatencySpec, StorePreset, StoreSpec};
pub use strata_recommender::PolicyKind;
pub use tenants::TenantSpec;
pub use workload::{KeyDistribution, OpMix, ValueBytes, WorkloadSpec};

use faults::validate_fault;
use json::indent_compact_json;
use serde::Serialize;
use strata_sim::fmt::shortest;

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

/// The path of `name` inside the section or list item at `field`: `faults[3]` and `until_ms`
/// give `faults[3].until_ms`. One function for the checks' many member paths, rather than a
/// `format!` at each (each expanded its own formatting call in the playground's wasm).
pub(crate) fn member(field: &str, name: &str) -> String {
    let mut path = String::with_capacity(field.len() + 1 + name.len());
    path.push_str(field);
    path.push('.');
    path.push_str(name);
    path
}

/// "`at_ms` is after the run ends (duration_ms `duration_ms`)", for the member `name` of the
/// item at `field`: a fault, a change or a drift set after the end of the run.
fn after_run_end(field: &str, name: &str, at_ms: u64, duration_ms: u64) -> ScenarioError {
    invalid(
        member(field, name),
        format!("{at_ms} is after the run ends (duration_ms {duration_ms})"),
    )
}

/// The path of the item at `index` of the list at `field`: `faults` and 3 give `faults[3]`.
/// Like [`member`], one function for the checks' many item paths.
pub(crate) fn item(field: &str, index: usize) -> String {
    format!("{field}[{index}]")
}

/// "`rule`, got `value`": a number out of its range, written as the scenario's JSON writes it.
/// One function for the checks' messages of that form, rather than a `format!` at each.
fn got(rule: &str, value: f64) -> String {
    format!("{rule}, got {}", shortest(value))
}

/// "the `what` ends at `until`, not after it starts at `from`": a window that ends before it
/// starts (a fault's, an outage's, a drift's).
fn ends_before_start(what: &str, until: u64, from: u64) -> String {
    format!("the {what} ends at {until}, not after it starts at {from}")
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ScenarioError {
    ScenarioError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// One run: what to simulate and for how long.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// Must be [`SCENARIO_VERSION`].
    pub version: u32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The root seed: every random stream of the run derives from it.
    pub seed: u64,
    /// Simulated time the workload runs for (work in flight at the end is allowed to finish).
    pub duration_ms: u64,
    pub workload: WorkloadSpec,
    pub engine: EngineSpec,
    pub store: StoreSpec,
    /// Faults and writer events, each at its simulated time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// Workload, engine and store settings replaced at a simulated time (the playground's live
    /// controls are recorded here, so a share link replays them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<SettingChange>,
    /// The recommender loop, when the scenario runs one beside the workload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommender: Option<RecommenderSpec>,
    /// Other databases on the same bucket, each under its own prefix with its own workload
    /// (see [`tenants`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<TenantSpec>,
    /// Read back every acknowledged-durable write when the run ends, and count the lost ones.
    pub verify_at_end: bool,
    pub trace: TraceSpec,
}

/// How much of the trace is retained for drawing (the hash and metrics cover everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TraceSpec {
    pub ring_capacity: usize,
}

impl Scenario {
    const FIELDS: &'static [&'static str] = &[
        "version",
        "name",
        "description",
        "seed",
        "duration_ms",
        "workload",
        "engine",
        "store",
        "faults",
        "changes",
        "recommender",
        "tenants",
        "verify_at_end",
        "trace",
    ];

    /// Reads the document's object (see [`json`]): `version`, `seed` and `duration_ms` are
    /// required, every other field has its default; unknown fields are refused.
    pub(crate) fn from_object(object: json::Object) -> Result<Scenario, json::Error> {
        let defaults = Scenario::default();
        let (mut version, mut seed, mut duration_ms) = (None, None, None);
        let mut scenario = Scenario {
            name: String::new(),
            description: String::new(),
            ..defaults
        };
        json::fields(object, Scenario::FIELDS, &mut |index, value| {
            match index {
                0 => version = Some(json::u32(value)?),
                1 => scenario.name = json::string(value)?,
                2 => scenario.description = json::string(value)?,
                3 => seed = Some(json::u64(value)?),
                4 => duration_ms = Some(json::u64(value)?),
                5 => scenario.workload = WorkloadSpec::from_value(value)?,
                6 => scenario.engine = EngineSpec::from_value(value)?,
                7 => scenario.store = StoreSpec::from_value(value)?,
                8 => scenario.faults = json::list(value, FaultSpec::from_value)?,
                9 => scenario.changes = json::list(value, SettingChange::from_value)?,
                10 => scenario.recommender = json::optional(value, RecommenderSpec::from_value)?,
                11 => scenario.tenants = json::list(value, TenantSpec::from_value)?,
                12 => scenario.verify_at_end = json::bool(value)?,
                _ => scenario.trace = TraceSpec::from_value(value)?,
            }
            Ok(())
        })?;
        scenario.version = json::required(version, "version")?;
        scenario.seed = json::required(seed, "seed")?;
        scenario.duration_ms = json::required(duration_ms, "duration_ms")?;
        Ok(scenario)
    }

    /// Writes the document as the derived `Serialize` does (see [`json::Writer`]).
    fn write_json(&self, w: &mut json::Writer) {
        w.begin_object();
        w.key("version").u64(self.version.into());
        if !self.name.is_empty() {
            w.key("name").string(&self.name);
        }
        if !self.description.is_empty() {
            w.key("description").string(&self.description);
        }
        w.key("seed").u64(self.seed);
        w.key("duration_ms").u64(self.duration_ms);
        w.key("workload");
        self.workload.write_json(w);
        w.key("engine");
        self.engine.write_json(w);
        w.key("store");
        self.store.write_json(w);
        if !self.faults.is_empty() {
            w.key("faults").begin_array();
            for fault in &self.faults {
                fault.write_json(w);
            }
            w.end_array();
        }
        if !self.changes.is_empty() {
            w.key("changes").begin_array();
            for change in &self.changes {
                change.write_json(w);
            }
            w.end_array();
        }
        if let Some(recommender) = &self.recommender {
            w.key("recommender");
            recommender.write_json(w);
        }
        if !self.tenants.is_empty() {
            w.key("tenants").begin_array();
            for tenant in &self.tenants {
                tenant.write_json(w);
            }
            w.end_array();
        }
        w.key("verify_at_end").bool(self.verify_at_end);
        w.key("trace").begin_object();
        w.key("ring_capacity").u64(self.trace.ring_capacity as u64);
        w.end_object();
        w.end_object();
    }

    /// [`Scenario::from_object`] for a JSON value, which must be an object.
    pub(crate) fn from_value(value: serde_json::Value) -> Result<Scenario, json::Error> {
        json::section(value, "struct Scenario", Scenario::from_object)
    }
}

impl TraceSpec {
    fn from_value(value: serde_json::Value) -> Result<TraceSpec, json::Error> {
        json::section(value, "struct TraceSpec", |object| {
            let mut trace = TraceSpec::default();
            json::fields(object, &["ring_capacity"], &mut |_, value| {
                trace.ring_capacity = json::usize(value)?;
                Ok(())
            })?;
            Ok(trace)
        })
    }
}

json::deserialize_with_reader! {
    Scenario => Scenario::from_value;
    TraceSpec => TraceSpec::from_value;
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
            tenants: Vec::new(),
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
            ..CompactionSpec::style(CompactionKind::Leveled)
        });
        scenario.store.preset = StorePreset::S3Standard;
        scenario.recommender = Some(RecommenderSpec::playground());
        scenario
    }

    /// Parses and validates a scenario document. The version is checked first, so that a
    /// document from another version gets a version error rather than a field error.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let value =
            strata_sim::json::from_str(text).map_err(|e| ScenarioError::Parse(e.to_string()))?;
        let serde_json::Value::Object(object) = value else {
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
                    found: json::compact(other),
                    supported: SCENARIO_VERSION,
                })
            }
        }
        // Read by hand from the object (see `json`), not by serde's derived code.
        let scenario =
            Scenario::from_object(object).map_err(|e| ScenarioError::Parse(e.to_string()))?;
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
        // Written by hand, the same bytes as `serde_json::to_string(self)` (see `json::Writer`).
        let mut writer = json::Writer::new();
        self.write_json(&mut writer);
        writer.finish()
    }

    /// Compiles the scenario ([`Scenario::compile`]) and keeps only the verdict: `Ok` when it
    /// runs, else the first error, the same one `strata run` and the playground report.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.compile().map(|_| ())
    }

    /// The document's own ranges, section by section: the first step of
    /// [`Scenario::compile`].
    fn check_fields(&self) -> Result<(), ScenarioError> {
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
            validate_fault(&item("faults", index), fault, self.duration_ms)?;
        }
        self.validate_writer_events()?;
        tenants::check_tenants(&self.tenants, self.engine.db_path())?;
        check_count("changes", self.changes.len(), MAX_CHANGES)?;
        for (index, change) in self.changes.iter().enumerate() {
            change.validate(&item("changes", index), self.duration_ms)?;
        }
        if let Some(recommender) = &self.recommender {
            recommender.validate(self.duration_ms)?;
        }
        check_range_u64(
            "trace.ring_capacity",
            self.trace.ring_capacity as u64,
            1,
            strata_sim::trace::MAX_RING_CAPACITY as u64,
        )
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
                                member(&item("faults", index), "recover_after_ms"),
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
        // By time, then by position in the document: the events were pushed in document
        // order (a crash before its own recovery), so a stable order by time is that order.
        let order = strata_sim::maps::stable_order(events.iter().map(|(at, _, _)| *at));
        let mut writer_up = true;
        for (_, index, event) in order.into_iter().map(|position| events[position]) {
            let field = item("faults", index);
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

/// Stands for the recover implied by `crash_writer.recover_after_ms` in the ordering check.
const RECOVER_MARKER: FaultSpec = FaultSpec::Recover { at_ms: 0 };

fn check_finite_non_negative(field: &str, value: f64) -> Result<(), ScenarioError> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid(field, got("must be a finite number ≥ 0", value)));
    }
    Ok(())
}

fn check_positive(field: &str, value: f64) -> Result<(), ScenarioError> {
    if !value.is_finite() || value <= 0.0 {
        return Err(invalid(field, got("must be a finite number > 0", value)));
    }
    Ok(())
}

fn check_probability(field: &str, value: f64) -> Result<(), ScenarioError> {
    if !(0.0..=1.0).contains(&value) {
        return Err(invalid(field, got("must be in [0, 1]", value)));
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
