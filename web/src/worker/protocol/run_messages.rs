//! The messages about the run on show, encoded by hand like the rest of the protocol: the
//! run requests (a command's scenario section in a scenario document of its own), what
//! the run is doing, the notes with a frame, a chapter beat's stop, and the off-policy
//! evaluation that comes with the frames.

use super::{list, optional_str, optional_u64, pair, strings, Fields, Note, OffPolicy};
use crate::chapter_play::BeatStop;
use crate::command::Command;
use crate::frame::{decode_all, zero, Decode, Encode, Panels};
use crate::ope::OpeResult;
use crate::worker::run::{Motion, RunRequest};
use serde_json::Value;
use strata_lab::scenario::JsonWriter;
use strata_lab::Scenario;
use strata_sim::SimTime;

pub(super) fn motion(out: &mut JsonWriter, motion: Motion) {
    match motion {
        Motion::Still => out.string("Still"),
        Motion::Play { speed } => {
            out.begin_array();
            out.string("Play");
            out.f64(speed);
            out.end_array();
        }
        Motion::ToEnd => out.string("ToEnd"),
        Motion::GoTo { from, to } => {
            out.begin_array();
            out.string("GoTo");
            out.u64(from.as_nanos());
            out.u64(to.as_nanos());
            out.end_array();
        }
        Motion::Beat(stop) => {
            out.begin_array();
            out.string("Beat");
            beat_stop(out, stop);
            out.end_array();
        }
    }
}

