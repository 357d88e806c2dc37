//! The engine's state as the playground draws it: a serde snapshot of memtables, WAL, SSTs,
//! watermarks, cache and counters, taken with `Db::state()` at any simulated instant.
//!
//! These are plain data types; nothing here refers back to the engine.

use crate::cache::CacheStats;
use crate::codec::display_key;
use crate::format::manifest::SstInfo;
use crate::store::StoreMeters;
use serde::{Deserialize, Serialize};
use strata_sim::maps::LiteMap;
use strata_sim::Cause;

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
    /// Key and value bytes of every put, delete and batch entry (the denominator of write
    /// amplification).
    pub user_bytes_written: u64,
    /// Store GETs (metadata and blocks) made by point reads and by scans.
    pub point_read_gets: u64,
    pub scan_gets: u64,
    pub compactions: u64,
    pub compaction_failures: u64,
    /// Compaction inputs that failed their checksum or did not parse: each is quarantined
    /// from compaction planning (`DbState::quarantined_ssts`) and needs an operator.
    pub compaction_corrupt_inputs: u64,
    pub compaction_bytes_read: u64,
    pub compaction_bytes_written: u64,
    /// Total time writes spent stalled by backpressure, in nanoseconds.
    pub write_stall_nanos: u64,
    pub writes_rejected: u64,
    /// Range deletes written (each one range tombstone, alone or in a batch).
    #[serde(default)]
    pub range_deletes: u64,
    /// Entries whose time-to-live had passed that compaction dropped (or, above the bottom
    /// level, cut down to a tombstone), and the key and value bytes that freed.
    #[serde(default)]
    pub expired_entries_dropped: u64,
    #[serde(default)]
    pub expired_bytes_dropped: u64,
    /// Range tombstones compaction dropped at the bottom level (nothing older remained).
    #[serde(default)]
    pub range_tombstones_dropped: u64,
    /// Entries compaction dropped because a newer range tombstone in the same job covered
    /// them.
    #[serde(default)]
    pub range_covered_entries_dropped: u64,
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
    /// Its level in a leveled layout; 0 for a size-tiered run.
    pub level: u32,
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
    /// SSTs a compaction found corrupt: no compaction is planned over them (an operator must
    /// restore or drop them), ascending.
    pub quarantined_ssts: Vec<u64>,
    pub cache: CacheStats,
    pub open_snapshots: u64,
    pub counters: Counters,
    /// The compaction style in force ("none", "size_tiered", "leveled").
    pub compaction_style: String,
    pub amplification: Amplification,
}

/// Live amplification and cost meters, computed from the engine's own counters and the
/// requests it sent (retries and hedges included).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Amplification {
    /// Key and value bytes the user wrote.
    pub user_bytes_written: u64,
    /// Bytes PUT by cause (WAL, flush, compaction, manifest…).
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub bytes_put_by_cause: LiteMap<Cause, u64>,
    /// All bytes PUT ÷ user bytes written (0 before any write).
    pub write_amplification: f64,
    /// The same, per cause: the parts add up to `write_amplification`.
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub write_amplification_by_cause: LiteMap<Cause, f64>,
    /// Store GETs per point read, and per scan.
    pub gets_per_get: f64,
    pub gets_per_scan: f64,
    /// Bytes of every SST in the manifest.
    pub stored_sst_bytes: u64,
    /// An estimate of the live data: the bottom run, which holds one version per key and no
    /// tombstones (RocksDB's estimate); the stored bytes while there is no run.
    pub live_bytes_estimate: u64,
    /// `stored_sst_bytes ÷ live_bytes_estimate` (1 when unknown).
    pub space_amplification: f64,
    /// What the engine's requests cost so far, by cause, in picodollars.
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub cost_picousd_by_cause: LiteMap<Cause, u64>,
    /// The same as a rate over the handle's lifetime, in USD per hour.
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub cost_usd_per_hour_by_cause: LiteMap<Cause, f64>,
    pub compaction_usd_per_hour: f64,
    pub retries: u64,
    pub hedges: u64,
    /// Write backpressure ("compaction debt"): stalls, their total time, rejections, and
    /// the L0 SSTs and unflushed bytes now.
    pub write_stalls: u64,
    pub write_stall_ms: f64,
    pub writes_rejected: u64,
    pub l0_ssts: u64,
    pub unflushed_bytes: u64,
    pub compactions: u64,
    pub compaction_bytes_read: u64,
    pub compaction_bytes_written: u64,
}

/// The inputs of [`Amplification::compute`].
pub struct AmplificationInputs<'a> {
    pub counters: &'a Counters,
    pub meters: &'a StoreMeters,
    pub stored_sst_bytes: u64,
    pub bottom_run_bytes: Option<u64>,
    pub l0_ssts: u64,
    pub unflushed_bytes: u64,
    pub elapsed_hours: f64,
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

impl Amplification {
    /// The meters from counters and requests; a pure function, so the UI can call it too.
    pub fn compute(inputs: &AmplificationInputs<'_>) -> Amplification {
        let counters = inputs.counters;
        let user = counters.user_bytes_written;
        let mut bytes_put_by_cause = LiteMap::new();
        let mut write_amplification_by_cause = LiteMap::new();
        let mut cost_picousd_by_cause = LiteMap::new();
        let mut cost_usd_per_hour_by_cause = LiteMap::new();
        for (cause, meter) in &inputs.meters.by_cause {
            bytes_put_by_cause.insert(*cause, meter.bytes_put);
            write_amplification_by_cause.insert(*cause, ratio(meter.bytes_put, user));
            cost_picousd_by_cause.insert(*cause, meter.cost_picousd);
            let per_hour = if inputs.elapsed_hours > 0.0 {
                meter.cost_picousd as f64 * 1e-12 / inputs.elapsed_hours
            } else {
                0.0
            };
            cost_usd_per_hour_by_cause.insert(*cause, per_hour);
        }
        let total = inputs.meters.total();
        let live = match inputs.bottom_run_bytes {
            Some(bytes) if bytes > 0 => bytes,
            _ => inputs.stored_sst_bytes,
        };
        Amplification {
            user_bytes_written: user,
            write_amplification: ratio(total.bytes_put, user),
            bytes_put_by_cause,
            write_amplification_by_cause,
            gets_per_get: ratio(counters.point_read_gets, counters.gets),
            gets_per_scan: ratio(counters.scan_gets, counters.scans),
            stored_sst_bytes: inputs.stored_sst_bytes,
            live_bytes_estimate: live,
            space_amplification: if live == 0 {
                1.0
            } else {
                ratio(inputs.stored_sst_bytes, live)
            },
            compaction_usd_per_hour: cost_usd_per_hour_by_cause
                .get(&Cause::Compaction)
                .copied()
                .unwrap_or(0.0),
            cost_picousd_by_cause,
            cost_usd_per_hour_by_cause,
            retries: total.retries,
            hedges: total.hedges,
            write_stalls: counters.write_stalls,
            write_stall_ms: counters.write_stall_nanos as f64 / 1e6,
            writes_rejected: counters.writes_rejected,
            l0_ssts: inputs.l0_ssts,
            unflushed_bytes: inputs.unflushed_bytes,
            compactions: counters.compactions,
            compaction_bytes_read: counters.compaction_bytes_read,
            compaction_bytes_written: counters.compaction_bytes_written,
        }
    }
}
