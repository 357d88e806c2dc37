//! The simulated S3-like store: objects in memory, requests in simulated time.
//!
//! A request is *sent* when its method is called. At that instant the store validates it,
//! draws its latency ("objstore.latency" stream) and its faults ("objstore.faults" stream),
//! checks the prefix's rate limit, and spawns a task on the simulation that sleeps until the
//! request is applied and answered. The caller's future resolves at the answer. Because the
//! work lives in its own task, a request whose caller gave up (a crashed writer, a caller-side
//! timeout) still lands and is still billed, as on S3.
//!
//! A request's effect is atomic at one instant, its *apply* time: the end of its latency. So
//! the store is linearizable, with each request ordered at its apply time. A timed-out write
//! that the fault coin applies lands at the time it would have finished, possibly after the
//! caller heard `Timeout`.
//!
//! Modules:
//! - [`config`]: presets and every tunable, validated.
//! - [`latency`]: the lognormal + bandwidth sampler.
//! - [`cost`]: prices, storage accrual, totals by cause and prefix, the $/month projection.
//! - [`throttle`]: per-prefix request-rate limits (GCRA).
//! - [`faults`]: fault specs and the per-request fault plan.
//! - [`stats`]: running aggregates and the `StoreStats` snapshot.

pub mod config;
pub mod cost;
pub mod faults;
pub mod latency;
pub mod stats;
pub mod throttle;

pub use config::{
    ConfigError, LatencyConfig, LatencyDist, Pricing, SimStoreConfig, ThrottleConfig,
    DEFAULT_MAX_OBJECT_BYTES,
};
pub use faults::{
    FaultAction, FaultError, FaultId, FaultSpec, FaultWindow, MAX_FAULT_SPECS, MAX_SLOW_MULTIPLIER,
};
pub use stats::{CostStats, LatencySummary, RequestStats, StoreStats};

use crate::port::{
    validate_key, ETag, GetResult, ListPage, ObjectMeta, ObjectStore, PutMode, PutResult,
    StoreError, StoreFuture, MAX_KEY_BYTES, MAX_LIST_PAGE,
};
use bytes::Bytes;
use cost::{key_prefix, request_cost_picousd, storage_picousd_per_month, CostLedger};
use faults::{FaultPlan, FaultSchedule};
use latency::LatencyModel;
use serde::{Deserialize, Serialize};
use stats::Aggregates;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::{Bound, Range};
use std::rc::Rc;
use strata_sim::sync::oneshot;
use strata_sim::{
    Cause, EventKind, FaultKind, Histogram, RequestOutcome, RequestRecord, SimDuration, SimHandle,
    SimRng, SimTime, StoreOp,
};

/// The simulated store. Cheap to clone: clones share the same objects, clock and statistics.
#[derive(Clone)]
pub struct SimStore {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for SimStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner.state.borrow();
        f.debug_struct("SimStore")
            .field("preset", &state.config.name)
            .field("objects", &state.objects.len())
            .field("bytes_stored", &state.bytes_stored)
            .finish()
    }
}

struct Inner {
    handle: SimHandle,
    state: RefCell<State>,
}

struct StoredObject {
    data: Bytes,
    meta: ObjectMeta,
}

struct State {
    config: SimStoreConfig,
    model: LatencyModel,
    objects: BTreeMap<String, StoredObject>,
    bytes_stored: u64,
    /// Writes so far; each write's ETag is its number, so ETags never repeat.
    writes: u64,
    latency_rng: SimRng,
    fault_rng: SimRng,
    throttle: throttle::Throttle,
    faults: FaultSchedule,
    ledger: CostLedger,
    aggregates: Aggregates,
    requests: u64,
    in_flight: u64,
}

/// Which bit a `flip_bit` call flipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitFlip {
    pub key: String,
    /// 0 is the least significant bit of the object's first byte.
    pub bit: u64,
}

/// Why the store refused a request without processing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Outage,
    Throttled,
    ServerError,
}

/// How a request will end, decided when it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Disposition {
    /// Answered 5xx without being processed: not applied, not billed.
    Refused(Refusal),
    /// No answer before the deadline; `applied` says whether the store processed it.
    TimedOut { applied: bool },
    /// Processed and answered; with `lost_ack` the answer never reaches the caller.
    Processed { lost_ack: bool },
}

