//! Read replicas: a `Reader` follows a database it does not own by polling the store.
//!
//! Every `poll_interval` it lists the WAL, then reads the latest manifest (cause
//! `reader_poll`; in that order, see `poll_once`), fetches the WAL objects it has not seen
//! yet, and rebuilds its view: the manifest's SSTs plus a memtable of the WAL records above
//! the manifest's `last_flushed_seq`. WAL objects and manifests in the store are durable by definition, so a
//! reader never serves a write a crash could still lose. It never writes.
//!
//! Staleness: a view built by a poll that started at time T holds every write durable before
//! T, so the reader lags the writer by at most `poll_interval` plus one poll's latency.
//! Memory: the reader keeps the WAL objects from the manifest's `wal_replay_from` on, the
//! same bounded set a recovering writer would replay.

use super::snapshot::Snapshot;
use super::{DbInner, ScanIter, State};
use crate::cache::BlockCache;
use crate::error::{Error, Result};
use crate::format::manifest::Manifest;
use crate::format::wal::{self, WalRecord};
use crate::memtable::{Memtable, Prune};
use crate::options::{validate_key, DbOptions, Durability};
use crate::paths::{ObjectKind, Paths};
use crate::store::{Store, StoreMeters};
use crate::util::AsyncLock;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::ops::RangeBounds;
use std::rc::Rc;
use strata_objstore::{ObjectStore, StoreError};
use strata_sim::sync::Notify;
use strata_sim::{AbortHandle, Cause, RuntimeRef, SimDuration, SimTime};

/// How a reader follows its database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReaderOptions {
    /// How often to poll the manifest and the WAL.
    pub poll_interval: SimDuration,
    /// The reader's own block cache, in bytes.
    pub block_cache_bytes: usize,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            poll_interval: SimDuration::from_millis(500),
            block_cache_bytes: 16 * 1024 * 1024,
        }
    }
}

/// How far a reader lags, and what following costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReaderStaleness {
    /// The newest sequence number the reader serves.
    pub seq: u64,
    /// The manifest its SSTs come from.
    pub manifest_id: u64,
    /// The view holds every write durable before this instant (the last good poll's start).
    pub current_as_of: SimTime,
    /// `now − current_as_of`: how far behind the writer's durable state it may be, in time.
    pub lag: SimDuration,
    /// How long the last successful poll took (the "plus latency" of the staleness bound).
    pub last_poll_duration: SimDuration,
    pub polls: u64,
    pub poll_failures: u64,
    /// GETs and LISTs polling sent, and their cost in picodollars.
    pub poll_requests: u64,
    pub poll_cost_picousd: u64,
}

struct Follow {
    manifest_id: u64,
    /// Decoded WAL objects at or above the manifest's `wal_replay_from`, in id order (a
    /// contiguous run of ids, found by binary search; a list rather than a B-tree map, which
    /// was a map type of its own in the playground's wasm).
    wal: Vec<(u64, Rc<Vec<WalRecord>>)>,
    current_as_of: SimTime,
    last_poll_duration: SimDuration,
    polls: u64,
    poll_failures: u64,
}

/// What one poll read: the manifest, and the WAL objects from its replay position on.
struct PolledView {
    started: SimTime,
    manifest: Manifest,
    fetched: Vec<(u64, Rc<Vec<WalRecord>>)>,
}

/// How many times a poll starts over when the writer's GC collects a WAL object between the
/// listing and its read. Each start over reads a newer manifest, so a second attempt almost
/// always succeeds; a failed poll keeps the previous view.
const MAX_POLL_ATTEMPTS: u32 = 3;

struct ReaderInner {
    db: Rc<DbInner>,
    options: ReaderOptions,
    follow: RefCell<Follow>,
    /// One poll at a time (the background poller and `poll_now`).
    poll_lock: AsyncLock,
}

/// A read-only follower of a database.
pub struct Reader {
    inner: Rc<ReaderInner>,
    poller: AbortHandle,
}

