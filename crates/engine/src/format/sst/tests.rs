//! Tests of the SST format: round trips, block lookup, bloom filters, range-tombstone blocks
//! and expiries, and decoders fed truncated, flipped and re-sealed bytes.

use super::*;
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
fn block_for_finds_the_block_among_last_keys_sharing_their_first_sixteen_bytes() {
    // Keys of one tenant share their first sixteen bytes, so several blocks' last keys have
    // equal prefixes and the full keys decide; "a-…" and "z-…" keys around them do not.
    let keys: Vec<Vec<u8>> = (0..40)
        .map(|i| format!("a-{i:03}").into_bytes())
        .chain((0..200).map(|i| format!("tenant-with-long-prefix/{i:04}").into_bytes()))
        .chain((0..40).map(|i| format!("z-{i:03}").into_bytes()))
        .collect();
    let mut builder = SstBuilder::new(128, 10);
    for key in &keys {
        builder.add(key, Some(b"value")).unwrap();
    }
    let meta = meta_of(&builder.finish().unwrap());
    assert!(meta.index.len() > 20, "expected many 128-byte blocks");
    let probes = keys
        .iter()
        .cloned()
        .chain(keys.iter().map(|key| [key.as_slice(), b"~"].concat()))
        .chain(
            [
                &b""[..],
                b"tenant-with-long-prefix",
                b"tenant-with-long-prefix/",
            ]
            .map(<[u8]>::to_vec),
        )
        .chain([b"zz".to_vec()]);
    for probe in probes {
        let first = meta
            .index
            .partition_point(|entry| entry.last_key.as_ref() < probe.as_slice());
        let expected = (first < meta.index.len()).then_some(first);
        assert_eq!(
            meta.block_for(&probe),
            expected,
            "{}",
            String::from_utf8_lossy(&probe)
        );
    }
}

#[test]
fn range_tombstones_and_expiries_make_a_version_2_table_that_reads_back() {
    let mut builder = SstBuilder::new(256, 10);
    builder.add_expiring(b"b", Some(b"1"), 9).unwrap();
    builder.add(b"c", None).unwrap();
    builder.add_range_tombstone(b"m", b"p").unwrap();
    builder.add_range_tombstone(b"a", b"d").unwrap();
    builder.add_range_tombstone(b"n", b"q").unwrap();
    assert!(
        builder.add_expiring(b"d", None, 5).is_err(),
        "a tombstone cannot expire"
    );
    assert!(builder.add_range_tombstone(b"z", b"a").is_err());
    let sst = builder.finish().unwrap();
    assert_eq!(
        (&sst.first_key[..], &sst.last_key[..]),
        (&b"a"[..], &b"q"[..])
    );
    assert_eq!(sst.range_tombstones, 2, "overlapping tombstones merge");
    let footer = Footer::decode(&sst.bytes[sst.bytes.len() - FOOTER_BYTES..]).unwrap();
    assert_eq!(footer.version, SST_FORMAT_VERSION_RANGES);
    let meta = meta_of(&sst);
    assert_eq!(
        meta.range_tombstones,
        vec![
            (Bytes::from("a"), Bytes::from("d")),
            (Bytes::from("m"), Bytes::from("q"))
        ]
    );
    assert!(meta.range_deleted(b"a") && meta.range_deleted(b"pz"));
    assert!(!meta.range_deleted(b"d") && !meta.range_deleted(b"q"));
    let entries = meta.decode_entries(&sst.bytes).unwrap();
    assert_eq!(entries[0].expires_at_ns, 9);
    // Damage to the tombstone block is caught by its checksum.
    let region = &sst.bytes[sst.meta_offset as usize..];
    for byte in 0..region.len() {
        let mut damaged = region.to_vec();
        damaged[byte] ^= 0x02;
        assert!(
            SstMeta::decode(&damaged, sst.meta_offset, sst.bytes.len() as u64).is_err(),
            "byte {byte}"
        );
    }
    // A table of tombstones alone is written too.
    let mut only = SstBuilder::new(256, 10);
    only.add_range_tombstone(b"k", b"l").unwrap();
    let only = only.finish().unwrap();
    assert_eq!((only.entries, only.range_tombstones), (0, 1));
    assert!(meta_of(&only)
        .decode_entries(&only.bytes)
        .unwrap()
        .is_empty());
}

