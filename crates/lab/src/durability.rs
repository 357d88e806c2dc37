//! The model of acknowledged-durable writes, and the check that none was lost.
//!
//! Every write the workload issues has a write id (increasing in issue order) that its value
//! carries in its first 8 bytes. For each key the model keeps the *threshold*: the lowest
//! write id a read-back may legitimately show. When a write to a key is acknowledged as
//! durable, the threshold becomes the smallest id among that write and the writes to the same
//! key still in flight at that moment (the engine may order concurrent writes either way).
//! A read-back then passes when it shows a value whose id is at least the threshold, or shows
//! the key absent and some delete at or above the threshold was issued. Anything else is a
//! lost durable write.
//!
//! Memory is bounded by the key space plus the writes in flight (at most `max_in_flight` ×
//! batch size) plus the not-yet-durable acknowledged writes ([`MAX_PENDING_WRITES`]). Key
//! records live in a table by key index, in pages of [`KEY_PAGE`] keys allocated when one of
//! their keys is first written: 16 bytes a key once its page exists (64 bytes and an
//! allocation per page), plus 8 bytes per [`KEY_PAGE`] keys up to the highest key written,
//! at most `scenario::MAX_KEY_COUNT` keys (20 MB of page pointers, 160 MB of records).
//! Lookups are two array indexings, not a tree search over the key space.

use crate::scenario::MAX_KEY_COUNT;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Acknowledged writes awaiting durability that the model tracks; beyond this the oldest are
/// dropped (and counted), which can only make the check more lenient, never raise a false
/// alarm.
pub const MAX_PENDING_WRITES: usize = 1_000_000;

/// What the model knows about one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyRecord {
    /// The lowest write id a read-back may show, once a write to the key is durable.
    pub threshold: Option<u64>,
    /// The highest delete id issued for the key.
    pub last_delete: Option<u64>,
}

/// Keys per page of the model's key table.
pub const KEY_PAGE: usize = 4;

/// A key's record as the table stores it: write ids start at 1, so 0 stands for "none".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Slot {
    threshold: u64,
    last_delete: u64,
}

impl Slot {
    fn record(self) -> KeyRecord {
        let some = |id: u64| (id != 0).then_some(id);
        KeyRecord {
            threshold: some(self.threshold),
            last_delete: some(self.last_delete),
        }
    }
}

/// Key records by key index (see the module header for its memory).
#[derive(Clone, Debug, Default)]
struct KeyTable {
    pages: Vec<Option<Box<[Slot; KEY_PAGE]>>>,
}

impl KeyTable {
    fn split(key: u64) -> (usize, usize) {
        let key = usize::try_from(key).unwrap_or(usize::MAX);
        (key / KEY_PAGE, key % KEY_PAGE)
    }

    fn get(&self, key: u64) -> Option<KeyRecord> {
        let (page, slot) = KeyTable::split(key);
        self.pages.get(page)?.as_ref().map(|p| p[slot].record())
    }

    fn slot_mut(&mut self, key: u64) -> &mut Slot {
        assert!(
            key < MAX_KEY_COUNT,
            "workload keys are indexes below {MAX_KEY_COUNT}, got {key}"
        );
        let (page, slot) = KeyTable::split(key);
        if self.pages.len() <= page {
            self.pages.resize_with(page + 1, || None);
        }
        &mut self.pages[page].get_or_insert_with(|| Box::new([Slot::default(); KEY_PAGE]))[slot]
    }

    /// Every key of an allocated page with its record, in key order.
    fn iter(&self) -> impl Iterator<Item = (u64, KeyRecord)> + '_ {
        self.pages
            .iter()
            .enumerate()
            .filter_map(|(i, page)| page.as_ref().map(|p| (i, p)))
            .flat_map(|(i, page)| {
                page.iter()
                    .enumerate()
                    .map(move |(slot, s)| ((i * KEY_PAGE + slot) as u64, s.record()))
            })
    }
}

/// A write acknowledged in memory, waiting for the durable watermark to pass its sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    seq: u64,
    key: u64,
    write_id: u64,
}

/// The durability model of one run.
#[derive(Clone, Debug, Default)]
pub struct DurabilityModel {
    keys: KeyTable,
    /// Writes in flight as (key, write id): the oldest for a key is the first in its range.
    in_flight: BTreeSet<(u64, u64)>,
    pending: VecDeque<Pending>,
    /// Pending writes dropped because [`MAX_PENDING_WRITES`] was reached.
    pub pending_dropped: u64,
    /// Writes acknowledged as durable (directly or through the watermark).
    pub durable_writes: u64,
}

/// What a read-back returned for one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadBack {
    Absent,
    /// A value carrying this write id.
    Value(u64),
    /// A value too short to carry a write id (not written by the workload).
    Foreign,
}

