//! Sorted string tables: how a flushed memtable is laid out as one immutable object.
//!
//! ```text
//! [data block 0 + crc] … [data block n-1 + crc] [index + crc] [bloom + crc]
//!     [range tombstones + crc, version 2 only] [footer (44 bytes)]
//! ```
//! The index, the bloom filter, the range tombstones and the footer are contiguous at the end
//! (the *meta region*), so a reader that knows where the region starts (the manifest records
//! it) fetches them all with one ranged GET, then fetches only the data blocks a read needs.
//! docs/format.md gives the exact layout.
//!
//! An SST with neither range tombstones nor expiring values is written as format version 1,
//! byte for byte as before those existed; one with either is version 2. A range tombstone of
//! an SST deletes keys in *older* SSTs only: every entry of the SST is newer than its
//! tombstones (the flush and the compactor drop the entries a tombstone covers before they
//! write both).

use super::block::{Block, BlockBuilder};
use super::bloom::{BloomBuilder, BloomFilter};
use super::{append_crc, verify_crc};
use crate::codec::{
    key_cmp, key_prefix_pair, put_u32, put_u64, put_varint, to_usize, u32_at, u64_at, Reader,
};
use crate::options::MAX_KEY_BYTES;
use bytes::Bytes;
use std::cmp::Ordering;

/// The SST format version of a table with no range tombstone and no expiring value.
pub const SST_FORMAT_VERSION: u8 = 1;
/// The SST format version of a table with range tombstones or expiring values.
pub const SST_FORMAT_VERSION_RANGES: u8 = 2;
/// The last four bytes of every SST.
pub const SST_MAGIC: [u8; 4] = *b"STSS";
/// Fixed size of the footer at the end of every SST.
pub const FOOTER_BYTES: usize = 44;

/// Where one data block lives, and the largest key it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    pub last_key: Bytes,
    pub offset: u64,
    /// Stored length including the block's checksum.
    pub len: u32,
}

/// Writes entries (in strictly ascending key order) into an SST.
#[derive(Debug)]
pub struct SstBuilder {
    block_bytes: usize,
    bloom_bits_per_key: u32,
    out: Vec<u8>,
    block: BlockBuilder,
    index: Vec<IndexEntry>,
    bloom: BloomBuilder,
    first_key: Option<Bytes>,
    last_key: Vec<u8>,
    entries: u64,
    range_tombstones: Vec<(Bytes, Bytes)>,
    any_expiring: bool,
}

/// A finished SST and the facts the manifest records about it.
#[derive(Clone, Debug)]
pub struct BuiltSst {
    pub bytes: Bytes,
    /// The SST's key range, inclusive: its smallest entry key or tombstone start, and its
    /// largest entry key or tombstone end (a tombstone's end is exclusive, so the range may
    /// name one key more than the SST can hold; never less).
    pub first_key: Bytes,
    pub last_key: Bytes,
    pub entries: u64,
    /// Range tombstones written, after merging overlapping ones.
    pub range_tombstones: u64,
    /// Offset of the meta region (index, bloom, footer).
    pub meta_offset: u64,
}

/// One entry of an SST as the compactor reads it: a key, its value (`None` for a tombstone)
/// and when the value expires (0: never).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SstEntry {
    pub key: Bytes,
    pub value: Option<Bytes>,
    pub expires_at_ns: u64,
}

/// The most range tombstones one SST holds (after merging overlapping ones): bounds what a
/// reader keeps per SST.
pub const MAX_SST_RANGE_TOMBSTONES: usize = 1 << 20;

