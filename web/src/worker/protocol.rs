//! The messages between the page and its worker: one [`Request`] enum the page sends, one
//! [`Reply`] enum the worker answers with, each in an envelope with the request's id so a reply
//! finds its sender. They travel as JSON strings through `postMessage` (serde_json is in the
//! bundle already, with `float_roundtrip`, so a figure keeps every bit): an envelope is the
//! array `[id, "Variant", field, …]`, the fields in the order the variant declares them.
//! Written by hand over `serde_json::Value` rather than derived: serde's derived
//! deserialisers for two enums cost the page several kilobytes (docs/ui.md, cuts table).
//! Scenarios travel as their own JSON document, the form a share link and `strata run` read, so
//! the worker gets exactly the scenario the page has.
//!
//! No browser code: the same values are handled on the main thread when the worker cannot
//! start ([`super::host`]), and natively in the tests.

use super::run::{Motion, RunRequest};
use crate::chapter_play::BeatStop;
use crate::command::Command;
use crate::frame::OperationDetail;
use crate::frame::{Frame, Panels};
use crate::ope::OpeResult;
use serde_json::Value;
use strata_lab::Scenario;
use strata_sim::RequestRecord;
use strata_sim::SimTime;

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
#[derive(Clone, Debug, PartialEq)]
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
    /// Appends the variant's name, then its fields.
    fn encode(&self, out: &mut Vec<Value>);
    /// The variant named `tag` from its fields; none when they do not fit it.
    fn decode(tag: &str, fields: &mut Fields<'_>) -> Option<Self>;
    /// A first field already written as JSON text, for [`Message::encode`]'s `null` in its
    /// place (a frame: written once, not through a `Value`).
    fn first_field_text(&self) -> Option<String> {
        None
    }
}

impl<T: Message> Envelope<T> {
    pub fn to_json(&self) -> String {
        let mut out = vec![Value::from(self.id)];
        self.body.encode(&mut out);
        match self.body.first_field_text() {
            // `[id, tag, <text>, rest…]`: the id and the tag, the text, then the rest.
            Some(text) if out.len() > 2 => {
                let rest = Value::Array(out.split_off(3)).to_string();
                let head = Value::Array(out[..2].to_vec()).to_string();
                let mut json = head[..head.len() - 1].to_string();
                json.push(',');
                json.push_str(&text);
                if rest.len() > 2 {
                    json.push(',');
                    json.push_str(&rest[1..]);
                } else {
                    json.push(']');
                }
                json
            }
            _ => Value::Array(out).to_string(),
        }
    }

    pub fn from_json(text: &str) -> Result<Envelope<T>, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("an unreadable message ({e})"))?;
        let unknown = || format!("a message of an unknown form ({})", preview(text));
        let items = value.as_array().ok_or_else(unknown)?;
        let mut fields = Fields(items.iter());
        let id = fields.u64().ok_or_else(unknown)?;
        let tag = fields.string().ok_or_else(unknown)?;
        let body = T::decode(&tag, &mut fields).ok_or_else(unknown)?;
        if fields.0.next().is_some() {
            return Err(unknown());
        }
        Ok(Envelope { id, body })
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

/// The fields of an envelope, read in order.
pub struct Fields<'a>(std::slice::Iter<'a, Value>);

impl Fields<'_> {
    fn next(&mut self) -> Option<&Value> {
        self.0.next()
    }
    fn u64(&mut self) -> Option<u64> {
        self.next()?.as_u64()
    }
    fn f64(&mut self) -> Option<f64> {
        self.next()?.as_f64()
    }
    fn bool(&mut self) -> Option<bool> {
        self.next()?.as_bool()
    }
    fn string(&mut self) -> Option<String> {
        Some(self.next()?.as_str()?.to_string())
    }
    fn optional_u64(&mut self) -> Option<Option<u64>> {
        match self.next()? {
            Value::Null => Some(None),
            value => Some(Some(value.as_u64()?)),
        }
    }
    fn optional_string(&mut self) -> Option<Option<String>> {
        match self.next()? {
            Value::Null => Some(None),
            value => Some(Some(value.as_str()?.to_string())),
        }
    }
    fn strings(&mut self) -> Option<Vec<String>> {
        self.next()?
            .as_array()?
            .iter()
            .map(|item| Some(item.as_str()?.to_string()))
            .collect()
    }
}

