//! The scheduler: a single-threaded, discrete-event executor for async tasks in simulated time.
//!
//! Engine code is ordinary async Rust ("append to the WAL, then await its flush"). Tasks sleep
//! on simulated timers; when no task can make progress, the clock jumps to the earliest timer.
//! Order is fully deterministic: timers fire by (deadline, creation order), and ready tasks run
//! in the executor's [`ReadyOrder`]. The default is first-in first-out, which the playground,
//! `strata run` and the golden trace hashes rely on. The whole-system simulator switches to
//! `ReadyOrder::Seeded`, which picks the next ready task at random from a stream of the run's
//! seed: a seed then chooses an interleaving as well as inputs, and still replays exactly.
//! Nothing here reads a wall clock.
//!
//! One *event* is one timer firing plus every poll it causes. `Sim::step` processes one event,
//! which is what the playground's "step" button does.

use crate::rng::{RngStreams, SimRng};
use crate::time::{SimDuration, SimTime};
use crate::trace::{EventKind, Trace, TraceConfig};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

mod handles;
mod queues;

pub use handles::{AbortHandle, JoinError, JoinHandle};
use handles::{AbortInner, CompleteOnDrop, JoinState};
pub use queues::ReadyOrder;
use queues::{ReadyQueue, RemoteReady, TimerEntry, TimerQueue, TimerState};

/// A boxed future that need not be `Send`: everything here runs on one thread.
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Limits that keep a runaway simulation from eating the browser tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecutorLimits {
    /// Live tasks at once; `spawn` beyond this panics in debug and is refused (the task is
    /// dropped and its handle reports `JoinError::Refused`) in release.
    pub max_tasks: usize,
    /// Pending timers at once.
    pub max_timers: usize,
    /// Polls within one event before the executor reports a livelock.
    pub max_polls_per_event: u64,
}

impl Default for ExecutorLimits {
    fn default() -> Self {
        ExecutorLimits {
            max_tasks: 100_000,
            max_timers: 1_000_000,
            max_polls_per_event: 10_000_000,
        }
    }
}

/// Why a `block_on` or run could not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// The awaited future is pending, no task is ready and no timer is set: it can never finish.
    Deadlock { at: SimTime },
    /// Tasks kept waking each other without time advancing.
    Livelock { at: SimTime, polls: u64 },
    /// The run went past the simulated-time budget it was given.
    TimeBudgetExceeded { at: SimTime },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Deadlock { at } => write!(f, "deadlock at {at}: nothing can make progress"),
            RunError::Livelock { at, polls } => {
                write!(f, "livelock at {at}: {polls} polls without time advancing")
            }
            RunError::TimeBudgetExceeded { at } => write!(f, "time budget exceeded at {at}"),
        }
    }
}

impl std::error::Error for RunError {}

struct TaskWaker {
    index: usize,
    generation: u64,
    scheduled: AtomicBool,
    ready: Arc<RemoteReady>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if !self.scheduled.swap(true, Ordering::Relaxed) {
            self.ready.wake((self.index, self.generation));
        }
    }
}

/// How many finished tasks' wakers, and how many spent timer states, the executor keeps for
/// reuse: enough for the tasks and sleeps that come and go within an event, so that a steady
/// run allocates neither, and a bounded amount of memory.
const MAX_SPARES: usize = 1024;

struct TaskSlot {
    generation: u64,
    future: Option<LocalBoxFuture<'static, ()>>,
    waker: Arc<TaskWaker>,
    /// `waker` as a `Waker`, made once: a poll moves it out and back rather than cloning
    /// the `Arc` and dropping it again. `None` while the task is being polled.
    poll_waker: Option<Waker>,
    /// Set when the task is aborted while it is being polled.
    aborted: bool,
    /// The work this task does on behalf of (see [`SimHandle::set_origin`]): 0 for none. A
    /// task starts with its spawner's origin.
    origin: u64,
}

