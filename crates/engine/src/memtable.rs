//! The memtable: recent writes, sorted by key, with enough versions per key for the readers
//! that may still need them (snapshots, and durable reads that must not see writes newer
//! than the durable watermark).
//!
//! A key maps to a short chain of versions, oldest first. Most keys have exactly one version,
//! which is stored inline without a separate allocation. When no snapshot is open, inserting
//! prunes a chain to the versions newer than the durable watermark plus the newest one at or
//! below it, so overwrite-heavy workloads do not grow the table. The table's size is bounded
//! by the engine, which freezes it at `memtable_bytes`.
//!
//! Beside the keys, a table holds the range deletes written to it, each with its sequence
//! number: a range tombstone hides every version of a key in its range older than itself, in
//! this table and in every older table and SST. A version may carry an expiry (engine-clock
//! nanoseconds): from then on it reads as a delete, hiding older versions too.

use crate::codec::{key_cmp, key_prefix_pair};
use crate::format::block::is_expired;
use bytes::Bytes;
use chunks::SortedChunks;
use std::cmp::Ordering;
use std::ops::Bound;

mod chunks;

/// A memtable key with its first sixteen bytes cached as two big-endian integers, so that
/// most comparisons of distinct keys while inserting are integer compares within the tree's
/// node, without reading the key's bytes elsewhere in memory. Sixteen, not eight, because keys
/// often share their first eight bytes (the lab's `k000000…` keys do). The order is exactly
/// the byte order of the key (ties on the prefix fall back to [`key_cmp`] over the bytes),
/// which keeps lookups and range queries by a key's bytes correct.
#[derive(Clone, Debug)]
struct MemKey {
    prefix: (u64, u64),
    bytes: Bytes,
}

impl MemKey {
    #[inline]
    fn new(bytes: Bytes) -> Self {
        MemKey {
            prefix: key_prefix_pair(&bytes),
            bytes,
        }
    }

    /// Whether this key sorts before `key`, whose `key_prefix_pair` is `prefix`.
    #[inline]
    fn is_before(&self, prefix: (u64, u64), key: &[u8]) -> bool {
        self.prefix < prefix
            || (self.prefix == prefix && key_cmp(&self.bytes, key) == Ordering::Less)
    }

    /// Whether this key sorts after `key`, whose `key_prefix_pair` is `prefix`.
    #[inline]
    fn is_after(&self, prefix: (u64, u64), key: &[u8]) -> bool {
        self.prefix > prefix
            || (self.prefix == prefix && key_cmp(&self.bytes, key) == Ordering::Greater)
    }
}

impl PartialEq for MemKey {
    fn eq(&self, other: &Self) -> bool {
        self.prefix == other.prefix && self.bytes == other.bytes
    }
}
impl Eq for MemKey {}
impl PartialOrd for MemKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MemKey {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.prefix
            .cmp(&other.prefix)
            .then_with(|| key_cmp(&self.bytes, &other.bytes))
    }
}

/// Bytes charged per key beyond its key and value (tree node share, chain, refcounts).
pub const KEY_OVERHEAD_BYTES: usize = 64;
/// Bytes charged per extra version of a key beyond its value.
pub const VERSION_OVERHEAD_BYTES: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Version {
    seq: u64,
    /// `None` is a tombstone.
    value: Option<Bytes>,
    /// When the value expires (engine-clock nanoseconds); 0 for never.
    expires_at_ns: u64,
}

impl Version {
    /// The value a reader at `now_ns` sees: an expired value reads as a delete.
    #[inline]
    fn value_at(&self, now_ns: u64) -> Option<Bytes> {
        if is_expired(self.expires_at_ns, now_ns) {
            None
        } else {
            self.value.clone()
        }
    }
}

/// A range delete held by a memtable: `[start, end)` at `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemRangeTombstone {
    pub start: Bytes,
    pub end: Bytes,
    pub seq: u64,
}

#[derive(Clone, Debug)]
enum Chain {
    One(Version),
    /// Oldest first; never empty.
    Many(Vec<Version>),
}

impl Chain {
    fn versions(&self) -> &[Version] {
        match self {
            Chain::One(version) => std::slice::from_ref(version),
            Chain::Many(versions) => versions,
        }
    }

    /// The newest version with `seq <= read_seq`.
    #[inline]
    fn visible(&self, read_seq: u64) -> Option<&Version> {
        match self {
            Chain::One(version) => (version.seq <= read_seq).then_some(version),
            Chain::Many(versions) => versions.iter().rev().find(|v| v.seq <= read_seq),
        }
    }

