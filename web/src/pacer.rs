//! Slices of simulating, sized by wall time: the run on show (in the worker, or on the main
//! thread when the worker cannot start) simulates in slices between looks at the wall clock,
//! and [`SliceSizer`] learns what an event costs on this machine and in this run, and asks for
//! about [`SLICE_TARGET_MS`] worth, so a tick ends close to its slice of wall time on a slow
//! machine as on a fast one, and a message (a pause, a cancel) waits at most one tick. Pure
//! arithmetic, so it is tested natively.

/// The wall time one slice of simulating aims at: the most a tick overruns its slice by,
/// apart from one long event.
pub const SLICE_TARGET_MS: f64 = 1.0;
/// The most events a slice holds, whatever the estimate (an estimate can be wrong just after
/// the run changed character: a burst of flushes, a new scenario).
pub const MAX_SLICE_EVENTS: u64 = 5_000;
/// What an event is assumed to cost before any slice has been timed.
pub const START_MS_PER_EVENT: f64 = 0.02;
/// A slice measured shorter than this is counted as this long: without cross-origin isolation
/// the browser's clock moves in 0.1 ms steps, and a slice read as 0 ms says nothing.
pub const CLOCK_RESOLUTION_MS: f64 = 0.1;
/// How much of the past each timed slice keeps: the estimate is the wall time of recent
/// slices over their events, each older slice weighing this much less. A ratio of sums rather
/// than an average of ratios, so one long event in a one-event slice moves it by its share of
/// the time, not by its share of the slices.
const SLICE_MEMORY: f64 = 0.7;

/// Sizes the slices a tick simulates in, from what events have cost lately.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceSizer {
    /// Wall time of recent slices, older ones decayed by [`SLICE_MEMORY`] each.
    recent_ms: f64,
    /// Their events, decayed alike.
    recent_events: f64,
}

impl Default for SliceSizer {
    fn default() -> Self {
        // As if ten events had been timed at the starting cost.
        SliceSizer {
            recent_ms: START_MS_PER_EVENT * 10.0,
            recent_events: 10.0,
        }
    }
}

impl SliceSizer {
    /// Events for the next slice, given `remaining_ms` of the tick's slice: about
    /// [`SLICE_TARGET_MS`] worth, less when the budget is nearly spent, never none.
    pub fn events(&self, remaining_ms: f64) -> u64 {
        let want_ms = remaining_ms.clamp(0.0, SLICE_TARGET_MS);
        let events = (want_ms / self.ms_per_event()).floor();
        // A float-to-integer cast saturates, and NaN becomes 0; the clamp handles both.
        (events as u64).clamp(1, MAX_SLICE_EVENTS)
    }

    /// A slice of `events` events took `took_ms` of wall time.
    pub fn observe(&mut self, events: u64, took_ms: f64) {
        if events == 0 || !took_ms.is_finite() || took_ms < 0.0 {
            return;
        }
        self.recent_ms = self.recent_ms * SLICE_MEMORY + took_ms.max(CLOCK_RESOLUTION_MS);
        self.recent_events = self.recent_events * SLICE_MEMORY + events as f64;
    }

    /// The current estimate of one event's wall time.
    pub fn ms_per_event(&self) -> f64 {
        self.recent_ms / self.recent_events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn slices_follow_what_events_cost() {
        let mut sizer = SliceSizer::default();
        // Events that cost 5 µs each: a 1 ms slice is about 200 of them.
        for _ in 0..30 {
            let events = sizer.events(10.0);
            sizer.observe(events, events as f64 * 0.005);
        }
        let fast = sizer.events(10.0);
        assert!((190..=210).contains(&fast), "{fast}");
        // The machine gets ten times slower: slices shrink to keep their wall time.
        for _ in 0..30 {
            let events = sizer.events(10.0);
            sizer.observe(events, events as f64 * 0.05);
        }
        let slow = sizer.events(10.0);
        assert!((19..=21).contains(&slow), "{slow}");
        // Near the end of the budget, a smaller slice; never an empty one.
        assert!(sizer.events(0.5) <= slow / 2 + 1);
        assert_eq!(sizer.events(0.0), 1);
        assert_eq!(sizer.events(-3.0), 1);
    }

    #[test]
    fn a_slice_too_short_for_the_clock_does_not_make_the_next_one_huge() {
        let mut sizer = SliceSizer::default();
        for _ in 0..50 {
            sizer.observe(10, 0.0);
        }
        // Read as 0 ms, counted as the clock's step: at most 100 events a millisecond.
        assert!(sizer.events(10.0) <= 100, "{}", sizer.events(10.0));
        // One very slow event (a big SST) shrinks the next slice to one event, and it recovers.
        sizer.observe(1, 40.0);
        assert_eq!(sizer.events(10.0), 1);
        for _ in 0..30 {
            let events = sizer.events(10.0);
            sizer.observe(events, events as f64 * 0.01);
        }
        assert!(sizer.events(10.0) >= 90, "{}", sizer.events(10.0));
        // Nonsense is ignored; nothing exceeds the cap.
        let before = sizer;
        sizer.observe(0, 5.0);
        sizer.observe(10, f64::NAN);
        sizer.observe(10, -1.0);
        assert_eq!(sizer, before);
        for _ in 0..50 {
            sizer.observe(1_000_000, 0.0);
        }
        assert!(sizer.events(10.0) <= MAX_SLICE_EVENTS);
    }
}