/// Everything about an in-flight request that its task needs to finish it.
struct Sent {
    op: StoreOp,
    cause: Cause,
    key: String,
    prefix: String,
    start: SimTime,
    answer_at: SimTime,
    apply_at: Option<SimTime>,
    bytes_sent: u64,
    cost_picousd: u64,
    disposition: Disposition,
    bit_flip: bool,
}

fn outcome_of(error: &StoreError) -> RequestOutcome {
    match error {
        StoreError::NotFound { .. } => RequestOutcome::NotFound,
        StoreError::AlreadyExists { .. } => RequestOutcome::AlreadyExists,
        StoreError::PreconditionFailed { .. } => RequestOutcome::PreconditionFailed,
        StoreError::Throttled { .. } => RequestOutcome::Throttled,
        StoreError::Timeout { .. } => RequestOutcome::Timeout,
        StoreError::Unavailable { .. } => RequestOutcome::Unavailable,
        StoreError::InvalidRequest(_) => RequestOutcome::Invalid,
    }
}

fn is_write(op: StoreOp) -> bool {
    matches!(op, StoreOp::Put | StoreOp::Delete)
}

/// Converts an in-memory offset; objects in memory always fit in usize.
fn to_index(offset: u64) -> Result<usize, StoreError> {
    usize::try_from(offset)
        .map_err(|_| StoreError::InvalidRequest(format!("offset {offset} does not fit in memory")))
}

impl SimStore {
    /// A store on `handle`'s simulation. For configs that come from a person or a document,
    /// use `try_new`: this one panics on an invalid config, and the presets are always valid.
    pub fn new(handle: SimHandle, config: SimStoreConfig) -> SimStore {
        match SimStore::try_new(handle, config) {
            Ok(store) => store,
            Err(error) => panic!("SimStore::new was given an invalid config: {error}"),
        }
    }

    /// A store on `handle`'s simulation, or the reason `config` is refused.
    pub fn try_new(handle: SimHandle, config: SimStoreConfig) -> Result<SimStore, ConfigError> {
        config.validate()?;
        let state = State {
            model: LatencyModel::new(&config.latency),
            config,
            objects: BTreeMap::new(),
            bytes_stored: 0,
            writes: 0,
            latency_rng: handle.rng("objstore.latency"),
            fault_rng: handle.rng("objstore.faults"),
            throttle: throttle::Throttle::default(),
            faults: FaultSchedule::default(),
            ledger: CostLedger::default(),
            aggregates: Aggregates::default(),
            requests: 0,
            in_flight: 0,
        };
        Ok(SimStore {
            inner: Rc::new(Inner {
                handle,
                state: RefCell::new(state),
            }),
        })
    }

    /// The current config.
    pub fn config(&self) -> SimStoreConfig {
        self.inner.state.borrow().config.clone()
    }

    /// Replaces the config while the run goes on. Requests already sent keep the latency and
    /// price they were given; storage accrued so far keeps the old price.
    pub fn set_config(&self, config: SimStoreConfig) -> Result<(), ConfigError> {
        config.validate()?;
        let now = self.inner.handle.now();
        let mut state = self.inner.state.borrow_mut();
        let state = &mut *state;
        state
            .ledger
            .accrue_storage(now, state.bytes_stored, &state.config.pricing);
        state.model = LatencyModel::new(&config.latency);
        state.config = config;
        Ok(())
    }

    /// Adds a fault; it applies to requests sent from now on.
    pub fn add_fault(&self, spec: FaultSpec) -> Result<FaultId, FaultError> {
        self.inner.state.borrow_mut().faults.add(spec)
    }

    pub fn remove_fault(&self, id: FaultId) -> Result<FaultSpec, FaultError> {
        self.inner.state.borrow_mut().faults.remove(id)
    }

    pub fn clear_faults(&self) {
        self.inner.state.borrow_mut().faults.clear();
    }

    /// The fault specs held, in the order they were added.
    pub fn faults(&self) -> Vec<(FaultId, FaultSpec)> {
        self.inner
            .state
            .borrow()
            .faults
            .specs()
            .map(|(id, spec)| (id, spec.clone()))
            .collect()
    }

