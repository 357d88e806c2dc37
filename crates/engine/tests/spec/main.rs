//! The engine's specification, as tests: one module per behaviour, plus the
//! model-based property test. All of it runs natively and in wasm32, on the simulated store.
//!
//! `Harness` owns a simulation, an instant `SimStore` and a log of every trace event, so
//! tests can count requests by cause and look for engine events.

// This whole crate is tests; helpers outside `#[test]` functions may unwrap too.
#![allow(clippy::unwrap_used)]

mod amplification;
mod api;
mod backpressure;
mod causes;
mod compaction;
mod concurrent_open;
mod corruption;
mod fencing;
mod flush;
mod forged;
mod format;
mod gc;
mod hedging;
mod manifest;
mod model;
mod ranges;
mod reader;
mod reads;
mod recovery;
mod retries;
mod wal;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use strata_engine::{CompactionStyle, Db, DbOptions, GcReport, WriteOptions};
use strata_objstore::sim::{FaultAction, FaultId, FaultSpec};
use strata_objstore::{
    GetResult, ListPage, ObjectMeta, ObjectStore, PutMode, PutResult, SimStore, SimStoreConfig,
    StoreFuture,
};
use strata_sim::{Cause, EventKind, RequestRecord, RuntimeRef, Sim, SimDuration, SimTime, StoreOp};

/// A port that sends every request to `inner` except PUTs, which `put` answers, and GETs,
/// which `get` answers: tests use it to hold some PUTs (a stopped process), to answer them
/// itself, or to lose an object between a listing and its read. `pass_put` and `pass_get`
/// send a kind of request on unchanged.
pub struct HookStore<P, G> {
    pub inner: Rc<dyn ObjectStore>,
    pub put: P,
    pub get: G,
}

pub fn pass_put(
    inner: &Rc<dyn ObjectStore>,
    cause: Cause,
    key: &str,
    data: bytes::Bytes,
    mode: PutMode,
) -> StoreFuture<PutResult> {
    inner.put(cause, key, data, mode)
}

pub fn pass_get(
    inner: &Rc<dyn ObjectStore>,
    cause: Cause,
    key: &str,
    range: Option<std::ops::Range<u64>>,
) -> StoreFuture<GetResult> {
    inner.get(cause, key, range)
}

