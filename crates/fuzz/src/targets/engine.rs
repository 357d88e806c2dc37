//! Targets for the engine's object formats: WAL objects (plain records, and extended ones
//! with an expiry and range deletes), data blocks (with expiries), SST footers, SST meta
//! regions (index, bloom filter, range tombstones and footer), SST range-tombstone blocks,
//! bloom filters and manifests.
//!
//! Re-sealed mutations recompute every CRC32C the decoder checks: the WAL's trailer, a
//! block's trailer, the index's, the bloom filter's, the range tombstones' and the
//! footer's, and the manifest's.

use crate::json::mutate_json;
use crate::mutate::{interesting, mutate_and_reseal, reseal};
use crate::targets::Target;
use bytes::Bytes;
use strata_engine::codec::{put_u32, put_u64, put_varint, u32_at};
use strata_engine::format::block::{Block, BlockBuilder};
use strata_engine::format::bloom::{BloomBuilder, BloomFilter};
use strata_engine::format::manifest::{sst_id, Manifest, RetiredSst, SortedRun, SstInfo};
use strata_engine::format::sst::{
    decode_range_tombstones, ranges_cover, BuiltSst, Footer, SstBuilder, SstMeta, FOOTER_BYTES,
};
use strata_engine::format::wal::{self, WalBuffer, WAL_HEADER_BYTES, WAL_MAGIC};
use strata_engine::format::{append_crc, verify_crc};
use strata_engine::memtable::{Memtable, Prune};
use strata_sim::{SimRng, SimTime};

fn key(i: usize) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

// ---- WAL objects ----

pub const WAL: Target = Target {
    name: "wal",
    about: "a WAL object (replayed into a memtable, which is then flushed to an SST)",
    seeds: wal_seeds,
    mutate_sealed: wal_mutate,
    check: wal_check,
};

fn wal_seeds() -> Vec<Vec<u8>> {
    let mut buffer = WalBuffer::new();
    buffer.append_single(5, b"a", Some(b"1"));
    buffer.append_single(6, b"b", None);
    let batch: Vec<(&[u8], Option<&[u8]>)> = vec![(b"c", Some(b"3")), (b"a", Some(b""))];
    buffer.append_batch(9, batch.into_iter());
    let three = buffer.seal(7, 42).bytes.to_vec();
    let fence = wal::fence_object(3, 11).bytes.to_vec();
    for i in 0..20 {
        buffer.append_single(100 + i as u64, &key(i), Some(&vec![b'v'; i]));
    }
    let twenty = buffer.seal(8, 43).bytes.to_vec();
    let entries: Vec<(&[u8], Option<&[u8]>)> = vec![(b"d", Some(b"4")), (b"e", None)];
    let ranges: Vec<(&[u8], &[u8])> = vec![(b"a", b"c"), (b"x", b"z")];
    buffer.append_record(200, 5_000_000_000, entries.into_iter(), ranges.into_iter());
    let only_range: Vec<(&[u8], &[u8])> = vec![(b"key", b"kez")];
    buffer.append_record(201, 0, std::iter::empty(), only_range.into_iter());
    let extended = buffer.seal(9, 44).bytes.to_vec();
    vec![three, fence, twenty, extended]
}

/// Appends `count` hostile-or-valid entries (`key_len | tag | bytes`) to `body`.
fn hostile_entries(rng: &mut SimRng, body: &mut Vec<u8>, count: usize) {
    for _ in 0..count {
        let key_len = match rng.index(6) {
            0 => 0,
            1 => interesting(rng) % 70_000,
            _ => 1 + rng.index(8) as u64,
        };
        let tag = match rng.index(6) {
            0 => 0,
            1 => interesting(rng),
            _ => 1 + rng.index(8) as u64,
        };
        put_varint(body, key_len);
        put_varint(body, tag);
        let payload = key_len.saturating_add(tag.saturating_sub(1)).min(256) as usize;
        body.extend((0..payload).map(|i| b'a' + (i % 26) as u8));
    }
}

