//! The memtable's sorted map: a list of sorted chunks of at most [`CHUNK`] entries each, in
//! key order, found by a binary search over the chunks' first keys and then one within the
//! chunk. It stands in for a `BTreeMap<MemKey, Chain>`, whose code was the page's only B-tree
//! of its key type (47 functions, 6.9 KB raw in a names build): the page's wasm is 1,163 B
//! smaller (gzip -9) with this, and the reference run counts 0.1 % fewer instructions, its
//! inserts' moves within a chunk costing less than the tree's walk from the root saved
//! (docs/ui.md, cuts table). The model test checks it against `BTreeMap`.

/// Entries in a chunk at most; a full chunk splits in two halves when a key goes into it.
/// An insert moves the entries after its place in the chunk (about a hundred bytes each), and
/// those moves were most of a put's copying at 64: the reference run counts 0.66 % fewer
/// instructions at 32, while 24 and 16 gave back part of that in the longer search over
/// more chunks (docs/benchmarks.md).
const CHUNK: usize = 32;

/// Where a key is, or where it would go: a chunk and a position in it.
pub(super) type Slot = (usize, Result<usize, usize>);

/// Sorted `(key, value)` entries with distinct keys. Every chunk holds at least one entry.
#[derive(Debug)]
pub(super) struct SortedChunks<K, V> {
    chunks: Vec<Vec<(K, V)>>,
    len: usize,
}

impl<K, V> SortedChunks<K, V> {
    pub(super) fn new() -> Self {
        SortedChunks {
            chunks: Vec::new(),
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(super) fn first(&self) -> Option<&(K, V)> {
        self.chunks.first()?.first()
    }

    pub(super) fn last(&self) -> Option<&(K, V)> {
        self.chunks.last()?.last()
    }

    /// Every entry in key order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.chunks.iter().flatten()
    }

    /// The entries from the first one that `before` says is not before the start on, in
    /// key order; `before` must hold for a prefix of the keys in order and for no key after.
    pub(super) fn iter_from(&self, before: impl Fn(&K) -> bool) -> impl Iterator<Item = &(K, V)> {
        let chunk = self
            .chunks
            .partition_point(|chunk| before(&chunk[0].0))
            .saturating_sub(1);
        let (head, tail) = match self.chunks.get(chunk) {
            Some(entries) => {
                let at = entries.partition_point(|(key, _)| before(key));
                (&entries[at..], &self.chunks[chunk + 1..])
            }
            None => (&[][..], &[][..]),
        };
        head.iter().chain(tail.iter().flatten())
    }

    /// Where the key sought is, or would go: `before(key)` says whether `key` sorts before
    /// it, `after(key)` whether `key` sorts after it.
    ///
    /// Two predicates rather than one comparison returning an `Ordering`: each step of the
    /// searches then compares and branches once, where an `Ordering` was made and matched
    /// again at every step (the memtable's searches were about 7 % of the reference run's
    /// instructions; docs/benchmarks.md).
    #[inline]
    pub(super) fn search(&self, before: impl Fn(&K) -> bool, after: impl Fn(&K) -> bool) -> Slot {
        // The last chunk whose first key is not after the key sought, else the first.
        let chunk = self
            .chunks
            .partition_point(|chunk| !after(&chunk[0].0))
            .saturating_sub(1);
        match self.chunks.get(chunk) {
            Some(entries) => {
                let index = entries.partition_point(|(key, _)| before(key));
                let found = entries.get(index).is_some_and(|(key, _)| !after(key));
                (chunk, if found { Ok(index) } else { Err(index) })
            }
            None => (0, Err(0)),
        }
    }

    /// The value at a slot [`search`](Self::search) found.
    pub(super) fn get(&self, (chunk, found): Slot) -> Option<&V> {
        let index = found.ok()?;
        Some(&self.chunks[chunk][index].1)
    }

    /// The value at a slot [`search`](Self::search) found, to change.
    pub(super) fn get_mut(&mut self, chunk: usize, index: usize) -> &mut V {
        &mut self.chunks[chunk][index].1
    }

    /// Puts `key` where [`search`](Self::search) said it would go (`Err(index)` in `chunk`),
    /// with no change to the map in between.
    pub(super) fn insert_at(&mut self, mut chunk: usize, mut index: usize, key: K, value: V) {
        self.len += 1;
        if self.chunks.is_empty() {
            let mut entries = Vec::with_capacity(CHUNK);
            entries.push((key, value));
            self.chunks.push(entries);
            return;
        }
        if self.chunks[chunk].len() == CHUNK {
            let mut right = Vec::with_capacity(CHUNK);
            right.extend(self.chunks[chunk].drain(CHUNK / 2..));
            self.chunks.insert(chunk + 1, right);
            if index > CHUNK / 2 {
                chunk += 1;
                index -= CHUNK / 2;
            }
        }
        self.chunks[chunk].insert(index, (key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Inserts and updates in a scrambled order, checked against `BTreeMap` after each step:
    /// lookups of present and absent keys, the order, and iteration from every start.
    #[test]
    fn agrees_with_a_btree_map() {
        let mut chunks = SortedChunks::new();
        let mut model = BTreeMap::new();
        let mut state = 7_u64;
        for step in 0..3_000_u64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let key = (state >> 33) % 700;
            match chunks.search(|k: &u64| *k < key, |k| *k > key) {
                (chunk, Ok(index)) => *chunks.get_mut(chunk, index) += step,
                (chunk, Err(index)) => chunks.insert_at(chunk, index, key, step),
            }
            *model.entry(key).or_insert(0) += step;
            assert_eq!(chunks.len(), model.len());
            if step % 97 == 0 || step > 2_990 {
                let all: Vec<(u64, u64)> = chunks.iter().copied().collect();
                let expected: Vec<(u64, u64)> = model.iter().map(|(k, v)| (*k, *v)).collect();
                assert_eq!(all, expected);
                for probe in [0, 1, 350, 698, 699, 700, 1_000] {
                    let found = chunks.get(chunks.search(|k| *k < probe, |k| *k > probe));
                    assert_eq!(found, model.get(&probe), "lookup of {probe}");
                    let from: Vec<u64> = chunks.iter_from(|k| *k < probe).map(|e| e.0).collect();
                    let expected: Vec<u64> = model.range(probe..).map(|e| *e.0).collect();
                    assert_eq!(from, expected, "from {probe}");
                }
            }
        }
        assert!(chunks.chunks.len() > 10, "the test splits chunks");
        assert!(chunks
            .chunks
            .iter()
            .all(|c| !c.is_empty() && c.len() <= CHUNK));
        assert_eq!(chunks.first().map(|e| e.0), model.keys().next().copied());
        assert_eq!(
            chunks.last().map(|e| e.0),
            model.keys().next_back().copied()
        );
    }

    #[test]
    fn an_empty_map_finds_nothing() {
        let chunks: SortedChunks<u64, u64> = SortedChunks::new();
        assert!(chunks.is_empty());
        assert_eq!(chunks.search(|k| *k < 3, |k| *k > 3), (0, Err(0)));
        assert_eq!(chunks.get((0, Err(0))), None);
        assert_eq!(chunks.iter_from(|_| true).count(), 0);
        assert_eq!(chunks.first(), None);
    }
}
