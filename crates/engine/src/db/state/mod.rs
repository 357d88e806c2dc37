//! The engine's mutable state, split by concern, each part a type that owns its transitions
//! and asserts its invariants where it changes them:
//!
//! - `wal_log`: the WAL buffer, the object in flight, the durable WAL objects, and the
//!   sequence watermarks (`durable ≤ acknowledged < next`);
//! - `memtables`: the active memtable and the frozen ones, oldest first;
//! - `version_set`: the manifest (SSTs, levels, retired list), the SST sets readers hold,
//!   uploads in flight and quarantined SSTs;
//! - `snapshots`: open snapshots and scans and the sequence numbers they pin.
//!
//! `State` holds the parts and the handle's lifecycle (status, epoch, counters). A
//! transition that spans parts (a write: WAL then memtable; a flush: memtable out, SST in,
//! WAL objects retired) is a method here, which then checks what holds between parts:
//! `last_flushed ≤ durable`, no memtable above the acknowledged watermark, no snapshot
//! above it. The checks themselves live in `db::invariants`.

mod memtables;
mod snapshots;
mod version_set;
mod wal_log;

pub(crate) use memtables::Memtables;
pub(crate) use snapshots::Snapshots;
pub(crate) use version_set::VersionSet;
pub(crate) use wal_log::WalLog;

use super::invariants::{self, CHECKED};
use super::read::{ReadView, Version};
use crate::batch::WriteBatch;
use crate::error::{Error, Result};
use crate::format::manifest::Manifest;
use crate::format::sst::SstMeta;
use crate::format::wal::{SealedWal, WalRecord};
use crate::memtable::{Memtable, Prune};
use crate::options::Durability;
use crate::state::{Counters, DbStatus};
use bytes::Bytes;
use std::cell::RefCell;
use std::rc::Rc;
use strata_sim::{EventKind, RuntimeRef, SimTime};

/// The mutable part of the engine.
pub(crate) struct State {
    status: DbStatus,
    /// The epoch that fenced us, once fenced.
    fenced_by_epoch: u64,
    writer_epoch: u64,
    wal: WalLog,
    memtables: Memtables,
    versions: VersionSet,
    snapshots: Snapshots,
    /// Running totals: plain tallies, which nothing else depends on.
    pub counters: Counters,
    /// The id of the next compaction job (for trace events).
    next_compaction_job: u64,
    /// When this handle opened, for the per-hour cost rates.
    opened_at: SimTime,
}

impl State {
    /// A freshly opened handle's state over `manifest`: nothing in memory, everything up to
    /// the manifest's flushed sequence durable, and the writer's epoch proven at
    /// `epoch_proven_at`.
    pub(crate) fn open(manifest: Manifest, now: SimTime, epoch_proven_at: SimTime) -> State {
        let state = State {
            status: DbStatus::Open,
            fenced_by_epoch: 0,
            writer_epoch: manifest.writer_epoch,
            wal: WalLog::new(
                manifest.last_flushed_seq,
                manifest.wal_replay_from,
                now,
                epoch_proven_at,
            ),
            memtables: Memtables::new(),
            versions: VersionSet::new(manifest),
            snapshots: Snapshots::new(),
            counters: Counters::default(),
            next_compaction_job: 1,
            opened_at: now,
        };
        state.check_invariants();
        state
    }

    /// `open` for a handle whose epoch is proven now (a read replica).
    pub(crate) fn from_manifest(manifest: Manifest, now: SimTime) -> State {
        State::open(manifest, now, now)
    }

    pub(crate) fn status(&self) -> DbStatus {
        self.status
    }

    pub(crate) fn writer_epoch(&self) -> u64 {
        self.writer_epoch
    }

    pub(crate) fn wal(&self) -> &WalLog {
        &self.wal
    }

    pub(crate) fn memtables(&self) -> &Memtables {
        &self.memtables
    }

    pub(crate) fn versions(&self) -> &VersionSet {
        &self.versions
    }

    pub(crate) fn manifest(&self) -> &Manifest {
        self.versions.manifest()
    }

    pub(crate) fn snapshots(&self) -> &Snapshots {
        &self.snapshots
    }

    pub(crate) fn opened_at(&self) -> SimTime {
        self.opened_at
    }

    /// Asserts the invariants of the watermarks, the memtables, the uploads in flight and
    /// the open snapshots; called after each transition that changes them.
    pub(crate) fn check_invariants(&self) {
        if !CHECKED {
            return;
        }
        let acknowledged_seq = self.wal.acknowledged_seq();
        invariants::check_watermarks(
            self.manifest().last_flushed_seq,
            self.wal.durable_seq(),
            acknowledged_seq,
            self.wal.next_seq(),
        );
        self.wal.check();
        self.memtables.check(acknowledged_seq);
        self.versions.check();
        self.snapshots.check(acknowledged_seq);
    }

