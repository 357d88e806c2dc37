//! The root component: the time bar (play, pause, step, speed on a log scale, scrubbing, seed,
//! run to the end, trace hash), the message bar, the tabs, and the animation-frame loop that
//! drives the session.
//!
//! Each frame advances simulated time by `speed × wall time since the last frame`, in slices
//! of [`SLICE_EVENTS`] events, until the target is reached or the frame's simulating budget is
//! spent (the [`Pacer`] steers it from the frame intervals, so frames stay on time); when the
//! simulation cannot keep up, the effective speed shown drops below the requested one instead
//! of the page stuttering. The same loop runs rebuilds (scrubbing,
//! fault injection, recommender changes) and "run to the end" in bounded slices, with a
//! progress bar. The effect that owns the frame handle cancels it when it is torn down.

use crate::chaos::ChaosPanel;
use crate::command::Command;
use crate::controls::ControlsPanel;
use crate::format;
use crate::link::{self, LinkRequest};
use crate::ope::{evaluate, OpeResult, Twin};
use crate::pacer::Pacer;
use crate::recommender::{RecommenderModel, RecommenderView};
use crate::scenario_panel::ScenarioPanel;
use crate::session::{LoggedImpression, Milestone, Session};
use crate::storage::{StorageModel, StorageView};
use crate::widgets::DraftInput;
use gloo::events::EventListener;
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use strata_lab::{LabError, Scenario};
use strata_sim::{SimDuration, SimTime};
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Events processed between two looks at the wall clock.
pub const SLICE_EVENTS: u64 = 25;
/// The slowest and fastest speeds, as powers of ten (0.1× to 10,000×).
pub const SPEED_LOG10_MIN: f64 = -1.0;
pub const SPEED_LOG10_MAX: f64 = 4.0;
/// While the simulation runs, the views are redrawn at most this often (30 a second): drawing
/// (Yew's diff, then the browser's style, layout and paint of the SVG) costs more than
/// simulating, so frames in between go to the simulation and stay short.
pub const REDRAW_INTERVAL_MS: f64 = 1000.0 / 30.0;
/// A frame longer than this (a background tab, a debugger pause) is not caught up.
pub const MAX_FRAME_MS: f64 = 100.0;
/// How often the off-policy evaluation is refreshed while its tab is open (wall time).
pub const OPE_REFRESH_MS: f64 = 1_000.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Storage,
    Recommender,
    Scenario,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// The root's state.
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
    /// Bumped on every frame and command, so the view re-renders from the session.
    pub frame: u64,
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
            }
            Action::Pause => next.playing = false,
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
                next.frame += 1;
            }
            Action::ToEnd(on) => {
                next.to_end = on;
                if on {
                    next.playing = false;
                }
            }
            Action::Redraw => next.frame += 1,
        }
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

fn error(text: impl Into<String>) -> Action {
    Action::Message(Some(Message {
        text: text.into(),
        error: true,
    }))
}

fn info(text: impl Into<String>) -> Action {
    Action::Message(Some(Message {
        text: text.into(),
        error: false,
    }))
}

fn wall_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// What the address asked for when the page opened.
struct Boot {
    scenario: Scenario,
    at_ms: Option<u64>,
    message: Option<Message>,
    /// The link could not be used: leave it in the address bar (so the visitor can see and
    /// copy what they were sent) until they change the scenario.
    keep_address: bool,
}

fn location_parts() -> (String, String) {
    let location = gloo::utils::window().location();
    (
        location.hash().unwrap_or_default(),
        location.search().unwrap_or_default(),
    )
}

fn boot() -> Boot {
    let (hash, search) = location_parts();
    match link::parse(&hash, &search) {
        LinkRequest::None => Boot {
            scenario: link::default_scenario(),
            at_ms: None,
            message: None,
            keep_address: false,
        },
        LinkRequest::Scenario { scenario, at_ms } => Boot {
            message: Some(Message {
                text: format!(
                    "Loaded the scenario “{}” (seed {}) from the link{}.",
                    scenario.name,
                    scenario.seed,
                    at_ms.map_or(String::new(), |ms| format!(
                        ", re-simulating to {}",
                        format::sim_time(SimTime::from_millis(ms))
                    ))
                ),
                error: false,
            }),
            scenario: *scenario,
            at_ms,
            keep_address: false,
        },
        LinkRequest::Invalid(text) => Boot {
            scenario: link::default_scenario(),
            at_ms: None,
            message: Some(Message { text, error: true }),
            keep_address: true,
        },
    }
}

