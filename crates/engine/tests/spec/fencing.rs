//! Fencing. Opening bumps the writer epoch; an older writer (zombie) that later
//! writes a WAL object or the manifest fails with `Fenced` and never damages the new state.

use crate::{key, pass_get, small_options, value, Harness, HookStore};
use bytes::Bytes;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use strata_engine::{Db, DbOptions, DbStatus, ErrorKind, ReadOptions, WriteOptions};
use strata_objstore::{ObjectStore, PutMode, PutResult, SimStoreConfig, StoreFuture};
use strata_sim::{Cause, EventKind, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn the_old_writer_is_fenced_on_its_next_wal_upload_and_loses_nothing_durable() {
    let harness = Harness::new(60);
    let old = harness.open("db", small_options());
    harness
        .run({
            let old = old.clone();
            async move {
                for i in 0..10 {
                    old.put(key(i), value(i, 0), WriteOptions::DURABLE).await?;
                }
                // Acknowledged in memory only.
                old.put(b"not-durable", b"x", WriteOptions::NO_AWAIT).await
            }
        })
        .unwrap();
    let new = harness.open("db", small_options());
    assert_eq!(new.writer_epoch(), old.writer_epoch() + 1);
    let error = harness
        .run({
            let old = old.clone();
            async move { old.put(b"zombie", b"z", WriteOptions::DURABLE).await }
        })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Fenced, "{error}");
    assert_eq!(old.status(), DbStatus::Fenced);
    assert!(harness.count_events("fenced") >= 1);
    // The zombie can no longer write at all.
    let again = harness
        .run({
            let old = old.clone();
            async move { old.put(b"again", b"z", WriteOptions::NO_AWAIT).await }
        })
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Fenced);
    // Closing a fenced handle reports why it could not flush, and releases it anyway.
    let closed = harness
        .run({
            let old = old.clone();
            async move { old.close().await }
        })
        .unwrap_err();
    assert_eq!(closed.kind(), ErrorKind::Fenced);
    assert_eq!(old.status(), DbStatus::Closed);
    harness
        .run({
            let new = new.clone();
            async move {
                for i in 0..10 {
                    assert_eq!(
                        new.get(key(i), ReadOptions::default()).await?,
                        Some(Bytes::from(value(i, 0)))
                    );
                }
                assert_eq!(new.get(b"zombie", ReadOptions::default()).await?, None);
                assert_eq!(new.get(b"not-durable", ReadOptions::default()).await?, None);
                new.put(b"new", b"n", WriteOptions::DURABLE).await
            }
        })
        .unwrap();
}

#[test]
fn the_old_writer_is_fenced_on_its_next_manifest_update() {
    let harness = Harness::new(61);
    let old = harness.open("db", small_options());
    harness
        .run({
            let old = old.clone();
            async move {
                for i in 0..10 {
                    old.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
                }
                // Everything durable, so the zombie's flush goes straight to the manifest.
                old.flush().await
            }
        })
        .unwrap();
    let new = harness.open("db", small_options());
    let manifest_before = new.state().manifest_id;
    let error = harness
        .run({
            let old = old.clone();
            async move { old.flush_memtables().await }
        })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Fenced, "{error}");
    assert_eq!(old.status(), DbStatus::Fenced);
    // The new writer's manifest is untouched, and it still serves everything.
    let latest = harness.keys_under("db/manifest/").pop().unwrap();
    assert_eq!(
        latest,
        format!("db/manifest/{manifest_before:020}.manifest")
    );
    harness
        .run(async move {
            for i in 0..10 {
                assert!(new.get(key(i), ReadOptions::default()).await?.is_some());
            }
            new.flush_memtables().await
        })
        .unwrap();
}

type KeyValue = (Vec<u8>, Vec<u8>);