/// Sorts `ranges` by start and merges overlapping and touching ones: the union as disjoint,
/// ascending `[start, end)` ranges.
pub fn coalesce_ranges(mut ranges: Vec<(Bytes, Bytes)>) -> Vec<(Bytes, Bytes)> {
    let order = sorted_order(&ranges);
    let mut out: Vec<(Bytes, Bytes)> = Vec::with_capacity(ranges.len());
    for i in order {
        let (start, end) = std::mem::take(&mut ranges[i]);
        assert!(
            start < end,
            "invariant: a range tombstone's start is below its end"
        );
        match out.last_mut() {
            Some(last) if start <= last.1 => {
                if end > last.1 {
                    last.1 = end;
                }
            }
            _ => out.push((start, end)),
        }
    }
    out
}

/// The indices of `ranges` in ascending order of the ranges (by start, then end), equal ranges
/// in their given order: the order `slice::sort` gives. A bottom-up merge sort of indices,
/// not `sort` itself, whose stable sort instantiated for `(Bytes, Bytes)` was 3.3 KB of the
/// page's code, for the one sort of this type there.
fn sorted_order(ranges: &[(Bytes, Bytes)]) -> Vec<usize> {
    let n = ranges.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut merged = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = n.min(lo + width);
            let hi = n.min(lo + 2 * width);
            let (mut left, mut right) = (lo, mid);
            for slot in &mut merged[lo..hi] {
                let take_left =
                    right == hi || (left < mid && ranges[order[left]] <= ranges[order[right]]);
                if take_left {
                    *slot = order[left];
                    left += 1;
                } else {
                    *slot = order[right];
                    right += 1;
                }
            }
            lo = hi;
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

/// Whether disjoint, ascending `ranges` cover `key`.
pub fn ranges_cover(ranges: &[(Bytes, Bytes)], key: &[u8]) -> bool {
    let after = ranges.partition_point(|(start, _)| start.as_ref() <= key);
    after > 0 && key < ranges[after - 1].1.as_ref()
}

impl SstBuilder {
    pub fn new(block_bytes: usize, bloom_bits_per_key: u32) -> Self {
        SstBuilder {
            block_bytes,
            bloom_bits_per_key,
            out: Vec::new(),
            block: BlockBuilder::new(),
            index: Vec::new(),
            bloom: BloomBuilder::new(),
            first_key: None,
            last_key: Vec::new(),
            entries: 0,
            range_tombstones: Vec::new(),
            any_expiring: false,
        }
    }

    /// Makes room for about `data_bytes` of entries (keys, values and their framing) and
    /// `keys` keys, so that building the SST copies its bytes once rather than at every
    /// doubling of its buffer (a copy per doubling in wasm32, where memory cannot be
    /// remapped). A hint: a wrong one costs only a reallocation.
    pub fn reserve(&mut self, data_bytes: usize, keys: usize) {
        let bloom_bytes = keys * self.bloom_bits_per_key as usize / 8 + 128;
        let index_bytes = (data_bytes / self.block_bytes.max(1) + 1) * 48;
        self.out
            .reserve(data_bytes + bloom_bytes + index_bytes + FOOTER_BYTES + 64);
        self.bloom.reserve(keys);
    }

    /// Adds a range tombstone `[start, end)`: it deletes those keys in older SSTs. Any
    /// order; overlapping ones are merged when the SST is finished.
    pub fn add_range_tombstone(&mut self, start: &[u8], end: &[u8]) -> Result<(), String> {
        if start.is_empty() || start >= end || end.len() > MAX_KEY_BYTES {
            return Err("a range tombstone needs keys with start below end".to_string());
        }
        self.range_tombstones
            .push((Bytes::copy_from_slice(start), Bytes::copy_from_slice(end)));
        Ok(())
    }

    /// `add` for a value that reads as deleted from `expires_at_ns` on (0: never).
    pub fn add_expiring(
        &mut self,
        key: &[u8],
        value: Option<&[u8]>,
        expires_at_ns: u64,
    ) -> Result<(), String> {
        if expires_at_ns != 0 && value.is_none() {
            return Err("a tombstone cannot expire".to_string());
        }
        self.any_expiring |= expires_at_ns != 0;
        self.add_inner(key, value, expires_at_ns)
    }

    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Adds an entry; `None` is a tombstone. Keys must be strictly ascending and non-empty.
    pub fn add(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), String> {
        self.add_inner(key, value, 0)
    }

    fn add_inner(
        &mut self,
        key: &[u8],
        value: Option<&[u8]>,
        expires_at_ns: u64,
    ) -> Result<(), String> {
        if key.is_empty() {
            return Err("empty key".to_string());
        }
        if self.entries > 0 && key_cmp(key, &self.last_key) != Ordering::Greater {
            return Err("keys must be strictly ascending".to_string());
        }
        if self.first_key.is_none() {
            self.first_key = Some(Bytes::copy_from_slice(key));
        }
        self.block.add_expiring(key, value, expires_at_ns);
        self.bloom.add_key(key);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.entries += 1;
        if self.block.encoded_bytes() >= self.block_bytes {
            self.close_block();
        }
        Ok(())
    }

    fn close_block(&mut self) {
        if self.block.is_empty() {
            return;
        }
        let offset = self.out.len();
        self.block.finish_into(&mut self.out);
        self.index.push(IndexEntry {
            last_key: Bytes::copy_from_slice(&self.last_key),
            offset: offset as u64,
            len: (self.out.len() - offset) as u32,
        });
    }

    /// Finishes the SST. `None` when neither an entry nor a range tombstone was added (an
    /// empty SST is never written).
    pub fn finish(mut self) -> Option<BuiltSst> {
        self.close_block();
        let ranges = coalesce_ranges(std::mem::take(&mut self.range_tombstones));
        let mut first_key = self.first_key.take();
        let mut last_key = (self.entries > 0).then(|| Bytes::from(self.last_key.clone()));
        if let (Some(first), Some(last)) = (ranges.first(), ranges.last()) {
            if first_key.as_ref().is_none_or(|key| first.0 < key) {
                first_key = Some(first.0.clone());
            }
            if last_key.as_ref().is_none_or(|key| last.1 > key) {
                last_key = Some(last.1.clone());
            }
        }
        let first_key = first_key?;
        let last_key = last_key.expect("a first key implies a last key");
        assert!(
            first_key <= last_key,
            "invariant: an SST's key range is not inverted"
        );
        let version = if ranges.is_empty() && !self.any_expiring {
            SST_FORMAT_VERSION
        } else {
            SST_FORMAT_VERSION_RANGES
        };
        let index_offset = self.out.len();
        put_u32(&mut self.out, self.index.len() as u32);
        for entry in &self.index {
            put_u64(&mut self.out, entry.offset);
            put_u32(&mut self.out, entry.len);
            put_varint(&mut self.out, entry.last_key.len() as u64);
            self.out.extend_from_slice(&entry.last_key);
        }
        append_crc(&mut self.out, index_offset);
        let bloom_offset = self.out.len();
        let bloom = self.bloom.finish(self.bloom_bits_per_key);
        self.out.extend_from_slice(&bloom);
        append_crc(&mut self.out, bloom_offset);
        let ranges_offset = self.out.len();
        if version == SST_FORMAT_VERSION_RANGES {
            encode_range_tombstones(&ranges, &mut self.out);
        }
        let footer_start = self.out.len();
        put_u64(&mut self.out, index_offset as u64);
        put_u32(&mut self.out, (bloom_offset - index_offset) as u32);
        put_u64(&mut self.out, bloom_offset as u64);
        put_u32(&mut self.out, (ranges_offset - bloom_offset) as u32);
        put_u64(&mut self.out, self.entries);
        self.out.push(version);
        self.out.extend_from_slice(&[0, 0, 0]);
        append_crc(&mut self.out, footer_start);
        self.out.extend_from_slice(&SST_MAGIC);
        debug_assert_eq!(self.out.len() - footer_start, FOOTER_BYTES);
        // The SST is kept as long as it is live: give back what the reservation overshot.
        self.out.shrink_to_fit();
        Some(BuiltSst {
            bytes: Bytes::from(self.out),
            first_key,
            last_key,
            entries: self.entries,
            range_tombstones: ranges.len() as u64,
            meta_offset: index_offset as u64,
        })
    }
}

/// Writes the range-tombstone block: `count u32`, then per tombstone `start_len varint |
/// end_len varint | start | end`, then CRC32C.
fn encode_range_tombstones(ranges: &[(Bytes, Bytes)], out: &mut Vec<u8>) {
    let start = out.len();
    put_u32(out, ranges.len() as u32);
    for (first, end) in ranges {
        put_varint(out, first.len() as u64);
        put_varint(out, end.len() as u64);
        out.extend_from_slice(first);
        out.extend_from_slice(end);
    }
    append_crc(out, start);
}

/// The fewest bytes one range tombstone takes: two one-byte lengths and two one-byte keys.
const MIN_RANGE_TOMBSTONE_BYTES: usize = 4;

/// Decodes a range-tombstone block (checksum included). Every tombstone must have keys of 1
/// to `MAX_KEY_BYTES` bytes with start below end, and they must be ascending and disjoint:
/// a reader binary-searches them.
pub fn decode_range_tombstones(stored: &[u8]) -> Result<Vec<(Bytes, Bytes)>, String> {
    let payload = verify_crc(stored).map_err(|e| format!("range tombstones {e}"))?;
    let mut reader = Reader::new(payload);
    let malformed = |what: &str| format!("malformed range tombstones: {what}");
    let count = reader.u32().ok_or_else(|| malformed("count"))?;
    let count = to_usize(count.into(), "range tombstone count")?;
    if count > reader.remaining() / MIN_RANGE_TOMBSTONE_BYTES || count > MAX_SST_RANGE_TOMBSTONES {
        return Err(malformed("count larger than the block"));
    }
    let mut ranges: Vec<(Bytes, Bytes)> = Vec::with_capacity(count);
    for _ in 0..count {
        let mut key_len = || -> Result<usize, String> {
            let len = reader.varint().ok_or_else(|| malformed("key length"))?;
            if len == 0 || len > MAX_KEY_BYTES as u64 {
                return Err(malformed("key length outside 1 to the key limit"));
            }
            to_usize(len, "range tombstone key length")
        };
        let (start_len, end_len) = (key_len()?, key_len()?);
        let start =
            Bytes::copy_from_slice(reader.take(start_len).ok_or_else(|| malformed("start"))?);
        let end = Bytes::copy_from_slice(reader.take(end_len).ok_or_else(|| malformed("end"))?);
        if start >= end {
            return Err(malformed("a tombstone whose start is not below its end"));
        }
        if ranges
            .last()
            .is_some_and(|(_, previous_end)| start < previous_end)
        {
            return Err(malformed("tombstones out of order or overlapping"));
        }
        ranges.push((start, end));
    }
    if !reader.is_empty() {
        return Err(malformed("trailing bytes"));
    }
    Ok(ranges)
}

/// The decoded footer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footer {
    pub index_offset: u64,
    pub index_len: u32,
    pub bloom_offset: u64,
    pub bloom_len: u32,
    pub entries: u64,
    pub version: u8,
}

