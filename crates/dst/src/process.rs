//! One simulated process: its own view of the store and of the clock, which it can lose for a
//! while (a pause), plus the counters that say what it did.
//!
//! A pause models a stopped process (a long GC pause, a frozen VM): while it lasts, the process
//! sends no request, hears no answer and wakes from no sleep; everything resumes when it ends,
//! with the process unaware that time passed. The engine under test is unchanged: it runs over
//! `PausableStore` and `PausableRuntime`, which wrap the simulation's store and runtime and hold
//! every request, answer and timer of the process until its pause is over.
//!
//! The store's clock may also disagree with the process's: `PausableStore` moves the
//! last-modified time of every object the process lists or heads by the world's skew, as a
//! store whose clock runs behind (or ahead of) the process's would have stamped it.

use crate::world::Pause;
use bytes::Bytes;
use std::cell::Cell;
use std::ops::Range;
use std::rc::Rc;
use strata_objstore::{
    GetResult, ListPage, ObjectMeta, ObjectStore, PutMode, PutResult, StoreFuture,
};
use strata_sim::{
    AbortHandle, Cause, EventKind, LocalBoxFuture, Runtime, RuntimeRef, SimDuration, SimHandle,
    SimRng, SimTime,
};

/// The pauses of one process, and what its GC did.
pub struct ProcessClock {
    handle: SimHandle,
    pauses: Vec<Pause>,
    /// GC passes this process started (each begins by listing manifests).
    pub gc_passes: Cell<u64>,
    /// Of those, passes that deleted something after a newer writer had committed a manifest.
    pub gc_passes_raced: Cell<u64>,
    pass_raced: Cell<bool>,
    /// The epoch this process writes with, once open (0 before).
    pub writer_epoch: Cell<u64>,
    /// Reports the latest committed writer epoch, out of band.
    latest_epoch: Rc<dyn Fn() -> u64>,
    /// How far the store's clock runs behind this process's, in milliseconds (negative: ahead).
    store_clock_behind_ms: i64,
}

impl ProcessClock {
    pub fn new(
        handle: SimHandle,
        pauses: Vec<Pause>,
        latest_epoch: Rc<dyn Fn() -> u64>,
        store_clock_behind_ms: i64,
    ) -> Rc<Self> {
        Rc::new(ProcessClock {
            handle,
            pauses,
            gc_passes: Cell::new(0),
            gc_passes_raced: Cell::new(0),
            pass_raced: Cell::new(false),
            writer_epoch: Cell::new(0),
            latest_epoch,
            store_clock_behind_ms,
        })
    }

    /// `meta` as the store's clock stamped it: its last-modified time moved by the skew (never
    /// before the run's start).
    fn as_stamped(&self, mut meta: ObjectMeta) -> ObjectMeta {
        let skew = SimDuration::from_millis(self.store_clock_behind_ms.unsigned_abs());
        meta.last_modified = if self.store_clock_behind_ms >= 0 {
            SimTime::from_nanos(
                meta.last_modified
                    .as_nanos()
                    .saturating_sub(skew.as_nanos()),
            )
        } else {
            meta.last_modified.saturating_add(skew)
        };
        meta
    }

    /// The end of the pause in force now, if any.
    fn paused_until(&self) -> Option<SimTime> {
        let now = self.handle.now();
        self.pauses
            .iter()
            .find(|p| p.at <= now && now < p.at + p.duration)
            .map(|p| p.at + p.duration)
    }

    /// Returns once the process is not paused.
    pub async fn wait_while_paused(&self) {
        while let Some(until) = self.paused_until() {
            self.handle.sleep_until(until).await;
        }
    }
}

/// The store as one process sees it.
pub struct PausableStore {
    inner: Rc<dyn ObjectStore>,
    clock: Rc<ProcessClock>,
}

impl PausableStore {
    pub fn port(inner: Rc<dyn ObjectStore>, clock: Rc<ProcessClock>) -> Rc<dyn ObjectStore> {
        Rc::new(PausableStore { inner, clock })
    }

    fn gate<T: 'static>(&self, send: impl FnOnce() -> StoreFuture<T> + 'static) -> StoreFuture<T> {
        let clock = self.clock.clone();
        Box::pin(async move {
            clock.wait_while_paused().await;
            let answer = send().await;
            clock.wait_while_paused().await;
            answer
        })
    }
}

impl ObjectStore for PausableStore {
    fn put(&self, cause: Cause, key: &str, data: Bytes, mode: PutMode) -> StoreFuture<PutResult> {
        let (inner, key) = (self.inner.clone(), key.to_string());
        self.gate(move || inner.put(cause, &key, data, mode))
    }

