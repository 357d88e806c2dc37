//! The hand-written readers (`json`) against serde's derived ones (`derived`), the reference
//! they replace: for generated scenarios and chapters, and for their JSON mutated (members
//! removed, renamed or added, values of the wrong type, numbers out of range, tags changed),
//! both accept and refuse the same documents, read the same values and word the same
//! messages. Native only: proptest does not run under wasm-bindgen-test.

#![allow(clippy::unwrap_used)]

use super::derived;
use super::*;
use crate::chapter::Chapter;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A scenario with every section, every optional field and every tagged variant set, from
/// `numbers` (so each case reads different values).
fn rich_scenario(numbers: &[u64; 8]) -> Scenario {
    let n = |i: usize| numbers[i];
    let f = |i: usize| numbers[i] as f64 / 7.0;
    let mut scenario = Scenario::playground();
    scenario.seed = n(0);
    scenario.description = format!("seed {}", n(1));
    scenario.workload.value_bytes = ValueBytes {
        min: n(2) % 100,
        max: n(3),
    };
    scenario.workload.ttl_ms = Some(n(4));
    scenario.workload.mix.delete_range = f(5);
    scenario.engine = EngineSpec {
        path: Some(format!("p{}", n(6))),
        flush_interval_ms: Some(f(1)),
        max_wal_bytes: Some(n(2)),
        memtable_bytes: Some(n(3)),
        max_immutable_memtables: Some(n(4) as u32),
        block_bytes: Some(n(5)),
        bloom_bits_per_key: Some(n(6) as u32),
        block_cache_bytes: Some(n(7)),
        gc_interval_ms: Some(f(0)),
        gc_min_age_ms: Some(f(1)),
        compaction: Some(CompactionSpec {
            style: CompactionKind::ALL[n(2) as usize % 3],
            l0_trigger: Some(n(3) as u32),
            min_merge_runs: Some(2),
            max_runs: Some(n(4) as u32),
            size_ratio: Some(f(5)),
            level_base_bytes: Some(n(6)),
            level_ratio: Some(f(7)),
            max_levels: Some(5),
            target_sst_bytes: Some(n(0)),
        }),
        backpressure: Some(BackpressureSpec {
            mode: Some(BackpressureKind::ALL[n(1) as usize % 2]),
            max_l0_ssts: Some(n(2)),
            max_unflushed_bytes: Some(n(3)),
        }),
        store_max_attempts: Some(n(4) as u32),
        retry_base_delay_ms: Some(f(5)),
        retry_max_delay_ms: Some(f(6)),
        retry_deadline_ms: Some(f(7)),
        hedge_percentile: Some(f(0)),
        hedge_delay_ms: Some(f(1)),
        reader_poll_interval_ms: Some(f(2)),
    };
    let latency = Some(LatencySpec {
        p50_ms: f(3),
        p99_ms: f(4),
    });
    scenario.store = StoreSpec {
        preset: StorePreset::Instant,
        get_latency: latency,
        put_latency: latency,
        list_latency: latency,
        delete_latency: latency,
        bandwidth_bytes_per_sec: Some(f(5)),
        put_limit_per_sec: Some(f(6)),
        get_limit_per_sec: Some(f(7)),
        request_timeout_ms: Some(f(0)),
        put_usd_per_1000: Some(f(1)),
        get_usd_per_1000: Some(f(2)),
        list_usd_per_1000: Some(f(3)),
        storage_usd_per_gb_month: Some(f(4)),
    };
    let window = |i: usize| (n(i), Some(n(i + 1)), f(i), vec![StoreOp::ALL[i % 5]]);
    let (from_ms, until_ms, probability, ops) = window(0);
    scenario.faults = vec![
        FaultSpec::ServerErrors {
            from_ms,
            until_ms,
            probability,
            ops: ops.clone(),
            prefix: "db/wal".to_string(),
        },
        FaultSpec::Timeouts {
            from_ms,
            until_ms: None,
            probability,
            ops: ops.clone(),
            prefix: String::new(),
            applied_probability: f(2),
        },
        FaultSpec::Throttle {
            from_ms,
            until_ms,
            probability: 1.0,
            ops: vec![],
            prefix: String::new(),
        },
        FaultSpec::LostAcks {
            from_ms,
            until_ms,
            probability,
            ops: StoreOp::ALL.to_vec(),
            prefix: String::new(),
        },
        FaultSpec::Slow {
            from_ms,
            until_ms,
            probability,
            ops,
            prefix: String::new(),
            multiplier: f(3),
        },
        FaultSpec::BitFlips {
            from_ms: 0,
            until_ms,
            probability,
            ops: vec![],
            prefix: "db/sst".to_string(),
        },
        FaultSpec::Outage {
            from_ms: n(4),
            until_ms: n(5),
        },
        FaultSpec::BitFlip {
            at_ms: n(6),
            prefix: "db/".to_string(),
        },
        FaultSpec::CrashWriter {
            at_ms: n(7),
            recover_after_ms: Some(n(0)),
        },
        FaultSpec::Recover { at_ms: n(1) },
        FaultSpec::StartZombie { at_ms: n(2) },
    ];
    scenario.changes = vec![
        SettingChange::Workload {
            at_ms: n(3),
            workload: WorkloadSpec {
                key_distribution: KeyDistribution::Sequential,
                ..scenario.workload.clone()
            },
        },
        SettingChange::Engine {
            at_ms: n(4),
            engine: scenario.engine.clone(),
        },
        SettingChange::Store {
            at_ms: n(5),
            store: scenario.store.clone(),
        },
    ];
    let recommender = scenario.recommender.as_mut().unwrap();
    recommender.policy = PolicySpec {
        name: PolicyKind::ALL[n(6) as usize % PolicyKind::ALL.len()],
        alpha: Some(f(7)),
        epsilon: Some(f(0)),
        tau: Some(f(1)),
        discount: Some(f(2)),
        window: Some(n(3) as u32),
    };
    recommender.population.position_bias = Some(vec![f(4), -f(5)]);
    recommender.population.shared_taste = f(6);
    recommender.drift.push(DriftSpec::Gradual {
        from_ms: n(7),
        until_ms: n(0),
        degrees: -f(1),
    });
    recommender.guardrails = GuardrailSpec {
        max_exploration_share: Some(f(2)),
        min_distinct_categories: Some(n(3) as u32),
        max_policy_change: Some(f(4)),
    };
    recommender.log.checkpoint_every = n(5);
    let mut tenant = TenantSpec::new("hot", scenario.workload.clone());
    tenant.prefixes = n(6) as u32;
    scenario.tenants = vec![tenant, TenantSpec::new("quiet", WorkloadSpec::default())];
    scenario.verify_at_end = n(7) % 2 == 0;
    scenario.trace.ring_capacity = n(0) as usize;
    scenario
}

