//! Linear contextual policies: LinUCB (Li et al. 2010, the disjoint model) and linear Thompson
//! sampling (Agrawal & Goyal 2013).
//!
//! Each arm keeps a ridge regression of reward on the context: A_a = λI + Σ x xᵀ and
//! b_a = Σ r x, with θ_a = A_a⁻¹ b_a. The inverse is maintained directly by the
//! Sherman–Morrison identity, A⁻¹ ← A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x), so an update costs
//! O(d²) and no matrix is ever inverted.
//!
//! - **LinUCB** plays argmax_a θ_a·x + α·sqrt(xᵀA_a⁻¹x), ties to the lowest index;
//!   deterministic, propensity 1.
//! - **LinTS** draws θ̃_a ~ N(θ_a, v²A_a⁻¹) and plays argmax θ̃_a·x. Only the score θ̃_a·x
//!   matters, and it is exactly N(θ_a·x, v²·xᵀA_a⁻¹x), so one standard normal per arm
//!   suffices (no Cholesky factor). v is the `alpha` parameter. The propensity is estimated by
//!   Monte Carlo exactly as for Beta–Bernoulli Thompson sampling: (1 + wins)/(M + 1) over M
//!   private draws seeded from one u64 of the stream.

use super::thompson::check_propensity_draws;
use super::{
    argmax_eligible, beta_summaries, check_arm, check_arm_count, check_reward, eligible_count,
    is_eligible, one_hot, ArmSummary, Choice, Context, Policy, PolicyKind,
};
use crate::error::{require_above, require_at_least, RecommenderError, Result};
use crate::json::{Members, Writer};
use serde::{Deserialize, Serialize};
use strata_sim::SimRng;

/// The largest context dimension: bounds each arm's d×d matrix.
pub const MAX_DIMS: usize = 256;

/// One arm's ridge regression, kept as (A⁻¹, b, θ).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RidgeModel {
    dims: usize,
    /// A⁻¹, row-major d×d, symmetric.
    a_inverse: Vec<f64>,
    b: Vec<f64>,
    theta: Vec<f64>,
}

impl RidgeModel {
    pub fn new(dims: usize, ridge_lambda: f64) -> RidgeModel {
        let mut a_inverse = vec![0.0; dims * dims];
        for i in 0..dims {
            a_inverse[i * dims + i] = 1.0 / ridge_lambda;
        }
        RidgeModel {
            dims,
            a_inverse,
            b: vec![0.0; dims],
            theta: vec![0.0; dims],
        }
    }

    pub fn theta(&self) -> &[f64] {
        &self.theta
    }

    fn a_inverse_times(&self, x: &[f64]) -> Vec<f64> {
        let d = self.dims;
        // A loop over the rows, not `map` and `collect`, whose instances the page had for
        // this product alone.
        let mut product = Vec::with_capacity(d);
        for i in 0..d {
            product.push(
                self.a_inverse[i * d..(i + 1) * d]
                    .iter()
                    .zip(x)
                    .map(|(a, v)| a * v)
                    .sum(),
            );
        }
        product
    }

    /// θ·x.
    pub fn mean(&self, x: &[f64]) -> f64 {
        self.theta.iter().zip(x).map(|(t, v)| t * v).sum()
    }

    /// xᵀA⁻¹x, the squared width of the confidence ellipsoid along x.
    pub fn variance(&self, x: &[f64]) -> f64 {
        let ax = self.a_inverse_times(x);
        ax.iter().zip(x).map(|(a, v)| a * v).sum::<f64>().max(0.0)
    }

    /// Folds in one observation by Sherman–Morrison.
    pub fn observe(&mut self, x: &[f64], reward: f64) {
        let d = self.dims;
        let u = self.a_inverse_times(x);
        let denominator = 1.0 + u.iter().zip(x).map(|(a, v)| a * v).sum::<f64>();
        for i in 0..d {
            for j in 0..d {
                self.a_inverse[i * d + j] -= u[i] * u[j] / denominator;
            }
        }
        for (b, v) in self.b.iter_mut().zip(x) {
            *b += reward * v;
        }
        self.theta = self.a_inverse_times(&self.b);
    }
}

/// Per-arm ridge models plus the raw counts every policy reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct LinearArms {
    dims: usize,
    models: Vec<RidgeModel>,
    pulls: Vec<u64>,
    reward_totals: Vec<f64>,
    updates: u64,
}

