//! The whole-system deterministic simulator.
//!
//! A seed draws a [`world::World`]: writer processes that crash, restart, pause and linger as
//! zombies, a read replica, compaction style switches, GC with small minimum ages, the
//! recommender logging impressions and checkpoints, every store fault kind, and
//! checksum-valid corruptions. [`run::run_world`] runs it on one simulation whose ready
//! queue is ordered by the seed (so the seed also picks the interleaving), checking the
//! [`oracle`]s as the run goes. [`shrink`] drops events from a failing world while it still
//! fails. Everything here is deterministic: a seed replays exactly.
//!
//! Modules: [`world`] (generation), [`process`] (pausable per-process store and runtime),
//! [`oracle`] (register model and failures), [`corrupt`] (re-sealed structural mutations),
//! [`run`] (processes, out-of-band checks, the final audit), [`shrink`], [`summary`].

pub mod corrupt;
pub mod oracle;
pub mod process;
pub mod run;
pub mod shrink;
pub mod summary;
pub mod world;

pub use oracle::{Failure, Oracle};
pub use run::{run_world, run_world_observed, Outcome, Planted, RunStats};
pub use world::{generate, World};
