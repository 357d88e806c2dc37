//! Workload functions for the benchmark harness, which times them natively and in wasm32.
//! Nothing here reads a clock: each function does a fixed amount of seeded work and returns a
//! checksum of its decisions, so the work cannot be optimised away and two targets can be
//! checked for identical results.
//!
//! Decisions-per-second workloads play `decisions` rounds of choose-then-update on the
//! MABWiser comparison problem (10 Bernoulli arms, best 0.5, others 0.4); the contextual ones
//! use 8 features. [`WORKLOADS`] lists them all by name for [`run`].

use crate::cli::{bandit_simulate, BanditSimulateArgs};
use crate::ope::{estimate, OpeOptions, OpeRow};
use crate::policy::{
    AnyPolicy, Context, EpsilonGreedyConfig, KlUcbConfig, LinTsConfig, LinUcbConfig, Memory,
    Policy, PolicyConfig, PopularityConfig, SoftmaxConfig, ThompsonConfig, Ucb1Config,
};
use crate::simulation::{RecommenderConfig, RecommenderSim};
use strata_sim::{RngStreams, SimRng};

/// Arms in the decision benchmarks.
pub const BENCH_ARMS: usize = 10;
/// Context dimension in the linear benchmarks.
pub const BENCH_DIMS: usize = 8;

/// Every workload, by the name [`run`] takes.
pub const WORKLOADS: &[&str] = &[
    "ts_decisions",
    "ts_decisions_with_propensity",
    "ucb1_decisions",
    "klucb_decisions",
    "egreedy_decisions",
    "softmax_decisions",
    "popularity_decisions",
    "discounted_ts_decisions",
    "sliding_window_ucb1_decisions",
    "linucb_decisions",
    "lints_decisions",
    "recommender_steps",
    "ope_rows",
    "bandit_simulate_decisions",
];

/// Runs the named workload; `None` for an unknown name.
pub fn run(name: &str, seed: u64, n: u64) -> Option<u64> {
    Some(match name {
        "ts_decisions" => ts_decisions(seed, n),
        "ts_decisions_with_propensity" => ts_decisions_with_propensity(seed, n),
        "ucb1_decisions" => ucb1_decisions(seed, n),
        "klucb_decisions" => klucb_decisions(seed, n),
        "egreedy_decisions" => egreedy_decisions(seed, n),
        "softmax_decisions" => softmax_decisions(seed, n),
        "popularity_decisions" => popularity_decisions(seed, n),
        "discounted_ts_decisions" => discounted_ts_decisions(seed, n),
        "sliding_window_ucb1_decisions" => sliding_window_ucb1_decisions(seed, n),
        "linucb_decisions" => linucb_decisions(seed, n),
        "lints_decisions" => lints_decisions(seed, n),
        "recommender_steps" => recommender_steps(seed, n),
        "ope_rows" => ope_rows(seed, n),
        "bandit_simulate_decisions" => bandit_simulate_decisions(seed, n),
        _ => return None,
    })
}

fn means() -> [f64; BENCH_ARMS] {
    let mut means = [0.4; BENCH_ARMS];
    means[0] = 0.5;
    means
}

/// `decisions` rounds of select-then-update (no propensity estimate) on the Bernoulli problem;
/// returns Σ arm·(t + 1) + clicks, a checksum of the decisions.
fn k_armed(config: PolicyConfig, seed: u64, decisions: u64, with_propensity: bool) -> u64 {
    let Ok(mut policy) = config.build(BENCH_ARMS) else {
        return 0;
    };
    let streams = RngStreams::new(seed);
    let mut choices = streams.stream("bench.policy");
    let mut rewards = streams.stream("bench.rewards");
    let context = Context::empty();
    let means = means();
    let mut checksum = 0u64;
    for t in 0..decisions {
        let arm = if with_propensity {
            match policy.choose(&context, &mut choices) {
                Ok(choice) => {
                    checksum = checksum.wrapping_add(choice.propensity.to_bits() >> 40);
                    choice.arm
                }
                Err(_) => return checksum,
            }
        } else {
            match policy.select_among(&context, None, &mut choices) {
                Ok(arm) => arm,
                Err(_) => return checksum,
            }
        };
        let click = rewards.bernoulli(means[arm]);
        if policy
            .update(&context, arm, f64::from(u8::from(click)))
            .is_err()
        {
            return checksum;
        }
        checksum = checksum
            .wrapping_add((arm as u64).wrapping_mul(t + 1))
            .wrapping_add(u64::from(click));
    }
    checksum
}

