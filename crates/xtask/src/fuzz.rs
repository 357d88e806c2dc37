//! `cargo xtask fuzz [--seconds N | --executions N] [--target NAME] [--seed S]`: builds the
//! fuzz runner (crates/fuzz) in release and runs every target, or one, for N wall seconds
//! each (10 by default) or exactly N executions each, printing executions and executions per
//! second per target. On a finding the runner prints the input in hex with the seed and
//! iteration that reproduce it, and this task fails. `--replay I` (with `--target` and
//! `--seed`) runs that one execution again; `--list` names the targets.
//!
//! `cargo xtask test` runs the same targets for a fixed number of executions instead (see
//! [`run_budget`]), which is deterministic.

use crate::toolchain::{cargo, run_checked};
use anyhow::{bail, Result};
use std::process::Command;

/// The flags passed through to the runner, each with a value.
const VALUE_FLAGS: &[&str] = &[
    "--seconds",
    "--executions",
    "--target",
    "--seed",
    "--first",
    "--replay",
];

/// Executions per target in `cargo xtask test`: enough to reach every mutation strategy many
/// times over, small enough that all targets take a few seconds in a debug build.
pub const TEST_BUDGET_EXECUTIONS: u64 = 3_000;

pub fn run(args: &[String]) -> Result<()> {
    let mut passed = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if VALUE_FLAGS.contains(&arg.as_str()) {
            let Some(value) = iter.next() else {
                bail!("{arg} needs a value");
            };
            passed.extend([arg.clone(), value.clone()]);
        } else if arg == "--list" {
            passed.push(arg.clone());
        } else {
            bail!("unknown argument `{arg}` for fuzz; {}", crate::USAGE);
        }
    }
    eprintln!("xtask: building the fuzz runner (release)");
    run_checked(
        cargo().args(["build", "--release", "-q", "-p", "strata-fuzz"]),
        "building strata-fuzz",
    )?;
    let exe = crate::dist::target_dir()
        .join("release")
        .join("strata-fuzz");
    run_checked(Command::new(exe).args(&passed), "fuzzing")
}

/// Every target for [`TEST_BUDGET_EXECUTIONS`] executions from seed 1, in a debug build
/// (which the native test stage has just made).
pub fn run_budget() -> Result<()> {
    run_checked(
        cargo().args([
            "run",
            "-q",
            "-p",
            "strata-fuzz",
            "--",
            "--executions",
            &TEST_BUDGET_EXECUTIONS.to_string(),
        ]),
        "fuzz targets (fixed budget)",
    )
}
