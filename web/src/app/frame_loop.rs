//! The animation-frame loop that drives the session.
//!
//! Each frame advances simulated time by `speed × wall time since the last frame`, in slices
//! of about a millisecond each (a [`SliceSizer`] learns what an event costs, so a slow machine
//! gets smaller slices), until the target is reached or the frame's simulating budget is
//! spent (the [`Pacer`] steers it from the frame intervals, so frames stay on time); when the
//! simulation cannot keep up, the effective speed shown drops below the requested one instead
//! of the page stuttering. The same loop runs rebuilds (scrubbing, fault injection,
//! recommender changes), "run to the end", "go to" a moment ahead and a chapter's run to its
//! next beat in the same slices, with a progress bar, so a click during any of them is
//! handled within a frame or two; a chapter's beat counter follows plain
//! Play and "go to" past a beat's stop. The views
//! are redrawn at most every [`REDRAW_INTERVAL_MS`]; the frames in between only simulate.
//!
//! With a side-by-side variant open, after each frame the page asks the worker to bring it to
//! the same simulated time ([`compare_panel::follow`]); while the run is rebuilt, the worker
//! replays it toward the same target. When the worker could not start, those requests are
//! answered on the main thread, so the run on show then gets half of each frame's budget.
//!
//! The effect that owns the frame handle cancels it when it is torn down, so the loop runs
//! exactly while the page plays, runs to the end or rebuilds.

use super::chapter::{self, SharedChapters};
use super::compare_panel;
use super::go_to::{self, GoTo};
use super::{error, info, wall_ms, Action, SharedSession, UiState};
use crate::chapter_play::{self, BeatStop};
use crate::format;
use crate::pacer::{Pacer, SliceSizer};
use crate::session::Session;
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use strata_sim::SimDuration;
use yew::prelude::*;

/// While the simulation runs, the views are redrawn at most this often (30 a second): drawing
/// (Yew's diff, then the browser's style, layout and paint of the SVG) costs more than
/// simulating, so frames in between go to the simulation and stay short.
pub const REDRAW_INTERVAL_MS: f64 = 1000.0 / 30.0;
/// A frame longer than this (a background tab, a debugger pause) is not caught up.
pub const MAX_FRAME_MS: f64 = 100.0;
/// While the run goes as fast as it can behind a progress bar (to the end, to a moment ahead,
/// or re-simulated), nothing on show needs a smooth frame rate: each frame simulates for this
/// long, and the views redraw every [`FAST_REDRAW_INTERVAL_MS`]. A click waits at most one
/// such frame before it is handled and drawn, well within a tenth of a second.
pub const FAST_FRAME_BUDGET_MS: f64 = 20.0;
/// How often the views redraw during those runs (the progress bar with them).
pub const FAST_REDRAW_INTERVAL_MS: f64 = 100.0;

/// What one frame of the loop does.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Idle,
    Play {
        speed: f64,
    },
    ToEnd,
    /// As fast as the budget allows, to a chapter beat's stop.
    Beat(BeatStop),
    /// As fast as the budget allows, to a moment ahead.
    GoTo(GoTo),
}

impl Mode {
    /// Whether the run goes behind a progress bar, with frames paced for speed rather than
    /// smoothness (a rebuild is too, whatever the mode). A chapter's run to its beat is not:
    /// an audience watches its figures move.
    fn behind_progress_bar(self) -> bool {
        matches!(self, Mode::ToEnd | Mode::GoTo(_))
    }
}

/// A run forward that *Cancel* stops where it got to: "go to" a moment ahead, or the end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FastRun {
    GoTo(GoTo),
    ToEnd,
}

/// What one frame did: simulated time gained (while playing) and wall time spent on it.
struct FrameWork {
    played_ms: Option<f64>,
    work_ms: f64,
}

