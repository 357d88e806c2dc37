//! The database handle: the public API (`Db`), the shared engine state, and the write path.
//!
//! One `Db` is one writer. Its state lives in `DbInner` behind an `Rc`, shared with the
//! background tasks (WAL uploader, memtable flusher, garbage collector) and with open
//! snapshots and scans. Everything runs on one thread: state sits in a `RefCell` that is
//! never borrowed across an await, and multi-step I/O sequences are serialised by async
//! locks instead.
//!
//! Submodules, one per mechanism: `recovery` (open, replay, fencing), `wal` (uploads and
//! the durable watermark), `flush` (memtable to L0 SST), `manifest_io` (conditional manifest
//! updates), `read` (point reads and SST access), `scan` (merged range iterators),
//! `snapshot`, `gc`, `compact` (the compactor), `reader` (read replicas), and `invariants`
//! (the assertions each state transition makes).

mod compact;
mod flush;
mod gc;
mod invariants;
mod manifest_io;
mod read;
mod reader;
mod recovery;
mod scan;
mod snapshot;
mod wal;

pub use compact::CompactionReport;

/// The compactor's pure pieces, for the benchmarks.
pub(crate) mod compact_bench {
    pub(crate) use super::compact::{build_outputs, decode_sst_entries, merge_sources};
}
pub use gc::GcReport;
pub use reader::{Reader, ReaderOptions, ReaderStaleness};
pub use scan::ScanIter;
pub use snapshot::Snapshot;

use crate::batch::WriteBatch;
use crate::cache::BlockCache;
use crate::compaction::{CompactionStyle, CompactionTask};
use crate::error::{Error, Result};
use crate::format::manifest::Manifest;
use crate::format::wal::{SealedWal, WalBuffer};
use crate::memtable::{Memtable, Prune};
use crate::options::{
    validate_key, validate_value, BackpressureMode, DbOptions, ReadOptions, WriteOptions,
};
use crate::paths::Paths;
use crate::policy::{self, WalObjectView};
use crate::state::{
    Amplification, AmplificationInputs, Counters, DbState, DbStatus, MemtableState, RunState,
    SstState, WalState,
};
use crate::store::Store;
use crate::store::StoreMeters;
use crate::util::AsyncLock;
use bytes::{Bytes, BytesMut};
use read::Version;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::RangeBounds;
use std::rc::{Rc, Weak};
use strata_objstore::ObjectStore;
use strata_sim::sync::Notify;
use strata_sim::{AbortHandle, EventKind, RuntimeRef, SimTime};

/// Key and value bytes of single puts are copied into shared chunks of this size, so that a
/// put costs no allocation of its own.
const ARENA_CHUNK_BYTES: usize = 64 * 1024;

/// A database handle: one writer over one path prefix of an object store.
///
/// Dropping it without `close` is a crash: background tasks stop at once, and writes that
/// were acknowledged but not yet durable are lost (durable ones never are).
pub struct Db {
    inner: Rc<DbInner>,
}

/// Why an await-durable write failed: recorded when a WAL upload gives up.
#[derive(Clone, Debug)]
pub(crate) struct WalFailure {
    /// Increments with each failure, so a waiter only reacts to failures after it started.
    pub generation: u64,
    /// The failed object covered writes up to here.
    pub through_seq: u64,
    pub reason: String,
}

/// The engine state shared by the handle, its tasks, snapshots and scans.
pub(crate) struct DbInner {
    pub runtime: RuntimeRef,
    pub store: Store,
    pub paths: Paths,
    pub options: DbOptions,
    pub state: RefCell<State>,
    pub cache: RefCell<BlockCache>,
    /// Wakes anyone waiting on the watermarks, the immutable list or the status.
    pub changed: Notify,
    /// Wakes the WAL uploader early (buffer full, or a flush was asked for).
    pub wal_kick: Notify,
    /// Wakes the memtable flusher (a memtable was frozen).
    pub flush_kick: Notify,
    /// One WAL upload at a time, so WAL ids and the durable watermark advance in order.
    pub wal_lock: AsyncLock,
    /// One memtable flush at a time, oldest first.
    pub flush_lock: AsyncLock,
    /// One manifest update at a time.
    pub manifest_lock: AsyncLock,
    /// One compaction at a time.
    pub compaction_lock: AsyncLock,
    /// Wakes the compactor (an SST was flushed, or the style changed).
    pub compaction_kick: Notify,
    /// The compaction style in force; `Db::set_compaction_style` changes it, and the next
    /// plan uses it.
    pub compaction_style: RefCell<crate::compaction::CompactionStyle>,
    pub tasks: RefCell<Vec<AbortHandle>>,
}

