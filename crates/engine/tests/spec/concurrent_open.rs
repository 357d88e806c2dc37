//! Two writers opening at once: the one that loses the race is told it was fenced, never
//! that the database is corrupt.
//!
//! The first writer bumps the epoch, then its WAL listing is slow; meanwhile the second
//! writer bumps the epoch again and lands its fence object. The first writer's listing then
//! shows a WAL object of a newer epoch: a takeover, not damage.

use crate::{key, value, Harness};
use bytes::Bytes;
use std::rc::Rc;
use strata_engine::format::wal::{fence_object, WalBuffer};
use strata_engine::paths::Paths;
use strata_engine::{Db, DbOptions, DbStatus, ErrorKind, ReadOptions, WriteOptions};
use strata_objstore::sim::{FaultAction, FaultSpec};
use strata_objstore::{PutMode, SimStoreConfig};
use strata_sim::{Cause, SimDuration, SimTime, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn a_writer_whose_open_is_overtaken_by_a_newer_writer_reports_fenced_not_corrupt() {
    let harness = Harness::with_store(41, SimStoreConfig::s3_express());
    // Only the first writer's WAL listing falls in this window, and it becomes very slow.
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::Slow { multiplier: 200.0 })
                .with_ops(&[StoreOp::List])
                .with_key_prefix("db/wal/")
                .with_window(SimTime::ZERO, SimTime::from_millis(100)),
        )
        .unwrap();
    let (runtime, port) = (harness.runtime.clone(), harness.port());
    let first = harness.sim.handle().spawn({
        let (runtime, port) = (runtime.clone(), port.clone());
        async move {
            Db::open(runtime, port, "db", crate::small_options())
                .await
                .map(Rc::new)
        }
    });
    let handle = harness.sim.handle();
    let second = harness.run(async move {
        handle.sleep(SimDuration::from_millis(150)).await;
        Db::open(runtime, port, "db", crate::small_options()).await
    });
    let second = second.expect("the second writer opens");
    let first = harness.run(first).expect("the first open finishes");
    match first {
        Ok(db) => panic!(
            "the first writer opened at epoch {} under the second's {}",
            db.writer_epoch(),
            second.writer_epoch()
        ),
        Err(error) => assert_eq!(error.kind(), ErrorKind::Fenced, "{error}"),
    }
}

/// Two writers that take over at the same instant read the same manifest and write the same
/// next manifest, byte for byte. Only one of them may get that epoch: a writer that finds
/// the manifest already there re-reads and bumps again, even though the bytes are its own.
#[test]
fn two_writers_taking_over_from_the_same_manifest_never_share_an_epoch() {
    for seed in 0..8 {
        let harness = Harness::with_store(seed, SimStoreConfig::s3_express());
        let (runtime, port) = (harness.runtime.clone(), harness.port());
        let opens: Vec<_> = (0..2)
            .map(|_| {
                let (runtime, port) = (runtime.clone(), port.clone());
                harness.sim.handle().spawn(async move {
                    Db::open(runtime, port, "db", crate::small_options())
                        .await
                        .map(Rc::new)
                })
            })
            .collect();
        let epochs: Vec<u64> = opens
            .into_iter()
            .filter_map(|open| harness.run(open).expect("the open finishes").ok())
            .map(|db| db.writer_epoch())
            .collect();
        if let [first, second] = epochs[..] {
            assert_ne!(
                first, second,
                "seed {seed}: both writers opened at epoch {first}"
            );
        }
    }
}

