//! Benchmark workloads: pure functions over the engine and an instant `SimStore`, timed by
//! the benchmark harness (natively and in wasm32). Nothing here reads a clock; each function
//! returns a checksum (or a figure) so that the work cannot be optimised away.
//!
//! - [`puts_no_await`]: `n` puts acknowledged in memory (WAL uploads and memtable flushes run
//!   in the background as the memtables fill).
//! - [`puts_durable`]: `n` puts from 64 concurrent writers, each awaiting durability (group
//!   commit: one WAL object per `flush_interval` carries many writes).
//! - [`LoadedDb`]: a database loaded and flushed to SSTs outside the timed region, with
//!   [`LoadedDb::random_gets`] (warm or cold block cache) and [`LoadedDb::scan_all`].
//! - [`gets_random`], [`scan_keys`]: one-shot versions that include the load.
//! - [`puts_per_1000_writes`]: object-store PUTs per 1,000 acknowledged writes, a cost figure.
//! - [`compaction_figures`], [`tiered_vs_leveled`]: write and space amplification and the
//!   $/hour of a fixed update-heavy workload per compaction style (figures, not times).
//! - [`MergeInputs::merge`]: one compaction's CPU work (decode, merge, re-encode); returns the
//!   bytes merged, so the harness reports MB merged per second.
//! - [`hedging_figures`]: read p50/p99/p99.9 with and without hedged GETs on simulated
//!   S3 Standard latencies, and the extra GETs hedging sends.
//!
//! Keys are `key_bytes` long (random bytes from the seed, so inserts arrive unsorted);
//! values are `value_bytes` long.

use crate::compaction::{CompactionOptions, CompactionStyle};
use crate::format::manifest::SstInfo;
use crate::options::HedgeOptions;
use crate::{Db, DbOptions, ReadOptions, WriteOptions};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::rc::Rc;
use strata_objstore::{ObjectStore, SimStore, SimStoreConfig};
use strata_sim::{EventKind, RuntimeRef, Sim, SimDuration, SimRng, StoreOp};

/// Options for benchmarks: native-scale memtables (64 MiB, like SlateDB's default L0 SST
/// size) and a cache large enough to hold a warm working set.
pub fn bench_options() -> DbOptions {
    DbOptions {
        memtable_bytes: 64 * 1024 * 1024,
        max_immutable_memtables: 2,
        max_wal_bytes: 4 * 1024 * 1024,
        block_cache_bytes: 512 * 1024 * 1024,
        gc_interval: SimDuration::ZERO,
        ..DbOptions::default()
    }
}

struct World {
    sim: Sim,
    store: SimStore,
    runtime: RuntimeRef,
}

impl World {
    fn new(seed: u64) -> Self {
        let sim = Sim::new(seed);
        let store = SimStore::new(sim.handle(), SimStoreConfig::instant());
        let runtime: RuntimeRef = Rc::new(sim.handle());
        World {
            sim,
            store,
            runtime,
        }
    }

    fn open(&self, options: DbOptions) -> Rc<Db> {
        let (runtime, port) = (
            self.runtime.clone(),
            Rc::new(self.store.clone()) as Rc<dyn ObjectStore>,
        );
        let db = self
            .sim
            .block_on(async move { Db::open(runtime, port, "bench", options).await })
            .expect("the benchmark simulation finishes")
            .expect("opening on an instant store succeeds");
        Rc::new(db)
    }

    fn run<T: 'static>(&self, future: impl std::future::Future<Output = T> + 'static) -> T {
        self.sim
            .block_on(future)
            .expect("the benchmark simulation finishes")
    }
}

/// Key `i` of a seeded sequence: `key_bytes` pseudo-random bytes (at least 8, so keys are
/// distinct).
fn fill_key(seed: u64, i: u64, out: &mut [u8]) {
    let mut rng = SimRng::seed_from_u64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    rng.fill_bytes(out);
    let unique = i.to_be_bytes();
    let tail = out.len().min(8);
    let start = out.len() - tail;
    out[start..].copy_from_slice(&unique[8 - tail..]);
}

