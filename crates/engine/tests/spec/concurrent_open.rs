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
