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

use super::chapter::{self, OpenChapter, SharedChapters};
use super::compare_panel;
use super::present;
use super::{Action, Message, SharedSession};
use crate::chapter_play;
use crate::format;
use crate::link::{self, LinkRequest};
use crate::session::{Milestone, Session};
use gloo::events::EventListener;
use std::cell::RefCell;
use std::rc::Rc;
use strata_lab::Scenario;
use strata_sim::SimTime;
use yew::prelude::*;

/// The fragment of the scenario that was running when a link was refused: while the scenario
/// is still that one, the address bar keeps the refused link instead.
pub type KeptAddress = Rc<RefCell<Option<String>>>;

/// What the page opened on.
pub struct Opened {
    pub session: Session,
    pub message: Option<Message>,
    /// The link could not be used: leave it in the address bar.
    pub keep_address: bool,
}

/// Opens the page on what the address asked for: the link's scenario (re-simulating to its
/// moment, when it names one), or the default scenario with a message that says why not.
pub fn open(request: LinkRequest) -> Opened {
    match request {
        LinkRequest::None => Opened {
            session: default_session(),
            message: None,
            keep_address: false,
        },
        LinkRequest::Invalid(text) => Opened {
            session: default_session(),
            message: Some(Message::error(text)),
            keep_address: true,
        },
        LinkRequest::Scenario { scenario, at_ms } => {
            let name = scenario.name.clone();
            let seed = scenario.seed;
            let mut session = match Session::new((*scenario).clone()) {
                Ok(session) => session,
                Err(e) => {
                    return Opened {
                        session: default_session(),
                        message: Some(Message::error(format!(
                            "That scenario could not start ({e}), so the playground started from its defaults."
                        ))),
                        keep_address: true,
                    }
                }
            };
            let mut moment = String::new();
            if let Some(ms) = at_ms {
                let at = SimTime::from_millis(ms);
                if let Err(e) = session.begin_rebuild(*scenario, Milestone::time(at)) {
                    return Opened {
                        session,
                        message: Some(Message::error(format!(
                            "Loaded the scenario “{name}” (seed {seed}) from the link, but could not re-simulate to {} ({e}); it starts at 0 s.",
                            format::sim_time(at)
                        ))),
                        keep_address: true,
                    };
                }
                moment = format!(", re-simulating to {}", format::sim_time(at));
            }
            Opened {
                session,
                message: Some(Message::info(format!(
                    "Loaded the scenario “{name}” (seed {seed}) from the link{moment}."
                ))),
                keep_address: false,
            }
        }
    }
}

fn default_session() -> Session {
    Session::new(link::default_scenario())
        .expect("the default scenario is valid (checked by a test)")
}

/// What following a pasted link did.
#[derive(Debug, PartialEq)]
pub struct Followed {
    pub message: Option<Message>,
    /// A re-simulation to the link's moment started.
    pub rebuilding: bool,
    /// The link was refused: the address bar keeps it, and the run goes on as it was.
    pub keep_address: bool,
}

/// Follows a link pasted into the address bar while a run is on show: restarts on its
/// scenario, or leaves the run alone and says why the link could not be used.
pub fn follow(session: &mut Session, request: LinkRequest) -> Followed {
    let refused = |text: String| Followed {
        message: Some(Message::error(text)),
        rebuilding: false,
        keep_address: true,
    };
    match request {
        LinkRequest::None => Followed {
            message: None,
            rebuilding: false,
            keep_address: false,
        },
        LinkRequest::Invalid(text) => refused(text.replace(
            "so the playground started from its defaults",
            "so the current run goes on unchanged",
        )),
        LinkRequest::Scenario { scenario, at_ms } => {
            if *scenario == *session.scenario() && at_ms.is_none() {
                return Followed {
                    message: None,
                    rebuilding: false,
                    keep_address: false,
                };
            }
            let target: Scenario = (*scenario).clone();
            if let Err(e) = session.restart(*scenario) {
                return refused(format!(
                    "The link's scenario could not start ({e}); the run goes on unchanged."
                ));
            }
            let Some(ms) = at_ms else {
                return Followed {
                    message: Some(Message::info("Loaded the scenario from the link.")),
                    rebuilding: false,
                    keep_address: false,
                };
            };
            let at = SimTime::from_millis(ms);
            match session.begin_rebuild(target, Milestone::time(at)) {
                Ok(()) => Followed {
                    message: Some(Message::info(format!(
                        "Loaded the scenario from the link, re-simulating to {}.",
                        format::sim_time(at)
                    ))),
                    rebuilding: true,
                    keep_address: false,
                },
                Err(e) => Followed {
                    message: Some(Message::error(format!(
                        "Loaded the scenario from the link, but could not re-simulate to {} ({e}); it starts at 0 s.",
                        format::sim_time(at)
                    ))),
                    rebuilding: false,
                    keep_address: true,
                },
            }
        }
    }
}

