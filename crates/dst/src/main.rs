//! `strata-dst`: runs the whole-system simulator over many seeds on every core, prints the
//! summary, and replays and shrinks a failing seed.
//!
//! ```text
//! strata-dst [--seeds N] [--first-seed F] [--seed S] [--minutes M] [--threads T]
//! ```
//! - `--seeds N` runs seeds F..F+N (default 100, F defaults to 0).
//! - `--seed S` replays one seed, prints its schedule and outcome, and shrinks it if it fails.
//! - `--minutes M` is a wall-clock budget: no new seed starts after M minutes; seeds already
//!   running finish. The summary says how many seeds ran.
//! - `--trace TEXT`, with `--seed`: print every trace event whose debug form contains TEXT.
//! - `--threads T` worker threads (default: the machine's cores). Each seed runs on one thread
//!   and is deterministic; threads only share the seed counter.
//!
//! Exit status 1 when any seed fails. Wall time is read here, in the binary, only to enforce
//! the budget and report speed; it never reaches a simulation.

#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    reason = "the binary reads wall time for its budget and its speed report only"
)]

use anyhow::{bail, Context, Result};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use strata_dst::shrink::{describe, shrink};
use strata_dst::summary::Summary;
use strata_dst::{generate, run_world};

struct Args {
    seeds: u64,
    first_seed: u64,
    seed: Option<u64>,
    minutes: Option<f64>,
    threads: usize,
    shrink_runs: u64,
    trace: Option<String>,
}

fn parse(args: &[String]) -> Result<Args> {
    let value = |flag: &str| -> Option<&str> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let number = |flag: &str| -> Result<Option<u64>> {
        value(flag)
            .map(|v| {
                v.parse()
                    .with_context(|| format!("{flag} wants a whole number, got {v}"))
            })
            .transpose()
    };
    let known = [
        "--seeds",
        "--first-seed",
        "--seed",
        "--minutes",
        "--threads",
        "--shrink-runs",
        "--trace",
    ];
    for (index, arg) in args.iter().enumerate() {
        let is_value = index > 0 && known.contains(&args[index - 1].as_str());
        if !is_value && !known.contains(&arg.as_str()) {
            bail!("unknown argument {arg}; usage: strata-dst [--seeds N] [--first-seed F] [--seed S] [--minutes M] [--threads T] [--shrink-runs R] [--trace TEXT]");
        }
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Ok(Args {
        seeds: number("--seeds")?.unwrap_or(100),
        first_seed: number("--first-seed")?.unwrap_or(0),
        seed: number("--seed")?,
        minutes: value("--minutes")
            .map(|v| {
                v.parse::<f64>()
                    .with_context(|| format!("--minutes wants a number, got {v}"))
            })
            .transpose()?,
        threads: number("--threads")?.map_or(cores, |t| t.max(1) as usize),
        shrink_runs: number("--shrink-runs")?.unwrap_or(300),
        trace: value("--trace").map(str::to_string),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("strata-dst: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Replays one seed; shrinks it when it fails. Returns whether it passed.
fn replay(seed: u64, shrink_runs: u64, trace: Option<String>) -> bool {
    let world = generate(seed);
    println!("{}", describe(&world));
    let observer = trace.map(|pattern| -> strata_sim::trace::TraceObserver {
        Box::new(move |event| {
            let text = format!("{:?}", event.kind);
            if text.contains(&pattern) {
                println!("{} {text}", event.at);
            }
        })
    });
    let outcome = strata_dst::run_world_observed(&world, None, observer);
    println!(
        "{}",
        serde_json::to_string(&outcome.stats).unwrap_or_default()
    );
    let Some(failure) = outcome.failure else {
        println!("seed {seed}: ok");
        return true;
    };
    println!("seed {seed}: FAILED {failure}");
    report_shrunk(&world, &failure, shrink_runs);
    false
}

fn report_shrunk(world: &strata_dst::World, failure: &strata_dst::Failure, shrink_runs: u64) {
    let started = Instant::now();
    let shrunk = shrink(world, failure.oracle, None, shrink_runs);
    let replay = run_world(&shrunk.world, None);
    println!(
        "shrunk from {} to {} events in {} runs ({:.1} s); the smallest schedule:\n{}",
        world.events.len(),
        shrunk.world.events.len(),
        shrunk.runs,
        started.elapsed().as_secs_f64(),
        describe(&shrunk.world)
    );
    if let Some(failure) = replay.failure {
        println!("which fails: {failure}");
    }
}

fn run(args: &[String]) -> Result<bool> {
    let args = parse(args)?;
    if let Some(seed) = args.seed {
        return Ok(replay(seed, args.shrink_runs, args.trace));
    }
    // Panics are caught per seed and reported as failures; keep the default hook's output
    // from flooding the terminal while thousands of seeds run.
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let budget = args
        .minutes
        .map(|m| Duration::from_secs_f64(m.max(0.0) * 60.0));
    let next = Arc::new(AtomicU64::new(args.first_seed));
    let end = args.first_seed + args.seeds;
    let done = Arc::new(AtomicU64::new(0));
    let total = Arc::new(Mutex::new(Summary::default()));
    let workers: Vec<_> = (0..args.threads)
        .map(|_| {
            let (next, done, total) = (next.clone(), done.clone(), total.clone());
            std::thread::spawn(move || {
                let mut summary = Summary::default();
                loop {
                    if budget.is_some_and(|budget| started.elapsed() >= budget) {
                        break;
                    }
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    let outcome = run_world(&generate(seed), None);
                    summary.add(seed, &outcome);
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if finished.is_multiple_of(500) {
                        eprintln!("{finished} seeds, {:.0} s", started.elapsed().as_secs_f64());
                    }
                }
                total
                    .lock()
                    .expect("no worker panics while holding the summary")
                    .merge(summary);
            })
        })
        .collect();
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("a worker thread panicked outside a seed"))?;
    }
    let _ = std::panic::take_hook();
    let elapsed = started.elapsed().as_secs_f64();
    let summary = std::mem::take(
        &mut *total
            .lock()
            .map_err(|_| anyhow::anyhow!("the summary lock was poisoned"))?,
    );
    print!("{}", summary.render());
    println!(
        "wall time {elapsed:.1} s on {} threads: {:.2} seeds/s",
        args.threads,
        summary.seeds as f64 / elapsed.max(1e-9)
    );
    if let Some((seed, failure)) = summary.failures.first() {
        println!("replay: cargo xtask dst --seed {seed}");
        report_shrunk(&generate(*seed), failure, args.shrink_runs);
        return Ok(false);
    }
    Ok(true)
}
