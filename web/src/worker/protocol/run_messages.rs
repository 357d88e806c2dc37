//! The messages about the run on show, encoded by hand like the rest of the protocol: the
//! run requests (a command's scenario section in a scenario document of its own), what
//! the run is doing, the notes with a frame, a chapter beat's stop, and the off-policy
//! evaluation that comes with the frames.

use super::{list, optional, pair, strings, Fields, Note, OffPolicy};
use crate::chapter_play::BeatStop;
use crate::command::Command;
use crate::frame::{decode_all, zero, Decode, Encode, Panels};
use crate::ope::OpeResult;
use crate::worker::run::{Motion, RunRequest};
use serde_json::Value;
use strata_lab::Scenario;
use strata_sim::SimTime;

pub(super) fn motion(motion: Motion) -> Value {
    match motion {
        Motion::Still => Value::from("Still"),
        Motion::Play { speed } => Value::Array(vec!["Play".into(), speed.into()]),
        Motion::ToEnd => Value::from("ToEnd"),
        Motion::GoTo { from, to } => Value::Array(vec![
            "GoTo".into(),
            from.as_nanos().into(),
            to.as_nanos().into(),
        ]),
        Motion::Beat(stop) => Value::Array(vec!["Beat".into(), beat_stop(stop)]),
    }
}

pub(super) fn beat_stop(stop: BeatStop) -> Value {
    match stop {
        BeatStop::At(at) => Value::Array(vec!["At".into(), at.as_nanos().into()]),
        BeatStop::Event { kind, seen } => {
            Value::Array(vec!["Event".into(), kind.into(), seen.into()])
        }
        BeatStop::End => Value::from("End"),
    }
}

pub(super) fn decode_beat_stop(value: &Value) -> Option<BeatStop> {
    Some(match value {
        Value::String(tag) if tag == "End" => BeatStop::End,
        Value::Array(items) => match (items.first()?.as_str()?, &items[1..]) {
            ("At", [at]) => BeatStop::At(SimTime::from_nanos(at.as_u64()?)),
            ("Event", [kind, seen]) => BeatStop::Event {
                kind: strata_lab::chapter::beat_event(kind.as_str()?)?,
                seen: seen.as_u64()?,
            },
            _ => return None,
        },
        _ => return None,
    })
}

pub(super) fn decode_motion(value: &Value) -> Option<Motion> {
    Some(match value {
        Value::String(tag) if tag == "Still" => Motion::Still,
        Value::String(tag) if tag == "ToEnd" => Motion::ToEnd,
        Value::Array(items) => match (items.first()?.as_str()?, &items[1..]) {
            ("Play", [speed]) => Motion::Play {
                speed: speed.as_f64()?,
            },
            ("GoTo", [from, to]) => Motion::GoTo {
                from: SimTime::from_nanos(from.as_u64()?),
                to: SimTime::from_nanos(to.as_u64()?),
            },
            ("Beat", [stop]) => Motion::Beat(decode_beat_stop(stop)?),
            _ => return None,
        },
        _ => return None,
    })
}

pub(super) fn note(note: &Note) -> Value {
    match note {
        Note::Say { text, error } => {
            Value::Array(vec!["Say".into(), text.as_str().into(), (*error).into()])
        }
        Note::Clear => Value::from("Clear"),
        Note::Rebuilt => Value::from("Rebuilt"),
        Note::RebuildCancelled => Value::from("RebuildCancelled"),
        Note::BeatReached => Value::from("BeatReached"),
    }
}

pub(super) fn decode_note(value: &Value) -> Option<Note> {
    Some(match value {
        Value::String(tag) => match tag.as_str() {
            "Clear" => Note::Clear,
            "Rebuilt" => Note::Rebuilt,
            "RebuildCancelled" => Note::RebuildCancelled,
            "BeatReached" => Note::BeatReached,
            _ => return None,
        },
        Value::Array(items) => match items.as_slice() {
            [tag, text, error] if tag == "Say" => Note::Say {
                text: text.as_str()?.to_string(),
                error: error.as_bool()?,
            },
            _ => return None,
        },
        _ => return None,
    })
}

pub(super) fn panels(panels: Panels) -> Value {
    Value::from(match panels {
        Panels::Storage => "Storage",
        Panels::Recommender => "Recommender",
        Panels::None => "None",
    })
}

/// A value in the frame's codec as a JSON array of its bytes (a few small records: the trace's
/// request, an estimate), so serde's derived code for them stays out of the page.
pub(super) fn to_bytes_value<T: Encode>(value: &T) -> Value {
    let mut bytes = Vec::new();
    value.encode(&mut bytes);
    bytes.into()
}

pub(super) fn from_bytes_value<T: Decode>(value: &Value) -> Option<T> {
    let bytes = list(value, |byte| u8::try_from(byte.as_u64()?).ok())?;
    decode_all(&bytes).ok()
}

