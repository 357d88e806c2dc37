//! Hedged GETs. A read GET that has not answered by the hedge delay (fixed,
//! or a percentile of recent GETs) is sent again; the first answer wins, and the extra GET
//! is traced (`Hedged`) and metered.

use crate::{key, small_options, value, Harness};
use strata_engine::bench::hedging_figures;
use strata_engine::{DbOptions, ErrorKind, HedgeOptions, ReadOptions, WriteOptions};
use strata_objstore::SimStoreConfig;
use strata_sim::{Cause, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn slow_read_gets_are_hedged_and_every_hedge_is_counted() {
    let harness = Harness::with_store(1, SimStoreConfig::s3_standard());
    let options = DbOptions {
        block_cache_bytes: 0,
        hedge: HedgeOptions::Delay {
            delay: SimDuration::from_millis(40),
        },
        ..small_options()
    };
    let db = harness.open("db", options);
    let d = db.clone();
    harness.run(async move {
        for i in 0..300 {
            d.put(key(i), value(i, 0), WriteOptions::NO_AWAIT)
                .await
                .unwrap();
        }
        d.flush_memtables().await.unwrap();
        for round in 0..3 {
            for i in 0..300 {
                let got = d.get(key(i), ReadOptions::MEMORY).await.unwrap();
                assert_eq!(got.map(|b| b.to_vec()), Some(value(i, 0)), "{round}");
            }
        }
    });
    let meters = db.store_meters().cause(Cause::Read);
    let hedged_events = harness.count_events("hedged") as u64;
    assert!(hedged_events > 0);
    assert_eq!(meters.hedges, hedged_events);
    assert_eq!(db.amplification().hedges, hedged_events);
    // Both GETs of a hedge reach the store and are billed.
    assert_eq!(
        harness.count_requests(StoreOp::Get, Cause::Read) as u64,
        meters.gets
    );
    // Only reads are hedged.
    assert_eq!(db.store_meters().cause(Cause::Flush).hedges, 0);
}

#[test]
fn hedging_at_a_percentile_shortens_the_tail() {
    let figures = hedging_figures(11, 1_500);
    assert!(figures.hedges > 0, "{figures:?}");
    assert!(
        figures.p99_ms_hedged < figures.p99_ms_unhedged,
        "{figures:?}"
    );
    assert!(figures.extra_get_cost_usd > 0.0);
}

#[test]
fn a_hedge_percentile_outside_0_to_100_is_rejected() {
    for percentile in [0.0, -5.0, 100.0, 150.0, f64::NAN] {
        let options = DbOptions {
            hedge: HedgeOptions::Percentile {
                percentile,
                min_samples: 10,
            },
            ..DbOptions::default()
        };
        let error = options.validate().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert!(error.to_string().contains("percentile"), "{error}");
    }
}
