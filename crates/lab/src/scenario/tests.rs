//! The schema's JSON: every tagged variant's documented spelling read and written, defaults,
//! unknown, missing and mistyped fields refused by name, and the pretty layout.

// On wasm32 the tests are `wasm_bindgen_test` functions, which clippy does not treat as
// tests; unwrapping is how a test says "this cannot fail here".
#![allow(clippy::unwrap_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

/// Every variant of every tagged enum with the exact JSON the schema documents for it.
fn fault_examples() -> Vec<(&'static str, FaultSpec)> {
    vec![
        (
            r#"{"kind":"server_errors","from_ms":5,"until_ms":9,"probability":0.25,"ops":["get","put"],"prefix":"db/wal"}"#,
            FaultSpec::ServerErrors {
                from_ms: 5,
                until_ms: Some(9),
                probability: 0.25,
                ops: vec![StoreOp::Get, StoreOp::Put],
                prefix: "db/wal".to_string(),
            },
        ),
        (
            r#"{"kind":"timeouts","from_ms":0,"applied_probability":0.5}"#,
            FaultSpec::Timeouts {
                from_ms: 0,
                until_ms: None,
                probability: 1.0,
                ops: vec![],
                prefix: String::new(),
                applied_probability: 0.5,
            },
        ),
        (
            r#"{"kind":"throttle","from_ms":1,"probability":0.5}"#,
            FaultSpec::Throttle {
                from_ms: 1,
                until_ms: None,
                probability: 0.5,
                ops: vec![],
                prefix: String::new(),
            },
        ),
        (
            r#"{"kind":"lost_acks","from_ms":2,"ops":["delete"]}"#,
            FaultSpec::LostAcks {
                from_ms: 2,
                until_ms: None,
                probability: 1.0,
                ops: vec![StoreOp::Delete],
                prefix: String::new(),
            },
        ),
        (
            r#"{"kind":"slow","from_ms":3,"until_ms":4,"multiplier":2.5}"#,
            FaultSpec::Slow {
                from_ms: 3,
                until_ms: Some(4),
                probability: 1.0,
                ops: vec![],
                prefix: String::new(),
                multiplier: 2.5,
            },
        ),
        (
            r#"{"kind":"bit_flips","from_ms":0,"prefix":"db/sst"}"#,
            FaultSpec::BitFlips {
                from_ms: 0,
                until_ms: None,
                probability: 1.0,
                ops: vec![],
                prefix: "db/sst".to_string(),
            },
        ),
        (
            r#"{"kind":"outage","from_ms":10,"until_ms":20}"#,
            FaultSpec::Outage {
                from_ms: 10,
                until_ms: 20,
            },
        ),
        (
            r#"{"kind":"bit_flip","at_ms":7,"prefix":"db/"}"#,
            FaultSpec::BitFlip {
                at_ms: 7,
                prefix: "db/".to_string(),
            },
        ),
        (
            r#"{"kind":"crash_writer","at_ms":8,"recover_after_ms":100}"#,
            FaultSpec::CrashWriter {
                at_ms: 8,
                recover_after_ms: Some(100),
            },
        ),
        (
            r#"{"kind":"crash_writer","at_ms":8}"#,
            FaultSpec::CrashWriter {
                at_ms: 8,
                recover_after_ms: None,
            },
        ),
        (
            r#"{"kind":"recover","at_ms":9}"#,
            FaultSpec::Recover { at_ms: 9 },
        ),
        (
            r#"{"kind":"start_zombie","at_ms":11}"#,
            FaultSpec::StartZombie { at_ms: 11 },
        ),
    ]
}

/// Reads `text` the way a scenario's sections are read: parsed to a `Value`, then
/// deserialised from it.
fn via_value<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    serde_json::from_value(value).map_err(|e| e.to_string())
}