/// The page's address: its fragment (`location.hash`, without `&present`) and query
/// (`location.search`).
fn location_parts() -> (String, String) {
    let location = gloo::utils::window().location();
    (
        present::with_present(&location.hash().unwrap_or_default(), false),
        location.search().unwrap_or_default(),
    )
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

/// What [`use_boot`] gives the root: the session, the message to open with, and the refused
/// link's hold on the address bar.
pub struct Booted {
    pub session: SharedSession,
    pub message: Option<Message>,
    pub kept_address: KeptAddress,
    pub chapters: SharedChapters,
    /// The address asked for presenter mode.
    pub presenting: bool,
}

/// Reads the address once, when the page mounts, and opens the session on it.
#[hook]
pub fn use_boot() -> Booted {
    let opened = use_mut_ref(|| {
        let (hash, search) = location_parts();
        if let Some(name) = chapter_play::requested(&hash) {
            // The chapter is fetched once the page is up; the address waits for it.
            let shown: String = name.chars().take(chapter_play::MAX_NAME_BYTES).collect();
            return Some(Opened {
                session: default_session(),
                message: Some(Message::info(format!("Opening the chapter “{shown}”…"))),
                keep_address: true,
            });
        }
        Some(open(link::parse(&hash, &search)))
    });
    let first = opened.borrow_mut().take();
    let message = first.as_ref().and_then(|o| o.message.clone());
    let keep = first.as_ref().is_some_and(|o| o.keep_address);
    let session = use_mut_ref(|| {
        first
            .map(|o| o.session)
            .expect("the first render opens the session")
    });
    let kept_address =
        use_mut_ref(|| keep.then(|| link::fragment(session.borrow().scenario(), None)));
    // A share link's side-by-side variant (`vs`) starts beside the run; a bad one is named,
    // and the run starts alone.
    let mut variant_message = None;
    let chapters = use_mut_ref(|| {
        let mut chapters = chapter::Chapters::default();
        let (hash, _) = location_parts();
        if chapter_play::requested(&hash).is_none() {
            match compare_panel::from_link(&hash, session.borrow().scenario()) {
                Ok(compare) => chapters.compare = compare,
                Err(text) => variant_message = Some(Message::error(text)),
            }
        }
        chapters
    });
    let message = variant_message.or(message);
    Booted {
        session: SharedSession(session),
        message,
        kept_address,
        chapters: SharedChapters(chapters),
        presenting: presenting_in_address(),
    }
}

/// Follows a link pasted into the address bar (a hash change).
#[hook]
pub fn use_link_listener(
    session: &SharedSession,
    chapters: &SharedChapters,
    kept_address: &KeptAddress,
    dispatcher: UseReducerDispatcher<super::UiState>,
) {
    let session = session.clone();
    let chapters = chapters.clone();
    let kept_address = kept_address.clone();
    use_effect_with((), move |_| {
        let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
            dispatcher.dispatch(Action::Present(presenting_in_address()));
            let (hash, search) = location_parts();
            if let Some(name) = chapter_play::requested(&hash) {
                chapter::open_chapter(
                    name.to_string(),
                    session.clone(),
                    chapters.clone(),
                    kept_address.clone(),
                    dispatcher.clone(),
                );
                return;
            }
            let mut session = session.0.borrow_mut();
            let before = session.scenario().clone();
            let followed = follow(&mut session, link::parse(&hash, &search));
            if followed.keep_address {
                *kept_address.borrow_mut() = Some(link::fragment(session.scenario(), None));
            }
            if *session.scenario() != before || followed.rebuilding {
                // Another scenario is on show: the chapter's story no longer describes it.
                chapters.0.borrow_mut().open = OpenChapter::None;
                dispatcher.dispatch(Action::BeatRun(None));
            }
            if !followed.keep_address {
                // The variant is the link's, if it names one.
                let compare = compare_panel::from_link(&hash, session.scenario());
                let mut chapters = chapters.0.borrow_mut();
                chapters.compare = None;
                match compare {
                    Ok(compare) => chapters.compare = compare,
                    Err(text) => dispatcher.dispatch(Action::Message(Some(Message::error(text)))),
                }
            }
            drop(session);
            if followed.rebuilding {
                dispatcher.dispatch(Action::Rebuilding(true));
            }
            if let Some(message) = followed.message {
                dispatcher.dispatch(Action::Message(Some(message)));
            }
            dispatcher.dispatch(Action::Redraw);
        });
        move || drop(listener)
    });
}

