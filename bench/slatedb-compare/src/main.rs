//! Side-by-side benchmark binary: the Strata engine (on its instant `SimStore`) against
//! SlateDB (on `object_store::memory::InMemory`), same workload, same run.
//!
//! Per repetition and per engine, on a fresh database:
//! 1. `--keys` puts (16-byte keys, 100-byte values) without awaiting durability: timed;
//! 2. flush every memtable to L0 SSTs, then one untimed pass of the random gets below, so
//!    both block caches are warm: untimed;
//! 3. `--gets` point reads of random loaded keys (the same seeded sequence for both): timed;
//! 4. one full scan: timed.
//!
//! The order of the two engines alternates between repetitions. The figure reported is the
//! median over `--reps` repetitions (the best is printed too). Checks, exiting non-zero on
//! failure: every get finds its key in both engines; both gets checksums agree (every value
//! has the same length and first byte, so this confirms the count of values read, not which
//! keys); both scan checksums agree (the sum over keys of their first byte, so the key sets
//! agree), and SlateDB's scan yields exactly `--keys` keys in strictly ascending order. Wall time is measured here on purpose: this is a benchmark binary,
//! outside every simulation.

use slatedb::config::{FlushOptions, FlushType, ScanOptions, Settings};
use slatedb::db_cache::moka::{MokaCache, MokaCacheOptions};
use slatedb::db_cache::{DbCache, SplitCache};
use slatedb::object_store::memory::InMemory;
use slatedb::object_store::ObjectStore;
use slatedb::Db;
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata_engine::bench::{bench_options, puts_no_await, LoadedDb};
use strata_sim::SimRng;

const SEED: u64 = 42;
const KEY_BYTES: usize = 16;
const VALUE_BYTES: usize = 100;
/// SlateDB's block cache, the same size as ours in `bench_options()` (512 MiB).
const BLOCK_CACHE_BYTES: u64 = 512 * 1024 * 1024;
/// SlateDB keeps SST indexes and filters in a separate cache (its default, 128 MiB); ours
/// keeps them on the SST handle, outside the block cache.
const META_CACHE_BYTES: u64 = 128 * 1024 * 1024;
/// SlateDB's L0 SST size, the same as our memtable size in `bench_options()` (64 MiB).
const L0_SST_BYTES: usize = 64 * 1024 * 1024;
/// The WAL flush interval, like ours (100 ms). Ours runs on simulated time that does not
/// advance during these loops, so its WAL uploads are triggered by size (4 MiB) instead.
const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Clone, Copy, Debug)]
struct Config {
    keys: u64,
    gets: u64,
    reps: usize,
    /// Tokio worker threads for SlateDB; 0 runs it on a current-thread runtime.
    workers: u64,
}

/// One repetition's wall times for one engine.
#[derive(Clone, Copy, Debug)]
struct Times {
    puts: Duration,
    gets: Duration,
    scan: Duration,
}

/// What both engines must agree on: the checksum of the values the gets returned (count-like:
/// every value is the same) and the checksum of the keys the scan returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Checks {
    gets: u64,
    scan: u64,
}

/// Key `i` of the seeded sequence: the same bytes as `strata_engine::bench` generates (random
/// bytes from a per-key seed, the key's index big-endian in the last 8 bytes), so both engines
/// receive the same keys in the same (unsorted) order. Equal scan checksums confirm the key
/// sets agree.
fn fill_key(seed: u64, i: u64, out: &mut [u8]) {
    let mut rng = SimRng::seed_from_u64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    rng.fill_bytes(out);
    let unique = i.to_be_bytes();
    let tail = out.len().min(8);
    let start = out.len() - tail;
    out[start..].copy_from_slice(&unique[8 - tail..]);
}

/// The value every put writes, as in `strata_engine::bench`.
fn value_buffer(value_bytes: usize) -> Vec<u8> {
    (0..value_bytes).map(|i| b'a' + (i % 26) as u8).collect()
}

fn run_ours(config: Config) -> (Times, Checks) {
    // `puts_no_await` opens a database on an instant SimStore, does the puts and drops it:
    // the open (instant) and the drop are inside this timed region.
    let start = Instant::now();
    black_box(puts_no_await(SEED, config.keys, KEY_BYTES, VALUE_BYTES));
    let puts = start.elapsed();

    // Untimed: the same puts again, flushed to SSTs, and one warming pass of random gets.
    let loaded = LoadedDb::load(SEED, config.keys, KEY_BYTES, VALUE_BYTES);
    let start = Instant::now();
    let gets_checksum = black_box(loaded.random_gets(config.gets, true));
    let gets = start.elapsed();
    let start = Instant::now();
    let scan_checksum = black_box(loaded.scan_all());
    let scan = start.elapsed();
    drop(loaded);
    (
        Times { puts, gets, scan },
        Checks {
            gets: gets_checksum,
            scan: scan_checksum,
        },
    )
}

