//! Faults and writer events, each at its simulated time: store faults with a window
//! (`server_errors`, `timeouts`, `throttle`, `lost_acks`, `slow`, `bit_flips`), an outage, a
//! bit flip in a stored object, and the writer's crash, recovery and takeover.

use super::json;
use super::{
    after_run_end, check_probability, ends_before_start, got, invalid, member, ScenarioError,
};
#[cfg(all(test, not(target_arch = "wasm32")))]
use serde::Deserialize;
use serde::Serialize;
/// The requests a store fault applies to are named by the trace's own operation type.
pub use strata_sim::StoreOp;

/// A window of simulated time, a probability and a filter, shared by the store's faults.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    pub from_ms: u64,
    /// End of the window (exclusive); `None` means until the run ends.
    pub until_ms: Option<u64>,
    /// Chance that a matching request is hit.
    pub probability: f64,
    /// Only these operations (empty: all).
    pub ops: Vec<StoreOp>,
    /// Only keys starting with this prefix (empty: all).
    pub prefix: String,
}

/// A store fault's `probability` when the scenario leaves it out.
const DEFAULT_PROBABILITY: f64 = 1.0;
/// A timeout's `applied_probability` when the scenario leaves it out.
const DEFAULT_APPLIED_PROBABILITY: f64 = 0.5;

#[cfg(all(test, not(target_arch = "wasm32")))]
fn default_probability() -> f64 {
    DEFAULT_PROBABILITY
}

#[cfg(all(test, not(target_arch = "wasm32")))]
fn half() -> f64 {
    DEFAULT_APPLIED_PROBABILITY
}

fn is_one(value: &f64) -> bool {
    *value == 1.0
}

/// The body of [`FaultSpec`] and of its test-only twin with serde's derived reader: the
/// listed store faults with the window fields, then the fixed variants. Used by `fault_spec!`
/// only.
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
                    ops: Vec<StoreOp>,
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
/// Emits [`FaultSpec`] (serialised with its `kind` tag) and, for tests, `FaultSpecDef`, the
/// same variants read externally tagged by serde's derived code: the reference the
/// hand-written reader ([`FaultSpec::from_value`]) is checked against (`scenario/derived.rs`).
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
            /// [`FaultSpec`]'s fields, read externally tagged by serde's derived code (tests
            /// only: the reference for [`FaultSpec::from_value`]).
            #[cfg(all(test, not(target_arch = "wasm32")))]
            #[derive(Deserialize)]
            #[serde(remote = "FaultSpec", rename_all = "snake_case", deny_unknown_fields)]
            // Only its generated `deserialize` is used; it builds `FaultSpec`s.
            #[allow(dead_code)]
            pub(super) enum FaultSpecDef;
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

/// The fields of any fault, as read before the variant's own are picked out.
#[derive(Default)]
struct FaultFields {
    from_ms: Option<u64>,
    until_ms: Option<u64>,
    probability: Option<f64>,
    ops: Vec<StoreOp>,
    prefix: String,
    /// A timeout's `applied_probability` or a slowdown's `multiplier`.
    extra: Option<f64>,
    at_ms: Option<u64>,
    recover_after_ms: Option<u64>,
}

