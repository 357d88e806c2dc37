//! The version set: the manifest this writer last committed or read (its SSTs, levels and
//! retired list), the SST set readers use now and the older ones snapshots still hold, the
//! SSTs being uploaded, and the SSTs compaction quarantined.
//!
//! `VersionSet` owns these transitions and asserts, where they change, that the manifest's
//! epoch and id never go back (and its flushed sequence and replay position never go back
//! when this writer commits), that levels below L0 do not overlap, that an SST being
//! uploaded is never yet in the manifest, that a committed manifest promises no SST counter
//! this writer has not reserved, and that the read path never returns to an older manifest.

use super::super::invariants::{self, CHECKED};
use super::super::read::Version;
use crate::format::manifest::{sst_id, Manifest};
use crate::format::sst::SstMeta;
use std::rc::{Rc, Weak};
use strata_sim::maps::IdSet;

/// The manifest, the SST sets built from it, and the SSTs on their way into it.
pub(crate) struct VersionSet {
    /// The latest manifest this writer committed or read.
    manifest: Manifest,
    /// The SSTs readers use now.
    version: Rc<Version>,
    /// The id of the manifest `version` was built from.
    version_manifest_id: u64,
    /// Versions handed to snapshots and in-flight reads, so GC keeps their SSTs. Dead
    /// entries are pruned whenever a version is installed.
    live_versions: Vec<Weak<Version>>,
    /// SSTs uploaded or uploading but not yet committed to the manifest: GC never deletes
    /// them, whatever their age.
    uploading: IdSet,
    /// SSTs a compaction found corrupt. Planning skips any task that would read one, so a
    /// corrupt input is downloaded once, not once per compaction interval. Bounded by the
    /// manifest: ids leave when their SST leaves the manifest.
    quarantined: IdSet,
    next_sst_counter: u64,
}

impl VersionSet {
    /// The version set of a handle that has just read or written `manifest`.
    pub(crate) fn new(manifest: Manifest) -> VersionSet {
        let version = Rc::new(Version::from_manifest(&manifest, &Version::empty()));
        VersionSet {
            live_versions: vec![Rc::downgrade(&version)],
            version,
            version_manifest_id: manifest.manifest_id,
            uploading: IdSet::new(),
            quarantined: IdSet::new(),
            next_sst_counter: manifest.next_sst_counter,
            manifest,
        }
    }

    pub(crate) fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The SSTs readers use now.
    pub(crate) fn version(&self) -> &Rc<Version> {
        &self.version
    }

    pub(crate) fn quarantined(&self) -> &IdSet {
        &self.quarantined
    }

    /// Every SST this writer may still read or commit: its manifest's, the versions open
    /// snapshots, scans and reads hold, and its uploads in flight.
    pub(crate) fn ssts_in_use(&self) -> IdSet {
        // `extend` inserts one by one: `collect` would instantiate a sort.
        let mut in_use = IdSet::new();
        in_use.extend(self.manifest.sst_id_list().iter().copied());
        in_use.extend(self.uploading.iter().copied());
        let mut held = Vec::new();
        for version in self.live_versions.iter().filter_map(Weak::upgrade) {
            for handle in version.handles() {
                held.push(handle.info.id);
            }
        }
        in_use.extend(held.iter().copied());
        in_use
    }

    /// Reserves the next SST id of `writer_epoch` and registers it as uploading, so GC leaves
    /// it alone until it is committed or abandoned. Returns the id and its counter.
    pub(crate) fn begin_upload(&mut self, writer_epoch: u64) -> (u64, u64) {
        let counter = self.next_sst_counter;
        self.next_sst_counter += 1;
        let id = sst_id(writer_epoch, counter);
        if CHECKED {
            assert!(
                !self.manifest.has_sst(id),
                "invariant: SST {id} is being uploaded and already in manifest {}",
                self.manifest.manifest_id
            );
        }
        let fresh = self.uploading.insert(id);
        assert!(fresh, "invariant: SST id {id} is reserved twice");
        (id, counter)
    }

    /// The upload of `id` is over: committed (the manifest now lists it) or abandoned.
    pub(crate) fn end_upload(&mut self, id: u64) {
        self.uploading.remove(&id);
    }

    /// Installs a manifest this writer just committed; the SSTs in `committed` stop being
    /// uploads in the same step.
    pub(crate) fn commit(&mut self, next: Manifest, committed: &[u64]) {
        for id in committed {
            self.uploading.remove(id);
        }
        invariants::check_manifest_advance(&self.manifest, &next, true);
        invariants::check_layout(&next);
        if CHECKED {
            assert!(
                next.next_sst_counter <= self.next_sst_counter,
                "invariant: manifest {} promises SST counter {}, beyond the {} this writer reserved",
                next.manifest_id,
                next.next_sst_counter,
                self.next_sst_counter
            );
        }
        self.manifest = next;
        self.check();
    }

