//! SST data blocks: sorted entries of one SST, about `block_bytes` each, the unit the read
//! path fetches and caches.
//!
//! Layout (all integers little-endian): entries, each `key_len varint | value_tag varint |
//! key | value [| expires_at varint]` where `value_tag` is 0 for a tombstone and `len + 1`
//! for a value, and `expires_at` (present only for a value written with a time-to-live) is
//! the engine-clock instant, in nanoseconds, from which it reads as deleted; then one `u32`
//! offset per entry; then the entry count (`u32`); then CRC32C of everything before. The
//! offsets delimit each entry, so an entry without an expiry is byte for byte what it was
//! before expiries existed.
//! Decoding keeps the block as one `Bytes` and hands out zero-copy slices of it.

mod build;

pub use build::BlockBuilder;

use super::verify_crc;
use crate::codec::{key_cmp, key_prefix_pair, u32_at, Reader};
use crate::options::MAX_KEY_BYTES;
use bytes::Bytes;
use std::cmp::Ordering;

/// A decoded, verified block. Decoding parses every entry once into a small table, so that
/// lookups are a binary search over integers and slices, with no varint decoding.
#[derive(Clone, Debug)]
pub struct Block {
    /// The whole block without its checksum.
    bytes: Bytes,
    entries: Vec<EntrySlot>,
    /// When each entry's value expires (engine-clock nanoseconds, 0 for never), one per
    /// entry; empty when no entry of the block expires, as in most blocks.
    expiries: Vec<u64>,
}

/// Where one entry's key and value lie, plus the key's first sixteen bytes as two big-endian
/// integers, which decide a seek's comparisons without reading the key from the block
/// (sixteen, not eight: keys often share their first eight bytes, as the lab's `k000000…`
/// keys do). The value follows the key in the block, so its start is not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct EntrySlot {
    key_prefix: (u64, u64),
    key_start: u32,
    /// `TOMBSTONE` for a delete.
    value_len: u32,
    /// At most `MAX_KEY_BYTES`.
    key_len: u16,
}

impl EntrySlot {
    #[inline]
    fn value_start(&self) -> usize {
        self.key_start as usize + usize::from(self.key_len)
    }
}

const TOMBSTONE: u32 = u32::MAX;

/// The emptied entry table of a block, kept to be filled by the next decode: a point read
/// decodes a whole block, and its table (about a kilobyte) is otherwise a new allocation each
/// time. What the cache charges depends on the entries, not on the buffer's capacity.
#[derive(Debug, Default)]
pub struct EntryBuffer(Vec<EntrySlot>);

/// What the block cache charges for each entry's slot. A slot is exactly this size (checked
/// below), so the charge is the memory it takes; a block whose entries expire holds eight
/// bytes more per entry in its expiry table, which the charge leaves out so that the cache's
/// occupancy, and with it which blocks it evicts, depends only on the entries' count.
const ENTRY_CHARGE_BYTES: usize = 32;
const _: () = assert!(std::mem::size_of::<EntrySlot>() == ENTRY_CHARGE_BYTES);
const _: () = assert!(MAX_KEY_BYTES <= u16::MAX as usize);

/// Whether a value stamped to expire at `expires_at_ns` (0: never) has expired at `now_ns`.
#[inline]
pub fn is_expired(expires_at_ns: u64, now_ns: u64) -> bool {
    expires_at_ns != 0 && expires_at_ns <= now_ns
}

/// Parses entry `index` of a block whose offsets array starts at `offsets_start`.
fn parse_entry(
    bytes: &[u8],
    offsets_start: usize,
    count: usize,
    index: usize,
) -> Option<EntryPosition> {
    let start = u32_at(bytes, offsets_start + 4 * index)? as usize;
    let end = if index + 1 < count {
        u32_at(bytes, offsets_start + 4 * (index + 1))? as usize
    } else {
        offsets_start
    };
    let entry = bytes.get(start..end)?;
    let mut reader = Reader::new(entry);
    let key_len = usize::try_from(reader.varint()?).ok()?;
    if key_len == 0 || key_len > MAX_KEY_BYTES {
        return None;
    }
    let tag = reader.varint()?;
    let key_start = start + reader.position();
    reader.take(key_len)?;
    let value = if tag == 0 {
        None
    } else {
        let value_len = usize::try_from(tag - 1).ok()?;
        let value_start = start + reader.position();
        reader.take(value_len)?;
        Some((value_start, value_len))
    };
    // An expiry, if any, is the entry's last field: a positive varint on a value.
    let expires_at_ns = if reader.is_empty() {
        0
    } else {
        let expires_at_ns = reader.varint()?;
        if expires_at_ns == 0 || value.is_none() {
            return None;
        }
        expires_at_ns
    };
    if !reader.is_empty() {
        return None;
    }
    Some(EntryPosition {
        key_start,
        key_len,
        value,
        expires_at_ns,
    })
}