impl Footer {
    /// Decodes the last `FOOTER_BYTES` of an SST.
    pub fn decode(bytes: &[u8]) -> Result<Footer, String> {
        if bytes.len() != FOOTER_BYTES {
            return Err(format!("footer must be {FOOTER_BYTES} bytes"));
        }
        if bytes[FOOTER_BYTES - 4..] != SST_MAGIC {
            return Err("bad magic: not an SST".to_string());
        }
        let payload = verify_crc(&bytes[..FOOTER_BYTES - 4]).map_err(|e| format!("footer {e}"))?;
        let version = payload[32];
        if version != SST_FORMAT_VERSION && version != SST_FORMAT_VERSION_RANGES {
            return Err(format!("unsupported SST format version {version}"));
        }
        Ok(Footer {
            index_offset: u64_at(payload, 0).expect("footer length checked"),
            index_len: u32_at(payload, 8).expect("footer length checked"),
            bloom_offset: u64_at(payload, 12).expect("footer length checked"),
            bloom_len: u32_at(payload, 20).expect("footer length checked"),
            entries: u64_at(payload, 24).expect("footer length checked"),
            version,
        })
    }
}

/// What a reader keeps per SST: the block index and the bloom filter.
#[derive(Clone, Debug)]
pub struct SstMeta {
    pub index: Vec<IndexEntry>,
    /// The first sixteen bytes of each block's last key, as pairs of big-endian integers: a
    /// compact array that `block_for` binary-searches without chasing a pointer per step.
    /// Sixteen, not eight, because keys often share their first eight bytes (the lab's
    /// `k000000…` keys do), and then only the second word tells blocks apart.
    last_key_prefixes: Vec<(u64, u64)>,
    pub bloom: BloomFilter,
    pub entries: u64,
    /// Range tombstones, ascending and disjoint: they delete keys in older SSTs.
    pub range_tombstones: Vec<(Bytes, Bytes)>,
}

