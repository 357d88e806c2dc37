//! The wasm-bindgen pieces, used as libraries: JS glue generation for the playground, and the
//! wasm test runner.
//!
//! Cargo runs wasm32 test binaries through `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER`, which
//! `test.rs` points at this executable's `wasm-bindgen-test-runner` task. The library versions
//! are pinned to the `wasm-bindgen` in Cargo.lock; the three move together.

use anyhow::{Context, Result};
use std::path::Path;

/// Runs the wasm-bindgen test runner with cargo's arguments (the test binary, then filters).
pub fn run_test_runner(args: &[String]) -> Result<()> {
    let mut full = vec!["wasm-bindgen-test-runner".to_string()];
    full.extend(args.iter().cloned());
    wasm_bindgen_cli::wasm_bindgen_test_runner::run_cli_with_args(full)
}

/// Generates the `web` target JS glue for `wasm` into `out_dir`.
pub fn generate_bindings(wasm: &Path, out_dir: &Path) -> Result<()> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(wasm)
        .web(true)
        .context("selecting the web target")?
        // The library defaults to omitting the module path, unlike the CLI; without it the
        // generated `init()` cannot find the .wasm file next to the JS.
        .omit_default_module_path(false)
        .typescript(false)
        .generate(out_dir)
        .with_context(|| format!("generating JS bindings for {}", wasm.display()))?;
    Ok(())
}
