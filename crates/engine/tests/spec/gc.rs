//! Garbage collection deletes obsolete WAL objects, SSTs and old manifests after a
//! minimum age, and never anything the current manifest, an open snapshot or an in-progress
//! flush refers to.

use crate::{key, small_options, value, Harness};
use bytes::Bytes;
use strata_engine::format::manifest::Manifest;
use strata_engine::{DbOptions, ReadOptions, Reader, ReaderOptions, WriteOptions};
use strata_objstore::sim::{FaultAction, FaultSpec, LatencyDist};
use strata_objstore::{PutMode, SimStoreConfig};
use strata_sim::{Cause, RequestOutcome, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn gc_options() -> DbOptions {
    DbOptions {
        gc_min_age: SimDuration::from_secs(10),
        memtable_bytes: 1024 * 1024,
        ..small_options()
    }
}

fn latest_manifest(harness: &Harness) -> Manifest {
    let name = harness.keys_under("db/manifest/").pop().unwrap();
    Manifest::decode(&harness.store.inspect(&name).unwrap().1).unwrap()
}

#[test]
fn obsolete_wal_objects_and_manifests_go_only_after_the_minimum_age() {
    let harness = Harness::new(80);
    let db = harness.open("db", gc_options());
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..10 {
                    db.put(key(i), value(i, 0), WriteOptions::DURABLE).await?;
                }
                db.flush_memtables().await?;
                db.put(b"after", b"flush", WriteOptions::DURABLE).await
            }
        })
        .unwrap();
    let replay_from = latest_manifest(&harness).wal_replay_from;
    let wal_before = harness.keys_under("db/wal/").len();
    let young = harness.run_gc(&db);
    assert_eq!(
        young.wal_deleted + young.ssts_deleted + young.manifests_deleted,
        0
    );
    assert!(young.kept_too_young > 0);

    harness.advance(SimDuration::from_secs(11));
    let report = harness.run_gc(&db);
    assert_eq!(
        report.wal_deleted as usize,
        wal_before - 1,
        "all but the live one"
    );
    assert_eq!(report.manifests_deleted, 1, "the open's manifest");
    assert_eq!(report.ssts_deleted, 0, "the SST is in the manifest");
    let wal_left = harness.keys_under("db/wal/");
    assert_eq!(wal_left, vec![format!("db/wal/{replay_from:020}.wal")]);
    assert_eq!(harness.keys_under("db/sst/").len(), 1);
    assert_eq!(
        harness.count_events("gc_deleted") as u64,
        report.wal_deleted + 1
    );
    // Nothing needed was lost: a fresh handle recovers every write.
    drop(db);
    let reopened = harness.open("db", gc_options());
    harness
        .run(async move {
            for i in 0..10 {
                assert!(reopened
                    .get(key(i), ReadOptions::default())
                    .await?
                    .is_some());
            }
            assert!(reopened
                .get(b"after", ReadOptions::default())
                .await?
                .is_some());
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

#[test]
fn an_sst_still_being_committed_is_never_collected() {
    // SST uploads are quick, but the manifest that commits them takes 20 s.
    let mut config = SimStoreConfig::instant();
    config.latency.put = LatencyDist::new(100.0, 100.0);
    let harness = Harness::with_store(81, config);
    let db = harness.open("db", gc_options());
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::Slow { multiplier: 200.0 })
                .with_ops(&[StoreOp::Put])
                .with_key_prefix("db/manifest/"),
        )
        .unwrap();
    let flush = harness.sim.handle().spawn({
        let db = db.clone();
        async move {
            db.put(b"k", b"v", WriteOptions::NO_AWAIT).await?;
            db.flush_memtables().await
        }
    });
    harness.advance(SimDuration::from_secs(15));
    assert_eq!(
        harness.keys_under("db/sst/").len(),
        1,
        "uploaded, not committed"
    );
    assert!(latest_manifest(&harness).l0.is_empty());
    harness.store.clear_faults();
    let report = harness.run_gc(&db);
    assert_eq!(
        report.ssts_deleted, 0,
        "the flusher's SST is protected: {report:?}"
    );
    harness.run(flush).unwrap().unwrap();
    assert_eq!(latest_manifest(&harness).l0.len(), 1);
    assert_eq!(harness.keys_under("db/sst/").len(), 1);
}

#[test]
fn an_orphan_sst_of_a_crashed_flush_is_collected_after_the_minimum_age() {
    let harness = Harness::new(82);
    let db = harness.open("db", gc_options());
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::Outage)
                .with_ops(&[StoreOp::Put])
                .with_key_prefix("db/manifest/"),
        )
        .unwrap();
    let failed = harness.run({
        let db = db.clone();
        async move {
            db.put(b"k", b"v", WriteOptions::NO_AWAIT).await?;
            db.flush_memtables().await
        }
    });
    assert!(failed.is_err());
    db.crash();
    harness.store.clear_faults();
    let orphan = harness.keys_under("db/sst/");
    assert_eq!(orphan.len(), 1);
    let next = harness.open("db", gc_options());
    assert_eq!(harness.run_gc(&next).ssts_deleted, 0, "too young");
    harness.advance(SimDuration::from_secs(11));
    assert_eq!(harness.run_gc(&next).ssts_deleted, 1);
    assert!(harness.keys_under("db/sst/").is_empty());
    let value = harness
        .run(async move { next.get(b"k", ReadOptions::default()).await })
        .unwrap();
    assert_eq!(
        value,
        Some(Bytes::from("v")),
        "the write survived through the WAL"
    );
}

