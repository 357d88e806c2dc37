//! The recommender section: the bandit policy and its parameters, the simulated population,
//! drift of preferences, guardrails, and where the loop logs and checkpoints.

use super::json;
use super::{
    after_run_end, check_finite_non_negative, check_positive, check_probability, check_range_u64,
    ends_before_start, got, invalid, item, member, ScenarioError, MAX_RATE_OPS_PER_SEC,
};
use serde::Serialize;
use strata_recommender::PolicyKind;
use strata_sim::fmt::shortest;

/// The recommender loop that runs beside the workload: a policy serving slates to a simulated
/// population, logging impressions into the engine and checkpointing its state there.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecommenderSpec {
    pub policy: PolicySpec,
    pub population: PopulationSpec,
    /// Changes of the users' preferences over time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftSpec>,
    pub guardrails: GuardrailSpec,
    pub log: LogSpec,
}

impl RecommenderSpec {
    /// The recommender loop of [`Scenario::playground`] (and the one the playground adds when
    /// the loop is turned on): Thompson sampling over 12 items, 10 slates a second, with an
    /// abrupt change of preferences at 2 minutes.
    pub fn playground() -> Self {
        RecommenderSpec {
            policy: PolicySpec::named(PolicyKind::Thompson),
            population: PopulationSpec {
                items: 12,
                slates_per_sec: 10.0,
                ..PopulationSpec::default()
            },
            drift: vec![DriftSpec::Abrupt { at_ms: 120_000 }],
            guardrails: GuardrailSpec::default(),
            log: LogSpec::default(),
        }
    }
}

/// A policy written by its short name, the spelling scenarios have always used (the
/// recommender's own serde names are longer: `thompson` for `ts`).
pub(super) mod policy_name {
    use serde::Serializer;
    use strata_recommender::PolicyKind;

    pub fn serialize<S: Serializer>(kind: &PolicyKind, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(kind.as_str())
    }

    /// Reads the short name: a string, then [`PolicyKind`]'s `FromStr`.
    pub fn from_value(value: serde_json::Value) -> Result<PolicyKind, super::json::Error> {
        use serde::de::Error as _;
        let name = super::json::string(value)?;
        name.parse().map_err(super::json::Error::custom)
    }
}

/// The bandit policy and its parameters (absent parameters keep the policy's defaults).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicySpec {
    /// The algorithm, by its short name (`ts`, `linucb`…: [`PolicyKind::as_str`]).
    #[serde(serialize_with = "policy_name::serialize")]
    pub name: PolicyKind,
    /// UCB1's exploration factor, LinUCB's bonus width or LinTS's posterior scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// ε-greedy's exploration rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// Softmax temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tau: Option<f64>,
    /// Discount per update for non-stationary worlds, in (0, 1] (not with `window`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<f64>,
    /// Sliding window of the last this many updates (not with `discount`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
}

impl PolicySpec {
    /// The policy `name` with every parameter at the policy's default.
    pub fn named(name: PolicyKind) -> Self {
        PolicySpec {
            name,
            alpha: None,
            epsilon: None,
            tau: None,
            discount: None,
            window: None,
        }
    }
}

/// The simulated users and items.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PopulationSpec {
    pub users: u32,
    pub items: u32,
    /// Feature dimensions of users and items.
    pub dims: u32,
    /// Item categories (the diversity guardrail counts distinct categories in a slate).
    pub categories: u32,
    /// Items shown per slate.
    pub slate_size: u32,
    /// Slates shown per simulated second.
    pub slates_per_sec: f64,
    /// Popularity gained per ln(1 + exposures): the feedback loop (0 turns it off).
    pub feedback_gain: f64,
    /// Additive click logit per slate position, first position first (absent: the click
    /// model's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position_bias: Option<Vec<f64>>,
    /// How much of each user's preference is a trend all users share, in [0, 1): with it, an
    /// abrupt drift changes what most users like at once (0, the default: independent users).
    #[serde(skip_serializing_if = "is_zero")]
    pub shared_taste: f64,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

impl Default for PopulationSpec {
    fn default() -> Self {
        PopulationSpec {
            users: 200,
            items: 30,
            dims: 4,
            categories: 5,
            slate_size: 3,
            slates_per_sec: 20.0,
            feedback_gain: 0.0,
            position_bias: None,
            shared_taste: 0.0,
        }
    }
}

/// A change of preferences.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DriftSpec {
    /// At `at_ms`, every user's preferences are redrawn.
    Abrupt { at_ms: u64 },
    /// From `from_ms` to `until_ms`, preferences rotate by `degrees` in all.
    Gradual {
        from_ms: u64,
        until_ms: u64,
        degrees: f64,
    },
}

