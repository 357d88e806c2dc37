//! The engine's state as the playground draws it: a serde snapshot of memtables, WAL, SSTs,
//! watermarks, cache and counters, taken with `Db::state()` at any simulated instant.
//!
//! These are plain data types; nothing here refers back to the engine.

use crate::cache::CacheStats;
use crate::codec::display_key;
use crate::format::manifest::SstInfo;
use serde::{Deserialize, Serialize};

/// Whether a handle may still be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DbStatus {
    Open,
    /// A newer writer took over; writes fail with `Fenced`.
    Fenced,
    Closed,
    Crashed,
}

/// Running totals since the handle opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub puts: u64,
    pub deletes: u64,
    pub batches: u64,
    pub gets: u64,
    pub scans: u64,
    pub wal_uploads: u64,
    pub wal_bytes_uploaded: u64,
    pub wal_upload_failures: u64,
    pub memtables_frozen: u64,
    pub ssts_written: u64,
    pub sst_bytes_written: u64,
    pub manifests_written: u64,
    pub manifest_conflicts: u64,
    pub gc_objects_deleted: u64,
    pub write_stalls: u64,
    /// Point reads that skipped an SST because its bloom filter ruled the key out.
    pub bloom_skips: u64,
    pub sst_meta_fetches: u64,
    pub block_fetches: u64,
    pub replayed_wal_objects: u64,
}

/// A memtable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemtableState {
    pub id: u64,
    pub size_bytes: u64,
    pub limit_bytes: u64,
    /// `size_bytes / limit_bytes`, for drawing a fill bar.
    pub fill: f64,
    pub keys: u64,
    pub versions: u64,
    pub min_seq: u64,
    pub max_seq: u64,
}

/// An SST, with its key range rendered for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SstState {
    pub id: u64,
    pub first_key: String,
    pub last_key: String,
    pub size_bytes: u64,
    pub entries: u64,
    pub max_seq: u64,
}

impl From<&SstInfo> for SstState {
    fn from(info: &SstInfo) -> Self {
        SstState {
            id: info.id,
            first_key: display_key(&info.first_key),
            last_key: display_key(&info.last_key),
            size_bytes: info.size_bytes,
            entries: info.entries,
            max_seq: info.max_seq,
        }
    }
}

/// A sorted run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    pub id: u64,
    pub size_bytes: u64,
    pub ssts: Vec<SstState>,
}

/// The write-ahead log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalState {
    /// Record bytes buffered, not yet sealed into an object.
    pub buffer_bytes: u64,
    pub buffer_records: u64,
    /// A sealed object being uploaded or waiting for a retry.
    pub pending_wal_id: Option<u64>,
    pub next_wal_id: u64,
    /// The first WAL id a recovery would replay.
    pub replay_from: u64,
    /// Durable WAL objects whose writes are not all in SSTs yet.
    pub live_objects: u64,
}

/// Everything the playground shows about one database handle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DbState {
    pub path: String,
    pub status: DbStatus,
    pub writer_epoch: u64,
    pub manifest_id: u64,
    /// Every write up to here is acknowledged (in memory).
    pub acknowledged_seq: u64,
    /// Every write up to here is durable in the object store.
    pub durable_seq: u64,
    /// Every write up to here is in SSTs.
    pub last_flushed_seq: u64,
    pub memtable: MemtableState,
    /// Frozen memtables waiting for a flush, oldest first.
    pub immutable_memtables: Vec<MemtableState>,
    pub flushing_memtable_id: Option<u64>,
    /// Level-0 SSTs, newest first.
    pub l0: Vec<SstState>,
    /// Sorted runs, newest first.
    pub runs: Vec<RunState>,
    pub wal: WalState,
    pub cache: CacheStats,
    pub open_snapshots: u64,
    pub counters: Counters,
}
