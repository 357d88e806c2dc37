//! A small seeded workload for the kernel itself: clients send requests with lognormal
//! latencies and think times, and every request becomes a trace event.
//!
//! It exercises timers, spawning, joins and the RNG streams together, which makes it the
//! determinism check (one seed, one hash, on every target), the scheduler benchmark, and the
//! first thing the playground draws before the engine exists.

use crate::executor::Sim;
use crate::math;
use crate::time::{SimDuration, SimTime};
use crate::trace::{Cause, EventKind, RequestOutcome, RequestRecord, StoreOp};

/// Parameters of the demo workload.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemoWorkload {
    pub clients: u32,
    pub requests_per_client: u32,
    /// Median request latency.
    pub latency_ms_p50: f64,
    /// 99th-percentile request latency.
    pub latency_ms_p99: f64,
    /// Mean pause between a client's requests.
    pub think_ms_mean: f64,
}

impl Default for DemoWorkload {
    fn default() -> Self {
        DemoWorkload {
            clients: 8,
            requests_per_client: 250,
            latency_ms_p50: 25.0,
            latency_ms_p99: 100.0,
            think_ms_mean: 50.0,
        }
    }
}

const CAUSES: [Cause; 4] = [Cause::Wal, Cause::Flush, Cause::Read, Cause::Manifest];

/// Spawns the workload's clients on `sim`. Run the simulation to make them progress.
pub fn spawn_demo(sim: &Sim, workload: DemoWorkload) {
    let mu = math::ln(workload.latency_ms_p50.max(1e-6));
    let sigma = (math::ln(workload.latency_ms_p99.max(workload.latency_ms_p50) + 1e-9) - mu)
        / math::normal_quantile(0.99);
    for client in 0..workload.clients {
        let handle = sim.handle();
        let mut rng = handle.rng(&format!("demo.client.{client}"));
        handle.clone().spawn(async move {
            for request in 0..workload.requests_per_client {
                let think = rng.exponential(1.0 / workload.think_ms_mean.max(1e-6));
                handle.sleep(SimDuration::from_millis_f64(think)).await;
                let start: SimTime = handle.now();
                let latency = rng.lognormal(mu, sigma.max(0.0));
                let failed = rng.bernoulli(0.01);
                handle.sleep(SimDuration::from_millis_f64(latency)).await;
                let cause = CAUSES[(client as usize + request as usize) % CAUSES.len()];
                let op = if cause == Cause::Read {
                    StoreOp::Get
                } else {
                    StoreOp::Put
                };
                handle.record_at(
                    handle.now(),
                    EventKind::Request(RequestRecord {
                        op,
                        key: format!("demo/{client:02}/{request:06}"),
                        bytes: 4096,
                        cause,
                        start,
                        end: handle.now(),
                        outcome: if failed {
                            RequestOutcome::ServerError
                        } else {
                            RequestOutcome::Ok
                        },
                        cost_picousd: if op == StoreOp::Put {
                            5_000_000
                        } else {
                            400_000
                        },
                        applied_despite_error: false,
                    }),
                );
            }
        });
    }
}

/// Runs the demo to completion with `seed` and returns (trace hash, events processed).
pub fn run_demo(seed: u64, workload: DemoWorkload) -> (u64, u64) {
    let sim = Sim::new(seed);
    spawn_demo(&sim, workload);
    sim.run_until_idle(u64::MAX)
        .expect("the demo workload always terminates");
    let hash = sim.trace().hash();
    (hash, sim.events_processed())
}

/// A bare scheduler workload: `tasks` tasks each sleep a seeded random 1–1000 µs, `wakeups`
/// times, recording nothing. Returns (timer events processed, checksum of wake-up times).
pub fn run_timer_storm(seed: u64, tasks: u32, wakeups: u32) -> (u64, u64) {
    use std::cell::Cell;
    use std::rc::Rc;
    let sim = Sim::new(seed);
    let checksum = Rc::new(Cell::new(0u64));
    for task in 0..tasks {
        let handle = sim.handle();
        let mut rng = handle.rng(&format!("storm.{task}"));
        let checksum = checksum.clone();
        handle.clone().spawn(async move {
            for _ in 0..wakeups {
                let micros = rng.range_inclusive(1, 1000);
                handle.sleep(SimDuration::from_micros(micros)).await;
                checksum.set(checksum.get().rotate_left(5) ^ handle.now().as_nanos());
            }
        });
    }
    sim.run_until_idle(u64::MAX)
        .expect("the timer storm always terminates");
    (sim.events_processed(), checksum.get())
}
