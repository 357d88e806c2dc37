//! "Go to" a moment ahead of the run, and *Run to end*: the run is simulated forward, in
//! slices in the worker's ticks, with a progress bar and *Cancel*. A moment behind the run is
//! re-simulated from the seed instead ([`crate::session::Session::seek`]). A run to the end
//! stops exactly where the run finishes, as `strata run` does, so the final trace hash is the
//! CLI's.
//!
//! Cancelling either stops at a moment a replay reaches too: the run is brought to the next whole
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

/// What one slice of a run to the end did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToEndSlice {
    pub events: u64,
    pub finished: bool,
}

/// Simulates `session` toward the end of its run for at most `max_events` events. Before the
/// workload's end the run cannot finish (its director waits for that moment first), so events
/// go in batches up to just before it; from there one at a time, so that nothing runs after
/// the finish.
pub fn toward_end(session: &mut Session, max_events: u64) -> Result<ToEndSlice, LabError> {
    let max_events = max_events.max(1);
    let mut events = 0;
    let before_end = SimTime::from_nanos(session.lab().workload_end().as_nanos().saturating_sub(1));
    if session.now() < before_end && !session.lab().finished() {
        events += session
            .advance_until(before_end, max_events)?
            .events_processed;
    }
    while events < max_events && !session.lab().finished() {
        if session.step()?.events_processed == 0 {
            if session.lab().finished() {
                break;
            }
            return Err(LabError::Stalled { at: session.now() });
        }
        events += 1;
    }
    Ok(ToEndSlice {
        events,
        finished: session.lab().finished(),
    })
}

/// Stops a run forward where it got to: at the next whole millisecond, everything due by
/// then processed (a finished run stays where it finished). Returns that moment.
pub fn stop(session: &mut Session) -> Result<SimTime, LabError> {
    if session.lab().finished() {
        // Nothing runs after the finish: the run stays at its final moment.
        return Ok(session.now());
    }
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

    /// A short scenario (the default storage workload, without the recommender and its
    /// drift schedule), so that tests run it to its end.
    fn short() -> strata_lab::Scenario {
        let mut scenario = link::default_scenario();
        scenario.duration_ms = 1_500;
        scenario.recommender = None;
        scenario
    }

    #[test]
    fn a_run_to_the_end_in_slices_ends_where_strata_run_ends() {
        let scenario = short();
        let mut cli = strata_lab::Lab::new(&scenario).unwrap();
        let summary = cli.run_to_end().unwrap();
        for size in [1u64, 37, 5_000] {
            let mut session = Session::new(scenario.clone()).unwrap();
            let mut slices = 0u64;
            let mut events = 0;
            loop {
                let slice = toward_end(&mut session, size).unwrap();
                assert!(slice.events <= size, "{slice:?} over {size}");
                events += slice.events;
                slices += 1;
                if slice.finished {
                    break;
                }
                assert!(
                    slice.events == size,
                    "a slice short of its bound must finish the run"
                );
            }
            assert!(size > 1_000 || slices > 2, "slices of {size}: {slices}");
            assert_eq!(events, session.lab().events_processed());
            assert_eq!(session.lab().events_processed(), cli.events_processed());
            assert_eq!(session.lab().trace_hash_hex(), summary.trace_hash);
            // Finished: nothing more happens.
            let again = toward_end(&mut session, size).unwrap();
            assert_eq!((again.events, again.finished), (0, true));
        }
    }

    #[test]
    fn a_run_to_the_end_cancelled_stops_where_a_link_to_that_moment_stops() {
        let scenario = short();
        let mut session = Session::new(scenario.clone()).unwrap();
        for _ in 0..7 {
            toward_end(&mut session, 33).unwrap();
        }
        assert!(!session.lab().finished(), "cancelled on the way");
        let at = stop(&mut session).unwrap();
        assert_eq!(at.as_nanos() % 1_000_000, 0, "a whole millisecond");
        let mut replay = Session::new(scenario.clone()).unwrap();
        replay.begin_rebuild(scenario, Milestone::time(at)).unwrap();
        replay.finish_rebuild().unwrap();
        assert_eq!(
            session.lab().trace().hash_hex(),
            replay.lab().trace().hash_hex()
        );
        assert_eq!(
            session.lab().events_processed(),
            replay.lab().events_processed()
        );
        // And the run to the end goes on from there to the same end.
        while !toward_end(&mut session, 1_000).unwrap().finished {}
        let mut cli = strata_lab::Lab::new(session.scenario()).unwrap();
        assert_eq!(
            session.lab().trace_hash_hex(),
            cli.run_to_end().unwrap().trace_hash
        );
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
