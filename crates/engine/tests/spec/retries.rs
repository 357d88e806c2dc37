//! Retries. Transient errors are retried with exponential backoff and full
//! jitter, within an attempt cap and a deadline; retries show in the trace and the meters;
//! and a conditional write that timed out is resolved by reading back, never applied twice.

use crate::{key, small_options, value, Harness};
use strata_engine::format::manifest::Manifest;
use strata_engine::{DbOptions, ErrorKind, ReadOptions, WriteOptions};
use strata_objstore::sim::{FaultAction, FaultSpec};
use strata_sim::{Cause, EventKind, SimDuration, SimTime, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn transient_errors_are_retried_with_jittered_backoff_and_counted() {
    let harness = Harness::new(1);
    let options = DbOptions {
        store_max_attempts: 12,
        ..small_options()
    };
    let db = harness.open("db", options);
    let now = harness.sim.now();
    // A 300 ms outage of WAL PUTs: the durable write gets through after it.
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::ServerError)
                .with_key_prefix("db/wal/")
                .with_window(now, now + SimDuration::from_millis(300)),
        )
        .unwrap();
    let d = db.clone();
    harness
        .run(async move { d.put(b"k", b"v", WriteOptions::DURABLE).await })
        .unwrap();
    let retries: Vec<(SimTime, u32)> = harness
        .events
        .borrow()
        .iter()
        .filter_map(|(at, kind)| match kind {
            EventKind::Retried {
                cause: Cause::Wal,
                attempt,
            } => Some((*at, *attempt)),
            _ => None,
        })
        .collect();
    assert!(!retries.is_empty());
    let meters = db.store_meters();
    assert_eq!(meters.cause(Cause::Wal).retries, retries.len() as u64);
    assert_eq!(db.amplification().retries, meters.total().retries);
    // Every attempt was a request, billed.
    assert_eq!(
        harness.count_requests(StoreOp::Put, Cause::Wal) as u64,
        meters.cause(Cause::Wal).puts
    );
}

#[test]
fn a_permanent_outage_gives_up_within_the_deadline() {
    let harness = Harness::new(2);
    let options = DbOptions {
        store_max_attempts: 1_000,
        store_retry_delay: SimDuration::from_millis(10),
        store_retry_max_delay: SimDuration::from_millis(200),
        store_retry_deadline: SimDuration::from_secs(2),
        ..small_options()
    };
    let db = harness.open("db", options);
    harness
        .store
        .add_fault(FaultSpec::always(FaultAction::ServerError).with_ops(&[StoreOp::Put]))
        .unwrap();
    let d = db.clone();
    let start = harness.sim.now();
    let error = harness
        .run(async move { d.put(b"k", b"v", WriteOptions::DURABLE).await })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    let waited = harness.sim.now().saturating_since(start);
    // The deadline, plus the flush interval before the first upload.
    assert!(waited <= SimDuration::from_millis(2_200), "{waited}");
    let attempts = harness.count_requests(StoreOp::Put, Cause::Wal);
    assert!((5..1_000).contains(&attempts), "{attempts} attempts");
}

#[test]
fn bad_retry_bounds_are_rejected() {
    for options in [
        DbOptions {
            store_retry_delay: SimDuration::from_millis(50),
            store_retry_max_delay: SimDuration::from_millis(5),
            ..DbOptions::default()
        },
        DbOptions {
            store_retry_delay: SimDuration::from_millis(50),
            store_retry_deadline: SimDuration::from_millis(5),
            ..DbOptions::default()
        },
        DbOptions {
            store_retry_delay: SimDuration::ZERO,
            ..DbOptions::default()
        },
    ] {
        let error = options.validate().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert!(error.to_string().contains("store_retry"), "{error}");
    }
}

fn manifests(harness: &Harness) -> Vec<Manifest> {
    let mut keys = harness.keys_under("db/manifest/");
    keys.sort();
    keys.iter()
        .map(|key| Manifest::decode(&harness.store.inspect(key).unwrap().1).unwrap())
        .collect()
}

#[test]
fn timed_out_manifest_writes_are_resolved_by_reading_back_never_applied_twice() {
    for seed in 0..6 {
        let harness = Harness::new(seed);
        let db = harness.open("db", small_options());
        // Half of all manifest PUTs time out: some landed anyway, some did not.
        for action in [
            FaultAction::Timeout {
                applied_probability: 0.5,
            },
            FaultAction::LostAck,
        ] {
            harness
                .store
                .add_fault(
                    FaultSpec::always(action)
                        .with_ops(&[StoreOp::Put])
                        .with_key_prefix("db/manifest/")
                        .with_probability(0.3),
                )
                .unwrap();
        }
        let d = db.clone();
        let flushes = harness.run(async move {
            let mut flushes = 0;
            for round in 0..8u64 {
                for i in 0..30 {
                    d.put(key(i), value(i, round), WriteOptions::NO_AWAIT)
                        .await
                        .unwrap();
                }
                if d.flush_memtables().await.is_ok() {
                    flushes += 1;
                }
            }
            flushes
        });
        assert!(flushes > 0);
        assert!(harness.count_events("fault_injected") > 0, "seed {seed}");
        let manifests = manifests(&harness);
        // One manifest per committed change: the open, then one per SST flushed.
        let flushed = harness.count_events("flush_finished");
        assert_eq!(manifests.len(), 1 + flushed, "seed {seed}");
        for pair in manifests.windows(2) {
            assert_eq!(pair[1].manifest_id, pair[0].manifest_id + 1);
            assert_eq!(
                pair[1].l0.len(),
                pair[0].l0.len() + 1,
                "seed {seed}: each change adds its SST exactly once"
            );
        }
        let d = db.clone();
        harness.run(async move {
            for i in 0..30 {
                let got = d.get(key(i), ReadOptions::MEMORY).await.unwrap();
                assert_eq!(got.map(|b| b.to_vec()), Some(value(i, 7)));
            }
        });
    }
}