/// Writes `old` and `new` into two SSTs, then calls `hold` (which opens whatever read should
/// keep the older SST), then has another process of this epoch (a compactor, say) drop the
/// older SST from the manifest, and has the writer re-read that manifest with its next
/// flush, so its own version no longer lists the SST. Returns what `hold` returned and the
/// dropped SST's id; the minimum age has passed by then.
fn drop_the_older_sst_while<T>(
    harness: &Harness,
    db: &std::rc::Rc<strata_engine::Db>,
    hold: impl FnOnce(&strata_engine::Db) -> T,
) -> (T, u64) {
    harness
        .run({
            let db = db.clone();
            async move {
                db.put(b"old", b"1", WriteOptions::NO_AWAIT).await?;
                db.flush_memtables().await?;
                db.put(b"new", b"2", WriteOptions::NO_AWAIT).await?;
                db.flush_memtables().await
            }
        })
        .unwrap();
    let held = hold(db);
    let mut manifest = latest_manifest(harness);
    let dropped = manifest.l0.pop().unwrap();
    manifest.manifest_id += 1;
    let name = format!("db/manifest/{:020}.manifest", manifest.manifest_id);
    let port = harness.port();
    harness
        .run(async move {
            port.put(
                Cause::Other,
                &name,
                manifest.encode(),
                PutMode::CreateIfAbsent,
            )
            .await
        })
        .unwrap();
    harness
        .run({
            let db = db.clone();
            async move {
                db.put(b"third", b"3", WriteOptions::NO_AWAIT).await?;
                db.flush_memtables().await
            }
        })
        .unwrap();
    assert!(db.state().l0.iter().all(|sst| sst.id != dropped.id));
    harness.advance(SimDuration::from_secs(11));
    (held, dropped.id)
}

fn sst_exists(harness: &Harness, id: u64) -> bool {
    harness
        .keys_under("db/sst/")
        .iter()
        .any(|name| name.contains(&format!("{id:020}")))
}

#[test]
fn an_sst_an_open_snapshot_reads_is_kept_until_the_snapshot_is_dropped() {
    let harness = Harness::new(83);
    let db = harness.open("db", gc_options());
    let (snapshot, dropped) = drop_the_older_sst_while(&harness, &db, |db| db.snapshot().unwrap());
    let kept = harness.run_gc(&db);
    assert_eq!(kept.ssts_deleted, 0, "the snapshot still reads it");
    let read = harness.run(async move {
        let value = snapshot.get(b"old").await;
        drop(snapshot);
        value
    });
    assert_eq!(read.unwrap(), Some(Bytes::from("1")));
    let after = harness.run_gc(&db);
    assert_eq!(after.ssts_deleted, 1, "released with the snapshot");
    assert!(!sst_exists(&harness, dropped));
}

/// A scan holds the SSTs it reads until it is dropped, also after the snapshot or the
/// `Db::scan` call that made it has gone: the collector once saw only snapshots and reads
/// of the current version, and deleted an SST under a long scan (a scan paused with its
/// process while a compaction retired the SST).
#[test]
fn an_sst_an_open_scan_reads_is_kept_until_the_scan_is_dropped() {
    for from_snapshot in [false, true] {
        let harness = Harness::new(85);
        let db = harness.open("db", gc_options());
        let (scan, dropped) = drop_the_older_sst_while(&harness, &db, |db| {
            if from_snapshot {
                // The snapshot goes at once; its scan lives on.
                db.snapshot().unwrap().scan::<&[u8]>(..)
            } else {
                db.scan::<&[u8]>(..).unwrap()
            }
        });
        let kept = harness.run_gc(&db);
        assert_eq!(
            kept.ssts_deleted, 0,
            "the scan still reads it (from a snapshot: {from_snapshot})"
        );
        assert!(sst_exists(&harness, dropped));
        let pairs = harness.run(scan.collect(usize::MAX)).unwrap();
        let keys: Vec<&[u8]> = pairs.iter().map(|(key, _)| key.as_ref()).collect();
        assert_eq!(
            keys,
            [b"new".as_slice(), b"old"],
            "from a snapshot: {from_snapshot}"
        );
        let after = harness.run_gc(&db);
        assert_eq!(after.ssts_deleted, 1, "released with the scan");
        assert!(!sst_exists(&harness, dropped));
    }
}

