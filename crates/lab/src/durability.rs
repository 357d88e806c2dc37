//! The model of acknowledged-durable writes, and the check that none was lost and nothing
//! deleted or expired came back.
//!
//! Every write the workload issues has a write id (increasing in issue order) that its value
//! carries in its first 8 bytes; a range delete has one id and counts as a delete of every key
//! it covers. For each key the model keeps the *threshold*: the lowest write id a read-back
//! may legitimately show. When a write to a key is acknowledged as durable, the threshold
//! becomes the smallest id among that write and the writes to the same key still in flight at
//! that moment (the engine may order concurrent writes either way).
//!
//! A read-back is judged ([`DurabilityModel::judge`]):
//! - a value whose id is at least the threshold passes, unless it is the key's latest
//!   acknowledged put with a time-to-live and the read began after that put's latest possible
//!   expiry (acknowledgement time + TTL: the engine stamps the expiry before it acknowledges):
//!   an expired value came back, a *resurrection*;
//! - a value below the threshold is a resurrection when a durable delete (or range delete)
//!   superseded it, or when the put that superseded it had a TTL and may have expired by the
//!   end of the read (an expired put hides older versions like a tombstone); otherwise it is a
//!   *lost* durable write;
//! - an absent key passes when some delete at or above the threshold was issued, or some put
//!   with a TTL at or above the threshold may have expired (issue time + TTL) by the end of the
//!   read; otherwise a durable write was lost.
//!
//! Writes in flight, failed, or acknowledged but not yet durable only ever make the judgement
//! more lenient, as do deletes and TTL puts issued after the model was read.
//!
//! Memory is bounded by the key space plus the writes in flight (at most `max_in_flight` ×
//! entries per operation) plus the not-yet-durable acknowledged writes ([`MAX_PENDING_WRITES`]).
//! Key records live in a table by key index, in pages of [`KEY_PAGE`] keys allocated when one
//! of their keys is first written: 64 bytes a key once its page exists (256 bytes and an
//! allocation per page), plus 8 bytes per [`KEY_PAGE`] keys up to the highest key written,
//! at most `scenario::MAX_KEY_COUNT` keys (20 MB of page pointers, 640 MB of records; the
//! scenario's budget refuses a run whose key space would need more than a tab holds).
//! Lookups are two array indexings, not a tree search over the key space.
//!
//! A key's record holds one of its writes in flight; only a second write to a key while one
//! is in flight goes into a sorted map of (key, write id). Most writes are alone in flight on
//! their key, so issuing one, finishing it and finding the oldest in flight when another
//! becomes durable touch only the key's record.

use std::collections::{BTreeMap, VecDeque};
use strata_sim::maps::LiteMap;
use strata_sim::{SimDuration, SimTime};

mod keys;
pub use keys::{KeyRecord, TtlPut, KEY_PAGE};
use keys::{KeyTable, IN_FLIGHT_DELETE};

/// Acknowledged writes awaiting durability that the model tracks; beyond this the oldest are
/// dropped (and counted), which can only make the check more lenient, never raise a false
/// alarm.
pub const MAX_PENDING_WRITES: usize = 1_000_000;

/// What kind of write the model is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// A put (or a batch's put) that never expires.
    Put,
    /// A put with this time-to-live.
    PutWithTtl(SimDuration),
    /// A delete, or one key of a range delete.
    Delete,
}

/// A write the model was told was issued: the caller hands it back when the write is
/// acknowledged or fails, so the model keeps only `(key, write id)` pairs in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issued {
    key: u64,
    write_id: u64,
    is_delete: bool,
    /// The TTL's nanoseconds, 0 for none.
    ttl_ns: u64,
    issued_at: SimTime,
}

impl Issued {
    pub fn key(&self) -> u64 {
        self.key
    }

    pub fn write_id(&self) -> u64 {
        self.write_id
    }

    fn earliest_expiry(&self) -> Option<SimTime> {
        (self.ttl_ns != 0).then(|| {
            self.issued_at
                .saturating_add(SimDuration::from_nanos(self.ttl_ns))
        })
    }
}

/// A write acknowledged in memory, waiting for the durable watermark to pass its sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    seq: u64,
    write: Issued,
}