/// The mutable part of the engine.
pub(crate) struct State {
    pub status: DbStatus,
    /// The epoch that fenced us, once fenced.
    pub fenced_by_epoch: u64,
    pub writer_epoch: u64,
    /// The latest manifest this writer committed or read.
    pub manifest: Manifest,
    pub next_seq: u64,
    pub acknowledged_seq: u64,
    pub durable_seq: u64,
    pub wal: WalBuffer,
    /// A sealed WAL object not yet confirmed durable; retried with the same id and bytes.
    pub wal_pending: Option<SealedWal>,
    pub next_wal_id: u64,
    pub last_wal_upload: SimTime,
    /// When this writer last proved its epoch the newest: the issue time of its latest
    /// successful manifest create, or of a manifest read whose newest manifest carried its
    /// epoch. No newer writer had committed before this instant, so nothing a newer writer
    /// wrote can have been garbage-collected before `epoch_proven_at + gc_min_age`. The WAL
    /// uploader's lease (`wal::epoch_lease`) is measured from here.
    pub epoch_proven_at: SimTime,
    /// Durable WAL objects not yet obsolete, oldest first. Bounded: objects leave when the
    /// memtable holding their writes is flushed, and memtables are bounded.
    pub wal_objects: VecDeque<WalObjectView>,
    pub wal_failure: Option<WalFailure>,
    pub wal_failure_generation: u64,
    pub active: Rc<RefCell<Memtable>>,
    /// Frozen memtables, oldest first; at most `max_immutable_memtables` (writers stall).
    pub immutables: VecDeque<Rc<RefCell<Memtable>>>,
    pub next_memtable_id: u64,
    pub flushing_memtable: Option<u64>,
    pub next_sst_counter: u64,
    /// The SSTs readers use now.
    pub version: Rc<Version>,
    /// Versions handed to snapshots and in-flight reads, so GC keeps their SSTs. Dead
    /// entries are pruned whenever a version is installed.
    pub live_versions: Vec<Weak<Version>>,
    /// SSTs uploaded or uploading but not yet committed to the manifest: GC never deletes
    /// them, whatever their age.
    pub uploading_ssts: BTreeSet<u64>,
    /// SSTs a compaction found corrupt. Planning skips any task that would read one, so a
    /// corrupt input is downloaded once, not once per compaction interval. Bounded by the
    /// manifest: ids leave when their SST leaves the manifest.
    pub quarantined_ssts: BTreeSet<u64>,
    /// Open snapshots and scans: id to sequence number.
    pub open_snapshots: BTreeMap<u64, u64>,
    pub next_snapshot_id: u64,
    pub arena: BytesMut,
    pub counters: Counters,
    /// The id of the next compaction job (for trace events).
    pub next_compaction_job: u64,
    /// When this handle opened, for the per-hour cost rates.
    pub opened_at: SimTime,
}

impl State {
    /// A freshly opened handle's state over `manifest`: nothing in memory, everything up to
    /// the manifest's flushed sequence durable.
    pub(crate) fn from_manifest(
        manifest: crate::format::manifest::Manifest,
        now: SimTime,
    ) -> State {
        let version = Rc::new(Version::from_manifest(&manifest, &Version::empty()));
        State {
            status: DbStatus::Open,
            fenced_by_epoch: 0,
            writer_epoch: manifest.writer_epoch,
            next_seq: manifest.last_flushed_seq + 1,
            acknowledged_seq: manifest.last_flushed_seq,
            durable_seq: manifest.last_flushed_seq,
            wal: WalBuffer::new(),
            wal_pending: None,
            next_wal_id: manifest.wal_replay_from,
            last_wal_upload: now,
            epoch_proven_at: now,
            wal_objects: VecDeque::new(),
            wal_failure: None,
            wal_failure_generation: 0,
            active: Rc::new(RefCell::new(Memtable::new(1))),
            immutables: VecDeque::new(),
            next_memtable_id: 2,
            flushing_memtable: None,
            next_sst_counter: manifest.next_sst_counter,
            live_versions: vec![Rc::downgrade(&version)],
            version,
            uploading_ssts: BTreeSet::new(),
            quarantined_ssts: BTreeSet::new(),
            open_snapshots: BTreeMap::new(),
            next_snapshot_id: 1,
            arena: BytesMut::new(),
            counters: Counters::default(),
            next_compaction_job: 1,
            opened_at: now,
            manifest,
        }
    }
}

