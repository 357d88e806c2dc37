//! The simulated population: users and items with feature vectors, a configurable click model,
//! preference drift and the popularity feedback loop.
//!
//! **Click model.** Showing item i at position p to a user with preference vector u gives a
//! click with probability
//! `σ(intercept + affinity_weight·(u·v_i) + popularity_weight·pop_i + position_bias[p])`,
//! where σ is the logistic function, v_i the item's feature vector and pop_i its popularity.
//! Positions past the end of `position_bias` use its last entry.
//!
//! **Catalogue.** Items belong to `categories` clusters: each category has a random unit
//! centroid, and an item's vector is its centroid plus noise, normalised. User vectors are
//! random unit vectors. Users arrive uniformly, or Zipf-distributed when
//! `user_activity_zipf > 0` (user 0 the most active).
//!
//! **Popularity and the feedback loop.** pop_i = base_i + gain·ln(1 + exposures_i), with
//! base_i ~ N(0, base_popularity_sd²). With gain > 0, every impression makes an item more
//! clickable, so early winners get shown more and clicked more: rich get richer, and catalogue
//! diversity can collapse (watch coverage and exposure Gini).
//!
//! **Shared taste.** With `shared_taste` s > 0, users share a trend: a user's preference is
//! normalise(s·trend + (1 − s)·own), so some items appeal to most users at once (and a
//! non-contextual policy can learn which). With s = 0 (the default) preferences are
//! independent, and across users every item appeals about equally.
//!
//! **Drift.** Abrupt: at each step listed in `abrupt_at`, every user's preference vector is
//! redrawn, and with shared taste the trend too: what most users like changes at once. Gradual: from `rotation_from_step` until `rotation_until_step`, preferences rotate
//! by `rotation_per_step` radians per step in the coordinate planes (0, 1), (2, 3), …; the
//! rotation is applied when a vector is read, so a step costs O(1) however many users there
//! are.
//!
//! Everything is drawn from named streams of the run's seed (`population.items`,
//! `population.users`, `population.drift`), so the same seed gives the same world.

use crate::error::{require_at_least, require_finite, RecommenderError, Result};
use crate::policy::MAX_ARMS;
use serde::{Deserialize, Serialize};
use strata_sim::fmt::{push_shortest, shortest};
use strata_sim::{maps, math, RngStreams, SimRng, Zipf};

/// The most users a population holds.
pub const MAX_USERS: usize = 100_000;
/// The largest feature dimension.
pub const MAX_FEATURE_DIMS: usize = 64;
/// Slates up to this size get an exactly optimal oracle arrangement (k! orders tried).
pub const EXACT_ORACLE_K: usize = 7;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClickModel {
    pub intercept: f64,
    pub affinity_weight: f64,
    pub popularity_weight: f64,
    /// Additive logit offset per position (position 0 first); usually 0 then decreasing.
    pub position_bias: Vec<f64>,
    /// Standard deviation of items' base popularity.
    pub base_popularity_sd: f64,
}