fn value_buffer(value_bytes: usize) -> Vec<u8> {
    (0..value_bytes).map(|i| b'a' + (i % 26) as u8).collect()
}

fn load(world: &World, db: &Rc<Db>, seed: u64, n: u64, key_bytes: usize, value_bytes: usize) {
    let db = db.clone();
    world
        .run(async move {
            let mut key = vec![0u8; key_bytes.max(8)];
            let value = value_buffer(value_bytes);
            for i in 0..n {
                fill_key(seed, i, &mut key);
                db.put(&key, &value, WriteOptions::NO_AWAIT).await?;
            }
            Ok::<_, crate::Error>(())
        })
        .expect("loading an instant store succeeds");
}

/// `n` puts acknowledged in memory. Returns a checksum of the engine's watermarks and counters.
pub fn puts_no_await(seed: u64, n: u64, key_bytes: usize, value_bytes: usize) -> u64 {
    let world = World::new(seed);
    let db = world.open(bench_options());
    load(&world, &db, seed, n, key_bytes, value_bytes);
    let state = db.state();
    state.acknowledged_seq ^ state.memtable.size_bytes.rotate_left(17) ^ state.counters.puts
}

/// `n` durable puts from 64 concurrent writers. Returns a checksum.
pub fn puts_durable(seed: u64, n: u64, key_bytes: usize, value_bytes: usize) -> u64 {
    const WRITERS: u64 = 64;
    let world = World::new(seed);
    let db = world.open(bench_options());
    let handles: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let db = db.clone();
            world.sim.handle().spawn(async move {
                let mut key = vec![0u8; key_bytes.max(8)];
                let value = value_buffer(value_bytes);
                let mut i = writer;
                while i < n {
                    fill_key(seed, i, &mut key);
                    db.put(&key, &value, WriteOptions::DURABLE)
                        .await
                        .expect("durable puts on an instant store succeed");
                    i += WRITERS;
                }
            })
        })
        .collect();
    world.run(async move {
        for handle in handles {
            handle.await.expect("writers are never aborted");
        }
    });
    let state = db.state();
    state.durable_seq ^ state.counters.wal_uploads.rotate_left(32)
}

/// A database loaded with `n_keys` keys and flushed to SSTs, ready for read benchmarks.
pub struct LoadedDb {
    world: World,
    db: Rc<Db>,
    seed: u64,
    n_keys: u64,
    key_bytes: usize,
    options: DbOptions,
}

impl LoadedDb {
    /// Loads `n_keys` keys, flushes every memtable to SSTs, warms the block cache with one
    /// full scan, and keeps the handle.
    pub fn load(seed: u64, n_keys: u64, key_bytes: usize, value_bytes: usize) -> LoadedDb {
        let world = World::new(seed);
        let options = bench_options();
        let db = world.open(options.clone());
        load(&world, &db, seed, n_keys, key_bytes, value_bytes);
        {
            let db = db.clone();
            world
                .run(async move { db.flush_memtables().await })
                .expect("flushing on an instant store succeeds");
        }
        let loaded = LoadedDb {
            world,
            db,
            seed,
            n_keys,
            key_bytes: key_bytes.max(8),
            options,
        };
        loaded.random_gets(n_keys.min(1_000_000), true);
        loaded
    }

    /// `n` point reads of random loaded keys. `warm` reads through the handle whose cache
    /// holds every block; cold opens a fresh handle (empty cache, no SST metadata) first.
    /// Returns a checksum of the values read.
    pub fn random_gets(&self, n: u64, warm: bool) -> u64 {
        let db = if warm {
            self.db.clone()
        } else {
            self.world.open(self.options.clone())
        };
        let (seed, n_keys, key_bytes) = (self.seed, self.n_keys, self.key_bytes);
        self.world
            .run(async move {
                let mut rng = SimRng::seed_from_u64(seed ^ 0x6E75);
                let mut key = vec![0u8; key_bytes];
                let mut checksum = 0u64;
                for _ in 0..n {
                    fill_key(seed, rng.below(n_keys), &mut key);
                    let value = db.get(&key, ReadOptions::default()).await?;
                    let value = value.expect("every loaded key is present");
                    checksum = checksum.wrapping_add(value.len() as u64 + u64::from(value[0]));
                }
                Ok::<_, crate::Error>(checksum)
            })
            .expect("reads on an instant store succeed")
    }

