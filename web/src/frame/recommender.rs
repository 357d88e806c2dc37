//! The recommender view's part of a frame: the lab's recommender summary (arms, bounded
//! series) and report, counts from the lab's metrics, and the drift marks.

use crate::session::Session;
#[cfg(test)]
use serde::{Deserialize, Serialize};
use strata_lab::recommender::RecommenderReport;
use strata_recommender::simulation::RecommenderSummary;
use strata_sim::SimTime;

/// Everything the recommender view draws of the run, beside the scenario in force (its
/// recommender spec: the policy, the population), which the frame carries once per revision.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct RecommenderFrame {
    pub now: SimTime,
    pub summary: Option<RecommenderSummary>,
    pub report: Option<RecommenderReport>,
    pub impressions: u64,
    pub clicks: u64,
    pub policy_updates: u64,
    pub checkpoints: u64,
    /// (simulated seconds, description).
    pub drifts: Vec<(f64, String)>,
}

impl RecommenderFrame {
    pub fn build(session: &Session) -> Self {
        let lab = session.lab();
        let observed = session.observed();
        let metrics = lab.metrics();
        // Pushed by a loop: a `map` and `collect` was an instance of its own.
        let mut drifts = Vec::new();
        for (at, text) in &observed.drifts {
            drifts.push((at.as_secs_f64(), text.clone()));
        }
        RecommenderFrame {
            now: lab.now(),
            summary: lab.recommender_summary(),
            report: lab.recommender_report(),
            impressions: metrics.impressions,
            clicks: metrics.clicks,
            policy_updates: metrics.policy_updates,
            checkpoints: metrics.checkpoints,
            drifts,
        }
    }
}