/// The durability model of one run.
#[derive(Clone, Debug, Default)]
pub struct DurabilityModel {
    keys: KeyTable,
    /// Writes in flight beside the one a key's record holds, as (key, write id) → 1 for a
    /// delete, 0 for a put: the oldest of these for a key is the first in its range. A map
    /// with the kind, checked when the write finishes. A sorted vector (`LiteMap`), not a
    /// `BTreeMap`: it holds only a key's second and later writes in flight together, and the
    /// playground's wasm has no B-tree of `(u64, u64)` keys (about 11 KB raw, 3.5 KB gzip).
    in_flight: LiteMap<(u64, u64), usize>,
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

/// The model's judgement of one read-back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Acceptable,
    /// A durable write is missing.
    Lost,
    /// A value that a durable delete, a covering durable range delete or an expiry removed
    /// was read.
    Resurrected,
}

/// When a read-back ran: it saw the engine at some instant between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadWindow {
    pub started: SimTime,
    pub finished: SimTime,
}

impl DurabilityModel {
    pub fn new() -> Self {
        DurabilityModel::default()
    }

    /// A write to `key` with `write_id` is about to be sent, at `now`. The caller hands the
    /// answer back when the write is acknowledged or fails.
    pub fn issued(&mut self, key: u64, write_id: u64, write: Write, now: SimTime) -> Issued {
        assert!(write_id > 0, "write ids start at 1");
        let issued = Issued {
            key,
            write_id,
            is_delete: write == Write::Delete,
            ttl_ns: match write {
                Write::PutWithTtl(ttl) => {
                    assert!(!ttl.is_zero(), "a time-to-live is positive");
                    ttl.as_nanos()
                }
                Write::Put | Write::Delete => 0,
            },
            issued_at: now,
        };
        assert!(
            write_id < IN_FLIGHT_DELETE,
            "write ids stay below the delete bit"
        );
        let slot = self.keys.slot_mut(key);
        let fresh = if slot.in_flight == 0 {
            slot.in_flight = write_id
                | if issued.is_delete {
                    IN_FLIGHT_DELETE
                } else {
                    0
                };
            // Not beside the record either (a write held there finished, one beside it not).
            self.in_flight.is_empty() || !self.in_flight.contains_key(&(key, write_id))
        } else {
            slot.in_flight & !IN_FLIGHT_DELETE != write_id
                && self
                    .in_flight
                    .insert((key, write_id), usize::from(issued.is_delete))
                    .is_none()
        };
        assert!(fresh, "a write is issued to a key once");
        if issued.is_delete {
            slot.last_delete = slot.last_delete.max(write_id);
        }
        if let Some(earliest) = issued.earliest_expiry() {
            slot.note_ttl_put(write_id, earliest);
        }
        issued
    }

    /// The write finished without being acknowledged (an error): it may or may not land, and
    /// it no longer holds back any threshold.
    pub fn failed(&mut self, write: Issued) {
        self.finish(write, None);
    }

    /// Takes the write out of flight; when it was acknowledged at `acknowledged_at`, a put
    /// with a TTL becomes the key's latest acknowledged one (if it is the highest).
    fn finish(&mut self, write: Issued, acknowledged_at: Option<SimTime>) {
        let slot = self.keys.slot_mut(write.key);
        let issued_as = if slot.in_flight & !IN_FLIGHT_DELETE == write.write_id {
            let is_delete = slot.in_flight & IN_FLIGHT_DELETE != 0;
            slot.in_flight = 0;
            Some(is_delete)
        } else {
            self.in_flight
                .remove(&(write.key, write.write_id))
                .map(|kind| kind == 1)
        };
        assert!(
            issued_as == Some(write.is_delete),
            "invariant: a write in flight finishes once, as the kind it was issued"
        );
        if let (Some(at), true) = (acknowledged_at, write.ttl_ns != 0) {
            if write.write_id > slot.ttl_latest_id {
                slot.ttl_latest_id = write.write_id;
                slot.ttl_latest_ns = at
                    .saturating_add(SimDuration::from_nanos(write.ttl_ns))
                    .as_nanos();
            }
        }
    }

    /// The write was acknowledged once durable, at `now`.
    pub fn acknowledged_durable(&mut self, write: Issued, now: SimTime) {
        self.finish(write, Some(now));
        self.mark_durable(write);
    }

