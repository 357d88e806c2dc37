//! A figure of a run's summary by its claim path, read from the summary's fields by name.
//!
//! `strata chapter` reads claims from the summary's JSON; the page reads the same paths here,
//! so it carries neither the `Summary` and `RecommenderSummary` serialisers nor a `Value` of
//! each summary built at every render. The paths and their meaning are the JSON's: dotted
//! keys, a number indexing a list (`tenants.2.throttled`), the recommender's own summary under
//! `policy`; an object is the sum of the numbers in it where that sum is a figure (`requests`:
//! every request of every kind; `cost.by_cause_usd`). A path this lookup does not know gives
//! none, which the panel shows as "—"; `tests.rs` checks every number of real summaries
//! against their JSON.

use strata_lab::metrics::{LatencyPercentiles, OpCounts};
use strata_lab::runner::Summary;
use strata_recommender::simulation::RecommenderSummary;
use strata_sim::maps::LiteMap;
use strata_sim::Cause;

fn number(value: u64) -> Option<f64> {
    Some(value as f64)
}

/// `operations` or a tenant's: every operation, one kind, or its `ok`/`failed`.
fn operations(map: &LiteMap<String, OpCounts>, rest: &[&str]) -> Option<f64> {
    let total = |c: &OpCounts| c.ok + c.failed;
    match rest {
        [] => number(map.values().map(total).sum()),
        [kind] => number(total(map.get(*kind)?)),
        [kind, "ok"] => number(map.get(*kind)?.ok),
        [kind, "failed"] => number(map.get(*kind)?.failed),
        _ => None,
    }
}

fn latency(p: &LatencyPercentiles, field: &str) -> Option<f64> {
    match field {
        "count" => number(p.count),
        "p50_ms" => Some(p.p50_ms),
        "p99_ms" => Some(p.p99_ms),
        "p99_9_ms" => Some(p.p99_9_ms),
        "max_ms" => Some(p.max_ms),
        _ => None,
    }
}

/// A map by cause (the engine's meters): every cause, or one by its name.
fn by_cause<V: Copy>(map: &LiteMap<Cause, V>, rest: &[&str], as_f64: fn(V) -> f64) -> Option<f64> {
    match rest {
        [] => Some(map.values().map(|v| as_f64(*v)).sum()),
        [name] => map
            .iter()
            .find(|(cause, _)| cause.as_str() == *name)
            .map(|(_, v)| as_f64(*v)),
        _ => None,
    }
}

fn from_u64(value: u64) -> f64 {
    value as f64
}

fn same(value: f64) -> f64 {
    value
}

