//! The durability check: read back every key with a durable write and count those lost and
//! those resurrected (a deleted or expired value read back; see [`crate::durability`]).
//! `VERIFY_CONCURRENCY` workers share one queue; each counts itself down however it ends.

use super::world::{TaskKind, WorkerDone, World};
use super::VERIFY_CONCURRENCY;
use crate::durability::{DurabilityModel, ReadBack, ReadWindow, Verdict};
use crate::workload;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use strata_engine::{Db, ReadOptions};
use strata_sim::sync::Notify;
use strata_sim::EventKind;

impl World {
    /// Reads back every key with a durable write and records how many were lost.
    pub(super) async fn verify(self: &Rc<Self>, db: Rc<Db>, reason: &str) {
        // In key order, as the model lists them (a copy: writes go on while the check runs).
        let queue = Rc::new(RefCell::new(self.findings.model.borrow().durable_queue()));
        let tally = Rc::new(Cell::new((0u64, 0u64, 0u64))); // (checked, lost, unreadable)
        let remaining = Rc::new(Cell::new(VERIFY_CONCURRENCY));
        let done = Notify::new();
        for _ in 0..VERIFY_CONCURRENCY {
            let world = self.clone();
            let db = db.clone();
            let queue = queue.clone();
            let tally = tally.clone();
            let remaining = remaining.clone();
            let done = done.clone();
            // Counts this worker down however it ends, refused at spawn included: a
            // verification must not wait for a worker that never ran.
            let worker_done = WorkerDone {
                remaining: remaining.clone(),
                done: done.clone(),
            };
            self.spawn(TaskKind::Background("durability check"), async move {
                // One key buffer a worker, written over for each key: a key made afresh was an
                // allocation and a free a read back (docs/benchmarks.md).
                let mut key_text = String::new();
                loop {
                    let Some((key, record)) = queue.borrow_mut().pop_front() else {
                        break;
                    };
                    world.workload.keys.get().write_key(&mut key_text, key);
                    let started = world.now();
                    let read = match db.get(key_text.as_bytes(), ReadOptions::default()).await {
                        Ok(None) => ReadBack::Absent,
                        Ok(Some(value)) => {
                            workload::write_id_of(&value).map_or(ReadBack::Foreign, ReadBack::Value)
                        }
                        Err(_) => {
                            let (c, l, u) = tally.get();
                            tally.set((c, l, u + 1));
                            continue;
                        }
                    };
                    let window = ReadWindow {
                        started,
                        finished: world.now(),
                    };
                    let later = world.findings.model.borrow().record(key);
                    let verdict = DurabilityModel::judge(&record, &later, read, window);
                    let lost = verdict == Verdict::Lost;
                    let (c, l, u) = tally.get();
                    tally.set((c + 1, l + u64::from(lost), u));
                    match verdict {
                        Verdict::Acceptable => {}
                        Verdict::Lost => world.findings.push_lost_example(format!(
                            "{key_text}: read {read:?}, expected a write id >= {}",
                            record.threshold.unwrap_or(0)
                        )),
                        Verdict::Resurrected => {
                            world.findings.resurrection_found();
                            world.findings.push_lost_example(format!(
                                "{key_text}: read {read:?} at {}, a value deleted or expired",
                                window.started
                            ));
                        }
                    }
                }
                drop(worker_done);
            });
        }
        loop {
            // Take the notification future before checking, so a wake in between is kept.
            let notified = done.notified();
            if remaining.get() == 0 {
                break;
            }
            notified.await;
        }
        let (checked, lost, unreadable) = tally.get();
        if unreadable > 0 {
            self.note(format!(
                "{reason}: {unreadable} keys could not be read back (store or writer errors)"
            ));
        }
        self.record(EventKind::DurabilityChecked {
            keys_checked: checked,
            lost,
        });
    }
}
