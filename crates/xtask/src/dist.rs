//! `cargo xtask dist`: builds the playground (release wasm, JS glue, static files) into a
//! self-contained `dist/` that needs no CDN and no network.

use crate::toolchain::{cargo, ensure_wasm_target, run_checked, WASM_TARGET};
use crate::workspace_root;
use anyhow::{Context, Result};
use std::path::PathBuf;

/// The cargo profile the playground ships with (size-optimised release; see Cargo.toml).
pub const WEB_PROFILE: &str = "web-release";

/// Builds `dist/` and returns its path.
pub fn run(_args: &[String]) -> Result<PathBuf> {
    ensure_wasm_target()?;
    let root = workspace_root();
    eprintln!("xtask: building the playground (wasm32, profile {WEB_PROFILE})");
    run_checked(
        cargo().args([
            "build",
            "-p",
            "strata-web",
            "--lib",
            "--target",
            WASM_TARGET,
            "--profile",
            WEB_PROFILE,
        ]),
        "cargo build of the playground",
    )?;
    let wasm = target_dir()
        .join(WASM_TARGET)
        .join(WEB_PROFILE)
        .join("strata_web.wasm");
    let dist = root.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).with_context(|| format!("clearing {}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist)?;
    crate::wasm::generate_bindings(&wasm, &dist)?;
    let static_dir = root.join("web").join("static");
    for entry in std::fs::read_dir(&static_dir)
        .with_context(|| format!("reading {}", static_dir.display()))?
    {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), dist.join(entry.file_name()))?;
        }
    }
    let wasm_out = dist.join("strata_web_bg.wasm");
    let raw = std::fs::read(&wasm_out)?;
    let gzipped = gzip_len(&raw)?;
    eprintln!(
        "xtask: dist ready at {} (wasm {} bytes raw, {} bytes gzip -9)",
        dist.display(),
        raw.len(),
        gzipped
    );
    Ok(dist)
}

/// Cargo's target directory (honours CARGO_TARGET_DIR).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace_root().join(p)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The size of `bytes` after gzip at maximum compression, as a web server would send it.
pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}