impl Reader {
    /// Opens a reader on the database at `path` and polls once before returning.
    pub async fn open(
        runtime: RuntimeRef,
        store: Rc<dyn ObjectStore>,
        path: &str,
        options: ReaderOptions,
    ) -> Result<Reader> {
        if options.poll_interval.is_zero() {
            return Err(Error::Invalid(
                "reader poll_interval must be positive".to_string(),
            ));
        }
        let db_options = DbOptions {
            block_cache_bytes: options.block_cache_bytes,
            ..DbOptions::default()
        };
        let paths = Paths::new(path)?;
        let store = Store::new(
            store,
            runtime.clone(),
            super::recovery::store_policy(&db_options),
        );
        let db = Rc::new(DbInner {
            runtime: runtime.clone(),
            store,
            paths,
            cache: RefCell::new(BlockCache::new(db_options.block_cache_bytes)),
            compaction_style: RefCell::new(db_options.compaction.style.clone()),
            options: db_options,
            state: RefCell::new(State::from_manifest(Manifest::empty(), runtime.now())),
            changed: Notify::new(),
            wal_kick: Notify::new(),
            flush_kick: Notify::new(),
            wal_lock: AsyncLock::new(),
            flush_lock: AsyncLock::new(),
            manifest_lock: AsyncLock::new(),
            compaction_lock: AsyncLock::new(),
            compaction_kick: Notify::new(),
            tasks: RefCell::new(Vec::new()),
        });
        let inner = Rc::new(ReaderInner {
            db,
            options,
            follow: RefCell::new(Follow {
                manifest_id: 0,
                wal: Vec::new(),
                current_as_of: SimTime::ZERO,
                last_poll_duration: SimDuration::ZERO,
                polls: 0,
                poll_failures: 0,
            }),
            poll_lock: AsyncLock::new(),
        });
        inner.poll().await?;
        let poller = runtime.spawn_detached(Box::pin(inner.clone().poll_task()));
        Ok(Reader { inner, poller })
    }

    /// Polls now (the background poller also does, every `poll_interval`).
    pub async fn poll_now(&self) -> Result<()> {
        self.inner.poll().await
    }

