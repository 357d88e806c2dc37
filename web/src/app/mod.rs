//! The root component and the state it shares with its parts.
//!
//! The page is one [`Session`] (the scenario and the `Lab` playing it) and one reducer,
//! [`UiState`], for what is about the page rather than the run: playing or paused, the speed,
//! the open tab, the message bar, the frame statistics. [`App`] puts the parts together, each
//! in a module of its own:
//!
//! - [`boot`]: what the page's address asks for, at boot and when a link is pasted, and the
//!   address bar kept in step with the scenario (a refused link stays there);
//! - [`frame_loop`]: the animation-frame loop that advances simulated time within a wall-time
//!   budget, runs rebuilds and "run to the end", and measures how long drawing takes;
//! - [`keyboard`]: Space plays or pauses, "." steps one event, → and PageDown play to a
//!   chapter's next beat, ← and PageUp go back one, P enters presenter mode (and there F, the
//!   digits and Esc);
//! - [`present`]: presenter mode (`data-mode="present"` on `<body>`, `&present` in the
//!   address) and full screen;
//! - [`touch`]: on a touch screen, a tap on a figure plays or pauses and a swipe moves a beat;
//! - [`go_to`]: "go to" a moment ahead and the run to the end, simulated forward in slices,
//!   and where a cancel stops;
//! - [`chapter`]: `#chapter=NAME`, the chapter panel above the views and the Chapters tab;
//! - [`commands`]: what a panel's [`Command`] does to the session, and the message it gives;
//! - [`time_bar`]: play, step, speed, seed, scrubbing, go to, the trace hash, the progress bar
//!   and the message bar;
//! - [`tabs`]: the tab strip and the open tab's view.
//!
//! Parts never own the session: they borrow it through a [`SharedSession`] and report what
//! happened by dispatching an [`Action`].

pub mod boot;
pub mod chapter;
pub mod commands;
pub mod compare_panel;
pub mod frame_loop;
pub mod go_to;
pub mod keyboard;
pub mod present;
pub mod tabs;
pub mod time_bar;
pub mod touch;

use crate::chapter_play::BeatStop;
use crate::command::Command;
use crate::frame::{Frame, FrameFold, FrameRef, Panels, Requests, Wanted};
use crate::session::Session;
use go_to::GoTo;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

pub use frame_loop::{FastRun, MAX_FRAME_MS, REDRAW_INTERVAL_MS};

/// The slowest and fastest speeds, as powers of ten (0.1× to 10,000×).
pub const SPEED_LOG10_MIN: f64 = -1.0;
pub const SPEED_LOG10_MAX: f64 = 4.0;
/// The speed the page starts at, as a power of ten (10×).
pub const SPEED_LOG10_START: f64 = 1.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Storage,
    Recommender,
    Scenario,
    Chapters,
}

/// One line of the message bar: an outcome, or an error that says what was wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

impl Message {
    pub fn error(text: impl Into<String>) -> Self {
        Message {
            text: text.into(),
            error: true,
        }
    }

    pub fn info(text: impl Into<String>) -> Self {
        Message {
            text: text.into(),
            error: false,
        }
    }
}

/// The page's own state (the run's is in the session).
#[derive(Clone, Debug, PartialEq)]
pub struct UiState {
    pub playing: bool,
    pub speed_log10: f64,
    pub tab: Tab,
    pub message: Option<Message>,
    pub effective_speed: f64,
    /// Wall time the last frame spent simulating.
    pub frame_work_ms: f64,
    /// The simulating budget the pacer gave the last frame.
    pub frame_budget_ms: f64,
    pub rebuilding: bool,
    pub to_end: bool,
    /// Playing to a chapter's next beat: where it stops.
    pub beat_run: Option<BeatStop>,
    /// Simulating forward to a moment ahead ("go to").
    pub go_to: Option<GoTo>,
    /// Presenter mode: large type, no controls, the figure that matters on show.
    pub presenting: bool,
    /// Bumped on every frame and command, so the view re-renders from the session.
    pub frame: u64,
}

impl UiState {
    /// The page as it opens: paused at the starting speed on the Storage tab.
    pub fn start(message: Option<Message>, rebuilding: bool, presenting: bool) -> Self {
        UiState {
            playing: false,
            speed_log10: SPEED_LOG10_START,
            tab: Tab::Storage,
            message,
            effective_speed: 0.0,
            frame_work_ms: 0.0,
            frame_budget_ms: 0.0,
            rebuilding,
            to_end: false,
            beat_run: None,
            go_to: None,
            presenting,
            frame: 0,
        }
    }
}

