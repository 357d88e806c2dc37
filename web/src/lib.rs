//! The Strata playground: a Yew app that runs the simulation in the browser tab's Web Worker
//! and draws it on the page.
//!
//! - [`app`]: the root component and its parts: reading the link at boot and on a hash
//!   change (`app::boot`), the frames the worker sends and the requests that move the run
//!   (`app::run_view`), the keys (`app::keyboard`), the panels' commands (`app::commands`,
//!   applied in the worker), the time bar (`app::time_bar`) and the tabs (`app::tabs`).
//! - [`chapter_play`]: a chapter played in the page (the beat on show, where the next one
//!   stops, going back) and the chapter index; no browser code.
//! - [`pacer`]: the slices a tick of the run simulates in, sized by what events cost.
//! - [`session`]: the scenario, the `Lab` playing it, setting changes, rebuilds (scrubbing and
//!   fault injection re-simulate from the seed) and the UI's own folds of the trace. No
//!   browser code, so it is tested natively too.
//! - [`observed`]: what the page folds from the trace for drawing (activity, event lines,
//!   drift marks, the impression log), bounded.
//! - [`frame`]: the view snapshot the panels draw (`Frame`: plain, serialisable, small), its
//!   builder (the only reader of the lab for drawing), what the page folds from successive
//!   frames (the timeline's window), and `Requests`, what a panel asks of the whole run
//!   (explain, exports).
//! - [`link`]: share links (the scenario in the URL fragment) and the default scenario.
//! - [`storage`], [`timeline`]: the storage view (LSM, WAL, watermarks, figures, histograms,
//!   request timeline), drawn from the frame.
//! - [`controls`], [`chaos`]: the live controls and the chaos panel.
//! - [`recommender`], [`ope`]: the recommender view and off-policy evaluation against a
//!   uniform-random twin (refreshed at most once a second while its tab is open).
//! - [`scenario_panel`]: share links, the setting changes they replay, import, export
//!   (the scenario, the trace as Perfetto JSON, the metrics as CSV), examples.
//! - [`charts`], [`format`]: SVG charts (each with a button that saves it as a standalone
//!   `.svg`) and number formatting.
//! - [`download`]: text offered as a file download (scenario, trace, metrics, charts).
//! - [`widgets`]: inputs that stay editable while the page re-renders every frame.
//! - [`panic`]: the panic hook that turns a crash into a visible error banner.
//! - [`heap`]: the wasm build's allocator, which reuses the memory a keyframe's restore left
//!   unused before it grows the memory.
//! - [`worker`]: the page's Web Worker (the run on show, the side-by-side variant and the
//!   exports run there), its message protocol, and the main-thread fallback when it cannot
//!   start.
//!
//! This is the only crate that knows the browser. It reads wall time only to pace the run and
//! report speed; simulated time never depends on it.

pub mod app;
pub mod chaos;
pub mod chapter_play;
pub mod charts;
pub mod command;
pub mod compare;
pub mod controls;
pub mod download;
pub mod format;
pub mod frame;
pub mod heap;
pub mod link;
pub mod observed;
pub mod ope;
pub mod pacer;
pub mod panic;
pub mod recommender;
pub mod scenario_panel;
pub mod session;
pub mod storage;
pub mod tenants;
pub mod timeline;
pub mod widgets;
pub mod worker;

use wasm_bindgen::prelude::*;

/// The page's entry point, called by `index.html` once the wasm is loaded: installs the panic
/// hook, starts the worker and mounts the app on `#app`. Not a `start` function, so that the
/// worker, which loads the same wasm, does not run it.
#[wasm_bindgen]
pub fn start() {
    panic::install();
    worker::host::host();
    let Some(root) = gloo::utils::document().get_element_by_id("app") else {
        panic::show_banner("The page has no #app element to mount the playground on.");
        return;
    };
    root.set_inner_html("");
    yew::Renderer::<app::App>::with_root(root).render();
}

/// Panics on purpose, so the end-to-end tests can check that a panic shows the error banner
/// rather than a blank page. Nothing in the page calls it.
#[wasm_bindgen(js_name = strataPanicForTests)]
pub fn panic_for_tests() {
    panic!("a deliberate panic requested by the end-to-end tests");
}

/// Has the page's worker panic on purpose, so the end-to-end tests can check that its panic
/// reaches the page's banner. Nothing in the page calls it.
#[wasm_bindgen(js_name = strataWorkerPanicForTests)]
pub fn worker_panic_for_tests() {
    worker::host::send(
        worker::protocol::Request::PanicForTests,
        yew::Callback::noop(),
    );
}

/// Runs `future` on the page's thread: the future boxed first, so the browser's task runner is
/// one copy for the page's five kinds of background work (a chapter's fetches, a loaded file,
/// full screen), not one per future (about 210 B raw each).
pub fn spawn_local(future: impl std::future::Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(future));
}

#[inline(never)]
fn spawn_boxed(future: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(future);
}
