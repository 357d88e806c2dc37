//! The cost model: what one request costs, how storage accrues, totals by cause and by prefix,
//! and the $/month projection from the trailing request rate.
//!
//! All money is integer picodollars (1e-12 USD), so totals are exact and do not depend on the
//! order requests finish in. Which requests are billed follows S3: 2xx and 4xx answers are
//! billed, 5xx answers (throttling, server errors, outages) are not, and a request the store
//! never answered (a timeout) is billed only if the store processed it.

use super::config::Pricing;
use std::collections::VecDeque;
use strata_sim::maps::LiteMap;
use strata_sim::{Cause, SimDuration, SimTime, StoreOp};

const BYTES_PER_GIB: u128 = 1 << 30;

/// AWS prices storage per month of 730 hours (its monthly-estimate convention).
pub const SECONDS_PER_MONTH: u64 = 730 * 3600;
const NANOS_PER_MONTH: u128 = SECONDS_PER_MONTH as u128 * 1_000_000_000;

/// The most distinct prefixes tracked for cost; later ones are totalled under
/// `OVERFLOW_PREFIX`, so a workload with random keys cannot grow the map without bound.
pub const MAX_TRACKED_PREFIXES: usize = 1024;
/// Where prefixes beyond `MAX_TRACKED_PREFIXES` are totalled.
pub const OVERFLOW_PREFIX: &str = "(other)";

/// The prefix (tenant) of a key: its first `segments` `/`-separated segments. A key with
/// fewer separators is its own prefix.
pub fn key_prefix(key: &str, segments: u32) -> &str {
    let mut seen = 0;
    for (index, byte) in key.bytes().enumerate() {
        if byte == b'/' {
            seen += 1;
            if seen == segments {
                return &key[..index];
            }
        }
    }
    key
}

/// The price of one request of `op` carrying `bytes` of payload (sent or received).
pub fn request_cost_picousd(pricing: &Pricing, op: StoreOp, bytes: u64) -> u64 {
    let per_gib_over_free = |rate_per_gib: u64| -> u64 {
        let billable = u128::from(bytes.saturating_sub(pricing.transfer_free_bytes));
        let cost = billable * u128::from(rate_per_gib) / BYTES_PER_GIB;
        u64::try_from(cost).unwrap_or(u64::MAX)
    };
    match op {
        StoreOp::Put => pricing
            .put_list_request_picousd
            .saturating_add(per_gib_over_free(pricing.upload_picousd_per_gib)),
        StoreOp::List => pricing.put_list_request_picousd,
        StoreOp::Get => pricing
            .get_head_request_picousd
            .saturating_add(per_gib_over_free(pricing.retrieval_picousd_per_gib)),
        StoreOp::Head => pricing.get_head_request_picousd,
        StoreOp::Delete => pricing.delete_request_picousd,
    }
}

/// Storage cost of `bytes` kept for `duration`.
pub fn storage_cost_picousd(pricing: &Pricing, bytes: u64, duration: SimDuration) -> u64 {
    let byte_nanos = u128::from(bytes) * u128::from(duration.as_nanos());
    let cost = byte_nanos * u128::from(pricing.storage_picousd_per_gib_month)
        / (BYTES_PER_GIB * NANOS_PER_MONTH);
    u64::try_from(cost).unwrap_or(u64::MAX)
}

/// Running cost totals for one store.
#[derive(Clone, Debug, Default)]
pub struct CostLedger {
    pub request_picousd_total: u64,
    pub by_cause: LiteMap<Cause, u64>,
    pub by_prefix: LiteMap<String, u64>,
    /// Storage accrued up to `accrued_until`, in picodollar-fractions kept exact as
    /// byte-nanoseconds × price; converted on read.
    storage_byte_nanos_priced: u128,
    accrued_until: SimTime,
    /// Request cost per whole simulated second, for the trailing-rate projection. Holds at
    /// most one entry per second of `cost_window` (bounded by the window, at most 3,600).
    window: VecDeque<(u64, u64)>,
}

impl CostLedger {
    /// Adds one billed request. `window` is the projection window, so that the per-second
    /// history never holds more than the window's seconds (plus the current one).
    pub fn charge(
        &mut self,
        at: SimTime,
        cause: Cause,
        prefix: &str,
        cost_picousd: u64,
        window: SimDuration,
    ) {
        if cost_picousd == 0 {
            return;
        }
        self.request_picousd_total = self.request_picousd_total.saturating_add(cost_picousd);
        *self.by_cause.entry(cause).or_insert(0) += cost_picousd;
        // Keys are strings, so a lookup needs no allocation when the prefix is known, and a
        // prefix already tracked (nearly every request) is found by one search.
        match self.by_prefix.get_mut(prefix) {
            Some(total) => *total = total.saturating_add(cost_picousd),
            None => {
                let slot = if self.by_prefix.len() < MAX_TRACKED_PREFIXES {
                    prefix
                } else {
                    OVERFLOW_PREFIX
                };
                match self.by_prefix.get_mut(slot) {
                    Some(total) => *total = total.saturating_add(cost_picousd),
                    None => {
                        self.by_prefix.insert(slot.to_string(), cost_picousd);
                    }
                }
            }
        }
        let second = at.as_nanos() / 1_000_000_000;
        assert!(
            self.window.back().is_none_or(|(last, _)| *last <= second),
            "invariant: requests are charged in time order (second {second} after {:?})",
            self.window.back().map(|(last, _)| *last)
        );
        match self.window.back_mut() {
            Some((last, total)) if *last == second => *total += cost_picousd,
            _ => {
                self.window.push_back((second, cost_picousd));
                self.trim_window(at, window);
            }
        }
    }