    fn mark_durable(&mut self, write: Issued) {
        let (key, write_id) = (write.key, write.write_id);
        self.durable_writes += 1;
        let slot = self.keys.slot_mut(key);
        let held = slot.in_flight & !IN_FLIGHT_DELETE;
        let mut floor = if held == 0 {
            write_id
        } else {
            write_id.min(held)
        };
        if !self.in_flight.is_empty() {
            let first = match self.in_flight.find_index(&(key, 0)) {
                Ok(index) | Err(index) => self.in_flight.get_indexed(index),
            };
            if let Some((&(held_key, id), _)) = first {
                if held_key == key {
                    floor = floor.min(id);
                }
            }
        }
        assert!(floor > 0, "write ids start at 1");
        // The threshold only rises: an older write made durable late says nothing new.
        slot.threshold = slot.threshold.max(floor);
        if write.is_delete {
            slot.delete_floor = slot.delete_floor.max(floor);
        }
        if slot.ttl_earliest_id != 0 && slot.ttl_earliest_id < slot.threshold {
            slot.ttl_earliest_id = 0;
        }
        if let Some(earliest) = write.earliest_expiry() {
            slot.note_ttl_put(write_id, earliest);
        }
        assert!(
            slot.delete_floor <= slot.threshold,
            "a durable delete raises the threshold with its floor"
        );
    }