pub(super) fn beat_stop(out: &mut JsonWriter, stop: BeatStop) {
    match stop {
        BeatStop::At(at) => {
            out.begin_array();
            out.string("At");
            out.u64(at.as_nanos());
            out.end_array();
        }
        BeatStop::Event { kind, seen } => {
            out.begin_array();
            out.string("Event");
            out.string(kind);
            out.u64(seen);
            out.end_array();
        }
        BeatStop::End => out.string("End"),
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

pub(super) fn note(out: &mut JsonWriter, note: &Note) {
    match note {
        Note::Say { text, error } => {
            out.begin_array();
            out.string("Say");
            out.string(text);
            out.bool(*error);
            out.end_array();
        }
        Note::Clear => out.string("Clear"),
        Note::Rebuilt => out.string("Rebuilt"),
        Note::RebuildCancelled => out.string("RebuildCancelled"),
        Note::BeatReached => out.string("BeatReached"),
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

/// A value in the frame's codec as a JSON array of its bytes (a few small records: the trace's
/// request, an estimate), so serde's derived code for them stays out of the page.
pub(super) fn to_bytes_value<T: Encode + ?Sized>(out: &mut JsonWriter, value: &T) {
    let mut bytes = Vec::new();
    value.encode(&mut bytes);
    out.begin_array();
    for byte in bytes {
        out.u64(u64::from(byte));
    }
    out.end_array();
}

pub(super) fn from_bytes_value<T: Decode>(value: &Value) -> Option<T> {
    let bytes = list(value, |byte| u8::try_from(byte.as_u64()?).ok())?;
    decode_all(&bytes).ok()
}

/// A scenario section (a fault, a setting change, the recommender) in a scenario document of its
/// own, written by the scenario's writer and read back unchecked ([`crate::frame::read_carrier`]:
/// the session checks the section against its run, with its own messages), so no derived serde
/// code for the scenario's types reaches the page.
fn carried(out: &mut JsonWriter, scenario: Scenario) {
    out.string(&scenario.to_json());
}

fn carried_fault(out: &mut JsonWriter, fault: &strata_lab::scenario::FaultSpec) {
    carried(
        out,
        Scenario {
            faults: vec![fault.clone()],
            ..Scenario::default()
        },
    );
}

fn carried_change(out: &mut JsonWriter, change: strata_lab::scenario::SettingChange) {
    carried(
        out,
        Scenario {
            changes: vec![change],
            ..Scenario::default()
        },
    );
}

fn read_carried(value: &Value) -> Option<Scenario> {
    crate::frame::read_carrier(value.as_str()?).ok()
}

pub(super) fn encode_run(run: &RunRequest, out: &mut JsonWriter) {
    match run {
        RunRequest::Start {
            scenario,
            at_ms,
            note: said,
        } => {
            out.string("Start");
            out.string(scenario);
            optional_u64(out, *at_ms);
            match said {
                Some(said) => note(out, said),
                None => out.null(),
            }
        }
        RunRequest::Pace { playing, speed } => {
            out.string("Pace");
            out.bool(*playing);
            out.f64(*speed);
        }
        RunRequest::Step => out.string("Step"),
        RunRequest::GoTo { at_ms } => {
            out.string("GoTo");
            out.u64(*at_ms);
        }
        RunRequest::ToEnd => out.string("ToEnd"),
        RunRequest::Cancel => out.string("Cancel"),
        RunRequest::Want(wanted) => {
            out.string("Want");
            out.string(match wanted {
                Panels::Storage => "Storage",
                Panels::Recommender => "Recommender",
                Panels::None => "None",
            });
        }
        RunRequest::Rebuild { events, at_ns } => {
            out.string("Rebuild");
            out.u64(*events);
            out.u64(*at_ns);
        }
        RunRequest::Beat(stop) => {
            out.string("Beat");
            match stop {
                Some(stop) => beat_stop(out, *stop),
                None => out.null(),
            }
        }
        RunRequest::Figures(paths) => {
            out.string("Figures");
            out.begin_array();
            for (label, path) in paths {
                out.begin_array();
                out.string(label);
                out.string(path);
                out.end_array();
            }
            out.end_array();
        }
        RunRequest::Command(command) => {
            out.string("Command");
            match &**command {
                Command::Live(control) => {
                    // Live controls are the scenario's setting changes (workload, engine,
                    // store); any other control is refused by the session, as on the page.
                    out.string("Live");
                    match control.at(0) {
                        Some(change) => carried_change(out, change),
                        None => out.null(),
                    }
                }
                Command::Inject(fault) => {
                    out.string("Inject");
                    carried_fault(out, fault);
                }
                Command::RemoveChange(index, change) => {
                    out.string("RemoveChange");
                    out.u64(*index as u64);
                    carried_change(out, change.clone());
                }
                Command::RemoveFault(index, fault) => {
                    out.string("RemoveFault");
                    out.u64(*index as u64);
                    carried_fault(out, fault);
                }
                Command::SetRecommender(spec) => {
                    out.string("SetRecommender");
                    carried(
                        out,
                        Scenario {
                            recommender: spec.clone(),
                            ..Scenario::default()
                        },
                    );
                }
                Command::Load { scenario, source } => {
                    out.string("Load");
                    out.string(&scenario.to_json());
                    out.string(source);
                }
                Command::Refused(text) => {
                    out.string("Refused");
                    out.string(text);
                }
                Command::Info(text) => {
                    out.string("Info");
                    out.string(text);
                }
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
    read_carried(f.next()).and_then(take)
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

pub(super) fn off_policy(out: &mut JsonWriter, ope: &OffPolicy) {
    out.begin_array();
    match &ope.result {
        None => out.null(),
        Some(r) => {
            out.begin_array();
            out.u64(r.rows);
            out.u64(r.first_impression);
            out.u64(r.last_impression);
            out.f64(r.behaviour_ctr);
            match r.truth_ctr {
                Some(truth) => out.f64(truth),
                None => out.null(),
            }
            out.u64(r.truth_impressions);
            out.begin_array();
            for (name, estimate) in &r.estimates {
                out.begin_array();
                out.string(name);
                to_bytes_value(out, estimate);
                out.end_array();
            }
            out.end_array();
            to_bytes_value(out, &r.diagnostics);
            strings(out, &r.notes);
            out.begin_array();
            for (step, regret) in &r.uniform_regret {
                out.begin_array();
                out.u64(*step);
                out.f64(*regret);
                out.end_array();
            }
            out.end_array();
            out.end_array();
        }
    }
    optional_str(out, ope.error.as_deref());
    out.end_array();
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