/// A chapter around `scenario`, with a variant, beats and claims using every field.
fn rich_chapter(scenario: &Scenario) -> Value {
    json!({
        "title": "t",
        "question": "q",
        "scenario": serde_json::to_value(scenario).unwrap(),
        "variant": {"base_label": "a", "label": "b", "patch": {"engine": {"path": null}}},
        "beats": [
            {"caption": "c", "at_ms": 5, "highlight": ["lsm", "wal"]},
            {"caption": "d", "event": "fenced"},
            {"caption": "e"},
        ],
        "claims": [
            {"figure": "x", "says": "y", "below_variant": true, "at_least": 1.5},
            {"figure": "x", "says": "y", "above_variant": false, "at_most": 2},
        ],
    })
}

/// One change to a document.
#[derive(Clone, Debug)]
enum Mutation {
    Remove,
    Rename(String),
    Replace(Value),
    /// A member added to an object (a field of another struct, or one of its own again).
    Add(String, Value),
}

/// Values of every JSON type, numbers at and past every range the schema reads.
fn odd_value() -> impl Strategy<Value = Value> {
    let numbers = prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(u64::from(u32::MAX) + 1)),
        Just(json!(u32::MAX)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1.0)),
        Just(json!(-0.0)),
        Just(json!(1.5)),
    ];
    let names = prop_oneof![
        Just("leveled"),
        Just("stall"),
        Just("instant"),
        Just("get"),
        Just("ts"),
        Just("zipf"),
        Just("uniform"),
        Just("slow"),
        Just("outage"),
        Just("store"),
        Just("thompson"),
        Just(""),
    ]
    .prop_map(Value::from);
    prop_oneof![
        numbers,
        names,
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        Just(json!([])),
        Just(json!([1, "a"])),
        Just(json!({})),
        Just(json!({"leveled": null})),
        Just(json!({"stall": 1})),
        Just(json!({"a": 1, "b": 2})),
        Just(json!({"min": 64, "max": 128})),
        Just(json!({"kind": "slow", "multiplier": 2})),
        Just(json!({"kind": 3})),
        Just(json!({"set": "engine", "at_ms": 1, "engine": {}})),
        Just(json!({"p50_ms": 1, "p99_ms": 2})),
        Just(json!({"name": "ts"})),
    ]
}