fn optional<T: Into<Value>>(value: Option<T>) -> Value {
    value.map_or(Value::Null, Into::into)
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(s.as_str())).collect())
}

fn export_kind(kind: ExportKind) -> Value {
    Value::from(match kind {
        ExportKind::Trace => "Trace",
        ExportKind::Metrics => "Metrics",
    })
}

impl Message for Request {
    fn encode(&self, out: &mut Vec<Value>) {
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
                out.extend([
                    "StartVariant".into(),
                    (*stream).into(),
                    base.as_str().into(),
                    kind.into(),
                    text.as_str().into(),
                    strings(claims),
                ]);
            }
            Request::FollowVariant {
                stream,
                base,
                at_ns,
                rebuild_target_ns,
            } => out.extend([
                "FollowVariant".into(),
                (*stream).into(),
                optional(base.as_deref()),
                (*at_ns).into(),
                optional(*rebuild_target_ns),
            ]),
            Request::StopVariant { stream } => {
                out.extend(["StopVariant".into(), (*stream).into()]);
            }
            Request::Export {
                kind,
                scenario,
                events,
                at_ns,
            } => out.extend([
                "Export".into(),
                export_kind(*kind),
                scenario.as_str().into(),
                (*events).into(),
                (*at_ns).into(),
            ]),
            Request::ContinueExport { job } => {
                out.extend(["ContinueExport".into(), (*job).into()]);
            }
            Request::CancelExport { job } => out.extend(["CancelExport".into(), (*job).into()]),
            Request::Run(run) => {
                out.push("Run".into());
                encode_run(run, out);
            }
            Request::Explain { seq, record } => {
                out.extend(["Explain".into(), (*seq).into(), to_value(record)])
            }
            Request::Operation { number } => out.extend(["Operation".into(), (*number).into()]),
            Request::PanicForTests => out.push("PanicForTests".into()),
        }
    }

    fn decode(tag: &str, f: &mut Fields<'_>) -> Option<Request> {
        Some(match tag {
            "StartVariant" => Request::StartVariant {
                stream: f.u64()?,
                base: f.string()?,
                source: match (f.string()?.as_str(), f.string()?) {
                    ("Patch", text) => VariantSource::Patch(text),
                    ("Whole", text) => VariantSource::Whole(text),
                    _ => return None,
                },
                claims: f.strings()?,
            },
            "FollowVariant" => Request::FollowVariant {
                stream: f.u64()?,
                base: f.optional_string()?,
                at_ns: f.u64()?,
                rebuild_target_ns: f.optional_u64()?,
            },
            "StopVariant" => Request::StopVariant { stream: f.u64()? },
            "Export" => Request::Export {
                kind: match f.string()?.as_str() {
                    "Trace" => ExportKind::Trace,
                    "Metrics" => ExportKind::Metrics,
                    _ => return None,
                },
                scenario: f.string()?,
                events: f.u64()?,
                at_ns: f.u64()?,
            },
            "ContinueExport" => Request::ContinueExport { job: f.u64()? },
            "CancelExport" => Request::CancelExport { job: f.u64()? },
            "Run" => Request::Run(decode_run(f)?),
            "Explain" => Request::Explain {
                seq: f.u64()?,
                record: from_value(f.next()?)?,
            },
            "Operation" => Request::Operation { number: f.u64()? },
            "PanicForTests" => Request::PanicForTests,
            _ => return None,
        })
    }
}