/// Runs `slice` again and again, each time for as many events as `slices` expects to fit in
/// about a millisecond of what is left of `budget_ms` (counted from `start_ms`), until it says
/// it is done or the budget is spent. `slice(max_events)` returns the events it processed and
/// whether it is done; their wall time teaches `slices` what an event costs. At least one
/// slice runs, so the work always moves.
fn sliced(
    slices: &mut SliceSizer,
    start_ms: f64,
    budget_ms: f64,
    mut slice: impl FnMut(u64) -> (u64, bool),
) {
    loop {
        let before = wall_ms();
        let (events, done) = slice(slices.events(budget_ms - (before - start_ms)));
        let after = wall_ms();
        slices.observe(events, after - before);
        if done || after - start_ms >= budget_ms {
            break;
        }
    }
}

/// Events the lab processed since it had processed `before`.
fn since(session: &Session, before: u64) -> u64 {
    session.lab().events_processed().saturating_sub(before)
}

#[allow(clippy::too_many_arguments)]
fn run_frame(
    session: &Rc<RefCell<Session>>,
    chapters: &SharedChapters,
    dispatcher: &UseReducerDispatcher<UiState>,
    slices: &mut SliceSizer,
    mode: Mode,
    live_run: Option<FastRun>,
    wall_dt_ms: f64,
    budget_ms: f64,
) -> FrameWork {
    let start = wall_ms();
    let mut session = session.borrow_mut();
    let session = &mut *session;
    let mut played = None;
    // With a variant beside it, the run on show gets half the frame and the variant the rest.
    let comparing = compare_panel::shares_frame(chapters);
    let budget_ms = if comparing {
        budget_ms / 2.0
    } else {
        budget_ms
    };
    if session.rebuilding() {
        sliced(slices, start, budget_ms, |events| {
            match session.work(events) {
                Ok(worked) if worked.finished => {
                    chapter::rebuilt(session, chapters, dispatcher);
                    dispatcher.dispatch(Action::Rebuilding(false));
                    (worked.events, true)
                }
                Ok(worked) => (worked.events, false),
                Err(e) => {
                    session.cancel_rebuild();
                    chapter::rebuild_cancelled(chapters);
                    dispatcher.dispatch(Action::Rebuilding(false));
                    dispatcher.dispatch(error(format!("Re-simulating stopped: {e}")));
                    (0, true)
                }
            }
        });
    } else {
        match mode {
            Mode::Idle => {}
            Mode::Beat(stop) => sliced(slices, start, budget_ms, |events| {
                let before = session.lab().events_processed();
                match chapter_play::play_toward(session, stop, events) {
                    Ok(true) => {
                        chapter::beat_reached(session, chapters, dispatcher);
                        (since(session, before), true)
                    }
                    Ok(false) => (since(session, before), false),
                    Err(e) => {
                        dispatcher.dispatch(Action::BeatRun(None));
                        dispatcher.dispatch(error(format!("The simulation stopped: {e}")));
                        (0, true)
                    }
                }
            }),
            // Cancelled since this frame was scheduled: the run stays where Cancel stopped it.
            Mode::GoTo(go) if live_run != Some(FastRun::GoTo(go)) => {}
            Mode::ToEnd if live_run != Some(FastRun::ToEnd) => {}
            Mode::GoTo(go) => {
                sliced(slices, start, budget_ms, |events| {
                    let before = session.lab().events_processed();
                    match go_to::forward(session, go.to, events) {
                        Ok(true) => {
                            dispatcher.dispatch(Action::GoTo(None));
                            let text = if session.now() >= go.to {
                                format!("Simulated forward to {}.", format::sim_time(session.now()))
                            } else {
                                format!(
                                    "The run finished at {}, before {}.",
                                    format::sim_time(session.now()),
                                    format::sim_time(go.to)
                                )
                            };
                            dispatcher.dispatch(info(text));
                            (since(session, before), true)
                        }
                        Ok(false) => (since(session, before), false),
                        Err(e) => {
                            dispatcher.dispatch(Action::GoTo(None));
                            dispatcher.dispatch(error(format!("The simulation stopped: {e}")));
                            (0, true)
                        }
                    }
                });
                chapter::played(session, chapters, dispatcher);
            }
            Mode::ToEnd => sliced(slices, start, budget_ms, |events| {
                match go_to::toward_end(session, events) {
                    Ok(slice) if slice.finished => {
                        dispatcher.dispatch(Action::ToEnd(false));
                        dispatcher.dispatch(info(format!(
                            "The run finished at {}: final trace hash {}.",
                            format::sim_time(session.now()),
                            session.lab().trace_hash_hex()
                        )));
                        (slice.events, true)
                    }
                    Ok(slice) => (slice.events, false),
                    Err(e) => {
                        dispatcher.dispatch(Action::ToEnd(false));
                        dispatcher.dispatch(error(format!("The simulation stopped: {e}")));
                        (0, true)
                    }
                }
            }),
            Mode::Play { speed } => {
                let before = session.now();
                let target = before + SimDuration::from_millis_f64(wall_dt_ms * speed);
                sliced(slices, start, budget_ms, |events| {
                    match session.advance_until(target, events) {
                        Ok(progress) => (
                            progress.events_processed,
                            progress.events_processed < events || progress.now >= target,
                        ),
                        Err(e) => {
                            dispatcher.dispatch(Action::Pause);
                            dispatcher.dispatch(error(format!("The simulation stopped: {e}")));
                            (0, true)
                        }
                    }
                });
                played = Some(session.now().saturating_since(before).as_millis_f64());
                chapter::played(session, chapters, dispatcher);
                if session.lab().finished() {
                    dispatcher.dispatch(Action::Pause);
                    dispatcher.dispatch(info(format!(
                        "The run finished at {}: final trace hash {}.",
                        format::sim_time(session.now()),
                        session.lab().trace_hash_hex()
                    )));
                }
            }
        }
    }
    // Wherever the run went this frame, the variant goes too (the rest of the frame's budget).
    compare_panel::follow(session, chapters, dispatcher);
    FrameWork {
        played_ms: played,
        work_ms: wall_ms() - start,
    }
}

