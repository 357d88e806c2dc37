//! The lab: scenarios, the runner that plays them in the simulator, the metrics computed from
//! the trace, and the native `strata` CLI (src/bin/strata).
//!
//! # Using it
//! ```ignore
//! let scenario = Scenario::from_json(&text)?;          // versioned, strict, compiled once
//! let plan = scenario.compile()?;                      // typed values, every owner's check
//! let summary = run_scenario(&scenario)?;              // what `strata run` prints
//!
//! let mut lab = Lab::new(&scenario)?;                  // the playground's way (compiles too)
//! lab.advance_to(lab.now() + frame, max_events)?;      // one animation frame
//! lab.apply(Control::CrashWriter)?;                    // live controls
//! let shape = lab.db_state();                          // engine snapshot
//! let stats = lab.store_stats();                       // store snapshot
//! let hash = lab.summary().trace_hash;                 // same as `strata run`
//! let token = scenario.to_share_token();               // "v1." + base64url JSON
//! ```
//!
//! # Code map
//! A scenario goes one way: parsed ([`scenario`]'s schema), compiled
//! ([`scenario::compile`]: ranges, then each owner's check, then the budget) into a
//! [`scenario::RunPlan`], run ([`runner`]), summarised ([`runner::summary`]).
//! - [`scenario`]: the versioned scenario document, one module per section, the translation
//!   of sections into the engine's and the store's option types, and the compile step.
//! - [`budget`]: the one resource budget: a scenario's sizes added up as modelled memory.
//! - [`share`]: the compact share token (`v1.` + base64url JSON) that carries a scenario in a URL.
//! - [`metrics`]: aggregates folded from trace events only (the summary's figures).
//! - [`explain`]: every request attributed to the client operations that caused it
//!   (`strata explain`, the timeline's cause chains), folded from the trace's events and
//!   their causal links.
//! - [`workload`]: the seeded operation generator (kinds, keys, values, arrival gaps) and the
//!   key space, the one owner of the workload's key format.
//! - [`recommender`]: the scenario's recommender section mapped onto the recommender crate.
//! - [`durability`]: the model of acknowledged-durable writes and the lost-write check.
//! - [`runner`]: `Lab`, which plays a compiled scenario in the simulator (incrementally or to
//!   the end), takes live controls and produces the `Summary`; `ExternalRun`, the same on
//!   another runtime and store. One module per task of a run.
//! - [`export`]: a run for other tools: its trace as Chrome trace-event JSON (Perfetto) and
//!   its metrics over time as CSV.
//! - [`bench`]: workload functions the benchmark harness times (no clock here).
//!
//! **Architecture invariant:** everything that happens in a run happens inside simulation
//! tasks, started from the scenario; a caller only decides how far to advance and when to
//! apply a control. So a run's trace does not depend on how it is sliced into frames, and the
//! playground reaches the same trace hash as `strata run`.
//!
//! **Architecture invariant:** the summary's figures come from trace events only (the final
//! LSM shape, from the engine's state snapshot, is the one exception), so every surface that
//! folds the same trace shows the same numbers.

pub mod bench;
pub mod budget;
pub mod chapter;
pub mod durability;
pub mod explain;
pub mod export;
pub mod metrics;
pub mod ope;
pub mod recommender;
pub mod runner;
pub mod scenario;
pub mod share;
pub mod workload;

pub use runner::{
    run_scenario, Control, ExternalRun, Lab, LabError, LabOptions, Progress, Summary,
};
pub use scenario::{RunPlan, Scenario, ScenarioError, SCENARIO_VERSION};