/// Field names of other structs (and tags), so a renamed or added member is sometimes
/// a known name in the wrong place.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("kind"),
        Just("set"),
        Just("at_ms"),
        Just("from_ms"),
        Just("until_ms"),
        Just("prefix"),
        Just("multiplier"),
        Just("style"),
        Just("mode"),
        Just("name"),
        Just("workload"),
        Just("engine"),
        Just("store"),
        Just("s"),
        Just("min"),
        Just("max"),
        Just("ring_capacity"),
        Just("version"),
        Just("zz"),
        Just("aa"),
    ]
    .prop_map(String::from)
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::Remove),
        1 => field_name().prop_map(Mutation::Rename),
        4 => odd_value().prop_map(Mutation::Replace),
        1 => (field_name(), odd_value()).prop_map(|(name, value)| Mutation::Add(name, value)),
    ]
}

/// Every member's and element's path in `value`, parents before children.
fn paths(value: &Value, at: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                at.push(PathStep::Key(key.clone()));
                out.push(at.clone());
                paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                at.push(PathStep::Index(index));
                out.push(at.clone());
                paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug, PartialEq)]
enum PathStep {
    Key(String),
    Index(usize),
}

/// Applies `mutation` at `path` (the member or element it names, in its parent).
fn apply(document: &mut Value, path: &[PathStep], mutation: &Mutation) {
    let (last, parents) = path.split_last().unwrap();
    let mut parent = document;
    for step in parents {
        parent = match step {
            PathStep::Key(key) => parent.get_mut(key.as_str()).unwrap(),
            PathStep::Index(index) => parent.get_mut(*index).unwrap(),
        };
    }
    match (parent, last) {
        (Value::Object(map), PathStep::Key(key)) => match mutation {
            Mutation::Remove => {
                map.remove(key);
            }
            Mutation::Rename(name) => {
                let value = map.remove(key).unwrap();
                map.insert(name.clone(), value);
            }
            Mutation::Replace(value) => {
                map.insert(key.clone(), value.clone());
            }
            Mutation::Add(name, value) => {
                map.insert(name.clone(), value.clone());
            }
        },
        (Value::Array(items), PathStep::Index(index)) => match mutation {
            Mutation::Remove => {
                items.remove(*index);
            }
            Mutation::Replace(value) | Mutation::Add(_, value) => items[*index] = value.clone(),
            Mutation::Rename(_) => items.push(items[*index].clone()),
        },
        _ => unreachable!("a path's last step matches its parent"),
    }
}

/// Picks a path by `choice` and applies each mutation in turn. The object or array is picked
/// first, then one of its members, so the document's top-level fields are reached as often
/// as any section's (a pick among all paths would almost always land deep in a section).
fn mutate(mut document: Value, mutations: &[(usize, Mutation)]) -> Value {
    for (choice, mutation) in mutations {
        let mut all = Vec::new();
        paths(&document, &mut Vec::new(), &mut all);
        let mut parents: Vec<&[PathStep]> = Vec::new();
        for path in &all {
            let parent = &path[..path.len() - 1];
            if !parents.contains(&parent) {
                parents.push(parent);
            }
        }
        if parents.is_empty() {
            break;
        }
        let parent = parents[choice % parents.len()];
        let members: Vec<&Vec<PathStep>> = all
            .iter()
            .filter(|path| &path[..path.len() - 1] == parent)
            .collect();
        let path = members[(choice / parents.len()) % members.len()];
        apply(&mut document, path, mutation);
    }
    document
}

