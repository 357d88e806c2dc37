//! The trace's vocabulary: the cause, operation and outcome of every store request, fault
//! kinds, the typed events of a run ([`EventKind`]) with their names, and [`TraceEvent`], an
//! event with its time and its place in the run.

use crate::time::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};

/// Why an object-store request was made. Every request carries one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    Wal,
    Flush,
    Compaction,
    Manifest,
    Gc,
    Read,
    ReaderPoll,
    Recommender,
    /// Requests made by tests, tools or the user directly, outside the engine.
    Other,
}

impl Cause {
    /// The byte that stands for this cause in the trace hash's encoding.
    pub fn tag(self) -> u8 {
        self as u8
    }

    pub const ALL: [Cause; 9] = [
        Cause::Wal,
        Cause::Flush,
        Cause::Compaction,
        Cause::Manifest,
        Cause::Gc,
        Cause::Read,
        Cause::ReaderPoll,
        Cause::Recommender,
        Cause::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Wal => "wal",
            Cause::Flush => "flush",
            Cause::Compaction => "compaction",
            Cause::Manifest => "manifest",
            Cause::Gc => "gc",
            Cause::Read => "read",
            Cause::ReaderPoll => "reader_poll",
            Cause::Recommender => "recommender",
            Cause::Other => "other",
        }
    }
}

/// The kind of an object-store request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreOp {
    Get,
    Head,
    Put,
    List,
    Delete,
}

impl StoreOp {
    /// The byte that stands for this operation in the trace hash's encoding.
    pub fn tag(self) -> u8 {
        self as u8
    }

    pub const ALL: [StoreOp; 5] = [
        StoreOp::Get,
        StoreOp::Head,
        StoreOp::Put,
        StoreOp::List,
        StoreOp::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StoreOp::Get => "get",
            StoreOp::Head => "head",
            StoreOp::Put => "put",
            StoreOp::List => "list",
            StoreOp::Delete => "delete",
        }
    }
}

/// How an object-store request ended, as seen by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestOutcome {
    Ok,
    NotFound,
    AlreadyExists,
    PreconditionFailed,
    /// 503 SlowDown.
    Throttled,
    Timeout,
    Unavailable,
    /// A 5xx other than throttling.
    ServerError,
    Invalid,
}

impl RequestOutcome {
    /// The byte that stands for this outcome in the trace hash's encoding.
    pub fn tag(self) -> u8 {
        self as u8
    }

    /// True for outcomes a caller may retry: throttling, timeouts and server errors.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            RequestOutcome::Throttled
                | RequestOutcome::Timeout
                | RequestOutcome::Unavailable
                | RequestOutcome::ServerError
        )
    }

    /// The outcome's snake_case name, as the trace's JSON writes it (a match, not a trip
    /// through serde_json's `Value` serialiser, which would ship in the playground for this).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestOutcome::Ok => "ok",
            RequestOutcome::NotFound => "not_found",
            RequestOutcome::AlreadyExists => "already_exists",
            RequestOutcome::PreconditionFailed => "precondition_failed",
            RequestOutcome::Throttled => "throttled",
            RequestOutcome::Timeout => "timeout",
            RequestOutcome::Unavailable => "unavailable",
            RequestOutcome::ServerError => "server_error",
            RequestOutcome::Invalid => "invalid",
        }
    }
}

/// One object-store request, from the caller's point of view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub op: StoreOp,
    pub key: String,
    /// Bytes sent (PUT) or received (GET).
    pub bytes: u64,
    pub cause: Cause,
    pub start: SimTime,
    pub end: SimTime,
    pub outcome: RequestOutcome,
    /// Cost in picodollars (1e-12 USD): integers keep totals exact and order-independent.
    pub cost_picousd: u64,
    /// Whether the store applied the request although the caller saw a failure (a lost ack or
    /// a timeout after the write landed).
    pub applied_despite_error: bool,
}

/// A fault the simulated store injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    ServerError,
    Timeout,
    LostAck,
    Slow,
    Outage,
    BitFlip,
    Throttle,
    Crash,
    Zombie,
}

impl FaultKind {
    /// Every fault kind, in tag order.
    pub const ALL: [FaultKind; 9] = [
        FaultKind::ServerError,
        FaultKind::Timeout,
        FaultKind::LostAck,
        FaultKind::Slow,
        FaultKind::Outage,
        FaultKind::BitFlip,
        FaultKind::Throttle,
        FaultKind::Crash,
        FaultKind::Zombie,
    ];

    /// The byte that stands for this fault in the trace hash's encoding.
    pub fn tag(self) -> u8 {
        self as u8
    }

