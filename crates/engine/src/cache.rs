//! The block cache: decoded SST data blocks, bounded in bytes, with CLOCK (second-chance)
//! eviction, and hit/miss counters for the UI.
//!
//! CLOCK approximates LRU with one "referenced" bit per entry: a hit only sets the bit, so
//! a hit never reorders anything. The cache owns its blocks (`Rc<CachedBlock>`); each SST
//! handle keeps `Weak` references by block number, so the hot path is an array index and a
//! weak upgrade, and eviction (dropping the cache's `Rc`) invalidates them for free. The bound
//! is `capacity_bytes` of block bytes; a block larger than the whole cache is not cached.
//!
//! Blocks are found by key through a [`SlotIndex`], a hash table of slot numbers of its own,
//! not a `BTreeMap<BlockKey, usize>`: nothing iterates it, and the playground's wasm drops
//! that map type's B-tree code (docs/ui.md, the bundle's cuts table).

use crate::format::block::{Block, EntryBuffer};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::ops::Deref;
use std::rc::Rc;

/// A block as the cache holds it, with its CLOCK reference bit.
#[derive(Debug)]
pub struct CachedBlock {
    block: Block,
    referenced: Cell<bool>,
}

impl CachedBlock {
    pub fn new(block: Block) -> Self {
        CachedBlock {
            block,
            referenced: Cell::new(false),
        }
    }

    /// Marks the block as recently used (it survives the next eviction sweep).
    #[inline]
    pub fn touch(&self) {
        self.referenced.set(true);
    }
}

impl Deref for CachedBlock {
    type Target = Block;
    fn deref(&self) -> &Block {
        &self.block
    }
}

/// Identifies a block: the SST id and the block's offset in it.
pub type BlockKey = (u64, u64);

#[derive(Debug)]
struct Slot {
    key: BlockKey,
    block: Rc<CachedBlock>,
}

/// The cache's index: an open-addressing hash table (linear probing, at most half full) of
/// slot numbers plus one (0 marks an empty place); a slot's key is read from the slot itself.
/// Lookups, inserts and removals only; the table grows by doubling and is never iterated, so
/// its order cannot reach a run's outcome.
#[derive(Debug, Default)]
struct SlotIndex {
    table: Vec<usize>,
    len: usize,
}

impl SlotIndex {
    /// Where `key`'s probe starts in a table of `size` places (a power of two).
    fn home(key: BlockKey, size: usize) -> usize {
        let mixed =
            (key.0.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ key.1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        (mixed >> 32) as usize & (size - 1)
    }

    fn key_of(slots: &[Option<Slot>], entry: usize) -> BlockKey {
        slots[entry - 1]
            .as_ref()
            .expect("the index only points at occupied slots")
            .key
    }

    /// The slot holding `key`.
    fn get(&self, slots: &[Option<Slot>], key: BlockKey) -> Option<usize> {
        let size = self.table.len();
        if size == 0 {
            return None;
        }
        let mut at = Self::home(key, size);
        loop {
            match self.table[at] {
                0 => return None,
                entry if Self::key_of(slots, entry) == key => return Some(entry - 1),
                _ => at = (at + 1) & (size - 1),
            }
        }
    }

    /// Indexes occupied slot `slot`, whose key is not indexed yet.
    fn insert(&mut self, slots: &[Option<Slot>], slot: usize) {
        self.len += 1;
        if 2 * self.len > self.table.len() {
            // Doubled and filled again from every indexed slot, `slot` among them.
            self.table = vec![0; (2 * self.len).next_power_of_two().max(16)];
            for (index, held) in slots.iter().enumerate() {
                if held.is_some() {
                    self.place(slots, index);
                }
            }
        } else {
            self.place(slots, slot);
        }
    }

    fn place(&mut self, slots: &[Option<Slot>], slot: usize) {
        let size = self.table.len();
        let mut at = Self::home(Self::key_of(slots, slot + 1), size);
        while self.table[at] != 0 {
            at = (at + 1) & (size - 1);
        }
        self.table[at] = slot + 1;
    }

    /// Takes `slot`, which held `key`, out of the index (the slot may be empty already);
    /// the entries after it in its probe run move back, so no probe stops early.
    fn remove(&mut self, slots: &[Option<Slot>], key: BlockKey, slot: usize) {
        let size = self.table.len();
        let mut hole = Self::home(key, size);
        while self.table[hole] != slot + 1 {
            assert!(
                self.table[hole] != 0,
                "invariant: a removed block is indexed"
            );
            hole = (hole + 1) & (size - 1);
        }
        self.len -= 1;
        let mut at = hole;
        loop {
            at = (at + 1) & (size - 1);
            let entry = self.table[at];
            if entry == 0 {
                break;
            }
            // The entry may fill the hole unless its home lies cyclically in (hole, at].
            let home = Self::home(Self::key_of(slots, entry), size);
            if (at.wrapping_sub(home) & (size - 1)) >= (at.wrapping_sub(hole) & (size - 1)) {
                self.table[hole] = entry;
                hole = at;
            }
        }
        self.table[hole] = 0;
    }
}

/// Counters and occupancy, as the UI shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub entries: u64,
    pub used_bytes: u64,
    pub capacity_bytes: u64,
}

