//! Garbage collection: deletes WAL objects, SSTs and manifests nothing can need any more.
//!
//! A pass takes its start time from the clock *before* it reads anything, then reads the
//! latest manifest, lists, and deletes in batches. Rules, all of which must hold before an
//! object is deleted:
//! - it was at least `gc_min_age` old when the pass began: `pass_start − last_modified ≥
//!   gc_min_age`. Measuring age at the delete instant instead would let a long pass (a slow
//!   LIST, a paused process) delete objects written after it read the manifest, which that
//!   manifest cannot know about;
//! - a WAL object's id is below the latest manifest's `wal_replay_from`;
//! - an SST is not in the latest manifest, not in this writer's manifest, not in any version
//!   an open snapshot, scan or read holds, and not being uploaded by this writer's flusher;
//! - a manifest is older than the latest one.
//!
//! Fencing: before each batch of deletes the pass reads the latest manifest again and stops
//! with `Fenced` if a newer writer took over, so a zombie writer's pass never deletes what a
//! newer writer may need. The min-age rule covers what a manifest cannot show: an SST that
//! another process has uploaded but not yet committed is young.

use super::DbInner;
use crate::error::{Error, Result};
use crate::format::manifest::{RetiredSst, MAX_RETIRED_SSTS};
use crate::paths::ObjectKind;
use crate::state::DbStatus;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use strata_objstore::ObjectMeta;
use strata_sim::maps::IdSet;
use strata_sim::{Cause, EventKind, SimDuration, SimTime};

/// The most objects one batch deletes before the pass re-checks the writer's epoch.
pub const GC_DELETE_BATCH: usize = 64;

/// What one collection pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcReport {
    pub wal_deleted: u64,
    pub ssts_deleted: u64,
    pub manifests_deleted: u64,
    /// Objects that would be obsolete but are younger than `gc_min_age`.
    pub kept_too_young: u64,
}

/// True if an object last modified at `last_modified` was at least `min_age` old when the
/// pass began. An object written after the pass began is never old enough.
pub fn old_enough_at_pass_start(
    pass_start: SimTime,
    last_modified: SimTime,
    min_age: SimDuration,
) -> bool {
    last_modified <= pass_start && pass_start.saturating_since(last_modified) >= min_age
}

/// Drops the retired-SST entries a collector no longer needs: those retired at least
/// `min_age` before `now` (GC may delete their SSTs by now anyway), and the oldest beyond
/// `MAX_RETIRED_SSTS`. Once an entry is gone its SST falls under the written-age rule, which
/// is no looser: it was written before it was retired.
pub(crate) fn prune_retired(retired: &mut Vec<RetiredSst>, now: SimTime, min_age: SimDuration) {
    retired.retain(|entry| now.saturating_since(entry.retired_at) < min_age);
    if retired.len() > MAX_RETIRED_SSTS {
        let excess = retired.len() - MAX_RETIRED_SSTS;
        retired.drain(..excess);
    }
}

/// When SST `id` was retired, given `retired` and its positions in id order (equal ids in
/// list order): the last entry for `id` in the list, as a map filled in that order keeps.
fn retired_at(retired: &[RetiredSst], order: &[usize], id: u64) -> Option<SimTime> {
    let after = order.partition_point(|&position| retired[position].id <= id);
    let last = &retired[*order[..after].last()?];
    assert!(last.id <= id, "invariant: the retired SSTs' order is by id");
    (last.id == id).then_some(last.retired_at)
}

impl DbInner {
    pub async fn run_gc(&self) -> Result<GcReport> {
        self.check_open()?;
        // First the clock, then the manifest: nothing written after this instant counts as old.
        let pass_start = self.runtime.now();
        let latest = self.latest_manifest_unfenced(Cause::Gc).await?;
        let mut report = GcReport::default();
        let in_latest = latest.sst_id_set();
        // The retired SSTs' positions in id order (up to `MAX_RETIRED_SSTS` entries): a binary
        // search per listed SST, and no map of its own in the wasm (a `LiteMap` of ids built
        // from this order and read by `get` cost its insert and lookup, about 540 B raw).
        let retired_order = strata_sim::maps::stable_order(latest.retired.iter().map(|r| r.id));
        // One loop over the kinds, WAL objects first, then SSTs, then manifests: one listing
        // and one deletion in the state machine, not three of each.
        for kind in [ObjectKind::Wal, ObjectKind::Sst, ObjectKind::Manifest] {
            let mut obsolete = Vec::new();
            let listed = self
                .store
                .list_all(Cause::Gc, &self.paths.prefix(kind))
                .await
                .map_err(|error| Error::store("GC listing", error))?;
            for object in listed {
                let Some(id) = self.paths.parse(kind, &object.key) else {
                    continue;
                };
                let (unneeded, aged_from) = match kind {
                    ObjectKind::Wal => (id < latest.wal_replay_from, object.last_modified),
                    // A retired SST ages from when it left the manifest, not from when it
                    // was written: a reader holding an older manifest may still read it.
                    ObjectKind::Sst => (
                        !in_latest.contains(&id),
                        retired_at(&latest.retired, &retired_order, id)
                            .map_or(object.last_modified, |retired_at| {
                                object.last_modified.max(retired_at)
                            }),
                    ),
                    ObjectKind::Manifest => (id < latest.manifest_id, object.last_modified),
                };
                if unneeded && self.old_enough(pass_start, aged_from, &mut report) {
                    obsolete.push(object);
                }
            }
            let deleted = self.delete_in_batches(kind, &obsolete).await?;
            match kind {
                ObjectKind::Wal => report.wal_deleted += deleted,
                ObjectKind::Sst => report.ssts_deleted += deleted,
                ObjectKind::Manifest => report.manifests_deleted += deleted,
            }
        }
        Ok(report)
    }

