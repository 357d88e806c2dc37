//! Scenarios set the engine's compaction, backpressure, retries, hedging and read replica, the summary reports their figures, and bad values fail with a message.
#![allow(clippy::unwrap_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use strata_lab::scenario::{
    BackpressureKind, BackpressureSpec, CompactionKind, CompactionSpec, OpMix, StorePreset,
};
use strata_lab::Scenario;

fn scenario() -> Scenario {
    let mut s = Scenario {
        name: "engine-mechanisms".to_string(),
        duration_ms: 4_000,
        ..Scenario::default()
    };
    s.store.preset = StorePreset::S3Standard;
    s.workload.rate_ops_per_sec = 800.0;
    s.workload.key_count = 500;
    s.workload.mix = OpMix {
        read: 0.3,
        write: 0.6,
        delete: 0.1,
        scan: 0.0,
        batch: 0.0,
        delete_range: 0.0,
    };
    s.workload.await_durable = false;
    s.engine.memtable_bytes = Some(8 * 1024);
    s.engine.compaction = Some(CompactionSpec {
        style: CompactionKind::Leveled,
        l0_trigger: Some(2),
        min_merge_runs: None,
        max_runs: None,
        size_ratio: None,
        level_base_bytes: Some(32 * 1024),
        level_ratio: Some(4.0),
        max_levels: Some(4),
        target_sst_bytes: Some(16 * 1024),
    });
    s.engine.backpressure = Some(BackpressureSpec {
        mode: Some(BackpressureKind::Stall),
        max_l0_ssts: Some(6),
        max_unflushed_bytes: None,
    });
    s.engine.hedge_percentile = Some(90.0);
    s.engine.retry_base_delay_ms = Some(10.0);
    s.engine.retry_max_delay_ms = Some(500.0);
    s.engine.reader_poll_interval_ms = Some(250.0);
    s
}

#[test]
fn the_summary_reports_amplification_stalls_retries_hedges_and_reader_staleness() {
    let summary = strata_lab::run_scenario(&scenario()).unwrap();
    assert!(summary.finished);
    assert_eq!(summary.writes.lost_durable, 0);
    let engine = summary.engine.clone().expect("a writer is up at the end");
    assert!(engine.compactions > 0, "{engine:?}");
    assert!(engine.write_amplification > 1.0, "{engine:?}");
    assert!(engine.compaction_usd_per_hour > 0.0);
    assert!(engine.gets_per_get > 0.0);
    let reader = summary.reader.clone().expect("the scenario runs a reader");
    assert!(reader.staleness.polls > 5, "{reader:?}");
    assert!(reader.staleness.poll_cost_picousd > 0);
    let json = serde_json::to_value(&summary).unwrap();
    for field in [
        "write_amplification",
        "space_amplification",
        "write_stall_ms",
        "retries",
        "hedges",
    ] {
        assert!(
            json["engine"].get(field).is_some(),
            "engine.{field} in {json}"
        );
    }
    assert!(json["reader"].get("lag").is_some());
    assert!(json["reader"].get("seq_lag").is_some());
}

/// A change to a valid scenario, and the field its error message must name.
type BadCase = (Box<dyn Fn(&mut Scenario)>, &'static str);

#[test]
fn bad_engine_values_fail_with_a_clear_message() {
    let cases: Vec<BadCase> = vec![
        (
            Box::new(|s| s.engine.compaction.as_mut().unwrap().level_ratio = Some(1.5)),
            "level_ratio",
        ),
        (
            Box::new(|s| s.engine.compaction.as_mut().unwrap().level_base_bytes = Some(0)),
            "level_base_bytes",
        ),
        (
            Box::new(|s| s.engine.retry_base_delay_ms = Some(-1.0)),
            "retry_base_delay_ms",
        ),
        (
            Box::new(|s| s.engine.hedge_percentile = Some(100.0)),
            "hedge_percentile",
        ),
        (
            Box::new(|s| s.engine.hedge_percentile = Some(0.0)),
            "hedge_percentile",
        ),
    ];
    for (change, field) in cases {
        let mut s = scenario();
        change(&mut s);
        let message = s.validate().unwrap_err().to_string();
        assert!(message.contains(field), "{field}: {message}");
    }
    // A style or mode the engine does not have cannot be written into a scenario at all: the
    // document is refused as it is read, with the names it allows.
    let mut document = serde_json::to_value(scenario()).unwrap();
    document["engine"]["compaction"]["style"] = "lsm".into();
    let message = Scenario::from_json(&document.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("unknown variant `lsm`, expected one of `none`, `leveled`, `size_tiered`"),
        "{message}"
    );
    // Inverted retry bounds pass the scenario's own checks and are caught by the engine's.
    let mut s = scenario();
    s.engine.retry_base_delay_ms = Some(500.0);
    s.engine.retry_max_delay_ms = Some(10.0);
    let message = strata_lab::run_scenario(&s).unwrap_err().to_string();
    assert!(message.contains("inverted"), "{message}");
}

/// A run whose unflushed-bytes limit is below the memtable's size used to stall every write
/// for good (the memtable never filled, so nothing ever flushed). It is refused up front now.
#[test]
fn an_unflushed_limit_below_the_memtable_is_refused_not_a_silent_stall() {
    let scenario = Scenario::from_json(
        r#"{"version": 1, "seed": 1, "duration_ms": 1000,
            "engine": {"backpressure": {"mode": "stall", "max_unflushed_bytes": 262144}}}"#,
    );
    let message = scenario.unwrap_err().to_string();
    assert!(
        message.contains("engine") && message.contains("must exceed memtable_bytes"),
        "{message}"
    );
}
