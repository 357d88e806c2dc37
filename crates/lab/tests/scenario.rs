//! The scenario document: parsing, validation errors and share tokens, as a user meets them.
// On wasm32 the tests are `wasm_bindgen_test` functions, which clippy does not treat as
// tests; unwrapping is how a test says "this cannot fail here".
#![allow(clippy::unwrap_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use strata_lab::scenario::{FaultSpec, KeyDistribution, ValueBytes};
use strata_lab::{Scenario, ScenarioError};

const EXAMPLES: [(&str, &str); 9] = [
    (
        "compaction",
        include_str!("../../../tests/scenarios/compaction.json"),
    ),
    (
        "recommender",
        include_str!("../../../tests/scenarios/recommender.json"),
    ),
    (
        "steady-writes",
        include_str!("../../../tests/scenarios/steady-writes.json"),
    ),
    (
        "zombie-writer",
        include_str!("../../../tests/scenarios/zombie-writer.json"),
    ),
    (
        "outage",
        include_str!("../../../tests/scenarios/outage.json"),
    ),
    (
        "bit-flip",
        include_str!("../../../tests/scenarios/bit-flip.json"),
    ),
    (
        "crash-recover",
        include_str!("../../../tests/scenarios/crash-recover.json"),
    ),
    (
        "rate-change",
        include_str!("../../../tests/scenarios/rate-change.json"),
    ),
    (
        "range-deletes-ttl",
        include_str!("../../../tests/scenarios/range-deletes-ttl.json"),
    ),
];

fn minimal() -> serde_json::Value {
    serde_json::json!({"version": 1, "seed": 1, "duration_ms": 1000})
}

fn parse(value: &serde_json::Value) -> Result<Scenario, ScenarioError> {
    Scenario::from_json(&value.to_string())
}

#[test]
fn every_example_file_parses_validates_and_round_trips() {
    for (name, text) in EXAMPLES {
        let scenario = Scenario::from_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(scenario.name, name);
        let again = Scenario::from_json(&scenario.to_json_pretty()).unwrap();
        assert_eq!(again, scenario, "{name} changes through JSON");
    }
}

#[test]
fn a_minimal_document_gets_the_documented_defaults() {
    let scenario = parse(&minimal()).unwrap();
    assert_eq!(scenario.workload.rate_ops_per_sec, 100.0);
    assert_eq!(scenario.workload.key_distribution, KeyDistribution::Uniform);
    assert_eq!(scenario.workload.value_bytes, ValueBytes::fixed(100));
    assert!(scenario.verify_at_end);
    assert_eq!(scenario.trace.ring_capacity, 10_000);
    assert!(scenario.faults.is_empty());
}

#[test]
fn value_bytes_is_a_number_or_a_range() {
    let mut doc = minimal();
    doc["workload"] = serde_json::json!({"value_bytes": {"min": 16, "max": 64}});
    assert_eq!(
        parse(&doc).unwrap().workload.value_bytes,
        ValueBytes { min: 16, max: 64 }
    );
    doc["workload"] = serde_json::json!({"value_bytes": {"min": 16, "maximum": 64}});
    let err = parse(&doc).unwrap_err().to_string();
    assert!(err.contains("unknown field `maximum`"), "{err}");
    doc["workload"] = serde_json::json!({"value_bytes": {"min": 64, "max": 16}});
    let err = parse(&doc).unwrap_err().to_string();
    assert!(err.contains("min 64 is greater than max 16"), "{err}");
    doc["workload"] = serde_json::json!({"value_bytes": 4});
    let err = parse(&doc).unwrap_err().to_string();
    assert!(err.contains("workload.value_bytes"), "{err}");
}

#[test]
fn an_unknown_field_is_named_at_every_level() {
    for (path, doc) in [
        ("top level", {
            let mut d = minimal();
            d["sede"] = 5.into();
            d
        }),
        ("workload", {
            let mut d = minimal();
            d["workload"] = serde_json::json!({"rate": 5});
            d
        }),
        ("engine", {
            let mut d = minimal();
            d["engine"] = serde_json::json!({"flush_interval": 5});
            d
        }),
        ("fault", {
            let mut d = minimal();
            d["faults"] =
                serde_json::json!([{"kind": "outage", "from_ms": 1, "until_ms": 2, "severity": 3}]);
            d
        }),
        ("store fault window", {
            let mut d = minimal();
            d["faults"] = serde_json::json!([{"kind": "timeouts", "probabilty": 0.5}]);
            d
        }),
    ] {
        let err = parse(&doc).unwrap_err();
        assert!(
            matches!(err, ScenarioError::Parse(_)),
            "{path}: {err:?} is not a parse error"
        );
        assert!(err.to_string().contains("unknown field"), "{path}: {err}");
    }
}

