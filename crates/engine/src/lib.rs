//! Strata's diskless LSM engine: a key-value store whose only durable medium is an S3-like
//! object store. Writes go to a write-ahead log uploaded as objects, then to sorted memtables
//! that are flushed as SSTs; a manifest object names the live SSTs and the writer that owns
//! the database.
//!
//! # Using it
//! ```ignore
//! let db = Db::open(runtime, store, "databases/demo", DbOptions::default()).await?;
//! db.put(b"user:1", b"ada", WriteOptions::DURABLE).await?;      // returns once in the store
//! db.put(b"user:2", b"bob", WriteOptions::NO_AWAIT).await?;     // returns once in memory
//! let value = db.get(b"user:1", ReadOptions::DURABLE).await?;   // only durable writes
//! let mut batch = WriteBatch::new();
//! batch.put(b"a", b"1").delete(b"user:2");
//! db.write(&batch, WriteOptions::DURABLE).await?;               // atomic
//! db.delete_range("user:".."user;", WriteOptions::DURABLE).await?; // one range tombstone
//! let ttl = WriteOptions::DURABLE.with_ttl(SimDuration::from_secs(60));
//! db.put(b"session:9", b"token", ttl).await?;                   // reads as deleted in 60 s
//! let mut scan = db.scan(b"a".as_slice()..b"v".as_slice())?;   // ordered async iterator
//! while let Some((key, value)) = scan.next().await? { /* … */ }
//! let snapshot = db.snapshot()?;                                // repeatable reads
//! db.flush().await?;                                            // make everything durable
//! db.close().await?;
//! ```
//! Every call returns `Result<_, Error>`; branch on [`Error::kind`]: `Fenced`, `Unavailable`,
//! `Invalid`, `Corrupt` or `Closed`. Keys are 1 to [`MAX_KEY_BYTES`] bytes, values at most
//! [`MAX_VALUE_BYTES`], a time-to-live at most [`MAX_TTL`] (on the engine's simulated clock). `Db::state()` returns a serde snapshot for the UI, `Db::crash()`
//! simulates a process crash, and [`bench`](mod@bench) holds workload functions for the benchmarks.
//!
//! The engine is async Rust over two ports: `strata_sim::RuntimeRef` (clock, sleep, spawn,
//! trace, randomness) and `Rc<dyn strata_objstore::ObjectStore>`. It runs in the simulator
//! and, with a runtime implemented over tokio, against a real store. Every store request
//! carries its cause (`wal`, `flush`, `manifest`, `gc`, `read`, `compaction`,
//! `reader_poll`).
//!
//! Beyond that: compaction (`Db::set_compaction_style`, `Db::compact`), live amplification
//! and cost meters (`Db::amplification`, also in `Db::state()`), write backpressure
//! (`DbOptions::backpressure`), retries with jittered backoff, hedged read GETs
//! (`DbOptions::hedge`), and read replicas ([`Reader`]).
//!
//! # Code map
//! - [`db`]: the `Db` handle and write path; submodules per mechanism: `recovery` (open,
//!   WAL replay, fencing), `wal` (uploads and the durable watermark), `flush` (memtable to
//!   L0 SST), `manifest_io` (conditional manifest updates), `read` (point reads, SST access),
//!   `scan` (merged iterators), `snapshot`, `gc`, `compact` (the compactor), `reader` (read
//!   replicas), `invariants` (asserted after every state transition, in release builds too).
//! - [`policy`]: pure flush decisions (`plan`, `apply`) over a state snapshot.
//! - [`compaction`]: pure compaction decisions (`plan`, `apply`): size-tiered and leveled.
//! - [`memtable`]: the sorted multi-version memtable.
//! - [`format`](mod@format): byte layouts of data blocks, bloom filters, SSTs, WAL objects and manifests
//!   (specified in docs/format.md).
//! - [`cache`]: the byte-bounded block cache.
//! - [`store`]: the object-store port with retries (backoff, full jitter, deadline), hedged
//!   read GETs, per-cause request meters, and read-back resolution of ambiguous conditional
//!   writes.
//! - [`options`], [`error`], [`state`], [`batch`], [`paths`], [`codec`], [`util`].
//!
//! **Architecture invariant:** an SST only ever holds writes that are already durable in
//! the WAL, and the manifest is only ever changed by a conditional create of the next id; so
//! a crash at any instant loses at most writes that were acknowledged but not yet durable.
//!
//! **Architecture invariant:** a writer's epoch is in every WAL object and manifest it
//! writes, and its SST ids; a newer writer's epoch bump plus its fence WAL object make every
//! later write of an older writer fail with `Fenced` without touching the newer state.

pub mod batch;
pub mod bench;
pub mod cache;
pub mod codec;
pub mod compaction;
pub mod db;
pub mod error;
pub mod format;
pub mod memtable;
pub mod options;
pub mod paths;
pub mod policy;
pub mod state;
pub mod store;
pub mod util;

pub use batch::WriteBatch;
pub use cache::CacheStats;
pub use compaction::{CompactionOptions, CompactionStyle, CompactionTask};
pub use db::{
    CompactionReport, Db, GcReport, Reader, ReaderOptions, ReaderStaleness, ScanIter, Snapshot,
};
pub use error::{Error, ErrorKind, Result};
pub use options::{
    BackpressureMode, BackpressureOptions, DbOptions, Durability, HedgeOptions, ReadOptions,
    WriteOptions, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, MAX_KEY_BYTES, MAX_TTL, MAX_VALUE_BYTES,
};
pub use state::{
    Amplification, Counters, DbState, DbStatus, MemtableState, RunState, SstState, WalState,
};
pub use store::{CauseMeter, StoreMeters};