#[test]
fn a_table_without_tombstones_or_expiries_is_version_1_byte_for_byte() {
    let sst = build(50, 256);
    let footer = Footer::decode(&sst.bytes[sst.bytes.len() - FOOTER_BYTES..]).unwrap();
    assert_eq!(footer.version, SST_FORMAT_VERSION);
    assert!(meta_of(&sst).range_tombstones.is_empty());
    // A version-1 footer with bytes between the bloom filter and the footer is refused.
    let mut v2 = SstBuilder::new(256, 10);
    v2.add(b"a", Some(b"1")).unwrap();
    v2.add_range_tombstone(b"b", b"c").unwrap();
    let v2 = v2.finish().unwrap();
    let mut as_v1 = v2.bytes.to_vec();
    let footer_start = as_v1.len() - FOOTER_BYTES;
    as_v1[footer_start + 32] = SST_FORMAT_VERSION;
    let crc = crate::format::crc::crc32c(&as_v1[footer_start..footer_start + 36]);
    as_v1[footer_start + 36..footer_start + 40].copy_from_slice(&crc.to_le_bytes());
    let error = SstMeta::decode(
        &as_v1[v2.meta_offset as usize..],
        v2.meta_offset,
        as_v1.len() as u64,
    )
    .unwrap_err();
    assert!(error.contains("footer offsets"), "{error}");
}

