//! The read replica's task: it opens once the first writer is up and then polls on its own;
//! the summary reports how far it trails.

use super::world::World;
use super::REOPEN_DELAY;
use std::rc::Rc;
use strata_engine::{Reader, ReaderOptions};
use strata_sim::SimDuration;

impl World {
    /// Opens the read replica once the first writer is up, retrying while the store fails.
    pub(super) async fn follow(self: Rc<Self>, poll_interval: SimDuration) {
        while self.current_writer().is_none() && self.finished.get().is_none() {
            self.writers.writer_changed.notified().await;
        }
        let options = ReaderOptions {
            poll_interval,
            ..ReaderOptions::default()
        };
        while self.finished.get().is_none() {
            match Reader::open(
                self.runtime.clone(),
                self.store_port.clone(),
                &self.path,
                options.clone(),
            )
            .await
            {
                Ok(reader) => {
                    self.writers.set_reader(reader);
                    return;
                }
                Err(error) => {
                    self.note(format!("reader open failed: {error}"));
                    self.sleep(REOPEN_DELAY).await;
                }
            }
        }
    }
}