struct Shared {
    now: Cell<SimTime>,
    tasks: RefCell<Vec<Option<TaskSlot>>>,
    free_slots: RefCell<Vec<usize>>,
    live_tasks: Cell<usize>,
    next_generation: Cell<u64>,
    ready: ReadyQueue,
    /// Ready tasks taken off `ready` in one go, run before anything queued there since
    /// (`ReadyQueue::pop`).
    ready_batch: RefCell<VecDeque<(usize, u64)>>,
    timers: RefCell<TimerQueue>,
    next_timer_seq: Cell<u64>,
    /// Wakers of finished tasks that nothing else held, kept for the next spawns: a spawn
    /// then allocates no waker. At most `MAX_SPARES`.
    spare_wakers: RefCell<Vec<Arc<TaskWaker>>>,
    /// Timer states no sleep and no queued timer holds any more, kept for the next sleeps
    /// likewise. At most `MAX_SPARES`.
    spare_timers: RefCell<Vec<Rc<TimerState>>>,
    events_processed: Cell<u64>,
    polls: Cell<u64>,
    /// The origin of the task being polled (0 between polls).
    current_origin: Cell<u64>,
    streams: RngStreams,
    trace: RefCell<Trace>,
    limits: ExecutorLimits,
}

/// The simulation: clock, scheduler, random streams and trace for one run.
pub struct Sim {
    shared: Rc<Shared>,
}

/// A cheap, clonable handle that tasks use to read the clock, sleep, spawn and record events.
#[derive(Clone)]
pub struct SimHandle {
    shared: Rc<Shared>,
}

/// A simulated sleep. Dropping it cancels the timer, so an abandoned timeout does not drag
/// the clock forward.
pub struct Sleep {
    shared: Rc<Shared>,
    deadline: SimTime,
    state: Option<Rc<TimerState>>,
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.shared.now.get() >= self.deadline {
            return Poll::Ready(());
        }
        if let Some(state) = &self.state {
            if state.fired.get() {
                return Poll::Ready(());
            }
            *state.waker.borrow_mut() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let state = self.shared.timer_state(cx.waker().clone());
        self.shared.add_timer(self.deadline, state.clone());
        self.state = Some(state);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            if state.fired.get() {
                // Off the queue already: the state is spare once this sleep lets go of it.
                self.shared.recycle_timer(state);
            } else {
                // Still queued: the queue drops it, cancelled, when it reaches the top.
                state.cancelled.set(true);
                state.waker.borrow_mut().take();
            }
        }
    }
}

impl Shared {
    fn add_timer(&self, deadline: SimTime, state: Rc<TimerState>) {
        let seq = self.next_timer_seq.get();
        self.next_timer_seq.set(seq + 1);
        let mut timers = self.timers.borrow_mut();
        if timers.len() >= self.limits.max_timers {
            // Prune cancelled timers before refusing: most are abandoned timeouts.
            timers.retain(|entry| !entry.state.cancelled.get());
        }
        assert!(
            timers.len() < self.limits.max_timers,
            "simulation exceeded its limit of {} pending timers",
            self.limits.max_timers
        );
        timers.push(TimerEntry {
            deadline,
            seq,
            state,
        });
    }

