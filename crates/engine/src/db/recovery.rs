//! Opening a database: take over as writer, replay the WAL, fence older writers.
//!
//! 1. Read the latest manifest and write the next one with `writer_epoch + 1`
//!    (create-if-absent; on a lost race, re-read and retry). From now on any older writer's
//!    manifest update fails and reports `Fenced`.
//! 2. List the WAL objects from the manifest's `wal_replay_from` and replay their records
//!    above `last_flushed_seq` into memtables.
//! 3. Write an empty WAL object at the next WAL id (create-if-absent). If an older writer got
//!    there first, an id further ahead is tried at once, then the ids skipped are claimed in
//!    order, and the objects it took are replayed once all are settled. Once ours lands, the
//!    older writer's next WAL upload hits `AlreadyExists`, it reads the manifest, sees the
//!    newer epoch and reports `Fenced`; so no write it acknowledged as durable is lost.
//! 4. Start the background tasks.

use super::{DbInner, State};
use crate::cache::BlockCache;
use crate::error::{Error, Result};
use crate::format::manifest::Manifest;
use crate::format::wal::{self, fence_object};
use crate::options::DbOptions;
use crate::paths::{ObjectKind, Paths};
use crate::store::{CreateOutcome, Store, StorePolicy};
use crate::util::AsyncLock;
use bytes::Bytes;
use std::cell::RefCell;
use std::rc::Rc;
use strata_objstore::{ObjectStore, StoreError};
use strata_sim::maps::IdSet;
use strata_sim::sync::Notify;
use strata_sim::{Cause, EventKind, RuntimeRef};

/// The most WAL ids an opening writer walks past while racing an older writer for the fence.
const MAX_FENCE_ATTEMPTS: u32 = 1000;

/// Reads of one WAL object during recovery before a transient failure fails the open.
const WAL_REPLAY_READ_ATTEMPTS: u32 = 3;

/// The largest step ahead after a WAL id the older writer took (the skipped ids are claimed
/// afterwards, so this bounds that extra work per conflict).
const MAX_FENCE_JUMP: u64 = 16;

/// The most missing WAL ids an open claims below the last listed one. Failed opens leave at
/// most a few fence jumps' worth; far more means the listing is not a WAL this engine wrote.
const MAX_WAL_HOLES: u64 = 4 * 1024;

/// The retry, hedge and pricing settings of the engine's store wrapper.
pub(crate) fn store_policy(options: &DbOptions) -> StorePolicy {
    StorePolicy {
        max_attempts: options.store_max_attempts,
        base_delay: options.store_retry_delay,
        max_delay: options.store_retry_max_delay,
        deadline: options.store_retry_deadline,
        hedge: options.hedge.clone(),
        pricing: options.pricing.clone(),
    }
}