/// Both readers' verdicts on a scenario object: the same value, or the same message.
fn same_scenario(document: &Value) -> Result<Option<Scenario>, TestCaseError> {
    let Value::Object(map) = document else {
        return Ok(None);
    };
    let by_hand = Scenario::from_object(map.clone()).map_err(|e| e.to_string());
    let derived = derived::scenario_from_object(map.clone()).map_err(|e| e.to_string());
    prop_assert_eq!(&by_hand, &derived, "{}", document);
    // Through `Deserialize` too, as the page and the tests read a scenario from a `Value`.
    let through_serde = serde_json::from_value::<Scenario>(document.clone());
    prop_assert_eq!(through_serde.map_err(|e| e.to_string()), derived.clone());
    if let Ok(scenario) = &derived {
        same_text(scenario)?;
    }
    Ok(derived.ok())
}

/// The hand-written writer and serde's derived `Serialize` write the same bytes.
fn same_text(scenario: &Scenario) -> Result<(), TestCaseError> {
    prop_assert_eq!(scenario.to_json(), serde_json::to_string(scenario).unwrap());
    Ok(())
}

fn numbers() -> impl Strategy<Value = [u64; 8]> {
    prop_oneof![
        any::<[u64; 8]>(),
        any::<[u32; 8]>().prop_map(|small| small.map(u64::from)),
        any::<[u8; 8]>().prop_map(|tiny| tiny.map(u64::from)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn a_generated_scenario_reads_the_same_by_hand_and_by_serde_and_writes_back(
        numbers in numbers(),
    ) {
        let scenario = rich_scenario(&numbers);
        let document = serde_json::to_value(&scenario).unwrap();
        let read = same_scenario(&document)?;
        prop_assert_eq!(read.as_ref(), Some(&scenario));
        // The text read back writes the same bytes.
        let text = scenario.to_json();
        let again = Scenario::from_object(serde_json::from_str(&text).unwrap()).unwrap();
        prop_assert_eq!(again.to_json(), text);
    }

    #[test]
    fn any_strings_and_floats_are_written_as_serde_json_writes_them(
        numbers in numbers(),
        texts in any::<[String; 4]>(),
        controls in prop::collection::vec(0u32..0x80, 0..12),
        floats in any::<[f64; 6]>(),
        specials in prop::sample::select(vec![f64::NAN, f64::INFINITY, -0.0, 0.0, 1e21, 1e-7, 5e-324, f64::MAX, 1.0, 0.1]),
    ) {
        let mut scenario = rich_scenario(&numbers);
        let control: String = controls.into_iter().filter_map(char::from_u32).collect();
        scenario.name = format!("{}{control}", texts[0]);
        scenario.description = texts[1].clone();
        scenario.engine.path = Some(texts[2].clone());
        scenario.tenants[0].name = texts[3].clone();
        scenario.workload.rate_ops_per_sec = floats[0];
        scenario.workload.key_distribution = KeyDistribution::Zipf { s: specials };
        scenario.workload.mix.delete_range = floats[1];
        scenario.engine.flush_interval_ms = Some(floats[2]);
        scenario.store.get_latency = Some(LatencySpec { p50_ms: floats[3], p99_ms: specials });
        scenario.recommender.as_mut().unwrap().population.position_bias =
            Some(vec![floats[4], specials, floats[5]]);
        same_text(&scenario)?;
    }

    #[test]
    fn any_value_is_written_compact_as_serde_json_displays_it(
        numbers in numbers(),
        mutations in prop::collection::vec((any::<usize>(), mutation()), 0..4),
        odd in prop::collection::vec(odd_value(), 0..6),
        texts in any::<[String; 2]>(),
    ) {
        let mut document = mutate(rich_chapter(&rich_scenario(&numbers)), &mutations);
        if let Value::Object(map) = &mut document {
            map.insert(texts[0].clone(), Value::Array(odd));
            map.insert("text".to_string(), Value::from(texts[1].clone()));
        }
        prop_assert_eq!(json::compact(&document), document.to_string());
        for value in [Value::Null, json!(true), json!(false), json!(-0.0), json!(1e21), json!(i64::MIN)] {
            prop_assert_eq!(json::compact(&value), value.to_string());
        }
    }

    #[test]
    fn a_mutated_scenario_is_accepted_or_refused_alike_with_the_same_message(
        numbers in numbers(),
        mutations in prop::collection::vec((any::<usize>(), mutation()), 1..4),
    ) {
        let document = serde_json::to_value(rich_scenario(&numbers)).unwrap();
        same_scenario(&mutate(document, &mutations))?;
    }

    #[test]
    fn a_mutated_small_scenario_is_accepted_or_refused_alike(
        mutations in prop::collection::vec((any::<usize>(), mutation()), 1..3),
    ) {
        // The default scenario leaves most fields out, so removals and additions there
        // reach the defaults and the required fields.
        let document = serde_json::to_value(Scenario::default()).unwrap();
        same_scenario(&mutate(document, &mutations))?;
    }

    #[test]
    fn a_mutated_chapter_is_accepted_or_refused_alike_with_the_same_message(
        numbers in numbers(),
        mutations in prop::collection::vec((any::<usize>(), mutation()), 0..4),
    ) {
        let document = mutate(rich_chapter(&rich_scenario(&numbers)), &mutations);
        let by_hand = Chapter::from_value(document.clone()).map_err(|e| e.to_string());
        let derived = derived::chapter_from_value(document.clone()).map_err(|e| e.to_string());
        prop_assert_eq!(&by_hand, &derived, "{}", document);
        let through_serde = serde_json::from_value::<Chapter>(document);
        prop_assert_eq!(through_serde.map_err(|e| e.to_string()), derived);
    }
}

/// Both readers' verdicts on a chapter: the same value, or the same message.
fn same_chapter(document: &Value) {
    let by_hand = Chapter::from_value(document.clone()).map_err(|e| e.to_string());
    let derived = derived::chapter_from_value(document.clone()).map_err(|e| e.to_string());
    assert_eq!(by_hand, derived, "{document}");
}

/// Values every member is replaced with in turn: each JSON type, and numbers at the edges of
/// the ranges the schema reads.
fn fixed_odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(0),
        json!(1.5),
        json!(u64::from(u32::MAX) + 1),
        json!(u64::MAX),
        json!("leveled"),
        json!([]),
        json!({}),
        json!({"zz": 1}),
    ]
}

