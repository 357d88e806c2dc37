//! Reading and changing the manifest. Changes are conditional: the next manifest is created
//! with create-if-absent under the next id; if someone else got there first, the latest
//! manifest is re-read, the change re-applied to it, and the create retried (bounded). A
//! newer writer epoch in the re-read manifest means we are fenced.

use super::DbInner;
use crate::error::{Error, Result};
use crate::format::manifest::Manifest;
use crate::paths::{ObjectKind, Paths};
use crate::store::{CreateOutcome, Store};
use crate::ErrorKind;
use strata_sim::{Cause, EventKind, SimDuration, SimTime};

/// How often a read retries when the newest manifest vanishes between LIST and GET (GC of
/// an older one racing a newer write).
const MANIFEST_READ_ATTEMPTS: u32 = 4;

/// How long a writer waits before reading the latest manifest again when it must confirm
/// a manifest it created and the store is unavailable.
const MANIFEST_CONFIRM_BACKOFF: SimDuration = SimDuration::from_millis(100);

/// The newest manifest in the store, or `None` for a database never opened.
pub(crate) async fn read_latest_manifest(
    store: &Store,
    paths: &Paths,
    cause: Cause,
) -> Result<Option<Manifest>> {
    for _ in 0..MANIFEST_READ_ATTEMPTS {
        let objects = store
            .list_all(cause, &paths.prefix(ObjectKind::Manifest))
            .await
            .map_err(|error| Error::store("manifest listing", error))?;
        let Some(latest_id) = objects
            .iter()
            .filter_map(|object| paths.parse(ObjectKind::Manifest, &object.key))
            .max()
        else {
            return Ok(None);
        };
        let key = paths.manifest(latest_id);
        let Some(bytes) = store
            .get_opt(cause, &key)
            .await
            .map_err(|error| Error::store("manifest read", error))?
        else {
            continue;
        };
        let manifest = Manifest::decode(&bytes).map_err(|reason| Error::corrupt(&key, reason))?;
        if manifest.manifest_id != latest_id {
            return Err(Error::corrupt(
                &key,
                format!("holds manifest id {}", manifest.manifest_id),
            ));
        }
        return Ok(Some(manifest));
    }
    Err(Error::RetriesExhausted {
        operation: "manifest read",
        attempts: MANIFEST_READ_ATTEMPTS,
        reason: "the newest manifest kept disappearing".to_string(),
    })
}

impl DbInner {
    /// Applies `change` to the latest manifest and commits it as the next manifest.
    /// `committing` names the uploaded SSTs the change adds: they stop being uploads in the
    /// same step that installs the manifest.
    ///
    /// `change` is a trait object, not a generic: the flusher and the compactor each passed a
    /// closure of their own, and each instance inlined a copy of this whole state machine into
    /// its caller's in the playground's wasm.
    pub async fn update_manifest(
        &self,
        committing: &[u64],
        change: &dyn Fn(&mut Manifest),
    ) -> Result<Manifest> {
        let _guard = self.manifest_lock.lock().await;
        let (mut base, epoch) = {
            let state = self.state.borrow();
            (state.manifest().clone(), state.writer_epoch())
        };
        let attempts = self.options.manifest_max_attempts;
        for _ in 0..attempts {
            self.check_open()?;
            let mut next = base.clone();
            change(&mut next);
            super::gc::prune_retired(
                &mut next.retired,
                self.runtime.now(),
                self.options.gc_min_age,
            );
            next.manifest_id = base.manifest_id + 1;
            next.writer_epoch = epoch;
            if let Err(error) = next.check() {
                panic!("invariant: a manifest change keeps the manifest valid: {error}");
            }
            let key = self.paths.manifest(next.manifest_id);
            let issued_at = self.runtime.now();
            let outcome = self
                .store
                .create(Cause::Manifest, &key, next.encode())
                .await
                .map_err(|error| Error::store("manifest update", error))?;
            match outcome {
                CreateOutcome::Created => {
                    let proven_at = self.confirm_created_manifest(issued_at).await?;
                    let mut state = self.state.borrow_mut();
                    state.commit_manifest(next.clone(), committing);
                    state.prove_epoch(proven_at);
                    state.counters.manifests_written += 1;
                    self.runtime.record(EventKind::ManifestWritten {
                        manifest_id: next.manifest_id,
                        writer_epoch: epoch,
                    });
                    return Ok(next);
                }
                CreateOutcome::Exists => {
                    self.state.borrow_mut().counters.manifest_conflicts += 1;
                    let read_at = self.runtime.now();
                    base = read_latest_manifest(&self.store, &self.paths, Cause::Manifest)
                        .await?
                        .ok_or_else(|| {
                            Error::corrupt(&key, "manifests vanished after a conflict")
                        })?;
                    if base.writer_epoch > epoch {
                        return Err(self.mark_fenced(base.writer_epoch));
                    }
                    if base.writer_epoch == epoch {
                        self.state.borrow_mut().prove_epoch(read_at);
                    }
                    let committed_id = self.state.borrow().manifest().manifest_id;
                    if base.manifest_id < committed_id || base.writer_epoch < epoch {
                        return Err(Error::corrupt(
                            &key,
                            format!(
                                "the latest manifest listed (id {}, epoch {}) is older than manifest {committed_id} of epoch {epoch}, which this writer committed",
                                base.manifest_id, base.writer_epoch
                            ),
                        ));
                    }
                }
            }
        }
        Err(Error::RetriesExhausted {
            operation: "manifest update",
            attempts,
            reason: "kept losing the race for the next manifest id".to_string(),
        })
    }

    /// Reads the latest manifest (for `cause`) and stops with `Fenced` if a newer writer owns
    /// the database. Called where this writer has committed or created a manifest, so none
    /// listed at all is `Corrupt` (a wiped bucket), not a database never opened.
    pub(crate) async fn latest_manifest_unfenced(&self, cause: Cause) -> Result<Manifest> {
        let latest = read_latest_manifest(&self.store, &self.paths, cause)
            .await?
            .ok_or_else(|| Error::corrupt(self.paths.root(), "no manifest listed"))?;
        let my_epoch = self.state.borrow().writer_epoch();
        if latest.writer_epoch > my_epoch {
            return Err(self.mark_fenced(latest.writer_epoch));
        }
        Ok(latest)
    }

    /// Confirms a manifest this writer just created, returning the instant its epoch is
    /// proven at. Within the epoch lease (see `DbInner::put_wal_object`) the create itself
    /// proves it: no id a newer writer took can have been freed yet, so the create landed
    /// above every manifest. After the lease the id may be one GC freed below a newer
    /// writer's manifests (a writer stalled for longer than `gc_min_age`, by a hung request
    /// or a paused process), so the latest manifest is read again, and a newer epoch there
    /// fences us: the manifest created is then stale junk that the newer writer's GC
    /// removes. Until that read succeeds nothing is committed, so an unreachable store holds
    /// the commit rather than acknowledging what a newer writer may never see.
    async fn confirm_created_manifest(&self, issued_at: SimTime) -> Result<SimTime> {
        let proven_at = self.state.borrow().wal().epoch_proven_at();
        if super::wal::within_epoch_lease(proven_at, self.runtime.now(), self.options.gc_min_age) {
            return Ok(issued_at);
        }
        loop {
            self.check_open()?;
            let read_at = self.runtime.now();
            match self.latest_manifest_unfenced(Cause::Manifest).await {
                Ok(_) => return Ok(read_at),
                Err(error) if error.kind() == ErrorKind::Unavailable => {
                    self.runtime.sleep(MANIFEST_CONFIRM_BACKOFF).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
}