/// Beta–Bernoulli Thompson sampling, arm only.
pub fn ts_decisions(seed: u64, decisions: u64) -> u64 {
    k_armed(
        PolicyConfig::Thompson(ThompsonConfig::default()),
        seed,
        decisions,
        false,
    )
}

/// Thompson sampling with its Monte-Carlo propensity (M = 100 draws) on every decision: the
/// cost of logging-grade propensities.
pub fn ts_decisions_with_propensity(seed: u64, decisions: u64) -> u64 {
    k_armed(
        PolicyConfig::Thompson(ThompsonConfig::default()),
        seed,
        decisions,
        true,
    )
}

/// UCB1 with α = 1.
pub fn ucb1_decisions(seed: u64, decisions: u64) -> u64 {
    k_armed(
        PolicyConfig::Ucb1(Ucb1Config::default()),
        seed,
        decisions,
        false,
    )
}

pub fn klucb_decisions(seed: u64, decisions: u64) -> u64 {
    k_armed(
        PolicyConfig::KlUcb(KlUcbConfig::default()),
        seed,
        decisions,
        false,
    )
}

/// ε-greedy with ε = 0.1.
pub fn egreedy_decisions(seed: u64, decisions: u64) -> u64 {
    k_armed(
        PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig::default()),
        seed,
        decisions,
        false,
    )
}

/// Softmax with τ = 0.1.
pub fn softmax_decisions(seed: u64, decisions: u64) -> u64 {
    k_armed(
        PolicyConfig::Softmax(SoftmaxConfig::default()),
        seed,
        decisions,
        false,
    )
}

pub fn popularity_decisions(seed: u64, decisions: u64) -> u64 {
    k_armed(
        PolicyConfig::Popularity(PopularityConfig::default()),
        seed,
        decisions,
        false,
    )
}

/// Thompson sampling with discount γ = 0.99 (every update touches all arms).
pub fn discounted_ts_decisions(seed: u64, decisions: u64) -> u64 {
    k_armed(
        PolicyConfig::Thompson(ThompsonConfig {
            memory: Memory::Discounted { gamma: 0.99 },
            ..Default::default()
        }),
        seed,
        decisions,
        false,
    )
}

/// UCB1 over a sliding window of 1,000 pulls.
pub fn sliding_window_ucb1_decisions(seed: u64, decisions: u64) -> u64 {
    k_armed(
        PolicyConfig::Ucb1(Ucb1Config {
            memory: Memory::SlidingWindow { window: 1000 },
            ..Default::default()
        }),
        seed,
        decisions,
        false,
    )
}

/// A linear problem: reward probability clamp(0.5 + 0.3·θ_a·x) with random unit contexts.
fn linear(config: PolicyConfig, seed: u64, decisions: u64) -> u64 {
    let Ok(mut policy): Result<AnyPolicy, _> = config.build(BENCH_ARMS) else {
        return 0;
    };
    let streams = RngStreams::new(seed);
    let mut world: SimRng = streams.stream("bench.world");
    let mut choices = streams.stream("bench.policy");
    let thetas: Vec<Vec<f64>> = (0..BENCH_ARMS)
        .map(|_| {
            (0..BENCH_DIMS)
                .map(|_| world.standard_normal() / 3.0)
                .collect()
        })
        .collect();
    let mut checksum = 0u64;
    for t in 0..decisions {
        let features: Vec<f64> = (0..BENCH_DIMS).map(|_| world.standard_normal()).collect();
        let context = Context::new(t, features);
        let Ok(arm) = policy.select_among(&context, None, &mut choices) else {
            return checksum;
        };
        let score: f64 = thetas[arm]
            .iter()
            .zip(&context.features)
            .map(|(a, b)| a * b)
            .sum();
        let click = world.bernoulli((0.5 + 0.3 * score).clamp(0.0, 1.0));
        if policy
            .update(&context, arm, f64::from(u8::from(click)))
            .is_err()
        {
            return checksum;
        }
        checksum = checksum.wrapping_add((arm as u64).wrapping_mul(t + 1));
    }
    checksum
}