/// A session for `scenario`, or the defaults with a message when it cannot be built.
fn session_for(scenario: Scenario) -> (Session, Option<Message>) {
    match Session::new(scenario) {
        Ok(session) => (session, None),
        Err(e) => (
            Session::new(link::default_scenario())
                .expect("the default scenario is valid (checked by a test)"),
            Some(Message {
                text: format!("That scenario could not start ({e}), so the playground started from its defaults."),
                error: true,
            }),
        ),
    }
}

/// The off-policy evaluation cache: the twin and the last result, refreshed at most every
/// [`OPE_REFRESH_MS`].
#[derive(Default)]
struct OpeCache {
    key: Option<(u64, String)>,
    twin: Option<Twin>,
    last_wall_ms: f64,
    result: Option<Rc<OpeResult>>,
    error: Option<String>,
}

impl OpeCache {
    fn refresh(&mut self, session: &Session) {
        let Some(spec) = &session.scenario().recommender else {
            *self = OpeCache::default();
            return;
        };
        let now_ms = wall_ms();
        let key = (
            session.scenario().seed,
            serde_json::to_string(spec).unwrap_or_default(),
        );
        let steps = session.lab().recommender_summary().map_or(0, |s| s.steps);
        let stale_twin = self.key.as_ref() != Some(&key)
            || self.twin.as_ref().is_some_and(|t| t.steps() > steps);
        if stale_twin {
            self.key = Some(key);
            self.twin = None;
            self.result = None;
            self.last_wall_ms = f64::NEG_INFINITY;
        }
        if now_ms - self.last_wall_ms < OPE_REFRESH_MS {
            return;
        }
        self.last_wall_ms = now_ms;
        if self.twin.is_none() {
            match Twin::new(spec, session.scenario().seed) {
                Ok(twin) => self.twin = Some(twin),
                Err(e) => {
                    self.error = Some(format!("The uniform-random twin could not start: {e}"));
                    return;
                }
            }
        }
        let Some(twin) = self.twin.as_mut() else {
            return;
        };
        if let Err(e) = twin.advance_to(steps) {
            self.error = Some(format!("The uniform-random twin stopped: {e}"));
            return;
        }
        let log: Vec<LoggedImpression> = session.observed().impressions.iter().copied().collect();
        match evaluate(&log, spec.population.items as usize, twin) {
            Ok(result) => {
                self.result = Some(Rc::new(result));
                self.error = None;
            }
            Err(e) => {
                self.result = None;
                self.error = Some(format!("Off-policy evaluation: {e}."));
            }
        }
    }
}

/// Applies a panel's command to the session. Returns the action that reports the outcome and
/// whether a rebuild started.
fn apply_command(session: &mut Session, command: Command) -> (Option<Action>, bool) {
    let now = format::sim_time(session.now());
    match command {
        Command::Live(control) => match session.apply_live(control) {
            Ok(()) => (Some(Action::Message(None)), false),
            Err(e) => (
                Some(error(format!(
                    "That change was refused and the run goes on unchanged: {e}"
                ))),
                false,
            ),
        },
        Command::Inject(fault) => {
            let kind = fault.kind().replace('_', " ");
            match session.inject_into_scenario(fault) {
                Ok(()) => (
                    Some(info(format!(
                        "Injected {kind} at {now}, written into the scenario; re-simulating to {now}…"
                    ))),
                    true,
                ),
                Err(e) => (
                    Some(error(format!(
                        "The {kind} fault was refused and the run goes on unchanged: {e}"
                    ))),
                    false,
                ),
            }
        }
        Command::RemoveChange(index, change) => {
            let what = format!(
                "the {} change at {}",
                change.section(),
                format::sim_time(SimTime::from_millis(change.at_ms()))
            );
            removal(session.remove_change(index, &change), &what, &now)
        }
        Command::RemoveFault(index, fault) => {
            let what = format!("the fault “{}”", crate::chaos::describe(&fault));
            removal(session.remove_fault(index, &fault), &what, &now)
        }
        Command::SetRecommender(spec) => {
            let mut scenario = session.scenario().clone();
            scenario.recommender = spec;
            match session.change_scenario_here(scenario) {
                Ok(()) => (
                    Some(info(format!(
                        "Recommender settings written into the scenario; re-simulating to {now}…"
                    ))),
                    true,
                ),
                Err(e) => (
                    Some(error(format!(
                        "The recommender settings were refused and the run goes on unchanged: {e}"
                    ))),
                    false,
                ),
            }
        }
        Command::Load { scenario, source } => {
            let name = scenario.name.clone();
            match session.restart(*scenario) {
                Ok(()) => (
                    Some(info(format!(
                        "Loaded “{name}” from {source}; the run starts at 0 s."
                    ))),
                    false,
                ),
                Err(e) => (
                    Some(error(format!(
                        "{source} could not start ({e}); the run goes on unchanged."
                    ))),
                    false,
                ),
            }
        }
        Command::Refused(text) => (Some(error(text)), false),
        Command::Info(text) => (Some(info(text)), false),
    }
}

