//! The library side of the `strata bandit …` and `strata ope` commands. The `strata` binary
//! (crates/lab) parses argv into these argument structs, reads files into strings, calls
//! these functions, and prints the JSON; the browser calls the same functions with the
//! contents of uploaded files. All validation lives here so both surfaces share it.
//!
//! - [`bandit_simulate`]: K-armed Bernoulli (or table-driven) simulation over several seeds;
//!   mean cumulative regret with a 95% interval, reference bounds, optional per-step
//!   decisions.
//! - [`bandit_linear`]: LinUCB or linear TS over a context matrix X and reward matrix R.
//! - [`crate::ope::ope_from_csv`]: off-policy evaluation of a logged CSV (re-exported here).
//!
//! Wall-clock throughput (decisions per second) is measured by the binary, never here: the
//! JSON carries `"decisions"` (the count made) and `"decisions_per_second": null` for the
//! binary to fill in.

use crate::csv;
use crate::error::{RecommenderError, Result};
use crate::metrics::{lai_robbins_bound, ucb1_upper_bound};
use crate::policy::{
    AnyPolicy, Context, EpsilonGreedyConfig, KlUcbConfig, LinTsConfig, LinUcbConfig, Policy,
    PolicyConfig, PopularityConfig, SoftmaxConfig, ThompsonConfig, Ucb1Config, MAX_ARMS,
};
use crate::stats::MeanInterval;
use serde::{Deserialize, Serialize};
use serde_json::json;
use strata_sim::{RngStreams, SimRng};

pub use crate::ope::{ope_from_csv, OpeOptions, OpeReport};

/// The longest horizon a simulation accepts.
pub const MAX_HORIZON: u64 = 10_000_000;
/// The most seeds one call runs.
pub const MAX_SEEDS: u32 = 10_000;
/// The most per-step decisions one call may retain (horizon × seeds) when they are recorded.
pub const MAX_RECORDED_DECISIONS: u64 = 100_000_000;
/// Points in the returned regret curve.
pub const CURVE_POINTS: u64 = 100;

/// Arguments of `strata bandit simulate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BanditSimulateArgs {
    /// Bernoulli means, one per arm (`--means 0.5,0.4,…`). Optional with a rewards table, in
    /// which case regret is measured against the table's column means.
    pub means: Vec<f64>,
    /// T (`--horizon`); defaults to the rewards table's row count.
    pub horizon: Option<u64>,
    /// Number of seeds (`--seeds N`); runs seeds first_seed … first_seed + N − 1.
    pub seeds: u32,
    pub first_seed: u64,
    /// `ts`, `ucb1`, `egreedy`, `softmax`, `klucb` (or `popularity`).
    pub policy: String,
    /// UCB1's α (default 1); the bonus is α·sqrt(2 ln N / n_a), as in MABWiser's UCB1.
    pub alpha: Option<f64>,
    /// ε-greedy's ε (default 0.1).
    pub epsilon: Option<f64>,
    /// Softmax temperature τ (default 0.1).
    pub tau: Option<f64>,
    /// Contents of `--rewards-table`: T rows × K columns; reward[t][arm] is read from it.
    pub rewards_table: Option<String>,
    /// Keep every decision (for `--decisions FILE`).
    pub record_decisions: bool,
}

impl Default for BanditSimulateArgs {
    fn default() -> Self {
        BanditSimulateArgs {
            means: Vec::new(),
            horizon: None,
            seeds: 10,
            first_seed: 1,
            policy: "ts".to_string(),
            alpha: None,
            epsilon: None,
            tau: None,
            rewards_table: None,
            record_decisions: false,
        }
    }
}

/// Parses a comma-separated list of numbers, e.g. the value of `--means`.
pub fn parse_number_list(name: &'static str, text: &str) -> Result<Vec<f64>> {
    text.split(',')
        .map(|field| {
            let field = field.trim();
            field
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| RecommenderError::param(name, field, "not a finite number"))
        })
        .collect()
}