/// The entry table of a block (and its expiry table, empty when no entry expires), every
/// entry parsed and checked in full: the offsets strictly ascending below the offsets array,
/// each entry well formed, the keys 1 to `MAX_KEY_BYTES` bytes and strictly ascending.
type EntryTables = (Vec<EntrySlot>, Vec<u64>);

fn decode_entries(bytes: &[u8], offsets_start: usize, count: usize) -> Result<EntryTables, String> {
    let mut previous: Option<u32> = None;
    for i in 0..count {
        let offset =
            u32_at(bytes, offsets_start + 4 * i).expect("the caller checked the array's bounds");
        if offset as usize >= offsets_start || previous.is_some_and(|p| p >= offset) {
            return Err(format!(
                "entry offset {offset} out of order or out of bounds"
            ));
        }
        previous = Some(offset);
    }
    let mut entries: Vec<EntrySlot> = Vec::with_capacity(count);
    let mut expiries = Vec::new();
    let mut previous_key: &[u8] = &[];
    for i in 0..count {
        let position = parse_entry(bytes, offsets_start, count, i)
            .ok_or_else(|| format!("entry {i} is malformed"))?;
        let key = &bytes[position.key_start..position.key_start + position.key_len];
        let value_len = match position.value {
            Some((_, len)) if len < TOMBSTONE as usize => len as u32,
            Some(_) => return Err(format!("entry {i} has an oversized value")),
            None => TOMBSTONE,
        };
        let key_prefix = key_prefix_pair(key);
        if !sorts_after(entries.last(), previous_key, key_prefix, key) {
            return Err(format!("entry {i} is out of key order"));
        }
        if position.expires_at_ns != 0 && expiries.is_empty() {
            expiries.resize(i, 0);
        }
        if !expiries.is_empty() || position.expires_at_ns != 0 {
            expiries.push(position.expires_at_ns);
        }
        entries.push(EntrySlot {
            key_prefix,
            key_start: position.key_start as u32,
            value_len,
            key_len: position.key_len as u16,
        });
        previous_key = key;
    }
    Ok((entries, expiries))
}

/// Whether an entry with `key` (and its `key_prefix`) sorts after the one before it, `previous`
/// with its key `previous_key` (any key does after no entry): both parses' order check.
#[inline(always)]
fn sorts_after(
    previous: Option<&EntrySlot>,
    previous_key: &[u8],
    key_prefix: (u64, u64),
    key: &[u8],
) -> bool {
    previous.is_none_or(|previous| match previous.key_prefix.cmp(&key_prefix) {
        Ordering::Less => true,
        Ordering::Greater => false,
        Ordering::Equal => key_cmp(previous_key, key) == Ordering::Less,
    })
}

/// The entry table of a block whose entries are all plain: one-byte key length and value
/// tag (keys under 128 bytes, values under 127), no expiry. `None` for anything else, and for
/// anything [`Block::decode`]'s full parse would reject; that parse then runs and says why.
///
/// The full parse reads each entry through a bounds-checked cursor and checks the offsets in
/// a pass of their own, about 180 instructions an entry; a point read decodes a whole block
/// (about 34 entries of the lab's 16-byte keys and 100-byte values) for one lookup, and in
/// `strata run` this was a tenth of all instructions. This loop accepts exactly what the full
/// parse accepts for such blocks and builds the same table: each entry is bounded by the next
/// offset (the last by the offsets array), must be at least its two tag bytes long (so the
/// offsets strictly ascend and stay below the array) and exactly as long as its fields (no
/// expiry), and its key must sort after the previous one.
///
/// The table is built in `entries` (emptied first), so that a buffer an evicted block gave
/// back serves again; on `None` what it holds is unspecified.
fn decode_plain(
    bytes: &[u8],
    offsets_start: usize,
    count: usize,
    entries: &mut Vec<EntrySlot>,
) -> Option<()> {
    let offsets = bytes.get(offsets_start..offsets_start.checked_add(4 * count)?)?;
    let mut offsets = offsets
        .chunks_exact(4)
        .map(|word| u32::from_le_bytes([word[0], word[1], word[2], word[3]]) as usize);
    entries.clear();
    entries.reserve(count);
    let Some(mut start) = offsets.next() else {
        return Some(());
    };
    let mut previous_key: &[u8] = &[];
    loop {
        let next = offsets.next();
        let end = next.unwrap_or(offsets_start);
        let entry = bytes.get(start..end)?;
        let [key_len, tag, fields @ ..] = entry else {
            return None;
        };
        let (key_len, tag) = (usize::from(*key_len), usize::from(*tag));
        if key_len == 0 || key_len >= 0x80 || key_len > MAX_KEY_BYTES || tag >= 0x80 {
            return None;
        }
        let value_len = tag.saturating_sub(1);
        if fields.len() != key_len + value_len {
            return None;
        }
        let key = &fields[..key_len];
        let key_prefix = key_prefix_pair(key);
        if !sorts_after(entries.last(), previous_key, key_prefix, key) {
            return None;
        }
        entries.push(EntrySlot {
            key_prefix,
            key_start: (start + 2) as u32,
            value_len: if tag == 0 {
                TOMBSTONE
            } else {
                value_len as u32
            },
            key_len: key_len as u16,
        });
        previous_key = key;
        match next {
            Some(next) => start = next,
            None => return Some(()),
        }
    }
}

