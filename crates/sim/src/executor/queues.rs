//! The executor's two queues: timers, which fire by (deadline, creation order), and the
//! ready tasks, which run in the executor's [`ReadyOrder`] (first in, first out, or drawn
//! from a seeded stream, with a running hash that names the interleaving).

use crate::rng::SimRng;
use crate::time::SimTime;
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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

/// The pending timers, earliest first: a binary heap, with the earliest timer held beside it
/// when it arrived earlier than everything in the heap.
///
/// A steady workload's next arrival is nearly always sooner than every store request in
/// flight, and it is set just after the previous arrival fired: in the heap alone it would
/// sift from the bottom to the top when set and from the top to the bottom when it fires,
/// each the heap's depth; held beside the heap it costs a compare. The order is the heap's
/// alone would give, since (deadline, creation order) is a total order.
#[derive(Default)]
pub(super) struct TimerQueue {
    /// Earlier than every timer in `heap`, when set.
    head: Option<TimerEntry>,
    heap: BinaryHeap<Reverse<TimerEntry>>,
}

impl TimerQueue {
    pub(super) fn len(&self) -> usize {
        self.heap.len() + usize::from(self.head.is_some())
    }

    pub(super) fn push(&mut self, entry: TimerEntry) {
        match &self.head {
            Some(head) if entry < *head => {
                let later = self.head.replace(entry).expect("matched Some");
                self.heap.push(Reverse(later));
            }
            Some(_) => self.heap.push(Reverse(entry)),
            None if self.heap.peek().is_none_or(|Reverse(first)| entry < *first) => {
                self.head = Some(entry);
            }
            None => self.heap.push(Reverse(entry)),
        }
        debug_assert!(self.head_is_earliest());
    }

    pub(super) fn peek(&self) -> Option<&TimerEntry> {
        self.head
            .as_ref()
            .or_else(|| self.heap.peek().map(|Reverse(entry)| entry))
    }

    pub(super) fn pop(&mut self) -> Option<TimerEntry> {
        self.head
            .take()
            .or_else(|| self.heap.pop().map(|Reverse(entry)| entry))
    }

