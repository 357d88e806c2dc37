//! The npm packages the build and the end-to-end tests use, pinned in tests/e2e/package.json
//! and its lock file: `binaryen` (wasm-opt, for `dist`) and `playwright-core` (the Playwright
//! tests; it downloads no browser). Installed with `npm ci` on first use, so a fresh machine
//! needs only node and npm.

use crate::toolchain::run_checked;
use crate::workspace_root;
use anyhow::{bail, Result};
use std::path::PathBuf;
use std::process::Command;

/// The packages `npm ci` must have installed; a missing one triggers a (re)install.
const REQUIRED: &[&str] = &["binaryen", "playwright-core"];

/// tests/e2e, where package.json and node_modules live.
pub fn e2e_dir() -> PathBuf {
    workspace_root().join("tests").join("e2e")
}

/// Installs the pinned npm packages when any is missing; returns tests/e2e.
pub fn ensure_packages() -> Result<PathBuf> {
    let dir = e2e_dir();
    let modules = dir.join("node_modules");
    if REQUIRED.iter().all(|name| modules.join(name).is_dir()) {
        return Ok(dir);
    }
    if Command::new("npm").arg("--version").output().is_err() {
        bail!("npm is missing (it installs wasm-opt and Playwright, pinned in tests/e2e/package.json); install node and npm, e.g. `apt-get install -y nodejs npm`");
    }
    eprintln!("xtask: installing the pinned npm packages in tests/e2e (binaryen, playwright-core)");
    let lock = dir.join("package-lock.json").exists();
    run_checked(
        Command::new("npm")
            .args(if lock {
                vec!["ci", "--no-audit", "--no-fund"]
            } else {
                vec!["install", "--no-audit", "--no-fund"]
            })
            .current_dir(&dir),
        "npm ci in tests/e2e",
    )?;
    Ok(dir)
}

/// The pinned wasm-opt (npm `binaryen`; Debian's binaryen is too old for current Rust wasm).
pub fn wasm_opt() -> Result<PathBuf> {
    let exe = ensure_packages()?
        .join("node_modules")
        .join(".bin")
        .join("wasm-opt");
    if !exe.is_file() {
        bail!(
            "{} is missing after npm ci; delete tests/e2e/node_modules and retry",
            exe.display()
        );
    }
    Ok(exe)
}