impl SstMeta {
    /// Whether one of this SST's range tombstones covers `key` (keys of older SSTs only).
    ///
    /// Inlined up to the check for none, as most SSTs have none: a point read asks this of
    /// every SST whose filter rules the key out, and the call to find no range was about 15
    /// instructions each time (docs/benchmarks.md).
    #[inline]
    pub fn range_deleted(&self, key: &[u8]) -> bool {
        !self.range_tombstones.is_empty() && ranges_cover(&self.range_tombstones, key)
    }

    /// Decodes the meta region `[meta_offset, sst_size)` of an SST and checks that the
    /// footer agrees with where the region was taken from.
    ///
    /// Past the checksums, every field a reader or the compactor relies on is checked: the
    /// index's blocks tile the data region `[0, meta_offset)` exactly, in order, each at least
    /// as long as an empty block; their last keys are non-empty and strictly ascending; and the
    /// footer's entry count is one the data region can hold, so that it may size an allocation.
    pub fn decode(region: &[u8], meta_offset: u64, sst_size: u64) -> Result<SstMeta, String> {
        if region.len() < FOOTER_BYTES {
            return Err("meta region shorter than a footer".to_string());
        }
        if meta_offset.checked_add(region.len() as u64) != Some(sst_size) {
            return Err("meta region does not end at the end of the SST".to_string());
        }
        let footer = Footer::decode(&region[region.len() - FOOTER_BYTES..])?;
        let index_len = u64::from(footer.index_len);
        let bloom_len = u64::from(footer.bloom_len);
        // Every term is below 2^33 except `meta_offset`, and `meta_offset + region.len()` did
        // not overflow, so these sums cannot either.
        // Version 1 has nothing between the bloom filter and the footer; version 2 has the
        // range-tombstone block there.
        if footer.index_offset != meta_offset
            || footer.bloom_offset != meta_offset + index_len
            || index_len + bloom_len + FOOTER_BYTES as u64 > region.len() as u64
            || (footer.version == SST_FORMAT_VERSION
                && index_len + bloom_len + FOOTER_BYTES as u64 != region.len() as u64)
        {
            return Err("footer offsets disagree with the object's size".to_string());
        }
        // Both lengths are at most the region's, which is in memory.
        let index_len = to_usize(index_len, "index length")?;
        let bloom_len = to_usize(bloom_len, "bloom length")?;
        let index_bytes = &region[..index_len];
        let bloom_bytes = &region[index_len..index_len + bloom_len];
        let range_tombstones = if footer.version == SST_FORMAT_VERSION_RANGES {
            decode_range_tombstones(&region[index_len + bloom_len..region.len() - FOOTER_BYTES])?
        } else {
            Vec::new()
        };
        let index = decode_index(verify_crc(index_bytes).map_err(|e| format!("index {e}"))?)?;
        let bloom_payload = verify_crc(bloom_bytes).map_err(|e| format!("bloom {e}"))?;
        let bloom = BloomFilter::decode(bloom_payload).ok_or("malformed bloom filter")?;
        check_index(&index, meta_offset)?;
        if footer.entries > meta_offset / MIN_ENTRY_BYTES {
            return Err(format!(
                "footer claims {} entries, more than {meta_offset} bytes of blocks can hold",
                footer.entries
            ));
        }
        let mut last_key_prefixes = Vec::with_capacity(index.len());
        for entry in &index {
            last_key_prefixes.push(key_prefix_pair(&entry.last_key));
        }
        Ok(SstMeta {
            index,
            last_key_prefixes,
            bloom,
            entries: footer.entries,
            range_tombstones,
        })
    }

