//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `serve [--port N] [--skip-build]`: build the playground and serve `dist/` on 127.0.0.1.
//! - `dist [--no-wasm-opt]`: build the playground into `dist/` only (wasm-opt on by default);
//!   fails when the wasm is over its gzip budget (`dist::WASM_GZIP_BUDGET_BYTES`).
//! - `test [--skip-browser] [--skip-e2e] [--skip-s3]`: every test: native (with doctests, and
//!   the S3 tests against moto on 127.0.0.1), every fuzz target for a fixed budget, the
//!   whole-system simulator over a fixed range of seeds, wasm32 in node, wasm32 in headless
//!   Chromium, then the Playwright end-to-end tests (after `dist`, so over the wasm's budget
//!   they do not run).
//! - `wasm-test -p CRATE [--browser]`: one crate's wasm32 tests.
//! - `bench [all|sim|objstore|engine|recommender|lab|web]`: benchmarks, figures printed.
//! - `fuzz [--seconds N | --executions N] [--target NAME] [--seed S] [--replay I] [--list]`:
//!   every decoder of outside bytes under a seeded mutation loop (crates/fuzz), executions
//!   per second printed; a finding prints its input and seed and fails.
//! - `dst [--seeds N] [--seed S] [--minutes M]`: the whole-system simulator (see `dst.rs`).
//! - `asserts`: non-test lines and assertions per crate; fails if the engine has more than
//!   150 lines per assertion (see `asserts.rs`).
//! - `wasm-bindgen-test-runner ARGS`: the wasm test runner cargo calls (see `wasm.rs`).
//! - `wasm-bindgen ARGS`: the wasm-bindgen CLI, in-process.
//! - `wasm-pack-shims [DIR]`: writes `wasm-bindgen` and `wasm-bindgen-test-runner` scripts that
//!   call this xtask, for wasm-pack users who would rather not `cargo install` the CLI.
//!
//! The xtask is the only build tool a fresh machine needs: it generates the JS bindings and runs
//! wasm tests in-process through the wasm-bindgen libraries, so nothing is `cargo install`ed.

mod asserts;
mod bench;
mod browser;
mod dist;
mod dst;
#[cfg(test)]
mod file_lengths;
mod fuzz;
mod imports;
#[cfg(test)]
mod json_readers;
mod moto;
mod npm;
mod serve;
mod test;
mod toolchain;
mod wasm;
mod yew_patch;

use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <serve [--port N] [--skip-build] | dist [--no-wasm-opt] | test [--skip-browser] [--skip-e2e] [--skip-s3] | wasm-test -p CRATE [--browser] | bench [WHAT] | fuzz [--seconds N | --executions N] [--target NAME] [--seed S] [--replay I] [--list] | dst [--seeds N] [--seed S] [--minutes M] | asserts>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line that names the problem and its fix; no stack trace.
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some(task) = args.first() else {
        anyhow::bail!("{USAGE}");
    };
    let rest = &args[1..];
    match task.as_str() {
        "serve" => serve::run(rest),
        "dist" => dist::run(rest).map(|_| ()),
        "test" => test::run(rest),
        "wasm-test" => test::run_wasm_test(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "dst" => dst::run(rest),
        "asserts" => asserts::run(rest),
        "wasm-bindgen-test-runner" => wasm::run_test_runner(rest),
        "wasm-bindgen" => wasm::run_bindgen_cli(rest),
        "wasm-pack-shims" => wasm::write_shims(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => anyhow::bail!("unknown task `{other}`; {USAGE}"),
    }
}

/// The workspace root (the parent of crates/xtask).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Reads `--flag value` from an argument list.
pub fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

pub fn has_flag(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| a == flag)
}