    /// Silently corrupts one stored object by flipping one bit: of `key` (or a random
    /// non-empty object), at `bit` (or a random bit). The ETag does not change. Random choices
    /// draw from the fault stream, so they are the same under the same seed.
    pub fn flip_bit(&self, key: Option<&str>, bit: Option<u64>) -> Result<BitFlip, FaultError> {
        let now = self.inner.handle.now();
        let flip = {
            let mut state = self.inner.state.borrow_mut();
            let state = &mut *state;
            let key = match key {
                Some(key) => key.to_string(),
                None => {
                    let candidates: Vec<&String> = state
                        .objects
                        .iter()
                        .filter(|(_, object)| !object.data.is_empty())
                        .map(|(key, _)| key)
                        .collect();
                    if candidates.is_empty() {
                        return Err(FaultError::NoObjects);
                    }
                    candidates[state.fault_rng.index(candidates.len())].clone()
                }
            };
            state.flip_bit_of(&key, bit)?
        };
        self.inner.handle.record_at(
            now,
            EventKind::FaultInjected {
                fault: FaultKind::BitFlip,
                key: flip.key.clone(),
            },
        );
        self.inner
            .state
            .borrow_mut()
            .aggregates
            .record_fault(FaultKind::BitFlip);
        Ok(flip)
    }

    /// Reads an object out of band: no request, no latency, no cost, no trace. For tests and
    /// checkers that must see what is really stored.
    pub fn inspect(&self, key: &str) -> Option<(ObjectMeta, Bytes)> {
        self.inner
            .state
            .borrow()
            .objects
            .get(key)
            .map(|object| (object.meta.clone(), object.data.clone()))
    }

    /// Every stored key, in order, out of band (no request).
    pub fn keys(&self) -> Vec<String> {
        self.inner.state.borrow().objects.keys().cloned().collect()
    }

    pub fn object_count(&self) -> u64 {
        self.inner.state.borrow().objects.len() as u64
    }

    pub fn bytes_stored(&self) -> u64 {
        self.inner.state.borrow().bytes_stored
    }

    /// The latency histogram (nanoseconds) of every request of `op` so far.
    pub fn latency_histogram(&self, op: StoreOp) -> Histogram {
        self.inner.state.borrow().aggregates.by_op[op as usize]
            .as_ref()
            .map(|group| group.latency_nanos.clone())
            .unwrap_or_default()
    }

    /// A snapshot of the store's counts, latencies and costs.
    pub fn stats(&self) -> StoreStats {
        let now = self.inner.handle.now();
        let mut state = self.inner.state.borrow_mut();
        let state = &mut *state;
        state
            .ledger
            .accrue_storage(now, state.bytes_stored, &state.config.pricing);
        let window = state.config.cost_window;
        let projected_requests = state
            .ledger
            .projected_request_picousd_per_month(now, window);
        let projected_storage =
            storage_picousd_per_month(&state.config.pricing, state.bytes_stored);
        let storage = state.ledger.storage_picousd();
        StoreStats {
            at: now,
            preset: state.config.name.clone(),
            objects: state.objects.len() as u64,
            bytes_stored: state.bytes_stored,
            requests: state.requests,
            in_flight: state.in_flight,
            by_op: state.aggregates.snapshot_by_op(),
            by_cause: state.aggregates.snapshot_by_cause(),
            by_prefix: state.aggregates.snapshot_by_prefix(),
            cost: CostStats {
                request_picousd: state.ledger.request_picousd_total,
                storage_picousd: storage,
                total_picousd: state.ledger.request_picousd_total.saturating_add(storage),
                by_cause: state.ledger.by_cause.clone(),
                by_prefix: state.ledger.by_prefix.clone(),
                projected_request_picousd_per_month: projected_requests,
                projected_storage_picousd_per_month: projected_storage,
                projected_total_picousd_per_month: projected_requests
                    .saturating_add(projected_storage),
                window_secs: window.as_nanos() / 1_000_000_000,
            },
            faults_injected: state.aggregates.faults_injected.clone(),
            requests_applied_despite_error: state.aggregates.requests_applied_despite_error,
        }
    }

