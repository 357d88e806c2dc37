//! SST data blocks: sorted entries of one SST, about `block_bytes` each, the unit the read
//! path fetches and caches.
//!
//! Layout (all integers little-endian): entries, each `key_len varint | value_tag varint |
//! key | value` where `value_tag` is 0 for a tombstone and `len + 1` for a value; then one
//! `u32` offset per entry; then the entry count (`u32`); then CRC32C of everything before.
//! Decoding keeps the block as one `Bytes` and hands out zero-copy slices of it.

use super::{append_crc, verify_crc};
use crate::codec::{put_u32, put_varint, u32_at, Reader};
use bytes::Bytes;
use std::cmp::Ordering;

/// Accumulates sorted entries into one encoded block.
#[derive(Debug, Default)]
pub struct BlockBuilder {
    data: Vec<u8>,
    offsets: Vec<u32>,
}

impl BlockBuilder {
    pub fn new() -> Self {
        BlockBuilder::default()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    pub fn entry_count(&self) -> usize {
        self.offsets.len()
    }

    /// The encoded size (checksum included) if the block were finished now.
    pub fn encoded_bytes(&self) -> usize {
        self.data.len() + 4 * self.offsets.len() + 8
    }

    /// Adds an entry; keys must arrive in strictly ascending order (the SST builder checks).
    #[inline]
    pub fn add(&mut self, key: &[u8], value: Option<&[u8]>) {
        self.offsets.push(self.data.len() as u32);
        put_varint(&mut self.data, key.len() as u64);
        match value {
            Some(value) => put_varint(&mut self.data, value.len() as u64 + 1),
            None => put_varint(&mut self.data, 0),
        }
        self.data.extend_from_slice(key);
        if let Some(value) = value {
            self.data.extend_from_slice(value);
        }
    }

    /// Appends the finished block (with its checksum) to `out` and resets the builder.
    pub fn finish_into(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.data);
        for offset in &self.offsets {
            put_u32(out, *offset);
        }
        put_u32(out, self.offsets.len() as u32);
        append_crc(out, start);
        self.data.clear();
        self.offsets.clear();
    }
}

/// A decoded, verified block.
#[derive(Clone, Debug)]
pub struct Block {
    /// The whole block without its checksum.
    bytes: Bytes,
    /// Where the offsets array starts (= the length of the entry data).
    offsets_start: usize,
    count: usize,
}

/// Where an entry's key and value lie within the block.
struct EntryPosition {
    key_start: usize,
    key_len: usize,
    /// `(start, len)` of the value; `None` for a tombstone.
    value: Option<(usize, usize)>,
}

/// One entry borrowed from a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub key: &'a [u8],
    /// `None` for a tombstone.
    pub value: Option<&'a [u8]>,
}

impl Block {
    /// Verifies the checksum and the offsets of a block as stored (checksum included).
    pub fn decode(stored: Bytes) -> Result<Block, String> {
        let payload_len = verify_crc(&stored)?.len();
        let bytes = stored.slice(..payload_len);
        if payload_len < 4 {
            return Err("block too short for its entry count".to_string());
        }
        let count = u32_at(&bytes, payload_len - 4).expect("length checked above") as usize;
        let offsets_bytes = count
            .checked_mul(4)
            .filter(|n| *n <= payload_len - 4)
            .ok_or_else(|| format!("entry count {count} does not fit the block"))?;
        let offsets_start = payload_len - 4 - offsets_bytes;
        let mut previous: Option<u32> = None;
        for i in 0..count {
            let offset = u32_at(&bytes, offsets_start + 4 * i).expect("bounds checked above");
            if offset as usize >= offsets_start || previous.is_some_and(|p| p >= offset) {
                return Err(format!(
                    "entry offset {offset} out of order or out of bounds"
                ));
            }
            previous = Some(offset);
        }
        let block = Block {
            bytes,
            offsets_start,
            count,
        };
        // Parse every entry once so that later accessors cannot meet a malformed one.
        for i in 0..count {
            block
                .parse(i)
                .ok_or_else(|| format!("entry {i} is malformed"))?;
        }
        Ok(block)
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of memory this block holds (what the cache charges for it).
    pub fn size_bytes(&self) -> usize {
        self.bytes.len()
    }

    fn parse(&self, index: usize) -> Option<EntryPosition> {
        let start = u32_at(&self.bytes, self.offsets_start + 4 * index)? as usize;
        let end = if index + 1 < self.count {
            u32_at(&self.bytes, self.offsets_start + 4 * (index + 1))? as usize
        } else {
            self.offsets_start
        };
        let entry = self.bytes.get(start..end)?;
        let mut reader = Reader::new(entry);
        let key_len = reader.varint()? as usize;
        let tag = reader.varint()?;
        let key_start = start + reader.position();
        reader.take(key_len)?;
        let value = if tag == 0 {
            None
        } else {
            let value_len = (tag - 1) as usize;
            let value_start = start + reader.position();
            reader.take(value_len)?;
            Some((value_start, value_len))
        };
        if !reader.is_empty() {
            return None;
        }
        Some(EntryPosition {
            key_start,
            key_len,
            value,
        })
    }

    /// The entry at `index` (which must be below `len()`).
    #[inline]
    pub fn entry(&self, index: usize) -> EntryRef<'_> {
        let EntryPosition {
            key_start,
            key_len,
            value,
        } = self
            .parse(index)
            .expect("decode verified every entry of this immutable block");
        EntryRef {
            key: &self.bytes[key_start..key_start + key_len],
            value: value.map(|(start, len)| &self.bytes[start..start + len]),
        }
    }

