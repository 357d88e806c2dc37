//! Touch screens: a tap on a figure (any drawing in the views or the chapter panel) plays or
//! pauses, and a horizontal swipe moves between a chapter's beats (to the left: the next
//! beat, to the right: the previous one), as → and ← do on a keyboard.
//!
//! What a gesture is, from where a touch started and ended, is decided by [`gesture`], tested
//! natively; [`listen`] only listens. A tap on a figure is taken (its click suppressed) so that
//! it does not also reach the figure's own handlers; a tap anywhere else is the browser's.

use super::chapter::{self, SharedChapters};
use super::run_view::SharedRun;
use super::UiState;
use gloo::events::{EventListener, EventListenerOptions};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// A swipe moves at least this far sideways (CSS pixels)…
pub const SWIPE_MIN_PX: f64 = 60.0;
/// …and at least this many times further sideways than up or down (a scroll is not a swipe).
pub const SWIPE_SLOPE: f64 = 1.5;
/// A tap moves at most this far in either direction.
pub const TAP_MAX_PX: f64 = 10.0;
/// The elements a tap plays or pauses on.
const FIGURES: &str = "main svg, .chapter-panel svg";

/// What one touch, from `start` to `end` (x, y in CSS pixels), was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gesture {
    Tap,
    SwipeLeft,
    SwipeRight,
    /// A scroll, a drag too short to be a swipe, or a diagonal.
    Other,
}

pub fn gesture(start: (f64, f64), end: (f64, f64)) -> Gesture {
    let (dx, dy) = (end.0 - start.0, end.1 - start.1);
    if !(dx.is_finite() && dy.is_finite()) {
        return Gesture::Other;
    }
    if dx.abs() <= TAP_MAX_PX && dy.abs() <= TAP_MAX_PX {
        Gesture::Tap
    } else if dx.abs() >= SWIPE_MIN_PX && dx.abs() >= SWIPE_SLOPE * dy.abs() {
        if dx < 0.0 {
            Gesture::SwipeLeft
        } else {
            Gesture::SwipeRight
        }
    } else {
        Gesture::Other
    }
}

/// Where the first finger of `touches` is.
fn point(touches: web_sys::TouchList) -> Option<(f64, f64)> {
    touches
        .get(0)
        .map(|touch| (f64::from(touch.client_x()), f64::from(touch.client_y())))
}

/// Listens for taps and swipes on the document for as long as the two listeners are kept
/// (the root keeps them while the page is mounted: `super::listen`).
pub fn listen(
    run: SharedRun,
    chapters: SharedChapters,
    dispatcher: UseReducerDispatcher<UiState>,
) -> [EventListener; 2] {
    let document = gloo::utils::document();
    // One finger at a time: where it went down; a second finger cancels the gesture.
    let started: Rc<Cell<Option<(f64, f64)>>> = Rc::new(Cell::new(None));
    let on_start = {
        let started = started.clone();
        EventListener::new(&document, "touchstart", move |event| {
            let Some(event) = event.dyn_ref::<web_sys::TouchEvent>() else {
                return;
            };
            let single = event.touches().length() == 1;
            started.set(single.then(|| point(event.touches())).flatten());
        })
    };
    // Not passive: a tap taken here must not also click.
    let options = EventListenerOptions::enable_prevent_default();
    let on_end = EventListener::new_with_options(&document, "touchend", options, move |event| {
        let Some(event) = event.dyn_ref::<web_sys::TouchEvent>() else {
            return;
        };
        let (Some(start), Some(end)) = (started.take(), point(event.changed_touches())) else {
            return;
        };
        match gesture(start, end) {
            Gesture::Tap => {
                let on_figure = event
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|e| e.closest(FIGURES).ok().flatten())
                    .is_some();
                if on_figure {
                    event.prevent_default();
                    run.toggle_play(&dispatcher);
                }
            }
            Gesture::SwipeLeft => {
                chapter::next_beat(&run, &chapters, &dispatcher);
            }
            Gesture::SwipeRight => {
                chapter::previous_beat(&run, &chapters, &dispatcher);
            }
            Gesture::Other => {}
        }
    });
    [on_start, on_end]
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_touch_is_a_tap_a_swipe_or_neither() {
        assert_eq!(gesture((100.0, 100.0), (104.0, 97.0)), Gesture::Tap);
        assert_eq!(gesture((300.0, 400.0), (120.0, 420.0)), Gesture::SwipeLeft);
        assert_eq!(gesture((50.0, 400.0), (200.0, 380.0)), Gesture::SwipeRight);
        assert_eq!(
            gesture((100.0, 100.0), (140.0, 100.0)),
            Gesture::Other,
            "too short for a swipe"
        );
        assert_eq!(
            gesture((100.0, 100.0), (180.0, 200.0)),
            Gesture::Other,
            "a scroll, mostly down"
        );
        assert_eq!(gesture((100.0, 100.0), (f64::NAN, 100.0)), Gesture::Other);
        assert_eq!(
            gesture((0.0, 0.0), (-SWIPE_MIN_PX, 0.0)),
            Gesture::SwipeLeft,
            "the threshold counts"
        );
    }
}
