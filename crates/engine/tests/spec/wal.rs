//! The WAL. Writes are buffered and uploaded one object per `flush_interval`, or
//! sooner when the buffer passes `max_wal_bytes`; an await-durable write is acknowledged only
//! after its object's PUT succeeds; two watermarks; sequential, create-if-absent object names.

use crate::{key, small_options, value, Harness};
use strata_engine::{DbOptions, ErrorKind, WriteOptions};
use strata_objstore::sim::{FaultAction, FaultSpec, LatencyDist};
use strata_objstore::SimStoreConfig;
use strata_sim::{Cause, EventKind, SimDuration, SimTime, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn fixed_put_latency(ms: f64) -> SimStoreConfig {
    let mut config = SimStoreConfig::instant();
    config.latency.put = LatencyDist::new(ms, ms);
    config
}

#[test]
fn one_wal_object_per_flush_interval_under_steady_writes() {
    let harness = Harness::new(10);
    let db = harness.open("db", small_options());
    let handle = harness.sim.handle();
    harness
        .run(async move {
            // 20 writes a second for 2 s, none waiting for durability.
            for i in 0..40 {
                db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
                handle.sleep(SimDuration::from_millis(50)).await;
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
    let wal_puts = harness.count_requests(StoreOp::Put, Cause::Wal);
    // 2 s at one upload per 100 ms: about 20, never one per write; plus the open's fence.
    assert!(
        (15..=23).contains(&wal_puts),
        "{wal_puts} WAL PUTs for 40 writes"
    );
}

#[test]
fn a_full_buffer_is_uploaded_before_the_interval() {
    let harness = Harness::new(11);
    let options = DbOptions {
        max_wal_bytes: 1024,
        flush_interval: SimDuration::from_secs(10),
        memtable_bytes: 1024 * 1024,
        ..small_options()
    };
    let db = harness.open("db", options);
    let start = harness.sim.now();
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..200 {
                    db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
                    // Let the uploader run between writes, as concurrent clients would.
                    strata_sim::yield_now().await;
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    harness.advance(SimDuration::from_millis(1));
    let uploads: Vec<u64> = harness
        .events
        .borrow()
        .iter()
        .filter_map(|(at, kind)| match kind {
            EventKind::WalFlushed { bytes, .. } if *at < start + SimDuration::from_secs(1) => {
                Some(*bytes)
            }
            _ => None,
        })
        .collect();
    assert!(
        uploads.len() >= 5,
        "expected several early uploads, got {uploads:?}"
    );
    assert!(
        db.durable_seq() > 0,
        "size-triggered uploads made writes durable"
    );
}

#[test]
fn await_durable_returns_only_after_the_wal_put_succeeds() {
    let harness = Harness::with_store(12, fixed_put_latency(40.0));
    let db = harness.open("db", small_options());
    let handle = harness.sim.handle();
    let (acked_at, durable_at_ack) = harness
        .run({
            let db = db.clone();
            async move {
                db.put(b"k", b"v", WriteOptions::DURABLE).await?;
                Ok::<_, strata_engine::Error>((handle.now(), db.durable_seq()))
            }
        })
        .unwrap();
    let wal_put_ends: Vec<SimTime> = harness
        .requests()
        .iter()
        .filter(|r| r.cause == Cause::Wal && r.op == StoreOp::Put)
        .map(|r| r.end)
        .collect();
    let last_put_end = *wal_put_ends.last().unwrap();
    assert!(
        acked_at >= last_put_end,
        "acknowledged at {acked_at}, WAL PUT ended {last_put_end}"
    );
    assert_eq!(durable_at_ack, db.acknowledged_seq());
}

#[test]
fn watermarks_separate_acknowledged_from_durable() {
    let harness = Harness::with_store(13, fixed_put_latency(30.0));
    let db = harness.open("db", small_options());
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..10 {
                    db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    let acknowledged = db.acknowledged_seq();
    assert!(
        db.durable_seq() < acknowledged,
        "nothing is durable before the upload finishes"
    );
    let state = db.state();
    assert_eq!(state.acknowledged_seq, acknowledged);
    assert!(state.wal.buffer_records > 0 || state.wal.pending_wal_id.is_some());
    harness.advance(SimDuration::from_millis(200));
    assert_eq!(db.durable_seq(), acknowledged);
    assert_eq!(db.state().wal.buffer_records, 0);
}

#[test]
fn wal_objects_are_named_sequentially_under_the_path() {
    let harness = Harness::new(14);
    let db = harness.open("tenant/db", small_options());
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..3 {
                    db.put(key(i), value(i, 0), WriteOptions::DURABLE).await?;
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    let names = harness.keys_under("tenant/db/wal/");
    // The open's fence object, then one object per durable put.
    assert_eq!(
        names,
        (1..=4)
            .map(|id| format!("tenant/db/wal/{id:020}.wal"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_failing_wal_upload_fails_durable_writes_with_unavailable() {
    let harness = Harness::new(15);
    let db = harness.open("db", small_options());
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::ServerError)
                .with_ops(&[StoreOp::Put])
                .with_key_prefix("db/wal/"),
        )
        .unwrap();
    let error = harness
        .run({
            let db = db.clone();
            async move { db.put(b"k", b"v", WriteOptions::DURABLE).await }
        })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(db.durable_seq() < db.acknowledged_seq());
    // Once the store recovers, the same write becomes durable on a later upload.
    harness.store.clear_faults();
    harness.advance(SimDuration::from_millis(500));
    assert_eq!(db.durable_seq(), db.acknowledged_seq());
}

/// Regression: a WAL PUT the store never answers (a timeout fault, with the store client's
/// deadline at 30 s) used to hold the single upload slot until that deadline, so the WAL
/// stayed stalled long after the fault window ended. The uploader must give up on the hung
/// attempt, retry the same object and make the buffered writes durable soon after the window.
#[test]
fn the_wal_uploader_resumes_soon_after_a_timeout_window_ends() {
    let harness = Harness::with_store(93, fixed_put_latency(20.0));
    let db = harness.open("db", small_options());
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::Timeout {
                applied_probability: 0.0,
            })
            .with_ops(&[StoreOp::Put])
            .with_key_prefix("db/wal/")
            .with_window(SimTime::from_millis(1000), SimTime::from_millis(1300)),
        )
        .unwrap();
    let writer = harness.sim.handle().spawn({
        let db = db.clone();
        let handle = harness.sim.handle();
        async move {
            for i in 0..3000u64 {
                db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT)
                    .await
                    .expect("in-memory writes are accepted");
                handle.sleep(SimDuration::from_millis(1)).await;
            }
        }
    });
    harness.advance(SimDuration::from_millis(1200));
    let durable_in_window = db.durable_seq();
    // 1.5 s after the window ends, far below the store's 30 s client deadline.
    harness.advance(SimDuration::from_millis(1600));
    assert!(
        db.durable_seq() > durable_in_window + 500,
        "the WAL stalled: durable {} at 1.2 s, {} at 2.8 s",
        durable_in_window,
        db.durable_seq()
    );
    harness.run(writer).unwrap();
}
