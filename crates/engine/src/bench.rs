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
//!
//! Keys are `key_bytes` long (random bytes from the seed, so inserts arrive unsorted);
//! values are `value_bytes` long.

use crate::{Db, DbOptions, ReadOptions, WriteOptions};
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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn workloads_run_and_depend_on_their_inputs() {
        assert_ne!(
            puts_no_await(1, 500, 16, 100),
            puts_no_await(1, 600, 16, 100)
        );
        assert_ne!(puts_durable(1, 300, 16, 100), 0);
        let loaded = LoadedDb::load(1, 2_000, 16, 100);
        assert_eq!(
            loaded.random_gets(100, true),
            loaded.random_gets(100, false)
        );
        assert!(loaded.scan_all() >= 2_000);
        assert!(gets_random(2, 500, 50, false) > 0);
        assert!(scan_keys(2, 500) >= 500);
    }

    #[test]
    fn put_cost_follows_the_flush_interval() {
        // 1,000 writes a second with a 100 ms interval: about 10 WAL PUTs a second.
        let per_1000 = puts_per_1000_writes(1_000, 100, 2);
        assert!((8.0..=13.0).contains(&per_1000), "{per_1000}");
        // A 10 ms interval costs about ten times as much.
        let frequent = puts_per_1000_writes(1_000, 10, 2);
        assert!(frequent > 5.0 * per_1000, "{frequent} vs {per_1000}");
    }
}
