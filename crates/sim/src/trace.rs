//! The trace: typed events stamped with simulated time, a bounded ring of recent ones, running
//! counts, and a stable hash over every event of the run.
//!
//! The trace is the single source for the UI, the metrics and the CLI summary, so they always
//! agree. Retention is bounded (`TraceConfig::ring_capacity`); the hash and the counts cover
//! the whole run regardless.
//!
//! The hash is FNV-1a over each event's compact binary encoding ([`encode_event`]), followed
//! by one `0xFF` byte between events. The encoding is written by hand and fixed:
//!
//! - the event's `seq` and `at` (nanoseconds), then one byte for the kind
//!   ([`EventKind::tag`], the declaration order below, from 0), then the kind's fields in
//!   declaration order;
//! - every integer little-endian at its own width (`u64` 8 bytes, `u32` 4), simulated times
//!   and durations as `u64` nanoseconds;
//! - `bool` one byte (0 or 1); `f64` its IEEE-754 bits as a little-endian `u64`;
//! - strings their length as a little-endian `u32`, then their UTF-8 bytes;
//! - the small enums (`StoreOp`, `Cause`, `RequestOutcome`, `FaultKind`) one byte, their
//!   declaration order from 0.
//!
//! Nothing depends on the platform (no `usize`, no float formatting), so the hash is the same
//! natively and in wasm32, and floats only ever come from deterministic arithmetic.

use crate::rng::fnv1a64;
use crate::time::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

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
    /// The byte that stands for this fault in the trace hash's encoding.
    pub fn tag(self) -> u8 {
        self as u8
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
    },
    MemtableFrozen {
        memtable_id: u64,
        bytes: u64,
    },
    FlushStarted {
        memtable_id: u64,
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
    ClientOp {
        #[serde(deserialize_with = "client_op_name")]
        op: ClientOpName,
        bytes: u64,
        start: SimTime,
        ok: bool,
        durable: bool,
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
}

/// Every event kind's name, in the order of [`EventKind::tag`].
pub const EVENT_KIND_NAMES: [&str; 24] = [
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
        }
    }
}

/// A `ClientOp` event's `op`: one of [`CLIENT_OP_NAMES`], so recording an operation copies no
/// string. (Named, rather than written `&'static str` in the variant, so that serde's derive
/// reads it with [`client_op_name`] instead of borrowing it from the input.)
pub type ClientOpName = &'static str;

/// The names a `ClientOp` event's `op` may carry.
pub const CLIENT_OP_NAMES: [&str; 5] = ["put", "delete", "get", "scan", "batch"];

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
}

/// Appends the hash encoding of one event to `out` (the format is in the module header).
pub fn encode_event(event: &TraceEvent, out: &mut Vec<u8>) {
    let mut w = Encoder(out);
    w.u64(event.seq);
    w.time(event.at);
    w.u8(event.kind.tag());
    match &event.kind {
        EventKind::Request(r) => {
            w.u8(r.op.tag());
            w.str(&r.key);
            w.u64(r.bytes);
            w.u8(r.cause.tag());
            w.time(r.start);
            w.time(r.end);
            w.u8(r.outcome.tag());
            w.u64(r.cost_picousd);
            w.bool(r.applied_despite_error);
        }
        EventKind::FaultInjected { fault, key } => {
            w.u8(fault.tag());
            w.str(key);
        }
        EventKind::WalFlushed {
            wal_id,
            bytes,
            entries,
        } => {
            w.u64(*wal_id);
            w.u64(*bytes);
            w.u64(*entries);
        }
        EventKind::MemtableFrozen { memtable_id, bytes } => {
            w.u64(*memtable_id);
            w.u64(*bytes);
        }
        EventKind::FlushStarted { memtable_id } => w.u64(*memtable_id),
        EventKind::FlushFinished {
            memtable_id,
            sst_id,
            bytes,
        } => {
            w.u64(*memtable_id);
            w.u64(*sst_id);
            w.u64(*bytes);
        }
        EventKind::CompactionStarted {
            job_id,
            input_ssts,
            input_bytes,
        } => {
            w.u64(*job_id);
            w.u64(*input_ssts);
            w.u64(*input_bytes);
        }
        EventKind::CompactionFinished {
            job_id,
            output_ssts,
            output_bytes,
        } => {
            w.u64(*job_id);
            w.u64(*output_ssts);
            w.u64(*output_bytes);
        }
        EventKind::ManifestWritten {
            manifest_id,
            writer_epoch,
        } => {
            w.u64(*manifest_id);
            w.u64(*writer_epoch);
        }
        EventKind::Fenced { writer_epoch } | EventKind::WriterCrashed { writer_epoch } => {
            w.u64(*writer_epoch);
        }
        EventKind::WriterRecovered {
            writer_epoch,
            replayed_wal_objects,
        } => {
            w.u64(*writer_epoch);
            w.u64(*replayed_wal_objects);
        }
        EventKind::WriteStalled { duration } => w.u64(duration.as_nanos()),
        EventKind::Retried { cause, attempt } => {
            w.u8(cause.tag());
            w.u32(*attempt);
        }
        EventKind::Hedged { key } | EventKind::GcDeleted { key } => w.str(key),
        EventKind::Impression {
            impression_id,
            arm,
            propensity,
        } => {
            w.u64(*impression_id);
            w.u32(*arm);
            w.u64(propensity.to_bits());
        }
        EventKind::Click { impression_id, arm } => {
            w.u64(*impression_id);
            w.u32(*arm);
        }
        EventKind::PolicyUpdated { version } => w.u64(*version),
        EventKind::Checkpointed { version, bytes } => {
            w.u64(*version);
            w.u64(*bytes);
        }
        EventKind::DriftApplied { description } => w.str(description),
        EventKind::ClientOp {
            op,
            bytes,
            start,
            ok,
            durable,
        } => {
            w.str(op);
            w.u64(*bytes);
            w.time(*start);
            w.bool(*ok);
            w.bool(*durable);
        }
        EventKind::DurabilityChecked { keys_checked, lost } => {
            w.u64(*keys_checked);
            w.u64(*lost);
        }
        EventKind::Note { text } => w.str(text),
    }
}

