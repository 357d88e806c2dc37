//! Finding (or, as root, installing) Debian's Chromium and ChromeDriver, and writing the
//! webdriver.json the wasm test runner reads.
//!
//! The flags matter on these machines: without the background-networking ones, Chromium's
//! connections to the outside are refused by the closed network, many at a time.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// How long, in seconds, one wasm test binary may run in Chromium before the runner gives up.
pub const TEST_TIMEOUT_SECS: u64 = 300;

/// ChromeDriver's own limits, in milliseconds, on a page load and on one script. The runner polls
/// the page's output with a script, and ChromeDriver holds that script until the page has
/// loaded. The test page loads only once its module has compiled the test wasm and run every
/// test up to the first that awaits, and strata-web's debug wasm is 25 MB: on a loaded 2-core
/// machine that took over ChromeDriver's default 30 s, and the poll failed with "Timed out
/// receiving message from renderer: 30.000" (the runner then reports a missing `chunk`). Four
/// busy loops beside `cargo xtask wasm-test -p strata-web --browser` reproduce it; with these
/// limits the same run passes. They are longer than [`TEST_TIMEOUT_SECS`], so the runner's own
/// timeout, which names the test binary, is the one that fires.
const DRIVER_TIMEOUT_MS: u64 = 2 * TEST_TIMEOUT_SECS * 1000;

pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Finds Chromium and ChromeDriver; installs Debian's packages when missing and running as root.
pub fn ensure_browser() -> Result<Browser> {
    let find = || {
        let chromium = which("chromium").or_else(|| which("chromium-browser"));
        let driver = which("chromedriver");
        chromium.zip(driver)
    };
    if let Some((chromium, chromedriver)) = find() {
        return Ok(Browser {
            chromium,
            chromedriver,
        });
    }
    if !is_root() {
        bail!("Chromium or ChromeDriver is missing; install them with `sudo apt-get install -y chromium chromium-driver`");
    }
    eprintln!("xtask: installing Debian's chromium and chromium-driver with apt");
    let update = Command::new("apt-get").args(["update", "-qq"]).status();
    let install = Command::new("apt-get")
        .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    if !matches!(update, Ok(s) if s.success()) || !matches!(install, Ok(s) if s.success()) {
        bail!("installing chromium and chromium-driver with apt failed; run `apt-get update && apt-get install -y chromium chromium-driver`");
    }
    match find() {
        Some((chromium, chromedriver)) => Ok(Browser {
            chromium,
            chromedriver,
        }),
        None => bail!(
            "apt installed chromium but it is not on PATH; check `which chromium chromedriver`"
        ),
    }
}

/// Writes a webdriver.json for the wasm test runner with a fresh, empty profile directory.
pub fn write_webdriver_json(browser: &Browser, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let profile = dir.join("chromium-profile");
    if profile.exists() {
        std::fs::remove_dir_all(&profile)?;
    }
    std::fs::create_dir_all(&profile)?;
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let json = serde_json::json!({
        "goog:chromeOptions": {
            "binary": browser.chromium,
            "args": args,
        },
        "timeouts": {
            "pageLoad": DRIVER_TIMEOUT_MS,
            "script": DRIVER_TIMEOUT_MS,
        }
    });
    let path = dir.join("webdriver.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&json)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
