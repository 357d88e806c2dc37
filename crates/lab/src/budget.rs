//! The one resource budget: how much memory a scenario's sizes ask of the process that runs
//! it, added up, and refused up front when the sum cannot fit a browser tab.
//!
//! Every size in a scenario is checked against its own limit elsewhere, but the limits are
//! generous one at a time, and their product is what exhausts a tab: 1 GiB memtables times
//! a thousand immutable ones, 4 MiB values times a hundred thousand operations in flight. So
//! [`check`] models the run's memory as a sum of terms, each from the sizes that drive it,
//! and refuses a scenario whose sum is over [`BUDGET_BYTES`] with a message that names the
//! largest term and the fields behind it. The model is deliberately simple and errs high:
//! each term takes the largest value it reaches over the scenario and its setting changes.
//! The terms and their formulas are documented in docs/scenarios.md ("The resource budget").
//!
//! This module reads sizes only; the engine's effective options (defaults filled in) come
//! from [`crate::scenario::translate::engine_options_unchecked`], so an omitted field counts at the
//! engine's default.

use crate::scenario::{EngineSpec, PolicyKind, Scenario, ScenarioError, WorkloadSpec};
use strata_engine::{CompactionStyle, DbOptions};

/// The modelled memory a scenario may ask for: 512 MiB, about what one browser tab can hold
/// beside the page itself before it is killed or slows to a crawl.
pub const BUDGET_BYTES: u64 = 512 * 1024 * 1024;

/// A retained trace event: the event (time, sequence, kind) and its heap parts (a request's
/// key, a note's text), rounded up.
pub const TRACE_EVENT_BYTES: u64 = 256;

/// The durability model's record of one written key (a B-tree entry with its write ids).
pub const KEY_RECORD_BYTES: u64 = 64;

/// Copies of a key's live data the simulated store holds: one in the WAL objects until they
/// are collected, one in the SSTs (a compaction's output briefly adds another, and the
/// margin covers it).
pub const STORED_COPIES: u64 = 2;

/// One term of the budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// What the memory holds, and the fields that size it.
    pub name: &'static str,
    pub bytes: u64,
}

/// The budget of a scenario: every term, in a fixed order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    pub terms: Vec<Term>,
}

impl Budget {
    pub fn total_bytes(&self) -> u64 {
        self.terms
            .iter()
            .fold(0u64, |sum, term| sum.saturating_add(term.bytes))
    }

    /// The largest term (the first of equal ones).
    pub fn largest(&self) -> Option<&Term> {
        self.terms
            .iter()
            .fold(None, |best: Option<&Term>, term| match best {
                Some(best) if best.bytes >= term.bytes => Some(best),
                _ => Some(term),
            })
    }
}

