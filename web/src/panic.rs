//! The panic hook: a Rust panic shows a red banner with the message instead of leaving a dead
//! page, and is also logged to the console for bug reports. A panic in the page's worker
//! ([`crate::worker`]) is posted to the page, which shows it in the same banner.

use std::fmt::Display;
use std::sync::Once;

/// Shows `message` in the page's error banner.
pub fn show_banner(message: &str) {
    let document = gloo::utils::document();
    if let Some(banner) = document.get_element_by_id("panic-banner") {
        banner.set_text_content(Some(message));
        let _ = banner.remove_attribute("hidden");
    }
}

/// The banner's text for a panic (or a failure as final) described by `what`.
pub fn banner_text(what: &dyn Display) -> String {
    format!(
        "Something went wrong inside the playground and it stopped: {what}\nReload the page to start again; the share link in the address bar keeps your scenario."
    )
}

/// What a panic says: its message, and where it happened when the build keeps panic locations.
/// The shipped page is built without them (`-Zlocation-detail=none`, `crates/xtask/src/dist.rs`:
/// 12.5 KB of the wasm's gzip size), so there only the message shows; the same scenario run
/// natively (`strata run` on the page's exported scenario) replays the run and names the place.
pub fn describe(info: &std::panic::PanicHookInfo) -> String {
    let message = info.payload_as_str().unwrap_or("a panic without a message");
    match info.location() {
        Some(at) if at.line() != 0 => format!("{message} (at {at})"),
        _ => message.to_string(),
    }
}

/// Installs the hook once.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        yew::set_custom_panic_hook(Box::new(|info| {
            let message = banner_text(&describe(info));
            show_banner(&message);
            web_sys::console::error_1(&message.into());
        }));
    });
}