/// Both writers run concurrently on a store with real latencies; the new one opens in the
/// middle. Every write either one acknowledged as durable must survive a later reopen.
#[test]
fn two_concurrent_writers_lose_no_durable_write() {
    for seed in 0..6 {
        let harness = Harness::with_store(seed, SimStoreConfig::s3_express());
        let options = DbOptions {
            memtable_bytes: 2048,
            ..small_options()
        };
        let old = harness.open("db", options.clone());
        let acked: Rc<RefCell<Vec<KeyValue>>> = Rc::default();
        let writer = |db: Rc<strata_engine::Db>, prefix: &'static str| {
            let acked = acked.clone();
            let handle = harness.sim.handle();
            async move {
                for i in 0..200u64 {
                    let k = format!("{prefix}{i:04}").into_bytes();
                    let v = value(i, seed);
                    match db.put(&k, &v, WriteOptions::DURABLE).await {
                        Ok(()) => acked.borrow_mut().push((k, v)),
                        Err(error) if error.kind() == ErrorKind::Fenced => return true,
                        Err(error) => panic!("unexpected error {error}"),
                    }
                    handle.sleep(SimDuration::from_millis(3)).await;
                }
                false
            }
        };
        let old_task = harness.sim.handle().spawn(writer(old.clone(), "old:"));
        harness.advance(SimDuration::from_millis(100 + seed * 37));
        let new = harness.open("db", options.clone());
        let new_task = harness.sim.handle().spawn(writer(new.clone(), "new:"));
        let (old_fenced, new_fenced) =
            harness.run(async move { (old_task.await.unwrap(), new_task.await.unwrap()) });
        assert!(old_fenced, "seed {seed}: the old writer was fenced");
        assert!(!new_fenced, "seed {seed}: the new writer kept writing");
        assert!(harness
            .events
            .borrow()
            .iter()
            .any(|(_, kind)| matches!(kind, EventKind::Fenced { writer_epoch: 1 })));
        new.crash();
        let check = harness.open("db", options);
        let acked = acked.borrow().clone();
        assert!(acked.len() > 200, "seed {seed}: both wrote");
        harness
            .run(async move {
                for (k, v) in acked {
                    let got = check.get(&k, ReadOptions::default()).await?;
                    assert_eq!(
                        got,
                        Some(Bytes::from(v)),
                        "seed {seed}: durable write {} lost",
                        String::from_utf8_lossy(&k)
                    );
                }
                Ok::<_, strata_engine::Error>(())
            })
            .unwrap();
    }
}

/// Regression: on S3 Standard an older writer that keeps uploading a WAL object every flush
/// interval used to keep the opening writer's fence from landing (each attempt read the
/// taken object before trying the next id, slower than the older writer's uploads). The
/// takeover must finish while the older writer is still writing, and fence it.
#[test]
fn a_takeover_wins_the_wal_id_race_against_a_busy_old_writer_on_s3_standard() {
    for seed in 0..3 {
        let harness = Harness::with_store(seed, SimStoreConfig::s3_standard());
        let options = DbOptions {
            // No memtable flush, so only the WAL fence can stop the old writer.
            memtable_bytes: 16 * 1024 * 1024,
            max_wal_bytes: 16 * 1024 * 1024,
            ..small_options()
        };
        let old = harness.open("db", options.clone());
        let handle = harness.sim.handle();
        let old_task = harness.sim.handle().spawn({
            let old = old.clone();
            async move {
                // About 1,000 writes a second for 3 s, none awaiting durability.
                for i in 0..3000u64 {
                    match old
                        .put(key(i), value(i, seed), WriteOptions::NO_AWAIT)
                        .await
                    {
                        Ok(()) => {}
                        Err(error) if error.kind() == ErrorKind::Fenced => return Some(i),
                        Err(error) => panic!("seed {seed}: unexpected error {error}"),
                    }
                    handle.sleep(SimDuration::from_millis(1)).await;
                }
                None
            }
        });
        harness.advance(SimDuration::from_millis(500));
        let new = harness.open("db", options.clone());
        assert_eq!(new.writer_epoch(), 2);
        let fenced_at = harness.run(async move { old_task.await.unwrap() });
        assert!(
            fenced_at.is_some(),
            "seed {seed}: the old writer wrote to the end unfenced, so the takeover trailed it"
        );
        assert_eq!(old.status(), DbStatus::Fenced);
        let wal_conflicts = harness
            .requests()
            .iter()
            .filter(|r| {
                r.cause == strata_sim::Cause::Wal
                    && r.outcome == strata_sim::RequestOutcome::AlreadyExists
            })
            .count();
        assert!(
            wal_conflicts <= 20,
            "seed {seed}: {wal_conflicts} WAL id conflicts before the fence landed"
        );
    }
}

/// A port that holds every PUT of one kind of object (keys containing `kind`, such as
/// `/wal/`) while `held` is set, as a stopped process would: the request is not sent until
/// the hold ends.
fn held_put_store(
    harness: &Harness,
    kind: &'static str,
    held: &Rc<Cell<bool>>,
) -> Rc<dyn ObjectStore> {
    let (runtime, held) = (harness.runtime.clone(), held.clone());
    Rc::new(HookStore {
        inner: harness.port(),
        put: move |inner: &Rc<dyn ObjectStore>,
                   cause: Cause,
                   key: &str,
                   data: Bytes,
                   mode: PutMode|
              -> StoreFuture<PutResult> {
            let (inner, runtime, held) = (inner.clone(), runtime.clone(), held.clone());
            let key = key.to_string();
            Box::pin(async move {
                while held.get() && key.contains(kind) {
                    runtime.sleep(SimDuration::from_millis(10)).await;
                }
                inner.put(cause, &key, data, mode).await
            })
        },
        get: pass_get,
    })
}

