//! The simulation kernel: simulated time, seeded randomness, a deterministic scheduler and the
//! trace. Every other crate runs on top of it.
//!
//! - [`time`]: `SimTime` and `SimDuration`, integer nanoseconds.
//! - [`rng`]: one root seed, named independent streams, and the distributions the simulation
//!   draws from (normal, lognormal, gamma, beta, Zipf…).
//! - [`math`]: transcendental functions that give the same bits natively and in wasm32.
//! - [`executor`]: the single-threaded discrete-event executor (`Sim`, `SimHandle`).
//! - [`runtime`]: the `Runtime` trait engine code is written against, so that it also runs on
//!   a real runtime natively.
//! - [`sync`]: `Notify`, one-shot channels, `race` and `timeout` for simulated tasks.
//! - [`trace`]: typed events, a bounded ring, counts and the run's stable hash.
//! - [`histogram`]: a bounded log-linear latency histogram.
//! - [`fmt`]: floats as `{:.N}` and `{}` write them, without core's float formatting (the
//!   page's wasm is smaller without it).
//! - [`json`]: JSON read into serde_json's `Value` exactly, without serde_json's reader, and a
//!   string escaped as serde_json escapes it, for the hand-written JSON writers.
//! - [`maps`]: building a `BTreeMap` without the sort `collect` instantiates, a stable order
//!   by key and floats sorted as integers, without a sort per item type.
//! - [`value_error`]: the error of the hand-written readers of a JSON `Value`, in serde's words.
//! - [`demo`]: a small seeded workload for determinism checks and benchmarks.
//!
//! This crate never reads a wall clock or OS randomness; clippy's `disallowed-methods` keeps
//! it that way.

pub mod decimal;
pub mod demo;
pub mod executor;
pub mod fmt;
pub mod histogram;
pub mod json;
pub mod maps;
pub mod math;
pub mod rng;
pub mod runtime;
pub mod sync;
pub mod time;
pub mod trace;
pub mod value_error;

pub use executor::{
    yield_now, AbortHandle, ExecutorLimits, JoinError, JoinHandle, LocalBoxFuture, ReadyOrder,
    RunError, Sim, SimHandle, Sleep,
};
pub use histogram::Histogram;
pub use rng::{RngStreams, SimRng, Zipf};
pub use runtime::{Runtime, RuntimeRef, RuntimeSleep};
pub use time::{SimDuration, SimTime};
pub use trace::{
    Cause, EventKind, FaultKind, RequestOutcome, RequestRecord, StoreOp, Trace, TraceConfig,
    TraceEvent,
};
