//! The object-store port and its implementations.
//!
//! - [`port`]: the `ObjectStore` trait, its types and its typed errors.
//! - [`sim`]: `SimStore`, the simulated S3-like store (latency, cost, throttling, faults) that
//!   runs in simulated time, natively and in the browser.
//! - `cloud` (feature `cloud`, native only): `CloudStore`, the port over any
//!   `object_store` backend (local files, in-memory, S3-compatible).
//! - `s3` (feature `cloud`, native only): opening `s3://BUCKET/PREFIX` from the `AWS_*`
//!   variables, with a probe at open that proves the server honours conditional PUTs.
//! - `tokio_runtime` (feature `cloud`, native only): `TokioRuntime`, the engine's `Runtime`
//!   on tokio's local executor, for runs against a real store in real time.
//! - [`bench`]: seeded workload functions the benchmark harness times.
//!
//! Invariant: nothing here reads a wall clock or OS randomness; the simulated store's every
//! draw comes from the simulation's named streams.

pub mod bench;
#[cfg(all(feature = "cloud", not(target_arch = "wasm32")))]
pub mod cloud;
pub mod port;
#[cfg(all(feature = "cloud", not(target_arch = "wasm32")))]
pub mod s3;
pub mod sim;
#[cfg(all(feature = "cloud", not(target_arch = "wasm32")))]
pub mod tokio_runtime;

#[cfg(all(feature = "cloud", not(target_arch = "wasm32")))]
pub use cloud::CloudStore;
pub use port::{
    validate_key, ETag, GetResult, ListPage, ObjectMeta, ObjectStore, PutMode, PutResult,
    StoreError, StoreFuture, MAX_KEY_BYTES, MAX_LIST_PAGE,
};
pub use sim::{SimStore, SimStoreConfig, StoreStats};
