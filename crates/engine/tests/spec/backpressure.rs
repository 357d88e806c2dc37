//! Backpressure. Past the L0 or unflushed-bytes limit, writes stall (and the
//! stall is a timed trace event) or are rejected with a typed error, as configured.

use crate::{key, small_options, value, Harness};
use std::cell::Cell;
use std::rc::Rc;
use strata_engine::{
    BackpressureMode, BackpressureOptions, CompactionOptions, CompactionStyle, DbOptions, Error,
    ErrorKind, WriteOptions,
};
use strata_objstore::sim::{FaultAction, FaultSpec};
use strata_sim::{EventKind, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn options(mode: BackpressureMode) -> DbOptions {
    DbOptions {
        backpressure: BackpressureOptions {
            mode,
            max_l0_ssts: 3,
            max_unflushed_bytes: 0,
        },
        compaction: CompactionOptions {
            style: CompactionStyle::None,
            target_sst_bytes: 8 * 1024,
        },
        ..small_options()
    }
}

/// Fills L0 to its limit of 3 with flushes.
fn fill_l0(harness: &Harness, db: &Rc<strata_engine::Db>) {
    let d = db.clone();
    harness.run(async move {
        for round in 0..3u64 {
            for i in 0..20 {
                d.put(key(i), value(i, round), WriteOptions::NO_AWAIT)
                    .await
                    .unwrap();
            }
            d.flush_memtables().await.unwrap();
        }
    });
    assert_eq!(db.state().l0.len(), 3);
}

#[test]
fn past_the_l0_limit_writes_stall_until_compaction_catches_up() {
    let harness = Harness::new(1);
    let db = harness.open("db", options(BackpressureMode::Stall));
    fill_l0(&harness, &db);
    let done = Rc::new(Cell::new(false));
    let (d, flag) = (db.clone(), done.clone());
    harness.sim.handle().spawn(async move {
        d.put(b"late", b"write", WriteOptions::NO_AWAIT)
            .await
            .unwrap();
        flag.set(true);
    });
    harness.advance(SimDuration::from_secs(2));
    assert!(!done.get(), "the write waits while L0 is full");
    assert_eq!(db.state().amplification.write_stalls, 1);
    // Turning compaction on drains L0 and releases the write.
    db.set_compaction_style(CompactionStyle::Leveled {
        l0_trigger: 2,
        level_base_bytes: 64 * 1024,
        level_ratio: 10.0,
        max_levels: 3,
    })
    .unwrap();
    harness.advance(SimDuration::from_secs(1));
    assert!(done.get());
    let stalls: Vec<SimDuration> = harness
        .events
        .borrow()
        .iter()
        .filter_map(|(_, kind)| match kind {
            EventKind::WriteStalled { duration } => Some(*duration),
            _ => None,
        })
        .collect();
    assert_eq!(stalls.len(), 1);
    assert!(stalls[0] >= SimDuration::from_secs(2), "{stalls:?}");
    let meters = db.amplification();
    assert!(meters.write_stall_ms >= 2_000.0, "{meters:?}");
    assert_eq!(meters.l0_ssts, 0);
}

#[test]
fn in_reject_mode_writes_fail_with_a_typed_error_and_change_nothing() {
    let harness = Harness::new(2);
    let db = harness.open("db", options(BackpressureMode::Reject));
    fill_l0(&harness, &db);
    let before = db.acknowledged_seq();
    let d = db.clone();
    let error = harness
        .run(async move { d.put(b"late", b"write", WriteOptions::NO_AWAIT).await })
        .unwrap_err();
    assert!(matches!(error, Error::WriteRejected { .. }), "{error}");
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.to_string().contains("L0"), "{error}");
    assert_eq!(db.acknowledged_seq(), before);
    assert_eq!(db.state().counters.writes_rejected, 1);
}

#[test]
fn unflushed_bytes_past_their_limit_stall_writes_while_the_store_is_down() {
    let harness = Harness::new(3);
    let options = DbOptions {
        backpressure: BackpressureOptions {
            mode: BackpressureMode::Reject,
            max_l0_ssts: 0,
            max_unflushed_bytes: 6 * 1024,
        },
        ..small_options()
    };
    let db = harness.open("db", options);
    // Every PUT fails: nothing can be flushed, so unflushed bytes only grow.
    harness
        .store
        .add_fault(FaultSpec::always(FaultAction::ServerError).with_ops(&[StoreOp::Put]))
        .unwrap();
    let d = db.clone();
    let rejected_at = harness.run(async move {
        for i in 0..1_000u64 {
            match d.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await {
                Ok(()) => {}
                Err(Error::WriteRejected { reason }) => {
                    assert!(reason.contains("unflushed"), "{reason}");
                    return i;
                }
                Err(error) => panic!("{error}"),
            }
        }
        panic!("never rejected");
    });
    assert!(rejected_at > 10);
    let state = db.state();
    assert!(state.amplification.unflushed_bytes >= 6 * 1024);
    assert!(state.amplification.unflushed_bytes < 8 * 1024);
}