    /// Asserts that the request totals agree: the total is the sum by cause and the sum by
    /// prefix (unless it saturated), and the per-prefix totals are bounded.
    pub fn check(&self) {
        assert!(
            self.by_prefix.len() <= MAX_TRACKED_PREFIXES + 1,
            "invariant: the per-prefix cost totals are bounded"
        );
        if self.request_picousd_total == u64::MAX {
            return;
        }
        let total = u128::from(self.request_picousd_total);
        // Loops, not `map` and `sum`, whose instances the page had for these sums alone.
        let (mut by_cause, mut by_prefix) = (0u128, 0u128);
        for cost in self.by_cause.values() {
            by_cause += u128::from(*cost);
        }
        for cost in self.by_prefix.values() {
            by_prefix += u128::from(*cost);
        }
        assert!(
            by_cause == total && by_prefix == total,
            "invariant: the request cost total ({total}) is the sum by cause ({by_cause}) and by prefix ({by_prefix})"
        );
    }

    /// Accrues storage of `bytes_stored` (the amount held since the last call) up to `now`.
    /// Call before every change to the stored bytes.
    pub fn accrue_storage(&mut self, now: SimTime, bytes_stored: u64, pricing: &Pricing) {
        let elapsed = now.saturating_since(self.accrued_until);
        self.storage_byte_nanos_priced += u128::from(bytes_stored)
            * u128::from(elapsed.as_nanos())
            * u128::from(pricing.storage_picousd_per_gib_month);
        if now > self.accrued_until {
            self.accrued_until = now;
        }
    }

    /// Storage cost accrued so far (through the last `accrue_storage`).
    pub fn storage_picousd(&self) -> u64 {
        u64::try_from(self.storage_byte_nanos_priced / (BYTES_PER_GIB * NANOS_PER_MONTH))
            .unwrap_or(u64::MAX)
    }

    /// Drops window entries older than `window` before `now`.
    fn trim_window(&mut self, now: SimTime, window: SimDuration) {
        let window_secs = window.as_nanos().div_ceil(1_000_000_000).max(1);
        let now_second = now.as_nanos() / 1_000_000_000;
        while let Some((second, _)) = self.window.front() {
            if *second + window_secs < now_second {
                self.window.pop_front();
            } else {
                break;
            }
        }
    }

    /// The request cost per month at the rate of the trailing `window` (or of the run so
    /// far, if it is shorter than the window).
    pub fn projected_request_picousd_per_month(
        &mut self,
        now: SimTime,
        window: SimDuration,
    ) -> u64 {
        self.trim_window(now, window);
        let in_window: u128 = self.window.iter().map(|(_, cost)| u128::from(*cost)).sum();
        // The retained seconds are the `window` whole seconds before the current one plus
        // the current partial second, so the span they cover is the window plus that part.
        let partial_second_nanos = now.as_nanos() % 1_000_000_000;
        let span_nanos = u128::from(
            now.as_nanos()
                .min(window.as_nanos().saturating_add(partial_second_nanos))
                .max(1_000_000_000),
        );
        u64::try_from(in_window * NANOS_PER_MONTH / span_nanos).unwrap_or(u64::MAX)
    }
}

