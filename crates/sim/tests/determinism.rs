//! Determinism: one seed gives one trace hash, on every target. The golden value below is
//! checked natively and in wasm32 (node and Chromium), so a change that makes the two
//! targets diverge fails here.

use strata_sim::demo::{run_demo, DemoWorkload};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// The trace hash of the default demo workload with seed 42. If a deliberate change to the
/// kernel or the demo moves it, update it here, in one commit that says why.
const GOLDEN_HASH_SEED_42: &str = "4b00990b791238d8";

#[test]
fn the_same_seed_gives_the_same_trace_hash_twice() {
    let first = run_demo(7, DemoWorkload::default());
    let second = run_demo(7, DemoWorkload::default());
    assert_eq!(first, second);
    let other = run_demo(8, DemoWorkload::default());
    assert_ne!(
        first.0, other.0,
        "a different seed should give a different run"
    );
}

#[test]
fn the_golden_hash_matches_on_this_target() {
    let (hash, events) = run_demo(42, DemoWorkload::default());
    assert!(
        events > 1000,
        "the demo should process many events, got {events}"
    );
    assert_eq!(format!("{hash:016x}"), GOLDEN_HASH_SEED_42);
}