impl Message for Reply {
    fn first_field_text(&self) -> Option<String> {
        match self {
            // Text that serde writes from plain data; a frame that could not be written
            // arrives as `null` and is refused by the page with a message.
            Reply::Frame { frame, .. } => {
                Some(serde_json::to_string(frame).unwrap_or_else(|_| "null".to_string()))
            }
            _ => None,
        }
    }

    fn encode(&self, out: &mut Vec<Value>) {
        match self {
            Reply::Ready => out.push("Ready".into()),
            Reply::Variant(view) => {
                let figures = view
                    .figures
                    .iter()
                    .map(|(path, value)| Value::Array(vec![path.as_str().into(), optional(*value)]))
                    .collect();
                out.extend([
                    "Variant".into(),
                    view.stream.into(),
                    view.at_ns.into(),
                    view.arrived.into(),
                    view.now_ns.into(),
                    view.trace_hash.as_str().into(),
                    view.catching_up.into(),
                    view.preparing.into(),
                    Value::Array(figures),
                ]);
            }
            Reply::VariantFailed(message) => {
                out.extend(["VariantFailed".into(), message.as_str().into()]);
            }
            Reply::Stopped => out.push("Stopped".into()),
            Reply::ExportProgress { fraction } => {
                out.extend(["ExportProgress".into(), (*fraction).into()]);
            }
            Reply::Exported { name, text } => out.extend([
                "Exported".into(),
                name.as_str().into(),
                text.as_str().into(),
            ]),
            Reply::ExportFailed(message) => {
                out.extend(["ExportFailed".into(), message.as_str().into()]);
            }
            Reply::Refused(message) => out.extend(["Refused".into(), message.as_str().into()]),
            Reply::Panicked(message) => out.extend(["Panicked".into(), message.as_str().into()]),
            Reply::Explained { lines, operation } => {
                out.extend(["Explained".into(), strings(lines), optional(*operation)])
            }
            Reply::Operation(detail) => out.extend([
                "Operation".into(),
                detail.as_ref().map_or(Value::Null, |d| {
                    Value::Array(vec![
                        d.line.as_str().into(),
                        d.waited_for.into(),
                        strings(&d.requests),
                    ])
                }),
            ]),
            Reply::Frame {
                frame,
                status,
                notes,
                ope,
            } => out.extend([
                "Frame".into(),
                // A frame is plain serde data, the only message not written by hand: written
                // as text by `first_field_text`.
                Value::Null,
                motion(status.motion),
                status.effective_speed.into(),
                status.work_ms.into(),
                status.wall_ms.into(),
                status.requests.into(),
                Value::Array(notes.iter().map(note).collect()),
                ope.as_deref().map_or(Value::Null, off_policy),
            ]),
        }
    }

