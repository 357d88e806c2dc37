//! Small single-threaded synchronisation primitives for tasks in one simulation: a `Notify`
//! for "something changed, look again", a one-shot channel, `race` for the first of two
//! futures, and `timeout`.
//!
//! They are built on `Rc` and `RefCell` because the executor is single-threaded; no waiting
//! list grows without bound (a `Notify` keeps one waker per waiting task).

use crate::runtime::Runtime;
use crate::time::SimDuration;
use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// Wakes every task waiting on it. A task checks its condition, and if it does not hold,
/// awaits `notified()` and checks again; `notify_waiters` between the check and the await is
/// not lost because `notified()` compares generations.
#[derive(Clone, Default)]
pub struct Notify {
    inner: Rc<RefCell<NotifyInner>>,
}

#[derive(Default)]
struct NotifyInner {
    generation: u64,
    waiters: Vec<Waker>,
}

impl Notify {
    pub fn new() -> Self {
        Notify::default()
    }

    /// Wakes every current waiter.
    pub fn notify_waiters(&self) {
        let waiters = {
            let mut inner = self.inner.borrow_mut();
            inner.generation += 1;
            std::mem::take(&mut inner.waiters)
        };
        for waker in waiters {
            waker.wake();
        }
    }

    /// Completes at the next `notify_waiters` after this call.
    pub fn notified(&self) -> impl Future<Output = ()> + 'static {
        let inner = self.inner.clone();
        let start_generation = inner.borrow().generation;
        std::future::poll_fn(move |cx| {
            let mut state = inner.borrow_mut();
            if state.generation != start_generation {
                Poll::Ready(())
            } else {
                if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    state.waiters.push(cx.waker().clone());
                }
                Poll::Pending
            }
        })
    }

    /// Tasks currently waiting.
    pub fn waiter_count(&self) -> usize {
        self.inner.borrow().waiters.len()
    }
}

/// The sending half of a one-shot channel.
pub struct OneshotSender<T> {
    inner: Rc<RefCell<OneshotInner<T>>>,
}

/// The receiving half: resolves to `Some(value)`, or `None` if the sender was dropped.
pub struct OneshotReceiver<T> {
    inner: Rc<RefCell<OneshotInner<T>>>,
}

struct OneshotInner<T> {
    value: Option<T>,
    sender_alive: bool,
    waker: Option<Waker>,
}

pub fn oneshot<T>() -> (OneshotSender<T>, OneshotReceiver<T>) {
    let inner = Rc::new(RefCell::new(OneshotInner {
        value: None,
        sender_alive: true,
        waker: None,
    }));
    (
        OneshotSender {
            inner: inner.clone(),
        },
        OneshotReceiver { inner },
    )
}

impl<T> OneshotSender<T> {
    pub fn send(self, value: T) {
        let waker = {
            let mut inner = self.inner.borrow_mut();
            inner.value = Some(value);
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Drop for OneshotSender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut inner = self.inner.borrow_mut();
            inner.sender_alive = false;
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for OneshotReceiver<T> {
    type Output = Option<T>;
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Option<T>> {
        let mut inner = self.inner.borrow_mut();
        if let Some(value) = inner.value.take() {
            return Poll::Ready(Some(value));
        }
        if !inner.sender_alive {
            return Poll::Ready(None);
        }
        inner.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Which of two raced futures finished first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls both futures, left first, and returns the first to finish; the other is dropped.
pub async fn race<A, B>(left: A, right: B) -> Either<A::Output, B::Output>
where
    A: Future,
    B: Future,
{
    let mut left = pin!(left);
    let mut right = pin!(right);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(value) = left.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(value));
        }
        if let Poll::Ready(value) = right.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(value));
        }
        Poll::Pending
    })
    .await
}

/// The deadline passed before the future finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

/// Runs `future` for at most `duration` of (simulated) time.
pub async fn timeout<F: Future>(
    runtime: &dyn Runtime,
    duration: SimDuration,
    future: F,
) -> Result<F::Output, Elapsed> {
    match race(future, runtime.sleep(duration)).await {
        Either::Left(value) => Ok(value),
        Either::Right(()) => Err(Elapsed),
    }
}
