//! Presenter mode: the page as it is shown on a projector. `data-mode="present"` on `<body>`
//! lets the style sheet enlarge the type, hide the controls, switch to a high-contrast light
//! theme and keep only the figure that matters (the beat's highlighted figure, or the LSM tree
//! without one) under the chapter's caption. The mode is part of the address (`&present`), so
//! a link opens in it and a reload keeps it; P enters it and Esc leaves it
//! ([`super::keyboard`]), and F asks the browser for full screen.
//!
//! The address functions are plain string work, tested natively; showing the mode (which the
//! address bar's effect does) and full screen are the browser's.

use wasm_bindgen::JsCast;

/// The address parameter that asks for presenter mode: `#chapter=zombie&present`.
pub const PRESENT_PARAM: &str = "present";
/// The `<body>` attribute and value the style sheet keys presenter mode on.
pub const MODE_ATTRIBUTE: &str = "data-mode";
pub const MODE_PRESENT: &str = "present";

/// The fragment's parameters but `present`, in their order, and whether `present` was one.
/// One loop for both questions: a `filter` with an `any`, and another with a `collect`, were
/// instances of their own.
fn parts(hash: &str) -> (Vec<&str>, bool) {
    let (mut others, mut present) = (Vec::new(), false);
    for part in hash.trim_start_matches('#').split('&') {
        if part == PRESENT_PARAM {
            present = true;
        } else if !part.is_empty() {
            others.push(part);
        }
    }
    (others, present)
}

/// Whether the fragment `hash` asks for presenter mode.
pub fn has_present(hash: &str) -> bool {
    parts(hash).1
}

/// `hash` with `&present` added (`on`) or taken out; its other parameters keep their order.
pub fn with_present(hash: &str, on: bool) -> String {
    let (mut kept, _) = parts(hash);
    if on {
        kept.push(PRESENT_PARAM);
    }
    if kept.is_empty() {
        String::new()
    } else {
        format!("#{}", strata_sim::fmt::join(&kept, "&"))
    }
}

/// Keeps `<body data-mode="present">` and the address's `&present` in step with the mode:
/// called when what the address bar should say changed, the mode among it
/// ([`super::boot::keep_address`]), rather than by an effect of its own, as every effect is
/// code of its own in the wasm (docs/ui.md, the cuts table). The body's attribute is the mode
/// last shown, so nothing is done while the mode stays as it was.
pub fn show_present_mode(presenting: bool) {
    let body = gloo::utils::document().body();
    if body
        .as_ref()
        .is_some_and(|body| body.has_attribute(MODE_ATTRIBUTE) == presenting)
    {
        return;
    }
    if let Some(body) = body {
        // Setting or removing an attribute on the live body cannot fail.
        let _ = if presenting {
            body.set_attribute(MODE_ATTRIBUTE, MODE_PRESENT)
        } else {
            body.remove_attribute(MODE_ATTRIBUTE)
        };
    }
    let window = gloo::utils::window();
    let hash = window.location().hash().unwrap_or_default();
    let wanted = with_present(&hash, presenting);
    if wanted != hash {
        if let Ok(history) = window.history() {
            let url = if wanted.is_empty() {
                // No fragment left: the page's own address, without a bare `#`.
                window.location().pathname().unwrap_or_default()
                    + &window.location().search().unwrap_or_default()
            } else {
                wanted
            };
            // A refused update leaves the address as it was; the mode is on the body.
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}

/// Asks the browser for full screen, or leaves it. The browser may refuse (no user gesture,
/// a policy, an embedding frame): that is not an error, the page simply stays as it is.
pub fn toggle_fullscreen() {
    let document = gloo::utils::document();
    let promise = if document.fullscreen_element().is_some() {
        call_promise(document.as_ref(), "exitFullscreen")
    } else {
        document
            .document_element()
            .and_then(|element| call_promise(element.as_ref(), "requestFullscreen"))
    };
    if let Some(promise) = promise {
        crate::spawn_local(async move {
            // A refusal rejects the promise; awaiting it here keeps it from being reported as
            // an unhandled rejection.
            let _refused_is_fine = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}

/// Calls the method `name` of `target`, which returns a promise (the Fullscreen API's calls
/// do; web-sys's bindings drop it, so a refusal would go unhandled).
fn call_promise(target: &wasm_bindgen::JsValue, name: &str) -> Option<js_sys::Promise> {
    let method = js_sys::Reflect::get(target, &name.into()).ok()?;
    let method = method.dyn_into::<js_sys::Function>().ok()?;
    method
        .call0(target)
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_mode_is_a_parameter_of_the_address() {
        assert!(has_present("#chapter=zombie&present"));
        assert!(has_present("#present"));
        assert!(!has_present("#s=v1.abc"));
        assert!(
            !has_present("#s=v1.present"),
            "a value is not the parameter"
        );
        assert!(!has_present(""));
        assert_eq!(
            with_present("#chapter=zombie", true),
            "#chapter=zombie&present"
        );
        assert_eq!(
            with_present("#chapter=zombie&present", true),
            "#chapter=zombie&present",
            "added once"
        );
        assert_eq!(
            with_present("#s=v1.abc&present&t=5", false),
            "#s=v1.abc&t=5"
        );
        assert_eq!(with_present("", true), "#present");
        assert_eq!(with_present("#present", false), "");
        assert_eq!(with_present("", false), "");
    }
}