/// Builds the policy a CLI name and flags describe, noting flags that do not apply.
fn cli_policy(
    name: &str,
    alpha: Option<f64>,
    epsilon: Option<f64>,
    tau: Option<f64>,
    notes: &mut Vec<String>,
) -> Result<PolicyConfig> {
    let mut ignore = |flag: &str, given: bool| {
        if given {
            notes.push(format!("--{flag} does not apply to {name} and was ignored"));
        }
    };
    let config = match name {
        "ts" | "thompson" => {
            ignore("alpha", alpha.is_some());
            ignore("epsilon", epsilon.is_some());
            ignore("tau", tau.is_some());
            PolicyConfig::Thompson(ThompsonConfig::default())
        }
        "ucb1" | "ucb" => {
            ignore("epsilon", epsilon.is_some());
            ignore("tau", tau.is_some());
            PolicyConfig::Ucb1(Ucb1Config {
                alpha: alpha.unwrap_or(1.0),
                ..Default::default()
            })
        }
        "egreedy" | "epsilon-greedy" => {
            ignore("alpha", alpha.is_some());
            ignore("tau", tau.is_some());
            PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig {
                epsilon: epsilon.unwrap_or(0.1),
                ..Default::default()
            })
        }
        "softmax" => {
            ignore("alpha", alpha.is_some());
            ignore("epsilon", epsilon.is_some());
            PolicyConfig::Softmax(SoftmaxConfig {
                temperature: tau.unwrap_or(0.1),
                ..Default::default()
            })
        }
        "klucb" | "kl-ucb" => {
            ignore("alpha", alpha.is_some());
            ignore("epsilon", epsilon.is_some());
            ignore("tau", tau.is_some());
            PolicyConfig::KlUcb(KlUcbConfig::default())
        }
        "popularity" => PolicyConfig::Popularity(PopularityConfig::default()),
        other => {
            return Err(RecommenderError::param(
                "policy",
                other,
                "expected one of ts, ucb1, egreedy, softmax, klucb, popularity",
            ))
        }
    };
    Ok(config)
}

/// The full result of a simulation: the JSON summary plus, when asked, every decision.
#[derive(Clone, Debug, PartialEq)]
pub struct BanditSimulateReport {
    pub summary: serde_json::Value,
    /// The seeds run, in order.
    pub seeds: Vec<u64>,
    /// decisions[s][t]: the arm chosen at step t under seeds[s] (when recorded).
    pub decisions: Option<Vec<Vec<u32>>>,
    /// Total decisions made (horizon × seeds), for the binary's decisions-per-second figure.
    pub decisions_made: u64,
}

