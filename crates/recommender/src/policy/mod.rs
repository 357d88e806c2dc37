//! Bandit policies behind one trait.
//!
//! A policy is pure state plus two operations: [`Policy::choose_among`] reads the state and a
//! seeded random stream and returns an arm with its propensity (the probability that this
//! policy, in this state, shows this arm); [`Policy::update`] folds one observed reward into
//! the state. Choosing never changes the state, so a policy's state is a function of the
//! sequence of updates alone: that is what makes checkpoint-plus-replay recovery exact.
//!
//! - [`arm_stats`]: per-arm counts and reward sums with stationary, discounted or
//!   sliding-window memory (the non-stationary variants of every K-armed policy).
//! - [`k_armed`]: the [`KArmed`] trait, which gives a context-free policy over one
//!   [`ArmStats`] the shared half of [`Policy`] (kind, arm count, version, update, summaries).
//! - [`egreedy`], [`softmax`], [`ucb`] (UCB1 and KL-UCB), [`thompson`] (Beta–Bernoulli),
//!   [`popularity`]: K-armed policies that ignore the context, each a [`KArmed`].
//! - [`linear`]: LinUCB and linear Thompson sampling, one ridge model per arm updated by
//!   Sherman–Morrison.
//!
//! [`PolicyConfig`] is the serialisable description a scenario carries; [`AnyPolicy`] is the
//! serialisable state a checkpoint carries.

pub mod arm_stats;
pub mod egreedy;
pub mod k_armed;
pub mod linear;
pub mod popularity;
pub mod softmax;
pub mod thompson;
pub mod ucb;

use crate::error::{RecommenderError, Result};
use crate::json::{Members, Writer};
use crate::stats::BetaSummary;
use serde::{Deserialize, Serialize};
use strata_sim::fmt::shortest;
use strata_sim::SimRng;

pub use arm_stats::{ArmStats, Memory};
pub use egreedy::{EpsilonGreedy, EpsilonGreedyConfig};
pub use k_armed::KArmed;
pub use linear::{LinTs, LinTsConfig, LinUcb, LinUcbConfig};
pub use popularity::{Popularity, PopularityConfig};
pub use softmax::{Softmax, SoftmaxConfig};
pub use thompson::{Thompson, ThompsonConfig};
pub use ucb::{KlUcb, KlUcbConfig, Ucb1, Ucb1Config};

/// The most arms a policy accepts: bounds every per-arm vector.
pub const MAX_ARMS: usize = 1 << 16;

/// What a policy sees before it chooses.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// A stable id for the user or segment (0 when there is none). Guardrails that keep
    /// per-context state key it by this.
    pub key: u64,
    /// Observed features; empty for context-free problems. Linear policies require exactly
    /// their configured dimension.
    pub features: Vec<f64>,
}

impl Context {
    /// A context without features (K-armed problems).
    pub fn empty() -> Context {
        Context::default()
    }
    pub fn new(key: u64, features: Vec<f64>) -> Context {
        Context { key, features }
    }
}

/// An arm and the probability that the policy, in its current state, would have chosen it
/// (exact where a closed form exists, a Monte-Carlo estimate for the Thompson policies).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub arm: usize,
    pub propensity: f64,
}

/// A per-arm summary for the UI and the CLI: how often it was shown, and a Beta posterior over
/// its click rate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArmSummary {
    pub arm: usize,
    pub pulls: u64,
    pub reward_total: f64,
    pub posterior_mean: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// Which algorithm a policy runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    EpsilonGreedy,
    Softmax,
    Ucb1,
    KlUcb,
    Thompson,
    LinUcb,
    LinTs,
    Popularity,
}

impl PolicyKind {
    /// Every policy, in the order the playground lists them.
    pub const ALL: [PolicyKind; 8] = [
        PolicyKind::EpsilonGreedy,
        PolicyKind::Softmax,
        PolicyKind::Ucb1,
        PolicyKind::KlUcb,
        PolicyKind::Thompson,
        PolicyKind::LinUcb,
        PolicyKind::LinTs,
        PolicyKind::Popularity,
    ];

    /// Every policy's short name, in the order of [`PolicyKind::ALL`]: made when compiled,
    /// so the refusal of an unknown name lists them without an `array::map` of its own.
    pub const NAMES: [&'static str; 8] = {
        let mut names = [""; 8];
        let mut i = 0;
        while i < names.len() {
            names[i] = PolicyKind::ALL[i].as_str();
            i += 1;
        }
        names
    };

