//! Timed setting changes: a workload, engine or store section replaced at a simulated
//! millisecond (how the playground's live controls are recorded, so a share link replays
//! them).

use super::json;
use super::{after_run_end, invalid, member, EngineSpec, ScenarioError, StoreSpec, WorkloadSpec};
use serde::Serialize;

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

impl SettingChange {
    /// Reads `{"set": "workload", "at_ms": 5000, "workload": {...}}` (see [`json::tagged`]):
    /// `at_ms` and the section named by the tag are required.
    pub(crate) fn from_value(value: serde_json::Value) -> Result<SettingChange, json::Error> {
        let names = &["workload", "engine", "store"];
        let (variant, object) = json::tagged(value, "set", "setting change", names)?;
        let fields: &'static [&'static str] = match variant {
            0 => &["at_ms", "workload"],
            1 => &["at_ms", "engine"],
            _ => &["at_ms", "store"],
        };
        let mut at_ms = None;
        let mut change = None;
        json::fields(object, fields, &mut |index, value| {
            if index == 0 {
                at_ms = Some(json::u64(value)?);
                return Ok(());
            }
            // `at_ms` is set once every member is read, as serde checks for missing fields.
            change = Some(match variant {
                0 => SettingChange::Workload {
                    at_ms: 0,
                    workload: WorkloadSpec::from_value(value)?,
                },
                1 => SettingChange::Engine {
                    at_ms: 0,
                    engine: EngineSpec::from_value(value)?,
                },
                _ => SettingChange::Store {
                    at_ms: 0,
                    store: StoreSpec::from_value(value)?,
                },
            });
            Ok(())
        })?;
        let at = json::required(at_ms, "at_ms")?;
        let mut change = json::required(change, fields[1])?;
        match &mut change {
            SettingChange::Workload { at_ms, .. }
            | SettingChange::Engine { at_ms, .. }
            | SettingChange::Store { at_ms, .. } => *at_ms = at,
        }
        Ok(change)
    }
}

impl SettingChange {
    /// Writes the change as the derived `Serialize` does (see [`json::Writer`]).
    pub(crate) fn write_json(&self, w: &mut json::Writer) {
        w.begin_object();
        w.key("set").string(self.section());
        w.key("at_ms").u64(self.at_ms());
        w.key(self.section());
        match self {
            SettingChange::Workload { workload, .. } => workload.write_json(w),
            SettingChange::Engine { engine, .. } => engine.write_json(w),
            SettingChange::Store { store, .. } => store.write_json(w),
        }
        w.end_object();
    }
}

json::deserialize_with_reader! {
    SettingChange => SettingChange::from_value;
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
            return Err(after_run_end(field, "at_ms", self.at_ms(), duration_ms));
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
            } => invalid(member(field, &inner), reason),
            other => other,
        })
    }
}
