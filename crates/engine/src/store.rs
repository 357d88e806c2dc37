//! The engine's view of the object store: the port plus retries of transient errors
//! (exponential backoff with full jitter from a seeded stream, capped attempts and a
//! deadline), optional hedged GETs for reads, LIST over every page, conditional creates that
//! resolve ambiguous failures by reading back instead of retrying blindly, and meters of
//! every request the engine sends, by cause.
//!
//! Every call names its `Cause`. Meters count each attempt the engine sends (retries and
//! hedges included), because the store bills each one.

use crate::options::{HedgeOptions, HEDGE_WINDOW};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::ops::Range;
use std::rc::Rc;
use strata_objstore::sim::cost::request_cost_picousd;
use strata_objstore::sim::Pricing;
use strata_objstore::{GetResult, ObjectMeta, ObjectStore, PutMode, StoreError};
use strata_sim::maps::LiteMap;
use strata_sim::sync::{race, Either};
use strata_sim::{Cause, EventKind, RuntimeRef, SimDuration, SimRng, SimTime, StoreOp};

/// The most LIST pages one listing follows (a million objects at 1000 a page); a listing
/// longer than this is reported as an error rather than looping forever.
pub const MAX_LIST_PAGES: usize = 1000;

/// How a create-if-absent PUT ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    /// Our bytes are now the object (possibly from an earlier attempt that timed out).
    Created,
    /// Another writer's bytes are there.
    Exists,
}

/// Requests the engine sent for one cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CauseMeter {
    pub gets: u64,
    pub puts: u64,
    pub lists: u64,
    pub deletes: u64,
    pub bytes_put: u64,
    pub bytes_got: u64,
    /// Attempts that were retries of a failed attempt.
    pub retries: u64,
    /// Second GETs sent by hedging.
    pub hedges: u64,
    /// What these requests cost at the configured prices, in picodollars.
    pub cost_picousd: u64,
}

impl CauseMeter {
    pub fn requests(&self) -> u64 {
        self.gets + self.puts + self.lists + self.deletes
    }
}

/// Every request the engine sent, by cause (bounded: one entry per `Cause`; a sorted vector,
/// which for a handful of keys is as fast as a B-tree and far less code in the wasm).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreMeters {
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub by_cause: LiteMap<Cause, CauseMeter>,
}

impl StoreMeters {
    pub fn cause(&self, cause: Cause) -> CauseMeter {
        self.by_cause.get(&cause).copied().unwrap_or_default()
    }

    pub fn total(&self) -> CauseMeter {
        let mut total = CauseMeter::default();
        for meter in self.by_cause.values() {
            total.gets += meter.gets;
            total.puts += meter.puts;
            total.lists += meter.lists;
            total.deletes += meter.deletes;
            total.bytes_put += meter.bytes_put;
            total.bytes_got += meter.bytes_got;
            total.retries += meter.retries;
            total.hedges += meter.hedges;
            total.cost_picousd += meter.cost_picousd;
        }
        total
    }
}

/// Retry and hedge settings of a [`Store`].
#[derive(Clone, Debug, PartialEq)]
pub struct StorePolicy {
    pub max_attempts: u32,
    pub base_delay: SimDuration,
    pub max_delay: SimDuration,
    pub deadline: SimDuration,
    pub hedge: HedgeOptions,
    pub pricing: Pricing,
}

impl StorePolicy {
    /// Fixed attempts and backoff, no hedging, S3 Standard prices.
    pub fn new(max_attempts: u32, base_delay: SimDuration) -> Self {
        StorePolicy {
            max_attempts,
            base_delay,
            max_delay: base_delay.saturating_mul(64),
            deadline: SimDuration::from_secs(10),
            hedge: HedgeOptions::Off,
            pricing: Pricing::s3_standard(),
        }
    }
}

struct Shared {
    meters: StoreMeters,
    /// Recent read-GET latencies in nanoseconds, newest last; at most `HEDGE_WINDOW`.
    recent_get_nanos: VecDeque<u64>,
    jitter: SimRng,
}

/// The port with retries, hedging and meters. Clones share meters and the jitter stream.
#[derive(Clone)]
pub struct Store {
    port: Rc<dyn ObjectStore>,
    runtime: RuntimeRef,
    policy: Rc<StorePolicy>,
    shared: Rc<RefCell<Shared>>,
}