/// Frames since the views were last redrawn: when that was, and the simulated and wall time
/// played meanwhile (for the effective speed shown).
#[derive(Default)]
struct Redraw {
    last_ms: Option<f64>,
    played_sim_ms: f64,
    played_wall_ms: f64,
}

/// What the frame loop steers its budget by: the pacer, how long drawing takes and what an
/// event costs; and the run forward in progress as it is now (see [`LiveRun`]).
#[derive(Clone)]
struct Pacing {
    pacer: Rc<RefCell<Pacer>>,
    slices: Rc<RefCell<SliceSizer>>,
    render_ms: Rc<RefCell<f64>>,
    redraw: Rc<RefCell<Redraw>>,
    live_run: LiveRun,
}

/// The run forward ("go to", or to the end) in progress, shared by the frame loop and
/// *Cancel*. The loop's mode is fixed when its frames are scheduled, and a frame already
/// requested may run after a cancel and before the page re-renders; Cancel clears this at
/// once, so that frame leaves the run where Cancel stopped it, at a whole millisecond.
pub type LiveRun = Rc<RefCell<Option<FastRun>>>;

fn schedule_frame(
    slot: Rc<RefCell<Option<AnimationFrame>>>,
    session: Rc<RefCell<Session>>,
    chapters: SharedChapters,
    dispatcher: UseReducerDispatcher<UiState>,
    mode: Mode,
    pacing: Pacing,
    last_timestamp_ms: Option<f64>,
) {
    let next_slot = slot.clone();
    let frame = request_animation_frame(move |timestamp_ms| {
        let interval = last_timestamp_ms.map_or(0.0, |last| timestamp_ms - last);
        let fast = mode.behind_progress_bar() || session.borrow().rebuilding();
        let redraw_interval_ms = if fast {
            FAST_REDRAW_INTERVAL_MS
        } else {
            REDRAW_INTERVAL_MS
        };
        // A little early rather than a whole display period late.
        let due = pacing
            .redraw
            .borrow()
            .last_ms
            .is_none_or(|last| timestamp_ms - last >= redraw_interval_ms - 4.0);
        // A frame that redraws leaves room for drawing; the others may simulate for longer.
        // Frames made long on purpose teach the pacer nothing about the display.
        let budget_ms = if fast {
            FAST_FRAME_BUDGET_MS
        } else {
            let mut pacer = pacing.pacer.borrow_mut();
            pacer.observe(interval);
            pacer.budget_ms(if due { *pacing.render_ms.borrow() } else { 0.0 })
        };
        let dt = interval.clamp(0.0, MAX_FRAME_MS);
        let live_run = *pacing.live_run.borrow();
        let work = run_frame(
            &session,
            &chapters,
            &dispatcher,
            &mut pacing.slices.borrow_mut(),
            mode,
            live_run,
            dt,
            budget_ms,
        );
        if !fast {
            pacing.pacer.borrow_mut().spent(budget_ms, work.work_ms);
        }
        let mut redraw = pacing.redraw.borrow_mut();
        if let Some(sim_ms) = work.played_ms {
            redraw.played_sim_ms += sim_ms;
            redraw.played_wall_ms += dt;
        }
        if due {
            let effective_speed =
                (redraw.played_wall_ms > 0.0).then(|| redraw.played_sim_ms / redraw.played_wall_ms);
            *redraw = Redraw {
                last_ms: Some(timestamp_ms),
                ..Redraw::default()
            };
            dispatcher.dispatch(Action::Frame {
                effective_speed,
                work_ms: work.work_ms,
                budget_ms,
            });
        }
        drop(redraw);
        schedule_frame(
            next_slot,
            session,
            chapters,
            dispatcher,
            mode,
            pacing,
            Some(timestamp_ms),
        );
    });
    *slot.borrow_mut() = Some(frame);
}