impl State {
    /// Asserts the invariants of the watermarks, the memtables and the uploads in flight;
    /// called after each transition that changes them (see `invariants`).
    pub(crate) fn check_invariants(&self) {
        invariants::check_watermarks(
            self.manifest.last_flushed_seq,
            self.durable_seq,
            self.acknowledged_seq,
            self.next_seq,
        );
        invariants::check_memtables(&self.active, &self.immutables, self.acknowledged_seq);
        invariants::check_uploads(&self.uploading_ssts, &self.manifest);
    }

    /// Registers an SST this writer is about to upload, so GC leaves it alone until it is
    /// committed or abandoned.
    pub(crate) fn register_upload(&mut self, id: u64) {
        if invariants::CHECKED {
            assert!(
                !self.manifest.sst_ids().any(|live| live == id),
                "invariant: SST {id} is being uploaded and already in manifest {}",
                self.manifest.manifest_id
            );
        }
        self.uploading_ssts.insert(id);
    }

    /// Records that this writer's epoch was the newest at `at` (see `epoch_proven_at`).
    pub(crate) fn prove_epoch(&mut self, at: SimTime) {
        self.epoch_proven_at = self.epoch_proven_at.max(at);
    }

    /// Installs a manifest this writer just committed; the SSTs in `committed` stop being
    /// uploads in the same step.
    pub(crate) fn commit_manifest(&mut self, next: Manifest, committed: &[u64]) {
        for id in committed {
            self.uploading_ssts.remove(id);
        }
        invariants::check_manifest_advance(&self.manifest, &next, true);
        invariants::check_layout(&next);
        self.manifest = next;
        self.check_invariants();
    }

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

    fn check_open(&self) -> Result<()> {
        match self.status_error() {
            None => Ok(()),
            Some(error) => Err(error),
        }
    }

    /// Copies a key and value into the shared arena, returning zero-copy handles.
    #[inline]
    fn copy_into_arena(&mut self, key: &[u8], value: Option<&[u8]>) -> (Bytes, Option<Bytes>) {
        let value_len = value.map_or(0, <[u8]>::len);
        let needed = key.len() + value_len;
        if self.arena.capacity() - self.arena.len() < needed {
            self.arena = BytesMut::with_capacity(needed.max(ARENA_CHUNK_BYTES));
        }
        self.arena.extend_from_slice(key);
        if let Some(value) = value {
            self.arena.extend_from_slice(value);
        }
        let record = self.arena.split().freeze();
        let key_bytes = record.slice(..key.len());
        let value_bytes = value.map(|_| record.slice(key.len()..));
        (key_bytes, value_bytes)
    }

    #[inline]
    fn prune_rule(&self) -> Prune {
        if self.open_snapshots.is_empty() {
            Prune::AboveDurable(self.durable_seq)
        } else {
            Prune::KeepAll
        }
    }

    /// Bytes in memtables (active and frozen) whose writes are not yet in SSTs.
    pub fn unflushed_bytes(&self) -> usize {
        self.active.borrow().size_bytes()
            + self
                .immutables
                .iter()
                .map(|table| table.borrow().size_bytes())
                .sum::<usize>()
    }