fn assert_round_trip<T>(text: &str, expected: &T)
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(serde_json::to_string(expected).unwrap(), text);
    assert_eq!(&via_value::<T>(text).unwrap(), expected, "{text}");
    // Straight from text too: the impls work with any deserializer.
    assert_eq!(
        &serde_json::from_str::<T>(text).unwrap(),
        expected,
        "{text}"
    );
}

#[test]
fn every_fault_kind_reads_and_writes_its_documented_json() {
    let examples = fault_examples();
    let mut kinds: Vec<&str> = examples.iter().map(|(_, f)| f.kind()).collect();
    kinds.dedup();
    assert_eq!(kinds.len(), 11, "one example per kind: {kinds:?}");
    for (text, fault) in &examples {
        assert_round_trip(text, fault);
        assert!(text.starts_with(&format!("{{\"kind\":\"{}\"", fault.kind())));
    }
}

#[test]
fn store_fault_fields_left_out_take_their_defaults() {
    let fault: FaultSpec = via_value(r#"{"kind":"timeouts"}"#).unwrap();
    let FaultSpec::Timeouts {
        from_ms,
        until_ms,
        probability,
        ops,
        prefix,
        applied_probability,
    } = fault
    else {
        panic!("not a timeouts fault: {fault:?}");
    };
    assert_eq!(
        (from_ms, until_ms, ops.len(), prefix.len()),
        (0, None, 0, 0)
    );
    assert_eq!((probability, applied_probability), (1.0, 0.5));
}

#[test]
fn key_distributions_drifts_and_changes_read_and_write_their_documented_json() {
    assert_round_trip(r#"{"kind":"uniform"}"#, &KeyDistribution::Uniform);
    assert_round_trip(
        r#"{"kind":"zipf","s":0.99}"#,
        &KeyDistribution::Zipf { s: 0.99 },
    );
    assert_round_trip(r#"{"kind":"sequential"}"#, &KeyDistribution::Sequential);
    assert_round_trip(
        r#"{"kind":"abrupt","at_ms":5}"#,
        &DriftSpec::Abrupt { at_ms: 5 },
    );
    assert_round_trip(
        r#"{"kind":"gradual","from_ms":1,"until_ms":2,"degrees":45.5}"#,
        &DriftSpec::Gradual {
            from_ms: 1,
            until_ms: 2,
            degrees: 45.5,
        },
    );
    assert_round_trip(
        r#"{"set":"store","at_ms":3,"store":{"preset":"s3_express"}}"#,
        &SettingChange::Store {
            at_ms: 3,
            store: StoreSpec {
                preset: StorePreset::S3Express,
                ..StoreSpec::default()
            },
        },
    );
    assert_round_trip(
        r#"{"set":"engine","at_ms":4,"engine":{"flush_interval_ms":50.0}}"#,
        &SettingChange::Engine {
            at_ms: 4,
            engine: EngineSpec {
                flush_interval_ms: Some(50.0),
                ..EngineSpec::default()
            },
        },
    );
    let workload = WorkloadSpec {
        key_distribution: KeyDistribution::Zipf { s: 1.5 },
        ..WorkloadSpec::default()
    };
    let change = SettingChange::Workload {
        at_ms: 6,
        workload: workload.clone(),
    };
    let text = serde_json::to_string(&change).unwrap();
    assert!(
        text.starts_with(r#"{"set":"workload","at_ms":6,"workload":{"rate_ops_per_sec""#),
        "{text}"
    );
    assert!(
        text.contains(r#""key_distribution":{"kind":"zipf","s":1.5}"#),
        "{text}"
    );
    assert_round_trip(&text, &change);
}

#[test]
fn an_unknown_kind_is_named_with_the_kinds_allowed() {
    let err = via_value::<FaultSpec>(r#"{"kind":"meteor","at_ms":1}"#).unwrap_err();
    assert!(err.contains("unknown variant `meteor`"), "{err}");
    for kind in ["server_errors", "outage", "crash_writer", "start_zombie"] {
        assert!(err.contains(&format!("`{kind}`")), "{kind} not in: {err}");
    }
    let err = via_value::<SettingChange>(r#"{"set":"weather","at_ms":1}"#).unwrap_err();
    assert!(err.contains("unknown variant `weather`"), "{err}");
    assert!(err.contains("`workload`, `engine`, `store`"), "{err}");
    let err = via_value::<KeyDistribution>(r#"{"kind":"normal"}"#).unwrap_err();
    assert!(err.contains("`uniform`, `zipf`, `sequential`"), "{err}");
    let err = via_value::<DriftSpec>(r#"{"kind":"sudden","at_ms":1}"#).unwrap_err();
    assert!(err.contains("`abrupt` or `gradual`"), "{err}");
}

#[test]
fn unknown_missing_and_mistyped_fields_are_refused_by_name() {
    for (text, expected) in [
        (
            r#"{"kind":"outage","from_ms":1,"until_ms":2,"severity":3}"#,
            "unknown field `severity`",
        ),
        (
            r#"{"kind":"timeouts","probabilty":0.5}"#,
            "unknown field `probabilty`",
        ),
        (
            r#"{"kind":"slow","from_ms":1}"#,
            "missing field `multiplier`",
        ),
        (
            r#"{"kind":"recover","at_ms":"soon"}"#,
            "invalid type: string \"soon\"",
        ),
        (r#"{"at_ms":1}"#, "missing field `kind`"),
        (
            r#"{"kind":7,"at_ms":1}"#,
            "`kind` of a fault must be a string",
        ),
        (r#""outage""#, "expected a fault object with a `kind` field"),
    ] {
        let err = via_value::<FaultSpec>(text).unwrap_err();
        assert!(err.contains(expected), "{text}: {err}");
    }
    // A unit kind takes no fields either.
    let err = via_value::<KeyDistribution>(r#"{"kind":"uniform","s":1.0}"#).unwrap_err();
    assert!(err.contains("unknown field `s`"), "{err}");
    let err = via_value::<SettingChange>(r#"{"at_ms":1}"#).unwrap_err();
    assert!(err.contains("missing field `set`"), "{err}");
    let err =
        via_value::<SettingChange>(r#"{"set":"store","at_ms":1,"store":{},"when":2}"#).unwrap_err();
    assert!(err.contains("unknown field `when`"), "{err}");
}

#[test]
fn sections_are_objects_and_anything_else_is_refused_naming_the_struct() {
    let with = |section: &str| {
        Scenario::from_json(&format!(r#"{{"version":{SCENARIO_VERSION},{section}}}"#))
    };
    for (section, expected) in [
        (
            r#""engine":[null]"#,
            "invalid type: sequence, expected struct EngineSpec",
        ),
        (
            r#""store":"s3""#,
            "invalid type: string \"s3\", expected struct StoreSpec",
        ),
        (
            r#""workload":{"mix":[1]}"#,
            "invalid type: sequence, expected struct OpMix",
        ),
        (
            r#""engine":{"compaction":7}"#,
            "invalid type: integer `7`, expected struct CompactionSpec",
        ),
        (
            r#""store":{"get_latency":true}"#,
            "invalid type: boolean `true`, expected struct LatencySpec",
        ),
        (
            r#""tenants":{"name":"a"}"#,
            "invalid type: map, expected a sequence",
        ),
        (
            r#""tenants":[["a"]]"#,
            "invalid type: sequence, expected struct TenantSpec",
        ),
        (
            r#""changes":[{"set":"workload","at_ms":1,"workload":-1.5}]"#,
            "invalid type: floating point `-1.5`, expected struct WorkloadSpec",
        ),
        (
            r#""recommender":{"policy":[]}"#,
            "expected struct PolicySpec",
        ),
    ] {
        match with(section) {
            Err(ScenarioError::Parse(message)) => {
                assert!(message.contains(expected), "{section}: {message}")
            }
            other => panic!("{section}: {other:?}"),
        }
    }
    // Sections as objects, and null for an optional one, read as before.
    let mut document: serde_json::Value =
        serde_json::from_str(&Scenario::default().to_json()).unwrap();
    for (section, value) in [
        ("engine", r#"{"compaction":null,"backpressure":{}}"#),
        ("store", r#"{"get_latency":null}"#),
        ("workload", r#"{"mix":{}}"#),
        ("tenants", r#"[{"name":"a"}]"#),
    ] {
        document[section] = serde_json::from_str(value).unwrap();
    }
    let scenario = Scenario::from_json(&document.to_string()).unwrap();
    assert_eq!(scenario.engine.compaction, None);
    assert!(scenario.engine.backpressure.is_some());
    assert_eq!(scenario.store.get_latency, None);
    assert_eq!(scenario.workload.mix, OpMix::default());
    assert_eq!(scenario.tenants[0].name, "a");
}

#[test]
fn pretty_json_is_serde_jsons_pretty_layout() {
    let mut odd = Scenario {
        name: "odd \"name\" {with} [brackets], colons: and \\ slashes".to_string(),
        description: "ünïcode ✓, a tab\t and a newline\n".to_string(),
        ..Scenario::default()
    };
    odd.faults = fault_examples().into_iter().map(|(_, f)| f).collect();
    odd.recommender = Some(RecommenderSpec {
        policy: PolicySpec::named(PolicyKind::Thompson),
        population: PopulationSpec {
            position_bias: Some(vec![]),
            ..PopulationSpec::default()
        },
        drift: vec![DriftSpec::Abrupt { at_ms: 1 }],
        guardrails: GuardrailSpec::default(),
        log: LogSpec::default(),
    });
    let mut scenarios = vec![Scenario::default(), odd];
    for text in [
        include_str!("../../../../tests/scenarios/recommender.json"),
        include_str!("../../../../tests/scenarios/zombie-writer.json"),
        include_str!("../../../../tests/scenarios/rate-change.json"),
    ] {
        scenarios.push(Scenario::from_json(text).unwrap());
    }
    for scenario in &scenarios {
        let expected = serde_json::to_string_pretty(scenario).unwrap();
        assert_eq!(scenario.to_json_pretty(), expected);
        // Read back without validation: the odd one's faults are not a sensible sequence.
        assert_eq!(
            serde_json::from_str::<Scenario>(&expected).unwrap(),
            *scenario
        );
    }
    assert_eq!(indent_compact_json(r#"{"a":[],"b":{},"c":[1,{"d":"x,y"}]}"#),
        "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": \"x,y\"\n    }\n  ]\n}");
}

#[test]
fn a_bad_fault_in_a_scenario_is_a_parse_error_naming_it() {
    let text = r#"{"version":1,"seed":1,"duration_ms":1000,
        "workload":{"key_distribution":{"kind":"zipf","s":1.1}},
        "faults":[{"kind":"outage","from_ms":1,"until_ms":2},{"kind":"meteor"}]}"#;
    match Scenario::from_json(text) {
        Err(ScenarioError::Parse(message)) => {
            assert!(message.contains("meteor"), "{message}")
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    let fixed = text.replace(r#",{"kind":"meteor"}"#, "");
    let scenario = Scenario::from_json(&fixed).unwrap();
    assert_eq!(scenario.faults.len(), 1);
    assert_eq!(
        scenario.workload.key_distribution,
        KeyDistribution::Zipf { s: 1.1 }
    );
    // Written back, the document reads as the same scenario.
    assert_eq!(Scenario::from_json(&scenario.to_json()).unwrap(), scenario);
}

/// The field and reason a scenario is refused with.
fn refusal(scenario: &Scenario) -> (String, String) {
    match scenario.compile() {
        Err(ScenarioError::Invalid { field, reason }) => (field, reason),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_checks_name_list_items_and_numbers_in_their_words() {
    let base = Scenario::playground();
    let with_faults = |faults: Vec<FaultSpec>| Scenario {
        faults,
        ..base.clone()
    };
    let cases = [
        (
            with_faults(vec![
                FaultSpec::CrashWriter {
                    at_ms: 1000,
                    recover_after_ms: None,
                },
                FaultSpec::Outage {
                    from_ms: 10,
                    until_ms: 5,
                },
            ]),
            "faults[1].until_ms",
            "the outage ends at 5, not after it starts at 10".to_string(),
        ),
        (
            with_faults(vec![FaultSpec::ServerErrors {
                from_ms: 10,
                until_ms: Some(5),
                probability: 0.5,
                ops: vec![StoreOp::Get],
                prefix: String::new(),
            }]),
            "faults[0].until_ms",
            "the window ends at 5, not after it starts at 10".to_string(),
        ),
        (
            with_faults(vec![FaultSpec::CrashWriter {
                at_ms: 1000,
                recover_after_ms: Some(base.duration_ms),
            }]),
            "faults[0].recover_after_ms",
            format!(
                "the recovery at {} ms is after the run ends (duration_ms {})",
                base.duration_ms + 1000,
                base.duration_ms
            ),
        ),
        (
            Scenario {
                engine: EngineSpec {
                    hedge_percentile: Some(100.0),
                    ..base.engine.clone()
                },
                ..base.clone()
            },
            "engine.hedge_percentile",
            "must be strictly between 0 and 100, got 100".to_string(),
        ),
        (
            Scenario {
                trace: TraceSpec { ring_capacity: 0 },
                ..base.clone()
            },
            "trace.ring_capacity",
            "must be between 1 and 1000000, got 0".to_string(),
        ),
    ];
    for (scenario, field, reason) in cases {
        assert_eq!(refusal(&scenario), (field.to_string(), reason));
    }
}

#[test]
fn same_document_agrees_with_equality_for_faults_and_sections() {
    // Every pair of the documented faults: the same document exactly when equal.
    let faults: Vec<FaultSpec> = fault_examples().into_iter().map(|(_, f)| f).collect();
    for (i, a) in faults.iter().enumerate() {
        for (j, b) in faults.iter().enumerate() {
            assert_eq!(same_document(a, b), a == b, "faults {i} and {j}");
        }
    }
    // A list is the same in the same order only.
    let reversed: Vec<FaultSpec> = faults.iter().rev().cloned().collect();
    assert!(same_document(&faults, &faults.clone()));
    assert!(!same_document(&faults, &reversed));

    // A change deep in any section makes another document; a copy is the same.
    let base = Scenario::playground();
    assert!(same_document(&base, &base.clone()));
    let mut engine = base.clone();
    engine.engine.block_bytes = Some(engine.engine.block_bytes.unwrap_or(4096) + 1);
    let mut workload = base.clone();
    workload.workload.mix.read += 0.5;
    let mut drift = base.clone();
    drift
        .recommender
        .as_mut()
        .unwrap()
        .drift
        .push(DriftSpec::Abrupt { at_ms: 1 });
    let mut none = base.clone();
    none.recommender = None;
    for (name, changed) in [
        ("engine", &engine),
        ("workload", &workload),
        ("drift", &drift),
        ("no recommender", &none),
    ] {
        assert_ne!(*changed, base, "{name}");
        assert!(!same_document(changed, &base), "{name}");
        assert!(same_document(changed, &changed.clone()), "{name}");
    }
    assert!(!same_document(&base.recommender, &none.recommender));
    assert!(same_document(&none.recommender, &None));
    assert!(ByDocument(engine.engine.clone()) == ByDocument(engine.engine.clone()));
    assert!(ByDocument(engine.engine.clone()) != ByDocument(base.engine.clone()));
}
