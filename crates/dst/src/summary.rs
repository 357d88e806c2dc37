//! Totals over many seeds: what was exercised and what failed.

use crate::oracle::Failure;
use crate::run::Outcome;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Aggregates of many runs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    pub seeds: u64,
    pub faults_by_kind: BTreeMap<String, u64>,
    pub takeovers: u64,
    pub gc_passes: u64,
    pub gc_passes_raced: u64,
    pub gc_passes_skewed: u64,
    pub pauses: u64,
    pub writer_crashes: u64,
    pub zombies: u64,
    pub compaction_switches: u64,
    pub corruptions_applied: u64,
    pub recoveries_checked: u64,
    pub writes_issued: u64,
    pub range_deletes: u64,
    pub ttl_writes: u64,
    pub reads_checked: u64,
    pub replica_reads: u64,
    pub ready_choices: u64,
    pub events: u64,
    pub simulated_ms: u64,
    /// Distinct interleavings (hashes of the ready-order choices).
    pub interleavings: BTreeSet<u64>,
    /// Failing seeds, in seed order.
    pub failures: Vec<(u64, Failure)>,
}

impl Summary {
    pub fn add(&mut self, seed: u64, outcome: &Outcome) {
        let stats = &outcome.stats;
        self.seeds += 1;
        for (kind, count) in &stats.faults_by_kind {
            *self.faults_by_kind.entry(kind.clone()).or_insert(0) += count;
        }
        self.takeovers += stats.takeovers;
        self.gc_passes += stats.gc_passes;
        self.gc_passes_raced += stats.gc_passes_raced;
        self.gc_passes_skewed += stats.gc_passes_skewed;
        self.pauses += stats.pauses;
        self.writer_crashes += stats.writer_crashes;
        self.zombies += stats.zombies;
        self.compaction_switches += stats.compaction_switches;
        self.corruptions_applied += stats.corruptions_applied;
        self.recoveries_checked += stats.recoveries_checked;
        self.writes_issued += stats.writes_issued;
        self.range_deletes += stats.range_deletes;
        self.ttl_writes += stats.ttl_writes;
        self.reads_checked += stats.reads_checked;
        self.replica_reads += stats.replica_reads;
        self.ready_choices += stats.ready_choices;
        self.events += stats.events;
        self.simulated_ms += stats.simulated_ms;
        self.interleavings.insert(stats.interleaving_hash);
        if let Some(failure) = &outcome.failure {
            self.failures.push((seed, failure.clone()));
        }
    }

    pub fn merge(&mut self, other: Summary) {
        self.seeds += other.seeds;
        for (kind, count) in other.faults_by_kind {
            *self.faults_by_kind.entry(kind).or_insert(0) += count;
        }
        self.takeovers += other.takeovers;
        self.gc_passes += other.gc_passes;
        self.gc_passes_raced += other.gc_passes_raced;
        self.gc_passes_skewed += other.gc_passes_skewed;
        self.pauses += other.pauses;
        self.writer_crashes += other.writer_crashes;
        self.zombies += other.zombies;
        self.compaction_switches += other.compaction_switches;
        self.corruptions_applied += other.corruptions_applied;
        self.recoveries_checked += other.recoveries_checked;
        self.writes_issued += other.writes_issued;
        self.range_deletes += other.range_deletes;
        self.ttl_writes += other.ttl_writes;
        self.reads_checked += other.reads_checked;
        self.replica_reads += other.replica_reads;
        self.ready_choices += other.ready_choices;
        self.events += other.events;
        self.simulated_ms += other.simulated_ms;
        self.interleavings.extend(other.interleavings);
        self.failures.extend(other.failures);
        self.failures.sort_by_key(|(seed, _)| *seed);
    }

    /// The printed report.
    pub fn render(&self) -> String {
        let faults: Vec<String> = self
            .faults_by_kind
            .iter()
            .map(|(kind, count)| format!("{kind} {count}"))
            .collect();
        let mut out = format!(
            "seeds {}\n\
             simulated time {:.1} min, {} events, {} ready-order choices\n\
             distinct interleavings {}\n\
             faults by kind: {}\n\
             checksum-valid corruptions {}\n\
             takeovers {}, writer crashes {}, zombies {}, pauses {}\n\
             GC passes {}, of which raced a newer writer {}, against a skewed store clock {}\n\
             compaction switches {}\n\
             writes {} (range deletes {}, writes with a time-to-live {}), reads checked {}, replica reads {}, policy recoveries checked {}\n\
             failures {}\n",
            self.seeds,
            self.simulated_ms as f64 / 60_000.0,
            self.events,
            self.ready_choices,
            self.interleavings.len(),
            if faults.is_empty() {
                "none".to_string()
            } else {
                faults.join(", ")
            },
            self.corruptions_applied,
            self.takeovers,
            self.writer_crashes,
            self.zombies,
            self.pauses,
            self.gc_passes,
            self.gc_passes_raced,
            self.gc_passes_skewed,
            self.compaction_switches,
            self.writes_issued,
            self.range_deletes,
            self.ttl_writes,
            self.reads_checked,
            self.replica_reads,
            self.recoveries_checked,
            self.failures.len(),
        );
        let mut by_oracle: BTreeMap<String, u64> = BTreeMap::new();
        for (_, failure) in &self.failures {
            *by_oracle
                .entry(format!("{:?}", failure.oracle))
                .or_insert(0) += 1;
        }
        if !by_oracle.is_empty() {
            let counts: Vec<String> = by_oracle
                .iter()
                .map(|(oracle, count)| format!("{oracle} {count}"))
                .collect();
            out.push_str(&format!("failures by oracle: {}\n", counts.join(", ")));
        }
        for (seed, failure) in self.failures.iter().take(40) {
            out.push_str(&format!("  seed {seed}: {failure}\n"));
        }
        out
    }
}