    fn newest(&self) -> &Version {
        match self {
            Chain::One(version) => version,
            Chain::Many(versions) => versions.last().expect("a chain is never empty"),
        }
    }
}

/// Whether inserting may drop versions no reader can see any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prune {
    /// Keep every version (a snapshot is open).
    KeepAll,
    /// Keep versions above this durable watermark, plus the newest at or below it.
    AboveDurable(u64),
}

/// A sorted, multi-version table of recent writes.
#[derive(Debug)]
pub struct Memtable {
    id: u64,
    map: SortedChunks<MemKey, Chain>,
    /// Range deletes in sequence order. Bounded with the table: each is charged to
    /// `size_bytes`, which the engine freezes at `memtable_bytes`.
    range_tombstones: Vec<MemRangeTombstone>,
    size_bytes: usize,
    versions: usize,
    min_seq: u64,
    max_seq: u64,
}

fn value_len(value: &Option<Bytes>) -> usize {
    value.as_ref().map_or(0, Bytes::len)
}

impl Memtable {
    pub fn new(id: u64) -> Self {
        Memtable {
            id,
            map: SortedChunks::new(),
            range_tombstones: Vec::new(),
            size_bytes: 0,
            versions: 0,
            min_seq: 0,
            max_seq: 0,
        }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// Approximate memory held, in bytes; what the freeze threshold compares against.
    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }

    /// Distinct keys.
    pub fn key_count(&self) -> usize {
        self.map.len()
    }

    /// Versions held over all keys.
    pub fn version_count(&self) -> usize {
        self.versions
    }

