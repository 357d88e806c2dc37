//! The run on show, hosted where it is simulated: a [`RunHost`] owns the [`Session`], moves it
//! as the page asks (play at a speed, step, go to a moment, run to the end, re-simulate after a
//! scrub, a fault or a removal, cancel) and answers with [`Frame`]s, the only thing the page
//! draws from. No browser code: it runs in the worker, on the main thread when the worker cannot
//! start, and natively in the tests.
//!
//! - **Requests change what the run does; ticks do the work.** [`RunHost::handle`] applies a
//!   [`RunRequest`] at once (a command, a step, a new scenario) and never simulates for long;
//!   [`RunHost::tick`] then simulates for at most the caller's slice of wall time and says when
//!   it wants the next tick ([`Next`]). Between two ticks the caller reads its messages, so a
//!   pause, a control or a cancel is handled within one slice.
//! - **Pacing against its own clock.** While playing, the run is due at `speed × wall time`
//!   since it started playing (its anchor). When it falls behind by more than [`MAX_LAG_MS`]
//!   of wall time (a slow machine, the fastest speed), the anchor moves up: what cannot be
//!   caught up is dropped, and the effective speed reported is what was reached.
//! - **Frames at most [`FRAME_INTERVAL_MS`] apart** while the run moves
//!   ([`PROGRESS_FRAME_INTERVAL_MS`] behind a progress bar), and one at once after every
//!   request, with the notes (the message bar's outcome) that request produced. A frame
//!   carries the timeline's requests since the frame before (see [`crate::frame::FrameFold`]),
//!   never the whole trace.
//! - **Replays are the same however they are sliced**: the ticks call the session's and
//!   [`crate::app::go_to`]'s sliced steps, which stop where a run in one piece stops.

use super::keyframe::KeyframeClock;
use super::protocol::{Note, OffPolicy, Reply, RunStatus};
use crate::app::{commands, go_to, Action};
use crate::chapter_play::{self, BeatStop};
use crate::command::Command;
use crate::compare::OpeFigures;
use crate::format;
use crate::frame::OperationDetail;
use crate::frame::{Frame, InForce, Panels, Wanted};
use crate::ope::{OpeCache, OpeResult};
use crate::pacer::SliceSizer;
use crate::session::{Milestone, Session};
use crate::timeline::{brief_line, operation_line};
use std::rc::Rc;
use strata_lab::Scenario;
use strata_sim::{SimDuration, SimTime};

/// Frames are posted at most this often while the run moves (30 a second).
pub const FRAME_INTERVAL_MS: f64 = 1000.0 / 30.0;
/// Behind a progress bar (a run to the end or to a moment ahead, a re-simulation) the page
/// shows progress rather than animation: frames at most this often (10 a second), and the
/// wall time a frame costs goes to the run.
pub const PROGRESS_FRAME_INTERVAL_MS: f64 = 100.0;
/// While playing, the most wall time the run may lag behind its speed before the lag is
/// dropped rather than caught up.
pub const MAX_LAG_MS: f64 = 250.0;
/// While playing and on time, how long to wait before simulating the next stretch.
pub const IDLE_TICK_MS: f64 = 8.0;

/// What the run is doing between requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Motion {
    Still,
    /// Simulated time follows wall time at `speed`.
    Play {
        speed: f64,
    },
    /// As fast as it goes, to the end of the run (progress bar, Cancel).
    ToEnd,
    /// As fast as it goes, to a moment ahead (progress bar, Cancel).
    GoTo {
        from: SimTime,
        to: SimTime,
    },
    /// To a chapter beat's stop, an audience watching.
    Beat(BeatStop),
}

