//! The Strata playground: a Yew app that runs the simulation in the browser tab.
//!
//! - [`panic`]: the panic hook that turns a crash into a visible error banner.
//! - [`app`]: the root component, its reducer and the animation-frame loop that advances
//!   simulated time by `speed × frame time`.
//! - [`timeline`]: the object-store request timeline, drawn as SVG in `html!`.
//!
//! This is the only crate that knows the browser. It reads wall time only to pace frames and
//! report speed; simulated time never depends on it.

pub mod app;
pub mod charts;
pub mod format;
pub mod link;
pub mod panic;
pub mod session;
pub mod timeline;

use wasm_bindgen::prelude::*;

/// Entry point: installs the panic hook and mounts the app on `#app`.
#[wasm_bindgen(start)]
pub fn start() {
    panic::install();
    let Some(root) = gloo::utils::document().get_element_by_id("app") else {
        panic::show_banner("The page has no #app element to mount the playground on.");
        return;
    };
    root.set_inner_html("");
    yew::Renderer::<app::App>::with_root(root).render();
}
