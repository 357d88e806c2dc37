//! Building a `BTreeMap` from pairs without `FromIterator`, and putting items in time order
//! without a sort of their own type.
//!
//! `BTreeMap`'s `FromIterator` sorts its input first, with a stable sort instantiated for every
//! key/value type (about 5 KB of wasm each), then bulk-builds the tree. The maps built this
//! way here (summaries, snapshots, a handful of SST handles) are small or already in key
//! order, so inserting one pair at a time costs little and keeps the playground's bundle
//! smaller. For the same reason [`stable_order`] sorts `(key, position)` pairs, one sort for
//! every caller, instead of each caller's items with a stable sort of their own.

use std::collections::BTreeMap;

/// The map of `pairs`; when a key repeats, the last value wins (as with `collect`).
pub fn btree_map<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
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
pub fn stable_order(keys: impl IntoIterator<Item = u64>) -> Vec<usize> {
    let mut pairs: Vec<(u64, usize)> = keys
        .into_iter()
        .enumerate()
        .map(|(position, key)| (key, position))
        .collect();
    pairs.sort_unstable();
    pairs.into_iter().map(|(_, position)| position).collect()
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
        assert_eq!(btree_map(pairs), collected);
        assert_eq!(collected[&1], "z");
        assert!(btree_map(Vec::<(u8, u8)>::new()).is_empty());
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
}