/// A writer whose open stalls between listing the WAL and reading it can find an object
/// gone: a newer writer took over meanwhile, flushed those writes and collected the object.
/// That is a takeover, so the stalled open reports `Fenced`, not a store failure.
#[test]
fn a_writer_whose_wal_replay_finds_an_object_a_newer_writer_collected_reports_fenced() {
    let harness = Harness::with_store(43, SimStoreConfig::s3_express());
    let options = DbOptions {
        gc_min_age: SimDuration::from_secs(1),
        ..crate::small_options()
    };
    let old = harness.open("db", options.clone());
    harness.write_keys(&old, 0..20, 0, WriteOptions::DURABLE, false);
    drop(old);
    // Only the stalled writer's first WAL reads fall in this window, and they take seconds.
    let start = harness.sim.now();
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::Slow { multiplier: 1000.0 })
                .with_ops(&[StoreOp::Get])
                .with_key_prefix("db/wal/")
                .with_window(start, start + SimDuration::from_millis(100)),
        )
        .unwrap();
    let stalled = harness.sim.handle().spawn({
        let (runtime, port, options) = (harness.runtime.clone(), harness.port(), options.clone());
        async move { Db::open(runtime, port, "db", options).await.map(Rc::new) }
    });
    harness.advance(SimDuration::from_millis(200));
    let newer = harness.open("db", options);
    harness
        .run({
            let newer = newer.clone();
            async move { newer.flush_memtables().await }
        })
        .expect("the newer writer flushes");
    harness.advance(SimDuration::from_millis(1200));
    let report = harness.run_gc(&newer);
    assert!(
        report.wal_deleted > 0,
        "the replayed WAL objects are collected"
    );
    match harness.run(stalled).expect("the stalled open finishes") {
        Ok(db) => panic!(
            "the stalled writer opened at epoch {} under the newer one's {}",
            db.writer_epoch(),
            newer.writer_epoch()
        ),
        Err(error) => assert_eq!(error.kind(), ErrorKind::Fenced, "{error}"),
    }
}

/// An open that a newer writer overtook can still be walking ahead for a free WAL id (its
/// PUTs slowed down) after the newer writer is writing, and leave its empty fence objects
/// at the ids the current writer is about to use. Those hold no write and fence nobody: the
/// current writer steps past them, keeps writing durably, and a later open replays all of
/// it. (Taken as fencing, they stopped the current writer in favour of no writer at all.)
#[test]
fn a_current_writer_steps_past_fences_an_overtaken_open_left_ahead_of_it() {
    let harness = Harness::new(44);
    let overtaken = harness.open("db", crate::small_options());
    let current = harness.open("db", crate::small_options());
    assert_eq!(current.writer_epoch(), overtaken.writer_epoch() + 1);
    drop(overtaken);
    harness.write_keys(&current, 0..10, 0, WriteOptions::DURABLE, false);
    let next = current.state().wal.next_wal_id;
    for id in next..next + 3 {
        plant_wal_object(
            &harness,
            id,
            fence_object(current.writer_epoch() - 1, id).bytes,
        );
    }
    harness.write_keys(&current, 10..20, 0, WriteOptions::DURABLE, false);
    assert_eq!(current.status(), DbStatus::Open);
    assert_eq!(harness.count_events("fenced"), 0);
    assert!(current.state().wal.next_wal_id > next + 3);
    drop(current);
    let reopened = harness.open("db", crate::small_options());
    harness
        .run(async move {
            for i in 0..20 {
                let found = reopened.get(key(i), ReadOptions::default()).await?;
                assert_eq!(found, Some(Bytes::from(value(i, 0))), "key {i}");
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

/// The step past another writer's object is for an older epoch's empty fence only: an
/// older object that holds writes, or any object of a newer epoch, still fences.
#[test]
fn a_writer_finding_writes_or_a_newer_epoch_at_its_next_wal_id_is_fenced() {
    for (epoch_delta, with_writes) in [(-1i64, true), (1, false)] {
        let harness = Harness::new(45);
        let db = harness.open("db", crate::small_options());
        harness.write_keys(&db, 0..5, 0, WriteOptions::DURABLE, false);
        let next = db.state().wal.next_wal_id;
        let epoch = db.writer_epoch().checked_add_signed(epoch_delta).unwrap();
        let mut buffer = WalBuffer::new();
        if with_writes {
            buffer.append_single(1_000, b"other", Some(b"writer"));
        }
        plant_wal_object(&harness, next, buffer.seal(epoch, next).bytes);
        let error = harness
            .run({
                let db = db.clone();
                async move { db.put(b"k", b"v", WriteOptions::DURABLE).await }
            })
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Fenced, "{error}");
        assert_eq!(db.status(), DbStatus::Fenced);
    }
}

/// Creates WAL object `id` of database "db" with `bytes`, as another writer would.
fn plant_wal_object(harness: &Harness, id: u64, bytes: Bytes) {
    let (port, key) = (harness.port(), Paths::new("db").unwrap().wal(id));
    harness
        .run(async move {
            port.put(Cause::Wal, &key, bytes, PutMode::CreateIfAbsent)
                .await
        })
        .expect("the object lands");
}
