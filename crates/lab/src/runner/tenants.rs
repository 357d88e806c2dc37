//! Tenant databases: each runs as a [`World`] of its own on the run's simulation and store,
//! under its own prefix, with its own workload (see [`crate::scenario::tenants`]).
//!
//! A tenant's engine and lab events stay out of the run's trace, which follows the
//! scenario's own database (the page draws it, and its hash is what share links check); the
//! store's requests of every tenant are in the trace, as the bucket sees them. What the
//! summary says per tenant comes from two places: the tenant's own events, folded by its
//! [`TenantTally`] as they happen (client operations, latencies, the durability check), and
//! the store's meters per prefix (requests, throttling, bytes, dollars, request latency).

use super::summary::Summary;
use super::world::World;
use crate::metrics::{self, LatencyPercentiles, Metrics, OpCounts};
use crate::scenario::compile::TenantDatabase;
use crate::scenario::RunPlan;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use strata_objstore::sim::RequestStats;
use strata_objstore::ObjectStore;
use strata_sim::maps::LiteMap;
use strata_sim::{
    AbortHandle, EventKind, Histogram, LocalBoxFuture, RequestOutcome, Runtime, RuntimeRef,
    RuntimeSleep, SimDuration, SimRng, SimTime,
};

/// The runtime of a tenant's database: the run's clock, tasks and store, its own random
/// streams (named after its prefix, so a tenant never shifts the scenario's own streams), and
/// no trace of its own: its events go to its tally instead.
pub(super) struct TenantRuntime {
    inner: RuntimeRef,
    streams: String,
}

impl TenantRuntime {
    pub(super) fn new(inner: RuntimeRef, path: &str) -> TenantRuntime {
        TenantRuntime {
            inner,
            streams: format!("tenant.{path}."),
        }
    }
}

impl Runtime for TenantRuntime {
    fn now(&self) -> SimTime {
        self.inner.now()
    }
    fn sleep(&self, duration: SimDuration) -> RuntimeSleep {
        self.inner.sleep(duration)
    }
    fn spawn_detached(&self, future: LocalBoxFuture<'static, ()>) -> AbortHandle {
        self.inner.spawn_detached(future)
    }
    fn record(&self, _kind: EventKind) {}
    fn record_at(&self, _at: SimTime, _kind: EventKind) {}
    fn rng(&self, name: &str) -> SimRng {
        self.inner.rng(&format!("{}{name}", self.streams))
    }
}

/// What a tenant database's own events add up to.
#[derive(Debug, Default)]
pub(super) struct TenantTally {
    ops: LiteMap<String, OpCounts>,
    write_latency_nanos: Histogram,
    read_latency_nanos: Histogram,
    keys_verified: u64,
    lost_durable: u64,
}

impl TenantTally {
    /// Folds one event of the tenant's world, at `now`.
    pub(super) fn observe(&mut self, kind: &EventKind, now: SimTime) {
        match kind {
            EventKind::ClientOp { op, start, ok, .. } => {
                let counts = match self.ops.get_mut(*op) {
                    Some(counts) => counts,
                    None => self.ops.entry((*op).to_string()).or_default(),
                };
                if *ok {
                    counts.ok += 1;
                } else {
                    counts.failed += 1;
                }
                let nanos = now.saturating_since(*start).as_nanos();
                match *op {
                    "get" | "scan" => self.read_latency_nanos.record(nanos),
                    _ => self.write_latency_nanos.record(nanos),
                }
            }
            EventKind::DurabilityChecked { keys_checked, lost } => {
                self.keys_verified += keys_checked;
                self.lost_durable += lost;
            }
            _ => {}
        }
        assert!(
            self.ops.values().map(|c| c.ok + c.failed).sum::<u64>()
                == self.write_latency_nanos.count() + self.read_latency_nanos.count(),
            "every client operation is timed once"
        );
    }
}

/// A tenant's databases, as the run holds them.
pub(super) struct Tenant {
    pub(super) name: String,
    pub(super) worlds: Vec<(String, Rc<World>)>,
}

/// Groups started tenant worlds by tenant, in document order.
pub(super) fn group(started: Vec<(TenantDatabase, Rc<World>)>) -> Vec<Tenant> {
    let mut tenants: Vec<Tenant> = Vec::new();
    for (database, world) in started {
        match tenants.last_mut() {
            Some(tenant) if tenant.name == database.tenant => {
                tenant.worlds.push((database.path, world));
            }
            _ => tenants.push(Tenant {
                name: database.tenant,
                worlds: vec![(database.path, world)],
            }),
        }
    }
    tenants
}