    /// The write was acknowledged in memory at `now` with sequence number `seq`; it becomes
    /// durable when the writer's durable watermark reaches `seq`.
    pub fn acknowledged_in_memory(&mut self, write: Issued, seq: u64, now: SimTime) {
        self.finish(write, Some(now));
        if self.pending.len() == MAX_PENDING_WRITES {
            self.pending.pop_front();
            self.pending_dropped += 1;
        }
        self.pending.push_back(Pending { seq, write });
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
            self.mark_durable(front.write);
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

    /// [`DurabilityModel::durable_keys`] copied into a queue allocated once, for every key of the
    /// table's pages (a key's page exists once it has been written to): the
    /// durability check's work list. Collected as it came, the queue grew by doubling, copying
    /// its records (over a hundred bytes each) at every step: 2.5 % of a profile of the page's
    /// worker at 10,000 operations a second, for a check that runs at the end of a run and
    /// after a writer's recovery (docs/benchmarks.md).
    pub fn durable_queue(&self) -> VecDeque<(u64, KeyRecord)> {
        let mut queue = Vec::with_capacity(self.keys.capacity());
        queue.extend(self.durable_keys());
        VecDeque::from(queue)
    }

    /// A copy of the durable part of the model, to check against while writes go on.
    pub fn snapshot(&self) -> BTreeMap<u64, KeyRecord> {
        strata_sim::maps::btree_map(self.durable_keys())
    }

    /// The key's record now (deletes and TTL puts issued after a snapshot also explain an
    /// absent key).
    pub fn record(&self, key: u64) -> KeyRecord {
        self.keys.get(key).unwrap_or_default()
    }

    /// Judges `read`, a read-back of a key whose record was `record` when the check began and
    /// is `later` now, that ran during `window` (see the module header).
    pub fn judge(
        record: &KeyRecord,
        later: &KeyRecord,
        read: ReadBack,
        window: ReadWindow,
    ) -> Verdict {
        let records = [record, later];
        // A TTL put at or above `floor` that may have expired by the end of the read.
        let may_have_expired = |floor: u64| {
            records.iter().any(|r| {
                r.ttl_earliest
                    .is_some_and(|t| t.write_id >= floor && window.finished >= t.expires_at)
            })
        };
        if let ReadBack::Value(id) = read {
            let expired = records.iter().any(|r| {
                r.ttl_latest
                    .is_some_and(|t| t.write_id == id && window.started > t.expires_at)
            });
            if expired {
                return Verdict::Resurrected;
            }
        }
        let Some(threshold) = record.threshold else {
            return Verdict::Acceptable;
        };
        match read {
            ReadBack::Value(id) if id >= threshold => Verdict::Acceptable,
            ReadBack::Value(id) => {
                let deleted = record.delete_floor.is_some_and(|floor| id < floor);
                if deleted || may_have_expired(id.saturating_add(1)) {
                    Verdict::Resurrected
                } else {
                    Verdict::Lost
                }
            }
            ReadBack::Absent => {
                let deleted = records
                    .iter()
                    .any(|r| r.last_delete.is_some_and(|d| d >= threshold));
                if deleted || may_have_expired(threshold) {
                    Verdict::Acceptable
                } else {
                    Verdict::Lost
                }
            }
            ReadBack::Foreign => Verdict::Lost,
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

    const T0: SimTime = SimTime::ZERO;

    /// The model's verdict on `read` of `key`, a read that ran from `from_ms` to `to_ms`.
    fn verdict_at(
        model: &DurabilityModel,
        key: u64,
        read: ReadBack,
        from_ms: u64,
        to_ms: u64,
    ) -> Verdict {
        let record = model.snapshot().get(&key).copied().unwrap_or_default();
        let window = ReadWindow {
            started: SimTime::from_millis(from_ms),
            finished: SimTime::from_millis(to_ms),
        };
        DurabilityModel::judge(&record, &model.record(key), read, window)
    }

    fn check(model: &DurabilityModel, key: u64, read: ReadBack) -> bool {
        verdict_at(model, key, read, 0, 0) == Verdict::Acceptable
    }

    #[test]
    fn a_durable_put_must_be_read_back_or_superseded() {
        let mut m = DurabilityModel::new();
        let w = m.issued(1, 10, Write::Put, T0);
        m.acknowledged_durable(w, T0);
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
        let w = m.issued(1, 10, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        let w = m.issued(1, 11, Write::Delete, T0);
        m.acknowledged_durable(w, T0);
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
        let ten = m.issued(1, 10, Write::Put, T0);
        let eleven = m.issued(1, 11, Write::Put, T0);
        // 11 is acknowledged first while 10 is still in flight: the engine may have ordered
        // 10 after 11, so reading 10 is not a loss.
        m.acknowledged_durable(eleven, T0);
        assert!(check(&m, 1, ReadBack::Value(10)));
        m.acknowledged_durable(ten, T0);
        assert!(check(&m, 1, ReadBack::Value(10)));
        // Once nothing is in flight, a new durable write raises the floor past both.
        let w = m.issued(1, 12, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        assert!(!check(&m, 1, ReadBack::Value(11)));
    }

    #[test]
    fn in_memory_acks_become_durable_with_the_watermark() {
        let mut m = DurabilityModel::new();
        for (write_id, seq) in [(1u64, 100u64), (2, 101), (3, 102)] {
            let w = m.issued(write_id, write_id, Write::Put, T0);
            m.acknowledged_in_memory(w, seq, T0);
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
            let w = m.issued(*key, id as u64 + 1, Write::Put, T0);
            m.acknowledged_durable(w, T0);
        }
        // A delete in flight on a key never made durable adds no durable key.
        m.issued(5, 100, Write::Delete, T0);
        let listed: Vec<u64> = m.durable_keys().map(|(k, _)| k).collect();
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        assert_eq!(listed, sorted);
        assert_eq!(m.snapshot().len(), keys.len());
        // The check's queue: the same keys and records, in a buffer sized before the copy
        // (the four keys' three pages and the delete's: KEY_PAGE keys each) that never grew.
        let queue = m.durable_queue();
        assert!(queue.iter().copied().eq(m.durable_keys()));
        assert_eq!(queue.capacity(), 4 * KEY_PAGE);
        assert_eq!(m.last_delete(5), Some(100));
        assert_eq!(m.last_delete(6), None);
        assert_eq!(m.last_delete(u64::MAX), None);
    }

    #[test]
    fn the_oldest_write_in_flight_counts_wherever_it_is_held() {
        let mut m = DurabilityModel::new();
        // The key's record holds 10; 11 and 12 go beside it. 10 finishing leaves 11 the
        // oldest in flight, so 12 made durable lowers the floor to 11, not to 12.
        let ten = m.issued(1, 10, Write::Put, T0);
        let eleven = m.issued(1, 11, Write::Delete, T0);
        let twelve = m.issued(1, 12, Write::Put, T0);
        m.failed(ten);
        m.acknowledged_durable(twelve, T0);
        assert!(check(&m, 1, ReadBack::Value(11)));
        assert!(!check(&m, 1, ReadBack::Value(10)));
        // The record is free again: 13 is held there while 11 is still beside it, and the
        // older of the two still sets the floor.
        let thirteen = m.issued(1, 13, Write::Put, T0);
        let fourteen = m.issued(1, 14, Write::Put, T0);
        m.acknowledged_durable(fourteen, T0);
        assert!(check(&m, 1, ReadBack::Value(11)));
        m.acknowledged_durable(eleven, T0);
        m.acknowledged_durable(thirteen, T0);
        let fifteen = m.issued(1, 15, Write::Put, T0);
        m.acknowledged_durable(fifteen, T0);
        assert!(!check(&m, 1, ReadBack::Value(14)));
        assert!(check(&m, 1, ReadBack::Value(15)));
    }

    #[test]
    fn the_oldest_write_in_flight_is_per_key() {
        let mut m = DurabilityModel::new();
        // Writes in flight on the neighbouring keys must not lower key 2's floor.
        m.issued(1, 1, Write::Put, T0);
        m.issued(3, 2, Write::Put, T0);
        let w = m.issued(2, 3, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        assert!(!check(&m, 2, ReadBack::Value(2)));
        assert!(check(&m, 2, ReadBack::Value(3)));
    }

    #[test]
    #[should_panic(expected = "workload keys are indexes below")]
    fn a_key_beyond_the_key_space_is_refused() {
        let mut m = DurabilityModel::new();
        m.issued(u64::MAX, 1, Write::Delete, T0);
    }

    #[test]
    #[should_panic(expected = "a write is issued to a key once")]
    fn a_write_issued_twice_is_refused_wherever_the_first_is_held() {
        let mut m = DurabilityModel::new();
        // 10 is held in the key's record and 11 beside it; once 10 finishes, the record is
        // free, and 11 issued again must still be seen in flight.
        let ten = m.issued(1, 10, Write::Put, T0);
        m.issued(1, 11, Write::Put, T0);
        m.failed(ten);
        m.issued(1, 11, Write::Put, T0);
    }

    #[test]
    #[should_panic(expected = "invariant: a write in flight finishes once")]
    fn a_write_finished_twice_is_refused() {
        let mut m = DurabilityModel::new();
        let w = m.issued(1, 5, Write::Delete, T0);
        m.failed(w);
        m.acknowledged_durable(w, T0);
    }

    #[test]
    fn a_touched_key_without_a_durable_write_is_not_listed() {
        let mut m = DurabilityModel::new();
        // Key 1 shares a page with key 0; only key 0 is made durable.
        let w = m.issued(0, 1, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        let w = m.issued(1, 2, Write::Put, T0);
        m.failed(w);
        let listed: Vec<(u64, KeyRecord)> = m.durable_keys().collect();
        assert_eq!(
            listed,
            vec![(
                0,
                KeyRecord {
                    threshold: Some(1),
                    ..KeyRecord::default()
                }
            )]
        );
    }

    #[test]
    fn a_failed_write_does_not_hold_back_thresholds() {
        let mut m = DurabilityModel::new();
        let w = m.issued(1, 5, Write::Put, T0);
        m.failed(w);
        let w = m.issued(1, 6, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        assert!(!check(&m, 1, ReadBack::Value(5)));
        assert!(check(&m, 1, ReadBack::Value(6)));
    }

    #[test]
    fn a_value_read_after_its_durable_delete_is_a_resurrection() {
        let mut m = DurabilityModel::new();
        let w = m.issued(1, 10, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        let w = m.issued(1, 11, Write::Delete, T0);
        m.acknowledged_durable(w, T0);
        assert_eq!(
            verdict_at(&m, 1, ReadBack::Value(10), 0, 0),
            Verdict::Resurrected
        );
        assert_eq!(
            verdict_at(&m, 1, ReadBack::Absent, 0, 0),
            Verdict::Acceptable
        );
        // A put older than the durable put it lost to is a lost write, not a resurrection.
        let w = m.issued(2, 20, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        let w = m.issued(2, 21, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        assert_eq!(verdict_at(&m, 2, ReadBack::Value(20), 0, 0), Verdict::Lost);
    }

    #[test]
    fn a_range_delete_counts_for_every_key_it_covers_once_durable() {
        let mut m = DurabilityModel::new();
        for key in 0..4u64 {
            let w = m.issued(key, key + 1, Write::Put, T0);
            m.acknowledged_durable(w, T0);
        }
        // One range delete (write id 9) over keys 1..3, acknowledged in memory, then durable.
        let covered: Vec<Issued> = (1..3u64)
            .map(|key| m.issued(key, 9, Write::Delete, T0))
            .collect();
        for write in covered {
            m.acknowledged_in_memory(write, 100, T0);
        }
        // Not yet durable: an old value may still come back after a crash.
        assert!(check(&m, 1, ReadBack::Value(2)));
        m.durable_through(100);
        for key in 1..3u64 {
            let shown = ReadBack::Value(key + 1);
            assert_eq!(verdict_at(&m, key, shown, 0, 0), Verdict::Resurrected);
            assert!(check(&m, key, ReadBack::Absent));
        }
        // Keys outside the range keep their values.
        assert!(check(&m, 0, ReadBack::Value(1)));
        assert!(!check(&m, 3, ReadBack::Absent));
    }

    #[test]
    fn a_delete_in_flight_during_a_durable_put_does_not_make_the_old_value_a_resurrection() {
        let mut m = DurabilityModel::new();
        m.issued(1, 5, Write::Put, T0);
        let delete = m.issued(1, 6, Write::Delete, T0);
        m.issued(1, 7, Write::Put, T0);
        // The delete lands durably while the put of 5 is still in flight: 5 may be ordered
        // after it.
        m.acknowledged_durable(delete, T0);
        assert!(check(&m, 1, ReadBack::Value(5)));
    }

    #[test]
    fn an_expired_value_read_back_is_a_resurrection() {
        let mut m = DurabilityModel::new();
        let ttl = SimDuration::from_millis(1000);
        let w = m.issued(1, 10, Write::PutWithTtl(ttl), SimTime::from_millis(100));
        m.acknowledged_durable(w, SimTime::from_millis(150));
        // Before the earliest expiry (1,100 ms) the value must be there.
        assert_eq!(
            verdict_at(&m, 1, ReadBack::Value(10), 500, 510),
            Verdict::Acceptable
        );
        assert_eq!(verdict_at(&m, 1, ReadBack::Absent, 500, 510), Verdict::Lost);
        // Between the earliest and the latest expiry (1,150 ms) either is right.
        assert!(check_window(&m, ReadBack::Value(10), 1120));
        assert!(check_window(&m, ReadBack::Absent, 1120));
        // After the latest expiry the value must be gone.
        assert_eq!(
            verdict_at(&m, 1, ReadBack::Value(10), 1200, 1210),
            Verdict::Resurrected
        );
        assert_eq!(
            verdict_at(&m, 1, ReadBack::Absent, 1200, 1210),
            Verdict::Acceptable
        );
    }

    fn check_window(m: &DurabilityModel, read: ReadBack, at_ms: u64) -> bool {
        verdict_at(m, 1, read, at_ms, at_ms) == Verdict::Acceptable
    }

    #[test]
    fn an_older_value_behind_an_expired_put_is_a_resurrection() {
        let mut m = DurabilityModel::new();
        let w = m.issued(1, 1, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        let ttl = SimDuration::from_millis(50);
        let w = m.issued(1, 2, Write::PutWithTtl(ttl), SimTime::from_millis(10));
        m.acknowledged_durable(w, SimTime::from_millis(20));
        // The expired put hides the older value like a tombstone.
        assert_eq!(
            verdict_at(&m, 1, ReadBack::Value(1), 100, 110),
            Verdict::Resurrected
        );
        // Before it expired, the older value was a lost write.
        assert_eq!(verdict_at(&m, 1, ReadBack::Value(1), 30, 40), Verdict::Lost);
    }

    #[test]
    fn a_put_without_ttl_after_a_ttl_put_must_not_expire() {
        let mut m = DurabilityModel::new();
        let ttl = SimDuration::from_millis(50);
        let w = m.issued(1, 1, Write::PutWithTtl(ttl), T0);
        m.acknowledged_durable(w, T0);
        let w = m.issued(1, 2, Write::Put, SimTime::from_millis(10));
        m.acknowledged_durable(w, SimTime::from_millis(10));
        assert_eq!(verdict_at(&m, 1, ReadBack::Absent, 100, 110), Verdict::Lost);
        assert!(check_window(&m, ReadBack::Value(2), 100));
    }

    #[test]
    fn a_ttl_put_issued_after_the_snapshot_explains_an_absent_key() {
        let mut m = DurabilityModel::new();
        let w = m.issued(1, 1, Write::Put, T0);
        m.acknowledged_durable(w, T0);
        let record = m.snapshot()[&1];
        let w = m.issued(1, 2, Write::PutWithTtl(SimDuration::from_millis(5)), T0);
        m.acknowledged_durable(w, T0);
        let window = ReadWindow {
            started: SimTime::from_millis(10),
            finished: SimTime::from_millis(10),
        };
        let verdict = DurabilityModel::judge(&record, &m.record(1), ReadBack::Absent, window);
        assert_eq!(verdict, Verdict::Acceptable);
    }
}
