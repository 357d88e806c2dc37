//! The messages between the page and its worker: one [`Request`] enum the page sends, one
//! [`Reply`] enum the worker answers with, each in an envelope with the request's id so a reply
//! finds its sender. They travel as JSON strings through `postMessage` (serde_json is in the
//! bundle already, with `float_roundtrip`, so a figure keeps every bit): an envelope is the
//! array `[id, "Variant", field, …]`, the fields in the order the variant declares them.
//! Written by hand rather than derived (serde's derived deserialisers for two enums cost the
//! page several kilobytes; docs/ui.md, cuts table): written straight as text by the scenario's
//! JSON writer, the same bytes serde_json writes for a `Value` of them, and read from a
//! `serde_json::Value`.
//! A frame's reply alone goes as bytes ([`Wire::Bytes`]): the frame in its codec
//! ([`crate::frame::Encode`]), then the reply's other fields in the same codec.
//! Scenarios travel as their own JSON document, the form a share link and `strata run` read, so
//! the worker gets exactly the scenario the page has.
//!
//! No browser code: the same values are handled on the main thread when the worker cannot
//! start ([`super::host`]), and natively in the tests.

use super::run::{Motion, RunRequest};
use crate::frame::{
    decode_all, decode_frame, encode_frame, zero, CodecError, Decode, Encode, Frame, Held,
    OperationDetail,
};
use crate::ope::OpeResult;
use serde_json::Value;
use strata_lab::scenario::JsonWriter;
use strata_sim::RequestRecord;

mod run_messages;
use run_messages::{decode_run, encode_run, from_bytes_value, to_bytes_value, WAITED_FOR};

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

/// A message's body as the fields of its envelope's array, and back.
pub trait Message: Sized {
    /// Writes the variant's name, then its fields, as the array's next elements.
    fn encode(&self, out: &mut JsonWriter);
    /// The variant named `tag` from its fields; none when they do not fit it.
    fn decode(tag: &str, fields: &mut Fields<'_>) -> Option<Self>;
}

impl<T: Message> Envelope<T> {
    /// The envelope's JSON text, written straight into a string (no `Value` built first).
    pub fn to_json(&self) -> String {
        let mut out = JsonWriter::new();
        out.begin_array();
        out.u64(self.id);
        self.body.encode(&mut out);
        out.end_array();
        out.finish()
    }

    pub fn from_json(text: &str) -> Result<Envelope<T>, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("an unreadable message ({e})"))?;
        let unknown = || format!("a message of an unknown form ({})", preview(text));
        let items = value.as_array().ok_or_else(unknown)?;
        let mut fields = Fields::new(items);
        let id = fields.u64();
        let tag = fields.str();
        match T::decode(tag, &mut fields) {
            Some(body) if fields.finished() => Ok(Envelope { id, body }),
            _ => Err(unknown()),
        }
    }
}

/// A message as it crosses `postMessage`: JSON text, or a frame's bytes.
#[derive(Clone, Debug, PartialEq)]
pub enum Wire {
    Text(String),
    /// The id, the frame in its codec ([`crate::frame::Encode`]), then the reply's other fields
    /// (what the run is doing, the notes, the off-policy evaluation) in the same codec.
    Bytes(Vec<u8>),
}

impl Envelope<Reply> {
    /// The reply as it is posted: a frame as bytes (small, and transferred rather than
    /// copied), every other reply as JSON text.
    /// `sent` is what the page holds of the scenario and settings in force: a frame carries
    /// their documents only when they changed.
    pub fn to_wire(&self, sent: &mut Held) -> Wire {
        let Reply::Frame {
            frame,
            status,
            notes,
            ope,
        } = &self.body
        else {
            return Wire::Text(self.to_json());
        };
        let mut bytes = Vec::new();
        self.id.encode(&mut bytes);
        encode_frame(frame, sent, &mut bytes);
        status.encode(&mut bytes);
        notes.encode(&mut bytes);
        match ope {
            None => bytes.push(0),
            Some(ope) => {
                bytes.push(1);
                ope.encode(&mut bytes);
            }
        }
        Wire::Bytes(bytes)
    }

