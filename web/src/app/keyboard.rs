//! The page's keys: Space plays or pauses, "." steps one simulation event, and while a
//! chapter is open → or PageDown plays to its next beat and ← or PageUp goes back one (the
//! keys presentation clickers send). None fires while the visitor types in a field or holds
//! a modifier, and a focused button keeps Space for itself.

use super::chapter::{self, SharedChapters};
use super::{error, Action, SharedSession, UiState};
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
}

/// The action for `key` pressed on an element named `tag` (`INPUT`, `BUTTON`, …), if any.
pub fn key_action(key: &str, tag: &str, modified: bool) -> Option<KeyAction> {
    let typing = matches!(tag, "INPUT" | "SELECT" | "TEXTAREA");
    if typing || modified {
        return None;
    }
    match key {
        " " if tag != "BUTTON" => Some(KeyAction::TogglePlay),
        "." => Some(KeyAction::Step),
        "ArrowRight" | "PageDown" => Some(KeyAction::NextBeat),
        "ArrowLeft" | "PageUp" => Some(KeyAction::PreviousBeat),
        _ => None,
    }
}

/// Listens for the page's keys on the document while the page is mounted.
#[hook]
pub fn use_keyboard(
    session: &SharedSession,
    chapters: &SharedChapters,
    dispatcher: UseReducerDispatcher<UiState>,
) {
    let session = session.clone();
    let chapters = chapters.clone();
    use_effect_with((), move |_| {
        // Not passive: Space must not also scroll the page.
        let options = EventListenerOptions::enable_prevent_default();
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
                let modified = event.ctrl_key() || event.meta_key() || event.alt_key();
                match key_action(&event.key(), &tag, modified) {
                    Some(KeyAction::TogglePlay) => {
                        event.prevent_default();
                        dispatcher.dispatch(Action::TogglePlay);
                    }
                    Some(KeyAction::Step) => {
                        let result = session.0.borrow_mut().step();
                        match result {
                            Ok(_) => dispatcher.dispatch(Action::Redraw),
                            Err(e) => {
                                dispatcher.dispatch(error(format!("The simulation stopped: {e}")))
                            }
                        }
                    }
                    // Without a chapter the keys keep their usual meaning (scrolling).
                    Some(beat @ (KeyAction::NextBeat | KeyAction::PreviousBeat)) => {
                        let used = if beat == KeyAction::NextBeat {
                            chapter::next_beat(&session, &chapters, &dispatcher)
                        } else {
                            chapter::previous_beat(&session, &chapters, &dispatcher)
                        };
                        if used {
                            event.prevent_default();
                        }
                    }
                    None => {}
                }
            },
        );
        move || drop(listener)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn keys_act_only_outside_fields_and_without_modifiers() {
        assert_eq!(key_action(" ", "BODY", false), Some(KeyAction::TogglePlay));
        assert_eq!(key_action(".", "BUTTON", false), Some(KeyAction::Step));
        assert_eq!(
            key_action(" ", "BUTTON", false),
            None,
            "a button takes Space"
        );
        assert_eq!(key_action(".", "INPUT", false), None, "typing a number");
        assert_eq!(key_action(" ", "TEXTAREA", false), None);
        assert_eq!(
            key_action(".", "BODY", true),
            None,
            "a shortcut of the browser"
        );
        assert_eq!(key_action("x", "BODY", false), None);
        for key in ["ArrowRight", "PageDown"] {
            assert_eq!(key_action(key, "BODY", false), Some(KeyAction::NextBeat));
            assert_eq!(key_action(key, "BUTTON", false), Some(KeyAction::NextBeat));
        }
        for key in ["ArrowLeft", "PageUp"] {
            assert_eq!(
                key_action(key, "BODY", false),
                Some(KeyAction::PreviousBeat)
            );
        }
        assert_eq!(
            key_action("ArrowRight", "INPUT", false),
            None,
            "moving a slider or the caret"
        );
        assert_eq!(key_action("ArrowLeft", "BODY", true), None, "browser back");
    }
}
