//! The root component and the state it shares with its parts.
//!
//! The run on show lives in the page's worker ([`crate::worker::run`]): the page holds its
//! last frame ([`run_view::SharedRun`]) and one reducer, [`UiState`], for what is about the
//! page: what the run is doing as the page shows it, the speed, the open tab, the message bar,
//! the frame statistics. [`App`] puts the parts together, each in a module of its own:
//!
//! - [`boot`]: what the page's address asks for, at boot and when a link is pasted, and the
//!   address bar kept in step with the scenario (a refused link stays there);
//! - [`run_view`]: the frames the worker sends, taken in (the timeline folded, the notes
//!   shown), and the requests that move the run;
//! - [`keyboard`]: Space plays or pauses, "." steps one event, → and PageDown play to a
//!   chapter's next beat, ← and PageUp go back one, P enters presenter mode (and there F, the
//!   digits and Esc);
//! - [`present`]: presenter mode (`data-mode="present"` on `<body>`, `&present` in the
//!   address) and full screen;
//! - [`touch`]: on a touch screen, a tap on a figure plays or pauses and a swipe moves a beat;
//! - [`go_to`]: "go to" a moment ahead and the run to the end, simulated forward in slices,
//!   and where a cancel stops (run in the worker);
//! - [`chapter`]: `#chapter=NAME`, the chapter panel above the views and the Chapters tab;
//! - [`commands`]: what a panel's [`Command`] does to the session, and the message it gives
//!   (run in the worker);
//! - [`time_bar`]: play, step, speed, seed, scrubbing, go to, the trace hash, the progress bar
//!   and the message bar;
//! - [`tabs`]: the tab strip and the open tab's view.
//!
//! Parts never touch the run: they send requests through the [`run_view::SharedRun`] and
//! draw its frames.

pub mod boot;
pub mod chapter;
pub mod commands;
pub mod compare_panel;
pub mod go_to;
pub mod keyboard;
pub mod present;
pub mod run_view;
pub mod tabs;
pub mod time_bar;
pub mod touch;

use crate::chapter_play::BeatStop;
use crate::command::Command;
use crate::frame::{Panels, Requests};
use crate::widgets::{container, text_element};
use crate::worker::run::{Motion, RunRequest};
use chapter::SharedChapters;
use gloo::events::EventListener;
use go_to::GoTo;
use run_view::SharedRun;
use std::rc::Rc;
use yew::prelude::*;

/// The slowest and fastest speeds, as powers of ten (0.1× to 10,000×).
pub const SPEED_LOG10_MIN: f64 = -1.0;
pub const SPEED_LOG10_MAX: f64 = 4.0;
/// The two as the speed slider's `min` and `max` attributes, written out rather than formatted
/// at every render (a test checks them against the numbers).
pub const SPEED_LOG10_MIN_TEXT: &str = "-1";
pub const SPEED_LOG10_MAX_TEXT: &str = "4";
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
    /// Wall time the worker spent simulating between its last two frames, and the wall time
    /// between them.
    pub frame_work_ms: f64,
    pub frame_wall_ms: f64,
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
    /// Whether the phone layout's drawer of controls is open.
    pub drawer_open: bool,
    /// Whether the window is narrow enough for the drawings' narrow layout
    /// (`storage::layout`), kept up to date as it is resized.
    pub narrow_window: bool,
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
            frame_wall_ms: 0.0,
            rebuilding,
            to_end: false,
            beat_run: None,
            go_to: None,
            presenting,
            frame: 0,
            drawer_open: false,
            narrow_window: false,
        }
    }
}

pub enum Action {
    /// What the run does, as the page asked it or a frame says.
    Motion(Motion),
    SetSpeedLog10(f64),
    Tab(Tab),
    Message(Option<Message>),
    /// A frame came: what the run does, whether it is re-simulated (unless the frame was sent
    /// before the page's last request), and the frame statistics.
    Frame {
        motion: Motion,
        rebuilding: Option<bool>,
        effective_speed: f64,
        work_ms: f64,
        wall_ms: f64,
    },
    Rebuilding(bool),
    /// Enters or leaves presenter mode.
    Present(bool),
    Redraw,
    /// Opens or closes the phone layout's drawer of controls.
    Drawer(bool),
    /// The window became narrow (or wide) for the drawings' layout.
    NarrowWindow(bool),
}

