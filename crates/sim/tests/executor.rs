//! The scheduler's contract: timers fire in simulated time, in deterministic order, and
//! sleeping tasks resume at exactly the right instant.

#![allow(
    clippy::unwrap_used,
    reason = "test assertions: a failed unwrap is a failed test"
)]

use std::cell::RefCell;
use std::rc::Rc;
use strata_sim::sync::{oneshot, race, timeout, Either, Notify};
use strata_sim::{yield_now, JoinError, ReadyOrder, RunError, Sim, SimDuration, SimTime};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn sleeping_tasks_wake_at_their_deadline_in_order() {
    let sim = Sim::new(1);
    let log = Rc::new(RefCell::new(Vec::new()));
    for (name, ms) in [("c", 30u64), ("a", 10), ("b", 20), ("a2", 10)] {
        let handle = sim.handle();
        let log = log.clone();
        handle.clone().spawn(async move {
            handle.sleep(SimDuration::from_millis(ms)).await;
            log.borrow_mut().push((name, handle.now()));
        });
    }
    sim.run_until_idle(100).unwrap();
    assert_eq!(
        *log.borrow(),
        vec![
            ("a", SimTime::from_millis(10)),
            ("a2", SimTime::from_millis(10)),
            ("b", SimTime::from_millis(20)),
            ("c", SimTime::from_millis(30)),
        ]
    );
}

#[test]
fn block_on_advances_time_and_returns_the_value() {
    let sim = Sim::new(1);
    let handle = sim.handle();
    let value = sim
        .block_on(async move {
            handle.sleep(SimDuration::from_secs(5)).await;
            let child = handle.spawn({
                let handle = handle.clone();
                async move {
                    handle.sleep(SimDuration::from_millis(250)).await;
                    7
                }
            });
            child.await.unwrap() * 6
        })
        .unwrap();
    assert_eq!(value, 42);
    assert_eq!(sim.now(), SimTime::from_millis(5250));
}

#[test]
fn a_future_that_can_never_finish_is_reported_as_deadlock() {
    let sim = Sim::new(1);
    let (_sender, receiver) = oneshot::<u32>();
    let result = sim.block_on(receiver);
    assert!(matches!(result, Err(RunError::Deadlock { .. })));
}

#[test]
fn run_until_stops_at_the_limit_and_sets_the_clock() {
    let sim = Sim::new(1);
    let handle = sim.handle();
    let ticks = Rc::new(RefCell::new(0));
    let counter = ticks.clone();
    handle.clone().spawn(async move {
        loop {
            handle.sleep(SimDuration::from_millis(100)).await;
            *counter.borrow_mut() += 1;
        }
    });
    let events = sim.run_until(SimTime::from_millis(1050), u64::MAX).unwrap();
    assert_eq!(events, 10);
    assert_eq!(*ticks.borrow(), 10);
    assert_eq!(sim.now(), SimTime::from_millis(1050));
    // A cap on events per call leaves the clock at the last event processed.
    let events = sim.run_until(SimTime::from_secs(100), 3).unwrap();
    assert_eq!(events, 3);
    assert_eq!(sim.now(), SimTime::from_millis(1300));
}

#[test]
fn abort_drops_the_task_and_its_join_reports_aborted() {
    let sim = Sim::new(1);
    let handle = sim.handle();
    let task = handle.spawn({
        let handle = handle.clone();
        async move {
            handle.sleep(SimDuration::from_secs(10)).await;
            1
        }
    });
    let abort = task.abort_handle();
    sim.run_until(SimTime::from_secs(1), 100).unwrap();
    abort.abort();
    assert_eq!(sim.live_tasks(), 0);
    let result = sim.block_on(task).unwrap();
    assert_eq!(result, Err(JoinError::Aborted));
    // The aborted task's timer was cancelled, so the clock did not jump to 10 s.
    assert_eq!(sim.now(), SimTime::from_secs(1));
}