    /// Scans every key in order. Returns the number of entries.
    pub fn scan_all(&self) -> u64 {
        let db = self.db.clone();
        self.world
            .run(async move {
                let mut scan = db.scan::<&[u8]>(..)?;
                let mut count = 0u64;
                while let Some((key, _)) = scan.next().await? {
                    count = count.wrapping_add(1 + u64::from(key[0]));
                }
                Ok::<_, crate::Error>(count)
            })
            .expect("scans on an instant store succeed")
    }
}

/// Loads `n_keys`, then does `n_gets` random reads (warm or cold cache). Includes the load.
pub fn gets_random(seed: u64, n_keys: u64, n_gets: u64, warm: bool) -> u64 {
    LoadedDb::load(seed, n_keys, 16, 100).random_gets(n_gets, warm)
}

/// Loads `n_keys`, then scans them all. Includes the load.
pub fn scan_keys(seed: u64, n_keys: u64) -> u64 {
    LoadedDb::load(seed, n_keys, 16, 100).scan_all()
}

/// Object-store PUTs (every cause) per 1,000 acknowledged writes, for a client writing
/// `writes_per_sec` evenly for `seconds` of simulated time with the given flush interval.
pub fn puts_per_1000_writes(writes_per_sec: u64, flush_interval_ms: u64, seconds: u64) -> f64 {
    let world = World::new(7);
    let puts = Rc::new(Cell::new(0u64));
    let counter = puts.clone();
    world.sim.trace_mut().subscribe(Box::new(move |event| {
        if let EventKind::Request(record) = &event.kind {
            if record.op == StoreOp::Put {
                counter.set(counter.get() + 1);
            }
        }
    }));
    let options = DbOptions {
        flush_interval: SimDuration::from_millis(flush_interval_ms.max(1)),
        ..bench_options()
    };
    let db = world.open(options);
    let puts_at_open = puts.get();
    let writes = writes_per_sec.max(1) * seconds;
    let gap = SimDuration::from_nanos(1_000_000_000 / writes_per_sec.max(1));
    let handle = world.sim.handle();
    let acknowledged = world
        .run(async move {
            let mut key = [0u8; 16];
            let value = value_buffer(100);
            let mut acknowledged = 0u64;
            for i in 0..writes {
                fill_key(11, i, &mut key);
                if db.put(key, &value, WriteOptions::NO_AWAIT).await.is_ok() {
                    acknowledged += 1;
                }
                handle.sleep(gap).await;
            }
            db.flush().await?;
            Ok::<_, crate::Error>(acknowledged)
        })
        .expect("writes on an instant store succeed");
    (puts.get() - puts_at_open) as f64 * 1000.0 / acknowledged.max(1) as f64
}

/// What a fixed update-heavy workload costs under one compaction style.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompactionFigures {
    pub style: String,
    /// All bytes PUT ÷ user bytes written.
    pub write_amplification: f64,
    /// The compaction part of it.
    pub compaction_write_amplification: f64,
    /// SST bytes stored ÷ the bytes the live data takes fully compacted (exact, by a scan).
    pub space_amplification: f64,
    /// The engine's live estimate of the same (bottom run as the live data).
    pub space_amplification_estimate: f64,
    /// Request cost rates over the run, S3 Standard prices, USD per hour.
    pub compaction_usd_per_hour: f64,
    pub total_usd_per_hour: f64,
    pub compactions: u64,
    pub bytes_merged: u64,
    pub max_l0_ssts: u64,
}

