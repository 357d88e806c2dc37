//! The runtime port: what engine code needs from its surroundings (a clock, sleeps, spawned
//! background tasks, the trace and named randomness), as an object-safe trait.
//!
//! In simulation `SimHandle` implements it. Natively against a real object store, the CLI
//! implements it over tokio's local executor; only that binary touches wall time.

use crate::executor::{AbortHandle, LocalBoxFuture, SimHandle, Sleep};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::trace::{EventKind, Trace};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

pub trait Runtime {
    /// The current time (simulated, or time since start for a real runtime).
    fn now(&self) -> SimTime;
    fn sleep(&self, duration: SimDuration) -> RuntimeSleep;
    /// Spawns a background task; the handle aborts it (a crash aborts a writer's tasks).
    fn spawn_detached(&self, future: LocalBoxFuture<'static, ()>) -> AbortHandle;
    /// Records a trace event at `now()`.
    fn record(&self, kind: EventKind);
    /// Records a trace event at an explicit time.
    fn record_at(&self, at: SimTime, kind: EventKind);
    /// A named random stream derived from the run's seed.
    fn rng(&self, name: &str) -> SimRng;
    /// Marks the current task as working on behalf of `origin` (see
    /// `SimHandle::set_origin`), a causal link kept out of the trace hash. A runtime that
    /// keeps no such links ignores it.
    fn set_origin(&self, _origin: u64) {}
    /// An empty string to write a client operation's key into, with the buffer of an earlier
    /// operation's key that the trace let go of when the runtime keeps one (see
    /// `Trace::spare_key`); a new one otherwise.
    fn spare_key(&self) -> String {
        String::new()
    }
}

/// What [`Runtime::sleep`] returns: a simulated sleep as it is (every client operation's
/// arrival waits on one, so it is not boxed), or another runtime's sleep, boxed.
pub enum RuntimeSleep {
    Sim(Sleep),
    Boxed(LocalBoxFuture<'static, ()>),
}

impl RuntimeSleep {
    /// Another runtime's sleep.
    pub fn boxed(sleep: impl Future<Output = ()> + 'static) -> Self {
        RuntimeSleep::Boxed(Box::pin(sleep))
    }
}

impl Future for RuntimeSleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.get_mut() {
            RuntimeSleep::Sim(sleep) => Pin::new(sleep).poll(cx),
            RuntimeSleep::Boxed(sleep) => sleep.as_mut().poll(cx),
        }
    }
}

/// A shared runtime reference, as engine components hold it.
pub type RuntimeRef = Rc<dyn Runtime>;

impl Runtime for SimHandle {
    fn now(&self) -> SimTime {
        SimHandle::now(self)
    }
    fn sleep(&self, duration: SimDuration) -> RuntimeSleep {
        RuntimeSleep::Sim(SimHandle::sleep(self, duration))
    }
    fn spawn_detached(&self, future: LocalBoxFuture<'static, ()>) -> AbortHandle {
        self.spawn_detached_boxed(future)
    }
    fn record(&self, kind: EventKind) {
        SimHandle::record(self, kind);
    }
    fn record_at(&self, at: SimTime, kind: EventKind) {
        SimHandle::record_at(self, at, kind);
    }
    fn rng(&self, name: &str) -> SimRng {
        SimHandle::rng(self, name)
    }
    fn set_origin(&self, origin: u64) {
        SimHandle::set_origin(self, origin);
    }
    fn spare_key(&self) -> String {
        self.with_trace(Trace::spare_key)
    }
}
