//! Timed faults and writer events: a bit flip in a stored object, a crash (with its timed
//! recovery), a recovery, a takeover; store faults with windows go to the store's schedule.

use super::world::{TaskKind, World};
use super::LabError;
use crate::scenario::translate::store_fault;
use crate::scenario::FaultSpec;
use std::rc::Rc;
use strata_sim::{SimDuration, SimTime};

impl World {
    /// Flips one bit of one stored object under `prefix` (drawn from the lab's fault stream).
    pub(super) fn flip_bit(&self, prefix: &str) -> Result<(), LabError> {
        let store = self.sim_store()?;
        // A loop, not `filter` and `collect`, whose in-place collection was an instance of
        // its own in the page.
        let mut candidates = Vec::new();
        for key in store.keys() {
            if key.starts_with(prefix)
                && store
                    .inspect(&key)
                    .is_some_and(|(meta, _)| meta.size_bytes > 0)
            {
                candidates.push(key);
            }
        }
        if candidates.is_empty() {
            self.note(format!("bit flip skipped: no object under {prefix:?}"));
            return Ok(());
        }
        let key = candidates[self.fault_rng.borrow_mut().index(candidates.len())].clone();
        if let Err(error) = store.flip_bit(Some(&key), None) {
            self.note(format!("bit flip failed: {error}"));
        }
        Ok(())
    }

    /// Applies a writer event or one-shot fault now.
    pub(super) fn apply_event(self: &Rc<Self>, fault: &FaultSpec) -> Result<(), LabError> {
        match fault {
            FaultSpec::BitFlip { prefix, .. } => self.flip_bit(prefix),
            FaultSpec::CrashWriter {
                recover_after_ms, ..
            } => {
                self.crash_writer()?;
                if let Some(after) = recover_after_ms {
                    let world = self.clone();
                    let delay = SimDuration::from_millis(*after);
                    self.spawn(TaskKind::Background("timed recovery"), async move {
                        world.sleep(delay).await;
                        if let Err(error) = world.spawn_recover() {
                            world.note(error.to_string());
                        }
                    });
                }
                Ok(())
            }
            FaultSpec::Recover { .. } => self.spawn_recover(),
            FaultSpec::StartZombie { .. } => self.spawn_zombie(),
            _ => {
                let spec = store_fault(fault)
                    .ok_or_else(|| LabError::NotAStoreFault { kind: fault.kind() })?;
                self.sim_store()?
                    .add_fault(spec)
                    .map(|_| ())
                    .map_err(LabError::from)
            }
        }
    }

    /// Schedules a timed writer event or one-shot fault.
    pub(super) fn schedule_event(self: &Rc<Self>, fault: FaultSpec) {
        let world = self.clone();
        let at = SimTime::from_millis(fault.start_ms());
        self.spawn(TaskKind::Background(fault.kind()), async move {
            world.sleep_until(at).await;
            if world.finished.get().is_some() {
                return;
            }
            if let Err(error) = world.apply_event(&fault) {
                world.note(format!("{}: {error}", fault.kind()));
            }
        });
    }
}
