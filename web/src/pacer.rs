//! Frame pacing: how much wall time each animation frame may spend simulating.
//!
//! The display's frame period is not known in advance (60 Hz, 120 Hz, a throttled background
//! tab), nor is what the browser spends on style, layout and paint after our code returns, nor
//! what else the machine is doing. So the budget is steered by the frames themselves: a frame
//! that arrives late (an interval well over the display period) cuts the budget by a factor,
//! and every on-time frame gives a little back, up to a cap. A late frame whose simulating
//! overran its budget by far does not cut it: one long event (an SST built from a full
//! memtable, say) made it late, and a smaller budget would not have helped. The page therefore keeps its frame
//! rate first and simulates as fast as that allows, on a fast idle machine and on a slow busy
//! one alike.
//!
//! Within a frame, the simulation runs in slices between looks at the wall clock. A slice is
//! sized by wall time, not by a fixed number of events: [`SliceSizer`] learns what an event
//! costs on this machine and in this run, and asks for about [`SLICE_TARGET_MS`] worth, so a
//! frame ends close to its budget on a slow machine as on a fast one, and a click waits at
//! most one frame to be handled. Pure arithmetic, so it is tested natively.

/// The least a frame may simulate, so that a heavy view or a busy machine cannot stall a run.
pub const MIN_BUDGET_MS: f64 = 1.0;
/// The most a frame may simulate, whatever the display period.
pub const MAX_BUDGET_MS: f64 = 10.0;
/// Where a new pacer starts.
pub const START_BUDGET_MS: f64 = 6.0;
/// A frame interval this many display periods long or more counts as late.
pub const LATE_FACTOR: f64 = 1.4;
/// A late frame multiplies the budget by this.
pub const CUT_FACTOR: f64 = 0.8;
/// An on-time frame adds this much to the budget.
pub const GROW_MS: f64 = 0.1;
/// Simulating this many times over budget means one long event ran past it.
pub const OVERRUN_FACTOR: f64 = 1.5;
/// Wall time kept free in each frame beyond drawing (the browser's own style, layout, paint).
pub const MARGIN_MS: f64 = 4.0;
/// The display period assumed until frames have been seen (60 Hz).
pub const DEFAULT_PERIOD_MS: f64 = 1000.0 / 60.0;
/// Frame periods outside this range are not display periods (a debugger pause, a burst).
const PERIOD_RANGE_MS: (f64, f64) = (4.0, 50.0);

/// The wall time one slice of simulating aims at: the most a frame overruns its budget by,
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

/// Sizes the slices a frame simulates in, from what events have cost lately.
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
    /// Events for the next slice, given `remaining_ms` of the frame's budget: about
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

/// The frame budget and what it has learned about the display.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pacer {
    budget_ms: f64,
    period_ms: f64,
    late_frames: u64,
    frames: u64,
    /// The previous frame's budget and what it spent simulating.
    last_budget_ms: f64,
    last_work_ms: f64,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            budget_ms: START_BUDGET_MS,
            period_ms: DEFAULT_PERIOD_MS,
            late_frames: 0,
            frames: 0,
            last_budget_ms: START_BUDGET_MS,
            last_work_ms: 0.0,
        }
    }
}

impl Pacer {
    /// Takes the interval since the previous frame (0 for the first one) into account.
    pub fn observe(&mut self, interval_ms: f64) {
        if !(interval_ms.is_finite() && interval_ms > 0.0) {
            return;
        }
        self.frames += 1;
        if (PERIOD_RANGE_MS.0..=PERIOD_RANGE_MS.1).contains(&interval_ms) {
            // The period is the shortest interval seen lately: follow a shorter one at once,
            // and drift up slowly (so that dropped frames do not pass for a slower display).
            self.period_ms = if interval_ms < self.period_ms {
                interval_ms
            } else {
                self.period_ms + (interval_ms - self.period_ms) * 0.002
            };
        }
        if interval_ms > self.period_ms * LATE_FACTOR {
            self.late_frames += 1;
            if self.last_work_ms <= self.last_budget_ms * OVERRUN_FACTOR {
                self.budget_ms *= CUT_FACTOR;
            }
        } else {
            self.budget_ms += GROW_MS;
        }
        self.budget_ms = self.budget_ms.clamp(MIN_BUDGET_MS, MAX_BUDGET_MS);
    }