pub(crate) async fn open(
    runtime: RuntimeRef,
    port: Rc<dyn ObjectStore>,
    path: &str,
    options: DbOptions,
) -> Result<Rc<DbInner>> {
    options.validate()?;
    let paths = Paths::new(path)?;
    let store = Store::new(port, runtime.clone(), store_policy(&options));
    // (1) Write the next manifest with a bumped epoch (here, not in an `async fn` of its own:
    // its future was a layer of state of its own in the open's).
    let mut taken_over = None;
    for _ in 0..options.manifest_max_attempts {
        // The epoch bump is created after this instant: no newer writer had committed
        // before it.
        let attempt_started = runtime.now();
        let base = super::manifest_io::read_latest_manifest(&store, &paths, Cause::Manifest)
            .await?
            .unwrap_or_else(Manifest::empty);
        let mut next = base.clone();
        next.manifest_id = base.manifest_id + 1;
        next.writer_epoch = base.writer_epoch + 1;
        // Exclusive: every writer taking over from `base` writes the same bytes, so a
        // read-back that finds our bytes does not prove the epoch is ours.
        let outcome = store
            .create_exclusive(
                Cause::Manifest,
                &paths.manifest(next.manifest_id),
                next.encode(),
            )
            .await
            .map_err(|error| Error::store("manifest update at open", error))?;
        if outcome != CreateOutcome::Created {
            continue;
        }
        // Within the epoch lease of the read, the id cannot be one GC freed (a manifest
        // newer than `base` is younger than the read, so not yet old enough to collect), so
        // the create is the takeover. Later (an open paused or hung between its read and its
        // create) it may have landed in a freed id below a newer writer's manifests, with an
        // epoch that writer may hold too: confirm it is the latest, else start over from the
        // latest.
        if super::wal::within_epoch_lease(attempt_started, runtime.now(), options.gc_min_age) {
            taken_over = Some((next, attempt_started));
            break;
        }
        let read_at = runtime.now();
        let latest =
            super::manifest_io::read_latest_manifest(&store, &paths, Cause::Manifest).await?;
        if latest.is_some_and(|latest| latest.manifest_id == next.manifest_id) {
            taken_over = Some((next, read_at));
            break;
        }
    }
    let Some((manifest, take_over_started)) = taken_over else {
        return Err(Error::RetriesExhausted {
            operation: "open (epoch bump)",
            attempts: options.manifest_max_attempts,
            reason: "kept losing the race for the next manifest id".to_string(),
        });
    };
    let epoch = manifest.writer_epoch;
    runtime.record(EventKind::ManifestWritten {
        manifest_id: manifest.manifest_id,
        writer_epoch: epoch,
    });

    let mut state = State::open(manifest, runtime.now(), take_over_started);
    state.counters.manifests_written = 1;
    let compaction_style = options.compaction.style.clone();
    let inner = Rc::new(DbInner {
        runtime: runtime.clone(),
        store,
        paths,
        cache: RefCell::new(BlockCache::new(options.block_cache_bytes)),
        options,
        state: RefCell::new(state),
        changed: Notify::new(),
        wal_kick: Notify::new(),
        flush_kick: Notify::new(),
        wal_lock: AsyncLock::new(),
        flush_lock: AsyncLock::new(),
        manifest_lock: AsyncLock::new(),
        compaction_lock: AsyncLock::new(),
        compaction_kick: Notify::new(),
        compaction_style: RefCell::new(compaction_style),
        tasks: RefCell::new(Vec::new()),
    });

    let replayed = inner.replay_and_fence().await?;
    runtime.record(EventKind::WriterRecovered {
        writer_epoch: epoch,
        replayed_wal_objects: replayed,
    });

    let mut tasks = vec![
        runtime.spawn_detached(Box::pin(inner.clone().wal_task())),
        runtime.spawn_detached(Box::pin(inner.clone().flush_task())),
    ];
    tasks.push(runtime.spawn_detached(Box::pin(inner.clone().compaction_task())));
    if !inner.options.gc_interval.is_zero() {
        tasks.push(runtime.spawn_detached(Box::pin(inner.clone().gc_task())));
    }
    *inner.tasks.borrow_mut() = tasks;
    // Replay may have left frozen memtables; the flusher picks them up.
    inner.flush_kick.notify_waiters();
    Ok(inner)
}

