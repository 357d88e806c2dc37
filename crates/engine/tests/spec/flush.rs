//! The memtable is frozen when it passes `memtable_bytes`, a background task flushes
//! it to an L0 SST, and the WAL objects the SST covers become obsolete.

use crate::{key, small_options, value, Harness};
use bytes::Bytes;
use strata_engine::format::manifest::Manifest;
use strata_engine::{ReadOptions, WriteOptions};
use strata_sim::{EventKind, SimDuration};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn latest_manifest(harness: &Harness, path: &str) -> Manifest {
    let key = harness
        .keys_under(&format!("{path}/manifest/"))
        .pop()
        .expect("a manifest exists");
    let (_, bytes) = harness.store.inspect(&key).expect("listed key exists");
    Manifest::decode(&bytes).expect("manifests decode")
}

#[test]
fn a_full_memtable_is_frozen_and_flushed_to_an_l0_sst_in_the_background() {
    let harness = Harness::new(20);
    let options = small_options();
    let limit = options.memtable_bytes as u64;
    let db = harness.open("db", options);
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..100 {
                    db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
                    strata_sim::yield_now().await;
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    harness.advance(SimDuration::from_millis(500));
    let frozen: Vec<u64> = harness
        .events
        .borrow()
        .iter()
        .filter_map(|(_, kind)| match kind {
            EventKind::MemtableFrozen { bytes, .. } => Some(*bytes),
            _ => None,
        })
        .collect();
    assert!(
        !frozen.is_empty(),
        "100 writes of ~30 bytes fill a 4 KiB memtable"
    );
    for bytes in &frozen {
        assert!(*bytes >= limit, "frozen at {bytes} bytes, limit {limit}");
    }
    assert_eq!(harness.count_events("flush_started"), frozen.len());
    assert_eq!(harness.count_events("flush_finished"), frozen.len());
    let state = db.state();
    assert_eq!(state.l0.len(), frozen.len());
    assert!(state.immutable_memtables.is_empty());
    assert_eq!(harness.keys_under("db/sst/").len(), frozen.len());
    assert!(
        state.last_flushed_seq <= state.durable_seq,
        "SSTs only hold durable writes"
    );
    // Reads are served across the memtable and the SSTs.
    harness
        .run(async move {
            for i in 0..100 {
                assert_eq!(
                    db.get(key(i), ReadOptions::default()).await?,
                    Some(Bytes::from(value(i, 0)))
                );
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

#[test]
fn wal_objects_covered_by_a_flushed_sst_become_obsolete() {
    let harness = Harness::new(21);
    let db = harness.open("db", small_options());
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..20 {
                    db.put(key(i), value(i, 0), WriteOptions::DURABLE).await?;
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    let before = latest_manifest(&harness, "db");
    let live_before = db.state().wal.live_objects;
    assert!(live_before >= 20, "one WAL object per durable put");
    harness
        .run({
            let db = db.clone();
            async move { db.flush_memtables().await }
        })
        .unwrap();
    let after = latest_manifest(&harness, "db");
    let newest_wal_id = harness.keys_under("db/wal/").len() as u64;
    assert!(after.wal_replay_from > before.wal_replay_from);
    assert_eq!(
        after.wal_replay_from,
        newest_wal_id + 1,
        "every WAL object is covered by the SST"
    );
    assert_eq!(after.last_flushed_seq, db.acknowledged_seq());
    assert_eq!(after.l0.len(), 1);
    assert_eq!(db.state().wal.live_objects, 0);
}
