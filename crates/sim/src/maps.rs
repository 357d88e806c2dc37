//! Building a `BTreeMap` from pairs without `FromIterator`, and putting items in time order
//! without a sort of their own type.
//!
//! `BTreeMap`'s `FromIterator` sorts its input first, with a stable sort instantiated for every
//! key/value type (about 5 KB of wasm each), then bulk-builds the tree. The maps built this
//! way here (summaries, snapshots, a handful of SST handles) are small or already in key
//! order, so inserting one pair at a time costs little and keeps the playground's bundle
//! smaller. For the same reason [`stable_order`] sorts `(key, position)` pairs, one sort for
//! every caller, instead of each caller's items with a stable sort of their own, and
//! [`total_order_key`] lets floats be sorted as `u64`s.
//!
//! Small maps (a few entries, or off the per-operation hot paths) are [`LiteMap`]s, a map over
//! a sorted vector: it iterates in key order as a `BTreeMap` does, and each key/value type
//! costs a fraction of a B-tree's code in the wasm. [`serialize_map`] writes one as serde
//! writes a `BTreeMap`. Sets of ids are an [`IdSet`], a sorted vector of `u64`s, likewise.

use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

pub use litemap::LiteMap;

/// Serialises `map` as a map of its entries in key order, as a `BTreeMap` is serialised; for
/// `#[serde(serialize_with = "...")]` on a `LiteMap` field. (litemap's own `Serialize` writes
/// an empty map as a sequence, `[]`, in human-readable formats such as JSON.)
pub fn serialize_map<K: Serialize, V: Serialize, S: Serializer>(
    map: &LiteMap<K, V>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter())
}

/// The map of `pairs`; when a key repeats, the last value wins (as with `collect`).
pub fn btree_map<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (key, value) in pairs {
        map.insert(key, value);
    }
    map
}

/// The [`LiteMap`] of `pairs`, inserted one at a time (no sort of the pair type, which
/// `collect` would instantiate); when a key repeats, the last value wins.
pub fn lite_map<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> LiteMap<K, V> {
    let mut map = LiteMap::new();
    for (key, value) in pairs {
        map.insert(key, value);
    }
    map
}

/// The positions of `keys` in ascending key order, equal keys in their original order: the
/// order a stable sort by key would give the items.
///
/// Each `(key, position)` pair is unique, so an unstable sort of the pairs gives that order,
/// and every caller shares one instantiation of it (a stable sort by key is about 4-5 KB of
/// wasm per item type).
///
/// Only the loop that pairs the keys with their positions is generic: the sort and the
/// positions' list are one function for every caller (each caller's `enumerate`, `map` and
/// `collect` of the pairs and its copy of the rest were about 250–350 B of wasm).
pub fn stable_order(keys: impl IntoIterator<Item = u64>) -> Vec<usize> {
    let keys = keys.into_iter();
    let mut pairs: Vec<(u64, usize)> = Vec::with_capacity(keys.size_hint().0);
    for key in keys {
        pairs.push((key, pairs.len()));
    }
    positions_in_key_order(pairs)
}

/// The positions of `pairs` (`(key, position)`, each unique) sorted by key, then position.
#[inline(never)]
fn positions_in_key_order(mut pairs: Vec<(u64, usize)>) -> Vec<usize> {
    pairs.sort_unstable();
    let mut positions = Vec::with_capacity(pairs.len());
    for (_, position) in pairs {
        positions.push(position);
    }
    positions
}

/// Adds one to `name`'s count. Counts by name are kept with `String` keys, a map type the
/// playground's wasm already has (a `&'static str → u64` map would be a copy of map code of
/// its own); a name already counted costs no allocation.
pub fn count_one(counts: &mut LiteMap<String, u64>, name: &str) {
    match counts.get_mut(name) {
        Some(count) => *count += 1,
        None => {
            counts.insert(name.to_string(), 1);
        }
    }
}

/// A `u64` that orders as [`f64::total_cmp`] orders `value` (negative NaN, −∞, …, −0.0,
/// +0.0, …, +∞, NaN), so floats sort as plain integers: one sort instantiation (about 4 KB
/// of wasm) shared with every `u64` sort instead of one of their own. Undone by
/// [`from_total_order_key`].
pub fn total_order_key(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        // Negative: a larger magnitude sorts first.
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The float whose [`total_order_key`] is `key`, bit for bit.
pub fn from_total_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// A set of `u64` ids as a sorted vector without repeats, iterated in ascending order as a
/// `BTreeSet<u64>` is. For the engine's id sets (SSTs in use, uploading or quarantined, WAL
/// ids a fence settled): a few hundred ids at most, mostly looked up, where a `BTreeSet<u64>`
/// was a B-tree of its own in the playground's wasm (about 10 KB raw). A lookup is a binary
/// search, an insert or a removal moves the ids after it, and [`Extend`] adds many at once
/// with one sort (the `u64` sort every caller shares).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdSet {
    ids: Vec<u64>,
}

impl IdSet {
    pub fn new() -> IdSet {
        IdSet::default()
    }

    pub fn contains(&self, id: &u64) -> bool {
        self.ids.binary_search(id).is_ok()
    }

    /// Adds `id`; whether it was not in the set.
    pub fn insert(&mut self, id: u64) -> bool {
        match self.ids.binary_search(&id) {
            Ok(_) => false,
            Err(at) => {
                self.ids.insert(at, id);
                true
            }
        }
    }

