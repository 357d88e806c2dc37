//! The WAL and the sequence watermarks: which writes were numbered, acknowledged and made
//! durable, the buffer of writes not yet sealed, the one sealed object in flight, and the
//! durable WAL objects not yet obsolete.
//!
//! `WalLog` owns these transitions, and each asserts what it must keep true:
//! `durable ≤ acknowledged < next` (a write is numbered before it is acknowledged, and
//! acknowledged before it is durable); the durable watermark and the next WAL id only move
//! forward; the object in flight carries an id already allocated and writes already
//! acknowledged; durable WAL objects are listed once each, in ascending id order, below the
//! next id. The manifest's side of the watermarks (`last_flushed ≤ durable`) is checked by
//! `State`, which sees both.

use super::super::invariants::{self, CHECKED};
use crate::format::wal::{SealedWal, WalBuffer};
use crate::policy::{self, WalObjectView};
use std::collections::VecDeque;
use strata_sim::SimTime;

/// Why an await-durable write failed: recorded when a WAL upload gives up.
#[derive(Clone, Debug)]
pub(crate) struct WalFailure {
    /// Increments with each failure, so a waiter only reacts to failures after it started.
    pub generation: u64,
    /// The failed object covered writes up to here.
    pub through_seq: u64,
    pub reason: String,
}

/// The write-ahead log's in-memory side and the sequence watermarks.
pub(crate) struct WalLog {
    next_seq: u64,
    acknowledged_seq: u64,
    durable_seq: u64,
    buffer: WalBuffer,
    /// A sealed WAL object not yet confirmed durable; retried with the same id and bytes.
    pending: Option<SealedWal>,
    next_wal_id: u64,
    last_upload: SimTime,
    /// When this writer last proved its epoch the newest: the issue time of its latest
    /// successful manifest create, or of a manifest read whose newest manifest carried its
    /// epoch. No newer writer had committed before this instant, so nothing a newer writer
    /// wrote can have been garbage-collected before `epoch_proven_at + gc_min_age`. The WAL
    /// uploader's lease (`wal::within_epoch_lease`) is measured from here.
    epoch_proven_at: SimTime,
    /// Durable WAL objects not yet obsolete, oldest first. Bounded: objects leave when the
    /// memtable holding their writes is flushed, and memtables are bounded.
    objects: VecDeque<WalObjectView>,
    failure: Option<WalFailure>,
    failure_generation: u64,
}

impl WalLog {
    /// A log with everything up to `flushed_seq` durable (in SSTs), whose next object id is
    /// the manifest's replay position.
    pub(crate) fn new(
        flushed_seq: u64,
        wal_replay_from: u64,
        now: SimTime,
        epoch_proven_at: SimTime,
    ) -> WalLog {
        let log = WalLog {
            next_seq: flushed_seq + 1,
            acknowledged_seq: flushed_seq,
            durable_seq: flushed_seq,
            buffer: WalBuffer::new(),
            pending: None,
            next_wal_id: wal_replay_from,
            last_upload: now,
            epoch_proven_at,
            objects: VecDeque::new(),
            failure: None,
            failure_generation: 0,
        };
        log.check();
        log
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub(crate) fn acknowledged_seq(&self) -> u64 {
        self.acknowledged_seq
    }

    pub(crate) fn durable_seq(&self) -> u64 {
        self.durable_seq
    }

    pub(crate) fn next_wal_id(&self) -> u64 {
        self.next_wal_id
    }

    pub(crate) fn last_upload(&self) -> SimTime {
        self.last_upload
    }

    pub(crate) fn epoch_proven_at(&self) -> SimTime {
        self.epoch_proven_at
    }

    pub(crate) fn buffer_records(&self) -> u32 {
        self.buffer.records()
    }

    pub(crate) fn buffer_bytes(&self) -> usize {
        self.buffer.record_bytes()
    }

    /// The id of the sealed object in flight, if any.
    pub(crate) fn pending_wal_id(&self) -> Option<u64> {
        self.pending.as_ref().map(|sealed| sealed.wal_id)
    }

    /// Durable WAL objects not yet obsolete, oldest first.
    pub(crate) fn objects(&self) -> &VecDeque<WalObjectView> {
        &self.objects
    }

    pub(crate) fn failure_generation(&self) -> u64 {
        self.failure_generation
    }

    pub(crate) fn failure(&self) -> Option<&WalFailure> {
        self.failure.as_ref()
    }

    /// Numbers one put or delete, buffers it, and acknowledges it. Returns its sequence
    /// number.
    #[inline]
    pub(crate) fn append_single(&mut self, key: &[u8], value: Option<&[u8]>) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.buffer.append_single(seq, key, value);
        self.acknowledge(seq)
    }

