//! The page's Web Worker: a module worker (`worker.js`, shipped beside `index.html`) that loads
//! the same `strata_web.wasm` with the same glue and runs [`entry::worker_main`], so work that
//! is separate from the run on show leaves the main thread, which then has its frames for the
//! run and the drawing.
//!
//! - [`protocol`]: the one request enum and the one reply enum, in envelopes with the
//!   request's id, as JSON strings over `postMessage`.
//! - [`handler`]: what the worker keeps and how it answers; no browser code.
//! - [`host`]: the page's side: starts the worker, sends requests, delivers each reply to its
//!   sender's callback (a Yew message). When the worker cannot start (a blocked script, an old
//!   browser; `?noworker` in the address makes its script fail, for the tests), the same
//!   requests are answered on the main thread by the same handler, and a banner says the page
//!   will be slower. A panic in the worker reaches the page's panic banner with its message.
//! - [`entry`]: the worker's side: reads requests, answers them, posts its panics.
//!
//! In the worker now: the side-by-side variant ([`crate::compare`]) and the exports that
//! rebuild the run (the Perfetto trace and the metrics CSV, [`crate::download`]).

pub mod entry;
pub mod handler;
pub mod host;
pub mod protocol;
pub mod run;
#[cfg(test)]
mod run_tests;
#[cfg(test)]
mod tests;

/// Wall time one request may spend on long work in the worker, in milliseconds: the worker
/// then answers, and reads the next request (a cancel), before going on.
pub const WORKER_SLICE_MS: f64 = 40.0;
/// The same on the main thread, when the worker could not start: a part of a frame.
pub const MAIN_THREAD_SLICE_MS: f64 = 6.0;