    /// A read replica follows a newer manifest it read: nothing of it goes back.
    pub(crate) fn follow(&mut self, manifest: Manifest) {
        invariants::check_manifest_advance(&self.manifest, &manifest, false);
        invariants::check_layout(&manifest);
        self.manifest = manifest;
        self.install_manifest();
    }

    /// Points the read path at the SSTs of the manifest last committed or read, keeping
    /// cached SST metadata; quarantined SSTs no longer in it are forgotten.
    pub(crate) fn install_manifest(&mut self) {
        let manifest = &self.manifest;
        if CHECKED {
            assert!(
                manifest.manifest_id >= self.version_manifest_id,
                "invariant: the read path never goes back to an older manifest ({} after {})",
                manifest.manifest_id,
                self.version_manifest_id
            );
        }
        let version = Rc::new(Version::from_manifest(manifest, &self.version));
        self.live_versions.retain(|weak| weak.strong_count() > 0);
        self.live_versions.push(Rc::downgrade(&version));
        self.version = version;
        self.version_manifest_id = manifest.manifest_id;
        if !self.quarantined.is_empty() {
            let live = manifest.sst_id_set();
            self.quarantined.retain(|id| live.contains(id));
        }
    }

    /// Hands the metadata of a just-written SST to the read path, so its first read fetches
    /// no metadata.
    pub(crate) fn set_meta(&self, id: u64, meta: SstMeta) {
        for handle in self.version.handles() {
            if handle.info.id == id {
                handle.set_meta(meta);
                return;
            }
        }
    }

    /// Takes a corrupt SST out of compaction planning.
    pub(crate) fn quarantine(&mut self, id: u64) {
        self.quarantined.insert(id);
    }

    /// Asserts what must hold between commits (see the module header).
    pub(crate) fn check(&self) {
        invariants::check_uploads(&self.uploading, &self.manifest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::manifest::SstInfo;
    use bytes::Bytes;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn manifest(id: u64, epoch: u64, next_sst_counter: u64) -> Manifest {
        Manifest {
            manifest_id: id,
            writer_epoch: epoch,
            next_sst_counter,
            ..Manifest::empty()
        }
    }

    fn sst(id: u64) -> SstInfo {
        SstInfo {
            id,
            size_bytes: 100,
            meta_offset: 10,
            first_key: Bytes::from_static(b"a"),
            last_key: Bytes::from_static(b"b"),
            entries: 1,
            max_seq: 1,
        }
    }

    #[test]
    fn an_upload_leaves_the_uploads_when_its_manifest_commits() {
        let mut versions = VersionSet::new(manifest(1, 2, 5));
        let (id, counter) = versions.begin_upload(2);
        assert_eq!((id, counter), (sst_id(2, 5), 5));
        assert!(versions.ssts_in_use().contains(&id));
        let mut next = manifest(2, 2, 6);
        next.l0.push(sst(id));
        versions.commit(next, &[id]);
        versions.install_manifest();
        assert_eq!(versions.version().handles().len(), 1);
        versions.check();
    }

    #[test]
    #[should_panic(
        expected = "invariant: SST 8589934597 is being uploaded and already in manifest 1"
    )]
    fn uploading_an_id_the_manifest_lists_fires() {
        let mut listed = manifest(1, 2, 5);
        listed.l0.push(sst(sst_id(2, 5)));
        VersionSet::new(listed).begin_upload(2);
    }

    #[test]
    #[should_panic(
        expected = "invariant: manifest 2 promises SST counter 9, beyond the 5 this writer reserved"
    )]
    fn committing_an_unreserved_counter_fires() {
        let mut versions = VersionSet::new(manifest(1, 2, 5));
        versions.commit(manifest(2, 2, 9), &[]);
    }

    #[test]
    #[should_panic(expected = "invariant: SST id 8589934597 is reserved twice")]
    fn reserving_an_id_twice_fires() {
        let mut versions = VersionSet::new(manifest(1, 2, 5));
        versions.begin_upload(2);
        versions.next_sst_counter = 5;
        versions.begin_upload(2);
    }

    #[test]
    #[should_panic(
        expected = "invariant: the read path never goes back to an older manifest (1 after 3)"
    )]
    fn installing_an_older_manifest_fires() {
        let mut versions = VersionSet::new(manifest(1, 2, 5));
        versions.version_manifest_id = 3;
        versions.install_manifest();
    }

    #[test]
    #[should_panic(expected = "invariant: the manifest_id never goes back (1 after 2)")]
    fn a_replica_following_an_older_manifest_fires() {
        let mut versions = VersionSet::new(manifest(2, 2, 5));
        versions.follow(manifest(1, 2, 5));
    }
}
