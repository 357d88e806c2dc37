//! Faults and writer events, each at its simulated time: store faults with a window
//! (`server_errors`, `timeouts`, `throttle`, `lost_acks`, `slow`, `bit_flips`), an outage, a
//! bit flip in a stored object, and the writer's crash, recovery and takeover.

use super::json::deserialize_tagged;
use super::{check_probability, invalid, ScenarioError};
use serde::{Deserialize, Deserializer, Serialize};
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