impl FaultSpec {
    /// The `kind` names, in the order of [`FaultSpec::FIELDS`].
    const NAMES: &'static [&'static str] = &[
        "server_errors",
        "timeouts",
        "throttle",
        "lost_acks",
        "slow",
        "bit_flips",
        "outage",
        "bit_flip",
        "crash_writer",
        "recover",
        "start_zombie",
    ];
    /// Each kind's fields, in declaration order (the order serde lists them in an
    /// unknown-field message).
    const FIELDS: [&'static [&'static str]; 11] = [
        &["from_ms", "until_ms", "probability", "ops", "prefix"],
        &[
            "from_ms",
            "until_ms",
            "probability",
            "ops",
            "prefix",
            "applied_probability",
        ],
        &["from_ms", "until_ms", "probability", "ops", "prefix"],
        &["from_ms", "until_ms", "probability", "ops", "prefix"],
        &[
            "from_ms",
            "until_ms",
            "probability",
            "ops",
            "prefix",
            "multiplier",
        ],
        &["from_ms", "until_ms", "probability", "ops", "prefix"],
        &["from_ms", "until_ms"],
        &["at_ms", "prefix"],
        &["at_ms", "recover_after_ms"],
        &["at_ms"],
        &["at_ms"],
    ];

    /// Reads `{"kind": "slow", "from_ms": 0, "multiplier": 2}` (see [`json::tagged`]). One
    /// reader for every kind: the derived one had a copy per struct variant (eleven).
    pub(crate) fn from_value(value: serde_json::Value) -> Result<FaultSpec, json::Error> {
        let (variant, object) = json::tagged(value, "kind", "fault", FaultSpec::NAMES)?;
        let names = FaultSpec::FIELDS[variant];
        // The six store faults share the window; only their `until_ms` is optional.
        let windowed = variant < 6;
        let mut f = FaultFields::default();
        json::fields(object, names, &mut |index, value| {
            match names[index] {
                "from_ms" => f.from_ms = Some(json::u64(value)?),
                "until_ms" if windowed => f.until_ms = json::optional(value, json::u64)?,
                "until_ms" => f.until_ms = Some(json::u64(value)?),
                "probability" => f.probability = Some(json::f64(value)?),
                "ops" => f.ops = json::list(value, store_op)?,
                "prefix" => f.prefix = json::string(value)?,
                "at_ms" => f.at_ms = Some(json::u64(value)?),
                "recover_after_ms" => f.recover_after_ms = json::optional(value, json::u64)?,
                _ => f.extra = Some(json::f64(value)?),
            }
            Ok(())
        })?;
        let FaultFields {
            from_ms,
            until_ms,
            probability,
            ops,
            prefix,
            extra,
            at_ms,
            recover_after_ms,
        } = f;
        if windowed {
            let from_ms = from_ms.unwrap_or(0);
            let probability = probability.unwrap_or(DEFAULT_PROBABILITY);
            return Ok(match variant {
                0 => FaultSpec::ServerErrors {
                    from_ms,
                    until_ms,
                    probability,
                    ops,
                    prefix,
                },
                1 => FaultSpec::Timeouts {
                    from_ms,
                    until_ms,
                    probability,
                    ops,
                    prefix,
                    applied_probability: extra.unwrap_or(DEFAULT_APPLIED_PROBABILITY),
                },
                2 => FaultSpec::Throttle {
                    from_ms,
                    until_ms,
                    probability,
                    ops,
                    prefix,
                },
                3 => FaultSpec::LostAcks {
                    from_ms,
                    until_ms,
                    probability,
                    ops,
                    prefix,
                },
                4 => FaultSpec::Slow {
                    from_ms,
                    until_ms,
                    probability,
                    ops,
                    prefix,
                    multiplier: json::required(extra, "multiplier")?,
                },
                _ => FaultSpec::BitFlips {
                    from_ms,
                    until_ms,
                    probability,
                    ops,
                    prefix,
                },
            });
        }
        if variant == 6 {
            return Ok(FaultSpec::Outage {
                from_ms: json::required(from_ms, "from_ms")?,
                until_ms: json::required(until_ms, "until_ms")?,
            });
        }
        let at_ms = json::required(at_ms, "at_ms")?;
        Ok(match variant {
            7 => FaultSpec::BitFlip { at_ms, prefix },
            8 => FaultSpec::CrashWriter {
                at_ms,
                recover_after_ms,
            },
            9 => FaultSpec::Recover { at_ms },
            _ => FaultSpec::StartZombie { at_ms },
        })
    }
}

