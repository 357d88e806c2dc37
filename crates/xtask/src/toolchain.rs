//! Making sure the Rust side of the build can run: the wasm32 target, and cargo invocations
//! that inherit the pinned toolchain.
//!
//! This machine sets `RUSTUP_AUTO_INSTALL=0`, under which rustup silently skips the targets
//! listed in rust-toolchain.toml; so the xtask checks for the target and installs it itself.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Installs the wasm32 target when the active toolchain lacks it.
pub fn ensure_wasm_target() -> Result<()> {
    if wasm_target_installed()? {
        return Ok(());
    }
    eprintln!("xtask: installing the {WASM_TARGET} target (missing from the pinned toolchain)");
    let status = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .current_dir(crate::workspace_root())
        .status()
        .context("could not run rustup; install the target with `rustup target add wasm32-unknown-unknown`")?;
    if !status.success() || !wasm_target_installed()? {
        bail!("the {WASM_TARGET} target is missing and could not be installed; run `rustup target add {WASM_TARGET}` in the repository");
    }
    Ok(())
}

fn wasm_target_installed() -> Result<bool> {
    let output = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .current_dir(crate::workspace_root())
        .output()
        .context("could not run rustc")?;
    if !output.status.success() {
        return Ok(false);
    }
    let dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Ok(Path::new(&dir).is_dir()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false))
}

/// Installs the standard library's source (rustup's `rust-src` component) when the active
/// toolchain lacks it: the playground's release build compiles `std` itself
/// ([`crate::dist::BUILD_STD`]). rust-toolchain.toml lists the component, but rustup skips it
/// under `RUSTUP_AUTO_INSTALL=0` unless asked.
pub fn ensure_rust_src() -> Result<()> {
    if rust_src_installed()? {
        return Ok(());
    }
    eprintln!("xtask: installing the rust-src component (missing from the pinned toolchain)");
    let status = Command::new("rustup")
        .args(["component", "add", "rust-src"])
        .current_dir(crate::workspace_root())
        .status()
        .context(
            "could not run rustup; install the component with `rustup component add rust-src`",
        )?;
    if !status.success() || !rust_src_installed()? {
        bail!("the rust-src component is missing and could not be installed; run `rustup component add rust-src` in the repository");
    }
    Ok(())
}

fn rust_src_installed() -> Result<bool> {
    let output = Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(crate::workspace_root())
        .output()
        .context("could not run rustc")?;
    if !output.status.success() {
        return Ok(false);
    }
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Ok(Path::new(&sysroot)
        .join("lib/rustlib/src/rust/library/std/Cargo.toml")
        .is_file())
}

/// A `cargo` command in the workspace root.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(crate::workspace_root());
    command
}

/// Runs a command, failing with its description when it fails.
pub fn run_checked(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("could not start {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}