/// Appends `count` hostile-or-valid range deletes (`start_len | end_len | start | end`):
/// empty or over-long bounds, inverted or empty ranges.
fn hostile_ranges(rng: &mut SimRng, body: &mut Vec<u8>, count: usize) {
    for _ in 0..count {
        let bound = |rng: &mut SimRng| -> Vec<u8> {
            match rng.index(8) {
                0 => Vec::new(),
                1 => vec![b'k'; (interesting(rng) % 70_000) as usize],
                _ => key(rng.index(50)),
            }
        };
        let (start, end) = (bound(rng), bound(rng));
        let claimed = |rng: &mut SimRng, len: usize| {
            if rng.bernoulli(0.1) {
                interesting(rng)
            } else {
                len as u64
            }
        };
        put_varint(body, claimed(rng, start.len()));
        put_varint(body, claimed(rng, end.len()));
        body.extend_from_slice(&start);
        body.extend_from_slice(&end);
    }
}

/// A WAL object with hostile records (empty or over-long keys and values, sequence numbers
/// out of order or at the top of the range, no entries), its header consistent or not, sealed
/// with a valid checksum. Or the valid input's payload byte-mutated and re-sealed.
fn wal_mutate(rng: &mut SimRng, valid: &[u8]) -> Vec<u8> {
    if rng.bernoulli(0.5) {
        return mutate_and_reseal(rng, valid);
    }
    let mut body = Vec::new();
    let records = rng.index(4) as u32;
    let mut seq = 1 + rng.index(10) as u64;
    let (mut first, mut last) = (0, 0);
    for record in 0..records {
        seq = match rng.index(8) {
            0 => interesting(rng),
            1 => seq,
            _ => seq.wrapping_add(1),
        };
        if record == 0 {
            first = seq;
        }
        last = seq;
        put_varint(&mut body, seq);
        let entries = rng.index(4);
        let claimed = |rng: &mut SimRng, count: usize| {
            if rng.bernoulli(0.1) {
                interesting(rng)
            } else {
                count as u64
            }
        };
        if rng.bernoulli(0.4) {
            // An extended record: marker, expiry, entries, range deletes.
            put_varint(&mut body, 0);
            put_varint(
                &mut body,
                match rng.index(3) {
                    0 => 0,
                    1 => interesting(rng),
                    _ => 1 + rng.index(1 << 20) as u64,
                },
            );
            put_varint(&mut body, claimed(rng, entries));
            hostile_entries(rng, &mut body, entries);
            let ranges = rng.index(4);
            put_varint(&mut body, claimed(rng, ranges));
            hostile_ranges(rng, &mut body, ranges);
        } else {
            put_varint(&mut body, claimed(rng, entries));
            hostile_entries(rng, &mut body, entries);
        }
    }
    let mut object = Vec::with_capacity(WAL_HEADER_BYTES + body.len() + 4);
    object.extend_from_slice(&WAL_MAGIC);
    object.push(1);
    put_u64(&mut object, rng.next_u64() % 8);
    put_u64(&mut object, rng.next_u64() % 8);
    let consistent = rng.bernoulli(0.8);
    put_u64(
        &mut object,
        if consistent { first } else { interesting(rng) },
    );
    put_u64(
        &mut object,
        if consistent { last } else { interesting(rng) },
    );
    put_u32(
        &mut object,
        if rng.bernoulli(0.9) {
            records
        } else {
            interesting(rng) as u32
        },
    );
    object.extend_from_slice(&body);
    append_crc(&mut object, 0);
    object
}

