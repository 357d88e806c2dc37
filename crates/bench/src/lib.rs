//! The benchmark harness: a registry of named workloads from the library crates, timed with a
//! clock the caller supplies (`std::time::Instant` natively, `performance.now()` in wasm32), so
//! the same code measures both targets.
//!
//! Each workload returns how many units of work it did (events, requests, puts…) plus a checksum
//! that keeps the optimiser honest; figures are units per second over the best of a few rounds.

use serde::Serialize;

/// One measured figure.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub group: &'static str,
    pub name: String,
    pub unit: &'static str,
    /// Units of work per second (best round).
    pub per_second: f64,
    /// Units of work per round.
    pub units: u64,
    /// Wall milliseconds of the best round.
    pub best_ms: f64,
    pub rounds: u32,
    pub checksum: u64,
}

/// What a workload reports: units of work done and a checksum of its results.
pub struct Work {
    pub units: u64,
    pub checksum: u64,
}

struct Bench {
    group: &'static str,
    name: String,
    unit: &'static str,
    run: Box<dyn Fn() -> Work>,
}

/// Decisions (or rows, or steps) per recommender workload run.
const RECOMMENDER_UNITS: u64 = 200_000;

fn recommender_benches() -> Vec<Bench> {
    strata_recommender::bench::WORKLOADS
        .iter()
        .map(|name| {
            // A full recommender step (slate, clicks, log write, update) costs ~400 µs;
            // fewer of them keep the round short.
            let units = if *name == "recommender_steps" {
                RECOMMENDER_UNITS / 40
            } else {
                RECOMMENDER_UNITS
            };
            Bench {
                group: "recommender",
                name: format!("recommender: {name}"),
                unit: "units",
                run: Box::new(move || Work {
                    units,
                    checksum: strata_recommender::bench::run(name, 1, units)
                        .expect("the workload list names only known workloads"),
                }),
            }
        })
        .collect()
}

fn compaction_merge() -> Work {
    thread_local! {
        static INPUTS: std::cell::OnceCell<strata_engine::bench::MergeInputs> = const { std::cell::OnceCell::new() };
    }
    INPUTS.with(|cell| {
        let inputs = cell.get_or_init(|| strata_engine::bench::MergeInputs::build(5, 8, 50_000));
        let bytes = inputs.merge();
        Work {
            units: bytes,
            checksum: bytes,
        }
    })
}

fn scheduler_demo() -> Work {
    let workload = strata_sim::demo::DemoWorkload {
        clients: 64,
        requests_per_client: 2_000,
        ..Default::default()
    };
    let (hash, events) = strata_sim::demo::run_demo(1, workload);
    Work {
        units: events,
        checksum: hash,
    }
}

fn scheduler_timers() -> Work {
    let (events, checksum) = strata_sim::demo::run_timer_storm(1, 1_000, 500);
    Work {
        units: events,
        checksum,
    }
}

/// The lab's steady scenarios, run to the end as `strata run` does: (operations per simulated
/// second, simulated seconds). About 200,000 and 60,000 client operations.
const LAB_STEADY: [(u64, u64); 2] = [(10_000, 20), (1_000, 60)];

fn lab_benches() -> Vec<Bench> {
    LAB_STEADY
        .iter()
        .map(|&(rate, seconds)| Bench {
            group: "lab",
            name: format!("lab: strata run, steady {rate} ops/s for {seconds} s"),
            unit: "ops",
            run: Box::new(move || {
                let (ops, hash) = strata_lab::bench::run_steady(1, seconds, rate as f64);
                Work {
                    units: ops,
                    checksum: hash,
                }
            }),
        })
        .collect()
}

const STORE_REQUESTS: u64 = 200_000;

/// The engine workload SlateDB-style benchmarks use: 16-byte keys, 100-byte values.
const ENGINE_PUTS: u64 = 1_000_000;
const ENGINE_DURABLE_PUTS: u64 = 200_000;
const ENGINE_LOADED_KEYS: u64 = 1_000_000;
const ENGINE_GETS: u64 = 200_000;

thread_local! {
    /// One loaded database shared by the read benchmarks, so loading is not timed.
    static LOADED: std::cell::OnceCell<strata_engine::bench::LoadedDb> = const { std::cell::OnceCell::new() };
}

fn with_loaded<R>(f: impl FnOnce(&strata_engine::bench::LoadedDb) -> R) -> R {
    LOADED.with(|cell| {
        f(
            cell.get_or_init(|| {
                strata_engine::bench::LoadedDb::load(3, ENGINE_LOADED_KEYS, 16, 100)
            }),
        )
    })
}

