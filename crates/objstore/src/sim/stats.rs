//! The store's running aggregates (counts, bytes, latency histograms and cost per operation
//! and per cause) and the serde snapshot `StoreStats` the CLI and the UI read.
//!
//! Memory is fixed: one histogram per operation and per cause (5 + 9), each a bounded
//! `strata_sim::Histogram`; cost per prefix is bounded by `cost::MAX_TRACKED_PREFIXES`; the
//! full meter per prefix (tenant) by `MAX_METERED_PREFIXES`, later prefixes sharing one entry.

use super::cost::OVERFLOW_PREFIX;
use serde::{Deserialize, Serialize};
use strata_sim::maps::LiteMap;
use strata_sim::{Cause, FaultKind, Histogram, RequestOutcome, SimTime, StoreOp};

/// The most prefixes (tenants) metered one by one: requests, outcomes (throttling included),
/// bytes, cost and a latency histogram each. Later prefixes share `OVERFLOW_PREFIX`.
pub const MAX_METERED_PREFIXES: usize = 64;

/// Latency percentiles of a set of requests, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl LatencySummary {
    pub fn from_histogram(histogram: &Histogram) -> Self {
        let ms = |nanos: u64| nanos as f64 / 1_000_000.0;
        LatencySummary {
            count: histogram.count(),
            mean_ms: histogram.mean() / 1_000_000.0,
            p50_ms: ms(histogram.quantile(0.50)),
            p90_ms: ms(histogram.quantile(0.90)),
            p99_ms: ms(histogram.quantile(0.99)),
            p999_ms: ms(histogram.quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// Aggregates over one group of requests (one operation, or one cause).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestStats {
    pub requests: u64,
    /// Requests by how they ended, as the caller saw it.
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub by_outcome: LiteMap<RequestOutcome, u64>,
    /// Payload bytes sent (PUT) and received (GET).
    pub bytes: u64,
    pub cost_picousd: u64,
    /// Every request, whatever its outcome, from send to answer.
    pub latency: LatencySummary,
}

/// Running aggregates for one group, with its histogram.
#[derive(Clone, Debug, Default)]
pub struct GroupAggregate {
    pub requests: u64,
    pub by_outcome: LiteMap<RequestOutcome, u64>,
    pub bytes: u64,
    pub cost_picousd: u64,
    pub latency_nanos: Histogram,
}

impl GroupAggregate {
    fn add(&mut self, outcome: RequestOutcome, bytes: u64, cost_picousd: u64, latency_nanos: u64) {
        self.requests += 1;
        *self.by_outcome.entry(outcome).or_insert(0) += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.cost_picousd = self.cost_picousd.saturating_add(cost_picousd);
        self.latency_nanos.record(latency_nanos);
    }

    fn snapshot(&self) -> RequestStats {
        RequestStats {
            requests: self.requests,
            by_outcome: self.by_outcome.clone(),
            bytes: self.bytes,
            cost_picousd: self.cost_picousd,
            latency: LatencySummary::from_histogram(&self.latency_nanos),
        }
    }
}

/// The store's running request aggregates.
///
/// Per operation and per cause in arrays indexed by the enum (`None` until its first request)
/// rather than maps: each map type is its own copy of BTreeMap's code in the wasm bundle.
#[derive(Clone, Debug, Default)]
pub struct Aggregates {
    pub by_op: [Option<GroupAggregate>; StoreOp::ALL.len()],
    pub by_cause: [Option<GroupAggregate>; Cause::ALL.len()],
    /// By key prefix (tenant), at most `MAX_METERED_PREFIXES` + the overflow entry.
    pub by_prefix: LiteMap<String, GroupAggregate>,
    pub faults_injected: LiteMap<FaultKind, u64>,
    pub requests_applied_despite_error: u64,
}

impl Aggregates {
    #[allow(clippy::too_many_arguments)]
    pub fn record_request(
        &mut self,
        op: StoreOp,
        cause: Cause,
        prefix: &str,
        outcome: RequestOutcome,
        bytes: u64,
        cost_picousd: u64,
        latency_nanos: u64,
    ) {
        self.by_op[op as usize]
            .get_or_insert_with(GroupAggregate::default)
            .add(outcome, bytes, cost_picousd, latency_nanos);
        self.by_cause[cause as usize]
            .get_or_insert_with(GroupAggregate::default)
            .add(outcome, bytes, cost_picousd, latency_nanos);
        // A prefix already metered (nearly every request) is found by one search.
        match self.by_prefix.get_mut(prefix) {
            Some(group) => group.add(outcome, bytes, cost_picousd, latency_nanos),
            None => {
                let slot = if self.by_prefix.len() < MAX_METERED_PREFIXES {
                    prefix
                } else {
                    OVERFLOW_PREFIX
                };
                if !self.by_prefix.contains_key(slot) {
                    self.by_prefix
                        .insert(slot.to_string(), GroupAggregate::default());
                }
                self.by_prefix
                    .get_mut(slot)
                    .expect("the prefix's entry was just ensured")
                    .add(outcome, bytes, cost_picousd, latency_nanos);
            }
        }
        assert!(
            self.by_prefix.len() <= MAX_METERED_PREFIXES + 1,
            "the per-prefix meter is bounded"
        );
    }

    /// Asserts that the meters agree: every request is counted once by operation, once by
    /// cause and once by prefix, with the same total cost each way, and each group's
    /// outcomes add up to its requests. Returns the number of requests metered.
    pub fn check(&self) -> u64 {
        // One non-generic step called by loops, not a `fold` over each group's iterator type,
        // whose instances the page had for this check alone.
        fn add(totals: &mut (u64, u128), group: &GroupAggregate) {
            let outcomes: u64 = group.by_outcome.values().sum();
            assert_eq!(
                outcomes, group.requests,
                "invariant: a meter's outcomes add up to its requests"
            );
            totals.0 += group.requests;
            totals.1 += u128::from(group.cost_picousd);
        }
        let (mut by_op, mut by_cause, mut by_prefix) = ((0, 0), (0, 0), (0, 0));
        for group in self.by_op.iter().flatten() {
            add(&mut by_op, group);
        }
        for group in self.by_cause.iter().flatten() {
            add(&mut by_cause, group);
        }
        for group in self.by_prefix.values() {
            add(&mut by_prefix, group);
        }
        assert!(
            by_op == by_cause && by_op == by_prefix,
            "invariant: the meters by operation, cause and prefix agree (requests, cost: {by_op:?}, {by_cause:?}, {by_prefix:?})"
        );
        by_op.0
    }

    /// Total request cost metered, in picodollars.
    pub fn cost_picousd(&self) -> u128 {
        // A loop, not `flatten`, `map` and `sum`, whose instances the page had for this alone.
        let mut cost = 0u128;
        for group in self.by_op.iter().flatten() {
            cost += u128::from(group.cost_picousd);
        }
        cost
    }

    pub fn record_fault(&mut self, kind: FaultKind) {
        *self.faults_injected.entry(kind).or_insert(0) += 1;
    }

    // The snapshots are filled by loops, not built by `lite_map` from `filter_map` and `map`
    // chains: each chain was an instance of its own in the page. Their entries come in key
    // order (`StoreOp::ALL` and `Cause::ALL` are in the enums' order, which a test checks;
    // the prefixes are a map's keys), so each is pushed onto a list that becomes the map as
    // it is, with no `insert` of these key/value types in the page (`in_key_order` asserts the
    // order in debug builds, which every test and simulation runs).
    pub fn snapshot_by_op(&self) -> LiteMap<StoreOp, RequestStats> {
        let mut snapshot = Vec::new();
        for op in StoreOp::ALL {
            if let Some(group) = &self.by_op[op as usize] {
                snapshot.push((op, group.snapshot()));
            }
        }
        in_key_order(snapshot)
    }

    pub fn snapshot_by_prefix(&self) -> LiteMap<String, RequestStats> {
        let mut snapshot = Vec::with_capacity(self.by_prefix.len());
        for (prefix, group) in self.by_prefix.iter() {
            snapshot.push((prefix.clone(), group.snapshot()));
        }
        in_key_order(snapshot)
    }

    pub fn snapshot_by_cause(&self) -> LiteMap<Cause, RequestStats> {
        let mut snapshot = Vec::new();
        for cause in Cause::ALL {
            if let Some(group) = &self.by_cause[cause as usize] {
                snapshot.push((cause, group.snapshot()));
            }
        }
        in_key_order(snapshot)
    }
}

/// Money, in picodollars.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostStats {
    /// Every billed request so far.
    pub request_picousd: u64,
    /// Storage accrued so far (bytes held × time × price).
    pub storage_picousd: u64,
    pub total_picousd: u64,
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub by_cause: LiteMap<Cause, u64>,
    /// By key prefix (tenant); see `SimStoreConfig::prefix_segments`.
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub by_prefix: LiteMap<String, u64>,
    /// Request cost per month at the rate of the trailing `window_secs`.
    pub projected_request_picousd_per_month: u64,
    /// Storage cost per month of what is stored now.
    pub projected_storage_picousd_per_month: u64,
    pub projected_total_picousd_per_month: u64,
    /// The trailing window the request-rate projection uses.
    pub window_secs: u64,
}

/// A snapshot of everything the store knows about its run so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoreStats {
    /// When the snapshot was taken (simulated).
    pub at: SimTime,
    /// The config's name ("s3_standard", …).
    pub preset: String,
    pub objects: u64,
    pub bytes_stored: u64,
    pub requests: u64,
    /// Requests sent but not yet answered.
    pub in_flight: u64,
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub by_op: LiteMap<StoreOp, RequestStats>,
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub by_cause: LiteMap<Cause, RequestStats>,
    /// By key prefix (tenant; see `SimStoreConfig::prefix_segments`): requests, outcomes
    /// (`throttled` among them), bytes, cost and latency, one tenant beside another.
    #[serde(default, serialize_with = "strata_sim::maps::serialize_map")]
    pub by_prefix: LiteMap<String, RequestStats>,
    pub cost: CostStats,
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub faults_injected: LiteMap<FaultKind, u64>,
    /// Failed as seen by the caller, applied by the store (lost acks, late timeouts).
    pub requests_applied_despite_error: u64,
}