#[test]
fn the_background_collector_runs_on_its_interval() {
    let harness = Harness::new(84);
    let options = DbOptions {
        gc_interval: SimDuration::from_secs(5),
        ..gc_options()
    };
    let db = harness.open("db", options);
    harness.write_keys(&db, 0..5, 0, WriteOptions::DURABLE, true);
    harness.advance(SimDuration::from_secs(30));
    assert!(harness.count_events("gc_deleted") >= 5);
    assert_eq!(harness.keys_under("db/manifest/").len(), 1);
}

#[test]
fn a_replaced_writers_slow_gc_pass_never_deletes_the_new_writers_ssts() {
    // S3 Express, a 1 s minimum age, and one SST listing that takes about 8 s.
    let harness = Harness::with_store(85, SimStoreConfig::s3_express());
    let options = DbOptions {
        gc_min_age: SimDuration::from_secs(1),
        ..gc_options()
    };
    let old = harness.open("db", options.clone());
    harness
        .run({
            let old = old.clone();
            async move {
                old.put(b"old", b"1", WriteOptions::DURABLE).await?;
                old.flush_memtables().await
            }
        })
        .unwrap();
    harness.advance(SimDuration::from_secs(2));
    let slow_listing = harness.slow_down(StoreOp::List, "db/sst/");
    let pass = harness.sim.handle().spawn({
        let old = old.clone();
        async move { old.run_gc().await }
    });
    // The old writer's pass has read the manifest and is inside its slow SST listing.
    harness.advance(SimDuration::from_millis(200));
    harness.store.remove_fault(slow_listing).unwrap();

    // A new writer takes over and commits SSTs of its own meanwhile.
    let new = harness.open("db", options.clone());
    harness
        .run({
            let new = new.clone();
            async move {
                for i in 0..20 {
                    new.put(key(i), value(i, 1), WriteOptions::DURABLE).await?;
                    if i % 5 == 4 {
                        new.flush_memtables().await?;
                    }
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    assert!(harness.keys_under("db/sst/").len() >= 5);
    // The old pass finishes: fenced, or done without touching anything it may not.
    let _ = harness.run(pass).unwrap();

    // Every acknowledged-durable write of the new writer reads back, from a fresh process.
    new.crash();
    let fresh = harness.open("db", options);
    harness
        .run(async move {
            for i in 0..20 {
                let found = fresh.get(key(i), ReadOptions::default()).await?;
                assert_eq!(found, Some(Bytes::from(value(i, 1))), "key {i}");
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

#[test]
fn an_sst_compaction_removed_stays_readable_for_the_minimum_age_after_it_left_the_manifest() {
    let harness = Harness::new(86);
    let options = DbOptions {
        memtable_bytes: 4 * 1024,
        ..gc_options()
    };
    let db = harness.open("db", options);
    harness.write_keys(&db, 0..200, 0, WriteOptions::NO_AWAIT, true);
    let written = harness.keys_under("db/sst/");
    assert!(written.len() >= 3, "{written:?}");
    // The SSTs are written long ago by the time compaction drops them.
    harness.advance(SimDuration::from_secs(60));

    // A replica in another process, polling rarely, holds the manifest that lists them.
    let (runtime, port) = (harness.runtime.clone(), harness.port());
    let reader = harness
        .run(async move {
            Reader::open(
                runtime,
                port,
                "db",
                ReaderOptions {
                    poll_interval: SimDuration::from_secs(3600),
                    block_cache_bytes: 0,
                },
            )
            .await
        })
        .unwrap();
    let scan = reader.scan::<&[u8]>(..).unwrap();

    harness.compact_all(&db);
    assert!(latest_manifest(&harness).l0.is_empty(), "compacted");
    let retired = latest_manifest(&harness).retired;
    assert_eq!(retired.len(), written.len(), "every input is retired");

    // Within the minimum age of the removal, GC keeps them, and the replica reads them.
    harness.advance(SimDuration::from_secs(5));
    let report = harness.run_gc(&db);
    assert_eq!(report.ssts_deleted, 0, "{report:?}");
    let pairs = harness
        .run(async move { scan.collect(usize::MAX).await })
        .unwrap();
    assert_eq!(pairs.len(), 200);
    let not_found = harness
        .requests()
        .iter()
        .filter(|request| {
            request.cause == Cause::Read && request.outcome == RequestOutcome::NotFound
        })
        .count();
    assert_eq!(not_found, 0, "the replica never missed an SST");

    // Once the minimum age has passed since the removal, they go, and the retired list empties
    // at the next manifest change.
    harness.advance(SimDuration::from_secs(6));
    let report = harness.run_gc(&db);
    assert_eq!(report.ssts_deleted as usize, written.len(), "{report:?}");
    harness
        .run({
            let db = db.clone();
            async move {
                db.put(b"later", b"1", WriteOptions::NO_AWAIT).await?;
                db.flush_memtables().await
            }
        })
        .unwrap();
    assert!(latest_manifest(&harness).retired.is_empty());
    drop(reader);
}
