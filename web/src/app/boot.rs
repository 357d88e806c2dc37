//! The page's address: what a link asks for when the page opens and when one is pasted into
//! the address bar (a hash change), and the address bar kept in step with the scenario.
//!
//! A link that cannot be used (malformed, outdated, refused by validation, or whose scenario
//! cannot start) is never silent and never lost: the message bar says what was wrong, the page
//! runs its default scenario (at boot) or the run it had (after a hash change), and the
//! refused link stays in the address bar, so it can be read and copied, until the visitor
//! changes the scenario. [`open`] and [`follow`] decide all of this without the browser, so
//! they are tested natively; the hooks only read and write the address.
//!
//! `&present` (see [`super::present`]) asks for presenter mode beside whatever else the
//! address asks for; it is taken out before the rest is read.
//!
//! `#chapter=NAME` asks for a chapter instead: the page opens on its defaults, keeps the
//! address, and [`super::chapter::open_chapter`] fetches the chapter and restarts on its
//! scenario.
//!
//! The address bar never writes the share link over a link the page has not read yet: a
//! link set while a frame is on its way has its hash change still queued, and that hash
//! change must find the link, not the share link.

use super::chapter::{self, OpenChapter, SharedChapters};
use super::compare_panel;
use super::present;
use super::run_view::SharedRun;
use super::{Action, Message};
use crate::chapter_play;
use crate::format;
use crate::link::{self, LinkRequest};
use crate::scenario_panel::ImportSlot;
use crate::worker::protocol::Note;
use crate::worker::run::{Motion, RunRequest};
use gloo::events::EventListener;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use strata_lab::scenario::same_document;
use strata_lab::Scenario;
use strata_sim::SimTime;
use yew::prelude::*;

/// The fragment of the scenario that was running when a link was refused: while the scenario
/// is still that one, the address bar keeps the refused link instead.
pub type KeptAddress = Rc<RefCell<Option<String>>>;

/// What the page opened on: the scenario to start (and the moment to re-simulate it to).
pub struct Opened {
    pub scenario: Scenario,
    pub at_ms: Option<u64>,
    pub message: Option<Message>,
    /// The link could not be used: leave it in the address bar.
    pub keep_address: bool,
}

/// Whether `scenario` can start: it compiles to a run plan (the one validation a run's
/// start makes before any event).
fn can_start(scenario: &Scenario) -> Result<(), String> {
    scenario.compile().map(|_| ()).map_err(|e| e.to_string())
}

/// Opens the page on what the address asked for: the link's scenario (re-simulating to its
/// moment, when it names one), or the default scenario with a message that says why not.
pub fn open(request: LinkRequest) -> Opened {
    let defaults = |message: Option<Message>, keep_address| Opened {
        scenario: link::default_scenario(),
        at_ms: None,
        message,
        keep_address,
    };
    match request {
        LinkRequest::None => defaults(None, false),
        LinkRequest::Invalid(text) => defaults(Some(Message::error(text)), true),
        LinkRequest::Scenario { scenario, at_ms } => {
            if let Err(e) = can_start(&scenario) {
                return defaults(
                    Some(Message::error(format!(
                        "That scenario could not start ({e}), so the playground started from its defaults."
                    ))),
                    true,
                );
            }
            let moment = at_ms.map_or(String::new(), |ms| {
                format!(
                    ", re-simulating to {}",
                    format::sim_time(SimTime::from_millis(ms))
                )
            });
            Opened {
                message: Some(Message::info(format!(
                    "Loaded the scenario “{}” (seed {}) from the link{moment}.",
                    scenario.name, scenario.seed
                ))),
                scenario: *scenario,
                at_ms,
                keep_address: false,
            }
        }
    }
}

/// What following a pasted link did.
#[derive(Debug, PartialEq)]
pub struct Followed {
    pub message: Option<Message>,
    /// The scenario to start instead of the run on show, and the moment to re-simulate to.
    pub start: Option<(Scenario, Option<u64>)>,
    /// The link was refused: the address bar keeps it, and the run goes on as it was.
    pub keep_address: bool,
}