    /// Freezes the active memtable (if it holds anything). Returns true if it did.
    pub fn freeze_active(&mut self, runtime: &RuntimeRef) -> bool {
        if self.active.borrow().is_empty() {
            return false;
        }
        let id = self.next_memtable_id;
        self.next_memtable_id += 1;
        let frozen = std::mem::replace(&mut self.active, Rc::new(RefCell::new(Memtable::new(id))));
        let (memtable_id, bytes) = {
            let table = frozen.borrow();
            (table.id(), table.size_bytes() as u64)
        };
        self.immutables.push_back(frozen);
        self.counters.memtables_frozen += 1;
        runtime.record(EventKind::MemtableFrozen { memtable_id, bytes });
        self.check_invariants();
        true
    }

    /// Installs a new SST set built from `manifest`, keeping cached SST metadata.
    pub fn install_version(&mut self, manifest: &Manifest) {
        let version = Rc::new(Version::from_manifest(manifest, &self.version));
        self.live_versions.retain(|weak| weak.strong_count() > 0);
        self.live_versions.push(Rc::downgrade(&version));
        self.version = version;
        if !self.quarantined_ssts.is_empty() {
            let live: BTreeSet<u64> = manifest.sst_ids().collect();
            self.quarantined_ssts.retain(|id| live.contains(id));
        }
    }

    /// A read view at `seq`: memtables newest first, then the current SSTs.
    pub fn read_view(&self, seq: u64) -> read::ReadView {
        let mut memtables = Vec::with_capacity(1 + self.immutables.len());
        memtables.push(self.active.clone());
        memtables.extend(self.immutables.iter().rev().cloned());
        read::ReadView {
            seq,
            memtables,
            version: self.version.clone(),
        }
    }
}

impl DbInner {
    pub fn check_open(&self) -> Result<()> {
        self.state.borrow().check_open()
    }

    /// Marks the handle fenced by `current_epoch` and wakes every waiter.
    pub fn mark_fenced(&self, current_epoch: u64) -> Error {
        let writer_epoch = {
            let mut state = self.state.borrow_mut();
            if state.status == DbStatus::Open {
                state.status = DbStatus::Fenced;
                state.fenced_by_epoch = current_epoch;
                self.runtime.record(EventKind::Fenced {
                    writer_epoch: state.writer_epoch,
                });
            }
            state.writer_epoch
        };
        self.changed.notify_waiters();
        Error::Fenced {
            writer_epoch,
            current_epoch,
        }
    }

    /// Stops background tasks and sets a terminal status.
    fn shut_down(&self, status: DbStatus) {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        {
            let mut state = self.state.borrow_mut();
            if matches!(state.status, DbStatus::Open | DbStatus::Fenced) {
                if status == DbStatus::Crashed {
                    self.runtime.record(EventKind::WriterCrashed {
                        writer_epoch: state.writer_epoch,
                    });
                }
                state.status = status;
            }
        }
        for task in tasks {
            task.abort();
        }
        self.changed.notify_waiters();
    }

    /// Why writes must wait or be refused now, if they must (write backpressure).
    fn backpressure_reason(&self, state: &State) -> Option<String> {
        let limits = &self.options.backpressure;
        if policy::must_stall(state.immutables.len(), self.options.max_immutable_memtables) {
            return Some(format!(
                "{} frozen memtables await flushing",
                state.immutables.len()
            ));
        }
        let l0 = state.manifest.l0.len();
        if limits.max_l0_ssts > 0 && l0 >= limits.max_l0_ssts {
            return Some(format!(
                "{l0} L0 SSTs reach the limit of {}",
                limits.max_l0_ssts
            ));
        }
        if limits.max_unflushed_bytes > 0 {
            let unflushed = state.unflushed_bytes();
            if unflushed >= limits.max_unflushed_bytes {
                return Some(format!(
                    "{unflushed} unflushed bytes reach the limit of {}",
                    limits.max_unflushed_bytes
                ));
            }
        }
        None
    }