impl<P, G> ObjectStore for HookStore<P, G>
where
    P: Fn(&Rc<dyn ObjectStore>, Cause, &str, bytes::Bytes, PutMode) -> StoreFuture<PutResult>,
    G: Fn(
        &Rc<dyn ObjectStore>,
        Cause,
        &str,
        Option<std::ops::Range<u64>>,
    ) -> StoreFuture<GetResult>,
{
    fn put(
        &self,
        cause: Cause,
        key: &str,
        data: bytes::Bytes,
        mode: PutMode,
    ) -> StoreFuture<PutResult> {
        (self.put)(&self.inner, cause, key, data, mode)
    }

    fn get(
        &self,
        cause: Cause,
        key: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> StoreFuture<GetResult> {
        (self.get)(&self.inner, cause, key, range)
    }

    fn head(&self, cause: Cause, key: &str) -> StoreFuture<ObjectMeta> {
        self.inner.head(cause, key)
    }

    fn list(
        &self,
        cause: Cause,
        prefix: &str,
        page_token: Option<String>,
        max_keys: usize,
    ) -> StoreFuture<ListPage> {
        self.inner.list(cause, prefix, page_token, max_keys)
    }

    fn delete(&self, cause: Cause, key: &str) -> StoreFuture<()> {
        self.inner.delete(cause, key)
    }
}

pub struct Harness {
    pub sim: Sim,
    pub store: SimStore,
    pub runtime: RuntimeRef,
    pub events: Rc<RefCell<Vec<(SimTime, EventKind)>>>,
}

impl Harness {
    pub fn new(seed: u64) -> Self {
        Harness::with_store(seed, SimStoreConfig::instant())
    }

    pub fn with_store(seed: u64, config: SimStoreConfig) -> Self {
        let sim = Sim::new(seed);
        let store = SimStore::new(sim.handle(), config);
        let runtime: RuntimeRef = Rc::new(sim.handle());
        let events = Rc::new(RefCell::new(Vec::new()));
        let sink = events.clone();
        sim.trace_mut().subscribe(Box::new(move |event| {
            sink.borrow_mut().push((event.at, event.kind.clone()));
        }));
        Harness {
            sim,
            store,
            runtime,
            events,
        }
    }

    /// Makes every `op` under `prefix` a thousand times slower until the fault is removed:
    /// the request that is in flight then outlasts what the test does meanwhile.
    pub fn slow_down(&self, op: StoreOp, prefix: &str) -> FaultId {
        self.store
            .add_fault(
                FaultSpec::always(FaultAction::Slow { multiplier: 1000.0 })
                    .with_ops(&[op])
                    .with_key_prefix(prefix),
            )
            .unwrap()
    }

    pub fn port(&self) -> Rc<dyn ObjectStore> {
        Rc::new(self.store.clone())
    }

    /// Runs `future` to completion in simulated time.
    pub fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.sim
            .block_on(future)
            .expect("the simulation finishes the future")
    }

    pub fn open(&self, path: &str, options: DbOptions) -> Rc<Db> {
        let (runtime, port, path) = (self.runtime.clone(), self.port(), path.to_string());
        Rc::new(
            self.run(async move { Db::open(runtime, port, &path, options).await })
                .expect("open succeeds"),
        )
    }

    /// Writes `key(i)` = `value(i, version)` for every `i` in `keys`; with `flush`, then
    /// flushes every memtable.
    pub fn write_keys(
        &self,
        db: &Rc<Db>,
        keys: std::ops::Range<u64>,
        version: u64,
        options: WriteOptions,
        flush: bool,
    ) {
        let db = db.clone();
        self.run(async move {
            for i in keys {
                db.put(key(i), value(i, version), options).await?;
            }
            if flush {
                db.flush_memtables().await?;
            }
            Ok::<_, strata_engine::Error>(())
        })
        .expect("the writes succeed");
    }

    /// Compacts `db` until nothing is left to merge, under an eager size-tiered style: every
    /// SST it held is retired.
    pub fn compact_all(&self, db: &Rc<Db>) {
        db.set_compaction_style(CompactionStyle::SizeTiered {
            l0_trigger: 2,
            min_merge_runs: 2,
            max_runs: 8,
            size_ratio: 1.0,
        })
        .unwrap();
        let db = db.clone();
        self.run(async move { db.compact_until_idle().await })
            .expect("compaction succeeds");
    }

    /// Runs one GC pass of `db` to its end.
    pub fn run_gc(&self, db: &Rc<Db>) -> GcReport {
        let db = db.clone();
        self.run(async move { db.run_gc().await })
            .expect("the GC pass succeeds")
    }

    /// Lets simulated time pass (background tasks run).
    pub fn advance(&self, duration: SimDuration) {
        let until = self.sim.now() + duration;
        self.sim
            .run_until(until, u64::MAX)
            .expect("the simulation advances");
    }

    /// Every store request recorded so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.events
            .borrow()
            .iter()
            .filter_map(|(_, kind)| match kind {
                EventKind::Request(record) => Some(record.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn count_requests(&self, op: StoreOp, cause: Cause) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.op == op && r.cause == cause)
            .count()
    }

    /// How many events of the given `EventKind::name` were recorded.
    pub fn count_events(&self, name: &str) -> usize {
        self.events
            .borrow()
            .iter()
            .filter(|(_, kind)| kind.name() == name)
            .count()
    }

    /// Stored object keys under `prefix`, out of band.
    pub fn keys_under(&self, prefix: &str) -> Vec<String> {
        self.store
            .keys()
            .into_iter()
            .filter(|key| key.starts_with(prefix))
            .collect()
    }
}

/// Options that make every mechanism happen in a small test: tiny memtables and blocks, GC
/// off unless a test turns it on.
pub fn small_options() -> DbOptions {
    DbOptions {
        flush_interval: SimDuration::from_millis(100),
        max_wal_bytes: 64 * 1024,
        memtable_bytes: 4 * 1024,
        max_immutable_memtables: 4,
        block_bytes: 256,
        bloom_bits_per_key: 10,
        block_cache_bytes: 64 * 1024,
        gc_interval: SimDuration::ZERO,
        gc_min_age: SimDuration::from_secs(10),
        ..DbOptions::default()
    }
}

pub fn key(i: u64) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

pub fn value(i: u64, version: u64) -> Vec<u8> {
    format!("value-{i}-{version}-{}", "x".repeat((i % 13) as usize)).into_bytes()
}