/// Limits that keep an adapting policy trustworthy.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GuardrailSpec {
    /// The largest share of decisions that may be exploratory, in [0, 1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_exploration_share: Option<f64>,
    /// The fewest distinct item categories a slate must hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_distinct_categories: Option<u32>,
    /// The largest total-variation distance between consecutive served distributions, (0, 1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_policy_change: Option<f64>,
}

/// Where the recommender's logs and checkpoints go.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogSpec {
    /// Write every impression into the engine.
    pub log_impressions: bool,
    /// Checkpoint the policy's state every this many impressions (0: never).
    pub checkpoint_every: u64,
    /// Wait for each step's batch to be durable before the next step.
    pub durable_writes: bool,
}

impl Default for LogSpec {
    fn default() -> Self {
        LogSpec {
            log_impressions: true,
            checkpoint_every: 1000,
            durable_writes: false,
        }
    }
}

impl RecommenderSpec {
    /// Reads the section from its JSON object (see [`json`]): `policy` is required.
    pub(crate) fn from_value(value: serde_json::Value) -> Result<RecommenderSpec, json::Error> {
        json::section(value, "struct RecommenderSpec", |object| {
            let mut policy = None;
            let mut population = PopulationSpec::default();
            let mut drift = Vec::new();
            let mut guardrails = GuardrailSpec::default();
            let mut log = LogSpec::default();
            let names = &["policy", "population", "drift", "guardrails", "log"];
            json::fields(object, names, &mut |index, value| {
                match index {
                    0 => policy = Some(PolicySpec::from_value(value)?),
                    1 => population = PopulationSpec::from_value(value)?,
                    2 => drift = json::list(value, DriftSpec::from_value)?,
                    3 => guardrails = GuardrailSpec::from_value(value)?,
                    _ => log = LogSpec::from_value(value)?,
                }
                Ok(())
            })?;
            Ok(RecommenderSpec {
                policy: json::required(policy, "policy")?,
                population,
                drift,
                guardrails,
                log,
            })
        })
    }
}

impl PolicySpec {
    /// `name` is required; absent parameters keep the policy's defaults.
    fn from_value(value: serde_json::Value) -> Result<PolicySpec, json::Error> {
        json::section(value, "struct PolicySpec", |object| {
            let mut name = None;
            let mut spec = PolicySpec::named(PolicyKind::Thompson);
            let names = &["name", "alpha", "epsilon", "tau", "discount", "window"];
            json::fields(object, names, &mut |index, value| {
                let float = |value| json::optional(value, json::f64);
                match index {
                    0 => name = Some(policy_name::from_value(value)?),
                    1 => spec.alpha = float(value)?,
                    2 => spec.epsilon = float(value)?,
                    3 => spec.tau = float(value)?,
                    4 => spec.discount = float(value)?,
                    _ => spec.window = json::optional(value, json::u32)?,
                }
                Ok(())
            })?;
            spec.name = json::required(name, "name")?;
            Ok(spec)
        })
    }
}

impl PopulationSpec {
    const FIELDS: &'static [&'static str] = &[
        "users",
        "items",
        "dims",
        "categories",
        "slate_size",
        "slates_per_sec",
        "feedback_gain",
        "position_bias",
        "shared_taste",
    ];

    fn from_value(value: serde_json::Value) -> Result<PopulationSpec, json::Error> {
        json::section(value, "struct PopulationSpec", |object| {
            let mut spec = PopulationSpec::default();
            json::fields(object, PopulationSpec::FIELDS, &mut |index, value| {
                match index {
                    0 => spec.users = json::u32(value)?,
                    1 => spec.items = json::u32(value)?,
                    2 => spec.dims = json::u32(value)?,
                    3 => spec.categories = json::u32(value)?,
                    4 => spec.slate_size = json::u32(value)?,
                    5 => spec.slates_per_sec = json::f64(value)?,
                    6 => spec.feedback_gain = json::f64(value)?,
                    7 => {
                        spec.position_bias =
                            json::optional(value, |value| json::list(value, json::f64))?
                    }
                    _ => spec.shared_taste = json::f64(value)?,
                }
                Ok(())
            })?;
            Ok(spec)
        })
    }
}

