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

    /// The running compaction, most recent first (the engine runs one at a time).
    fn running_compaction(&mut self) -> Option<&mut Activity> {
        self.activities
            .iter_mut()
            .rev()
            .find(|a| a.kind == ActivityKind::Compaction && a.finished.is_none())
    }

    fn remember_compaction(&mut self, job_id: u64) {
        self.last_compaction = self
            .activities
            .iter()
            .rev()
            .find(|a| a.kind == ActivityKind::Compaction && a.id == job_id)
            .copied();
    }

    fn finish(&mut self, kind: ActivityKind, id: u64, at: SimTime, bytes: u64) {
        if let Some(activity) = self
            .activities
            .iter_mut()
            .rev()
            .find(|a| a.kind == kind && a.id == id && a.finished.is_none())
        {
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
                if let Some(job) = self
                    .activities
                    .iter_mut()
                    .rev()
                    .find(|a| a.kind == ActivityKind::Compaction && a.id == *job_id)
                {
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
                if let Some(job) = self
                    .activities
                    .iter_mut()
                    .rev()
                    .find(|a| a.kind == ActivityKind::Compaction && a.id == *job_id)
                {
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