    /// What the coming frame may spend simulating, given that drawing takes `render_ms`.
    pub fn budget_ms(&self, render_ms: f64) -> f64 {
        let room = self.period_ms - render_ms.max(0.0) - MARGIN_MS;
        self.budget_ms.min(room).max(MIN_BUDGET_MS)
    }

    /// The frame just run had `budget_ms` and spent `work_ms` simulating.
    pub fn spent(&mut self, budget_ms: f64, work_ms: f64) {
        self.last_budget_ms = budget_ms;
        self.last_work_ms = work_ms;
    }

    /// The display period the pacer believes in.
    pub fn period_ms(&self) -> f64 {
        self.period_ms
    }

    /// Frames seen, and how many of them were late.
    pub fn frames(&self) -> (u64, u64) {
        (self.frames, self.late_frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn on_time_frames_grow_the_budget_up_to_what_the_frame_has_room_for() {
        let mut pacer = Pacer::default();
        for _ in 0..1000 {
            pacer.observe(DEFAULT_PERIOD_MS);
        }
        // 16.7 ms period, 2 ms drawing, 4 ms margin: 10.7 ms of room, capped at 10.
        assert!((pacer.budget_ms(2.0) - MAX_BUDGET_MS).abs() < 1e-9);
        // Heavy drawing leaves less room.
        assert!((pacer.budget_ms(8.0) - (DEFAULT_PERIOD_MS - 12.0)).abs() < 1e-9);
        // And never less than the floor.
        assert_eq!(pacer.budget_ms(30.0), MIN_BUDGET_MS);
        assert_eq!(pacer.frames(), (1000, 0));
    }

    #[test]
    fn late_frames_cut_the_budget_and_it_recovers_slowly() {
        let mut pacer = Pacer::default();
        let start = pacer.budget_ms(0.0);
        pacer.observe(DEFAULT_PERIOD_MS * 2.0);
        let cut = pacer.budget_ms(0.0);
        assert!((cut - start * CUT_FACTOR).abs() < 1e-9, "{start} -> {cut}");
        for _ in 0..10 {
            pacer.observe(DEFAULT_PERIOD_MS * 2.0);
        }
        assert_eq!(pacer.budget_ms(0.0), MIN_BUDGET_MS);
        assert_eq!(pacer.frames().1, 11);
        // Dropped frames did not pass for a slower display.
        assert!(pacer.period_ms() < DEFAULT_PERIOD_MS * 1.1);
        for _ in 0..10 {
            pacer.observe(DEFAULT_PERIOD_MS);
        }
        let recovered = pacer.budget_ms(0.0);
        assert!(
            recovered > MIN_BUDGET_MS && recovered < start,
            "{recovered}"
        );
    }

    #[test]
    fn a_frame_made_late_by_one_long_event_does_not_cut_the_budget() {
        let mut pacer = Pacer::default();
        let budget = pacer.budget_ms(0.0);
        // The frame simulated 30 ms on a 6 ms budget: one event ran long.
        pacer.spent(budget, 30.0);
        pacer.observe(DEFAULT_PERIOD_MS * 3.0);
        assert_eq!(pacer.frames().1, 1, "still counted as late");
        assert!(pacer.budget_ms(0.0) >= budget, "not cut");
        // Within budget and still late: the frame as a whole is too heavy, so it is cut.
        pacer.spent(budget, budget);
        pacer.observe(DEFAULT_PERIOD_MS * 2.0);
        assert!(pacer.budget_ms(0.0) < budget);
    }

    #[test]
    fn a_faster_display_is_learned_at_once() {
        let mut pacer = Pacer::default();
        for _ in 0..200 {
            pacer.observe(1000.0 / 120.0);
        }
        // 8.3 ms period, 2 ms drawing, 4 ms margin: about 2.3 ms of simulating per frame.
        let budget = pacer.budget_ms(2.0);
        assert!((budget - (1000.0 / 120.0 - 6.0)).abs() < 1e-6, "{budget}");
        assert_eq!(pacer.frames().1, 0, "120 Hz frames are not late");
    }

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

    #[test]
    fn nonsense_intervals_are_ignored() {
        let mut pacer = Pacer::default();
        for interval in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            pacer.observe(interval);
        }
        assert_eq!(pacer, Pacer::default());
        // A long pause (a debugger, a background tab) is a late frame, not a new period.
        pacer.observe(5_000.0);
        assert_eq!(pacer.period_ms(), DEFAULT_PERIOD_MS);
    }
}