impl BanditSimulateReport {
    /// The decisions as CSV: a header `seed_<s>` per seed, then one row per step.
    pub fn decisions_csv(&self) -> Option<String> {
        let decisions = self.decisions.as_ref()?;
        let mut out = String::new();
        let header: Vec<String> = self.seeds.iter().map(|s| format!("seed_{s}")).collect();
        out.push_str(&header.join(","));
        out.push('\n');
        let steps = decisions.first().map_or(0, Vec::len);
        for t in 0..steps {
            let row: Vec<String> = decisions.iter().map(|d| d[t].to_string()).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
        Some(out)
    }
}

/// `strata bandit simulate`: the JSON summary only.
pub fn bandit_simulate(args: &BanditSimulateArgs) -> Result<serde_json::Value> {
    Ok(bandit_simulate_report(args)?.summary)
}

/// The step indices (1-based, ascending, ending at the horizon) at which curves are sampled.
fn curve_steps(horizon: u64) -> Vec<u64> {
    let points = CURVE_POINTS.min(horizon);
    let mut steps: Vec<u64> = (1..=points)
        .map(|j| (j * horizon).div_ceil(points))
        .collect();
    steps.dedup();
    steps
}

/// `strata bandit simulate`, with the decisions when `args.record_decisions` is set.
pub fn bandit_simulate_report(args: &BanditSimulateArgs) -> Result<BanditSimulateReport> {
    let mut notes = Vec::new();
    let policy_config = cli_policy(&args.policy, args.alpha, args.epsilon, args.tau, &mut notes)?;
    if args.seeds == 0 || args.seeds > MAX_SEEDS {
        return Err(RecommenderError::param(
            "seeds",
            args.seeds,
            format!("must lie in [1, {MAX_SEEDS}]"),
        ));
    }
    let table = match &args.rewards_table {
        Some(text) => Some(csv::matrix("rewards table", text)?),
        None => None,
    };
    for (i, mean) in args.means.iter().enumerate() {
        if !(0.0..=1.0).contains(mean) {
            return Err(RecommenderError::param(
                "means",
                mean,
                format!("arm {i}: a Bernoulli mean must lie in [0, 1]"),
            ));
        }
    }
    let arms = match &table {
        Some(t) => {
            if !args.means.is_empty() && args.means.len() != t.cols {
                return Err(RecommenderError::param(
                    "means",
                    args.means.len(),
                    format!("the rewards table has {} columns (arms)", t.cols),
                ));
            }
            t.cols
        }
        None => args.means.len(),
    };
    if arms == 0 {
        return Err(RecommenderError::param(
            "means",
            "(none)",
            "K = 0: give at least one arm (--means or --rewards-table)",
        ));
    }
    if arms > MAX_ARMS {
        return Err(RecommenderError::param(
            "means",
            arms,
            format!("at most {MAX_ARMS} arms"),
        ));
    }
    let horizon = match (args.horizon, &table) {
        (Some(h), Some(t)) if h > t.rows as u64 => {
            return Err(RecommenderError::param(
                "horizon",
                h,
                format!("the rewards table has only {} rows", t.rows),
            ))
        }
        (Some(h), _) => h,
        (None, Some(t)) => t.rows as u64,
        (None, None) => {
            return Err(RecommenderError::param(
                "horizon",
                "(none)",
                "give --horizon (or a rewards table)",
            ))
        }
    };
    if horizon == 0 || horizon > MAX_HORIZON {
        return Err(RecommenderError::param(
            "horizon",
            horizon,
            format!("must lie in [1, {MAX_HORIZON}]"),
        ));
    }
    if args.record_decisions && horizon * u64::from(args.seeds) > MAX_RECORDED_DECISIONS {
        return Err(RecommenderError::param(
            "decisions",
            horizon * u64::from(args.seeds),
            format!("at most {MAX_RECORDED_DECISIONS} decisions can be recorded"),
        ));
    }
    let (means, means_source) = if !args.means.is_empty() {
        (args.means.clone(), "given")
    } else {
        let t = table.as_ref().ok_or_else(|| {
            RecommenderError::param("means", "(none)", "give --means or --rewards-table")
        })?;
        let rows = horizon as usize;
        let column_means = (0..t.cols)
            .map(|c| (0..rows).map(|r| t.get(r, c)).sum::<f64>() / rows as f64)
            .collect();
        (column_means, "rewards_table_column_means")
    };
    let best = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // Build once to validate parameters before any run.
    let fresh = policy_config.build(arms)?;
    if let Some(t) = &table {
        if matches!(
            policy_config,
            PolicyConfig::Thompson(_) | PolicyConfig::KlUcb(_)
        ) {
            let bad = (0..horizon as usize)
                .flat_map(|r| (0..t.cols).map(move |c| (r, c)))
                .find(|(r, c)| !(0.0..=1.0).contains(&t.get(*r, *c)));
            if let Some((r, c)) = bad {
                return Err(RecommenderError::Csv {
                    file: "rewards table".into(),
                    line: t.lines[r],
                    message: format!(
                        "column {}: reward {} outside [0, 1], which {} requires",
                        c + 1,
                        t.get(r, c),
                        args.policy
                    ),
                });
            }
        }
    }

    let steps = curve_steps(horizon);
    let seeds: Vec<u64> = (0..u64::from(args.seeds))
        .map(|i| args.first_seed + i)
        .collect();
    let mut final_regrets = Vec::with_capacity(seeds.len());
    let mut total_rewards = Vec::with_capacity(seeds.len());
    let mut curve_sums = vec![0.0; steps.len()];
    let mut pull_sums = vec![0u64; arms];
    let mut decisions = args
        .record_decisions
        .then(|| Vec::with_capacity(seeds.len()));
    let context = Context::empty();
    let mut first_seed_arms = None;
    for seed in &seeds {
        let streams = RngStreams::new(*seed);
        let mut policy_rng = streams.stream("bandit.policy");
        let mut reward_rng = streams.stream("bandit.rewards");
        let mut policy: AnyPolicy = fresh.clone();
        let mut regret = 0.0;
        let mut total_reward = 0.0;
        let mut next_point = 0;
        let mut seed_decisions = decisions
            .is_some()
            .then(|| Vec::with_capacity(horizon as usize));
        for t in 0..horizon {
            let arm = policy.select_among(&context, None, &mut policy_rng)?;
            let reward = match &table {
                Some(table) => table.get(t as usize, arm),
                None => {
                    if reward_rng.bernoulli(means[arm]) {
                        1.0
                    } else {
                        0.0
                    }
                }
            };
            policy.update(&context, arm, reward)?;
            regret += best - means[arm];
            total_reward += reward;
            pull_sums[arm] += 1;
            if let Some(d) = seed_decisions.as_mut() {
                d.push(arm as u32);
            }
            if steps.get(next_point) == Some(&(t + 1)) {
                curve_sums[next_point] += regret;
                next_point += 1;
            }
        }
        final_regrets.push(regret);
        total_rewards.push(total_reward);
        if first_seed_arms.is_none() {
            first_seed_arms = Some(policy.arm_summaries());
        }
        if let (Some(all), Some(d)) = (decisions.as_mut(), seed_decisions) {
            all.push(d);
        }
    }

    let regret = MeanInterval::of(&final_regrets)
        .ok_or_else(|| RecommenderError::InvalidCall("no seeds were run".into()))?;
    let reward = MeanInterval::of(&total_rewards)
        .ok_or_else(|| RecommenderError::InvalidCall("no seeds were run".into()))?;
    let seed_count = seeds.len() as f64;
    let curve_mean: Vec<f64> = curve_sums.iter().map(|s| s / seed_count).collect();
    let lai_robbins: Vec<f64> = steps
        .iter()
        .map(|t| lai_robbins_bound(&means, *t as f64))
        .collect();
    let ucb1_upper: Vec<f64> = steps
        .iter()
        .map(|t| ucb1_upper_bound(&means, *t as f64))
        .collect();
    let mean_pulls: Vec<f64> = pull_sums.iter().map(|p| *p as f64 / seed_count).collect();
    let decisions_made = horizon * seeds.len() as u64;
    let summary = json!({
        "command": "bandit simulate",
        "policy": fresh.kind().as_str(),
        "policy_config": policy_config,
        "arms": arms,
        "horizon": horizon,
        "seeds": seeds,
        "means": means,
        "means_source": means_source,
        "rewards_source": if table.is_some() { "rewards_table" } else { "bernoulli_draws" },
        "regret": {
            "definition": "pseudo-regret: sum over steps of (best mean − mean of the chosen arm)",
            "mean": regret.mean,
            "sd": regret.sd,
            "ci95_low": regret.ci95_low,
            "ci95_high": regret.ci95_high,
            "per_seed": final_regrets,
        },
        "total_reward": {
            "mean": reward.mean,
            "ci95_low": reward.ci95_low,
            "ci95_high": reward.ci95_high,
        },
        "mean_pulls_per_arm": mean_pulls,
        "arms_first_seed": first_seed_arms,
        "bounds_at_horizon": {
            "lai_robbins_lower": lai_robbins_bound(&means, horizon as f64),
            "ucb1_upper": ucb1_upper_bound(&means, horizon as f64),
        },
        "curve": {
            "t": steps,
            "mean_regret": curve_mean,
            "lai_robbins_lower": lai_robbins,
            "ucb1_upper": ucb1_upper,
        },
        "decisions": decisions_made,
        "decisions_per_second": serde_json::Value::Null,
        "notes": notes,
    });
    Ok(BanditSimulateReport {
        summary,
        seeds,
        decisions,
        decisions_made,
    })
}

/// Arguments of `strata bandit linear`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BanditLinearArgs {
    /// Contents of `--contexts X.csv`: T rows of d features.
    pub contexts_csv: String,
    /// Contents of `--rewards R.csv`: T rows of K rewards.
    pub rewards_csv: String,
    /// `linucb` or `lints`.
    pub policy: String,
    /// LinUCB's bonus width α (default 1) or LinTS's posterior scale v (default 0.5).
    pub alpha: Option<f64>,
    /// Ridge λ (default 1).
    pub ridge_lambda: Option<f64>,
    /// Seed for LinTS's draws.
    pub seed: u64,
    pub record_decisions: bool,
}