/// Writes the primitive values of [`encode_event`].
struct Encoder<'a>(&'a mut Vec<u8>);

impl Encoder<'_> {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    fn bool(&mut self, value: bool) {
        self.0.push(u8::from(value));
    }

    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn time(&mut self, value: SimTime) {
        self.u64(value.as_nanos());
    }

    /// Length as a `u32`, then the bytes. A string longer than `u32::MAX` bytes cannot reach
    /// the trace (keys and texts are bounded far below), and is cut there if it did.
    fn str(&mut self, value: &str) {
        let bytes = value.as_bytes();
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.u32(len);
        self.0.extend_from_slice(&bytes[..len as usize]);
    }
}

/// How much of the trace is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceConfig {
    /// The most recent events kept for drawing; older ones live on only in the hash and counts.
    pub ring_capacity: usize,
}

/// The hard ceiling on `ring_capacity`, whatever a scenario asks for.
pub const MAX_RING_CAPACITY: usize = 1_000_000;

impl Default for TraceConfig {
    fn default() -> Self {
        TraceConfig {
            ring_capacity: 10_000,
        }
    }
}

/// A function called with every event as it is recorded; metrics subscribe this way so that
/// they see the whole run, not only what the ring retains.
pub type TraceObserver = Box<dyn FnMut(&TraceEvent)>;

/// The trace of one run.
pub struct Trace {
    ring: VecDeque<TraceEvent>,
    ring_capacity: usize,
    next_seq: u64,
    hash: u64,
    counts: [u64; EVENT_KIND_NAMES.len()],
    encode_buffer: Vec<u8>,
    observers: Vec<TraceObserver>,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("events", &self.next_seq)
            .field("retained", &self.ring.len())
            .field("hash", &self.hash_hex())
            .finish()
    }
}

const FNV_OFFSET: u64 = 0xCBF2_9CE4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01B3;

impl Trace {
    pub fn new(config: TraceConfig) -> Self {
        let ring_capacity = config.ring_capacity.clamp(1, MAX_RING_CAPACITY);
        Trace {
            ring: VecDeque::with_capacity(ring_capacity.min(4096)),
            ring_capacity,
            next_seq: 0,
            hash: FNV_OFFSET,
            counts: [0; EVENT_KIND_NAMES.len()],
            encode_buffer: Vec::with_capacity(256),
            observers: Vec::new(),
        }
    }

    /// Records an event at `at`. Returns its sequence number.
    pub fn record(&mut self, at: SimTime, kind: EventKind) -> u64 {
        let event = TraceEvent {
            seq: self.next_seq,
            at,
            kind,
        };
        self.next_seq += 1;
        self.encode_buffer.clear();
        encode_event(&event, &mut self.encode_buffer);
        let mut hash = self.hash;
        for byte in &self.encode_buffer {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
        // Mix between events so that boundaries matter.
        hash ^= 0xFF;
        hash = hash.wrapping_mul(FNV_PRIME);
        self.hash = hash;
        self.counts[usize::from(event.kind.tag())] += 1;
        for observer in &mut self.observers {
            observer(&event);
        }
        if self.ring.len() == self.ring_capacity {
            self.ring.pop_front();
        }
        let seq = event.seq;
        self.ring.push_back(event);
        seq
    }

    /// Calls `observer` with every event recorded from now on.
    pub fn subscribe(&mut self, observer: TraceObserver) {
        self.observers.push(observer);
    }

    /// The hash over every event recorded so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The hash as 16 lowercase hex digits, the form shown in summaries and URLs.
    pub fn hash_hex(&self) -> String {
        format!("{:016x}", self.hash)
    }

    /// How many events the run has recorded (not only those retained).
    pub fn total_events(&self) -> u64 {
        self.next_seq
    }

    /// Counts of the event kinds recorded, by `EventKind::name` (kinds never recorded are
    /// left out).
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        crate::maps::btree_map(
            EVENT_KIND_NAMES
                .iter()
                .zip(self.counts)
                .filter(|(_, count)| *count > 0)
                .map(|(name, count)| (*name, count)),
        )
    }

