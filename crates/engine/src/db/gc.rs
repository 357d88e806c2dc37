//! Garbage collection: deletes WAL objects, SSTs and manifests nothing can need any more.
//!
//! Rules, all of which must hold before an object is deleted:
//! - it is at least `gc_min_age` old (by the store's last-modified time);
//! - a WAL object's id is below the latest manifest's `wal_replay_from`;
//! - an SST is not in the latest manifest, not in this writer's manifest, not in any version
//!   an open snapshot, scan or read holds, and not being uploaded by this writer's flusher;
//! - a manifest is older than the latest one.
//!
//! The collector reads the latest manifest from the store first, so a fenced (zombie) writer
//! sees the newer epoch and stops instead of deleting the new writer's SSTs. The min-age rule
//! covers the rest: an SST another process is uploading but has not yet committed is young.

use super::DbInner;
use crate::error::{Error, Result};
use crate::paths::ObjectKind;
use crate::state::DbStatus;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::rc::Rc;
use strata_objstore::ObjectMeta;
use strata_sim::{Cause, EventKind};

/// What one collection pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcReport {
    pub wal_deleted: u64,
    pub ssts_deleted: u64,
    pub manifests_deleted: u64,
    /// Objects that would be obsolete but are younger than `gc_min_age`.
    pub kept_too_young: u64,
}

impl DbInner {
    pub async fn run_gc(&self) -> Result<GcReport> {
        self.check_open()?;
        let latest = super::manifest_io::read_latest_manifest(&self.store, &self.paths, Cause::Gc)
            .await?
            .ok_or_else(|| Error::corrupt(self.paths.root(), "no manifest"))?;
        let my_epoch = self.state.borrow().writer_epoch;
        if latest.writer_epoch > my_epoch {
            return Err(self.mark_fenced(latest.writer_epoch));
        }
        let mut report = GcReport::default();

        let wal_objects = self.list(ObjectKind::Wal).await?;
        for object in &wal_objects {
            if let Some(id) = self.paths.parse(ObjectKind::Wal, &object.key) {
                if id < latest.wal_replay_from && self.delete_if_old(object, &mut report).await? {
                    report.wal_deleted += 1;
                }
            }
        }

        let sst_objects = self.list(ObjectKind::Sst).await?;
        for object in &sst_objects {
            let Some(id) = self.paths.parse(ObjectKind::Sst, &object.key) else {
                continue;
            };
            // Recomputed per object: a flush may commit while this pass awaits deletes.
            let referenced = {
                let state = self.state.borrow();
                // `extend` inserts one by one: `collect` would instantiate a sort.
                let mut referenced: BTreeSet<u64> = BTreeSet::new();
                referenced.extend(latest.sst_ids());
                referenced.extend(state.manifest.sst_ids());
                referenced.extend(state.uploading_ssts.iter().copied());
                for version in state.live_versions.iter().filter_map(|weak| weak.upgrade()) {
                    referenced.extend(version.handles().map(|handle| handle.info.id));
                }
                referenced.contains(&id)
            };
            if !referenced && self.delete_if_old(object, &mut report).await? {
                report.ssts_deleted += 1;
                self.cache.borrow_mut().remove_sst(id);
            }
        }

        let manifest_objects = self.list(ObjectKind::Manifest).await?;
        for object in &manifest_objects {
            if let Some(id) = self.paths.parse(ObjectKind::Manifest, &object.key) {
                if id < latest.manifest_id && self.delete_if_old(object, &mut report).await? {
                    report.manifests_deleted += 1;
                }
            }
        }
        Ok(report)
    }

    async fn list(&self, kind: ObjectKind) -> Result<Vec<ObjectMeta>> {
        self.store
            .list_all(Cause::Gc, &self.paths.prefix(kind))
            .await
            .map_err(|error| Error::store("GC listing", error))
    }

    /// Deletes an obsolete object if it is old enough. Returns whether it was deleted.
    async fn delete_if_old(&self, object: &ObjectMeta, report: &mut GcReport) -> Result<bool> {
        let age = self.runtime.now().saturating_since(object.last_modified);
        if age < self.options.gc_min_age {
            report.kept_too_young += 1;
            return Ok(false);
        }
        self.check_open()?;
        self.store
            .delete(Cause::Gc, &object.key)
            .await
            .map_err(|error| Error::store("GC delete", error))?;
        self.state.borrow_mut().counters.gc_objects_deleted += 1;
        self.runtime.record(EventKind::GcDeleted {
            key: object.key.clone(),
        });
        Ok(true)
    }

    /// The background collector: one pass every `gc_interval`.
    pub async fn gc_task(self: Rc<Self>) {
        loop {
            self.runtime.sleep(self.options.gc_interval).await;
            if self.state.borrow().status != DbStatus::Open {
                return;
            }
            if let Err(error) = self.run_gc().await {
                if matches!(
                    error.kind(),
                    crate::ErrorKind::Fenced | crate::ErrorKind::Closed
                ) {
                    return;
                }
            }
        }
    }
}
