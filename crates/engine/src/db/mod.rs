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
//! `snapshot`, `gc`, `compact` (the compactor), `reader` (read replicas), `state` (the
//! mutable state, split by concern, each part owning its transitions), and `invariants`
//! (the assertions those transitions make).

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
mod state;
mod wal;

pub use compact::CompactionReport;

/// The compactor's pure pieces, for the benchmarks.
pub(crate) mod compact_bench {
    pub(crate) use super::compact::{build_outputs, decode_sst_entries, merge_sources, Merged};
}
pub use gc::GcReport;
pub use reader::{Reader, ReaderOptions, ReaderStaleness};
pub use scan::ScanIter;
pub use snapshot::Snapshot;

use crate::batch::WriteBatch;
use crate::cache::BlockCache;
use crate::compaction::{CompactionStyle, CompactionTask};
use crate::error::{Error, Result};
use crate::format::manifest::SstInfo;
use crate::memtable::Memtable;
use crate::options::{
    validate_key, validate_value, BackpressureMode, DbOptions, ReadOptions, WriteOptions,
};
use crate::paths::Paths;
use crate::policy;
use crate::state::{
    Amplification, AmplificationInputs, DbState, DbStatus, MemtableState, RunState, SstState,
    WalState,
};
use crate::store::Store;
use crate::store::StoreMeters;
use crate::util::AsyncLock;
use bytes::Bytes;
use state::State;
use std::cell::RefCell;
use std::future::Future;
use std::ops::{Range, RangeBounds};
use std::rc::Rc;
use strata_objstore::ObjectStore;
use strata_sim::sync::Notify;
use strata_sim::{AbortHandle, EventKind, RuntimeRef};

/// A database handle: one writer over one path prefix of an object store.
///
/// Dropping it without `close` is a crash: background tasks stop at once, and writes that
/// were acknowledged but not yet durable are lost (durable ones never are).
pub struct Db {
    inner: Rc<DbInner>,
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

impl DbInner {
    pub fn check_open(&self) -> Result<()> {
        self.state.borrow().check_open()
    }