    /// A frame's reply from its bytes, its scenario and settings from `held` when they did not
    /// change; an error says why they do not read.
    pub fn from_bytes(bytes: &[u8], held: &mut Held) -> Result<Envelope<Reply>, String> {
        let unreadable = |e: CodecError| format!("a frame that does not read ({e})");
        let mut input = bytes;
        let id = u64::decode(&mut input).map_err(unreadable)?;
        let frame = decode_frame(&mut input, held).map_err(unreadable)?;
        let (status, notes, ope): (RunStatus, Vec<Note>, Option<OffPolicy>) =
            decode_all(input).map_err(unreadable)?;
        Ok(Envelope {
            id,
            body: Reply::Frame {
                frame: Box::new(frame),
                status,
                notes,
                ope: ope.map(Box::new),
            },
        })
    }
}

/// The start of a message, for an error that names it.
fn preview(text: &str) -> &str {
    let end = text
        .char_indices()
        .nth(60)
        .map_or(text.len(), |(index, _)| index);
    &text[..end]
}

/// The fields of an envelope, read in order. A field that is missing or of another form fails
/// the reader and reads as a zero, an empty text or list, or a fallback, and the caller checks
/// [`Fields::finished`] once per message (as the frame codec's `Reader`): no field has an error
/// path of its own, which dropped the fields read before it.
pub struct Fields<'a> {
    items: std::slice::Iter<'a, Value>,
    failed: bool,
}

/// What a missing field reads as.
static MISSING: Value = Value::Null;

impl<'a> Fields<'a> {
    fn new(items: &'a [Value]) -> Fields<'a> {
        Fields {
            items: items.iter(),
            failed: false,
        }
    }

    /// Whether every field read and none is left over.
    fn finished(&mut self) -> bool {
        !self.failed && self.items.next().is_none()
    }

    fn fail(&mut self) {
        self.failed = true;
    }

    /// `value`, or `fallback` with the reader failed.
    fn or<T>(&mut self, value: Option<T>, fallback: T) -> T {
        match value {
            Some(value) => value,
            None => {
                self.failed = true;
                fallback
            }
        }
    }

    fn check<T: Default>(&mut self, value: Option<T>) -> T {
        self.or(value, T::default())
    }

    fn next(&mut self) -> &'a Value {
        match self.items.next() {
            Some(value) => value,
            None => {
                self.failed = true;
                &MISSING
            }
        }
    }

    /// The next field through `read`, or `fallback` with the reader failed.
    fn read<T>(&mut self, read: impl FnOnce(&'a Value) -> Option<T>, fallback: T) -> T {
        let value = read(self.next());
        self.or(value, fallback)
    }

    fn u64(&mut self) -> u64 {
        let value = self.next().as_u64();
        self.check(value)
    }
    fn f64(&mut self) -> f64 {
        let value = self.next().as_f64();
        self.check(value)
    }
    fn bool(&mut self) -> bool {
        let value = self.next().as_bool();
        self.check(value)
    }
    fn str(&mut self) -> &'a str {
        let value = self.next().as_str();
        self.or(value, "")
    }
    fn string(&mut self) -> String {
        self.str().to_string()
    }
    fn optional_u64(&mut self) -> Option<u64> {
        match self.next() {
            Value::Null => None,
            value => Some(self.check(value.as_u64())),
        }
    }
    fn optional_string(&mut self) -> Option<String> {
        match self.next() {
            Value::Null => None,
            value => Some(self.or(value.as_str(), "").to_string()),
        }
    }
    /// The next field as a list read item by item with `read`, refused whole at the first
    /// item it refuses.
    fn list<T>(&mut self, read: impl Fn(&Value) -> Option<T>) -> Vec<T> {
        let items = list(self.next(), read);
        self.check(items)
    }
    /// `value`'s items as fields of their own, all read by `read`; this reader fails when they
    /// do not read or some are left over.
    fn read_in<T>(&mut self, value: &'a Value, read: impl FnOnce(&mut Fields<'a>) -> T) -> T {
        let mut inner = Fields::new(value.as_array().map_or(&[], Vec::as_slice));
        inner.failed = !value.is_array();
        let read = read(&mut inner);
        if !inner.finished() {
            self.failed = true;
        }
        read
    }
    fn strings(&mut self) -> Vec<String> {
        self.list(|item| Some(item.as_str()?.to_string()))
    }
}