impl LinearArms {
    /// Checks the shape parameters without allocating anything.
    fn check_parameters(arms: usize, dims: usize, ridge_lambda: f64) -> Result<()> {
        check_arm_count(arms)?;
        if dims == 0 || dims > MAX_DIMS {
            return Err(RecommenderError::param(
                "dims",
                dims,
                format!("must lie in [1, {MAX_DIMS}]"),
            ));
        }
        require_above("ridge_lambda", ridge_lambda, 0.0)
    }

    fn new(arms: usize, dims: usize, ridge_lambda: f64) -> Result<LinearArms> {
        Self::check_parameters(arms, dims, ridge_lambda)?;
        Ok(LinearArms {
            dims,
            models: vec![RidgeModel::new(dims, ridge_lambda); arms],
            pulls: vec![0; arms],
            reward_totals: vec![0.0; arms],
            updates: 0,
        })
    }

    /// Checks a restored state against the configuration: `dims` as configured, one model,
    /// pull count and reward total per arm, every model d×d with finite numbers, and
    /// `updates` equal to the pulls.
    fn check(&self, dims: usize, ridge_lambda: f64) -> Result<()> {
        let arms = self.models.len();
        Self::check_parameters(arms, dims, ridge_lambda)?;
        let corrupt = |what: String| Err(RecommenderError::Codec(format!("linear policy: {what}")));
        if self.dims != dims {
            return corrupt(format!(
                "models of dimension {}, configured {dims}",
                self.dims
            ));
        }
        if self.pulls.len() != arms || self.reward_totals.len() != arms {
            return corrupt(format!(
                "{arms} models but {} pull counts and {} reward totals",
                self.pulls.len(),
                self.reward_totals.len()
            ));
        }
        for (arm, model) in self.models.iter().enumerate() {
            let shaped = model.dims == dims
                && model.a_inverse.len() == dims * dims
                && model.b.len() == dims
                && model.theta.len() == dims;
            let finite = model
                .a_inverse
                .iter()
                .chain(&model.b)
                .chain(&model.theta)
                .all(|v| v.is_finite());
            if !shaped || !finite {
                return corrupt(format!("arm {arm}'s model is misshapen or not finite"));
            }
        }
        if !self.reward_totals.iter().all(|v| v.is_finite()) {
            return corrupt("a reward total is not finite".to_string());
        }
        let pulls = self
            .pulls
            .iter()
            .try_fold(0u64, |total, pulls| total.checked_add(*pulls));
        if pulls != Some(self.updates) {
            return corrupt(format!("{} updates do not match the pulls", self.updates));
        }
        Ok(())
    }

    fn features<'a>(&self, context: &'a Context) -> Result<&'a [f64]> {
        if context.features.len() != self.dims {
            return Err(RecommenderError::InvalidCall(format!(
                "context has {} features, the linear policy expects {}",
                context.features.len(),
                self.dims
            )));
        }
        if context.features.iter().any(|v| !v.is_finite()) {
            return Err(RecommenderError::InvalidCall(
                "context features must be finite".into(),
            ));
        }
        Ok(&context.features)
    }

    fn update(&mut self, context: &Context, arm: usize, reward: f64) -> Result<()> {
        check_arm(self.models.len(), arm)?;
        check_reward(reward)?;
        let x = self.features(context)?.to_vec();
        self.models[arm].observe(&x, reward);
        self.pulls[arm] += 1;
        self.reward_totals[arm] += reward;
        self.updates += 1;
        Ok(())
    }

    fn greedy(&self, context: &Context, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.models.len(), eligible)?;
        let x = self.features(context)?;
        argmax_eligible(self.models.len(), eligible, |a| self.models[a].mean(x))
            .ok_or_else(super::no_eligible_arm)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinUcbConfig {
    /// Context dimension d (1 ≤ d ≤ 256).
    pub dims: usize,
    /// Ridge λ > 0: A starts at λI.
    pub ridge_lambda: f64,
    /// Width of the confidence bonus, α ≥ 0.
    pub alpha: f64,
}

