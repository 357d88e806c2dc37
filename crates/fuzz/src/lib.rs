//! Fuzzing of every decoder that reads bytes from outside the process: WAL objects, SST data
//! blocks, SST footers, SST meta regions (index and bloom filter), bloom filters, manifests,
//! share tokens, scenario documents, the OPE CSV input and recommender checkpoints.
//!
//! It runs on the stable toolchain, with no coverage instrumentation: a seeded mutation loop.
//! Each execution's input is a pure function of `(target, seed, iteration)`, drawn with one of
//! four strategies (see [`runner::Strategy`]): arbitrary bytes, a truncated valid input, a
//! byte-mutated valid input, and a structure-aware mutation of a valid input **re-sealed**
//! with valid checksums, so that the decoder gets past its CRC and meets the damage a buggy
//! or hostile writer could upload. A finding reproduces from its seed and iteration alone.
//!
//! The contract every target checks: the decoder returns `Ok` or a typed error; it never
//! panics, and (when [`alloc_guard::GuardedAllocator`] is the global allocator, as in the
//! binary and the tests) never makes an allocation out of proportion to its input, the sign
//! of a size taken from an unchecked field. Targets also use what decoded the way the engine
//! or the recommender would (replay a WAL into a memtable and flush it, merge an SST's
//! entries into a new SST, restore a policy and update it), so that a decoder that accepts
//! something its users cannot handle is a finding too.
//!
//! - [`targets`]: the registry, one [`targets::Target`] per decoder.
//! - [`mutate`]: byte-level mutations and checksum re-sealing.
//! - [`json`]: mutations of JSON documents (manifests, scenarios, checkpoints).
//! - [`runner`]: the deterministic loop, findings, and panic and allocation checks.
//! - [`alloc_guard`]: a counting global allocator.
//!
//! The library never reads wall time or OS randomness; the `strata-fuzz` binary reads wall
//! time only to stop after `--seconds`.

pub mod alloc_guard;
pub mod json;
pub mod mutate;
pub mod runner;
pub mod targets;

pub use runner::{input_for, run, run_one, Finding, RunStats, Strategy};
pub use targets::{target_named, Target, TARGETS};