fn slatedb_settings() -> Settings {
    Settings {
        flush_interval: Some(FLUSH_INTERVAL),
        l0_sst_size_bytes: L0_SST_BYTES,
        // Ours has no compactor in this workload and its collector is off (gc_interval 0).
        compactor_options: None,
        garbage_collector_options: None,
        ..Settings::default()
    }
}

fn slatedb_cache() -> Arc<dyn DbCache> {
    let moka = |max_capacity| {
        Some(Arc::new(MokaCache::new_with_opts(MokaCacheOptions {
            max_capacity,
            time_to_live: None,
            time_to_idle: None,
        })) as Arc<dyn DbCache>)
    };
    Arc::new(
        SplitCache::new()
            .with_block_cache(moka(BLOCK_CACHE_BYTES))
            .with_meta_cache(moka(META_CACHE_BYTES))
            .build(),
    )
}

/// The random gets of `LoadedDb::random_gets`: the same seeded key indexes, the same checksum.
async fn slatedb_gets(db: &Db, config: Config) -> Result<u64, slatedb::Error> {
    let mut rng = SimRng::seed_from_u64(SEED ^ 0x6E75);
    let mut key = [0u8; KEY_BYTES];
    let mut checksum = 0u64;
    for _ in 0..config.gets {
        fill_key(SEED, rng.below(config.keys), &mut key);
        let value = db.get(key).await?;
        let value = value.ok_or_else(|| {
            slatedb::Error::invalid(format!("SlateDB lost a loaded key: {key:02x?}"))
        })?;
        checksum = checksum.wrapping_add(value.len() as u64 + u64::from(value[0]));
    }
    Ok(checksum)
}

async fn run_slatedb_async(config: Config) -> Result<(Times, Checks), slatedb::Error> {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let db = Db::builder("bench", store)
        .with_settings(slatedb_settings())
        .with_db_cache(slatedb_cache(), 0)
        .build()
        .await?;

    // Timed: puts acknowledged in memory. Dropping the returned `WriteHandle` without
    // `await_durable()` is SlateDB's "no await" (0.18 replaced `await_durable: false`).
    let mut key = [0u8; KEY_BYTES];
    let value = value_buffer(VALUE_BYTES);
    let start = Instant::now();
    for i in 0..config.keys {
        fill_key(SEED, i, &mut key);
        black_box(db.put(key, &value).await?);
    }
    let puts = start.elapsed();

    // Untimed: every memtable to L0 SSTs, then one warming pass of the same gets.
    db.flush_with_options(FlushOptions {
        flush_type: FlushType::MemTable,
    })
    .await?;
    black_box(slatedb_gets(&db, config).await?);

    let start = Instant::now();
    let gets_checksum = black_box(slatedb_gets(&db, config).await?);
    let gets = start.elapsed();

    // Blocks are cached as ours are; the rest are SlateDB's defaults (read-ahead, one fetch
    // task).
    let scan_options = ScanOptions {
        cache_blocks: true,
        ..ScanOptions::default()
    };
    let start = Instant::now();
    let mut iter = db.scan_with_options(.., &scan_options).await?;
    let mut scan_checksum = 0u64;
    while let Some(entry) = iter.next().await? {
        scan_checksum = scan_checksum.wrapping_add(1 + u64::from(entry.key[0]));
    }
    let scan = start.elapsed();
    drop(iter);

    // Untimed: a second scan checks the count and the order.
    let mut iter = db.scan_with_options(.., &scan_options).await?;
    let mut scanned = 0u64;
    // Bounded: holds one key, to compare with the next.
    let mut previous: Option<slatedb::bytes::Bytes> = None;
    let mut ascending = true;
    while let Some(entry) = iter.next().await? {
        scanned += 1;
        ascending &= previous.as_ref().is_none_or(|p| *p < entry.key);
        previous = Some(entry.key);
    }
    if scanned != config.keys || !ascending {
        return Err(slatedb::Error::invalid(format!(
            "SlateDB's scan returned {scanned} keys (expected {}), ascending: {ascending}",
            config.keys
        )));
    }
    drop(iter);
    db.close().await?;
    Ok((
        Times { puts, gets, scan },
        Checks {
            gets: gets_checksum,
            scan: scan_checksum,
        },
    ))
}