#[test]
fn timeout_and_race_pick_the_earlier_and_cancel_the_other_timer() {
    let sim = Sim::new(1);
    let handle = sim.handle();
    let result = sim
        .block_on({
            let handle = handle.clone();
            async move {
                let slow = handle.sleep(SimDuration::from_secs(60));
                let quick = timeout(&handle, SimDuration::from_millis(5), slow).await;
                let fast = async {
                    handle.sleep(SimDuration::from_millis(1)).await;
                    "fast"
                };
                let won = race(fast, handle.sleep(SimDuration::from_secs(30))).await;
                (quick, won)
            }
        })
        .unwrap();
    assert_eq!(result.0, Err(strata_sim::sync::Elapsed));
    assert_eq!(result.1, Either::Left("fast"));
    assert!(!sim.has_pending_work());
    assert_eq!(sim.now(), SimTime::from_millis(6));
}

#[test]
fn notify_wakes_every_waiter() {
    let sim = Sim::new(1);
    let handle = sim.handle();
    let notify = Notify::new();
    let woken = Rc::new(RefCell::new(0));
    for _ in 0..3 {
        let notified = notify.notified();
        let woken = woken.clone();
        handle.spawn(async move {
            notified.await;
            *woken.borrow_mut() += 1;
        });
    }
    sim.run_until_idle(10).unwrap();
    assert_eq!(*woken.borrow(), 0);
    assert_eq!(notify.waiter_count(), 3);
    notify.notify_waiters();
    sim.run_until_idle(10).unwrap();
    assert_eq!(*woken.borrow(), 3);
}

#[test]
fn step_processes_one_timer_event() {
    let sim = Sim::new(1);
    let handle = sim.handle();
    for ms in [5u64, 10, 15] {
        let handle = handle.clone();
        handle.clone().spawn(async move {
            handle.sleep(SimDuration::from_millis(ms)).await;
        });
    }
    assert!(sim.step().unwrap());
    assert_eq!(sim.now(), SimTime::from_millis(5));
    assert!(sim.step().unwrap());
    assert!(sim.step().unwrap());
    assert!(!sim.step().unwrap());
    assert_eq!(sim.events_processed(), 3);
}

/// Five tasks that each yield three times, logging their name at every turn; returns the
/// order of turns and the executor's ready-order choice count and hash.
fn interleaving(seed: u64, order: ReadyOrder) -> (Vec<u8>, (u64, u64)) {
    let sim = Sim::new(seed);
    sim.set_ready_order(order);
    let log = Rc::new(RefCell::new(Vec::new()));
    for name in b'a'..=b'e' {
        let log = log.clone();
        sim.handle().spawn(async move {
            for _ in 0..3 {
                log.borrow_mut().push(name);
                yield_now().await;
            }
        });
    }
    sim.run_until_idle(100).unwrap();
    let turns = log.borrow().clone();
    (turns, sim.ready_choices())
}

#[test]
fn fifo_order_runs_ready_tasks_round_robin_whatever_the_seed() {
    for seed in [1, 2, 3] {
        let (turns, choices) = interleaving(seed, ReadyOrder::Fifo);
        assert_eq!(turns, b"abcdeabcdeabcde".to_vec(), "seed {seed}");
        assert_eq!(choices, (0, 0), "FIFO makes no choices");
    }
}

#[test]
fn seeded_order_changes_the_interleaving_across_seeds_and_replays_one_seed_exactly() {
    let runs: Vec<_> = (0..8)
        .map(|seed| interleaving(seed, ReadyOrder::Seeded))
        .collect();
    for (seed, run) in runs.iter().enumerate() {
        assert_eq!(
            interleaving(seed as u64, ReadyOrder::Seeded),
            *run,
            "seed {seed} replays"
        );
        let mut sorted = run.0.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, b"aaabbbcccdddeee".to_vec(), "every turn ran once");
        assert!(run.1 .0 > 0, "choices were made");
    }
    let distinct: std::collections::BTreeSet<_> = runs.iter().map(|run| &run.0).collect();
    assert!(
        distinct.len() >= 6,
        "only {} orders in 8 seeds",
        distinct.len()
    );
    assert!(
        runs.iter().any(|run| run.0 != b"abcdeabcdeabcde".to_vec()),
        "some seed departs from FIFO"
    );
}

