//! The run host's side of the worker's keyframes: when one is due, what the page has set that
//! a keyframe taken earlier would not know, and the run after `worker.js` has copied a
//! keyframe in (going to a moment from it) or, on a Cancel, the memory from before a go-to back
//! (the run where it was). No browser code.

use super::{Motion, RunHost, RunRequest};
use crate::frame::Panels;
use strata_sim::SimTime;

/// What the page has set on the run host, carried over a keyframe's restore.
#[derive(Clone, Debug, PartialEq)]
pub struct PageState {
    pub requests: u64,
    pub panels: Panels,
}

impl RunHost {
    /// A keyframe due now, if any (its generation and moment): not while the run is being
    /// re-simulated, which has not reached the moment on show.
    pub fn keyframe_due(&mut self) -> Option<(u64, SimTime)> {
        if self.session.rebuilding() {
            return None;
        }
        self.keyframes.due(self.session.now())
    }

    /// The generation of the run's keyframes.
    pub fn keyframe_generation(&self) -> u64 {
        self.keyframes.generation()
    }

    /// What the page has set that a keyframe taken earlier would not know: the requests
    /// handled and the panels the open tab draws. None while the side-by-side panel reads
    /// figures from the run (its variant makes keyframes unused anyway).
    pub fn page_state(&self) -> Option<PageState> {
        self.figure_paths.is_empty().then_some(PageState {
            requests: self.requests,
            panels: self.panels,
        })
    }

    /// Back on a keyframe's world: sets what the page has set since (`page`), forgets what
    /// the page's timeline holds (it goes back too), then goes to `to`, ahead of the keyframe,
    /// as a request does (`requests` counts it). `back`: the page went back (a Cancel then
    /// takes the run back to where it was).
    pub fn restored(&mut self, page: PageState, to: SimTime, back: bool, now_ms: f64) {
        self.set_page(page);
        self.handle(
            RunRequest::GoTo {
                at_ms: to.as_nanos() / 1_000_000,
            },
            now_ms,
        );
        self.back_from_keyframe = back && matches!(self.motion, Motion::GoTo { .. });
    }

    /// Whether a Cancel now takes the run back to before a go-to back served by a keyframe.
    pub fn going_back_from_keyframe(&self) -> bool {
        self.back_from_keyframe && matches!(self.motion, Motion::GoTo { .. })
    }

    /// Back on the world from before a go-to back served by a keyframe (copied back on its
    /// Cancel): sets what the page has set since (`page`), forgets what the page's timeline
    /// holds, and answers the Cancel as a cancelled re-simulation: the run is where it was,
    /// still.
    pub fn returned(&mut self, page: PageState) {
        self.set_page(page);
        // The Cancel, counted as `handle` counts a request.
        self.frame_due = true;
        self.requests += 1;
        self.set_motion(Motion::Still);
        if self.session.rebuilding() {
            self.session.cancel_rebuild();
        }
        self.say_back_cancelled();
    }

    fn set_page(&mut self, page: PageState) {
        self.panels = page.panels;
        self.figure_paths.clear();
        self.timeline_after = None;
        self.notes.clear();
        self.requests = page.requests;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::protocol::Note;

    fn host() -> RunHost {
        RunHost::new(crate::session::tests::small_named("worker-keyframes")).unwrap()
    }

    /// Ticks until the host is still.
    fn settle(host: &mut RunHost) {
        let mut now = 0.0;
        let mut clock = move || {
            now += 1.0;
            now
        };
        for _ in 0..100_000 {
            if !host.busy() {
                return;
            }
            host.tick(&mut clock, 10.0);
        }
        panic!("the run did not settle");
    }

    fn page() -> PageState {
        PageState {
            requests: 7,
            panels: Panels::Recommender,
        }
    }

    #[test]
    fn a_cancel_returns_only_while_going_back_from_a_keyframe() {
        let mut host = host();
        // A go-to forward served by a keyframe: a Cancel stops it where it got, as any go-to
        // ahead.
        host.restored(page(), SimTime::from_millis(300), false, 0.0);
        assert!(matches!(host.motion(), Motion::GoTo { .. }));
        assert!(!host.going_back_from_keyframe());
        // Going back: a Cancel returns, until the run forward is over.
        host.restored(page(), SimTime::from_millis(600), true, 0.0);
        assert!(host.going_back_from_keyframe());
        assert_eq!(
            host.page_state(),
            Some(PageState {
                requests: 8,
                ..page()
            })
        );
        settle(&mut host);
        assert_eq!(host.session().now(), SimTime::from_millis(600));
        assert!(!host.going_back_from_keyframe());
        // Any change of motion ends it too.
        host.restored(page(), SimTime::from_millis(900), true, 0.0);
        host.handle(
            RunRequest::Pace {
                playing: true,
                speed: 1.0,
            },
            0.0,
        );
        assert!(!host.going_back_from_keyframe());
    }

    #[test]
    fn returned_is_the_run_where_it_was_still_with_the_cancel_answered() {
        let mut host = host();
        host.handle(RunRequest::GoTo { at_ms: 400 }, 0.0);
        settle(&mut host);
        let hash = host.session().lab().trace().hash_hex();
        host.handle(
            RunRequest::Pace {
                playing: true,
                speed: 1.0,
            },
            0.0,
        );
        host.returned(page());
        assert_eq!(host.motion(), Motion::Still);
        assert_eq!(host.session().now(), SimTime::from_millis(400));
        assert_eq!(host.session().lab().trace().hash_hex(), hash);
        assert_eq!(
            host.page_state(),
            Some(PageState {
                requests: 8,
                ..page()
            })
        );
        assert!(host.notes.contains(&Note::RebuildCancelled));
    }
}
