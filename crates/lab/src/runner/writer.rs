//! The writer's life: opening it (retrying while the store fails), an operation waiting for
//! one that is opening, crashes, recoveries, clean restarts for new options, and takeovers,
//! where the old writer lives on as a zombie that keeps writing until it is fenced.

use super::engine_options;
use super::state::WriterSlot;
use super::world::kind_name;
use super::world::{TaskKind, World};
use super::{
    LabError, WriterStatus, REOPEN_DELAY, WRITER_WAIT_LIMIT, ZOMBIE_MAX_WRITES,
    ZOMBIE_WRITE_INTERVAL,
};
use crate::durability::Write;
use crate::scenario::EngineSpec;
use crate::workload;
use std::rc::Rc;
use strata_engine::{Db, DbOptions, ErrorKind, WriteOptions};
use strata_sim::sync::{race, Either};

impl World {
    /// The writer for an operation: the current one, or the next one if it is opening (for at
    /// most `WRITER_WAIT_LIMIT`). `None` when the writer is down.
    pub(super) async fn writer_for_op(self: &Rc<Self>) -> Option<Rc<Db>> {
        let deadline = self.now() + WRITER_WAIT_LIMIT;
        loop {
            match self.writer_status() {
                WriterStatus::Up => return self.current_writer(),
                WriterStatus::Down => return None,
                WriterStatus::Opening => {
                    let now = self.now();
                    if now >= deadline {
                        return None;
                    }
                    let changed = self.writers.writer_changed.notified();
                    if let Either::Right(()) =
                        race(changed, self.sleep(deadline.saturating_since(now))).await
                    {
                        return None;
                    }
                }
            }
        }
    }

    /// Opens a writer, retrying after `REOPEN_DELAY` while the store fails, until the run
    /// finishes. Returns the new writer.
    pub(super) async fn open_writer(self: &Rc<Self>, reason: &str) -> Option<Rc<Db>> {
        let mut attempts = 0u64;
        loop {
            attempts += 1;
            let options = self.writers.options.borrow().clone();
            let version = self.writers.options_version.get();
            match Db::open(
                self.runtime.clone(),
                self.store_port.clone(),
                &self.path,
                options,
            )
            .await
            {
                Ok(db) => {
                    self.writers.opened();
                    if self.writers.options_version.get() != version
                        && self.finished.get().is_none()
                    {
                        // The options changed while this open ran: close cleanly and open
                        // again with the new ones, as a restart would.
                        self.note(format!("{reason}: reopening to take new engine options"));
                        if let Err(error) = db.close().await {
                            self.note(format!("{reason}: close failed: {error}"));
                        }
                        continue;
                    }
                    return Some(Rc::new(db));
                }
                Err(error) => {
                    self.note(format!("{reason}: open attempt {attempts} failed: {error}"));
                    if error.kind() == ErrorKind::Invalid || self.finished.get().is_some() {
                        return None;
                    }
                    self.sleep(REOPEN_DELAY).await;
                }
            }
        }
    }

    /// Crashes the writer now.
    pub(super) fn crash_writer(self: &Rc<Self>) -> Result<(), LabError> {
        let Some(db) = self.current_writer() else {
            return Err(LabError::Control(
                "crash: no writer is up (it is down or still opening)".to_string(),
            ));
        };
        self.sync_watermark(&db);
        self.findings.model.borrow_mut().writer_lost();
        db.crash();
        self.set_writer(WriterSlot::Down);
        Ok(())
    }

    /// Opens a new writer after a crash, then reads back every durable write.
    pub(super) fn spawn_recover(self: &Rc<Self>) -> Result<(), LabError> {
        if self.writer_status() != WriterStatus::Down {
            return Err(LabError::Control(
                "recover: the writer is not down (crash it first)".to_string(),
            ));
        }
        self.set_writer(WriterSlot::Opening);
        let world = self.clone();
        self.spawn(TaskKind::Background("recovery"), async move {
            match world.open_writer("recover").await {
                Some(db) => {
                    world.set_writer(WriterSlot::Up(db.clone()));
                    world.verify(db, "recover").await;
                }
                None => world.set_writer(WriterSlot::Down),
            }
        });
        Ok(())
    }

