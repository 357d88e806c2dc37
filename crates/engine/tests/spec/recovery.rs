//! Recovery. Opening loads the latest manifest and replays the WAL objects after its
//! position. A crash (the handle dropped without close, or `crash()`, at any instant) loses at
//! most writes acknowledged in memory but not yet durable, never a durable one.

use crate::{key, pass_get, small_options, value, Harness, HookStore};
use bytes::Bytes;
use std::cell::RefCell;
use std::rc::Rc;
use strata_engine::{
    Db, DbOptions, DbStatus, ErrorKind, ReadOptions, Reader, ReaderOptions, WriteOptions,
};
use strata_objstore::sim::{FaultAction, FaultSpec};
use strata_objstore::{ObjectStore, PutMode, PutResult, SimStoreConfig, StoreError, StoreFuture};
use strata_sim::{Cause, EventKind, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn a_crash_loses_only_writes_that_were_not_yet_durable() {
    let harness = Harness::new(70);
    let options = DbOptions {
        memtable_bytes: 1024 * 1024,
        ..small_options()
    };
    let db = harness.open("db", options.clone());
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..30 {
                    db.put(key(i), value(i, 0), WriteOptions::DURABLE).await?;
                }
                for i in 30..60 {
                    db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    assert!(db.durable_seq() < db.acknowledged_seq());
    db.crash();
    assert_eq!(db.status(), DbStatus::Crashed);
    let refused = harness
        .run({
            let db = db.clone();
            async move { db.put(b"after", b"crash", WriteOptions::NO_AWAIT).await }
        })
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Closed);
    assert_eq!(harness.count_events("writer_crashed"), 1);
    let reopened = harness.open("db", options);
    harness
        .run(async move {
            for i in 0..30 {
                assert_eq!(
                    reopened.get(key(i), ReadOptions::default()).await?,
                    Some(Bytes::from(value(i, 0))),
                    "durable write {i} lost"
                );
            }
            for i in 30..60 {
                assert_eq!(reopened.get(key(i), ReadOptions::default()).await?, None);
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
    let recovered = harness.events.borrow().iter().any(|(_, kind)| {
        matches!(
            kind,
            EventKind::WriterRecovered {
                writer_epoch: 2,
                replayed_wal_objects: 30
            }
        )
    });
    assert!(recovered, "recovery replayed the 30 WAL objects");
}

#[test]
fn replay_starts_at_the_manifest_wal_position() {
    let harness = Harness::new(71);
    let db = harness.open("db", small_options());
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..10 {
                    db.put(key(i), value(i, 0), WriteOptions::DURABLE).await?;
                }
                db.flush_memtables().await?;
                for i in 10..15 {
                    db.put(key(i), value(i, 0), WriteOptions::DURABLE).await?;
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    let replay_from = db.state().wal.replay_from;
    drop(db);
    let before = harness.requests().len();
    let reopened = harness.open("db", small_options());
    let replay_gets: Vec<String> = harness.requests()[before..]
        .iter()
        .filter(|r| r.op == StoreOp::Get && r.cause == Cause::Wal)
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(replay_gets.len(), 5, "only the WAL objects after the flush");
    for name in &replay_gets {
        assert!(name >= &format!("db/wal/{replay_from:020}.wal"), "{name}");
    }
    harness
        .run(async move {
            for i in 0..15 {
                assert!(reopened
                    .get(key(i), ReadOptions::default())
                    .await?
                    .is_some());
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

/// Writers run concurrently on a store with real latencies; the handle is dropped at a
/// random instant (mid-upload, mid-flush, anywhere). Every write acknowledged as durable
/// survives, and no key ever holds a value that was never written.
#[test]
fn crashes_at_random_instants_never_lose_a_durable_write() {
    for seed in 0..8 {
        let harness = Harness::with_store(100 + seed, SimStoreConfig::s3_express());
        let options = DbOptions {
            memtable_bytes: 2048,
            ..small_options()
        };
        let db = harness.open("db", options.clone());
        let durable: Rc<RefCell<Vec<(u64, u64)>>> = Rc::default();
        for client in 0..3u64 {
            let (db, durable, handle) = (db.clone(), durable.clone(), harness.sim.handle());
            harness.sim.handle().spawn(async move {
                for round in 0..1000u64 {
                    let i = client * 1000 + round;
                    let options = if round % 3 == 0 {
                        WriteOptions::DURABLE
                    } else {
                        WriteOptions::NO_AWAIT
                    };
                    if db.put(key(i), value(i, seed), options).await.is_err() {
                        return;
                    }
                    if options.await_durable {
                        durable.borrow_mut().push((i, seed));
                    }
                    handle.sleep(SimDuration::from_millis(2)).await;
                }
            });
        }
        let crash_after = SimDuration::from_millis(150 + (seed * 97) % 400);
        harness.advance(crash_after);
        let acknowledged = db.acknowledged_seq();
        drop(db); // without close: a crash
        let reopened = harness.open("db", options);
        let durable = durable.borrow().clone();
        assert!(!durable.is_empty(), "seed {seed}");
        assert!(
            reopened.acknowledged_seq() <= acknowledged,
            "seed {seed}: recovery invented writes"
        );
        harness
            .run(async move {
                for (i, version) in durable {
                    assert_eq!(
                        reopened.get(key(i), ReadOptions::default()).await?,
                        Some(Bytes::from(value(i, version))),
                        "seed {seed}: durable write {i} lost"
                    );
                }
                Ok::<_, strata_engine::Error>(())
            })
            .unwrap();
    }
}

#[test]
fn a_wal_read_that_times_out_once_during_replay_does_not_fail_the_open() {
    let harness = Harness::new(75);
    let db = harness.open("db", small_options());
    harness.write_keys(&db, 0..10, 0, WriteOptions::DURABLE, false);
    db.crash();
    let wal = harness.keys_under("db/wal/");
    // One read of one WAL object times out: alone it outlasts the store's retry deadline.
    let now = harness.sim.now();
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::Timeout {
                applied_probability: 0.0,
            })
            .with_ops(&[StoreOp::Get])
            .with_key_prefix(&wal[wal.len() / 2])
            .with_window(now, now + SimDuration::from_millis(1)),
        )
        .unwrap();
    let (runtime, port) = (harness.runtime.clone(), harness.port());
    let reopened = harness
        .run(async move { strata_engine::Db::open(runtime, port, "db", small_options()).await })
        .expect("the open reads the object again");
    harness
        .run(async move {
            for i in 0..10 {
                let found = reopened.get(key(i), ReadOptions::default()).await?;
                assert_eq!(found, Some(Bytes::from(value(i, 0))), "key {i}");
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

/// An open that fails part-way through its fence leaves a WAL id unclaimed below its fence
/// object. The next open claims it before replaying past it, so the WAL is a contiguous run
/// again: a replica (which stops at a gap) follows the new writer's writes, and an older
/// writer still running can no longer land writes there that no recovery replays.
#[test]
fn an_open_claims_the_wal_ids_a_failed_open_left_unclaimed() {
    let harness = Harness::new(21);
    let first = harness.open("db", small_options());
    harness.write_keys(&first, 0..5, 0, WriteOptions::DURABLE, false);
    first.crash();
    let wal_key = |id: u64| format!("db/wal/{id:020}.wal");
    let last = harness
        .keys_under("db/wal/")
        .iter()
        .filter_map(|name| {
            name.strip_prefix("db/wal/")?
                .strip_suffix(".wal")?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap();

    // A port that answers the create of the next WAL id as if another writer held it (and
    // keeps nothing there): the takeover's fence jumps past that id, and when the open
    // replays the "taken" object it is not found, so the open fails part-way, leaving a
    // fence object above an id nobody holds.
    let phantom = wal_key(last + 1);
    let port: Rc<dyn ObjectStore> = Rc::new(HookStore {
        inner: harness.port(),
        put: move |inner: &Rc<dyn ObjectStore>,
                   cause: Cause,
                   key: &str,
                   data: Bytes,
                   mode: PutMode|
              -> StoreFuture<PutResult> {
            if key == phantom {
                let key = key.to_string();
                return Box::pin(async move { Err(StoreError::AlreadyExists { key }) });
            }
            inner.put(cause, key, data, mode)
        },
        get: pass_get,
    });
    let runtime = harness.runtime.clone();
    let failed = harness.run(async move { Db::open(runtime, port, "db", small_options()).await });
    assert!(
        failed.is_err(),
        "the open fails replaying the phantom object"
    );
    let listed = harness.keys_under("db/wal/");
    assert!(!listed.contains(&wal_key(last + 1)), "{listed:?}");
    assert!(listed.contains(&wal_key(last + 2)), "{listed:?}");

    let next = harness.open("db", small_options());
    assert!(
        harness.keys_under("db/wal/").contains(&wal_key(last + 1)),
        "the open claimed the id"
    );
    harness.write_keys(&next, 5..10, 1, WriteOptions::DURABLE, false);
    let (runtime, port) = (harness.runtime.clone(), harness.port());
    let reader = harness
        .run(async move { Reader::open(runtime, port, "db", ReaderOptions::default()).await })
        .unwrap();
    harness.run(async move {
        for i in 0..10 {
            let version = if i < 5 { 0 } else { 1 };
            assert_eq!(
                reader.get(key(i)).await.unwrap().as_deref(),
                Some(value(i, version).as_slice()),
                "key {i}"
            );
            assert_eq!(
                next.get(key(i), ReadOptions::default())
                    .await
                    .unwrap()
                    .as_deref(),
                Some(value(i, version).as_slice()),
                "key {i}"
            );
        }
    });
}