/// One database of the bucket in the summary: the scenario's own, or a tenant's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenantSummary {
    /// The tenant's name; for the scenario's own database, its path.
    pub name: String,
    /// Whether this is the scenario's own database (the one the trace follows).
    pub own: bool,
    /// Client operations by kind.
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub operations: LiteMap<String, OpCounts>,
    /// Client latency: writes (put, delete, batch, delete_range) and reads (get, scan).
    pub write_latency: LatencyPercentiles,
    pub read_latency: LatencyPercentiles,
    /// Acknowledged-durable writes the end-of-run check found missing (must be 0).
    pub lost_durable: u64,
    /// Read-backs that showed a deleted or expired value (must be 0).
    #[serde(default)]
    pub resurrected: u64,
    /// The store's figures for its prefixes together; `store_p99_ms` is the worst prefix's.
    pub requests: u64,
    pub throttled: u64,
    pub bytes: u64,
    pub cost_usd: f64,
    pub store_p99_ms: f64,
    /// Each prefix the tenant is spread over.
    pub prefixes: Vec<PrefixSummary>,
}

/// The store's figures for one prefix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrefixSummary {
    pub prefix: String,
    pub requests: u64,
    pub throttled: u64,
    pub bytes: u64,
    pub cost_usd: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The store's meters of one database's path: the prefix the store meters it under (its
/// first segment, or more with `prefix_segments` over 1: then every prefix inside it).
/// Pushes onto `rows` the store's figures of the prefixes under `path`, by a loop rather than
/// a `filter`, `map` and `collect` and an `extend`, whose instances the page had for these rows
/// alone.
fn prefix_rows(
    by_prefix: &LiteMap<String, RequestStats>,
    path: &str,
    rows: &mut Vec<PrefixSummary>,
) {
    for (prefix, request) in by_prefix {
        if prefix.as_str() == path || prefix.starts_with(&format!("{path}/")) {
            rows.push(prefix_row(prefix, request));
        }
    }
}

fn prefix_row(prefix: &str, stats: &RequestStats) -> PrefixSummary {
    PrefixSummary {
        prefix: prefix.to_string(),
        requests: stats.requests,
        throttled: stats
            .by_outcome
            .get(&RequestOutcome::Throttled)
            .copied()
            .unwrap_or(0),
        bytes: stats.bytes,
        cost_usd: metrics::usd(stats.cost_picousd),
        p50_ms: stats.latency.p50_ms,
        p99_ms: stats.latency.p99_ms,
    }
}

/// Adds `from`'s outcomes into `into`, kind by kind.
fn add_ops(into: &mut LiteMap<String, OpCounts>, from: &LiteMap<String, OpCounts>) {
    for (op, counts) in from {
        let total = into.entry(op.clone()).or_default();
        total.ok += counts.ok;
        total.failed += counts.failed;
    }
}

/// The row of the scenario's own database (figures from the run's metrics) and of each
/// tenant (from its tallies), each with its prefixes' store figures.
pub(super) fn summaries(
    own: &World,
    metrics: &Metrics,
    tenants: &[Tenant],
    by_prefix: &LiteMap<String, RequestStats>,
) -> Vec<TenantSummary> {
    let own_path = own.path.as_str();
    let own_prefix = own_path.split('/').next().unwrap_or(own_path);
    // The writer's own operations summed into an empty map, as a tenant's are: the same counts
    // as a clone of the map, which had no other caller in the page.
    let mut own_ops = LiteMap::new();
    add_ops(&mut own_ops, &metrics.ops);
    let mut own_prefixes = Vec::new();
    prefix_rows(by_prefix, own_prefix, &mut own_prefixes);
    let mut rows = vec![row(
        own_path.to_string(),
        true,
        own_ops,
        LatencyPercentiles::from_nanos(&metrics.write_latency_nanos),
        LatencyPercentiles::from_nanos(&metrics.read_latency_nanos),
        (metrics.lost_durable_writes, own.findings.resurrected.get()),
        own_prefixes,
    )];
    for tenant in tenants {
        let mut ops: LiteMap<String, OpCounts> = LiteMap::new();
        let (mut writes, mut reads) = (Histogram::new(), Histogram::new());
        let (mut lost, mut resurrected) = (0, 0);
        let mut prefixes = Vec::new();
        for (path, world) in &tenant.worlds {
            let tally = world.tenant_tally().borrow();
            add_ops(&mut ops, &tally.ops);
            writes.merge(&tally.write_latency_nanos);
            reads.merge(&tally.read_latency_nanos);
            lost += tally.lost_durable;
            resurrected += world.findings.resurrected.get();
            prefix_rows(by_prefix, path, &mut prefixes);
        }
        rows.push(row(
            tenant.name.clone(),
            false,
            ops,
            LatencyPercentiles::from_nanos(&writes),
            LatencyPercentiles::from_nanos(&reads),
            (lost, resurrected),
            prefixes,
        ));
    }
    rows
}

fn row(
    name: String,
    own: bool,
    operations: LiteMap<String, OpCounts>,
    write_latency: LatencyPercentiles,
    read_latency: LatencyPercentiles,
    (lost_durable, resurrected): (u64, u64),
    prefixes: Vec<PrefixSummary>,
) -> TenantSummary {
    TenantSummary {
        name,
        own,
        operations,
        write_latency,
        read_latency,
        lost_durable,
        resurrected,
        requests: prefixes.iter().map(|p| p.requests).sum(),
        throttled: prefixes.iter().map(|p| p.throttled).sum(),
        bytes: prefixes.iter().map(|p| p.bytes).sum(),
        cost_usd: prefixes.iter().map(|p| p.cost_usd).sum(),
        store_p99_ms: prefixes.iter().map(|p| p.p99_ms).fold(0.0, f64::max),
        prefixes,
    }
}

/// Starts a world for every tenant database of `plan`, each on its own [`TenantRuntime`]
/// over `runtime` and on `store`; `snapshot` makes each one's view of the trace's hash.
pub(super) fn start_tenants(
    plan: &RunPlan,
    runtime: RuntimeRef,
    store: Rc<dyn ObjectStore>,
    snapshot: impl Fn() -> Box<dyn Fn() -> (u64, u64)>,
) -> Vec<Tenant> {
    // Loops here and below, not `map`, `collect`, `flat_map` and `all`, whose instances the
    // page had for these alone.
    let mut started = Vec::with_capacity(plan.tenant_databases.len());
    for database in &plan.tenant_databases {
        let tenant_runtime: RuntimeRef =
            Rc::new(TenantRuntime::new(runtime.clone(), &database.path));
        let world = World::start_tenant(plan, database, tenant_runtime, store.clone(), snapshot());
        started.push((database.clone(), world));
    }
    group(started)
}

/// Whether every tenant database has finished.
pub(super) fn all_finished(tenants: &[Tenant]) -> bool {
    for tenant in tenants {
        for (_, world) in &tenant.worlds {
            if world.finished.get().is_none() {
                return false;
            }
        }
    }
    true
}

/// The run's trace hash, event count and end with tenants: the last database to finish ends
/// the run (before that, the trace as it stands now).
pub(super) fn run_end(own: &World, tenants: &[Tenant]) -> (u64, u64, SimTime) {
    let own_end = own.trace_hash_and_end();
    if own.finished.get().is_none() || !all_finished(tenants) {
        let (hash, events) = (own.trace_snapshot)();
        return (hash, events, own.now());
    }
    // Loops, not a `flat_map`, `map` and `fold`, whose instances the page had for this alone.
    let mut last = own_end;
    for tenant in tenants {
        for (_, world) in &tenant.worlds {
            let end = world.trace_hash_and_end();
            if end.2 > last.2 {
                last = end;
            }
        }
    }
    last
}

/// Adds the per-database rows to a summary and, with tenants, makes its trace figures the
/// run's end (see [`run_end`]). `by_prefix` is the simulated store's meters per prefix
/// (empty against a real store, which meters nothing per prefix).
pub(super) fn with_tenants(
    mut summary: Summary,
    own: &World,
    metrics: &Metrics,
    tenants: &[Tenant],
    by_prefix: &LiteMap<String, RequestStats>,
) -> Summary {
    if tenants.is_empty() {
        return summary;
    }
    let (hash, events, at) = run_end(own, tenants);
    summary.trace_hash = format!("{hash:016x}");
    summary.trace_events = events;
    summary.simulated_ms = at.as_millis_f64();
    summary.finished = own.finished.get().is_some() && all_finished(tenants);
    summary.tenants = summaries(own, metrics, tenants, by_prefix);
    summary
}
