//! The page's view of the run on show, which lives in the worker ([`crate::worker::run`]):
//! the last [`Frame`] it sent, the request timeline folded from the frames, the off-policy
//! evaluation last sent, and what the run is doing ([`Motion`]).
//!
//! - **Requests.** [`SharedRun::tell`] sends a [`RunRequest`]; the worker answers each with a
//!   frame, then sends frames as the run moves (at most 30 a second). Play, pause, the speed,
//!   a run to the end or to a moment, a beat and Cancel change the motion here at once, so the
//!   page answers a click in its next render; the frames then confirm it. A frame that
//!   reflects fewer requests than the page sent says nothing about the motion (it was on its
//!   way before the last request arrived).
//! - **Frames.** [`listen_for_frames`] takes each frame in: the timeline's increments are folded,
//!   the notes (the outcomes of commands, a rebuild finished or cancelled, a beat reached) go
//!   to the message bar and the chapter, the side-by-side variant is asked to follow, and the
//!   root redraws.
//! - **The drawing clock.** [`use_after_render`] measures how long a render takes, for the
//!   tab strip's read-out (and keeps the beat's highlight on and the address bar in step,
//!   after the same renders).

use super::boot::{self, KeptAddress, WantedAddress};
use super::chapter::{self, SharedChapters};
use super::compare_panel;
use super::{wall_ms, Action, Message, Tab, UiState};
use crate::frame::{FrameFold, FrameRef, TimelineRequest};
use crate::ope::OpeResult;
use crate::worker::host;
use crate::worker::protocol::{Note, Reply};
use crate::worker::run::{Motion, RunRequest};
use gloo::events::EventListener;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// What the page holds of the run on show.
pub struct RunView {
    /// The last frame (none until the worker sent its first).
    pub frame: Option<FrameRef>,
    pub timeline: Rc<Vec<TimelineRequest>>,
    fold: FrameFold,
    /// The off-policy evaluation (the result, or why there is none), as last sent with the
    /// recommender tab open.
    pub ope: Option<(Option<Rc<OpeResult>>, Option<String>)>,
    /// What the run does, as the page last asked or the worker last said.
    motion: Option<Motion>,
    /// Run requests sent, and those the last frame reflects.
    sent: u64,
    answered: u64,
    /// The side-by-side panel's figure paths last asked for.
    figure_paths: Vec<(String, String)>,
    /// The speed Play asks for (simulated over wall time).
    speed: f64,
}

impl Default for RunView {
    fn default() -> Self {
        RunView {
            frame: None,
            timeline: Rc::default(),
            fold: FrameFold::default(),
            ope: None,
            motion: None,
            sent: 0,
            answered: 0,
            figure_paths: Vec::new(),
            speed: crate::format::pow10(super::SPEED_LOG10_START),
        }
    }
}

/// The run on show's view, shared by the root and its parts (equal when the same).
#[derive(Clone, Default)]
pub struct SharedRun(pub Rc<RefCell<RunView>>);

impl PartialEq for SharedRun {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl SharedRun {
    /// Sends `request` to the run on show.
    pub fn tell(&self, request: RunRequest) {
        self.0.borrow_mut().sent += 1;
        host::tell(request);
    }

    /// The last frame, if one came.
    pub fn frame(&self) -> Option<FrameRef> {
        self.0.borrow().frame.clone()
    }

    /// Whether the last frame reflects every request the page sent (the run on show is what
    /// the page asked for).
    pub fn settled(&self) -> bool {
        let view = self.0.borrow();
        view.frame.is_some() && view.answered >= view.sent
    }

    /// What the run does (as last asked or said).
    pub fn motion(&self) -> Motion {
        self.0.borrow().motion.unwrap_or(Motion::Still)
    }

    /// Whether a re-simulation is under way (as the last frame says).
    pub fn rebuilding(&self) -> bool {
        self.frame().is_some_and(|f| f.time.rebuild.is_some())
    }

    /// Asks for `motion` (sent as `request`) and shows it at once.
    pub fn move_to(
        &self,
        motion: Motion,
        request: RunRequest,
        dispatcher: &UseReducerDispatcher<UiState>,
    ) {
        self.0.borrow_mut().motion = Some(motion);
        self.tell(request);
        dispatcher.dispatch(Action::Motion(motion));
    }

    /// Plays at `speed`, or pauses.
    pub fn pace(&self, playing: bool, speed: f64, dispatcher: &UseReducerDispatcher<UiState>) {
        let motion = if playing {
            Motion::Play { speed }
        } else {
            Motion::Still
        };
        self.move_to(motion, RunRequest::Pace { playing, speed }, dispatcher);
    }

    /// Sets the speed Play asks for; a playing run takes it at once.
    pub fn set_speed(&self, speed: f64, dispatcher: &UseReducerDispatcher<UiState>) {
        self.0.borrow_mut().speed = speed;
        if matches!(self.motion(), Motion::Play { .. }) {
            self.pace(true, speed, dispatcher);
        }
    }

    /// Plays at the speed set, or pauses a run that plays.
    pub fn toggle_play(&self, dispatcher: &UseReducerDispatcher<UiState>) {
        let speed = self.0.borrow().speed;
        let playing = matches!(self.motion(), Motion::Play { .. });
        self.pace(!playing, speed, dispatcher);
    }

