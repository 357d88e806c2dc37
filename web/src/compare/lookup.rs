//! A figure of a run by its claim path, read through the `Lab`'s typed accessors.
//!
//! `strata chapter` reads claims from the run summary's JSON; the page reads the same paths
//! here from the lab itself (its metrics, and one accessor for each part of the summary that
//! is read from the run's components), so it carries neither the summary's build nor its
//! serialisers. The paths and their meaning are the JSON's: dotted keys, a number indexing a
//! list (`tenants.2.throttled`), the recommender's own summary under `policy`; an object is
//! the sum of the numbers in it where that sum is a figure (`requests`: every request of
//! every kind; `cost.by_cause_usd`), a map by cause summed in the order of the causes' names,
//! the JSON's order. A path this lookup does not know gives none, which the panel shows as
//! "—"; `tests.rs` checks every number of real runs against their summary's JSON.

use strata_lab::metrics::{self, LatencyPercentiles, Metrics, OpCounts};
use strata_lab::Lab;
use strata_recommender::simulation::RecommenderSummary;
use strata_sim::maps::LiteMap;
use strata_sim::{Cause, StoreOp};

fn number(value: u64) -> Option<f64> {
    Some(value as f64)
}

/// `operations` or a tenant's: every operation, one kind, or its `ok`/`failed`.
fn operations(map: &LiteMap<String, OpCounts>, rest: &[&str]) -> Option<f64> {
    let total = |c: &OpCounts| c.ok + c.failed;
    match rest {
        [] => {
            let mut all = 0;
            for counts in map.values() {
                all += total(counts);
            }
            number(all)
        }
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

/// The sum of figures by cause in the order of the causes' names: the order of the summary's
/// JSON objects, so a sum is the same to the last bit as the JSON's.
fn sum_by_name(mut figures: Vec<(&'static str, f64)>) -> f64 {
    figures.sort_unstable_by(|a, b| a.0.cmp(b.0));
    // From -0.0, as `Iterator::sum` of `f64` starts, so that no sum changes by a bit.
    let mut sum = -0.0;
    for (_, figure) in figures {
        sum += figure;
    }
    sum
}

/// The failed requests of every operation and cause. Shared by the storage frame and the
/// lookup, and a loop: each wrote it as a `map` and `sum` of its own.
pub fn requests_failed(m: &Metrics) -> u64 {
    let mut failed = 0;
    for (_, counts) in m.requests() {
        failed += counts.failed;
    }
    failed
}

/// A map by cause (the engine's meters): every cause, or one by its name ([`by_name`]).
fn by_cause<V: Copy>(map: &LiteMap<Cause, V>, rest: &[&str], as_f64: fn(V) -> f64) -> Option<f64> {
    let mut figures = Vec::new();
    for (cause, v) in map.iter() {
        figures.push((cause.as_str(), as_f64(*v)));
    }
    by_name(figures, rest)
}

/// Figures by cause: their sum in the order of the causes' names ([`sum_by_name`]), or one by
/// its name. One function for the engine's maps by cause and the cost by cause, not the choice
/// written out in each (and in each number type's instance of [`by_cause`]).
fn by_name(figures: Vec<(&'static str, f64)>, rest: &[&str]) -> Option<f64> {
    match rest {
        [] => Some(sum_by_name(figures)),
        [name] => {
            for (cause, figure) in figures {
                if cause == *name {
                    return Some(figure);
                }
            }
            None
        }
        _ => None,
    }
}

fn from_u64(value: u64) -> f64 {
    value as f64
}

fn same(value: f64) -> f64 {
    value
}

/// `requests` and below: every request, one operation's, or one operation's for one cause.
fn requests(m: &Metrics, rest: &[&str]) -> Option<f64> {
    let mut found = false;
    let mut total = 0;
    for ((op, cause), counts) in m.requests() {
        let wanted = match rest {
            [] => true,
            [name] => op.as_str() == *name,
            [name, cause_name] => op.as_str() == *name && cause.as_str() == *cause_name,
            _ => return None,
        };
        if wanted {
            found = true;
            total += counts.count;
        }
    }
    (found || rest.is_empty()).then_some(total as f64)
}

/// The figure at `path` of `lab`'s run now (and of the recommender's own `policy` summary).
pub fn figure(lab: &Lab, policy: Option<&RecommenderSummary>, path: &str) -> Option<f64> {
    let keys: Vec<&str> = path.split('.').collect();
    let metrics = lab.metrics();
    let m = &*metrics;
    let scenario = lab.scenario();
    match keys.as_slice() {
        ["seed"] => number(scenario.seed),
        ["duration_ms"] => number(scenario.duration_ms),
        ["simulated_ms"] => Some(lab.simulated_ms()),
        ["trace_events"] => number(lab.trace_events()),
        ["requests_failed"] => number(requests_failed(m)),
        ["user_bytes_written"] => number(m.user_bytes_written),
        ["bytes_put"] => number(m.bytes_put),
        ["write_amplification"] => Some(m.write_amplification()),
        ["puts_per_1000_writes"] => Some(m.puts_per_1000_writes()),
        ["writers_opened"] => number(lab.writers_opened()),
        ["unfinished_ops"] => number(u64::from(lab.in_flight())),
        ["tasks_refused"] => number(lab.tasks_refused()),
        ["operations", rest @ ..] => operations(&m.ops, rest),
        ["writes", field] => number(match *field {
            "acknowledged" => m.writes_acknowledged,
            "acknowledged_durable" => m.writes_acknowledged_durable,
            "durable_wal_entries" => m.wal_entries_durable,
            "durable_tracked" => lab.durable_tracked(),
            "lost_durable" => m.lost_durable_writes,
            "resurrected" => lab.resurrected(),
            "expired_entries_dropped" => m.expired_entries_dropped,
            "expired_bytes_dropped" => m.expired_bytes_dropped,
            "keys_verified" => m.keys_checked,
            "durability_checks" => m.durability_checks,
            _ => return None,
        }),
        ["requests", rest @ ..] => requests(m, rest),
        ["cost", "total_usd"] => Some(metrics::usd(m.cost_picousd)),
        ["cost", "total_picousd"] => number(m.cost_picousd),
        ["cost", "by_cause_usd", rest @ ..] => {
            // The causes requests were sent for, each with its cost over every operation (as
            // the summary's map, without a map of its own in the page).
            // By loops: the `filter`, `any`, `map`, `sum`, `collect` and `find` were instances
            // of their own.
            let mut by_cause: Vec<(&'static str, f64)> = Vec::new();
            for cause in Cause::ALL {
                let (mut sent, mut picousd) = (false, 0);
                for op in StoreOp::ALL {
                    let counts = m.request_counts(op, cause);
                    sent |= counts.count > 0;
                    picousd += counts.cost_picousd;
                }
                if sent {
                    by_cause.push((cause.as_str(), metrics::usd(picousd)));
                }
            }
            by_name(by_cause, rest)
        }
        ["latency", kind, field] => latency(
            &LatencyPercentiles::from_nanos(match *kind {
                "write" => &m.write_latency_nanos,
                "read" => &m.read_latency_nanos,
                "scan" => &m.scan_latency_nanos,
                _ => return None,
            }),
            field,
        ),
        ["lsm", rest @ ..] => {
            let lsm = lab.lsm_shape()?;
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
                    let run = lsm.runs.get(crate::format::parse_index(index)?)?;
                    match *field {
                        "ssts" => number(run.ssts),
                        "bytes" => number(run.bytes),
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        ["faults_injected"] => {
            let mut injected = 0;
            for (_, count) in m.faults() {
                injected += count;
            }
            number(injected)
        }
        ["faults_injected", kind] => {
            for (fault, count) in m.faults() {
                if fault.as_str() == *kind {
                    return number(count);
                }
            }
            None
        }
        ["engine_events"] => {
            let mut events = 0;
            for count in m.engine_events.values() {
                events += count;
            }
            number(events)
        }
        ["engine_events", name] => number(*m.engine_events.get(*name)?),
        ["engine", rest @ ..] => {
            let e = lab.amplification()?;
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
            let r = lab.reader_summary()?;
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
            let t = lab
                .tenant_rows()
                .into_iter()
                .nth(crate::format::parse_index(index)?)?;
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
            let r = lab.recommender_report()?;
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
