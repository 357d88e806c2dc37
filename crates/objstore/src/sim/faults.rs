//! Fault injection: what can go wrong with a request, when, to which requests, and how often.
//!
//! A `FaultSpec` is an action (server error, timeout, lost ack, slow, outage, forced
//! throttling, bit flip on PUT) with an optional window of simulated time, a probability, and
//! filters on operation and key prefix. The store asks the schedule for a `FaultPlan` when a
//! request starts; every random decision draws from the store's dedicated fault stream
//! ("objstore.faults"), so adding a fault never shifts a latency draw, and the same seed gives
//! the same faults.

use serde::{Deserialize, Serialize};
use strata_sim::{FaultKind, SimRng, SimTime, StoreOp};

/// The most fault specs a store holds at once (each request checks every one).
pub const MAX_FAULT_SPECS: usize = 256;

/// What a fault does to a request it hits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// The store answers 5xx; nothing is applied. The caller sees `Unavailable`.
    ServerError,
    /// No answer before the client's deadline (`request_timeout`). A write is applied with
    /// probability `applied_probability` (a seeded coin), at the time it would have finished.
    Timeout { applied_probability: f64 },
    /// The write is applied, then the answer is lost: the caller sees `Unavailable`.
    LostAck,
    /// The request's latency is multiplied by `multiplier` (at least 1).
    Slow { multiplier: f64 },
    /// Every matching request fails with `Unavailable` (meant to be used with a window).
    Outage,
    /// The store answers 503 SlowDown whatever the request rate.
    Throttle,
    /// After a matching PUT is stored, one random bit of the stored copy flips. The ETag and
    /// the caller's answer do not change: silent corruption.
    BitFlipOnPut,
}

impl FaultAction {
    pub fn kind(&self) -> FaultKind {
        match self {
            FaultAction::ServerError => FaultKind::ServerError,
            FaultAction::Timeout { .. } => FaultKind::Timeout,
            FaultAction::LostAck => FaultKind::LostAck,
            FaultAction::Slow { .. } => FaultKind::Slow,
            FaultAction::Outage => FaultKind::Outage,
            FaultAction::Throttle => FaultKind::Throttle,
            FaultAction::BitFlipOnPut => FaultKind::BitFlip,
        }
    }
}

/// A half-open span of simulated time, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    pub start: SimTime,
    pub end: SimTime,
}

impl FaultWindow {
    pub fn contains(&self, at: SimTime) -> bool {
        self.start <= at && at < self.end
    }
}

/// One fault: an action, when it is active, how likely it hits, and which requests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    pub action: FaultAction,
    /// Active only inside this window; always active when `None`.
    #[serde(default)]
    pub window: Option<FaultWindow>,
    /// The chance that a matching request is hit, in [0, 1].
    #[serde(default = "one")]
    pub probability: f64,
    /// Only these operations; every operation when empty.
    #[serde(default)]
    pub ops: Vec<StoreOp>,
    /// Only keys (LIST: prefixes) starting with this; every key when `None`.
    #[serde(default)]
    pub key_prefix: Option<String>,
}

fn one() -> f64 {
    1.0
}

impl FaultSpec {
    /// A spec that hits every request, always.
    pub fn always(action: FaultAction) -> Self {
        FaultSpec {
            action,
            window: None,
            probability: 1.0,
            ops: Vec::new(),
            key_prefix: None,
        }
    }

    pub fn with_window(mut self, start: SimTime, end: SimTime) -> Self {
        self.window = Some(FaultWindow { start, end });
        self
    }

    pub fn with_probability(mut self, probability: f64) -> Self {
        self.probability = probability;
        self
    }

    pub fn with_ops(mut self, ops: &[StoreOp]) -> Self {
        self.ops = ops.to_vec();
        self
    }

    pub fn with_key_prefix(mut self, prefix: &str) -> Self {
        self.key_prefix = Some(prefix.to_string());
        self
    }

    /// Checks the spec; the store accepts only specs that pass.
    pub fn validate(&self) -> Result<(), FaultError> {
        if let Some(window) = self.window {
            if window.end <= window.start {
                return Err(FaultError::WindowEndsBeforeStart {
                    start: window.start,
                    end: window.end,
                });
            }
        }
        check_probability(self.probability)?;
        match self.action {
            FaultAction::Timeout {
                applied_probability,
            } => check_probability(applied_probability)?,
            // NaN is outside every range, so it is refused here too.
            FaultAction::Slow { multiplier }
                if !(1.0..=MAX_SLOW_MULTIPLIER).contains(&multiplier) =>
            {
                return Err(FaultError::BadMultiplier(multiplier));
            }
            _ => {}
        }
        Ok(())
    }