    /// No key and no range delete.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.range_tombstones.is_empty()
    }

    /// The range deletes held, in sequence order.
    pub fn range_tombstones(&self) -> &[MemRangeTombstone] {
        &self.range_tombstones
    }

    /// Records a range delete `[start, end)` at `seq` (start below end; sequence numbers
    /// grow across calls, as for `insert`).
    pub fn insert_range_tombstone(&mut self, start: Bytes, end: Bytes, seq: u64) {
        assert!(
            !start.is_empty() && start < end,
            "invariant: a range tombstone's start is below its end"
        );
        debug_assert!(seq >= self.max_seq, "sequence numbers only grow");
        if self.min_seq == 0 {
            self.min_seq = seq;
        }
        self.max_seq = seq;
        self.size_bytes += start.len() + end.len() + KEY_OVERHEAD_BYTES;
        self.range_tombstones
            .push(MemRangeTombstone { start, end, seq });
    }

    /// The newest range delete visible at `read_seq` that covers `key`: its sequence number.
    #[inline]
    pub fn range_deleted_at(&self, key: &[u8], read_seq: u64) -> Option<u64> {
        self.range_tombstones
            .iter()
            .rev()
            .find(|t| t.seq <= read_seq && t.start.as_ref() <= key && key < t.end.as_ref())
            .map(|t| t.seq)
    }

    /// The range deletes visible at `read_seq` that overlap `[start, end)`-style bounds.
    pub fn range_tombstones_in(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        read_seq: u64,
    ) -> Vec<(Bytes, Bytes)> {
        // One loop: three `filter`s, a `map` and a `collect` were instances of their own.
        let mut found = Vec::new();
        for t in &self.range_tombstones {
            let starts_in = match end {
                Bound::Included(e) => t.start.as_ref() <= e,
                Bound::Excluded(e) => t.start.as_ref() < e,
                Bound::Unbounded => true,
            };
            let ends_in = match start {
                Bound::Included(s) | Bound::Excluded(s) => t.end.as_ref() > s,
                Bound::Unbounded => true,
            };
            if t.seq <= read_seq && starts_in && ends_in {
                found.push((t.start.clone(), t.end.clone()));
            }
        }
        found
    }

    /// Lowest and highest sequence numbers written here (0 when empty).
    pub fn seq_range(&self) -> (u64, u64) {
        (self.min_seq, self.max_seq)
    }

    pub fn max_seq(&self) -> u64 {
        self.max_seq
    }

    pub fn first_key(&self) -> Option<&Bytes> {
        self.map.first().map(|(key, _)| &key.bytes)
    }

    pub fn last_key(&self) -> Option<&Bytes> {
        self.map.last().map(|(key, _)| &key.bytes)
    }

    /// Records a write (`None` deletes). Sequence numbers must grow across calls.
    #[inline]
    pub fn insert(&mut self, key: Bytes, seq: u64, value: Option<Bytes>, prune: Prune) {
        self.insert_expiring(key, seq, value, 0, prune);
    }

    /// `insert` for a value that reads as deleted from `expires_at_ns` on (0: never).
    #[inline]
    pub fn insert_expiring(
        &mut self,
        key: Bytes,
        seq: u64,
        value: Option<Bytes>,
        expires_at_ns: u64,
        prune: Prune,
    ) {
        debug_assert!(seq >= self.max_seq, "sequence numbers only grow");
        // The write path and WAL decoding both refuse empty keys; one here would only surface
        // at the next flush, far from its cause.
        assert!(!key.is_empty(), "memtable keys are non-empty");
        if self.min_seq == 0 {
            self.min_seq = seq;
        }
        self.max_seq = seq;
        let added = value_len(&value);
        let version = Version {
            seq,
            value,
            expires_at_ns,
        };
        let key = MemKey::new(key);
        match self.map.search(
            |other| other.is_before(key.prefix, &key.bytes),
            |other| other.is_after(key.prefix, &key.bytes),
        ) {
            (chunk, Err(index)) => {
                self.size_bytes += key.bytes.len() + added + KEY_OVERHEAD_BYTES;
                self.versions += 1;
                self.map.insert_at(chunk, index, key, Chain::One(version));
            }
            (chunk, Ok(index)) => {
                let chain = self.map.get_mut(chunk, index);
                let mut versions = match std::mem::replace(chain, Chain::Many(Vec::new())) {
                    Chain::One(old) => vec![old],
                    Chain::Many(versions) => versions,
                };
                if versions.last().is_some_and(|v| v.seq == seq) {
                    // Two writes of one key in one batch: the later wins.
                    let old = versions.pop().expect("checked non-empty");
                    self.size_bytes -= value_len(&old.value) + VERSION_OVERHEAD_BYTES;
                    self.versions -= 1;
                }
                versions.push(version);
                self.size_bytes += added + VERSION_OVERHEAD_BYTES;
                self.versions += 1;
                if let Prune::AboveDurable(durable_seq) = prune {
                    // Keep everything above the watermark and the newest version at or below it.
                    let keep_from = versions
                        .iter()
                        .rposition(|v| v.seq <= durable_seq)
                        .unwrap_or(0);
                    for dropped in versions.drain(..keep_from) {
                        self.size_bytes -= value_len(&dropped.value) + VERSION_OVERHEAD_BYTES;
                        self.versions -= 1;
                    }
                }
                *chain = if versions.len() == 1 {
                    Chain::One(versions.pop().expect("length is one"))
                } else {
                    Chain::Many(versions)
                };
            }
        }
    }

    /// The newest write of `key` visible at `read_seq` for a reader at `now_ns`:
    /// `Some(None)` for a delete (a tombstone, an expired value, or a range delete newer than
    /// any version here), `None` when this table holds no visible write of the key.
    #[inline]
    pub fn get(&self, key: &[u8], read_seq: u64, now_ns: u64) -> Option<Option<Bytes>> {
        // The key's prefix is worked out once; the searches compare it with each key's
        // cached one, and read the bytes only when the prefixes tie.
        let prefix = key_prefix_pair(key);
        let version = self
            .map
            .get(self.map.search(
                |other| other.is_before(prefix, key),
                |other| other.is_after(prefix, key),
            ))
            .and_then(|chain| chain.visible(read_seq));
        if !self.range_tombstones.is_empty() {
            if let Some(deleted_seq) = self.range_deleted_at(key, read_seq) {
                if version.is_none_or(|version| version.seq < deleted_seq) {
                    return Some(None);
                }
            }
        }
        version.map(|version| version.value_at(now_ns))
    }

    /// Copies up to `limit` visible entries (tombstones included) in `[start, end)`-style
    /// bounds into `out`, in key order. Returns the bound to resume from, or `None` when the
    /// range is exhausted.
    ///
    /// A version that a newer range delete of this table covers, or that has expired at
    /// `now_ns`, comes out as a tombstone.
    pub fn read_chunk(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        read_seq: u64,
        now_ns: u64,
        limit: usize,
        out: &mut Vec<(Bytes, Option<Bytes>)>,
    ) -> Option<Bytes> {
        if !bounds_nonempty(start, end) {
            return None;
        }
        let entries = self
            .map
            .iter_from(|key| match start {
                Bound::Included(s) => key.bytes.as_ref() < s,
                Bound::Excluded(s) => key.bytes.as_ref() <= s,
                Bound::Unbounded => false,
            })
            .take_while(|(key, _)| match end {
                Bound::Included(e) => key.bytes.as_ref() <= e,
                Bound::Excluded(e) => key.bytes.as_ref() < e,
                Bound::Unbounded => true,
            });
        for (examined, (key, chain)) in entries.enumerate() {
            if examined == limit {
                return Some(key.bytes.clone());
            }
            if let Some(version) = chain.visible(read_seq) {
                let covered = !self.range_tombstones.is_empty()
                    && self
                        .range_deleted_at(&key.bytes, read_seq)
                        .is_some_and(|deleted_seq| version.seq < deleted_seq);
                let value = if covered {
                    None
                } else {
                    version.value_at(now_ns)
                };
                out.push((key.bytes.clone(), value));
            }
        }
        None
    }

    /// Applies one decoded WAL record: its entries (with the record's expiry) and its range
    /// deletes, all at the record's sequence number.
    pub fn apply_record(&mut self, record: &crate::format::wal::WalRecord, prune: Prune) {
        for (key, value) in &record.entries {
            let expires_at_ns = if value.is_some() {
                record.expires_at_ns
            } else {
                0
            };
            self.insert_expiring(key.clone(), record.seq, value.clone(), expires_at_ns, prune);
        }
        for (start, end) in &record.range_tombstones {
            self.insert_range_tombstone(start.clone(), end.clone(), record.seq);
        }
    }

    /// Every key with its newest write, in key order.
    pub fn iter_newest(&self) -> impl Iterator<Item = (&Bytes, Option<&Bytes>)> {
        self.map
            .iter()
            .map(|(key, chain)| (&key.bytes, chain.newest().value.as_ref()))
    }

    /// What a flush writes to an SST: every key's newest write with its expiry, in key
    /// order, leaving out those a newer range delete of this table covers (the SST's range
    /// tombstones then delete only keys of older SSTs).
    pub fn flush_entries(&self) -> impl Iterator<Item = (&Bytes, Option<&Bytes>, u64)> {
        self.map.iter().filter_map(|(key, chain)| {
            let newest = chain.newest();
            let covered = !self.range_tombstones.is_empty()
                && self
                    .range_deleted_at(&key.bytes, u64::MAX)
                    .is_some_and(|deleted_seq| newest.seq < deleted_seq);
            (!covered).then_some((&key.bytes, newest.value.as_ref(), newest.expires_at_ns))
        })
    }

    /// Versions held for `key`, oldest first (for tests and the UI).
    pub fn versions_of(&self, key: &[u8]) -> Vec<(u64, Option<Bytes>)> {
        let found = self.map.search(
            |other| other.bytes.as_ref() < key,
            |other| other.bytes.as_ref() > key,
        );
        self.map.get(found).map_or_else(Vec::new, |chain| {
            chain
                .versions()
                .iter()
                .map(|v| (v.seq, v.value.clone()))
                .collect()
        })
    }
}

