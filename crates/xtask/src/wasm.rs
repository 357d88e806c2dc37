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

/// Runs the wasm-bindgen CLI with `args` (as if it were the `wasm-bindgen` binary).
pub fn run_bindgen_cli(args: &[String]) -> Result<()> {
    let mut full = vec!["wasm-bindgen".to_string()];
    full.extend(args.iter().cloned());
    wasm_bindgen_cli::wasm_bindgen::run_cli_with_args(full)
}

/// Writes `wasm-bindgen` and `wasm-bindgen-test-runner` shell scripts into DIR (default
/// `target/wasm-bindgen-shims`) that run this xtask's copies; put DIR first on PATH and
/// wasm-pack uses them instead of downloading or compiling its own.
pub fn write_shims(args: &[String]) -> Result<()> {
    let dir = args
        .first()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::dist::target_dir().join("wasm-bindgen-shims"));
    std::fs::create_dir_all(&dir)?;
    let exe = std::env::current_exe().context("locating the xtask executable")?;
    for name in ["wasm-bindgen", "wasm-bindgen-test-runner"] {
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!("#!/bin/sh\nexec '{}' {name} \"$@\"\n", exe.display()),
        )?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    println!("export PATH=\"{}:$PATH\"", dir.display());
    Ok(())
}
