//! Statistical specifications with fixed seeds: who beats whom on a 10-armed Bernoulli
//! problem, and where the regret lies relative to the reference bounds. Sizes are modest so
//! the suite stays fast in debug mode and in wasm32.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use strata_recommender::{bandit_simulate, BanditSimulateArgs};

/// Ten arms, gaps from 0.1 to 0.85.
const MEANS: [f64; 10] = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];

struct Run {
    mean: f64,
    low: f64,
    high: f64,
    lai_robbins: f64,
    ucb1_upper: f64,
}

fn run(policy: &str, horizon: u64) -> Run {
    let out = bandit_simulate(&BanditSimulateArgs {
        means: MEANS.to_vec(),
        horizon: Some(horizon),
        seeds: 8,
        policy: policy.to_string(),
        ..Default::default()
    })
    .expect("valid arguments");
    let f = |v: &serde_json::Value| v.as_f64().expect("a number");
    Run {
        mean: f(&out["regret"]["mean"]),
        low: f(&out["regret"]["ci95_low"]),
        high: f(&out["regret"]["ci95_high"]),
        lai_robbins: f(&out["bounds_at_horizon"]["lai_robbins_lower"]),
        ucb1_upper: f(&out["bounds_at_horizon"]["ucb1_upper"]),
    }
}

#[test]
fn thompson_sampling_beats_ucb1_and_both_respect_the_bounds() {
    let ts = run("ts", 3000);
    let ucb1 = run("ucb1", 3000);
    // TS beats UCB1, clearly: the intervals do not overlap.
    assert!(
        ts.high < ucb1.low,
        "TS [{}, {}] vs UCB1 [{}, {}]",
        ts.low,
        ts.high,
        ucb1.low,
        ucb1.high
    );
    // UCB1 lies between the Lai–Robbins lower bound and its own finite-time upper bound.
    assert!(
        ucb1.mean > ucb1.lai_robbins,
        "UCB1 {} vs LR {}",
        ucb1.mean,
        ucb1.lai_robbins
    );
    assert!(ucb1.mean < ucb1.ucb1_upper);
    // TS is below UCB1's upper bound. The Lai–Robbins bound is asymptotic (its ln t term
    // overstates early regret), so at this horizon an asymptotically optimal policy may sit
    // somewhat under it; TS is still within a factor of 4 of it, not vanishingly small.
    assert!(ts.mean < ts.ucb1_upper);
    assert!(
        ts.mean > 0.25 * ts.lai_robbins,
        "TS {} vs LR {}",
        ts.mean,
        ts.lai_robbins
    );
}

#[test]
fn kl_ucb_beats_ucb1() {
    let klucb = run("klucb", 3000);
    let ucb1 = run("ucb1", 3000);
    assert!(
        klucb.high < ucb1.low,
        "KL-UCB {} vs UCB1 {}",
        klucb.mean,
        ucb1.mean
    );
}

#[test]
fn regret_grows_sublinearly() {
    // Doubling the horizon should far less than double an optimistic policy's regret.
    let short = run("klucb", 1500);
    let long = run("klucb", 3000);
    assert!(
        long.mean < 1.6 * short.mean,
        "{} then {}",
        short.mean,
        long.mean
    );
    assert!(long.mean > short.mean);
}

/// Plays a two-armed world whose best arm switches halfway; returns the pseudo-regret.
fn switching_world_regret(config: strata_recommender::PolicyConfig, seed: u64) -> f64 {
    use strata_recommender::{Context, Policy};
    let mut policy = config.build(2).expect("valid policy");
    let streams = strata_sim::RngStreams::new(seed);
    let mut choices = streams.stream("test.policy");
    let mut rewards = streams.stream("test.rewards");
    let context = Context::empty();
    let horizon = 4000;
    let mut regret = 0.0;
    for t in 0..horizon {
        let means = if t < horizon / 2 {
            [0.8, 0.2]
        } else {
            [0.2, 0.8]
        };
        let arm = policy
            .select_among(&context, None, &mut choices)
            .expect("choice");
        let reward = if rewards.bernoulli(means[arm]) {
            1.0
        } else {
            0.0
        };
        policy.update(&context, arm, reward).expect("update");
        regret += 0.8 - means[arm];
    }
    regret
}

#[test]
fn discounted_and_sliding_window_thompson_sampling_adapt_after_an_abrupt_change() {
    use strata_recommender::policy::{Memory, ThompsonConfig};
    use strata_recommender::PolicyConfig;
    let average = |memory: Memory| -> f64 {
        let config = PolicyConfig::Thompson(ThompsonConfig {
            memory,
            ..Default::default()
        });
        (1..=4)
            .map(|seed| switching_world_regret(config.clone(), seed))
            .sum::<f64>()
            / 4.0
    };
    let stationary = average(Memory::Stationary);
    let discounted = average(Memory::Discounted { gamma: 0.98 });
    let windowed = average(Memory::SlidingWindow { window: 500 });
    // Stationary TS trusts 2,000 pulls of the old winner and keeps playing it for hundreds of
    // steps after the switch; the forgetting variants move within tens.
    assert!(
        discounted < 0.5 * stationary,
        "discounted {discounted} vs {stationary}"
    );
    assert!(
        windowed < 0.5 * stationary,
        "windowed {windowed} vs {stationary}"
    );
    // (UCB1's optimism already re-explores the old loser as soon as the winner's mean dips,
    // so at these horizons its windowed and discounted variants are not claimed to beat it.)
}
