//! When the worker's keyframes are due, and which run they belong to. A keyframe is a copy of
//! the worker's whole wasm linear memory, taken and kept by `worker.js` (see
//! [`super`] for why that copy is the whole simulated world); this module has no browser code.
//!
//! - One is due each time the run on show has crossed a multiple of [`KEYFRAME_EVERY`] of
//!   simulated time since the last one (not while it is being re-simulated from the start,
//!   where it has not reached the moment on show yet).
//! - Keyframes belong to one run: a scenario and its live changes. Every request that can
//!   change the run (a start, any panel's command) moves to a new *generation*; the store drops
//!   the keyframes of older generations, and a restore only takes one of the current one.
//! - Going back to a moment takes the latest keyframe at or before it, then simulates forward
//!   to the moment: at most [`KEYFRAME_EVERY`] plus one tick's work.

use super::run::PageState;
use crate::frame::Panels;
use strata_sim::SimTime;

/// Simulated time between keyframes: 10 s, 60 in the default 10-minute run.
pub const KEYFRAME_EVERY_NS: u64 = 10_000_000_000;

/// The run's generation and the next moment a keyframe is due at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyframeClock {
    generation: u64,
    next: SimTime,
}

impl Default for KeyframeClock {
    fn default() -> Self {
        KeyframeClock {
            generation: 0,
            next: SimTime::from_nanos(KEYFRAME_EVERY_NS),
        }
    }
}

impl KeyframeClock {
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The run changed at `now`: keyframes of the old run no longer hold, the next is due at
    /// the first multiple after `now`.
    pub fn changed(&mut self, now: SimTime) {
        self.generation += 1;
        self.next = next_multiple(now);
    }

    /// Whether a keyframe is due with the run at `now` (its generation and moment); marks it
    /// taken.
    pub fn due(&mut self, now: SimTime) -> Option<(u64, SimTime)> {
        if now < self.next {
            return None;
        }
        self.next = next_multiple(now);
        Some((self.generation, now))
    }
}

/// The first multiple of [`KEYFRAME_EVERY_NS`] after `now`.
fn next_multiple(now: SimTime) -> SimTime {
    let every = KEYFRAME_EVERY_NS;
    SimTime::from_nanos((now.as_nanos() / every + 1).saturating_mul(every))
}

/// [`PageState`] as a number `worker.js` holds over a restore (the memory it is in is
/// replaced): the requests handled, times 4, plus the panels.
pub fn page_state_number(page: &PageState) -> f64 {
    let panels = match page.panels {
        Panels::Storage => 0,
        Panels::Recommender => 1,
        Panels::None => 2,
    };
    (page.requests.saturating_mul(4) + panels) as f64
}

/// [`PageState`] back from [`page_state_number`]'s number.
pub fn page_state_from_number(number: f64) -> PageState {
    let number = number as u64;
    PageState {
        requests: number / 4,
        panels: match number % 4 {
            0 => Panels::Storage,
            1 => Panels::Recommender,
            _ => Panels::None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    #[test]
    fn one_is_due_per_multiple_crossed() {
        let mut clock = KeyframeClock::default();
        assert_eq!(clock.due(secs(9)), None);
        assert_eq!(clock.due(secs(10)), Some((0, secs(10))));
        assert_eq!(clock.due(secs(19)), None);
        // A long tick that crosses several multiples takes one, at the moment it reached.
        assert_eq!(clock.due(secs(47)), Some((0, secs(47))));
        assert_eq!(clock.due(secs(49)), None);
        assert_eq!(clock.due(secs(50)), Some((0, secs(50))));
    }

    #[test]
    fn the_page_state_survives_its_number() {
        for panels in [Panels::Storage, Panels::Recommender, Panels::None] {
            let page = PageState {
                requests: 41,
                panels,
            };
            assert_eq!(page_state_from_number(page_state_number(&page)), page);
        }
    }

    #[test]
    fn a_change_starts_a_generation_due_after_it() {
        let mut clock = KeyframeClock::default();
        assert_eq!(clock.due(secs(30)), Some((0, secs(30))));
        clock.changed(secs(34));
        assert_eq!(clock.generation(), 1);
        assert_eq!(clock.due(secs(39)), None);
        assert_eq!(clock.due(secs(40)), Some((1, secs(40))));
        // A restart at zero: the first is due at the first multiple again.
        clock.changed(SimTime::ZERO);
        assert_eq!(clock.due(secs(5)), None);
        assert_eq!(clock.due(secs(12)), Some((2, secs(12))));
    }
}
