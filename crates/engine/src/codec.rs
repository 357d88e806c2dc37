//! Small byte-level helpers shared by every on-object format: LEB128 varints, little-endian
//! fixed-width integers, a bounds-checked reader, and a readable rendering of keys.
//!
//! Decoders never index past the end of their input: `Reader` returns `None` instead, and the
//! format modules turn that into a `Corrupt` error naming the object.

/// Appends `value` as an unsigned LEB128 varint (1 to 10 bytes).
#[inline]
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The encoded length of `value` as a varint.
#[inline]
pub fn varint_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

#[inline]
pub fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[inline]
pub fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// A cursor over a byte slice whose every read is bounds-checked.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, position: 0 }
    }

    pub fn position(&self) -> usize {
        self.position
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    #[inline]
    pub fn u8(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.position)?;
        self.position += 1;
        Some(byte)
    }

    #[inline]
    pub fn u32(&mut self) -> Option<u32> {
        let bytes = self.take(4)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?))
    }

    #[inline]
    pub fn u64(&mut self) -> Option<u64> {
        let bytes = self.take(8)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }

    /// Reads a LEB128 varint; `None` if truncated or longer than 10 bytes.
    #[inline]
    pub fn varint(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = self.u8()?;
            if shift == 63 && byte > 1 {
                return None;
            }
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    }

    /// The next `len` bytes.
    #[inline]
    pub fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.position.checked_add(len)?;
        let slice = self.bytes.get(self.position..end)?;
        self.position = end;
        Some(slice)
    }
}

/// A length or offset read from an object as a `usize`, or an error when it does not fit this
/// platform (a u64 above 4 GiB on wasm32). Never `as usize`, which would truncate it there.
#[inline]
pub fn to_usize(value: u64, what: &str) -> Result<usize, String> {
    usize::try_from(value).map_err(|_| format!("{what} {value} does not fit this platform"))
}

/// Reads a little-endian u32 at `offset`, if in bounds.
#[inline]
pub fn u32_at(bytes: &[u8], offset: usize) -> Option<u32> {
    let slice = bytes.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes(slice.try_into().ok()?))
}

/// Reads a little-endian u64 at `offset`, if in bounds.
#[inline]
pub fn u64_at(bytes: &[u8], offset: usize) -> Option<u64> {
    let slice = bytes.get(offset..offset.checked_add(8)?)?;
    Some(u64::from_le_bytes(slice.try_into().ok()?))
}

/// The first eight bytes of a key (zero-padded) as a big-endian integer: comparing two
/// prefixes orders keys exactly as their bytes would, except that equal prefixes need the
/// full keys to decide.
#[inline]
pub fn key_prefix(key: &[u8]) -> u64 {
    // A fixed-size load when there are eight bytes, and a shift per byte below that: a
    // copy of a variable length into a padded word would call `memcpy`.
    if let Some(head) = key.first_chunk::<8>() {
        return u64::from_be_bytes(*head);
    }
    key.iter()
        .enumerate()
        .fold(0, |word, (i, byte)| word | u64::from(*byte) << (56 - 8 * i))
}

/// The first sixteen bytes of a key (zero-padded) as two big-endian integers, compared as a
/// pair: like [`key_prefix`], for keys that share their first eight bytes.
#[inline]
pub fn key_prefix_pair(key: &[u8]) -> (u64, u64) {
    (
        key_prefix(key),
        key_prefix(key.get(8..).unwrap_or_default()),
    )
}

/// Compares two keys in byte order, eight bytes at a time as big-endian integers. Same
/// result as `a.cmp(b)`, without a `memcmp` call: keys are short and often share their
/// first eight bytes (the lab's `k000000…` keys do), where a call per comparison dominated
/// the engine's lookups.
#[inline]
pub fn key_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let (mut a, mut b) = (a, b);
    while let (Some((word_a, rest_a)), Some((word_b, rest_b))) =
        (a.split_first_chunk::<8>(), b.split_first_chunk::<8>())
    {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let (word_a, word_b) = (u64::from_be_bytes(*word_a), u64::from_be_bytes(*word_b));
            if word_a != word_b {
                return word_a.cmp(&word_b);
            }
        }
        #[cfg(target_arch = "wasm32")]
        match word_cmp_without_swap(*word_a, *word_b) {
            std::cmp::Ordering::Equal => {}
            order => return order,
        }
        (a, b) = (rest_a, rest_b);
    }
    // One of them has fewer than eight bytes left. Zero-padded words that differ order the
    // keys as their bytes do (a padding zero only differs from a non-zero byte, which sorts
    // after it, as a shorter key does before a longer one); equal words leave the shorter
    // key a prefix of the longer, so it comes first.
    key_prefix(a)
        .cmp(&key_prefix(b))
        .then(a.len().cmp(&b.len()))
}

/// Orders two eight-byte words as their bytes would, without a byte swap: the first byte
/// that differs is the lowest set bit of their xor, loaded little-endian, and it decides.
/// wasm32 has no byte-swap instruction, so `u64::from_be_bytes` there is about forty shifts,
/// masks and ors for each word, where this is a xor, a count of trailing zeros and two shifts
/// (the engine's key comparisons were 4 % of the lab's run in Chromium, docs/benchmarks.md).
/// Natively a swap is one instruction, and [`key_cmp`] keeps it.
#[cfg_attr(not(any(target_arch = "wasm32", test)), allow(dead_code))]
#[inline]
fn word_cmp_without_swap(a: [u8; 8], b: [u8; 8]) -> std::cmp::Ordering {
    let (a, b) = (u64::from_le_bytes(a), u64::from_le_bytes(b));
    let first_difference_bits = (a ^ b).trailing_zeros() & !7;
    if first_difference_bits >= 64 {
        return std::cmp::Ordering::Equal;
    }
    ((a >> first_difference_bits) as u8).cmp(&((b >> first_difference_bits) as u8))
}

