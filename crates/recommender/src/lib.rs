//! The adaptive recommender: bandit policies, a simulated user population, metrics, trust
//! guardrails, off-policy evaluation, and the impression log and checkpoints kept in the
//! engine.
//!
//! - [`policy`]: the [`Policy`] trait and every algorithm behind it (ε-greedy, softmax, UCB1,
//!   KL-UCB, Beta–Bernoulli Thompson sampling, LinUCB, linear Thompson sampling, a popularity
//!   baseline), each with stationary, discounted or sliding-window memory where it applies.
//! - [`population`]: simulated users and items, the click model, drift, the feedback loop.
//! - [`guardrails`] and [`slate`]: exploration cap, diversity floor, rate limit; slates of k.
//! - [`simulation`]: the recommender loop as a pure step function, with its metrics.
//! - [`log`]: impressions and checkpoints in the engine, crash recovery by replay, and the
//!   loop that runs in simulated time.
//! - [`bench`]: seeded workload functions the benchmark harness times (decisions per second
//!   per policy, the loop, the estimators).
//! - [`stats`]: intervals, Beta quantiles, KL divergence, Gini.
//! - [`metrics`]: regret reference bounds (Lai–Robbins, UCB1), bounded series, exposure.
//! - [`ope`]: off-policy estimators (replay, IPS, SNIPS, DM, DR, SNDR, Switch-DR, DRos).
//! - [`evaluate`]: OPE estimates of a candidate next to its true online value.
//! - [`csv`]: the small CSV reader behind every file input, with line-numbered errors.
//! - [`cli`]: the functions behind `strata bandit simulate|linear` and `strata ope`.
//!
//! Everything here is deterministic given a seed: randomness comes from named
//! `strata_sim::SimRng` streams, floats go through `strata_sim::math`, and no collection with
//! random iteration order is used.

pub mod bench;
pub mod cli;
pub mod csv;
pub mod error;
pub mod evaluate;
pub mod guardrails;
mod json;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod json_tests;
pub mod log;
pub mod metrics;
pub mod ope;
pub mod policy;
pub mod population;
pub mod simulation;
pub mod slate;
pub mod stats;

pub use cli::{
    bandit_linear, bandit_linear_report, bandit_simulate, bandit_simulate_report, BanditLinearArgs,
    BanditSimulateArgs,
};
pub use error::{ErrorKind, RecommenderError};
pub use ope::{ope_from_csv, OpeOptions, OpeReport};
pub use policy::{AnyPolicy, Choice, Context, Policy, PolicyConfig, PolicyKind};
