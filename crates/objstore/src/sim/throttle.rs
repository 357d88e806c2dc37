//! Per-prefix request-rate limits, as S3 applies them: each prefix sustains so many write
//! (PUT/COPY/POST/DELETE) and read (GET/HEAD/LIST) requests per second, and requests above
//! that get 503 SlowDown.
//!
//! Each (prefix, class) pair is a token bucket written as the generic cell rate algorithm
//! (GCRA): one integer "theoretical arrival time" per bucket, advanced by the emission
//! interval 1/rate per admitted request; a request is refused when it arrives more than the
//! burst tolerance before that time. Integer nanoseconds keep it exact on every target.
//! Refused requests do not consume capacity.

use super::config::ThrottleConfig;
use strata_sim::maps::LiteMap;
use strata_sim::{SimTime, StoreOp};

/// The most prefixes with their own buckets; later ones share `OVERFLOW_BUCKET`, which is
/// stricter than reality but keeps memory bounded under random keys.
pub const MAX_THROTTLE_PREFIXES: usize = 4096;
const OVERFLOW_BUCKET: &str = "";

#[derive(Clone, Copy, Debug, Default)]
struct Buckets {
    /// Theoretical arrival times, nanoseconds: [write, read].
    tat_nanos: [u64; 2],
}

/// The throttle state of one store.
#[derive(Clone, Debug, Default)]
pub struct Throttle {
    buckets: LiteMap<String, Buckets>,
}

fn is_write(op: StoreOp) -> bool {
    matches!(op, StoreOp::Put | StoreOp::Delete)
}

impl Throttle {
    /// Admits or refuses one request of `op` on `prefix` at `now`. Returns true if admitted.
    pub fn admit(
        &mut self,
        config: &ThrottleConfig,
        prefix: &str,
        op: StoreOp,
        now: SimTime,
    ) -> bool {
        if !config.enabled {
            return true;
        }
        let (class, rate) = if is_write(op) {
            (0, config.write_requests_per_sec)
        } else {
            (1, config.read_requests_per_sec)
        };
        // validate() guarantees rate >= 1.
        let interval_nanos = 1_000_000_000 / u64::from(rate.max(1));
        // The tolerance lets `rate × burst` requests through at one instant: the first moves
        // the arrival time one interval ahead, and the last admitted one finds it at most
        // `burst - interval` ahead.
        let tolerance_nanos = config.burst.as_nanos().saturating_sub(interval_nanos);
        let key = if self.buckets.contains_key(prefix) || self.buckets.len() < MAX_THROTTLE_PREFIXES
        {
            prefix
        } else {
            OVERFLOW_BUCKET
        };
        let now_nanos = now.as_nanos();
        if !self.buckets.contains_key(key) {
            self.buckets.insert(key.to_string(), Buckets::default());
            self.check();
        }
        let buckets = self
            .buckets
            .get_mut(key)
            .expect("the prefix's buckets were just ensured");
        let tat = buckets.tat_nanos[class].max(now_nanos);
        if tat - now_nanos > tolerance_nanos {
            return false;
        }
        buckets.tat_nanos[class] = tat + interval_nanos;
        true
    }

    /// Asserts that the buckets are bounded: the tracked prefixes and the overflow bucket.
    pub fn check(&self) {
        assert!(
            self.buckets.len() <= MAX_THROTTLE_PREFIXES + 1,
            "invariant: the throttle tracks at most {MAX_THROTTLE_PREFIXES} prefixes and the overflow ({} buckets)",
            self.buckets.len()
        );
    }

    /// Prefixes with their own buckets.
    pub fn tracked_prefixes(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_sim::SimDuration;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_burst_of_one_second_at_the_rate_passes_and_the_next_request_is_throttled() {
        let config = ThrottleConfig::s3();
        let mut throttle = Throttle::default();
        let admitted = (0..4000)
            .filter(|_| throttle.admit(&config, "t", StoreOp::Put, SimTime::ZERO))
            .count();
        assert_eq!(admitted, 3500);
        // Reads have their own, larger bucket.
        let reads = (0..6000)
            .filter(|_| throttle.admit(&config, "t", StoreOp::Get, SimTime::ZERO))
            .count();
        assert_eq!(reads, 5500);
        // Another prefix is not affected.
        assert!(throttle.admit(&config, "u", StoreOp::Put, SimTime::ZERO));
    }

    #[test]
    fn a_steady_rate_below_the_limit_is_never_throttled_and_above_it_is() {
        let config = ThrottleConfig {
            burst: SimDuration::from_millis(100),
            ..ThrottleConfig::s3()
        };
        let run = |per_sec: u64| {
            let mut throttle = Throttle::default();
            let gap = 1_000_000_000 / per_sec;
            (0..per_sec * 10)
                .filter(|i| {
                    !throttle.admit(&config, "p", StoreOp::Put, SimTime::from_nanos(i * gap))
                })
                .count()
        };
        assert_eq!(run(3_000), 0);
        let refused = run(7_000);
        // About half of 70,000 requests over 10 s exceed 3,500/s.
        assert!((30_000..=40_000).contains(&refused), "refused {refused}");
    }

    #[test]
    fn disabled_throttle_admits_everything() {
        let config = ThrottleConfig::off();
        let mut throttle = Throttle::default();
        assert!((0..10_000).all(|_| throttle.admit(&config, "t", StoreOp::Put, SimTime::ZERO)));
        assert_eq!(throttle.tracked_prefixes(), 0);
    }
}