    /// The entry at `index` as owned, zero-copy `Bytes`.
    pub fn entry_bytes(&self, index: usize) -> (Bytes, Option<Bytes>) {
        let EntryPosition {
            key_start,
            key_len,
            value,
        } = self
            .parse(index)
            .expect("decode verified every entry of this immutable block");
        (
            self.bytes.slice(key_start..key_start + key_len),
            value.map(|(start, len)| self.bytes.slice(start..start + len)),
        )
    }

    /// The index of the first entry whose key is `>= key` (`len()` if none).
    pub fn seek(&self, key: &[u8]) -> usize {
        let (mut low, mut high) = (0, self.count);
        while low < high {
            let mid = low + (high - low) / 2;
            match self.entry(mid).key.cmp(key) {
                Ordering::Less => low = mid + 1,
                _ => high = mid,
            }
        }
        low
    }

    /// The entry with exactly `key`, if present.
    pub fn get(&self, key: &[u8]) -> Option<EntryRef<'_>> {
        let index = self.seek(key);
        if index < self.count {
            let entry = self.entry(index);
            if entry.key == key {
                return Some(entry);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn build(entries: &[(&[u8], Option<&[u8]>)]) -> Vec<u8> {
        let mut builder = BlockBuilder::new();
        for (key, value) in entries {
            builder.add(key, *value);
        }
        let expected_len = builder.encoded_bytes();
        let mut out = Vec::new();
        builder.finish_into(&mut out);
        assert_eq!(out.len(), expected_len);
        assert!(builder.is_empty());
        out
    }

    #[test]
    fn entries_round_trip_with_tombstones_and_empty_values() {
        let entries: Vec<(&[u8], Option<&[u8]>)> = vec![
            (b"a", Some(b"1")),
            (b"b", None),
            (b"c", Some(b"")),
            (b"dd", Some(b"a longer value")),
        ];
        let block = Block::decode(Bytes::from(build(&entries))).unwrap();
        assert_eq!(block.len(), 4);
        for (i, (key, value)) in entries.iter().enumerate() {
            let entry = block.entry(i);
            assert_eq!(entry.key, *key);
            assert_eq!(entry.value, *value);
        }
        assert_eq!(block.get(b"b").unwrap().value, None);
        assert_eq!(block.get(b"c").unwrap().value, Some(&b""[..]));
        assert!(block.get(b"bb").is_none());
        assert_eq!(block.seek(b"0"), 0);
        assert_eq!(block.seek(b"bb"), 2);
        assert_eq!(block.seek(b"z"), 4);
        let (key, value) = block.entry_bytes(3);
        assert_eq!(&key[..], b"dd");
        assert_eq!(value.as_deref(), Some(&b"a longer value"[..]));
    }

    #[test]
    fn empty_block_decodes() {
        let block = Block::decode(Bytes::from(build(&[]))).unwrap();
        assert!(block.is_empty());
        assert_eq!(block.seek(b"a"), 0);
    }

    #[test]
    fn a_flipped_bit_is_corrupt() {
        let stored = build(&[(b"key", Some(b"value"))]);
        for byte in 0..stored.len() {
            let mut damaged = stored.clone();
            damaged[byte] ^= 0x10;
            assert!(Block::decode(Bytes::from(damaged)).is_err(), "byte {byte}");
        }
    }

    #[test]
    fn a_checksummed_but_malformed_block_is_rejected_not_panicking() {
        // Offsets pointing past the data, with a valid checksum.
        let mut forged = vec![1u8, 1, b'k'];
        forged.extend_from_slice(&200u32.to_le_bytes());
        forged.extend_from_slice(&1u32.to_le_bytes());
        append_crc(&mut forged, 0);
        assert!(Block::decode(Bytes::from(forged)).is_err());
        // A count larger than the block.
        let mut forged = vec![0u8; 4];
        forged.extend_from_slice(&1000u32.to_le_bytes());
        append_crc(&mut forged, 0);
        assert!(Block::decode(Bytes::from(forged)).is_err());
    }
}
