//! What the durability model knows about each key, as it stores it: a record per key in a
//! table by key index, in pages of [`KEY_PAGE`] keys allocated when one of their keys is first
//! written, with 0 standing for "none" so that a record is a plain array of words.

use crate::scenario::MAX_KEY_COUNT;
use strata_sim::SimTime;

/// A put with a time-to-live, as the model knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtlPut {
    pub write_id: u64,
    /// Its earliest possible expiry (issue time + TTL) or its latest (acknowledgement time +
    /// TTL), depending on where it is kept.
    pub expires_at: SimTime,
}

/// What the model knows about one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyRecord {
    /// The lowest write id a read-back may show, once a write to the key is durable.
    pub threshold: Option<u64>,
    /// The highest delete id issued for the key.
    pub last_delete: Option<u64>,
    /// Values with an id below this were superseded by a durable delete: showing one is a
    /// resurrection.
    pub delete_floor: Option<u64>,
    /// A put with a TTL at or above the threshold (the one that may expire first), with its
    /// earliest possible expiry: after it, the key may read absent.
    pub ttl_earliest: Option<TtlPut>,
    /// The highest acknowledged put with a TTL, with its latest possible expiry: after it,
    /// that put's value must not be read.
    pub ttl_latest: Option<TtlPut>,
}

/// Keys per page of the model's key table.
pub const KEY_PAGE: usize = 4;

/// A key's record as the table stores it: write ids start at 1, so 0 stands for "none".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Slot {
    pub(super) threshold: u64,
    pub(super) last_delete: u64,
    pub(super) delete_floor: u64,
    pub(super) ttl_earliest_id: u64,
    pub(super) ttl_earliest_ns: u64,
    pub(super) ttl_latest_id: u64,
    pub(super) ttl_latest_ns: u64,
    /// A write in flight to this key: its id, with [`IN_FLIGHT_DELETE`] set for a delete; 0
    /// for none. Others in flight to the key at the same time are in
    /// `DurabilityModel::in_flight`.
    pub(super) in_flight: u64,
}

/// The bit of [`Slot::in_flight`] that marks a delete (write ids stay below it).
pub(super) const IN_FLIGHT_DELETE: u64 = 1 << 63;

impl Slot {
    pub(super) fn record(self) -> KeyRecord {
        let some = |id: u64| (id != 0).then_some(id);
        let ttl = |id: u64, ns: u64| {
            (id != 0).then_some(TtlPut {
                write_id: id,
                expires_at: SimTime::from_nanos(ns),
            })
        };
        KeyRecord {
            threshold: some(self.threshold),
            last_delete: some(self.last_delete),
            delete_floor: some(self.delete_floor),
            ttl_earliest: ttl(self.ttl_earliest_id, self.ttl_earliest_ns),
            ttl_latest: ttl(self.ttl_latest_id, self.ttl_latest_ns),
        }
    }

    /// Keeps the TTL put that may expire first among those at or above the threshold.
    pub(super) fn note_ttl_put(&mut self, write_id: u64, earliest_expiry: SimTime) {
        if self.ttl_earliest_id != 0 && self.ttl_earliest_id < self.threshold {
            self.ttl_earliest_id = 0;
        }
        let ns = earliest_expiry.as_nanos();
        if self.ttl_earliest_id == 0 || ns < self.ttl_earliest_ns {
            self.ttl_earliest_id = write_id;
            self.ttl_earliest_ns = ns;
        }
    }
}

/// Key records by key index (see the model's module header for its memory).
#[derive(Clone, Debug, Default)]
pub(super) struct KeyTable {
    pages: Vec<Option<Box<[Slot; KEY_PAGE]>>>,
}

impl KeyTable {
    fn split(key: u64) -> (usize, usize) {
        let key = usize::try_from(key).unwrap_or(usize::MAX);
        (key / KEY_PAGE, key % KEY_PAGE)
    }

    pub(super) fn get(&self, key: u64) -> Option<KeyRecord> {
        let (page, slot) = KeyTable::split(key);
        self.pages.get(page)?.as_ref().map(|p| p[slot].record())
    }

    pub(super) fn slot_mut(&mut self, key: u64) -> &mut Slot {
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

    /// How many keys the allocated pages hold: at least as many as [`KeyTable::iter`] lists.
    pub(super) fn capacity(&self) -> usize {
        self.pages.iter().filter(|page| page.is_some()).count() * KEY_PAGE
    }

    /// Every key of an allocated page with its record, in key order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, KeyRecord)> + '_ {
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
