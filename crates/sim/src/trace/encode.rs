//! The trace hash's encoding of one event: fixed, hand-written, the same on every target (the
//! format is in the [`super`] module's documentation).

use super::event::{EventKind, TraceEvent};
use crate::rng::{fnv1a64_fold, fnv1a64_step};
use crate::time::SimTime;

/// Appends the hash encoding of one event to `out` (the format is in the module header).
pub fn encode_event(event: &TraceEvent, out: &mut Vec<u8>) {
    encode_into(event, &mut Encoder(out));
}

/// Folds the hash encoding of one event into the FNV-1a state `hash` as it is written, with
/// no buffer between: the same result as [`encode_event`] followed by FNV-1a over its bytes.
pub(super) fn hash_event(event: &TraceEvent, hash: u64) -> u64 {
    let mut w = Fnv(hash);
    encode_into(event, &mut w);
    w.0
}

/// Where [`encode_into`] writes an encoding's bytes.
trait Sink {
    fn bytes<const N: usize>(&mut self, bytes: [u8; N]);
    fn slice(&mut self, bytes: &[u8]);
}

/// Writes the encoding into a byte vector.
struct Encoder<'a>(&'a mut Vec<u8>);

impl Sink for Encoder<'_> {
    #[inline]
    fn bytes<const N: usize>(&mut self, bytes: [u8; N]) {
        self.0.extend_from_slice(&bytes);
    }
    #[inline]
    fn slice(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Folds the encoding into an FNV-1a hash. A fixed-width value's bytes come from registers,
/// so the hash costs a xor and a multiply a byte and nothing is stored.
struct Fnv(u64);

impl Sink for Fnv {
    /// On wasm32 an index loop rather than the array's by-value iterator: built for size (the
    /// page's wasm), that iterator's `next` stays a call per byte, about 7 % of the lab's run
    /// in node (docs/benchmarks.md). Natively the iterator is fully inlined and measured 3.5 M
    /// instructions fewer than the index loop over the reference run, so it stays.
    #[inline]
    fn bytes<const N: usize>(&mut self, bytes: [u8; N]) {
        #[cfg(target_arch = "wasm32")]
        {
            let mut index = 0;
            while index < N {
                self.0 = fnv1a64_step(self.0, bytes[index]);
                index += 1;
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        for byte in bytes {
            self.0 = fnv1a64_step(self.0, byte);
        }
    }
    #[inline]
    fn slice(&mut self, bytes: &[u8]) {
        self.0 = fnv1a64_fold(self.0, bytes);
    }
}

/// Writes the hash encoding of one event to `w` (the format is in the module header).
fn encode_into(event: &TraceEvent, w: &mut impl Sink) {
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
        // The sequence numbers are causal links, left out of the hash.
        EventKind::WalFlushed {
            wal_id,
            bytes,
            entries,
            ..
        } => {
            w.u64(*wal_id);
            w.u64(*bytes);
            w.u64(*entries);
        }
        EventKind::MemtableFrozen { memtable_id, bytes } => {
            w.u64(*memtable_id);
            w.u64(*bytes);
        }
        EventKind::FlushStarted { memtable_id, .. } => w.u64(*memtable_id),
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
            ..
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
        EventKind::ExpiredDropped {
            job_id,
            entries,
            bytes,
        } => {
            w.u64(*job_id);
            w.u64(*entries);
            w.u64(*bytes);
        }
    }
}

/// The primitive values of the encoding, written to any [`Sink`].
trait Write: Sink {
    #[inline]
    fn u8(&mut self, value: u8) {
        self.bytes([value]);
    }

    #[inline]
    fn bool(&mut self, value: bool) {
        self.bytes([u8::from(value)]);
    }

    #[inline]
    fn u32(&mut self, value: u32) {
        self.bytes(value.to_le_bytes());
    }

    #[inline]
    fn u64(&mut self, value: u64) {
        self.bytes(value.to_le_bytes());
    }

    #[inline]
    fn time(&mut self, value: SimTime) {
        self.u64(value.as_nanos());
    }

    /// Length as a `u32`, then the bytes. A string longer than `u32::MAX` bytes cannot reach
    /// the trace (keys and texts are bounded far below), and is cut there if it did.
    fn str(&mut self, value: &str) {
        let bytes = value.as_bytes();
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.u32(len);
        self.slice(&bytes[..len as usize]);
    }
}

impl<S: Sink> Write for S {}