/// A scenario section (a fault, a setting change, the recommender) in a scenario document of its
/// own, written by the scenario's writer and read back unchecked ([`crate::frame::read_carrier`]:
/// the session checks the section against its run, with its own messages), so no derived serde
/// code for the scenario's types reaches the page.
fn carried(scenario: Scenario) -> Value {
    Value::from(scenario.to_json())
}

fn carried_fault(fault: &strata_lab::scenario::FaultSpec) -> Value {
    carried(Scenario {
        faults: vec![fault.clone()],
        ..Scenario::default()
    })
}

fn read_carried(value: &Value) -> Option<Scenario> {
    crate::frame::read_carrier(value.as_str()?).ok()
}

pub(super) fn encode_run(run: &RunRequest, out: &mut Vec<Value>) {
    match run {
        RunRequest::Start {
            scenario,
            at_ms,
            note: said,
        } => out.extend([
            "Start".into(),
            scenario.as_str().into(),
            optional(*at_ms),
            said.as_ref().map_or(Value::Null, note),
        ]),
        RunRequest::Pace { playing, speed } => {
            out.extend(["Pace".into(), (*playing).into(), (*speed).into()])
        }
        RunRequest::Step => out.push("Step".into()),
        RunRequest::GoTo { at_ms } => out.extend(["GoTo".into(), (*at_ms).into()]),
        RunRequest::ToEnd => out.push("ToEnd".into()),
        RunRequest::Cancel => out.push("Cancel".into()),
        RunRequest::Want(wanted) => out.extend(["Want".into(), panels(*wanted)]),
        RunRequest::Rebuild { events, at_ns } => {
            out.extend(["Rebuild".into(), (*events).into(), (*at_ns).into()])
        }
        RunRequest::Beat(stop) => out.extend(["Beat".into(), stop.map_or(Value::Null, beat_stop)]),
        RunRequest::Figures(paths) => out.extend([
            "Figures".into(),
            Value::Array(
                paths
                    .iter()
                    .map(|(label, path)| {
                        Value::Array(vec![label.as_str().into(), path.as_str().into()])
                    })
                    .collect(),
            ),
        ]),
        RunRequest::Command(command) => {
            out.push("Command".into());
            match &**command {
                Command::Live(control) => {
                    // Live controls are the scenario's setting changes (workload, engine,
                    // store); any other control is refused by the session, as on the page.
                    out.extend([
                        "Live".into(),
                        optional(control.at(0).map(|change| {
                            carried(Scenario {
                                changes: vec![change],
                                ..Scenario::default()
                            })
                        })),
                    ])
                }
                Command::Inject(fault) => out.extend(["Inject".into(), carried_fault(fault)]),
                Command::RemoveChange(index, change) => out.extend([
                    "RemoveChange".into(),
                    (*index).into(),
                    carried(Scenario {
                        changes: vec![change.clone()],
                        ..Scenario::default()
                    }),
                ]),
                Command::RemoveFault(index, fault) => {
                    out.extend(["RemoveFault".into(), (*index).into(), carried_fault(fault)])
                }
                Command::SetRecommender(spec) => out.extend([
                    "SetRecommender".into(),
                    carried(Scenario {
                        recommender: spec.clone(),
                        ..Scenario::default()
                    }),
                ]),
                Command::Load { scenario, source } => out.extend([
                    "Load".into(),
                    scenario.to_json().into(),
                    source.as_str().into(),
                ]),
                Command::Refused(text) => out.extend(["Refused".into(), text.as_str().into()]),
                Command::Info(text) => out.extend(["Info".into(), text.as_str().into()]),
            }
        }
    }
}

/// A run request from its fields; none for an unknown one (`f` fails for fields that do not
/// read).
pub(super) fn decode_run(f: &mut Fields<'_>) -> Option<RunRequest> {
    Some(match f.str() {
        "Start" => RunRequest::Start {
            scenario: f.string(),
            at_ms: f.optional_u64(),
            note: match f.next() {
                Value::Null => None,
                value => Some(f.or(decode_note(value), Note::Clear)),
            },
        },
        "Pace" => RunRequest::Pace {
            playing: f.bool(),
            speed: f.f64(),
        },
        "Step" => RunRequest::Step,
        "GoTo" => RunRequest::GoTo { at_ms: f.u64() },
        "ToEnd" => RunRequest::ToEnd,
        "Cancel" => RunRequest::Cancel,
        "Want" => RunRequest::Want(match f.str() {
            "Storage" => Panels::Storage,
            "Recommender" => Panels::Recommender,
            "None" => Panels::None,
            _ => {
                f.fail();
                Panels::None
            }
        }),
        "Rebuild" => RunRequest::Rebuild {
            events: f.u64(),
            at_ns: f.u64(),
        },
        "Beat" => RunRequest::Beat(match f.next() {
            Value::Null => None,
            value => Some(f.or(decode_beat_stop(value), BeatStop::End)),
        }),
        "Figures" => RunRequest::Figures(f.list(|item| {
            let (label, path) = pair(item)?;
            Some((label.as_str()?.to_string(), path.as_str()?.to_string()))
        })),
        "Command" => RunRequest::Command(Box::new(decode_command(f)?)),
        _ => return None,
    })
}

