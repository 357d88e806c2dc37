//! The manifest is a versioned object (SSTs, runs, WAL position, writer epoch),
//! changed only by create-if-absent on the next id; conflicts are resolved by re-reading,
//! re-applying and retrying (bounded); a timed-out create is resolved by reading back.

use crate::{key, small_options, value, Harness};
use strata_engine::format::manifest::Manifest;
use strata_engine::{DbOptions, ErrorKind, WriteOptions};
use strata_objstore::sim::{FaultAction, FaultSpec};
use strata_objstore::PutMode;
use strata_sim::{Cause, EventKind, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn manifests(harness: &Harness) -> Vec<(String, Manifest)> {
    harness
        .keys_under("db/manifest/")
        .into_iter()
        .map(|name| {
            let (_, bytes) = harness.store.inspect(&name).unwrap();
            let manifest = Manifest::decode(&bytes).unwrap();
            (name, manifest)
        })
        .collect()
}

fn write_then_flush(harness: &Harness, db: &std::rc::Rc<strata_engine::Db>, from: u64) {
    let db = db.clone();
    harness
        .run(async move {
            for i in from..from + 20 {
                db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
            }
            db.flush_memtables().await
        })
        .unwrap();
}

/// Writes the next manifest from outside, as another process of the same epoch would.
fn external_update(harness: &Harness, change: impl FnOnce(&mut Manifest)) {
    let (_, mut latest) = manifests(harness).pop().unwrap();
    latest.manifest_id += 1;
    change(&mut latest);
    let name = format!("db/manifest/{:020}.manifest", latest.manifest_id);
    let port = harness.port();
    harness
        .run(async move {
            port.put(
                Cause::Other,
                &name,
                latest.encode(),
                PutMode::CreateIfAbsent,
            )
            .await
        })
        .unwrap();
}

#[test]
fn each_change_is_the_next_manifest_id_with_ssts_wal_position_and_epoch() {
    let harness = Harness::new(50);
    let db = harness.open("db", small_options());
    write_then_flush(&harness, &db, 0);
    write_then_flush(&harness, &db, 100);
    let all = manifests(&harness);
    let ids: Vec<u64> = all.iter().map(|(_, m)| m.manifest_id).collect();
    assert_eq!(ids, vec![1, 2, 3], "open, then one manifest per flush");
    for (name, manifest) in &all {
        assert_eq!(
            name,
            &format!("db/manifest/{:020}.manifest", manifest.manifest_id)
        );
        assert_eq!(manifest.writer_epoch, 1);
    }
    let latest = &all[2].1;
    assert_eq!(latest.l0.len(), 2);
    assert!(latest.l0[0].id != latest.l0[1].id);
    assert!(latest.wal_replay_from > all[0].1.wal_replay_from);
    assert_eq!(latest.last_flushed_seq, db.acknowledged_seq());
    assert_eq!(db.state().manifest_id, 3);
    assert_eq!(harness.count_events("manifest_written"), 3);
}

#[test]
fn a_conflicting_update_is_reread_reapplied_and_retried() {
    let harness = Harness::new(51);
    let db = harness.open("db", small_options());
    write_then_flush(&harness, &db, 0);
    // Another process of the same epoch (a compactor, say) commits first.
    external_update(&harness, |manifest| manifest.next_run_id = 99);
    write_then_flush(&harness, &db, 100);
    let (_, latest) = manifests(&harness).pop().unwrap();
    assert_eq!(latest.manifest_id, 4);
    assert_eq!(latest.next_run_id, 99, "the other change survived");
    assert_eq!(latest.l0.len(), 2, "and ours was re-applied on top");
    assert_eq!(db.state().counters.manifest_conflicts, 1);
}

#[test]
fn conflicts_are_retried_a_bounded_number_of_times() {
    let harness = Harness::new(52);
    let options = DbOptions {
        manifest_max_attempts: 1,
        ..small_options()
    };
    let db = harness.open("db", options);
    external_update(&harness, |_| {});
    let error = harness
        .run({
            let db = db.clone();
            async move {
                db.put(b"k", b"v", WriteOptions::NO_AWAIT).await?;
                db.flush_memtables().await
            }
        })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(error.to_string().contains("1 attempts"), "{error}");
}

#[test]
fn a_timed_out_manifest_put_is_resolved_by_reading_back_not_retried() {
    let harness = Harness::new(53);
    let db = harness.open("db", small_options());
    harness
        .run({
            let db = db.clone();
            async move {
                db.put(b"k", b"v", WriteOptions::DURABLE).await?;
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    // The next manifest PUT times out, although the store applies it.
    let now = harness.sim.now();
    harness
        .store
        .add_fault(
            FaultSpec::always(FaultAction::Timeout {
                applied_probability: 1.0,
            })
            .with_ops(&[StoreOp::Put])
            .with_key_prefix("db/manifest/")
            .with_window(now, now + SimDuration::from_millis(1)),
        )
        .unwrap();
    harness
        .run({
            let db = db.clone();
            async move { db.flush_memtables().await }
        })
        .unwrap();
    let manifest_puts: Vec<_> = harness
        .requests()
        .into_iter()
        .filter(|r| r.op == StoreOp::Put && r.key.starts_with("db/manifest/"))
        .collect();
    assert_eq!(
        manifest_puts.len(),
        2,
        "the open's, then the flush's: no blind retry"
    );
    let timed_out = &manifest_puts[1];
    assert_eq!(timed_out.outcome, strata_sim::RequestOutcome::Timeout);
    let read_back = harness
        .requests()
        .into_iter()
        .any(|r| r.op == StoreOp::Get && r.key == timed_out.key && r.start >= timed_out.end);
    assert!(
        read_back,
        "the engine read the manifest back after the timeout"
    );
    assert_eq!(manifests(&harness).len(), 2);
    assert_eq!(db.state().l0.len(), 1);
    assert!(harness
        .events
        .borrow()
        .iter()
        .any(|(_, kind)| matches!(kind, EventKind::FlushFinished { .. })));
}
