//! The request timeline across frames: each frame brings the requests recorded since the
//! page's last (a [`TimelineIncrement`]), and the page keeps the window ([`FrameFold`]),
//! exactly the requests of the retained trace that overlap it, as if read from the trace at
//! every redraw.

use super::Frame;
#[cfg(test)]
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use strata_sim::{EventKind, RequestRecord, SimTime, Trace};

/// Requests read from the trace for one window at most (the ring holds 10,000 events).
pub const MAX_WINDOW_REQUESTS: usize = 10_000;

/// A request drawn in the timeline, with its place in the trace (what explain looks it up by).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct TimelineRequest {
    pub seq: u64,
    pub record: RequestRecord,
}

/// Picks the requests recorded after sequence number `after` (all without it) that overlap
/// `[start, end]` from `trace`'s retained events, oldest first, at most
/// [`MAX_WINDOW_REQUESTS`] (the most recent ones).
pub fn requests_in_window(
    trace: &Trace,
    start: SimTime,
    end: SimTime,
    after: Option<u64>,
) -> Vec<TimelineRequest> {
    // A plain loop, newest first: the iterator chain it replaces was an instance of its own.
    let mut picked = Vec::new();
    for event in trace.retained().rev() {
        if after.is_some_and(|after| event.seq <= after) {
            break;
        }
        let EventKind::Request(request) = &event.kind else {
            continue;
        };
        if request.end >= start && request.start <= end {
            picked.push(TimelineRequest {
                seq: event.seq,
                record: request.clone(),
            });
            if picked.len() == MAX_WINDOW_REQUESTS {
                break;
            }
        }
    }
    picked.reverse();
    picked
}

/// What a frame brings of the timeline: the window's requests recorded after the page's last
/// (all of them when `whole`), and where the trace's retained ring starts now.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct TimelineIncrement {
    /// The requests replace the page's rather than add to them.
    pub whole: bool,
    /// The oldest retained event's sequence number: requests before it have left the trace.
    pub retained_from: u64,
    /// Events the trace had recorded: the next frame brings requests from this one on.
    pub up_to: u64,
    pub requests: Vec<TimelineRequest>,
}

impl TimelineIncrement {
    /// The window `[start, end]`'s requests in `trace` after sequence number `after` (all of
    /// the window without one).
    pub fn of(trace: &Trace, start: SimTime, end: SimTime, after: Option<u64>) -> Self {
        let retained_from = trace
            .retained()
            .next()
            .map_or(trace.total_events(), |event| event.seq);
        let requests = requests_in_window(trace, start, end, after);
        TimelineIncrement {
            whole: after.is_none(),
            retained_from,
            up_to: trace.total_events(),
            requests,
        }
    }
}

/// What the page folds from the frames it receives: the timeline's window of requests.
#[derive(Debug, Default)]
pub struct FrameFold {
    run: u64,
    /// The last trace event the page has seen the requests up to, of `run`.
    last_seq: Option<u64>,
    /// The window, shared with the timeline until it changes.
    window: Rc<Vec<TimelineRequest>>,
}

impl FrameFold {
    /// What the next frame should bring of the timeline: the requests after the last one
    /// folded, of the run folded.
    pub fn timeline_after(&self) -> Option<(u64, u64)> {
        self.last_seq.map(|seq| (self.run, seq))
    }

    /// Folds `frame` in, taking its timeline's requests (moved, not copied: the page keeps
    /// the frame only for its other figures); returns the timeline's window of requests,
    /// oldest first.
    pub fn absorb(&mut self, frame: &mut Frame) -> Rc<Vec<TimelineRequest>> {
        let fresh = frame.run != self.run;
        let Some(storage) = &mut frame.storage else {
            return self.window.clone();
        };
        let window_start = storage.window_start;
        let increment = &mut storage.timeline;
        let retained_from = increment.retained_from;
        let keep = |request: &TimelineRequest| {
            request.seq >= retained_from && request.record.end >= window_start
        };
        let fresh = increment.whole || fresh;
        self.run = frame.run;
        self.last_seq = increment.up_to.checked_sub(1);
        if fresh {
            self.window = Rc::new(std::mem::take(&mut increment.requests));
        } else if !increment.requests.is_empty() || self.window.iter().any(|r| !keep(r)) {
            // A new list of the requests kept, not `Rc::make_mut` and `retain`: the timeline
            // holds the window too, so `make_mut` copied it all before `retain` anyway.
            let mut window = Vec::new();
            for request in self.window.iter() {
                if keep(request) {
                    window.push(request.clone());
                }
            }
            window.append(&mut increment.requests);
            let excess = window.len().saturating_sub(MAX_WINDOW_REQUESTS);
            window.drain(..excess);
            self.window = Rc::new(window);
        }
        self.window.clone()
    }
}
