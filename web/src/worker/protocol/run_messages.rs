//! The messages about the run on show, in the frame's codec like the rest of the protocol: the
//! run requests (a command's scenario section in a scenario document of its own), what the run
//! is doing, the notes with a frame, a chapter beat's stop, and the off-policy evaluation that
//! comes with the frames.

use super::{Note, OffPolicy, RunStatus};
use crate::chapter_play::BeatStop;
use crate::command::Command;
use crate::frame::{read_carrier_in, read_scenario, CodecError, Decode, Encode, Reader};
use crate::ope::OpeResult;
use crate::worker::run::{Motion, RunRequest};
use strata_lab::Scenario;
use strata_sim::SimTime;

impl Encode for RunRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            RunRequest::Start {
                scenario,
                at_ms,
                note,
            } => {
                out.push(0);
                scenario.encode(out);
                at_ms.encode(out);
                note.encode(out);
            }
            RunRequest::Pace { playing, speed } => {
                out.push(1);
                playing.encode(out);
                speed.encode(out);
            }
            RunRequest::Step => out.push(2),
            RunRequest::GoTo { at_ms } => {
                out.push(3);
                at_ms.encode(out);
            }
            RunRequest::ToEnd => out.push(4),
            RunRequest::Cancel => out.push(5),
            RunRequest::Command(command) => {
                out.push(6);
                encode_command(command, out);
            }
            RunRequest::Want(panels) => {
                out.push(7);
                panels.encode(out);
            }
            RunRequest::Rebuild { events, at_ns } => {
                out.push(8);
                events.encode(out);
                at_ns.encode(out);
            }
            RunRequest::Beat(stop) => {
                out.push(9);
                stop.encode(out);
            }
            RunRequest::Figures(paths) => {
                out.push(10);
                paths.encode(out);
            }
        }
    }
}

impl Decode for RunRequest {
    fn read(reader: &mut Reader<'_>) -> Self {
        match u8::read(reader) {
            0 => RunRequest::Start {
                scenario: String::read(reader),
                at_ms: Decode::read(reader),
                note: Decode::read(reader),
            },
            1 => RunRequest::Pace {
                playing: bool::read(reader),
                speed: f64::read(reader),
            },
            2 => RunRequest::Step,
            3 => RunRequest::GoTo {
                at_ms: u64::read(reader),
            },
            4 => RunRequest::ToEnd,
            5 => RunRequest::Cancel,
            6 => RunRequest::Command(Box::new(read_command(reader))),
            7 => RunRequest::Want(Decode::read(reader)),
            8 => RunRequest::Rebuild {
                events: u64::read(reader),
                at_ns: u64::read(reader),
            },
            9 => RunRequest::Beat(Decode::read(reader)),
            10 => RunRequest::Figures(Decode::read(reader)),
            _ => {
                reader.fail(CodecError::BadTag("run request"));
                RunRequest::Cancel
            }
        }
    }
}

/// Writes `command`: its tag, then its fields. A scenario section (a fault, a setting change,
/// the recommender) goes in a scenario document of its own, written by the scenario's writer
/// and read back unchecked ([`crate::frame::read_carrier`]: the session checks the section
/// against its run, with its own messages), so no derived serde code for the scenario's types
/// reaches the page. One document filled by the arm and written once, not a document built and
/// written in each arm.
fn encode_command(command: &Command, out: &mut Vec<u8>) {
    let mut carrier = Scenario::default();
    match command {
        Command::Live(control) => {
            // Live controls are the scenario's setting changes (workload, engine, store); any
            // other control is refused on the way, as the session refuses it on the page.
            out.push(0);
            match control.at(0) {
                Some(change) => {
                    out.push(1);
                    carrier.changes.push(change);
                }
                None => {
                    out.push(0);
                    return;
                }
            }
        }
        Command::Inject(fault) => {
            out.push(1);
            carrier.faults.push(fault.clone());
        }
        Command::RemoveChange(index, change) => {
            out.push(2);
            index.encode(out);
            carrier.changes.push(change.clone());
        }
        Command::RemoveFault(index, fault) => {
            out.push(3);
            index.encode(out);
            carrier.faults.push(fault.clone());
        }
        Command::SetRecommender(spec) => {
            out.push(4);
            carrier.recommender = spec.clone();
        }
        Command::Load { scenario, source } => {
            out.push(5);
            scenario.to_json().encode(out);
            source.encode(out);
            return;
        }
        Command::Refused(text) => {
            out.push(6);
            text.encode(out);
            return;
        }
        Command::Info(text) => {
            out.push(7);
            text.encode(out);
            return;
        }
    }
    carrier.to_json().encode(out);
}

/// A command written by [`encode_command`]; the reader fails for a carried document without
/// its section.
fn read_command(reader: &mut Reader<'_>) -> Command {
    let tag = u8::read(reader);
    let command = if tag <= 4 {
        // The commands that carry a section: one carried document read, its section taken
        // out by the tag (not a read and a drop of the document written out for each).
        let index = if tag == 2 || tag == 3 {
            usize::read(reader)
        } else {
            0
        };
        if tag == 0 && !bool::read(reader) {
            None
        } else {
            let mut carried = read_carrier_in(reader);
            match tag {
                0 => carried
                    .changes
                    .pop()
                    .map(|change| Command::Live(change.into())),
                1 => carried.faults.pop().map(Command::Inject),
                2 => carried
                    .changes
                    .pop()
                    .map(|change| Command::RemoveChange(index, change)),
                3 => carried
                    .faults
                    .pop()
                    .map(|fault| Command::RemoveFault(index, fault)),
                _ => Some(Command::SetRecommender(carried.recommender.take())),
            }
        }
    } else {
        match tag {
            5 => Some(Command::Load {
                scenario: Box::new(read_scenario(reader)),
                source: String::read(reader),
            }),
            6 => Some(Command::Refused(String::read(reader))),
            7 => Some(Command::Info(String::read(reader))),
            _ => None,
        }
    };
    command.unwrap_or_else(|| {
        reader.fail(CodecError::BadTag("command"));
        Command::Info(String::new())
    })
}

/// What a client operation may have waited for (see `strata_lab::explain::SlowOperation`).
pub(super) const WAITED_FOR: [&str; 4] = ["requests", "wal", "memory", "nothing"];

// A frame's reply: what the run is doing, the notes and the off-policy evaluation after the
// frame.

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