/// What the page asks of the run on show.
#[derive(Clone, Debug, PartialEq)]
pub enum RunRequest {
    /// Starts `scenario` (JSON) from time zero, replacing the run; with `at_ms`, re-simulates
    /// to that moment (a share link's). `note` is the message to show once it started.
    Start {
        scenario: String,
        at_ms: Option<u64>,
        note: Option<Note>,
    },
    /// Plays at `speed` (simulated over wall time), or stops playing.
    Pace { playing: bool, speed: f64 },
    /// Processes one event (and stops playing).
    Step,
    /// Goes to a moment: ahead of the run, simulated forward; at or behind it, re-simulated.
    GoTo { at_ms: u64 },
    /// Runs to the end.
    ToEnd,
    /// Stops a rebuild (the run stays), or a run forward where it got to.
    Cancel,
    /// A panel's command (a live change, a fault, a removal, recommender settings, a load).
    Command(Box<Command>),
    /// The panels the open tab draws.
    Want(Panels),
    /// Re-simulates the scenario on show to `events` processed, then the clock at `at_ns` (a
    /// chapter's previous beat).
    Rebuild { events: u64, at_ns: u64 },
    /// Plays to a chapter beat's stop (or stops doing so, with `None`).
    Beat(Option<BeatStop>),
    /// The side-by-side panel's figures (label, path) each frame carries; none without it.
    Figures(Vec<(String, String)>),
}

mod restore;
pub use restore::PageState;

/// When the host wants its next tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Nothing to do until a request comes.
    Idle,
    /// As soon as the messages waiting have been read.
    Soon,
    /// After this much wall time.
    After(f64),
}

/// The run on show and what it is doing.
pub struct RunHost {
    session: Session,
    motion: Motion,
    panels: Panels,
    /// The run and the last trace event the page's timeline holds the requests up to.
    timeline_after: Option<(u64, u64)>,
    slices: SliceSizer,
    /// While playing: the wall time and the simulated time the speed counts from.
    anchor: Option<(f64, SimTime)>,
    /// When the last tick ended (while the motion stays the same).
    last_tick_ms: Option<f64>,
    /// When the last frame was posted, and what was played and spent since.
    last_frame_ms: Option<f64>,
    played_sim_ms: f64,
    played_wall_ms: f64,
    work_ms: f64,
    effective_speed: f64,
    /// Notes waiting for the next frame; a frame is due at once when there are any.
    notes: Vec<Note>,
    frame_due: bool,
    /// Requests handled: a frame tells the page which of its requests it reflects.
    requests: u64,
    /// The side-by-side panel's paths, and the off-policy figures read for them.
    figure_paths: Vec<(String, String)>,
    ope_figures: OpeFigures,
    /// The recommender tab's off-policy evaluation, refreshed at most once a second while
    /// the tab is open, and the result last sent.
    ope: OpeCache,
    ope_sent: Option<(Option<Rc<OpeResult>>, Option<String>)>,
    /// When the worker's next keyframe is due, and the run's generation.
    keyframes: KeyframeClock,
    /// Whether the motion is a go-to back served by a keyframe: a Cancel then takes the run
    /// back to before it (`worker.js` kept that memory). Any change of motion clears it.
    back_from_keyframe: bool,
    /// The scenario and settings in force the frames carry, shared until they change.
    in_force: InForce,
}

