//! `cargo xtask test`: every test, in the order that fails fastest: native (with doctests,
//! and the S3 tests against moto's server on 127.0.0.1, see `moto.rs`), every fuzz target for a
//! fixed number of executions, the whole-system simulator over a fixed range of seeds
//! (release), wasm32 in node, wasm32 in headless Chromium, then Playwright end-to-end tests
//! against a fresh `dist/`.
//!
//! Doctests run on the host only: on wasm32, rustdoc reports them ok without running them.

use crate::browser::{ensure_browser, write_webdriver_json};
use crate::toolchain::{cargo, ensure_wasm_target, run_checked, WASM_TARGET};
use anyhow::{bail, Context, Result};
use std::process::Command;

/// The crates whose tests also run in wasm32 (every crate but the UI and the xtask).
pub const WASM_TEST_CRATES: &[&str] = &[
    "strata-sim",
    "strata-objstore",
    "strata-engine",
    "strata-recommender",
    "strata-lab",
];

pub fn run(args: &[String]) -> Result<()> {
    let skip_browser = crate::has_flag(args, "--skip-browser");
    let skip_e2e = crate::has_flag(args, "--skip-e2e") || skip_browser;
    // Without moto the S3 tests skip, each saying so.
    let skip_s3 = crate::has_flag(args, "--skip-s3");
    elapsed_secs();
    ensure_wasm_target()?;
    section("assertion density (the engine's floor)");
    crate::asserts::run(&[])?;

    section("native tests (with doctests), S3 tests against moto on 127.0.0.1");
    // moto installs (about a minute, the first time) while the native tests compile.
    let moto_install = (!skip_s3).then(|| std::thread::spawn(crate::moto::install));
    run_checked(native_tests().arg("--no-run"), "building the native tests")?;
    let mut native = native_tests();
    // Dropped after the native tests, or on the first error: either way moto stops.
    let moto = match moto_install {
        Some(install) => {
            let server = install
                .join()
                .map_err(|_| anyhow::anyhow!("installing moto panicked"))??;
            let moto = crate::moto::MotoServer::start(&server)?;
            moto.configure(&mut native);
            Some(moto)
        }
        None => None,
    };
    run_checked(&mut native, "native tests")?;
    drop(moto);

    section("fuzz targets, fixed budget");
    crate::fuzz::run_budget()?;
    section(&format!(
        "whole-system simulator, {} seeds (release)",
        crate::dst::CI_SEEDS
    ));
    crate::dst::run(&["--seeds".to_string(), crate::dst::CI_SEEDS.to_string()])?;

    section("wasm32 tests in node");
    wasm_tests(WASM_TEST_CRATES, false)?;

    if !skip_browser {
        section("wasm32 tests in headless Chromium");
        let mut crates = WASM_TEST_CRATES.to_vec();
        crates.push("strata-web");
        wasm_tests(&crates, true)?;
    }

    if !skip_e2e {
        section("end-to-end tests (Playwright, Chromium)");
        e2e()?;
    }
    println!("xtask: all test stages passed in {} s", elapsed_secs());
    Ok(())
}

/// `cargo xtask wasm-test -p CRATE [-p CRATE…] [--browser]`.
pub fn run_wasm_test(args: &[String]) -> Result<()> {
    ensure_wasm_target()?;
    let mut crates = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "-p" {
            match iter.next() {
                Some(name) => crates.push(name.as_str()),
                None => bail!("-p needs a crate name"),
            }
        }
    }
    if crates.is_empty() {
        crates = WASM_TEST_CRATES.to_vec();
    }
    wasm_tests(&crates, crate::has_flag(args, "--browser"))
}

/// Every native test (doctests included), with the adapter over real object stores, which
/// is native-only, behind a feature.
fn native_tests() -> Command {
    let mut command = cargo();
    command.args([
        "test",
        "--workspace",
        "--exclude",
        "strata-web",
        "--features",
        "strata-objstore/cloud",
    ]);
    command
}

/// When `cargo xtask test` began: each stage's header says how far in it starts, so a slow
/// CI run shows which stage took the time (CI's own stages print the same way).
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn elapsed_secs() -> u64 {
    STARTED
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs()
}

fn section(title: &str) {
    println!("\n==== [+{}s] {title} ====", elapsed_secs());
}

fn wasm_tests(crates: &[&str], in_browser: bool) -> Result<()> {
    let exe = std::env::current_exe().context("locating the xtask executable")?;
    let mut command = cargo();
    command.args(["test", "--target", WASM_TARGET, "--lib", "--tests"]);
    for name in crates {
        command.args(["-p", name]);
    }
    command.env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        format!("{} wasm-bindgen-test-runner", exe.display()),
    );
    if in_browser {
        let browser = ensure_browser()?;
        let dir = crate::dist::target_dir().join("xtask");
        let webdriver = write_webdriver_json(&browser, &dir)?;
        command
            .env("WASM_BINDGEN_USE_BROWSER", "1")
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", webdriver)
            .env("CHROMEDRIVER", &browser.chromedriver)
            .env(
                "WASM_BINDGEN_TEST_TIMEOUT",
                crate::browser::TEST_TIMEOUT_SECS.to_string(),
            );
    } else {
        command.env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    }
    let what = if in_browser {
        "wasm32 tests in Chromium"
    } else {
        "wasm32 tests in node"
    };
    run_checked(&mut command, what)
}

fn e2e() -> Result<()> {
    let browser = ensure_browser()?;
    let e2e_dir = crate::npm::ensure_packages()?;
    // The share test compares the page's final trace hash with `strata run` on the same
    // scenario; the feature set matches the native stage, so this reuses its build.
    run_checked(
        cargo().args([
            "build",
            "--workspace",
            "--exclude",
            "strata-web",
            "--features",
            "strata-objstore/cloud",
            "--bin",
            "strata",
        ]),
        "building the strata CLI",
    )?;
    let cli = crate::dist::target_dir().join("debug").join("strata");
    let dist = crate::dist::run(&[])?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).context("binding a port")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || crate::serve::serve_forever(listener, dist));
    let mut test_files: Vec<_> = std::fs::read_dir(&e2e_dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    test_files.sort();
    if test_files.is_empty() {
        bail!("no end-to-end tests found in {}", e2e_dir.display());
    }
    // Twice: with the page's worker, and with its script blocked, so that the fallback (the
    // simulation on the page's main thread) keeps working too; tests that need the worker
    // skip themselves in the second pass. Two test files at a time: each test has a browser of
    // its own, and much of a test's time is its page waiting on a frame or a worker's tick, so
    // on two cores a pass takes about three quarters of the time it takes one file at a time
    // (docs/benchmarks.md, build and test times).
    for (noworker, what) in [
        ("0", "end-to-end tests"),
        ("1", "end-to-end tests without the worker"),
    ] {
        let mut command = Command::new("node");
        command
            .arg("--test")
            .arg("--test-concurrency=2")
            .args(&test_files)
            .current_dir(&e2e_dir)
            .env("STRATA_BASE_URL", format!("http://127.0.0.1:{port}/"))
            .env("STRATA_CHROMIUM", &browser.chromium)
            .env("STRATA_ARTIFACTS", e2e_dir.join("artifacts"))
            .env("STRATA_CLI", &cli)
            .env("STRATA_E2E_NOWORKER", noworker);
        run_checked(&mut command, what)?;
    }
    Ok(())
}
