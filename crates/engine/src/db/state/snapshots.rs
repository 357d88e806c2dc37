//! Open snapshots and scans: each pins a sequence number, and while any is open memtables
//! keep every version of a key (see `Prune`).
//!
//! `Snapshots` owns registration and release, and asserts that a snapshot never reads above
//! the acknowledged watermark, that ids are never reused, and that each is released once.

use super::super::invariants::CHECKED;
use strata_sim::maps::LiteMap;

/// The open snapshots and scans: id to sequence number. A sorted vector: ids only grow, so
/// opening one appends, and the few open at once are far less code in the wasm than a B-tree.
pub(crate) struct Snapshots {
    open: LiteMap<u64, u64>,
    next_id: u64,
}

impl Snapshots {
    pub(crate) fn new() -> Snapshots {
        Snapshots {
            open: LiteMap::new(),
            next_id: 1,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }

    /// Registers a snapshot reading at `seq`, which is at most `acknowledged_seq`. Returns
    /// its id.
    pub(crate) fn open(&mut self, seq: u64, acknowledged_seq: u64) -> u64 {
        if CHECKED {
            assert!(
                seq <= acknowledged_seq,
                "invariant: a snapshot reads at seq {seq}, above acknowledged_seq {acknowledged_seq}"
            );
        }
        let id = self.next_id;
        self.next_id += 1;
        let previous = self.open.insert(id, seq);
        assert!(previous.is_none(), "invariant: snapshot id {id} is reused");
        id
    }

    /// Releases snapshot `id`.
    pub(crate) fn close(&mut self, id: u64) {
        let released = self.open.remove(&id);
        assert!(
            released.is_some(),
            "invariant: snapshot {id} is released once, after it opened"
        );
    }

    /// Asserts that no open snapshot reads above `acknowledged_seq`.
    pub(crate) fn check(&self, acknowledged_seq: u64) {
        if !CHECKED {
            return;
        }
        // A loop, not `find`, whose `try_fold` was an instance of its own in the wasm.
        for (id, seq) in self.open.iter() {
            assert!(
                *seq <= acknowledged_seq,
                "invariant: snapshot {id} reads at seq {seq}, above acknowledged_seq {acknowledged_seq}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn snapshots_open_and_close_once() {
        let mut snapshots = Snapshots::new();
        let first = snapshots.open(3, 5);
        let second = snapshots.open(5, 5);
        assert_ne!(first, second);
        snapshots.check(5);
        snapshots.close(first);
        assert_eq!(snapshots.len(), 1);
        snapshots.close(second);
        assert!(snapshots.is_empty());
    }

    #[test]
    #[should_panic(expected = "invariant: a snapshot reads at seq 6, above acknowledged_seq 5")]
    fn snapshot_above_acknowledged_fires() {
        Snapshots::new().open(6, 5);
    }

    #[test]
    #[should_panic(expected = "invariant: snapshot 1 is released once, after it opened")]
    fn snapshot_released_twice_fires() {
        let mut snapshots = Snapshots::new();
        let id = snapshots.open(1, 1);
        snapshots.close(id);
        snapshots.close(id);
    }

    #[test]
    #[should_panic(expected = "invariant: snapshot 1 reads at seq 4, above acknowledged_seq 3")]
    fn watermark_below_an_open_snapshot_fires() {
        let mut snapshots = Snapshots::new();
        snapshots.open(4, 4);
        snapshots.check(3);
    }
}