/// A byte-bounded cache of decoded blocks.
#[derive(Debug)]
pub struct BlockCache {
    capacity_bytes: usize,
    used_bytes: usize,
    index: SlotIndex,
    slots: Vec<Option<Slot>>,
    free_slots: Vec<usize>,
    hand: usize,
    hits: u64,
    misses: u64,
    evictions: u64,
    /// Entry tables of blocks the cache let go and nothing else held, for the next decodes
    /// (`spare_entry_buffer`). At most `MAX_SPARE_ENTRY_BUFFERS`.
    spare_entries: Vec<EntryBuffer>,
}

/// How many emptied entry tables the cache keeps: a fetch inserts one block and evicts about
/// one, whose table the next fetch's decode fills.
const MAX_SPARE_ENTRY_BUFFERS: usize = 4;

impl BlockCache {
    pub fn new(capacity_bytes: usize) -> Self {
        BlockCache {
            capacity_bytes,
            used_bytes: 0,
            index: SlotIndex::default(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            hand: 0,
            hits: 0,
            misses: 0,
            evictions: 0,
            spare_entries: Vec::new(),
        }
    }

    /// An emptied entry table of an evicted block for [`Block::decode_reusing`], or a new,
    /// empty one when there is none.
    #[inline]
    pub fn spare_entry_buffer(&mut self) -> EntryBuffer {
        self.spare_entries.pop().unwrap_or_default()
    }

    /// Keeps the entry table of a block the cache let go, if nothing else holds the block
    /// (a reader may still; SST handles hold only weak references).
    fn reclaim(&mut self, block: Rc<CachedBlock>) {
        if self.spare_entries.len() < MAX_SPARE_ENTRY_BUFFERS {
            if let Ok(cached) = Rc::try_unwrap(block) {
                self.spare_entries.push(cached.block.into_entry_buffer());
            }
        }
    }

    /// Counts a hit served through an SST handle's weak reference.
    #[inline]
    pub fn record_hit(&mut self) {
        self.hits += 1;
    }

    /// Looks a block up, counting a hit or a miss.
    #[inline]
    pub fn get(&mut self, key: BlockKey) -> Option<Rc<CachedBlock>> {
        match self.index.get(&self.slots, key) {
            Some(slot_index) => {
                self.hits += 1;
                let slot = self.slots[slot_index]
                    .as_ref()
                    .expect("the index only points at occupied slots");
                slot.block.touch();
                Some(slot.block.clone())
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Adds a block, evicting others until it fits. Blocks larger than the cache are skipped.
    pub fn insert(&mut self, key: BlockKey, block: Rc<CachedBlock>) {
        let size = block.size_bytes();
        if size > self.capacity_bytes || self.index.get(&self.slots, key).is_some() {
            return;
        }
        while self.used_bytes + size > self.capacity_bytes {
            self.evict_one();
        }
        self.used_bytes += size;
        let slot = Slot { key, block };
        let slot_index = match self.free_slots.pop() {
            Some(index) => {
                self.slots[index] = Some(slot);
                index
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        self.index.insert(&self.slots, slot_index);
        self.check();
    }

    /// Asserts the cache's bounds: the bytes held fit the capacity, and every slot is either
    /// indexed or free, never both or neither.
    fn check(&self) {
        assert!(
            self.used_bytes <= self.capacity_bytes,
            "invariant: the block cache holds {} bytes, over its {} capacity",
            self.used_bytes,
            self.capacity_bytes
        );
        assert_eq!(
            self.index.len + self.free_slots.len(),
            self.slots.len(),
            "invariant: every block cache slot is indexed or free"
        );
    }

    fn evict_one(&mut self) {
        // Two sweeps always suffice: the first clears every referenced bit it passes.
        for _ in 0..2 * self.slots.len() + 1 {
            if self.hand >= self.slots.len() {
                self.hand = 0;
            }
            let index = self.hand;
            self.hand += 1;
            let Some(slot) = self.slots[index].as_ref() else {
                continue;
            };
            if slot.block.referenced.get() {
                slot.block.referenced.set(false);
                continue;
            }
            let slot = self.slots[index].take().expect("checked occupied");
            self.used_bytes -= slot.block.size_bytes();
            self.index.remove(&self.slots, slot.key, index);
            self.free_slots.push(index);
            self.evictions += 1;
            self.reclaim(slot.block);
            return;
        }
        unreachable!("eviction was asked for with nothing cached");
    }

    /// Drops every block of an SST (after it is deleted).
    /// Its blocks go in the order of their offsets, so the slots come free in the order a
    /// map sorted by key gave them.
    pub fn remove_sst(&mut self, sst_id: u64) {
        // The SST's slots and their blocks' offsets, gathered by one loop (a `filter_map` and
        // a `collect` were instances of their own in the wasm), freed in order of offset.
        let mut offsets = Vec::new();
        let mut indices = Vec::new();
        for (index, slot) in self.slots.iter().enumerate() {
            if let Some(slot) = slot {
                if slot.key.0 == sst_id {
                    offsets.push(slot.key.1);
                    indices.push(index);
                }
            }
        }
        for position in strata_sim::maps::stable_order(offsets.iter().copied()) {
            let index = indices[position];
            if let Some(slot) = self.slots[index].take() {
                self.index.remove(&self.slots, slot.key, index);
                self.used_bytes -= slot.block.size_bytes();
                self.free_slots.push(index);
                self.reclaim(slot.block);
            }
        }
        self.check();
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits,
            misses: self.misses,
            evictions: self.evictions,
            entries: self.index.len as u64,
            used_bytes: self.used_bytes as u64,
            capacity_bytes: self.capacity_bytes as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::block::BlockBuilder;
    use bytes::Bytes;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    #[should_panic(expected = "invariant: the block cache holds 11 bytes, over its 10 capacity")]
    fn a_cache_over_its_capacity_fires() {
        let mut cache = BlockCache::new(10);
        cache.used_bytes = 11;
        cache.check();
    }

    #[test]
    #[should_panic(expected = "invariant: every block cache slot is indexed or free")]
    fn a_slot_neither_indexed_nor_free_fires() {
        let mut cache = BlockCache::new(10);
        cache.slots.push(None);
        cache.check();
    }

    fn block(value_bytes: usize) -> Rc<CachedBlock> {
        let mut builder = BlockBuilder::new();
        builder.add(b"k", Some(&vec![7u8; value_bytes]));
        let mut out = Vec::new();
        builder.finish_into(&mut out);
        Rc::new(CachedBlock::new(Block::decode(Bytes::from(out)).unwrap()))
    }

    #[test]
    fn counts_hits_and_misses() {
        let mut cache = BlockCache::new(10_000);
        assert!(cache.get((1, 0)).is_none());
        cache.insert((1, 0), block(100));
        assert!(cache.get((1, 0)).is_some());
        assert!(cache.get((1, 0)).is_some());
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (2, 1, 1));
    }

    #[test]
    fn stays_within_its_byte_bound_and_keeps_recently_used_blocks() {
        let one = block(1000).size_bytes();
        let mut cache = BlockCache::new(one * 4);
        for offset in 0..4 {
            cache.insert((1, offset), block(1000));
        }
        for offset in 4..8 {
            // Block 0 is hot: read between every insert, so it keeps its second chance.
            assert!(cache.get((1, 0)).is_some());
            cache.insert((1, offset), block(1000));
            assert!(cache.stats().used_bytes <= (one * 4) as u64);
        }
        assert_eq!(cache.stats().entries, 4);
        assert!(cache.stats().evictions >= 4);
        assert!(cache.get((1, 0)).is_some(), "the referenced block survived");
        assert!(
            cache.get((1, 1)).is_none(),
            "an unreferenced old block was evicted"
        );
    }

    #[test]
    fn oversized_blocks_and_zero_capacity_cache_nothing() {
        let mut cache = BlockCache::new(0);
        cache.insert((1, 0), block(10));
        assert!(cache.get((1, 0)).is_none());
        let mut small = BlockCache::new(50);
        small.insert((1, 0), block(1000));
        assert_eq!(small.stats().entries, 0);
    }

    #[test]
    fn a_block_let_go_gives_its_entry_table_back_unless_a_reader_holds_it() {
        let one = block(100).size_bytes();
        let mut cache = BlockCache::new(one);
        assert!(cache.spare_entries.is_empty());
        let held = block(100);
        cache.insert((1, 0), held.clone());
        // Evicted while a reader holds it: the reader keeps the block, table and all.
        cache.insert((1, 1), block(100));
        assert!(cache.spare_entries.is_empty());
        assert_eq!(held.len(), 1);
        // Evicted with nothing else holding it: its table is kept, emptied.
        cache.insert((1, 2), block(100));
        assert_eq!(cache.spare_entries.len(), 1);
        // Removed with its SST likewise.
        cache.remove_sst(1);
        assert_eq!(cache.spare_entries.len(), 2);
        for _ in 0..2 * MAX_SPARE_ENTRY_BUFFERS {
            cache.insert((2, 0), block(100));
            cache.remove_sst(2);
        }
        assert_eq!(cache.spare_entries.len(), MAX_SPARE_ENTRY_BUFFERS);
        // A decode into a spare gives the block a fresh decode gives.
        let mut out = Vec::new();
        let mut builder = BlockBuilder::new();
        builder.add(b"a", Some(b"1"));
        builder.add(b"b", None);
        builder.finish_into(&mut out);
        let reused =
            Block::decode_reusing(Bytes::from(out.clone()), cache.spare_entry_buffer()).unwrap();
        assert_eq!(cache.spare_entries.len(), MAX_SPARE_ENTRY_BUFFERS - 1);
        let fresh = Block::decode(Bytes::from(out)).unwrap();
        assert_eq!((reused.len(), reused.size_bytes()), (2, fresh.size_bytes()));
        assert_eq!(reused.entry(1), fresh.entry(1));
        assert_eq!(reused.entry(0), fresh.entry(0));
    }

    /// Every occupied slot is found by its key, and nothing else is found.
    fn assert_indexed(cache: &BlockCache, absent: &[BlockKey]) {
        let mut occupied = 0;
        for (index, slot) in cache.slots.iter().enumerate() {
            if let Some(slot) = slot {
                occupied += 1;
                assert_eq!(cache.index.get(&cache.slots, slot.key), Some(index));
            }
        }
        assert_eq!(cache.index.len, occupied);
        for &key in absent {
            assert_eq!(cache.index.get(&cache.slots, key), None, "{key:?}");
        }
    }

    #[test]
    fn the_index_finds_what_a_sorted_map_of_the_same_inserts_and_removals_holds() {
        // Small blocks in a cache of 40, so that inserts evict, over keys that collide in a
        // small table; checked against a `BTreeMap` of the keys held.
        let one = block(10).size_bytes();
        let mut cache = BlockCache::new(one * 40);
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let key = (next() % 9, (next() % 64) * 4096);
            match next() % 10 {
                0 => cache.remove_sst(key.0),
                1..=4 => drop(cache.get(key)),
                _ => cache.insert(key, block(10)),
            }
            let held: std::collections::BTreeMap<BlockKey, usize> = cache
                .slots
                .iter()
                .enumerate()
                .filter_map(|(index, slot)| slot.as_ref().map(|slot| (slot.key, index)))
                .collect();
            let absent: Vec<BlockKey> = (0..9)
                .flat_map(|sst| (0..64).map(move |block| (sst, block * 4096)))
                .filter(|key| !held.contains_key(key))
                .collect();
            assert_indexed(&cache, &absent);
            assert_eq!(cache.stats().entries, held.len() as u64);
        }
    }

    #[test]
    fn an_sst_s_blocks_come_free_in_the_order_of_their_offsets() {
        let mut cache = BlockCache::new(100_000);
        for offset in [300, 100, 200] {
            cache.insert((5, offset), block(10));
            cache.insert((6, offset), block(10));
        }
        let slot_of = |cache: &BlockCache, key| cache.index.get(&cache.slots, key).unwrap();
        let expected: Vec<usize> = [100, 200, 300]
            .iter()
            .map(|&offset| slot_of(&cache, (5, offset)))
            .collect();
        cache.remove_sst(5);
        assert_eq!(cache.free_slots, expected);
        assert_indexed(&cache, &[(5, 100), (5, 200), (5, 300)]);
        assert_eq!(cache.stats().entries, 3);
    }

    #[test]
    fn removing_an_sst_frees_its_blocks() {
        let mut cache = BlockCache::new(100_000);
        cache.insert((1, 0), block(10));
        cache.insert((1, 64), block(10));
        cache.insert((2, 0), block(10));
        cache.remove_sst(1);
        assert_eq!(cache.stats().entries, 1);
        assert!(cache.get((2, 0)).is_some());
        cache.insert((1, 0), block(10));
        assert_eq!(cache.stats().entries, 2, "freed slots are reused");
    }
}
