//! Read replicas. A `Reader` polls the manifest and the WAL, serves only
//! durable data, lags the writer by at most its poll interval plus a poll's latency, and its
//! polling GETs are metered.

use crate::{key, pass_put, small_options, value, Harness, HookStore};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use strata_engine::{
    CompactionOptions, CompactionStyle, Db, DbOptions, Error, ErrorKind, ReadOptions, Reader,
    ReaderOptions, WriteOptions,
};
use strata_objstore::{GetResult, ObjectStore, SimStoreConfig, StoreError, StoreFuture};
use strata_sim::{Cause, SimDuration, SimRng, SimTime, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn open_reader(harness: &Harness, poll_ms: u64) -> Rc<Reader> {
    let (runtime, port) = (harness.runtime.clone(), harness.port());
    let options = ReaderOptions {
        poll_interval: SimDuration::from_millis(poll_ms),
        ..ReaderOptions::default()
    };
    Rc::new(
        harness
            .run(async move { Reader::open(runtime, port, "db", options).await })
            .unwrap(),
    )
}

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn state_at(history: &[(Vec<u8>, Option<Vec<u8>>)], seq: u64) -> Pairs {
    let mut state = BTreeMap::new();
    for (key, value) in &history[..seq as usize] {
        match value {
            Some(value) => state.insert(key.clone(), value.clone()),
            None => state.remove(key),
        };
    }
    state.into_iter().collect()
}

async fn scan_reader(reader: &Reader) -> (u64, Pairs) {
    let seq = reader.seq();
    let pairs = reader
        .scan::<&[u8]>(..)
        .unwrap()
        .collect(usize::MAX)
        .await
        .unwrap();
    (
        seq,
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect(),
    )
}

#[test]
fn a_reader_serves_only_durable_data_and_stays_within_its_staleness_bound() {
    for (seed, compaction) in [(1, false), (2, true)] {
        let harness = Harness::with_store(seed, SimStoreConfig::s3_express());
        let options = DbOptions {
            compaction: CompactionOptions {
                style: if compaction {
                    CompactionStyle::leveled(16 * 1024)
                } else {
                    CompactionStyle::None
                },
                target_sst_bytes: 8 * 1024,
            },
            ..small_options()
        };
        let db = harness.open("db", options);
        let reader = open_reader(&harness, 200);
        // Every write in order (index + 1 is its sequence number), and the writer's durable
        // watermark over time.
        let history = Rc::new(RefCell::new(Vec::new()));
        let durable: Rc<RefCell<Vec<(SimTime, u64)>>> = Rc::new(RefCell::new(Vec::new()));
        let handle = harness.sim.handle();
        {
            let (db, history, handle) = (db.clone(), history.clone(), handle.clone());
            harness.sim.handle().spawn(async move {
                let mut rng = SimRng::seed_from_u64(seed);
                for i in 0..3_000u64 {
                    let k = key(rng.below(80));
                    let v = (!rng.bernoulli(0.1)).then(|| value(i, i));
                    let options = if rng.bernoulli(0.05) {
                        WriteOptions::DURABLE
                    } else {
                        WriteOptions::NO_AWAIT
                    };
                    // Record the write before awaiting durability: it is applied at once.
                    let put = match &v {
                        Some(v) => {
                            let db = db.clone();
                            let (k, v) = (k.clone(), v.clone());
                            Box::pin(async move { db.put(k, v, options).await })
                                as std::pin::Pin<Box<dyn std::future::Future<Output = _>>>
                        }
                        None => {
                            let db = db.clone();
                            let k = k.clone();
                            Box::pin(async move { db.delete(k, options).await })
                        }
                    };
                    history.borrow_mut().push((k, v));
                    put.await.unwrap();
                    assert_eq!(db.acknowledged_seq(), history.borrow().len() as u64);
                    handle.sleep(SimDuration::from_millis(2)).await;
                }
            });
        }
        {
            let (db, durable, handle) = (db.clone(), durable.clone(), handle.clone());
            harness.sim.handle().spawn(async move {
                loop {
                    durable.borrow_mut().push((handle.now(), db.durable_seq()));
                    handle.sleep(SimDuration::from_millis(1)).await;
                }
            });
        }
        let (reader_check, history_check, durable_check, db_check) =
            (reader.clone(), history.clone(), durable.clone(), db.clone());
        let checks = harness.run(async move {
            let mut checks = 0;
            let mut slowest_poll = SimDuration::ZERO;
            for _ in 0..150 {
                handle.sleep(SimDuration::from_millis(41)).await;
                let (seq, pairs) = scan_reader(&reader_check).await;
                assert!(
                    seq <= db_check.durable_seq(),
                    "the reader serves seq {seq}, beyond the durable {}",
                    db_check.durable_seq()
                );
                assert_eq!(pairs, state_at(&history_check.borrow(), seq), "seq {seq}");
                let staleness = reader_check.staleness();
                slowest_poll = slowest_poll.max(staleness.last_poll_duration);
                let durable_then = durable_check
                    .borrow()
                    .iter()
                    .take_while(|(at, _)| *at <= staleness.current_as_of)
                    .last()
                    .map_or(0, |(_, seq)| *seq);
                assert!(
                    reader_check.seq() >= durable_then,
                    "durable {durable_then} before the poll, reader at {}",
                    reader_check.seq()
                );
                assert!(
                    staleness.lag <= SimDuration::from_millis(200) + slowest_poll.saturating_mul(2),
                    "{staleness:?}"
                );
                checks += 1;
            }
            checks
        });
        assert_eq!(checks, 150);
        let staleness = reader.staleness();
        assert!(staleness.polls > 20, "{staleness:?}");
        assert!(reader.seq() > 1_000, "the reader kept up: {}", reader.seq());
        if compaction {
            assert!(db.state().counters.compactions > 0);
        }
        // The lag in sequence numbers, against the writer's durable watermark.
        assert!(reader.seq_lag(db.durable_seq()) <= db.durable_seq());
    }
}

#[test]
fn after_a_writer_crash_the_reader_shows_exactly_what_recovery_keeps() {
    let harness = Harness::with_store(3, SimStoreConfig::s3_express());
    let db = harness.open("db", small_options());
    let reader = open_reader(&harness, 100);
    let d = db.clone();
    harness.run(async move {
        for i in 0..400u64 {
            d.put(key(i % 50), value(i, i), WriteOptions::NO_AWAIT)
                .await
                .unwrap();
        }
    });
    db.crash();
    drop(db);
    harness.advance(SimDuration::from_secs(1));
    let r = reader.clone();
    let (seq_before, _) = harness.run(async move { scan_reader(&r).await });
    let recovered: Rc<Db> = harness.open("db", small_options());
    assert!(seq_before <= recovered.acknowledged_seq());
    let r = reader.clone();
    harness.run(async move {
        r.poll_now().await.unwrap();
        let (seq, pairs) = scan_reader(&r).await;
        assert_eq!(seq, recovered.acknowledged_seq());
        let expected: Pairs = recovered
            .scan_with::<&[u8]>(.., ReadOptions::DURABLE)
            .unwrap()
            .collect(usize::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(pairs, expected);
        for i in 0..50 {
            assert_eq!(
                r.get(key(i)).await.unwrap(),
                recovered.get(key(i), ReadOptions::DURABLE).await.unwrap()
            );
        }
    });
}

#[test]
fn polling_is_metered_under_its_own_cause() {
    let harness = Harness::with_store(4, SimStoreConfig::s3_standard());
    let db = harness.open("db", small_options());
    let reader = open_reader(&harness, 250);
    harness.advance(SimDuration::from_secs(10));
    let staleness = reader.staleness();
    assert!((38..=41).contains(&staleness.polls), "{staleness:?}");
    // Stop polling and let requests in flight finish, so the trace has them all.
    drop(reader);
    harness.advance(SimDuration::from_secs(2));
    let traced = harness
        .requests()
        .iter()
        .filter(|r| r.cause == Cause::ReaderPoll)
        .count() as u64;
    assert_eq!(staleness.poll_requests, traced);
    assert!(staleness.poll_cost_picousd > 0);
    // Each poll: a manifest LIST and GET, and a WAL LIST.
    assert!(traced >= 3 * staleness.polls);
    drop(db);
    let bad = ReaderOptions {
        poll_interval: SimDuration::ZERO,
        ..ReaderOptions::default()
    };
    let (runtime, port) = (harness.runtime.clone(), harness.port());
    let error = harness
        .run(async move { Reader::open(runtime, port, "db", bad).await })
        .err()
        .unwrap();
    assert_eq!(error.kind(), ErrorKind::Invalid);
}

/// A poll that is slow in `slow` (its WAL listing, or its read of a WAL object) while the
/// writer flushes and its GC collects the WAL objects the flush made obsolete: the view the
/// poll installs still holds every write durable before the poll began. (Reading the
/// manifest before listing, a poll once built its view from the older manifest plus the WAL
/// objects that survived, a view with a hole in it that claimed to be current; and a WAL
/// object collected between listing and read once cut the view short the same way.)
fn a_poll_racing_a_flush_and_its_gc_misses_no_durable_write(slow: StoreOp) {
    let harness = Harness::with_store(5, SimStoreConfig::s3_express());
    let options = DbOptions {
        gc_min_age: SimDuration::from_secs(1),
        memtable_bytes: 1024 * 1024,
        ..small_options()
    };
    let db = harness.open("db", options);
    // Polls only when asked.
    let reader = open_reader(&harness, 3_600_000);
    let d = db.clone();
    harness.run(async move {
        for i in 0..5 {
            d.put(key(i), value(i, 1), WriteOptions::DURABLE)
                .await
                .unwrap();
        }
    });
    let acknowledged_at = harness.runtime.now();
    harness.advance(SimDuration::from_secs(2));

    let slow_request = harness.slow_down(slow, "db/wal/");
    let poll = harness.sim.handle().spawn({
        let reader = reader.clone();
        async move { reader.poll_now().await }
    });
    // The poll is inside its slow request.
    harness.advance(SimDuration::from_millis(50));
    harness.store.remove_fault(slow_request).unwrap();

    // The writer flushes those writes to an SST, its GC collects their WAL objects, and it
    // writes once more (a WAL object past the new replay position).
    let d = db.clone();
    harness.run(async move { d.flush_memtables().await.unwrap() });
    harness.advance(SimDuration::from_secs(2));
    let collected = harness.run_gc(&db);
    assert!(collected.wal_deleted >= 5, "{collected:?}");
    let d = db.clone();
    harness.run(async move {
        d.put(key(5), value(5, 1), WriteOptions::DURABLE)
            .await
            .unwrap()
    });

    harness.run(poll).unwrap().unwrap();
    let staleness = reader.staleness();
    assert!(
        staleness.current_as_of >= acknowledged_at,
        "the poll began after the writes were durable: {staleness:?}"
    );
    let r = reader.clone();
    harness.run(async move {
        for i in 0..5 {
            assert_eq!(
                r.get(key(i)).await.unwrap().as_deref(),
                Some(value(i, 1).as_slice()),
                "key {i} was durable before the poll began (slow {slow:?})"
            );
        }
    });
}

#[test]
fn a_poll_whose_wal_listing_outlasts_a_flush_and_its_gc_misses_no_durable_write() {
    a_poll_racing_a_flush_and_its_gc_misses_no_durable_write(StoreOp::List);
}

#[test]
fn a_poll_whose_wal_read_outlasts_a_flush_and_its_gc_misses_no_durable_write() {
    a_poll_racing_a_flush_and_its_gc_misses_no_durable_write(StoreOp::Get);
}

/// A poll that finds, three attempts in a row, that a WAL object it listed is gone when it
/// reads it (the writer's GC collecting faster than the reader polls) gives up with
/// `RetriesExhausted` and keeps its previous view whole: still durable, only staler. The next
/// poll that can read the object catches up.
#[test]
fn a_poll_that_keeps_losing_listed_wal_objects_gives_up_and_keeps_its_view() {
    let harness = Harness::new(9);
    let db = harness.open("db", small_options());
    let d = db.clone();
    harness.run(async move {
        for i in 0..3 {
            d.put(key(i), value(i, 1), WriteOptions::DURABLE)
                .await
                .unwrap();
        }
    });

    // GETs of `vanished` answer "not found" while it is set, as if GC had collected the
    // object after the listing named it.
    let vanished: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    let reads_of_vanished = Rc::new(std::cell::Cell::new(0u32));
    let port: Rc<dyn ObjectStore> = Rc::new(HookStore {
        inner: harness.port(),
        put: pass_put,
        get: {
            let (vanished, reads) = (vanished.clone(), reads_of_vanished.clone());
            move |inner: &Rc<dyn ObjectStore>,
                  cause: Cause,
                  key: &str,
                  range: Option<std::ops::Range<u64>>|
                  -> StoreFuture<GetResult> {
                if vanished.borrow().as_deref() == Some(key) {
                    reads.set(reads.get() + 1);
                    let key = key.to_string();
                    return Box::pin(async move { Err(StoreError::NotFound { key }) });
                }
                inner.get(cause, key, range)
            }
        },
    });
    let options = ReaderOptions {
        poll_interval: SimDuration::from_secs(3600),
        ..ReaderOptions::default()
    };
    let runtime = harness.runtime.clone();
    let reader = Rc::new(
        harness
            .run(async move { Reader::open(runtime, port, "db", options).await })
            .unwrap(),
    );
    let seen = reader.seq();
    assert!(seen >= 3, "the open's poll saw the durable writes: {seen}");

    let d = db.clone();
    harness.run(async move {
        d.put(key(3), value(3, 1), WriteOptions::DURABLE)
            .await
            .unwrap()
    });
    let newest = harness.keys_under("db/wal/").pop().unwrap();
    *vanished.borrow_mut() = Some(newest.clone());
    let r = reader.clone();
    let error = harness.run(async move { r.poll_now().await }).unwrap_err();
    assert!(
        matches!(error, Error::RetriesExhausted { attempts: 3, .. }),
        "{error}"
    );
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(
        reads_of_vanished.get(),
        3,
        "one read of {newest} an attempt"
    );
    assert_eq!(reader.seq(), seen, "the failed poll kept the view it had");
    assert_eq!(reader.staleness().poll_failures, 1);
    let r = reader.clone();
    harness.run(async move {
        for i in 0..3 {
            assert_eq!(
                r.get(key(i)).await.unwrap().as_deref(),
                Some(value(i, 1).as_slice()),
                "key {i} was in the view before the failed poll"
            );
        }
    });

    *vanished.borrow_mut() = None;
    let r = reader.clone();
    harness.run(async move { r.poll_now().await }).unwrap();
    assert!(reader.seq() > seen);
    let r = reader.clone();
    harness.run(async move {
        assert_eq!(
            r.get(key(3)).await.unwrap().as_deref(),
            Some(value(3, 1).as_slice())
        );
    });
}
