//! The engine's invariants, one function per concern, asserted where state changes.
//!
//! The state transitions in `db` (a write, a memtable freeze, a WAL upload landing, a flush or
//! compaction commit, recovery, a replica's poll) call these right after they change state.
//! They are `assert!`s, in release builds too (TigerBeetle style): a violated invariant is a
//! bug in the engine, and stopping at once is better than writing wrong state to the store.
//! Input from outside (manifests and WAL objects read from the store) is validated with typed
//! errors *before* it reaches a transition, so only the engine's own mistakes can fire these.
//!
//! They compile out only under `--cfg strata_unchecked_invariants`, which exists to measure
//! what they cost (docs/benchmarks.md); every build, test and release keeps them.

use crate::format::manifest::Manifest;
use crate::memtable::Memtable;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use strata_sim::maps::IdSet;

/// False only in the measurement build that leaves the checks out.
pub(crate) const CHECKED: bool = !cfg!(strata_unchecked_invariants);

/// Sequence numbers: `last_flushed ≤ durable ≤ acknowledged < next`. What is in SSTs is
/// durable, what is durable was acknowledged, and the next write gets a fresh number.
#[inline]
pub(crate) fn check_watermarks(
    last_flushed_seq: u64,
    durable_seq: u64,
    acknowledged_seq: u64,
    next_seq: u64,
) {
    if !CHECKED {
        return;
    }
    assert!(
        last_flushed_seq <= durable_seq,
        "invariant: last_flushed_seq ({last_flushed_seq}) <= durable_seq ({durable_seq}): an SST holds a write the WAL does not"
    );
    assert!(
        durable_seq <= acknowledged_seq,
        "invariant: durable_seq ({durable_seq}) <= acknowledged_seq ({acknowledged_seq})"
    );
    assert!(
        acknowledged_seq < next_seq,
        "invariant: acknowledged_seq ({acknowledged_seq}) < next_seq ({next_seq})"
    );
}

/// A newer manifest never goes back: its epoch is at least the previous one's, and its id is
/// at least the previous one's (strictly greater when this writer commits it).
pub(crate) fn check_manifest_advance(previous: &Manifest, next: &Manifest, commit: bool) {
    if !CHECKED {
        return;
    }
    assert!(
        next.writer_epoch >= previous.writer_epoch,
        "invariant: the manifest's writer_epoch never goes back ({} after {})",
        next.writer_epoch,
        previous.writer_epoch
    );
    if commit {
        assert!(
            next.manifest_id > previous.manifest_id,
            "invariant: a committed manifest_id is newer than the last ({} after {})",
            next.manifest_id,
            previous.manifest_id
        );
        assert!(
            next.last_flushed_seq >= previous.last_flushed_seq,
            "invariant: the manifest's last_flushed_seq never goes back ({} after {})",
            next.last_flushed_seq,
            previous.last_flushed_seq
        );
        assert!(
            next.wal_replay_from >= previous.wal_replay_from,
            "invariant: the manifest's wal_replay_from never goes back ({} after {})",
            next.wal_replay_from,
            previous.wal_replay_from
        );
    } else {
        assert!(
            next.manifest_id >= previous.manifest_id,
            "invariant: the manifest_id never goes back ({} after {})",
            next.manifest_id,
            previous.manifest_id
        );
    }
}

/// Levels below L0 do not overlap: each sorted run's SSTs are in ascending key order with
/// disjoint ranges, each range non-empty and in order.
pub(crate) fn check_layout(manifest: &Manifest) {
    if !CHECKED {
        return;
    }
    for run in &manifest.runs {
        for sst in &run.ssts {
            assert!(
                sst.first_key <= sst.last_key,
                "invariant: SST {} of run {} has an inverted key range",
                sst.id,
                run.id
            );
        }
        for pair in run.ssts.windows(2) {
            assert!(
                pair[0].last_key < pair[1].first_key,
                "invariant: run {} (level {}) has overlapping or unsorted SSTs {} and {}",
                run.id,
                run.level,
                pair[0].id,
                pair[1].id
            );
        }
    }
}

/// An SST being uploaded is never yet in the manifest: it enters the manifest in the same
/// transition that ends its upload.
pub(crate) fn check_uploads(uploading_ssts: &IdSet, manifest: &Manifest) {
    if !CHECKED || uploading_ssts.is_empty() {
        return;
    }
    for id in manifest.sst_id_list() {
        assert!(
            !uploading_ssts.contains(&id),
            "invariant: SST {id} is being uploaded and already in manifest {}",
            manifest.manifest_id
        );
    }
}