/// How a refused link's message ends at boot; [`follow`] says instead that the run goes on.
const AT_BOOT: &str = "so the playground started from its defaults.";

/// Follows a link pasted into the address bar while a run of `current` is on show: restarts
/// on its scenario, or leaves the run alone and says why the link could not be used.
pub fn follow(current: &Scenario, request: LinkRequest) -> Followed {
    let refused = |text: String| Followed {
        message: Some(Message::error(text)),
        start: None,
        keep_address: true,
    };
    match request {
        LinkRequest::None => Followed {
            message: None,
            start: None,
            keep_address: false,
        },
        // Every refusal of a link ends in the words of a refused link at boot (`link.rs`);
        // the ending is swapped by a suffix, not `str::replace`, whose substring search
        // (`TwoWaySearcher::next`) the page needed for this one call.
        LinkRequest::Invalid(text) => refused(match text.strip_suffix(AT_BOOT) {
            Some(head) => format!("{head}so the current run goes on unchanged."),
            None => text,
        }),
        LinkRequest::Scenario { scenario, at_ms } => {
            if at_ms.is_none() && same_document(&*scenario, current) {
                return Followed {
                    message: None,
                    start: None,
                    keep_address: false,
                };
            }
            if let Err(e) = can_start(&scenario) {
                return refused(format!(
                    "The link's scenario could not start ({e}); the run goes on unchanged."
                ));
            }
            let message = match at_ms {
                None => "Loaded the scenario from the link.".to_string(),
                Some(ms) => format!(
                    "Loaded the scenario from the link, re-simulating to {}.",
                    format::sim_time(SimTime::from_millis(ms))
                ),
            };
            Followed {
                message: Some(Message::info(message)),
                start: Some((*scenario, at_ms)),
                keep_address: false,
            }
        }
    }
}

/// The page's address: its fragment (`location.hash`, without `&present`) and query
/// (`location.search`).
fn location_parts() -> (String, String) {
    (
        fragment_in_address(),
        gloo::utils::window()
            .location()
            .search()
            .unwrap_or_default(),
    )
}

/// The address's fragment, without `&present` (which the page adds and takes out itself).
fn fragment_in_address() -> String {
    present::with_present(
        &gloo::utils::window().location().hash().unwrap_or_default(),
        false,
    )
}