/// Storage cost per month of `bytes_stored` at the store's prices.
pub fn storage_picousd_per_month(pricing: &Pricing, bytes_stored: u64) -> u64 {
    let cost = u128::from(bytes_stored) * u128::from(pricing.storage_picousd_per_gib_month)
        / BYTES_PER_GIB;
    u64::try_from(cost).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const MINUTE: SimDuration = SimDuration::from_secs(60);

    #[test]
    #[should_panic(
        expected = "invariant: the request cost total (3) is the sum by cause (3) and by prefix (4)"
    )]
    fn a_prefix_total_off_the_sum_fires() {
        let mut ledger = CostLedger::default();
        ledger.charge(SimTime::ZERO, Cause::Wal, "a", 3, MINUTE);
        ledger.check();
        *ledger.by_prefix.get_mut("a").expect("charged") += 1;
        ledger.check();
    }

    #[test]
    #[should_panic(
        expected = "invariant: requests are charged in time order (second 1 after Some(2))"
    )]
    fn a_charge_back_in_time_fires() {
        let mut ledger = CostLedger::default();
        ledger.charge(SimTime::from_secs(2), Cause::Wal, "a", 3, MINUTE);
        ledger.charge(SimTime::from_secs(1), Cause::Wal, "a", 3, MINUTE);
    }

    #[test]
    fn prefixes_take_the_configured_number_of_segments() {
        assert_eq!(key_prefix("tenant-a/wal/7", 1), "tenant-a");
        assert_eq!(key_prefix("tenant-a/wal/7", 2), "tenant-a/wal");
        assert_eq!(key_prefix("tenant-a/wal/7", 5), "tenant-a/wal/7");
        assert_eq!(key_prefix("manifest", 1), "manifest");
    }

    #[test]
    fn request_prices_follow_the_s3_price_list() {
        let standard = Pricing::s3_standard();
        // 1,000 PUTs cost $0.005 = 5e9 picodollars; 1,000 GETs $0.0004.
        assert_eq!(
            request_cost_picousd(&standard, StoreOp::Put, 10) * 1000,
            5_000_000_000
        );
        assert_eq!(
            request_cost_picousd(&standard, StoreOp::List, 0) * 1000,
            5_000_000_000
        );
        assert_eq!(
            request_cost_picousd(&standard, StoreOp::Get, 1 << 30) * 1000,
            400_000_000
        );
        assert_eq!(request_cost_picousd(&standard, StoreOp::Head, 0), 400_000);
        assert_eq!(request_cost_picousd(&standard, StoreOp::Delete, 0), 0);

        let express = Pricing::s3_express();
        assert_eq!(
            request_cost_picousd(&express, StoreOp::Put, 1024) * 1000,
            1_130_000_000
        );
        assert_eq!(
            request_cost_picousd(&express, StoreOp::Get, 0) * 1000,
            30_000_000
        );
        // A 1 GiB + 512 KiB PUT pays the upload charge on exactly 1 GiB: $0.0032.
        let big = (1 << 30) + 512 * 1024;
        assert_eq!(
            request_cost_picousd(&express, StoreOp::Put, big),
            1_130_000 + 3_200_000_000
        );
    }

    #[test]
    fn storage_of_one_gib_for_a_month_costs_the_monthly_price() {
        let standard = Pricing::s3_standard();
        let month = SimDuration::from_secs(SECONDS_PER_MONTH);
        assert_eq!(
            storage_cost_picousd(&standard, 1 << 30, month),
            23_000_000_000
        );
        assert_eq!(
            storage_picousd_per_month(&standard, 2 << 30),
            46_000_000_000
        );

        let mut ledger = CostLedger::default();
        ledger.accrue_storage(SimTime::ZERO, 0, &standard);
        ledger.accrue_storage(SimTime::ZERO + month, 1 << 30, &standard);
        assert_eq!(ledger.storage_picousd(), 23_000_000_000);
    }

    #[test]
    fn totals_split_by_cause_and_prefix_and_overflow_is_bounded() {
        let mut ledger = CostLedger::default();
        ledger.charge(SimTime::ZERO, Cause::Wal, "a", 10, MINUTE);
        ledger.charge(SimTime::ZERO, Cause::Read, "b", 5, MINUTE);
        ledger.charge(SimTime::ZERO, Cause::Wal, "a", 1, MINUTE);
        assert_eq!(ledger.request_picousd_total, 16);
        assert_eq!(ledger.by_cause[&Cause::Wal], 11);
        assert_eq!(ledger.by_prefix[&"a".to_string()], 11);
        for index in 0..(MAX_TRACKED_PREFIXES + 10) {
            ledger.charge(SimTime::ZERO, Cause::Gc, &format!("p{index}"), 1, MINUTE);
        }
        assert_eq!(ledger.by_prefix.len(), MAX_TRACKED_PREFIXES + 1);
        assert!(ledger.by_prefix[&OVERFLOW_PREFIX.to_string()] >= 10);
    }

    #[test]
    fn projection_uses_the_trailing_window() {
        let window = SimDuration::from_secs(60);
        let mut ledger = CostLedger::default();
        // One $0.005 PUT per second for 120 s.
        for second in 0..120 {
            ledger.charge(
                SimTime::from_secs(second),
                Cause::Wal,
                "t",
                5_000_000,
                window,
            );
        }
        assert!(
            ledger.window.len() <= 61,
            "the history is bounded by the window"
        );
        let projected = ledger.projected_request_picousd_per_month(SimTime::from_secs(120), window);
        // 5e6 picodollars/s × 2,628,000 s/month.
        assert_eq!(projected, 5_000_000 * SECONDS_PER_MONTH);
        // After a quiet minute the projection falls to zero.
        let later = ledger.projected_request_picousd_per_month(SimTime::from_secs(300), window);
        assert_eq!(later, 0);
    }
}
