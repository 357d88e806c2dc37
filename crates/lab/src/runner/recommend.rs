//! The recommender loop's task: the recommender crate's `RecommenderLoop` serves a slate every
//! interval until the workload ends, logging each step into whichever writer is up. A step
//! served while the writer is down is not logged (and counts as a log failure), as a
//! recommender that keeps serving through a database outage would do; when a new writer comes
//! up (a recovery, a restart, a takeover), the loop gets a new logger on it, and the lab keeps
//! the totals of the loggers before it.

use super::world::World;
use std::rc::Rc;
use strata_recommender::log::{EngineLogger, LogConfig, LogStats, Served};
use strata_sim::SimDuration;

impl World {
    /// Serves a slate every `interval`, logging each step with `log` if `logging`.
    pub(super) async fn recommend(
        self: Rc<Self>,
        log: LogConfig,
        logging: bool,
        interval: SimDuration,
    ) {
        let Some(recommender) = self.recommender.looped.as_ref() else {
            return;
        };
        let mut logged_before = LogStats::default();
        while self.now() < self.end {
            let writer = if logging { self.current_writer() } else { None };
            if let Some(db) = &writer {
                let mut looped = recommender.borrow_mut();
                let attached = looped
                    .logger()
                    .is_some_and(|logger| Rc::ptr_eq(logger.db(), db));
                if !attached {
                    let logger = EngineLogger::new(db.clone(), log.clone()).ok();
                    if let Some(old) = looped.replace_logger(logger) {
                        logged_before = add_log_stats(logged_before, old.stats());
                    }
                }
            }
            // `serve` is synchronous, so no borrow of the loop spans an await.
            let served = recommender
                .borrow_mut()
                .serve(self.runtime.as_ref(), writer.is_some());
            let Served { log, .. } = match served {
                Ok(served) => served,
                Err(error) => {
                    self.note(format!("recommender stopped: {error}"));
                    return;
                }
            };
            match log {
                Some(pending) => {
                    let written = match pending {
                        Ok(pending) => pending.write().await,
                        Err(error) => Err(error),
                    };
                    if let Err(error) = written {
                        self.recommender.log_failed();
                        self.push_error("recommender", "log", error.to_string());
                    }
                    let stats = recommender
                        .borrow()
                        .logger()
                        .map_or(LogStats::default(), EngineLogger::stats);
                    self.recommender
                        .set_log(add_log_stats(logged_before, stats));
                }
                // Logging, but no writer is up to log into.
                None if logging && writer.is_none() => {
                    self.recommender.log_failed();
                }
                None => {}
            }
            self.sleep(interval).await;
        }
    }
}

fn add_log_stats(a: LogStats, b: LogStats) -> LogStats {
    LogStats {
        impressions_logged: a.impressions_logged + b.impressions_logged,
        checkpoints_written: a.checkpoints_written + b.checkpoints_written,
        bytes_written: a.bytes_written + b.bytes_written,
        last_checkpoint_version: b.last_checkpoint_version.or(a.last_checkpoint_version),
    }
}