    // Lifecycle.

    /// The error for a handle that may not proceed, if any.
    pub fn status_error(&self) -> Option<Error> {
        match self.status {
            DbStatus::Open => None,
            DbStatus::Fenced => Some(Error::Fenced {
                writer_epoch: self.writer_epoch,
                current_epoch: self.fenced_by_epoch,
            }),
            DbStatus::Closed => Some(Error::Closed),
            DbStatus::Crashed => Some(Error::Crashed),
        }
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        match self.status_error() {
            None => Ok(()),
            Some(error) => Err(error),
        }
    }

    /// Fails for a handle that was closed or crashed (a fenced one may still read).
    pub(crate) fn check_readable(&self) -> Result<()> {
        match self.status {
            DbStatus::Closed | DbStatus::Crashed => {
                Err(self.status_error().expect("status is terminal"))
            }
            DbStatus::Open | DbStatus::Fenced => Ok(()),
        }
    }

    /// An open handle learns that `current_epoch` fenced it. Returns whether it was open.
    pub(crate) fn fence(&mut self, current_epoch: u64) -> bool {
        if self.status != DbStatus::Open {
            return false;
        }
        assert!(
            current_epoch > self.writer_epoch,
            "invariant: only a newer epoch fences writer epoch {} (got {current_epoch})",
            self.writer_epoch
        );
        self.status = DbStatus::Fenced;
        self.fenced_by_epoch = current_epoch;
        true
    }

    /// Sets a terminal status (`Closed` or `Crashed`) on a live handle. Returns whether it
    /// was live (open or fenced).
    pub(crate) fn shut_down(&mut self, status: DbStatus) -> bool {
        assert!(
            matches!(status, DbStatus::Closed | DbStatus::Crashed),
            "invariant: a handle shuts down to a terminal status, not {status:?}"
        );
        if !matches!(self.status, DbStatus::Open | DbStatus::Fenced) {
            return false;
        }
        self.status = status;
        true
    }

    // The write path.

    #[inline]
    fn prune_rule(&self) -> Prune {
        if self.snapshots.is_empty() {
            Prune::AboveDurable(self.wal.durable_seq())
        } else {
            Prune::KeepAll
        }
    }

    /// Applies one put or delete in memory: numbered, buffered in the WAL, inserted in the
    /// active memtable, acknowledged. Returns its sequence number and the active memtable's
    /// size after.
    #[inline]
    pub(crate) fn apply_single(&mut self, key: &[u8], value: Option<&[u8]>) -> (u64, usize) {
        let seq = self.wal.append_single(key, value);
        self.counters.user_bytes_written += (key.len() + value.map_or(0, <[u8]>::len)) as u64;
        let (key, value) = self.memtables.copy_into_arena(key, value);
        if value.is_some() {
            self.counters.puts += 1;
        } else {
            self.counters.deletes += 1;
        }
        let prune = self.prune_rule();
        let active_bytes = self
            .memtables
            .insert(seq, std::iter::once((key, value)), prune);
        (seq, active_bytes)
    }

    /// Applies every write of `batch` in memory under one sequence number, its values
    /// expiring at `expires_at_ns` (0: never). Returns the sequence number and the active
    /// memtable's size after. `single` counts a lone put or range delete as itself rather
    /// than as a batch.
    pub(crate) fn apply_batch(
        &mut self,
        batch: &WriteBatch,
        expires_at_ns: u64,
        single: bool,
    ) -> (u64, usize) {
        let entries = batch
            .entries
            .iter()
            .map(|(key, value)| (key.as_ref(), value.as_deref()));
        let seq = if expires_at_ns == 0 && batch.ranges.is_empty() {
            self.wal.append_batch(entries)
        } else {
            let ranges = batch
                .ranges
                .iter()
                .map(|(start, end)| (start.as_ref(), end.as_ref()));
            self.wal.append_record(expires_at_ns, entries, ranges)
        };
        let prune = self.prune_rule();
        let mut active_bytes = self.memtables.insert_expiring(
            seq,
            expires_at_ns,
            batch
                .entries
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
            prune,
        );
        if !batch.ranges.is_empty() {
            active_bytes = self
                .memtables
                .insert_range_tombstones(seq, batch.ranges.iter());
        }
        self.counters.range_deletes += batch.ranges.len() as u64;
        if single {
            self.counters.puts += batch.entries.len() as u64;
        } else {
            self.counters.batches += 1;
        }
        self.counters.user_bytes_written += batch
            .ranges
            .iter()
            .map(|(start, end)| (start.len() + end.len()) as u64)
            .sum::<u64>();
        self.counters.user_bytes_written += batch
            .entries
            .iter()
            .map(|(key, value)| (key.len() + value.as_ref().map_or(0, Bytes::len)) as u64)
            .sum::<u64>();
        (seq, active_bytes)
    }

