//! The messages between the page and its worker: one [`Request`] enum the page sends, one
//! [`Reply`] enum the worker answers with, each in an envelope with the request's id so a reply
//! finds its sender. They travel as bytes through `postMessage` (a transferred `Uint8Array`), in
//! the frame's codec ([`crate::frame::Encode`]): the id, the variant's index as one byte, then its
//! fields in the order the variant declares them (a float's bits, so a figure keeps every bit).
//! Written by hand rather than derived, as the frame is (serde's derived code for two enums, and
//! then their JSON, cost the page several kilobytes; docs/ui.md, cuts table); a frame's reply
//! carries the scenario and settings in force only when the page does not hold them
//! ([`Held`]).
//! Scenarios travel as their own JSON document, the form a share link and `strata run` read, so
//! the worker gets exactly the scenario the page has.
//!
//! No browser code: the same values are handled on the main thread when the worker cannot
//! start ([`super::host`]), and natively in the tests.

use super::run::{Motion, RunRequest};
use crate::frame::{
    encode_frame, read_all, read_frame, CodecError, Decode, Encode, Frame, Held, OperationDetail,
    Reader,
};
use crate::ope::OpeResult;
use strata_sim::RequestRecord;

mod run_messages;
use run_messages::WAITED_FOR;

/// The id of a reply that answers no request: the worker's start and its panic.
pub const UNSOLICITED: u64 = 0;

/// What a side-by-side variant is made from.
#[derive(Clone, Debug, PartialEq)]
pub enum VariantSource {
    /// A chapter's merge patch (RFC 7386, as JSON text), applied to the run's scenario anew
    /// whenever that changes.
    Patch(String),
    /// A whole scenario (a share link's `vs`, as JSON text), kept whatever the run does.
    Whole(String),
}

/// Which file an export folds from the rebuilt run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The retained trace as Chrome trace-event JSON (Perfetto).
    Trace,
    /// The metrics series as CSV.
    Metrics,
}

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// Starts a side-by-side variant beside a run of `base` (scenario JSON), replacing any
    /// other; `stream` names it in the follow-ups. `claims` are the figures shown first.
    StartVariant {
        stream: u64,
        base: String,
        source: VariantSource,
        claims: Vec<String>,
    },
    /// Brings variant `stream` to `at_ns`, the simulated time of the run on show; `base` is
    /// the run's scenario when it changed since the last request. `rebuild_target_ns`, while the
    /// run on show is being rebuilt toward that time, has the worker replay toward it too.
    FollowVariant {
        stream: u64,
        base: Option<String>,
        at_ns: u64,
        rebuild_target_ns: Option<u64>,
    },
    /// The variant is no longer shown: its lab is dropped.
    StopVariant { stream: u64 },
    /// Rebuilds `scenario` (JSON) from its seed up to the moment the page shows (`events`
    /// processed, then the clock at `at_ns`) and folds the run into `kind`'s file. The work goes
    /// in slices: each reply says how far it got, and [`Request::ContinueExport`] with this
    /// request's id asks for the next one.
    Export {
        kind: ExportKind,
        scenario: String,
        events: u64,
        at_ns: u64,
    },
    /// The next slice of the export started by request `job`.
    ContinueExport { job: u64 },
    /// Abandons the export started by request `job`.
    CancelExport { job: u64 },
    /// A request about the run on show; its frames come back unsolicited, as the run moves.
    Run(RunRequest),
    /// The cause chain of the run's request numbered `seq` (`record` as the page's timeline
    /// holds it): answered with [`Reply::Explained`].
    Explain {
        seq: u64,
        record: Box<RequestRecord>,
    },
    /// Client operation `number` and the requests it waited for: [`Reply::Operation`].
    Operation { number: u64 },
    /// Panics on purpose, so the end-to-end tests can check that a panic in the worker reaches
    /// the page's banner. Nothing in the page sends it.
    PanicForTests,
}

/// One variant's state after a request, with the figures the compare panel draws.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantView {
    pub stream: u64,
    /// The time the request asked for, and whether the variant is there (or its run ended).
    pub at_ns: u64,
    pub arrived: bool,
    /// The variant's own time and trace hash.
    pub now_ns: u64,
    pub trace_hash: String,
    /// Whether the variant started again (a live change, a move back the replay had not
    /// prepared) and is replaying toward the run on show.
    pub catching_up: bool,
    /// Whether there is more to replay toward a rebuild's target.
    pub preparing: bool,
    /// The variant's figure at each path of the panel (claims first, then the standard ones).
    pub figures: Vec<(String, Option<f64>)>,
}