    /// Keeps only the timers `keep` accepts.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&TimerEntry) -> bool) {
        if self.head.as_ref().is_some_and(|head| !keep(head)) {
            self.head = None;
        }
        self.heap.retain(|Reverse(entry)| keep(entry));
    }

    pub(super) fn clear(&mut self) {
        self.head = None;
        self.heap.clear();
    }

    fn head_is_earliest(&self) -> bool {
        match (&self.head, self.heap.peek()) {
            (Some(head), Some(Reverse(first))) => head < first,
            _ => true,
        }
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
///
/// A `Waker` is `Send + Sync`, so a task may be woken on any thread, but the executor runs on
/// one and nearly every wake comes from its own polls. Such a wake finds the executor's queue
/// in this thread's registry ([`LOCAL_READY`]) and pushes onto it with no lock; a wake from
/// another thread, or one that outlives the executor, goes into [`RemoteReady`] under a lock
/// and joins the queue at the next pop. A lock on every wake cost about 60 instructions.
pub(super) struct ReadyQueue {
    state: Rc<RefCell<ReadyState>>,
    remote: Arc<RemoteReady>,
}

/// What a task's waker holds: the executor's id, by which a wake on the executor's thread
/// finds its queue, and the queue for wakes from elsewhere.
pub(super) struct RemoteReady {
    executor: u64,
    /// Set while `tasks` may hold entries, so that a pop looks at the lock only then.
    pending: AtomicBool,
    tasks: Mutex<Vec<(usize, u64)>>,
}

/// Numbers the executors of the process, so that a waker never finds another's queue.
static NEXT_EXECUTOR: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The ready queues of the executors living on this thread, by executor id (usually
    /// one; a test or a simulator worker makes them one after another).
    static LOCAL_READY: RefCell<Vec<(u64, Rc<RefCell<ReadyState>>)>> =
        const { RefCell::new(Vec::new()) };
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

impl RemoteReady {
    /// Queues a woken task: onto its executor's queue when that lives on this thread,
    /// otherwise under the lock.
    pub(super) fn wake(&self, entry: (usize, u64)) {
        let pushed = LOCAL_READY
            .try_with(|queues| {
                let queues = queues.borrow();
                let found = queues.iter().find(|(id, _)| *id == self.executor);
                found.map(|(_, state)| state.borrow_mut().tasks.push_back(entry))
            })
            .ok()
            .flatten()
            .is_some();
        if !pushed {
            self.tasks
                .lock()
                .expect("a push into the remote queue does not panic")
                .push(entry);
            self.pending.store(true, Ordering::Release);
        }
    }
}

impl Default for ReadyQueue {
    fn default() -> Self {
        let executor = NEXT_EXECUTOR.fetch_add(1, Ordering::Relaxed);
        let state = Rc::new(RefCell::new(ReadyState::default()));
        LOCAL_READY.with(|queues| queues.borrow_mut().push((executor, state.clone())));
        ReadyQueue {
            state,
            remote: Arc::new(RemoteReady {
                executor,
                pending: AtomicBool::new(false),
                tasks: Mutex::new(Vec::new()),
            }),
        }
    }
}

impl Drop for ReadyQueue {
    fn drop(&mut self) {
        let executor = self.remote.executor;
        // A thread's registry may be gone already when its executor is dropped late.
        let _ =
            LOCAL_READY.try_with(|queues| queues.borrow_mut().retain(|(id, _)| *id != executor));
    }
}

impl ReadyQueue {
    /// What a new task's waker holds.
    pub(super) fn remote(&self) -> Arc<RemoteReady> {
        self.remote.clone()
    }
    pub(super) fn lock(&self) -> std::cell::RefMut<'_, ReadyState> {
        let mut state = self.state.borrow_mut();
        // A plain load first: the swap is a locked instruction, and the flag is nearly
        // always clear.
        if self.remote.pending.load(Ordering::Relaxed)
            && self.remote.pending.swap(false, Ordering::Acquire)
        {
            let mut remote = self
                .remote
                .tasks
                .lock()
                .expect("a push into the remote queue does not panic");
            state.tasks.extend(remote.drain(..));
        }
        state
    }
    /// The next ready task. In first-in first-out order the whole queue moves into `batch`
    /// in one go, and later pops take from `batch`: tasks woken meanwhile queue behind the
    /// batch, so the order is the same as popping one at a time. In seeded order every pop
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
            // With one ready task or none, the batch would hold at most that one: take it
            // directly rather than trade the two queues.
            Some(_) => state.tasks.pop_front(),
            None if len <= 1 => state.tasks.pop_front(),
            None => {
                let mut batch = batch.borrow_mut();
                std::mem::swap(&mut *batch, &mut state.tasks);
                batch.pop_front()
            }
        }
    }
    /// Queues a task made ready on the executor's own thread, as its waker's wake would,
    /// without looking the queue up in the thread's registry first.
    #[inline]
    pub(super) fn push_local(&self, entry: (usize, u64)) {
        self.state.borrow_mut().tasks.push_back(entry);
    }
    /// Whether a pop would find a task, without taking it.
    #[inline]
    pub(super) fn has_ready(&self, batch: &RefCell<VecDeque<(usize, u64)>>) -> bool {
        !batch.borrow().is_empty()
            || !self.state.borrow().tasks.is_empty()
            || self.remote.pending.load(Ordering::Relaxed)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::{TimerEntry, TimerQueue, TimerState};
    use crate::rng::SimRng;
    use crate::time::SimTime;
    use std::cell::{Cell, RefCell};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    use std::rc::Rc;

    fn entry(deadline_ns: u64, seq: u64, state: &Rc<TimerState>) -> TimerEntry {
        TimerEntry {
            deadline: SimTime::from_nanos(deadline_ns),
            seq,
            state: state.clone(),
        }
    }

    #[test]
    fn timers_come_out_in_the_order_of_a_plain_heap() {
        let state = Rc::new(TimerState {
            fired: Cell::new(false),
            cancelled: Cell::new(false),
            waker: RefCell::new(None),
        });
        let mut rng = SimRng::seed_from_u64(7);
        let mut queue = TimerQueue::default();
        let mut heap = BinaryHeap::new();
        let mut now_ns = 0;
        let mut held_beside = 0;
        for seq in 0..20_000u64 {
            // Mostly a timer sooner than the rest (the next arrival), sometimes a later one
            // (a request in flight), sometimes one at the same instant, and pops between.
            let deadline_ns = match rng.below(4) {
                0 => now_ns + 1_000_000 + rng.below(50_000_000),
                1 => now_ns,
                _ => now_ns + rng.below(100_000),
            };
            queue.push(entry(deadline_ns, seq, &state));
            heap.push(Reverse(entry(deadline_ns, seq, &state)));
            held_beside += usize::from(queue.head.is_some());
            assert_eq!(queue.len(), heap.len());
            for _ in 0..rng.below(3) {
                let expected = heap.pop().map(|Reverse(e)| (e.deadline, e.seq));
                assert_eq!(queue.peek().map(|e| (e.deadline, e.seq)), expected);
                let popped = queue.pop().map(|e| (e.deadline, e.seq));
                assert_eq!(popped, expected);
                if let Some((deadline, _)) = popped {
                    now_ns = deadline.as_nanos();
                }
            }
        }
        assert!(
            held_beside > 1_000,
            "the earliest timer was held beside the heap"
        );
        queue.retain(|e| e.seq % 2 == 0);
        heap.retain(|Reverse(e)| e.seq % 2 == 0);
        while let Some(Reverse(expected)) = heap.pop() {
            let popped = queue.pop().unwrap();
            assert_eq!(
                (popped.deadline, popped.seq),
                (expected.deadline, expected.seq)
            );
        }
        assert!(queue.pop().is_none());
    }
}