    /// The fault's snake_case name, as the trace's JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::ServerError => "server_error",
            FaultKind::Timeout => "timeout",
            FaultKind::LostAck => "lost_ack",
            FaultKind::Slow => "slow",
            FaultKind::Outage => "outage",
            FaultKind::BitFlip => "bit_flip",
            FaultKind::Throttle => "throttle",
            FaultKind::Crash => "crash",
            FaultKind::Zombie => "zombie",
        }
    }
}

/// What happened. Variants are grouped by the crate that records them; the vocabulary is
/// shared so that one trace tells the whole story of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    // The object store.
    Request(RequestRecord),
    FaultInjected {
        fault: FaultKind,
        key: String,
    },

    // The engine.
    WalFlushed {
        wal_id: u64,
        bytes: u64,
        entries: u64,
        /// The sequence numbers of the first and last write the object carried (0 and 0
        /// for none). Links writes to their WAL object; not part of the trace hash.
        #[serde(default)]
        first_seq: u64,
        #[serde(default)]
        last_seq: u64,
    },
    MemtableFrozen {
        memtable_id: u64,
        bytes: u64,
    },
    FlushStarted {
        memtable_id: u64,
        /// The sequence numbers of the memtable's first and last write. Links the flush to
        /// the writes it carries; not part of the trace hash.
        #[serde(default)]
        min_seq: u64,
        #[serde(default)]
        max_seq: u64,
    },
    FlushFinished {
        memtable_id: u64,
        sst_id: u64,
        bytes: u64,
    },
    CompactionStarted {
        job_id: u64,
        input_ssts: u64,
        input_bytes: u64,
    },
    CompactionFinished {
        job_id: u64,
        output_ssts: u64,
        output_bytes: u64,
    },
    ManifestWritten {
        manifest_id: u64,
        writer_epoch: u64,
    },
    Fenced {
        writer_epoch: u64,
    },
    WriterCrashed {
        writer_epoch: u64,
    },
    WriterRecovered {
        writer_epoch: u64,
        replayed_wal_objects: u64,
    },
    WriteStalled {
        duration: SimDuration,
    },
    Retried {
        cause: Cause,
        attempt: u32,
    },
    Hedged {
        key: String,
    },
    GcDeleted {
        key: String,
    },

    // The recommender.
    Impression {
        impression_id: u64,
        arm: u32,
        propensity: f64,
    },
    Click {
        impression_id: u64,
        arm: u32,
    },
    PolicyUpdated {
        version: u64,
    },
    Checkpointed {
        version: u64,
        bytes: u64,
    },
    DriftApplied {
        description: String,
    },

    // The lab (crates/lab): what the workload saw, so that client metrics come from the trace.
    /// One client operation against the engine, recorded when it completes (latency is
    /// `at - start`). `op` is one of `put`, `delete`, `get`, `scan`, `batch`; `bytes` are the
    /// user bytes written (key + value) or read; `durable` is true when the acknowledgement
    /// came only after the data was durable in the object store (await-durable).
    ///
    /// `key` (the operation's key, the first one of a batch, the start of a scan) and `seq`
    /// (the engine's sequence number of a write that was applied, else 0) link the operation
    /// to what it caused; they are not part of the trace hash.
    ClientOp {
        #[serde(deserialize_with = "client_op_name")]
        op: ClientOpName,
        bytes: u64,
        start: SimTime,
        ok: bool,
        durable: bool,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        key: String,
        #[serde(default, skip_serializing_if = "is_zero")]
        seq: u64,
    },
    /// A read-back of every acknowledged-durable write after a recovery (or at the end of a
    /// run): how many keys were checked and how many durable writes were missing.
    DurabilityChecked {
        keys_checked: u64,
        lost: u64,
    },

    /// Free-form, for tests and tools.
    Note {
        text: String,
    },

    /// A compaction dropped entries whose time-to-live had passed (above the bottom level,
    /// cut them to tombstones): how many, and the key and value bytes that freed. Recorded
    /// right after the job's `CompactionFinished`, and only when it dropped at least one.
    ExpiredDropped {
        job_id: u64,
        entries: u64,
        bytes: u64,
    },
}

/// Every event kind's name, in the order of [`EventKind::tag`].
pub const EVENT_KIND_NAMES: [&str; 25] = [
    "request",
    "fault_injected",
    "wal_flushed",
    "memtable_frozen",
    "flush_started",
    "flush_finished",
    "compaction_started",
    "compaction_finished",
    "manifest_written",
    "fenced",
    "writer_crashed",
    "writer_recovered",
    "write_stalled",
    "retried",
    "hedged",
    "gc_deleted",
    "impression",
    "click",
    "policy_updated",
    "checkpointed",
    "drift_applied",
    "client_op",
    "durability_checked",
    "note",
    "expired_dropped",
];