impl DbInner {
    /// Replays every WAL object from the manifest's position, then claims the next WAL id.
    /// Returns how many objects held writes that were replayed.
    async fn replay_and_fence(&self) -> Result<u64> {
        let (replay_from, epoch) = {
            let state = self.state.borrow();
            (state.manifest().wal_replay_from, state.writer_epoch())
        };
        let listed = self
            .store
            .list_all(Cause::Wal, &self.paths.prefix(ObjectKind::Wal))
            .await
            .map_err(|error| Error::store("WAL listing", error))?;
        // A listing answered after the epoch lease may come after a newer writer took over,
        // flushed, and collected the WAL from our replay position on, its own objects too
        // once they aged: a listing with no gap in it that still misses durable writes. The
        // view it gives is proven only by a read of the latest manifest after it.
        let proven_at = self.state.borrow().wal().epoch_proven_at();
        if !super::wal::within_epoch_lease(proven_at, self.runtime.now(), self.options.gc_min_age) {
            let read_at = self.runtime.now();
            self.latest_manifest_unfenced(Cause::Wal).await?;
            self.state.borrow_mut().prove_epoch(read_at);
        }
        let ids = self.paths.wal_ids_from(&listed, replay_from);
        let mut replayed = 0;
        // Ids from the replay position up to the last listed one that nobody holds: an open
        // that failed part-way through its fence (below) leaves the ids it jumped over
        // unclaimed. Claim each, in id order with the listed ones, before replaying past it.
        // Left open, an older writer still running could later write there and acknowledge
        // writes no recovery replays, and a replica, which stops at a gap, would stop
        // following. An id taken since the listing is that writer's object: replay it.
        let mut next = replay_from;
        let mut holes = 0u64;
        for id in &ids {
            if next < *id && holes == 0 {
                // A newer writer that took over and collected below its own replay position
                // also leaves missing ids: that is fencing, and claiming them would only
                // fill freed ids with junk.
                self.latest_manifest_unfenced(Cause::Wal).await?;
            }
            while next < *id {
                holes += 1;
                if holes > MAX_WAL_HOLES {
                    return Err(Error::corrupt(
                        self.paths.root(),
                        format!(
                            "more than {MAX_WAL_HOLES} missing WAL ids from the replay position {replay_from} to {id}"
                        ),
                    ));
                }
                if self.create_fence(epoch, next).await? {
                    self.state.borrow_mut().replayed_wal_object(next, 0);
                } else {
                    let bytes = self.fetch_wal(next).await?;
                    replayed += u64::from(self.replay_wal_object(next, &bytes)?);
                }
                next += 1;
            }
            let bytes = self.fetch_wal(*id).await?;
            replayed += u64::from(self.replay_wal_object(*id, &bytes)?);
            next = id + 1;
        }
        let first_id = ids.last().map_or(replay_from, |last| last + 1);
        // Racing an older writer that keeps uploading, trying one id after another trails it
        // whenever our PUTs are no faster than its uploads (S3 Standard at one upload per
        // flush interval). So after each id it took, jump further ahead (1, 2, 4, … ids) and
        // only then claim the ids skipped, in order: the older writer uploads ids in order
        // and stops at the first one we hold, so what it took below that is a prefix, and
        // every id we find taken is replayed once all of them are settled.
        let mut fence_id = first_id;
        let mut jump = 1u64;
        // Ids tried, and those of them an older writer had taken. Bounded by
        // MAX_FENCE_ATTEMPTS. (Two `IdSet`s, the engine's one set type, rather than an id →
        // taken map: a map type of its own is more map code in the wasm.)
        let mut settled = IdSet::new();
        let mut taken = IdSet::new();
        let mut attempts = 0u32;
        let landed = loop {
            if attempts >= MAX_FENCE_ATTEMPTS {
                break None;
            }
            attempts += 1;
            settled.insert(fence_id);
            if self.create_fence(epoch, fence_id).await? {
                break Some(fence_id);
            }
            taken.insert(fence_id);
            fence_id += jump;
            jump = (jump * 2).min(MAX_FENCE_JUMP);
        };
        if let Some(landed) = landed {
            for id in first_id..landed {
                if settled.contains(&id) {
                    continue;
                }
                if attempts >= MAX_FENCE_ATTEMPTS {
                    break;
                }
                attempts += 1;
                settled.insert(id);
                if !self.create_fence(epoch, id).await? {
                    taken.insert(id);
                }
            }
            if attempts <= MAX_FENCE_ATTEMPTS && settled.len() as u64 == landed - first_id + 1 {
                // Every id from `first_id` to `landed` is settled (the count says so), so this
                // is each of them in order.
                for id in first_id..=landed {
                    if taken.contains(&id) {
                        let bytes = self.fetch_wal(id).await?;
                        replayed += u64::from(self.replay_wal_object(id, &bytes)?);
                    } else {
                        // Our fence: durable, with no records.
                        self.state.borrow_mut().replayed_wal_object(id, 0);
                    }
                }
                self.state.borrow_mut().finish_replay(landed, replayed);
                return Ok(replayed);
            }
        }
        Err(Error::RetriesExhausted {
            operation: "WAL fence at open",
            attempts: MAX_FENCE_ATTEMPTS,
            reason: "an older writer kept taking the next WAL id".to_string(),
        })
    }

