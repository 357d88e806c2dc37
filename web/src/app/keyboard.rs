//! The page's keys: Space plays or pauses, "." steps one simulation event, and while a
//! chapter is open → or PageDown plays to its next beat and ← or PageUp goes back one (the
//! keys presentation clickers send). P enters presenter mode; there, F asks for full screen,
//! 1 to 9 open chapters 1–9 of the index and Esc leaves the mode. None fires while the
//! visitor types in a field or holds a modifier, and a focused button keeps Space for itself.

use super::chapter::{self, SharedChapters};
use super::present::{self, MODE_ATTRIBUTE, MODE_PRESENT};
use super::run_view::SharedRun;
use super::{Action, UiState};
use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What a key asks of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    TogglePlay,
    Step,
    NextBeat,
    PreviousBeat,
    /// Enters presenter mode, or leaves it.
    TogglePresent,
    LeavePresent,
    Fullscreen,
    /// Opens chapter `n` (from 1) of the index.
    OpenChapter(usize),
}

/// The action for `key` pressed on an element named `tag` (`INPUT`, `BUTTON`, …), in
/// presenter mode or not, if any.
pub fn key_action(key: &str, tag: &str, modified: bool, presenting: bool) -> Option<KeyAction> {
    let typing = matches!(tag, "INPUT" | "SELECT" | "TEXTAREA");
    if typing || modified {
        return None;
    }
    match key {
        " " if tag != "BUTTON" => Some(KeyAction::TogglePlay),
        "." => Some(KeyAction::Step),
        "ArrowRight" | "PageDown" => Some(KeyAction::NextBeat),
        "ArrowLeft" | "PageUp" => Some(KeyAction::PreviousBeat),
        "p" | "P" => Some(KeyAction::TogglePresent),
        "Escape" if presenting => Some(KeyAction::LeavePresent),
        "f" | "F" if presenting => Some(KeyAction::Fullscreen),
        digit if presenting => match crate::format::parse_index(digit) {
            Some(n @ 1..=9) if digit.len() == 1 => Some(KeyAction::OpenChapter(n)),
            _ => None,
        },
        _ => None,
    }
}

/// Listens for the page's keys on the document for as long as the listener is kept (the
/// root keeps it while the page is mounted, with its other listeners: `super::listen`).
pub fn listen(
    run: SharedRun,
    chapters: SharedChapters,
    dispatcher: UseReducerDispatcher<UiState>,
    on_open_numbered: Callback<usize>,
) -> EventListener {
    // Not passive: Space must not also scroll the page.
    let options = EventListenerOptions::enable_prevent_default();
    EventListener::new_with_options(&gloo::utils::document(), "keydown", options, move |event| {
        let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
            return;
        };
        let tag = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .map(|e| e.tag_name())
            .unwrap_or_default();
        let modified = event.ctrl_key() || event.meta_key() || event.alt_key();
        // The body carries the mode (see `present`), so the listener needs no state.
        let presenting = gloo::utils::document()
            .body()
            .and_then(|body| body.get_attribute(MODE_ATTRIBUTE))
            .is_some_and(|mode| mode == MODE_PRESENT);
        match key_action(&event.key(), &tag, modified, presenting) {
            Some(KeyAction::TogglePlay) => {
                event.prevent_default();
                run.toggle_play(&dispatcher);
            }
            Some(KeyAction::Step) => {
                run.move_to(
                    crate::worker::run::Motion::Still,
                    crate::worker::run::RunRequest::Step,
                    &dispatcher,
                );
            }
            // Without a chapter the keys keep their usual meaning (scrolling).
            Some(beat @ (KeyAction::NextBeat | KeyAction::PreviousBeat)) => {
                let used = if beat == KeyAction::NextBeat {
                    chapter::next_beat(&run, &chapters, &dispatcher)
                } else {
                    chapter::previous_beat(&run, &chapters, &dispatcher)
                };
                if used {
                    event.prevent_default();
                }
            }
            Some(KeyAction::TogglePresent) => dispatcher.dispatch(Action::Present(!presenting)),
            Some(KeyAction::LeavePresent) => dispatcher.dispatch(Action::Present(false)),
            Some(KeyAction::Fullscreen) => present::toggle_fullscreen(),
            Some(KeyAction::OpenChapter(n)) => on_open_numbered.emit(n),
            None => {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn keys_act_only_outside_fields_and_without_modifiers() {
        assert_eq!(
            key_action(" ", "BODY", false, false),
            Some(KeyAction::TogglePlay)
        );
        assert_eq!(
            key_action(".", "BUTTON", false, false),
            Some(KeyAction::Step)
        );
        assert_eq!(
            key_action(" ", "BUTTON", false, false),
            None,
            "a button takes Space"
        );
        assert_eq!(
            key_action(".", "INPUT", false, false),
            None,
            "typing a number"
        );
        assert_eq!(key_action(" ", "TEXTAREA", false, false), None);
        assert_eq!(
            key_action(".", "BODY", true, false),
            None,
            "a shortcut of the browser"
        );
        assert_eq!(key_action("x", "BODY", false, false), None);
        for key in ["ArrowRight", "PageDown"] {
            assert_eq!(
                key_action(key, "BODY", false, false),
                Some(KeyAction::NextBeat)
            );
            assert_eq!(
                key_action(key, "BUTTON", false, false),
                Some(KeyAction::NextBeat)
            );
        }
        for key in ["ArrowLeft", "PageUp"] {
            assert_eq!(
                key_action(key, "BODY", false, false),
                Some(KeyAction::PreviousBeat)
            );
        }
        assert_eq!(
            key_action("ArrowRight", "INPUT", false, false),
            None,
            "moving a slider or the caret"
        );
        assert_eq!(
            key_action("ArrowLeft", "BODY", true, false),
            None,
            "browser back"
        );
    }

    #[test]
    fn presenter_keys_act_in_presenter_mode_only() {
        for presenting in [false, true] {
            assert_eq!(
                key_action("p", "BODY", false, presenting),
                Some(KeyAction::TogglePresent)
            );
            assert_eq!(
                key_action("P", "BUTTON", false, presenting),
                Some(KeyAction::TogglePresent)
            );
            assert_eq!(key_action("p", "INPUT", false, presenting), None);
            assert_eq!(key_action("p", "BODY", true, presenting), None, "print");
        }
        assert_eq!(key_action("Escape", "BODY", false, false), None);
        assert_eq!(
            key_action("f", "BODY", false, false),
            None,
            "find as you type"
        );
        assert_eq!(key_action("1", "BODY", false, false), None);
        assert_eq!(
            key_action("Escape", "BODY", false, true),
            Some(KeyAction::LeavePresent)
        );
        assert_eq!(
            key_action("F", "BODY", false, true),
            Some(KeyAction::Fullscreen)
        );
        assert_eq!(
            key_action("1", "BODY", false, true),
            Some(KeyAction::OpenChapter(1))
        );
        assert_eq!(
            key_action("9", "BUTTON", false, true),
            Some(KeyAction::OpenChapter(9))
        );
        assert_eq!(key_action("0", "BODY", false, true), None);
        assert_eq!(key_action("10", "BODY", false, true), None);
        assert_eq!(key_action("+1", "BODY", false, true), None);
        assert_eq!(key_action("3", "TEXTAREA", false, true), None);
        assert_eq!(key_action("Escape", "SELECT", false, true), None);
    }
}