    /// The short name scenarios, the CLI and the playground use (`ts`, `linucb`…).
    pub const fn as_str(self) -> &'static str {
        match self {
            PolicyKind::EpsilonGreedy => "egreedy",
            PolicyKind::Softmax => "softmax",
            PolicyKind::Ucb1 => "ucb1",
            PolicyKind::KlUcb => "klucb",
            PolicyKind::Thompson => "ts",
            PolicyKind::LinUcb => "linucb",
            PolicyKind::LinTs => "lints",
            PolicyKind::Popularity => "popularity",
        }
    }
}

impl std::fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy name that is none of [`PolicyKind::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy {found:?}; expected one of {}", strata_sim::fmt::join(&PolicyKind::NAMES, ", "))]
pub struct UnknownPolicy {
    pub found: String,
}

impl std::str::FromStr for PolicyKind {
    type Err = UnknownPolicy;

    /// Reads a short name ([`PolicyKind::as_str`]).
    fn from_str(name: &str) -> std::result::Result<PolicyKind, UnknownPolicy> {
        strata_sim::fmt::index_of_name(&PolicyKind::NAMES, name)
            .map(|index| PolicyKind::ALL[index])
            .ok_or_else(|| UnknownPolicy {
                found: name.to_string(),
            })
    }
}

/// The contract every policy implements.
///
/// `eligible`, when given, has one flag per arm and restricts the choice to flagged arms (the
/// slate builder uses it to exclude arms already placed and to enforce a diversity floor);
/// propensities and probabilities are then conditional on that restriction.
pub trait Policy {
    fn kind(&self) -> PolicyKind;
    fn arm_count(&self) -> usize;
    /// The number of updates folded in so far: the policy version logged with each impression.
    fn version(&self) -> u64;

    /// Chooses an arm and reports its propensity. Never changes the policy's state.
    fn choose_among(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<Choice>;

    /// The same arm `choose_among` would pick from the same random stream, without the cost of
    /// estimating the propensity (the Thompson policies skip their Monte-Carlo estimate here).
    fn select_among(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<usize> {
        Ok(self.choose_among(context, eligible, rng)?.arm)
    }

    /// The policy's full action distribution (exact, or estimated for the Thompson policies),
    /// one entry per arm, zero for ineligible arms.
    fn probabilities(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<Vec<f64>>;

    /// The arm the policy believes best right now, without exploration: a decision that picks
    /// any other arm counts as exploratory.
    fn greedy_arm(&self, context: &Context, eligible: Option<&[bool]>) -> Result<usize>;

    /// Folds one observed reward into the state.
    fn update(&mut self, context: &Context, arm: usize, reward: f64) -> Result<()>;

    /// Pulls and a Beta posterior over each arm's reward rate.
    fn arm_summaries(&self) -> Vec<ArmSummary>;

    fn choose(&self, context: &Context, rng: &mut SimRng) -> Result<Choice> {
        self.choose_among(context, None, rng)
    }
}

/// Checks a K before building a policy.
pub(crate) fn check_arm_count(arms: usize) -> Result<()> {
    if arms == 0 {
        return Err(RecommenderError::param(
            "arms",
            0,
            "a policy needs at least one arm",
        ));
    }
    if arms > MAX_ARMS {
        return Err(RecommenderError::param(
            "arms",
            arms,
            format!("at most {MAX_ARMS} arms are supported"),
        ));
    }
    Ok(())
}

/// Checks an eligibility mask against K and returns the number of eligible arms.
pub(crate) fn eligible_count(arms: usize, eligible: Option<&[bool]>) -> Result<usize> {
    match eligible {
        None => Ok(arms),
        Some(mask) => {
            if mask.len() != arms {
                return Err(RecommenderError::InvalidCall(format!(
                    "eligibility mask has {} entries for {arms} arms",
                    mask.len()
                )));
            }
            let count = mask.iter().filter(|e| **e).count();
            if count == 0 {
                return Err(RecommenderError::InvalidCall(
                    "no eligible arm to choose from".into(),
                ));
            }
            Ok(count)
        }
    }
}

/// The error every policy gives when the mask leaves nothing to choose.
pub(crate) fn no_eligible_arm() -> RecommenderError {
    RecommenderError::InvalidCall("no eligible arm".into())
}

#[inline]
pub(crate) fn is_eligible(eligible: Option<&[bool]>, arm: usize) -> bool {
    eligible.is_none_or(|mask| mask.get(arm).copied().unwrap_or(false))
}

/// The eligible arm with the highest score; ties go to the lowest index, and NaN scores never
/// win. `None` only when nothing is eligible.
pub(crate) fn argmax_eligible(
    arms: usize,
    eligible: Option<&[bool]>,
    mut score: impl FnMut(usize) -> f64,
) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for arm in 0..arms {
        if !is_eligible(eligible, arm) {
            continue;
        }
        let value = score(arm);
        let value = if value.is_nan() {
            f64::NEG_INFINITY
        } else {
            value
        };
        match best {
            Some((_, best_value)) if value <= best_value => {}
            _ => best = Some((arm, value)),
        }
    }
    best.map(|(arm, _)| arm)
}

/// The i-th eligible arm in index order.
pub(crate) fn nth_eligible(arms: usize, eligible: Option<&[bool]>, n: usize) -> Option<usize> {
    (0..arms).filter(|a| is_eligible(eligible, *a)).nth(n)
}

pub(crate) fn check_arm(arms: usize, arm: usize) -> Result<()> {
    if arm >= arms {
        return Err(RecommenderError::InvalidCall(format!(
            "arm {arm} out of range for {arms} arms"
        )));
    }
    Ok(())
}

pub(crate) fn check_reward(reward: f64) -> Result<()> {
    if !reward.is_finite() {
        return Err(RecommenderError::InvalidCall(format!(
            "reward {} is not a finite number",
            shortest(reward)
        )));
    }
    Ok(())
}

/// A one-hot distribution on `arm`.
pub(crate) fn one_hot(arms: usize, arm: usize) -> Vec<f64> {
    let mut probabilities = vec![0.0; arms];
    if let Some(slot) = probabilities.get_mut(arm) {
        *slot = 1.0;
    }
    probabilities
}

/// Summaries from raw pull counts and reward totals, with a Beta(1 + s, 1 + f) posterior
/// (rewards clamped to [0, 1] for the posterior).
pub(crate) fn beta_summaries(pulls: &[u64], reward_totals: &[f64]) -> Vec<ArmSummary> {
    pulls
        .iter()
        .zip(reward_totals)
        .enumerate()
        .map(|(arm, (pulls, total))| {
            // `clamp`'s result, NaN included, without its check that the bounds are
            // ordered: its panic message formats both with `Debug`, which is core's float
            // formatting in the page.
            let most = *pulls as f64;
            let successes = if *total < 0.0 {
                0.0
            } else if *total > most {
                most
            } else {
                *total
            };
            let posterior = BetaSummary::new(1.0 + successes, 1.0 + *pulls as f64 - successes);
            ArmSummary {
                arm,
                pulls: *pulls,
                reward_total: *total,
                posterior_mean: posterior.mean,
                ci95_low: posterior.ci95_low,
                ci95_high: posterior.ci95_high,
            }
        })
        .collect()
}

/// The serialisable description of a policy: its algorithm and parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyConfig {
    EpsilonGreedy(EpsilonGreedyConfig),
    Softmax(SoftmaxConfig),
    Ucb1(Ucb1Config),
    KlUcb(KlUcbConfig),
    Thompson(ThompsonConfig),
    LinUcb(LinUcbConfig),
    LinTs(LinTsConfig),
    Popularity(PopularityConfig),
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig::Thompson(ThompsonConfig::default())
    }
}

impl PolicyConfig {
    pub fn kind(&self) -> PolicyKind {
        match self {
            PolicyConfig::EpsilonGreedy(_) => PolicyKind::EpsilonGreedy,
            PolicyConfig::Softmax(_) => PolicyKind::Softmax,
            PolicyConfig::Ucb1(_) => PolicyKind::Ucb1,
            PolicyConfig::KlUcb(_) => PolicyKind::KlUcb,
            PolicyConfig::Thompson(_) => PolicyKind::Thompson,
            PolicyConfig::LinUcb(_) => PolicyKind::LinUcb,
            PolicyConfig::LinTs(_) => PolicyKind::LinTs,
            PolicyConfig::Popularity(_) => PolicyKind::Popularity,
        }
    }

    /// Whether the policy reads context features (and so needs them to have its dimension).
    pub fn is_contextual(&self) -> bool {
        matches!(self, PolicyConfig::LinUcb(_) | PolicyConfig::LinTs(_))
    }

    /// Builds a fresh policy over `arms` arms, after validating every parameter.
    pub fn build(&self, arms: usize) -> Result<AnyPolicy> {
        Ok(match self {
            PolicyConfig::EpsilonGreedy(c) => {
                AnyPolicy::EpsilonGreedy(EpsilonGreedy::new(arms, c.clone())?)
            }
            PolicyConfig::Softmax(c) => AnyPolicy::Softmax(Softmax::new(arms, c.clone())?),
            PolicyConfig::Ucb1(c) => AnyPolicy::Ucb1(Ucb1::new(arms, c.clone())?),
            PolicyConfig::KlUcb(c) => AnyPolicy::KlUcb(KlUcb::new(arms, c.clone())?),
            PolicyConfig::Thompson(c) => AnyPolicy::Thompson(Thompson::new(arms, c.clone())?),
            PolicyConfig::LinUcb(c) => AnyPolicy::LinUcb(LinUcb::new(arms, c.clone())?),
            PolicyConfig::LinTs(c) => AnyPolicy::LinTs(LinTs::new(arms, c.clone())?),
            PolicyConfig::Popularity(c) => AnyPolicy::Popularity(Popularity::new(arms, c.clone())?),
        })
    }
}

/// Any policy, as one serialisable value: what a checkpoint stores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnyPolicy {
    EpsilonGreedy(EpsilonGreedy),
    Softmax(Softmax),
    Ucb1(Ucb1),
    KlUcb(KlUcb),
    Thompson(Thompson),
    LinUcb(LinUcb),
    LinTs(LinTs),
    Popularity(Popularity),
}

macro_rules! delegate {
    ($self:ident, $p:ident => $body:expr) => {
        match $self {
            AnyPolicy::EpsilonGreedy($p) => $body,
            AnyPolicy::Softmax($p) => $body,
            AnyPolicy::Ucb1($p) => $body,
            AnyPolicy::KlUcb($p) => $body,
            AnyPolicy::Thompson($p) => $body,
            AnyPolicy::LinUcb($p) => $body,
            AnyPolicy::LinTs($p) => $body,
            AnyPolicy::Popularity($p) => $body,
        }
    };
}

impl Policy for AnyPolicy {
    fn kind(&self) -> PolicyKind {
        delegate!(self, p => p.kind())
    }
    fn arm_count(&self) -> usize {
        delegate!(self, p => p.arm_count())
    }
    fn version(&self) -> u64 {
        delegate!(self, p => p.version())
    }
    fn choose_among(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<Choice> {
        delegate!(self, p => p.choose_among(context, eligible, rng))
    }
    fn select_among(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<usize> {
        delegate!(self, p => p.select_among(context, eligible, rng))
    }
    fn probabilities(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<Vec<f64>> {
        delegate!(self, p => p.probabilities(context, eligible, rng))
    }
    fn greedy_arm(&self, context: &Context, eligible: Option<&[bool]>) -> Result<usize> {
        delegate!(self, p => p.greedy_arm(context, eligible))
    }
    fn update(&mut self, context: &Context, arm: usize, reward: f64) -> Result<()> {
        delegate!(self, p => p.update(context, arm, reward))
    }
    fn arm_summaries(&self) -> Vec<ArmSummary> {
        delegate!(self, p => p.arm_summaries())
    }
}

impl AnyPolicy {
    /// The state as JSON (floats round-trip exactly: [`AnyPolicy::from_json`] reads them back
    /// through `strata_sim::json`).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| RecommenderError::Codec(e.to_string()))
    }

    /// Reads a state written by `to_json` and checks it with [`AnyPolicy::validate`].
    pub fn from_json(text: &str) -> Result<AnyPolicy> {
        let codec = |e: &dyn std::fmt::Display| RecommenderError::Codec(e.to_string());
        let value = strata_sim::json::from_str(text).map_err(|e| codec(&e))?;
        let policy: AnyPolicy = serde_json::from_value(value).map_err(|e| codec(&e))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks a restored state before anything uses it: every parameter in its range, and
    /// every per-arm vector and model of the shape the others imply, with finite numbers. A
    /// checkpoint is outside input: without this, a short `pulls` vector panics on the next
    /// update. Every error is `Codec` (kind `Corrupt`) or `InvalidParameter`.
    pub fn validate(&self) -> Result<()> {
        delegate!(self, p => p.validate())
    }
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for Context {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("key").u64(self.key);
        writer.key("features").f64s(&self.features);
    }
}

/// The internally tagged `"kind"` first, then the policy's own members.
impl Members for AnyPolicy {
    fn write_members(&self, writer: &mut Writer) {
        let (kind, policy): (&str, &dyn Members) = match self {
            AnyPolicy::EpsilonGreedy(p) => ("epsilon_greedy", p),
            AnyPolicy::Softmax(p) => ("softmax", p),
            AnyPolicy::Ucb1(p) => ("ucb1", p),
            AnyPolicy::KlUcb(p) => ("kl_ucb", p),
            AnyPolicy::Thompson(p) => ("thompson", p),
            AnyPolicy::LinUcb(p) => ("lin_ucb", p),
            AnyPolicy::LinTs(p) => ("lin_ts", p),
            AnyPolicy::Popularity(p) => ("popularity", p),
        };
        writer.tag(kind);
        policy.write_members(writer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn argmax_breaks_ties_to_the_lowest_eligible_index() {
        let scores = [0.3, 0.7, 0.7, f64::NAN];
        assert_eq!(argmax_eligible(4, None, |a| scores[a]), Some(1));
        let mask = [true, false, true, true];
        assert_eq!(argmax_eligible(4, Some(&mask), |a| scores[a]), Some(2));
        assert_eq!(argmax_eligible(4, Some(&[false; 4]), |a| scores[a]), None);
        assert_eq!(argmax_eligible(1, None, |_| f64::NAN), Some(0));
    }

    #[test]
    fn eligibility_masks_are_checked() {
        assert_eq!(eligible_count(3, None), Ok(3));
        assert_eq!(eligible_count(3, Some(&[true, false, true])), Ok(2));
        assert!(eligible_count(3, Some(&[true, false])).is_err());
        assert!(eligible_count(2, Some(&[false, false])).is_err());
    }

    #[test]
    fn every_kind_reads_back_from_its_short_name_and_others_are_refused() {
        for kind in PolicyKind::ALL {
            assert_eq!(kind.to_string().parse::<PolicyKind>(), Ok(kind));
        }
        let names: Vec<&str> = PolicyKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, PolicyKind::NAMES);
        assert_eq!(
            names,
            [
                "egreedy",
                "softmax",
                "ucb1",
                "klucb",
                "ts",
                "linucb",
                "lints",
                "popularity"
            ]
        );
        let error = "thompson"
            .parse::<PolicyKind>()
            .expect_err("not a short name");
        assert_eq!(
            error.to_string(),
            "unknown policy \"thompson\"; expected one of egreedy, softmax, ucb1, klucb, ts, linucb, lints, popularity"
        );
    }

    #[test]
    fn every_config_builds_and_zero_arms_is_a_typed_error() {
        let configs = [
            PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig::default()),
            PolicyConfig::Softmax(SoftmaxConfig::default()),
            PolicyConfig::Ucb1(Ucb1Config::default()),
            PolicyConfig::KlUcb(KlUcbConfig::default()),
            PolicyConfig::Thompson(ThompsonConfig::default()),
            PolicyConfig::LinUcb(LinUcbConfig::default()),
            PolicyConfig::LinTs(LinTsConfig::default()),
            PolicyConfig::Popularity(PopularityConfig::default()),
        ];
        for config in &configs {
            let policy = config.build(3).expect("valid defaults");
            assert_eq!(policy.kind(), config.kind());
            assert_eq!(policy.arm_count(), 3);
            assert!(matches!(
                config.build(0),
                Err(RecommenderError::InvalidParameter { name: "arms", .. })
            ));
            // A config survives a JSON round trip.
            let text = serde_json::to_string(config).expect("serialises");
            let back: PolicyConfig = serde_json::from_str(&text).expect("parses");
            assert_eq!(&back, config);
        }
    }
}