    /// Records a request refused before it was sent (bad input): no latency, no cost.
    fn reject<T: 'static>(
        &self,
        op: StoreOp,
        cause: Cause,
        key: &str,
        error: StoreError,
    ) -> StoreFuture<T> {
        let now = self.inner.handle.now();
        {
            let mut state = self.inner.state.borrow_mut();
            state.requests += 1;
            let prefix = key_prefix(key, state.config.prefix_segments).to_string();
            state
                .aggregates
                .record_request(op, cause, &prefix, RequestOutcome::Invalid, 0, 0, 0);
        }
        self.inner.handle.record(EventKind::Request(RequestRecord {
            op,
            cause,
            key: key.to_string(),
            bytes: 0,
            start: now,
            end: now,
            outcome: RequestOutcome::Invalid,
            cost_picousd: 0,
            applied_despite_error: false,
        }));
        Box::pin(std::future::ready(Err(error)))
    }

    /// Sends a request: plans its latency, faults and throttling now, and spawns the task
    /// that applies and answers it. `apply` runs at the apply time against the store's state
    /// and returns the result with the payload bytes it moved to the caller.
    ///
    /// Only this thin wrapper is generic: the request path itself (`submit_reply`) works on
    /// [`Reply`], so it is compiled once rather than once per operation (wasm bundle size).
    fn submit<T, F>(
        &self,
        op: StoreOp,
        cause: Cause,
        key: &str,
        bytes_sent: u64,
        bytes_for_latency: u64,
        apply: F,
    ) -> StoreFuture<T>
    where
        T: IntoReply,
        F: FnOnce(&mut State, SimTime) -> (Result<T, StoreError>, u64) + 'static,
    {
        let apply: ApplyFn = Box::new(move |state, now| {
            let (result, bytes) = apply(state, now);
            (result.map(IntoReply::into_reply), bytes)
        });
        let reply = self.submit_reply(op, cause, key, bytes_sent, bytes_for_latency, apply);
        Box::pin(async move {
            reply.await.map(|reply| {
                T::from_reply(reply)
                    .expect("a request is answered with what its own apply returned")
            })
        })
    }

    /// The request path of [`SimStore::submit`], on type-erased results.
    fn submit_reply(
        &self,
        op: StoreOp,
        cause: Cause,
        key: &str,
        bytes_sent: u64,
        bytes_for_latency: u64,
        apply: ApplyFn,
    ) -> StoreFuture<Reply> {
        let handle = &self.inner.handle;
        let start = handle.now();
        let (sent, injected) = {
            let mut guard = self.inner.state.borrow_mut();
            let state = &mut *guard;
            let plan = if state.faults.is_empty() {
                FaultPlan::none()
            } else {
                state.faults.plan(op, key, start, &mut state.fault_rng)
            };
            let mut latency = state
                .model
                .sample(op, bytes_for_latency, &mut state.latency_rng);
            if plan.slow_multiplier > 1.0 {
                latency =
                    SimDuration::from_millis_f64(latency.as_millis_f64() * plan.slow_multiplier);
            }
            let prefix = key_prefix(key, state.config.prefix_segments).to_string();
            let disposition = if plan.outage {
                Disposition::Refused(Refusal::Outage)
            } else if plan.throttle
                || !state
                    .throttle
                    .admit(&state.config.throttle, &prefix, op, start)
            {
                Disposition::Refused(Refusal::Throttled)
            } else if plan.server_error {
                Disposition::Refused(Refusal::ServerError)
            } else if let Some(applied) = plan.timeout {
                Disposition::TimedOut { applied }
            } else if latency > state.config.request_timeout {
                // Too slow for the client, but the store finishes it anyway.
                Disposition::TimedOut { applied: true }
            } else {
                Disposition::Processed {
                    lost_ack: plan.lost_ack,
                }
            };
            let done_at = start + latency;
            let answer_at = match disposition {
                Disposition::TimedOut { .. } => start + state.config.request_timeout,
                _ => done_at,
            };
            let apply_at = match disposition {
                Disposition::Refused(_) | Disposition::TimedOut { applied: false } => None,
                _ => Some(done_at),
            };
            let cost_picousd = if apply_at.is_some() {
                request_cost_picousd(&state.config.pricing, op, bytes_for_latency)
            } else {
                0
            };
            state.requests += 1;
            state.in_flight += 1;
            // Bit flips are recorded when they happen, after the PUT lands.
            let injected: Vec<FaultKind> = plan
                .injected
                .iter()
                .copied()
                .filter(|kind| *kind != FaultKind::BitFlip)
                .collect();
            for kind in &injected {
                state.aggregates.record_fault(*kind);
            }
            let sent = Sent {
                op,
                cause,
                key: key.to_string(),
                prefix,
                start,
                answer_at,
                apply_at,
                bytes_sent,
                cost_picousd,
                disposition,
                bit_flip: plan.bit_flip,
            };
            (sent, injected)
        };
        for fault in injected {
            handle.record(EventKind::FaultInjected {
                fault,
                key: sent.key.clone(),
            });
        }
        let (sender, receiver) = oneshot();
        let inner = self.inner.clone();
        // Detached: the request completes even if the caller drops its future.
        let _detached = handle.spawn(async move {
            let handle = inner.handle.clone();
            let mut applied: Option<(Result<Reply, StoreError>, u64)> = None;
            let mut apply = Some(apply);
            if let Some(apply_at) = sent.apply_at.filter(|at| *at <= sent.answer_at) {
                handle.sleep_until(apply_at).await;
                if let Some(apply) = apply.take() {
                    applied = Some(inner.apply(&sent, apply));
                }
            }
            handle.sleep_until(sent.answer_at).await;
            let answer = inner.finish(&sent, applied);
            sender.send(answer);
            // A write the client gave up on that still lands, after the answer.
            if let (Some(apply_at), Some(apply)) = (sent.apply_at, apply) {
                handle.sleep_until(apply_at).await;
                let _late = inner.apply(&sent, apply);
            }
        });
        let key = key.to_string();
        Box::pin(async move {
            receiver.await.unwrap_or_else(|| {
                Err(StoreError::Unavailable {
                    key,
                    reason: "the simulation dropped the request".to_string(),
                })
            })
        })
    }

    fn put_request(
        &self,
        cause: Cause,
        key: &str,
        data: Bytes,
        mode: PutMode,
    ) -> StoreFuture<PutResult> {
        if let Err(error) = validate_key(key) {
            return self.reject(StoreOp::Put, cause, key, error);
        }
        let size = data.len() as u64;
        let max = self.inner.state.borrow().config.max_object_bytes;
        if size > max {
            let error = StoreError::InvalidRequest(format!(
                "object of {size} bytes is over the {max}-byte limit"
            ));
            return self.reject(StoreOp::Put, cause, key, error);
        }
        let owned_key = key.to_string();
        self.submit(StoreOp::Put, cause, key, size, size, move |state, now| {
            (state.put(owned_key, data, mode, now), 0)
        })
    }

    fn get_request(
        &self,
        cause: Cause,
        key: &str,
        range: Option<Range<u64>>,
    ) -> StoreFuture<GetResult> {
        if let Err(error) = validate_key(key) {
            return self.reject(StoreOp::Get, cause, key, error);
        }
        if let Some(range) = &range {
            if range.start > range.end {
                let error = StoreError::InvalidRequest(format!(
                    "range {}..{} starts after it ends",
                    range.start, range.end
                ));
                return self.reject(StoreOp::Get, cause, key, error);
            }
        }
        // Transfer time uses the size at send time; the bytes returned are those at apply.
        let expected_bytes = {
            let state = self.inner.state.borrow();
            match (state.objects.get(key), &range) {
                (None, _) => 0,
                (Some(object), None) => object.meta.size_bytes,
                (Some(object), Some(range)) => range
                    .end
                    .min(object.meta.size_bytes)
                    .saturating_sub(range.start),
            }
        };
        let owned_key = key.to_string();
        self.submit(
            StoreOp::Get,
            cause,
            key,
            0,
            expected_bytes,
            move |state, _now| {
                let result = state.get(&owned_key, range);
                let bytes = result.as_ref().map_or(0, |got| got.bytes.len() as u64);
                (result, bytes)
            },
        )
    }
}