impl StoreStats {
    /// Requests that ended with `outcome`, over every operation.
    pub fn outcome_count(&self, outcome: RequestOutcome) -> u64 {
        self.by_op
            .values()
            .map(|stats| stats.by_outcome.get(&outcome).copied().unwrap_or(0))
            .sum()
    }
}

/// A list of entries already in strictly increasing key order, taken as the map it is.
fn in_key_order<K: Ord, V>(entries: Vec<(K, V)>) -> LiteMap<K, V> {
    debug_assert!(
        entries.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "a snapshot's entries must come in strictly increasing key order"
    );
    LiteMap::from_sorted_store_unchecked(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn snapshots_are_the_maps_of_their_entries_in_key_order() {
        // The snapshots are lists taken as maps without a sort, so their keys must come in
        // ascending order: the enums' `ALL` in the enums' order, the prefixes a map's keys.
        assert!(StoreOp::ALL.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(Cause::ALL.windows(2).all(|pair| pair[0] < pair[1]));
        let mut aggregates = Aggregates::default();
        for (op, cause, prefix) in [
            (StoreOp::Delete, Cause::Other, "z"),
            (StoreOp::Get, Cause::Read, "b"),
            (StoreOp::Put, Cause::Wal, "a"),
            (StoreOp::Get, Cause::Gc, "b"),
        ] {
            aggregates.record_request(op, cause, prefix, RequestOutcome::Ok, 1, 2, 3);
        }
        let by_op: Vec<StoreOp> = aggregates.snapshot_by_op().keys().copied().collect();
        assert_eq!(by_op, [StoreOp::Get, StoreOp::Put, StoreOp::Delete]);
        let by_cause: Vec<Cause> = aggregates.snapshot_by_cause().keys().copied().collect();
        assert_eq!(by_cause, [Cause::Wal, Cause::Gc, Cause::Read, Cause::Other]);
        let by_prefix = aggregates.snapshot_by_prefix();
        let prefixes: Vec<&str> = by_prefix.keys().map(String::as_str).collect();
        assert_eq!(prefixes, ["a", "b", "z"]);
        assert_eq!(by_prefix.get("b").map(|stats| stats.requests), Some(2));
    }

    #[test]
    #[should_panic(expected = "invariant: the meters by operation, cause and prefix agree")]
    fn a_request_metered_by_operation_only_fires() {
        let mut aggregates = Aggregates::default();
        aggregates.record_request(StoreOp::Put, Cause::Wal, "a", RequestOutcome::Ok, 1, 2, 3);
        assert_eq!(aggregates.check(), 1);
        aggregates.by_op[StoreOp::Get as usize]
            .get_or_insert_with(GroupAggregate::default)
            .add(RequestOutcome::Ok, 1, 2, 3);
        aggregates.check();
    }

    #[test]
    #[should_panic(expected = "invariant: a meter's outcomes add up to its requests")]
    fn a_request_without_an_outcome_fires() {
        let mut aggregates = Aggregates::default();
        aggregates.record_request(StoreOp::Put, Cause::Wal, "a", RequestOutcome::Ok, 1, 2, 3);
        if let Some(group) = aggregates.by_prefix.get_mut("a") {
            group.requests += 1;
        }
        aggregates.check();
    }
}