    fn spawn_boxed(self: &Rc<Self>, future: LocalBoxFuture<'static, ()>) -> Option<AbortHandle> {
        if self.live_tasks.get() >= self.limits.max_tasks {
            debug_assert!(
                false,
                "simulation exceeded its limit of {} live tasks",
                self.limits.max_tasks
            );
            return None;
        }
        let generation = self.next_generation.get();
        self.next_generation.set(generation + 1);
        let index = self
            .free_slots
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| self.tasks.borrow().len());
        let spare = self.spare_wakers.borrow_mut().pop();
        let waker = match spare {
            Some(mut waker) => {
                let unique = Arc::get_mut(&mut waker).expect("a spare waker is held only here");
                unique.index = index;
                unique.generation = generation;
                // Scheduled: the task is queued below.
                *unique.scheduled.get_mut() = true;
                waker
            }
            None => Arc::new(TaskWaker {
                index,
                generation,
                scheduled: AtomicBool::new(true),
                ready: self.ready.remote(),
            }),
        };
        let slot = TaskSlot {
            generation,
            future: Some(future),
            waker: waker.clone(),
            poll_waker: Some(Waker::from(waker)),
            aborted: false,
            origin: self.current_origin.get(),
        };
        {
            let mut tasks = self.tasks.borrow_mut();
            if index == tasks.len() {
                tasks.push(Some(slot));
            } else {
                tasks[index] = Some(slot);
            }
        }
        self.live_tasks.set(self.live_tasks.get() + 1);
        // What `waker.wake_by_ref()` does on this thread, without its look in the thread's
        // registry for this executor's queue: a new task is ready at once.
        self.ready.push_local((index, generation));
        Some(AbortHandle {
            inner: AbortInner::Sim {
                shared: Rc::downgrade(self),
                index,
                generation,
            },
        })
    }

    fn free_slot(&self, index: usize) {
        let slot = self.tasks.borrow_mut()[index].take();
        if let Some(TaskSlot {
            waker: mut task_waker,
            poll_waker,
            ..
        }) = slot
        {
            // A waker that no one else holds (no clone waits in a timer or a notify) cannot
            // wake anything late, so it can serve the next spawn.
            drop(poll_waker);
            let mut spares = self.spare_wakers.borrow_mut();
            if spares.len() < MAX_SPARES && Arc::get_mut(&mut task_waker).is_some() {
                spares.push(task_waker);
            }
        }
        self.free_slots.borrow_mut().push(index);
        self.live_tasks.set(self.live_tasks.get() - 1);
    }

    fn abort(&self, index: usize, generation: u64) {
        let future = {
            let mut tasks = self.tasks.borrow_mut();
            match tasks.get_mut(index) {
                Some(Some(slot)) if slot.generation == generation => {
                    if slot.future.is_none() {
                        // Being polled right now: drop it when the poll returns.
                        slot.aborted = true;
                        None
                    } else {
                        slot.future.take()
                    }
                }
                _ => return,
            }
        };
        if let Some(future) = future {
            self.free_slot(index);
            // Dropped outside the borrow: its destructors may spawn or abort other tasks.
            drop(future);
        }
    }

    /// Polls ready tasks until none is left. Returns the number of polls.
    ///
    /// Inlined into its callers for the look at the queues alone: an event's first call
    /// nearly always finds nothing ready (the last event's run emptied the queue), and the
    /// loop's own call costs more than the look. Not in the page's wasm, where the five
    /// inlined copies cost 73 B of gzip -9 (measured with `cargo xtask dist`).
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn run_ready(&self) -> Result<u64, RunError> {
        if !self.ready.has_ready(&self.ready_batch) {
            return Ok(0);
        }
        self.run_ready_tasks()
    }

    fn run_ready_tasks(&self) -> Result<u64, RunError> {
        let mut polls_this_round = 0u64;
        while let Some((index, generation)) = self.ready.pop(&self.ready_batch) {
            let taken = {
                let mut tasks = self.tasks.borrow_mut();
                match tasks.get_mut(index) {
                    Some(Some(slot)) if slot.generation == generation => {
                        slot.future.take().map(|future| {
                            slot.waker.scheduled.store(false, Ordering::Relaxed);
                            let waker = slot
                                .poll_waker
                                .take()
                                .expect("a task's waker is out only while it is polled");
                            (future, waker, slot.origin)
                        })
                    }
                    _ => None,
                }
            };
            let Some((mut future, waker, origin)) = taken else {
                continue;
            };
            self.current_origin.set(origin);
            let mut cx = Context::from_waker(&waker);
            polls_this_round += 1;
            self.polls.set(self.polls.get() + 1);
            let poll = future.as_mut().poll(&mut cx);
            // The poll may have changed the task's origin (`SimHandle::set_origin`).
            let origin = self.current_origin.replace(0);
            // One borrow puts back what the poll took; a pending task that was not aborted
            // gets its future back in the same borrow.
            let finished = {
                let mut tasks = self.tasks.borrow_mut();
                match tasks.get_mut(index) {
                    Some(Some(slot)) => {
                        slot.origin = origin;
                        slot.poll_waker = Some(waker);
                        if poll.is_pending() && !slot.aborted {
                            slot.future = Some(future);
                            None
                        } else {
                            Some((true, future))
                        }
                    }
                    _ => Some((poll.is_ready(), future)),
                }
            };
            if let Some((free, future)) = finished {
                if free {
                    self.free_slot(index);
                }
                // Dropped outside the borrow: its destructors may spawn or abort other tasks.
                drop(future);
            }
            if polls_this_round > self.limits.max_polls_per_event {
                return Err(RunError::Livelock {
                    at: self.now.get(),
                    polls: polls_this_round,
                });
            }
        }
        Ok(polls_this_round)
    }

    /// Pops cancelled timers off the top and returns the next live deadline.
    fn next_deadline(&self) -> Option<SimTime> {
        let mut timers = self.timers.borrow_mut();
        while let Some(entry) = timers.peek() {
            if entry.state.cancelled.get() {
                let entry = timers.pop().expect("peeked");
                self.recycle_timer(entry.state);
            } else {
                return Some(entry.deadline);
            }
        }
        None
    }

    /// Fires the earliest live timer, advancing the clock to it. Returns false when none.
    fn fire_next_timer(&self) -> bool {
        // Popped until a live one, in one borrow (a look with `next_deadline` first would
        // search the top twice).
        let entry = {
            let mut timers = self.timers.borrow_mut();
            loop {
                match timers.pop() {
                    None => return false,
                    Some(entry) if entry.state.cancelled.get() => self.recycle_timer(entry.state),
                    Some(entry) => break entry,
                }
            }
        };
        let deadline = entry.deadline;
        if deadline > self.now.get() {
            self.now.set(deadline);
        }
        entry.state.fired.set(true);
        let waker = entry.state.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
        self.recycle_timer(entry.state);
        true
    }

    /// Keeps a timer state for the next sleep if nothing holds it any more (its sleep was
    /// dropped and it is off the queue).
    fn recycle_timer(&self, mut state: Rc<TimerState>) {
        let mut spares = self.spare_timers.borrow_mut();
        if spares.len() < MAX_SPARES && Rc::get_mut(&mut state).is_some() {
            state.fired.set(false);
            state.cancelled.set(false);
            *state.waker.borrow_mut() = None;
            spares.push(state);
        }
    }

    /// A timer state for a new sleep, reused when one is spare.
    fn timer_state(&self, waker: Waker) -> Rc<TimerState> {
        match self.spare_timers.borrow_mut().pop() {
            Some(state) => {
                *state.waker.borrow_mut() = Some(waker);
                state
            }
            None => Rc::new(TimerState {
                fired: Cell::new(false),
                cancelled: Cell::new(false),
                waker: RefCell::new(Some(waker)),
            }),
        }
    }
}

