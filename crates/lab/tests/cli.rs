//! The `strata` binary as a user meets it: each command's output, its help, and one-line
//! errors with the right exit status. Native only (it runs the built executable).
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn strata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        // A panic must still print one line, even with backtraces asked for.
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the strata binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios")
}

fn example(name: &str) -> String {
    scenarios_dir()
        .join(format!("{name}.json"))
        .to_string_lossy()
        .into_owned()
}

/// A fresh scratch directory for one test, removed when it is dropped (passed or failed).
fn scratch(test: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("strata-cli-{test}-"))
        .tempdir()
        .expect("temp dir is writable")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temp dir is writable");
    path.to_string_lossy().into_owned()
}

/// One line on stderr, starting with `error:`, and no stack trace.
fn assert_one_line_error(output: &Output, status: i32, expected: &str) {
    assert_eq!(
        output.status.code(),
        Some(status),
        "stderr: {}",
        stderr(output)
    );
    let err = stderr(output);
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(expected), "{err} lacks {expected:?}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn validate_accepts_every_example_and_names_what_is_wrong() {
    for entry in std::fs::read_dir(scenarios_dir()).unwrap() {
        let path = entry.unwrap().path();
        let output = strata(&["validate", path.to_str().unwrap()]);
        assert!(output.status.success(), "{path:?}: {}", stderr(&output));
        assert!(stdout(&output).starts_with("ok: "), "{}", stdout(&output));
    }
    let scratch_dir = scratch("validate");
    let dir = scratch_dir.path();
    let typo = write(
        dir,
        "typo.json",
        r#"{"version": 1, "seed": 1, "duration_ms": 100, "workload": {"rate": 5}}"#,
    );
    assert_one_line_error(&strata(&["validate", &typo]), 1, "unknown field `rate`");
    let future = write(
        dir,
        "future.json",
        r#"{"version": 7, "seed": 1, "duration_ms": 100}"#,
    );
    assert_one_line_error(
        &strata(&["validate", &future]),
        1,
        "unsupported scenario version 7: this build reads version 1",
    );
    let negative = write(
        dir,
        "negative.json",
        r#"{"version": 1, "seed": 1, "duration_ms": 100, "workload": {"rate_ops_per_sec": -3}}"#,
    );
    assert_one_line_error(
        &strata(&["validate", &negative]),
        1,
        "workload.rate_ops_per_sec",
    );
    assert_one_line_error(
        &strata(&["validate", "/no/such/scenario.json"]),
        1,
        "cannot read /no/such/scenario.json",
    );
}