/// The fixed update-heavy workload of [`compaction_figures`]: `writes` puts of 100-byte
/// values over 2,000 keys at 2,000 writes a second, on the S3 Standard preset.
pub fn compaction_figures(style: CompactionStyle, seed: u64, writes: u64) -> CompactionFigures {
    let sim = Sim::new(seed);
    let store = SimStore::new(sim.handle(), SimStoreConfig::s3_standard());
    let runtime: RuntimeRef = Rc::new(sim.handle());
    let options = DbOptions {
        memtable_bytes: 64 * 1024,
        max_immutable_memtables: 4,
        block_cache_bytes: 1024 * 1024,
        gc_interval: SimDuration::ZERO,
        compaction: CompactionOptions {
            style: style.clone(),
            target_sst_bytes: 64 * 1024,
        },
        ..DbOptions::default()
    };
    let port = Rc::new(store) as Rc<dyn ObjectStore>;
    let handle = sim.handle();
    let figures = sim
        .block_on(async move {
            let db = Db::open(runtime, port, "bench", options).await?;
            let mut rng = SimRng::seed_from_u64(seed ^ 0xC0);
            let mut key = [0u8; 16];
            let mut value = value_buffer(100);
            let mut max_l0 = 0u64;
            for i in 0..writes {
                fill_key(seed, rng.below(2_000), &mut key);
                value[0] = b'a' + (i % 26) as u8;
                db.put(key, &value, WriteOptions::NO_AWAIT).await?;
                handle.sleep(SimDuration::from_micros(500)).await;
                if i % 64 == 0 {
                    max_l0 = max_l0.max(db.state().l0.len() as u64);
                }
            }
            db.flush_memtables().await?;
            let amplification = db.amplification();
            let live = db.live_bytes_exact().await?;
            let total_usd_per_hour = amplification.cost_usd_per_hour_by_cause.values().sum();
            Ok::<_, crate::Error>(CompactionFigures {
                style: style.name().to_string(),
                write_amplification: amplification.write_amplification,
                compaction_write_amplification: amplification
                    .write_amplification_by_cause
                    .get(&strata_sim::Cause::Compaction)
                    .copied()
                    .unwrap_or(0.0),
                space_amplification: amplification.stored_sst_bytes as f64 / live.max(1) as f64,
                space_amplification_estimate: amplification.space_amplification,
                compaction_usd_per_hour: amplification.compaction_usd_per_hour,
                total_usd_per_hour,
                compactions: amplification.compactions,
                bytes_merged: amplification.compaction_bytes_read,
                max_l0_ssts: max_l0,
            })
        })
        .expect("the benchmark simulation finishes")
        .expect("the workload runs on a fault-free store");
    figures
}

/// Tiered then leveled on the same workload (level base 256 KiB, ratio 10).
pub fn tiered_vs_leveled(seed: u64, writes: u64) -> [CompactionFigures; 2] {
    [
        compaction_figures(CompactionStyle::size_tiered(), seed, writes),
        compaction_figures(CompactionStyle::leveled(256 * 1024), seed, writes),
    ]
}

/// Inputs for the merge benchmark, built outside the timed region: `sources` overlapping
/// SSTs (newest first) of `entries_per_source` entries each, over a key space twice that.
pub struct MergeInputs {
    ssts: Vec<(SstInfo, bytes::Bytes)>,
}

impl MergeInputs {
    pub fn build(seed: u64, sources: u64, entries_per_source: u64) -> MergeInputs {
        let mut rng = SimRng::seed_from_u64(seed);
        let ssts = (0..sources)
            .map(|source| {
                let mut keys: Vec<u64> = (0..entries_per_source)
                    .map(|_| rng.below(entries_per_source * 2))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                let entries = crate::db::compact_bench::Merged {
                    entries: keys
                        .iter()
                        .map(|k| crate::format::sst::SstEntry {
                            key: bytes::Bytes::from(format!("key{k:012}")),
                            value: (k % 7 != 0).then(|| bytes::Bytes::from(value_buffer(100))),
                            expires_at_ns: 0,
                        })
                        .collect(),
                    ..Default::default()
                };
                let built = crate::db::compact_bench::build_outputs(&entries, u64::MAX, 4096, 10)
                    .pop()
                    .expect("every source has entries");
                let info = SstInfo {
                    id: source + 1,
                    size_bytes: built.bytes.len() as u64,
                    meta_offset: built.meta_offset,
                    first_key: built.first_key.clone(),
                    last_key: built.last_key.clone(),
                    entries: built.entries,
                    max_seq: source + 1,
                };
                (info, built.bytes)
            })
            .collect();
        MergeInputs { ssts }
    }