impl DriftSpec {
    /// Reads `{"kind": "abrupt", "at_ms": 120000}` (see [`json::tagged`]).
    fn from_value(value: serde_json::Value) -> Result<DriftSpec, json::Error> {
        let (variant, object) = json::tagged(value, "kind", "drift", &["abrupt", "gradual"])?;
        let names: &'static [&'static str] = if variant == 0 {
            &["at_ms"]
        } else {
            &["from_ms", "until_ms", "degrees"]
        };
        let (mut first, mut until_ms, mut degrees) = (None, None, None);
        json::fields(object, names, &mut |index, value| {
            match index {
                0 => first = Some(json::u64(value)?),
                1 => until_ms = Some(json::u64(value)?),
                _ => degrees = Some(json::f64(value)?),
            }
            Ok(())
        })?;
        Ok(if variant == 0 {
            DriftSpec::Abrupt {
                at_ms: json::required(first, "at_ms")?,
            }
        } else {
            DriftSpec::Gradual {
                from_ms: json::required(first, "from_ms")?,
                until_ms: json::required(until_ms, "until_ms")?,
                degrees: json::required(degrees, "degrees")?,
            }
        })
    }
}

impl GuardrailSpec {
    fn from_value(value: serde_json::Value) -> Result<GuardrailSpec, json::Error> {
        json::section(value, "struct GuardrailSpec", |object| {
            let mut spec = GuardrailSpec::default();
            let names = &[
                "max_exploration_share",
                "min_distinct_categories",
                "max_policy_change",
            ];
            json::fields(object, names, &mut |index, value| {
                match index {
                    0 => spec.max_exploration_share = json::optional(value, json::f64)?,
                    1 => spec.min_distinct_categories = json::optional(value, json::u32)?,
                    _ => spec.max_policy_change = json::optional(value, json::f64)?,
                }
                Ok(())
            })?;
            Ok(spec)
        })
    }
}

impl LogSpec {
    fn from_value(value: serde_json::Value) -> Result<LogSpec, json::Error> {
        json::section(value, "struct LogSpec", |object| {
            let mut spec = LogSpec::default();
            let names = &["log_impressions", "checkpoint_every", "durable_writes"];
            json::fields(object, names, &mut |index, value| {
                match index {
                    0 => spec.log_impressions = json::bool(value)?,
                    1 => spec.checkpoint_every = json::u64(value)?,
                    _ => spec.durable_writes = json::bool(value)?,
                }
                Ok(())
            })?;
            Ok(spec)
        })
    }
}

impl RecommenderSpec {
    /// Writes the section as the derived `Serialize` does (see [`json::Writer`]).
    pub(crate) fn write_json(&self, w: &mut json::Writer) {
        w.begin_object();
        let policy = &self.policy;
        w.key("policy").begin_object();
        w.key("name").string(policy.name.as_str());
        w.optional_f64("alpha", policy.alpha);
        w.optional_f64("epsilon", policy.epsilon);
        w.optional_f64("tau", policy.tau);
        w.optional_f64("discount", policy.discount);
        w.optional_u32("window", policy.window);
        w.end_object();
        let population = &self.population;
        w.key("population").begin_object();
        w.key("users").u64(population.users.into());
        w.key("items").u64(population.items.into());
        w.key("dims").u64(population.dims.into());
        w.key("categories").u64(population.categories.into());
        w.key("slate_size").u64(population.slate_size.into());
        w.key("slates_per_sec").f64(population.slates_per_sec);
        w.key("feedback_gain").f64(population.feedback_gain);
        if let Some(bias) = &population.position_bias {
            w.key("position_bias").begin_array();
            for logit in bias {
                w.f64(*logit);
            }
            w.end_array();
        }
        if !is_zero(&population.shared_taste) {
            w.key("shared_taste").f64(population.shared_taste);
        }
        w.end_object();
        if !self.drift.is_empty() {
            w.key("drift").begin_array();
            for drift in &self.drift {
                w.begin_object();
                match drift {
                    DriftSpec::Abrupt { at_ms } => {
                        w.key("kind").string("abrupt");
                        w.key("at_ms").u64(*at_ms);
                    }
                    DriftSpec::Gradual {
                        from_ms,
                        until_ms,
                        degrees,
                    } => {
                        w.key("kind").string("gradual");
                        w.key("from_ms").u64(*from_ms);
                        w.key("until_ms").u64(*until_ms);
                        w.key("degrees").f64(*degrees);
                    }
                }
                w.end_object();
            }
            w.end_array();
        }
        let guardrails = &self.guardrails;
        w.key("guardrails").begin_object();
        w.optional_f64("max_exploration_share", guardrails.max_exploration_share);
        w.optional_u32(
            "min_distinct_categories",
            guardrails.min_distinct_categories,
        );
        w.optional_f64("max_policy_change", guardrails.max_policy_change);
        w.end_object();
        w.key("log").begin_object();
        w.key("log_impressions").bool(self.log.log_impressions);
        w.key("checkpoint_every").u64(self.log.checkpoint_every);
        w.key("durable_writes").bool(self.log.durable_writes);
        w.end_object();
        w.end_object();
    }
}