thread_local! {
    /// The fragment the page last read from the address or wrote to it. Another one in the
    /// address is a link whose hash change has not been handled yet (pasted, set by a chapter
    /// link or by a script): the address bar must not write the share link over it, or the
    /// hash change would read the share link and the link would be lost.
    static READ_FRAGMENT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Notes the address's fragment as read: the page acts on it, or wrote it.
fn note_read() {
    READ_FRAGMENT.with(|read| *read.borrow_mut() = fragment_in_address());
}

/// Whether the address holds a link the page has not read yet.
fn unread_link_in_address() -> bool {
    READ_FRAGMENT.with(|read| *read.borrow() != fragment_in_address())
}

/// Whether the page's address asks for presenter mode.
fn presenting_in_address() -> bool {
    present::has_present(&gloo::utils::window().location().hash().unwrap_or_default())
}

/// The page's full address for `fragment` (for the share-link fields).
pub fn page_url(fragment: &str) -> String {
    let location = gloo::utils::window().location();
    let origin = location.origin().unwrap_or_default();
    let path = location.pathname().unwrap_or_default();
    format!("{origin}{path}{fragment}")
}

/// What [`use_boot`] gives the root: the run on show (started in the worker), the message
/// to open with, and the refused link's hold on the address bar.
pub struct Booted {
    pub run: SharedRun,
    pub message: Option<Message>,
    pub kept_address: KeptAddress,
    pub chapters: SharedChapters,
    /// Where a scenario file being imported keeps its reader until it answers (the root holds
    /// it, as the scenario tab is a function).
    pub import: ImportSlot,
    /// The panels' questions of the run, made by the root's first render once its reducer's
    /// dispatcher exists and kept for the page's life.
    pub requests: Rc<RefCell<Option<crate::frame::Requests>>>,
    /// The address asked for presenter mode.
    pub presenting: bool,
    /// The run opens with a re-simulation to the link's moment.
    pub rebuilding: bool,
}

/// Starts `scenario` in the worker (re-simulated to `at_ms`), with `note` once it started.
fn start(run: &SharedRun, scenario: &Scenario, at_ms: Option<u64>, note: Option<Note>) {
    run.tell(RunRequest::Start {
        scenario: scenario.to_json(),
        at_ms,
        note,
    });
}

/// What the first render sets up for the page's life, held in one cell: one hook rather than
/// one for each part, as every hook call is code of its own in the wasm (docs/ui.md, the cuts
/// table).
struct Boot {
    run: SharedRun,
    kept_address: KeptAddress,
    chapters: Rc<RefCell<chapter::Chapters>>,
    import: ImportSlot,
    requests: Rc<RefCell<Option<crate::frame::Requests>>>,
    /// The message to open with and whether the run opens with a re-simulation, which only the
    /// first render hands on.
    first: Option<(Option<Message>, bool)>,
}

/// Reads the address once, when the page mounts, and starts the run on it.
#[hook]
pub fn use_boot() -> Booted {
    let boot = use_mut_ref(|| {
        note_read();
        let (hash, search) = location_parts();
        let chapter_name = chapter_play::requested(&hash);
        let opened = match &chapter_name {
            // The chapter is fetched once the page is up; the address waits for it.
            Some(name) => {
                let shown: String = name.chars().take(chapter_play::MAX_NAME_BYTES).collect();
                Opened {
                    scenario: link::default_scenario(),
                    at_ms: None,
                    message: Some(Message::info(format!("Opening the chapter “{shown}”…"))),
                    keep_address: true,
                }
            }
            None => open(link::parse(&hash, &search)),
        };
        let run = SharedRun::default();
        start(&run, &opened.scenario, opened.at_ms, None);
        let kept_address = opened
            .keep_address
            .then(|| link::fragment(&opened.scenario, None));
        // A share link's side-by-side variant (`vs`) starts beside the run; a bad one is
        // named, and the run starts alone.
        let mut message = opened.message;
        let mut chapters = chapter::Chapters::default();
        if chapter_name.is_none() {
            match compare_panel::from_link(&hash, &opened.scenario) {
                Ok(compare) => chapters.compare = compare,
                Err(text) => message = Some(Message::error(text)),
            }
        }
        Boot {
            run,
            kept_address: Rc::new(RefCell::new(kept_address)),
            chapters: Rc::new(RefCell::new(chapters)),
            import: ImportSlot::default(),
            requests: Rc::default(),
            first: Some((message, opened.at_ms.is_some())),
        }
    });
    let mut boot = boot.borrow_mut();
    let (message, rebuilding) = boot.first.take().unwrap_or((None, false));
    Booted {
        run: boot.run.clone(),
        message,
        kept_address: boot.kept_address.clone(),
        chapters: SharedChapters(boot.chapters.clone()),
        import: boot.import.clone(),
        requests: boot.requests.clone(),
        presenting: presenting_in_address(),
        rebuilding,
    }
}

/// Follows a link pasted into the address bar (a hash change) for as long as the listener is
/// kept (the root keeps it while the page is mounted: `super::listen`).
pub fn listen_for_links(
    run: SharedRun,
    chapters: SharedChapters,
    kept_address: KeptAddress,
    dispatcher: UseReducerDispatcher<super::UiState>,
) -> EventListener {
    EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
        follow_address(&run, &chapters, &kept_address, &dispatcher);
    })
}

thread_local! {
    /// Whether a link came before the page's first frame and waits for it: the render that
    /// first shows a frame follows it ([`follow_waiting_link`]).
    static LINK_WAITS: Cell<bool> = const { Cell::new(false) };
}

/// Follows a link that came before the page's first frame, once there is one (called after
/// every render: a flag's read until then).
pub fn follow_waiting_link(
    run: &SharedRun,
    chapters: &SharedChapters,
    kept_address: &KeptAddress,
    dispatcher: &UseReducerDispatcher<super::UiState>,
) {
    if LINK_WAITS.get() && run.frame().is_some() {
        LINK_WAITS.set(false);
        follow_address(run, chapters, kept_address, dispatcher);
    }
}

