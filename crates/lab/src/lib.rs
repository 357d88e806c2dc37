//! The lab: scenarios, the runner that plays them in the simulator, the metrics computed from
//! the trace, and the native `strata` CLI (src/main.rs).
//!
//! - [`scenario`]: the versioned scenario document and its validation.
//! - [`share`]: the compact share token (`v1.` + base64url JSON) that carries a scenario in a URL.
//! - [`metrics`]: aggregates folded from trace events only (the summary's figures).
//! - [`workload`]: the seeded operation generator (kinds, keys, values, arrival gaps).
//! - [`recommender`]: the scenario's recommender section mapped onto the recommender crate.
//! - [`durability`]: the model of acknowledged-durable writes and the lost-write check.
//! - [`bench`]: workload functions the benchmark harness times (no clock here).
//! - [`runner`]: `Lab`, which plays a scenario in the simulator (incrementally or to the end),
//!   takes live controls and produces the `Summary`.

pub mod bench;
pub mod durability;
pub mod metrics;
pub mod recommender;
pub mod runner;
pub mod scenario;
pub mod share;
pub mod workload;

pub use runner::{run_scenario, Control, ExternalRun, Lab, LabError, Progress, Summary};
pub use scenario::{Scenario, ScenarioError, SCENARIO_VERSION};
