//! The page's Web Worker: a module worker (`worker.js`, shipped beside `index.html`) that loads
//! the same `strata_web.wasm` with the same glue and runs [`entry::worker_main`]. The
//! simulation lives there; the main thread draws the frames it sends and handles input.
//!
//! - [`protocol`]: the one request enum and the one reply enum, in envelopes with the
//!   request's id, as bytes in the frame's codec over `postMessage`.
//! - [`run`]: the run on show ([`run::RunHost`]: the `Session`, what it is doing, its pacing
//!   against the wall clock, the frames and notes it posts); no browser code.
//! - [`handler`]: what the worker keeps and how it answers: the run on show, the side-by-side
//!   variant, an export being rebuilt, the questions about the whole run; no browser code.
//! - [`host`]: the page's side: starts the worker, sends requests, delivers each reply to its
//!   sender's callback (a Yew message) and the run's frames to the root. When the worker
//!   cannot start (a blocked script, an old browser; `?noworker` in the address makes its
//!   script fail, for the tests), the same requests are answered on the main thread by the
//!   same handler, which also ticks the run there in short slices, and a banner says the page
//!   will be slower. A panic in the worker reaches the page's panic banner with its message.
//! - [`entry`]: the worker's side: reads requests, answers them, ticks the run between them,
//!   posts its panics, says when a keyframe is due and has one restored.
//! - [`keyframe`]: when keyframes are due and which run they belong to (`worker.js` keeps them).
//!
//! **Snapshots of the worker's memory.** A keyframe is a copy of the worker's whole wasm
//! linear memory, taken between two calls and copied back into the same instance (docs/ui.md,
//! *Keyframes*, says why a restore is sound). That works because of how the worker is built:
//! - the simulation's state (the `Handler`: the session and its labs, the variant, an export)
//!   is plain Rust data in linear memory; it holds no `JsValue` and no closure handle, since
//!   the handler has no browser code at all (it is compiled and tested natively);
//! - every JavaScript handle the worker uses (the message handler, the tick's function, the
//!   message channel that wakes it) is made once in [`entry::worker_main`] and kept for the
//!   worker's life, so none is created while the run goes on and none needs restoring beyond
//!   what start-up makes again (a call may still make a passing handle, the global scope to
//!   post a reply or read the clock, and drops it before it returns);
//! - all simulation work happens inside the handler, called from a message or from the tick
//!   (a channel message or a timeout), and each call returns before the next: between two
//!   calls nothing runs on the Rust side and nothing is borrowed, so memory is consistent
//!   whenever a snapshot would be taken.

pub mod entry;
pub mod handler;
pub mod host;
pub mod keyframe;
pub mod protocol;
pub mod run;
#[cfg(test)]
mod run_tests;
#[cfg(test)]
mod tests;

/// Wall time one request may spend on long work in the worker (a variant catching up, an
/// export's rebuild), in milliseconds: the worker then answers, and reads the next request (a
/// cancel), before going on.
pub const WORKER_SLICE_MS: f64 = 40.0;
/// The same on the main thread, when the worker could not start, for a request and for a tick
/// of the run on show: a part of a display frame.
pub const MAIN_THREAD_SLICE_MS: f64 = 6.0;