#[test]
fn a_finished_tasks_waker_wakes_nothing_once_its_slot_is_reused() {
    use std::cell::Cell;
    use std::task::{Poll, Waker};
    let sim = Sim::new(1);
    let handle = sim.handle();
    // Two tasks finish: the first leaves a clone of its waker behind, the second does not.
    let kept: Rc<RefCell<Option<Waker>>> = Rc::new(RefCell::new(None));
    let keeper = kept.clone();
    handle.spawn(std::future::poll_fn(move |cx| {
        *keeper.borrow_mut() = Some(cx.waker().clone());
        Poll::Ready(())
    }));
    handle.spawn(async {});
    sim.run_until(SimTime::from_millis(1), 10).unwrap();
    assert_eq!(sim.live_tasks(), 0);
    // Two new tasks take the freed slots; each counts its polls and parks its own waker.
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let polls = Rc::new(Cell::new(0u32));
        let own: Rc<RefCell<Option<Waker>>> = Rc::new(RefCell::new(None));
        let (counter, parked) = (polls.clone(), own.clone());
        handle.spawn(std::future::poll_fn(move |cx| {
            counter.set(counter.get() + 1);
            *parked.borrow_mut() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        tasks.push((polls, own));
    }
    sim.run_until(SimTime::from_millis(2), 10).unwrap();
    assert_eq!((tasks[0].0.get(), tasks[1].0.get()), (1, 1));
    // The finished task's waker reaches neither new task.
    kept.borrow_mut().take().unwrap().wake();
    sim.run_until(SimTime::from_millis(3), 10).unwrap();
    assert_eq!((tasks[0].0.get(), tasks[1].0.get()), (1, 1));
    // Each new task's own waker wakes it, and only it.
    for (i, (_, own)) in tasks.iter().enumerate() {
        own.borrow().as_ref().unwrap().wake_by_ref();
        sim.run_until(SimTime::from_millis(4 + i as u64), 10)
            .unwrap();
    }
    assert_eq!((tasks[0].0.get(), tasks[1].0.get()), (2, 2));
    assert_eq!(sim.live_tasks(), 2);
}

#[test]
fn reused_wakers_and_timer_states_wake_exactly_their_own_task_and_sleep() {
    // Short-lived tasks and sleeps, many of them abandoned while queued (the longer side of
    // a race), so that finished tasks' wakers and spent timer states are handed to later
    // ones while abandoned timers still sit in the queue.
    let sim = Sim::new(1);
    let handle = sim.handle();
    let log = Rc::new(RefCell::new(Vec::new()));
    for task in 0..50u64 {
        let handle2 = handle.clone();
        let log = log.clone();
        handle.spawn(async move {
            for step in 0..4u64 {
                let short = SimDuration::from_millis(1 + (task + step) % 3);
                let long = SimDuration::from_millis(10);
                match race(handle2.sleep(short), handle2.sleep(long)).await {
                    Either::Left(()) => {}
                    Either::Right(()) => panic!("the longer sleep won"),
                }
                log.borrow_mut()
                    .push((task, step, handle2.now().as_nanos()));
                let child_log = log.clone();
                let child_handle = handle2.clone();
                handle2.spawn(async move {
                    child_handle.sleep(SimDuration::from_millis(2)).await;
                    child_log
                        .borrow_mut()
                        .push((1000 + task, step, child_handle.now().as_nanos()));
                });
            }
        });
    }
    sim.run_until_idle(100_000).unwrap();
    let log = log.borrow();
    assert_eq!(
        log.len(),
        50 * 4 * 2,
        "every task and child ran to its end once"
    );
    // Each step of task `t` ends exactly its short sleeps after the start, and each child
    // exactly 2 ms after its parent's step.
    for task in 0..50u64 {
        let mut at = 0u64;
        for step in 0..4u64 {
            at += (1 + (task + step) % 3) * 1_000_000;
            assert!(log.contains(&(task, step, at)), "task {task} step {step}");
            assert!(
                log.contains(&(1000 + task, step, at + 2_000_000)),
                "child of task {task} step {step}"
            );
        }
    }
}

/// A task that parks its waker where the test can reach it, and counts its polls.
fn parked_task(
    sim: &Sim,
) -> (
    Rc<std::cell::Cell<u32>>,
    Rc<RefCell<Option<std::task::Waker>>>,
) {
    let polls = Rc::new(std::cell::Cell::new(0u32));
    let parked = Rc::new(RefCell::new(None));
    let (counter, slot) = (polls.clone(), parked.clone());
    sim.handle().spawn(std::future::poll_fn(move |cx| {
        counter.set(counter.get() + 1);
        *slot.borrow_mut() = Some(cx.waker().clone());
        std::task::Poll::<()>::Pending
    }));
    sim.run_until_idle(10).unwrap();
    assert_eq!(polls.get(), 1);
    (polls, parked)
}

#[test]
fn a_waker_wakes_its_own_simulation_when_two_share_a_thread() {
    let (first, second) = (Sim::new(1), Sim::new(2));
    let (first_polls, first_waker) = parked_task(&first);
    let (second_polls, _second_waker) = parked_task(&second);
    first_waker.borrow().as_ref().unwrap().wake_by_ref();
    assert!(first.has_pending_work());
    assert!(!second.has_pending_work());
    first.run_until_idle(10).unwrap();
    second.run_until_idle(10).unwrap();
    assert_eq!((first_polls.get(), second_polls.get()), (2, 1));
    // Woken after its simulation is gone, a waker wakes nothing and does not panic.
    let waker = first_waker.borrow_mut().take().unwrap();
    drop(first);
    waker.wake();
    assert!(!second.has_pending_work());
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_waker_woken_on_another_thread_runs_its_task_at_the_next_step() {
    let sim = Sim::new(1);
    let (polls, parked) = parked_task(&sim);
    let waker = parked.borrow_mut().take().unwrap();
    std::thread::spawn(move || waker.wake()).join().unwrap();
    assert!(sim.has_pending_work());
    sim.run_until_idle(10).unwrap();
    assert_eq!(polls.get(), 2);
    assert!(!sim.has_pending_work());
    // And once more, woken by reference, with the queue otherwise empty in between.
    let waker = parked.borrow_mut().take().unwrap();
    std::thread::spawn(move || waker.wake_by_ref())
        .join()
        .unwrap();
    sim.run_until_idle(10).unwrap();
    assert_eq!(polls.get(), 3);
}

#[test]
fn a_spawned_task_runs_once_after_the_tasks_already_ready_with_a_new_or_reused_waker() {
    let sim = Sim::new(1);
    let log = Rc::new(RefCell::new(Vec::new()));
    let handle = sim.handle();
    // The first three finish at their first poll and leave their wakers spare; the three a
    // task spawns afterwards reuse them, and each yields once, so it must run exactly twice.
    for name in b'a'..=b'c' {
        let log = log.clone();
        handle.spawn(async move { log.borrow_mut().push(name) });
    }
    sim.run_until_idle(10).unwrap();
    let spawner = handle.clone();
    let outer_log = log.clone();
    handle.spawn(async move {
        for name in b'x'..=b'z' {
            let log = outer_log.clone();
            spawner.spawn(async move {
                log.borrow_mut().push(name);
                yield_now().await;
                log.borrow_mut().push(name.to_ascii_uppercase());
            });
        }
        outer_log.borrow_mut().push(b'-');
        yield_now().await;
        outer_log.borrow_mut().push(b'+');
    });
    sim.run_until_idle(10).unwrap();
    assert_eq!(*log.borrow(), b"abc-xyz+XYZ".to_vec());
    assert_eq!(sim.live_tasks(), 0);
}