fn wal_check(input: &[u8]) -> Result<bool, String> {
    let Ok(decoded) = wal::decode(&Bytes::copy_from_slice(input)) else {
        return Ok(false);
    };
    // Replay as recovery does, then flush as the engine does: an accepted object must flush.
    let mut table = Memtable::new(1);
    for record in decoded.records {
        if record
            .range_tombstones
            .iter()
            .any(|(start, end)| start >= end)
        {
            return Err("accepted a range delete that is empty or inverted".to_string());
        }
        table.apply_record(&record, Prune::AboveDurable(record.seq));
        if record.seq == u64::MAX {
            return Err("accepted a sequence number with no successor".to_string());
        }
    }
    let mut builder = SstBuilder::new(256, 10);
    for (key, value, expires_at_ns) in table.flush_entries() {
        builder
            .add_expiring(key, value.map(|v| v.as_ref()), expires_at_ns)
            .map_err(|reason| format!("an accepted WAL object does not flush: {reason}"))?;
    }
    for tombstone in table.range_tombstones() {
        builder
            .add_range_tombstone(&tombstone.start, &tombstone.end)
            .map_err(|reason| format!("an accepted range delete does not flush: {reason}"))?;
    }
    if let Some(sst) = builder.finish() {
        decode_whole_sst(&sst.bytes, sst.meta_offset)
            .map_err(|reason| format!("the flushed SST does not decode: {reason}"))?;
    }
    Ok(true)
}

// ---- Data blocks ----

pub const BLOCK: Target = Target {
    name: "block",
    about: "an SST data block as stored, checksum included",
    seeds: block_seeds,
    mutate_sealed: block_mutate,
    check: block_check,
};

fn block_seeds() -> Vec<Vec<u8>> {
    let build = |entries: &[(Vec<u8>, Option<Vec<u8>>)]| {
        let mut builder = BlockBuilder::new();
        for (key, value) in entries {
            builder.add(key, value.as_deref());
        }
        let mut out = Vec::new();
        builder.finish_into(&mut out);
        out
    };
    let small = vec![
        (b"a".to_vec(), Some(b"1".to_vec())),
        (b"b".to_vec(), None),
        (b"c".to_vec(), Some(Vec::new())),
    ];
    let many: Vec<_> = (0..40).map(|i| (key(i), Some(vec![b'x'; i % 7]))).collect();
    let mut expiring = BlockBuilder::new();
    for i in 0..10 {
        let value = (i % 4 != 1).then(|| vec![b'y'; i]);
        let expires_at_ns = if value.is_some() && i % 2 == 0 {
            1 + i as u64 * 1_000
        } else {
            0
        };
        expiring.add_expiring(&key(i), value.as_deref(), expires_at_ns);
    }
    let mut expiring_block = Vec::new();
    expiring.finish_into(&mut expiring_block);
    vec![build(&small), build(&many), build(&[]), expiring_block]
}

/// The valid block's payload mutated and re-sealed, or its offsets array rewritten with
/// boundary values and re-sealed.
fn block_mutate(rng: &mut SimRng, valid: &[u8]) -> Vec<u8> {
    if valid.len() < 12 || rng.bernoulli(0.5) {
        return mutate_and_reseal(rng, valid);
    }
    let mut block = valid.to_vec();
    let payload_len = block.len() - 4;
    let count = u32_at(&block, payload_len - 4).unwrap_or(0) as usize;
    let offsets_start = payload_len.saturating_sub(4 + 4 * count);
    let at = if count > 0 && rng.bernoulli(0.7) {
        offsets_start + 4 * rng.index(count)
    } else {
        payload_len - 4
    };
    let value = interesting(rng) as u32;
    block[at..at + 4].copy_from_slice(&value.to_le_bytes());
    reseal(&mut block);
    block
}

fn block_check(input: &[u8]) -> Result<bool, String> {
    let Ok(block) = Block::decode(Bytes::copy_from_slice(input)) else {
        return Ok(false);
    };
    for index in 0..block.len() {
        let entry = block.entry(index);
        if entry.key.is_empty() {
            return Err(format!("accepted an empty key at entry {index}"));
        }
        if index > 0 && block.entry(index - 1).key >= entry.key {
            return Err(format!("accepted keys out of order at entry {index}"));
        }
        if block.get(entry.key) != Some(entry) {
            return Err(format!("entry {index} is not found by its own key"));
        }
        if block.entry_expiry(index) != 0 && entry.value.is_none() {
            return Err(format!(
                "accepted an expiry on the tombstone at entry {index}"
            ));
        }
        let _ = block.entry_bytes(index);
    }
    Ok(true)
}

// ---- SSTs: footer, and the whole meta region ----