impl Default for ClickModel {
    fn default() -> Self {
        ClickModel {
            intercept: -2.0,
            affinity_weight: 2.0,
            popularity_weight: 1.0,
            position_bias: vec![0.0, -0.5, -0.8, -1.0, -1.1],
            base_popularity_sd: 0.5,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedbackConfig {
    /// Popularity gained per ln(1 + exposures); 0 turns the feedback loop off.
    pub gain: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriftConfig {
    /// Steps at which every user's preferences are redrawn (abrupt drift), in any order.
    pub abrupt_at: Vec<u64>,
    /// Radians of preference rotation per step while gradual drift is on; 0 turns it off.
    pub rotation_per_step: f64,
    /// The step gradual drift starts at.
    pub rotation_from_step: u64,
    /// The step gradual drift stops at (the rotation reached there is kept); none: never.
    pub rotation_until_step: Option<u64>,
}

impl DriftConfig {
    /// The rotation angle reached at `step`.
    pub fn angle_at(&self, step: u64) -> f64 {
        let until = self.rotation_until_step.unwrap_or(u64::MAX);
        let active = step.min(until).saturating_sub(self.rotation_from_step);
        self.rotation_per_step * active as f64
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PopulationConfig {
    pub users: usize,
    pub items: usize,
    pub dims: usize,
    pub categories: usize,
    /// Zipf exponent of user activity; 0 is uniform.
    pub user_activity_zipf: f64,
    pub click_model: ClickModel,
    pub feedback: FeedbackConfig,
    pub drift: DriftConfig,
    /// How much of each user's preference is a trend all users share, in [0, 1); 0: none.
    pub shared_taste: f64,
}

impl Default for PopulationConfig {
    fn default() -> Self {
        PopulationConfig {
            users: 200,
            items: 30,
            dims: 4,
            categories: 5,
            user_activity_zipf: 0.0,
            click_model: ClickModel::default(),
            feedback: FeedbackConfig::default(),
            drift: DriftConfig::default(),
            shared_taste: 0.0,
        }
    }
}

impl PopulationConfig {
    pub fn validate(&self) -> Result<()> {
        let count = |name: &'static str, value: usize, max: usize| {
            if value == 0 || value > max {
                Err(RecommenderError::param(
                    name,
                    value,
                    format!("must lie in [1, {max}]"),
                ))
            } else {
                Ok(())
            }
        };
        count("users", self.users, MAX_USERS)?;
        count("items", self.items, MAX_ARMS)?;
        count("dims", self.dims, MAX_FEATURE_DIMS)?;
        count("categories", self.categories, self.items)?;
        require_at_least("user_activity_zipf", self.user_activity_zipf, 0.0)?;
        let model = &self.click_model;
        for (name, value) in [
            ("intercept", model.intercept),
            ("affinity_weight", model.affinity_weight),
            ("popularity_weight", model.popularity_weight),
        ] {
            require_finite(name, value)?;
        }
        require_at_least("base_popularity_sd", model.base_popularity_sd, 0.0)?;
        if model.position_bias.is_empty() || model.position_bias.iter().any(|b| !b.is_finite()) {
            // Each entry as `{}` writes it (through `push_shortest`: no core float
            // formatting), written by a loop, not `map`, `collect` and `join`, whose
            // instances the page had for this message alone.
            let mut text = String::from("[");
            for (i, bias) in model.position_bias.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                push_shortest(&mut text, *bias);
            }
            text.push(']');
            return Err(RecommenderError::param(
                "position_bias",
                text,
                "needs at least one finite entry",
            ));
        }
        require_at_least("feedback.gain", self.feedback.gain, 0.0)?;
        if !(0.0..1.0).contains(&self.shared_taste) {
            return Err(RecommenderError::param(
                "shared_taste",
                shortest(self.shared_taste),
                "must lie in [0, 1)",
            ));
        }
        require_finite("rotation_per_step", self.drift.rotation_per_step)?;
        Ok(())
    }
}

fn unit_vector(dims: usize, rng: &mut SimRng) -> Vec<f64> {
    let mut v = Vec::with_capacity(dims);
    for _ in 0..dims {
        v.push(rng.standard_normal());
    }
    normalise(&mut v);
    v
}

fn normalise(v: &mut [f64]) {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        for x in v.iter_mut() {
            *x /= norm;
        }
    } else if let Some(first) = v.first_mut() {
        *first = 1.0;
    }
}

/// A user's preference with shared taste `share` of `trend`: normalise(share·trend +
/// (1 − share)·own). `own` as is when there is no trend.
fn with_trend(mut own: Vec<f64>, trend: Option<&[f64]>, share: f64) -> Vec<f64> {
    if let Some(trend) = trend {
        for (x, t) in own.iter_mut().zip(trend) {
            *x = share * t + (1.0 - share) * *x;
        }
        normalise(&mut own);
    }
    own
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The world the recommender acts in.
#[derive(Clone, Debug)]
pub struct Population {
    config: PopulationConfig,
    item_features: Vec<Vec<f64>>,
    item_category: Vec<u32>,
    base_popularity: Vec<f64>,
    exposures: Vec<u64>,
    user_features: Vec<Vec<f64>>,
    user_sampler: Option<Zipf>,
    drift_rng: SimRng,
    /// The shared trend and the stream that redraws it, with shared taste only (no draw at
    /// all without it, so populations without it are the same as before it existed).
    trend: Option<(Vec<f64>, SimRng)>,
    step: u64,
    /// `config.drift.abrupt_at`, sorted.
    abrupt_steps: Vec<u64>,
    /// How many of `abrupt_steps` have been applied.
    abrupt_applied: usize,
    /// cos and sin of the current rotation angle.
    rotation: (f64, f64),
}

impl Population {
    pub fn new(config: PopulationConfig, streams: &RngStreams) -> Result<Population> {
        config.validate()?;
        let mut item_rng = streams.stream("population.items");
        let mut user_rng = streams.stream("population.users");
        // Loops here and below, not `map` and `collect`, whose instances the page had for
        // each of these lists alone; the same draws in the same order.
        let mut centroids = Vec::with_capacity(config.categories);
        for _ in 0..config.categories {
            centroids.push(unit_vector(config.dims, &mut item_rng));
        }
        let mut item_features = Vec::with_capacity(config.items);
        let mut item_category = Vec::with_capacity(config.items);
        let mut base_popularity = Vec::with_capacity(config.items);
        for item in 0..config.items {
            let category = item % config.categories;
            let mut v = Vec::with_capacity(config.dims);
            for c in &centroids[category] {
                v.push(c + 0.5 * item_rng.standard_normal());
            }
            normalise(&mut v);
            item_features.push(v);
            item_category.push(category as u32);
            base_popularity.push(item_rng.normal(0.0, config.click_model.base_popularity_sd));
        }
        let trend = (config.shared_taste > 0.0).then(|| {
            let mut trend_rng = streams.stream("population.trend");
            (unit_vector(config.dims, &mut trend_rng), trend_rng)
        });
        let mut user_features = Vec::with_capacity(config.users);
        for _ in 0..config.users {
            let own = unit_vector(config.dims, &mut user_rng);
            user_features.push(with_trend(
                own,
                trend.as_ref().map(|(t, _)| t.as_slice()),
                config.shared_taste,
            ));
        }
        let user_sampler = (config.user_activity_zipf > 0.0)
            .then(|| Zipf::new(config.users, config.user_activity_zipf));
        Ok(Population {
            exposures: vec![0; config.items],
            item_features,
            item_category,
            base_popularity,
            user_features,
            user_sampler,
            drift_rng: streams.stream("population.drift"),
            trend,
            step: 0,
            abrupt_steps: {
                let mut steps = config.drift.abrupt_at.clone();
                steps.sort_unstable();
                steps
            },
            abrupt_applied: 0,
            rotation: (1.0, 0.0),
            config,
        })
    }

    pub fn config(&self) -> &PopulationConfig {
        &self.config
    }
    pub fn items(&self) -> usize {
        self.item_features.len()
    }
    pub fn users(&self) -> usize {
        self.user_features.len()
    }
    pub fn item_categories(&self) -> &[u32] {
        &self.item_category
    }
    pub fn exposures(&self) -> &[u64] {
        &self.exposures
    }

    /// Moves the world to `step`, applying drift; returns a description when drift happened.
    pub fn advance_to(&mut self, step: u64) -> Option<String> {
        self.step = step;
        let mut notes = Vec::new();
        while let Some(at) = self.abrupt_steps.get(self.abrupt_applied).copied() {
            if step < at {
                break;
            }
            self.abrupt_applied += 1;
            let dims = self.config.dims;
            if let Some((trend, trend_rng)) = &mut self.trend {
                *trend = unit_vector(dims, trend_rng);
            }
            let trend = self.trend.as_ref().map(|(t, _)| t.as_slice());
            for user in &mut self.user_features {
                let own = unit_vector(dims, &mut self.drift_rng);
                *user = with_trend(own, trend, self.config.shared_taste);
            }
            notes.push(format!(
                "abrupt drift at step {step}: every user's preferences redrawn"
            ));
        }
        let drift = &self.config.drift;
        if drift.rotation_per_step != 0.0 {
            let angle = drift.angle_at(step);
            self.rotation = (math::cos(angle), math::sin(angle));
            if step == drift.rotation_from_step {
                notes.push(format!(
                    "gradual drift starts: preferences rotate {} rad per step",
                    shortest(drift.rotation_per_step)
                ));
            }
            if Some(step) == drift.rotation_until_step {
                notes.push(format!("gradual drift stops at {} rad", shortest(angle)));
            }
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }

    /// A user drawn from the activity distribution.
    pub fn sample_user(&self, rng: &mut SimRng) -> usize {
        match &self.user_sampler {
            Some(zipf) => zipf.sample(rng),
            None => rng.index(self.users()),
        }
    }

    /// The probability of each user arriving.
    pub fn user_weights(&self) -> Vec<f64> {
        let n = self.users();
        if self.config.user_activity_zipf > 0.0 {
            let raw: Vec<f64> = (1..=n)
                .map(|rank| 1.0 / math::powf(rank as f64, self.config.user_activity_zipf))
                .collect();
            let total: f64 = raw.iter().sum();
            raw.into_iter().map(|w| w / total).collect()
        } else {
            vec![1.0 / n as f64; n]
        }
    }

    /// The user's current preference vector (after any rotation).
    pub fn user_features(&self, user: usize) -> Vec<f64> {
        let base = &self.user_features[user.min(self.users() - 1)];
        let (cos, sin) = self.rotation;
        if sin == 0.0 && cos == 1.0 {
            return base.clone();
        }
        let mut out = base.clone();
        for pair in out.chunks_exact_mut(2) {
            let (x, y) = (pair[0], pair[1]);
            pair[0] = cos * x - sin * y;
            pair[1] = sin * x + cos * y;
        }
        out
    }

    /// pop_i = base_i + gain·ln(1 + exposures_i).
    pub fn popularity(&self, item: usize) -> f64 {
        self.base_popularity[item]
            + self.config.feedback.gain * math::ln_1p(self.exposures[item] as f64)
    }

    /// The click logit of an item for a user, before the position term.
    pub fn item_logit(&self, user_features: &[f64], item: usize) -> f64 {
        let model = &self.config.click_model;
        model.intercept
            + model.affinity_weight * dot(user_features, &self.item_features[item])
            + model.popularity_weight * self.popularity(item)
    }

    pub fn position_bias(&self, position: usize) -> f64 {
        let bias = &self.config.click_model.position_bias;
        bias.get(position).or(bias.last()).copied().unwrap_or(0.0)
    }

    pub fn click_probability(&self, user_features: &[f64], item: usize, position: usize) -> f64 {
        math::sigmoid(self.item_logit(user_features, item) + self.position_bias(position))
    }

    /// Expected clicks of a slate (item at index p shown at position p).
    pub fn expected_clicks(&self, user_features: &[f64], slate: &[usize]) -> f64 {
        slate
            .iter()
            .enumerate()
            .map(|(p, item)| self.click_probability(user_features, *item, p))
            .sum()
    }

    /// The oracle's slate: the best k items for this user, best arrangement first.
    ///
    /// Because each position's click probability increases with the item's logit, the best
    /// set is always the k items with the highest logits (ties to the lowest index). Their
    /// best arrangement is found exactly by trying every order when k ≤ [`EXACT_ORACLE_K`];
    /// beyond that the items are placed best-first, which is optimal whenever the logits are
    /// negative (the sigmoid is convex there) and close otherwise.
    pub fn oracle_slate(&self, user_features: &[f64], k: usize) -> Vec<usize> {
        // The lists here are pushed by loops, not `map`ped and `collect`ed: each such chain
        // was an instance of its own in the page.
        let mut all: Vec<f64> = Vec::with_capacity(self.items());
        for i in 0..self.items() {
            all.push(self.item_logit(user_features, i));
        }
        // Highest logit first (by `total_cmp`), ties to the lowest index: sorted as
        // `(u64, usize)` pairs, a sort the playground's wasm already has.
        let mut ranked: Vec<(u64, usize)> = Vec::with_capacity(all.len());
        for (i, logit) in all.iter().enumerate() {
            ranked.push((u64::MAX - maps::total_order_key(*logit), i));
        }
        ranked.sort_unstable();
        ranked.truncate(k);
        // The best `k` items by index, and their logits.
        let mut items = Vec::with_capacity(ranked.len());
        let mut logits = Vec::with_capacity(ranked.len());
        for (_, i) in ranked {
            items.push(i);
            logits.push(all[i]);
        }
        if !(2..=EXACT_ORACLE_K).contains(&k) {
            return items;
        }
        let mut biases: Vec<f64> = Vec::with_capacity(k);
        for p in 0..k {
            biases.push(self.position_bias(p));
        }
        let value = |order: &[usize]| -> f64 {
            order
                .iter()
                .enumerate()
                .map(|(p, i)| math::sigmoid(logits[*i] + biases[p]))
                .sum()
        };
        let mut order: Vec<usize> = (0..k).collect();
        let mut best_order = order.clone();
        let mut best_value = value(&order);
        // Heap's algorithm: every permutation exactly once, deterministic order.
        let mut counters = vec![0usize; k];
        let mut i = 1;
        while i < k {
            if counters[i] < i {
                if i % 2 == 0 {
                    order.swap(0, i);
                } else {
                    order.swap(counters[i], i);
                }
                let v = value(&order);
                if v > best_value {
                    best_value = v;
                    best_order.clone_from(&order);
                }
                counters[i] += 1;
                i = 1;
            } else {
                counters[i] = 0;
                i += 1;
            }
        }
        for slot in &mut best_order {
            *slot = items[*slot];
        }
        best_order
    }

    /// Counts one impression of `item` (feeds the popularity loop).
    pub fn record_exposure(&mut self, item: usize) {
        if let Some(count) = self.exposures.get_mut(item) {
            *count += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn population(config: PopulationConfig, seed: u64) -> Population {
        Population::new(config, &RngStreams::new(seed)).unwrap()
    }

    #[test]
    fn same_seed_same_world() {
        let a = population(PopulationConfig::default(), 3);
        let b = population(PopulationConfig::default(), 3);
        let c = population(PopulationConfig::default(), 4);
        assert_eq!(a.user_features(7), b.user_features(7));
        assert_eq!(
            a.item_logit(&a.user_features(1), 2),
            b.item_logit(&b.user_features(1), 2)
        );
        assert_ne!(a.user_features(7), c.user_features(7));
    }

    #[test]
    fn click_probability_follows_the_configured_model() {
        let config = PopulationConfig {
            click_model: ClickModel {
                intercept: -1.0,
                affinity_weight: 2.0,
                popularity_weight: 0.5,
                position_bias: vec![0.0, -1.0],
                base_popularity_sd: 0.3,
            },
            ..Default::default()
        };
        let p = population(config, 1);
        let u = p.user_features(0);
        let v = &p.item_features[4];
        let logit = -1.0 + 2.0 * dot(&u, v) + 0.5 * p.base_popularity[4];
        assert!((p.click_probability(&u, 4, 0) - math::sigmoid(logit)).abs() < 1e-15);
        assert!((p.click_probability(&u, 4, 1) - math::sigmoid(logit - 1.0)).abs() < 1e-15);
        // Positions past the table reuse its last entry.
        assert_eq!(p.click_probability(&u, 4, 5), p.click_probability(&u, 4, 1));
        assert!(p.click_probability(&u, 4, 0) > p.click_probability(&u, 4, 1));
    }

    #[test]
    fn exposure_feeds_popularity_only_with_feedback_on() {
        let mut off = population(PopulationConfig::default(), 2);
        let before = off.popularity(0);
        off.record_exposure(0);
        assert_eq!(off.popularity(0), before);
        let mut on = population(
            PopulationConfig {
                feedback: FeedbackConfig { gain: 0.5 },
                ..Default::default()
            },
            2,
        );
        for _ in 0..9 {
            on.record_exposure(0);
        }
        assert!((on.popularity(0) - (before + 0.5 * math::ln(10.0))).abs() < 1e-12);
    }

    #[test]
    fn abrupt_drift_redraws_preferences_at_each_listed_step() {
        let mut p = population(
            PopulationConfig {
                drift: DriftConfig {
                    abrupt_at: vec![30, 10],
                    ..Default::default()
                },
                ..Default::default()
            },
            5,
        );
        let before = p.user_features(3);
        assert_eq!(p.advance_to(9), None);
        assert_eq!(p.user_features(3), before);
        assert!(p.advance_to(10).is_some());
        let after = p.user_features(3);
        assert_ne!(after, before);
        assert_eq!(p.advance_to(11), None);
        assert_eq!(p.user_features(3), after);
        // The second listed step redraws again.
        assert!(p.advance_to(30).is_some());
        assert_ne!(p.user_features(3), after);
    }

    /// Each item's click logit averaged over every user.
    fn mean_logits(p: &Population) -> Vec<f64> {
        (0..p.items())
            .map(|item| {
                let total: f64 = (0..p.users())
                    .map(|user| p.item_logit(&p.user_features(user), item))
                    .sum();
                total / p.users() as f64
            })
            .collect()
    }

    fn spread(values: &[f64]) -> f64 {
        let max = values.iter().copied().fold(f64::MIN, f64::max);
        let min = values.iter().copied().fold(f64::MAX, f64::min);
        max - min
    }

    #[test]
    fn shared_taste_makes_items_appeal_to_most_users_and_drift_moves_which() {
        let config = |shared_taste| PopulationConfig {
            shared_taste,
            click_model: ClickModel {
                base_popularity_sd: 0.0,
                ..ClickModel::default()
            },
            drift: DriftConfig {
                abrupt_at: vec![10],
                ..Default::default()
            },
            ..Default::default()
        };
        let independent = population(config(0.0), 5);
        let mut shared = population(config(0.8), 5);
        // Independent users average out: every item appeals about equally. A shared taste
        // sets some items well above others for the population as a whole.
        let before = mean_logits(&shared);
        assert!(spread(&mean_logits(&independent)) < 0.5);
        assert!(spread(&before) > 1.5, "{before:?}");
        assert!(shared.advance_to(10).is_some());
        let after = mean_logits(&shared);
        let moved: f64 = before.iter().zip(&after).map(|(b, a)| (b - a).abs()).sum();
        assert!(moved / before.len() as f64 > 0.3, "{before:?} {after:?}");
        // Without shared taste, nothing is drawn for it: the world is the one it always was.
        let plain = population(PopulationConfig::default(), 5);
        let zero = population(
            PopulationConfig {
                shared_taste: 0.0,
                ..PopulationConfig::default()
            },
            5,
        );
        assert_eq!(plain.user_features(7), zero.user_features(7));
        let bad = PopulationConfig {
            shared_taste: 1.0,
            ..PopulationConfig::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn gradual_drift_rotates_preferences_and_keeps_their_length() {
        let mut p = population(
            PopulationConfig {
                drift: DriftConfig {
                    rotation_per_step: 0.01,
                    ..Default::default()
                },
                ..Default::default()
            },
            6,
        );
        assert!(p.advance_to(0).is_some());
        let start = p.user_features(0);
        p.advance_to(157); // ≈ π/2
        let later = p.user_features(0);
        let norm = later.iter().map(|x| x * x).sum::<f64>();
        assert!((norm - 1.0).abs() < 1e-12);
        // Rotated by ~90° in each plane: the vectors are nearly orthogonal.
        assert!(dot(&start, &later).abs() < 0.01, "{}", dot(&start, &later));
        // A window stops the rotation where it ends.
        let window = DriftConfig {
            rotation_per_step: 0.01,
            rotation_from_step: 100,
            rotation_until_step: Some(150),
            ..Default::default()
        };
        assert_eq!(window.angle_at(50), 0.0);
        assert!((window.angle_at(120) - 0.2).abs() < 1e-12);
        assert!((window.angle_at(1000) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn oracle_slate_is_top_k_by_logit_and_zipf_users_skew() {
        let p = population(
            PopulationConfig {
                user_activity_zipf: 1.2,
                ..Default::default()
            },
            7,
        );
        let u = p.user_features(0);
        let slate = p.oracle_slate(&u, 3);
        assert_eq!(slate.len(), 3);
        let worst_shown = p.item_logit(&u, slate[2]);
        for item in 0..p.items() {
            if !slate.contains(&item) {
                assert!(p.item_logit(&u, item) <= worst_shown);
            }
        }
        assert!(p.expected_clicks(&u, &slate) >= p.expected_clicks(&u, &[5, 6, 7]));
        // No arrangement of the same items does better.
        for order in [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            let permuted: Vec<usize> = order.iter().map(|i| slate[*i]).collect();
            assert!(p.expected_clicks(&u, &slate) >= p.expected_clicks(&u, &permuted));
        }
        let weights = p.user_weights();
        assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(weights[0] > weights[1]);
        let mut rng = SimRng::seed_from_u64(1);
        let zeros = (0..2000).filter(|_| p.sample_user(&mut rng) == 0).count();
        assert!(zeros > 100, "{zeros}");
    }

    #[test]
    fn invalid_configs_are_typed_errors() {
        let bad = [
            PopulationConfig {
                users: 0,
                ..Default::default()
            },
            PopulationConfig {
                items: 0,
                ..Default::default()
            },
            PopulationConfig {
                categories: 40,
                ..Default::default()
            },
            PopulationConfig {
                dims: 0,
                ..Default::default()
            },
            PopulationConfig {
                feedback: FeedbackConfig { gain: -1.0 },
                ..Default::default()
            },
            PopulationConfig {
                click_model: ClickModel {
                    position_bias: vec![],
                    ..Default::default()
                },
                ..Default::default()
            },
        ];
        for config in bad {
            assert!(matches!(
                Population::new(config, &RngStreams::new(1)),
                Err(RecommenderError::InvalidParameter { .. })
            ));
        }
        // A bias with a non-finite entry is named with every entry, as `{}` writes each.
        let biased = PopulationConfig {
            click_model: ClickModel {
                position_bias: vec![1.0, 0.5, f64::NAN, -f64::INFINITY],
                ..Default::default()
            },
            ..Default::default()
        };
        match Population::new(biased, &RngStreams::new(1)) {
            Err(RecommenderError::InvalidParameter { name, value, .. }) => {
                assert_eq!(
                    (name, value.as_str()),
                    ("position_bias", "[1, 0.5, NaN, -inf]")
                );
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}