/// Reads a JSON array item by item with `read`; `None` at the first item it refuses. A plain
/// loop, not `collect` into an `Option`: its adapters (`GenericShunt`, `try_process`) made
/// copies of themselves for every list read, about 6 KB raw in all.
fn list<T>(value: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    let items = value.as_array()?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(read(item)?);
    }
    Some(out)
}

/// The items of a JSON array of two.
fn pair(value: &Value) -> Option<(&Value, &Value)> {
    match value.as_array()?.as_slice() {
        [first, second] => Some((first, second)),
        _ => None,
    }
}

fn optional_u64(out: &mut JsonWriter, value: Option<u64>) {
    match value {
        Some(value) => out.u64(value),
        None => out.null(),
    }
}

fn optional_str(out: &mut JsonWriter, value: Option<&str>) {
    match value {
        Some(value) => out.string(value),
        None => out.null(),
    }
}

fn strings(out: &mut JsonWriter, items: &[String]) {
    out.begin_array();
    for item in items {
        out.string(item);
    }
    out.end_array();
}

impl Message for Request {
    fn encode(&self, out: &mut JsonWriter) {
        match self {
            Request::StartVariant {
                stream,
                base,
                source,
                claims,
            } => {
                let (kind, text) = match source {
                    VariantSource::Patch(text) => ("Patch", text),
                    VariantSource::Whole(text) => ("Whole", text),
                };
                out.string("StartVariant");
                out.u64(*stream);
                out.string(base);
                out.string(kind);
                out.string(text);
                strings(out, claims);
            }
            Request::FollowVariant {
                stream,
                base,
                at_ns,
                rebuild_target_ns,
            } => {
                out.string("FollowVariant");
                out.u64(*stream);
                optional_str(out, base.as_deref());
                out.u64(*at_ns);
                optional_u64(out, *rebuild_target_ns);
            }
            Request::StopVariant { stream } => {
                out.string("StopVariant");
                out.u64(*stream);
            }
            Request::Export {
                kind,
                scenario,
                events,
                at_ns,
            } => {
                out.string("Export");
                out.string(match kind {
                    ExportKind::Trace => "Trace",
                    ExportKind::Metrics => "Metrics",
                });
                out.string(scenario);
                out.u64(*events);
                out.u64(*at_ns);
            }
            Request::ContinueExport { job } => {
                out.string("ContinueExport");
                out.u64(*job);
            }
            Request::CancelExport { job } => {
                out.string("CancelExport");
                out.u64(*job);
            }
            Request::Run(run) => {
                out.string("Run");
                encode_run(run, out);
            }
            Request::Explain { seq, record } => {
                // The record in the frame's codec: serde's derived code for it stays out.
                out.string("Explain");
                out.u64(*seq);
                to_bytes_value(out, &**record);
            }
            Request::Operation { number } => {
                out.string("Operation");
                out.u64(*number);
            }
            Request::PanicForTests => out.string("PanicForTests"),
        }
    }

    fn decode(tag: &str, f: &mut Fields<'_>) -> Option<Request> {
        Some(match tag {
            "StartVariant" => Request::StartVariant {
                stream: f.u64(),
                base: f.string(),
                source: match (f.str(), f.string()) {
                    ("Patch", text) => VariantSource::Patch(text),
                    ("Whole", text) => VariantSource::Whole(text),
                    (_, text) => {
                        f.fail();
                        VariantSource::Patch(text)
                    }
                },
                claims: f.strings(),
            },
            "FollowVariant" => Request::FollowVariant {
                stream: f.u64(),
                base: f.optional_string(),
                at_ns: f.u64(),
                rebuild_target_ns: f.optional_u64(),
            },
            "StopVariant" => Request::StopVariant { stream: f.u64() },
            "Export" => Request::Export {
                kind: match f.str() {
                    "Trace" => ExportKind::Trace,
                    "Metrics" => ExportKind::Metrics,
                    _ => {
                        f.fail();
                        ExportKind::Trace
                    }
                },
                scenario: f.string(),
                events: f.u64(),
                at_ns: f.u64(),
            },
            "ContinueExport" => Request::ContinueExport { job: f.u64() },
            "CancelExport" => Request::CancelExport { job: f.u64() },
            "Run" => Request::Run(decode_run(f)?),
            "Explain" => Request::Explain {
                seq: f.u64(),
                record: Box::new(f.read(from_bytes_value, zero())),
            },
            "Operation" => Request::Operation { number: f.u64() },
            "PanicForTests" => Request::PanicForTests,
            _ => return None,
        })
    }
}

