//! "Go to" a moment ahead of the run: the run is simulated forward to it, in slices between
//! frames, with a progress bar and *Cancel*. A moment behind the run is re-simulated from the
//! seed instead ([`crate::session::Session::seek`]).
//!
//! Cancelling stops at a moment a replay reaches too: the run is brought to the next whole
//! millisecond with every event due by then processed (at most a millisecond of simulated
//! time), which is exactly where re-simulating the scenario to that millisecond, or opening
//! its share link at that moment, stops. The trace hash shown after a cancel is therefore the
//! hash of a run to that moment. No browser code, so it is tested natively.

use crate::session::{Session, MAX_CATCH_UP_EVENTS};
use strata_lab::LabError;
use strata_sim::SimTime;

/// A run forward in progress: from where it began, to where it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoTo {
    pub from: SimTime,
    pub to: SimTime,
}

impl GoTo {
    /// How far the run at `now` has got, from 0 to 1.
    pub fn fraction(&self, now: SimTime) -> f64 {
        let span = self.to.saturating_since(self.from).as_nanos().max(1) as f64;
        let done = now.saturating_since(self.from).as_nanos() as f64;
        (done / span).clamp(0.0, 1.0)
    }
}

/// Simulates `session` toward `to` for at most `max_events` events. Returns whether it got
/// there (or the run finished on the way).
pub fn forward(session: &mut Session, to: SimTime, max_events: u64) -> Result<bool, LabError> {
    let max_events = max_events.max(1);
    if session.now() >= to || session.lab().finished() {
        return Ok(true);
    }
    let progress = session.advance_until(to, max_events)?;
    // Fewer events than allowed: everything due by `to` has run and the clock is there.
    Ok(progress.events_processed < max_events || session.lab().finished())
}

/// Stops a run forward where it got to: at the next whole millisecond, everything due by
/// then processed. Returns that moment.
pub fn stop(session: &mut Session) -> Result<SimTime, LabError> {
    let whole_ms = SimTime::from_millis(session.now().as_nanos().div_ceil(1_000_000));
    let progress = session.advance_until(whole_ms, MAX_CATCH_UP_EVENTS)?;
    if progress.events_processed >= MAX_CATCH_UP_EVENTS {
        return Err(LabError::Control(format!(
            "more than {MAX_CATCH_UP_EVENTS} events fall due by {}; the run stopped short of it",
            crate::format::sim_time(whole_ms)
        )));
    }
    Ok(session.now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link;
    use crate::session::Milestone;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn going_forward_reaches_the_moment_a_replay_reaches() {
        let scenario = link::default_scenario();
        let mut session = Session::new(scenario.clone()).unwrap();
        let to = SimTime::from_millis(1_500);
        let mut slices = 0;
        while !forward(&mut session, to, 25).unwrap() {
            slices += 1;
        }
        assert!(slices > 1, "a long way is gone in slices ({slices})");
        assert_eq!(session.now(), to);
        let mut replay = Session::new(scenario.clone()).unwrap();
        replay.begin_rebuild(scenario, Milestone::time(to)).unwrap();
        replay.finish_rebuild().unwrap();
        assert_eq!(
            session.lab().trace().hash_hex(),
            replay.lab().trace().hash_hex()
        );
    }

    #[test]
    fn a_cancel_anywhere_stops_where_a_run_to_that_moment_stops() {
        let scenario = link::default_scenario();
        let to = SimTime::from_millis(3_000);
        // Cut after a different number of slices each time, slices of odd sizes, so the cut
        // falls between events of one moment as well as between moments.
        for (slices, size) in [(1u64, 1u64), (3, 7), (11, 25), (40, 13)] {
            let mut session = Session::new(scenario.clone()).unwrap();
            for _ in 0..slices {
                forward(&mut session, to, size).unwrap();
            }
            let at = stop(&mut session).unwrap();
            assert_eq!(at.as_nanos() % 1_000_000, 0, "a whole millisecond");
            assert!(at <= to);
            let mut replay = Session::new(scenario.clone()).unwrap();
            replay
                .begin_rebuild(scenario.clone(), Milestone::time(at))
                .unwrap();
            replay.finish_rebuild().unwrap();
            assert_eq!(replay.now(), at);
            assert_eq!(
                session.lab().events_processed(),
                replay.lab().events_processed(),
                "cut after {slices} slices of {size}"
            );
            assert_eq!(
                session.lab().trace().hash_hex(),
                replay.lab().trace().hash_hex(),
                "cut after {slices} slices of {size}"
            );
            // The run stays valid: it goes on from there.
            while !forward(&mut session, to, 100).unwrap() {}
            assert_eq!(session.now(), to);
        }
    }

    #[test]
    fn progress_runs_from_zero_to_one() {
        let go = GoTo {
            from: SimTime::from_millis(1_000),
            to: SimTime::from_millis(3_000),
        };
        assert_eq!(go.fraction(SimTime::from_millis(1_000)), 0.0);
        assert_eq!(go.fraction(SimTime::from_millis(2_000)), 0.5);
        assert_eq!(go.fraction(SimTime::from_millis(9_000)), 1.0);
        let empty = GoTo {
            from: SimTime::from_millis(5),
            to: SimTime::from_millis(5),
        };
        assert_eq!(empty.fraction(SimTime::from_millis(5)), 0.0);
    }
}
