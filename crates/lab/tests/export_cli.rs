//! `strata run --trace-out/--metrics-out`: the files the binary writes are the library's
//! exports of the same run, byte for byte, and the printed summary is unchanged by asking
//! for them. Native only (it runs the built executable).
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;
use std::process::{Command, Output};

fn strata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .output()
        .expect("the strata binary runs")
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../tests/scenarios/{name}.json"))
        .to_string_lossy()
        .into_owned()
}

fn scratch(test: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("strata-export-{test}-"))
        .tempdir()
        .expect("temp dir is writable")
}

#[test]
fn trace_out_and_metrics_out_write_the_libraries_exports_of_the_run() {
    let scratch_dir = scratch("run");
    let dir = scratch_dir.path();
    let (trace_out, metrics_out) = (dir.join("trace.json"), dir.join("metrics.csv"));
    let path = example("crash-recover");
    let output = strata(&[
        "run",
        &path,
        "--trace-out",
        trace_out.to_str().unwrap(),
        "--metrics-out",
        metrics_out.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let scenario =
        strata_lab::Scenario::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut lab = strata_lab::Lab::new(&scenario).unwrap();
    let summary = lab.run_to_end().unwrap();
    assert_eq!(serde_json::to_value(&summary).unwrap(), printed);

    let written_trace = std::fs::read_to_string(&trace_out).unwrap();
    assert_eq!(
        written_trace,
        strata_lab::export::lab_chrome_trace_json(&lab)
    );
    let trace: serde_json::Value = serde_json::from_str(&written_trace).unwrap();
    assert_eq!(trace["otherData"]["trace_hash"], printed["trace_hash"]);
    let crashes = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == "i" && e["name"] == "writer crashed")
        .count();
    assert_eq!(crashes, 1);

    assert_eq!(
        std::fs::read_to_string(&metrics_out).unwrap(),
        strata_lab::export::lab_metrics_csv(&lab)
    );
}

#[test]
fn exports_need_the_simulator() {
    let output = strata(&[
        "run",
        &example("steady-writes"),
        "--store",
        "memory://",
        "--trace-out",
        "/dev/null",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("--trace-out"), "{err}");
}