    /// Takes `id` out; whether it was in the set.
    pub fn remove(&mut self, id: &u64) -> bool {
        match self.ids.binary_search(id) {
            Ok(at) => {
                self.ids.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Keeps the ids `keep` holds to.
    pub fn retain(&mut self, keep: impl FnMut(&u64) -> bool) {
        self.ids.retain(keep);
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The ids in ascending order.
    pub fn iter(&self) -> std::slice::Iter<'_, u64> {
        self.ids.iter()
    }
}

impl Extend<u64> for IdSet {
    fn extend<I: IntoIterator<Item = u64>>(&mut self, ids: I) {
        self.ids.extend(ids);
        self.ids.sort_unstable();
        self.ids.dedup();
    }
}

impl FromIterator<u64> for IdSet {
    fn from_iter<I: IntoIterator<Item = u64>>(ids: I) -> IdSet {
        let mut set = IdSet::new();
        set.extend(ids);
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn same_map_as_collect_including_repeated_keys() {
        let pairs = vec![(3, "c"), (1, "a"), (2, "b"), (1, "z"), (5, "e"), (3, "y")];
        let collected: BTreeMap<i32, &str> = pairs.clone().into_iter().collect();
        assert_eq!(btree_map(pairs.clone()), collected);
        assert_eq!(collected[&1], "z");
        assert!(btree_map(Vec::<(u8, u8)>::new()).is_empty());
        let lite = lite_map(pairs.clone());
        assert!(lite
            .iter()
            .map(|(k, v)| (*k, *v))
            .eq(collected.iter().map(|(k, v)| (*k, *v))));
    }

    #[test]
    fn an_id_set_answers_as_a_btree_set_given_the_same_changes() {
        use std::collections::BTreeSet;
        let mut rng = crate::rng::RngStreams::new(7).stream("maps.id_set");
        let mut set = IdSet::new();
        let mut model = BTreeSet::new();
        for step in 0..2_000u64 {
            let id = rng.next_u64() % 64;
            match step % 5 {
                0 | 1 => assert_eq!(set.insert(id), model.insert(id)),
                2 => assert_eq!(set.remove(&id), model.remove(&id)),
                3 => {
                    let more = [id, id + 3, id / 2];
                    set.extend(more);
                    model.extend(more);
                }
                _ => {
                    set.retain(|x| x % 7 != id % 7);
                    model.retain(|x| x % 7 != id % 7);
                }
            }
            assert_eq!(set.len(), model.len());
            assert_eq!(set.is_empty(), model.is_empty());
            assert!(set.iter().eq(model.iter()));
            assert_eq!(set.contains(&id), model.contains(&id));
        }
        let collected: IdSet = [5, 1, 5, 3].into_iter().collect();
        assert!(collected.iter().copied().eq([1, 3, 5]));
    }

    #[derive(Serialize)]
    struct Counts {
        #[serde(serialize_with = "serialize_map")]
        by_name: LiteMap<String, u64>,
    }

    #[test]
    fn a_lite_map_serialises_as_the_btree_map_of_the_same_entries() {
        for pairs in [vec![], vec![("b", 2), ("a", 1), ("c", 3), ("a", 4)]] {
            let mut lite = LiteMap::new();
            let mut btree = BTreeMap::new();
            for (name, count) in pairs {
                lite.insert(name.to_string(), count);
                btree.insert(name.to_string(), count);
            }
            let json = serde_json::to_string(&Counts { by_name: lite }).expect("serialises");
            let expected = serde_json::json!({ "by_name": btree }).to_string();
            assert_eq!(json, expected);
        }
    }

    #[test]
    fn stable_order_is_a_stable_sort_by_key() {
        let items = [
            (5, 'a'),
            (1, 'b'),
            (5, 'c'),
            (0, 'd'),
            (1, 'e'),
            (5, 'f'),
            (3, 'g'),
        ];
        let mut sorted = items.to_vec();
        sorted.sort_by_key(|(key, _)| *key);
        let ordered: Vec<(u64, char)> = stable_order(items.iter().map(|(key, _)| *key))
            .into_iter()
            .map(|position| items[position])
            .collect();
        assert_eq!(ordered, sorted);
        assert_eq!(stable_order([7, 7, 7]), vec![0, 1, 2]);
        assert!(stable_order(Vec::new()).is_empty());
    }

    #[test]
    fn count_one_counts_each_name() {
        let mut counts = LiteMap::new();
        for name in ["b", "a", "b", "b"] {
            count_one(&mut counts, name);
        }
        assert_eq!(counts.get("a"), Some(&1));
        assert_eq!(counts.get("b"), Some(&3));
        assert_eq!(counts.len(), 2);
    }

    #[test]
    fn total_order_keys_sort_as_total_cmp_and_come_back_bit_for_bit() {
        let values = [
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.5,
            -1.5,
            0.0,
            -0.0,
            f64::MIN_POSITIVE / 4.0,
            -f64::MIN_POSITIVE / 4.0,
            f64::MAX,
            f64::MIN,
            1e-300,
            2.0,
            2.0,
        ];
        for a in values {
            assert_eq!(
                from_total_order_key(total_order_key(a)).to_bits(),
                a.to_bits()
            );
            for b in values {
                assert_eq!(
                    total_order_key(a).cmp(&total_order_key(b)),
                    a.total_cmp(&b),
                    "{a} vs {b}"
                );
            }
        }
    }
}