impl Message for Reply {
    fn encode(&self, out: &mut JsonWriter) {
        match self {
            Reply::Ready => out.string("Ready"),
            Reply::Variant(view) => {
                out.string("Variant");
                out.u64(view.stream);
                out.u64(view.at_ns);
                out.bool(view.arrived);
                out.u64(view.now_ns);
                out.string(&view.trace_hash);
                out.bool(view.catching_up);
                out.bool(view.preparing);
                out.begin_array();
                for (path, value) in &view.figures {
                    out.begin_array();
                    out.string(path);
                    match value {
                        Some(value) => out.f64(*value),
                        None => out.null(),
                    }
                    out.end_array();
                }
                out.end_array();
            }
            Reply::VariantFailed(message) => {
                out.string("VariantFailed");
                out.string(message);
            }
            Reply::Stopped => out.string("Stopped"),
            Reply::ExportProgress { fraction } => {
                out.string("ExportProgress");
                out.f64(*fraction);
            }
            Reply::Exported { name, text } => {
                out.string("Exported");
                out.string(name);
                out.string(text);
            }
            Reply::ExportFailed(message) => {
                out.string("ExportFailed");
                out.string(message);
            }
            Reply::Refused(message) => {
                out.string("Refused");
                out.string(message);
            }
            Reply::Panicked(message) => {
                out.string("Panicked");
                out.string(message);
            }
            Reply::Explained { lines, operation } => {
                out.string("Explained");
                strings(out, lines);
                optional_u64(out, *operation);
            }
            Reply::Operation(detail) => {
                out.string("Operation");
                match detail {
                    None => out.null(),
                    Some(detail) => {
                        out.begin_array();
                        out.string(&detail.line);
                        out.string(detail.waited_for);
                        strings(out, &detail.requests);
                        out.end_array();
                    }
                }
            }
            // A frame goes as bytes (`Envelope::to_wire`); as text it is its name alone, which
            // no reader takes.
            Reply::Frame { .. } => out.string("Frame"),
        }
    }

    fn decode(tag: &str, f: &mut Fields<'_>) -> Option<Reply> {
        Some(match tag {
            "Ready" => Reply::Ready,
            "Variant" => Reply::Variant(VariantView {
                stream: f.u64(),
                at_ns: f.u64(),
                arrived: f.bool(),
                now_ns: f.u64(),
                trace_hash: f.string(),
                catching_up: f.bool(),
                preparing: f.bool(),
                figures: f.list(|item| {
                    let (path, value) = pair(item)?;
                    let value = match value {
                        Value::Null => None,
                        value => Some(value.as_f64()?),
                    };
                    Some((path.as_str()?.to_string(), value))
                }),
            }),
            "VariantFailed" => Reply::VariantFailed(f.string()),
            "Stopped" => Reply::Stopped,
            "ExportProgress" => Reply::ExportProgress { fraction: f.f64() },
            "Exported" => Reply::Exported {
                name: f.string(),
                text: f.string(),
            },
            "ExportFailed" => Reply::ExportFailed(f.string()),
            "Refused" => Reply::Refused(f.string()),
            "Panicked" => Reply::Panicked(f.string()),
            // A frame arrives as bytes (`Envelope::from_bytes`), never in text.
            "Frame" => return None,
            "Explained" => Reply::Explained {
                lines: f.strings(),
                operation: f.optional_u64(),
            },
            "Operation" => Reply::Operation(match f.next() {
                Value::Null => None,
                value => Some(f.read_in(value, |f| OperationDetail {
                    line: f.string(),
                    waited_for: {
                        let waited_for = f.str();
                        let known = WAITED_FOR.iter().find(|w| **w == waited_for).copied();
                        f.or(known, WAITED_FOR[0])
                    },
                    requests: f.strings(),
                })),
            }),
            _ => return None,
        })
    }
}