impl Default for LinUcbConfig {
    fn default() -> Self {
        LinUcbConfig {
            dims: 4,
            ridge_lambda: 1.0,
            alpha: 1.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinUcb {
    config: LinUcbConfig,
    arms: LinearArms,
}

impl LinUcb {
    /// Checks a restored state (a checkpoint is outside input): the parameters `new` checks,
    /// and models of the configured shape, without allocating a fresh set of them.
    pub fn validate(&self) -> Result<()> {
        require_at_least("alpha", self.config.alpha, 0.0)?;
        self.arms.check(self.config.dims, self.config.ridge_lambda)
    }

    pub fn new(arms: usize, config: LinUcbConfig) -> Result<LinUcb> {
        require_at_least("alpha", config.alpha, 0.0)?;
        let arms = LinearArms::new(arms, config.dims, config.ridge_lambda)?;
        Ok(LinUcb { config, arms })
    }

    pub fn model(&self, arm: usize) -> Option<&RidgeModel> {
        self.arms.models.get(arm)
    }

    fn pick(&self, context: &Context, eligible: Option<&[bool]>) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        let x = self.arms.features(context)?;
        argmax_eligible(self.arm_count(), eligible, |a| {
            let model = &self.arms.models[a];
            model.mean(x) + self.config.alpha * model.variance(x).sqrt()
        })
        .ok_or_else(super::no_eligible_arm)
    }
}

impl Policy for LinUcb {
    fn kind(&self) -> PolicyKind {
        PolicyKind::LinUcb
    }
    fn arm_count(&self) -> usize {
        self.arms.models.len()
    }
    fn version(&self) -> u64 {
        self.arms.updates
    }
    fn choose_among(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        _rng: &mut SimRng,
    ) -> Result<Choice> {
        Ok(Choice {
            arm: self.pick(context, eligible)?,
            propensity: 1.0,
        })
    }
    fn probabilities(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        _rng: &mut SimRng,
    ) -> Result<Vec<f64>> {
        Ok(one_hot(self.arm_count(), self.pick(context, eligible)?))
    }
    fn greedy_arm(&self, context: &Context, eligible: Option<&[bool]>) -> Result<usize> {
        self.arms.greedy(context, eligible)
    }
    fn update(&mut self, context: &Context, arm: usize, reward: f64) -> Result<()> {
        self.arms.update(context, arm, reward)
    }
    fn arm_summaries(&self) -> Vec<ArmSummary> {
        beta_summaries(&self.arms.pulls, &self.arms.reward_totals)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinTsConfig {
    pub dims: usize,
    pub ridge_lambda: f64,
    /// Posterior scale v > 0: θ̃ ~ N(θ, v²A⁻¹).
    pub alpha: f64,
    /// M, the Monte-Carlo draws behind each propensity estimate.
    pub propensity_draws: u32,
}

impl Default for LinTsConfig {
    fn default() -> Self {
        LinTsConfig {
            dims: 4,
            ridge_lambda: 1.0,
            alpha: 0.5,
            propensity_draws: 100,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinTs {
    config: LinTsConfig,
    arms: LinearArms,
}

impl LinTs {
    /// Checks a restored state (a checkpoint is outside input): the parameters `new` checks,
    /// and models of the configured shape, without allocating a fresh set of them.
    pub fn validate(&self) -> Result<()> {
        require_above("alpha", self.config.alpha, 0.0)?;
        check_propensity_draws(self.config.propensity_draws)?;
        self.arms.check(self.config.dims, self.config.ridge_lambda)
    }

    pub fn new(arms: usize, config: LinTsConfig) -> Result<LinTs> {
        require_above("alpha", config.alpha, 0.0)?;
        check_propensity_draws(config.propensity_draws)?;
        let arms = LinearArms::new(arms, config.dims, config.ridge_lambda)?;
        Ok(LinTs { config, arms })
    }

    pub fn model(&self, arm: usize) -> Option<&RidgeModel> {
        self.arms.models.get(arm)
    }

    /// Score means and standard deviations at x, per arm.
    fn score_moments(&self, x: &[f64]) -> Vec<(f64, f64)> {
        // A loop, not `map` and `collect`, whose instance the page had for this list alone.
        let mut moments = Vec::with_capacity(self.arms.models.len());
        for m in &self.arms.models {
            moments.push((m.mean(x), self.config.alpha * m.variance(x).sqrt()));
        }
        moments
    }

    fn draw_argmax(
        moments: &[(f64, f64)],
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (arm, (mean, sd)) in moments.iter().enumerate() {
            if !is_eligible(eligible, arm) {
                continue;
            }
            let score = mean + sd * rng.standard_normal();
            match best {
                Some((_, value)) if score <= value => {}
                _ => best = Some((arm, score)),
            }
        }
        best.map(|(arm, _)| arm)
    }

    fn win_counts(
        moments: &[(f64, f64)],
        eligible: Option<&[bool]>,
        seed: u64,
        draws: u32,
    ) -> Vec<u32> {
        let mut private = SimRng::seed_from_u64(seed);
        let mut wins = vec![0u32; moments.len()];
        for _ in 0..draws {
            if let Some(arm) = Self::draw_argmax(moments, eligible, &mut private) {
                wins[arm] += 1;
            }
        }
        wins
    }
}

impl Policy for LinTs {
    fn kind(&self) -> PolicyKind {
        PolicyKind::LinTs
    }
    fn arm_count(&self) -> usize {
        self.arms.models.len()
    }
    fn version(&self) -> u64 {
        self.arms.updates
    }
    fn choose_among(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<Choice> {
        eligible_count(self.arm_count(), eligible)?;
        let moments = self.score_moments(self.arms.features(context)?);
        let arm = Self::draw_argmax(&moments, eligible, rng).ok_or_else(super::no_eligible_arm)?;
        let draws = self.config.propensity_draws;
        let wins = Self::win_counts(&moments, eligible, rng.next_u64(), draws);
        let propensity = (1.0 + f64::from(wins[arm])) / (1.0 + f64::from(draws));
        Ok(Choice { arm, propensity })
    }
    fn select_among(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<usize> {
        eligible_count(self.arm_count(), eligible)?;
        let moments = self.score_moments(self.arms.features(context)?);
        let arm = Self::draw_argmax(&moments, eligible, rng).ok_or_else(super::no_eligible_arm)?;
        let _propensity_seed = rng.next_u64();
        Ok(arm)
    }
    fn probabilities(
        &self,
        context: &Context,
        eligible: Option<&[bool]>,
        rng: &mut SimRng,
    ) -> Result<Vec<f64>> {
        eligible_count(self.arm_count(), eligible)?;
        let moments = self.score_moments(self.arms.features(context)?);
        let draws = self.config.propensity_draws;
        let wins = Self::win_counts(&moments, eligible, rng.next_u64(), draws);
        Ok(wins
            .iter()
            .map(|w| f64::from(*w) / f64::from(draws))
            .collect())
    }
    fn greedy_arm(&self, context: &Context, eligible: Option<&[bool]>) -> Result<usize> {
        self.arms.greedy(context, eligible)
    }
    fn update(&mut self, context: &Context, arm: usize, reward: f64) -> Result<()> {
        self.arms.update(context, arm, reward)
    }
    fn arm_summaries(&self) -> Vec<ArmSummary> {
        beta_summaries(&self.arms.pulls, &self.arms.reward_totals)
    }
}

/// The checkpoint's JSON, as the derived `Serialize` writes it (see `crate::json`).
impl Members for RidgeModel {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("dims").u64(self.dims as u64);
        writer.key("a_inverse").f64s(&self.a_inverse);
        writer.key("b").f64s(&self.b);
        writer.key("theta").f64s(&self.theta);
    }
}

impl Members for LinearArms {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("dims").u64(self.dims as u64);
        writer.key("models").begin_array();
        for model in &self.models {
            writer.object(model);
        }
        writer.end_array();
        writer.key("pulls").u64s(&self.pulls);
        writer.key("reward_totals").f64s(&self.reward_totals);
        writer.key("updates").u64(self.updates);
    }
}

impl Members for LinUcbConfig {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("dims").u64(self.dims as u64);
        writer.key("ridge_lambda").f64(self.ridge_lambda);
        writer.key("alpha").f64(self.alpha);
    }
}

impl Members for LinUcb {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("config").object(&self.config);
        writer.key("arms").object(&self.arms);
    }
}

impl Members for LinTsConfig {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("dims").u64(self.dims as u64);
        writer.key("ridge_lambda").f64(self.ridge_lambda);
        writer.key("alpha").f64(self.alpha);
        writer
            .key("propensity_draws")
            .u64(u64::from(self.propensity_draws));
    }
}

impl Members for LinTs {
    fn write_members(&self, writer: &mut Writer) {
        writer.key("config").object(&self.config);
        writer.key("arms").object(&self.arms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::AnyPolicy;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn sherman_morrison_matches_a_hand_inverse() {
        // λ = 1, d = 2, one observation x = (1, 2), r = 3:
        // A = [[2, 2], [2, 5]], det 6, A⁻¹ = [[5/6, −1/3], [−1/3, 1/3]], b = (3, 6),
        // θ = A⁻¹b = (5/2 − 2, −1 + 2) = (0.5, 1).
        let mut model = RidgeModel::new(2, 1.0);
        model.observe(&[1.0, 2.0], 3.0);
        let expected = [5.0 / 6.0, -1.0 / 3.0, -1.0 / 3.0, 1.0 / 3.0];
        for (got, want) in model.a_inverse.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        assert!((model.theta()[0] - 0.5).abs() < 1e-12);
        assert!((model.theta()[1] - 1.0).abs() < 1e-12);
        // xᵀA⁻¹x at x = (1, 0) is 5/6.
        assert!((model.variance(&[1.0, 0.0]) - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn linucb_scores_by_hand_and_learns_the_better_arm_per_context() {
        let config = LinUcbConfig {
            dims: 2,
            ridge_lambda: 1.0,
            alpha: 0.5,
        };
        let mut p = LinUcb::new(2, config).unwrap();
        let x = Context::new(0, vec![1.0, 0.0]);
        let mut rng = SimRng::seed_from_u64(0);
        // Fresh: both scores 0 + 0.5·1 → tie → arm 0.
        assert_eq!(
            p.choose(&x, &mut rng).unwrap(),
            Choice {
                arm: 0,
                propensity: 1.0
            }
        );
        p.update(&x, 0, 0.0).unwrap();
        // Arm 0: θ = 0, variance 1/2 → 0.5·0.7071 = 0.354 < arm 1: 0.5.
        assert_eq!(p.choose(&x, &mut rng).unwrap().arm, 1);
        // Train: arm 0 pays in context e1, arm 1 in context e2.
        let e1 = Context::new(1, vec![1.0, 0.0]);
        let e2 = Context::new(2, vec![0.0, 1.0]);
        for _ in 0..50 {
            p.update(&e1, 0, 1.0).unwrap();
            p.update(&e1, 1, 0.0).unwrap();
            p.update(&e2, 0, 0.0).unwrap();
            p.update(&e2, 1, 1.0).unwrap();
        }
        assert_eq!(p.choose(&e1, &mut rng).unwrap().arm, 0);
        assert_eq!(p.choose(&e2, &mut rng).unwrap().arm, 1);
        assert!(p.choose(&Context::new(0, vec![1.0]), &mut rng).is_err());
    }

    #[test]
    fn lints_learns_and_estimates_propensities() {
        let config = LinTsConfig {
            dims: 2,
            ridge_lambda: 1.0,
            alpha: 0.3,
            propensity_draws: 200,
        };
        let mut p = LinTs::new(2, config).unwrap();
        let e1 = Context::new(1, vec![1.0, 0.0]);
        let e2 = Context::new(2, vec![0.0, 1.0]);
        for _ in 0..30 {
            p.update(&e1, 0, 1.0).unwrap();
            p.update(&e1, 1, 0.0).unwrap();
            p.update(&e2, 0, 0.0).unwrap();
            p.update(&e2, 1, 1.0).unwrap();
        }
        let mut rng = SimRng::seed_from_u64(4);
        let c = p.choose(&e1, &mut rng).unwrap();
        assert_eq!(c.arm, 0);
        assert!(c.propensity > 0.95);
        let probs = p.probabilities(&e2, None, &mut rng).unwrap();
        assert!(probs[1] > 0.95);
        assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(LinTs::new(
            2,
            LinTsConfig {
                alpha: 0.0,
                ..Default::default()
            }
        )
        .is_err());
        assert!(LinTs::new(
            2,
            LinTsConfig {
                dims: 0,
                ..Default::default()
            }
        )
        .is_err());
    }

    #[test]
    fn a_checkpoint_whose_pulls_are_shorter_than_its_models_is_refused() {
        let mut policy = AnyPolicy::LinUcb(LinUcb::new(3, LinUcbConfig::default()).unwrap());
        policy
            .update(&Context::new(0, vec![1.0, 0.0, 0.0, 0.0]), 2, 1.0)
            .unwrap();
        let mut state: serde_json::Value =
            serde_json::from_str(&policy.to_json().unwrap()).unwrap();
        state["arms"]["pulls"] = serde_json::json!([0, 0]);
        let error = AnyPolicy::from_json(&state.to_string()).unwrap_err();
        assert!(matches!(error, RecommenderError::Codec(_)), "{error}");
        assert!(error.to_string().contains("pull counts"), "{error}");
        // Other shapes a restore must refuse: a model of the wrong dimension, a non-finite
        // number, a dimension other than the configured one.
        let mut state: serde_json::Value =
            serde_json::from_str(&policy.to_json().unwrap()).unwrap();
        state["arms"]["models"][1]["b"] = serde_json::json!([0.0]);
        assert!(AnyPolicy::from_json(&state.to_string()).is_err());
        let mut state: serde_json::Value =
            serde_json::from_str(&policy.to_json().unwrap()).unwrap();
        state["config"]["dims"] = serde_json::json!(5);
        assert!(AnyPolicy::from_json(&state.to_string()).is_err());
        // The untouched state restores.
        assert_eq!(
            AnyPolicy::from_json(&policy.to_json().unwrap()).unwrap(),
            policy
        );
    }
}