fn ops_per_sec(ops: u64, time: Duration) -> f64 {
    ops as f64 / time.as_secs_f64().max(1e-9)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn best(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(0.0, f64::max)
}

fn parse_args() -> Result<Config, String> {
    let mut config = Config {
        keys: 1_000_000,
        gets: 1_000_000,
        reps: 5,
        workers: 0,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args
            .get(i + 1)
            .ok_or_else(|| format!("{} needs a value", args[i]))?;
        let number: u64 = value
            .parse()
            .map_err(|e| format!("{} {value}: not a number ({e})", args[i]))?;
        match args[i].as_str() {
            "--keys" => config.keys = number,
            "--gets" => config.gets = number,
            "--reps" => config.reps = number as usize,
            "--slatedb-workers" => config.workers = number,
            other => {
                return Err(format!(
                    "unknown argument {other}; usage: [--keys N] [--gets N] [--reps N] [--slatedb-workers N]"
                ))
            }
        }
        i += 2;
    }
    if config.keys == 0 || config.reps == 0 {
        return Err("--keys and --reps must be positive".to_string());
    }
    Ok(config)
}

fn main() -> ExitCode {
    let config = match parse_args() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("slatedb-compare: {message}");
            return ExitCode::from(2);
        }
    };
    // SlateDB's background tasks (WAL writer, flusher) run on a Tokio runtime. By default a
    // current-thread one, like ours, which runs its background tasks on the calling thread;
    // it was also SlateDB's faster setting here. `--slatedb-workers N` gives it a
    // multi-threaded runtime with N workers instead.
    let runtime = if config.workers == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.workers as usize)
            .enable_all()
            .build()
    }
    .expect("a Tokio runtime can be built");
    let ours_options = bench_options();
    println!(
        "workload: {} puts ({KEY_BYTES}-byte keys, {VALUE_BYTES}-byte values, no await), \
         {} random gets (warm cache), 1 full scan; {} repetitions, order alternating; \
         SlateDB on {}",
        config.keys,
        config.gets,
        config.reps,
        if config.workers == 0 {
            "a current-thread Tokio runtime".to_string()
        } else {
            format!(
                "a multi-threaded Tokio runtime ({} workers)",
                config.workers
            )
        }
    );
    println!(
        "ours: memtable {} MiB, block cache {} MiB, block {} B, bloom {} bits/key, compaction {:?}, GC off; \
         SlateDB 0.18.0: l0_sst {} MiB, block cache {} MiB + meta cache {} MiB (moka), \
         flush_interval {} ms, compactor and GC off",
        ours_options.memtable_bytes >> 20,
        ours_options.block_cache_bytes >> 20,
        ours_options.block_bytes,
        ours_options.bloom_bits_per_key,
        ours_options.compaction.style,
        L0_SST_BYTES >> 20,
        BLOCK_CACHE_BYTES >> 20,
        META_CACHE_BYTES >> 20,
        FLUSH_INTERVAL.as_millis(),
    );

    let mut ours: Vec<Times> = Vec::new();
    let mut slate: Vec<Times> = Vec::new();
    for rep in 0..config.reps {
        let ours_first = rep % 2 == 0;
        let mut results: Vec<(&str, Times, Checks)> = Vec::new();
        for turn in 0..2 {
            let run_ours_now = (turn == 0) == ours_first;
            if run_ours_now {
                let (times, checks) = run_ours(config);
                results.push(("ours", times, checks));
            } else {
                match runtime.block_on(run_slatedb_async(config)) {
                    Ok((times, checks)) => results.push(("slatedb", times, checks)),
                    Err(error) => {
                        eprintln!("slatedb-compare: SlateDB failed: {error}");
                        return ExitCode::FAILURE;
                    }
                }
            }
        }
        let checks: Vec<Checks> = results.iter().map(|r| r.2).collect();
        if checks[0] != checks[1] {
            eprintln!(
                "slatedb-compare: the engines read different data: {} {:?} vs {} {:?}",
                results[0].0, checks[0], results[1].0, checks[1]
            );
            return ExitCode::FAILURE;
        }
        for (name, times, _) in &results {
            println!(
                "rep {} {:8}: puts {:8.3} s  gets {:8.3} s  scan {:8.3} s",
                rep + 1,
                name,
                times.puts.as_secs_f64(),
                times.gets.as_secs_f64(),
                times.scan.as_secs_f64()
            );
            if *name == "ours" {
                ours.push(*times);
            } else {
                slate.push(*times);
            }
        }
    }

    println!();
    println!(
        "| operation | ours ops/s (median of {n}) | SlateDB ops/s (median of {n}) | ours / SlateDB | best of {n}: ours, SlateDB |",
        n = config.reps
    );
    println!("|---|---:|---:|---:|---:|");
    type Pick = fn(&Times) -> Duration;
    let rows: [(&str, u64, Pick); 3] = [
        ("put (no await)", config.keys, |t| t.puts),
        ("get (random, warm)", config.gets, |t| t.gets),
        ("scan (full, per key)", config.keys, |t| t.scan),
    ];
    for (label, ops, pick) in rows {
        let ours_rates: Vec<f64> = ours.iter().map(|t| ops_per_sec(ops, pick(t))).collect();
        let slate_rates: Vec<f64> = slate.iter().map(|t| ops_per_sec(ops, pick(t))).collect();
        let (ours_median, slate_median) = (median(ours_rates.clone()), median(slate_rates.clone()));
        println!(
            "| {label} | {:.0} | {:.0} | {:.2} | {:.0}, {:.0} |",
            ours_median,
            slate_median,
            ours_median / slate_median.max(1e-9),
            best(&ours_rates),
            best(&slate_rates)
        );
    }
    ExitCode::SUCCESS
}