/// A command's section, carried in a scenario document of its own.
fn carried_section<T>(f: &mut Fields<'_>, take: impl FnOnce(Scenario) -> Option<T>) -> Option<T> {
    let value = f.next();
    crate::frame::read_carrier(value.as_str()?)
        .ok()
        .and_then(take)
}

fn decode_command(f: &mut Fields<'_>) -> Option<Command> {
    let command = match f.str() {
        "Live" => carried_section(f, |mut s| s.changes.pop())
            .map(strata_lab::Control::from)
            .map(Command::Live),
        "Inject" => carried_section(f, |mut s| s.faults.pop()).map(Command::Inject),
        "RemoveChange" => {
            let index = usize::try_from(f.u64()).ok();
            let change = carried_section(f, |mut s| s.changes.pop());
            index
                .zip(change)
                .map(|(index, change)| Command::RemoveChange(index, change))
        }
        "RemoveFault" => {
            let index = usize::try_from(f.u64()).ok();
            let fault = carried_section(f, |mut s| s.faults.pop());
            index
                .zip(fault)
                .map(|(index, fault)| Command::RemoveFault(index, fault))
        }
        "SetRecommender" => {
            carried_section(f, |s| Some(s.recommender)).map(Command::SetRecommender)
        }
        "Load" => {
            let scenario = Scenario::from_json(f.str()).ok();
            let source = f.string();
            scenario.map(|scenario| Command::Load {
                scenario: Box::new(scenario),
                source,
            })
        }
        "Refused" => Some(Command::Refused(f.string())),
        "Info" => Some(Command::Info(f.string())),
        _ => None,
    };
    if command.is_none() {
        f.fail();
    }
    command
}

/// What a client operation may have waited for (see `strata_lab::explain::SlowOperation`).
pub(super) const WAITED_FOR: [&str; 4] = ["requests", "wal", "memory", "nothing"];

pub(super) fn off_policy(ope: &OffPolicy) -> Value {
    let result = ope.result.as_ref().map_or(Value::Null, |r| {
        Value::Array(vec![
            r.rows.into(),
            r.first_impression.into(),
            r.last_impression.into(),
            r.behaviour_ctr.into(),
            optional(r.truth_ctr),
            r.truth_impressions.into(),
            Value::Array(
                r.estimates
                    .iter()
                    .map(|(name, estimate)| {
                        Value::Array(vec![(*name).into(), to_bytes_value(estimate)])
                    })
                    .collect(),
            ),
            to_bytes_value(&r.diagnostics),
            strings(&r.notes),
            Value::Array(
                r.uniform_regret
                    .iter()
                    .map(|(step, regret)| Value::Array(vec![(*step).into(), (*regret).into()]))
                    .collect(),
            ),
        ])
    });
    Value::Array(vec![result, optional(ope.error.as_deref())])
}

/// The off-policy evaluation from its field `value` (`f` fails when it does not read).
pub(super) fn decode_off_policy<'a>(f: &mut Fields<'a>, value: &'a Value) -> OffPolicy {
    let Some((result, error)) = pair(value) else {
        f.fail();
        return OffPolicy::default();
    };
    let result = match result {
        Value::Null => None,
        value => Some(f.read_in(value, |f| OpeResult {
            rows: f.u64(),
            first_impression: f.u64(),
            last_impression: f.u64(),
            behaviour_ctr: f.f64(),
            truth_ctr: match f.next() {
                Value::Null => None,
                value => Some(f.check(value.as_f64())),
            },
            truth_impressions: f.u64(),
            estimates: f.list(|item| {
                let (name, estimate) = pair(item)?;
                Some((
                    strata_recommender::ope::ESTIMATOR_NAMES
                        .iter()
                        .find(|known| **known == name.as_str().unwrap_or_default())
                        .copied()?,
                    from_bytes_value(estimate)?,
                ))
            }),
            diagnostics: f.read(from_bytes_value, zero()),
            notes: f.strings(),
            uniform_regret: f.list(|item| {
                let (step, regret) = pair(item)?;
                Some((step.as_u64()?, regret.as_f64()?))
            }),
        })),
    };
    OffPolicy {
        result,
        error: match error {
            Value::Null => None,
            value => Some(f.or(value.as_str(), "").to_string()),
        },
    }
}
