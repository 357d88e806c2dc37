//! The adaptive recommender: bandit policies, a simulated user population, metrics, trust
//! guardrails, off-policy evaluation, and the impression log and checkpoints kept in the
//! engine.
//!
//! - [`policy`]: the [`Policy`] trait and every algorithm behind it (ε-greedy, softmax, UCB1,
//!   KL-UCB, Beta–Bernoulli Thompson sampling, LinUCB, linear Thompson sampling, a popularity
//!   baseline), each with stationary, discounted or sliding-window memory where it applies.
//! - [`stats`]: intervals, Beta quantiles, KL divergence, Gini.
//!
//! Everything here is deterministic given a seed: randomness comes from named
//! `strata_sim::SimRng` streams, floats go through `strata_sim::math`, and no collection with
//! random iteration order is used.

pub mod error;
pub mod policy;
pub mod stats;

pub use error::{ErrorKind, RecommenderError};
pub use policy::{AnyPolicy, Choice, Context, Policy, PolicyConfig, PolicyKind};