/// Durable WAL objects are listed once each, oldest first, and below the object in flight
/// and the next id: ids are allocated in order and an object lands before the next is sealed.
pub(crate) fn check_wal_objects(
    durable_ids: impl Iterator<Item = u64>,
    pending_wal_id: Option<u64>,
    next_wal_id: u64,
) {
    if !CHECKED {
        return;
    }
    if let Some(pending) = pending_wal_id {
        assert!(
            pending < next_wal_id,
            "invariant: the WAL object in flight ({pending}) has an id below next_wal_id ({next_wal_id})"
        );
    }
    let bound = pending_wal_id.unwrap_or(next_wal_id);
    let mut previous: Option<u64> = None;
    for id in durable_ids {
        assert!(
            previous < Some(id) && id < bound,
            "invariant: durable WAL ids ascend below {bound} ({id} after {previous:?})"
        );
        previous = Some(id);
    }
}

/// Memtables: frozen ones are oldest first with ascending ids, each holds only writes newer
/// than the one before, the active one is the newest, and none holds an unacknowledged write.
pub(crate) fn check_memtables(
    active: &Rc<RefCell<Memtable>>,
    immutables: &VecDeque<Rc<RefCell<Memtable>>>,
    acknowledged_seq: u64,
) {
    if !CHECKED {
        return;
    }
    let mut previous: Option<(u64, u64)> = None;
    for table in immutables.iter().chain(std::iter::once(active)) {
        let table = table.borrow();
        let (min_seq, max_seq) = table.seq_range();
        assert!(
            max_seq <= acknowledged_seq,
            "invariant: memtable {} holds seq {max_seq}, above acknowledged_seq {acknowledged_seq}",
            table.id()
        );
        if let Some((previous_id, previous_max_seq)) = previous {
            assert!(
                table.id() > previous_id,
                "invariant: memtable ids ascend oldest first ({} after {previous_id})",
                table.id()
            );
            assert!(
                table.is_empty() || min_seq > previous_max_seq,
                "invariant: memtable {} starts at seq {min_seq}, not after the older memtable's {previous_max_seq}",
                table.id()
            );
        }
        if !table.is_empty() {
            previous = Some((table.id(), max_seq));
        } else {
            previous = Some((table.id(), previous.map_or(0, |(_, seq)| seq)));
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each assertion fires on a deliberately broken state, so none is vacuous.
    use super::*;
    use crate::format::manifest::{SortedRun, SstInfo};
    use crate::memtable::Prune;
    use bytes::Bytes;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sst(id: u64, first: &str, last: &str) -> SstInfo {
        SstInfo {
            id,
            size_bytes: 100,
            meta_offset: 90,
            first_key: Bytes::copy_from_slice(first.as_bytes()),
            last_key: Bytes::copy_from_slice(last.as_bytes()),
            entries: 1,
            max_seq: 1,
        }
    }

    fn manifest(id: u64, epoch: u64) -> Manifest {
        Manifest {
            manifest_id: id,
            writer_epoch: epoch,
            ..Manifest::empty()
        }
    }

    fn memtable(id: u64, seqs: &[u64]) -> Rc<RefCell<Memtable>> {
        let mut table = Memtable::new(id);
        for seq in seqs {
            table.insert(
                Bytes::from(format!("k{seq}")),
                *seq,
                Some(Bytes::from_static(b"v")),
                Prune::KeepAll,
            );
        }
        Rc::new(RefCell::new(table))
    }

    #[test]
    fn sound_states_pass() {
        check_watermarks(3, 5, 7, 8);
        check_manifest_advance(&manifest(4, 2), &manifest(5, 2), true);
        check_manifest_advance(&manifest(4, 2), &manifest(4, 2), false);
        let mut layout = manifest(1, 1);
        layout.runs.push(SortedRun {
            id: 1,
            level: 1,
            ssts: vec![sst(1, "a", "c"), sst(2, "d", "f")],
        });
        check_layout(&layout);
        check_uploads(&IdSet::from_iter([9]), &layout);
        check_wal_objects([3, 4, 6].into_iter(), Some(7), 8);
        check_wal_objects([3].into_iter(), None, 4);
        let immutables = VecDeque::from([memtable(1, &[1, 2]), memtable(2, &[3])]);
        check_memtables(&memtable(3, &[4, 5]), &immutables, 5);
    }

    #[test]
    #[should_panic(expected = "invariant: durable_seq (6) <= acknowledged_seq (5)")]
    fn durable_above_acknowledged_fires() {
        check_watermarks(1, 6, 5, 7);
    }

    #[test]
    #[should_panic(expected = "invariant: acknowledged_seq (7) < next_seq (7)")]
    fn acknowledged_at_next_fires() {
        check_watermarks(1, 5, 7, 7);
    }

    #[test]
    #[should_panic(expected = "invariant: last_flushed_seq (6) <= durable_seq (5)")]
    fn flushed_above_durable_fires() {
        check_watermarks(6, 5, 7, 8);
    }

    #[test]
    #[should_panic(expected = "invariant: the manifest's writer_epoch never goes back")]
    fn epoch_going_back_fires() {
        check_manifest_advance(&manifest(4, 3), &manifest(5, 2), true);
    }

    #[test]
    #[should_panic(expected = "invariant: a committed manifest_id is newer than the last")]
    fn manifest_id_not_advancing_on_commit_fires() {
        check_manifest_advance(&manifest(4, 2), &manifest(4, 2), true);
    }

    #[test]
    #[should_panic(expected = "invariant: the manifest_id never goes back")]
    fn manifest_id_going_back_fires() {
        check_manifest_advance(&manifest(4, 2), &manifest(3, 2), false);
    }

    #[test]
    #[should_panic(expected = "invariant: the manifest's last_flushed_seq never goes back")]
    fn flushed_seq_going_back_fires() {
        let mut previous = manifest(4, 2);
        previous.last_flushed_seq = 10;
        check_manifest_advance(&previous, &manifest(5, 2), true);
    }

    #[test]
    #[should_panic(expected = "invariant: the manifest's wal_replay_from never goes back")]
    fn replay_position_going_back_fires() {
        let mut previous = manifest(4, 2);
        previous.wal_replay_from = 10;
        check_manifest_advance(&previous, &manifest(5, 2), true);
    }

    #[test]
    #[should_panic(
        expected = "invariant: run 7 (level 2) has overlapping or unsorted SSTs 1 and 2"
    )]
    fn overlapping_level_fires() {
        let mut layout = manifest(1, 1);
        layout.runs.push(SortedRun {
            id: 7,
            level: 2,
            ssts: vec![sst(1, "a", "e"), sst(2, "d", "f")],
        });
        check_layout(&layout);
    }

    #[test]
    #[should_panic(expected = "invariant: SST 1 of run 7 has an inverted key range")]
    fn inverted_range_fires() {
        let mut layout = manifest(1, 1);
        layout.runs.push(SortedRun {
            id: 7,
            level: 1,
            ssts: vec![sst(1, "z", "a")],
        });
        check_layout(&layout);
    }

    #[test]
    #[should_panic(expected = "invariant: SST 9 is being uploaded and already in manifest 1")]
    fn uploading_sst_in_manifest_fires() {
        let mut committed = manifest(1, 1);
        committed.l0.push(sst(9, "a", "b"));
        check_uploads(&IdSet::from_iter([9]), &committed);
    }

    #[test]
    #[should_panic(expected = "invariant: durable WAL ids ascend below 8 (4 after Some(4))")]
    fn repeated_wal_object_fires() {
        check_wal_objects([3, 4, 4].into_iter(), None, 8);
    }

    #[test]
    #[should_panic(expected = "invariant: durable WAL ids ascend below 6 (6 after Some(3))")]
    fn durable_wal_object_at_the_one_in_flight_fires() {
        check_wal_objects([3, 6].into_iter(), Some(6), 8);
    }

    #[test]
    #[should_panic(
        expected = "invariant: the WAL object in flight (8) has an id below next_wal_id (8)"
    )]
    fn wal_object_in_flight_not_allocated_fires() {
        check_wal_objects([3].into_iter(), Some(8), 8);
    }

    #[test]
    #[should_panic(
        expected = "invariant: memtable 2 starts at seq 2, not after the older memtable's 3"
    )]
    fn overlapping_memtables_fire() {
        let immutables = VecDeque::from([memtable(1, &[1, 3]), memtable(2, &[2])]);
        check_memtables(&memtable(3, &[]), &immutables, 5);
    }

    #[test]
    #[should_panic(expected = "invariant: memtable ids ascend oldest first (1 after 2)")]
    fn memtable_ids_out_of_order_fire() {
        let immutables = VecDeque::from([memtable(2, &[1])]);
        check_memtables(&memtable(1, &[2]), &immutables, 5);
    }

    #[test]
    #[should_panic(expected = "invariant: memtable 1 holds seq 6, above acknowledged_seq 5")]
    fn unacknowledged_write_in_a_memtable_fires() {
        check_memtables(&memtable(1, &[6]), &VecDeque::new(), 5);
    }
}