    /// Freezes the active memtable (if it holds anything). Returns true if it did.
    pub(crate) fn freeze_active(&mut self, runtime: &RuntimeRef) -> bool {
        let Some((memtable_id, bytes)) = self.memtables.freeze() else {
            return false;
        };
        self.counters.memtables_frozen += 1;
        runtime.record(EventKind::MemtableFrozen { memtable_id, bytes });
        self.check_invariants();
        true
    }

    // The WAL uploader.

    /// The WAL object to upload now (sealing the buffer unless one is in flight), or `None`.
    pub(crate) fn begin_wal_upload(&mut self, now: SimTime) -> Option<SealedWal> {
        self.wal.begin_upload(self.writer_epoch, now)
    }

    /// The WAL object in flight landed: its writes are durable.
    pub(crate) fn wal_upload_landed(&mut self, sealed: &SealedWal) {
        self.wal.upload_landed(sealed);
        self.check_invariants();
        self.counters.wal_uploads += 1;
        self.counters.wal_bytes_uploaded += sealed.bytes.len() as u64;
    }

    /// The WAL object in flight moves past an id an older writer's fence holds.
    pub(crate) fn wal_upload_moved(&mut self) {
        self.wal.move_pending_past_taken_id();
        self.check_invariants();
    }

    /// The WAL object in flight failed to upload (not for fencing).
    pub(crate) fn wal_upload_failed(&mut self, sealed: &SealedWal, reason: String) {
        self.wal.upload_failed(sealed.last_seq, reason);
        self.counters.wal_upload_failures += 1;
    }

    /// Records that this writer's epoch was the newest at `at`.
    pub(crate) fn prove_epoch(&mut self, at: SimTime) {
        self.wal.prove_epoch(at);
    }

    // Flushes, compactions and the manifest.

    /// Marks the oldest frozen memtable as being flushed and returns it.
    pub(crate) fn begin_flush(&mut self) -> Option<Rc<RefCell<Memtable>>> {
        self.memtables.begin_flush()
    }

    /// The flush that began last is over (committed or abandoned).
    pub(crate) fn end_flush(&mut self) {
        self.memtables.end_flush();
    }

    /// Reserves an SST id for an upload (see `VersionSet::begin_upload`).
    pub(crate) fn begin_sst_upload(&mut self) -> (u64, u64) {
        self.versions.begin_upload(self.writer_epoch)
    }

    /// The upload of SST `id` is over: committed or abandoned.
    pub(crate) fn end_sst_upload(&mut self, id: u64) {
        self.versions.end_upload(id);
    }

    /// Installs a manifest this writer just committed; the SSTs in `committed` stop being
    /// uploads in the same step.
    pub(crate) fn commit_manifest(&mut self, next: Manifest, committed: &[u64]) {
        self.versions.commit(next, committed);
        self.check_invariants();
    }

    /// A committed flush takes effect: memtable `memtable_id` leaves the read path for SST
    /// `sst_id` (whose metadata is `meta`, `bytes` long), and the WAL objects the manifest
    /// made obsolete are forgotten.
    pub(crate) fn finish_flush(
        &mut self,
        memtable_id: u64,
        sst_id: u64,
        meta: SstMeta,
        bytes: u64,
    ) {
        self.memtables.retire_flushed(memtable_id);
        self.versions.install_manifest();
        self.versions.set_meta(sst_id, meta);
        let replay_from = self.manifest().wal_replay_from;
        self.wal.retire_objects_below(replay_from);
        self.counters.ssts_written += 1;
        self.counters.sst_bytes_written += bytes;
        self.check_invariants();
    }

    /// A committed compaction takes effect: readers use its outputs, whose metadata is
    /// handed over where it decoded.
    pub(crate) fn finish_compaction(&mut self, metas: impl IntoIterator<Item = (u64, SstMeta)>) {
        self.versions.install_manifest();
        for (id, meta) in metas {
            self.versions.set_meta(id, meta);
        }
        self.counters.compactions += 1;
    }

    /// Takes a corrupt SST out of compaction planning.
    pub(crate) fn quarantine(&mut self, id: u64) {
        self.versions.quarantine(id);
        self.counters.compaction_corrupt_inputs += 1;
    }

    /// The id of a new compaction job.
    pub(crate) fn next_compaction_job(&mut self) -> u64 {
        let job_id = self.next_compaction_job;
        self.next_compaction_job += 1;
        job_id
    }

    // Recovery and replicas.

    /// Recovery: WAL object `wal_id`, holding writes up to `last_seq` (0 for a fence), is
    /// durable and at or after the replay position.
    pub(crate) fn replayed_wal_object(&mut self, wal_id: u64, last_seq: u64) {
        self.wal.replayed_object(wal_id, last_seq);
    }

