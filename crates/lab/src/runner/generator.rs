//! The workload's arrival task: Poisson gaps drawn at the current rate, one task per
//! operation, at most `max_in_flight` at once.

use super::world::{InFlightGuard, World};
use std::rc::Rc;
use strata_sim::sync::{race, Either};

impl World {
    /// Draws arrivals until the workload ends, one task per operation.
    pub(super) async fn generate(self: Rc<Self>) {
        loop {
            if self.now() >= self.end {
                return;
            }
            while self.workload.in_flight.get() >= self.workload.max_in_flight.get() {
                self.workload.in_flight_changed.notified().await;
            }
            let gap = self.workload.generator.borrow_mut().next_gap();
            let changed = self.workload.workload_changed.notified();
            let remaining = self.end.saturating_since(self.now());
            match gap {
                None => {
                    // Paused (rate 0): wait for a change or the end.
                    let _ = race(changed, self.sleep(remaining)).await;
                    continue;
                }
                Some(gap) if gap > remaining => {
                    // The next arrival falls after the end: wait for a change or the end.
                    let _ = race(changed, self.sleep(remaining)).await;
                    continue;
                }
                Some(gap) => {
                    // A rate change mid-gap redraws the gap: arrivals stay Poisson because the
                    // exponential distribution is memoryless.
                    if let Either::Left(()) = race(changed, self.sleep(gap)).await {
                        continue;
                    }
                }
            }
            let op = self.workload.generator.borrow_mut().next_op();
            let slot = InFlightGuard::take(&self);
            self.spawn_op(op, slot);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::super::world::tiny;
    use crate::scenario::StorePreset;

    #[test]
    fn arrivals_wait_while_max_in_flight_operations_are_in_flight() {
        let mut scenario = tiny::scenario();
        // Durable writes on S3 Standard take tens of milliseconds each, far slower than
        // 10,000 arrivals a second.
        scenario.store.preset = StorePreset::S3Standard;
        scenario.workload.rate_ops_per_sec = 10_000.0;
        scenario.workload.await_durable = true;
        scenario.workload.max_in_flight = 5;
        let (sim, world) = tiny::world(&scenario);
        for ms in (200..=1000).step_by(50) {
            tiny::run_until(&sim, ms);
            assert!(world.workload.in_flight.get() <= 5, "at {ms} ms");
        }
        assert_eq!(world.workload.in_flight.get(), 5, "the limit is reached");
    }
}
