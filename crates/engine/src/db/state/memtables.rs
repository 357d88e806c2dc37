//! The memtables: the active one that takes writes, and the frozen ones waiting to become
//! L0 SSTs, oldest first.
//!
//! `Memtables` owns their transitions (insert, freeze, the start and end of a flush, the
//! replica's rebuild) and asserts, where they change, that frozen memtables are oldest first
//! with ascending ids and ascending, disjoint sequence ranges, that the active one is the
//! newest, that none holds an unacknowledged write, and that flushes retire the oldest
//! frozen memtable first.

use super::super::invariants::{self, CHECKED};
use crate::memtable::{Memtable, Prune};
use bytes::{Bytes, BytesMut};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Key and value bytes of single puts are copied into shared chunks of this size, so that a
/// put costs no allocation of its own.
const ARENA_CHUNK_BYTES: usize = 64 * 1024;

/// The active memtable and the frozen ones.
pub(crate) struct Memtables {
    active: Rc<RefCell<Memtable>>,
    /// Frozen memtables, oldest first; at most `max_immutable_memtables` (writers stall).
    immutables: VecDeque<Rc<RefCell<Memtable>>>,
    next_memtable_id: u64,
    /// The frozen memtable being written to an SST, if any.
    flushing: Option<u64>,
    arena: BytesMut,
}

impl Memtables {
    /// One empty active memtable.
    pub(crate) fn new() -> Memtables {
        Memtables {
            active: Rc::new(RefCell::new(Memtable::new(1))),
            immutables: VecDeque::new(),
            next_memtable_id: 2,
            flushing: None,
            arena: BytesMut::new(),
        }
    }

    pub(crate) fn active(&self) -> &Rc<RefCell<Memtable>> {
        &self.active
    }

    /// Frozen memtables, oldest first.
    pub(crate) fn immutables(&self) -> &VecDeque<Rc<RefCell<Memtable>>> {
        &self.immutables
    }

    /// The frozen memtable being written to an SST, if any.
    pub(crate) fn flushing(&self) -> Option<u64> {
        self.flushing
    }

    pub(crate) fn oldest_immutable_id(&self) -> Option<u64> {
        self.immutables.front().map(|table| table.borrow().id())
    }

    pub(crate) fn newest_immutable_id(&self) -> Option<u64> {
        self.immutables.back().map(|table| table.borrow().id())
    }

    /// Bytes in memtables (active and frozen) whose writes are not yet in SSTs.
    pub(crate) fn unflushed_bytes(&self) -> usize {
        self.active.borrow().size_bytes()
            + self
                .immutables
                .iter()
                .map(|table| table.borrow().size_bytes())
                .sum::<usize>()
    }

    /// Every memtable, newest first (the order reads consult them in).
    pub(crate) fn newest_first(&self) -> Vec<Rc<RefCell<Memtable>>> {
        let mut memtables = Vec::with_capacity(1 + self.immutables.len());
        memtables.push(self.active.clone());
        memtables.extend(self.immutables.iter().rev().cloned());
        memtables
    }

    /// The newest version of `key` at or below `seq`, from the newest memtable that has one.
    pub(crate) fn get(&self, key: &[u8], seq: u64, now_ns: u64) -> Option<Option<Bytes>> {
        if let Some(found) = self.active.borrow().get(key, seq, now_ns) {
            return Some(found);
        }
        for table in self.immutables.iter().rev() {
            if let Some(found) = table.borrow().get(key, seq, now_ns) {
                return Some(found);
            }
        }
        None
    }

    /// Copies a key and value into the shared arena, returning zero-copy handles.
    #[inline]
    pub(crate) fn copy_into_arena(
        &mut self,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> (Bytes, Option<Bytes>) {
        let value_len = value.map_or(0, <[u8]>::len);
        let needed = key.len() + value_len;
        if self.arena.capacity() - self.arena.len() < needed {
            self.arena = BytesMut::with_capacity(needed.max(ARENA_CHUNK_BYTES));
        }
        self.arena.extend_from_slice(key);
        if let Some(value) = value {
            self.arena.extend_from_slice(value);
        }
        // The key split off the record, which keeps the value: one reference taken a handle,
        // where slicing both out of the record took three and gave one back.
        let mut value_bytes = self.arena.split().freeze();
        let key_bytes = value_bytes.split_to(key.len());
        (key_bytes, value.map(|_| value_bytes))
    }

    /// Inserts entries written at `seq` into the active memtable. Returns its size after.
    #[inline]
    pub(crate) fn insert<I>(&mut self, seq: u64, entries: I, prune: Prune) -> usize
    where
        I: IntoIterator<Item = (Bytes, Option<Bytes>)>,
    {
        self.insert_expiring(seq, 0, entries, prune)
    }

    /// `insert` for values that expire at `expires_at_ns` (0: never; deletes never expire).
    #[inline]
    pub(crate) fn insert_expiring<I>(
        &mut self,
        seq: u64,
        expires_at_ns: u64,
        entries: I,
        prune: Prune,
    ) -> usize
    where
        I: IntoIterator<Item = (Bytes, Option<Bytes>)>,
    {
        let mut active = self.active.borrow_mut();
        if CHECKED {
            assert!(
                seq >= active.max_seq(),
                "invariant: memtable {} takes writes in sequence order ({seq} after {})",
                active.id(),
                active.max_seq()
            );
        }
        for (key, value) in entries {
            let expires_at_ns = if value.is_some() { expires_at_ns } else { 0 };
            active.insert_expiring(key, seq, value, expires_at_ns, prune);
        }
        active.size_bytes()
    }

    /// Inserts a write's range deletes at `seq` into the active memtable. Returns its size
    /// after.
    pub(crate) fn insert_range_tombstones<'a>(
        &mut self,
        seq: u64,
        ranges: impl Iterator<Item = &'a (Bytes, Bytes)>,
    ) -> usize {
        let mut active = self.active.borrow_mut();
        assert!(
            seq >= active.max_seq(),
            "invariant: memtable {} takes range deletes in sequence order ({seq} after {})",
            active.id(),
            active.max_seq()
        );
        for (start, end) in ranges {
            active.insert_range_tombstone(start.clone(), end.clone(), seq);
        }
        active.size_bytes()
    }