    /// Waits while the engine is over a backpressure limit, or refuses the write in
    /// `Reject` mode. The frozen-memtable bound always waits (the memtable must go somewhere).
    async fn wait_for_room(&self) -> Result<()> {
        {
            let mut state = self.state.borrow_mut();
            state.check_open()?;
            let Some(reason) = self.backpressure_reason(&state) else {
                return Ok(());
            };
            let frozen_bound =
                policy::must_stall(state.immutables.len(), self.options.max_immutable_memtables);
            if self.options.backpressure.mode == BackpressureMode::Reject && !frozen_bound {
                state.counters.writes_rejected += 1;
                return Err(Error::WriteRejected { reason });
            }
        }
        let start = self.runtime.now();
        self.state.borrow_mut().counters.write_stalls += 1;
        loop {
            let changed = self.changed.notified();
            {
                let state = self.state.borrow();
                state.check_open()?;
                if self.backpressure_reason(&state).is_none() {
                    break;
                }
            }
            self.flush_kick.notify_waiters();
            self.compaction_kick.notify_waiters();
            changed.await;
        }
        let duration = self.runtime.now().saturating_since(start);
        self.state.borrow_mut().counters.write_stall_nanos += duration.as_nanos();
        self.runtime.record(EventKind::WriteStalled { duration });
        Ok(())
    }

    /// Applies one put or delete in memory. Returns its sequence number.
    #[inline]
    fn apply_single(&self, key: &[u8], value: Option<&[u8]>) -> Result<u64> {
        let (seq, kick_wal, freeze) = {
            let mut state = self.state.borrow_mut();
            state.check_open()?;
            let seq = state.next_seq;
            state.next_seq += 1;
            state.wal.append_single(seq, key, value);
            state.counters.user_bytes_written += (key.len() + value.map_or(0, <[u8]>::len)) as u64;
            let (key, value) = state.copy_into_arena(key, value);
            if value.is_some() {
                state.counters.puts += 1;
            } else {
                state.counters.deletes += 1;
            }
            let prune = state.prune_rule();
            let active_bytes = {
                let mut active = state.active.borrow_mut();
                active.insert(key, seq, value, prune);
                active.size_bytes()
            };
            state.acknowledged_seq = seq;
            invariants::check_watermarks(
                state.manifest.last_flushed_seq,
                state.durable_seq,
                seq,
                state.next_seq,
            );
            self.after_apply(&mut state, seq, active_bytes)
        };
        self.kick(kick_wal, freeze);
        Ok(seq)
    }

    /// Bookkeeping shared by every write: which background task to wake, and freezing.
    #[inline]
    fn after_apply(&self, state: &mut State, seq: u64, active_bytes: usize) -> (u64, bool, bool) {
        // Wake the uploader when the buffer stops being empty (it idles otherwise) and when
        // it is full.
        let kick_wal =
            state.wal.records() == 1 || state.wal.record_bytes() >= self.options.max_wal_bytes;
        let freeze = policy::should_freeze(active_bytes, self.options.memtable_bytes);
        if freeze {
            state.freeze_active(&self.runtime);
        }
        (seq, kick_wal, freeze)
    }

    #[inline]
    fn kick(&self, wal: bool, flush: bool) {
        if wal {
            self.wal_kick.notify_waiters();
        }
        if flush {
            self.flush_kick.notify_waiters();
        }
    }

    fn apply_batch(&self, batch: &WriteBatch) -> Result<u64> {
        let (seq, kick_wal, freeze) = {
            let mut state = self.state.borrow_mut();
            state.check_open()?;
            let seq = state.next_seq;
            state.next_seq += 1;
            state.wal.append_batch(
                seq,
                batch
                    .entries
                    .iter()
                    .map(|(key, value)| (key.as_ref(), value.as_deref())),
            );
            let prune = state.prune_rule();
            let active_bytes = {
                let mut active = state.active.borrow_mut();
                for (key, value) in &batch.entries {
                    active.insert(key.clone(), seq, value.clone(), prune);
                }
                active.size_bytes()
            };
            state.acknowledged_seq = seq;
            invariants::check_watermarks(
                state.manifest.last_flushed_seq,
                state.durable_seq,
                seq,
                state.next_seq,
            );
            state.counters.batches += 1;
            state.counters.user_bytes_written += batch
                .entries
                .iter()
                .map(|(key, value)| (key.len() + value.as_ref().map_or(0, Bytes::len)) as u64)
                .sum::<u64>();
            self.after_apply(&mut state, seq, active_bytes)
        };
        self.kick(kick_wal, freeze);
        Ok(seq)
    }

