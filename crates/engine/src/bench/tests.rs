//! Tests of the engine benchmarks: each figure is computed, finite, and moves the way the
//! setting it varies says it should.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn workloads_run_and_depend_on_their_inputs() {
    assert_ne!(
        puts_no_await(1, 500, 16, 100),
        puts_no_await(1, 600, 16, 100)
    );
    assert_ne!(puts_durable(1, 300, 16, 100), 0);
    let loaded = LoadedDb::load(1, 2_000, 16, 100);
    assert_eq!(
        loaded.random_gets(100, true),
        loaded.random_gets(100, false)
    );
    assert!(loaded.scan_all() >= 2_000);
    assert!(gets_random(2, 500, 50, false) > 0);
    assert!(scan_keys(2, 500) >= 500);
}

#[test]
fn range_tombstones_hide_keys_from_scans_and_compaction_reclaims_them() {
    let none = range_scan_figures(1, 0, 20, false);
    let many = range_scan_figures(1, 1_000, 20, false);
    let compacted = range_scan_figures(1, 1_000, 20, true);
    assert!(none.keys_per_scan > many.keys_per_scan, "{none:?} {many:?}");
    assert_eq!(many.keys_per_scan, compacted.keys_per_scan);
    assert!(
        compacted.blocks_per_scan < many.blocks_per_scan,
        "{compacted:?} {many:?}"
    );
}

#[test]
fn expiry_stops_the_bucket_growing() {
    let style = CompactionStyle::size_tiered();
    let with_ttl = ttl_space_figures(style.clone(), 2, 120, Some(20), 30);
    let without = ttl_space_figures(style, 2, 120, None, 30);
    let (last_ttl, last_plain) = (with_ttl.last().unwrap(), without.last().unwrap());
    assert!(last_ttl.expired_entries_dropped > 0, "{with_ttl:?}");
    assert!(
        last_ttl.sst_bytes < last_plain.sst_bytes,
        "{with_ttl:?} {without:?}"
    );
    assert_eq!(last_plain.expired_entries_dropped, 0);
}

#[test]
fn leveled_writes_more_and_stores_less_than_tiered() {
    let [tiered, leveled] = tiered_vs_leveled(3, 20_000);
    eprintln!("{tiered:?}\n{leveled:?}");
    assert!(tiered.compactions > 0 && leveled.compactions > 0);
    assert!(
        leveled.compaction_write_amplification > tiered.compaction_write_amplification,
        "{tiered:?} {leveled:?}"
    );
    assert!(
        leveled.space_amplification < tiered.space_amplification,
        "{tiered:?} {leveled:?}"
    );
    assert!(leveled.space_amplification >= 1.0 && tiered.space_amplification >= 1.0);
    assert!(leveled.compaction_usd_per_hour > 0.0);
    assert!(leveled.total_usd_per_hour > leveled.compaction_usd_per_hour);
}

#[test]
fn merging_returns_the_input_bytes() {
    let inputs = MergeInputs::build(1, 4, 500);
    let merged = inputs.merge();
    assert!(merged > 4 * 300 * 100, "{merged}");
    assert_eq!(merged, MergeInputs::build(1, 4, 500).merge());
}

#[test]
fn hedging_cuts_the_tail_for_a_few_extra_gets() {
    let figures = hedging_figures(5, 2_000);
    eprintln!("{figures:?}");
    assert!(figures.hedges > 0, "{figures:?}");
    assert!(
        figures.p99_ms_hedged < figures.p99_ms_unhedged,
        "{figures:?}"
    );
    assert_eq!(
        figures.gets_hedged - figures.hedges,
        figures.gets_unhedged,
        "every extra GET is a hedge: {figures:?}"
    );
    // Hedging at p90 sends at most about 10% more GETs.
    assert!(
        figures.hedges * 100 <= figures.gets_unhedged * 15,
        "{figures:?}"
    );
}

#[test]
fn put_cost_follows_the_flush_interval() {
    // 1,000 writes a second with a 100 ms interval: about 10 WAL PUTs a second.
    let per_1000 = puts_per_1000_writes(1_000, 100, 2);
    assert!((8.0..=13.0).contains(&per_1000), "{per_1000}");
    // A 10 ms interval costs about ten times as much.
    let frequent = puts_per_1000_writes(1_000, 10, 2);
    assert!(frequent > 5.0 * per_1000, "{frequent} vs {per_1000}");
}