    /// Writes an empty WAL object of our epoch at `id`. Returns false if the id was taken.
    async fn create_fence(&self, epoch: u64, id: u64) -> Result<bool> {
        let fence = fence_object(epoch, id);
        let outcome = self
            .store
            .create(Cause::Wal, &self.paths.wal(id), fence.bytes)
            .await
            .map_err(|error| Error::store("WAL fence", error))?;
        Ok(outcome == CreateOutcome::Created)
    }

    /// Reads one WAL object to replay. A transient failure is tried again, up to
    /// `WAL_REPLAY_READ_ATTEMPTS` reads: the store's own retries stop at their deadline, which
    /// one timed-out attempt can use up alone, and failing here would throw the whole open
    /// away (its epoch bump, listing and every object read so far), so that with many WAL
    /// objects and occasional timeouts an open could fail again and again.
    async fn fetch_wal(&self, id: u64) -> Result<Bytes> {
        let key = self.paths.wal(id);
        let mut attempts = 1;
        loop {
            match self.store.get(Cause::Wal, &key, None).await {
                Ok(result) => return Ok(result.bytes),
                Err(error) if error.is_transient() && attempts < WAL_REPLAY_READ_ATTEMPTS => {
                    attempts += 1;
                    self.check_open()?;
                }
                // A WAL object listed at or after our replay position is gone when we read
                // it. No writer of our epoch or older collects it (their GC keeps everything
                // from the replay position of a manifest at most as new as ours), so a newer
                // writer took over while we were opening, flushed its writes and collected it:
                // we were fenced. If the latest manifest is still ours or older, the object
                // was lost, which the error reports.
                Err(error @ StoreError::NotFound { .. }) => {
                    return Err(match self.latest_manifest_unfenced(Cause::Wal).await {
                        Ok(_) => Error::store("WAL replay read", error),
                        Err(reread) => reread,
                    });
                }
                Err(error) => return Err(Error::store("WAL replay read", error)),
            }
        }
    }

    /// Applies one WAL object's unflushed records. Returns whether it held any record.
    fn replay_wal_object(&self, id: u64, bytes: &Bytes) -> Result<bool> {
        let key = self.paths.wal(id);
        let decoded = wal::decode(bytes).map_err(|reason| Error::corrupt(&key, reason))?;
        if decoded.header.wal_id != id {
            return Err(Error::corrupt(
                &key,
                format!("holds WAL id {}", decoded.header.wal_id),
            ));
        }
        let newer_epoch = decoded.header.writer_epoch;
        if newer_epoch > self.state.borrow().writer_epoch() {
            // A newer writer opened while we were opening (its fence or its writes are in
            // the WAL): we lost the takeover race, which is fencing, not damage.
            return Err(self.mark_fenced(newer_epoch));
        }
        let mut state = self.state.borrow_mut();
        state.replayed_wal_object(id, decoded.header.last_seq);
        let has_records = !decoded.records.is_empty();
        for record in decoded.records {
            state.replay_record(record, self.options.memtable_bytes, &self.runtime);
        }
        Ok(has_records)
    }
}
