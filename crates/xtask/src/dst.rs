//! `cargo xtask dst [--seeds N] [--first-seed F] [--seed S] [--minutes M] [--threads T]`:
//! the whole-system deterministic simulator (crates/dst), built in release and run over many
//! seeds on every core. The xtask depends on no crate of ours, so it runs the simulator's
//! binary through cargo, as `bench` does.
//!
//! - `--seeds N`: seeds F..F+N (default 100).
//! - `--seed S`: replay one seed, print its schedule and outcome, shrink it if it fails.
//! - `--minutes M`: a wall-clock budget. No seed starts after M minutes; seeds already running
//!   finish, so the run ends at most one seed's time after the budget. The summary says how
//!   many seeds ran.
//!
//! Exits non-zero when a seed fails, after printing its replay command and shrunk schedule.

use crate::toolchain::{cargo, run_checked};
use anyhow::Result;

/// Seeds the test stage runs (about a minute on two cores, after the release build).
pub const CI_SEEDS: &str = "200";

pub fn run(args: &[String]) -> Result<()> {
    eprintln!("xtask: building and running the simulator (release)");
    run_checked(
        cargo()
            .args(["run", "--release", "-q", "-p", "strata-dst", "--"])
            .args(args),
        "the simulator (a failing seed prints its replay command)",
    )
}