impl UiState {
    fn show_motion(&mut self, motion: Motion) {
        self.playing = matches!(motion, Motion::Play { .. });
        self.to_end = motion == Motion::ToEnd;
        self.go_to = match motion {
            Motion::GoTo { from, to } => Some(GoTo { from, to }),
            _ => None,
        };
        self.beat_run = match motion {
            Motion::Beat(stop) => Some(stop),
            _ => None,
        };
    }
}

impl Reducible for UiState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Motion(motion) => next.show_motion(motion),
            Action::SetSpeedLog10(value) => {
                next.speed_log10 = value.clamp(SPEED_LOG10_MIN, SPEED_LOG10_MAX)
            }
            Action::Tab(tab) => next.tab = tab,
            Action::Message(message) => next.message = message,
            Action::Frame {
                motion,
                rebuilding,
                effective_speed,
                work_ms,
                wall_ms,
            } => {
                next.show_motion(motion);
                if let Some(rebuilding) = rebuilding {
                    next.rebuilding = rebuilding;
                }
                if next.playing {
                    next.effective_speed = effective_speed;
                }
                next.frame_work_ms = work_ms;
                next.frame_wall_ms = wall_ms;
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
            Action::Present(on) => next.presenting = on,
            Action::Redraw => next.frame += 1,
            Action::Drawer(open) => next.drawer_open = open,
            Action::NarrowWindow(narrow) => next.narrow_window = narrow,
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

/// The panels the open tab draws from the frames.
fn panels_of(tab: Tab) -> Panels {
    match tab {
        Tab::Storage => Panels::Storage,
        Tab::Recommender => Panels::Recommender,
        Tab::Scenario | Tab::Chapters => Panels::None,
    }
}

/// A tab opened (or the first one shown): tells the run what to send, and the Chapters tab
/// lists the index, fetched the first time it opens.
fn tab_opened(
    run: &SharedRun,
    chapters: &SharedChapters,
    tab: Tab,
    dispatcher: UseReducerDispatcher<UiState>,
) {
    run.tell(RunRequest::Want(panels_of(tab)));
    if tab == Tab::Chapters {
        chapter::load_index(chapters, dispatcher);
    }
}

/// The worker's frames taken in, the page's keys, taps and swipes, a link pasted into the
/// address bar and the window's resizing listened for, and the chapter the address names
/// opened: by the root's effect after its first render (`run_view::use_after_render`), before
/// that effect tells the run what the open tab wants sent, so the frames are listened for
/// first; the chapter's opening needs nothing of that (its fetches start after both). Each
/// listener listens for an event of its own, so the order they are added in changes nothing.
/// The listeners are kept while the page is mounted.
fn listen(
    run: &SharedRun,
    chapters: &SharedChapters,
    kept_address: &boot::KeptAddress,
    dispatcher: &UseReducerDispatcher<UiState>,
    on_open_numbered: Callback<usize>,
) -> Vec<EventListener> {
    run_view::listen_for_frames(run.clone(), chapters.clone(), dispatcher.clone());
    let keys = keyboard::listen(
        run.clone(),
        chapters.clone(),
        dispatcher.clone(),
        on_open_numbered,
    );
    let [touch_start, touch_end] = touch::listen(run.clone(), chapters.clone(), dispatcher.clone());
    let links = boot::listen_for_links(
        run.clone(),
        chapters.clone(),
        kept_address.clone(),
        dispatcher.clone(),
    );
    let resizes =
        crate::storage::listen_for_resize(dispatcher.to_callback().reform(Action::NarrowWindow));
    // With the listeners in place, as before: a chapter named in the address opens.
    boot::open_chapter_at_boot(
        run.clone(),
        chapters.clone(),
        kept_address.clone(),
        dispatcher.clone(),
    );
    vec![keys, touch_start, touch_end, links, resizes]
}

#[function_component(App)]
pub fn app() -> Html {
    let booted = boot::use_boot();
    let run = booted.run.clone();
    let state = use_reducer(|| {
        // The drawer and the window's width in the root's reducer too, not a state hook
        // each: every hook call site is code of its own (docs/ui.md, the cuts table).
        UiState {
            narrow_window: crate::storage::window_is_narrow(),
            ..UiState::start(booted.message.clone(), booted.rebuilding, booted.presenting)
        }
    });
    let chapters = booted.chapters.clone();
    let layout = crate::storage::layout(state.narrow_window);
    let import = booted.import.clone();
    let on_open_numbered = {
        let (run, chapters, dispatcher) = (run.clone(), chapters.clone(), state.dispatcher());
        let kept_address = booted.kept_address.clone();
        Callback::from(move |n: usize| {
            chapter::open_numbered(
                n,
                run.clone(),
                chapters.clone(),
                kept_address.clone(),
                dispatcher.clone(),
            );
        })
    };
    let after_render = run_view::use_after_render(
        &run,
        &chapters,
        run_view::Rendered {
            tab: state.tab,
            address: boot::WantedAddress::of(&run, &chapters, state.presenting),
        },
        &booted.kept_address,
        state.dispatcher(),
        on_open_numbered,
    );
    let on_next = {
        let (run, chapters, dispatcher) = (run.clone(), chapters.clone(), state.dispatcher());
        Callback::from(move |()| {
            chapter::next_beat(&run, &chapters, &dispatcher);
        })
    };
    let on_previous = {
        let (run, chapters, dispatcher) = (run.clone(), chapters.clone(), state.dispatcher());
        Callback::from(move |()| {
            chapter::previous_beat(&run, &chapters, &dispatcher);
        })
    };
    let on_open_chapter = {
        let (run, chapters, dispatcher) = (run.clone(), chapters.clone(), state.dispatcher());
        let kept_address = booted.kept_address.clone();
        Callback::from(move |name: String| {
            chapter::navigate_to(
                name,
                run.clone(),
                chapters.clone(),
                kept_address.clone(),
                dispatcher.clone(),
            );
        })
    };
    // Cancel stops a re-simulation (the run stays) or a run forward where it got to; the
    // worker says which with its next frame.
    let on_cancel = {
        let (run, dispatcher) = (run.clone(), state.dispatcher());
        Callback::from(move |()| {
            if run.rebuilding() {
                run.tell(RunRequest::Cancel);
                dispatcher.dispatch(Action::Rebuilding(false));
            } else {
                run.move_to(Motion::Still, RunRequest::Cancel, &dispatcher);
            }
        })
    };
    let on_command = {
        let (run, dispatcher) = (run.clone(), state.dispatcher());
        Callback::from(move |command: Command| match command {
            Command::Refused(text) => dispatcher.dispatch(error(text)),
            Command::Info(text) => dispatcher.dispatch(info(text)),
            command => run.tell(RunRequest::Command(Box::new(command))),
        })
    };
    let render_ms = after_render.borrow().render_ms;
    // Made once and never replaced, so a cell rather than a state hook: the panels redraw on an
    // answer through `Requests::current`, not through a render of the root. The boot cell holds
    // it, not a hook of its own: every hook call is code of its own in the wasm.
    let requests = booted
        .requests
        .borrow_mut()
        .get_or_insert_with(|| Requests::new(run.clone(), state.dispatcher()))
        .current();
    let Some(frame) = run.frame() else {
        return container(
            "header",
            "top",
            html! { <>
                { text_element("h1", "", "Strata".into()) }
                { text_element("span", "tagline", "starting the simulation…".into()) }
            </> },
        );
    };
    let timeline = run.0.borrow().timeline.clone();
    html! {
        <>
        { container("header", "top", html! { <>
            { text_element("h1", "", "Strata".into()) }
            { text_element("span", "tagline", "a diskless LSM on object storage and an adaptive recommender, simulated in your browser".into()) }
        </> }) }
        { time_bar::time_bar(&time_bar::TimeBar { run: run.clone(), frame: frame.clone(), state: state.clone(), on_cancel, children: tabs::tab_strip(&state, render_ms) }) }
        { chapter::chapter_panel(&chapter::ChapterPanel { chapters: chapters.clone(), state: state.clone(), on_next, on_previous }) }
        { compare_panel::compare_panel(&compare_panel::ComparePanel { frame: frame.clone(), chapters: chapters.clone(), state: state.clone() }) }
        <main>{ tabs::tab_body(&tabs::TabBody { frame, timeline, run: run.clone(), requests, chapters, state, on_command, on_open_chapter, layout, import }) }</main>
        </>
    }
}