/// Opens a writer on `db` through a port that holds its PUTs of `kind` (see
/// `held_put_store`).
fn open_with_held_puts(harness: &Harness, kind: &'static str, held: &Rc<Cell<bool>>) -> Rc<Db> {
    let port = held_put_store(harness, kind, held);
    let runtime = harness.runtime.clone();
    Rc::new(
        harness
            .run(async move { Db::open(runtime, port, "db", small_options()).await })
            .expect("open succeeds"),
    )
}

/// A newer writer opens (taking `pending_key`, the id a zombie's held PUT is for), writes
/// and flushes past it, and once `gc_min_age` has passed its GC frees that id.
fn take_over_and_collect(harness: &Harness, options: &DbOptions, pending_key: &str) -> Rc<Db> {
    let new = harness.open("db", options.clone());
    let kind = &pending_key[..pending_key.rfind('/').unwrap() + 1];
    assert!(
        harness
            .keys_under(kind)
            .iter()
            .any(|key| key == pending_key),
        "the newer writer took {pending_key}: {:?}",
        harness.keys_under(kind)
    );
    harness.write_keys(&new, 10..30, 1, WriteOptions::DURABLE, true);
    harness.advance(options.gc_min_age + SimDuration::from_secs(1));
    harness.run_gc(&new);
    assert!(
        !harness
            .keys_under(kind)
            .iter()
            .any(|key| key == pending_key),
        "GC freed {pending_key}, the id the newer writer took"
    );
    new
}