    /// Every SST this writer may still read or commit: its manifest, the versions open
    /// snapshots, scans and reads hold, and its uploads in flight.
    fn sst_in_use(&self) -> IdSet {
        self.state.borrow().versions().ssts_in_use()
    }

    fn old_enough(&self, pass_start: SimTime, aged_from: SimTime, report: &mut GcReport) -> bool {
        let old = old_enough_at_pass_start(pass_start, aged_from, self.options.gc_min_age);
        if !old {
            report.kept_too_young += 1;
        }
        old
    }

    /// Deletes `objects` (of one kind) in batches of `GC_DELETE_BATCH`. Before each batch it
    /// re-reads the latest manifest, stopping if fenced; SSTs that manifest or this writer
    /// still uses are skipped (recomputed per batch: a flush may commit while the pass
    /// awaits deletes). Returns how many it deleted.
    async fn delete_in_batches(&self, kind: ObjectKind, objects: &[ObjectMeta]) -> Result<u64> {
        let mut deleted = 0;
        for batch in objects.chunks(GC_DELETE_BATCH) {
            self.check_open()?;
            let latest = self.latest_manifest_unfenced(Cause::Gc).await?;
            let mut in_use = self.sst_in_use();
            in_use.extend(latest.sst_id_list().iter().copied());
            for object in batch {
                let sst = match kind {
                    ObjectKind::Sst => self.paths.parse(ObjectKind::Sst, &object.key),
                    _ => None,
                };
                if sst.is_some_and(|id| in_use.contains(&id)) {
                    continue;
                }
                self.check_open()?;
                self.store
                    .delete(Cause::Gc, &object.key)
                    .await
                    .map_err(|error| Error::store("GC delete", error))?;
                if let Some(id) = sst {
                    self.cache.borrow_mut().remove_sst(id);
                }
                self.state.borrow_mut().counters.gc_objects_deleted += 1;
                self.runtime.record(EventKind::GcDeleted {
                    key: object.key.clone(),
                });
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// The background collector: one pass every `gc_interval`.
    pub async fn gc_task(self: Rc<Self>) {
        loop {
            self.runtime.sleep(self.options.gc_interval).await;
            if self.state.borrow().status() != DbStatus::Open {
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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_retired_sst_is_found_by_id_and_its_last_entry_wins() {
        let at = |nanos: u64| SimTime::from_nanos(nanos);
        let retired: Vec<RetiredSst> = [(7, 1), (3, 2), (7, 3), (5, 4)]
            .iter()
            .map(|&(id, nanos)| RetiredSst {
                id,
                retired_at: at(nanos),
            })
            .collect();
        let order = strata_sim::maps::stable_order(retired.iter().map(|r| r.id));
        assert_eq!(retired_at(&retired, &order, 7), Some(at(3)));
        assert_eq!(retired_at(&retired, &order, 3), Some(at(2)));
        assert_eq!(retired_at(&retired, &order, 5), Some(at(4)));
        for absent in [0, 4, 6, 8] {
            assert_eq!(retired_at(&retired, &order, absent), None);
        }
        assert_eq!(retired_at(&[], &[], 7), None);
    }

    #[test]
    fn age_is_measured_at_the_start_of_the_pass() {
        let min_age = SimDuration::from_secs(1);
        let start = SimTime::ZERO + SimDuration::from_secs(10);
        let written = |secs: u64| SimTime::ZERO + SimDuration::from_secs(secs);
        assert!(old_enough_at_pass_start(start, written(9), min_age));
        assert!(!old_enough_at_pass_start(start, written(10), min_age));
        // Written after the pass began: never old enough for it, however long it runs.
        assert!(!old_enough_at_pass_start(start, written(11), min_age));
    }
}