impl DurabilityModel {
    pub fn new() -> Self {
        DurabilityModel::default()
    }

    /// A write (put or delete) to `key` with `write_id` is about to be sent.
    pub fn issued(&mut self, key: u64, write_id: u64, is_delete: bool) {
        assert!(write_id > 0, "write ids start at 1");
        self.in_flight.insert((key, write_id));
        if is_delete {
            let slot = self.keys.slot_mut(key);
            slot.last_delete = slot.last_delete.max(write_id);
        }
    }

    /// The write finished without being acknowledged (an error): it may or may not land, and
    /// it no longer holds back any threshold.
    pub fn failed(&mut self, key: u64, write_id: u64) {
        self.finish(key, write_id);
    }

    fn finish(&mut self, key: u64, write_id: u64) {
        self.in_flight.remove(&(key, write_id));
    }

    /// The write was acknowledged once durable.
    pub fn acknowledged_durable(&mut self, key: u64, write_id: u64) {
        self.finish(key, write_id);
        self.mark_durable(key, write_id);
    }

    fn mark_durable(&mut self, key: u64, write_id: u64) {
        self.durable_writes += 1;
        let oldest_in_flight = self
            .in_flight
            .range((key, 0)..=(key, u64::MAX))
            .next()
            .map_or(write_id, |(_, id)| *id);
        let floor = write_id.min(oldest_in_flight);
        assert!(floor > 0, "write ids start at 1");
        // The threshold only rises: an older write made durable late says nothing new.
        let slot = self.keys.slot_mut(key);
        slot.threshold = slot.threshold.max(floor);
    }

    /// The write was acknowledged in memory with sequence number `seq`; it becomes durable
    /// when the writer's durable watermark reaches `seq`.
    pub fn acknowledged_in_memory(&mut self, key: u64, write_id: u64, seq: u64) {
        self.finish(key, write_id);
        if self.pending.len() == MAX_PENDING_WRITES {
            self.pending.pop_front();
            self.pending_dropped += 1;
        }
        self.pending.push_back(Pending { seq, key, write_id });
    }

    /// The writer's durable watermark is `durable_seq`: every pending write at or below it is
    /// durable.
    pub fn durable_through(&mut self, durable_seq: u64) {
        // Pending writes arrive in acknowledgement order, which is sequence order for one
        // writer; stop at the first one above the watermark.
        while let Some(front) = self.pending.front().copied() {
            if front.seq > durable_seq {
                break;
            }
            self.pending.pop_front();
            self.mark_durable(front.key, front.write_id);
        }
    }