json::deserialize_with_reader! {
    RecommenderSpec => RecommenderSpec::from_value;
    PolicySpec => PolicySpec::from_value;
    PopulationSpec => PopulationSpec::from_value;
    DriftSpec => DriftSpec::from_value;
    GuardrailSpec => GuardrailSpec::from_value;
    LogSpec => LogSpec::from_value;
}

impl RecommenderSpec {
    pub fn validate(&self, duration_ms: u64) -> Result<(), ScenarioError> {
        let policy = &self.policy;
        if let Some(alpha) = policy.alpha {
            check_finite_non_negative("recommender.policy.alpha", alpha)?;
        }
        if let Some(epsilon) = policy.epsilon {
            check_probability("recommender.policy.epsilon", epsilon)?;
        }
        if let Some(tau) = policy.tau {
            check_positive("recommender.policy.tau", tau)?;
        }
        if let Some(discount) = policy.discount {
            if !(discount > 0.0 && discount <= 1.0) {
                return Err(invalid(
                    "recommender.policy.discount",
                    got("must be in (0, 1]", discount),
                ));
            }
            if policy.window.is_some() {
                return Err(invalid(
                    "recommender.policy",
                    "give discount or window, not both",
                ));
            }
        }
        if let Some(window) = policy.window {
            check_range_u64("recommender.policy.window", window.into(), 1, 1_000_000)?;
        }
        let population = &self.population;
        check_range_u64(
            "recommender.population.users",
            population.users.into(),
            1,
            100_000,
        )?;
        check_range_u64(
            "recommender.population.items",
            population.items.into(),
            1,
            10_000,
        )?;
        check_range_u64("recommender.population.dims", population.dims.into(), 1, 64)?;
        check_range_u64(
            "recommender.population.categories",
            population.categories.into(),
            1,
            population.items.into(),
        )?;
        check_range_u64(
            "recommender.population.slate_size",
            population.slate_size.into(),
            1,
            population.items.into(),
        )?;
        check_positive(
            "recommender.population.slates_per_sec",
            population.slates_per_sec,
        )?;
        if population.slates_per_sec > MAX_RATE_OPS_PER_SEC {
            return Err(invalid(
                "recommender.population.slates_per_sec",
                format!("over the limit of {}", shortest(MAX_RATE_OPS_PER_SEC)),
            ));
        }
        check_finite_non_negative(
            "recommender.population.feedback_gain",
            population.feedback_gain,
        )?;
        if let Some(bias) = &population.position_bias {
            if bias.is_empty() || bias.iter().any(|b| !b.is_finite()) {
                return Err(invalid(
                    "recommender.population.position_bias",
                    "needs at least one entry, all finite",
                ));
            }
        }
        for (index, drift) in self.drift.iter().enumerate() {
            let field = item("recommender.drift", index);
            match drift {
                DriftSpec::Abrupt { at_ms } => {
                    if *at_ms > duration_ms {
                        return Err(after_run_end(&field, "at_ms", *at_ms, duration_ms));
                    }
                }
                DriftSpec::Gradual {
                    from_ms,
                    until_ms,
                    degrees,
                } => {
                    if until_ms <= from_ms {
                        return Err(invalid(
                            member(&field, "until_ms"),
                            ends_before_start("drift", *until_ms, *from_ms),
                        ));
                    }
                    if !degrees.is_finite() {
                        return Err(invalid(member(&field, "degrees"), "must be finite"));
                    }
                }
            }
        }
        if self
            .drift
            .iter()
            .filter(|d| matches!(d, DriftSpec::Gradual { .. }))
            .count()
            > 1
        {
            return Err(invalid(
                "recommender.drift",
                "at most one gradual drift per scenario",
            ));
        }
        if let Some(share) = self.guardrails.max_exploration_share {
            check_probability("recommender.guardrails.max_exploration_share", share)?;
        }
        if let Some(change) = self.guardrails.max_policy_change {
            if !(change > 0.0 && change <= 1.0) {
                return Err(invalid(
                    "recommender.guardrails.max_policy_change",
                    got("must be in (0, 1]", change),
                ));
            }
        }
        if let Some(distinct) = self.guardrails.min_distinct_categories {
            check_range_u64(
                "recommender.guardrails.min_distinct_categories",
                distinct.into(),
                1,
                population.slate_size.min(population.categories).into(),
            )?;
        }
        Ok(())
    }
}