    /// Asks the frames for the side-by-side panel's figures at `paths` (none: no panel),
    /// unless they are asked for already.
    pub fn want_figures(&self, paths: Vec<(String, String)>) {
        if self.0.borrow().figure_paths == paths {
            return;
        }
        self.0.borrow_mut().figure_paths = paths.clone();
        self.tell(RunRequest::Figures(paths));
    }
}

/// Takes the worker's frames in, for as long as the page lives: called once, by the root's
/// effect after its first render (`super::listen`), before that effect tells the run what the
/// open tab wants sent ([`use_after_render`]).
pub fn listen_for_frames(
    run: SharedRun,
    chapters: SharedChapters,
    dispatcher: UseReducerDispatcher<UiState>,
) {
    host::on_frames(Callback::from(move |reply: Reply| {
        let Reply::Frame {
            mut frame,
            status,
            notes,
            ope,
        } = reply
        else {
            return;
        };
        let timeline = run.0.borrow_mut().fold.absorb(&mut frame);
        let frame = FrameRef(Rc::new(*frame));
        let (motion, current) = {
            let mut view = run.0.borrow_mut();
            view.timeline = timeline;
            if let Some(ope) = ope {
                view.ope = Some((ope.result.map(Rc::new), ope.error));
            }
            view.frame = Some(frame.clone());
            view.answered = status.requests;
            if status.requests >= view.sent {
                view.motion = Some(status.motion);
            }
            (
                view.motion.unwrap_or(Motion::Still),
                status.requests >= view.sent,
            )
        };
        for note in notes {
            match note {
                Note::Say { text, error } => {
                    dispatcher.dispatch(Action::Message(Some(Message { text, error })))
                }
                Note::Clear => dispatcher.dispatch(Action::Message(None)),
                Note::Rebuilt => chapter::rebuilt(&frame.time, &chapters, &dispatcher),
                Note::RebuildCancelled => chapter::rebuild_cancelled(&chapters),
                Note::BeatReached => chapter::beat_reached(&frame.time, &chapters, &dispatcher),
            }
        }
        if frame.time.rebuild.is_none() && !matches!(motion, Motion::Beat(_)) {
            chapter::played(&frame.time, &chapters, &dispatcher);
        }
        compare_panel::follow(&frame, &run, &chapters, &dispatcher);
        dispatcher.dispatch(Action::Frame {
            motion,
            // A frame sent before the page's last request says nothing about a rebuild
            // that request starts.
            rebuilding: current.then_some(frame.time.rebuild.is_some()),
            effective_speed: status.effective_speed,
            work_ms: status.work_ms,
            wall_ms: status.wall_ms,
        });
    }));
}

/// What the root's effect after every render keeps ([`use_after_render`]).
pub struct AfterRender {
    /// How long drawing takes (smoothed), measured from the start of the root's render to its
    /// effect after the DOM is patched.
    pub render_ms: f64,
    /// The ids the beat's highlight is on ([`chapter::mark_beat`]).
    marked: Vec<String>,
    /// The page's listeners ([`super::listen`]), added by the first render's effect and kept
    /// while the page is mounted (dropped with this cell); none before that effect.
    listeners: Vec<EventListener>,
    /// The tab last opened ([`super::tab_opened`]); none before the first render's effect.
    tab: Option<Tab>,
    /// What the address bar was last set from ([`boot::keep_address`]); none before the first
    /// render's effect.
    address: Option<WantedAddress>,
}

/// What the root's render shows that its effect after the render acts on when it changed.
pub struct Rendered {
    /// The open tab.
    pub tab: Tab,
    /// What the address bar should say.
    pub address: WantedAddress,
}

/// After every render of the root: at the first, the page's listeners (the frames first) and
/// the chapter the address names ([`super::listen`]); then the drawing clock, the beat's
/// highlight, the address bar when what it should say changed (`address`, computed by this
/// render), a link that waited for the first frame, and the open tab's request when the tab
/// changed. One cell and one effect for all of
/// them rather than one of each apiece, as every hook call is code of its own in the wasm
/// (docs/ui.md, the cuts table); the tab and the address are compared with the last ones here,
/// as `use_effect_with` compared its dependencies, so the frames are taken in before the run
/// is first told what to send.
#[hook]
pub fn use_after_render(
    run: &SharedRun,
    chapters: &SharedChapters,
    rendered: Rendered,
    kept_address: &KeptAddress,
    dispatcher: UseReducerDispatcher<UiState>,
    on_open_numbered: Callback<usize>,
) -> Rc<RefCell<AfterRender>> {
    let kept = use_mut_ref(|| AfterRender {
        render_ms: 4.0,
        marked: Vec::new(),
        listeners: Vec::new(),
        tab: None,
        address: None,
    });
    let Rendered { tab, address } = rendered;
    let render_start = wall_ms();
    let wanted = chapter::beat_highlight_wanted(chapters);
    {
        let kept = kept.clone();
        let (run, chapters) = (run.clone(), chapters.clone());
        let kept_address = kept_address.clone();
        use_effect(move || {
            let took = (wall_ms() - render_start).max(0.0);
            let mut kept = kept.borrow_mut();
            if kept.listeners.is_empty() {
                kept.listeners = super::listen(
                    &run,
                    &chapters,
                    &kept_address,
                    &dispatcher,
                    on_open_numbered,
                );
            }
            kept.render_ms = 0.8 * kept.render_ms + 0.2 * took;
            chapter::mark_beat(&mut kept.marked, wanted);
            if kept.address.as_ref() != Some(&address) {
                boot::keep_address(&address, &kept_address);
                kept.address = Some(address);
            }
            // After the address bar, which leaves a waiting link alone: followed first, the
            // link would count as read, and this render's address (the run before the link)
            // would be written over it until the link's run sends its first frame.
            boot::follow_waiting_link(&run, &chapters, &kept_address, &dispatcher);
            if kept.tab != Some(tab) {
                super::tab_opened(&run, &chapters, tab, dispatcher);
                kept.tab = Some(tab);
            }
        });
    }
    kept
}