impl Sim {
    /// A new simulation at time zero, with the given root seed and default limits.
    pub fn new(seed: u64) -> Self {
        Sim::with_config(seed, TraceConfig::default(), ExecutorLimits::default())
    }

    pub fn with_config(seed: u64, trace: TraceConfig, limits: ExecutorLimits) -> Self {
        Sim {
            shared: Rc::new(Shared {
                now: Cell::new(SimTime::ZERO),
                tasks: RefCell::new(Vec::new()),
                free_slots: RefCell::new(Vec::new()),
                live_tasks: Cell::new(0),
                next_generation: Cell::new(0),
                ready: ReadyQueue::default(),
                ready_batch: RefCell::new(VecDeque::new()),
                spare_wakers: RefCell::new(Vec::new()),
                spare_timers: RefCell::new(Vec::new()),
                timers: RefCell::new(TimerQueue::default()),
                next_timer_seq: Cell::new(0),
                events_processed: Cell::new(0),
                polls: Cell::new(0),
                current_origin: Cell::new(0),
                streams: RngStreams::new(seed),
                trace: RefCell::new(Trace::new(trace)),
                limits,
            }),
        }
    }

    pub fn handle(&self) -> SimHandle {
        SimHandle {
            shared: self.shared.clone(),
        }
    }