    /// The footer's entry count as a capacity: checked at decode against the bytes of blocks,
    /// so it never sizes more than the object could hold.
    pub fn entry_capacity(&self) -> usize {
        usize::try_from(self.entries).unwrap_or(0)
    }

    /// Decodes every entry of the whole SST `sst` whose meta region this is, in key order.
    /// Each block must end on the last key the index gives it and start after the previous
    /// block's, and the blocks together must hold the footer's entry count: a compaction
    /// merges these entries and relies on them being strictly ascending.
    pub fn decode_entries(&self, sst: &Bytes) -> Result<Vec<SstEntry>, String> {
        let mut entries = Vec::with_capacity(self.entry_capacity());
        for (position, index_entry) in self.index.iter().enumerate() {
            let start = to_usize(index_entry.offset, "block offset")?;
            let end = start
                .checked_add(to_usize(index_entry.len.into(), "block length")?)
                .filter(|end| *end <= sst.len())
                .ok_or_else(|| format!("block {position} lies outside the SST"))?;
            let block = Block::decode(sst.slice(start..end))
                .map_err(|reason| format!("block {position}: {reason}"))?;
            if block.is_empty() {
                return Err(format!("block {position} is empty"));
            }
            let first = block.entry(0).key;
            if entries
                .last()
                .is_some_and(|previous: &SstEntry| previous.key.as_ref() >= first)
            {
                return Err(format!(
                    "block {position} starts before the previous one ends"
                ));
            }
            if block.entry(block.len() - 1).key != index_entry.last_key.as_ref() {
                return Err(format!("block {position} does not end on its index key"));
            }
            if entries.len() + block.len() > self.entry_capacity() {
                return Err(format!(
                    "the blocks hold more entries than the footer's {}",
                    self.entries
                ));
            }
            entries.reserve(block.len());
            for index in 0..block.len() {
                let (key, value) = block.entry_bytes(index);
                entries.push(SstEntry {
                    key,
                    value,
                    expires_at_ns: block.entry_expiry(index),
                });
            }
        }
        if entries.len() as u64 != self.entries {
            return Err(format!(
                "the blocks hold {} entries, the footer says {}",
                entries.len(),
                self.entries
            ));
        }
        Ok(entries)
    }