/// Every member and element of each document, one at a time: removed, renamed, replaced by
/// each of [`fixed_odd_values`]; and every two members of one object removed together (the
/// order of "missing field" messages). Exhaustive where the property tests sample.
#[test]
fn every_member_removed_renamed_or_replaced_reads_alike() {
    let rich = serde_json::to_value(rich_scenario(&[9, 8, 7, 6, 5, 4, 3, 2])).unwrap();
    let small = serde_json::to_value(Scenario::default()).unwrap();
    let chapter = rich_chapter(&Scenario::default());
    let scenario_check = |document: &Value| {
        same_scenario(document).unwrap();
    };
    type Check<'a> = &'a dyn Fn(&Value);
    let documents: [(&Value, Check); 3] = [
        (&rich, &scenario_check),
        (&small, &scenario_check),
        (&chapter, &same_chapter),
    ];
    for (document, check) in documents {
        let mut all = Vec::new();
        paths(document, &mut Vec::new(), &mut all);
        let mut mutations = vec![
            Mutation::Remove,
            Mutation::Rename("zz".to_string()),
            Mutation::Rename("aa".to_string()),
        ];
        mutations.extend(fixed_odd_values().into_iter().map(Mutation::Replace));
        for path in &all {
            for mutation in &mutations {
                let mut changed = document.clone();
                apply(&mut changed, path, mutation);
                check(&changed);
            }
        }
        for (i, first) in all.iter().enumerate() {
            for second in &all[i + 1..] {
                let siblings = first.len() == second.len()
                    && first[..first.len() - 1] == second[..second.len() - 1];
                if siblings && matches!(first.last(), Some(PathStep::Key(_))) {
                    let mut changed = document.clone();
                    apply(&mut changed, first, &Mutation::Remove);
                    apply(&mut changed, second, &Mutation::Remove);
                    check(&changed);
                }
            }
        }
    }
}