impl RunHost {
    pub fn new(scenario: Scenario) -> Result<RunHost, strata_lab::LabError> {
        Ok(RunHost {
            session: Session::new(scenario)?,
            motion: Motion::Still,
            panels: Panels::Storage,
            timeline_after: None,
            slices: SliceSizer::default(),
            anchor: None,
            last_tick_ms: None,
            last_frame_ms: None,
            played_sim_ms: 0.0,
            played_wall_ms: 0.0,
            work_ms: 0.0,
            effective_speed: 0.0,
            notes: Vec::new(),
            frame_due: true,
            requests: 0,
            figure_paths: Vec::new(),
            ope_figures: OpeFigures::default(),
            ope: OpeCache::default(),
            ope_sent: None,
            keyframes: KeyframeClock::default(),
            back_from_keyframe: false,
            in_force: InForce::default(),
        })
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn motion(&self) -> Motion {
        self.motion
    }

    fn say(&mut self, text: String, error: bool) {
        self.notes.push(Note::Say { text, error });
    }

    fn set_motion(&mut self, motion: Motion) {
        if self.motion != motion {
            self.motion = motion;
            self.back_from_keyframe = false;
            self.anchor = None;
            self.last_tick_ms = None;
        }
    }

    /// Applies `request` at `now_ms` (wall time). A frame is due after every request.
    pub fn handle(&mut self, request: RunRequest, now_ms: f64) {
        self.frame_due = true;
        self.requests += 1;
        match request {
            RunRequest::Start {
                scenario,
                at_ms,
                note,
            } => {
                self.start(&scenario, at_ms, note);
                self.keyframes.changed(SimTime::ZERO);
            }
            RunRequest::Pace { playing, speed } => {
                let motion = if playing && !self.session.lab().finished() {
                    Motion::Play { speed }
                } else {
                    Motion::Still
                };
                self.set_motion(motion);
                if playing {
                    self.anchor = Some((now_ms, self.session.now()));
                }
            }
            RunRequest::Step => {
                self.set_motion(Motion::Still);
                match self.session.step() {
                    Ok(progress) if progress.events_processed == 0 => self.say(
                        "Nothing left to simulate: the run is over.".to_string(),
                        false,
                    ),
                    Ok(_) => {}
                    Err(e) => self.say(format!("The simulation stopped: {e}"), true),
                }
            }
            RunRequest::GoTo { at_ms } => {
                let to = SimTime::from_millis(at_ms);
                let now = self.session.now();
                if to > now {
                    self.set_motion(Motion::GoTo { from: now, to });
                } else {
                    self.set_motion(Motion::Still);
                    if let Err(e) = self.session.seek(to) {
                        self.say(format!("Could not go back: {e}"), true);
                    }
                }
            }
            RunRequest::ToEnd => self.set_motion(Motion::ToEnd),
            RunRequest::Cancel => self.cancel(),
            RunRequest::Command(command) => {
                // Any command may change the run (even a refused one is counted, to be safe).
                self.keyframes.changed(self.session.now());
                let (action, rebuilding) = commands::apply(&mut self.session, *command);
                if let Some(Action::Message(message)) = action {
                    self.notes.push(match message {
                        Some(m) => Note::Say {
                            text: m.text,
                            error: m.error,
                        },
                        None => Note::Clear,
                    });
                }
                if rebuilding && matches!(self.motion, Motion::GoTo { .. }) {
                    // A re-simulation replaces the run a run forward was moving.
                    self.set_motion(Motion::Still);
                }
            }
            RunRequest::Want(panels) => self.panels = panels,
            RunRequest::Figures(paths) => self.figure_paths = paths,
            RunRequest::Beat(stop) => {
                self.set_motion(stop.map_or(Motion::Still, Motion::Beat));
            }
            RunRequest::Rebuild { events, at_ns } => {
                let target = Milestone {
                    events,
                    at: SimTime::from_nanos(at_ns),
                };
                let scenario = self.session.scenario().clone();
                if let Err(e) = self.session.begin_rebuild(scenario, target) {
                    self.say(format!("Going back failed: {e}"), true);
                }
            }
        }
    }

    fn start(&mut self, json: &str, at_ms: Option<u64>, note: Option<Note>) {
        let started = Scenario::from_json(json)
            .map_err(|e| e.to_string())
            .and_then(|scenario| {
                self.session
                    .restart(scenario.clone())
                    .map_err(|e| e.to_string())?;
                if let Some(ms) = at_ms {
                    self.session
                        .begin_rebuild(scenario, Milestone::time(SimTime::from_millis(ms)))
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            });
        self.set_motion(Motion::Still);
        match started {
            // A push, not `extend` of the `Option`: that was an instance of its own.
            Ok(()) => {
                if let Some(note) = note {
                    self.notes.push(note);
                }
            }
            Err(e) => self.say(
                format!("That scenario could not start ({e}); the run goes on unchanged."),
                true,
            ),
        }
    }

    fn cancel(&mut self) {
        if self.session.rebuilding() {
            self.session.cancel_rebuild();
            self.say_back_cancelled();
            return;
        }
        if !matches!(self.motion, Motion::ToEnd | Motion::GoTo { .. }) {
            return;
        }
        self.set_motion(Motion::Still);
        match go_to::stop(&mut self.session) {
            Ok(at) if self.session.lab().finished() => self.say(
                format!(
                    "The run finished at {}: final trace hash {}.",
                    format::sim_time(at),
                    self.session.lab().trace_hash_hex()
                ),
                false,
            ),
            Ok(at) => self.say(
                format!(
                    "Stopped at {}; the run goes on from here (trace hash {}, as a run to that moment).",
                    format::sim_time(at),
                    self.session.lab().trace().hash_hex()
                ),
                false,
            ),
            Err(e) => self.say(format!("The simulation stopped: {e}"), true),
        }
    }

    /// A go-to back cancelled: the run stays where it was, whether it was being re-simulated
    /// from the start or forward from a keyframe (then taken back to before the go-to).
    fn say_back_cancelled(&mut self) {
        self.notes.push(Note::RebuildCancelled);
        self.say(
            "Re-simulation cancelled; the run stays where it was.".to_string(),
            false,
        );
    }

    /// Whether the host has work for a tick (a rebuild, or a motion).
    fn busy(&self) -> bool {
        self.session.rebuilding() || self.motion != Motion::Still
    }

    /// Simulates for as long as `more_time` allows (reading the wall clock through `clock`),
    /// then returns the frame due, if any, and when to tick next.
    pub fn tick(&mut self, clock: &mut dyn FnMut() -> f64, slice_ms: f64) -> (Option<Reply>, Next) {
        let start = clock();
        let played_from = self.session.now();
        let mut next = Next::Idle;
        if self.session.rebuilding() {
            next = Next::Soon;
            self.rebuild_slices(clock, start, slice_ms);
        } else {
            match self.motion {
                Motion::Still => {}
                Motion::Play { speed } => next = self.play(clock, start, slice_ms, speed),
                Motion::ToEnd => {
                    next = Next::Soon;
                    self.run_to_end_slices(clock, start, slice_ms);
                }
                Motion::GoTo { to, .. } => {
                    next = Next::Soon;
                    self.go_to_slices(clock, start, slice_ms, to);
                }
                Motion::Beat(stop) => {
                    next = Next::Soon;
                    self.beat_slices(clock, start, slice_ms, stop);
                }
            }
        }
        let end = clock();
        self.work_ms += end - start;
        if matches!(self.motion, Motion::Play { .. }) {
            self.played_sim_ms += self
                .session
                .now()
                .saturating_since(played_from)
                .as_millis_f64();
            self.played_wall_ms += end - self.last_tick_ms.unwrap_or(start);
            self.last_tick_ms = Some(end);
        }
        if !self.busy() {
            next = Next::Idle;
        }
        let interval_ms = self.frame_interval_ms();
        let due = self.frame_due
            || !self.notes.is_empty()
            || self
                .last_frame_ms
                .is_none_or(|last| end - last >= interval_ms - 1.0);
        let frame = (due && (self.frame_due || self.busy() || !self.notes.is_empty()))
            .then(|| self.frame(end));
        if let (Next::After(wait), Some(last)) = (next, self.last_frame_ms) {
            // Wake for the next frame at the latest.
            next = Next::After(wait.min((last + interval_ms - end).max(0.0)));
        }
        (frame, next)
    }

    /// How far apart frames are while the run moves as it does now.
    fn frame_interval_ms(&self) -> f64 {
        if self.session.rebuilding() || matches!(self.motion, Motion::ToEnd | Motion::GoTo { .. }) {
            PROGRESS_FRAME_INTERVAL_MS
        } else {
            FRAME_INTERVAL_MS
        }
    }

    /// Runs `slice(max_events) -> (events, done)` until done or the slice of wall time is
    /// spent, each time for about a millisecond of events.
    fn sliced(
        slices: &mut SliceSizer,
        clock: &mut dyn FnMut() -> f64,
        start: f64,
        slice_ms: f64,
        mut slice: impl FnMut(u64) -> (u64, bool),
    ) {
        loop {
            let before = clock();
            let (events, done) = slice(slices.events(slice_ms - (before - start)));
            let after = clock();
            slices.observe(events, after - before);
            if done || after - start >= slice_ms {
                break;
            }
        }
    }

    fn rebuild_slices(&mut self, clock: &mut dyn FnMut() -> f64, start: f64, slice_ms: f64) {
        let session = &mut self.session;
        let notes = &mut self.notes;
        Self::sliced(
            &mut self.slices,
            clock,
            start,
            slice_ms,
            |events| match session.work(events) {
                Ok(worked) if worked.finished => {
                    notes.push(Note::Rebuilt);
                    (worked.events, true)
                }
                Ok(worked) => (worked.events, false),
                Err(e) => {
                    session.cancel_rebuild();
                    notes.push(Note::RebuildCancelled);
                    notes.push(Note::Say {
                        text: format!("Re-simulating stopped: {e}"),
                        error: true,
                    });
                    (0, true)
                }
            },
        );
    }

    fn play(
        &mut self,
        clock: &mut dyn FnMut() -> f64,
        start: f64,
        slice_ms: f64,
        speed: f64,
    ) -> Next {
        let (anchor_ms, anchor_at) = *self.anchor.get_or_insert((start, self.session.now()));
        let mut due =
            anchor_at + SimDuration::from_millis_f64((start - anchor_ms).max(0.0) * speed);
        let lag_ms = due.saturating_since(self.session.now()).as_millis_f64() / speed;
        if lag_ms > MAX_LAG_MS {
            // Too far behind to catch up: count from here, a little behind.
            let behind = SimDuration::from_millis_f64(MAX_LAG_MS * speed);
            due = self.session.now() + behind;
            self.anchor = Some((start - MAX_LAG_MS, self.session.now()));
        }
        let mut failed = None;
        let session = &mut self.session;
        Self::sliced(
            &mut self.slices,
            clock,
            start,
            slice_ms,
            |events| match session.advance_until(due, events) {
                Ok(progress) => (
                    progress.events_processed,
                    progress.events_processed < events || progress.now >= due,
                ),
                Err(e) => {
                    failed = Some(e);
                    (0, true)
                }
            },
        );
        if let Some(e) = failed {
            self.set_motion(Motion::Still);
            self.say(format!("The simulation stopped: {e}"), true);
            return Next::Idle;
        }
        if self.session.lab().finished() {
            self.set_motion(Motion::Still);
            self.say(
                format!(
                    "The run finished at {}: final trace hash {}.",
                    format::sim_time(self.session.now()),
                    self.session.lab().trace_hash_hex()
                ),
                false,
            );
            return Next::Idle;
        }
        if self.session.now() >= due {
            Next::After(IDLE_TICK_MS)
        } else {
            Next::Soon
        }
    }

    fn run_to_end_slices(&mut self, clock: &mut dyn FnMut() -> f64, start: f64, slice_ms: f64) {
        let mut outcome = None;
        let session = &mut self.session;
        Self::sliced(
            &mut self.slices,
            clock,
            start,
            slice_ms,
            |events| match go_to::toward_end(session, events) {
                Ok(slice) if slice.finished => {
                    outcome = Some(Ok(()));
                    (slice.events, true)
                }
                Ok(slice) => (slice.events, false),
                Err(e) => {
                    outcome = Some(Err(e));
                    (0, true)
                }
            },
        );
        match outcome {
            None => {}
            Some(Ok(())) => {
                self.set_motion(Motion::Still);
                self.say(
                    format!(
                        "The run finished at {}: final trace hash {}.",
                        format::sim_time(self.session.now()),
                        self.session.lab().trace_hash_hex()
                    ),
                    false,
                );
            }
            Some(Err(e)) => {
                self.set_motion(Motion::Still);
                self.say(format!("The simulation stopped: {e}"), true);
            }
        }
    }

    fn go_to_slices(
        &mut self,
        clock: &mut dyn FnMut() -> f64,
        start: f64,
        slice_ms: f64,
        to: SimTime,
    ) {
        let mut outcome = None;
        let session = &mut self.session;
        Self::sliced(&mut self.slices, clock, start, slice_ms, |events| {
            let before = session.lab().events_processed();
            match go_to::forward(session, to, events) {
                Ok(done) => {
                    if done {
                        outcome = Some(Ok(()));
                    }
                    (
                        session.lab().events_processed().saturating_sub(before),
                        done,
                    )
                }
                Err(e) => {
                    outcome = Some(Err(e));
                    (0, true)
                }
            }
        });
        match outcome {
            None => {}
            Some(Ok(())) => {
                self.set_motion(Motion::Still);
                let now = self.session.now();
                let text = if now >= to {
                    format!("Simulated forward to {}.", format::sim_time(now))
                } else {
                    format!(
                        "The run finished at {}, before {}.",
                        format::sim_time(now),
                        format::sim_time(to)
                    )
                };
                self.say(text, false);
            }
            Some(Err(e)) => {
                self.set_motion(Motion::Still);
                self.say(format!("The simulation stopped: {e}"), true);
            }
        }
    }

    fn beat_slices(
        &mut self,
        clock: &mut dyn FnMut() -> f64,
        start: f64,
        slice_ms: f64,
        stop: BeatStop,
    ) {
        let mut outcome = None;
        let session = &mut self.session;
        Self::sliced(&mut self.slices, clock, start, slice_ms, |events| {
            let before = session.lab().events_processed();
            let result = chapter_play::play_toward(session, stop, events);
            let done = session.lab().events_processed().saturating_sub(before);
            match result {
                Ok(true) => {
                    outcome = Some(Ok(()));
                    (done, true)
                }
                Ok(false) => (done, false),
                Err(e) => {
                    outcome = Some(Err(e));
                    (0, true)
                }
            }
        });
        match outcome {
            None => {}
            Some(Ok(())) => {
                self.set_motion(Motion::Still);
                self.notes.push(Note::BeatReached);
            }
            Some(Err(e)) => {
                self.set_motion(Motion::Still);
                self.say(format!("The simulation stopped: {e}"), true);
            }
        }
    }

    /// Client operation `number` and the requests it waited for, while the explain fold
    /// still holds it.
    pub fn operation(&self, number: u64) -> Option<OperationDetail> {
        let explainer = self.session.lab().explainer();
        let op = explainer
            .slowest()
            .iter()
            .find(|op| op.number == number)
            .or_else(|| explainer.operation(number))?;
        // Pushed by a loop: a `map` and `collect` was an instance of its own.
        let mut requests = Vec::new();
        for request in &op.requests {
            requests.push(brief_line(request));
        }
        Some(OperationDetail {
            line: operation_line(op),
            waited_for: op.waited_for,
            requests,
        })
    }

    /// The off-policy evaluation, when the recommender tab is open and it changed since the
    /// last frame.
    fn off_policy(&mut self, now_ms: f64) -> Option<Box<OffPolicy>> {
        if self.panels != Panels::Recommender {
            self.ope_sent = None;
            return None;
        }
        self.ope.refresh(&self.session, now_ms);
        let current = (self.ope.result.clone(), self.ope.error.clone());
        let same = self.ope_sent.as_ref().is_some_and(|(result, error)| {
            *error == current.1
                && match (result, &current.0) {
                    (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                    (None, None) => true,
                    _ => false,
                }
        });
        if same {
            return None;
        }
        self.ope_sent = Some(current.clone());
        Some(Box::new(OffPolicy {
            result: current.0.map(|result| (*result).clone()),
            error: current.1,
        }))
    }

    /// The frame of the run as it stands, with the status and the notes since the last one.
    pub fn frame(&mut self, now_ms: f64) -> Reply {
        let frame = Frame::build(
            &self.session,
            &Wanted {
                panels: self.panels,
                timeline_after: self.timeline_after,
            },
            &mut self.in_force,
        );
        let mut frame = frame;
        if !self.figure_paths.is_empty() {
            frame.figures = crate::compare::figures_of(
                self.session.lab(),
                &self.session.observed().impressions,
                &mut self.ope_figures,
                &self.figure_paths,
            );
        }
        if let Some(storage) = &frame.storage {
            self.timeline_after = storage
                .timeline
                .up_to
                .checked_sub(1)
                .map(|seq| (frame.run, seq));
        }
        if self.played_wall_ms > 0.0 {
            self.effective_speed = self.played_sim_ms / self.played_wall_ms;
        }
        let status = RunStatus {
            motion: self.motion,
            effective_speed: self.effective_speed,
            work_ms: self.work_ms,
            wall_ms: self.last_frame_ms.map_or(0.0, |last| now_ms - last),
            requests: self.requests,
        };
        self.last_frame_ms = Some(now_ms);
        self.played_sim_ms = 0.0;
        self.played_wall_ms = 0.0;
        self.work_ms = 0.0;
        self.frame_due = false;
        Reply::Frame {
            frame: Box::new(frame),
            status,
            notes: std::mem::take(&mut self.notes),
            ope: self.off_policy(now_ms),
        }
    }
}
