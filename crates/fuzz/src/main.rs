//! `strata-fuzz`: runs the fuzz targets (see the library's documentation) and reports
//! executions per second; on a finding, prints the input in hex and what reproduces it, and
//! exits with status 1. `cargo xtask fuzz` builds and runs it.
//!
//! ```text
//! strata-fuzz [--seconds N | --executions N] [--target NAME] [--seed S] [--first I]
//! strata-fuzz --target NAME --seed S --replay I     one execution, its input printed
//! strata-fuzz --list
//! ```
//! With `--seconds`, each target runs for that long (the one use of wall time, which decides
//! only how many executions run, never what they are); with `--executions`, for exactly that
//! many, which is deterministic. The guarded allocator is installed, so an allocation out of
//! proportion to the input is a finding too.

use std::process::ExitCode;
use strata_fuzz::alloc_guard::GuardedAllocator;
use strata_fuzz::runner::{input_for, run, run_one, silence_panics};
use strata_fuzz::{target_named, Target, TARGETS};

#[global_allocator]
static ALLOCATOR: GuardedAllocator = GuardedAllocator;

/// The seed when none is given.
const DEFAULT_SEED: u64 = 1;
/// Executions between two looks at the clock.
const CHUNK: u64 = 256;

struct Args {
    seconds: Option<f64>,
    executions: Option<u64>,
    target: Option<String>,
    seed: u64,
    first: u64,
    replay: Option<u64>,
    list: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: None,
        executions: None,
        target: None,
        seed: DEFAULT_SEED,
        first: 0,
        replay: None,
        list: false,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let mut value = || iter.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => args.seconds = Some(number(&value()?)?),
            "--executions" => args.executions = Some(number(&value()?)?),
            "--target" => args.target = Some(value()?),
            "--seed" => args.seed = number(&value()?)?,
            "--first" => args.first = number(&value()?)?,
            "--replay" => args.replay = Some(number(&value()?)?),
            "--list" => args.list = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.seconds.is_some() && args.executions.is_some() {
        return Err("give --seconds or --executions, not both".to_string());
    }
    Ok(args)
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a valid number"))
}

fn main() -> ExitCode {
    match run_main() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("strata-fuzz: {message}");
            ExitCode::from(2)
        }
    }
}

fn run_main() -> Result<bool, String> {
    let args = parse_args()?;
    if args.list {
        for target in &TARGETS {
            println!("{:<14} {}", target.name, target.about);
        }
        return Ok(true);
    }
    let selected: Vec<&Target> = match &args.target {
        Some(name) => vec![target_named(name).ok_or_else(|| {
            let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
            format!("no target {name:?}; the targets are {}", names.join(", "))
        })?],
        None => TARGETS.iter().collect(),
    };
    if let Some(iteration) = args.replay {
        let [target] = selected[..] else {
            return Err("--replay needs --target".to_string());
        };
        return Ok(replay(target, args.seed, iteration));
    }
    silence_panics();
    println!(
        "{:<14} {:>12} {:>12} {:>10} {:>10} {:>14}",
        "target", "executions", "execs/s", "accepted", "resealed", "largest alloc"
    );
    for target in selected {
        let outcome = match args.executions {
            Some(executions) => timed(|| run(target, args.seed, args.first, executions)),
            None => run_for(target, args.seed, args.first, args.seconds.unwrap_or(10.0)),
        };
        match outcome {
            (Ok(stats), seconds) => println!(
                "{:<14} {:>12} {:>12.0} {:>10} {:>10} {:>14}",
                target.name,
                stats.executions,
                stats.executions as f64 / seconds.max(1e-9),
                stats.accepted,
                stats.resealed,
                stats.largest_allocation_bytes
            ),
            (Err(finding), _) => {
                println!("{finding}");
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Runs `work` and measures it in wall seconds.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // a binary may read wall time
fn timed<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let start = std::time::Instant::now();
    let value = work();
    (value, start.elapsed().as_secs_f64())
}

/// Runs chunks of executions until `seconds` of wall time have passed.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)] // a binary may read wall time
fn run_for(
    target: &Target,
    seed: u64,
    first: u64,
    seconds: f64,
) -> (Result<strata_fuzz::RunStats, strata_fuzz::Finding>, f64) {
    let start = std::time::Instant::now();
    let mut total = strata_fuzz::RunStats::default();
    let mut next = first;
    while start.elapsed().as_secs_f64() < seconds {
        match run(target, seed, next, CHUNK) {
            Ok(stats) => {
                total.executions += stats.executions;
                total.accepted += stats.accepted;
                total.resealed += stats.resealed;
                total.largest_allocation_bytes = total
                    .largest_allocation_bytes
                    .max(stats.largest_allocation_bytes);
            }
            Err(finding) => return (Err(finding), start.elapsed().as_secs_f64()),
        }
        next += CHUNK;
    }
    (Ok(total), start.elapsed().as_secs_f64())
}

/// Prints one execution's input and runs it, with panic messages shown.
fn replay(target: &Target, seed: u64, iteration: u64) -> bool {
    let seeds = (target.seeds)();
    let (strategy, input) = input_for(target, &seeds, seed, iteration);
    println!(
        "{} seed {seed} iteration {iteration}: {} input of {} bytes",
        target.name,
        strategy.as_str(),
        input.len()
    );
    println!("input (hex): {}", strata_engine::codec::to_hex(&input));
    let index = TARGETS
        .iter()
        .position(|t| t.name == target.name)
        .unwrap_or(usize::MAX);
    match run_one(target, index, &input, seed, iteration) {
        Ok((accepted, largest)) => {
            println!(
                "passed: the decoder {} it; largest allocation {largest} bytes",
                if accepted { "accepted" } else { "refused" }
            );
            true
        }
        Err(message) => {
            println!("FINDING: {message}");
            false
        }
    }
}
