//! Two writers opening at once: the one that loses the race is told it was fenced, never
//! that the database is corrupt.
//!
//! The first writer bumps the epoch, then its WAL listing is slow; meanwhile the second
//! writer bumps the epoch again and lands its fence object. The first writer's listing then
//! shows a WAL object of a newer epoch: a takeover, not damage.

use crate::Harness;
use std::rc::Rc;
use strata_engine::{Db, ErrorKind};
use strata_objstore::sim::{FaultAction, FaultSpec};
use strata_objstore::SimStoreConfig;
use strata_sim::{SimDuration, SimTime, StoreOp};
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
