//! The trace: typed events stamped with simulated time, a bounded ring of recent ones, running
//! counts, and a stable hash over every event of the run.
//!
//! The trace is the single source for the UI, the metrics and the CLI summary, so they always
//! agree. Retention is bounded (`TraceConfig::ring_capacity`); the hash and the counts cover
//! the whole run regardless. The hash is FNV-1a over each event's JSON encoding, which is
//! stable across targets because every field is an integer, a string, or a float produced by
//! deterministic arithmetic.

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
        op: String,
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

impl EventKind {
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

/// An event with its simulated timestamp and its position in the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// 0 for the first event of the run, then 1, 2, … with no gaps.
    pub seq: u64,
    pub at: SimTime,
    pub kind: EventKind,
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
    counts: BTreeMap<String, u64>,
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
            counts: BTreeMap::new(),
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
        serde_json::to_writer(&mut self.encode_buffer, &event)
            .expect("trace events contain no maps with non-string keys, so encoding cannot fail");
        let mut hash = self.hash;
        for byte in &self.encode_buffer {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
        // Mix between events so that boundaries matter.
        hash ^= 0xFF;
        hash = hash.wrapping_mul(FNV_PRIME);
        self.hash = hash;
        crate::maps::count_one(&mut self.counts, event.kind.name());
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

    /// Counts of every event kind recorded, by `EventKind::name`.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
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