/// A request's result with its type erased, so that the request path is compiled once.
enum Reply {
    Unit,
    Put(PutResult),
    Get(GetResult),
    Meta(ObjectMeta),
    List(ListPage),
}

/// A request's application to the store's state: the result and the payload bytes it moved.
type ApplyFn = Box<dyn FnOnce(&mut State, SimTime) -> (Result<Reply, StoreError>, u64)>;

/// The result types of the store's operations, to and from [`Reply`].
trait IntoReply: Sized + 'static {
    fn into_reply(self) -> Reply;
    /// `None` when `reply` holds another operation's result (a bug, never bad input).
    fn from_reply(reply: Reply) -> Option<Self>;
}

impl IntoReply for () {
    fn into_reply(self) -> Reply {
        Reply::Unit
    }
    fn from_reply(reply: Reply) -> Option<Self> {
        matches!(reply, Reply::Unit).then_some(())
    }
}

/// `IntoReply` for a result type carried by one `Reply` variant.
macro_rules! into_reply {
    ($($ty:ty => $variant:ident),* $(,)?) => {
        $(
            impl IntoReply for $ty {
                fn into_reply(self) -> Reply {
                    Reply::$variant(self)
                }
                fn from_reply(reply: Reply) -> Option<Self> {
                    match reply {
                        Reply::$variant(result) => Some(result),
                        _ => None,
                    }
                }
            }
        )*
    };
}