    /// Decodes every input, merges them (bottom level: tombstones dropped) and writes 4 MiB
    /// output SSTs, as a compaction job does between its GETs and PUTs. Returns the input
    /// bytes merged (the harness divides by the time for MB/s).
    pub fn merge(&self) -> u64 {
        let sources = self
            .ssts
            .iter()
            .map(|(info, bytes)| {
                crate::db::compact_bench::decode_sst_entries(info, bytes)
                    .expect("benchmark SSTs are well formed")
            })
            .collect();
        let merged = crate::db::compact_bench::merge_sources(sources, true, 0);
        let outputs = crate::db::compact_bench::build_outputs(&merged, 4 * 1024 * 1024, 4096, 10);
        let written: u64 = outputs.iter().map(|sst| sst.bytes.len() as u64).sum();
        let read: u64 = self.ssts.iter().map(|(info, _)| info.size_bytes).sum();
        debug_assert!(written > 0);
        read
    }
}

/// Read latency with and without hedging, from simulated S3 Standard latencies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HedgingFigures {
    pub reads: u64,
    pub p50_ms_unhedged: f64,
    pub p99_ms_unhedged: f64,
    pub p999_ms_unhedged: f64,
    pub p50_ms_hedged: f64,
    pub p99_ms_hedged: f64,
    pub p999_ms_hedged: f64,
    /// Read GETs sent without and with hedging; the difference is what hedging costs.
    pub gets_unhedged: u64,
    pub gets_hedged: u64,
    pub hedges: u64,
    pub extra_get_cost_usd: f64,
}

fn read_latencies(seed: u64, reads: u64, hedge: HedgeOptions) -> (Vec<u64>, u64, u64) {
    let sim = Sim::new(seed);
    let store = SimStore::new(sim.handle(), SimStoreConfig::s3_standard());
    let runtime: RuntimeRef = Rc::new(sim.handle());
    let options = DbOptions {
        memtable_bytes: 256 * 1024,
        // No block cache: every read goes to the store, so its latency is the store's.
        block_cache_bytes: 0,
        gc_interval: SimDuration::ZERO,
        hedge,
        ..DbOptions::default()
    };
    let port = Rc::new(store) as Rc<dyn ObjectStore>;
    let clock = runtime.clone();
    sim.block_on(async move {
        let db = Db::open(runtime, port, "bench", options).await?;
        let mut key = [0u8; 16];
        let value = value_buffer(100);
        for i in 0..5_000 {
            fill_key(seed, i, &mut key);
            db.put(key, &value, WriteOptions::NO_AWAIT).await?;
        }
        db.flush_memtables().await?;
        let mut rng = SimRng::seed_from_u64(seed ^ 0x4ED6E);
        let mut latencies = Vec::with_capacity(reads as usize);
        let gets_before = db.store_meters().cause(strata_sim::Cause::Read).gets;
        for _ in 0..reads {
            fill_key(seed, rng.below(5_000), &mut key);
            let started = clock.now();
            db.get(key, ReadOptions::default()).await?;
            latencies.push(clock.now().saturating_since(started).as_nanos());
        }
        let meter = db.store_meters().cause(strata_sim::Cause::Read);
        Ok::<_, crate::Error>((latencies, meter.gets - gets_before, meter.hedges))
    })
    .expect("the benchmark simulation finishes")
    .expect("reads on a fault-free store succeed")
}

fn quantile_ms(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1e6
}

