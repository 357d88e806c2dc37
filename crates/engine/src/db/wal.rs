//! The WAL uploader: seals buffered writes into WAL objects, uploads them with
//! create-if-absent under sequential ids, and advances the durable watermark.
//!
//! One upload is in flight at a time (`wal_lock`), so ids and the watermark advance in order.
//! A sealed object that fails keeps its id and bytes and is retried as is: an id never holds
//! two different contents from one writer. If the id is taken by someone else, a newer
//! writer has fenced us (it writes an empty WAL object at the next id when it opens), unless
//! the object there is an older writer's empty fence: that id is stepped over.

use super::DbInner;
use crate::error::{Error, ErrorKind, Result};
use crate::format::wal::{self, SealedWal};
use crate::policy;
use crate::state::DbStatus;
use crate::store::CreateOutcome;
use std::rc::Rc;
use strata_objstore::StoreError;
use strata_sim::sync::{race, timeout};
use strata_sim::{Cause, EventKind};
use strata_sim::{LocalBoxFuture, SimDuration, SimTime};

/// How long one WAL upload (with the store wrapper's own retries) may take before it is
/// abandoned and retried after a flush interval. Far above a healthy PUT (S3 Standard's p99
/// is a few hundred ms), far below a hung request's client deadline.
pub(crate) const WAL_UPLOAD_TIMEOUT: SimDuration = SimDuration::from_millis(1000);

/// Whether a request answered at `answered_at` is still within the epoch lease of the proof
/// at `proven_at`: no more than half of `gc_min_age` later. That half is the shortest time
/// in which GC can free an id a newer writer took (see `DbInner::put_wal_object`), with a
/// margin for a store whose clock (which dates the objects GC ages) runs ahead of the
/// writer's. Within the lease a created object proves the epoch by itself, and a WAL listing
/// shows every object a newer writer could have made; after it, WAL uploads, manifest
/// commits, the open's epoch bump and its WAL listing all read the latest manifest first.
pub(crate) fn within_epoch_lease(
    proven_at: SimTime,
    answered_at: SimTime,
    gc_min_age: SimDuration,
) -> bool {
    answered_at.saturating_since(proven_at) <= SimDuration::from_nanos(gc_min_age.as_nanos() / 2)
}

impl DbInner {
    /// Waits until the write with sequence number `seq` is durable. Fails if the handle is
    /// fenced, closed or crashed, or if a WAL upload covering `seq` gives up.
    pub async fn await_durable(&self, seq: u64) -> Result<()> {
        let start_generation = self.state.borrow().wal().failure_generation();
        loop {
            let changed = self.changed.notified();
            {
                let state = self.state.borrow();
                if state.wal().durable_seq() >= seq {
                    return Ok(());
                }
                if let Some(error) = state.status_error() {
                    return Err(error);
                }
                if let Some(failure) = state.wal().failure() {
                    if failure.generation > start_generation && failure.through_seq >= seq {
                        return Err(Error::WalUploadFailed {
                            reason: failure.reason.clone(),
                        });
                    }
                }
            }
            changed.await;
        }
    }

    /// Uploads WAL objects until every write up to `seq` is durable.
    pub async fn flush_wal_through(&self, seq: u64) -> Result<()> {
        loop {
            {
                let state = self.state.borrow();
                if state.wal().durable_seq() >= seq {
                    return Ok(());
                }
                if let Some(error) = state.status_error() {
                    return Err(error);
                }
            }
            if !self.upload_wal_once().await? {
                // Nothing to upload: another task uploaded it while we waited for the lock.
                let state = self.state.borrow();
                if state.wal().durable_seq() < seq {
                    // Unreachable: every applied write is buffered, pending or durable.
                    return Err(Error::WalUploadFailed {
                        reason: format!(
                            "durable watermark {} below {seq} with nothing left to upload",
                            state.wal().durable_seq()
                        ),
                    });
                }
            }
        }
    }

