//! The operations the fold keeps for the page: the last [`MAX_RECENT_OPS`] and the
//! [`SLOWEST`] slowest.

use super::{SlowOperation, MAX_RECENT_OPS, SLOWEST};

/// The last [`MAX_RECENT_OPS`] operations, a ring. Once it is full, each operation takes the
/// place of the oldest and its key's buffer: per operation, no allocation or free for the key
/// and no shift of the others.
#[derive(Debug, Default)]
pub(super) struct RecentOps {
    ops: Vec<SlowOperation>,
    /// Where the next operation goes once `ops` is full: the oldest.
    next: usize,
}

impl RecentOps {
    /// The place of the next operation, with `key` as its key and no requests, the oldest's
    /// once full (its other fields are the oldest's until the caller writes them all).
    pub(super) fn next_slot(&mut self, key: &str) -> &mut SlowOperation {
        if self.ops.len() < MAX_RECENT_OPS {
            self.ops.push(SlowOperation {
                number: 0,
                kind: "",
                key: key.to_string(),
                start_ms: 0.0,
                latency_ms: 0.0,
                ok: false,
                requests: Vec::new(),
                waited_for: "",
            });
            let last = self.ops.len() - 1;
            return &mut self.ops[last];
        }
        let index = self.next;
        self.next = (index + 1) % MAX_RECENT_OPS;
        let oldest = &mut self.ops[index];
        oldest.key.clear();
        oldest.key.push_str(key);
        oldest.requests.clear();
        oldest
    }

    /// The most recent operation numbered `number`.
    pub(super) fn find(&self, number: u64) -> Option<&SlowOperation> {
        // Newest first: the part before `next`, then the part from it (the oldest).
        let (newer, older) = self.ops.split_at(self.next);
        newer
            .iter()
            .rev()
            .chain(older.iter().rev())
            .find(|op| op.number == number)
    }
}

/// Keeps `op` among the [`SLOWEST`] slowest operations, slowest first, if it is one.
pub(super) fn note_slow(slowest: &mut Vec<SlowOperation>, op: &SlowOperation) {
    let slower_than_kept = slowest
        .last()
        .is_none_or(|last| op.latency_ms > last.latency_ms);
    if slowest.len() < SLOWEST || slower_than_kept {
        // Ties keep the earlier operation first.
        let at = slowest
            .iter()
            .position(|kept| op.latency_ms > kept.latency_ms)
            .unwrap_or(slowest.len());
        slowest.insert(at, op.clone());
        slowest.truncate(SLOWEST);
    }
}