    /// How many events of `kind` (an `EventKind::name`) were recorded.
    pub fn count(&self, kind: &str) -> u64 {
        EVENT_KIND_NAMES
            .iter()
            .position(|name| *name == kind)
            .map_or(0, |i| self.counts[i])
    }

    /// The retained events, oldest first.
    pub fn retained(&self) -> impl DoubleEndedIterator<Item = &TraceEvent> + ExactSizeIterator {
        self.ring.iter()
    }

    /// Retained events with `seq >= from_seq`, for a reader that polls incrementally.
    pub fn since(&self, from_seq: u64) -> impl Iterator<Item = &TraceEvent> {
        let oldest = self.ring.front().map_or(self.next_seq, |e| e.seq);
        let skip = from_seq.saturating_sub(oldest) as usize;
        self.ring.iter().skip(skip)
    }

    pub fn ring_capacity(&self) -> usize {
        self.ring_capacity
    }
}

impl Default for Trace {
    fn default() -> Self {
        Trace::new(TraceConfig::default())
    }
}

/// A stable 64-bit hash of arbitrary bytes (FNV-1a), exposed for summaries.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    fnv1a64(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn note(text: &str) -> EventKind {
        EventKind::Note {
            text: text.to_string(),
        }
    }

    #[test]
    fn ring_is_bounded_but_hash_and_counts_cover_everything() {
        let mut trace = Trace::new(TraceConfig { ring_capacity: 3 });
        for i in 0..10 {
            trace.record(SimTime::from_millis(i), note("x"));
        }
        assert_eq!(trace.total_events(), 10);
        assert_eq!(trace.retained().len(), 3);
        assert_eq!(trace.retained().next().map(|e| e.seq), Some(7));
        assert_eq!(trace.counts().get("note"), Some(&10));
        assert_eq!(
            trace.since(8).map(|e| e.seq).collect::<Vec<_>>(),
            vec![8, 9]
        );
        assert_eq!(trace.since(0).count(), 3);
        assert_eq!(trace.since(100).count(), 0);
    }

    #[test]
    fn hash_depends_on_content_order_and_time() {
        let run = |events: &[(u64, &str)]| {
            let mut trace = Trace::default();
            for (ms, text) in events {
                trace.record(SimTime::from_millis(*ms), note(text));
            }
            trace.hash_hex()
        };
        let base = run(&[(1, "a"), (2, "b")]);
        assert_eq!(base, run(&[(1, "a"), (2, "b")]));
        assert_ne!(base, run(&[(1, "b"), (2, "a")]));
        assert_ne!(base, run(&[(1, "a"), (3, "b")]));
        assert_ne!(base, run(&[(1, "ab")]));
    }

    /// One event of every kind, in declaration order.
    fn every_kind() -> Vec<EventKind> {
        let key = || "db/k".to_string();
        vec![
            EventKind::Request(RequestRecord {
                op: StoreOp::Put,
                key: key(),
                bytes: 5,
                cause: Cause::Flush,
                start: SimTime::from_nanos(7),
                end: SimTime::from_nanos(9),
                outcome: RequestOutcome::Throttled,
                cost_picousd: 11,
                applied_despite_error: true,
            }),
            EventKind::FaultInjected {
                fault: FaultKind::Slow,
                key: key(),
            },
            EventKind::WalFlushed {
                wal_id: 1,
                bytes: 2,
                entries: 3,
            },
            EventKind::MemtableFrozen {
                memtable_id: 1,
                bytes: 2,
            },
            EventKind::FlushStarted { memtable_id: 1 },
            EventKind::FlushFinished {
                memtable_id: 1,
                sst_id: 2,
                bytes: 3,
            },
            EventKind::CompactionStarted {
                job_id: 1,
                input_ssts: 2,
                input_bytes: 3,
            },
            EventKind::CompactionFinished {
                job_id: 1,
                output_ssts: 2,
                output_bytes: 3,
            },
            EventKind::ManifestWritten {
                manifest_id: 1,
                writer_epoch: 2,
            },
            EventKind::Fenced { writer_epoch: 1 },
            EventKind::WriterCrashed { writer_epoch: 1 },
            EventKind::WriterRecovered {
                writer_epoch: 1,
                replayed_wal_objects: 2,
            },
            EventKind::WriteStalled {
                duration: SimDuration::from_nanos(3),
            },
            EventKind::Retried {
                cause: Cause::Wal,
                attempt: 2,
            },
            EventKind::Hedged { key: key() },
            EventKind::GcDeleted { key: key() },
            EventKind::Impression {
                impression_id: 1,
                arm: 2,
                propensity: 0.25,
            },
            EventKind::Click {
                impression_id: 1,
                arm: 2,
            },
            EventKind::PolicyUpdated { version: 1 },
            EventKind::Checkpointed {
                version: 1,
                bytes: 2,
            },
            EventKind::DriftApplied {
                description: "d".to_string(),
            },
            EventKind::ClientOp {
                op: "get",
                bytes: 1,
                start: SimTime::from_nanos(2),
                ok: true,
                durable: false,
            },
            EventKind::DurabilityChecked {
                keys_checked: 1,
                lost: 0,
            },
            note("n"),
        ]
    }

    #[test]
    fn every_kind_has_its_own_tag_and_the_name_at_that_tag() {
        let kinds = every_kind();
        assert_eq!(kinds.len(), EVENT_KIND_NAMES.len());
        for (i, kind) in kinds.iter().enumerate() {
            assert_eq!(usize::from(kind.tag()), i, "{kind:?}");
            assert_eq!(EVENT_KIND_NAMES[i], kind.name());
        }
        let mut trace = Trace::default();
        for kind in kinds {
            trace.record(SimTime::ZERO, kind);
        }
        assert_eq!(trace.counts().len(), EVENT_KIND_NAMES.len());
        assert!(trace.counts().values().all(|count| *count == 1));
        assert_eq!(trace.count("client_op"), 1);
        assert_eq!(trace.count("no_such_kind"), 0);
    }

    #[test]
    fn the_hash_encoding_is_the_documented_one() {
        let mut out = Vec::new();
        let event = |kind| TraceEvent {
            seq: 2,
            at: SimTime::from_nanos(0x0102),
            kind,
        };
        encode_event(&event(note("ab")), &mut out);
        let mut expected = vec![2, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 23];
        expected.extend_from_slice(&[2, 0, 0, 0, b'a', b'b']);
        assert_eq!(out, expected);

        out.clear();
        encode_event(&event(every_kind().remove(0)), &mut out);
        let mut expected = vec![2, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0];
        expected.push(2); // put
        expected.extend_from_slice(&[4, 0, 0, 0, b'd', b'b', b'/', b'k']);
        expected.extend_from_slice(&5u64.to_le_bytes());
        expected.push(1); // flush
        expected.extend_from_slice(&7u64.to_le_bytes());
        expected.extend_from_slice(&9u64.to_le_bytes());
        expected.push(4); // throttled
        expected.extend_from_slice(&11u64.to_le_bytes());
        expected.push(1);
        assert_eq!(out, expected);

        out.clear();
        let impression = every_kind().remove(16);
        encode_event(&event(impression), &mut out);
        assert_eq!(out[16], 16);
        assert_eq!(&out[17..25], &1u64.to_le_bytes());
        assert_eq!(&out[25..29], &2u32.to_le_bytes());
        assert_eq!(&out[29..], &0.25f64.to_bits().to_le_bytes());
    }

    #[test]
    fn the_hash_of_a_fixed_run_is_golden() {
        // One event of every kind; the same on every target. A change to the encoding changes
        // it, and with it every golden trace hash.
        let mut trace = Trace::default();
        for (i, kind) in every_kind().into_iter().enumerate() {
            trace.record(SimTime::from_nanos(i as u64 * 1000), kind);
        }
        assert_eq!(trace.hash_hex(), "362c52c5c9f356c0");
    }

    #[test]
    fn client_op_names_read_back_and_unknown_ones_are_refused() {
        let event = TraceEvent {
            seq: 0,
            at: SimTime::ZERO,
            kind: every_kind().remove(21),
        };
        let json = serde_json::to_string(&event).unwrap();
        assert!(json.contains(r#""op":"get""#), "{json}");
        let back: TraceEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event);
        let error = serde_json::from_str::<TraceEvent>(&json.replace(r#""get""#, r#""fly""#))
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown client operation `fly`"), "{error}");
    }

    #[test]
    fn observers_see_every_event() {
        use std::cell::Cell;
        use std::rc::Rc;
        let seen = Rc::new(Cell::new(0u32));
        let mut trace = Trace::new(TraceConfig { ring_capacity: 1 });
        let counter = seen.clone();
        trace.subscribe(Box::new(move |_| counter.set(counter.get() + 1)));
        for i in 0..5 {
            trace.record(SimTime::from_nanos(i), note("y"));
        }
        assert_eq!(seen.get(), 5);
    }
}