#[test]
fn checksum_valid_range_tombstone_blocks_that_break_the_rules_are_corrupt() {
    let block = |count: u32, body: &[u8]| {
        let mut out = Vec::new();
        put_u32(&mut out, count);
        out.extend_from_slice(body);
        append_crc(&mut out, 0);
        out
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("start is not below", block(1, &[1, 1, b'b', b'a'])),
        (
            "out of order or overlapping",
            block(2, &[1, 1, b'a', b'c', 1, 1, b'b', b'd']),
        ),
        ("outside 1 to", block(1, &[0, 1, b'a', b'b'])),
        ("count larger", block(u32::MAX, &[1, 1, b'a', b'b'])),
        ("trailing", block(1, &[1, 1, b'a', b'b', 0])),
        ("end", block(1, &[1, 4, b'a', b'b'])),
    ];
    for (expected, stored) in cases {
        let error = decode_range_tombstones(&stored).unwrap_err();
        assert!(error.contains(expected), "{expected}: {error}");
    }
    assert_eq!(
        decode_range_tombstones(&block(2, &[1, 1, b'a', b'b', 1, 1, b'b', b'c']))
            .unwrap()
            .len(),
        2,
        "touching ranges are fine"
    );
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

/// The meta region of `sst` with `edit` applied to its decoded index and footer, every
/// checksum recomputed: damage a correct writer never makes, past every CRC.
fn resealed(sst: &BuiltSst, edit: impl FnOnce(&mut Vec<IndexEntry>, &mut Footer)) -> Vec<u8> {
    let region = &sst.bytes[sst.meta_offset as usize..];
    let mut footer = Footer::decode(&region[region.len() - FOOTER_BYTES..]).unwrap();
    let index_len = footer.index_len as usize;
    let mut index = decode_index(verify_crc(&region[..index_len]).unwrap()).unwrap();
    let bloom = region[index_len..region.len() - FOOTER_BYTES].to_vec();
    edit(&mut index, &mut footer);
    let mut out = Vec::new();
    put_u32(&mut out, index.len() as u32);
    for entry in &index {
        put_u64(&mut out, entry.offset);
        put_u32(&mut out, entry.len);
        put_varint(&mut out, entry.last_key.len() as u64);
        out.extend_from_slice(&entry.last_key);
    }
    append_crc(&mut out, 0);
    assert_eq!(out.len(), index_len, "edits keep the index's length");
    out.extend_from_slice(&bloom);
    let footer_start = out.len();
    put_u64(&mut out, footer.index_offset);
    put_u32(&mut out, footer.index_len);
    put_u64(&mut out, footer.bloom_offset);
    put_u32(&mut out, footer.bloom_len);
    put_u64(&mut out, footer.entries);
    out.push(footer.version);
    out.extend_from_slice(&[0, 0, 0]);
    append_crc(&mut out, footer_start);
    out.extend_from_slice(&SST_MAGIC);
    out
}

fn decode_resealed(sst: &BuiltSst, region: &[u8]) -> Result<SstMeta, String> {
    SstMeta::decode(region, sst.meta_offset, sst.bytes.len() as u64)
}

#[test]
fn resealing_an_unchanged_meta_region_round_trips() {
    let sst = build(300, 512);
    let region = resealed(&sst, |_, _| {});
    assert_eq!(&region[..], &sst.bytes[sst.meta_offset as usize..]);
    let meta = decode_resealed(&sst, &region).unwrap();
    assert_eq!(meta.decode_entries(&sst.bytes).unwrap().len(), 300);
}

#[test]
fn every_index_entry_is_bounds_checked_not_only_the_last() {
    let sst = build(300, 512);
    let region = resealed(&sst, |index, _| index[0].len = u32::MAX);
    let error = decode_resealed(&sst, &region).unwrap_err();
    assert!(error.contains("index entry 0"), "{error}");
    let region = resealed(&sst, |index, _| index[1].offset += 1);
    let error = decode_resealed(&sst, &region).unwrap_err();
    assert!(error.contains("index entry 1"), "{error}");
    let region = resealed(&sst, |index, _| {
        let (first, second) = (index[0].last_key.clone(), index[1].last_key.clone());
        index[0].last_key = second;
        index[1].last_key = first;
    });
    let error = decode_resealed(&sst, &region).unwrap_err();
    assert!(error.contains("out of order"), "{error}");
}

#[test]
fn a_footer_entry_count_the_blocks_cannot_hold_is_corrupt() {
    let sst = build(300, 512);
    let region = resealed(&sst, |_, footer| footer.entries = u64::MAX);
    let error = decode_resealed(&sst, &region).unwrap_err();
    assert!(error.contains("entries"), "{error}");
    // A count the blocks could hold but do not is caught when they are decoded.
    let region = resealed(&sst, |_, footer| footer.entries = 301);
    let meta = decode_resealed(&sst, &region).unwrap();
    assert!(meta.decode_entries(&sst.bytes).is_err());
}

/// `coalesce_ranges` as it was written with `slice::sort`: the reference for the merge sort.
fn coalesce_with_slice_sort(mut ranges: Vec<(Bytes, Bytes)>) -> Vec<(Bytes, Bytes)> {
    ranges.sort();
    let mut out: Vec<(Bytes, Bytes)> = Vec::new();
    for (start, end) in ranges {
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

#[test]
fn ranges_sort_in_the_order_of_a_stable_sort_and_coalesce_as_before() {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |bound: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    };
    for round in 0..400 {
        let n = next(if round % 10 == 0 { 300 } else { 40 }) as usize;
        let ranges: Vec<(Bytes, Bytes)> = (0..n)
            .map(|_| {
                let len = 1 + next(3) as usize;
                let start: Vec<u8> = (0..len).map(|_| b'a' + next(4) as u8).collect();
                let mut end = start.clone();
                end.push(b'a' + next(4) as u8);
                if next(3) == 0 {
                    end[0] += 1 + next(3) as u8;
                }
                (Bytes::from(start), Bytes::from(end))
            })
            .collect();
        let mut stable: Vec<usize> = (0..n).collect();
        stable.sort_by(|&a, &b| ranges[a].cmp(&ranges[b]));
        assert_eq!(sorted_order(&ranges), stable, "round {round}");
        assert_eq!(
            coalesce_ranges(ranges.clone()),
            coalesce_with_slice_sort(ranges),
            "round {round}"
        );
    }
    assert!(sorted_order(&[]).is_empty());
}