fn sample_sst(entries: usize, block_bytes: usize) -> BuiltSst {
    let mut builder = SstBuilder::new(block_bytes, 10);
    for i in 0..entries {
        let value = (i % 5 != 2).then(|| format!("value-{i}").into_bytes());
        builder
            .add(&key(i), value.as_deref())
            .expect("ascending non-empty keys");
    }
    builder.finish().expect("at least one entry")
}

/// A version-2 SST: range tombstones and expiring values beside plain entries.
fn sample_sst_with_ranges(entries: usize, block_bytes: usize) -> BuiltSst {
    let mut builder = SstBuilder::new(block_bytes, 10);
    for i in 0..entries {
        let value = (i % 5 != 2).then(|| format!("value-{i}").into_bytes());
        let expires_at_ns = if value.is_some() && i % 3 == 0 {
            1_000 + i as u64
        } else {
            0
        };
        builder
            .add_expiring(&key(i), value.as_deref(), expires_at_ns)
            .expect("ascending non-empty keys");
    }
    for i in (0..entries).step_by(7) {
        builder
            .add_range_tombstone(&key(i), &key(i + 3))
            .expect("start below end");
    }
    builder.finish().expect("at least one entry")
}

/// Decodes an SST as a reader and the compactor do: the meta region from `meta_offset`,
/// then every entry, which must be strictly ascending and rebuild into an SST.
fn decode_whole_sst(sst: &[u8], meta_offset: u64) -> Result<usize, String> {
    let start = usize::try_from(meta_offset).map_err(|e| e.to_string())?;
    let region = sst.get(start..).ok_or("meta offset past the end")?;
    let meta = SstMeta::decode(region, meta_offset, sst.len() as u64)?;
    let sst = Bytes::copy_from_slice(sst);
    let entries = meta.decode_entries(&sst)?;
    let mut builder = SstBuilder::new(4096, 10);
    for entry in &entries {
        if meta.block_for(&entry.key).is_none() {
            return Err("an entry's key is past every block".to_string());
        }
        let _ = meta.bloom.may_contain(&entry.key);
        let _ = meta.range_deleted(&entry.key);
        builder
            .add_expiring(&entry.key, entry.value.as_deref(), entry.expires_at_ns)
            .map_err(|reason| format!("decoded entries do not rebuild into an SST: {reason}"))?;
    }
    for (start, end) in &meta.range_tombstones {
        builder
            .add_range_tombstone(start, end)
            .map_err(|reason| format!("decoded range tombstones do not rebuild: {reason}"))?;
    }
    Ok(entries.len())
}

pub const SST_FOOTER: Target = Target {
    name: "sst-footer",
    about: "an SST footer, spliced after a valid SST's blocks, index and bloom filter",
    seeds: footer_seeds,
    mutate_sealed: footer_mutate,
    check: footer_check,
};

/// The SST every footer input is spliced into, built once.
fn footer_host() -> &'static BuiltSst {
    static HOST: std::sync::OnceLock<BuiltSst> = std::sync::OnceLock::new();
    HOST.get_or_init(|| sample_sst(60, 256))
}

fn footer_seeds() -> Vec<Vec<u8>> {
    let sst = footer_host();
    vec![sst.bytes[sst.bytes.len() - FOOTER_BYTES..].to_vec()]
}