/// How long drawing takes (smoothed), measured from the start of the root's render to its
/// effects after the DOM is patched; the frame loop leaves that much of each frame free.
#[hook]
pub fn use_render_clock() -> Rc<RefCell<f64>> {
    let render_ms = use_mut_ref(|| 4.0f64);
    let render_start = wall_ms();
    {
        let render_ms = render_ms.clone();
        use_effect(move || {
            let took = (wall_ms() - render_start).max(0.0);
            let mut smoothed = render_ms.borrow_mut();
            *smoothed = 0.8 * *smoothed + 0.2 * took;
        });
    }
    render_ms
}

/// Runs the frame loop while the page plays, runs to the end or to a beat, or rebuilds; the effect owns
/// the frame handle and drops it (cancelling the frame) when any of those changes.
#[hook]
pub fn use_frame_loop(
    session: &SharedSession,
    chapters: &SharedChapters,
    state: &UseReducerHandle<UiState>,
    render_ms: &Rc<RefCell<f64>>,
    live_run: &LiveRun,
) {
    // The frame budget and the slice sizes outlive play and pause, so what they learned about
    // the display and the machine stays.
    let pacer = use_mut_ref(Pacer::default);
    let slices = use_mut_ref(SliceSizer::default);
    let session = session.0.clone();
    let dispatcher = state.dispatcher();
    let pacing = Pacing {
        pacer,
        slices,
        render_ms: render_ms.clone(),
        redraw: Rc::new(RefCell::new(Redraw::default())),
        live_run: live_run.clone(),
    };
    let chapters = chapters.clone();
    let mode = if let Some(stop) = state.beat_run {
        Mode::Beat(stop)
    } else if let Some(go) = state.go_to {
        Mode::GoTo(go)
    } else if state.to_end {
        Mode::ToEnd
    } else if state.playing {
        Mode::Play {
            speed: format::pow10(state.speed_log10),
        }
    } else {
        Mode::Idle
    };
    let running = state.playing
        || state.to_end
        || state.rebuilding
        || state.beat_run.is_some()
        || state.go_to.is_some();
    use_effect_with((running, mode), move |(running, mode)| {
        *pacing.live_run.borrow_mut() = match mode {
            Mode::GoTo(go) => Some(FastRun::GoTo(*go)),
            Mode::ToEnd => Some(FastRun::ToEnd),
            _ => None,
        };
        let slot: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
        if *running {
            schedule_frame(
                slot.clone(),
                session,
                chapters,
                dispatcher,
                *mode,
                pacing,
                None,
            );
        }
        move || {
            slot.borrow_mut().take();
        }
    });
}