    /// Sets how the next ready task is chosen; FIFO unless this is called. Call it before
    /// the run starts, so that every choice of the run is made under one order.
    pub fn set_ready_order(&self, order: ReadyOrder) {
        self.shared.ready.unbatch(&self.shared.ready_batch);
        self.shared.ready.lock().chooser = match order {
            ReadyOrder::Fifo => None,
            ReadyOrder::Seeded => Some(self.shared.streams.stream("sim.ready_order")),
        };
    }

    /// The ready-order choices made so far among two or more ready tasks (always zero in
    /// FIFO order), and the hash that names them.
    pub fn ready_choices(&self) -> (u64, u64) {
        let state = self.shared.ready.lock();
        (state.choices, state.choice_hash)
    }

    pub fn now(&self) -> SimTime {
        self.shared.now.get()
    }

    /// Processes one event: runs ready tasks, fires the earliest timer, and runs what it woke.
    /// Returns `Ok(false)` when there is nothing left to do.
    pub fn step(&self) -> Result<bool, RunError> {
        self.shared.run_ready()?;
        if !self.shared.fire_next_timer() {
            return Ok(false);
        }
        self.shared
            .events_processed
            .set(self.shared.events_processed.get() + 1);
        self.shared.run_ready()?;
        Ok(true)
    }

    /// Runs every event due at or before `until`, then sets the clock to `until`. Returns the
    /// number of events processed. Stops early, leaving the clock at the last event, after
    /// `max_events` events (so a browser frame stays short).
    pub fn run_until(&self, until: SimTime, max_events: u64) -> Result<u64, RunError> {
        self.shared.run_ready()?;
        let mut processed = 0;
        while processed < max_events {
            match self.shared.next_deadline() {
                Some(deadline) if deadline <= until => {
                    self.step()?;
                    processed += 1;
                }
                _ => {
                    if self.shared.now.get() < until {
                        self.shared.now.set(until);
                    }
                    self.shared.run_ready()?;
                    break;
                }
            }
        }
        Ok(processed)
    }

    /// Runs until no task is ready and no timer is set, or `max_events` have passed.
    pub fn run_until_idle(&self, max_events: u64) -> Result<u64, RunError> {
        let mut processed = 0;
        while processed < max_events && self.step()? {
            processed += 1;
        }
        Ok(processed)
    }

    /// Runs the simulation until `future` completes, advancing simulated time as needed.
    pub fn block_on<F>(&self, future: F) -> Result<F::Output, RunError>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.block_on_within(future, SimTime::MAX)
    }

    /// Like `block_on`, but gives up with `TimeBudgetExceeded` once the clock passes `limit`.
    pub fn block_on_within<F>(&self, future: F, limit: SimTime) -> Result<F::Output, RunError>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let output: Rc<RefCell<Option<F::Output>>> = Rc::new(RefCell::new(None));
        let slot = output.clone();
        let abort = self.shared.spawn_boxed(Box::pin(async move {
            let value = future.await;
            *slot.borrow_mut() = Some(value);
        }));
        loop {
            self.shared.run_ready()?;
            if let Some(value) = output.borrow_mut().take() {
                return Ok(value);
            }
            if self.now() > limit {
                if let Some(abort) = &abort {
                    abort.abort();
                }
                return Err(RunError::TimeBudgetExceeded { at: self.now() });
            }
            if !self.step()? {
                if let Some(value) = output.borrow_mut().take() {
                    return Ok(value);
                }
                if let Some(abort) = &abort {
                    abort.abort();
                }
                return Err(RunError::Deadlock { at: self.now() });
            }
        }
    }

    /// Events (timer firings) processed so far.
    pub fn events_processed(&self) -> u64 {
        self.shared.events_processed.get()
    }

    /// Task polls so far.
    pub fn polls(&self) -> u64 {
        self.shared.polls.get()
    }

    pub fn live_tasks(&self) -> usize {
        self.shared.live_tasks.get()
    }

    /// True when a task is ready or a timer is pending.
    pub fn has_pending_work(&self) -> bool {
        self.shared.ready.has_ready(&self.shared.ready_batch)
            || self.shared.next_deadline().is_some()
    }

    /// The simulated time of the next timer, if any.
    pub fn next_event_time(&self) -> Option<SimTime> {
        self.shared.next_deadline()
    }

    pub fn trace(&self) -> std::cell::Ref<'_, Trace> {
        self.shared.trace.borrow()
    }

    pub fn trace_mut(&self) -> std::cell::RefMut<'_, Trace> {
        self.shared.trace.borrow_mut()
    }

    pub fn streams(&self) -> RngStreams {
        self.shared.streams
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // Tasks hold handles to the simulation; drop them to break the reference cycle.
        // Taken out by a loop, not `filter_map` and `collect`, whose instances the page had
        // for this alone; dropped after the borrow ends, as a task's drop may reach the tasks.
        let mut futures = Vec::new();
        for slot in self.shared.tasks.borrow_mut().iter_mut() {
            if let Some(future) = slot.as_mut().and_then(|s| s.future.take()) {
                futures.push(future);
            }
        }
        drop(futures);
        self.shared.tasks.borrow_mut().clear();
        self.shared.timers.borrow_mut().clear();
    }
}

