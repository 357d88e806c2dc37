//! Pure workload functions for the benchmark harness, which times them natively and in wasm32.
//! Nothing here reads a clock: each function runs a seeded simulation and returns a checksum
//! of what it observed, so the work cannot be optimised away and two runs can be compared.

use crate::port::{ObjectStore, PutMode};
use crate::sim::{SimStore, SimStoreConfig};
use bytes::Bytes;
use strata_sim::{Cause, Sim, SimRng};

/// Keys the workload spreads over (a bounded key space, so LISTs stay short).
const KEY_SPACE: u64 = 1_000;
/// Concurrent clients; requests are split evenly between them.
const WORKERS: u64 = 4;

async fn client(store: SimStore, mut rng: SimRng, worker: u64, requests: u64) -> u64 {
    let payload = Bytes::from(vec![worker as u8; 1024]);
    let mut checksum = 0u64;
    for _ in 0..requests {
        let key = format!("bench/{:04}", rng.below(KEY_SPACE));
        let dice = rng.below(100);
        let observed = if dice < 40 {
            store
                .put(Cause::Other, &key, payload.clone(), PutMode::Overwrite)
                .await
                .map_or(1, |put| put.etag.0.len() as u64)
        } else if dice < 80 {
            let range = if dice < 60 { Some(0..512) } else { None };
            store
                .get(Cause::Read, &key, range)
                .await
                .map_or(2, |got| got.bytes.len() as u64)
        } else if dice < 90 {
            store
                .head(Cause::Read, &key)
                .await
                .map_or(3, |meta| meta.size_bytes)
        } else {
            let prefix = &key[..key.len() - 1];
            store
                .list(Cause::ReaderPoll, prefix, None, 10)
                .await
                .map_or(4, |page| page.objects.len() as u64)
        };
        checksum = checksum.wrapping_mul(31).wrapping_add(observed);
    }
    checksum
}

fn run_mixed(seed: u64, requests: u64, config: SimStoreConfig) -> u64 {
    let sim = Sim::new(seed);
    let handle = sim.handle();
    let store = SimStore::new(handle.clone(), config);
    let mut joins = Vec::new();
    for worker in 0..WORKERS {
        let share = requests / WORKERS + u64::from(worker < requests % WORKERS);
        let rng = handle.rng(&format!("bench.worker.{worker}"));
        joins.push(handle.spawn(client(store.clone(), rng, worker, share)));
    }
    let combined = sim.block_on(async move {
        let mut checksum = 0u64;
        for join in joins {
            checksum = checksum.rotate_left(7) ^ join.await.unwrap_or(0);
        }
        checksum
    });
    let trace_hash = sim.trace().hash();
    combined.unwrap_or(0) ^ trace_hash ^ store.stats().requests
}

/// `requests` mixed requests (40% PUT of 1 KiB, 40% GET whole or ranged, 10% HEAD, 10% LIST)
/// from 4 concurrent clients over 1,000 keys, on the instant preset: the store's own cost
/// per request (planning, task, trace, statistics) with no simulated waiting.
pub fn instant_store_mixed_requests(seed: u64, requests: u64) -> u64 {
    run_mixed(seed, requests, SimStoreConfig::instant())
}

/// The same workload on the S3 Standard preset: adds latency draws, timers and throttling
/// checks to every request.
pub fn s3_standard_store_mixed_requests(seed: u64, requests: u64) -> u64 {
    run_mixed(seed, requests, SimStoreConfig::s3_standard())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_bench_workloads_are_deterministic_and_do_the_work() {
        let first = instant_store_mixed_requests(5, 2_000);
        assert_eq!(first, instant_store_mixed_requests(5, 2_000));
        assert_ne!(first, instant_store_mixed_requests(6, 2_000));
        let timed = s3_standard_store_mixed_requests(5, 400);
        assert_eq!(timed, s3_standard_store_mixed_requests(5, 400));
    }

    #[test]
    fn every_request_of_the_workload_reaches_the_store() {
        let sim = Sim::new(1);
        let handle = sim.handle();
        let store = SimStore::new(handle.clone(), SimStoreConfig::instant());
        let rng = handle.rng("bench.worker.0");
        sim.block_on(client(store.clone(), rng, 0, 300))
            .expect("finishes");
        assert_eq!(store.stats().requests, 300);
        assert!(store.object_count() > 50);
    }
}
