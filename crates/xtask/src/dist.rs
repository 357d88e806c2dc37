//! `cargo xtask dist [--no-wasm-opt]`: builds the playground (release wasm, JS glue, static
//! files) into a self-contained `dist/` that needs no CDN and no network, then shrinks the wasm
//! with wasm-opt (npm `binaryen`, pinned in tests/e2e/package.json and installed on first use).

use crate::toolchain::{cargo, ensure_wasm_target, run_checked, WASM_TARGET};
use crate::workspace_root;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo profile the playground ships with (size-optimised release; see Cargo.toml).
pub const WEB_PROFILE: &str = "web-release";

/// wasm-opt's optimisation flags for the shipped wasm.
///
/// Measured on the playground (docs/ui.md, bundle section): every preset with binaryen's
/// inliner *grows* the gzip size (-Oz: 520 KB to 554 KB), because inlining copies bodies that
/// gzip had been compressing as repeats. Without it, -O3 gave the smallest gzip of -Os, -Oz
/// and -O3 (about 11 KB under the input).
const WASM_OPT_FLAGS: &[&str] = &["-O3", "--skip-pass=inlining-optimizing"];

/// The wasm features rustc 1.95 enables by default for wasm32-unknown-unknown, which the
/// binary therefore already uses; wasm-opt must be told, as `strip` removes the section that
/// would say so.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// Builds `dist/` and returns its path.
pub fn run(args: &[String]) -> Result<PathBuf> {
    let wasm_opt = !crate::has_flag(args, "--no-wasm-opt");
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
    if wasm_opt {
        let before = std::fs::read(&wasm_out)?;
        optimise(&wasm_out)?;
        eprintln!(
            "xtask: before wasm-opt: {} bytes raw, {} bytes gzip -9",
            before.len(),
            gzip_len(&before)?
        );
    }
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

/// Runs the pinned wasm-opt over `wasm` in place.
fn optimise(wasm: &Path) -> Result<()> {
    let exe = crate::npm::wasm_opt()?;
    let tmp = wasm.with_extension("opt.wasm");
    eprintln!("xtask: wasm-opt {}", WASM_OPT_FLAGS.join(" "));
    run_checked(
        Command::new(&exe)
            .args(WASM_OPT_FLAGS)
            .args(WASM_FEATURES)
            .arg(wasm)
            .arg("-o")
            .arg(&tmp),
        "wasm-opt (npm binaryen in tests/e2e)",
    )?;
    std::fs::rename(&tmp, wasm).with_context(|| format!("replacing {}", wasm.display()))?;
    Ok(())
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