/// Each message the readers word, once, against the derived reader's: a guard that the
/// property tests above reach every kind of refusal.
#[test]
fn every_kind_of_refusal_is_worded_as_serde_words_it() {
    let base = serde_json::to_value(rich_scenario(&[1, 2, 3, 4, 5, 6, 7, 8])).unwrap();
    let cases: &[(&str, Value, &str)] = &[
        (
            "seed",
            json!(-1),
            "invalid value: integer `-1`, expected u64",
        ),
        (
            "seed",
            json!(1.5),
            "invalid type: floating point `1.5`, expected u64",
        ),
        (
            "version",
            json!(u64::from(u32::MAX) + 1),
            "invalid value: integer `4294967296`, expected u32",
        ),
        (
            "name",
            json!(7),
            "invalid type: integer `7`, expected a string",
        ),
        (
            "verify_at_end",
            json!("yes"),
            "invalid type: string \"yes\", expected a boolean",
        ),
        (
            "faults",
            json!({}),
            "invalid type: map, expected a sequence",
        ),
        (
            "faults",
            json!([{"kind": "meteor"}]),
            "unknown variant `meteor`, expected one of",
        ),
        (
            "faults",
            json!([{"kind": "slow"}]),
            "missing field `multiplier`",
        ),
        (
            "faults",
            json!([{"kind": "recover", "at_ms": 1, "x": 2}]),
            "unknown field `x`, expected `at_ms`",
        ),
        (
            "faults",
            json!([{"kind": "outage", "from_ms": 1, "until_ms": null}]),
            "invalid type: null, expected u64",
        ),
        (
            "faults",
            json!([{"kind": "throttle", "ops": ["fly"]}]),
            "unknown variant `fly`",
        ),
        (
            "faults",
            json!([{"kind": "throttle", "ops": [{"get": null}]}]),
            "",
        ),
        (
            "faults",
            json!([{"kind": "throttle", "ops": [{"get": 1}]}]),
            "invalid type: integer `1`, expected unit",
        ),
        (
            "faults",
            json!([{"kind": "throttle", "ops": [{}]}]),
            "invalid value: map, expected map with a single key",
        ),
        (
            "faults",
            json!([3]),
            "invalid type: a number, expected a fault object with a `kind` field",
        ),
        (
            "changes",
            json!([{"set": "engine", "at_ms": 1}]),
            "missing field `engine`",
        ),
        (
            "workload",
            json!({"key_distribution": {"kind": "uniform", "s": 1}}),
            "unknown field `s`, there are no fields",
        ),
        (
            "workload",
            json!({"value_bytes": -3}),
            "value_bytes must not be negative, got -3",
        ),
        (
            "workload",
            json!({"value_bytes": "big"}),
            "invalid type: string \"big\", expected a byte count",
        ),
        (
            "engine",
            json!({"compaction": {"style": 1}}),
            "invalid type: integer `1`, expected string or map",
        ),
        ("engine", json!({"compaction": {}}), "missing field `style`"),
        (
            "engine",
            json!({"backpressure": {"mode": "drop"}}),
            "unknown variant `drop`, expected `stall` or `reject`",
        ),
        ("store", json!({"preset": "s3"}), "unknown variant `s3`"),
        ("recommender", json!({"policy": {"name": "best"}}), "best"),
        ("recommender", json!({}), "missing field `policy`"),
        ("tenants", json!([{"workload": {}}]), "missing field `name`"),
        (
            "trace",
            json!([]),
            "invalid type: sequence, expected struct TraceSpec",
        ),
    ];
    for (field, value, expected) in cases {
        let mut document = base.clone();
        document[*field] = value.clone();
        let Value::Object(map) = document else {
            unreachable!()
        };
        let by_hand = Scenario::from_object(map.clone()).map_err(|e| e.to_string());
        let derived = derived::scenario_from_object(map).map_err(|e| e.to_string());
        assert_eq!(by_hand, derived, "{field}: {value}");
        if expected.is_empty() {
            assert!(by_hand.is_ok(), "{field}: {value}: {by_hand:?}");
        } else {
            let message = by_hand.unwrap_err();
            assert!(message.contains(expected), "{field}: {value}: {message}");
        }
    }
    let missing = Map::from_iter([("version".to_string(), json!(1))]);
    assert_eq!(
        Scenario::from_object(missing).unwrap_err().to_string(),
        "missing field `seed`"
    );
}