    /// Numbers a batch (one sequence number for all its entries), buffers it, and
    /// acknowledges it. Returns its sequence number.
    pub(crate) fn append_batch<'a>(
        &mut self,
        entries: impl ExactSizeIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
    ) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.buffer.append_batch(seq, entries);
        self.acknowledge(seq)
    }

    /// Numbers a write with an expiry or range deletes (an extended WAL record), buffers
    /// it, and acknowledges it. Returns its sequence number.
    pub(crate) fn append_record<'a>(
        &mut self,
        expires_at_ns: u64,
        entries: impl ExactSizeIterator<Item = (&'a [u8], Option<&'a [u8]>)>,
        ranges: impl ExactSizeIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.buffer
            .append_record(seq, expires_at_ns, entries, ranges);
        self.acknowledge(seq)
    }

    #[inline]
    fn acknowledge(&mut self, seq: u64) -> u64 {
        if CHECKED {
            assert!(
                seq > self.acknowledged_seq,
                "invariant: a write is acknowledged after every earlier one ({seq} after {})",
                self.acknowledged_seq
            );
        }
        self.acknowledged_seq = seq;
        self.check_watermarks();
        seq
    }

    /// Seals the buffer into the next WAL object unless one is already in flight, and
    /// returns the object to upload (`None` when there is nothing to upload). The object in
    /// flight keeps its id and bytes until it lands.
    pub(crate) fn begin_upload(&mut self, writer_epoch: u64, now: SimTime) -> Option<SealedWal> {
        if self.pending.is_none() {
            if self.buffer.is_empty() {
                return None;
            }
            let wal_id = self.next_wal_id;
            self.next_wal_id += 1;
            let sealed = self.buffer.seal(writer_epoch, wal_id);
            if CHECKED {
                assert!(
                    sealed.last_seq <= self.acknowledged_seq && sealed.last_seq > self.durable_seq,
                    "invariant: WAL object {wal_id} holds writes up to {}, not acknowledged-but-not-durable ({}, {}]",
                    sealed.last_seq,
                    self.durable_seq,
                    self.acknowledged_seq
                );
                assert!(
                    self.objects.back().is_none_or(|last| last.wal_id < wal_id),
                    "invariant: WAL object {wal_id} is sealed under an id already durable"
                );
            }
            self.pending = Some(sealed);
        }
        self.last_upload = now;
        self.pending.clone()
    }

    /// The object in flight landed: its writes are durable, and it joins the live objects.
    pub(crate) fn upload_landed(&mut self, sealed: &SealedWal) {
        if CHECKED {
            assert_eq!(
                self.pending_wal_id(),
                Some(sealed.wal_id),
                "invariant: only the WAL object in flight lands"
            );
        }
        self.pending = None;
        self.durable_seq = self.durable_seq.max(sealed.last_seq);
        self.push_object(WalObjectView {
            wal_id: sealed.wal_id,
            last_seq: sealed.last_seq,
        });
        self.check();
    }

    /// The id of the object in flight holds an older writer's empty fence (an open that lost
    /// the takeover race to us put it there late): the same writes move to the next id.
    pub(crate) fn move_pending_past_taken_id(&mut self) {
        let wal_id = self.next_wal_id;
        let pending = self
            .pending
            .as_mut()
            .expect("invariant: only the WAL object in flight moves past a taken id");
        assert!(
            pending.wal_id < wal_id,
            "invariant: a WAL object moves only to a later id"
        );
        *pending = pending.with_id(wal_id);
        self.next_wal_id += 1;
        self.check();
    }

    /// The object in flight could not be uploaded; await-durable writes it covers fail.
    pub(crate) fn upload_failed(&mut self, through_seq: u64, reason: String) {
        self.failure_generation += 1;
        self.failure = Some(WalFailure {
            generation: self.failure_generation,
            through_seq,
            reason,
        });
    }

    /// Records that this writer's epoch was the newest at `at` (see `epoch_proven_at`).
    pub(crate) fn prove_epoch(&mut self, at: SimTime) {
        self.epoch_proven_at = self.epoch_proven_at.max(at);
    }

    /// The first WAL id replay must start from once every write up to `flushed_seq` is in
    /// SSTs (see `policy::wal_replay_from`).
    pub(crate) fn replay_from_after_flush(&self, flushed_seq: u64) -> u64 {
        let objects: Vec<_> = self.objects.iter().copied().collect();
        policy::wal_replay_from(
            &objects,
            self.pending_wal_id(),
            self.next_wal_id,
            flushed_seq,
        )
    }

    /// Forgets the WAL objects a committed manifest made obsolete (ids below its replay
    /// position).
    pub(crate) fn retire_objects_below(&mut self, replay_from: u64) {
        self.objects.retain(|object| object.wal_id >= replay_from);
    }

    /// Recovery: a WAL object at or after the replay position is durable (replayed, or a
    /// fence this writer created), so no later object of ours may take its id or one below.
    pub(crate) fn replayed_object(&mut self, wal_id: u64, last_seq: u64) {
        self.push_object(WalObjectView { wal_id, last_seq });
        self.next_wal_id = self.next_wal_id.max(wal_id + 1);
    }

    /// Recovery: a replayed record with sequence number `seq` is acknowledged and durable.
    pub(crate) fn replayed_record(&mut self, seq: u64) {
        if CHECKED {
            assert!(
                seq > self.acknowledged_seq,
                "invariant: replay applies each record once, in order ({seq} after {})",
                self.acknowledged_seq
            );
        }
        self.acknowledged_seq = seq;
        self.durable_seq = seq;
        self.next_seq = seq + 1;
        self.check_watermarks();
    }

    /// Recovery is over: this writer's next WAL object goes after its fence at `fence_id`,
    /// the newest durable object.
    pub(crate) fn finish_replay(&mut self, fence_id: u64) {
        if CHECKED {
            assert_eq!(
                self.objects.back().map(|object| object.wal_id),
                Some(fence_id),
                "invariant: the fence is the newest durable WAL object at open"
            );
        }
        self.next_wal_id = fence_id + 1;
        self.check();
    }

    /// A read replica caught up to `seq`: everything up to it is durable in the store.
    pub(crate) fn follow(&mut self, seq: u64) {
        if CHECKED {
            assert!(
                seq >= self.acknowledged_seq,
                "invariant: a replica's view never goes back ({seq} after {})",
                self.acknowledged_seq
            );
        }
        self.acknowledged_seq = seq;
        self.durable_seq = seq;
        self.next_seq = seq + 1;
        self.check_watermarks();
    }

    fn push_object(&mut self, object: WalObjectView) {
        if CHECKED {
            assert!(
                self.objects
                    .back()
                    .is_none_or(|last| last.wal_id < object.wal_id),
                "invariant: durable WAL ids ascend oldest first ({} after {:?})",
                object.wal_id,
                self.objects.back().map(|last| last.wal_id)
            );
        }
        self.objects.push_back(object);
    }

    #[inline]
    fn check_watermarks(&self) {
        // `last_flushed ≤ durable` is the manifest's side, checked by `State`; 0 stands for
        // "nothing flushed", which every durable watermark is at least.
        invariants::check_watermarks(0, self.durable_seq, self.acknowledged_seq, self.next_seq);
    }

    /// Asserts every invariant of the log (see the module header).
    pub(crate) fn check(&self) {
        if !CHECKED {
            return;
        }
        self.check_watermarks();
        // Each push asserts that ids ascend and retiring keeps their order, so the newest
        // object bounds them all: checking it alone keeps a WAL upload O(1) however many
        // objects are live.
        invariants::check_wal_objects(
            self.objects.back().map(|object| object.wal_id).into_iter(),
            self.pending_wal_id(),
            self.next_wal_id,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn log() -> WalLog {
        WalLog::new(0, 1, SimTime::ZERO, SimTime::ZERO)
    }

    #[test]
    fn a_write_is_acknowledged_then_durable_once_its_object_lands() {
        let mut log = log();
        let seq = log.append_single(b"k", Some(b"v"));
        assert_eq!((seq, log.acknowledged_seq(), log.durable_seq()), (1, 1, 0));
        let sealed = log
            .begin_upload(1, SimTime::ZERO)
            .expect("a write is buffered");
        assert_eq!(log.pending_wal_id(), Some(1));
        log.upload_landed(&sealed);
        assert_eq!((log.durable_seq(), log.next_wal_id()), (1, 2));
        assert!(log.begin_upload(1, SimTime::ZERO).is_none());
    }

    #[test]
    #[should_panic(expected = "invariant: only the WAL object in flight lands")]
    fn an_object_landing_twice_fires() {
        let mut log = log();
        log.append_single(b"k", None);
        let sealed = log
            .begin_upload(1, SimTime::ZERO)
            .expect("a write is buffered");
        log.upload_landed(&sealed);
        log.upload_landed(&sealed);
    }

    #[test]
    #[should_panic(expected = "invariant: replay applies each record once, in order (2 after 3)")]
    fn replaying_an_older_record_fires() {
        let mut log = log();
        log.replayed_record(3);
        log.replayed_record(2);
    }

    #[test]
    #[should_panic(expected = "invariant: durable WAL ids ascend oldest first (4 after Some(5))")]
    fn replaying_objects_out_of_order_fires() {
        let mut log = log();
        log.replayed_object(5, 0);
        log.replayed_object(4, 0);
    }

    #[test]
    #[should_panic(expected = "invariant: the fence is the newest durable WAL object at open")]
    fn a_fence_below_a_replayed_object_fires() {
        let mut log = log();
        log.replayed_object(3, 0);
        log.replayed_object(4, 7);
        log.finish_replay(3);
    }

    #[test]
    #[should_panic(expected = "invariant: a replica's view never goes back (4 after 5)")]
    fn a_replica_going_back_fires() {
        let mut log = log();
        log.follow(5);
        log.follow(4);
    }
}
