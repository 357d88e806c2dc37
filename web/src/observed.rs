//! What the page folds from the trace for drawing, which the lab's metrics do not keep:
//! flush and compaction activity with a running compaction's phases (for the animations),
//! the notable events listed under the storage view, drift marks for the recommender's time
//! axis, and the recommender's impression log (for off-policy evaluation). Every list is
//! bounded. Counts are the lab's metrics, never a second fold here.
//!
//! No browser code: the session attaches an [`Observed`] to each lab it builds, and it is
//! tested natively with it.

#[cfg(test)]
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use strata_sim::{Cause, EventKind, SimTime, StoreOp, TraceEvent};

/// Flush and compaction activities remembered for drawing (running and recently finished).
pub const MAX_ACTIVITIES: usize = 64;
/// Notable events kept for the event list, most recent last.
pub const MAX_EVENT_LINES: usize = 200;
/// Drift marks kept for the recommender's time axis.
pub const MAX_DRIFTS: usize = 64;
/// Logged impressions kept for off-policy evaluation (the most recent ones).
pub const MAX_IMPRESSIONS: usize = strata_lab::ope::MAX_LOGGED_IMPRESSIONS;

/// A flush or a compaction, from its start to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct Activity {
    pub kind: ActivityKind,
    /// The memtable id of a flush, the job id of a compaction.
    pub id: u64,
    pub started: SimTime,
    pub finished: Option<SimTime>,
    /// Bytes written by the flush or the compaction (known when it finishes).
    pub bytes: u64,
    /// A compaction's inputs: SSTs and bytes (0 for a flush).
    pub input_ssts: u64,
    pub input_bytes: u64,
    /// A compaction's progress, from its requests: input bytes read so far and output bytes
    /// written so far.
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// A compaction's output SSTs (known when it commits).
    pub output_ssts: u64,
    /// Entries a compaction dropped because their time-to-live had passed, and the bytes
    /// that freed (known just before it commits; 0 when none expired).
    pub expired_entries: u64,
    pub expired_bytes: u64,
}

impl Activity {
    /// Where a running compaction is: reading its inputs until it writes its first output,
    /// then writing; a finished one has committed its outputs through the manifest.
    pub fn phase(&self) -> &'static str {
        match (self.finished, self.bytes_written) {
            (Some(_), _) => "committed",
            (None, 0) if self.kind == ActivityKind::Compaction => "reading inputs",
            (None, _) if self.kind == ActivityKind::Compaction => "writing outputs",
            (None, _) => "running",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub enum ActivityKind {
    Flush,
    Compaction,
}

/// What an event line is about (its style).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub enum LineClass {
    Fault,
    Writer,
    Check,
    Note,
    Drift,
}

impl LineClass {
    /// The class name the style sheet knows it by.
    pub fn as_str(self) -> &'static str {
        match self {
            LineClass::Fault => "fault",
            LineClass::Writer => "writer",
            LineClass::Check => "check",
            LineClass::Note => "note",
            LineClass::Drift => "drift",
        }
    }
}

/// One line of the event list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct EventLine {
    pub at: SimTime,
    pub class: LineClass,
    pub text: String,
}

pub use strata_lab::ope::{ImpressionLog, LoggedImpression};

/// What the page folds from the trace for drawing, and the lab's metrics do not keep: flush
/// and compaction activity (for the animations), notable events, drift marks and the
/// recommender's impression log (for off-policy evaluation). Counts (impressions, clicks,
/// checkpoints, compactions, fencing, durability checks) are the lab's
/// [`strata_lab::metrics::Metrics`], read through `Lab::metrics`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    pub activities: VecDeque<Activity>,
    pub events: VecDeque<EventLine>,
    pub drifts: VecDeque<(SimTime, String)>,
    pub impressions: ImpressionLog,
    /// The most recent compaction, running or committed (the activity strip may have moved on).
    pub last_compaction: Option<Activity>,
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, bound: usize) {
    if queue.len() == bound {
        queue.pop_front();
    }
    queue.push_back(item);
}

impl Observed {
    fn line(&mut self, at: SimTime, class: LineClass, text: String) {
        push_bounded(
            &mut self.events,
            EventLine { at, class, text },
            MAX_EVENT_LINES,
        );
    }

