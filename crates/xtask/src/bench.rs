//! `cargo xtask bench [GROUP] [--rounds N] [--native-only]`: runs the benchmark harness
//! (crates/bench) natively and in wasm32 under node, and prints each figure side by side with
//! the wasm/native ratio. Both runs happen in one invocation, so the ratio is measured on the
//! same machine at the same time.

use crate::toolchain::{cargo, ensure_wasm_target, run_checked, WASM_TARGET};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::process::Command;

pub fn run(args: &[String]) -> Result<()> {
    let group = args
        .iter()
        .find(|a| !a.starts_with("--") && a.parse::<u32>().is_err())
        .map(String::as_str)
        .unwrap_or("all");
    let rounds = crate::flag_value(args, "--rounds").unwrap_or("3");
    let rounds_n: u32 = rounds
        .parse()
        .with_context(|| format!("--rounds takes a whole number, not `{rounds}`"))?;

    eprintln!("xtask: building the native benchmark runner (release)");
    run_checked(
        cargo().args([
            "build",
            "--release",
            "-q",
            "-p",
            "strata-bench",
            "--bin",
            "strata-bench",
        ]),
        "building strata-bench",
    )?;
    let exe = crate::dist::target_dir()
        .join("release")
        .join("strata-bench");
    eprintln!("xtask: running native benchmarks ({group})");
    let output = Command::new(&exe)
        .args([group, "--rounds", rounds, "--json"])
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    if !output.status.success() {
        bail!("{}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let native: Vec<Value> = serde_json::from_slice(&output.stdout)?;

    let wasm: Vec<Value> = if crate::has_flag(args, "--native-only") {
        Vec::new()
    } else {
        run_wasm(group, rounds_n)?
    };

    println!(
        "{:<12} {:<58} {:>16} {:>16} {:>10}",
        "group", "benchmark", "native /s", "wasm32 node /s", "wasm/nat"
    );
    for figure in &native {
        let name = figure["name"].as_str().unwrap_or("?");
        let native_rate = figure["per_second"].as_f64().unwrap_or(0.0);
        let wasm_rate = wasm
            .iter()
            .find(|w| w["name"].as_str() == Some(name))
            .and_then(|w| w["per_second"].as_f64());
        let unit = figure["unit"].as_str().unwrap_or("");
        println!(
            "{:<12} {:<58} {:>16} {:>16} {:>10}",
            figure["group"].as_str().unwrap_or("?"),
            format!("{name} ({unit})"),
            format!("{native_rate:.0}"),
            wasm_rate.map_or("-".into(), |r| format!("{r:.0}")),
            wasm_rate.map_or("-".into(), |r| format!("{:.2}", r / native_rate)),
        );
    }
    let facts = Command::new(&exe)
        .args([group, "--facts"])
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    let facts: Vec<Value> = serde_json::from_slice(&facts.stdout)?;
    if !facts.is_empty() {
        println!("\nfigures computed in simulated time (identical on every target):");
        for fact in facts {
            println!(
                "{:<12} {:<92} {:>10.2} {}",
                fact["group"].as_str().unwrap_or("?"),
                fact["name"].as_str().unwrap_or("?"),
                fact["value"].as_f64().unwrap_or(f64::NAN),
                fact["unit"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

fn run_wasm(group: &str, rounds: u32) -> Result<Vec<Value>> {
    ensure_wasm_target()?;
    eprintln!("xtask: building the wasm32 benchmark module (release)");
    run_checked(
        cargo().args([
            "build",
            "--release",
            "-q",
            "-p",
            "strata-bench",
            "--lib",
            "--target",
            WASM_TARGET,
        ]),
        "building strata-bench for wasm32",
    )?;
    let target = crate::dist::target_dir();
    let wasm = target
        .join(WASM_TARGET)
        .join("release")
        .join("strata_bench.wasm");
    let out = target.join("bench-node");
    std::fs::create_dir_all(&out)?;
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(&wasm)
        .nodejs(true)
        .context("selecting the node target")?
        .typescript(false)
        .generate(&out)
        .context("generating node bindings for the benchmark module")?;
    eprintln!("xtask: running wasm32 benchmarks in node ({group})");
    let script = format!(
        "const m = require({:?}); process.stdout.write(m.run_bench({:?}, {}));",
        out.join("strata_bench.js").display().to_string(),
        group,
        rounds
    );
    let output = Command::new("node")
        .args(["-e", &script])
        .output()
        .context("running node (is it installed?)")?;
    if !output.status.success() {
        bail!(
            "the wasm32 benchmarks failed in node: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}
