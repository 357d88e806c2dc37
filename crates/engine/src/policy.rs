//! Flush policy, as pure functions over a snapshot of engine state: when to upload the WAL,
//! when to freeze the memtable, which memtable to flush next, and how a finished flush changes
//! the manifest. No I/O and no clock here, so tests and the UI can call them directly.
//!
//! Vocabulary: `plan(&view) -> Option<FlushTask>` decides; the engine performs the task; then
//! `apply(&mut manifest, &task, &outcome)` records its result. Compaction follows the
//! same shape.

use crate::format::manifest::{Manifest, SstInfo};
use serde::{Deserialize, Serialize};
use strata_sim::{SimDuration, SimTime};

/// What the flush policy looks at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlushView {
    pub now: SimTime,
    pub flush_interval: SimDuration,
    pub max_wal_bytes: usize,
    pub memtable_bytes: usize,
    pub max_immutable_memtables: usize,
    /// Record bytes waiting in the WAL buffer.
    pub wal_buffer_bytes: usize,
    pub wal_buffer_records: u32,
    /// A sealed WAL object not yet confirmed (in flight or waiting for a retry).
    pub wal_upload_pending: bool,
    pub last_wal_upload: SimTime,
    pub active_memtable_bytes: usize,
    /// Frozen memtables, oldest first.
    pub immutable_memtables: Vec<ImmutableView>,
    pub memtable_flush_in_flight: bool,
    pub durable_seq: u64,
}

/// A frozen memtable, as the policy sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImmutableView {
    pub memtable_id: u64,
    pub max_seq: u64,
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlushTask {
    /// Seal the WAL buffer (or retry the pending object) and upload it.
    UploadWal,
    /// Freeze the active memtable.
    FreezeMemtable,
    /// Write the oldest frozen memtable to an L0 SST. Its writes must be durable in the WAL
    /// first, so the engine uploads the WAL up to `max_seq` before it starts.
    FlushMemtable { memtable_id: u64, max_seq: u64 },
}

/// The next task, by priority: freeze a full memtable, upload a due WAL, then flush.
pub fn plan(view: &FlushView) -> Option<FlushTask> {
    plan_memtable(view)
        .filter(|task| *task == FlushTask::FreezeMemtable)
        .or_else(|| plan_wal(view))
        .or_else(|| plan_memtable(view))
}

/// The WAL uploader's decision: upload now, or not yet.
pub fn plan_wal(view: &FlushView) -> Option<FlushTask> {
    wal_upload_due(view).then_some(FlushTask::UploadWal)
}

/// The memtable flusher's decision: freeze a full memtable, or flush the oldest frozen one.
pub fn plan_memtable(view: &FlushView) -> Option<FlushTask> {
    if should_freeze(view.active_memtable_bytes, view.memtable_bytes) {
        return Some(FlushTask::FreezeMemtable);
    }
    if view.memtable_flush_in_flight {
        return None;
    }
    view.immutable_memtables
        .first()
        .map(|oldest| FlushTask::FlushMemtable {
            memtable_id: oldest.memtable_id,
            max_seq: oldest.max_seq,
        })
}

/// True when the active memtable has reached its size limit.
#[inline]
pub fn should_freeze(active_memtable_bytes: usize, memtable_bytes: usize) -> bool {
    active_memtable_bytes >= memtable_bytes
}

/// True when the WAL should be uploaded now: something is waiting and either the interval
/// has passed, the buffer is full, or a pending object needs a retry.
pub fn wal_upload_due(view: &FlushView) -> bool {
    if view.wal_upload_pending {
        return true;
    }
    if view.wal_buffer_records == 0 {
        return false;
    }
    view.wal_buffer_bytes >= view.max_wal_bytes
        || view.now.saturating_since(view.last_wal_upload) >= view.flush_interval
}

/// True when writers must wait for a flush: the frozen memtables are at their bound.
#[inline]
pub fn must_stall(immutable_memtables: usize, max_immutable_memtables: usize) -> bool {
    immutable_memtables >= max_immutable_memtables
}

/// One durable WAL object not yet known to be obsolete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalObjectView {
    pub wal_id: u64,
    /// 0 for an object with no records (a fence).
    pub last_seq: u64,
}

/// The first WAL id replay must start from once everything up to `flushed_seq` is in SSTs:
/// the oldest object still holding a later write, else the pending upload, else the next id.
pub fn wal_replay_from(
    durable_objects: &[WalObjectView],
    pending_wal_id: Option<u64>,
    next_wal_id: u64,
    flushed_seq: u64,
) -> u64 {
    durable_objects
        .iter()
        .find(|object| object.last_seq > flushed_seq)
        .map(|object| object.wal_id)
        .or(pending_wal_id)
        .unwrap_or(next_wal_id)
}

/// What a finished memtable flush produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlushOutcome {
    pub sst: SstInfo,
    /// Every write up to here is now in SSTs.
    pub flushed_seq: u64,
    pub wal_replay_from: u64,
    /// The SST counter the flush used; the manifest's next counter moves past it.
    pub sst_counter: u64,
}