    fn decode(tag: &str, f: &mut Fields<'_>) -> Option<Reply> {
        Some(match tag {
            "Ready" => Reply::Ready,
            "Variant" => Reply::Variant(VariantView {
                stream: f.u64()?,
                at_ns: f.u64()?,
                arrived: f.bool()?,
                now_ns: f.u64()?,
                trace_hash: f.string()?,
                catching_up: f.bool()?,
                preparing: f.bool()?,
                figures: f
                    .next()?
                    .as_array()?
                    .iter()
                    .map(|pair| match pair.as_array()?.as_slice() {
                        [path, Value::Null] => Some((path.as_str()?.to_string(), None)),
                        [path, value] => Some((path.as_str()?.to_string(), Some(value.as_f64()?))),
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
            }),
            "VariantFailed" => Reply::VariantFailed(f.string()?),
            "Stopped" => Reply::Stopped,
            "ExportProgress" => Reply::ExportProgress { fraction: f.f64()? },
            "Exported" => Reply::Exported {
                name: f.string()?,
                text: f.string()?,
            },
            "ExportFailed" => Reply::ExportFailed(f.string()?),
            "Refused" => Reply::Refused(f.string()?),
            "Panicked" => Reply::Panicked(f.string()?),
            "Frame" => Reply::Frame {
                frame: Box::new(serde_json::from_value::<Frame>(f.next()?.clone()).ok()?),
                status: RunStatus {
                    motion: decode_motion(f.next()?)?,
                    effective_speed: f.f64()?,
                    work_ms: f.f64()?,
                    wall_ms: f.f64()?,
                    requests: f.u64()?,
                },
                notes: f
                    .next()?
                    .as_array()?
                    .iter()
                    .map(decode_note)
                    .collect::<Option<_>>()?,
                ope: match f.next()? {
                    Value::Null => None,
                    value => Some(Box::new(decode_off_policy(value)?)),
                },
            },
            "Explained" => Reply::Explained {
                lines: f.strings()?,
                operation: f.optional_u64()?,
            },
            "Operation" => Reply::Operation(match f.next()? {
                Value::Null => None,
                value => match value.as_array()?.as_slice() {
                    [line, waited_for, requests] => Some(OperationDetail {
                        line: line.as_str()?.to_string(),
                        waited_for: WAITED_FOR
                            .iter()
                            .find(|w| **w == waited_for.as_str().unwrap_or_default())
                            .copied()?,
                        requests: Fields(std::slice::from_ref(requests).iter()).strings()?,
                    }),
                    _ => return None,
                },
            }),
            _ => return None,
        })
    }
}

fn motion(motion: Motion) -> Value {
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

fn beat_stop(stop: BeatStop) -> Value {
    match stop {
        BeatStop::At(at) => Value::Array(vec!["At".into(), at.as_nanos().into()]),
        BeatStop::Event { kind, seen } => {
            Value::Array(vec!["Event".into(), kind.into(), seen.into()])
        }
        BeatStop::End => Value::from("End"),
    }
}

fn decode_beat_stop(value: &Value) -> Option<BeatStop> {
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

fn decode_motion(value: &Value) -> Option<Motion> {
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

fn note(note: &Note) -> Value {
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

fn decode_note(value: &Value) -> Option<Note> {
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

fn panels(panels: Panels) -> Value {
    Value::from(match panels {
        Panels::Storage => "Storage",
        Panels::Recommender => "Recommender",
        Panels::None => "None",
    })
}

/// A serde value as a `Value`, written as text and read back: the scenario's types are
/// written as text (a share link, a saved file) and read from `Value`s (a scenario is read
/// through one) already, so this adds no second copy of their serde code, as writing them
/// into a `Value` directly would (docs/ui.md, cuts table). Text that was just written reads
/// back.
fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
}

fn from_value<T: serde::de::DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_value(value.clone()).ok()
}

fn encode_run(run: &RunRequest, out: &mut Vec<Value>) {
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
                        optional(control.at(0).as_ref().map(to_value)),
                    ])
                }
                Command::Inject(fault) => out.extend(["Inject".into(), to_value(fault)]),
                Command::RemoveChange(index, change) => {
                    out.extend(["RemoveChange".into(), (*index).into(), to_value(change)])
                }
                Command::RemoveFault(index, fault) => {
                    out.extend(["RemoveFault".into(), (*index).into(), to_value(fault)])
                }
                Command::SetRecommender(spec) => {
                    out.extend(["SetRecommender".into(), to_value(spec)])
                }
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

fn decode_run(f: &mut Fields<'_>) -> Option<RunRequest> {
    Some(match f.string()?.as_str() {
        "Start" => RunRequest::Start {
            scenario: f.string()?,
            at_ms: f.optional_u64()?,
            note: match f.next()? {
                Value::Null => None,
                value => Some(decode_note(value)?),
            },
        },
        "Pace" => RunRequest::Pace {
            playing: f.bool()?,
            speed: f.f64()?,
        },
        "Step" => RunRequest::Step,
        "GoTo" => RunRequest::GoTo { at_ms: f.u64()? },
        "ToEnd" => RunRequest::ToEnd,
        "Cancel" => RunRequest::Cancel,
        "Want" => RunRequest::Want(match f.string()?.as_str() {
            "Storage" => Panels::Storage,
            "Recommender" => Panels::Recommender,
            "None" => Panels::None,
            _ => return None,
        }),
        "Rebuild" => RunRequest::Rebuild {
            events: f.u64()?,
            at_ns: f.u64()?,
        },
        "Beat" => RunRequest::Beat(match f.next()? {
            Value::Null => None,
            value => Some(decode_beat_stop(value)?),
        }),
        "Figures" => RunRequest::Figures(
            f.next()?
                .as_array()?
                .iter()
                .map(|pair| match pair.as_array()?.as_slice() {
                    [label, path] => {
                        Some((label.as_str()?.to_string(), path.as_str()?.to_string()))
                    }
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        "Command" => RunRequest::Command(Box::new(match f.string()?.as_str() {
            "Live" => Command::Live(match f.next()? {
                Value::Null => return None,
                value => strata_lab::Control::from(from_value::<
                    strata_lab::scenario::SettingChange,
                >(value)?),
            }),
            "Inject" => Command::Inject(from_value(f.next()?)?),
            "RemoveChange" => {
                Command::RemoveChange(usize::try_from(f.u64()?).ok()?, from_value(f.next()?)?)
            }
            "RemoveFault" => {
                Command::RemoveFault(usize::try_from(f.u64()?).ok()?, from_value(f.next()?)?)
            }
            "SetRecommender" => Command::SetRecommender(from_value(f.next()?)?),
            "Load" => Command::Load {
                scenario: Box::new(Scenario::from_json(&f.string()?).ok()?),
                source: f.string()?,
            },
            "Refused" => Command::Refused(f.string()?),
            "Info" => Command::Info(f.string()?),
            _ => return None,
        })),
        _ => return None,
    })
}

/// What a client operation may have waited for (see `strata_lab::explain::SlowOperation`).
const WAITED_FOR: [&str; 4] = ["requests", "wal", "memory", "nothing"];
/// The off-policy estimators, by the names the evaluation gives them.
const ESTIMATORS: [&str; 8] = [
    "replay",
    "ips",
    "snips",
    "dm",
    "dr",
    "sndr",
    "switch_dr",
    "dros",
];

fn off_policy(ope: &OffPolicy) -> Value {
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
                    .map(|(name, estimate)| Value::Array(vec![(*name).into(), to_value(estimate)]))
                    .collect(),
            ),
            to_value(&r.diagnostics),
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

fn decode_off_policy(value: &Value) -> Option<OffPolicy> {
    let [result, error] = value.as_array()?.as_slice() else {
        return None;
    };
    let result = match result {
        Value::Null => None,
        value => {
            let mut f = Fields(value.as_array()?.iter());
            Some(OpeResult {
                rows: f.u64()?,
                first_impression: f.u64()?,
                last_impression: f.u64()?,
                behaviour_ctr: f.f64()?,
                truth_ctr: match f.next()? {
                    Value::Null => None,
                    value => Some(value.as_f64()?),
                },
                truth_impressions: f.u64()?,
                estimates: f
                    .next()?
                    .as_array()?
                    .iter()
                    .map(|pair| match pair.as_array()?.as_slice() {
                        [name, estimate] => Some((
                            ESTIMATORS
                                .iter()
                                .find(|known| **known == name.as_str().unwrap_or_default())
                                .copied()?,
                            from_value(estimate)?,
                        )),
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
                diagnostics: from_value(f.next()?)?,
                notes: f.strings()?,
                uniform_regret: f
                    .next()?
                    .as_array()?
                    .iter()
                    .map(|pair| match pair.as_array()?.as_slice() {
                        [step, regret] => Some((step.as_u64()?, regret.as_f64()?)),
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
            })
        }
    };
    Some(OffPolicy {
        result,
        error: match error {
            Value::Null => None,
            value => Some(value.as_str()?.to_string()),
        },
    })
}