pub enum Action {
    TogglePlay,
    Pause,
    SetSpeedLog10(f64),
    Tab(Tab),
    Message(Option<Message>),
    Frame {
        effective_speed: Option<f64>,
        work_ms: f64,
        budget_ms: f64,
    },
    Rebuilding(bool),
    ToEnd(bool),
    /// Plays to a chapter beat's stop (fast, like a run to the end), or stops doing so.
    BeatRun(Option<BeatStop>),
    /// Simulates forward to a moment ahead (fast, with a progress bar), or stops doing so.
    GoTo(Option<GoTo>),
    /// Enters or leaves presenter mode.
    Present(bool),
    Redraw,
}

impl Reducible for UiState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::TogglePlay => {
                next.playing = !next.playing;
                next.to_end = false;
                next.beat_run = None;
                next.go_to = None;
            }
            Action::Pause => {
                next.playing = false;
                next.beat_run = None;
                next.go_to = None;
            }
            Action::SetSpeedLog10(value) => {
                next.speed_log10 = value.clamp(SPEED_LOG10_MIN, SPEED_LOG10_MAX)
            }
            Action::Tab(tab) => next.tab = tab,
            Action::Message(message) => next.message = message,
            Action::Frame {
                effective_speed,
                work_ms,
                budget_ms,
            } => {
                if let Some(speed) = effective_speed {
                    next.effective_speed = speed;
                }
                next.frame_work_ms = work_ms;
                next.frame_budget_ms = budget_ms;
                next.frame += 1;
            }
            Action::Rebuilding(on) => {
                next.rebuilding = on;
                if on {
                    // A re-simulation replaces the run a run forward was moving.
                    next.go_to = None;
                }
                next.frame += 1;
            }
            Action::ToEnd(on) => {
                next.to_end = on;
                if on {
                    next.playing = false;
                    next.beat_run = None;
                    next.go_to = None;
                }
            }
            Action::BeatRun(stop) => {
                next.beat_run = stop;
                if stop.is_some() {
                    next.playing = false;
                    next.to_end = false;
                    next.go_to = None;
                }
            }
            Action::GoTo(go) => {
                next.go_to = go;
                if go.is_some() {
                    next.playing = false;
                    next.to_end = false;
                    next.beat_run = None;
                }
            }
            Action::Present(on) => next.presenting = on,
            Action::Redraw => next.frame += 1,
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// Shows `text` as an error in the message bar.
pub fn error(text: impl Into<String>) -> Action {
    Action::Message(Some(Message::error(text)))
}

/// Shows `text` as an outcome in the message bar.
pub fn info(text: impl Into<String>) -> Action {
    Action::Message(Some(Message::info(text)))
}

/// The wall clock, in milliseconds since the page opened (0 where there is none).
pub fn wall_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The page's one session, shared by the root and its parts. Two handles are equal when they
/// are the same session, so a part re-renders for its other properties (the [`UiState`],
/// bumped on every frame), never because the session moved.
#[derive(Clone)]
pub struct SharedSession(pub Rc<RefCell<Session>>);