    /// Freezes the active memtable (if it holds anything) behind a fresh empty one. Returns
    /// the frozen memtable's id and size.
    pub(crate) fn freeze(&mut self) -> Option<(u64, u64)> {
        if self.active.borrow().is_empty() {
            return None;
        }
        let id = self.next_memtable_id;
        self.next_memtable_id += 1;
        let frozen = std::mem::replace(&mut self.active, Rc::new(RefCell::new(Memtable::new(id))));
        let (memtable_id, bytes) = {
            let table = frozen.borrow();
            (table.id(), table.size_bytes() as u64)
        };
        self.immutables.push_back(frozen);
        Some((memtable_id, bytes))
    }

    /// Marks the oldest frozen memtable as being flushed and returns it.
    pub(crate) fn begin_flush(&mut self) -> Option<Rc<RefCell<Memtable>>> {
        let table = self.immutables.front().cloned()?;
        self.flushing = Some(table.borrow().id());
        Some(table)
    }

    /// The memtable `memtable_id` is in an SST the manifest lists: it leaves the read path.
    /// Flushes go oldest first.
    pub(crate) fn retire_flushed(&mut self, memtable_id: u64) {
        assert_eq!(
            self.oldest_immutable_id(),
            Some(memtable_id),
            "invariant: flushes go oldest first"
        );
        self.immutables.pop_front();
    }

    /// The flush that began last is over (committed or abandoned).
    pub(crate) fn end_flush(&mut self) {
        self.flushing = None;
    }

    /// A read replica's rebuilt view replaces the active memtable; a replica freezes nothing.
    pub(crate) fn replace_active(&mut self, memtable: Memtable) {
        if CHECKED {
            assert!(
                self.immutables.is_empty(),
                "invariant: a read replica holds no frozen memtables"
            );
        }
        self.active = Rc::new(RefCell::new(memtable));
    }

    /// Asserts the memtables' invariants (see the module header); none may hold a write
    /// above `acknowledged_seq`.
    pub(crate) fn check(&self, acknowledged_seq: u64) {
        if !CHECKED {
            return;
        }
        invariants::check_memtables(&self.active, &self.immutables, acknowledged_seq);
        if let Some(flushing) = self.flushing {
            assert!(
                flushing < self.active.borrow().id(),
                "invariant: memtable {flushing} is flushed while still the active one"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn put(memtables: &mut Memtables, seq: u64) -> usize {
        let (key, value) = memtables.copy_into_arena(format!("k{seq}").as_bytes(), Some(b"v"));
        memtables.insert(seq, [(key, value)], Prune::KeepAll)
    }

    #[test]
    fn a_frozen_memtable_is_flushed_oldest_first() {
        let mut memtables = Memtables::new();
        put(&mut memtables, 1);
        assert_eq!(memtables.freeze().map(|(id, _)| id), Some(1));
        put(&mut memtables, 2);
        assert_eq!(memtables.freeze().map(|(id, _)| id), Some(2));
        assert!(
            memtables.freeze().is_none(),
            "an empty memtable is not frozen"
        );
        let table = memtables.begin_flush().expect("one is frozen");
        assert_eq!((table.borrow().id(), memtables.flushing()), (1, Some(1)));
        memtables.retire_flushed(1);
        memtables.end_flush();
        assert_eq!(memtables.oldest_immutable_id(), Some(2));
        memtables.check(2);
    }

    #[test]
    #[should_panic(expected = "invariant: memtable 1 takes writes in sequence order (4 after 5)")]
    fn a_write_below_the_newest_fires() {
        let mut memtables = Memtables::new();
        put(&mut memtables, 5);
        put(&mut memtables, 4);
    }

    #[test]
    #[should_panic(expected = "invariant: flushes go oldest first")]
    fn retiring_a_newer_memtable_first_fires() {
        let mut memtables = Memtables::new();
        put(&mut memtables, 1);
        memtables.freeze();
        put(&mut memtables, 2);
        memtables.freeze();
        memtables.retire_flushed(3);
    }

    #[test]
    #[should_panic(expected = "invariant: a read replica holds no frozen memtables")]
    fn a_replica_view_over_frozen_memtables_fires() {
        let mut memtables = Memtables::new();
        put(&mut memtables, 1);
        memtables.freeze();
        memtables.replace_active(Memtable::new(1));
    }

    #[test]
    #[should_panic(expected = "invariant: memtable 2 is flushed while still the active one")]
    fn flushing_the_active_memtable_fires() {
        let mut memtables = Memtables::new();
        put(&mut memtables, 1);
        memtables.freeze();
        memtables.flushing = Some(2);
        memtables.check(1);
    }
}