fn engine_puts() -> Work {
    Work {
        units: ENGINE_PUTS,
        checksum: strata_engine::bench::puts_no_await(1, ENGINE_PUTS, 16, 100),
    }
}

fn engine_durable_puts() -> Work {
    Work {
        units: ENGINE_DURABLE_PUTS,
        checksum: strata_engine::bench::puts_durable(1, ENGINE_DURABLE_PUTS, 16, 100),
    }
}

fn engine_gets_warm() -> Work {
    // Load outside the timed region: the first call pays it, so warm it before timing.
    Work {
        units: ENGINE_GETS,
        checksum: with_loaded(|db| db.random_gets(ENGINE_GETS, true)),
    }
}

fn engine_gets_cold() -> Work {
    Work {
        units: ENGINE_GETS,
        checksum: with_loaded(|db| db.random_gets(ENGINE_GETS, false)),
    }
}

fn engine_scan() -> Work {
    Work {
        units: ENGINE_LOADED_KEYS,
        checksum: with_loaded(|db| db.scan_all()),
    }
}

/// A figure that is not a speed: computed in simulated time, so identical on every target.
#[derive(Clone, Debug, Serialize)]
pub struct Fact {
    pub group: &'static str,
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
}

/// The non-speed figures of `group` ("all" for every group).
pub fn facts(group: &str) -> Vec<Fact> {
    let mut facts = Vec::new();
    if group == "all" || group == "engine" {
        for writes_per_sec in [1_000u64, 10_000] {
            facts.push(Fact {
                group: "engine",
                name: format!(
                    "object-store PUTs per 1,000 acknowledged writes at {writes_per_sec} writes/s, flush_interval 100 ms"
                ),
                value: strata_engine::bench::puts_per_1000_writes(writes_per_sec, 100, 30),
                unit: "PUTs",
            });
        }
        for figures in strata_engine::bench::tiered_vs_leveled(3, 20_000) {
            let style = figures.style.clone();
            for (what, value, unit) in [
                ("write amplification", figures.write_amplification, "x"),
                ("space amplification", figures.space_amplification, "x"),
                ("compaction cost", figures.compaction_usd_per_hour, "$/h"),
                ("total request cost", figures.total_usd_per_hour, "$/h"),
            ] {
                facts.push(Fact {
                    group: "engine",
                    name: format!("{style}: {what}, 20k updates over 2k keys, S3 Standard"),
                    value,
                    unit,
                });
            }
        }
        for (tombstones, compacted) in [(0, false), (10, false), (1_000, false), (1_000, true)] {
            let figures = strata_engine::bench::range_scan_figures(7, tombstones, 200, compacted);
            let when = if compacted { ", compacted" } else { ", in L0" };
            for (what, value, unit) in [
                ("GETs per scan", figures.gets_per_scan, "GETs"),
                ("data blocks per scan", figures.blocks_per_scan, "blocks"),
                ("live keys per scan", figures.keys_per_scan, "keys"),
                ("scan p50", figures.p50_ms, "ms"),
                ("scan p99", figures.p99_ms, "ms"),
            ] {
                facts.push(Fact {
                    group: "engine",
                    name: format!(
                        "scan of 500 keys over 20k, {tombstones} range tombstones{when}: {what}"
                    ),
                    value,
                    unit,
                });
            }
        }
        for style in [
            strata_engine::CompactionStyle::size_tiered(),
            strata_engine::CompactionStyle::leveled(256 * 1024),
        ] {
            for ttl in [None, Some(60)] {
                let samples =
                    strata_engine::bench::ttl_space_figures(style.clone(), 11, 300, ttl, 60);
                let label = ttl.map_or("no TTL".to_string(), |t| format!("TTL {t} s"));
                for sample in samples {
                    facts.push(Fact {
                        group: "engine",
                        name: format!(
                            "{}: SST bytes at {} s, 200 puts/s of 100 B, {label}",
                            style.name(),
                            sample.seconds
                        ),
                        value: sample.sst_bytes as f64 / 1024.0,
                        unit: "KiB",
                    });
                }
            }
        }
        let hedging = strata_engine::bench::hedging_figures(5, 2_000);
        for (what, value, unit) in [
            ("read p99 without hedging", hedging.p99_ms_unhedged, "ms"),
            ("read p99 with hedging at p90", hedging.p99_ms_hedged, "ms"),
            ("read p99.9 without hedging", hedging.p999_ms_unhedged, "ms"),
            (
                "read p99.9 with hedging at p90",
                hedging.p999_ms_hedged,
                "ms",
            ),
            (
                "extra GETs hedging sent, per 2,000 reads",
                hedging.gets_hedged.saturating_sub(hedging.gets_unhedged) as f64,
                "GETs",
            ),
        ] {
            facts.push(Fact {
                group: "engine",
                name: format!("S3 Standard, no cache: {what}"),
                value,
                unit,
            });
        }
    }
    facts
}