    /// Marks the handle fenced by `current_epoch` and wakes every waiter.
    pub fn mark_fenced(&self, current_epoch: u64) -> Error {
        let writer_epoch = {
            let mut state = self.state.borrow_mut();
            if state.fence(current_epoch) {
                self.runtime.record(EventKind::Fenced {
                    writer_epoch: state.writer_epoch(),
                });
            }
            state.writer_epoch()
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
            if state.shut_down(status) && status == DbStatus::Crashed {
                self.runtime.record(EventKind::WriterCrashed {
                    writer_epoch: state.writer_epoch(),
                });
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
        let frozen = state.memtables().immutables().len();
        if policy::must_stall(frozen, self.options.max_immutable_memtables) {
            return Some(format!("{frozen} frozen memtables await flushing"));
        }
        let l0 = state.manifest().l0.len();
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
            let frozen_bound = policy::must_stall(
                state.memtables().immutables().len(),
                self.options.max_immutable_memtables,
            );
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
            let (seq, active_bytes) = state.apply_single(key, value);
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
        let kick_wal = state.wal().buffer_records() == 1
            || state.wal().buffer_bytes() >= self.options.max_wal_bytes;
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

    /// Applies a batch in memory; its values expire `ttl` after now. Returns its sequence
    /// number.
    fn apply_batch(
        &self,
        batch: &WriteBatch,
        ttl: Option<strata_sim::SimDuration>,
        single: bool,
    ) -> Result<u64> {
        // The expiry is stamped now, with the engine's clock, so replay and every reader see
        // the same instant. `MAX_TTL` keeps the sum far from overflowing.
        let expires_at_ns = ttl.map_or(0, |ttl| {
            self.runtime.now().saturating_add(ttl).as_nanos().max(1)
        });
        let (seq, kick_wal, freeze) = {
            let mut state = self.state.borrow_mut();
            state.check_open()?;
            let (seq, active_bytes) = state.apply_batch(batch, expires_at_ns, single);
            self.after_apply(&mut state, seq, active_bytes)
        };
        self.kick(kick_wal, freeze);
        Ok(seq)
    }

    /// The amplification meters for `state`.
    pub fn amplification_of(&self, state: &State) -> Amplification {
        let manifest = state.manifest();
        // Summed by loops: a chained, flattened iterator's fold was an instance of its own.
        let mut stored_sst_bytes = 0u64;
        for sst in &manifest.l0 {
            stored_sst_bytes += sst.size_bytes;
        }
        for run in &manifest.runs {
            for sst in &run.ssts {
                stored_sst_bytes += sst.size_bytes;
            }
        }
        let meters = self.store.meters();
        let elapsed = self.runtime.now().saturating_since(state.opened_at());
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
        let (wal, memtables) = (state.wal(), state.memtables());
        let active_bytes = memtables.active().borrow().size_bytes();
        let mut immutable_memtables = Vec::with_capacity(memtables.immutables().len());
        for table in memtables.immutables() {
            let table = table.borrow();
            immutable_memtables.push(policy::ImmutableView {
                memtable_id: table.id(),
                max_seq: table.max_seq(),
            });
        }
        policy::FlushView {
            now: self.runtime.now(),
            flush_interval: self.options.flush_interval,
            max_wal_bytes: self.options.max_wal_bytes,
            memtable_bytes: self.options.memtable_bytes,
            max_immutable_memtables: self.options.max_immutable_memtables,
            wal_buffer_bytes: wal.buffer_bytes(),
            wal_buffer_records: wal.buffer_records(),
            wal_upload_pending: wal.pending_wal_id().is_some(),
            last_wal_upload: wal.last_upload(),
            active_memtable_bytes: active_bytes,
            immutable_memtables,
            memtable_flush_in_flight: memtables.flushing().is_some(),
            durable_seq: wal.durable_seq(),
        }
    }
}

fn sst_states(ssts: &[SstInfo]) -> Vec<SstState> {
    let mut states = Vec::with_capacity(ssts.len());
    for sst in ssts {
        states.push(SstState::from(sst));
    }
    states
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
        options.validate()?;
        if options.ttl.is_some() {
            // A write with an expiry takes the batch path: its WAL record carries the expiry.
            let mut batch = WriteBatch::new();
            batch.put(key, value);
            return self.write_batch(&batch, options, true).await;
        }
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

    /// Deletes every key in `range` (start inclusive, end exclusive) with one range
    /// tombstone: one WAL record, one memtable entry, one entry in an SST's range-tombstone
    /// block, whatever the number of keys it covers. Writes made after it are visible;
    /// snapshots taken before it still see the keys. An empty or inverted range is refused
    /// with `Error::InvalidRange` (kind `Invalid`).
    ///
    /// ```ignore
    /// db.delete_range("user:".."user;", WriteOptions::DURABLE).await?;
    /// ```
    pub async fn delete_range<K: AsRef<[u8]>>(
        &self,
        range: Range<K>,
        options: WriteOptions,
    ) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete_range(range);
        self.write_batch(&batch, options, true).await
    }

    /// Applies every write in `batch` atomically: readers and recovery see all or none.
    /// With `options.ttl`, every value the batch puts expires that long after the write.
    ///
    /// Not an `async fn`: it hands back `write_batch`'s state machine, so a caller's holds no
    /// layer of state of this function's around it.
    pub fn write<'a>(
        &'a self,
        batch: &'a WriteBatch,
        options: WriteOptions,
    ) -> impl Future<Output = Result<()>> + 'a {
        self.write_batch(batch, options, false)
    }

    /// `write`, counting a lone put or range delete (`single`) as itself.
    async fn write_batch(
        &self,
        batch: &WriteBatch,
        options: WriteOptions,
        single: bool,
    ) -> Result<()> {
        options.validate()?;
        batch.validate()?;
        if batch.is_empty() {
            return Ok(());
        }
        self.inner.wait_for_room().await?;
        let seq = self.inner.apply_batch(batch, options.ttl, single)?;
        if options.await_durable {
            self.inner.await_durable(seq).await?;
        }
        Ok(())
    }