/// `reads` random point reads on S3 Standard, unhedged and hedged at the 90th percentile of
/// recent GETs: latency quantiles and the extra GETs hedging sent.
pub fn hedging_figures(seed: u64, reads: u64) -> HedgingFigures {
    let (mut plain, gets_plain, _) = read_latencies(seed, reads, HedgeOptions::Off);
    let (mut hedged, gets_hedged, hedges) = read_latencies(
        seed,
        reads,
        HedgeOptions::Percentile {
            percentile: 90.0,
            min_samples: 50,
        },
    );
    plain.sort_unstable();
    hedged.sort_unstable();
    let get_price = SimStoreConfig::s3_standard()
        .pricing
        .get_head_request_picousd as f64
        * 1e-12;
    HedgingFigures {
        reads,
        p50_ms_unhedged: quantile_ms(&plain, 0.5),
        p99_ms_unhedged: quantile_ms(&plain, 0.99),
        p999_ms_unhedged: quantile_ms(&plain, 0.999),
        p50_ms_hedged: quantile_ms(&hedged, 0.5),
        p99_ms_hedged: quantile_ms(&hedged, 0.99),
        p999_ms_hedged: quantile_ms(&hedged, 0.999),
        gets_unhedged: gets_plain,
        gets_hedged,
        hedges,
        extra_get_cost_usd: gets_hedged.saturating_sub(gets_plain) as f64 * get_price,
    }
}

/// What scans over a key range cost with a number of range tombstones over the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RangeScanFigures {
    pub range_tombstones: u64,
    /// Whether the tombstones were compacted into the data (then the covered keys are gone)
    /// or still sit in L0 above it.
    pub compacted: bool,
    pub scans: u64,
    /// Live keys a scan returned, on average.
    pub keys_per_scan: f64,
    /// Store GETs (SST metadata and blocks) per scan, and data blocks per scan.
    pub gets_per_scan: f64,
    pub blocks_per_scan: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The key of entry `i` in the range-scan and expiry workloads: ordered, so that a scan over
/// a key range reads consecutive entries.
fn ordered_key(i: u64) -> Vec<u8> {
    format!("key{i:010}").into_bytes()
}

/// 20,000 keys of 100-byte values compacted into one run (L1) on S3 Standard (no block
/// cache), then `range_tombstones` range deletes of two keys each spread evenly over the key
/// space and flushed to L0; then `scans` scans of 500 consecutive keys at random places:
/// before the tombstones are compacted, and (`compact`) after.
pub fn range_scan_figures(
    seed: u64,
    range_tombstones: u64,
    scans: u64,
    compact: bool,
) -> RangeScanFigures {
    const KEYS: u64 = 20_000;
    const SPAN: u64 = 500;
    let sim = Sim::new(seed);
    let store = SimStore::new(sim.handle(), SimStoreConfig::s3_standard());
    let runtime: RuntimeRef = Rc::new(sim.handle());
    let options = DbOptions {
        memtable_bytes: 256 * 1024,
        block_cache_bytes: 0,
        gc_interval: SimDuration::ZERO,
        // Every flush compacts (an L0 trigger of 1) into L1, which is large enough for all of
        // the data, so it sits in one run below L0 and `compact` merges the tombstones' SST
        // into that run.
        compaction: CompactionOptions {
            style: CompactionStyle::Leveled {
                l0_trigger: 1,
                level_base_bytes: 64 * 1024 * 1024,
                level_ratio: 10.0,
                max_levels: 6,
            },
            target_sst_bytes: 256 * 1024,
        },
        ..DbOptions::default()
    };
    let port = Rc::new(store) as Rc<dyn ObjectStore>;
    let clock = runtime.clone();
    sim.block_on(async move {
        let db = Db::open(runtime, port, "bench", options).await?;
        let value = value_buffer(100);
        for i in 0..KEYS {
            db.put(ordered_key(i), &value, WriteOptions::NO_AWAIT)
                .await?;
        }
        db.flush_memtables().await?;
        db.compact_until_idle().await?;
        let stride = KEYS / range_tombstones.max(1);
        for t in 0..range_tombstones {
            let start = t * stride + stride / 2;
            db.delete_range(
                ordered_key(start).as_slice()..ordered_key(start + 2).as_slice(),
                WriteOptions::NO_AWAIT,
            )
            .await?;
        }
        // The flush wakes the background compactor; take the tombstones' SST out of its
        // way when they are to stay in L0.
        if !compact {
            db.set_compaction_style(CompactionStyle::None)?;
        }
        db.flush_memtables().await?;
        if compact {
            db.compact_until_idle().await?;
        }
        let mut rng = SimRng::seed_from_u64(seed ^ 0x5CA4);
        let before = db.state().counters;
        let mut latencies = Vec::with_capacity(scans as usize);
        let mut keys = 0u64;
        for _ in 0..scans {
            let first = rng.below(KEYS - SPAN);
            let started = clock.now();
            let (start, end) = (ordered_key(first), ordered_key(first + SPAN));
            let found = db
                .scan(start.as_slice()..end.as_slice())?
                .collect(usize::MAX)
                .await?;
            keys += found.len() as u64;
            latencies.push(clock.now().saturating_since(started).as_nanos());
        }
        let after = db.state().counters;
        latencies.sort_unstable();
        let per_scan = |n: u64| n as f64 / scans.max(1) as f64;
        Ok::<_, crate::Error>(RangeScanFigures {
            range_tombstones,
            compacted: compact,
            scans,
            keys_per_scan: per_scan(keys),
            gets_per_scan: per_scan(after.scan_gets - before.scan_gets),
            blocks_per_scan: per_scan(after.block_fetches - before.block_fetches),
            p50_ms: quantile_ms(&latencies, 0.5),
            p99_ms: quantile_ms(&latencies, 0.99),
        })
    })
    .expect("the benchmark simulation finishes")
    .expect("the workload runs on a fault-free store")
}