/// The backoff before retry `attempt` (1-based): uniform in `[0, min(max, base × 2^(n−1))]`.
pub fn backoff_delay(
    rng: &mut SimRng,
    base: SimDuration,
    max: SimDuration,
    attempt: u32,
) -> SimDuration {
    let exponent = attempt.saturating_sub(1).min(62);
    let ceiling = base.saturating_mul(1u64 << exponent).min(max);
    SimDuration::from_nanos(rng.below(ceiling.as_nanos().saturating_add(1)))
}

/// The `percentile` (0..100) of `samples`, by nearest rank.
fn percentile_nanos(samples: &VecDeque<u64>, percentile: f64) -> Option<u64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted: Vec<u64> = samples.iter().copied().collect();
    sorted.sort_unstable();
    let rank = ((percentile / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

impl Store {
    pub fn new(port: Rc<dyn ObjectStore>, runtime: RuntimeRef, policy: StorePolicy) -> Self {
        let jitter = runtime.rng("engine.retry_jitter");
        Store {
            port,
            runtime,
            policy: Rc::new(StorePolicy {
                max_attempts: policy.max_attempts.max(1),
                ..policy
            }),
            shared: Rc::new(RefCell::new(Shared {
                meters: StoreMeters::default(),
                recent_get_nanos: VecDeque::with_capacity(HEDGE_WINDOW),
                jitter,
            })),
        }
    }

    pub fn port(&self) -> &Rc<dyn ObjectStore> {
        &self.port
    }

    /// A copy of the meters so far.
    pub fn meters(&self) -> StoreMeters {
        self.shared.borrow().meters.clone()
    }

    fn meter(&self, cause: Cause, op: StoreOp, bytes: u64, retry: bool) {
        let cost = request_cost_picousd(&self.policy.pricing, op, bytes);
        let mut shared = self.shared.borrow_mut();
        let meter = shared.meters.by_cause.entry(cause).or_default();
        match op {
            StoreOp::Get | StoreOp::Head => meter.gets += 1,
            StoreOp::Put => {
                meter.puts += 1;
                meter.bytes_put += bytes;
            }
            StoreOp::List => meter.lists += 1,
            StoreOp::Delete => meter.deletes += 1,
        }
        if retry {
            meter.retries += 1;
        }
        meter.cost_picousd = meter.cost_picousd.saturating_add(cost);
    }

    fn meter_got(&self, cause: Cause, bytes: u64) {
        let extra = request_cost_picousd(&self.policy.pricing, StoreOp::Get, bytes)
            - request_cost_picousd(&self.policy.pricing, StoreOp::Get, 0);
        let mut shared = self.shared.borrow_mut();
        let meter = shared.meters.by_cause.entry(cause).or_default();
        meter.bytes_got += bytes;
        meter.cost_picousd = meter.cost_picousd.saturating_add(extra);
    }

    /// Waits before retry `attempt`, or returns false when the deadline would pass.
    async fn pause_before_retry(&self, cause: Cause, attempt: u32, started: SimTime) -> bool {
        let delay = {
            let mut shared = self.shared.borrow_mut();
            backoff_delay(
                &mut shared.jitter,
                self.policy.base_delay,
                self.policy.max_delay,
                attempt,
            )
        };
        let resume = self.runtime.now().saturating_add(delay);
        if resume.saturating_since(started) > self.policy.deadline {
            return false;
        }
        self.runtime.record(EventKind::Retried { cause, attempt });
        self.runtime.sleep(delay).await;
        true
    }

    /// Whether to retry after `error` on `attempt`; sleeps the backoff if so.
    async fn should_retry(
        &self,
        cause: Cause,
        error: &StoreError,
        attempt: u32,
        started: SimTime,
    ) -> bool {
        error.is_transient()
            && attempt < self.policy.max_attempts
            && self.pause_before_retry(cause, attempt, started).await
    }

    /// The delay after which a read GET is hedged, if hedging applies now.
    fn hedge_delay(&self, cause: Cause) -> Option<SimDuration> {
        if cause != Cause::Read {
            return None;
        }
        match self.policy.hedge {
            HedgeOptions::Off => None,
            HedgeOptions::Delay { delay } => Some(delay),
            HedgeOptions::Percentile {
                percentile,
                min_samples,
            } => {
                let shared = self.shared.borrow();
                if shared.recent_get_nanos.len() < min_samples {
                    return None;
                }
                percentile_nanos(&shared.recent_get_nanos, percentile).map(SimDuration::from_nanos)
            }
        }
    }

    fn remember_latency(&self, cause: Cause, started: SimTime) {
        if cause != Cause::Read {
            return;
        }
        let nanos = self.runtime.now().saturating_since(started).as_nanos();
        let mut shared = self.shared.borrow_mut();
        if shared.recent_get_nanos.len() == HEDGE_WINDOW {
            shared.recent_get_nanos.pop_front();
        }
        shared.recent_get_nanos.push_back(nanos);
    }

    /// One GET attempt, hedged when configured: if no answer comes within the hedge delay a
    /// second GET is sent and the first answer wins. The loser keeps running in the store
    /// and is billed, which is the real price of hedging.
    async fn get_attempt(
        &self,
        cause: Cause,
        key: &str,
        range: Option<Range<u64>>,
        retry: bool,
    ) -> Result<GetResult, StoreError> {
        let started = self.runtime.now();
        self.meter(cause, StoreOp::Get, 0, retry);
        let mut first = self.port.get(cause, key, range.clone());
        let result = match self.hedge_delay(cause) {
            None => first.await,
            Some(delay) => match race(&mut first, self.runtime.sleep(delay)).await {
                Either::Left(result) => result,
                Either::Right(()) => {
                    self.runtime.record(EventKind::Hedged {
                        key: key.to_string(),
                    });
                    self.meter(cause, StoreOp::Get, 0, false);
                    self.shared
                        .borrow_mut()
                        .meters
                        .by_cause
                        .entry(cause)
                        .or_default()
                        .hedges += 1;
                    let second = self.port.get(cause, key, range);
                    match race(first, second).await {
                        Either::Left(result) | Either::Right(result) => result,
                    }
                }
            },
        };
        if let Ok(found) = &result {
            self.meter_got(cause, found.bytes.len() as u64);
            self.remember_latency(cause, started);
        }
        result
    }

    /// GET with retries of transient errors.
    pub async fn get(
        &self,
        cause: Cause,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<GetResult, StoreError> {
        let started = self.runtime.now();
        let mut attempt = 1;
        loop {
            match self
                .get_attempt(cause, key, range.clone(), attempt > 1)
                .await
            {
                Err(error) if self.should_retry(cause, &error, attempt, started).await => {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// GET that maps `NotFound` to `None`.
    pub async fn get_opt(&self, cause: Cause, key: &str) -> Result<Option<Bytes>, StoreError> {
        match self.get(cause, key, None).await {
            Ok(result) => Ok(Some(result.bytes)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every object under `prefix`, in key order.
    pub async fn list_all(
        &self,
        cause: Cause,
        prefix: &str,
    ) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut objects = Vec::new();
        let mut token = None;
        for _ in 0..MAX_LIST_PAGES {
            let started = self.runtime.now();
            let mut attempt = 1;
            let page = loop {
                self.meter(cause, StoreOp::List, 0, attempt > 1);
                match self
                    .port
                    .list(cause, prefix, token.clone(), strata_objstore::MAX_LIST_PAGE)
                    .await
                {
                    Err(error) if self.should_retry(cause, &error, attempt, started).await => {
                        attempt += 1;
                    }
                    result => break result?,
                }
            };
            objects.extend(page.objects);
            match page.next_page_token {
                Some(next) => token = Some(next),
                None => return Ok(objects),
            }
        }
        Err(StoreError::InvalidRequest(format!(
            "listing {prefix} exceeded {MAX_LIST_PAGES} pages"
        )))
    }

    /// DELETE with retries (deleting is idempotent, so a blind retry is safe).
    pub async fn delete(&self, cause: Cause, key: &str) -> Result<(), StoreError> {
        let started = self.runtime.now();
        let mut attempt = 1;
        loop {
            self.meter(cause, StoreOp::Delete, 0, attempt > 1);
            match self.port.delete(cause, key).await {
                Err(error) if self.should_retry(cause, &error, attempt, started).await => {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// Create-if-absent. A transient failure may or may not have created the object, so it
    /// is never retried blindly: the object is read back first, and if it holds our bytes
    /// the create succeeded; if it holds other bytes, someone else created it.
    ///
    /// Not an `async fn`: it hands back the one state machine of both creates, so a caller's
    /// holds no layer of state of this function's around it.
    pub fn create<'a>(
        &'a self,
        cause: Cause,
        key: &'a str,
        data: Bytes,
    ) -> impl Future<Output = Result<CreateOutcome, StoreError>> + 'a {
        self.create_if_absent(cause, key, data, false)
    }

    /// Create-if-absent that claims the object only when this very PUT reports it created.
    /// `create` reads an existing object back and calls it ours when it holds our bytes; that
    /// is wrong when two callers can write identical bytes (two writers taking over from the
    /// same manifest write the same next manifest, byte for byte, and both would win). Here
    /// an existing object, even one our own earlier attempt may have written, is `Exists`: the
    /// caller must be able to re-read and try again under a new name.
    pub fn create_exclusive<'a>(
        &'a self,
        cause: Cause,
        key: &'a str,
        data: Bytes,
    ) -> impl Future<Output = Result<CreateOutcome, StoreError>> + 'a {
        self.create_if_absent(cause, key, data, true)
    }

    /// Both creates, one state machine (two cost a second copy of the retry loop in the
    /// playground's wasm). `exclusive` skips every read-back: an existing object is `Exists`,
    /// and a transient failure is retried as is (a retry that then finds the object reports
    /// `Exists`, which the caller handles by re-reading).
    async fn create_if_absent(
        &self,
        cause: Cause,
        key: &str,
        data: Bytes,
        exclusive: bool,
    ) -> Result<CreateOutcome, StoreError> {
        let started = self.runtime.now();
        let mut attempt = 1;
        loop {
            assert!(
                attempt <= self.policy.max_attempts,
                "invariant: a create sends at most the policy's attempts"
            );
            self.meter(cause, StoreOp::Put, data.len() as u64, attempt > 1);
            let error = match self
                .port
                .put(cause, key, data.clone(), PutMode::CreateIfAbsent)
                .await
            {
                Ok(_) => return Ok(CreateOutcome::Created),
                Err(StoreError::AlreadyExists { .. }) if exclusive => {
                    return Ok(CreateOutcome::Exists)
                }
                // Possibly our own earlier attempt (from this call or a failed earlier call
                // with the same bytes): compare, below.
                Err(error @ StoreError::AlreadyExists { .. }) => error,
                Err(error) if error.is_transient() => error,
                Err(error) => return Err(error),
            };
            // Taken, or ambiguous: resolve by reading back (not for an exclusive create, which
            // claims only what its own PUT reports). One read-back for both: two were two
            // copies of the GET's state in this state machine.
            if !exclusive {
                let taken = matches!(error, StoreError::AlreadyExists { .. });
                match self.get_opt(cause, key).await? {
                    Some(existing) => {
                        return Ok(if existing == data {
                            CreateOutcome::Created
                        } else {
                            CreateOutcome::Exists
                        });
                    }
                    // Created and deleted since: treat as taken, the caller re-reads.
                    None if taken => return Ok(CreateOutcome::Exists),
                    // Not created: try again.
                    None => {}
                }
            }
            if !self.should_retry(cause, &error, attempt, started).await {
                return Err(error);
            }
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn backoff_is_full_jitter_under_an_exponential_cap() {
        let mut rng = SimRng::seed_from_u64(7);
        let base = SimDuration::from_millis(10);
        let max = SimDuration::from_millis(100);
        let mut largest = [SimDuration::ZERO; 6];
        for _ in 0..2_000 {
            for attempt in 1..=6u32 {
                let delay = backoff_delay(&mut rng, base, max, attempt);
                let cap = base.saturating_mul(1 << (attempt - 1)).min(max);
                assert!(delay <= cap, "attempt {attempt}: {delay} over {cap}");
                let slot = &mut largest[attempt as usize - 1];
                *slot = (*slot).max(delay);
            }
        }
        // Jitter spans the whole range: the largest draws come close to each cap.
        assert!(largest[0] > SimDuration::from_millis(9));
        assert!(largest[3] > SimDuration::from_millis(75));
        assert!(largest[5] > SimDuration::from_millis(95));
        assert!(largest[5] <= max);
    }

    #[test]
    fn percentile_by_nearest_rank() {
        let samples: VecDeque<u64> = (1..=100).collect();
        assert_eq!(percentile_nanos(&samples, 50.0), Some(50));
        assert_eq!(percentile_nanos(&samples, 99.0), Some(99));
        assert_eq!(percentile_nanos(&samples, 0.1), Some(1));
        assert_eq!(percentile_nanos(&VecDeque::new(), 50.0), None);
    }
}