    /// The amplification meters for `state`.
    pub fn amplification_of(&self, state: &State) -> Amplification {
        let manifest = &state.manifest;
        let stored_sst_bytes = manifest
            .l0
            .iter()
            .chain(manifest.runs.iter().flat_map(|run| run.ssts.iter()))
            .map(|sst| sst.size_bytes)
            .sum();
        let meters = self.store.meters();
        let elapsed = self.runtime.now().saturating_since(state.opened_at);
        Amplification::compute(&AmplificationInputs {
            counters: &state.counters,
            meters: &meters,
            stored_sst_bytes,
            bottom_run_bytes: manifest.runs.last().map(|run| run.size_bytes()),
            l0_ssts: manifest.l0.len() as u64,
            unflushed_bytes: state.unflushed_bytes() as u64,
            elapsed_hours: elapsed.as_secs_f64() / 3600.0,
        })
    }

    /// The policy's view of the flush state, for tests and tools.
    pub fn flush_view(&self) -> policy::FlushView {
        let state = self.state.borrow();
        let active_bytes = state.active.borrow().size_bytes();
        policy::FlushView {
            now: self.runtime.now(),
            flush_interval: self.options.flush_interval,
            max_wal_bytes: self.options.max_wal_bytes,
            memtable_bytes: self.options.memtable_bytes,
            max_immutable_memtables: self.options.max_immutable_memtables,
            wal_buffer_bytes: state.wal.record_bytes(),
            wal_buffer_records: state.wal.records(),
            wal_upload_pending: state.wal_pending.is_some(),
            last_wal_upload: state.last_wal_upload,
            active_memtable_bytes: active_bytes,
            immutable_memtables: state
                .immutables
                .iter()
                .map(|table| {
                    let table = table.borrow();
                    policy::ImmutableView {
                        memtable_id: table.id(),
                        max_seq: table.max_seq(),
                    }
                })
                .collect(),
            memtable_flush_in_flight: state.flushing_memtable.is_some(),
            durable_seq: state.durable_seq,
        }
    }
}

fn memtable_state(table: &Memtable, limit_bytes: usize) -> MemtableState {
    let (min_seq, max_seq) = table.seq_range();
    MemtableState {
        id: table.id(),
        size_bytes: table.size_bytes() as u64,
        limit_bytes: limit_bytes as u64,
        fill: table.size_bytes() as f64 / limit_bytes.max(1) as f64,
        keys: table.key_count() as u64,
        versions: table.version_count() as u64,
        min_seq,
        max_seq,
    }
}

impl Db {
    /// Opens the database at `path` in `store`, recovering its state: loads the latest
    /// manifest, takes over as writer (bumping the epoch, which fences any older writer),
    /// replays the WAL written since the last flush, and starts the background tasks.
    pub async fn open(
        runtime: RuntimeRef,
        store: Rc<dyn ObjectStore>,
        path: &str,
        options: DbOptions,
    ) -> Result<Db> {
        let inner = recovery::open(runtime, store, path, options).await?;
        Ok(Db { inner })
    }

    /// Writes `value` under `key`. With `await_durable`, returns only once the write is in
    /// a WAL object in the store.
    pub async fn put(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        options: WriteOptions,
    ) -> Result<()> {
        let (key, value) = (key.as_ref(), value.as_ref());
        validate_key(key)?;
        validate_value(value)?;
        self.inner.wait_for_room().await?;
        let seq = self.inner.apply_single(key, Some(value))?;
        if options.await_durable {
            self.inner.await_durable(seq).await?;
        }
        Ok(())
    }

    /// Deletes `key` (writes a tombstone).
    pub async fn delete(&self, key: impl AsRef<[u8]>, options: WriteOptions) -> Result<()> {
        let key = key.as_ref();
        validate_key(key)?;
        self.inner.wait_for_room().await?;
        let seq = self.inner.apply_single(key, None)?;
        if options.await_durable {
            self.inner.await_durable(seq).await?;
        }
        Ok(())
    }

    /// Applies every write in `batch` atomically: readers and recovery see all or none.
    pub async fn write(&self, batch: &WriteBatch, options: WriteOptions) -> Result<()> {
        batch.validate()?;
        if batch.is_empty() {
            return Ok(());
        }
        self.inner.wait_for_room().await?;
        let seq = self.inner.apply_batch(batch)?;
        if options.await_durable {
            self.inner.await_durable(seq).await?;
        }
        Ok(())
    }

