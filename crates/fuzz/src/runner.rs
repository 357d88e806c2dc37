//! The deterministic loop: the input of each execution is a pure function of
//! `(target, seed, iteration)`, so a finding reproduces from those three numbers, and a run
//! of N executions is the same on every machine.
//!
//! An execution passes when the target's check returns `Ok` (the decoder returned `Ok` or a
//! typed error, and what decoded was usable). It is a finding when the check returns `Err`,
//! when anything panics (caught with `catch_unwind`, so natively only; wasm32 aborts on
//! panic), or, with the allocation guard installed, when one allocation exceeds
//! [`allocation_cap_bytes`] for the input's size.

use crate::alloc_guard;
use crate::mutate::{arbitrary_bytes, mutate_bytes, MAX_INPUT_BYTES};
use crate::targets::Target;
use std::panic::{catch_unwind, AssertUnwindSafe};
use strata_sim::SimRng;

/// How an execution's input was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Random bytes of a random length.
    Arbitrary,
    /// A valid input cut short.
    Truncated,
    /// A valid input with byte-level mutations (its checksums are then usually wrong).
    Mutated,
    /// A structure-aware mutation of a valid input, re-sealed with valid checksums.
    Resealed,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Arbitrary => "arbitrary",
            Strategy::Truncated => "truncated",
            Strategy::Mutated => "mutated",
            Strategy::Resealed => "resealed",
        }
    }
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    pub executions: u64,
    /// Executions whose decoder accepted the input (the rest got a typed error).
    pub accepted: u64,
    pub resealed: u64,
    pub largest_allocation_bytes: usize,
}

/// An input that broke the contract, with what reproduces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub target: &'static str,
    pub seed: u64,
    pub iteration: u64,
    pub strategy: Strategy,
    pub input: Vec<u8>,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "FINDING in target {}: {}\n  seed {} iteration {} ({} input of {} bytes)\n  \
             replay: cargo xtask fuzz --target {} --seed {} --replay {}",
            self.target,
            self.message,
            self.seed,
            self.iteration,
            self.strategy.as_str(),
            self.input.len(),
            self.target,
            self.seed,
            self.iteration
        )?;
        write!(
            f,
            "  input (hex): {}",
            strata_engine::codec::to_hex(&self.input)
        )
    }
}

/// The largest single allocation an input of `input_bytes` may cause: 1 MiB plus 64 bytes per
/// input byte. Decoders build tables of a few dozen bytes per input byte at most; a buffer
/// sized from a forged length field is far larger than that.
pub fn allocation_cap_bytes(input_bytes: usize) -> usize {
    (1 << 20) + 64 * input_bytes
}

/// The random stream of one execution, independent of every other execution's.
fn execution_rng(target: &Target, seed: u64, iteration: u64) -> SimRng {
    let name = strata_sim::rng::fnv1a64(target.name.as_bytes());
    SimRng::seed_from_u64(
        name ^ seed.rotate_left(17) ^ iteration.wrapping_mul(0x9E37_79B9_7F4A_7C15),
    )
}

/// The input of execution `iteration` of `seed`, and how it was made. `seeds` are the
/// target's valid inputs (`(target.seeds)()`), passed in so that a loop builds them once.
pub fn input_for(
    target: &Target,
    seeds: &[Vec<u8>],
    seed: u64,
    iteration: u64,
) -> (Strategy, Vec<u8>) {
    let mut rng = execution_rng(target, seed, iteration);
    let valid = match seeds.len() {
        0 => Vec::new(),
        n => seeds[rng.index(n)].clone(),
    };
    match rng.index(10) {
        0 => (Strategy::Arbitrary, arbitrary_bytes(&mut rng, 512)),
        1 | 2 => {
            let mut input = valid;
            let keep = if input.is_empty() {
                0
            } else {
                rng.index(input.len())
            };
            input.truncate(keep);
            (Strategy::Truncated, input)
        }
        3 | 4 => {
            let mut input = valid;
            mutate_bytes(&mut rng, &mut input);
            (Strategy::Mutated, input)
        }
        _ => {
            let mut input = (target.mutate_sealed)(&mut rng, &valid);
            input.truncate(MAX_INPUT_BYTES);
            (Strategy::Resealed, input)
        }
    }
}

/// Runs one input through a target. `Ok(accepted)` when the contract held; `Err` describes
/// the breach. `target_index`, `seed` and `iteration` only label an allocation refusal.
pub fn run_one(
    target: &Target,
    target_index: usize,
    input: &[u8],
    seed: u64,
    iteration: u64,
) -> Result<(bool, usize), String> {
    alloc_guard::arm(target_index, seed, iteration);
    let outcome = catch_unwind(AssertUnwindSafe(|| (target.check)(input)));
    let largest = alloc_guard::disarm();
    let accepted = match outcome {
        Ok(Ok(accepted)) => accepted,
        Ok(Err(breach)) => return Err(breach),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            return Err(format!("panicked: {message}"));
        }
    };
    let cap = allocation_cap_bytes(input.len());
    if largest > cap {
        return Err(format!(
            "an allocation of {largest} bytes from a {}-byte input (cap {cap}): a size taken \
             from an unchecked field?",
            input.len()
        ));
    }
    Ok((accepted, largest))
}

/// Runs `executions` executions of `target` from `seed`, starting at iteration `first`.
/// Stops at the first finding.
pub fn run(target: &Target, seed: u64, first: u64, executions: u64) -> Result<RunStats, Finding> {
    let index = crate::targets::TARGETS
        .iter()
        .position(|t| t.name == target.name)
        .unwrap_or(usize::MAX);
    let seeds = (target.seeds)();
    let mut stats = RunStats::default();
    for iteration in first..first.saturating_add(executions) {
        let (strategy, input) = input_for(target, &seeds, seed, iteration);
        match run_one(target, index, &input, seed, iteration) {
            Ok((accepted, largest)) => {
                stats.executions += 1;
                stats.accepted += u64::from(accepted);
                stats.resealed += u64::from(strategy == Strategy::Resealed);
                stats.largest_allocation_bytes = stats.largest_allocation_bytes.max(largest);
            }
            Err(message) => {
                return Err(Finding {
                    target: target.name,
                    seed,
                    iteration,
                    strategy,
                    input,
                    message,
                })
            }
        }
    }
    Ok(stats)
}

/// Replaces the panic hook with one that prints nothing: a caught panic becomes a finding
/// that prints its own message, and the default hook's output would flood a long run.
pub fn silence_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}
