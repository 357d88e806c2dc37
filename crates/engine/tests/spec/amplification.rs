//! Live amplification meters in the engine's state: write amplification
//! (bytes PUT ÷ user bytes, by cause), read amplification (GETs per get and per scan), space
//! amplification, and the cost of each cause in $/hour.

use crate::{key, small_options, value, Harness};
use strata_engine::{CompactionOptions, CompactionStyle, DbOptions, ReadOptions, WriteOptions};
use strata_objstore::SimStoreConfig;
use strata_sim::{Cause, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn meters_add_up_and_follow_the_workload() {
    let harness = Harness::with_store(1, SimStoreConfig::s3_express());
    let options = DbOptions {
        compaction: CompactionOptions {
            style: CompactionStyle::leveled(16 * 1024),
            target_sst_bytes: 8 * 1024,
        },
        block_cache_bytes: 0,
        ..small_options()
    };
    let db = harness.open("db", options);
    let d = db.clone();
    let handle = harness.sim.handle();
    let user_bytes = harness.run(async move {
        let mut user_bytes = 0u64;
        for i in 0..4_000u64 {
            let (k, v) = (key(i % 200), value(i, i));
            user_bytes += (k.len() + v.len()) as u64;
            d.put(k, v, WriteOptions::NO_AWAIT).await.unwrap();
            if i % 20 == 0 {
                handle.sleep(SimDuration::from_millis(10)).await;
            }
        }
        d.flush_memtables().await.unwrap();
        for i in 0..200 {
            d.get(key(i), ReadOptions::MEMORY).await.unwrap();
        }
        for _ in 0..5 {
            d.scan::<&[u8]>(..)
                .unwrap()
                .collect(usize::MAX)
                .await
                .unwrap();
        }
        user_bytes
    });
    let meters = db.state().amplification;
    assert_eq!(meters.user_bytes_written, user_bytes);
    // By cause, the parts add up to the whole.
    let parts: f64 = meters.write_amplification_by_cause.values().sum();
    assert!((parts - meters.write_amplification).abs() < 1e-9);
    let put_bytes: u64 = harness
        .requests()
        .iter()
        .filter(|r| r.op == StoreOp::Put)
        .map(|r| r.bytes)
        .sum();
    let metered: u64 = meters.bytes_put_by_cause.values().sum();
    assert_eq!(metered, put_bytes, "meters agree with the store's trace");
    assert!(
        meters.write_amplification > 1.0,
        "WAL plus SSTs: {meters:?}"
    );
    assert!(meters.write_amplification_by_cause[&Cause::Compaction] > 0.0);
    assert!(meters.compaction_usd_per_hour > 0.0);
    assert!(meters.compactions > 0);
    // No block cache: each point read needs at least one block GET (bloom skips aside).
    assert!(meters.gets_per_get >= 0.9, "{meters:?}");
    assert!(meters.gets_per_scan > meters.gets_per_get, "{meters:?}");
    assert!(meters.space_amplification >= 1.0);
    assert!(meters.live_bytes_estimate > 0);
    assert!(meters.stored_sst_bytes >= meters.live_bytes_estimate);
}

#[test]
fn without_compaction_its_cost_is_zero() {
    let harness = Harness::with_store(2, SimStoreConfig::s3_standard());
    let db = harness.open("db", small_options());
    let d = db.clone();
    harness.run(async move {
        for i in 0..1_000u64 {
            d.put(key(i % 100), value(i, i), WriteOptions::NO_AWAIT)
                .await
                .unwrap();
        }
        d.flush_memtables().await.unwrap();
    });
    harness.advance(SimDuration::from_secs(60));
    let meters = db.amplification();
    assert_eq!(meters.compaction_usd_per_hour, 0.0);
    assert!(meters.cost_usd_per_hour_by_cause[&Cause::Wal] > 0.0);
    assert!(meters.l0_ssts > 1);
}