    fn matches(&self, op: StoreOp, key: &str, at: SimTime) -> bool {
        self.window.is_none_or(|window| window.contains(at))
            && (self.ops.is_empty() || self.ops.contains(&op))
            && self
                .key_prefix
                .as_deref()
                .is_none_or(|prefix| key.starts_with(prefix))
    }
}

/// The largest latency multiplier a slow fault may ask for.
pub const MAX_SLOW_MULTIPLIER: f64 = 1_000.0;

fn check_probability(probability: f64) -> Result<(), FaultError> {
    if (0.0..=1.0).contains(&probability) {
        Ok(())
    } else {
        Err(FaultError::BadProbability(probability))
    }
}

/// A fault spec or fault request the store refuses.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FaultError {
    #[error("fault window must end after it starts (start {start}, end {end})")]
    WindowEndsBeforeStart { start: SimTime, end: SimTime },
    #[error("probability {} is outside [0, 1]", strata_sim::fmt::shortest(*.0))]
    BadProbability(f64),
    #[error("latency multiplier {} must be a number between 1 and {}", strata_sim::fmt::shortest(*.0), strata_sim::fmt::shortest(MAX_SLOW_MULTIPLIER))]
    BadMultiplier(f64),
    #[error("the store already holds {MAX_FAULT_SPECS} fault specs")]
    TooManyFaults,
    #[error("no fault with id {0}")]
    UnknownFault(u64),
    #[error("cannot flip a bit: the store holds no non-empty object")]
    NoObjects,
    #[error("cannot flip a bit: no object {0}")]
    ObjectNotFound(String),
    #[error("cannot flip a bit of the empty object {0}")]
    EmptyObject(String),
    #[error("bit {bit} is beyond the {size_bits} bits of {key}")]
    BitOutOfRange {
        key: String,
        bit: u64,
        size_bits: u64,
    },
}

/// Identifies a fault spec held by a store, for removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FaultId(pub u64);

/// What faults decided for one request.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    pub outage: bool,
    pub throttle: bool,
    pub server_error: bool,
    /// `Some(applied)` when the request times out; `applied` says whether a write lands.
    pub timeout: Option<bool>,
    pub lost_ack: bool,
    pub slow_multiplier: f64,
    pub bit_flip: bool,
    /// Every fault that hit, in spec order, for the trace.
    pub injected: Vec<FaultKind>,
}

impl FaultPlan {
    pub fn none() -> Self {
        FaultPlan {
            outage: false,
            throttle: false,
            server_error: false,
            timeout: None,
            lost_ack: false,
            slow_multiplier: 1.0,
            bit_flip: false,
            injected: Vec::new(),
        }
    }
}

/// The fault specs a store holds, in the order they were added.
#[derive(Clone, Debug, Default)]
pub struct FaultSchedule {
    specs: Vec<(FaultId, FaultSpec)>,
    next_id: u64,
}

impl FaultSchedule {
    pub fn add(&mut self, spec: FaultSpec) -> Result<FaultId, FaultError> {
        spec.validate()?;
        if self.specs.len() >= MAX_FAULT_SPECS {
            return Err(FaultError::TooManyFaults);
        }
        let id = FaultId(self.next_id);
        self.next_id += 1;
        self.specs.push((id, spec));
        Ok(id)
    }

    pub fn remove(&mut self, id: FaultId) -> Result<FaultSpec, FaultError> {
        let index = self
            .specs
            .iter()
            .position(|(held, _)| *held == id)
            .ok_or(FaultError::UnknownFault(id.0))?;
        Ok(self.specs.remove(index).1)
    }

    pub fn clear(&mut self) {
        self.specs.clear();
    }

