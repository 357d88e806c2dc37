//! The LSM tree's shape over time: the writer's L0 (SSTs and bytes) and the bytes of each
//! sorted run under it, sampled at every boundary of the metrics' series buckets
//! ([`crate::metrics::SERIES_BUCKET`]), for the metrics CSV ([`crate::export::metrics_csv`]).
//!
//! The shape is state, not a trace event, so it is read from the writer rather than folded
//! from the trace. The sample at a boundary is the shape once every event due at or before
//! it has run and before a setting change due then applies; [`super::Lab`] takes it at that
//! point however the run is cut into frames, steps or a run to the end, so the CLI and the
//! page write the same rows. The tree changes only when a flush or a compaction commits, at
//! an event, so between boundaries it is the shape the next sample shows.
//!
//! Bounded: the most recent [`MAX_SERIES_BUCKETS`] samples, one per bucket.

use crate::metrics::{MAX_SERIES_BUCKETS, SERIES_BUCKET};
use std::collections::VecDeque;
use strata_engine::DbState;
use strata_sim::SimTime;

/// The tree's shape at one moment; all zero and no runs while no writer is up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeSample {
    pub at: SimTime,
    /// Whether a writer was up (its tree is what the other fields describe).
    pub writer_up: bool,
    pub l0_ssts: u64,
    pub l0_bytes: u64,
    /// Each sorted run's bytes, newest first (the levels L1, L2, … when leveled).
    pub runs_bytes: Vec<u64>,
}

impl TreeSample {
    /// The shape of `state` (the writer's, if one is up) at `at`.
    pub fn of(at: SimTime, state: Option<&DbState>) -> TreeSample {
        let Some(state) = state else {
            return TreeSample {
                at,
                ..TreeSample::default()
            };
        };
        TreeSample {
            at,
            writer_up: true,
            l0_ssts: state.l0.len() as u64,
            l0_bytes: state.l0.iter().map(|sst| sst.size_bytes).sum(),
            runs_bytes: state.runs.iter().map(|run| run.size_bytes).collect(),
        }
    }
}

/// The samples taken so far and the next boundary due.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeSeries {
    next_at: SimTime,
    samples: VecDeque<TreeSample>,
}

impl Default for TreeSeries {
    fn default() -> Self {
        TreeSeries {
            next_at: SimTime::ZERO + SERIES_BUCKET,
            samples: VecDeque::new(),
        }
    }
}

impl TreeSeries {
    /// The next boundary a sample is due at.
    pub fn next_at(&self) -> SimTime {
        self.next_at
    }

    /// Takes the samples due at or before `through`, each the shape `read` gives now.
    pub fn sample_through(&mut self, through: SimTime, read: impl Fn() -> Option<DbState>) {
        if self.next_at > through {
            return;
        }
        let state = read();
        while self.next_at <= through {
            if self.samples.len() == MAX_SERIES_BUCKETS {
                self.samples.pop_front();
            }
            self.samples
                .push_back(TreeSample::of(self.next_at, state.as_ref()));
            self.next_at += SERIES_BUCKET;
        }
        assert!(self.samples.len() <= MAX_SERIES_BUCKETS);
    }

    /// The sample at the boundary `at`, if it was taken and is still kept.
    pub fn at(&self, at: SimTime) -> Option<&TreeSample> {
        let index = self.samples.partition_point(|s| s.at < at);
        self.samples.get(index).filter(|s| s.at == at)
    }

    pub fn samples(&self) -> impl ExactSizeIterator<Item = &TreeSample> {
        self.samples.iter()
    }
}