/// Where an entry's key and value lie within the block.
struct EntryPosition {
    key_start: usize,
    key_len: usize,
    /// `(start, len)` of the value; `None` for a tombstone.
    value: Option<(usize, usize)>,
    expires_at_ns: u64,
}

/// One entry borrowed from a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub key: &'a [u8],
    /// `None` for a tombstone.
    pub value: Option<&'a [u8]>,
}

impl Block {
    /// Verifies the checksum and the offsets of a block as stored (checksum included), and
    /// that its keys are 1 to `MAX_KEY_BYTES` bytes and strictly ascending.
    pub fn decode(stored: Bytes) -> Result<Block, String> {
        Block::decode_reusing(stored, EntryBuffer::default())
    }

    /// [`Block::decode`], building the entry table in `buffer` (the table of a block the
    /// cache let go, see [`Block::into_entry_buffer`]) instead of a new allocation.
    pub fn decode_reusing(stored: Bytes, buffer: EntryBuffer) -> Result<Block, String> {
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
        let mut entries = buffer.0;
        let (entries, expiries) = match decode_plain(&bytes, offsets_start, count, &mut entries) {
            Some(()) => (entries, Vec::new()),
            None => decode_entries(&bytes, offsets_start, count)?,
        };
        Ok(Block {
            bytes,
            entries,
            expiries,
        })
    }

