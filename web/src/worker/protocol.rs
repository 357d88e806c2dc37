//! The messages between the page and its worker: one [`Request`] enum the page sends, one
//! [`Reply`] enum the worker answers with, each in an envelope with the request's id so a reply
//! finds its sender. They travel as JSON strings through `postMessage` (serde_json is in the
//! bundle already); scenarios travel as their own JSON document, the form a share link and
//! `strata run` read, so the worker gets exactly the scenario the page has.
//!
//! No browser code: the same values are handled on the main thread when the worker cannot
//! start ([`super::host`]), and natively in the tests.

use serde::{Deserialize, Serialize};

/// The id of a reply that answers no request: the worker's start and its panic.
pub const UNSOLICITED: u64 = 0;

/// What a side-by-side variant is made from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum VariantSource {
    /// A chapter's merge patch (RFC 7386, as JSON text), applied to the run's scenario anew
    /// whenever that changes.
    Patch(String),
    /// A whole scenario (a share link's `vs`, as JSON text), kept whatever the run does.
    Whole(String),
}

/// Which file an export folds from the rebuilt run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportKind {
    /// The retained trace as Chrome trace-event JSON (Perfetto).
    Trace,
    /// The metrics series as CSV.
    Metrics,
}

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Panics on purpose, so the end-to-end tests can check that a panic in the worker reaches
    /// the page's banner. Nothing in the page sends it.
    PanicForTests,
}

/// One variant's state after a request, with the figures the compare panel draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// A request or a reply with the id that pairs them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub id: u64,
    pub body: T,
}

impl<T: Serialize> Envelope<T> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a request or reply is plain data that always encodes")
    }
}

impl<T: for<'de> Deserialize<'de>> Envelope<T> {
    pub fn from_json(text: &str) -> Result<Envelope<T>, String> {
        serde_json::from_str(text).map_err(|e| format!("an unreadable message ({e})"))
    }
}
