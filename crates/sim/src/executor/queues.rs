//! The executor's two queues: timers, which fire by (deadline, creation order), and the
//! ready tasks, which run in the executor's [`ReadyOrder`] (first in, first out, or drawn
//! from a seeded stream, with a running hash that names the interleaving).

use crate::rng::SimRng;
use crate::time::SimTime;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Mutex;
use std::task::Waker;

pub(super) struct TimerState {
    pub(super) fired: Cell<bool>,
    pub(super) cancelled: Cell<bool>,
    pub(super) waker: RefCell<Option<Waker>>,
}

pub(super) struct TimerEntry {
    pub(super) deadline: SimTime,
    pub(super) seq: u64,
    pub(super) state: Rc<TimerState>,
}

impl PartialEq for TimerEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl Eq for TimerEntry {}
impl PartialOrd for TimerEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TimerEntry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

/// Which ready task runs next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadyOrder {
    /// First woken, first run: the order the playground, `strata run` and the golden trace
    /// hashes use.
    #[default]
    Fifo,
    /// A uniformly random ready task, drawn from the run's "sim.ready_order" stream, so the
    /// same seed gives the same interleaving and another seed explores another one.
    Seeded,
}

/// The ready tasks, and how the next one is chosen.
#[derive(Default)]
pub(super) struct ReadyQueue {
    pub(super) queue: Mutex<ReadyState>,
}

#[derive(Default)]
pub(super) struct ReadyState {
    pub(super) tasks: VecDeque<(usize, u64)>,
    /// Set in `ReadyOrder::Seeded` mode: the stream the choices are drawn from.
    pub(super) chooser: Option<SimRng>,
    /// Choices made among two or more ready tasks.
    pub(super) choices: u64,
    /// A running hash of every such choice (index and queue length), which names the
    /// interleaving: two runs with equal hashes made the same choices.
    pub(super) choice_hash: u64,
}

impl ReadyQueue {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, ReadyState> {
        self.queue
            .lock()
            .expect("the ready queue is only touched on the simulation thread")
    }
    pub(super) fn push(&self, entry: (usize, u64)) {
        self.lock().tasks.push_back(entry);
    }
    /// The next ready task. In first-in first-out order the whole queue moves into `batch`
    /// under one lock, and later pops take from `batch` with none: tasks woken meanwhile
    /// queue behind the batch, so the order is the same as popping one at a time, and the
    /// lock is taken once per batch rather than once per task. In seeded order every pop
    /// chooses among all ready tasks, so `batch` stays empty.
    pub(super) fn pop(&self, batch: &RefCell<VecDeque<(usize, u64)>>) -> Option<(usize, u64)> {
        if let Some(entry) = batch.borrow_mut().pop_front() {
            return Some(entry);
        }
        let mut state = self.lock();
        let state = &mut *state;
        let len = state.tasks.len();
        match state.chooser.as_mut() {
            Some(chooser) if len > 1 => {
                let index = chooser.index(len);
                state.choices += 1;
                state.choice_hash = mix_choice(state.choice_hash, index as u64, len as u64);
                state.tasks.swap_remove_back(index)
            }
            Some(_) => state.tasks.pop_front(),
            None => {
                let mut batch = batch.borrow_mut();
                std::mem::swap(&mut *batch, &mut state.tasks);
                batch.pop_front()
            }
        }
    }
    pub(super) fn is_empty(&self, batch: &RefCell<VecDeque<(usize, u64)>>) -> bool {
        batch.borrow().is_empty() && self.lock().tasks.is_empty()
    }
    /// Puts a batch's tasks back at the front of the queue, in order (before the order of
    /// choice changes).
    pub(super) fn unbatch(&self, batch: &RefCell<VecDeque<(usize, u64)>>) {
        let mut state = self.lock();
        for entry in batch.borrow_mut().drain(..).rev() {
            state.tasks.push_front(entry);
        }
    }
}

/// Folds one ready-order choice into the running hash (SplitMix64's finaliser).
fn mix_choice(hash: u64, index: u64, len: u64) -> u64 {
    let mut z = hash ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ len.rotate_left(32);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
