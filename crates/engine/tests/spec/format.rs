//! The SST format as the engine uses it: configurable blocks and bloom filters,
//! and a checksum on every block, so corruption in the store surfaces as `Corrupt`.

use crate::{key, small_options, value, Harness};
use strata_engine::format::sst::{Footer, SstMeta, FOOTER_BYTES, SST_FORMAT_VERSION};
use strata_engine::{DbOptions, ErrorKind, ReadOptions, WriteOptions};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn write_and_flush(
    harness: &Harness,
    options: DbOptions,
    n: u64,
) -> std::rc::Rc<strata_engine::Db> {
    let db = harness.open("db", options);
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..n {
                    db.put(key(i * 2), value(i, 0), WriteOptions::NO_AWAIT)
                        .await?;
                }
                db.flush_memtables().await
            }
        })
        .unwrap();
    db
}

fn only_sst(harness: &Harness) -> (String, bytes::Bytes) {
    let keys = harness.keys_under("db/sst/");
    assert_eq!(keys.len(), 1);
    let (_, bytes) = harness.store.inspect(&keys[0]).unwrap();
    (keys[0].clone(), bytes)
}

#[test]
fn block_size_and_version_byte_are_as_configured() {
    let options = DbOptions {
        memtable_bytes: 1024 * 1024,
        block_bytes: 512,
        ..small_options()
    };
    let harness = Harness::new(30);
    write_and_flush(&harness, options, 400);
    let (_, sst) = only_sst(&harness);
    let footer = Footer::decode(&sst[sst.len() - FOOTER_BYTES..]).unwrap();
    assert_eq!(footer.version, SST_FORMAT_VERSION);
    assert_eq!(footer.entries, 400);
    let meta = SstMeta::decode(
        &sst[footer.index_offset as usize..],
        footer.index_offset,
        sst.len() as u64,
    )
    .unwrap();
    let blocks = meta.index.len();
    assert!(
        blocks >= 20,
        "400 entries of ~30 bytes in 512-byte blocks: {blocks}"
    );
    for entry in &meta.index {
        assert!(entry.len <= 512 + 64, "block of {} bytes", entry.len);
    }
}

#[test]
fn bloom_bits_per_key_is_configurable_and_zero_disables_the_filter() {
    let skips = |bits: u32| {
        let harness = Harness::new(31);
        let options = DbOptions {
            memtable_bytes: 1024 * 1024,
            bloom_bits_per_key: bits,
            ..small_options()
        };
        let db = write_and_flush(&harness, options, 200);
        harness
            .run({
                let db = db.clone();
                async move {
                    // Odd keys were never written, but fall inside the SST's key range.
                    for i in 0..200 {
                        assert_eq!(db.get(key(i * 2 + 1), ReadOptions::default()).await?, None);
                    }
                    Ok::<_, strata_engine::Error>(())
                }
            })
            .unwrap();
        db.state().counters.bloom_skips
    };
    assert!(
        skips(10) > 190,
        "a 10-bit filter rules out nearly every absent key"
    );
    assert_eq!(skips(0), 0, "no filter, no skips");
}

#[test]
fn a_flipped_bit_in_a_stored_block_is_reported_as_corrupt() {
    let options = DbOptions {
        memtable_bytes: 1024 * 1024,
        ..small_options()
    };
    let harness = Harness::new(32);
    let db = write_and_flush(&harness, options.clone(), 100);
    let (name, _) = only_sst(&harness);
    // Bit 100 lies in the first data block.
    harness.store.flip_bit(Some(&name), Some(100)).unwrap();
    drop(db);
    // A fresh handle has nothing cached, so it must read the damaged block.
    let db = harness.open("db", options);
    let error = harness
        .run(async move { db.get(key(0), ReadOptions::default()).await })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Corrupt, "{error}");
    assert!(error.to_string().contains("checksum"), "{error}");
}

#[test]
fn a_flipped_bit_in_the_index_is_reported_as_corrupt() {
    let options = DbOptions {
        memtable_bytes: 1024 * 1024,
        ..small_options()
    };
    let harness = Harness::new(33);
    let db = write_and_flush(&harness, options.clone(), 100);
    let (name, sst) = only_sst(&harness);
    let footer = Footer::decode(&sst[sst.len() - FOOTER_BYTES..]).unwrap();
    harness
        .store
        .flip_bit(Some(&name), Some(footer.index_offset * 8 + 40))
        .unwrap();
    drop(db);
    let db = harness.open("db", options);
    let error = harness
        .run(async move { db.get(key(0), ReadOptions::default()).await })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Corrupt, "{error}");
}