    /// The block that would hold `key`: the first whose last key is `>= key`.
    pub fn block_for(&self, key: &[u8]) -> Option<usize> {
        let prefix = key_prefix_pair(key);
        // Blocks whose last-key prefix is below the key's are before it; among equal prefixes
        // (rare: keys that share their first sixteen bytes), the full keys decide.
        let low = self.last_key_prefixes.partition_point(|p| *p < prefix);
        // Most often no block's prefix equals the key's: block `low` is then the one, with no
        // second search for the end of the equal prefixes (about 100 instructions a lookup).
        if self.last_key_prefixes.get(low) != Some(&prefix) {
            return (low < self.index.len()).then_some(low);
        }
        let high = low + self.last_key_prefixes[low..].partition_point(|p| *p == prefix);
        let position = low
            + self.index[low..high]
                .partition_point(|entry| key_cmp(&entry.last_key, key) == Ordering::Less);
        (position < self.index.len()).then_some(position)
    }

    /// Bytes of memory held (what an SST handle costs while open).
    pub fn size_bytes(&self) -> usize {
        // Summed by loops: each `map` and `sum` was an instance of its own in the wasm.
        let mut bytes = self.bloom.size_bytes();
        for entry in &self.index {
            bytes += entry.last_key.len() + 32;
        }
        for (start, end) in &self.range_tombstones {
            bytes += start.len() + end.len() + 32;
        }
        bytes
    }
}

