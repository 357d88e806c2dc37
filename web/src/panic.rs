//! The panic hook: a Rust panic shows a red banner with the message instead of leaving a dead
//! page, and is also logged to the console for bug reports.

use std::sync::Once;

/// Shows `message` in the page's error banner.
pub fn show_banner(message: &str) {
    let document = gloo::utils::document();
    if let Some(banner) = document.get_element_by_id("panic-banner") {
        banner.set_text_content(Some(message));
        let _ = banner.remove_attribute("hidden");
    }
}

/// Installs the hook once.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        yew::set_custom_panic_hook(Box::new(|info| {
            let message = format!(
                "Something went wrong inside the playground and it stopped: {info}\nReload the page to start again; the share link in the address bar keeps your scenario."
            );
            show_banner(&message);
            web_sys::console::error_1(&message.into());
        }));
    });
}