    /// Recovery: applies one WAL record's writes at `seq`, unless they are already in an SST
    /// or were replayed before. Freezes the active memtable once it reaches
    /// `memtable_bytes`.
    pub(crate) fn replay_record(
        &mut self,
        record: WalRecord,
        memtable_bytes: usize,
        runtime: &RuntimeRef,
    ) {
        let seq = record.seq;
        if seq <= self.wal.acknowledged_seq() {
            return; // already in an SST, or replayed from an earlier object
        }
        // Every replayed write is durable: keep only the newest version.
        let mut active_bytes = self.memtables.insert_expiring(
            seq,
            record.expires_at_ns,
            record.entries,
            Prune::AboveDurable(seq),
        );
        if !record.range_tombstones.is_empty() {
            active_bytes = self
                .memtables
                .insert_range_tombstones(seq, record.range_tombstones.iter());
        }
        self.wal.replayed_record(seq);
        if active_bytes >= memtable_bytes {
            self.freeze_active(runtime);
        }
    }

    /// Recovery is over: the fence landed at WAL id `fence_id`, after `replayed` objects
    /// with writes.
    pub(crate) fn finish_replay(&mut self, fence_id: u64, replayed: u64) {
        self.wal.finish_replay(fence_id);
        self.counters.replayed_wal_objects = replayed;
        self.check_invariants();
    }

    /// A read replica caught up: `manifest` and, above its flushed sequence, the WAL's
    /// records through `seq` in `memtable`.
    pub(crate) fn follow(&mut self, manifest: Manifest, memtable: Memtable, seq: u64) {
        self.writer_epoch = manifest.writer_epoch;
        self.versions.follow(manifest);
        self.memtables.replace_active(memtable);
        self.wal.follow(seq);
        self.check_invariants();
    }

    // Reads and snapshots.

    /// The sequence number a read with `durability` sees now.
    pub(crate) fn read_seq(&self, durability: Durability) -> u64 {
        match durability {
            Durability::Memory => self.wal.acknowledged_seq(),
            Durability::Durable => self.wal.durable_seq(),
        }
    }

    /// A read view at `seq`: memtables newest first, then the current SSTs.
    pub(crate) fn read_view(&self, seq: u64, now_ns: u64) -> ReadView {
        ReadView {
            now_ns,
            seq,
            memtables: self.memtables.newest_first(),
            version: self.versions.version().clone(),
        }
    }

    /// The SSTs readers use now.
    pub(crate) fn version(&self) -> Rc<Version> {
        self.versions.version().clone()
    }

    /// Registers a snapshot at the sequence number `durability` sees. Returns its id and
    /// sequence number.
    pub(crate) fn open_snapshot(&mut self, durability: Durability) -> (u64, u64) {
        let seq = self.read_seq(durability);
        let id = self.snapshots.open(seq, self.wal.acknowledged_seq());
        (id, seq)
    }

    pub(crate) fn close_snapshot(&mut self, id: u64) {
        self.snapshots.close(id);
    }

    /// Bytes in memtables (active and frozen) whose writes are not yet in SSTs.
    pub(crate) fn unflushed_bytes(&self) -> usize {
        self.memtables.unflushed_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn state() -> State {
        let manifest = Manifest {
            manifest_id: 3,
            writer_epoch: 2,
            ..Manifest::empty()
        };
        State::open(manifest, SimTime::ZERO, SimTime::ZERO)
    }

    #[test]
    fn a_snapshot_pins_the_acknowledged_seq_and_keeps_every_version() {
        let mut state = state();
        let (seq, _) = state.apply_single(b"k", Some(b"1"));
        let (id, snapshot_seq) = state.open_snapshot(Durability::Memory);
        assert_eq!(snapshot_seq, seq);
        state.apply_single(b"k", Some(b"2"));
        assert_eq!(state.memtables().active().borrow().version_count(), 2);
        state.close_snapshot(id);
        state.check_invariants();
    }

    #[test]
    fn a_newer_epoch_fences_an_open_handle_once() {
        let mut state = state();
        assert!(state.fence(3));
        assert!(!state.fence(4), "a fenced handle is fenced once");
        assert!(matches!(
            state.status_error(),
            Some(Error::Fenced {
                writer_epoch: 2,
                current_epoch: 3
            })
        ));
        assert!(state.shut_down(DbStatus::Crashed));
        assert!(!state.shut_down(DbStatus::Closed));
    }

    #[test]
    #[should_panic(expected = "invariant: only a newer epoch fences writer epoch 2 (got 2)")]
    fn fencing_by_the_same_epoch_fires() {
        state().fence(2);
    }

    #[test]
    #[should_panic(expected = "invariant: a handle shuts down to a terminal status, not Fenced")]
    fn shutting_down_to_a_live_status_fires() {
        state().shut_down(DbStatus::Fenced);
    }
}
