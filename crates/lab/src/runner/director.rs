//! The director: the task that opens the first writer, lets the workload run for the
//! scenario's duration, drains what is in flight (at most `DRAIN_LIMIT`), reads back every
//! durable write, closes the writer and marks the run finished.

use super::state::WriterSlot;
use super::world::{Finished, TaskKind, World};
use super::{WriterStatus, DRAIN_LIMIT};
use std::rc::Rc;
use strata_sim::sync::{race, timeout};

impl World {
    /// Opens the first writer, runs the workload, drains, verifies, closes.
    pub(super) async fn direct(self: Rc<Self>) {
        self.set_writer(WriterSlot::Opening);
        match self.open_writer("open").await {
            Some(db) => self.set_writer(WriterSlot::Up(db)),
            None => self.set_writer(WriterSlot::Down),
        }
        let generator = self.clone();
        self.spawn(TaskKind::Background("workload"), generator.generate());
        self.sleep_until(self.end).await;
        // The workload has stopped: let what is in flight finish.
        let drain_deadline = self.end + DRAIN_LIMIT;
        while self.workload.in_flight.get() > 0 && self.now() < drain_deadline {
            let remaining = drain_deadline.saturating_since(self.now());
            let _ = race(
                self.workload.in_flight_changed.notified(),
                self.sleep(remaining),
            )
            .await;
        }
        // A writer that is still opening gets the same grace.
        while self.writer_status() == WriterStatus::Opening && self.now() < drain_deadline {
            let remaining = drain_deadline.saturating_since(self.now());
            let _ = timeout(
                self.runtime.as_ref(),
                remaining,
                self.writers.writer_changed.notified(),
            )
            .await;
        }
        if self.verify_at_end {
            if self.writer_status() == WriterStatus::Down {
                // Ended with the writer down: recover it so the check reads what survived.
                self.set_writer(WriterSlot::Opening);
                match self.open_writer("final recovery").await {
                    Some(db) => self.set_writer(WriterSlot::Up(db)),
                    None => self.set_writer(WriterSlot::Down),
                }
            }
            if let Some(db) = self.current_writer() {
                // Make every acknowledged write durable first, so that the check covers all
                // of them and not only those the last WAL upload happened to include.
                if let Err(error) = db.flush().await {
                    self.note(format!("final flush failed: {error}"));
                }
                self.sync_watermark(&db);
                self.verify(db, "end").await;
            }
        }
        if let Some(db) = self.current_writer() {
            if let Err(error) = db.close().await {
                self.note(format!("close failed: {error}"));
            }
            self.sync_watermark(&db);
        }
        if let Some(zombie) = self.writers.zombie.borrow().clone() {
            zombie.crash();
        }
        self.note("run finished");
        let (trace_hash, trace_events) = (self.trace_snapshot)();
        self.finished.set(Some(Finished {
            at: self.now(),
            trace_hash,
            trace_events,
        }));
        self.finished_notify.notify_waiters();
    }
}