/// Records a flush in the manifest: the SST becomes the newest L0 table and the WAL position
/// moves forward. Idempotent, so that re-applying after a manifest conflict is safe.
pub fn apply(manifest: &mut Manifest, task: &FlushTask, outcome: &FlushOutcome) {
    if let FlushTask::FlushMemtable { max_seq, .. } = task {
        assert!(
            outcome.flushed_seq == *max_seq && outcome.sst.max_seq == *max_seq,
            "invariant: a flush of writes up to seq {max_seq} flushes exactly those (flushed_seq {}, SST max_seq {})",
            outcome.flushed_seq,
            outcome.sst.max_seq
        );
        if !manifest.has_sst(outcome.sst.id) {
            manifest.l0.insert(0, outcome.sst.clone());
        }
        manifest.last_flushed_seq = manifest.last_flushed_seq.max(outcome.flushed_seq);
        manifest.wal_replay_from = manifest.wal_replay_from.max(outcome.wal_replay_from);
        manifest.next_sst_counter = manifest.next_sst_counter.max(outcome.sst_counter + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn view() -> FlushView {
        FlushView {
            now: SimTime::from_millis(1_000),
            flush_interval: SimDuration::from_millis(100),
            max_wal_bytes: 1_000,
            memtable_bytes: 10_000,
            max_immutable_memtables: 2,
            wal_buffer_bytes: 10,
            wal_buffer_records: 1,
            wal_upload_pending: false,
            last_wal_upload: SimTime::from_millis(950),
            active_memtable_bytes: 100,
            immutable_memtables: Vec::new(),
            memtable_flush_in_flight: false,
            durable_seq: 5,
        }
    }

    #[test]
    fn the_wal_is_uploaded_on_the_interval_or_when_full() {
        assert_eq!(
            plan(&view()),
            None,
            "50 ms since the last upload, buffer small"
        );
        let due = FlushView {
            now: SimTime::from_millis(1_050),
            ..view()
        };
        assert_eq!(plan(&due), Some(FlushTask::UploadWal));
        let full = FlushView {
            wal_buffer_bytes: 1_000,
            ..view()
        };
        assert_eq!(plan(&full), Some(FlushTask::UploadWal));
        let empty = FlushView {
            wal_buffer_records: 0,
            wal_buffer_bytes: 0,
            now: SimTime::from_millis(5_000),
            ..view()
        };
        assert_eq!(plan(&empty), None, "nothing to upload");
        let retry = FlushView {
            wal_upload_pending: true,
            ..empty
        };
        assert_eq!(plan(&retry), Some(FlushTask::UploadWal));
    }

    #[test]
    fn a_full_memtable_is_frozen_first_then_the_oldest_is_flushed() {
        let full = FlushView {
            active_memtable_bytes: 10_000,
            ..view()
        };
        assert_eq!(plan(&full), Some(FlushTask::FreezeMemtable));
        let frozen = FlushView {
            immutable_memtables: vec![
                ImmutableView {
                    memtable_id: 3,
                    max_seq: 40,
                },
                ImmutableView {
                    memtable_id: 4,
                    max_seq: 80,
                },
            ],
            ..view()
        };
        assert_eq!(
            plan(&frozen),
            Some(FlushTask::FlushMemtable {
                memtable_id: 3,
                max_seq: 40
            })
        );
        let busy = FlushView {
            memtable_flush_in_flight: true,
            ..frozen.clone()
        };
        assert_eq!(plan(&busy), None);
        assert!(must_stall(frozen.immutable_memtables.len(), 2));
        assert!(!must_stall(1, 2));
    }

    #[test]
    fn replay_starts_at_the_oldest_object_with_unflushed_writes() {
        let objects = [
            WalObjectView {
                wal_id: 4,
                last_seq: 10,
            },
            WalObjectView {
                wal_id: 5,
                last_seq: 0,
            },
            WalObjectView {
                wal_id: 6,
                last_seq: 25,
            },
        ];
        assert_eq!(wal_replay_from(&objects, None, 9, 9), 4);
        assert_eq!(wal_replay_from(&objects, None, 9, 10), 6);
        assert_eq!(wal_replay_from(&objects, Some(7), 9, 30), 7);
        assert_eq!(wal_replay_from(&objects, None, 9, 30), 9);
    }

    #[test]
    fn applying_a_flush_is_idempotent() {
        let sst = SstInfo {
            id: 77,
            size_bytes: 100,
            meta_offset: 50,
            first_key: Bytes::from("a"),
            last_key: Bytes::from("b"),
            entries: 2,
            max_seq: 12,
        };
        let task = FlushTask::FlushMemtable {
            memtable_id: 1,
            max_seq: 12,
        };
        let outcome = FlushOutcome {
            sst,
            flushed_seq: 12,
            wal_replay_from: 3,
            sst_counter: 4,
        };
        let mut manifest = Manifest::empty();
        apply(&mut manifest, &task, &outcome);
        let once = manifest.clone();
        apply(&mut manifest, &task, &outcome);
        assert_eq!(manifest, once);
        assert_eq!(manifest.l0.len(), 1);
        assert_eq!(manifest.last_flushed_seq, 12);
        assert_eq!(manifest.wal_replay_from, 3);
        assert_eq!(manifest.next_sst_counter, 5);
        manifest.check().unwrap();
    }

    #[test]
    #[should_panic(expected = "invariant: a flush of writes up to seq 12 flushes exactly those")]
    fn a_flush_outcome_for_other_writes_fires() {
        let sst = SstInfo {
            id: 7,
            size_bytes: 100,
            meta_offset: 50,
            first_key: Bytes::from("a"),
            last_key: Bytes::from("b"),
            entries: 2,
            max_seq: 11,
        };
        let task = FlushTask::FlushMemtable {
            memtable_id: 1,
            max_seq: 12,
        };
        let outcome = FlushOutcome {
            sst,
            flushed_seq: 12,
            wal_replay_from: 3,
            sst_counter: 4,
        };
        apply(&mut Manifest::empty(), &task, &outcome);
    }
}
