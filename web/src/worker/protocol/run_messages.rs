//! The messages about the run on show, encoded by hand like the rest of the protocol: the
//! run requests (a command's scenario section in a scenario document of its own), what
//! the run is doing, the notes with a frame, a chapter beat's stop, and the off-policy
//! evaluation that comes with the frames.

use super::{list, optional_u64, pair, Fields, Note, OffPolicy, RunStatus};
use crate::chapter_play::BeatStop;
use crate::command::Command;
use crate::frame::{decode_all, CodecError, Decode, Encode, Panels, Reader};
use crate::ope::OpeResult;
use crate::worker::run::{Motion, RunRequest};
use serde_json::Value;
use strata_lab::scenario::JsonWriter;
use strata_lab::Scenario;
use strata_sim::SimTime;

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

// A frame's reply goes as bytes (`Envelope::to_wire`): what the run is doing, the notes and the
// off-policy evaluation after the frame, in the frame's codec.

impl Encode for Motion {
    fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            Motion::Still => out.push(0),
            Motion::Play { speed } => {
                out.push(1);
                speed.encode(out);
            }
            Motion::ToEnd => out.push(2),
            Motion::GoTo { from, to } => {
                out.push(3);
                from.encode(out);
                to.encode(out);
            }
            Motion::Beat(stop) => {
                out.push(4);
                stop.encode(out);
            }
        }
    }
}

impl Decode for Motion {
    fn read(reader: &mut Reader<'_>) -> Self {
        match u8::read(reader) {
            0 => Motion::Still,
            1 => Motion::Play {
                speed: f64::read(reader),
            },
            2 => Motion::ToEnd,
            3 => Motion::GoTo {
                from: SimTime::read(reader),
                to: SimTime::read(reader),
            },
            4 => Motion::Beat(BeatStop::read(reader)),
            _ => {
                reader.fail(CodecError::BadTag("motion"));
                Motion::Still
            }
        }
    }
}

impl Encode for BeatStop {
    fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            BeatStop::At(at) => {
                out.push(0);
                at.encode(out);
            }
            BeatStop::Event { kind, seen } => {
                out.push(1);
                kind.encode(out);
                seen.encode(out);
            }
            BeatStop::End => out.push(2),
        }
    }
}

impl Decode for BeatStop {
    fn read(reader: &mut Reader<'_>) -> Self {
        match u8::read(reader) {
            0 => BeatStop::At(SimTime::read(reader)),
            1 => BeatStop::Event {
                kind: reader.known("beat event", strata_lab::chapter::beat_event),
                seen: u64::read(reader),
            },
            2 => BeatStop::End,
            _ => {
                reader.fail(CodecError::BadTag("beat stop"));
                BeatStop::End
            }
        }
    }
}

impl Encode for Note {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Note::Say { text, error } => {
                out.push(0);
                text.encode(out);
                error.encode(out);
            }
            Note::Clear => out.push(1),
            Note::Rebuilt => out.push(2),
            Note::RebuildCancelled => out.push(3),
            Note::BeatReached => out.push(4),
        }
    }
}

impl Decode for Note {
    fn read(reader: &mut Reader<'_>) -> Self {
        match u8::read(reader) {
            0 => Note::Say {
                text: String::read(reader),
                error: bool::read(reader),
            },
            1 => Note::Clear,
            2 => Note::Rebuilt,
            3 => Note::RebuildCancelled,
            4 => Note::BeatReached,
            _ => {
                reader.fail(CodecError::BadTag("note"));
                Note::Clear
            }
        }
    }
}

impl Encode for RunStatus {
    fn encode(&self, out: &mut Vec<u8>) {
        let RunStatus {
            motion,
            effective_speed,
            work_ms,
            wall_ms,
            requests,
        } = self;
        motion.encode(out);
        effective_speed.encode(out);
        work_ms.encode(out);
        wall_ms.encode(out);
        requests.encode(out);
    }
}

impl Decode for RunStatus {
    fn read(reader: &mut Reader<'_>) -> Self {
        RunStatus {
            motion: Decode::read(reader),
            effective_speed: Decode::read(reader),
            work_ms: Decode::read(reader),
            wall_ms: Decode::read(reader),
            requests: Decode::read(reader),
        }
    }
}

impl Encode for OffPolicy {
    fn encode(&self, out: &mut Vec<u8>) {
        let OffPolicy { result, error } = self;
        match result {
            None => out.push(0),
            Some(r) => {
                out.push(1);
                let OpeResult {
                    rows,
                    first_impression,
                    last_impression,
                    behaviour_ctr,
                    truth_ctr,
                    truth_impressions,
                    estimates,
                    diagnostics,
                    notes,
                    uniform_regret,
                } = r;
                rows.encode(out);
                first_impression.encode(out);
                last_impression.encode(out);
                behaviour_ctr.encode(out);
                truth_ctr.encode(out);
                truth_impressions.encode(out);
                (estimates.len() as u32).encode(out);
                for (name, estimate) in estimates {
                    name.encode(out);
                    estimate.encode(out);
                }
                diagnostics.encode(out);
                notes.encode(out);
                uniform_regret.encode(out);
            }
        }
        error.encode(out);
    }
}

impl Decode for OffPolicy {
    fn read(reader: &mut Reader<'_>) -> Self {
        OffPolicy {
            result: bool::read(reader).then(|| OpeResult {
                rows: Decode::read(reader),
                first_impression: Decode::read(reader),
                last_impression: Decode::read(reader),
                behaviour_ctr: Decode::read(reader),
                truth_ctr: Decode::read(reader),
                truth_impressions: Decode::read(reader),
                estimates: reader.list(|reader| {
                    let name = reader.known("estimator", |name| {
                        strata_recommender::ope::ESTIMATOR_NAMES
                            .iter()
                            .find(|known| **known == name)
                            .copied()
                    });
                    (name, Decode::read(reader))
                }),
                diagnostics: Decode::read(reader),
                notes: Decode::read(reader),
                uniform_regret: Decode::read(reader),
            }),
            error: Decode::read(reader),
        }
    }
}
