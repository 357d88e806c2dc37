//! The bloom filter stored in every SST: lets a point read skip an SST that certainly does
//! not hold its key.
//!
//! One filter covers the whole SST. It is *blocked*: the bit array is split into 512-bit
//! (64-byte, one cache line) blocks, a key's hash picks one block, and all of its probes set
//! bits inside that block, so a lookup touches one cache line however many probes it makes.
//! Probes use double hashing (`h1 + i * h2`) within the block over a stable 64-bit key hash
//! (`key_hash`), so filters written natively read the same in wasm32. The number of probes
//! is `round(bits_per_key * ln 2)`, computed in integers (x 69 / 100).

use crate::codec::Reader;

/// A stable 64-bit hash of a key: 8-byte little-endian words folded with a multiply-rotate,
/// then MurmurHash3's 64-bit finaliser. Part of the SST format: never change it.
#[inline]
pub fn key_hash(key: &[u8]) -> u64 {
    const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut hash: u64 = 0x5354_5241_5441_0001 ^ (key.len() as u64).wrapping_mul(MULTIPLIER);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks_exact yields 8 bytes"));
        hash = (hash ^ word).wrapping_mul(MULTIPLIER).rotate_left(29);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut word_bytes = [0u8; 8];
        word_bytes[..tail.len()].copy_from_slice(tail);
        hash = (hash ^ u64::from_le_bytes(word_bytes))
            .wrapping_mul(MULTIPLIER)
            .rotate_left(29);
    }
    fmix64(hash)
}

#[inline]
fn fmix64(mut hash: u64) -> u64 {
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    hash ^ (hash >> 33)
}

/// The number of probes for a bits-per-key setting: round(bits_per_key x ln 2), 1..=30.
pub fn probes_for(bits_per_key: u32) -> u8 {
    let probes = (bits_per_key * 69 + 50) / 100;
    probes.clamp(1, 30) as u8
}

/// Builds a filter from key hashes collected while an SST is written.
#[derive(Debug, Default)]
pub struct BloomBuilder {
    hashes: Vec<u64>,
}

impl BloomBuilder {
    pub fn new() -> Self {
        BloomBuilder::default()
    }

    /// Makes room for `keys` more keys.
    pub fn reserve(&mut self, keys: usize) {
        self.hashes.reserve(keys);
    }

    #[inline]
    pub fn add_key(&mut self, key: &[u8]) {
        self.hashes.push(key_hash(key));
    }

    pub fn key_count(&self) -> usize {
        self.hashes.len()
    }

    /// Encodes the filter: one byte of probe count, then the bit array, a whole number of
    /// 64-byte blocks (LSB-first in each byte). With `bits_per_key == 0` the filter is empty
    /// (zero bytes), meaning "may contain".
    pub fn finish(&self, bits_per_key: u32) -> Vec<u8> {
        if bits_per_key == 0 || self.hashes.is_empty() {
            return Vec::new();
        }
        let probes = probes_for(bits_per_key);
        let bit_count = self.hashes.len() as u64 * u64::from(bits_per_key);
        let blocks = bit_count.div_ceil(BLOCK_BITS).max(1);
        let mut out = vec![0u8; 1 + (blocks * BLOCK_BYTES) as usize];
        out[0] = probes;
        let bits = &mut out[1..];
        for hash in &self.hashes {
            let base = block_of(*hash, blocks) * BLOCK_BITS;
            for bit in probe_bits(*hash, probes) {
                let bit = base + bit;
                bits[(bit / 8) as usize] |= 1 << (bit % 8);
            }
        }
        out
    }
}

/// Bits in one filter block: a 64-byte cache line.
const BLOCK_BITS: u64 = 512;
const BLOCK_BYTES: u64 = BLOCK_BITS / 8;

/// The block a hash lives in: a multiply-shift of a remixed hash onto `[0, blocks)` (Lemire's
/// fast range reduction), so block choice and in-block probes use independent bits.
#[inline]
fn block_of(hash: u64, blocks: u64) -> u64 {
    let remixed = hash.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(31);
    ((u128::from(remixed) * u128::from(blocks)) >> 64) as u64
}

/// The probes' bit positions within the block.
#[inline]
fn probe_bits(hash: u64, probes: u8) -> impl Iterator<Item = u64> {
    let h1 = hash & 0xFFFF_FFFF;
    // An odd step, so that the probes of one key never collapse onto one bit.
    let h2 = (hash >> 32) | 1;
    (0..u64::from(probes)).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) & (BLOCK_BITS - 1))
}

