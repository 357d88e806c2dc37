//! Sorted string tables: how a flushed memtable is laid out as one immutable object.
//!
//! ```text
//! [data block 0 + crc] … [data block n-1 + crc] [index + crc] [bloom + crc] [footer (44 bytes)]
//! ```
//! The index, the bloom filter and the footer are contiguous at the end (the *meta region*),
//! so a reader that knows where the region starts (the manifest records it) fetches all three
//! with one ranged GET, then fetches only the data blocks a read needs. docs/format.md gives
//! the exact layout.

use super::block::BlockBuilder;
use super::bloom::{BloomBuilder, BloomFilter};
use super::{append_crc, verify_crc};
use crate::codec::{key_cmp, key_prefix, put_u32, put_u64, put_varint, u32_at, u64_at, Reader};
use bytes::Bytes;
use std::cmp::Ordering;

/// The SST format version this code writes and reads.
pub const SST_FORMAT_VERSION: u8 = 1;
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
}

/// A finished SST and the facts the manifest records about it.
#[derive(Clone, Debug)]
pub struct BuiltSst {
    pub bytes: Bytes,
    pub first_key: Bytes,
    pub last_key: Bytes,
    pub entries: u64,
    /// Offset of the meta region (index, bloom, footer).
    pub meta_offset: u64,
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
        }
    }

    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Adds an entry; `None` is a tombstone. Keys must be strictly ascending and non-empty.
    pub fn add(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), String> {
        if key.is_empty() {
            return Err("empty key".to_string());
        }
        if self.entries > 0 && key_cmp(key, &self.last_key) != Ordering::Greater {
            return Err("keys must be strictly ascending".to_string());
        }
        if self.first_key.is_none() {
            self.first_key = Some(Bytes::copy_from_slice(key));
        }
        self.block.add(key, value);
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

    /// Finishes the SST. `None` when no entry was added (an empty SST is never written).
    pub fn finish(mut self) -> Option<BuiltSst> {
        self.close_block();
        let first_key = self.first_key.take()?;
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
        let footer_start = self.out.len();
        put_u64(&mut self.out, index_offset as u64);
        put_u32(&mut self.out, (bloom_offset - index_offset) as u32);
        put_u64(&mut self.out, bloom_offset as u64);
        put_u32(&mut self.out, (footer_start - bloom_offset) as u32);
        put_u64(&mut self.out, self.entries);
        self.out.push(SST_FORMAT_VERSION);
        self.out.extend_from_slice(&[0, 0, 0]);
        append_crc(&mut self.out, footer_start);
        self.out.extend_from_slice(&SST_MAGIC);
        debug_assert_eq!(self.out.len() - footer_start, FOOTER_BYTES);
        Some(BuiltSst {
            bytes: Bytes::from(self.out),
            first_key,
            last_key: Bytes::from(self.last_key),
            entries: self.entries,
            meta_offset: index_offset as u64,
        })
    }
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
        if version != SST_FORMAT_VERSION {
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
    /// The first eight bytes of each block's last key, as big-endian integers: a compact
    /// array that `block_for` binary-searches without chasing a pointer per step.
    last_key_prefixes: Vec<u64>,
    pub bloom: BloomFilter,
    pub entries: u64,
}

impl SstMeta {
    /// Decodes the meta region `[meta_offset, sst_size)` of an SST and checks that the
    /// footer agrees with where the region was taken from.
    pub fn decode(region: &[u8], meta_offset: u64, sst_size: u64) -> Result<SstMeta, String> {
        if region.len() < FOOTER_BYTES {
            return Err("meta region shorter than a footer".to_string());
        }
        if meta_offset + region.len() as u64 != sst_size {
            return Err("meta region does not end at the end of the SST".to_string());
        }
        let footer = Footer::decode(&region[region.len() - FOOTER_BYTES..])?;
        let index_len = footer.index_len as u64;
        let bloom_len = footer.bloom_len as u64;
        if footer.index_offset != meta_offset
            || footer.bloom_offset != meta_offset + index_len
            || footer.bloom_offset + bloom_len + FOOTER_BYTES as u64 != sst_size
        {
            return Err("footer offsets disagree with the object's size".to_string());
        }
        let index_bytes = &region[..index_len as usize];
        let bloom_bytes = &region[index_len as usize..(index_len + bloom_len) as usize];
        let index = decode_index(verify_crc(index_bytes).map_err(|e| format!("index {e}"))?)?;
        let bloom_payload = verify_crc(bloom_bytes).map_err(|e| format!("bloom {e}"))?;
        let bloom = BloomFilter::decode(bloom_payload).ok_or("malformed bloom filter")?;
        for pair in index.windows(2) {
            if pair[0].last_key >= pair[1].last_key || pair[0].offset >= pair[1].offset {
                return Err("index entries out of order".to_string());
            }
        }
        if let Some(last) = index.last() {
            if last.offset + u64::from(last.len) > meta_offset {
                return Err("a data block overlaps the meta region".to_string());
            }
        }
        let last_key_prefixes = index
            .iter()
            .map(|entry| key_prefix(&entry.last_key))
            .collect();
        Ok(SstMeta {
            index,
            last_key_prefixes,
            bloom,
            entries: footer.entries,
        })
    }

    /// The block that would hold `key`: the first whose last key is `>= key`.
    pub fn block_for(&self, key: &[u8]) -> Option<usize> {
        let prefix = key_prefix(key);
        // Blocks whose last-key prefix is below the key's are before it; among equal prefixes
        // (rare), the full keys decide.
        let low = self.last_key_prefixes.partition_point(|p| *p < prefix);
        let high = low + self.last_key_prefixes[low..].partition_point(|p| *p == prefix);
        let position =
            low + self.index[low..high].partition_point(|entry| entry.last_key.as_ref() < key);
        (position < self.index.len()).then_some(position)
    }

    /// Bytes of memory held (what an SST handle costs while open).
    pub fn size_bytes(&self) -> usize {
        self.bloom.size_bytes()
            + self
                .index
                .iter()
                .map(|entry| entry.last_key.len() + 32)
                .sum::<usize>()
    }
}

fn decode_index(payload: &[u8]) -> Result<Vec<IndexEntry>, String> {
    let mut reader = Reader::new(payload);
    let malformed = || "malformed index".to_string();
    let count = reader.u32().ok_or_else(malformed)? as usize;
    // Each entry takes at least 13 bytes, which bounds a forged count.
    if count > reader.remaining() / 13 + 1 {
        return Err(malformed());
    }
    let mut index = Vec::with_capacity(count);
    for _ in 0..count {
        let offset = reader.u64().ok_or_else(malformed)?;
        let len = reader.u32().ok_or_else(malformed)?;
        let key_len = reader.varint().ok_or_else(malformed)? as usize;
        let key = reader.take(key_len).ok_or_else(malformed)?;
        index.push(IndexEntry {
            last_key: Bytes::copy_from_slice(key),
            offset,
            len,
        });
    }
    if !reader.is_empty() {
        return Err(malformed());
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::block::Block;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn key(i: u32) -> Vec<u8> {
        format!("key{i:06}").into_bytes()
    }

    fn build(n: u32, block_bytes: usize) -> BuiltSst {
        let mut builder = SstBuilder::new(block_bytes, 10);
        for i in 0..n {
            let value = if i % 7 == 3 {
                None
            } else {
                Some(format!("value-{i}").into_bytes())
            };
            builder.add(&key(i), value.as_deref()).unwrap();
        }
        builder.finish().unwrap()
    }

    fn meta_of(sst: &BuiltSst) -> SstMeta {
        let size = sst.bytes.len() as u64;
        SstMeta::decode(
            &sst.bytes[sst.meta_offset as usize..],
            sst.meta_offset,
            size,
        )
        .unwrap()
    }

    #[test]
    fn blocks_respect_the_configured_size_and_every_key_is_found_via_the_index() {
        let sst = build(2_000, 512);
        assert_eq!(sst.entries, 2_000);
        assert_eq!(&sst.first_key[..], key(0).as_slice());
        assert_eq!(&sst.last_key[..], key(1_999).as_slice());
        let meta = meta_of(&sst);
        assert_eq!(meta.entries, 2_000);
        assert!(meta.index.len() > 20, "expected many 512-byte blocks");
        for entry in &meta.index {
            // A block closes at the first entry that takes it past the target.
            assert!(entry.len < 512 + 64, "block of {} bytes", entry.len);
        }
        for i in (0..2_000).step_by(37) {
            let k = key(i);
            assert!(meta.bloom.may_contain(&k));
            let block_index = meta.block_for(&k).unwrap();
            let entry = &meta.index[block_index];
            let stored = sst
                .bytes
                .slice(entry.offset as usize..(entry.offset + u64::from(entry.len)) as usize);
            let block = Block::decode(stored).unwrap();
            let found = block.get(&k).unwrap();
            if i % 7 == 3 {
                assert_eq!(found.value, None);
            } else {
                assert_eq!(found.value, Some(format!("value-{i}").as_bytes()));
            }
        }
        assert_eq!(meta.block_for(b"zzz"), None);
        assert_eq!(meta.block_for(b"a"), Some(0));
    }

    #[test]
    fn larger_blocks_mean_fewer_index_entries() {
        let small = meta_of(&build(1_000, 256)).index.len();
        let large = meta_of(&build(1_000, 4096)).index.len();
        assert!(large * 4 < small, "{large} vs {small}");
    }

    #[test]
    fn the_footer_carries_a_version_and_magic() {
        let sst = build(10, 4096);
        let footer = Footer::decode(&sst.bytes[sst.bytes.len() - FOOTER_BYTES..]).unwrap();
        assert_eq!(footer.version, SST_FORMAT_VERSION);
        assert_eq!(footer.index_offset, sst.meta_offset);
        let mut future = sst.bytes.to_vec();
        let version_at = future.len() - FOOTER_BYTES + 32;
        future[version_at] = 9;
        // Re-checksum so that only the version is wrong.
        let footer_start = future.len() - FOOTER_BYTES;
        let crc = crate::format::crc::crc32c(&future[footer_start..footer_start + 36]);
        future[footer_start + 36..footer_start + 40].copy_from_slice(&crc.to_le_bytes());
        let error = Footer::decode(&future[footer_start..]).unwrap_err();
        assert!(error.contains("version 9"), "{error}");
    }

    #[test]
    fn corruption_anywhere_in_the_meta_region_is_detected() {
        let sst = build(300, 512);
        let region = &sst.bytes[sst.meta_offset as usize..];
        for byte in 0..region.len() {
            let mut damaged = region.to_vec();
            damaged[byte] ^= 0x01;
            assert!(
                SstMeta::decode(&damaged, sst.meta_offset, sst.bytes.len() as u64).is_err(),
                "flip at meta byte {byte} not detected"
            );
        }
    }

    #[test]
    fn out_of_order_keys_and_empty_tables_are_refused() {
        let mut builder = SstBuilder::new(4096, 10);
        builder.add(b"b", Some(b"1")).unwrap();
        assert!(builder.add(b"a", Some(b"2")).is_err());
        assert!(builder.add(b"b", Some(b"2")).is_err());
        assert!(builder.add(b"", Some(b"2")).is_err());
        assert!(SstBuilder::new(4096, 10).finish().is_none());
    }
}