/// Bytes as a short figure for a message: "1.5 GiB", "512 MiB", "64 KiB".
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (unit, size) in UNITS {
        if bytes >= size {
            let whole = bytes / size;
            let tenths = (bytes % size) * 10 / size;
            return if tenths == 0 || whole >= 100 {
                format!("{whole} {unit}")
            } else {
                format!("{whole}.{tenths} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

fn to_u64(value: usize) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// Entries one operation of this workload can hold at once: a batch's puts, a scan's
/// results, a range delete's covered keys (the durability model tracks each), or one key.
fn entries_per_op(workload: &WorkloadSpec) -> u64 {
    let mut entries = 1u64;
    if workload.mix.delete_range > 0.0 {
        entries = entries.max(workload.range_delete_width.into());
    }
    if workload.mix.batch > 0.0 {
        entries = entries.max(workload.batch_size.into());
    }
    if workload.mix.scan > 0.0 {
        entries = entries.max(workload.scan_keys.into());
    }
    entries
}

/// The largest key-and-value pair the workload writes.
fn entry_bytes(workload: &WorkloadSpec) -> u64 {
    u64::from(workload.key_bytes).saturating_add(workload.value_bytes.max)
}

/// Keys the run can write: the key space, or fewer when the run is too short to reach them
/// all at its highest rate.
fn keys_written(workload: &WorkloadSpec, max_rate_ops_per_sec: f64, duration_ms: u64) -> u64 {
    let mut writes_per_op = 1u64;
    if workload.mix.batch > 0.0 {
        writes_per_op = writes_per_op.max(workload.batch_size.into());
    }
    // A range delete records every key it covers.
    if workload.mix.delete_range > 0.0 {
        writes_per_op = writes_per_op.max(workload.range_delete_width.into());
    }
    // Rates and durations are validated finite and bounded, so the product fits in f64; the
    // conversion saturates at u64::MAX.
    let ops = (max_rate_ops_per_sec * duration_ms as f64 / 1000.0).ceil() as u64;
    workload
        .key_count
        .min(ops.saturating_add(1).saturating_mul(writes_per_op))
}

/// A workload's two terms, operations in flight and key space, at `max_rate_ops_per_sec`
/// over `duration_ms`: one function for the scenario's workloads and the tenants' shards.
fn workload_terms(
    workload: &WorkloadSpec,
    max_rate_ops_per_sec: f64,
    duration_ms: u64,
) -> (u64, u64) {
    let entry = entry_bytes(workload);
    let in_flight = u64::from(workload.max_in_flight)
        .saturating_mul(entries_per_op(workload))
        .saturating_mul(entry);
    let keys = keys_written(workload, max_rate_ops_per_sec, duration_ms);
    let key_space =
        keys.saturating_mul(KEY_RECORD_BYTES.saturating_add(STORED_COPIES.saturating_mul(entry)));
    (in_flight, key_space)
}

fn engine_terms(engine: &DbOptions) -> [u64; 4] {
    let memtables =
        to_u64(engine.memtable_bytes).saturating_mul(1 + to_u64(engine.max_immutable_memtables));
    let compaction = match engine.compaction.style {
        CompactionStyle::None => 0,
        _ => engine.compaction.target_sst_bytes,
    };
    [
        memtables,
        to_u64(engine.block_cache_bytes),
        // One buffer filling while the last one uploads.
        to_u64(engine.max_wal_bytes).saturating_mul(2),
        compaction,
    ]
}

/// The scenario's budget: each term at the largest value it reaches over the scenario and
/// its setting changes.
pub fn budget(scenario: &Scenario) -> Budget {
    use crate::scenario::SettingChange;
    let mut engines: Vec<&EngineSpec> = vec![&scenario.engine];
    let mut workloads: Vec<&WorkloadSpec> = vec![&scenario.workload];
    for change in &scenario.changes {
        match change {
            SettingChange::Engine { engine, .. } => engines.push(engine),
            SettingChange::Workload { workload, .. } => workloads.push(workload),
            SettingChange::Store { .. } => {}
        }
    }
    let mut engine_max = [0u64; 4];
    for spec in engines {
        let options = crate::scenario::translate::engine_options_unchecked(spec);
        for (max, term) in engine_max.iter_mut().zip(engine_terms(&options)) {
            *max = (*max).max(term);
        }
    }
    let max_rate = workloads
        .iter()
        .map(|w| w.rate_ops_per_sec)
        .fold(0.0, f64::max);
    let (mut in_flight, mut key_space) = (0u64, 0u64);
    for workload in workloads {
        let (ops_bytes, keys_bytes) = workload_terms(workload, max_rate, scenario.duration_ms);
        in_flight = in_flight.max(ops_bytes);
        key_space = key_space.max(keys_bytes);
    }
    let trace = to_u64(scenario.trace.ring_capacity).saturating_mul(TRACE_EVENT_BYTES);
    let recommender = scenario.recommender.as_ref().map_or(0, |spec| {
        let population = &spec.population;
        let dims = u64::from(population.dims);
        let items = u64::from(population.items);
        let features = (u64::from(population.users) + items).saturating_mul(dims) * 8;
        let per_arm = match spec.policy.name {
            // A⁻¹ (d×d), b and θ per arm.
            PolicyKind::LinUcb | PolicyKind::LinTs => (dims * dims + 2 * dims) * 8,
            // Counts, reward totals and posterior parameters per arm.
            PolicyKind::EpsilonGreedy
            | PolicyKind::Softmax
            | PolicyKind::Ucb1
            | PolicyKind::KlUcb
            | PolicyKind::Thompson
            | PolicyKind::Popularity => 64,
        };
        let window = u64::from(spec.policy.window.unwrap_or(0)) * 16;
        features
            .saturating_add(items.saturating_mul(per_arm))
            .saturating_add(window)
    });
    // Each tenant database holds the engine's buffers (at their largest) and its share of
    // the tenant's operations in flight and key space.
    let per_database: u64 = engine_max
        .iter()
        .fold(0u64, |sum, term| sum.saturating_add(*term));
    let tenants = scenario.tenants.iter().fold(0u64, |sum, tenant| {
        let shard = tenant.shard_workload();
        let databases = u64::from(tenant.prefixes);
        let (in_flight, key_space) =
            workload_terms(&shard, shard.rate_ops_per_sec, scenario.duration_ms);
        sum.saturating_add(
            databases.saturating_mul(
                per_database
                    .saturating_add(in_flight)
                    .saturating_add(key_space),
            ),
        )
    });
    let [memtables, block_cache, wal, compaction] = engine_max;
    Budget {
        terms: vec![
            Term {
                name: "memtables (engine.memtable_bytes × (1 + engine.max_immutable_memtables))",
                bytes: memtables,
            },
            Term {
                name: "block cache (engine.block_cache_bytes)",
                bytes: block_cache,
            },
            Term {
                name: "WAL buffers (2 × engine.max_wal_bytes)",
                bytes: wal,
            },
            Term {
                name: "compaction output (engine.compaction.target_sst_bytes)",
                bytes: compaction,
            },
            Term {
                name: "operations in flight (workload.max_in_flight × entries per operation × (key_bytes + value_bytes))",
                bytes: in_flight,
            },
            Term {
                name: "key space (keys written × (64 + 2 × (key_bytes + value_bytes)))",
                bytes: key_space,
            },
            Term {
                name: "trace ring (trace.ring_capacity × 256)",
                bytes: trace,
            },
            Term {
                name: "recommender models (users, items, dims, policy)",
                bytes: recommender,
            },
            Term {
                name: "tenant databases (per prefix: the engine's buffers, operations in flight and key space)",
                bytes: tenants,
            },
        ],
    }
}

/// Refuses a scenario whose modelled memory is over [`BUDGET_BYTES`], naming the largest
/// term. Called by [`Scenario::validate`] after the field checks, so every size it reads is
/// already in range.
pub fn check(scenario: &Scenario) -> Result<(), ScenarioError> {
    let budget = budget(scenario);
    let total_bytes = budget.total_bytes();
    if total_bytes <= BUDGET_BYTES {
        return Ok(());
    }
    let largest = budget
        .largest()
        .expect("a budget has terms and is over zero here");
    Err(ScenarioError::OverBudget {
        total: format_bytes(total_bytes),
        budget: format_bytes(BUDGET_BYTES),
        largest: largest.name.to_string(),
        largest_size: format_bytes(largest.bytes),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn byte_figures_read_like_a_person_would_write_them() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(64 * 1024), "64 KiB");
        assert_eq!(format_bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(format_bytes(1 << 40), "1 TiB");
        assert_eq!(format_bytes(u64::MAX), "16777215 TiB");
    }

    #[test]
    fn every_tenant_database_counts_and_a_big_one_is_named() {
        use crate::scenario::TenantSpec;
        let mut scenario = Scenario::default();
        let alone = budget(&scenario).total_bytes();
        scenario.tenants = vec![TenantSpec::new("a", WorkloadSpec::default())];
        let one = budget(&scenario).total_bytes();
        scenario.tenants[0].prefixes = 4;
        let spread = budget(&scenario).total_bytes();
        assert!(alone < one && one < spread, "{alone} {one} {spread}");
        scenario.tenants = (0..16)
            .map(|i| {
                let mut tenant = TenantSpec::new(&format!("t{i}"), WorkloadSpec::default());
                tenant.prefixes = 16;
                tenant
            })
            .collect();
        scenario.engine.memtable_bytes = Some(4 << 20);
        match check(&scenario).unwrap_err() {
            ScenarioError::OverBudget { largest, .. } => {
                assert!(largest.starts_with("tenant databases"), "{largest}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_default_scenario_fits_with_room_to_spare() {
        let total = budget(&Scenario::default()).total_bytes();
        assert!(total < BUDGET_BYTES / 4, "{}", format_bytes(total));
    }
}