/// The fewest bytes one entry takes in a data block: key length, value tag, a one-byte key and
/// its offset. Bounds the entry count a footer may claim.
const MIN_ENTRY_BYTES: u64 = 7;
/// The fewest bytes a data block takes: its entry count and its checksum.
const MIN_BLOCK_BYTES: u32 = 8;
/// The fewest bytes one index entry takes: offset, length, key length and a one-byte key.
const MIN_INDEX_ENTRY_BYTES: usize = 14;

fn decode_index(payload: &[u8]) -> Result<Vec<IndexEntry>, String> {
    let mut reader = Reader::new(payload);
    let malformed = |what: &str| format!("malformed index: {what}");
    let count = reader.u32().ok_or_else(|| malformed("entry count"))?;
    let count = to_usize(count.into(), "index entry count")?;
    if count > reader.remaining() / MIN_INDEX_ENTRY_BYTES {
        return Err(malformed("entry count larger than the index"));
    }
    let mut index = Vec::with_capacity(count);
    for _ in 0..count {
        let offset = reader.u64().ok_or_else(|| malformed("block offset"))?;
        let len = reader.u32().ok_or_else(|| malformed("block length"))?;
        let key_len = reader.varint().ok_or_else(|| malformed("key length"))?;
        if key_len == 0 || key_len > MAX_KEY_BYTES as u64 {
            return Err(malformed("key length outside 1 to the key limit"));
        }
        let key_len = to_usize(key_len, "index key length")?;
        let key = reader.take(key_len).ok_or_else(|| malformed("key"))?;
        index.push(IndexEntry {
            last_key: Bytes::copy_from_slice(key),
            offset,
            len,
        });
    }
    if !reader.is_empty() {
        return Err(malformed("trailing bytes"));
    }
    Ok(index)
}

/// Checks that the index's blocks tile `[0, meta_offset)` in order and that their last keys
/// ascend: then every block a read or a compaction fetches lies inside the object.
fn check_index(index: &[IndexEntry], meta_offset: u64) -> Result<(), String> {
    let mut expected_offset = 0u64;
    for (position, entry) in index.iter().enumerate() {
        if entry.offset != expected_offset {
            return Err(format!(
                "index entry {position}: block at {} where the previous one ends at {expected_offset}",
                entry.offset
            ));
        }
        if entry.len < MIN_BLOCK_BYTES {
            return Err(format!(
                "index entry {position}: a {}-byte block is shorter than an empty one",
                entry.len
            ));
        }
        expected_offset = entry
            .offset
            .checked_add(u64::from(entry.len))
            .filter(|end| *end <= meta_offset)
            .ok_or_else(|| format!("index entry {position}: block overlaps the meta region"))?;
        if position > 0 && index[position - 1].last_key >= entry.last_key {
            return Err(format!("index entry {position}: keys out of order"));
        }
    }
    if expected_offset != meta_offset {
        return Err(format!(
            "the index's blocks end at {expected_offset}, the meta region starts at {meta_offset}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