    /// The block's entry table, emptied, for [`Block::decode_reusing`] to fill again.
    pub fn into_entry_buffer(self) -> EntryBuffer {
        let mut entries = self.entries;
        entries.clear();
        EntryBuffer(entries)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What the cache charges for this block: its bytes plus its entry table (the expiry
    /// table left out, see `ENTRY_CHARGE_BYTES`).
    pub fn size_bytes(&self) -> usize {
        self.bytes.len() + self.entries.len() * ENTRY_CHARGE_BYTES
    }

    /// The entry at `index` (which must be below `len()`).
    #[inline]
    pub fn entry(&self, index: usize) -> EntryRef<'_> {
        let slot = &self.entries[index];
        let key_start = slot.key_start as usize;
        EntryRef {
            key: &self.bytes[key_start..key_start + usize::from(slot.key_len)],
            value: (slot.value_len != TOMBSTONE).then(|| {
                let start = slot.value_start();
                &self.bytes[start..start + slot.value_len as usize]
            }),
        }
    }

    /// The entry at `index` as owned, zero-copy `Bytes`.
    #[inline]
    pub fn entry_bytes(&self, index: usize) -> (Bytes, Option<Bytes>) {
        let slot = &self.entries[index];
        let key_start = slot.key_start as usize;
        (
            self.bytes
                .slice(key_start..key_start + usize::from(slot.key_len)),
            (slot.value_len != TOMBSTONE).then(|| {
                let start = slot.value_start();
                self.bytes.slice(start..start + slot.value_len as usize)
            }),
        )
    }

    /// When entry `index`'s value expires, in engine-clock nanoseconds (0: never).
    #[inline]
    pub fn entry_expiry(&self, index: usize) -> u64 {
        self.expiries.get(index).copied().unwrap_or(0)
    }

    /// Entry `index` as a reader at `now_ns` sees it: an expired value reads as a
    /// tombstone (it hides older versions of its key, like a delete).
    #[inline]
    pub fn entry_at(&self, index: usize, now_ns: u64) -> (Bytes, Option<Bytes>) {
        let (key, value) = self.entry_bytes(index);
        if is_expired(self.entry_expiry(index), now_ns) {
            (key, None)
        } else {
            (key, value)
        }
    }

    /// The index of the first entry whose key is `>= key` (`len()` if none).
    ///
    /// Entries whose prefix is below the key's come before it; among equal prefixes (keys
    /// that share their first sixteen bytes, rare) the full keys decide. The first search
    /// compares integers only: one search whose step could also compare bytes kept that step
    /// a call, and cost about 500 instructions a lookup (docs/benchmarks.md).
    #[inline]
    pub fn seek(&self, key: &[u8]) -> usize {
        let prefix = key_prefix_pair(key);
        let low = self
            .entries
            .partition_point(|slot| slot.key_prefix < prefix);
        match self.entries.get(low) {
            Some(slot) if slot.key_prefix == prefix => {
                // A key of at most sixteen bytes is its prefix cut to its length: an entry
                // with the same prefix and length is the key itself, found with no search
                // among the ties (every point read of a key present, when keys are that
                // short, as the lab's are).
                if key.len() <= 16 && usize::from(slot.key_len) == key.len() {
                    return low;
                }
            }
            _ => return low,
        }
        let ties = &self.entries[low..];
        let ties = &ties[..ties.partition_point(|slot| slot.key_prefix == prefix)];
        low + ties.partition_point(|slot| {
            let start = slot.key_start as usize;
            key_cmp(&self.bytes[start..start + usize::from(slot.key_len)], key) == Ordering::Less
        })
    }

    /// The entry with exactly `key`, if present.
    pub fn get(&self, key: &[u8]) -> Option<EntryRef<'_>> {
        let index = self.seek(key);
        if index < self.entries.len() {
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
    use crate::codec::put_varint;
    use crate::format::append_crc;
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
    fn seek_finds_the_first_key_at_or_after_among_keys_sharing_their_first_sixteen_bytes() {
        // Keys whose first sixteen bytes are equal (the prefix ties broken by the bytes),
        // among keys whose prefixes differ, and a key shorter than sixteen bytes.
        let keys: Vec<Vec<u8>> = ["a", "shared-sixteen-b/1", "shared-sixteen-b/3"]
            .iter()
            .map(|key| key.as_bytes().to_vec())
            .chain((0..5).map(|i| format!("shared-sixteen-by/{i:02}").into_bytes()))
            .chain(["shared-sixteen-bz", "z"].map(|key| key.as_bytes().to_vec()))
            .collect();
        let entries: Vec<(&[u8], Option<&[u8]>)> = keys
            .iter()
            .map(|key| (key.as_slice(), Some(&b"v"[..])))
            .collect();
        let block = Block::decode(Bytes::from(build(&entries))).unwrap();
        let probes = [
            "",
            "a",
            "b",
            "shared-sixteen-b",
            "shared-sixteen-b/2",
            "shared-sixteen-by",
        ]
        .iter()
        .map(|key| key.as_bytes().to_vec())
        .chain((0..6).map(|i| format!("shared-sixteen-by/{i:02}").into_bytes()))
        .chain((0..6).map(|i| format!("shared-sixteen-by/{i:02}x").into_bytes()))
        .chain(keys.iter().cloned())
        .chain(["shared-sixteen-bz0", "zz"].map(|key| key.as_bytes().to_vec()));
        for probe in probes {
            let expected = keys.partition_point(|key| key.as_slice() < probe.as_slice());
            assert_eq!(
                block.seek(&probe),
                expected,
                "{}",
                String::from_utf8_lossy(&probe)
            );
        }
    }

    #[test]
    fn seek_tells_apart_short_keys_whose_zero_padded_prefixes_tie() {
        // Keys of at most sixteen bytes that differ only by trailing zero bytes share their
        // zero-padded prefix: only an entry of the key's own length is the key.
        let keys: [&[u8]; 8] = [
            b"a",
            b"a\0",
            b"a\0\0\0",
            b"a\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            b"a\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            b"k000000000000042",
            b"k000000000000042\0",
            b"k000000000000043",
        ];
        for present in 0..keys.len() {
            // Every subset of the keys around one that is always present.
            for mask in 0u32..1 << keys.len() {
                let held: Vec<&[u8]> = (0..keys.len())
                    .filter(|i| *i == present || mask & (1 << i) != 0)
                    .map(|i| keys[i])
                    .collect();
                let entries: Vec<(&[u8], Option<&[u8]>)> =
                    held.iter().map(|key| (*key, Some(&b"v"[..]))).collect();
                let block = Block::decode(Bytes::from(build(&entries))).unwrap();
                for probe in keys
                    .iter()
                    .chain([&&b"a\0\0"[..], &&b"k00000000000004"[..]])
                {
                    let expected = held.partition_point(|key| *key < *probe);
                    assert_eq!(block.seek(probe), expected, "{probe:?} in {held:?}");
                }
            }
        }
    }

    #[test]
    fn expiries_round_trip_and_leave_other_entries_unchanged() {
        let mut builder = BlockBuilder::new();
        builder.add(b"a", Some(b"1"));
        builder.add_expiring(b"b", Some(b"2"), 500);
        builder.add(b"c", None);
        let mut stored = Vec::new();
        builder.finish_into(&mut stored);
        let block = Block::decode(Bytes::from(stored)).unwrap();
        assert_eq!(
            (
                block.entry_expiry(0),
                block.entry_expiry(1),
                block.entry_expiry(2)
            ),
            (0, 500, 0)
        );
        assert_eq!(block.entry(1).value, Some(&b"2"[..]));
        assert_eq!(block.entry_at(1, 499).1.as_deref(), Some(&b"2"[..]));
        assert_eq!(
            block.entry_at(1, 500).1,
            None,
            "expired from its instant on"
        );
        assert_eq!(block.entry_at(0, u64::MAX).1.as_deref(), Some(&b"1"[..]));
        // Without expiries the bytes are exactly those of a plain block.
        let plain = build(&[(b"a", Some(b"1"))]);
        let mut builder = BlockBuilder::new();
        builder.add_expiring(b"a", Some(b"1"), 0);
        let mut same = Vec::new();
        builder.finish_into(&mut same);
        assert_eq!(plain, same);
    }

    #[test]
    fn a_checksummed_expiry_on_a_tombstone_or_of_zero_is_rejected() {
        for entry in [vec![1u8, 0, b'k', 5], vec![1u8, 2, b'k', b'v', 0]] {
            let mut forged = entry.clone();
            forged.extend_from_slice(&0u32.to_le_bytes());
            forged.extend_from_slice(&1u32.to_le_bytes());
            append_crc(&mut forged, 0);
            assert!(Block::decode(Bytes::from(forged)).is_err(), "{entry:?}");
        }
    }

    /// The payload of an encoded block (checksum dropped) and where its offsets start.
    fn payload(stored: &[u8]) -> (&[u8], usize, usize) {
        let payload = &stored[..stored.len() - 4];
        let count = u32_at(payload, payload.len() - 4).unwrap() as usize;
        (payload, payload.len() - 4 - 4 * count, count)
    }

    /// The short parse into a buffer that holds another block's table, as a reused one does.
    fn short_parse(bytes: &[u8], offsets_start: usize, count: usize) -> Option<Vec<EntrySlot>> {
        let stale = EntrySlot {
            key_prefix: (1, 2),
            key_start: 3,
            value_len: 4,
            key_len: 5,
        };
        let mut entries = vec![stale; 7];
        decode_plain(bytes, offsets_start, count, &mut entries).map(|()| entries)
    }

    #[test]
    fn plain_blocks_take_the_short_parse_and_get_the_full_parses_table() {
        let long_key = [b'k'; 130];
        let long_value = [7u8; 200];
        type Entries<'a> = Vec<(&'a [u8], Option<&'a [u8]>)>;
        let cases: Vec<Entries> = vec![
            vec![],
            vec![
                (b"k0000000000000001", Some(&[1; 100])),
                (b"k0000000000000002", None),
            ],
            vec![
                (b"a", Some(b"")),
                (b"ab", Some(b"x")),
                (b"b", None),
                (b"c", Some(&[3; 126])),
            ],
            // Not plain: a two-byte value tag, then a two-byte key length.
            vec![(b"a", Some(&long_value)), (b"b", None)],
            vec![(b"a", None), (&long_key, Some(b"v"))],
        ];
        for (case, entries) in cases.iter().enumerate() {
            let stored = build(entries);
            let (bytes, offsets_start, count) = payload(&stored);
            let full = decode_entries(bytes, offsets_start, count).unwrap();
            let short = short_parse(bytes, offsets_start, count);
            assert_eq!(short.is_some(), case < 3, "case {case}");
            if let Some(short) = short {
                assert_eq!((short, Vec::new()), full, "case {case}");
            }
        }
        // An entry with an expiry is not plain.
        let mut builder = BlockBuilder::new();
        builder.add_expiring(b"a", Some(b"1"), 500);
        let mut stored = Vec::new();
        builder.finish_into(&mut stored);
        let (bytes, offsets_start, count) = payload(&stored);
        assert!(short_parse(bytes, offsets_start, count).is_none());
        assert_eq!(
            decode_entries(bytes, offsets_start, count).unwrap().1,
            vec![500]
        );
    }

    #[test]
    fn the_short_parse_accepts_nothing_the_full_parse_rejects() {
        // Every single-byte change of a plain block's payload, entries and offsets alike:
        // where the short parse accepts, the full parse accepts with the same table.
        let values = [[5u8; 20], [6u8; 20], [7u8; 20]];
        let entries: Vec<(&[u8], Option<&[u8]>)> = vec![
            (b"k01", Some(&values[0])),
            (b"k02", None),
            (b"k03", Some(&values[1])),
            (b"k10", Some(&values[2])),
        ];
        let stored = build(&entries);
        let (bytes, offsets_start, count) = payload(&stored);
        let mut accepted = 0;
        for at in 0..bytes.len() {
            for value in [
                0u8,
                1,
                2,
                3,
                0x7F,
                0x80,
                0xFF,
                bytes[at] ^ 1,
                bytes[at].wrapping_add(1),
            ] {
                let mut changed = bytes.to_vec();
                changed[at] = value;
                if let Some(short) = short_parse(&changed, offsets_start, count) {
                    accepted += 1;
                    let full = decode_entries(&changed, offsets_start, count);
                    assert_eq!(full, Ok((short, Vec::new())), "byte {at} set to {value}");
                }
            }
        }
        assert!(accepted > 0, "values' bytes change freely");
    }

    #[test]
    fn a_block_decoded_into_another_blocks_buffer_is_the_same_block() {
        let values = [[1u8; 30], [2u8; 30], [3u8; 30]];
        let first = build(&[(b"a1", Some(&values[0])), (b"a2", Some(&values[1]))]);
        let second = build(&[
            (b"b1", Some(&values[2])),
            (b"b2", None),
            (b"b3", Some(&values[0])),
        ]);
        let third = build(&[(b"c1", Some(&values[1]))]);
        let mut expiring = BlockBuilder::new();
        expiring.add_expiring(b"d1", Some(b"v"), 9);
        let mut fourth = Vec::new();
        expiring.finish_into(&mut fourth);
        let mut buffer = EntryBuffer::default();
        for stored in [&first, &second, &third, &fourth, &first] {
            let fresh = Block::decode(Bytes::from(stored.clone())).unwrap();
            let reused = Block::decode_reusing(Bytes::from(stored.clone()), buffer).unwrap();
            assert_eq!(reused.entries, fresh.entries);
            assert_eq!(reused.expiries, fresh.expiries);
            assert_eq!(reused.size_bytes(), fresh.size_bytes());
            buffer = reused.into_entry_buffer();
            assert!(buffer.0.is_empty());
        }
        // A damaged block is refused whatever buffer it is decoded into.
        let mut damaged = second.clone();
        damaged[0] ^= 1;
        assert!(Block::decode_reusing(Bytes::from(damaged), buffer).is_err());
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

    #[test]
    fn a_checksummed_block_with_an_empty_key_is_rejected() {
        // One entry: key length 0, a value "v"; its offset; the count.
        let mut forged = vec![0u8, 2, b'v'];
        forged.extend_from_slice(&0u32.to_le_bytes());
        forged.extend_from_slice(&1u32.to_le_bytes());
        append_crc(&mut forged, 0);
        let error = Block::decode(Bytes::from(forged)).unwrap_err();
        assert!(error.contains("entry 0"), "{error}");
    }

    #[test]
    fn a_key_length_above_four_gib_is_refused_not_truncated() {
        // Key length 2^32 + 1: `as usize` on wasm32 truncated it to 1 and read the key "k".
        let mut forged = Vec::new();
        put_varint(&mut forged, (1u64 << 32) + 1);
        forged.extend_from_slice(&[0, b'k']);
        forged.extend_from_slice(&0u32.to_le_bytes());
        forged.extend_from_slice(&1u32.to_le_bytes());
        append_crc(&mut forged, 0);
        assert!(Block::decode(Bytes::from(forged)).is_err());
    }
}