    /// Waits until the write numbered `seq` is durable in a WAL object: the second half of a
    /// write with `await_durable`, for a caller that applied it without (and read its number
    /// from [`Db::acknowledged_seq`] at once) to learn which write it was.
    pub async fn wait_durable(&self, seq: u64) -> Result<()> {
        self.inner.await_durable(seq).await
    }

    /// Reads `key`: the newest acknowledged write (`Durability::Memory`) or the newest
    /// durable one (`Durability::Durable`). `None` if absent or deleted.
    pub async fn get(&self, key: impl AsRef<[u8]>, options: ReadOptions) -> Result<Option<Bytes>> {
        let key = key.as_ref();
        validate_key(key)?;
        let now_ns = self.inner.runtime.now().as_nanos();
        let version = {
            let mut state = self.inner.state.borrow_mut();
            state.check_readable()?;
            state.counters.gets += 1;
            let seq = state.read_seq(options.durability);
            if let Some(found) = state.memtables().get(key, seq, now_ns) {
                return Ok(found);
            }
            state.version()
        };
        self.inner.get_from_version(&version, key, now_ns).await
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
        let through = self.inner.state.borrow().wal().acknowledged_seq();
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
        self.inner.state.borrow().status()
    }

    /// Sequence number of the newest acknowledged write.
    pub fn acknowledged_seq(&self) -> u64 {
        self.inner.state.borrow().wal().acknowledged_seq()
    }

    /// Sequence number up to which every write is durable in the object store.
    pub fn durable_seq(&self) -> u64 {
        self.inner.state.borrow().wal().durable_seq()
    }

    pub fn writer_epoch(&self) -> u64 {
        self.inner.state.borrow().writer_epoch()
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
        let (wal, memtables) = (state.wal(), state.memtables());
        let manifest = state.manifest();
        let active = memtable_state(&memtables.active().borrow(), limit);
        // Lists filled by loops: each `map` and `collect` here was an instance of its own.
        let mut immutable_memtables = Vec::with_capacity(memtables.immutables().len());
        for table in memtables.immutables() {
            immutable_memtables.push(memtable_state(&table.borrow(), limit));
        }
        let mut runs = Vec::with_capacity(manifest.runs.len());
        for run in &manifest.runs {
            runs.push(RunState {
                id: run.id,
                level: run.level,
                size_bytes: run.size_bytes(),
                ssts: sst_states(&run.ssts),
            });
        }
        DbState {
            path: self.inner.paths.root().to_string(),
            status: state.status(),
            writer_epoch: state.writer_epoch(),
            manifest_id: manifest.manifest_id,
            acknowledged_seq: wal.acknowledged_seq(),
            durable_seq: wal.durable_seq(),
            last_flushed_seq: manifest.last_flushed_seq,
            memtable: active,
            immutable_memtables,
            flushing_memtable_id: memtables.flushing(),
            l0: sst_states(&manifest.l0),
            runs,
            wal: WalState {
                buffer_bytes: wal.buffer_bytes() as u64,
                buffer_records: u64::from(wal.buffer_records()),
                pending_wal_id: wal.pending_wal_id(),
                next_wal_id: wal.next_wal_id(),
                replay_from: manifest.wal_replay_from,
                live_objects: wal.objects().len() as u64,
            },
            quarantined_ssts: state.versions().quarantined().iter().copied().collect(),
            cache: self.inner.cache.borrow().stats(),
            open_snapshots: state.snapshots().len() as u64,
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
        let mut live = compact::Merged::default();
        while let Some((key, value)) = scan.next().await? {
            live.entries.push(crate::format::sst::SstEntry {
                key,
                value: Some(value),
                expires_at_ns: 0,
            });
        }
        Ok(compact::build_outputs(
            &live,
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