#[test]
fn run_prints_the_summary_and_writes_it_with_out() {
    let scratch_dir = scratch("run");
    let dir = scratch_dir.path();
    let out = dir.join("summary.json");
    let path = example("crash-recover");
    let output = strata(&["run", &path, "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(printed, written);
    assert_eq!(printed["writes"]["lost_durable"], 0);
    assert!(printed["writes"]["acknowledged"].as_u64().unwrap() > 0);
    assert!(printed["requests"]["put"]["wal"].as_u64().unwrap() > 0);
    assert!(printed["latency"]["write"]["p99_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(printed["trace_hash"].as_str().unwrap().len(), 16);
    // The same file gives the same run.
    let again = strata(&["run", &path, "--quiet", "--out", out.to_str().unwrap()]);
    assert!(again.status.success());
    assert!(stdout(&again).is_empty(), "--quiet printed something");
    let rerun: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(rerun["trace_hash"], printed["trace_hash"]);
    // The library computes the same summary as the binary.
    let scenario =
        strata_lab::Scenario::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let summary = strata_lab::run_scenario(&scenario).unwrap();
    assert_eq!(serde_json::to_value(&summary).unwrap(), printed);
}

#[test]
fn explain_attributes_every_dollar_of_a_run_to_operations_or_background_rows() {
    // Steady writes, compaction, an outage with retries, crashes, a zombie, a recommender
    // writing its log, and tenants on the same bucket.
    for name in [
        "steady-writes",
        "compaction",
        "outage",
        "crash-recover",
        "zombie-writer",
        "recommender",
        "tenants",
        "range-deletes-ttl",
    ] {
        let path = example(name);
        let output = strata(&["explain", &path]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let explained: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let run = strata(&["run", &path]);
        let summary: serde_json::Value = serde_json::from_str(&stdout(&run)).unwrap();
        let total = summary["cost"]["total_usd"].as_f64().unwrap();
        let rows: f64 = ["operations", "background"]
            .iter()
            .flat_map(|part| explained[part].as_object().unwrap().values())
            .map(|row| row["usd"].as_f64().unwrap())
            .sum();
        assert!(total > 0.0, "{name}");
        assert!(
            (rows - total).abs() <= total * 0.01,
            "{name}: rows add up to {rows}, the run cost {total}"
        );
        // Every kind of operation the run made has its own row (a range delete's is not
        // folded into another kind's).
        for (kind, counts) in summary["operations"].as_object().unwrap() {
            let ran = counts["ok"].as_u64().unwrap() + counts["failed"].as_u64().unwrap();
            let row = &explained["operations"][kind];
            assert_eq!(
                row["operations"].as_u64(),
                Some(ran),
                "{name}: {kind}: {row}"
            );
        }
        // Writes pay for the WAL and the flushes they caused.
        let put = &explained["operations"]["put"];
        assert!(put["usd"].as_f64().unwrap() > 0.0, "{name}: {put}");
        assert!(put["requests"].as_f64().unwrap() > 0.0, "{name}: {put}");
        let slowest = explained["slowest"].as_array().unwrap();
        assert_eq!(slowest.len(), 10, "{name}");
        let latencies: Vec<f64> = slowest
            .iter()
            .map(|op| op["latency_ms"].as_f64().unwrap())
            .collect();
        assert!(latencies.windows(2).all(|w| w[0] >= w[1]), "{name}");
        for op in slowest {
            assert!(op["key"].as_str().unwrap().starts_with('k'), "{op}");
            let waited = op["waited_for"].as_str().unwrap();
            let requests = op["requests"].as_array().unwrap();
            let none = waited == "memory" || waited == "nothing";
            assert_eq!(none, requests.is_empty(), "{op}");
        }
    }
    // Compaction is paid for by the writes whose bytes it carried, not by a row of its own.
    let output = strata(&["explain", &example("compaction")]);
    let explained: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(
        explained["background"].get("compaction").is_none(),
        "{explained}"
    );
    assert!(
        explained["background"].get("flush").is_none(),
        "{explained}"
    );
    // Tenants' requests are another database's.
    let output = strata(&["explain", &example("tenants")]);
    let explained: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(
        explained["background"]["other_databases"]["usd"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn explain_refuses_bad_input_as_run_does() {
    let scratch_dir = scratch("explain-bad");
    let dir = scratch_dir.path();
    let missing = dir.join("missing.json");
    let broken = write(dir, "broken.json", "{\"version\": 1, \"name\": ");
    for path in [missing.to_string_lossy().into_owned(), broken] {
        let run = strata(&["run", &path]);
        let explain = strata(&["explain", &path]);
        assert_eq!(explain.status.code(), run.status.code(), "{path}");
        assert_eq!(stderr(&explain), stderr(&run), "{path}");
        assert_one_line_error(&explain, 1, &path);
    }
}

#[test]
fn share_prints_a_token_that_reads_back() {
    let path = example("zombie-writer");
    let output = strata(&["share", &path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let token = stdout(&output).trim().to_string();
    assert!(token.starts_with("v1."));
    let from_token = strata_lab::Scenario::from_share_token(&token).unwrap();
    let from_file =
        strata_lab::Scenario::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(from_token, from_file);
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["validate", "--help"],
        vec!["explain", "--help"],
        vec!["share", "--help"],
        vec!["bandit", "--help"],
        vec!["bandit", "simulate", "--help"],
        vec!["bandit", "linear", "--help"],
        vec!["ope", "--help"],
    ] {
        let output = strata(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert!(
            stdout(&output).contains("Usage"),
            "{args:?}: {}",
            stdout(&output)
        );
    }
}

#[test]
fn usage_mistakes_exit_2_with_one_line() {
    assert_one_line_error(&strata(&[]), 2, "no command given");
    assert_one_line_error(&strata(&["frobnicate"]), 2, "unknown command");
    assert_one_line_error(&strata(&["run"]), 2, "needs SCENARIO.json");
    assert_one_line_error(
        &strata(&["run", "a.json", "--speed", "3"]),
        2,
        "unknown flag --speed",
    );
    assert_one_line_error(
        &strata(&["bandit", "simulate", "--means", "0.5,abc"]),
        2,
        "\"abc\" is not a number",
    );
    assert_one_line_error(
        &strata(&["bandit", "simulate", "--means", "0.5", "--horizon", "ten"]),
        2,
        "--horizon must be a whole number",
    );
    assert_one_line_error(&strata(&["ope", "--log", "x.csv"]), 2, "needs --target");
}

#[test]
fn bandit_simulate_reports_regret_and_decisions_per_second() {
    let scratch_dir = scratch("simulate");
    let dir = scratch_dir.path();
    let decisions = dir.join("decisions.csv");
    let output = strata(&[
        "bandit",
        "simulate",
        "--means",
        "0.5,0.4,0.4",
        "--horizon",
        "1000",
        "--seeds",
        "3",
        "--policy",
        "ucb1",
        "--alpha",
        "1",
        "--decisions",
        decisions.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["decisions"], 3000);
    assert!(report["decisions_per_second"].as_f64().unwrap() > 0.0);
    let regret = report["regret"]["mean"].as_f64().unwrap();
    assert!(regret > 0.0 && regret < 100.0, "{regret}");
    let csv = std::fs::read_to_string(&decisions).unwrap();
    assert_eq!(csv.lines().count(), 1001, "a header and one row per step");
    // UCB1 plays each arm once first, in index order, under every seed.
    assert_eq!(csv.lines().nth(1), Some("0,0,0"));
    assert_eq!(csv.lines().nth(3), Some("2,2,2"));

    // A rewards table replays exactly: the same table and policy give the same decisions.
    let mut table = String::new();
    for t in 0..200u32 {
        table.push_str(&format!(
            "{},{}\n",
            u32::from(t % 3 == 0),
            u32::from(t % 2 == 0)
        ));
    }
    let table_path = write(dir, "rewards.csv", &table);
    let run = |name: &str| {
        let path = dir.join(name);
        let output = strata(&[
            "bandit",
            "simulate",
            "--rewards-table",
            &table_path,
            "--seeds",
            "1",
            "--policy",
            "ucb1",
            "--decisions",
            path.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read_to_string(path).unwrap()
    };
    assert_eq!(run("a.csv"), run("b.csv"));

    assert_one_line_error(
        &strata(&[
            "bandit",
            "simulate",
            "--means",
            "0.5,1.5",
            "--horizon",
            "10",
        ]),
        1,
        "must lie in [0, 1]",
    );
}

#[test]
fn bandit_linear_runs_on_csv_files() {
    let scratch_dir = scratch("linear");
    let dir = scratch_dir.path();
    let mut contexts = String::new();
    let mut rewards = String::new();
    for t in 0..300u32 {
        let x = f64::from(t % 2);
        contexts.push_str(&format!("{x},{}\n", 1.0 - x));
        // Arm 0 pays in context (1, 0), arm 1 in context (0, 1).
        rewards.push_str(&format!("{x},{}\n", 1.0 - x));
    }
    let contexts = write(dir, "x.csv", &contexts);
    let rewards = write(dir, "r.csv", &rewards);
    let output = strata(&[
        "bandit",
        "linear",
        "--contexts",
        &contexts,
        "--rewards",
        &rewards,
        "--policy",
        "linucb",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["decisions"], 300);
    assert!(report["decisions_per_second"].as_f64().unwrap() > 0.0);
    let bad = write(dir, "bad.csv", "1,2\n3,oops\n");
    assert_one_line_error(
        &strata(&[
            "bandit",
            "linear",
            "--contexts",
            &bad,
            "--rewards",
            &rewards,
        ]),
        1,
        "line 2",
    );
}

#[test]
fn ope_estimates_a_policy_and_reports_csv_errors_by_line() {
    let scratch_dir = scratch("ope");
    let dir = scratch_dir.path();
    // Uniform logging over two actions; the target always plays action 0, which pays 1.
    let mut log = String::from("action,reward,propensity\n");
    for i in 0..100 {
        let action = i % 2;
        log.push_str(&format!("{action},{},0.5\n", u32::from(action == 0)));
    }
    let log = write(dir, "log.csv", &log);
    let target = write(dir, "pi.csv", "1\n0\n");
    let output = strata(&["ope", "--log", &log, "--target", &target, "--clip", "10"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["rows"], 100);
    let ips = report["ips"]["value"].as_f64().unwrap();
    assert!(
        (ips - 1.0).abs() < 1e-9,
        "IPS of the always-0 policy is {ips}"
    );

    let bad_log = write(
        dir,
        "bad-log.csv",
        "action,reward,propensity\n0,1,0.5\n1,0,1.5\n",
    );
    assert_one_line_error(
        &strata(&["ope", "--log", &bad_log, "--target", &target]),
        1,
        "line 3",
    );
    let bad_target = write(dir, "bad-pi.csv", "0.7\n0.7\n");
    assert_one_line_error(
        &strata(&["ope", "--log", &log, "--target", &bad_target]),
        1,
        "not 1",
    );
}

#[test]
fn run_against_a_real_directory_store() {
    let scratch_dir = scratch("store");
    let dir = scratch_dir.path();
    let bucket = dir.join("bucket");
    let scenario = write(
        dir,
        "short.json",
        r#"{
          "version": 1, "name": "short", "seed": 3, "duration_ms": 800,
          "workload": {"rate_ops_per_sec": 200, "key_count": 100, "await_durable": true,
                       "mix": {"write": 0.7, "read": 0.3}},
          "engine": {"flush_interval_ms": 20},
          "faults": [{"kind": "crash_writer", "at_ms": 300, "recover_after_ms": 100}]
        }"#,
    );
    let url = format!("file://{}", bucket.display());
    let output = strata(&["run", &scenario, "--store", &url]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["writes"]["lost_durable"], 0);
    assert!(summary["writes"]["acknowledged_durable"].as_u64().unwrap() > 10);
    assert_eq!(summary["writers_opened"], 2);
    assert!(summary["writes"]["durability_checks"].as_u64().unwrap() >= 2);
    // The engine's objects are real files.
    assert!(bucket.join("db").join("wal").is_dir());
    assert!(bucket.join("db").join("manifest").is_dir());

    // Tenants run against a real store too, each database in its own directory.
    let tenants = write(
        dir,
        "tenants.json",
        r#"{
          "version": 1, "name": "tenants", "seed": 3, "duration_ms": 600,
          "workload": {"rate_ops_per_sec": 100, "key_count": 100, "await_durable": true},
          "engine": {"flush_interval_ms": 20},
          "tenants": [{"name": "other", "prefixes": 2,
                       "workload": {"rate_ops_per_sec": 100, "key_count": 100, "await_durable": true}}]
        }"#,
    );
    let tenant_bucket = dir.join("tenant-bucket");
    let url = format!("file://{}", tenant_bucket.display());
    let output = strata(&["run", &tenants, "--store", &url]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let rows = summary["tenants"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{summary}");
    for row in rows {
        assert_eq!(row["lost_durable"], 0, "{row}");
        assert_eq!(row["resurrected"], 0, "{row}");
        assert!(
            row["operations"]["put"]["ok"].as_u64().unwrap() > 5,
            "{row}"
        );
    }
    for path in ["db", "other-0", "other-1"] {
        assert!(tenant_bucket.join(path).join("manifest").is_dir(), "{path}");
    }

    assert_one_line_error(
        &strata(&["run", &example("outage"), "--store", "memory://"]),
        1,
        "need the simulated store",
    );
    // Workload and engine changes play in real time; a store change needs the simulated store.
    let changing = write(
        dir,
        "changing.json",
        r#"{
          "version": 1, "name": "changing", "seed": 3, "duration_ms": 600,
          "workload": {"rate_ops_per_sec": 100, "key_count": 100, "mix": {"write": 1.0}},
          "changes": [
            {"set": "workload", "at_ms": 200,
             "workload": {"rate_ops_per_sec": 300, "key_count": 100, "mix": {"write": 1.0}}},
            {"set": "engine", "at_ms": 400, "engine": {"flush_interval_ms": 30}}
          ]
        }"#,
    );
    let output = strata(&["run", &changing, "--store", "memory://"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["writes"]["lost_durable"], 0);
    assert!(
        summary["writers_opened"].as_u64().unwrap() >= 2,
        "{summary}"
    );
    assert_one_line_error(
        &strata(&["run", &example("rate-change"), "--store", "memory://"]),
        1,
        "needs the simulated store",
    );
    assert_one_line_error(
        &strata(&["run", &scenario, "--store", "ftp://bucket"]),
        1,
        "expected s3://BUCKET/PREFIX, file:///absolute/dir or memory://",
    );
    assert_one_line_error(
        &strata(&["run", &scenario, "--store", "s3://b"]),
        1,
        "write s3://BUCKET/PREFIX",
    );
}

#[test]
fn validate_and_run_refuse_what_an_owner_refuses_with_the_same_message() {
    // Each value passes the scenario's own range checks, and one owner refuses it: the engine
    // caps blocks at 16 MiB, the store's latency model a day per request, the store's slow
    // fault a 1,000× multiplier, linear Thompson sampling a zero posterior scale.
    let base = r#""version": 1, "seed": 1, "duration_ms": 1000"#;
    let documents = [
        (
            "engine",
            format!(r#"{{{base}, "engine": {{"block_bytes": 33554432}}}}"#),
            "block_bytes must be between 64 and 16 MiB",
        ),
        (
            "store",
            format!(
                r#"{{{base}, "store": {{"get_latency": {{"p50_ms": 10, "p99_ms": 90000000}}}}}}"#
            ),
            "the simulated store refuses it",
        ),
        (
            "fault",
            format!(r#"{{{base}, "faults": [{{"kind": "slow", "multiplier": 5000}}]}}"#),
            "latency multiplier 5000",
        ),
        (
            "policy",
            format!(r#"{{{base}, "recommender": {{"policy": {{"name": "lints", "alpha": 0}}}}}}"#),
            "the recommender refuses it",
        ),
        (
            "budget",
            format!(
                r#"{{{base}, "engine": {{"memtable_bytes": 1099511627776, "max_immutable_memtables": 1024}}}}"#
            ),
            "the largest part is memtables",
        ),
    ];
    let scratch_dir = scratch("owners");
    let dir = scratch_dir.path();
    for (name, text, expected) in documents {
        let path = write(dir, &format!("{name}.json"), &text);
        let validated = strata(&["validate", &path]);
        let ran = strata(&["run", &path, "--quiet"]);
        assert_one_line_error(&validated, 1, expected);
        assert_one_line_error(&ran, 1, expected);
        assert_eq!(stderr(&validated), stderr(&ran), "{name}");
    }
}

/// `strata validate`, `strata run` and the playground's way in (`Lab::new` on a document read
/// without checks, as a share link or the scenario panel hands it over) take one path, the
/// compile step: a value that only its owner refuses is refused by all three, with one message.
#[test]
fn validate_run_and_the_lab_refuse_what_an_owner_refuses_with_one_message() {
    let scratch_dir = scratch("one-validation");
    let dir = scratch_dir.path();
    let base = serde_json::json!({"version": 1, "name": "owner", "seed": 1, "duration_ms": 1000});
    let cases = [
        // The engine caps blocks at 16 MiB; the scenario's own range goes to 1 TiB.
        (
            "engine",
            serde_json::json!({"engine": {"block_bytes": 32 * 1024 * 1024}}),
            "engine: the engine refuses it",
        ),
        // A lognormal needs a positive median once the tail is positive.
        (
            "store",
            serde_json::json!({"store": {"get_latency": {"p50_ms": 0, "p99_ms": 5}}}),
            "store: the simulated store refuses it",
        ),
        // Linear Thompson sampling needs a positive posterior scale.
        (
            "policy",
            serde_json::json!({"recommender": {"policy": {"name": "lints", "alpha": 0}}}),
            "recommender.policy: the recommender refuses it",
        ),
        // The store slows a request at most a thousandfold.
        (
            "fault",
            serde_json::json!({"faults": [{"kind": "slow", "multiplier": 5000}]}),
            "faults[0]: the simulated store refuses it",
        ),
    ];
    for (name, patch, expected) in cases {
        let mut document = base.clone();
        for (key, value) in patch.as_object().unwrap() {
            document[key] = value.clone();
        }
        let text = document.to_string();
        let message = strata_lab::Scenario::from_json(&text)
            .unwrap_err()
            .to_string();
        assert!(message.contains(expected), "{name}: {message}");
        let unchecked: strata_lab::Scenario = serde_json::from_str(&text).unwrap();
        assert_eq!(
            unchecked.compile().unwrap_err().to_string(),
            message,
            "{name}: compile"
        );
        assert_eq!(
            strata_lab::Lab::new(&unchecked).unwrap_err().to_string(),
            message,
            "{name}: the lab"
        );
        let path = write(dir, &format!("{name}.json"), &text);
        for command in ["validate", "run"] {
            let output = strata(&[command, &path]);
            assert!(
                !output.status.success(),
                "{name}: strata {command} accepted it"
            );
            assert_eq!(
                stderr(&output).trim(),
                format!("error: {path}: {message}"),
                "{name}: strata {command}"
            );
        }
    }
}
