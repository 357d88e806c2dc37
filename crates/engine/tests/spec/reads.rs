//! The read path. Memtable, frozen memtables, L0 newest first, then sorted runs;
//! bloom filters skip SSTs; ranged GETs fetch only needed blocks, with each SST's metadata
//! fetched once; a byte-bounded block cache with hit and miss counts; scans merge every
//! source and honour tombstones.

use crate::{key, small_options, value, Harness};
use bytes::Bytes;
use strata_engine::format::manifest::{sst_id, Manifest, SortedRun, SstInfo};
use strata_engine::format::sst::SstBuilder;
use strata_engine::{DbOptions, ReadOptions, WriteOptions};
use strata_objstore::sim::{FaultAction, FaultSpec};
use strata_objstore::PutMode;
use strata_sim::{Cause, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn b(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

/// Writes one SST holding `entries` straight to the store, as an older writer would have.
fn external_sst(harness: &Harness, id: u64, entries: &[(&str, Option<&str>)]) -> SstInfo {
    let mut builder = SstBuilder::new(256, 10);
    for (k, v) in entries {
        builder.add(k.as_bytes(), v.map(str::as_bytes)).unwrap();
    }
    let built = builder.finish().unwrap();
    let port = harness.port();
    let name = format!("db/sst/{id:020}.sst");
    let bytes = built.bytes.clone();
    harness
        .run(async move {
            port.put(Cause::Other, &name, bytes, PutMode::CreateIfAbsent)
                .await
        })
        .unwrap();
    SstInfo {
        id,
        size_bytes: built.bytes.len() as u64,
        meta_offset: built.meta_offset,
        first_key: built.first_key,
        last_key: built.last_key,
        entries: built.entries,
        max_seq: 10,
    }
}

#[test]
fn reads_see_the_newest_layer_and_scans_merge_all_layers_with_tombstones() {
    let harness = Harness::new(40);
    // An older writer left a sorted run of two SSTs.
    let left = external_sst(
        &harness,
        sst_id(1, 1),
        &[("a", Some("run")), ("b", Some("run")), ("c", Some("run"))],
    );
    let right = external_sst(
        &harness,
        sst_id(1, 2),
        &[("d", Some("run")), ("e", Some("run")), ("f", Some("run"))],
    );
    let manifest = Manifest {
        manifest_id: 1,
        writer_epoch: 1,
        wal_replay_from: 1,
        last_flushed_seq: 10,
        next_sst_counter: 3,
        next_run_id: 2,
        l0: Vec::new(),
        runs: vec![SortedRun {
            id: 1,
            level: 0,
            ssts: vec![left, right],
        }],
        retired: Vec::new(),
    };
    let port = harness.port();
    harness
        .run(async move {
            port.put(
                Cause::Other,
                "db/manifest/00000000000000000001.manifest",
                manifest.encode(),
                PutMode::CreateIfAbsent,
            )
            .await
        })
        .unwrap();

    let options = DbOptions {
        memtable_bytes: 1024 * 1024,
        store_max_attempts: 2,
        ..small_options()
    };
    let db = harness.open("db", options);
    harness
        .run({
            let db = db.clone();
            async move {
                // L0 (older): b and a tombstone for d. L0 (newer): c.
                db.put(b"b", b"l0-old", WriteOptions::NO_AWAIT).await?;
                db.delete(b"d", WriteOptions::NO_AWAIT).await?;
                db.flush_memtables().await?;
                db.put(b"c", b"l0-new", WriteOptions::NO_AWAIT).await?;
                db.put(b"e", b"l0-new", WriteOptions::NO_AWAIT).await?;
                db.flush_memtables().await?;
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    assert_eq!(db.state().l0.len(), 2);
    // SST uploads now fail, so the next frozen memtable stays in memory.
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::Outage)
                .with_ops(&[StoreOp::Put])
                .with_key_prefix("db/sst/"),
        )
        .unwrap();
    harness
        .run({
            let db = db.clone();
            async move {
                db.put(b"e", b"immutable", WriteOptions::NO_AWAIT).await?;
                assert!(db.flush_memtables().await.is_err(), "SST upload is down");
                db.put(b"a", b"active", WriteOptions::NO_AWAIT).await?;
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    let state = db.state();
    assert_eq!(state.immutable_memtables.len(), 1);
    assert_eq!(state.runs.len(), 1);
    harness
        .run(async move {
            let get = |k: &'static str| {
                let db = db.clone();
                async move { db.get(k, ReadOptions::default()).await }
            };
            assert_eq!(get("a").await?, Some(b("active")), "memtable beats the run");
            assert_eq!(
                get("e").await?,
                Some(b("immutable")),
                "frozen memtable beats L0"
            );
            assert_eq!(get("c").await?, Some(b("l0-new")), "newer L0 beats the run");
            assert_eq!(get("b").await?, Some(b("l0-old")), "L0 beats the run");
            assert_eq!(
                get("d").await?,
                None,
                "an L0 tombstone hides the run's value"
            );
            assert_eq!(get("f").await?, Some(b("run")), "the run's second SST");
            assert_eq!(get("zz").await?, None);
            let scanned = db
                .scan(b"a".as_slice()..=b"f".as_slice())?
                .collect(100)
                .await?;
            let expected = vec![
                (b("a"), b("active")),
                (b("b"), b("l0-old")),
                (b("c"), b("l0-new")),
                (b("e"), b("immutable")),
                (b("f"), b("run")),
            ];
            assert_eq!(scanned, expected);
            let partial = db
                .scan(b"b".as_slice()..b"e".as_slice())?
                .collect(100)
                .await?;
            assert_eq!(partial, expected[1..3].to_vec());
            let exclusive_start = db
                .scan::<&[u8]>((
                    std::ops::Bound::Excluded(b"c".as_slice()),
                    std::ops::Bound::Unbounded,
                ))?
                .collect(100)
                .await?;
            assert_eq!(exclusive_start, expected[3..].to_vec());
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

#[test]
fn point_reads_fetch_metadata_once_and_only_the_blocks_they_need() {
    let harness = Harness::new(41);
    let options = DbOptions {
        memtable_bytes: 1024 * 1024,
        block_bytes: 256,
        ..small_options()
    };
    let db = harness.open("db", options.clone());
    harness
        .run(async move {
            for i in 0..400 {
                db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
            }
            db.flush_memtables().await?;
            db.close().await
        })
        .unwrap();
    let sst_bytes = harness
        .store
        .inspect(&harness.keys_under("db/sst/")[0])
        .unwrap()
        .1
        .len() as u64;
    // A fresh handle: nothing cached.
    let db = harness.open("db", options);
    let read_gets = || harness.count_requests(StoreOp::Get, Cause::Read);
    let get = |i: u64| {
        let db = db.clone();
        harness
            .run(async move { db.get(key(i), ReadOptions::default()).await })
            .unwrap()
    };
    assert_eq!(get(10), Some(Bytes::from(value(10, 0))));
    assert_eq!(
        read_gets(),
        2,
        "one GET for index+bloom+footer, one for the block"
    );
    for request in harness.requests().iter().filter(|r| r.cause == Cause::Read) {
        assert!(
            request.bytes < sst_bytes / 4,
            "ranged GET of {} bytes",
            request.bytes
        );
    }
    assert_eq!(get(11), Some(Bytes::from(value(11, 0))));
    assert_eq!(read_gets(), 2, "same block: served by the cache");
    assert_eq!(get(390), Some(Bytes::from(value(390, 0))));
    assert_eq!(
        read_gets(),
        3,
        "another block: one more ranged GET, no metadata GET"
    );
    let cache = db.state().cache;
    assert_eq!((cache.hits, cache.misses), (1, 2));
    assert_eq!(db.state().counters.sst_meta_fetches, 1);
}

#[test]
fn bloom_filters_skip_ssts_that_cannot_hold_the_key() {
    let harness = Harness::new(42);
    let options = DbOptions {
        memtable_bytes: 1024 * 1024,
        ..small_options()
    };
    let db = harness.open("db", options);
    harness
        .run({
            let db = db.clone();
            async move {
                // Two SSTs with overlapping key ranges: even keys, then odd keys.
                for i in 0..100 {
                    db.put(key(i * 2), value(i, 0), WriteOptions::NO_AWAIT)
                        .await?;
                }
                db.flush_memtables().await?;
                for i in 0..100 {
                    db.put(key(i * 2 + 1), value(i, 1), WriteOptions::NO_AWAIT)
                        .await?;
                }
                db.flush_memtables().await?;
                for i in 0..100 {
                    assert_eq!(
                        db.get(key(i * 2), ReadOptions::default()).await?,
                        Some(Bytes::from(value(i, 0)))
                    );
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    let counters = db.state().counters;
    // Every even key first meets the newer, odd-key SST, whose filter rules it out.
    assert!(counters.bloom_skips >= 95, "{counters:?}");
    assert!(
        counters.block_fetches <= 20,
        "only blocks of the even SST are fetched: {counters:?}"
    );
}

#[test]
fn the_block_cache_stays_within_its_byte_bound() {
    let harness = Harness::new(43);
    let options = DbOptions {
        memtable_bytes: 1024 * 1024,
        block_bytes: 256,
        block_cache_bytes: 2048,
        ..small_options()
    };
    let db = harness.open("db", options);
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..400 {
                    db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
                }
                db.flush_memtables().await?;
                for round in 0..2 {
                    for i in 0..400 {
                        let got = db.get(key(i), ReadOptions::default()).await?;
                        assert_eq!(got, Some(Bytes::from(value(i, 0))), "round {round}");
                    }
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    let cache = db.state().cache;
    assert!(cache.used_bytes <= 2048, "{cache:?}");
    assert!(
        cache.evictions > 0 && cache.hits > 0 && cache.misses > 0,
        "{cache:?}"
    );
    assert_eq!(cache.hits + cache.misses, 800);
}