/// Follows what the address asks for now (after a hash change).
fn follow_address(
    run: &SharedRun,
    chapters: &SharedChapters,
    kept_address: &KeptAddress,
    dispatcher: &UseReducerDispatcher<super::UiState>,
) {
    dispatcher.dispatch(Action::Present(presenting_in_address()));
    let (hash, search) = location_parts();
    if let Some(name) = chapter_play::requested(&hash) {
        note_read();
        chapter::open_chapter(
            name.to_string(),
            run.clone(),
            chapters.clone(),
            kept_address.clone(),
            dispatcher.clone(),
        );
        return;
    }
    let Some(frame) = run.frame() else {
        // The page is still opening: there is no run yet to compare the link with. The link
        // stays unread in the address (which the address bar leaves alone) and is followed
        // once the first frame has come.
        LINK_WAITS.set(true);
        return;
    };
    note_read();
    let current = frame.scenario.clone();
    let followed = follow(&current, link::parse(&hash, &search));
    let shown = followed
        .start
        .as_ref()
        .map_or(&*current, |(scenario, _)| scenario);
    if followed.keep_address {
        *kept_address.borrow_mut() = Some(link::fragment(shown, None));
    }
    if let Some((scenario, at_ms)) = &followed.start {
        // Another scenario is on show: the chapter's story no longer describes it.
        chapters.0.borrow_mut().open = OpenChapter::None;
        start(run, scenario, *at_ms, None);
        dispatcher.dispatch(Action::Motion(Motion::Still));
        if at_ms.is_some() {
            dispatcher.dispatch(Action::Rebuilding(true));
        }
    }
    if !followed.keep_address {
        // The variant is the link's, if it names one.
        let compare = compare_panel::from_link(&hash, shown);
        let mut chapters = chapters.0.borrow_mut();
        chapters.compare = None;
        match compare {
            Ok(compare) => chapters.compare = compare,
            Err(text) => dispatcher.dispatch(Action::Message(Some(Message::error(text)))),
        }
    }
    if let Some(message) = followed.message {
        dispatcher.dispatch(Action::Message(Some(message)));
    }
    dispatcher.dispatch(Action::Redraw);
}

/// Opens the chapter the address names when the page opens (see [`use_boot`]); the root's
/// effect after its first render calls it (`super::listen`).
pub fn open_chapter_at_boot(
    run: SharedRun,
    chapters: SharedChapters,
    kept_address: KeptAddress,
    dispatcher: UseReducerDispatcher<super::UiState>,
) {
    let (hash, _) = location_parts();
    if let Some(name) = chapter_play::requested(&hash) {
        chapter::open_chapter(name.to_string(), run, chapters, kept_address, dispatcher);
    }
}

/// What the address bar should say after a render: the scenario's link once the run is what
/// the page last asked for, with the variant beside it (`&vs=`), and whether `&present` is on.
/// [`keep_address`] acts on it whenever it changes (the root's effect after every render
/// compares it with the last one, `run_view::use_after_render`).
#[derive(Clone, Debug, PartialEq)]
pub struct WantedAddress {
    fragment: Option<String>,
    with_variant: Option<String>,
    presenting: bool,
}

impl WantedAddress {
    pub fn of(run: &SharedRun, chapters: &SharedChapters, presenting: bool) -> WantedAddress {
        // Until the run is what the page last asked for (a chapter's scenario started, say), the
        // address stays as it is.
        let fragment = run
            .frame()
            .filter(|_| run.settled())
            .map(|frame| link::fragment(&frame.scenario, None));
        // While a variant runs beside it, the address carries it too (`&vs=`).
        let with_variant = chapters.0.try_borrow().ok().and_then(|chapters| {
            let compare = chapters.compare.as_ref()?;
            Some(compare_panel::address(fragment.as_ref()?, compare))
        });
        WantedAddress {
            fragment,
            with_variant,
            presenting,
        }
    }
}