impl SimHandle {
    pub fn now(&self) -> SimTime {
        self.shared.now.get()
    }

    /// Sleeps for `duration` of simulated time. A zero duration completes at once.
    pub fn sleep(&self, duration: SimDuration) -> Sleep {
        self.sleep_until(self.now() + duration)
    }

    pub fn sleep_until(&self, deadline: SimTime) -> Sleep {
        Sleep {
            shared: self.shared.clone(),
            deadline,
            state: None,
        }
    }

    /// Spawns a task. It first runs at the current instant, after the tasks already ready.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let state = Rc::new(RefCell::new(JoinState {
            result: None,
            waker: None,
        }));
        let guard = CompleteOnDrop {
            state: state.clone(),
        };
        let abort = self.shared.spawn_boxed(Box::pin(async move {
            let guard = guard;
            let value = future.await;
            let waker = {
                let mut state = guard.state.borrow_mut();
                state.result = Some(Ok(value));
                state.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }));
        let abort = match abort {
            Some(abort) => abort,
            None => {
                state.borrow_mut().result = Some(Err(JoinError::Refused));
                AbortHandle::noop()
            }
        };
        JoinHandle { state, abort }
    }

    /// Spawns a boxed task whose output no one awaits: the `Runtime::spawn_detached` of a
    /// simulation, which costs no join state and no second box around the future.
    pub fn spawn_detached_boxed(&self, future: LocalBoxFuture<'static, ()>) -> AbortHandle {
        self.shared
            .spawn_boxed(future)
            .unwrap_or_else(AbortHandle::noop)
    }

    /// Records a trace event at the current simulated time, with the current task's origin.
    pub fn record(&self, kind: EventKind) -> u64 {
        let now = self.now();
        self.record_at(now, kind)
    }

    /// Records a trace event at an explicit time (a request's start, say), with the current
    /// task's origin.
    pub fn record_at(&self, at: SimTime, kind: EventKind) -> u64 {
        let origin = self.shared.current_origin.get();
        self.shared
            .trace
            .borrow_mut()
            .record_with_origin(at, origin, kind)
    }

    /// Marks the task being polled as working on behalf of `origin` (a client operation's
    /// number, say; 0 for none): the events it records from now on, and those of the tasks
    /// it spawns from now on (a store request's), carry it in [`TraceEvent::origin`], which
    /// links them without entering the trace hash. (Outside a task's poll it holds only
    /// until the next poll.)
    ///
    /// [`TraceEvent::origin`]: crate::trace::TraceEvent::origin
    pub fn set_origin(&self, origin: u64) {
        self.shared.current_origin.set(origin);
    }

    /// The named random stream (see `RngStreams::stream`).
    pub fn rng(&self, name: &str) -> SimRng {
        self.shared.streams.stream(name)
    }

    pub fn trace_hash(&self) -> u64 {
        self.shared.trace.borrow().hash()
    }

    /// Runs `f` with the trace borrowed (for reading retained events or subscribing).
    pub fn with_trace<R>(&self, f: impl FnOnce(&mut Trace) -> R) -> R {
        f(&mut self.shared.trace.borrow_mut())
    }
}

/// Completes after other ready tasks have had a turn, without advancing time.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}