/// A decoded filter, ready for queries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BloomFilter {
    probes: u8,
    bits: Vec<u8>,
}

impl BloomFilter {
    /// Decodes a filter written by `BloomBuilder::finish`. An empty input is the "always
    /// maybe" filter. `None` if the bytes cannot be a filter.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() {
            return Some(BloomFilter {
                probes: 0,
                bits: Vec::new(),
            });
        }
        let mut reader = Reader::new(bytes);
        let probes = reader.u8()?;
        let remaining = reader.remaining() as u64;
        if probes == 0 || probes > 30 || remaining == 0 || !remaining.is_multiple_of(BLOCK_BYTES) {
            return None;
        }
        let bits = reader.take(reader.remaining())?.to_vec();
        Some(BloomFilter { probes, bits })
    }

    /// False only if `key` is certainly absent.
    #[inline]
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.may_contain_hash(key_hash(key))
    }

    #[inline]
    pub fn may_contain_hash(&self, hash: u64) -> bool {
        if self.probes == 0 {
            return true;
        }
        let blocks = self.bits.len() as u64 / BLOCK_BYTES;
        let base = block_of(hash, blocks) * BLOCK_BITS;
        // A loop, not `all` over `probe_bits`, whose instance the page had for this alone.
        for bit in probe_bits(hash, self.probes) {
            let bit = base + bit;
            if self.bits[(bit / 8) as usize] & (1 << (bit % 8)) == 0 {
                return false;
            }
        }
        true
    }

    /// Bytes held in memory.
    pub fn size_bytes(&self) -> usize {
        self.bits.len() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn key(i: u64) -> Vec<u8> {
        format!("key-{i:08}").into_bytes()
    }

    #[test]
    fn every_inserted_key_is_found() {
        let mut builder = BloomBuilder::new();
        for i in 0..2_000 {
            builder.add_key(&key(i));
        }
        let filter = BloomFilter::decode(&builder.finish(10)).unwrap();
        for i in 0..2_000 {
            assert!(filter.may_contain(&key(i)), "false negative for {i}");
        }
    }

    #[test]
    fn false_positive_rate_matches_bits_per_key() {
        let mut builder = BloomBuilder::new();
        for i in 0..4_000 {
            builder.add_key(&key(i));
        }
        let filter = BloomFilter::decode(&builder.finish(10)).unwrap();
        let false_positives = (1_000_000..1_020_000)
            .filter(|i| filter.may_contain(&key(*i)))
            .count();
        // 10 bits per key gives about 0.8% in theory; allow up to 2%.
        let rate = false_positives as f64 / 20_000.0;
        assert!(rate < 0.02, "false positive rate {rate}");
        assert!(
            rate > 0.0005,
            "suspiciously low rate {rate}: is the filter used?"
        );
    }

    #[test]
    fn fewer_bits_means_more_false_positives() {
        let rate = |bits: u32| {
            let mut builder = BloomBuilder::new();
            for i in 0..2_000 {
                builder.add_key(&key(i));
            }
            let filter = BloomFilter::decode(&builder.finish(bits)).unwrap();
            (1_000_000..1_010_000)
                .filter(|i| filter.may_contain(&key(*i)))
                .count()
        };
        assert!(rate(4) > rate(12));
    }

    #[test]
    fn disabled_filter_always_says_maybe_and_bad_bytes_are_rejected() {
        let mut builder = BloomBuilder::new();
        builder.add_key(b"a");
        let encoded = builder.finish(0);
        assert!(encoded.is_empty());
        let filter = BloomFilter::decode(&encoded).unwrap();
        assert!(filter.may_contain(b"anything"));
        assert_eq!(BloomFilter::decode(&[0, 1, 2]), None);
        assert_eq!(BloomFilter::decode(&[7]), None);
    }

    #[test]
    fn key_hash_is_stable() {
        // Part of the on-object format: these values must never change.
        assert_eq!(key_hash(b""), 0xfbf3_bccd_d227_0207);
        assert_eq!(key_hash(b"strata"), 0x1a70_8e54_c1d0_4f5c);
        assert_eq!(key_hash(b"0123456789abcdef"), 0xbd49_2eee_8c90_e365);
        assert_ne!(key_hash(b"a"), key_hash(b"b"));
        assert_ne!(key_hash(b"abcdefgh"), key_hash(b"abcdefgh\0"));
        assert_eq!(probes_for(10), 7);
        assert_eq!(probes_for(1), 1);
        assert_eq!(probes_for(64), 30);
    }
}