/// A footer field set to a boundary value (or near its current value), footer CRC re-sealed.
fn footer_mutate(rng: &mut SimRng, valid: &[u8]) -> Vec<u8> {
    let mut footer = valid.to_vec();
    if footer.len() != FOOTER_BYTES {
        return mutate_and_reseal(rng, valid);
    }
    // (offset, width) of index_offset, index_len, bloom_offset, bloom_len, entries, version.
    const FIELDS: [(usize, usize); 6] = [(0, 8), (8, 4), (12, 8), (20, 4), (24, 8), (32, 1)];
    for _ in 0..1 + rng.index(2) {
        let (at, width) = FIELDS[rng.index(FIELDS.len())];
        let mut current = [0u8; 8];
        current[..width].copy_from_slice(&footer[at..at + width]);
        let current = u64::from_le_bytes(current);
        let value = match rng.index(3) {
            0 => interesting(rng),
            1 => current.wrapping_add(1 + rng.index(64) as u64),
            _ => current.wrapping_sub(1 + rng.index(64) as u64),
        };
        footer[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
    }
    reseal(&mut footer[..FOOTER_BYTES - 4]);
    footer
}

fn footer_check(input: &[u8]) -> Result<bool, String> {
    let footer_ok = Footer::decode(input).is_ok();
    let host = footer_host();
    let mut sst = host.bytes[..host.bytes.len() - FOOTER_BYTES].to_vec();
    sst.extend_from_slice(input);
    let whole = decode_whole_sst(&sst, host.meta_offset).is_ok();
    if whole && !footer_ok {
        return Err("the SST decoded although its footer does not".to_string());
    }
    Ok(footer_ok)
}

pub const SST_META: Target = Target {
    name: "sst-meta",
    about: "a whole SST (its footer locates the meta region: index, bloom filter, footer)",
    seeds: meta_seeds,
    mutate_sealed: meta_mutate,
    check: meta_check,
};

fn meta_seeds() -> Vec<Vec<u8>> {
    vec![
        sample_sst(3, 4096).bytes.to_vec(),
        sample_sst(80, 256).bytes.to_vec(),
        sample_sst_with_ranges(40, 256).bytes.to_vec(),
    ]
}

/// Where the index, bloom filter, range tombstones (empty in version 1) and footer of a
/// valid SST lie.
struct MetaLayout {
    index: std::ops::Range<usize>,
    bloom: std::ops::Range<usize>,
    ranges: std::ops::Range<usize>,
    footer: std::ops::Range<usize>,
}

fn meta_layout(sst: &[u8]) -> Option<MetaLayout> {
    let footer_start = sst.len().checked_sub(FOOTER_BYTES)?;
    let footer = Footer::decode(&sst[footer_start..]).ok()?;
    let index_start = usize::try_from(footer.index_offset).ok()?;
    let bloom_start = usize::try_from(footer.bloom_offset).ok()?;
    let ranges_start = bloom_start.checked_add(footer.bloom_len as usize)?;
    (index_start <= bloom_start && ranges_start <= footer_start).then_some(MetaLayout {
        index: index_start..bloom_start,
        bloom: bloom_start..ranges_start,
        ranges: ranges_start..footer_start,
        footer: footer_start..sst.len(),
    })
}

/// One of: an index entry's offset, length or key rewritten; the index, bloom filter or a data
/// block byte-mutated; or a footer field changed. Every touched unit is re-sealed.
fn meta_mutate(rng: &mut SimRng, valid: &[u8]) -> Vec<u8> {
    let Some(layout) = meta_layout(valid) else {
        return mutate_and_reseal(rng, valid);
    };
    let mut sst = valid.to_vec();
    match rng.index(6) {
        0 => {
            // An index entry field, in place (the index keeps its length).
            let index = &mut sst[layout.index.clone()];
            let count = u32_at(index, 0).unwrap_or(0) as usize;
            if count > 0 && index.len() > 20 {
                // Entries are offset u64 | len u32 | key; the first entry starts at byte 4.
                let mut at = 4;
                for _ in 0..rng.index(count) {
                    let key_len = index.get(at + 12).copied().unwrap_or(0) as usize;
                    at += 13 + key_len;
                }
                if at + 13 <= index.len() - 4 {
                    if rng.bernoulli(0.5) {
                        let value = interesting(rng);
                        index[at..at + 8].copy_from_slice(&value.to_le_bytes());
                    } else {
                        let value = interesting(rng) as u32;
                        index[at + 8..at + 12].copy_from_slice(&value.to_le_bytes());
                    }
                }
            }
            reseal(index);
        }
        1 => {
            let index = mutate_and_reseal(rng, &sst[layout.index.clone()]);
            sst.splice(layout.index.clone(), index);
        }
        2 => {
            let bloom = mutate_and_reseal(rng, &sst[layout.bloom.clone()]);
            sst.splice(layout.bloom.clone(), bloom);
        }
        3 => {
            // A byte of the first data block (blocks start at 0), re-sealed.
            let first_block_len = verify_crc(&sst[layout.index.clone()])
                .ok()
                .and_then(|index| u32_at(index, 12))
                .unwrap_or(0) as usize;
            if first_block_len >= 8 && first_block_len <= layout.index.start {
                let block = mutate_and_reseal(rng, &sst[..first_block_len]);
                sst.splice(..first_block_len, block);
            }
        }
        4 if !layout.ranges.is_empty() => {
            let ranges = ranges_mutate(rng, &sst[layout.ranges.clone()]);
            sst.splice(layout.ranges.clone(), ranges);
        }
        _ => {
            let footer = footer_mutate(rng, &sst[layout.footer.clone()]);
            sst.splice(layout.footer.clone(), footer);
        }
    }
    sst
}

// ---- SST range-tombstone blocks ----

pub const SST_RANGES: Target = Target {
    name: "sst-ranges",
    about: "an SST's range-tombstone block, checksum included",
    seeds: ranges_seeds,
    mutate_sealed: ranges_mutate,
    check: ranges_check,
};

fn ranges_seeds() -> Vec<Vec<u8>> {
    [
        sample_sst_with_ranges(40, 256),
        sample_sst_with_ranges(3, 4096),
    ]
    .iter()
    .filter_map(|sst| meta_layout(&sst.bytes).map(|layout| sst.bytes[layout.ranges].to_vec()))
    .collect()
}

/// Hostile tombstones (empty, over-long, inverted, overlapping, out of order), a count the
/// block cannot hold, or the valid block byte-mutated; always re-sealed.
fn ranges_mutate(rng: &mut SimRng, valid: &[u8]) -> Vec<u8> {
    if rng.bernoulli(0.5) {
        return mutate_and_reseal(rng, valid);
    }
    let count = rng.index(6);
    let mut block = Vec::new();
    put_u32(
        &mut block,
        if rng.bernoulli(0.1) {
            interesting(rng) as u32
        } else {
            count as u32
        },
    );
    hostile_ranges(rng, &mut block, count);
    append_crc(&mut block, 0);
    block
}

fn ranges_check(input: &[u8]) -> Result<bool, String> {
    let Ok(ranges) = decode_range_tombstones(input) else {
        return Ok(false);
    };
    for (position, (start, end)) in ranges.iter().enumerate() {
        if start.is_empty() || start >= end {
            return Err(format!(
                "accepted tombstone {position} with start not below end"
            ));
        }
        if position > 0 && ranges[position - 1].1 > *start {
            return Err(format!(
                "accepted tombstone {position} overlapping the previous"
            ));
        }
        if !ranges_cover(&ranges, start) {
            return Err(format!("tombstone {position} does not cover its own start"));
        }
        if position + 1 == ranges.len() && ranges_cover(&ranges, end) {
            return Err("the last tombstone covers its own end".to_string());
        }
    }
    Ok(true)
}

fn meta_check(input: &[u8]) -> Result<bool, String> {
    let Some(footer_start) = input.len().checked_sub(FOOTER_BYTES) else {
        return Ok(false);
    };
    let Ok(footer) = Footer::decode(&input[footer_start..]) else {
        return Ok(false);
    };
    Ok(decode_whole_sst(input, footer.index_offset).is_ok())
}

// ---- Bloom filters ----

pub const BLOOM: Target = Target {
    name: "bloom",
    about: "a bloom filter's payload (probe count, then the bit array)",
    seeds: bloom_seeds,
    mutate_sealed: bloom_mutate,
    check: bloom_check,
};

fn bloom_seeds() -> Vec<Vec<u8>> {
    let mut builder = BloomBuilder::new();
    for i in 0..50 {
        builder.add_key(&key(i));
    }
    vec![builder.finish(10), builder.finish(1), Vec::new()]
}

/// The probe count set to a boundary value, or the bit array resized by whole or partial
/// 64-byte blocks (the payload has no checksum of its own: the SST's bloom unit carries it).
fn bloom_mutate(rng: &mut SimRng, valid: &[u8]) -> Vec<u8> {
    let mut bloom = valid.to_vec();
    if bloom.is_empty() {
        bloom.push(7);
    }
    match rng.index(3) {
        0 => bloom[0] = interesting(rng) as u8,
        1 => bloom.resize(1 + 64 * rng.index(4), 0xFF),
        _ => bloom.resize(bloom.len() + 1 + rng.index(63), 0),
    }
    bloom
}

fn bloom_check(input: &[u8]) -> Result<bool, String> {
    let Some(filter) = BloomFilter::decode(input) else {
        return Ok(false);
    };
    for i in 0..8 {
        let _ = filter.may_contain(&key(i));
    }
    let _ = filter.may_contain(b"");
    Ok(true)
}

// ---- Manifests ----

pub const MANIFEST: Target = Target {
    name: "manifest",
    about: "a manifest object (magic, version, JSON body, checksum)",
    seeds: manifest_seeds,
    mutate_sealed: manifest_mutate,
    check: manifest_check,
};

fn manifest_seeds() -> Vec<Vec<u8>> {
    let sst = |id, first: &str, last: &str| SstInfo {
        id,
        size_bytes: 1000,
        meta_offset: 900,
        first_key: Bytes::copy_from_slice(first.as_bytes()),
        last_key: Bytes::copy_from_slice(last.as_bytes()),
        entries: 10,
        max_seq: 7,
    };
    let manifest = Manifest {
        manifest_id: 12,
        writer_epoch: 3,
        wal_replay_from: 40,
        last_flushed_seq: 1234,
        next_sst_counter: 9,
        next_run_id: 3,
        l0: vec![sst(sst_id(3, 8), "a", "m")],
        runs: vec![
            SortedRun {
                id: 1,
                level: 1,
                ssts: vec![sst(sst_id(2, 1), "a", "f"), sst(sst_id(2, 2), "g", "p")],
            },
            SortedRun {
                id: 2,
                level: 2,
                ssts: vec![sst(sst_id(1, 1), "b", "z")],
            },
        ],
        retired: vec![RetiredSst {
            id: sst_id(1, 2),
            retired_at: SimTime::from_nanos(5_000_000_000),
        }],
    };
    vec![
        manifest.encode().to_vec(),
        Manifest::empty().encode().to_vec(),
    ]
}

/// The JSON body mutated (a field at a boundary, an SST dropped or repeated…) and re-encoded
/// with magic, version and a valid checksum; or the payload byte-mutated and re-sealed.
fn manifest_mutate(rng: &mut SimRng, valid: &[u8]) -> Vec<u8> {
    let body = valid.get(5..valid.len().saturating_sub(4)).unwrap_or(&[]);
    let Ok(mut document) = serde_json::from_slice::<serde_json::Value>(body) else {
        return mutate_and_reseal(rng, valid);
    };
    if rng.bernoulli(0.2) {
        return mutate_and_reseal(rng, valid);
    }
    mutate_json(rng, &mut document);
    let mut out = valid[..5].to_vec();
    out.extend_from_slice(document.to_string().as_bytes());
    append_crc(&mut out, 0);
    out
}

fn manifest_check(input: &[u8]) -> Result<bool, String> {
    let Ok(manifest) = Manifest::decode(input) else {
        return Ok(false);
    };
    manifest
        .check()
        .map_err(|reason| format!("decode accepted a manifest that check refuses: {reason}"))?;
    let again = Manifest::decode(&manifest.encode())
        .map_err(|reason| format!("an accepted manifest does not re-encode: {reason}"))?;
    if again != manifest {
        return Err("an accepted manifest changes through encode and decode".to_string());
    }
    for run in &manifest.runs {
        for sst in &run.ssts {
            if run.sst_for(&sst.first_key).map(|found| found.id) != Some(sst.id) {
                return Err(format!(
                    "run {} does not find SST {} by its key",
                    run.id, sst.id
                ));
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn resealed_mutations_get_past_the_checksums() {
        let mut rng = SimRng::seed_from_u64(5);
        let seeds = wal_seeds();
        for _ in 0..200 {
            let input = wal_mutate(&mut rng, &seeds[0]);
            assert!(verify_crc(&input).is_ok());
        }
    }
}