/// Renders a key for people: printable ASCII as is, anything else as `0x` and hex.
pub fn display_key(key: &[u8]) -> String {
    if !key.is_empty() && key.iter().all(|b| (0x20..0x7F).contains(b)) {
        // Printable ASCII is valid UTF-8.
        String::from_utf8_lossy(key).into_owned()
    } else {
        let mut out = String::with_capacity(2 + key.len() * 2);
        out.push_str("0x");
        out.push_str(&to_hex(key));
        out
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(HEX_DIGITS[(byte >> 4) as usize] as char);
        out.push(HEX_DIGITS[(byte & 0xF) as usize] as char);
    }
    out
}

/// Parses lowercase or uppercase hex; `None` on odd length or a non-hex digit.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    // A plain loop rather than `collect` into an `Option`, whose adapters are about 1 KB of
    // the playground's wasm for this one use (the manifest's keys).
    let mut out = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks_exact(2) {
        out.push(digit(pair[0])? << 4 | digit(pair[1])?);
    }
    Some(out)
}

/// Serde helpers that store key bytes as hex strings, as the manifest's JSON does (for the
/// derived serde impls of the manifest's types; the manifest itself is written and read by
/// hand, `format::manifest::json`).
pub mod hex_bytes {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::to_hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::from_hex(&text)
            .map(Bytes::from)
            .ok_or_else(|| serde::de::Error::custom("expected an even number of hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn varints_round_trip_at_every_width() {
        let values = [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ];
        let mut out = Vec::new();
        for value in values {
            let before = out.len();
            put_varint(&mut out, value);
            assert_eq!(out.len() - before, varint_len(value), "length of {value}");
        }
        let mut reader = Reader::new(&out);
        for value in values {
            assert_eq!(reader.varint(), Some(value));
        }
        assert!(reader.is_empty());
    }

    #[test]
    fn truncated_and_overlong_varints_are_rejected() {
        assert_eq!(Reader::new(&[0x80]).varint(), None);
        assert_eq!(Reader::new(&[0xFF; 11]).varint(), None);
        assert_eq!(Reader::new(&[]).u32(), None);
        assert_eq!(Reader::new(&[1, 2, 3]).take(4), None);
    }

    /// A xorshift generator from `seed`: test inputs, the same on every run.
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    #[test]
    fn words_compared_without_a_byte_swap_order_as_their_bytes() {
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let a = next().to_le_bytes();
            // Equal words, and words that differ in one byte at each position, high or low.
            let mut b = a;
            let at = (next() % 9) as usize;
            if at < 8 {
                b[at] = (next() % 256) as u8;
            }
            assert_eq!(word_cmp_without_swap(a, b), a.cmp(&b), "{a:?} vs {b:?}");
            assert_eq!(word_cmp_without_swap(b, a), b.cmp(&a), "{b:?} vs {a:?}");
            let c = next().to_le_bytes();
            assert_eq!(word_cmp_without_swap(a, c), a.cmp(&c), "{a:?} vs {c:?}");
        }
    }

    #[test]
    fn key_cmp_agrees_with_byte_order() {
        let keys: [&[u8]; 7] = [
            b"",
            b"a",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefgi",
            b"b",
            b"\xff",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(key_cmp(a, b), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn key_cmp_agrees_with_byte_order_on_keys_that_share_long_prefixes() {
        // Pairs made from one key by changing a byte, cutting it or lengthening it, at every
        // position across several eight-byte words, with bytes that sort low and high.
        let alphabet = [0u8, 1, b'0', b'k', 0x7F, 0x80, 0xFF];
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = (next() % 26) as usize;
            let a: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let mut b = a.clone();
            match next() % 3 {
                0 if !b.is_empty() => {
                    let at = (next() % b.len() as u64) as usize;
                    b[at] = alphabet[(next() % alphabet.len() as u64) as usize];
                }
                1 => b.truncate((next() % (b.len() as u64 + 1)) as usize),
                _ => b.extend((0..next() % 10).map(|i| alphabet[(i % 7) as usize])),
            }
            assert_eq!(key_cmp(&a, &b), a.cmp(&b), "{a:?} vs {b:?}");
            assert_eq!(key_cmp(&b, &a), b.cmp(&a), "{b:?} vs {a:?}");
            // Prefixes that differ order the keys; equal ones leave it to the keys.
            let (pair_a, pair_b) = (key_prefix_pair(&a), key_prefix_pair(&b));
            if pair_a != pair_b {
                assert_eq!(pair_a.cmp(&pair_b), a.cmp(&b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn hex_round_trips_and_keys_render_readably() {
        let bytes = [0u8, 1, 0xAB, 0xFF];
        assert_eq!(to_hex(&bytes), "0001abff");
        assert_eq!(from_hex("0001abff"), Some(bytes.to_vec()));
        assert_eq!(from_hex("0001ABFF"), Some(bytes.to_vec()));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
        assert_eq!(display_key(b"user:42"), "user:42");
        assert_eq!(display_key(&[0, 255]), "0x00ff");
        assert_eq!(display_key(b""), "0x");
    }

    #[test]
    fn lengths_convert_exactly_or_not_at_all() {
        assert_eq!(to_usize(7, "length"), Ok(7));
        let above_four_gib = to_usize(1 << 32, "length");
        if usize::BITS == 32 {
            let error = above_four_gib.unwrap_err();
            assert!(error.contains("does not fit"), "{error}");
        } else {
            assert_eq!(above_four_gib.map(|n| n as u64), Ok(1u64 << 32));
        }
    }
}