/// The newer writer holds none of the zombie's writes, and the durable ones before it.
fn assert_holds_no_zombie_write(harness: &Harness, new: Rc<Db>) {
    harness
        .run(async move {
            assert_eq!(new.get(b"zombie", ReadOptions::default()).await?, None);
            for i in 0..10 {
                assert!(
                    new.get(key(i), ReadOptions::default()).await?.is_some(),
                    "key {i}"
                );
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

/// The old writer's WAL upload is stuck while a newer writer opens (taking the pending id
/// for its fence object), flushes past it and garbage-collects it. When the upload finally
/// lands, create-if-absent succeeds in the freed id, below the newer writer's replay point:
/// acknowledging it would report durable a write no reader can ever see. The epoch lease
/// has run out by then, so the old writer re-reads the manifest and fails with `Fenced`.
#[test]
fn a_zombie_wal_upload_landing_in_an_id_gc_freed_is_fenced_not_acknowledged() {
    let harness = Harness::new(64);
    let options = small_options();
    let held = Rc::new(Cell::new(false));
    let old = open_with_held_puts(&harness, "/wal/", &held);
    harness.write_keys(&old, 0..10, 0, WriteOptions::DURABLE, false);
    held.set(true);
    harness
        .run({
            let old = old.clone();
            async move { old.put(b"zombie", b"z", WriteOptions::NO_AWAIT).await }
        })
        .unwrap();
    let zombie_seq = old.state().acknowledged_seq;
    harness.advance(SimDuration::from_secs(1));
    assert!(old.state().durable_seq < zombie_seq, "the upload is held");
    let pending_wal_id = old
        .state()
        .wal
        .pending_wal_id
        .expect("the zombie's upload is pending");

    let pending_key = format!("db/wal/{pending_wal_id:020}.wal");
    let new = take_over_and_collect(&harness, &options, &pending_key);
    assert!(new.state().wal.replay_from > pending_wal_id);

    held.set(false);
    let error = harness
        .run({
            let old = old.clone();
            async move { old.flush().await }
        })
        .expect_err("a write no reader can see is not acknowledged durable");
    assert_eq!(error.kind(), ErrorKind::Fenced, "{error}");
    assert!(old.state().durable_seq < zombie_seq);
    assert_eq!(old.status(), DbStatus::Fenced);
    assert_holds_no_zombie_write(&harness, new);
}

/// The manifest's twin of the WAL case above. The old writer's flush is stuck in its
/// manifest PUT (a hung request, a paused process) while a newer writer opens (taking that
/// manifest id for its epoch bump), commits past it and garbage-collects it. When the PUT
/// finally lands, create-if-absent succeeds in the freed id. Taken as proof of its epoch,
/// the old writer went on acknowledging durable writes in GC-freed WAL ids that no reader
/// sees. The epoch lease has run out by then, so it re-reads the manifest and fails with
/// `Fenced`.
#[test]
fn a_zombie_manifest_commit_landing_in_an_id_gc_freed_is_fenced_not_taken_as_proof() {
    let harness = Harness::new(65);
    let options = small_options();
    let held = Rc::new(Cell::new(false));
    let old = open_with_held_puts(&harness, "/manifest/", &held);
    harness.write_keys(&old, 0..10, 0, WriteOptions::DURABLE, false);
    let committed = old.state().manifest_id;
    held.set(true);
    let flush = harness.sim.handle().spawn({
        let old = old.clone();
        async move { old.flush_memtables().await }
    });
    harness.advance(SimDuration::from_secs(1));
    let pending_key = format!("db/manifest/{:020}.manifest", committed + 1);
    assert!(!harness.keys_under("db/manifest/").contains(&pending_key));

    let new = take_over_and_collect(&harness, &options, &pending_key);

    held.set(false);
    let error = harness
        .run(flush)
        .unwrap()
        .expect_err("a manifest created in a freed id proves nothing");
    assert_eq!(error.kind(), ErrorKind::Fenced, "{error}");
    assert_eq!(old.status(), DbStatus::Fenced);
    let refused = harness.run({
        let old = old.clone();
        async move { old.put(b"zombie", b"z", WriteOptions::DURABLE).await }
    });
    assert!(refused.is_err(), "the old writer acknowledges nothing more");
    assert_holds_no_zombie_write(&harness, new);
}

/// A takeover whose epoch bump is held up (a paused or hung open) until the writer it takes
/// over from has committed past that manifest id and collected it: create-if-absent then
/// succeeds in the freed id, below the running writer's manifests, with an epoch that
/// proves nothing. The open confirms the bump, finds newer manifests, and bumps again from
/// the latest, so it does take over: the running writer is fenced.
#[test]
fn an_epoch_bump_landing_in_an_id_gc_freed_is_retried_from_the_latest_manifest() {
    let harness = Harness::new(66);
    let options = small_options();
    let running = harness.open("db", options.clone());
    harness.write_keys(&running, 0..5, 0, WriteOptions::DURABLE, true);
    let base = running.state().manifest_id;

    let held = Rc::new(Cell::new(true));
    let port = held_put_store(&harness, "/manifest/", &held);
    let opening = harness.sim.handle().spawn({
        let (runtime, options) = (harness.runtime.clone(), options.clone());
        async move { Db::open(runtime, port, "db", options).await }
    });
    harness.advance(SimDuration::from_millis(100));

    // The running writer commits past the held id and collects it.
    harness.write_keys(&running, 5..10, 0, WriteOptions::DURABLE, true);
    harness.write_keys(&running, 10..15, 0, WriteOptions::DURABLE, true);
    assert!(running.state().manifest_id > base + 1);
    harness.advance(options.gc_min_age + SimDuration::from_secs(1));
    harness.run_gc(&running);
    let held_key = format!("db/manifest/{:020}.manifest", base + 1);
    assert!(!harness.keys_under("db/manifest/").contains(&held_key));

    held.set(false);
    let opened = Rc::new(harness.run(opening).unwrap().expect("the open takes over"));
    assert!(opened.writer_epoch() > running.writer_epoch());
    assert!(
        opened.state().manifest_id > running.state().manifest_id,
        "the takeover's manifest is the latest"
    );
    let error = harness
        .run({
            let running = running.clone();
            async move {
                running.put(b"late", b"x", WriteOptions::NO_AWAIT).await?;
                running.flush_memtables().await
            }
        })
        .expect_err("the writer taken over from is fenced");
    assert_eq!(error.kind(), ErrorKind::Fenced, "{error}");
    harness.write_keys(&opened, 15..20, 1, WriteOptions::DURABLE, true);
    harness
        .run(async move {
            for i in 0..20 {
                let version = if i < 15 { 0 } else { 1 };
                assert_eq!(
                    opened.get(key(i), ReadOptions::default()).await?.as_deref(),
                    Some(value(i, version).as_slice()),
                    "key {i}"
                );
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

/// An open whose WAL listing comes back only after a newer writer took over, flushed, and
/// collected the WAL below its own replay position, finds ids missing from the replay
/// position it read. Those are not a failed open's unclaimed ids but a newer writer's
/// collected ones: the open is fenced, and claims none of them (claiming would fill freed
/// ids with objects nobody replays).
#[test]
fn an_open_whose_wal_listing_outlasts_a_newer_writers_gc_is_fenced_and_claims_no_freed_id() {
    let harness = Harness::with_store(12, SimStoreConfig::s3_express());
    let options = DbOptions {
        gc_min_age: SimDuration::from_secs(1),
        memtable_bytes: 1024 * 1024,
        ..small_options()
    };
    let first = harness.open("db", options.clone());
    let f = first.clone();
    harness.run(async move {
        for i in 0..5 {
            f.put(key(i), value(i, 1), WriteOptions::DURABLE)
                .await
                .unwrap();
        }
    });
    first.crash();
    harness.advance(SimDuration::from_secs(2));

    // The late open bumps the epoch, then its WAL listing is slow.
    let slow_listing = harness.slow_down(StoreOp::List, "db/wal/");
    let (runtime, port, late_options) = (harness.runtime.clone(), harness.port(), options.clone());
    let late = harness
        .sim
        .handle()
        .spawn(async move { Db::open(runtime, port, "db", late_options).await });
    harness.advance(SimDuration::from_millis(50));
    harness.store.remove_fault(slow_listing).unwrap();

    // A newer writer takes over from the late open's bump, flushes everything, and its GC
    // collects the WAL objects below its replay position.
    let newer = harness.open("db", options);
    let n = newer.clone();
    harness.run(async move { n.flush_memtables().await.unwrap() });
    harness.advance(SimDuration::from_secs(2));
    let collected = harness.run_gc(&newer);
    assert!(collected.wal_deleted >= 5, "{collected:?}");
    let wal_before = harness.keys_under("db/wal/");

    // Opened, its view would miss every write the first writer made durable (their WAL
    // objects are collected, and the newer writer's fence with them).
    let error = harness.run(late).unwrap().err().unwrap();
    assert_eq!(error.kind(), ErrorKind::Fenced, "{error}");
    assert_eq!(
        harness.keys_under("db/wal/"),
        wal_before,
        "the fenced open created no WAL object"
    );
    let n = newer.clone();
    harness.run(async move {
        n.put(key(5), value(5, 1), WriteOptions::DURABLE)
            .await
            .unwrap();
        for i in 0..6 {
            assert_eq!(
                n.get(key(i), ReadOptions::default())
                    .await
                    .unwrap()
                    .as_deref(),
                Some(value(i, 1).as_slice())
            );
        }
    });
}

/// A fenced handle may still read, from the view it had. The newer writer compacts that
/// view's SSTs away and, once they have aged, collects them: a read that then finds one gone
/// reports `Fenced`, which is what the handle is, not the store's `NotFound`, which would
/// say the database lost an object.
#[test]
fn a_fenced_handles_read_of_an_sst_the_newer_writer_collected_reports_fenced() {
    let harness = Harness::new(63);
    let options = DbOptions {
        block_cache_bytes: 0,
        ..small_options()
    };
    let old = harness.open("db", options.clone());
    harness.write_keys(&old, 0..200, 0, WriteOptions::NO_AWAIT, true);
    let written = harness.keys_under("db/sst/");
    assert!(written.len() >= 3, "{written:?}");
    let new = harness.open("db", options);
    let error = harness
        .run({
            let old = old.clone();
            async move { old.put(b"zombie", b"z", WriteOptions::DURABLE).await }
        })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Fenced, "{error}");

    harness.compact_all(&new);
    harness.advance(SimDuration::from_secs(20));
    let collected = harness.run_gc(&new);
    assert_eq!(
        collected.ssts_deleted,
        written.len() as u64,
        "{collected:?}"
    );

    let got = harness.run({
        let old = old.clone();
        async move { old.get(key(0), ReadOptions::default()).await }
    });
    assert_eq!(got.map_err(|error| error.kind()), Err(ErrorKind::Fenced));
    let scanned = harness.run({
        let old = old.clone();
        async move { old.scan::<&[u8]>(..)?.collect(usize::MAX).await }
    });
    assert_eq!(
        scanned.map_err(|error| error.kind()),
        Err(ErrorKind::Fenced)
    );
    // The newer writer serves every key.
    harness
        .run(async move {
            for i in 0..200 {
                assert_eq!(
                    new.get(key(i), ReadOptions::default()).await?,
                    Some(Bytes::from(value(i, 0)))
                );
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}