/// Keeps the address bar in step with the scenario (`replaceState` fires no hash change),
/// except that a refused link stays there until the scenario changes; `&present` stays on
/// while presenting, and the body's presenter mode is shown ([`present::show_present_mode`]).
pub fn keep_address(wanted: &WantedAddress, kept_address: &KeptAddress) {
    // The mode first, as when it had an effect of its own before this one.
    present::show_present_mode(wanted.presenting);
    let Some(fragment) = &wanted.fragment else {
        return;
    };
    let mut kept = kept_address.borrow_mut();
    if kept.as_deref() == Some(fragment.as_str()) || unread_link_in_address() {
        return;
    }
    let fragment = wanted.with_variant.as_ref().unwrap_or(fragment);
    *kept = None;
    if let Ok(history) = gloo::utils::window().history() {
        // A browser that refuses the update leaves an older link in the address bar; the
        // share fields on the Scenario tab always hold the current one.
        let address = present::with_present(fragment, wanted.presenting);
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
        note_read();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn scenario_link(scenario: &Scenario, at_ms: Option<u64>) -> LinkRequest {
        link::parse(&link::fragment(scenario, at_ms), "")
    }

    /// A scenario that parses but that the engine refuses (blocks over its 16 MiB cap).
    fn refused_by_the_engine() -> Scenario {
        let mut scenario = link::default_scenario();
        scenario.engine.block_bytes = Some(32 * 1024 * 1024);
        scenario
    }

    #[test]
    fn a_good_link_opens_its_scenario_at_its_moment() {
        let mut scenario = link::default_scenario();
        scenario.seed = 7;
        let opened = open(scenario_link(&scenario, Some(1500)));
        assert_eq!(opened.scenario, scenario);
        assert_eq!(
            opened.at_ms,
            Some(1500),
            "re-simulating to the link's moment"
        );
        assert!(!opened.keep_address);
        let message = opened.message.expect("the page says what it loaded");
        assert!(!message.error);
        assert!(
            message.text.contains("seed 7") && message.text.contains("1.500 s"),
            "{}",
            message.text
        );
    }

    #[test]
    fn a_bad_link_opens_the_defaults_says_why_and_keeps_the_address() {
        for request in [
            link::parse("#s=v1.%%%", ""),
            scenario_link(&refused_by_the_engine(), None),
        ] {
            let opened = open(request);
            assert_eq!(opened.scenario, link::default_scenario());
            assert_eq!(opened.at_ms, None);
            assert!(opened.keep_address);
            let message = opened.message.expect("a refused link gives a message");
            assert!(message.error, "{}", message.text);
            assert!(message.text.contains("defaults"), "{}", message.text);
            assert!(!message.text.contains("Loaded"), "{}", message.text);
        }
    }

    #[test]
    fn a_pasted_bad_link_leaves_the_run_and_keeps_the_address() {
        let current = link::default_scenario();
        // Every refusal `link::parse` writes (no scenario, a bad moment, a bad scenario),
        // and a scenario the engine refuses.
        for request in [
            link::parse("#x=1", ""),
            link::parse("#s=v9.abc&at=soon", ""),
            link::parse("#s=v9.abc", ""),
            scenario_link(&refused_by_the_engine(), None),
        ] {
            let followed = follow(&current, request);
            assert!(followed.keep_address);
            assert_eq!(followed.start, None, "the run goes on");
            let message = followed.message.expect("a refused link gives a message");
            assert!(message.error);
            assert!(
                message.text.contains("goes on unchanged"),
                "{}",
                message.text
            );
            assert!(!message.text.contains("defaults"), "{}", message.text);
        }
        let mut other = link::default_scenario();
        other.seed = 3;
        let followed = follow(&current, scenario_link(&other, Some(100)));
        assert!(!followed.keep_address);
        assert_eq!(followed.start, Some((other, Some(100))));
        // The same scenario without a moment: nothing to do.
        let same = follow(&current, scenario_link(&current, None));
        assert_eq!(same.start, None);
        assert!(!same.keep_address);
    }
}
