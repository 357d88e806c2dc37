//! Timed setting changes: a workload, engine or store section replaced at a simulated
//! millisecond (how the playground's live controls are recorded, so a share link replays
//! them).

use super::json::deserialize_tagged;
use super::{invalid, EngineSpec, ScenarioError, StoreSpec, WorkloadSpec};
use serde::{Deserialize, Deserializer, Serialize};

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
    Workload {
        at_ms: u64,
        #[serde(deserialize_with = "super::json::object")]
        workload: WorkloadSpec,
    },
    Engine {
        at_ms: u64,
        #[serde(deserialize_with = "super::json::object")]
        engine: EngineSpec,
    },
    Store {
        at_ms: u64,
        #[serde(deserialize_with = "super::json::object")]
        store: StoreSpec,
    },
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

    pub(super) fn validate(&self, field: &str, duration_ms: u64) -> Result<(), ScenarioError> {
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