    fn start(&mut self, kind: ActivityKind, id: u64, at: SimTime) {
        push_bounded(
            &mut self.activities,
            Activity {
                kind,
                id,
                started: at,
                finished: None,
                bytes: 0,
                input_ssts: 0,
                input_bytes: 0,
                bytes_read: 0,
                bytes_written: 0,
                output_ssts: 0,
                expired_entries: 0,
                expired_bytes: 0,
            },
            MAX_ACTIVITIES,
        );
    }

    /// The newest activity of `kind`, with `id` when one is given, and still running when
    /// `running`. One index loop for every search of the strip: a `rev` and `find` with a
    /// closure of its own was an instance for each of five searches.
    fn newest(
        &mut self,
        kind: ActivityKind,
        id: Option<u64>,
        running: bool,
    ) -> Option<&mut Activity> {
        let mut index = self.activities.len();
        while index > 0 {
            index -= 1;
            let activity = &self.activities[index];
            if activity.kind == kind
                && id.is_none_or(|id| activity.id == id)
                && (!running || activity.finished.is_none())
            {
                return Some(&mut self.activities[index]);
            }
        }
        None
    }

    /// The running compaction, most recent first (the engine runs one at a time).
    fn running_compaction(&mut self) -> Option<&mut Activity> {
        self.newest(ActivityKind::Compaction, None, true)
    }

    fn remember_compaction(&mut self, job_id: u64) {
        self.last_compaction = self
            .newest(ActivityKind::Compaction, Some(job_id), false)
            .copied();
    }

    fn finish(&mut self, kind: ActivityKind, id: u64, at: SimTime, bytes: u64) {
        if let Some(activity) = self.newest(kind, Some(id), true) {
            activity.finished = Some(at);
            activity.bytes = bytes;
        }
    }