impl Default for BanditLinearArgs {
    fn default() -> Self {
        BanditLinearArgs {
            contexts_csv: String::new(),
            rewards_csv: String::new(),
            policy: "linucb".to_string(),
            alpha: None,
            ridge_lambda: None,
            seed: 1,
            record_decisions: false,
        }
    }
}

/// The result of `strata bandit linear`.
#[derive(Clone, Debug, PartialEq)]
pub struct BanditLinearReport {
    pub summary: serde_json::Value,
    /// The arm chosen at each step, when recorded.
    pub decisions: Option<Vec<u32>>,
    pub decisions_made: u64,
}

impl BanditLinearReport {
    /// One `arm` column, one row per step.
    pub fn decisions_csv(&self) -> Option<String> {
        let decisions = self.decisions.as_ref()?;
        let mut out = String::from("arm\n");
        for arm in decisions {
            out.push_str(&arm.to_string());
            out.push('\n');
        }
        Some(out)
    }
}

/// `strata bandit linear`: the JSON summary only.
pub fn bandit_linear(args: &BanditLinearArgs) -> Result<serde_json::Value> {
    Ok(bandit_linear_report(args)?.summary)
}

/// `strata bandit linear`: plays T rounds; at round t the policy sees X[t], chooses an arm a
/// and receives R[t][a]. Regret is against the per-round best reward in R.
pub fn bandit_linear_report(args: &BanditLinearArgs) -> Result<BanditLinearReport> {
    let x = csv::matrix("contexts", &args.contexts_csv)?;
    let r = csv::matrix("rewards", &args.rewards_csv)?;
    if x.rows != r.rows {
        return Err(RecommenderError::Csv {
            file: "rewards".into(),
            line: r.last_line(),
            message: format!("{} rows, the contexts file has {}", r.rows, x.rows),
        });
    }
    let ridge_lambda = args.ridge_lambda.unwrap_or(1.0);
    let config = match args.policy.as_str() {
        "linucb" => PolicyConfig::LinUcb(LinUcbConfig {
            dims: x.cols,
            ridge_lambda,
            alpha: args.alpha.unwrap_or(1.0),
        }),
        "lints" => PolicyConfig::LinTs(LinTsConfig {
            dims: x.cols,
            ridge_lambda,
            alpha: args.alpha.unwrap_or(0.5),
            ..Default::default()
        }),
        other => {
            return Err(RecommenderError::param(
                "policy",
                other,
                "expected linucb or lints",
            ))
        }
    };
    let mut policy = config.build(r.cols)?;
    let mut rng: SimRng = RngStreams::new(args.seed).stream("bandit.linear");
    let steps = curve_steps(x.rows as u64);
    let mut curve = Vec::with_capacity(steps.len());
    let mut total_reward = 0.0;
    let mut oracle_reward = 0.0;
    let mut pulls = vec![0u64; r.cols];
    let mut decisions = args.record_decisions.then(|| Vec::with_capacity(x.rows));
    let mut next_point = 0;
    for t in 0..x.rows {
        let context = Context::new(t as u64, x.row(t).to_vec());
        let arm = policy.select_among(&context, None, &mut rng)?;
        let reward = r.get(t, arm);
        policy.update(&context, arm, reward)?;
        total_reward += reward;
        oracle_reward += r.row(t).iter().copied().fold(f64::NEG_INFINITY, f64::max);
        pulls[arm] += 1;
        if let Some(d) = decisions.as_mut() {
            d.push(arm as u32);
        }
        if steps.get(next_point) == Some(&(t as u64 + 1)) {
            curve.push(oracle_reward - total_reward);
            next_point += 1;
        }
    }
    let summary = json!({
        "command": "bandit linear",
        "policy": policy.kind().as_str(),
        "policy_config": config,
        "rounds": x.rows,
        "dims": x.cols,
        "arms": r.cols,
        "seed": args.seed,
        "total_reward": total_reward,
        "mean_reward": total_reward / x.rows as f64,
        "oracle_total_reward": oracle_reward,
        "regret": oracle_reward - total_reward,
        "pulls_per_arm": pulls,
        "curve": { "t": steps, "regret": curve },
        "decisions": x.rows,
        "decisions_per_second": serde_json::Value::Null,
    });
    Ok(BanditLinearReport {
        summary,
        decisions,
        decisions_made: x.rows as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn args(policy: &str, means: &[f64], horizon: u64, seeds: u32) -> BanditSimulateArgs {
        BanditSimulateArgs {
            means: means.to_vec(),
            horizon: Some(horizon),
            seeds,
            policy: policy.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn simulate_reports_regret_with_an_interval_and_bounds() {
        let out = bandit_simulate(&args("ucb1", &[0.5, 0.4, 0.4], 500, 4)).unwrap();
        let regret = &out["regret"];
        let mean = regret["mean"].as_f64().unwrap();
        let low = regret["ci95_low"].as_f64().unwrap();
        let high = regret["ci95_high"].as_f64().unwrap();
        assert!(low <= mean && mean <= high);
        let per_seed: Vec<f64> = regret["per_seed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(per_seed.len(), 4);
        assert!((per_seed.iter().sum::<f64>() / 4.0 - mean).abs() < 1e-9);
        assert_eq!(out["decisions"], 2000);
        assert_eq!(out["curve"]["t"].as_array().unwrap().len(), 100);
        assert_eq!(out["curve"]["t"][99], 500);
        // Pseudo-regret at the horizon equals the curve's last point.
        assert!((out["curve"]["mean_regret"][99].as_f64().unwrap() - mean).abs() < 1e-9);
        assert!(out["bounds_at_horizon"]["ucb1_upper"].as_f64().unwrap() > mean);
        // Per-arm pulls and posterior of the first seed's run.
        let arms = out["arms_first_seed"].as_array().unwrap();
        assert_eq!(arms.len(), 3);
        let pulls: u64 = arms.iter().map(|a| a["pulls"].as_u64().unwrap()).sum();
        assert_eq!(pulls, 500);
        for arm in arms {
            let (low, mean, high) = (
                arm["ci95_low"].as_f64().unwrap(),
                arm["posterior_mean"].as_f64().unwrap(),
                arm["ci95_high"].as_f64().unwrap(),
            );
            assert!(low < mean && mean < high);
        }
    }

    #[test]
    fn a_rewards_table_is_replayed_exactly() {
        // Arm 1 always pays, arm 0 never: UCB1 plays 0, 1, then 1 forever.
        let table = "0,1\n".repeat(6);
        let a = BanditSimulateArgs {
            rewards_table: Some(table),
            seeds: 1,
            policy: "ucb1".into(),
            record_decisions: true,
            ..Default::default()
        };
        let report = bandit_simulate_report(&a).unwrap();
        assert_eq!(report.decisions, Some(vec![vec![0, 1, 1, 1, 1, 1]]));
        assert_eq!(report.summary["means"], json!([0.0, 1.0]));
        assert_eq!(report.summary["means_source"], "rewards_table_column_means");
        assert_eq!(report.summary["regret"]["mean"], 1.0);
        assert_eq!(
            report.decisions_csv().unwrap(),
            "seed_1\n0\n1\n1\n1\n1\n1\n"
        );
    }

    #[test]
    fn same_seed_same_decisions_and_seeds_differ() {
        let mut a = args("ts", &[0.3, 0.5], 200, 2);
        a.record_decisions = true;
        let first = bandit_simulate_report(&a).unwrap();
        let second = bandit_simulate_report(&a).unwrap();
        assert_eq!(first.decisions, second.decisions);
        let d = first.decisions.unwrap();
        assert_ne!(d[0], d[1]);
    }

    #[test]
    fn invalid_arguments_are_typed_errors() {
        let cases = [
            args("ucb1", &[], 10, 1),
            args("ucb1", &[0.5], 0, 1),
            args("ucb1", &[0.5], 10, 0),
            args("ucb1", &[1.5], 10, 1),
            args("nope", &[0.5], 10, 1),
            BanditSimulateArgs {
                alpha: Some(-1.0),
                ..args("ucb1", &[0.5], 10, 1)
            },
            BanditSimulateArgs {
                epsilon: Some(1.5),
                ..args("egreedy", &[0.5], 10, 1)
            },
            BanditSimulateArgs {
                tau: Some(0.0),
                ..args("softmax", &[0.5], 10, 1)
            },
            BanditSimulateArgs {
                horizon: None,
                ..args("ucb1", &[0.5], 10, 1)
            },
        ];
        for case in cases {
            let err = bandit_simulate(&case).unwrap_err();
            assert!(
                matches!(err, RecommenderError::InvalidParameter { .. }),
                "{case:?} gave {err}"
            );
        }
        let table_too_short = BanditSimulateArgs {
            rewards_table: Some("0,1\n".into()),
            ..args("ucb1", &[], 5, 1)
        };
        assert!(bandit_simulate(&table_too_short).is_err());
        let bad_table = BanditSimulateArgs {
            rewards_table: Some("0,1\n0,x\n".into()),
            ..args("ucb1", &[], 2, 1)
        };
        assert!(matches!(
            bandit_simulate(&bad_table),
            Err(RecommenderError::Csv { line: 2, .. })
        ));
        let ts_needs_unit_rewards = BanditSimulateArgs {
            rewards_table: Some("0,1\n0,2\n".into()),
            ..args("ts", &[], 2, 1)
        };
        assert!(matches!(
            bandit_simulate(&ts_needs_unit_rewards),
            Err(RecommenderError::Csv { line: 2, .. })
        ));
        let noted = bandit_simulate(&BanditSimulateArgs {
            epsilon: Some(0.2),
            ..args("ucb1", &[0.5, 0.4], 10, 1)
        })
        .unwrap();
        assert_eq!(noted["notes"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn number_lists_parse_and_reject_junk() {
        assert_eq!(
            parse_number_list("means", "0.5, 0.4,0.1").unwrap(),
            vec![0.5, 0.4, 0.1]
        );
        assert!(parse_number_list("means", "0.5,,0.4").is_err());
        assert!(parse_number_list("means", "inf").is_err());
    }

    #[test]
    fn linear_bandit_learns_a_separable_problem() {
        // Context e1 → arm 0 pays 1, context e2 → arm 1 pays 1, alternating, 200 rounds.
        let mut x = String::new();
        let mut r = String::new();
        for t in 0..200 {
            if t % 2 == 0 {
                x.push_str("1,0\n");
                r.push_str("1,0\n");
            } else {
                x.push_str("0,1\n");
                r.push_str("0,1\n");
            }
        }
        for policy in ["linucb", "lints"] {
            let report = bandit_linear_report(&BanditLinearArgs {
                contexts_csv: x.clone(),
                rewards_csv: r.clone(),
                policy: policy.into(),
                record_decisions: true,
                ..Default::default()
            })
            .unwrap();
            let regret = report.summary["regret"].as_f64().unwrap();
            assert!(regret < 20.0, "{policy}: regret {regret}");
            assert_eq!(report.summary["oracle_total_reward"], 200.0);
            let decisions = report.decisions.unwrap();
            assert_eq!(&decisions[190..], &[0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
        }
        let mismatch = BanditLinearArgs {
            contexts_csv: "1,0\n".into(),
            rewards_csv: "1,0\n0,1\n".into(),
            ..Default::default()
        };
        assert!(matches!(
            bandit_linear(&mismatch),
            Err(RecommenderError::Csv { .. })
        ));
        let bad_alpha = BanditLinearArgs {
            contexts_csv: "1,0\n".into(),
            rewards_csv: "1,0\n".into(),
            alpha: Some(-1.0),
            ..Default::default()
        };
        assert!(matches!(
            bandit_linear(&bad_alpha),
            Err(RecommenderError::InvalidParameter { .. })
        ));
    }
}