    /// Seals the buffer (unless an earlier object is pending) and uploads one object.
    /// Returns false when there was nothing to upload.
    pub async fn upload_wal_once(&self) -> Result<bool> {
        let _guard = self.wal_lock.lock().await;
        let sealed = {
            let mut state = self.state.borrow_mut();
            state.check_open()?;
            match state.begin_wal_upload(self.runtime.now()) {
                Some(sealed) => sealed,
                None => return Ok(false),
            }
        };
        let result = self.put_wal_object(&sealed).await;
        let mut state = self.state.borrow_mut();
        match result {
            Ok(false) => {
                // Nothing landed; the same writes go out under the next id on the next call.
                state.wal_upload_moved();
                Ok(true)
            }
            Ok(true) => {
                state.wal_upload_landed(&sealed);
                self.runtime.record(EventKind::WalFlushed {
                    wal_id: sealed.wal_id,
                    bytes: sealed.bytes.len() as u64,
                    entries: sealed.entries,
                    first_seq: sealed.first_seq,
                    last_seq: sealed.last_seq,
                });
                drop(state);
                self.changed.notify_waiters();
                Ok(true)
            }
            Err(error) => {
                if !matches!(error, Error::Fenced { .. }) {
                    state.wal_upload_failed(&sealed, error.to_string());
                }
                drop(state);
                self.changed.notify_waiters();
                Err(error)
            }
        }
    }

    /// Creates one WAL object and confirms it; true once it is durable. An id already taken
    /// by other bytes means we are fenced, with one exception, for which this returns false:
    /// an empty object of an older epoch. That is the fence of an open that lost the
    /// takeover race to us but, slowed down, put fences at ids ahead of ours before it
    /// learnt so. It holds no write and fences nobody, so the object moves to the next id
    /// (treating it as our fencing would stop the current writer in favour of none). A created
    /// object is acknowledged at once while the epoch lease holds; after it, the latest
    /// manifest is re-read, and a newer writer's epoch there fences us.
    ///
    /// The lease: fencing by WAL id assumes a newer writer's objects keep their ids, but GC
    /// frees an id once its WAL object is below the replay point and at least `gc_min_age`
    /// old. A newer writer only writes WAL objects after its epoch bump, which is after
    /// `epoch_proven_at` (nothing newer had committed then), and GC measures an object's age
    /// at the start of its pass, so no id a newer writer took is free again before
    /// `epoch_proven_at + gc_min_age`. An upload that succeeded within the lease therefore
    /// created its id before any newer writer could have freed it: either no newer writer
    /// exists, or it will replay the object. After the lease the create may have landed in a
    /// freed id below the newer writer's replay point, where no reader will ever see it.
    ///
    /// Both cases read the manifest at one await point: the taken id's check and the lease's
    /// were two copies of the manifest read's state in the upload's state machine.
    async fn put_wal_object(&self, sealed: &SealedWal) -> Result<bool> {
        let key = self.paths.wal(sealed.wal_id);
        // A request the store never answers would hold the single upload slot until the
        // store client's own deadline (seconds), so every write buffered behind it stays
        // in memory long after the fault that hung it has ended. Give up on the attempt
        // instead; the same id and bytes are retried, so a late landing of this one is
        // harmless (the retry reads it back as ours).
        //
        // The create is boxed as a `dyn Future` so that `timeout` is not generic over the
        // store's create: an instance of it for that type, made and shared by this crate,
        // kept second copies of `Store::create`, `get_opt`, `get` and their retries in the
        // playground's wasm (about 5 KB raw) beside the ones its callers instantiate.
        let create: LocalBoxFuture<'_, std::result::Result<CreateOutcome, StoreError>> =
            Box::pin(self.store.create(Cause::Wal, &key, sealed.bytes.clone()));
        let attempt = timeout(&*self.runtime, WAL_UPLOAD_TIMEOUT, create)
            .await
            .unwrap_or_else(|_| Err(StoreError::Timeout { key: key.clone() }));
        let (proven_at, my_epoch) = {
            let state = self.state.borrow();
            (state.wal().epoch_proven_at(), state.writer_epoch())
        };
        let created = match attempt.map_err(|error| Error::store("WAL upload", error))? {
            CreateOutcome::Created => true,
            // A newer writer takes our next WAL id after bumping the manifest's epoch:
            // confirm, then stop writing (unless the id holds an overtaken open's fence).
            CreateOutcome::Exists => false,
        };
        let issued_at = self.runtime.now();
        if created && within_epoch_lease(proven_at, issued_at, self.options.gc_min_age) {
            return Ok(true);
        }
        let latest =
            super::manifest_io::read_latest_manifest(&self.store, &self.paths, Cause::Manifest)
                .await?;
        if !created {
            let newer = latest.as_ref().is_some_and(|m| m.writer_epoch > my_epoch);
            if !newer
                && self
                    .holds_overtaken_fence(&key, sealed.wal_id, my_epoch)
                    .await?
            {
                return Ok(false);
            }
            let current_epoch = latest.map_or(my_epoch + 1, |m| m.writer_epoch.max(my_epoch + 1));
            return Err(self.mark_fenced(current_epoch));
        }
        match latest {
            Some(manifest) if manifest.writer_epoch > my_epoch => {
                Err(self.mark_fenced(manifest.writer_epoch))
            }
            Some(_) => {
                self.state.borrow_mut().prove_epoch(issued_at);
                Ok(true)
            }
            None => Err(Error::WalUploadFailed {
                reason: "no manifest found while re-checking the writer epoch".to_string(),
            }),
        }
    }