    /// Reads `key` from the reader's durable view. `None` if absent or deleted.
    pub async fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        let key = key.as_ref();
        validate_key(key)?;
        let db = &self.inner.db;
        let now_ns = db.runtime.now().as_nanos();
        let version = {
            let mut state = db.state.borrow_mut();
            state.counters.gets += 1;
            let seq = state.wal().acknowledged_seq();
            if let Some(found) = state.memtables().active().borrow().get(key, seq, now_ns) {
                return Ok(found);
            }
            state.version()
        };
        match db.get_from_version(&version, key, now_ns).await {
            // The writer's GC removed an SST of an old view: catch up, and read again.
            Err(Error::Store {
                source: StoreError::NotFound { .. },
                ..
            }) => {
                self.inner.poll().await?;
                let version = db.state.borrow().version();
                db.get_from_version(&version, key, now_ns).await
            }
            result => result,
        }
    }

    /// An ordered iterator over `range` in the reader's current view.
    pub fn scan<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> Result<ScanIter> {
        let snapshot = Snapshot::open(&self.inner.db, Durability::Memory)?;
        self.inner.db.state.borrow_mut().counters.scans += 1;
        Ok(snapshot.into_scan(range))
    }

    /// The newest sequence number the reader serves.
    pub fn seq(&self) -> u64 {
        self.inner.db.state.borrow().wal().acknowledged_seq()
    }

    /// How far behind the reader is, and what polling has cost.
    pub fn staleness(&self) -> ReaderStaleness {
        let follow = self.inner.follow.borrow();
        let now = self.inner.db.runtime.now();
        let meter = self.inner.db.store.meters().cause(Cause::ReaderPoll);
        ReaderStaleness {
            seq: self.seq(),
            manifest_id: follow.manifest_id,
            current_as_of: follow.current_as_of,
            lag: now.saturating_since(follow.current_as_of),
            last_poll_duration: follow.last_poll_duration,
            polls: follow.polls,
            poll_failures: follow.poll_failures,
            poll_requests: meter.requests(),
            poll_cost_picousd: meter.cost_picousd,
        }
    }

    /// How many sequence numbers the reader trails a writer whose durable watermark is
    /// `writer_durable_seq`.
    pub fn seq_lag(&self, writer_durable_seq: u64) -> u64 {
        writer_durable_seq.saturating_sub(self.seq())
    }

    /// Every request the reader sent, by cause (`reader_poll` for polling, `read` for SSTs).
    pub fn store_meters(&self) -> StoreMeters {
        self.inner.db.store.meters()
    }

    pub fn options(&self) -> &ReaderOptions {
        &self.inner.options
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

impl ReaderInner {
    async fn poll_task(self: Rc<Self>) {
        // Fixed rate: a poll starts every `poll_interval` (at once if the last one overran),
        // so the view is at most one interval plus one poll's latency old.
        let mut next = self
            .db
            .runtime
            .now()
            .saturating_add(self.options.poll_interval);
        loop {
            let now = self.db.runtime.now();
            self.db.runtime.sleep(next.saturating_since(now)).await;
            next = next.saturating_add(self.options.poll_interval);
            // A failed poll keeps the previous view (still durable, only staler).
            let _ = self.poll().await;
            let now = self.db.runtime.now();
            if next < now {
                next = now;
            }
        }
    }

    async fn poll(&self) -> Result<()> {
        let _guard = self.poll_lock.lock().await;
        let result = self.poll_locked().await;
        let mut follow = self.follow.borrow_mut();
        follow.polls += 1;
        if result.is_err() {
            follow.poll_failures += 1;
        }
        result
    }

    async fn poll_locked(&self) -> Result<()> {
        let mut attempt = 1;
        loop {
            match self.poll_once().await? {
                Some(view) => return self.install(view),
                None if attempt < MAX_POLL_ATTEMPTS => attempt += 1,
                None => {
                    return Err(Error::RetriesExhausted {
                        operation: "reader poll",
                        attempts: attempt,
                        reason: "the writer's GC kept collecting the WAL objects the poll listed"
                            .to_string(),
                    })
                }
            }
        }
    }

    /// One attempt at a view: `None` if a WAL object it listed was collected before it was
    /// read (a newer manifest covers it; the next attempt reads that manifest).
    ///
    /// The WAL is listed *before* the manifest is read. GC deletes a WAL object only once a
    /// committed manifest's `wal_replay_from` is past it, and the manifest read afterwards is
    /// at least that new, so the listing holds every object from the manifest's replay
    /// position on that existed when the listing began. Read the other way round, a slow
    /// listing can come back after a newer manifest let GC delete objects the older manifest
    /// still needs: the view then has a hole, yet claims to be current as of the poll's start.
    async fn poll_once(&self) -> Result<Option<PolledView>> {
        let db = &self.db;
        let started = db.runtime.now();
        let listed = db
            .store
            .list_all(Cause::ReaderPoll, &db.paths.prefix(ObjectKind::Wal))
            .await
            .map_err(|error| Error::store("reader WAL listing", error))?;
        let manifest =
            super::manifest_io::read_latest_manifest(&db.store, &db.paths, Cause::ReaderPoll)
                .await?
                .unwrap_or_else(Manifest::empty);
        // Objects are uploaded one at a time in id order, so what replay needs is the run of
        // ids from the manifest's replay position on; stop at a gap rather than serve a view
        // with a hole in it. A run that does not start at the replay position is empty: that
        // object did not exist yet, and nothing after it holds an acknowledged write.
        let contiguous: Vec<u64> = (manifest.wal_replay_from..)
            .zip(db.paths.wal_ids_from(&listed, manifest.wal_replay_from))
            .take_while(|(expected, id)| id == expected)
            .map(|(_, id)| id)
            .collect();
        // In id order, as `contiguous` is.
        let mut fetched: Vec<(u64, Rc<Vec<WalRecord>>)> = Vec::with_capacity(contiguous.len());
        for id in &contiguous {
            {
                let follow = self.follow.borrow();
                if let Ok(at) = follow.wal.binary_search_by_key(id, |(known, _)| *known) {
                    fetched.push((*id, follow.wal[at].1.clone()));
                    continue;
                }
            }
            let key = db.paths.wal(*id);
            let bytes = match db.store.get_opt(Cause::ReaderPoll, &key).await {
                Ok(Some(bytes)) => bytes,
                // Collected since the listing: a manifest newer than ours covers it, and a
                // view of ours without it would miss durable writes. Try again.
                Ok(None) => return Ok(None),
                Err(error) => return Err(Error::store("reader WAL read", error)),
            };
            let decoded = wal::decode(&bytes).map_err(|reason| Error::corrupt(&key, reason))?;
            fetched.push((*id, Rc::new(decoded.records)));
        }
        Ok(Some(PolledView {
            started,
            manifest,
            fetched,
        }))
    }

    /// Rebuilds the reader's view from a poll: the manifest's SSTs plus the WAL records
    /// above its flushed seq.
    fn install(&self, view: PolledView) -> Result<()> {
        let PolledView {
            started,
            manifest,
            fetched,
        } = view;
        let db = &self.db;
        let mut memtable = Memtable::new(1);
        let mut seq = manifest.last_flushed_seq;
        for (_, records) in &fetched {
            for record in records.iter() {
                if record.seq <= seq {
                    continue;
                }
                memtable.apply_record(record, Prune::AboveDurable(record.seq));
                seq = record.seq;
            }
        }
        {
            let mut state = db.state.borrow_mut();
            // Never move backwards: a listing that raced GC may see less than last time, and
            // a store listing that lags may show an older manifest. Keep the view (it is
            // durable, only staler); the next poll tries again.
            if seq < state.wal().acknowledged_seq()
                || manifest.manifest_id < state.manifest().manifest_id
                || manifest.writer_epoch < state.manifest().writer_epoch
            {
                return Ok(());
            }
            state.follow(manifest.clone(), memtable, seq);
        }
        let mut follow = self.follow.borrow_mut();
        follow.manifest_id = manifest.manifest_id;
        follow.wal = fetched;
        follow.current_as_of = started;
        follow.last_poll_duration = db.runtime.now().saturating_since(started);
        Ok(())
    }
}
