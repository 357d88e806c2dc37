//! `TokioRuntime`: `strata_sim::Runtime` over tokio's current-thread executor (inside a
//! `LocalSet`), for running the engine against a real store in real time (the CLI's
//! `strata run --store`, and the tests against an S3 API). Native only, feature `cloud`.
//!
//! It owns a trace and the run's named random streams, exactly as a simulation does. It does
//! not read a wall clock itself: the caller (a binary or a test, which may) hands it a clock,
//! so this library crate keeps its rule that only binaries measure wall time. The trace hash
//! of a real-time run is not reproducible (real latencies differ every time).

use std::cell::{Ref, RefCell, RefMut};
use strata_sim::{
    AbortHandle, EventKind, LocalBoxFuture, RngStreams, Runtime, RuntimeSleep, SimDuration, SimRng,
    SimTime, Trace, TraceConfig,
};

/// A clock reading nanoseconds since the run started.
pub type ElapsedClock = Box<dyn Fn() -> u64>;

/// `strata_sim::Runtime` over tokio's local executor. Sleeps are tokio timers; `now()` is
/// the caller's clock. Must be used inside a `tokio::task::LocalSet` on a runtime with its
/// time driver enabled.
pub struct TokioRuntime {
    clock: ElapsedClock,
    trace: RefCell<Trace>,
    streams: RngStreams,
}

impl TokioRuntime {
    /// A runtime whose `now()` is `clock()` nanoseconds after the start of the run.
    pub fn new(seed: u64, trace: TraceConfig, clock: ElapsedClock) -> Self {
        TokioRuntime {
            clock,
            trace: RefCell::new(Trace::new(trace)),
            streams: RngStreams::new(seed),
        }
    }

    pub fn trace(&self) -> Ref<'_, Trace> {
        self.trace.borrow()
    }

    /// For subscribing observers before the run starts.
    pub fn trace_mut(&self) -> RefMut<'_, Trace> {
        self.trace.borrow_mut()
    }
}

impl Runtime for TokioRuntime {
    fn now(&self) -> SimTime {
        SimTime::from_nanos((self.clock)())
    }

    fn sleep(&self, duration: SimDuration) -> RuntimeSleep {
        RuntimeSleep::boxed(tokio::time::sleep(std::time::Duration::from_nanos(
            duration.as_nanos(),
        )))
    }

    fn spawn_detached(&self, future: LocalBoxFuture<'static, ()>) -> AbortHandle {
        let task = tokio::task::spawn_local(future);
        AbortHandle::from_fn(move || task.abort())
    }

    fn record(&self, kind: EventKind) {
        let now = self.now();
        self.trace.borrow_mut().record(now, kind);
    }

    fn record_at(&self, at: SimTime, kind: EventKind) {
        self.trace.borrow_mut().record(at, kind);
    }

    fn rng(&self, name: &str) -> SimRng {
        self.streams.stream(name)
    }
}