/// Opens the chapter the address names when the page opens (see [`use_boot`]).
#[hook]
pub fn use_chapter_at_boot(
    session: &SharedSession,
    chapters: &SharedChapters,
    kept_address: &KeptAddress,
    dispatcher: UseReducerDispatcher<super::UiState>,
) {
    let session = session.clone();
    let chapters = chapters.clone();
    let kept_address = kept_address.clone();
    use_effect_with((), move |_| {
        let (hash, _) = location_parts();
        if let Some(name) = chapter_play::requested(&hash) {
            chapter::open_chapter(
                name.to_string(),
                session,
                chapters,
                kept_address,
                dispatcher,
            );
        }
    });
}

/// Keeps the address bar in step with the scenario (`replaceState` fires no hash change),
/// except that a refused link stays there until the scenario changes; `&present` stays on
/// while `presenting`.
#[hook]
pub fn use_address_bar(
    session: &SharedSession,
    chapters: &SharedChapters,
    kept_address: &KeptAddress,
    presenting: bool,
) {
    let fragment = link::fragment(session.0.borrow().scenario(), None);
    // While a variant runs beside it, the address carries it too (`&vs=`).
    let with_variant = chapters.0.try_borrow().ok().and_then(|chapters| {
        let compare = chapters.compare.as_ref()?;
        Some(compare_panel::address(&fragment, compare))
    });
    let kept_address = kept_address.clone();
    use_effect_with(
        (fragment, with_variant, presenting),
        move |(fragment, with_variant, presenting)| {
            let mut kept = kept_address.borrow_mut();
            if kept.as_deref() == Some(fragment.as_str()) {
                return;
            }
            let fragment = with_variant.as_ref().unwrap_or(fragment);
            *kept = None;
            if let Ok(history) = gloo::utils::window().history() {
                // A browser that refuses the update leaves an older link in the address bar;
                // the share fields on the Scenario tab always hold the current one.
                let address = present::with_present(fragment, *presenting);
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&address),
                );
            }
        },
    );
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
        assert_eq!(opened.session.scenario(), &scenario);
        assert!(
            opened.session.rebuilding(),
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
            assert_eq!(opened.session.scenario(), &link::default_scenario());
            assert!(opened.keep_address);
            let message = opened.message.expect("a refused link gives a message");
            assert!(message.error, "{}", message.text);
            assert!(message.text.contains("defaults"), "{}", message.text);
            assert!(!message.text.contains("Loaded"), "{}", message.text);
        }
    }

    #[test]
    fn a_pasted_bad_link_leaves_the_run_and_keeps_the_address() {
        let mut session = Session::new(link::default_scenario()).unwrap();
        session
            .advance(strata_sim::SimDuration::from_millis(200), u64::MAX)
            .unwrap();
        let before = (session.now(), session.lab().trace().hash_hex());
        for request in [
            link::parse("#s=v9.abc", ""),
            scenario_link(&refused_by_the_engine(), None),
        ] {
            let followed = follow(&mut session, request);
            assert!(followed.keep_address);
            assert!(!followed.rebuilding);
            let message = followed.message.expect("a refused link gives a message");
            assert!(message.error);
            assert!(
                message.text.contains("goes on unchanged"),
                "{}",
                message.text
            );
            assert_eq!((session.now(), session.lab().trace().hash_hex()), before);
        }
        let mut other = link::default_scenario();
        other.seed = 3;
        let followed = follow(&mut session, scenario_link(&other, Some(100)));
        assert!(followed.rebuilding && !followed.keep_address);
        assert_eq!(session.scenario(), &other);
    }
}