    /// The writer died: what was pending never became durable as far as anyone was told.
    pub fn writer_lost(&mut self) {
        self.pending.clear();
    }

    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Keys with a durable write, with their records, in key order.
    pub fn durable_keys(&self) -> impl Iterator<Item = (u64, KeyRecord)> + '_ {
        self.keys.iter().filter(|(_, r)| r.threshold.is_some())
    }

    /// A copy of the durable part of the model, to check against while writes go on.
    pub fn snapshot(&self) -> BTreeMap<u64, KeyRecord> {
        strata_sim::maps::btree_map(self.durable_keys())
    }

    /// Whether `read` is an acceptable read-back of a key whose record is `record`.
    pub fn read_is_acceptable(
        record: &KeyRecord,
        read: ReadBack,
        issued_after: Option<u64>,
    ) -> bool {
        let Some(threshold) = record.threshold else {
            return true;
        };
        // A delete issued after the snapshot also explains an absent key.
        let last_delete = match (record.last_delete, issued_after) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        match read {
            ReadBack::Value(id) => id >= threshold,
            ReadBack::Absent => last_delete.is_some_and(|d| d >= threshold),
            ReadBack::Foreign => false,
        }
    }

    /// The highest delete id issued for `key` so far (deletes issued after a snapshot also
    /// explain an absent key).
    pub fn last_delete(&self, key: u64) -> Option<u64> {
        self.keys.get(key).and_then(|r| r.last_delete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn check(model: &DurabilityModel, key: u64, read: ReadBack) -> bool {
        let record = model.snapshot().get(&key).copied().unwrap_or_default();
        DurabilityModel::read_is_acceptable(&record, read, model.last_delete(key))
    }

    #[test]
    fn a_durable_put_must_be_read_back_or_superseded() {
        let mut m = DurabilityModel::new();
        m.issued(1, 10, false);
        m.acknowledged_durable(1, 10);
        assert!(check(&m, 1, ReadBack::Value(10)));
        assert!(check(&m, 1, ReadBack::Value(11)), "a later write may win");
        assert!(
            !check(&m, 1, ReadBack::Value(9)),
            "an older value means the write was lost"
        );
        assert!(
            !check(&m, 1, ReadBack::Absent),
            "absent means the write was lost"
        );
        assert!(!check(&m, 1, ReadBack::Foreign));
        // A key never made durable accepts anything.
        assert!(check(&m, 2, ReadBack::Absent));
        assert_eq!(m.durable_writes, 1);
    }

    #[test]
    fn a_durable_delete_must_stay_deleted_unless_rewritten() {
        let mut m = DurabilityModel::new();
        m.issued(1, 10, false);
        m.acknowledged_durable(1, 10);
        m.issued(1, 11, true);
        m.acknowledged_durable(1, 11);
        assert!(check(&m, 1, ReadBack::Absent));
        assert!(
            !check(&m, 1, ReadBack::Value(10)),
            "the deleted value came back"
        );
        assert!(check(&m, 1, ReadBack::Value(12)));
    }

    #[test]
    fn concurrent_writes_to_one_key_may_land_in_either_order() {
        let mut m = DurabilityModel::new();
        m.issued(1, 10, false);
        m.issued(1, 11, false);
        // 11 is acknowledged first while 10 is still in flight: the engine may have ordered
        // 10 after 11, so reading 10 is not a loss.
        m.acknowledged_durable(1, 11);
        assert!(check(&m, 1, ReadBack::Value(10)));
        m.acknowledged_durable(1, 10);
        assert!(check(&m, 1, ReadBack::Value(10)));
        // Once nothing is in flight, a new durable write raises the floor past both.
        m.issued(1, 12, false);
        m.acknowledged_durable(1, 12);
        assert!(!check(&m, 1, ReadBack::Value(11)));
    }

    #[test]
    fn in_memory_acks_become_durable_with_the_watermark() {
        let mut m = DurabilityModel::new();
        for (write_id, seq) in [(1u64, 100u64), (2, 101), (3, 102)] {
            m.issued(write_id, write_id, false);
            m.acknowledged_in_memory(write_id, write_id, seq);
        }
        m.durable_through(101);
        assert_eq!(m.durable_writes, 2);
        assert_eq!(m.pending_len(), 1);
        assert!(!check(&m, 2, ReadBack::Absent));
        // Key 3 never became durable: after a crash, losing it is allowed.
        m.writer_lost();
        assert!(check(&m, 3, ReadBack::Absent));
        assert_eq!(m.pending_len(), 0);
    }

    #[test]
    fn durable_keys_come_in_key_order() {
        let mut m = DurabilityModel::new();
        let keys = [3 * KEY_PAGE as u64 + 1, 0, KEY_PAGE as u64 - 1, 9_999_999];
        for (id, key) in keys.iter().enumerate() {
            m.issued(*key, id as u64 + 1, false);
            m.acknowledged_durable(*key, id as u64 + 1);
        }
        // A delete in flight on a key never made durable adds no durable key.
        m.issued(5, 100, true);
        let listed: Vec<u64> = m.durable_keys().map(|(k, _)| k).collect();
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        assert_eq!(listed, sorted);
        assert_eq!(m.snapshot().len(), keys.len());
        assert_eq!(m.last_delete(5), Some(100));
        assert_eq!(m.last_delete(6), None);
        assert_eq!(m.last_delete(u64::MAX), None);
    }

    #[test]
    fn the_oldest_write_in_flight_is_per_key() {
        let mut m = DurabilityModel::new();
        // Writes in flight on the neighbouring keys must not lower key 2's floor.
        m.issued(1, 1, false);
        m.issued(3, 2, false);
        m.issued(2, 3, false);
        m.acknowledged_durable(2, 3);
        assert!(!check(&m, 2, ReadBack::Value(2)));
        assert!(check(&m, 2, ReadBack::Value(3)));
    }

    #[test]
    #[should_panic(expected = "workload keys are indexes below")]
    fn a_key_beyond_the_key_space_is_refused() {
        let mut m = DurabilityModel::new();
        m.issued(u64::MAX, 1, true);
    }

    #[test]
    fn a_touched_key_without_a_durable_write_is_not_listed() {
        let mut m = DurabilityModel::new();
        // Key 1 shares a page with key 0; only key 0 is made durable.
        m.issued(0, 1, false);
        m.acknowledged_durable(0, 1);
        m.issued(1, 2, false);
        m.failed(1, 2);
        let listed: Vec<(u64, KeyRecord)> = m.durable_keys().collect();
        assert_eq!(
            listed,
            vec![(
                0,
                KeyRecord {
                    threshold: Some(1),
                    last_delete: None
                }
            )]
        );
    }

    #[test]
    fn a_failed_write_does_not_hold_back_thresholds() {
        let mut m = DurabilityModel::new();
        m.issued(1, 5, false);
        m.failed(1, 5);
        m.issued(1, 6, false);
        m.acknowledged_durable(1, 6);
        assert!(!check(&m, 1, ReadBack::Value(5)));
        assert!(check(&m, 1, ReadBack::Value(6)));
    }
}
