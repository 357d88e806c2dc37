//! `strata run SCENARIO.json --store URL`: the scenario's workload, writer events and
//! durability checks in real time, against a real object store through the objstore crate's
//! `CloudStore`, on a single-threaded tokio runtime.
//!
//! `TokioRuntime` implements `strata_sim::Runtime` over tokio's local executor and the wall
//! clock (time since the run started), with the same trace and named random streams as a
//! simulation. The trace hash of such a run is not reproducible (real latencies differ every
//! time); everything else in the summary means what it means for a simulated run.

use crate::commands::Failure;
use crate::wall::{unix_nanos_now, Stopwatch};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use strata_lab::{ExternalRun, Scenario, Summary};
use strata_objstore::cloud::CloudStore;
use strata_objstore::ObjectStore;
use strata_sim::{
    AbortHandle, EventKind, LocalBoxFuture, RngStreams, Runtime, SimDuration, SimRng, SimTime,
    Trace, TraceConfig,
};

/// `strata_sim::Runtime` over tokio's current-thread executor (inside a `LocalSet`).
pub struct TokioRuntime {
    clock: Stopwatch,
    trace: RefCell<Trace>,
    streams: RngStreams,
}

impl TokioRuntime {
    pub fn new(seed: u64, trace: TraceConfig) -> Self {
        TokioRuntime {
            clock: Stopwatch::start(),
            trace: RefCell::new(Trace::new(trace)),
            streams: RngStreams::new(seed),
        }
    }
}

impl Runtime for TokioRuntime {
    fn now(&self) -> SimTime {
        SimTime::from_nanos(self.clock.elapsed_nanos())
    }

    fn sleep(&self, duration: SimDuration) -> LocalBoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(std::time::Duration::from_nanos(
            duration.as_nanos(),
        )))
    }

    fn spawn_detached(&self, future: LocalBoxFuture<'static, ()>) -> AbortHandle {
        let task = tokio::task::spawn_local(future);
        AbortHandle::from_fn(move || task.abort())
    }

    fn record(&self, kind: EventKind) {
        let now = self.now();
        self.trace.borrow_mut().record(now, kind);
    }

    fn record_at(&self, at: SimTime, kind: EventKind) {
        self.trace.borrow_mut().record(at, kind);
    }

    fn rng(&self, name: &str) -> SimRng {
        self.streams.stream(name)
    }
}

/// The backend a `--store` URL names.
fn backend(url: &str) -> Result<Arc<dyn object_store::ObjectStore>, Failure> {
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(Failure::runtime(format!(
                "--store {url}: a file URL needs an absolute path (file:///dir)"
            )));
        }
        std::fs::create_dir_all(path)
            .map_err(|e| Failure::runtime(format!("--store {url}: cannot create {path}: {e}")))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(path)
            .map_err(|e| Failure::runtime(format!("--store {url}: {e}")))?;
        Ok(Arc::new(store))
    } else if url == "memory://" || url == "memory:" {
        Ok(Arc::new(object_store::memory::InMemory::new()))
    } else {
        Err(Failure::runtime(format!(
            "--store {url}: expected file:///absolute/dir or memory://"
        )))
    }
}

/// Runs `scenario` in real time against the store at `url`.
pub fn run(scenario: &Scenario, url: &str) -> Result<Summary, Failure> {
    let backend = backend(url)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the tokio runtime: {e}")))?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let clock = Rc::new(TokioRuntime::new(
            scenario.seed,
            TraceConfig {
                ring_capacity: scenario.trace.ring_capacity,
            },
        ));
        let metrics = strata_lab::metrics::subscribe(&mut clock.trace.borrow_mut());
        let pricing = strata_lab::runner::store_config(&scenario.store).pricing;
        let store = CloudStore::new(backend, clock.clone())
            .with_pricing(pricing)
            .with_run_start_epoch_nanos(unix_nanos_now());
        let store: Rc<dyn ObjectStore> = Rc::new(store);
        let snapshot_clock = clock.clone();
        let run = ExternalRun::start(
            scenario,
            clock,
            store,
            metrics,
            Box::new(move || {
                let trace = snapshot_clock.trace.borrow();
                (trace.hash(), trace.total_events())
            }),
        )
        .map_err(|e| Failure::runtime(e.to_string()))?;
        run.wait_finished().await;
        Ok(run.summary())
    })
}
