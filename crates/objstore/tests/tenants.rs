//! Tenants on one bucket: the simulated store meters requests, outcomes (throttling among
//! them), bytes, dollars and latency per key prefix, and throttles each prefix on its own, as
//! S3 does (3,500 PUT/s and 5,500 GET/s per prefix). A hot tenant is throttled while a quiet
//! one beside it is not; spreading the hot tenant over several prefixes lifts its throttling.

use bytes::Bytes;
use strata_objstore::sim::LatencyDist;
use strata_objstore::{ObjectStore, PutMode, SimStore, SimStoreConfig, StoreError};
use strata_sim::{Cause, RequestOutcome, Sim};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// S3 Standard's throttling and prices with a fixed 5 ms latency, tenants named by the first
/// `prefix_segments` segments of a key.
fn config(prefix_segments: u32) -> SimStoreConfig {
    let mut config = SimStoreConfig::s3_standard();
    let dist = LatencyDist::new(5.0, 5.0);
    config.latency.put = dist;
    config.latency.get = dist;
    config.latency.bandwidth_bytes_per_sec = 0;
    config.prefix_segments = prefix_segments;
    config
}

/// Sends every PUT at one instant; returns how many were throttled.
fn burst(prefix_segments: u32, keys: Vec<String>) -> (SimStore, usize) {
    let sim = Sim::new(3);
    let store = SimStore::new(sim.handle(), config(prefix_segments));
    let client = store.clone();
    let throttled = sim
        .block_on(async move {
            let futures: Vec<_> = keys
                .iter()
                .map(|key| {
                    client.put(
                        Cause::Wal,
                        key,
                        Bytes::from_static(b"x"),
                        PutMode::Overwrite,
                    )
                })
                .collect();
            let mut throttled = 0;
            for future in futures {
                match future.await {
                    Ok(_) => {}
                    Err(StoreError::Throttled { .. }) => throttled += 1,
                    Err(error) => panic!("{error}"),
                }
            }
            throttled
        })
        .expect("finishes");
    (store, throttled)
}

#[test]
fn a_hot_tenant_is_throttled_and_metered_apart_from_a_quiet_one() {
    let mut keys: Vec<String> = (0..4000).map(|i| format!("hot/wal/{i}")).collect();
    keys.extend((0..100).map(|i| format!("quiet/wal/{i}")));
    let (store, throttled) = burst(1, keys);
    assert_eq!(throttled, 500, "4,000 PUTs at once against 3,500 a second");
    let stats = store.stats();
    let hot = &stats.by_prefix[&"hot".to_string()];
    let quiet = &stats.by_prefix[&"quiet".to_string()];
    assert_eq!(hot.requests, 4000);
    assert_eq!(hot.by_outcome[&RequestOutcome::Throttled], 500);
    assert_eq!(hot.by_outcome[&RequestOutcome::Ok], 3500);
    assert_eq!(quiet.requests, 100);
    assert_eq!(quiet.by_outcome.get(&RequestOutcome::Throttled), None);
    assert_eq!(quiet.bytes, 100);
    // Throttled requests are not billed: the hot tenant pays for 3,500 PUTs.
    let put_picousd = quiet.cost_picousd / 100;
    assert!(put_picousd > 0);
    assert_eq!(hot.cost_picousd, 3500 * put_picousd);
    assert_eq!(stats.cost.by_prefix[&"hot".to_string()], hot.cost_picousd);
    assert!(
        (quiet.latency.p99_ms - 5.0).abs() < 0.1,
        "{:?}",
        quiet.latency
    );
    assert_eq!(stats.by_prefix.len(), 2);
}

#[test]
fn spreading_a_hot_tenant_over_four_prefixes_lifts_its_throttling() {
    // The same 4,000 PUTs, spread over hot/0 … hot/3: each prefix takes 1,000, under its limit.
    let keys: Vec<String> = (0..4000).map(|i| format!("hot/{}/{i}", i % 4)).collect();
    let (store, throttled) = burst(2, keys);
    assert_eq!(throttled, 0);
    let stats = store.stats();
    for shard in 0..4 {
        let meter = &stats.by_prefix[&format!("hot/{shard}")];
        assert_eq!(meter.requests, 1000);
        assert_eq!(meter.by_outcome.get(&RequestOutcome::Throttled), None);
    }
}

#[test]
fn the_per_tenant_meter_is_bounded() {
    let keys: Vec<String> = (0..200).map(|i| format!("tenant-{i}/wal/0")).collect();
    let (store, _) = burst(1, keys);
    let stats = store.stats();
    assert_eq!(
        stats.by_prefix.len(),
        strata_objstore::sim::stats::MAX_METERED_PREFIXES + 1
    );
    let overflow = &stats.by_prefix[&"(other)".to_string()];
    assert_eq!(
        overflow.requests,
        200 - strata_objstore::sim::stats::MAX_METERED_PREFIXES as u64
    );
}