#[test]
fn an_unknown_version_names_the_supported_one() {
    let mut doc = minimal();
    doc["version"] = 2.into();
    // A field that version 1 does not know must not mask the version error.
    doc["new_in_v2"] = true.into();
    let err = parse(&doc).unwrap_err();
    assert!(matches!(err, ScenarioError::UnsupportedVersion { .. }));
    assert_eq!(
        err.to_string(),
        "unsupported scenario version 2: this build reads version 1"
    );
    doc.as_object_mut().unwrap().remove("version");
    let err = parse(&doc).unwrap_err().to_string();
    assert!(err.contains("version") && err.contains("1"), "{err}");
}

#[test]
fn out_of_range_values_are_invalid_with_the_field_named() {
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (
            serde_json::json!({"workload": {"rate_ops_per_sec": -5}}),
            "workload.rate_ops_per_sec: must be a finite number ≥ 0, got -5",
        ),
        (
            serde_json::json!({"duration_ms": 0}),
            "duration_ms: must be greater than zero",
        ),
        (
            serde_json::json!({"workload": {"key_count": 0}}),
            "workload.key_count",
        ),
        (
            serde_json::json!({"workload": {"mix": {"write": 0}}}),
            "workload.mix",
        ),
        (
            serde_json::json!({"workload": {"key_distribution": {"kind": "zipf", "s": -1}}}),
            "workload.key_distribution.s",
        ),
        (
            serde_json::json!({"faults": [{"kind": "slow", "multiplier": 0.5}]}),
            "faults[0].multiplier",
        ),
        (
            serde_json::json!({"faults": [{"kind": "server_errors", "probability": 1.5}]}),
            "faults[0].probability",
        ),
        (
            serde_json::json!({"faults": [{"kind": "outage", "from_ms": 500, "until_ms": 100}]}),
            "faults[0].until_ms",
        ),
        (
            serde_json::json!({"faults": [{"kind": "crash_writer", "at_ms": 5000}]}),
            "after the run ends",
        ),
        (
            serde_json::json!({"faults": [{"kind": "recover", "at_ms": 10}]}),
            "recover while the writer is up",
        ),
        (
            serde_json::json!({"faults": [
                {"kind": "crash_writer", "at_ms": 10},
                {"kind": "start_zombie", "at_ms": 20}
            ]}),
            "faults[1]: start_zombie while the writer is down",
        ),
        (
            serde_json::json!({"store": {"get_latency": {"p50_ms": 10, "p99_ms": 5}}}),
            "store.get_latency",
        ),
        (
            serde_json::json!({"recommender": {"policy": {"name": "egreedy", "epsilon": 2}}}),
            "recommender.policy.epsilon",
        ),
        (
            serde_json::json!({"recommender": {"policy": {"name": "ts"}, "population": {"items": 3, "categories": 3, "slate_size": 4}}}),
            "recommender.population.slate_size",
        ),
        (
            serde_json::json!({"recommender": {"policy": {"name": "ts"}, "population": {"slates_per_sec": 0}}}),
            "recommender.population.slates_per_sec",
        ),
    ];
    for (patch, expected) in cases {
        let mut doc = minimal();
        for (key, value) in patch.as_object().unwrap() {
            doc[key] = value.clone();
        }
        let err = parse(&doc).unwrap_err();
        assert!(
            matches!(err, ScenarioError::Invalid { .. }),
            "{patch}: {err:?} is not Invalid"
        );
        assert!(
            err.to_string().contains(expected),
            "{patch}: {err} does not mention {expected:?}"
        );
    }
}

#[test]
fn a_policy_name_outside_the_list_is_refused_as_the_document_is_read() {
    let mut doc = minimal();
    doc["recommender"] = serde_json::json!({"policy": {"name": "greedy"}});
    let err = parse(&doc).unwrap_err();
    assert!(matches!(err, ScenarioError::Parse(_)), "{err:?}");
    assert!(
        err.to_string().contains(
            "unknown policy \"greedy\"; expected one of egreedy, softmax, ucb1, klucb, ts, linucb, lints, popularity"
        ),
        "{err}"
    );
}

#[test]
fn crash_with_recovery_then_crash_again_is_a_valid_sequence() {
    let mut doc = minimal();
    doc["faults"] = serde_json::json!([
        {"kind": "crash_writer", "at_ms": 100, "recover_after_ms": 50},
        {"kind": "crash_writer", "at_ms": 300},
        {"kind": "recover", "at_ms": 400}
    ]);
    let scenario = parse(&doc).unwrap();
    assert!(matches!(
        scenario.faults[0],
        FaultSpec::CrashWriter {
            recover_after_ms: Some(50),
            ..
        }
    ));
}