into_reply!(PutResult => Put, GetResult => Get, ObjectMeta => Meta, ListPage => List);

impl Inner {
    /// Applies a request to the state at its apply time.
    fn apply(&self, sent: &Sent, apply: ApplyFn) -> (Result<Reply, StoreError>, u64) {
        let now = self.handle.now();
        let (result, bytes, flipped) = {
            let mut state = self.state.borrow_mut();
            let (result, bytes) = apply(&mut state, now);
            let flipped = if sent.bit_flip && result.is_ok() && sent.op == StoreOp::Put {
                state.flip_bit_of(&sent.key, None).ok()
            } else {
                None
            };
            if flipped.is_some() {
                state.aggregates.record_fault(FaultKind::BitFlip);
            }
            (result, bytes, flipped)
        };
        if let Some(flip) = flipped {
            self.handle.record(EventKind::FaultInjected {
                fault: FaultKind::BitFlip,
                key: flip.key,
            });
        }
        (result, bytes)
    }

    /// Turns the applied result into the caller's answer, and records the request.
    fn finish(
        &self,
        sent: &Sent,
        applied: Option<(Result<Reply, StoreError>, u64)>,
    ) -> Result<Reply, StoreError> {
        let key = || sent.key.clone();
        let (answer, bytes_received, applied_despite_error) = match (sent.disposition, applied) {
            (Disposition::Refused(Refusal::Outage), _) => (
                Err(StoreError::Unavailable {
                    key: key(),
                    reason: "outage: the store is not answering".to_string(),
                }),
                0,
                false,
            ),
            (Disposition::Refused(Refusal::Throttled), _) => {
                (Err(StoreError::Throttled { key: key() }), 0, false)
            }
            (Disposition::Refused(Refusal::ServerError), _) => (
                Err(StoreError::Unavailable {
                    key: key(),
                    reason: "500 InternalError".to_string(),
                }),
                0,
                false,
            ),
            (Disposition::TimedOut { applied }, result) => {
                // A late write has not been applied yet; it will be, so it counts as applied
                // (a conditional write could still fail its check then: the trace says the
                // store processed it, not that it changed anything).
                let landed = match &result {
                    Some((result, _)) => result.is_ok(),
                    None => applied,
                };
                (
                    Err(StoreError::Timeout { key: key() }),
                    0,
                    landed && is_write(sent.op),
                )
            }
            (Disposition::Processed { lost_ack: true }, result) => {
                let landed = matches!(&result, Some((Ok(_), _)));
                (
                    Err(StoreError::Unavailable {
                        key: key(),
                        reason: "the answer was lost after the request was applied".to_string(),
                    }),
                    0,
                    landed && is_write(sent.op),
                )
            }
            (Disposition::Processed { lost_ack: false }, Some((result, bytes))) => {
                (result, bytes, false)
            }
            (Disposition::Processed { lost_ack: false }, None) => (
                // Unreachable by construction (a processed request is applied before it is
                // answered), but answered honestly rather than with a panic.
                Err(StoreError::Unavailable {
                    key: key(),
                    reason: "internal: request answered before it was applied".to_string(),
                }),
                0,
                false,
            ),
        };
        let outcome = match (&answer, sent.disposition) {
            (Err(_), Disposition::Refused(Refusal::ServerError)) => RequestOutcome::ServerError,
            (Err(error), _) => outcome_of(error),
            (Ok(_), _) => RequestOutcome::Ok,
        };
        let bytes = if sent.op == StoreOp::Put {
            sent.bytes_sent
        } else {
            bytes_received
        };
        let latency_nanos = sent.answer_at.saturating_since(sent.start).as_nanos();
        {
            let mut state = self.state.borrow_mut();
            state.in_flight = state.in_flight.saturating_sub(1);
            state.aggregates.record_request(
                sent.op,
                sent.cause,
                &sent.prefix,
                outcome,
                bytes,
                sent.cost_picousd,
                latency_nanos,
            );
            if applied_despite_error {
                state.aggregates.requests_applied_despite_error += 1;
            }
            let window = state.config.cost_window;
            state.ledger.charge(
                sent.answer_at,
                sent.cause,
                &sent.prefix,
                sent.cost_picousd,
                window,
            );
        }
        self.handle.record(EventKind::Request(RequestRecord {
            op: sent.op,
            key: sent.key.clone(),
            bytes,
            cause: sent.cause,
            start: sent.start,
            end: sent.answer_at,
            outcome,
            cost_picousd: sent.cost_picousd,
            applied_despite_error,
        }));
        answer
    }
}

