//! Targets for the lab's inputs: share tokens (`v1.` + base64url JSON) and scenario documents.
//! Their "seal" is well-formedness: a re-sealed mutation changes the scenario's JSON and then
//! encodes it again as valid JSON (and a valid token), so it reaches validation.

use crate::json::mutate_json_text;
use crate::targets::Target;
use strata_lab::share::base64url_decode;
use strata_lab::Scenario;
use strata_sim::SimRng;

/// The scenario fixtures of tests/scenarios, plus the default scenario: every section of the
/// schema appears in at least one.
const FIXTURES: [&str; 7] = [
    include_str!("../../../../tests/scenarios/bit-flip.json"),
    include_str!("../../../../tests/scenarios/crash-recover.json"),
    include_str!("../../../../tests/scenarios/outage.json"),
    include_str!("../../../../tests/scenarios/rate-change.json"),
    include_str!("../../../../tests/scenarios/recommender.json"),
    include_str!("../../../../tests/scenarios/steady-writes.json"),
    include_str!("../../../../tests/scenarios/zombie-writer.json"),
];

fn scenario_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = FIXTURES
        .iter()
        .map(|text| text.as_bytes().to_vec())
        .collect();
    seeds.push(Scenario::default().to_json().into_bytes());
    seeds
}

/// A validated scenario must survive its own encodings unchanged.
fn check_round_trips(scenario: &Scenario) -> Result<(), String> {
    let again = Scenario::from_json(&scenario.to_json())
        .map_err(|error| format!("an accepted scenario does not re-parse: {error}"))?;
    if &again != scenario {
        return Err("an accepted scenario changes through its JSON".to_string());
    }
    let token = scenario.to_share_token();
    let again = Scenario::from_share_token(&token)
        .map_err(|error| format!("an accepted scenario's token does not decode: {error}"))?;
    if &again != scenario {
        return Err("an accepted scenario changes through its share token".to_string());
    }
    Ok(())
}

pub const SCENARIO_JSON: Target = Target {
    name: "scenario-json",
    about: "a scenario document (parsed, then validated)",
    seeds: scenario_seeds,
    mutate_sealed: mutate_json_text,
    check: scenario_check,
};

fn scenario_check(input: &[u8]) -> Result<bool, String> {
    let text = String::from_utf8_lossy(input);
    match Scenario::from_json(&text) {
        Ok(scenario) => check_round_trips(&scenario).map(|()| true),
        Err(_) => Ok(false),
    }
}

pub const SHARE_TOKEN: Target = Target {
    name: "share-token",
    about: "a share token (`v1.` + base64url of a scenario's JSON)",
    seeds: token_seeds,
    mutate_sealed: token_mutate,
    check: token_check,
};

fn token_seeds() -> Vec<Vec<u8>> {
    scenario_seeds()
        .iter()
        .filter_map(|text| Scenario::from_json(&String::from_utf8_lossy(text)).ok())
        .map(|scenario| scenario.to_share_token().into_bytes())
        .collect()
}

/// The token's scenario mutated as JSON and encoded into a well-formed token again.
fn token_mutate(rng: &mut SimRng, valid: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(valid);
    let payload = text.strip_prefix("v1.").unwrap_or(&text);
    let json = base64url_decode(payload).unwrap_or_default();
    let mutated = mutate_json_text(rng, &json);
    format!("v1.{}", strata_lab::share::base64url_encode(&mutated)).into_bytes()
}

fn token_check(input: &[u8]) -> Result<bool, String> {
    let text = String::from_utf8_lossy(input);
    match Scenario::from_share_token(&text) {
        Ok(scenario) => check_round_trips(&scenario).map(|()| true),
        Err(_) => Ok(false),
    }
}