    /// Whether WAL id `wal_id` (at `key`) holds an empty object of an epoch older than
    /// `my_epoch`: the fence of an open that a newer writer (us) overtook.
    async fn holds_overtaken_fence(&self, key: &str, wal_id: u64, my_epoch: u64) -> Result<bool> {
        let existing = self
            .store
            .get_opt(Cause::Wal, key)
            .await
            .map_err(|error| Error::store("WAL upload", error))?;
        Ok(existing
            .and_then(|bytes| wal::decode(&bytes).ok())
            .is_some_and(|found| {
                found.header.writer_epoch < my_epoch
                    && found.header.wal_id == wal_id
                    && found.records.is_empty()
            }))
    }

    /// The background uploader: asks the policy (`policy::plan_wal`) whether an upload is
    /// due: once per `flush_interval` while writes arrive, sooner when the buffer passes
    /// `max_wal_bytes`. Idle (no timer) when there is nothing to upload.
    pub async fn wal_task(self: Rc<Self>) {
        loop {
            let kick = self.wal_kick.notified();
            if self.state.borrow().status() != DbStatus::Open {
                return;
            }
            let view = self.flush_view();
            if policy::plan_wal(&view).is_none() {
                if view.wal_buffer_records == 0 && !view.wal_upload_pending {
                    kick.await;
                } else {
                    let due = view.last_wal_upload + view.flush_interval;
                    race(self.runtime.sleep(due.saturating_since(view.now)), kick).await;
                }
                continue;
            }
            if let Err(error) = self.upload_wal_once().await {
                if matches!(error.kind(), ErrorKind::Fenced | ErrorKind::Closed) {
                    return;
                }
                // The store is failing: wait an interval before trying the same object.
                self.runtime.sleep(self.options.flush_interval).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::within_epoch_lease;
    use strata_sim::{SimDuration, SimTime};

    #[test]
    fn the_epoch_lease_is_half_of_gc_min_age_from_the_proof_inclusive() {
        let proof = SimTime::from_millis(1_000);
        let gc_min_age = SimDuration::from_millis(400);
        let at = |ms: u64| SimTime::from_millis(1_000 + ms);
        assert!(within_epoch_lease(proof, proof, gc_min_age));
        assert!(within_epoch_lease(proof, at(200), gc_min_age));
        assert!(!within_epoch_lease(
            proof,
            at(200).saturating_add(SimDuration::from_nanos(1)),
            gc_min_age
        ));
        // An answer dated before the proof (a proof renewed meanwhile) is within it.
        assert!(within_epoch_lease(
            proof,
            SimTime::from_millis(10),
            gc_min_age
        ));
        // No lease at all when GC may collect at once.
        assert!(!within_epoch_lease(proof, at(1), SimDuration::ZERO));
    }
}