/// Reports a removal from the scenario: a rebuild to `now` started, or why nothing changed.
fn removal(result: Result<(), LabError>, what: &str, now: &str) -> (Option<Action>, bool) {
    match result {
        Ok(()) => (
            Some(info(format!(
                "Removed {what} from the scenario; re-simulating to {now}…"
            ))),
            true,
        ),
        Err(e) => (
            Some(error(format!(
                "Could not remove {what}, and the run goes on unchanged: {e}"
            ))),
            false,
        ),
    }
}

/// What one frame of the loop does.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Idle,
    Play { speed: f64 },
    ToEnd,
}

/// What one frame did: simulated time gained (while playing) and wall time spent on it.
struct FrameWork {
    played_ms: Option<f64>,
    work_ms: f64,
}

fn run_frame(
    session: &Rc<RefCell<Session>>,
    dispatcher: &UseReducerDispatcher<UiState>,
    mode: Mode,
    wall_dt_ms: f64,
    budget_ms: f64,
) -> FrameWork {
    let start = wall_ms();
    let mut session = session.borrow_mut();
    let mut played = None;
    if session.rebuilding() {
        loop {
            match session.work(SLICE_EVENTS * 4) {
                Ok(true) => {
                    dispatcher.dispatch(Action::Rebuilding(false));
                    break;
                }
                Ok(false) => {}
                Err(e) => {
                    session.cancel_rebuild();
                    dispatcher.dispatch(Action::Rebuilding(false));
                    dispatcher.dispatch(error(format!("Re-simulating stopped: {e}")));
                    break;
                }
            }
            if wall_ms() - start > budget_ms {
                break;
            }
        }
    } else {
        match mode {
            Mode::Idle => {}
            Mode::ToEnd => loop {
                if session.lab().finished() {
                    dispatcher.dispatch(Action::ToEnd(false));
                    dispatcher.dispatch(info(format!(
                        "The run finished at {}: final trace hash {}.",
                        format::sim_time(session.now()),
                        session.lab().summary().trace_hash
                    )));
                    break;
                }
                let mut stalled = false;
                let mut failed = false;
                for _ in 0..SLICE_EVENTS {
                    match session.step() {
                        Ok(progress) if progress.finished => break,
                        Ok(progress) if progress.events_processed == 0 => {
                            stalled = true;
                            break;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            dispatcher.dispatch(Action::ToEnd(false));
                            dispatcher.dispatch(error(format!("The simulation stopped: {e}")));
                            failed = true;
                            break;
                        }
                    }
                }
                if failed {
                    break;
                }
                if stalled && !session.lab().finished() {
                    dispatcher.dispatch(Action::ToEnd(false));
                    dispatcher.dispatch(error(
                        "Nothing is left to simulate but the run has not finished.",
                    ));
                    break;
                }
                if wall_ms() - start > budget_ms {
                    break;
                }
            },
            Mode::Play { speed } => {
                let before = session.now();
                let target = before + SimDuration::from_millis_f64(wall_dt_ms * speed);
                loop {
                    match session.advance_until(target, SLICE_EVENTS) {
                        Ok(progress) => {
                            if progress.events_processed < SLICE_EVENTS || progress.now >= target {
                                break;
                            }
                        }
                        Err(e) => {
                            dispatcher.dispatch(Action::Pause);
                            dispatcher.dispatch(error(format!("The simulation stopped: {e}")));
                            break;
                        }
                    }
                    if wall_ms() - start > budget_ms {
                        break;
                    }
                }
                played = Some(session.now().saturating_since(before).as_millis_f64());
                if session.lab().finished() {
                    dispatcher.dispatch(Action::Pause);
                    dispatcher.dispatch(info(format!(
                        "The run finished at {}: final trace hash {}.",
                        format::sim_time(session.now()),
                        session.lab().summary().trace_hash
                    )));
                }
            }
        }
    }
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

/// What the frame loop steers its budget by: the pacer, and how long drawing takes.
#[derive(Clone)]
struct Pacing {
    pacer: Rc<RefCell<Pacer>>,
    render_ms: Rc<RefCell<f64>>,
    redraw: Rc<RefCell<Redraw>>,
}

fn schedule_frame(
    slot: Rc<RefCell<Option<AnimationFrame>>>,
    session: Rc<RefCell<Session>>,
    dispatcher: UseReducerDispatcher<UiState>,
    mode: Mode,
    pacing: Pacing,
    last_timestamp_ms: Option<f64>,
) {
    let next_slot = slot.clone();
    let frame = request_animation_frame(move |timestamp_ms| {
        let interval = last_timestamp_ms.map_or(0.0, |last| timestamp_ms - last);
        // A little early rather than a whole display period late.
        let due = pacing
            .redraw
            .borrow()
            .last_ms
            .is_none_or(|last| timestamp_ms - last >= REDRAW_INTERVAL_MS - 4.0);
        // A frame that redraws leaves room for drawing; the others may simulate for longer.
        let budget_ms = {
            let mut pacer = pacing.pacer.borrow_mut();
            pacer.observe(interval);
            pacer.budget_ms(if due { *pacing.render_ms.borrow() } else { 0.0 })
        };
        let dt = interval.clamp(0.0, MAX_FRAME_MS);
        let work = run_frame(&session, &dispatcher, mode, dt, budget_ms);
        pacing.pacer.borrow_mut().spent(budget_ms, work.work_ms);
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
            dispatcher,
            mode,
            pacing,
            Some(timestamp_ms),
        );
    });
    *slot.borrow_mut() = Some(frame);
}