impl PartialEq for SharedSession {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let booted = boot::use_boot();
    let session = booted.session.clone();
    let state = use_reducer(|| {
        UiState::start(
            booted.message.clone(),
            session.0.borrow().rebuilding(),
            booted.presenting,
        )
    });
    let chapters = booted.chapters.clone();
    let render_ms = frame_loop::use_render_clock();
    let live_run: frame_loop::LiveRun = use_mut_ref(|| None);
    frame_loop::use_frame_loop(&session, &chapters, &state, &render_ms, &live_run);
    let on_open_numbered = {
        let (session, chapters, dispatcher) =
            (session.clone(), chapters.clone(), state.dispatcher());
        let kept_address = booted.kept_address.clone();
        Callback::from(move |n: usize| {
            chapter::open_numbered(
                n,
                session.clone(),
                chapters.clone(),
                kept_address.clone(),
                dispatcher.clone(),
            );
        })
    };
    keyboard::use_keyboard(&session, &chapters, state.dispatcher(), on_open_numbered);
    touch::use_touch(&session, &chapters, state.dispatcher());
    present::use_present_mode(state.presenting);
    boot::use_link_listener(
        &session,
        &chapters,
        &booted.kept_address,
        state.dispatcher(),
    );
    boot::use_address_bar(&session, &chapters, &booted.kept_address, state.presenting);
    boot::use_chapter_at_boot(
        &session,
        &chapters,
        &booted.kept_address,
        state.dispatcher(),
    );
    chapter::use_beat_highlight(&chapters);
    let on_next = {
        let (session, chapters, dispatcher) =
            (session.clone(), chapters.clone(), state.dispatcher());
        Callback::from(move |()| {
            chapter::next_beat(&session, &chapters, &dispatcher);
        })
    };
    let on_previous = {
        let (session, chapters, dispatcher) =
            (session.clone(), chapters.clone(), state.dispatcher());
        Callback::from(move |()| {
            chapter::previous_beat(&session, &chapters, &dispatcher);
        })
    };
    let on_open_chapter = {
        let (session, chapters, dispatcher) =
            (session.clone(), chapters.clone(), state.dispatcher());
        let kept_address = booted.kept_address.clone();
        Callback::from(move |name: String| {
            chapter::navigate_to(
                name,
                session.clone(),
                chapters.clone(),
                kept_address.clone(),
                dispatcher.clone(),
            );
        })
    };
    let on_cancel = {
        let (session, chapters, dispatcher) =
            (session.clone(), chapters.clone(), state.dispatcher());
        let live_run = live_run.clone();
        Callback::from(move |()| {
            let going = live_run.borrow_mut().take();
            let mut session = session.0.borrow_mut();
            if session.rebuilding() {
                session.cancel_rebuild();
                chapter::rebuild_cancelled(&chapters);
                dispatcher.dispatch(Action::Rebuilding(false));
                dispatcher.dispatch(info("Re-simulation cancelled; the run stays where it was."));
            } else if let Some(run) = going {
                dispatcher.dispatch(match run {
                    FastRun::GoTo(_) => Action::GoTo(None),
                    FastRun::ToEnd => Action::ToEnd(false),
                });
                match go_to::stop(&mut session) {
                    Ok(at) if session.lab().finished() => dispatcher.dispatch(info(format!(
                        "The run finished at {}: final trace hash {}.",
                        crate::format::sim_time(at),
                        session.lab().trace_hash_hex()
                    ))),
                    Ok(at) => {
                        chapter::played(&session, &chapters, &dispatcher);
                        dispatcher.dispatch(info(format!(
                            "Stopped at {}; the run goes on from here (trace hash {}, as a run to that moment).",
                            crate::format::sim_time(at),
                            session.lab().trace().hash_hex()
                        )));
                    }
                    Err(e) => dispatcher.dispatch(error(format!("The simulation stopped: {e}"))),
                }
            }
            dispatcher.dispatch(Action::Redraw);
        })
    };

    let on_command = {
        let session = session.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |command: Command| {
            let (action, rebuilding) = commands::apply(&mut session.0.borrow_mut(), command);
            if let Some(action) = action {
                dispatcher.dispatch(action);
            }
            if rebuilding {
                dispatcher.dispatch(Action::Rebuilding(true));
            }
            dispatcher.dispatch(Action::Redraw);
        })
    };
    // A step, a reset or a command moved the run outside the frame loop: the variant follows.
    compare_panel::follow(&session.0.borrow(), &chapters, &state.dispatcher());
    let render_ms = *render_ms.borrow();
    // The frame this render draws, and the timeline folded from the frames so far.
    let requests = use_state(|| Requests::new(session.0.clone()));
    let fold = use_mut_ref(FrameFold::default);
    let frame = {
        let wanted = Wanted {
            panels: match state.tab {
                Tab::Storage => Panels::Storage,
                Tab::Recommender => Panels::Recommender,
                Tab::Scenario | Tab::Chapters => Panels::None,
            },
            timeline_after: fold.borrow().timeline_after(),
        };
        FrameRef(Rc::new(Frame::build(&session.0.borrow(), &wanted)))
    };
    let timeline = fold.borrow_mut().absorb(&frame);
    html! {
        <>
        <header class="top">
            <h1>{ "Strata" }</h1>
            <span class="tagline">{ "a diskless LSM on object storage and an adaptive recommender, simulated in your browser" }</span>
        </header>
        <time_bar::TimeBar session={session.clone()} frame={frame.clone()} state={state.clone()} on_cancel={on_cancel}>
            { tabs::tab_strip(&state, render_ms) }
        </time_bar::TimeBar>
        <chapter::ChapterPanel chapters={chapters.clone()} state={state.clone()} on_next={on_next} on_previous={on_previous} />
        <compare_panel::ComparePanel session={session.clone()} chapters={chapters.clone()} state={state.clone()} />
        <main><tabs::TabBody frame={frame} timeline={timeline} requests={(*requests).clone()} chapters={chapters} state={state} on_command={on_command} on_open_chapter={on_open_chapter} /></main>
        </>
    }
}