/// One sample of the expiry workload: what the bucket holds at a simulated instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpaceSample {
    pub seconds: u64,
    /// Bytes of every object in the bucket (SSTs, WAL, manifests).
    pub bucket_bytes: u64,
    /// Bytes of the SSTs the manifest lists.
    pub sst_bytes: u64,
    /// Expired entries compaction has dropped so far, and the bytes that freed.
    pub expired_entries_dropped: u64,
    pub expired_bytes_dropped: u64,
}

/// Space reclaimed by expiry over time under one compaction style: 200 puts a second of
/// 100-byte values under fresh keys for `seconds` of simulated time, each with a time-to-live
/// of `ttl_secs` (`None`: no expiry, the baseline), on S3 Standard with GC every 5 s; the
/// bucket sampled every `sample_secs`.
pub fn ttl_space_figures(
    style: CompactionStyle,
    seed: u64,
    seconds: u64,
    ttl_secs: Option<u64>,
    sample_secs: u64,
) -> Vec<SpaceSample> {
    let sim = Sim::new(seed);
    let store = SimStore::new(sim.handle(), SimStoreConfig::s3_standard());
    let meter = store.clone();
    let runtime: RuntimeRef = Rc::new(sim.handle());
    let options = DbOptions {
        memtable_bytes: 64 * 1024,
        gc_interval: SimDuration::from_secs(5),
        gc_min_age: SimDuration::from_secs(10),
        compaction: CompactionOptions {
            style,
            target_sst_bytes: 64 * 1024,
        },
        ..DbOptions::default()
    };
    let port = Rc::new(store) as Rc<dyn ObjectStore>;
    let handle = sim.handle();
    sim.block_on(async move {
        let db = Db::open(runtime, port, "bench", options).await?;
        let value = value_buffer(100);
        let mut write_options = WriteOptions::NO_AWAIT;
        if let Some(ttl) = ttl_secs {
            write_options = write_options.with_ttl(SimDuration::from_secs(ttl));
        }
        let mut samples = Vec::new();
        let writes_per_sample = 200 * sample_secs;
        let mut i = 0u64;
        for sample in 1..=seconds / sample_secs.max(1) {
            for _ in 0..writes_per_sample {
                db.put(ordered_key(i), &value, write_options).await?;
                i += 1;
                handle.sleep(SimDuration::from_millis(5)).await;
            }
            let state = db.state();
            samples.push(SpaceSample {
                seconds: sample * sample_secs,
                bucket_bytes: meter.bytes_stored(),
                sst_bytes: state.amplification.stored_sst_bytes,
                expired_entries_dropped: state.counters.expired_entries_dropped,
                expired_bytes_dropped: state.counters.expired_bytes_dropped,
            });
        }
        Ok::<_, crate::Error>(samples)
    })
    .expect("the benchmark simulation finishes")
    .expect("the workload runs on a fault-free store")
}

#[cfg(test)]
mod tests;
