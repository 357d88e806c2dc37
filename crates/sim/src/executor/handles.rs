//! What a spawn hands back: the [`JoinHandle`] that awaits a task's output and the
//! [`AbortHandle`] that drops its future (a crash aborts a writer's tasks this way), with the
//! join state a task completes when it finishes or is dropped unfinished.

use super::Shared;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Identifies a spawned task so that it can be aborted (a crash drops a writer's tasks).
#[derive(Clone, Debug)]
pub struct AbortHandle {
    pub(super) inner: AbortInner,
}

#[derive(Clone)]
pub(super) enum AbortInner {
    Sim {
        shared: std::rc::Weak<Shared>,
        index: usize,
        generation: u64,
    },
    Custom(Rc<dyn Fn()>),
    Noop,
}

impl std::fmt::Debug for AbortInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AbortInner::Sim {
                index, generation, ..
            } => write!(f, "task {index}#{generation}"),
            AbortInner::Custom(_) => write!(f, "custom"),
            AbortInner::Noop => write!(f, "noop"),
        }
    }
}

impl AbortHandle {
    /// An abort handle backed by another runtime's cancellation.
    pub fn from_fn(abort: impl Fn() + 'static) -> Self {
        AbortHandle {
            inner: AbortInner::Custom(Rc::new(abort)),
        }
    }

    /// A handle that aborts nothing.
    pub fn noop() -> Self {
        AbortHandle {
            inner: AbortInner::Noop,
        }
    }

    /// Drops the task's future at once (or as soon as its current poll returns). Aborting a
    /// finished task does nothing.
    pub fn abort(&self) {
        match &self.inner {
            AbortInner::Sim {
                shared,
                index,
                generation,
            } => {
                if let Some(shared) = shared.upgrade() {
                    shared.abort(*index, *generation);
                }
            }
            AbortInner::Custom(abort) => abort(),
            AbortInner::Noop => {}
        }
    }
}

/// What a `JoinHandle` reports when the task did not produce a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinError {
    Aborted,
    Refused,
}

pub(super) struct JoinState<T> {
    pub(super) result: Option<Result<T, JoinError>>,
    pub(super) waker: Option<Waker>,
}

/// Awaits a spawned task's output.
pub struct JoinHandle<T> {
    pub(super) state: Rc<RefCell<JoinState<T>>>,
    pub(super) abort: AbortHandle,
}

impl<T> JoinHandle<T> {
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }
    pub fn is_finished(&self) -> bool {
        self.state.borrow().result.is_some()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.state.borrow_mut();
        if let Some(result) = state.result.take() {
            return Poll::Ready(result);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Completes the join state with `Aborted` if the task's future is dropped unfinished.
pub(super) struct CompleteOnDrop<T> {
    pub(super) state: Rc<RefCell<JoinState<T>>>,
}

impl<T> Drop for CompleteOnDrop<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.state.borrow_mut();
            if state.result.is_none() {
                state.result = Some(Err(JoinError::Aborted));
                state.waker.take()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