impl FaultSpec {
    /// Writes the fault as the derived `Serialize` does (see [`json::Writer`]): the `kind`
    /// first, then the fields, the window's defaults left out.
    pub(crate) fn write_json(&self, w: &mut json::Writer) {
        w.begin_object();
        w.key("kind").string(self.kind());
        if let Some(window) = self.window() {
            w.key("from_ms").u64(window.from_ms);
            w.optional_u64("until_ms", window.until_ms);
            if !is_one(&window.probability) {
                w.key("probability").f64(window.probability);
            }
            if !window.ops.is_empty() {
                w.key("ops").begin_array();
                for op in &window.ops {
                    w.string(op.as_str());
                }
                w.end_array();
            }
            if !window.prefix.is_empty() {
                w.key("prefix").string(&window.prefix);
            }
        }
        match self {
            FaultSpec::Timeouts {
                applied_probability,
                ..
            } => w.key("applied_probability").f64(*applied_probability),
            FaultSpec::Slow { multiplier, .. } => w.key("multiplier").f64(*multiplier),
            FaultSpec::Outage { from_ms, until_ms } => {
                w.key("from_ms").u64(*from_ms);
                w.key("until_ms").u64(*until_ms);
            }
            FaultSpec::BitFlip { at_ms, prefix } => {
                w.key("at_ms").u64(*at_ms);
                if !prefix.is_empty() {
                    w.key("prefix").string(prefix);
                }
            }
            FaultSpec::CrashWriter {
                at_ms,
                recover_after_ms,
            } => {
                w.key("at_ms").u64(*at_ms);
                w.optional_u64("recover_after_ms", *recover_after_ms);
            }
            FaultSpec::Recover { at_ms } | FaultSpec::StartZombie { at_ms } => {
                w.key("at_ms").u64(*at_ms)
            }
            FaultSpec::ServerErrors { .. }
            | FaultSpec::Throttle { .. }
            | FaultSpec::LostAcks { .. }
            | FaultSpec::BitFlips { .. } => {}
        }
        w.end_object();
    }
}

/// A store operation's name, as serde_json reads the trace's derived `StoreOp`.
fn store_op(value: serde_json::Value) -> Result<StoreOp, json::Error> {
    let names = &["get", "head", "put", "list", "delete"];
    json::unit_variant(value, names).map(|index| StoreOp::ALL[index])
}

json::deserialize_with_reader! {
    FaultSpec => FaultSpec::from_value;
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

fn validate_window(
    field: &str,
    window: &FaultWindow,
    duration_ms: u64,
) -> Result<(), ScenarioError> {
    check_probability(&member(field, "probability"), window.probability)?;
    if window.from_ms > duration_ms {
        return Err(after_run_end(field, "from_ms", window.from_ms, duration_ms));
    }
    if let Some(until) = window.until_ms {
        if until <= window.from_ms {
            return Err(invalid(
                member(field, "until_ms"),
                ends_before_start("window", until, window.from_ms),
            ));
        }
    }
    Ok(())
}

pub(super) fn validate_fault(
    field: &str,
    fault: &FaultSpec,
    duration_ms: u64,
) -> Result<(), ScenarioError> {
    if let Some(window) = fault.window() {
        validate_window(field, &window, duration_ms)?;
    }
    match fault {
        FaultSpec::Timeouts {
            applied_probability,
            ..
        } => check_probability(&member(field, "applied_probability"), *applied_probability),
        FaultSpec::ServerErrors { .. }
        | FaultSpec::Throttle { .. }
        | FaultSpec::LostAcks { .. }
        | FaultSpec::BitFlips { .. } => Ok(()),
        FaultSpec::Slow { multiplier, .. } => {
            if !multiplier.is_finite() || *multiplier < 1.0 {
                return Err(invalid(
                    member(field, "multiplier"),
                    got("must be a finite number ≥ 1", *multiplier),
                ));
            }
            Ok(())
        }
        FaultSpec::Outage { from_ms, until_ms } => {
            if until_ms <= from_ms {
                return Err(invalid(
                    member(field, "until_ms"),
                    ends_before_start("outage", *until_ms, *from_ms),
                ));
            }
            if *from_ms > duration_ms {
                return Err(after_run_end(field, "from_ms", *from_ms, duration_ms));
            }
            Ok(())
        }
        FaultSpec::BitFlip { at_ms, .. }
        | FaultSpec::CrashWriter { at_ms, .. }
        | FaultSpec::Recover { at_ms }
        | FaultSpec::StartZombie { at_ms } => {
            if *at_ms > duration_ms {
                return Err(after_run_end(field, "at_ms", *at_ms, duration_ms));
            }
            Ok(())
        }
    }
}
