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
//! one alike. Pure arithmetic, so it is tested natively.

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