    /// Folds one trace event.
    pub fn observe(&mut self, event: &TraceEvent) {
        let at = event.at;
        match &event.kind {
            EventKind::FlushStarted { memtable_id, .. } => {
                self.start(ActivityKind::Flush, *memtable_id, at)
            }
            EventKind::FlushFinished {
                memtable_id, bytes, ..
            } => self.finish(ActivityKind::Flush, *memtable_id, at, *bytes),
            EventKind::CompactionStarted {
                job_id,
                input_ssts,
                input_bytes,
            } => {
                self.start(ActivityKind::Compaction, *job_id, at);
                if let Some(job) = self.running_compaction() {
                    job.input_ssts = *input_ssts;
                    job.input_bytes = *input_bytes;
                }
                self.remember_compaction(*job_id);
            }
            EventKind::CompactionFinished {
                job_id,
                output_ssts,
                output_bytes,
            } => {
                if let Some(job) = self.newest(ActivityKind::Compaction, Some(*job_id), false) {
                    job.output_ssts = *output_ssts;
                }
                self.finish(ActivityKind::Compaction, *job_id, at, *output_bytes);
                self.remember_compaction(*job_id);
            }
            EventKind::ExpiredDropped {
                job_id,
                entries,
                bytes,
            } => {
                if let Some(job) = self.newest(ActivityKind::Compaction, Some(*job_id), false) {
                    job.expired_entries += entries;
                    job.expired_bytes += bytes;
                }
                self.remember_compaction(*job_id);
            }
            EventKind::Request(request) if request.cause == Cause::Compaction => {
                let job_id = self.running_compaction().map(|job| {
                    match request.op {
                        StoreOp::Get => job.bytes_read += request.bytes,
                        StoreOp::Put => job.bytes_written += request.bytes,
                        _ => {}
                    }
                    job.id
                });
                if let Some(job_id) = job_id {
                    self.remember_compaction(job_id);
                }
            }
            EventKind::FaultInjected { fault, key } => {
                let head = format!("fault injected: {fault:?}");
                // Per-request faults can come by the thousand: only a change of kind is worth
                // a line, the totals are in the statistics.
                let repeat = self.events.back().is_some_and(|last| {
                    last.class == LineClass::Fault && last.text.starts_with(&head)
                });
                if !repeat {
                    let text = if key.is_empty() {
                        head
                    } else {
                        format!("{head} on {key}")
                    };
                    self.line(at, LineClass::Fault, text);
                }
            }
            EventKind::Fenced { writer_epoch } => {
                self.line(
                    at,
                    LineClass::Writer,
                    format!(
                        "writer epoch {writer_epoch} was fenced: a newer writer owns the database"
                    ),
                );
            }
            EventKind::WriterCrashed { writer_epoch } => {
                self.line(
                    at,
                    LineClass::Writer,
                    crate::format::counted("writer epoch ", *writer_epoch, " crashed"),
                );
            }
            EventKind::WriterRecovered {
                writer_epoch,
                replayed_wal_objects,
            } => {
                self.line(
                    at,
                    LineClass::Writer,
                    format!(
                        "writer epoch {writer_epoch} opened, replaying {replayed_wal_objects} WAL objects"
                    ),
                );
            }
            EventKind::DurabilityChecked { keys_checked, lost } => {
                self.line(
                    at,
                    LineClass::Check,
                    format!("durability check: {keys_checked} keys read back, {lost} durable writes lost"),
                );
            }
            EventKind::Note { text } => self.line(at, LineClass::Note, text.clone()),
            EventKind::DriftApplied { description } => {
                push_bounded(&mut self.drifts, (at, description.clone()), MAX_DRIFTS);
                self.line(at, LineClass::Drift, format!("drift: {description}"));
            }
            EventKind::Impression { .. } | EventKind::Click { .. } => {
                self.impressions.observe(&event.kind)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_sim::{RequestOutcome, RequestRecord};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn at(ms: u64, kind: EventKind) -> TraceEvent {
        TraceEvent {
            seq: ms,
            at: SimTime::from_millis(ms),
            kind,
            origin: 0,
        }
    }

    fn compaction_get(ms: u64, bytes: u64) -> TraceEvent {
        at(
            ms,
            EventKind::Request(RequestRecord {
                op: StoreOp::Get,
                key: "sst/1".to_string(),
                bytes,
                cause: Cause::Compaction,
                start: SimTime::from_millis(ms),
                end: SimTime::from_millis(ms),
                outcome: RequestOutcome::Ok,
                cost_picousd: 0,
                applied_despite_error: false,
            }),
        )
    }

    #[test]
    fn each_event_lands_on_the_newest_activity_it_names() {
        let mut observed = Observed::default();
        let flush = |id| EventKind::FlushStarted {
            memtable_id: id,
            min_seq: 0,
            max_seq: 0,
        };
        let compaction = |id| EventKind::CompactionStarted {
            job_id: id,
            input_ssts: id,
            input_bytes: 100 * id,
        };
        let events = [
            at(1, flush(7)),
            at(2, compaction(3)),
            compaction_get(3, 40),
            at(
                4,
                EventKind::CompactionFinished {
                    job_id: 3,
                    output_ssts: 2,
                    output_bytes: 90,
                },
            ),
            // A job id met again (a new writer starts counting anew) is a new activity.
            at(5, compaction(3)),
            compaction_get(6, 5),
            at(
                7,
                EventKind::ExpiredDropped {
                    job_id: 3,
                    entries: 4,
                    bytes: 64,
                },
            ),
            at(
                8,
                EventKind::FlushFinished {
                    memtable_id: 7,
                    sst_id: 1,
                    bytes: 512,
                },
            ),
        ];
        for event in &events {
            observed.observe(event);
        }
        let [flushed, first, second] = [0, 1, 2].map(|i| observed.activities[i]);
        assert_eq!(flushed.kind, ActivityKind::Flush);
        assert_eq!(
            (flushed.finished, flushed.bytes),
            (Some(SimTime::from_millis(8)), 512)
        );
        assert_eq!(
            (
                first.finished,
                first.bytes,
                first.bytes_read,
                first.output_ssts
            ),
            (Some(SimTime::from_millis(4)), 90, 40, 2)
        );
        assert_eq!(
            (second.finished, second.bytes_read, second.input_ssts),
            (None, 5, 3)
        );
        assert_eq!((second.expired_entries, second.expired_bytes), (4, 64));
        assert_eq!(first.expired_entries, 0, "the older job is not the newest");
        assert_eq!(observed.last_compaction, Some(second));
    }
}
