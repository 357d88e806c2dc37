//! Every target for a small fixed budget with the allocation guard installed, and the
//! determinism a replay depends on. `cargo xtask test` runs a larger budget through the
//! binary; this keeps `cargo test -p strata-fuzz` meaningful on its own.
//!
//! One test function: the guard's counters are process-wide, so executions must not overlap
//! with another test's allocations.

#![allow(clippy::unwrap_used)]

use strata_fuzz::alloc_guard::{self, GuardedAllocator};
use strata_fuzz::{input_for, run, TARGETS};

#[global_allocator]
static ALLOCATOR: GuardedAllocator = GuardedAllocator;

#[test]
fn every_target_holds_its_contract_for_a_fixed_budget_and_replays_exactly() {
    strata_fuzz::runner::silence_panics();
    for target in &TARGETS {
        let first = run(target, 7, 0, 400).unwrap_or_else(|finding| panic!("{finding}"));
        assert_eq!(first.executions, 400, "{}", target.name);
        assert!(
            first.resealed > 100,
            "{}: {} resealed",
            target.name,
            first.resealed
        );
        let again = run(target, 7, 0, 400).unwrap();
        assert_eq!(
            first, again,
            "{}: a run is a function of its seed",
            target.name
        );
        let seeds = (target.seeds)();
        assert_eq!(
            input_for(target, &seeds, 7, 123),
            input_for(target, &seeds, 7, 123),
            "{}",
            target.name
        );
    }
    assert!(alloc_guard::installed());
}
