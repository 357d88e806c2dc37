//! A tiny async lock for one simulation thread: serialises the engine's multi-step I/O
//! sequences (one WAL upload in flight, one manifest update, one memtable flush) without
//! holding a `RefCell` borrow across an await.

use std::cell::Cell;
use std::rc::Rc;
use strata_sim::sync::Notify;

/// An async mutual-exclusion flag. Waiters re-check after every release; the single-threaded
/// executor makes check-then-set atomic.
#[derive(Clone, Default)]
pub struct AsyncLock {
    inner: Rc<LockInner>,
}

#[derive(Default)]
struct LockInner {
    locked: Cell<bool>,
    released: Notify,
}

/// Holds the lock; dropping it (including when a crash aborts the holder) releases it.
pub struct LockGuard {
    inner: Rc<LockInner>,
}

impl AsyncLock {
    pub fn new() -> Self {
        AsyncLock::default()
    }

    pub async fn lock(&self) -> LockGuard {
        loop {
            let released = self.inner.released.notified();
            if !self.inner.locked.get() {
                self.inner.locked.set(true);
                return LockGuard {
                    inner: self.inner.clone(),
                };
            }
            released.await;
        }
    }

    pub fn is_locked(&self) -> bool {
        self.inner.locked.get()
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        self.inner.locked.set(false);
        self.inner.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use strata_sim::{Sim, SimDuration};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn holders_never_overlap() {
        let sim = Sim::new(1);
        let lock = AsyncLock::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        for task in 0..3u64 {
            let (lock, log, handle) = (lock.clone(), log.clone(), sim.handle());
            sim.handle().spawn(async move {
                let _guard = lock.lock().await;
                log.borrow_mut().push(("start", task));
                handle.sleep(SimDuration::from_millis(10)).await;
                log.borrow_mut().push(("end", task));
            });
        }
        sim.run_until_idle(100).unwrap();
        let log = log.borrow();
        assert_eq!(log.len(), 6);
        for pair in log.chunks(2) {
            assert_eq!(pair[0].0, "start");
            assert_eq!(pair[1], ("end", pair[0].1));
        }
        assert!(!lock.is_locked());
    }
}
