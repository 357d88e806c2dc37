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
//! - `request`: the request path (plan at send, apply, answer, meter).
//! - `state`: the objects and counts, and the invariants that hold between requests.

pub mod config;
pub mod cost;
pub mod faults;
pub mod latency;
pub mod stats;
pub mod throttle;

mod request;
mod state;

pub use config::{
    ConfigError, LatencyConfig, LatencyDist, Pricing, SimStoreConfig, ThrottleConfig,
    DEFAULT_MAX_OBJECT_BYTES,
};
pub use faults::{
    FaultAction, FaultError, FaultId, FaultSpec, FaultWindow, MAX_FAULT_SPECS, MAX_SLOW_MULTIPLIER,
};
pub use stats::{CostStats, LatencySummary, RequestStats, StoreStats};

use crate::port::{
    validate_key, GetResult, ListPage, ObjectMeta, ObjectStore, PutMode, PutResult, StoreError,
    StoreFuture, MAX_KEY_BYTES, MAX_LIST_PAGE,
};
use bytes::Bytes;
use cost::{storage_picousd_per_month, CostLedger};
use faults::FaultSchedule;
use latency::LatencyModel;
use serde::{Deserialize, Serialize};
use state::State;
use stats::Aggregates;
use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;
use strata_sim::{Cause, EventKind, FaultKind, Histogram, SimHandle, StoreOp};

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

/// Which bit a `flip_bit` call flipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitFlip {
    pub key: String,
    /// 0 is the least significant bit of the object's first byte.
    pub bit: u64,
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
            objects: strata_sim::maps::LiteMap::new(),
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
                    // By a loop over the objects by index (`get_indexed`, which the list page
                    // uses too), not `filter`, `map` and `collect`, whose instances the page
                    // had for this list alone; the same keys in the same order.
                    let mut candidates: Vec<&String> = Vec::new();
                    let mut at = 0;
                    while let Some((key, object)) = state.objects.get_indexed(at) {
                        if !object.data.is_empty() {
                            candidates.push(key);
                        }
                        at += 1;
                    }
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
        let state = self.inner.state.borrow();
        // A loop, not `cloned` and `collect`, whose instances the page had for this alone.
        let mut keys = Vec::with_capacity(state.objects.len());
        for key in state.objects.keys() {
            keys.push(key.clone());
        }
        keys
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
        state.check();
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
        // Copied by a loop, not `clone`d: that was the page's only clone of a
        // `Vec<(String, u64)>`, and the map's `insert` is there anyway.
        let mut cost_by_prefix =
            strata_sim::maps::LiteMap::with_capacity(state.ledger.by_prefix.len());
        for (prefix, cost) in state.ledger.by_prefix.iter() {
            cost_by_prefix.insert(prefix.clone(), *cost);
        }
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
                by_prefix: cost_by_prefix,
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
        self.submit(
            StoreOp::Put,
            cause,
            key,
            size,
            size,
            move |state, key, now| (state.put(key.to_string(), data, mode, now), 0),
        )
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
        self.submit(
            StoreOp::Get,
            cause,
            key,
            0,
            expected_bytes,
            move |state, key, _now| {
                let result = state.get(key, range);
                let bytes = result.as_ref().map_or(0, |got| got.bytes.len() as u64);
                (result, bytes)
            },
        )
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
        self.submit(StoreOp::Head, cause, key, 0, 0, move |state, key, _now| {
            (state.head(key), 0)
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
        self.submit(
            StoreOp::List,
            cause,
            prefix,
            0,
            0,
            move |state, prefix, _now| (Ok(state.list(prefix, page_token.as_deref(), max_keys)), 0),
        )
    }

    fn delete(&self, cause: Cause, key: &str) -> StoreFuture<()> {
        if let Err(error) = validate_key(key) {
            return self.reject(StoreOp::Delete, cause, key, error);
        }
        self.submit(StoreOp::Delete, cause, key, 0, 0, move |state, key, now| {
            state.delete(key, now);
            (Ok(()), 0)
        })
    }
}