impl EventKind {
    /// The kind's number, its position in the declaration order (from 0): the byte that
    /// stands for it in the trace hash's encoding and its index in [`EVENT_KIND_NAMES`].
    pub fn tag(&self) -> u8 {
        match self {
            EventKind::Request(_) => 0,
            EventKind::FaultInjected { .. } => 1,
            EventKind::WalFlushed { .. } => 2,
            EventKind::MemtableFrozen { .. } => 3,
            EventKind::FlushStarted { .. } => 4,
            EventKind::FlushFinished { .. } => 5,
            EventKind::CompactionStarted { .. } => 6,
            EventKind::CompactionFinished { .. } => 7,
            EventKind::ManifestWritten { .. } => 8,
            EventKind::Fenced { .. } => 9,
            EventKind::WriterCrashed { .. } => 10,
            EventKind::WriterRecovered { .. } => 11,
            EventKind::WriteStalled { .. } => 12,
            EventKind::Retried { .. } => 13,
            EventKind::Hedged { .. } => 14,
            EventKind::GcDeleted { .. } => 15,
            EventKind::Impression { .. } => 16,
            EventKind::Click { .. } => 17,
            EventKind::PolicyUpdated { .. } => 18,
            EventKind::Checkpointed { .. } => 19,
            EventKind::DriftApplied { .. } => 20,
            EventKind::ClientOp { .. } => 21,
            EventKind::DurabilityChecked { .. } => 22,
            EventKind::Note { .. } => 23,
            EventKind::ExpiredDropped { .. } => 24,
        }
    }

    /// A short stable name for counting and filtering.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Request(_) => "request",
            EventKind::FaultInjected { .. } => "fault_injected",
            EventKind::WalFlushed { .. } => "wal_flushed",
            EventKind::MemtableFrozen { .. } => "memtable_frozen",
            EventKind::FlushStarted { .. } => "flush_started",
            EventKind::FlushFinished { .. } => "flush_finished",
            EventKind::CompactionStarted { .. } => "compaction_started",
            EventKind::CompactionFinished { .. } => "compaction_finished",
            EventKind::ManifestWritten { .. } => "manifest_written",
            EventKind::Fenced { .. } => "fenced",
            EventKind::WriterCrashed { .. } => "writer_crashed",
            EventKind::WriterRecovered { .. } => "writer_recovered",
            EventKind::WriteStalled { .. } => "write_stalled",
            EventKind::Retried { .. } => "retried",
            EventKind::Hedged { .. } => "hedged",
            EventKind::GcDeleted { .. } => "gc_deleted",
            EventKind::Impression { .. } => "impression",
            EventKind::Click { .. } => "click",
            EventKind::PolicyUpdated { .. } => "policy_updated",
            EventKind::Checkpointed { .. } => "checkpointed",
            EventKind::DriftApplied { .. } => "drift_applied",
            EventKind::ClientOp { .. } => "client_op",
            EventKind::DurabilityChecked { .. } => "durability_checked",
            EventKind::Note { .. } => "note",
            EventKind::ExpiredDropped { .. } => "expired_dropped",
        }
    }
}

/// A `ClientOp` event's `op`: one of [`CLIENT_OP_NAMES`], so recording an operation copies no
/// string. (Named, rather than written `&'static str` in the variant, so that serde's derive
/// reads it with [`client_op_name`] instead of borrowing it from the input.)
pub type ClientOpName = &'static str;

/// The names a `ClientOp` event's `op` may carry.
pub const CLIENT_OP_NAMES: [&str; 6] = ["put", "delete", "get", "scan", "batch", "delete_range"];

/// Reads a `ClientOp`'s `op` back as one of [`CLIENT_OP_NAMES`], refusing any other name.
fn client_op_name<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<&'static str, D::Error> {
    let name = String::deserialize(deserializer)?;
    CLIENT_OP_NAMES
        .iter()
        .find(|known| **known == name)
        .copied()
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown client operation `{name}`; known: {}",
                CLIENT_OP_NAMES.join(", ")
            ))
        })
}

/// An event with its simulated timestamp and its position in the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// 0 for the first event of the run, then 1, 2, … with no gaps.
    pub seq: u64,
    pub at: SimTime,
    pub kind: EventKind,
    /// On whose behalf the recording task worked (`SimHandle::set_origin`): the lab sets a
    /// client operation's number on its task, and the store requests that task sends carry
    /// it. 0 for none. A causal link only: it is not part of the trace hash, so it can be
    /// added without changing any run's fingerprint.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub origin: u64,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}