    pub fn specs(&self) -> impl Iterator<Item = (FaultId, &FaultSpec)> {
        self.specs.iter().map(|(id, spec)| (*id, spec))
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Decides the faults for one request. Each matching spec draws once from `rng` for its
    /// probability (and a timeout once more for its coin), so the decisions for a request
    /// depend only on the seed, the specs and the requests before it.
    pub fn plan(&self, op: StoreOp, key: &str, at: SimTime, rng: &mut SimRng) -> FaultPlan {
        let mut plan = FaultPlan::none();
        for (_, spec) in &self.specs {
            if !spec.matches(op, key, at) || !rng.bernoulli(spec.probability) {
                continue;
            }
            match spec.action {
                FaultAction::ServerError => plan.server_error = true,
                FaultAction::Timeout {
                    applied_probability,
                } => {
                    let applied = rng.bernoulli(applied_probability);
                    if plan.timeout.is_none() {
                        plan.timeout = Some(applied);
                    }
                }
                FaultAction::LostAck => plan.lost_ack = true,
                FaultAction::Slow { multiplier } => plan.slow_multiplier *= multiplier,
                FaultAction::Outage => plan.outage = true,
                FaultAction::Throttle => plan.throttle = true,
                FaultAction::BitFlipOnPut => {
                    if op == StoreOp::Put {
                        plan.bit_flip = true;
                    } else {
                        continue;
                    }
                }
            }
            plan.injected.push(spec.action.kind());
        }
        // Several slow faults multiply; keep the product within the bound one spec may ask.
        plan.slow_multiplier = plan.slow_multiplier.min(MAX_SLOW_MULTIPLIER);
        plan
    }
}

/// Flips bit `bit` (0 = the least significant bit of the first byte) of `data`.
pub fn flip_bit(data: &[u8], bit: u64) -> Vec<u8> {
    let mut flipped = data.to_vec();
    let byte = usize::try_from(bit / 8).expect("the caller checked bit < 8 × len");
    flipped[byte] ^= 1 << (bit % 8);
    flipped
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_sim::RngStreams;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bad_specs_are_refused_with_typed_errors() {
        let mut schedule = FaultSchedule::default();
        let backwards = FaultSpec::always(FaultAction::Outage)
            .with_window(SimTime::from_secs(10), SimTime::from_secs(5));
        assert!(matches!(
            schedule.add(backwards),
            Err(FaultError::WindowEndsBeforeStart { .. })
        ));
        let too_likely = FaultSpec::always(FaultAction::ServerError).with_probability(1.5);
        assert_eq!(
            schedule.add(too_likely),
            Err(FaultError::BadProbability(1.5))
        );
        let negative = FaultSpec::always(FaultAction::LostAck).with_probability(-0.1);
        assert!(schedule.add(negative).is_err());
        let nan_coin = FaultSpec::always(FaultAction::Timeout {
            applied_probability: f64::NAN,
        });
        assert!(matches!(
            schedule.add(nan_coin),
            Err(FaultError::BadProbability(_))
        ));
        for multiplier in [0.5, f64::NAN, f64::INFINITY] {
            let slow = FaultSpec::always(FaultAction::Slow { multiplier });
            assert!(matches!(
                schedule.add(slow),
                Err(FaultError::BadMultiplier(_))
            ));
        }
        assert!(schedule.is_empty());
        assert_eq!(
            schedule.remove(FaultId(3)),
            Err(FaultError::UnknownFault(3))
        );
    }

    #[test]
    fn specs_match_by_window_op_and_prefix() {
        let mut schedule = FaultSchedule::default();
        schedule
            .add(
                FaultSpec::always(FaultAction::ServerError)
                    .with_window(SimTime::from_secs(1), SimTime::from_secs(2))
                    .with_ops(&[StoreOp::Put])
                    .with_key_prefix("wal/"),
            )
            .expect("valid spec");
        let mut rng = RngStreams::new(1).stream("objstore.faults");
        let hit = |op, key: &str, secs_ms: u64, rng: &mut SimRng| {
            schedule
                .plan(op, key, SimTime::from_millis(secs_ms), rng)
                .server_error
        };
        assert!(hit(StoreOp::Put, "wal/1", 1500, &mut rng));
        assert!(!hit(StoreOp::Get, "wal/1", 1500, &mut rng));
        assert!(!hit(StoreOp::Put, "sst/1", 1500, &mut rng));
        assert!(!hit(StoreOp::Put, "wal/1", 500, &mut rng));
        assert!(!hit(StoreOp::Put, "wal/1", 2000, &mut rng));
    }

    #[test]
    fn probability_hits_about_that_share_of_requests() {
        let mut schedule = FaultSchedule::default();
        schedule
            .add(FaultSpec::always(FaultAction::LostAck).with_probability(0.25))
            .expect("valid spec");
        let mut rng = RngStreams::new(9).stream("objstore.faults");
        let hits = (0..10_000)
            .filter(|_| {
                schedule
                    .plan(StoreOp::Put, "k", SimTime::ZERO, &mut rng)
                    .lost_ack
            })
            .count();
        assert!((2_300..=2_700).contains(&hits), "hits {hits}");
    }

    #[test]
    fn flipping_a_bit_changes_exactly_that_bit() {
        let data = [0u8, 0xFF];
        assert_eq!(flip_bit(&data, 0), vec![1, 0xFF]);
        assert_eq!(flip_bit(&data, 15), vec![0, 0x7F]);
    }
}