#[test]
fn share_tokens_round_trip_every_example() {
    for (name, text) in EXAMPLES {
        let scenario = Scenario::from_json(text).unwrap();
        let token = scenario.to_share_token();
        assert!(token.starts_with("v1."), "{name}: {token}");
        assert!(
            token[3..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{name}: token is not URL-safe"
        );
        assert_eq!(
            Scenario::from_share_token(&token).unwrap(),
            scenario,
            "{name}"
        );
    }
}

#[test]
fn malformed_share_tokens_get_clear_errors() {
    let good = Scenario::default().to_share_token();
    let cases: Vec<(String, &str)> = vec![
        ("".to_string(), "starts with \"v1.\""),
        ("hello".to_string(), "starts with \"v1.\""),
        (good.replacen("v1.", "v9.", 1), "\"v9\" is not supported"),
        ("v1.".to_string(), "empty"),
        (format!("{good}!"), "not a base64url character"),
        (
            good[..good.len() - 7].to_string(),
            "scenario could not be read",
        ),
        // Valid base64url of text that is not a scenario.
        (
            format!("v1.{}", strata_lab::share::base64url_encode(b"[1,2]")),
            "JSON object",
        ),
    ];
    for (token, expected) in cases {
        let err = Scenario::from_share_token(&token).unwrap_err().to_string();
        assert!(
            err.contains(expected),
            "{token:?}: {err} lacks {expected:?}"
        );
    }
    // A token carrying an invalid scenario reports the scenario's own error.
    let mut bad = Scenario::default();
    bad.workload.rate_ops_per_sec = -1.0;
    let err = Scenario::from_share_token(&bad.to_share_token())
        .unwrap_err()
        .to_string();
    assert!(err.contains("workload.rate_ops_per_sec"), "{err}");
}

#[test]
fn the_full_example_in_the_docs_is_valid() {
    let doc = include_str!("../../../docs/scenarios.md");
    let start = doc
        .find("```json\n")
        .expect("docs/scenarios.md has a JSON example")
        + 8;
    let end = start
        + doc[start..]
            .find("```")
            .expect("the example block is closed");
    let scenario = Scenario::from_json(&doc[start..end]).unwrap();
    assert_eq!(scenario.name, "everything");
    // It shows every kind of fault.
    let mut kinds: Vec<&str> = scenario.faults.iter().map(|f| f.kind()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), 10, "{kinds:?}");
    assert!(scenario.recommender.is_some());
}

#[test]
fn sizes_that_cannot_fit_a_browser_tab_are_refused_naming_the_largest_part() {
    // From a 64 KiB share link: terabyte memtables, a thousand immutable ones, 4 MiB values.
    let mut huge = minimal();
    huge["engine"] = serde_json::json!({
        "memtable_bytes": 1u64 << 40,
        "max_immutable_memtables": 1024,
    });
    huge["workload"] = serde_json::json!({"value_bytes": 4 * 1024 * 1024});
    let err = parse(&huge).unwrap_err();
    assert!(matches!(err, ScenarioError::OverBudget { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("over the budget of 512 MiB"), "{message}");
    assert!(
        message.contains("the largest part is memtables"),
        "{message}"
    );
    // The same sizes one at a time are each named when they are the largest.
    for (section, value, part) in [
        (
            "workload",
            serde_json::json!({"value_bytes": 4 * 1024 * 1024, "max_in_flight": 1000}),
            "operations in flight",
        ),
        (
            "engine",
            serde_json::json!({"block_cache_bytes": 1u64 << 30}),
            "block cache",
        ),
        (
            "workload",
            serde_json::json!({"key_count": 10_000_000, "value_bytes": 1024, "rate_ops_per_sec": 1_000_000}),
            "key space",
        ),
    ] {
        let mut document = minimal();
        document[section] = value;
        let message = parse(&document).unwrap_err().to_string();
        assert!(
            message.contains(&format!("the largest part is {part}")),
            "{message}"
        );
    }
    // A change counts too: the run reaches those sizes when the change applies.
    let mut changed = minimal();
    changed["changes"] = serde_json::json!([{"set": "engine", "at_ms": 10,
        "engine": {"memtable_bytes": 1u64 << 30}}]);
    let message = parse(&changed).unwrap_err().to_string();
    assert!(
        message.contains("the largest part is memtables"),
        "{message}"
    );
    // A big key space that a short, slow run never fills fits.
    let mut sparse = minimal();
    sparse["workload"] = serde_json::json!({"key_count": 10_000_000, "value_bytes": 1024});
    parse(&sparse).unwrap();
}

#[test]
fn the_playground_example_file_is_the_playground_scenario() {
    // `strata run tests/scenarios/playground.json` runs what the page starts on.
    let text = include_str!("../../../tests/scenarios/playground.json");
    assert_eq!(Scenario::from_json(text).unwrap(), Scenario::playground());
}