    fn get(&self, cause: Cause, key: &str, range: Option<Range<u64>>) -> StoreFuture<GetResult> {
        let (inner, key) = (self.inner.clone(), key.to_string());
        self.gate(move || inner.get(cause, &key, range))
    }

    fn head(&self, cause: Cause, key: &str) -> StoreFuture<ObjectMeta> {
        let (inner, key, clock) = (self.inner.clone(), key.to_string(), self.clock.clone());
        self.gate(move || {
            Box::pin(async move { inner.head(cause, &key).await.map(|m| clock.as_stamped(m)) })
        })
    }

    fn list(
        &self,
        cause: Cause,
        prefix: &str,
        page_token: Option<String>,
        max_keys: usize,
    ) -> StoreFuture<ListPage> {
        if cause == Cause::Gc && prefix.ends_with("/manifest/") && page_token.is_none() {
            self.clock.gc_passes.set(self.clock.gc_passes.get() + 1);
            self.clock.pass_raced.set(false);
        }
        let (inner, prefix, clock) = (self.inner.clone(), prefix.to_string(), self.clock.clone());
        self.gate(move || {
            Box::pin(async move {
                let mut page = inner.list(cause, &prefix, page_token, max_keys).await?;
                page.objects = page
                    .objects
                    .into_iter()
                    .map(|m| clock.as_stamped(m))
                    .collect();
                Ok(page)
            })
        })
    }

    fn delete(&self, cause: Cause, key: &str) -> StoreFuture<()> {
        let (inner, key) = (self.inner.clone(), key.to_string());
        let clock = self.clock.clone();
        Box::pin(async move {
            clock.wait_while_paused().await;
            if cause == Cause::Gc
                && (clock.latest_epoch)() > clock.writer_epoch.get()
                && !clock.pass_raced.replace(true)
            {
                // This writer's GC deletes after a newer writer committed: the race the
                // collector's rules must make harmless.
                clock.gc_passes_raced.set(clock.gc_passes_raced.get() + 1);
            }
            let answer = inner.delete(cause, &key).await;
            clock.wait_while_paused().await;
            answer
        })
    }
}

/// The runtime as one process sees it: sleeps end no earlier than the pause in force.
pub struct PausableRuntime {
    inner: SimHandle,
    clock: Rc<ProcessClock>,
}

impl PausableRuntime {
    pub fn runtime(inner: SimHandle, clock: Rc<ProcessClock>) -> RuntimeRef {
        Rc::new(PausableRuntime { inner, clock })
    }
}

impl Runtime for PausableRuntime {
    fn now(&self) -> SimTime {
        self.inner.now()
    }

    fn sleep(&self, duration: strata_sim::SimDuration) -> strata_sim::RuntimeSleep {
        let sleep = self.inner.sleep(duration);
        let clock = self.clock.clone();
        strata_sim::RuntimeSleep::boxed(async move {
            sleep.await;
            clock.wait_while_paused().await;
        })
    }

    fn spawn_detached(&self, future: LocalBoxFuture<'static, ()>) -> AbortHandle {
        let clock = self.clock.clone();
        self.inner
            .spawn(async move {
                clock.wait_while_paused().await;
                future.await;
            })
            .abort_handle()
    }

    fn record(&self, kind: EventKind) {
        self.inner.record(kind);
    }

    fn record_at(&self, at: SimTime, kind: EventKind) {
        self.inner.record_at(at, kind);
    }

    fn rng(&self, name: &str) -> SimRng {
        self.inner.rng(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_objstore::ETag;
    use strata_sim::Sim;

    fn listed_at(ms: u64) -> ObjectMeta {
        ObjectMeta {
            key: "dst/sst/1.sst".to_string(),
            size_bytes: 1,
            etag: ETag("e".to_string()),
            last_modified: SimTime::from_millis(ms),
        }
    }

    #[test]
    fn a_store_clock_behind_stamps_objects_earlier_and_one_ahead_later() {
        let sim = Sim::new(1);
        let clock = |skew| ProcessClock::new(sim.handle(), Vec::new(), Rc::new(|| 0), skew);
        let stamped = |skew, ms| clock(skew).as_stamped(listed_at(ms)).last_modified;
        assert_eq!(stamped(1_500, 4_000), SimTime::from_millis(2_500));
        assert_eq!(stamped(-1_500, 4_000), SimTime::from_millis(5_500));
        assert_eq!(stamped(0, 4_000), SimTime::from_millis(4_000));
        // Never before the run's start.
        assert_eq!(stamped(1_500, 1_000), SimTime::ZERO);
    }
}