/// LinUCB, d = 8, K = 10.
pub fn linucb_decisions(seed: u64, decisions: u64) -> u64 {
    linear(
        PolicyConfig::LinUcb(LinUcbConfig {
            dims: BENCH_DIMS,
            ..Default::default()
        }),
        seed,
        decisions,
    )
}

/// Linear Thompson sampling, d = 8, K = 10 (arm only).
pub fn lints_decisions(seed: u64, decisions: u64) -> u64 {
    linear(
        PolicyConfig::LinTs(LinTsConfig {
            dims: BENCH_DIMS,
            ..Default::default()
        }),
        seed,
        decisions,
    )
}

/// The full recommender loop: `steps` slates of 3 from 30 items to 200 users, Thompson
/// sampling with M = 100 propensities, clicks, updates and metrics. Returns clicks and
/// impressions folded into a checksum.
pub fn recommender_steps(seed: u64, steps: u64) -> u64 {
    let Ok(mut sim) = RecommenderSim::new(RecommenderConfig::default(), seed) else {
        return 0;
    };
    let mut checksum = 0u64;
    for _ in 0..steps {
        let Ok(outcome) = sim.step() else {
            return checksum;
        };
        for slot in &outcome.slots {
            checksum = checksum
                .wrapping_mul(31)
                .wrapping_add(u64::from(slot.arm) * 2 + u64::from(slot.click));
        }
    }
    checksum
}

/// Every OPE estimator over `rows` synthetic logged rows (10 actions, uniform logging, a
/// fixed target and reward model). Returns the bits of the estimates folded together.
pub fn ope_rows(seed: u64, rows: u64) -> u64 {
    let mut rng = RngStreams::new(seed).stream("bench.ope");
    let target: Vec<f64> = {
        let raw: Vec<f64> = (0..BENCH_ARMS).map(|a| 1.0 + a as f64).collect();
        let total: f64 = raw.iter().sum();
        raw.iter().map(|w| w / total).collect()
    };
    let q: Vec<f64> = (0..BENCH_ARMS).map(|a| 0.3 + 0.02 * a as f64).collect();
    let logged: Vec<(usize, f64)> = (0..rows)
        .map(|_| {
            let action = rng.index(BENCH_ARMS);
            let reward = f64::from(u8::from(rng.bernoulli(q[action])));
            (action, reward)
        })
        .collect();
    let rows: Vec<OpeRow<'_>> = logged
        .iter()
        .map(|(action, reward)| OpeRow {
            action: *action,
            position: 0,
            reward: *reward,
            propensity: 1.0 / BENCH_ARMS as f64,
            target: &target,
            reward_model: Some(&q),
        })
        .collect();
    let options = OpeOptions {
        clip: Some(5.0),
        switch_tau: Some(5.0),
        dros_lambda: Some(1.0),
    };
    match estimate(&rows, &options) {
        Ok(report) => report
            .estimates()
            .iter()
            .fold(0u64, |acc, (_, e)| acc.rotate_left(7) ^ e.value.to_bits()),
        Err(_) => 0,
    }
}

/// `strata bandit simulate` end to end (UCB1, one seed, `decisions` steps): the path the
/// MABWiser comparison times.
pub fn bandit_simulate_decisions(seed: u64, decisions: u64) -> u64 {
    let args = BanditSimulateArgs {
        means: means().to_vec(),
        horizon: Some(decisions.max(1)),
        seeds: 1,
        first_seed: seed,
        policy: "ucb1".to_string(),
        ..Default::default()
    };
    match bandit_simulate(&args) {
        Ok(out) => out["regret"]["mean"].as_f64().map_or(0, f64::to_bits),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_workload_runs_and_is_deterministic() {
        for name in WORKLOADS {
            let a = run(name, 3, 40).expect("known workload");
            let b = run(name, 3, 40).expect("known workload");
            assert_eq!(a, b, "{name}");
            assert_ne!(a, 0, "{name} did some work");
        }
        assert_eq!(run("nope", 1, 1), None);
    }
}