fn page_url(fragment: &str) -> String {
    let location = gloo::utils::window().location();
    let origin = location.origin().unwrap_or_default();
    let path = location.pathname().unwrap_or_default();
    format!("{origin}{path}{fragment}")
}

#[function_component(App)]
pub fn app() -> Html {
    let boot_once = use_mut_ref(|| Some(boot()));
    let session = use_mut_ref(|| {
        let mut boot = boot_once.borrow_mut();
        let boot = boot.as_mut().expect("boot is read before it is taken");
        let (mut session, refused) = session_for(boot.scenario.clone());
        if let Some(refused) = refused {
            // The link's scenario validated but could not start: say so, not "loaded".
            boot.message = Some(refused);
            boot.keep_address = true;
        } else if let Some(ms) = boot.at_ms {
            let _ = session.begin_rebuild(
                boot.scenario.clone(),
                Milestone::time(SimTime::from_millis(ms)),
            );
        }
        session
    });
    // The fragment of the scenario the page started on when the link was refused: the
    // address bar keeps the refused link until the scenario changes away from it.
    let kept_address = use_mut_ref(|| {
        let keep = boot_once.borrow().as_ref().is_some_and(|b| b.keep_address);
        keep.then(|| link::fragment(session.borrow().scenario(), None))
    });
    let state = use_reducer(|| {
        let boot = boot_once.borrow_mut().take();
        let message = boot.as_ref().and_then(|b| b.message.clone());
        UiState {
            playing: false,
            speed_log10: 1.0,
            tab: Tab::Storage,
            message,
            effective_speed: 0.0,
            frame_work_ms: 0.0,
            frame_budget_ms: 0.0,
            rebuilding: session.borrow().rebuilding(),
            to_end: false,
            frame: 0,
        }
    });
    let ope_cache = use_mut_ref(OpeCache::default);
    // How long drawing takes (smoothed), measured from the start of this function to the
    // effects after the DOM is patched; the frame loop leaves that much of each frame free.
    let render_ms = use_mut_ref(|| 4.0f64);
    // The frame budget outlives play and pause, so what it learned about the display stays.
    let pacer = use_mut_ref(Pacer::default);
    let render_start = wall_ms();
    {
        let render_ms = render_ms.clone();
        use_effect(move || {
            let took = (wall_ms() - render_start).max(0.0);
            let mut smoothed = render_ms.borrow_mut();
            *smoothed = 0.8 * *smoothed + 0.2 * took;
        });
    }

    // The frame loop runs while playing, running to the end or rebuilding; the effect owns
    // the frame handle and drops it (cancelling the frame) when any of those changes.
    {
        let session = session.clone();
        let dispatcher = state.dispatcher();
        let pacing = Pacing {
            pacer: pacer.clone(),
            render_ms: render_ms.clone(),
            redraw: Rc::new(RefCell::new(Redraw::default())),
        };
        let mode = if state.to_end {
            Mode::ToEnd
        } else if state.playing {
            Mode::Play {
                speed: format::pow10(state.speed_log10),
            }
        } else {
            Mode::Idle
        };
        let running = state.playing || state.to_end || state.rebuilding;
        use_effect_with((running, mode), move |(running, mode)| {
            let slot: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
            if *running {
                schedule_frame(slot.clone(), session, dispatcher, *mode, pacing, None);
            }
            move || {
                slot.borrow_mut().take();
            }
        });
    }

    // Keyboard: Space plays or pauses, "." steps one event (not while typing in a field).
    {
        let state = state.clone();
        let session = session.clone();
        use_effect_with((), move |_| {
            // Not passive: Space must not also scroll the page.
            let options = gloo::events::EventListenerOptions::enable_prevent_default();
            let listener = EventListener::new_with_options(
                &gloo::utils::document(),
                "keydown",
                options,
                move |event| {
                    let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    let tag = event
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .map(|e| e.tag_name())
                        .unwrap_or_default();
                    let typing = matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA");
                    if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
                        return;
                    }
                    match event.key().as_str() {
                        // A focused button takes Space itself.
                        " " if tag != "BUTTON" => {
                            event.prevent_default();
                            state.dispatch(Action::TogglePlay);
                        }
                        "." => {
                            let result = session.borrow_mut().step();
                            match result {
                                Ok(_) => state.dispatch(Action::Redraw),
                                Err(e) => {
                                    state.dispatch(error(format!("The simulation stopped: {e}")))
                                }
                            }
                        }
                        _ => {}
                    }
                },
            );
            move || drop(listener)
        });
    }

    // A link pasted into the address bar (a hash change) loads its scenario.
    {
        let state = state.clone();
        let session = session.clone();
        use_effect_with((), move |_| {
            let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                let (hash, search) = location_parts();
                match link::parse(&hash, &search) {
                    LinkRequest::None => {}
                    LinkRequest::Invalid(text) => {
                        state.dispatch(error(text.replace(
                            "so the playground started from its defaults",
                            "so the current run goes on unchanged",
                        )));
                        // Put the running scenario's link back in the address bar.
                        let fragment = link::fragment(session.borrow().scenario(), None);
                        if let Ok(history) = gloo::utils::window().history() {
                            let _ = history.replace_state_with_url(
                                &wasm_bindgen::JsValue::NULL,
                                "",
                                Some(&fragment),
                            );
                        }
                    }
                    LinkRequest::Scenario { scenario, at_ms } => {
                        let mut session = session.borrow_mut();
                        if *scenario == *session.scenario() && at_ms.is_none() {
                            return;
                        }
                        match session.restart(*scenario.clone()) {
                            Ok(()) => {
                                if let Some(ms) = at_ms {
                                    let _ = session.begin_rebuild(*scenario, Milestone::time(SimTime::from_millis(ms)));
                                    state.dispatch(Action::Rebuilding(true));
                                }
                                state.dispatch(info("Loaded the scenario from the link."));
                            }
                            Err(e) => state.dispatch(error(format!("The link's scenario could not start ({e}); the run goes on unchanged."))),
                        }
                    }
                }
            });
            move || drop(listener)
        });
    }

    let on_command = {
        let session = session.clone();
        let state = state.clone();
        Callback::from(move |command: Command| {
            let (action, rebuilding) = apply_command(&mut session.borrow_mut(), command);
            if let Some(action) = action {
                state.dispatch(action);
            }
            if rebuilding {
                state.dispatch(Action::Rebuilding(true));
            }
            state.dispatch(Action::Redraw);
        })
    };
    let on_play = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::TogglePlay))
    };
    let on_step = {
        let session = session.clone();
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            state.dispatch(Action::Pause);
            let result = session.borrow_mut().step();
            match result {
                Ok(progress) if progress.events_processed == 0 => {
                    state.dispatch(info("Nothing left to simulate: the run is over."))
                }
                Ok(_) => state.dispatch(Action::Redraw),
                Err(e) => state.dispatch(error(format!("The simulation stopped: {e}"))),
            }
        })
    };
    let on_speed = {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            match format::parse_f64(&input.value()) {
                Some(value) if value.is_finite() => state.dispatch(Action::SetSpeedLog10(value)),
                _ => state.dispatch(error("Speed must be between 0.1× and 10,000×.")),
            }
        })
    };
    let on_seed = {
        let state = state.clone();
        let session = session.clone();
        Callback::from(move |text: String| {
            let current = session.borrow().scenario().seed;
            match text.trim().parse::<u64>() {
                Ok(seed) => {
                    let mut scenario = session.borrow().scenario().clone();
                    scenario.seed = seed;
                    let result = session.borrow_mut().restart(scenario);
                    match result {
                        Ok(()) => state.dispatch(info(format!("Seed {seed}: the run restarted at 0 s."))),
                        Err(e) => state.dispatch(error(format!("Seed {seed} could not start ({e}); the run goes on."))),
                    }
                }
                Err(_) => state.dispatch(error(format!(
                    "The seed must be a whole number from 0 to {}; “{}” is not. The run continues with seed {current}.",
                    u64::MAX,
                    text
                ))),
            }
        })
    };
    let seek_to = {
        let state = state.clone();
        let session = session.clone();
        move |ms: u64| {
            let result = session.borrow_mut().seek(SimTime::from_millis(ms));
            match result {
                Ok(()) => {
                    state.dispatch(Action::Pause);
                    state.dispatch(Action::Rebuilding(true));
                }
                Err(e) => state.dispatch(error(format!("Could not go back: {e}"))),
            }
        }
    };
    let on_scrub = {
        let seek_to = seek_to.clone();
        let state = state.clone();
        Callback::from(move |text: String| match format::parse_f64(&text) {
            Some(ms) if ms.is_finite() && ms >= 0.0 => seek_to(ms.round() as u64),
            _ => state.dispatch(error("The scrubber gave a time that is not a number.")),
        })
    };
    let on_goto = {
        let seek_to = seek_to.clone();
        let state = state.clone();
        let session = session.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let horizon_ms = session.borrow().horizon().as_nanos() / 1_000_000;
            match input.value().trim().parse::<u64>() {
                Ok(ms) if ms <= horizon_ms => seek_to(ms),
                Ok(ms) => state.dispatch(error(format!(
                    "{ms} ms is beyond the furthest moment simulated so far ({horizon_ms} ms): play on first."
                ))),
                Err(_) => state.dispatch(error(format!("“{}” is not a whole number of milliseconds.", input.value()))),
            }
        })
    };
    let on_to_end = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::ToEnd(!state.to_end)))
    };
    let on_cancel = {
        let state = state.clone();
        let session = session.clone();
        Callback::from(move |_: MouseEvent| {
            session.borrow_mut().cancel_rebuild();
            state.dispatch(Action::Rebuilding(false));
            state.dispatch(info("Re-simulation cancelled; the run stays where it was."));
        })
    };
    let on_dismiss = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Message(None)))
    };
    let tab_button = |tab: Tab, id: &'static str, label: &'static str| {
        let state = state.clone();
        let selected = state.tab == tab;
        html! {
            <button id={id} role="tab" aria-selected={selected.to_string()} class={classes!("tab", selected.then_some("selected"))}
                    onclick={Callback::from(move |_: MouseEvent| state.dispatch(Action::Tab(tab)))}>{ label }</button>
        }
    };

    let session_ref = session.borrow();
    let lab = session_ref.lab();
    let now = lab.now();
    let finished = lab.finished();
    let (hash, total_events) = {
        let trace = lab.trace();
        (trace.hash_hex(), trace.total_events())
    };
    let final_hash = finished.then(|| lab.summary().trace_hash);
    let scenario = session_ref.scenario().clone();
    let fragment = link::fragment(&scenario, None);
    {
        // Keep the address bar in step with the scenario (replaceState fires no hashchange),
        // except that a refused link stays there until the scenario changes.
        let kept_address = kept_address.clone();
        use_effect_with(fragment.clone(), move |fragment| {
            let mut kept = kept_address.borrow_mut();
            if kept.as_deref() == Some(fragment.as_str()) {
                return;
            }
            *kept = None;
            if let Ok(history) = gloo::utils::window().history() {
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(fragment),
                );
            }
        });
    }
    let now_ms_floor = now.as_nanos() / 1_000_000;
    let horizon_ms = session_ref.horizon().as_nanos() / 1_000_000;
    let speed = format::pow10(state.speed_log10);
    let progress = if state.rebuilding {
        session_ref.rebuild_progress().map(|p| {
            (
                p,
                format!(
                    "Re-simulating from the seed to {}…",
                    session_ref
                        .rebuild_target()
                        .map_or(String::new(), format::sim_time)
                ),
            )
        })
    } else if state.to_end {
        let end = lab.workload_end().as_nanos().max(1) as f64;
        Some((
            (now.as_nanos() as f64 / end).min(1.0),
            "Running to the end of the scenario…".to_string(),
        ))
    } else {
        None
    };
    let busy = state.rebuilding;
    let body = match state.tab {
        Tab::Storage => {
            let model = StorageModel::from_session(&session_ref);
            let db_path = scenario
                .engine
                .path
                .clone()
                .unwrap_or_else(|| "db".to_string());
            html! {
                <div class="storage-layout">
                    <StorageView model={model} />
                    <aside class="side">
                        <ControlsPanel settings={session_ref.settings().clone()} on_command={on_command.clone()} disabled={busy} />
                        <ChaosPanel faults={scenario.faults.clone()} db_path={db_path} on_command={on_command.clone()} disabled={busy} />
                    </aside>
                </div>
            }
        }
        Tab::Recommender => {
            let mut cache = ope_cache.borrow_mut();
            cache.refresh(&session_ref);
            let model = RecommenderModel::from_session(
                &session_ref,
                cache.result.clone(),
                cache.error.clone(),
            );
            html! { <RecommenderView model={model} on_command={on_command.clone()} disabled={busy} /> }
        }
        Tab::Scenario => {
            let moment = link::fragment(&scenario, Some(now_ms_floor));
            html! {
                <ScenarioPanel scenario={Rc::new(scenario.clone())} link={page_url(&fragment)} moment_link={page_url(&moment)}
                               now={SimTime::from_millis(now_ms_floor)}
                               on_command={on_command.clone()} disabled={busy} />
            }
        }
    };
    html! {
        <>
        <header class="top">
            <h1>{ "Strata" }</h1>
            <span class="tagline">{ "a diskless LSM on object storage and an adaptive recommender, simulated in your browser" }</span>
        </header>
        <div class="time-bar" role="region" aria-label="time controls">
            <div class="controls">
                <button id="play" class="primary" onclick={on_play} disabled={busy}>{ if state.playing { "Pause" } else { "Play" } }</button>
                <button id="step" onclick={on_step} disabled={busy} title="one event (key: .)">{ "Step" }</button>
                <label>{ "speed" }
                    <input id="speed" type="range" min={SPEED_LOG10_MIN.to_string()} max={SPEED_LOG10_MAX.to_string()}
                           step="0.01" value={state.speed_log10.to_string()} oninput={on_speed}
                           aria-valuetext={format::speed(speed)} />
                    <span id="speed-value" class="mono">{ format::speed(speed) }</span>
                </label>
                <span class="readout">{ "effective " }<span id="effective-speed" class="mono">{ if state.playing { format::speed(state.effective_speed) } else { "paused".to_string() } }</span></span>
                <label>{ "seed" }
                    <DraftInput id="seed" inputmode="numeric" value={scenario.seed.to_string()} on_commit={on_seed} disabled={busy} />
                </label>
                <button id="run-to-end" onclick={on_to_end} disabled={busy || finished}>{ if state.to_end { "Stop" } else { "Run to end" } }</button>
            </div>
            <div class="controls">
                <label class="scrub">{ "time" }
                    <DraftInput id="scrub" kind="range" min="0" max={horizon_ms.max(1).to_string()} step="1"
                                value={now_ms_floor.to_string()} on_commit={on_scrub} disabled={busy}
                                aria_valuetext={format::sim_time(now)} />
                </label>
                <span class="readout"><span id="sim-time" class="mono big">{ format::sim_time(now) }</span>{ format!(" of {}", format::sim_time(SimTime::from_millis(scenario.duration_ms))) }</span>
                <label>{ "go to" }
                    <input id="goto-ms" type="number" min="0" placeholder="ms" onchange={on_goto} disabled={busy} />
                    <span class="unit">{ "ms" }</span>
                </label>
                <span class="readout">{ "events " }<span id="event-count" class="mono">{ lab.events_processed() }</span></span>
                <span class="readout">{ format!("trace hash at {} ", format::sim_time(now)) }<span id="trace-hash" class="mono">{ hash }</span>
                    <span class="muted">{ format!(" ({} events)", format::grouped(total_events)) }</span></span>
                if let Some(final_hash) = &final_hash {
                    <span class="readout finished">{ "final trace hash " }<span id="final-hash" class="mono">{ final_hash.clone() }</span></span>
                }
            </div>
            if let Some((fraction, label)) = progress {
                <div class="progress" role="progressbar" id="progress" aria-valuemin="0" aria-valuemax="100"
                     aria-valuenow={format!("{:.0}", fraction * 100.0)} aria-label={label.clone()}>
                    <div class="progress-fill" style={format!("width: {:.1}%", fraction * 100.0)}></div>
                    <span class="progress-label">{ format!("{label} {:.0}%", fraction * 100.0) }</span>
                    if state.rebuilding {
                        <button id="cancel-rebuild" onclick={on_cancel}>{ "Cancel" }</button>
                    }
                </div>
            }
            if let Some(message) = &state.message {
                <div class={classes!("message", message.error.then_some("error"))} role="status" id="message">
                    <span>{ message.text.clone() }</span>
                    <button class="dismiss" onclick={on_dismiss} aria-label="dismiss">{ "×" }</button>
                </div>
            }
            <nav class="tabs" role="tablist">
                { tab_button(Tab::Storage, "tab-storage", "Storage") }
                { tab_button(Tab::Recommender, "tab-recommender", "Recommender") }
                { tab_button(Tab::Scenario, "tab-scenario", "Scenario & sharing") }
                <span class="frame-stats muted" id="frame-work">{ format!("last frame: {:.1} ms simulating (budget {:.1} ms) · {:.1} ms drawing", state.frame_work_ms, state.frame_budget_ms, *render_ms.borrow()) }</span>
            </nav>
        </div>
        <main>{ body }</main>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn commands_report_refusals_without_touching_the_run() {
        let mut session = Session::new(link::default_scenario()).unwrap();
        session
            .advance(SimDuration::from_millis(500), u64::MAX)
            .unwrap();
        let before = session.lab().trace().hash_hex();
        let (action, rebuilding) = apply_command(
            &mut session,
            Command::Inject(strata_lab::scenario::FaultSpec::Recover { at_ms: 0 }),
        );
        assert!(!rebuilding);
        match action {
            Some(Action::Message(Some(Message { error: true, text }))) => {
                assert!(text.contains("recover"), "{text}")
            }
            _ => panic!("a refusal should be reported as an error message"),
        }
        assert_eq!(session.lab().trace().hash_hex(), before);
        let (_, rebuilding) = apply_command(
            &mut session,
            Command::Inject(strata_lab::scenario::FaultSpec::CrashWriter {
                at_ms: 0,
                recover_after_ms: Some(200),
            }),
        );
        assert!(rebuilding);
        session.finish_rebuild().unwrap();
        assert_eq!(session.scenario().faults.len(), 1);
    }
}