    /// Reads `key`: the newest acknowledged write (`Durability::Memory`) or the newest
    /// durable one (`Durability::Durable`). `None` if absent or deleted.
    pub async fn get(&self, key: impl AsRef<[u8]>, options: ReadOptions) -> Result<Option<Bytes>> {
        let key = key.as_ref();
        validate_key(key)?;
        let version = {
            let mut state = self.inner.state.borrow_mut();
            if matches!(state.status, DbStatus::Closed | DbStatus::Crashed) {
                return Err(state.status_error().expect("status is not open"));
            }
            state.counters.gets += 1;
            let seq = match options.durability {
                crate::options::Durability::Memory => state.acknowledged_seq,
                crate::options::Durability::Durable => state.durable_seq,
            };
            if let Some(found) = state.active.borrow().get(key, seq) {
                return Ok(found);
            }
            for table in state.immutables.iter().rev() {
                if let Some(found) = table.borrow().get(key, seq) {
                    return Ok(found);
                }
            }
            state.version.clone()
        };
        self.inner.get_from_version(&version, key).await
    }

    /// An ordered iterator over `range` at the current acknowledged state (see [`ScanIter`]).
    pub fn scan<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> Result<ScanIter> {
        self.scan_with(range, ReadOptions::default())
    }

    /// `scan` with read options (a durable scan sees only durable writes).
    pub fn scan_with<K: AsRef<[u8]>>(
        &self,
        range: impl RangeBounds<K>,
        options: ReadOptions,
    ) -> Result<ScanIter> {
        let snapshot = snapshot::Snapshot::open(&self.inner, options.durability)?;
        self.inner.state.borrow_mut().counters.scans += 1;
        Ok(snapshot.into_scan(range))
    }

    /// A consistent, repeatable view of the database as of now.
    pub fn snapshot(&self) -> Result<Snapshot> {
        snapshot::Snapshot::open(&self.inner, crate::options::Durability::Memory)
    }

    /// Makes every write acknowledged so far durable (uploads the WAL now).
    pub async fn flush(&self) -> Result<()> {
        let through = self.inner.state.borrow().acknowledged_seq;
        self.inner.flush_wal_through(through).await
    }

    /// Freezes the active memtable and waits until every frozen memtable is in an SST.
    pub async fn flush_memtables(&self) -> Result<()> {
        self.inner.flush_all_memtables().await
    }

    /// Runs one garbage-collection pass now (the background collector runs it every
    /// `gc_interval`).
    pub async fn run_gc(&self) -> Result<GcReport> {
        self.inner.run_gc().await
    }

    /// Makes every acknowledged write durable, then stops the background tasks. Later calls
    /// fail with `Closed`.
    pub async fn close(&self) -> Result<()> {
        let result = match self.status() {
            DbStatus::Open => self.flush().await,
            // A fenced handle cannot make anything durable, but still releases its tasks.
            DbStatus::Fenced => Err(self.inner.check_open().expect_err("status is fenced")),
            DbStatus::Closed | DbStatus::Crashed => return self.inner.check_open(),
        };
        self.inner.shut_down(DbStatus::Closed);
        result
    }

    /// Simulates a crash: background tasks stop at once and the handle refuses all calls.
    /// Writes acknowledged but not yet durable are lost, as in a real process crash.
    pub fn crash(&self) {
        self.inner.shut_down(DbStatus::Crashed);
    }

    pub fn status(&self) -> DbStatus {
        self.inner.state.borrow().status
    }

    /// Sequence number of the newest acknowledged write.
    pub fn acknowledged_seq(&self) -> u64 {
        self.inner.state.borrow().acknowledged_seq
    }

    /// Sequence number up to which every write is durable in the object store.
    pub fn durable_seq(&self) -> u64 {
        self.inner.state.borrow().durable_seq
    }

    pub fn writer_epoch(&self) -> u64 {
        self.inner.state.borrow().writer_epoch
    }

    pub fn options(&self) -> &DbOptions {
        &self.inner.options
    }

    /// The flush policy's view of the current state (see [`crate::policy::plan`]).
    pub fn flush_view(&self) -> policy::FlushView {
        self.inner.flush_view()
    }