/// What the worker answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// The worker loaded the wasm and takes requests (unsolicited, once).
    Ready,
    /// The variant after a start or a follow.
    Variant(VariantView),
    /// The variant could not start or go on; the message says why.
    VariantFailed(String),
    /// The variant was dropped.
    Stopped,
    /// An export's slice ended with this much of the rebuild done (0 to 1).
    ExportProgress { fraction: f64 },
    /// The export's file.
    Exported { name: String, text: String },
    /// The export was abandoned or failed; the message says why.
    ExportFailed(String),
    /// A request the worker could not read (a page and a worker of different builds).
    Refused(String),
    /// The worker panicked with this message (unsolicited); it is dead after it.
    Panicked(String),
    /// The run on show as it stands (unsolicited): what the page draws, what the run is
    /// doing, the outcomes of the requests since the last frame, and the off-policy
    /// evaluation when it was refreshed (the recommender tab open).
    Frame {
        frame: Box<Frame>,
        status: RunStatus,
        notes: Vec<Note>,
        ope: Option<Box<OffPolicy>>,
    },
    /// A request's cause chain: lines to show, and the client operation it leads to.
    Explained {
        lines: Vec<String>,
        operation: Option<u64>,
    },
    /// A client operation, while the explain fold still holds it.
    Operation(Option<OperationDetail>),
}

/// The off-policy evaluation over the run's impression log: the result, or why there is none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OffPolicy {
    pub result: Option<OpeResult>,
    pub error: Option<String>,
}

/// What the run on show is doing, with each frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunStatus {
    pub motion: Motion,
    /// Simulated over wall time while playing, measured over the frames since the last
    /// that played (0 before any).
    pub effective_speed: f64,
    /// Wall time spent simulating since the last frame, and the wall time since it.
    pub work_ms: f64,
    pub wall_ms: f64,
    /// The run requests handled before this frame (the page's motion is its own until the
    /// frame reflects every request it sent).
    pub requests: u64,
}

/// An outcome for the page with a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// A line for the message bar.
    Say { text: String, error: bool },
    /// The message bar's last word is old news.
    Clear,
    /// A re-simulation finished: its run is on show.
    Rebuilt,
    /// A re-simulation was cancelled or failed: the run it would have replaced stays.
    RebuildCancelled,
    /// The chapter beat's stop played to is reached: this frame is there.
    BeatReached,
}

/// A request or a reply with the id that pairs them.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope<T> {
    pub id: u64,
    pub body: T,
}

impl Envelope<Request> {
    /// The request's bytes: the id, then the request.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.id.encode(&mut bytes);
        self.body.encode(&mut bytes);
        bytes
    }

    /// A request from its bytes; an error says why they do not read.
    pub fn from_bytes(bytes: &[u8]) -> Result<Envelope<Request>, String> {
        read_all(bytes, |reader| Envelope {
            id: u64::read(reader),
            body: Request::read(reader),
        })
        .map_err(unreadable)
    }
}

impl Envelope<Reply> {
    /// The reply's bytes: the id, then the reply. `sent` is what the page holds of the scenario
    /// and settings in force: a frame carries their documents only when they changed.
    pub fn to_bytes(&self, sent: &mut Held) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.id.encode(&mut bytes);
        encode_reply(&self.body, sent, &mut bytes);
        bytes
    }

    /// A reply from its bytes, a frame's scenario and settings from `held` when they did not
    /// change; an error says why they do not read.
    pub fn from_bytes(bytes: &[u8], held: &mut Held) -> Result<Envelope<Reply>, String> {
        read_all(bytes, |reader| Envelope {
            id: u64::read(reader),
            body: read_reply(reader, held),
        })
        .map_err(unreadable)
    }
}

fn unreadable(error: CodecError) -> String {
    format!("a message that does not read ({error})")
}

impl Encode for Request {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Request::StartVariant {
                stream,
                base,
                source,
                claims,
            } => {
                out.push(0);
                stream.encode(out);
                base.encode(out);
                let (kind, text) = match source {
                    VariantSource::Patch(text) => (false, text),
                    VariantSource::Whole(text) => (true, text),
                };
                kind.encode(out);
                text.encode(out);
                claims.encode(out);
            }
            Request::FollowVariant {
                stream,
                base,
                at_ns,
                rebuild_target_ns,
            } => {
                out.push(1);
                stream.encode(out);
                base.encode(out);
                at_ns.encode(out);
                rebuild_target_ns.encode(out);
            }
            Request::StopVariant { stream } => {
                out.push(2);
                stream.encode(out);
            }
            Request::Export {
                kind,
                scenario,
                events,
                at_ns,
            } => {
                out.push(3);
                matches!(kind, ExportKind::Metrics).encode(out);
                scenario.encode(out);
                events.encode(out);
                at_ns.encode(out);
            }
            Request::ContinueExport { job } => {
                out.push(4);
                job.encode(out);
            }
            Request::CancelExport { job } => {
                out.push(5);
                job.encode(out);
            }
            Request::Run(run) => {
                out.push(6);
                run.encode(out);
            }
            Request::Explain { seq, record } => {
                out.push(7);
                seq.encode(out);
                record.encode(out);
            }
            Request::Operation { number } => {
                out.push(8);
                number.encode(out);
            }
            Request::PanicForTests => out.push(9),
        }
    }
}

