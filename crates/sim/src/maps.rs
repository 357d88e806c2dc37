//! Building a `BTreeMap` from pairs without `FromIterator`.
//!
//! `BTreeMap`'s `FromIterator` sorts its input first, with a stable sort instantiated for every
//! key/value type (about 5 KB of wasm each), then bulk-builds the tree. The maps built this
//! way here (summaries, snapshots, a handful of SST handles) are small or already in key
//! order, so inserting one pair at a time costs little and keeps the playground's bundle
//! smaller.

use std::collections::BTreeMap;

/// The map of `pairs`; when a key repeats, the last value wins (as with `collect`).
pub fn btree_map<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (key, value) in pairs {
        map.insert(key, value);
    }
    map
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
}