    /// A serialisable snapshot of the engine's state for the UI.
    pub fn state(&self) -> DbState {
        let state = self.inner.state.borrow();
        let limit = self.inner.options.memtable_bytes;
        let manifest = &state.manifest;
        let active = memtable_state(&state.active.borrow(), limit);
        DbState {
            path: self.inner.paths.root().to_string(),
            status: state.status,
            writer_epoch: state.writer_epoch,
            manifest_id: manifest.manifest_id,
            acknowledged_seq: state.acknowledged_seq,
            durable_seq: state.durable_seq,
            last_flushed_seq: manifest.last_flushed_seq,
            memtable: active,
            immutable_memtables: state
                .immutables
                .iter()
                .map(|table| memtable_state(&table.borrow(), limit))
                .collect(),
            flushing_memtable_id: state.flushing_memtable,
            l0: manifest.l0.iter().map(SstState::from).collect(),
            runs: manifest
                .runs
                .iter()
                .map(|run| RunState {
                    id: run.id,
                    level: run.level,
                    size_bytes: run.size_bytes(),
                    ssts: run.ssts.iter().map(SstState::from).collect(),
                })
                .collect(),
            wal: WalState {
                buffer_bytes: state.wal.record_bytes() as u64,
                buffer_records: u64::from(state.wal.records()),
                pending_wal_id: state.wal_pending.as_ref().map(|sealed| sealed.wal_id),
                next_wal_id: state.next_wal_id,
                replay_from: manifest.wal_replay_from,
                live_objects: state.wal_objects.len() as u64,
            },
            quarantined_ssts: state.quarantined_ssts.iter().copied().collect(),
            cache: self.inner.cache.borrow().stats(),
            open_snapshots: state.open_snapshots.len() as u64,
            counters: state.counters,
            compaction_style: self.inner.compaction_style.borrow().name().to_string(),
            amplification: self.inner.amplification_of(&state),
        }
    }

    /// The live amplification and cost meters (also in [`Db::state`]).
    pub fn amplification(&self) -> Amplification {
        self.inner.amplification_of(&self.inner.state.borrow())
    }

    /// Every request this handle sent to the store, by cause.
    pub fn store_meters(&self) -> StoreMeters {
        self.inner.store.meters()
    }

    /// Switches the compaction style; the next plan uses it (a running job finishes first).
    pub fn set_compaction_style(&self, style: CompactionStyle) -> Result<()> {
        style.validate()?;
        *self.inner.compaction_style.borrow_mut() = style;
        self.inner.compaction_kick.notify_waiters();
        Ok(())
    }

    pub fn compaction_style(&self) -> CompactionStyle {
        self.inner.compaction_style.borrow().clone()
    }

    /// The compaction the policy would start now (see [`crate::compaction::plan`]).
    pub fn plan_compaction(&self) -> Option<CompactionTask> {
        self.inner.plan_compaction()
    }

    /// Runs one compaction now if the policy wants one (the background compactor also does).
    pub async fn compact(&self) -> Result<Option<CompactionReport>> {
        self.inner.compact_once().await
    }

    /// Runs compactions until the policy wants none. Returns how many ran.
    pub async fn compact_until_idle(&self) -> Result<u64> {
        self.inner.compact_until_idle().await
    }

    /// The bytes the live data would take fully compacted: every key's newest value, written
    /// as SSTs of the configured size. Reads the whole database (a scan), so it is for tests
    /// and benchmarks, not for the UI's live meters.
    pub async fn live_bytes_exact(&self) -> Result<u64> {
        let mut scan = self.scan::<&[u8]>(..)?;
        let mut entries = Vec::new();
        while let Some((key, value)) = scan.next().await? {
            entries.push((key, Some(value)));
        }
        Ok(compact::build_outputs(
            &entries,
            self.inner.options.compaction.target_sst_bytes,
            self.inner.options.block_bytes,
            self.inner.options.bloom_bits_per_key,
        )
        .iter()
        .map(|sst| sst.bytes.len() as u64)
        .sum())
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // Dropping without close is a crash; after close this does nothing.
        self.inner.shut_down(DbStatus::Crashed);
    }
}