/// False when a range over these bounds is empty (start after end, or equal bounds that are
/// not both inclusive), where `BTreeMap::range` would panic.
pub fn bounds_nonempty(start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s <= e,
        (Bound::Included(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e))
        | (Bound::Excluded(s), Bound::Excluded(e)) => s < e,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn b(text: &str) -> Bytes {
        Bytes::copy_from_slice(text.as_bytes())
    }

    #[test]
    fn reads_see_the_newest_version_at_their_sequence_number() {
        let mut table = Memtable::new(1);
        table.insert(b("k"), 1, Some(b("v1")), Prune::KeepAll);
        table.insert(b("k"), 3, Some(b("v3")), Prune::KeepAll);
        table.insert(b("k"), 5, None, Prune::KeepAll);
        assert_eq!(table.get(b"k", 0, 0), None);
        assert_eq!(table.get(b"k", 2, 0), Some(Some(b("v1"))));
        assert_eq!(table.get(b"k", 4, 0), Some(Some(b("v3"))));
        assert_eq!(
            table.get(b"k", 9, 0),
            Some(None),
            "a tombstone is a visible delete"
        );
        assert_eq!(table.get(b"other", 9, 0), None);
        assert_eq!(table.seq_range(), (1, 5));
        assert_eq!(table.iter_newest().next(), Some((&b("k"), None)));
    }

    #[test]
    fn pruning_keeps_what_durable_readers_need_and_frees_the_rest() {
        let mut table = Memtable::new(1);
        for seq in 1..=10 {
            table.insert(
                b("k"),
                seq,
                Some(b(&format!("v{seq}"))),
                Prune::AboveDurable(6),
            );
        }
        // Versions 7..=10 are not durable yet; 6 is the newest durable one.
        let seqs: Vec<u64> = table.versions_of(b"k").iter().map(|v| v.0).collect();
        assert_eq!(seqs, vec![6, 7, 8, 9, 10]);
        assert_eq!(table.get(b"k", 6, 0), Some(Some(b("v6"))));
        let before = table.size_bytes();
        table.insert(b("k"), 11, Some(b("v11")), Prune::AboveDurable(11));
        assert_eq!(table.version_count(), 1);
        assert!(
            table.size_bytes() < before,
            "pruned versions give their bytes back"
        );
        assert_eq!(table.get(b"k", 11, 0), Some(Some(b("v11"))));
    }

    #[test]
    fn a_range_tombstone_hides_older_versions_only_and_a_flush_leaves_them_out() {
        let mut table = Memtable::new(1);
        table.insert(b("a"), 1, Some(b("old")), Prune::KeepAll);
        table.insert(b("c"), 2, Some(b("old")), Prune::KeepAll);
        table.insert_range_tombstone(b("b"), b("d"), 3);
        table.insert(b("c2"), 4, Some(b("new")), Prune::KeepAll);
        assert!(!table.is_empty());
        assert_eq!(table.get(b"c", 9, 0), Some(None), "covered");
        assert_eq!(table.get(b"c", 2, 0), Some(Some(b("old"))), "before it");
        assert_eq!(table.get(b"bz", 9, 0), Some(None), "hides older tables too");
        assert_eq!(table.get(b"c2", 9, 0), Some(Some(b("new"))), "newer");
        assert_eq!(table.get(b"a", 9, 0), Some(Some(b("old"))), "outside");
        assert_eq!(table.get(b"d", 9, 0), None, "the end is exclusive");
        let flushed: Vec<&Bytes> = table.flush_entries().map(|(key, _, _)| key).collect();
        assert_eq!(flushed, vec![&b("a"), &b("c2")]);
        let mut out = Vec::new();
        table.read_chunk(Bound::Unbounded, Bound::Unbounded, 9, 0, 10, &mut out);
        assert_eq!(out[1], (b("c"), None));
        assert_eq!(
            table.range_tombstones_in(Bound::Included(b"c3"), Bound::Unbounded, 9),
            vec![(b("b"), b("d"))]
        );
        assert!(table
            .range_tombstones_in(Bound::Included(b"d"), Bound::Unbounded, 9)
            .is_empty());
    }

    #[test]
    fn an_expired_value_reads_as_a_delete_from_its_instant_on() {
        let mut table = Memtable::new(1);
        table.insert_expiring(b("k"), 1, Some(b("v")), 100, Prune::KeepAll);
        assert_eq!(table.get(b"k", 9, 99), Some(Some(b("v"))));
        assert_eq!(table.get(b"k", 9, 100), Some(None));
        let mut out = Vec::new();
        table.read_chunk(Bound::Unbounded, Bound::Unbounded, 9, 100, 10, &mut out);
        assert_eq!(out, vec![(b("k"), None)]);
        let flushed: Vec<u64> = table.flush_entries().map(|(_, _, at)| at).collect();
        assert_eq!(flushed, vec![100], "the expiry goes to the SST");
    }

    #[test]
    #[should_panic(expected = "invariant: a range tombstone's start is below its end")]
    fn an_inverted_range_tombstone_fires() {
        Memtable::new(1).insert_range_tombstone(b("b"), b("a"), 1);
    }

    #[test]
    fn size_accounting_is_exact_for_a_single_version() {
        let mut table = Memtable::new(1);
        table.insert(b("abc"), 1, Some(b("12345")), Prune::AboveDurable(0));
        assert_eq!(table.size_bytes(), 3 + 5 + KEY_OVERHEAD_BYTES);
        table.insert(b("abc"), 2, Some(b("1")), Prune::AboveDurable(2));
        assert_eq!(table.size_bytes(), 3 + 1 + KEY_OVERHEAD_BYTES);
    }

    #[test]
    fn cached_prefixes_order_keys_exactly_like_their_bytes() {
        let keys: Vec<&[u8]> = vec![
            b"a",
            b"a\0",
            b"a\0\0\0\0\0\0\0\0",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefgi",
            b"abcdefgha",
            b"b",
            b"\xff",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\x01",
            b"\x00",
            b"0123456789abcdef",
            b"0123456789abcdef\0",
            b"0123456789abcdefg",
            b"0123456789abcdeg",
        ];
        for left in &keys {
            for right in &keys {
                let (l, r) = (
                    MemKey::new(Bytes::copy_from_slice(left)),
                    MemKey::new(Bytes::copy_from_slice(right)),
                );
                assert_eq!(l.cmp(&r), left.cmp(right), "{left:?} vs {right:?}");
                assert_eq!(
                    l.is_before(r.prefix, right),
                    left < right,
                    "{left:?} < {right:?}"
                );
                assert_eq!(
                    l.is_after(r.prefix, right),
                    left > right,
                    "{left:?} > {right:?}"
                );
            }
        }
    }

    #[test]
    fn lookups_find_exactly_the_keys_written_among_keys_sharing_sixteen_bytes() {
        // Keys whose first sixteen bytes tie (the bytes decide) and keys whose prefixes
        // decide, written in a scrambled order, enough of them to split the sorted chunks;
        // then every written key, and keys between and around them, looked up.
        let key = |i: u64| match i % 3 {
            0 => format!("shared-sixteen-b/{i:05}"),
            1 => format!("k{i:015}"),
            _ => format!("{i}"),
        };
        let mut table = Memtable::new(1);
        let mut written = std::collections::BTreeMap::new();
        for step in 0..600_u64 {
            let i = step.wrapping_mul(7_919) % 600;
            table.insert(
                b(&key(i)),
                step + 1,
                Some(b(&format!("v{step}"))),
                Prune::KeepAll,
            );
            written.insert(key(i), format!("v{step}"));
        }
        for i in 0..700_u64 {
            for probe in [key(i), format!("{}0", key(i)), format!("{}\0", key(i))] {
                let found = table.get(probe.as_bytes(), u64::MAX, 0);
                let expected = written.get(&probe).map(|value| Some(b(value)));
                assert_eq!(found, expected, "{probe}");
            }
        }
        assert_eq!(table.key_count(), written.len());
    }

    #[test]
    fn same_sequence_number_twice_keeps_the_later_write() {
        let mut table = Memtable::new(1);
        table.insert(b("k"), 4, Some(b("first")), Prune::KeepAll);
        table.insert(b("k"), 4, Some(b("second")), Prune::KeepAll);
        assert_eq!(table.version_count(), 1);
        assert_eq!(table.get(b"k", 4, 0), Some(Some(b("second"))));
    }

    #[test]
    fn chunks_resume_where_they_stopped_and_respect_bounds() {
        let mut table = Memtable::new(1);
        for (i, key) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            table.insert(b(key), i as u64 + 1, Some(b(key)), Prune::KeepAll);
        }
        let mut out = Vec::new();
        let resume = table.read_chunk(
            Bound::Included(b"b"),
            Bound::Excluded(b"e"),
            100,
            0,
            2,
            &mut out,
        );
        assert_eq!(resume, Some(b("d")));
        assert_eq!(out.len(), 2);
        let resume = table.read_chunk(
            Bound::Included(b"d"),
            Bound::Excluded(b"e"),
            100,
            0,
            2,
            &mut out,
        );
        assert_eq!(resume, None);
        let keys: Vec<&[u8]> = out.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, vec![&b"b"[..], b"c", b"d"]);
        // Writes after the read's sequence number are invisible.
        out.clear();
        table.read_chunk(Bound::Unbounded, Bound::Unbounded, 2, 0, 10, &mut out);
        assert_eq!(out.len(), 2);
        // Inverted or empty bounds are empty, not a panic.
        assert_eq!(
            table.read_chunk(
                Bound::Included(b"z"),
                Bound::Excluded(b"a"),
                100,
                0,
                10,
                &mut out
            ),
            None
        );
        assert!(!bounds_nonempty(
            Bound::Excluded(b"a"),
            Bound::Excluded(b"a")
        ));
        assert!(bounds_nonempty(
            Bound::Included(b"a"),
            Bound::Included(b"a")
        ));
    }
}