    /// Opens a second writer while the first runs; the first becomes a zombie.
    pub(super) fn spawn_zombie(self: &Rc<Self>) -> Result<(), LabError> {
        let Some(old) = self.current_writer() else {
            return Err(LabError::Control(
                "start zombie: no writer is up to become the zombie".to_string(),
            ));
        };
        if self.writers.zombie.borrow().is_some() {
            return Err(LabError::Control(
                "start zombie: a zombie is already running".to_string(),
            ));
        }
        let world = self.clone();
        self.spawn(TaskKind::Background("takeover"), async move {
            // The old writer keeps serving while the new one opens, as in a real takeover
            // where nobody told the old process it was replaced.
            let Some(new) = world.open_writer("takeover").await else {
                return;
            };
            world.sync_watermark(&old);
            world.findings.model.borrow_mut().writer_lost();
            world.writers.set_zombie(old.clone());
            world.set_writer(WriterSlot::Up(new.clone()));
            let zombie_world = world.clone();
            world.spawn(TaskKind::Background("zombie writes"), async move {
                zombie_world.zombie_writes(old).await
            });
            world.verify(new, "takeover").await;
        });
        Ok(())
    }

    /// The zombie keeps writing (await-durable, so each write needs a WAL upload) until it is
    /// told it is fenced.
    pub(super) async fn zombie_writes(self: Rc<Self>, zombie: Rc<Db>) {
        for _ in 0..ZOMBIE_MAX_WRITES {
            self.sleep(ZOMBIE_WRITE_INTERVAL).await;
            if self.finished.get().is_some() {
                return;
            }
            let keys = self.workload.keys.get();
            let key = self.zombie_rng.borrow_mut().below(keys.count);
            let id = self.take_write_id();
            let issued = self
                .findings
                .model
                .borrow_mut()
                .issued(key, id, Write::Put, self.now());
            let start = self.now();
            let key_bytes = keys.key(key);
            let value = workload::value_for(id, 64);
            match zombie.put(&key_bytes, &value, WriteOptions::DURABLE).await {
                Ok(()) => {
                    // A fenced writer must never get a durable acknowledgement; if it does,
                    // the model expects the write and the next check reports it lost.
                    self.findings
                        .model
                        .borrow_mut()
                        .acknowledged_durable(issued, self.now());
                    self.record_op(
                        "put",
                        (key_bytes.len() + value.len()) as u64,
                        start,
                        true,
                        true,
                    );
                }
                Err(error) => {
                    self.findings.model.borrow_mut().failed(issued);
                    self.push_error("put", kind_name(error.kind()), format!("zombie: {error}"));
                    self.record_op("put", 0, start, false, false);
                    if matches!(error.kind(), ErrorKind::Fenced | ErrorKind::Closed) {
                        return;
                    }
                }
            }
        }
    }

    /// New engine options: the writer restarts cleanly to take them.
    pub(super) fn set_engine(self: &Rc<Self>, engine: &EngineSpec) -> Result<(), LabError> {
        engine.validate()?;
        self.set_engine_options(engine_options(engine)?)
    }

    /// New engine options, already checked by the engine: the writer restarts cleanly to
    /// take them.
    pub(super) fn set_engine_options(self: &Rc<Self>, options: DbOptions) -> Result<(), LabError> {
        self.writers.set_options(options);
        self.spawn_restart()
    }

    /// Restarts the writer cleanly with new options.
    pub(super) fn spawn_restart(self: &Rc<Self>) -> Result<(), LabError> {
        let Some(old) = self.current_writer() else {
            // Down or opening: the options apply at the next open.
            return Ok(());
        };
        self.set_writer(WriterSlot::Opening);
        let world = self.clone();
        self.spawn(TaskKind::Background("restart"), async move {
            if let Err(error) = old.close().await {
                world.note(format!("restart: close failed: {error}"));
            }
            world.sync_watermark(&old);
            world.findings.model.borrow_mut().writer_lost();
            match world.open_writer("restart").await {
                Some(db) => world.set_writer(WriterSlot::Up(db)),
                None => world.set_writer(WriterSlot::Down),
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::super::world::tiny;
    use super::super::{LabError, WriterStatus};

    #[test]
    fn a_crash_takes_the_writer_down_and_a_recovery_opens_a_new_one() {
        let (sim, world) = tiny::world(&tiny::scenario());
        assert_eq!(world.writer_status(), WriterStatus::Opening);
        // Nothing to crash while the first writer is still opening.
        assert!(matches!(world.crash_writer(), Err(LabError::Control(_))));
        tiny::run_until(&sim, 100);
        assert_eq!(world.writer_status(), WriterStatus::Up);
        assert_eq!(world.writers.opens.get(), 1);

        world.crash_writer().unwrap();
        assert_eq!(world.writer_status(), WriterStatus::Down);
        assert!(matches!(world.crash_writer(), Err(LabError::Control(_))));
        world.spawn_recover().unwrap();
        assert_eq!(world.writer_status(), WriterStatus::Opening);
        // One recovery at a time.
        assert!(matches!(world.spawn_recover(), Err(LabError::Control(_))));
        tiny::run_until(&sim, 200);
        assert_eq!(world.writer_status(), WriterStatus::Up);
        assert_eq!(world.writers.opens.get(), 2);
    }
}