impl State {
    fn set_bytes_stored(&mut self, now: SimTime, bytes_stored: u64) {
        self.ledger
            .accrue_storage(now, self.bytes_stored, &self.config.pricing);
        self.bytes_stored = bytes_stored;
    }

    fn put(
        &mut self,
        key: String,
        data: Bytes,
        mode: PutMode,
        now: SimTime,
    ) -> Result<PutResult, StoreError> {
        let existing = self.objects.get(&key);
        match (&mode, existing) {
            (PutMode::Overwrite, _) | (PutMode::CreateIfAbsent, None) => {}
            (PutMode::CreateIfAbsent, Some(_)) => return Err(StoreError::AlreadyExists { key }),
            (PutMode::UpdateIfMatch(expected), Some(object)) if object.meta.etag == *expected => {}
            // A missing object has no ETag to match.
            (PutMode::UpdateIfMatch(_), _) => return Err(StoreError::PreconditionFailed { key }),
        }
        let old_size = existing.map_or(0, |object| object.meta.size_bytes);
        let size = data.len() as u64;
        self.writes += 1;
        let etag = ETag(format!("{:016x}", self.writes));
        let new_total = self.bytes_stored - old_size + size;
        self.set_bytes_stored(now, new_total);
        let meta = ObjectMeta {
            key: key.clone(),
            size_bytes: size,
            etag: etag.clone(),
            last_modified: now,
        };
        self.objects.insert(key, StoredObject { data, meta });
        Ok(PutResult { etag })
    }

    fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<GetResult, StoreError> {
        let object = self.objects.get(key).ok_or_else(|| StoreError::NotFound {
            key: key.to_string(),
        })?;
        let size = object.meta.size_bytes;
        let range = range.unwrap_or(0..size);
        if range.start > range.end || range.end > size {
            return Err(StoreError::InvalidRequest(format!(
                "range {}..{} is not within the {size} bytes of {key}",
                range.start, range.end
            )));
        }
        let bytes = object
            .data
            .slice(to_index(range.start)?..to_index(range.end)?);
        Ok(GetResult {
            bytes,
            meta: object.meta.clone(),
            range,
        })
    }

    fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        self.objects
            .get(key)
            .map(|object| object.meta.clone())
            .ok_or_else(|| StoreError::NotFound {
                key: key.to_string(),
            })
    }

    fn list(&self, prefix: &str, page_token: Option<&str>, max_keys: usize) -> ListPage {
        // The page token is the last key of the previous page: resume strictly after it.
        let lower = match page_token {
            Some(token) if token >= prefix => Bound::Excluded(token),
            _ => Bound::Included(prefix),
        };
        let mut matching = self
            .objects
            .range::<str, _>((lower, Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix));
        let objects: Vec<ObjectMeta> = matching
            .by_ref()
            .take(max_keys)
            .map(|(_, object)| object.meta.clone())
            .collect();
        let more = matching.next().is_some();
        let next_page_token = if more {
            objects.last().map(|meta| meta.key.clone())
        } else {
            None
        };
        ListPage {
            objects,
            next_page_token,
        }
    }

    fn delete(&mut self, key: &str, now: SimTime) {
        if let Some(object) = self.objects.remove(key) {
            let new_total = self.bytes_stored - object.meta.size_bytes;
            self.set_bytes_stored(now, new_total);
        }
    }

    fn flip_bit_of(&mut self, key: &str, bit: Option<u64>) -> Result<BitFlip, FaultError> {
        let object = self
            .objects
            .get_mut(key)
            .ok_or_else(|| FaultError::ObjectNotFound(key.to_string()))?;
        let size_bits = object.meta.size_bytes.saturating_mul(8);
        if size_bits == 0 {
            return Err(FaultError::EmptyObject(key.to_string()));
        }
        let bit = match bit {
            Some(bit) if bit >= size_bits => {
                return Err(FaultError::BitOutOfRange {
                    key: key.to_string(),
                    bit,
                    size_bits,
                })
            }
            Some(bit) => bit,
            None => self.fault_rng.below(size_bits),
        };
        object.data = Bytes::from(faults::flip_bit(&object.data, bit));
        Ok(BitFlip {
            key: key.to_string(),
            bit,
        })
    }
}

impl ObjectStore for SimStore {
    fn put(&self, cause: Cause, key: &str, data: Bytes, mode: PutMode) -> StoreFuture<PutResult> {
        self.put_request(cause, key, data, mode)
    }

    fn get(&self, cause: Cause, key: &str, range: Option<Range<u64>>) -> StoreFuture<GetResult> {
        self.get_request(cause, key, range)
    }

    fn head(&self, cause: Cause, key: &str) -> StoreFuture<ObjectMeta> {
        if let Err(error) = validate_key(key) {
            return self.reject(StoreOp::Head, cause, key, error);
        }
        let owned_key = key.to_string();
        self.submit(StoreOp::Head, cause, key, 0, 0, move |state, _now| {
            (state.head(&owned_key), 0)
        })
    }

    fn list(
        &self,
        cause: Cause,
        prefix: &str,
        page_token: Option<String>,
        max_keys: usize,
    ) -> StoreFuture<ListPage> {
        if max_keys == 0 {
            let error = StoreError::InvalidRequest("max_keys must be at least 1".to_string());
            return self.reject(StoreOp::List, cause, prefix, error);
        }
        if prefix.len() > MAX_KEY_BYTES {
            let error = StoreError::InvalidRequest(format!(
                "prefix of {} bytes is over the {MAX_KEY_BYTES}-byte key limit",
                prefix.len()
            ));
            return self.reject(StoreOp::List, cause, prefix, error);
        }
        let max_keys = max_keys.min(MAX_LIST_PAGE);
        let owned_prefix = prefix.to_string();
        self.submit(StoreOp::List, cause, prefix, 0, 0, move |state, _now| {
            (
                Ok(state.list(&owned_prefix, page_token.as_deref(), max_keys)),
                0,
            )
        })
    }

    fn delete(&self, cause: Cause, key: &str) -> StoreFuture<()> {
        if let Err(error) = validate_key(key) {
            return self.reject(StoreOp::Delete, cause, key, error);
        }
        let owned_key = key.to_string();
        self.submit(StoreOp::Delete, cause, key, 0, 0, move |state, now| {
            state.delete(&owned_key, now);
            (Ok(()), 0)
        })
    }
}