impl Decode for Request {
    fn read(reader: &mut Reader<'_>) -> Self {
        match u8::read(reader) {
            0 => Request::StartVariant {
                stream: u64::read(reader),
                base: String::read(reader),
                source: if bool::read(reader) {
                    VariantSource::Whole(String::read(reader))
                } else {
                    VariantSource::Patch(String::read(reader))
                },
                claims: Decode::read(reader),
            },
            1 => Request::FollowVariant {
                stream: u64::read(reader),
                base: Decode::read(reader),
                at_ns: u64::read(reader),
                rebuild_target_ns: Decode::read(reader),
            },
            2 => Request::StopVariant {
                stream: u64::read(reader),
            },
            3 => Request::Export {
                kind: if bool::read(reader) {
                    ExportKind::Metrics
                } else {
                    ExportKind::Trace
                },
                scenario: String::read(reader),
                events: u64::read(reader),
                at_ns: u64::read(reader),
            },
            4 => Request::ContinueExport {
                job: u64::read(reader),
            },
            5 => Request::CancelExport {
                job: u64::read(reader),
            },
            6 => Request::Run(RunRequest::read(reader)),
            7 => Request::Explain {
                seq: u64::read(reader),
                record: Box::new(RequestRecord::read(reader)),
            },
            8 => Request::Operation {
                number: u64::read(reader),
            },
            9 => Request::PanicForTests,
            _ => {
                reader.fail(CodecError::BadTag("request"));
                Request::StopVariant { stream: 0 }
            }
        }
    }
}

/// Writes `reply`: its variant's index, then its fields; a frame with its scenario's and
/// settings' documents unless `sent` holds them.
fn encode_reply(reply: &Reply, sent: &mut Held, out: &mut Vec<u8>) {
    match reply {
        Reply::Ready => out.push(0),
        Reply::Variant(view) => {
            out.push(1);
            let VariantView {
                stream,
                at_ns,
                arrived,
                now_ns,
                trace_hash,
                catching_up,
                preparing,
                figures,
            } = view;
            stream.encode(out);
            at_ns.encode(out);
            arrived.encode(out);
            now_ns.encode(out);
            trace_hash.encode(out);
            catching_up.encode(out);
            preparing.encode(out);
            figures.encode(out);
        }
        Reply::VariantFailed(message) => {
            out.push(2);
            message.encode(out);
        }
        Reply::Stopped => out.push(3),
        Reply::ExportProgress { fraction } => {
            out.push(4);
            fraction.encode(out);
        }
        Reply::Exported { name, text } => {
            out.push(5);
            name.encode(out);
            text.encode(out);
        }
        Reply::ExportFailed(message) => {
            out.push(6);
            message.encode(out);
        }
        Reply::Refused(message) => {
            out.push(7);
            message.encode(out);
        }
        Reply::Panicked(message) => {
            out.push(8);
            message.encode(out);
        }
        Reply::Frame {
            frame,
            status,
            notes,
            ope,
        } => {
            out.push(9);
            encode_frame(frame, sent, out);
            status.encode(out);
            notes.encode(out);
            match ope {
                None => out.push(0),
                Some(ope) => {
                    out.push(1);
                    ope.encode(out);
                }
            }
        }
        Reply::Explained { lines, operation } => {
            out.push(10);
            lines.encode(out);
            operation.encode(out);
        }
        Reply::Operation(detail) => {
            out.push(11);
            match detail {
                None => out.push(0),
                Some(OperationDetail {
                    line,
                    waited_for,
                    requests,
                }) => {
                    out.push(1);
                    line.encode(out);
                    waited_for.encode(out);
                    requests.encode(out);
                }
            }
        }
    }
}

/// A reply written by [`encode_reply`], a frame's scenario and settings from `held` when it
/// carries none.
fn read_reply(reader: &mut Reader<'_>, held: &mut Held) -> Reply {
    match u8::read(reader) {
        0 => Reply::Ready,
        1 => Reply::Variant(VariantView {
            stream: u64::read(reader),
            at_ns: u64::read(reader),
            arrived: bool::read(reader),
            now_ns: u64::read(reader),
            trace_hash: String::read(reader),
            catching_up: bool::read(reader),
            preparing: bool::read(reader),
            figures: Decode::read(reader),
        }),
        2 => Reply::VariantFailed(String::read(reader)),
        3 => Reply::Stopped,
        4 => Reply::ExportProgress {
            fraction: f64::read(reader),
        },
        5 => Reply::Exported {
            name: String::read(reader),
            text: String::read(reader),
        },
        6 => Reply::ExportFailed(String::read(reader)),
        7 => Reply::Refused(String::read(reader)),
        8 => Reply::Panicked(String::read(reader)),
        9 => Reply::Frame {
            frame: Box::new(read_frame(reader, held)),
            status: RunStatus::read(reader),
            notes: Decode::read(reader),
            ope: Option::<OffPolicy>::read(reader).map(Box::new),
        },
        10 => Reply::Explained {
            lines: Decode::read(reader),
            operation: Decode::read(reader),
        },
        11 => Reply::Operation(bool::read(reader).then(|| OperationDetail {
            line: String::read(reader),
            waited_for: reader.known("wait", |name| {
                WAITED_FOR.iter().find(|known| **known == name).copied()
            }),
            requests: Decode::read(reader),
        })),
        _ => {
            reader.fail(CodecError::BadTag("reply"));
            Reply::Stopped
        }
    }
}