fn store_instant() -> Work {
    Work {
        units: STORE_REQUESTS,
        checksum: strata_objstore::bench::instant_store_mixed_requests(1, STORE_REQUESTS),
    }
}

fn registry() -> Vec<Bench> {
    let mut benches = vec![
        Bench {
            group: "engine",
            name: "engine: compaction merge, 8 sources x 50k entries".to_string(),
            unit: "bytes",
            run: Box::new(compaction_merge),
        },
        Bench {
            group: "engine",
            name: "engine: puts, no await (1M, 16 B keys, 100 B values)".to_string(),
            unit: "puts",
            run: Box::new(engine_puts),
        },
        Bench {
            group: "engine",
            name: "engine: durable puts, 64 writers (200k)".to_string(),
            unit: "puts",
            run: Box::new(engine_durable_puts),
        },
        Bench {
            group: "engine",
            name: "engine: random gets after flush, warm cache (1M keys)".to_string(),
            unit: "gets",
            run: Box::new(engine_gets_warm),
        },
        Bench {
            group: "engine",
            name: "engine: random gets after flush, cold cache (1M keys)".to_string(),
            unit: "gets",
            run: Box::new(engine_gets_cold),
        },
        Bench {
            group: "engine",
            name: "engine: full scan (1M keys)".to_string(),
            unit: "keys",
            run: Box::new(engine_scan),
        },
        Bench {
            group: "objstore",
            name: "simulated store, instant preset: mixed PUT/GET/HEAD/LIST".to_string(),
            unit: "requests",
            run: Box::new(store_instant),
        },
        Bench {
            group: "sim",
            name: "scheduler: bare timers, 1,000 tasks".to_string(),
            unit: "events",
            run: Box::new(scheduler_timers),
        },
        Bench {
            group: "sim",
            name: "scheduler: demo workload with traced requests".to_string(),
            unit: "events",
            run: Box::new(scheduler_demo),
        },
    ];
    benches.extend(recommender_benches());
    benches.extend(lab_benches());
    benches
}

/// The benchmark groups available.
pub fn groups() -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = registry().iter().map(|b| b.group).collect();
    groups.dedup();
    groups
}

/// Runs every benchmark in `group` ("all" for every group), `rounds` times each, timing with
/// `now_ms`.
pub fn run(group: &str, rounds: u32, now_ms: &dyn Fn() -> f64) -> Vec<Figure> {
    let rounds = rounds.max(1);
    registry()
        .into_iter()
        .filter(|bench| group == "all" || bench.group == group)
        .map(|bench| {
            if bench.group == "engine" && bench.name.contains("1M keys") {
                with_loaded(|_| ());
            }
            let mut best_ms = f64::INFINITY;
            let mut units = 0;
            let mut checksum = 0;
            for _ in 0..rounds {
                let start = now_ms();
                let work = (bench.run)();
                let elapsed = now_ms() - start;
                best_ms = best_ms.min(elapsed);
                units = work.units;
                checksum = work.checksum;
            }
            Figure {
                group: bench.group,
                name: bench.name.to_string(),
                unit: bench.unit,
                per_second: if best_ms > 0.0 {
                    units as f64 / (best_ms / 1000.0)
                } else {
                    f64::INFINITY
                },
                units,
                best_ms,
                rounds,
                checksum,
            }
        })
        .collect()
}

/// The wasm32 entry point: runs `group` and returns the figures as JSON.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn run_bench(group: &str, rounds: u32) -> String {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .expect("node and browsers expose a global `performance`");
    let now = js_sys::Reflect::get(&performance, &"now".into())
        .expect("performance.now exists")
        .dyn_into::<js_sys::Function>()
        .expect("performance.now is a function");
    let now_ms = move || {
        now.call0(&performance)
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    };
    serde_json::to_string(&run(group, rounds, &now_ms)).unwrap_or_else(|e| format!("\"{e}\""))
}

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsCast;
