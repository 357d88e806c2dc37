//! Tenants on one bucket: a hot tenant passes S3's per-prefix request rate and is throttled
//! while the scenario's own database and a quiet neighbour are not; spread over two
//! prefixes, the same tenant is not throttled. Every database's acknowledged-durable writes
//! survive, a run with tenants replays exactly, and the document round-trips through JSON
//! and share links.
#![allow(clippy::unwrap_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use strata_lab::runner::TenantSummary;
use strata_lab::scenario::{ScenarioError, TenantSpec, WorkloadSpec};
use strata_lab::{Lab, Scenario, Summary};

const TENANTS: &str = include_str!("../../../tests/scenarios/tenants.json");

fn run(scenario: &Scenario) -> Summary {
    strata_lab::run_scenario(scenario).unwrap()
}

fn row<'a>(summary: &'a Summary, name: &str) -> &'a TenantSummary {
    summary
        .tenants
        .iter()
        .find(|row| row.name == name)
        .unwrap_or_else(|| panic!("no row {name} in {:?}", summary.tenants))
}

fn reads(row: &TenantSummary) -> u64 {
    row.operations.get("get").map_or(0, |c| c.ok + c.failed)
}

#[test]
fn a_hot_tenant_is_throttled_beside_quiet_ones_and_spreading_it_lifts_the_throttling() {
    let scenario = Scenario::from_json(TENANTS).unwrap();
    let one = run(&scenario);
    assert!(one.finished);
    let names: Vec<&str> = one.tenants.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["db", "quiet", "hot"]);
    assert!(one.tenants[0].own && !one.tenants[1].own);
    let (own, quiet, hot) = (row(&one, "db"), row(&one, "quiet"), row(&one, "hot"));
    assert!(
        hot.throttled > 1000,
        "12,000 reads a second on one prefix pass S3's 5,500 GET/s: {hot:?}"
    );
    assert_eq!((own.throttled, quiet.throttled), (0, 0));
    assert!(own.requests > 0 && quiet.requests > 0);
    assert!(reads(hot) > 50_000, "{hot:?}");
    assert!(hot.cost_usd > 10.0 * quiet.cost_usd);
    // The top level is the scenario's own database (client side) and the whole bucket
    // (requests and dollars).
    assert_eq!(one.operations, own.operations);
    let bucket_usd: f64 = one.tenants.iter().map(|r| r.cost_usd).sum();
    assert!((bucket_usd - one.cost.total_usd).abs() <= 1e-9 + 1e-6 * one.cost.total_usd);
    for database in &one.tenants {
        assert_eq!(database.lost_durable, 0, "{database:?}");
    }

    let mut spread = scenario.clone();
    spread.tenants[1].prefixes = 2;
    let two = run(&spread);
    let hot_spread = row(&two, "hot");
    let prefixes: Vec<&str> = hot_spread
        .prefixes
        .iter()
        .map(|p| p.prefix.as_str())
        .collect();
    assert_eq!(prefixes, ["hot-0", "hot-1"]);
    assert_eq!(hot_spread.throttled, 0, "{hot_spread:?}");
    assert!(hot_spread.prefixes.iter().all(|p| p.requests > 10_000));
    assert!(
        hot_spread.read_latency.p99_ms < hot.read_latency.p99_ms,
        "throttled retries are what made the hot tenant's tail: {} then {}",
        hot.read_latency.p99_ms,
        hot_spread.read_latency.p99_ms
    );
    assert!(reads(hot_spread) > reads(hot) - 1000);
}

#[test]
fn a_run_with_tenants_replays_exactly_however_it_is_stepped() {
    let mut scenario = Scenario::from_json(TENANTS).unwrap();
    scenario.duration_ms = 1500;
    scenario.tenants[1].workload.rate_ops_per_sec = 2000.0;
    let whole = run(&scenario);
    let mut lab = Lab::new(&scenario).unwrap();
    let mut until = 0;
    while !lab.finished() {
        until += 37;
        lab.advance_to(strata_sim::SimTime::from_millis(until), 500)
            .unwrap();
    }
    let stepped = lab.summary();
    assert_eq!(stepped.trace_hash, whole.trace_hash);
    assert_eq!(stepped.tenants, whole.tenants);
    assert_eq!(lab.trace_hash_hex(), whole.trace_hash);
    // The tenants' requests are in the trace: without them it is another run.
    let mut alone = scenario.clone();
    alone.tenants.clear();
    let alone = run(&alone);
    assert!(alone.tenants.is_empty());
    assert_ne!(alone.trace_hash, whole.trace_hash);
}

#[test]
fn tenants_round_trip_through_json_and_share_links_and_bad_ones_are_refused_by_name() {
    let scenario = Scenario::from_json(TENANTS).unwrap();
    assert_eq!(
        Scenario::from_json(&scenario.to_json_pretty()).unwrap(),
        scenario
    );
    assert_eq!(
        Scenario::from_share_token(&scenario.to_share_token()).unwrap(),
        scenario
    );
    // No tenants: the document does not mention them.
    assert!(!Scenario::default().to_json().contains("tenants"));

    let mut bad = scenario.clone();
    bad.tenants
        .push(TenantSpec::new("quiet", WorkloadSpec::default()));
    let message = bad.compile().unwrap_err().to_string();
    assert_eq!(
        message,
        "invalid scenario: tenants[2].name: the prefix \"quiet\" is already tenants[0]'s"
    );
    let typo = TENANTS
        .replace("\"prefixes\"", "\"prefix\"")
        .replace("\"name\": \"hot\",", "\"name\": \"hot\", \"prefix\": 2,");
    assert!(matches!(
        Scenario::from_json(&typo),
        Err(ScenarioError::Parse(message)) if message.contains("prefix")
    ));
}