/// The figure at `path` of `summary` (and the recommender's own `policy` summary).
pub fn figure(summary: &Summary, policy: Option<&RecommenderSummary>, path: &str) -> Option<f64> {
    let keys: Vec<&str> = path.split('.').collect();
    let s = summary;
    match keys.as_slice() {
        ["seed"] => number(s.seed),
        ["duration_ms"] => number(s.duration_ms),
        ["simulated_ms"] => Some(s.simulated_ms),
        ["trace_events"] => number(s.trace_events),
        ["requests_failed"] => number(s.requests_failed),
        ["user_bytes_written"] => number(s.user_bytes_written),
        ["bytes_put"] => number(s.bytes_put),
        ["write_amplification"] => Some(s.write_amplification),
        ["puts_per_1000_writes"] => Some(s.puts_per_1000_writes),
        ["writers_opened"] => number(s.writers_opened),
        ["unfinished_ops"] => number(s.unfinished_ops),
        ["tasks_refused"] => number(s.tasks_refused),
        ["operations", rest @ ..] => operations(&s.operations, rest),
        ["writes", field] => {
            let w = &s.writes;
            number(match *field {
                "acknowledged" => w.acknowledged,
                "acknowledged_durable" => w.acknowledged_durable,
                "durable_wal_entries" => w.durable_wal_entries,
                "durable_tracked" => w.durable_tracked,
                "lost_durable" => w.lost_durable,
                "resurrected" => w.resurrected,
                "expired_entries_dropped" => w.expired_entries_dropped,
                "expired_bytes_dropped" => w.expired_bytes_dropped,
                "keys_verified" => w.keys_verified,
                "durability_checks" => w.durability_checks,
                _ => return None,
            })
        }
        ["requests"] => number(s.requests.values().flat_map(|c| c.values()).sum()),
        ["requests", op] => number(s.requests.get(*op)?.values().sum()),
        ["requests", op, cause] => number(*s.requests.get(*op)?.get(*cause)?),
        ["cost", "total_usd"] => Some(s.cost.total_usd),
        ["cost", "total_picousd"] => number(s.cost.total_picousd),
        ["cost", "by_cause_usd"] => Some(s.cost.by_cause_usd.values().sum()),
        ["cost", "by_cause_usd", cause] => s.cost.by_cause_usd.get(*cause).copied(),
        ["latency", kind, field] => latency(
            match *kind {
                "write" => &s.latency.write,
                "read" => &s.latency.read,
                "scan" => &s.latency.scan,
                _ => return None,
            },
            field,
        ),
        ["lsm", rest @ ..] => {
            let lsm = s.lsm.as_ref()?;
            match rest {
                ["writer_epoch"] => number(lsm.writer_epoch),
                ["manifest_id"] => number(lsm.manifest_id),
                ["memtable_bytes"] => number(lsm.memtable_bytes),
                ["immutable_memtables"] => number(lsm.immutable_memtables),
                ["l0_ssts"] => number(lsm.l0_ssts),
                ["l0_bytes"] => number(lsm.l0_bytes),
                ["acknowledged_seq"] => number(lsm.acknowledged_seq),
                ["durable_seq"] => number(lsm.durable_seq),
                ["runs", index, field] => {
                    let run = lsm.runs.get(index.parse::<usize>().ok()?)?;
                    match *field {
                        "ssts" => number(run.ssts),
                        "bytes" => number(run.bytes),
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        ["faults_injected"] => number(s.faults_injected.values().sum()),
        ["faults_injected", kind] => number(*s.faults_injected.get(*kind)?),
        ["engine_events"] => number(s.engine_events.values().sum()),
        ["engine_events", name] => number(*s.engine_events.get(*name)?),
        ["engine", rest @ ..] => {
            let e = s.engine.as_ref()?;
            match rest {
                ["bytes_put_by_cause", rest @ ..] => {
                    by_cause(&e.bytes_put_by_cause, rest, from_u64)
                }
                ["write_amplification_by_cause", rest @ ..] => {
                    by_cause(&e.write_amplification_by_cause, rest, same)
                }
                ["cost_picousd_by_cause", rest @ ..] => {
                    by_cause(&e.cost_picousd_by_cause, rest, from_u64)
                }
                ["cost_usd_per_hour_by_cause", rest @ ..] => {
                    by_cause(&e.cost_usd_per_hour_by_cause, rest, same)
                }
                [field] => match *field {
                    "write_amplification" => Some(e.write_amplification),
                    "gets_per_get" => Some(e.gets_per_get),
                    "gets_per_scan" => Some(e.gets_per_scan),
                    "space_amplification" => Some(e.space_amplification),
                    "compaction_usd_per_hour" => Some(e.compaction_usd_per_hour),
                    "write_stall_ms" => Some(e.write_stall_ms),
                    _ => number(match *field {
                        "user_bytes_written" => e.user_bytes_written,
                        "stored_sst_bytes" => e.stored_sst_bytes,
                        "live_bytes_estimate" => e.live_bytes_estimate,
                        "retries" => e.retries,
                        "hedges" => e.hedges,
                        "write_stalls" => e.write_stalls,
                        "writes_rejected" => e.writes_rejected,
                        "l0_ssts" => e.l0_ssts,
                        "unflushed_bytes" => e.unflushed_bytes,
                        "compactions" => e.compactions,
                        "compaction_bytes_read" => e.compaction_bytes_read,
                        "compaction_bytes_written" => e.compaction_bytes_written,
                        _ => return None,
                    }),
                },
                _ => None,
            }
        }
        ["reader", field] => {
            let r = s.reader.as_ref()?;
            number(match *field {
                "seq_lag" => r.seq_lag,
                "seq" => r.staleness.seq,
                "manifest_id" => r.staleness.manifest_id,
                "polls" => r.staleness.polls,
                "poll_failures" => r.staleness.poll_failures,
                "poll_requests" => r.staleness.poll_requests,
                "poll_cost_picousd" => r.staleness.poll_cost_picousd,
                _ => return None,
            })
        }
        ["tenants", index, rest @ ..] => {
            let t = s.tenants.get(index.parse::<usize>().ok()?)?;
            match rest {
                ["operations", rest @ ..] => operations(&t.operations, rest),
                ["write_latency", field] => latency(&t.write_latency, field),
                ["read_latency", field] => latency(&t.read_latency, field),
                ["cost_usd"] => Some(t.cost_usd),
                ["store_p99_ms"] => Some(t.store_p99_ms),
                [field] => number(match *field {
                    "lost_durable" => t.lost_durable,
                    "resurrected" => t.resurrected,
                    "requests" => t.requests,
                    "throttled" => t.throttled,
                    "bytes" => t.bytes,
                    _ => return None,
                }),
                _ => None,
            }
        }
        ["recommender", field] => {
            let r = s.recommender.as_ref()?;
            match *field {
                "ctr" => Some(r.ctr),
                "cumulative_regret" => Some(r.cumulative_regret),
                "catalogue_coverage" => Some(r.catalogue_coverage),
                "exposure_gini" => Some(r.exposure_gini),
                "exploration_share" => Some(r.exploration_share),
                _ => number(match *field {
                    "steps" => r.steps,
                    "impressions" => r.impressions,
                    "clicks" => r.clicks,
                    "policy_version" => r.policy_version,
                    "impressions_logged" => r.impressions_logged,
                    "checkpoints_written" => r.checkpoints_written,
                    "log_failures" => r.log_failures,
                    _ => return None,
                }),
            }
        }
        ["policy", rest @ ..] => policy_figure(policy?, rest),
        _ => None,
    }
}

/// A figure of the recommender's own summary (`policy.…`).
fn policy_figure(p: &RecommenderSummary, rest: &[&str]) -> Option<f64> {
    match rest {
        ["ctr"] => Some(p.ctr),
        ["cumulative_regret"] => Some(p.cumulative_regret),
        ["catalogue_coverage"] => Some(p.catalogue_coverage),
        ["exposure_gini"] => Some(p.exposure_gini),
        ["steps"] => number(p.steps),
        ["impressions"] => number(p.impressions),
        ["clicks"] => number(p.clicks),
        ["policy_version"] => number(p.policy_version),
        ["guardrails", field] => {
            let g = &p.guardrails;
            match *field {
                "exploration_share" => Some(g.exploration_share),
                "cap" => g.cap,
                "tv_limit" => g.tv_limit,
                "max_tv_requested" => Some(g.max_tv_requested),
                "max_tv_served" => Some(g.max_tv_served),
                "mean_distinct_categories" => Some(g.mean_distinct_categories),
                "diversity_floor" => g.diversity_floor.map(|n| n as f64),
                "min_distinct_categories_seen" => g.min_distinct_categories_seen.map(|n| n as f64),
                _ => number(match *field {
                    "decisions" => g.decisions,
                    "exploratory_decisions" => g.exploratory_decisions,
                    "cap_binding_decisions" => g.cap_binding_decisions,
                    "tv_checked_decisions" => g.tv_checked_decisions,
                    "tv_clamped_decisions" => g.tv_clamped_decisions,
                    "tv_limit_overridden_by_cap" => g.tv_limit_overridden_by_cap,
                    "slates" => g.slates,
                    "diversity_restricted_positions" => g.diversity_restricted_positions,
                    _ => return None,
                }),
            }
        }
        _ => None,
    }
}
