//! `strata run SCENARIO.json --store URL`: the scenario's workload, writer events and
//! durability checks in real time, against a real object store through the objstore crate's
//! `CloudStore`, on a single-threaded tokio runtime (objstore's `TokioRuntime`, clocked here).
//!
//! Stores: `s3://BUCKET/PREFIX` (object_store's AWS backend, configured by the standard
//! `AWS_*` variables, opened with a probe of its conditional PUTs), `file:///dir` (a local
//! directory, every object and its directory fsynced before a PUT is acknowledged) and
//! `memory://`. The trace hash of such a run is not reproducible (real latencies differ every
//! time); everything else in the summary means what it means for a simulated run.

use crate::commands::Failure;
use crate::wall::{unix_nanos_now, Stopwatch};
use std::rc::Rc;
use std::sync::Arc;
use strata_lab::{ExternalRun, Scenario, Summary};
use strata_objstore::cloud::CloudStore;
use strata_objstore::tokio_runtime::TokioRuntime;
use strata_objstore::ObjectStore;
use strata_sim::TraceConfig;

/// The backend a `--store` URL names. An `s3://` store is probed before anything is written.
async fn backend(url: &str) -> Result<Arc<dyn object_store::ObjectStore>, Failure> {
    if url.starts_with("s3://") {
        let builder = object_store::aws::AmazonS3Builder::from_env();
        // Unique to this open, so that two runs starting at once probe different keys.
        let probe_token = format!("{}-{}", std::process::id(), unix_nanos_now());
        let opened = strata_objstore::s3::open_s3(builder, url, &probe_token)
            .await
            .map_err(|e| Failure::runtime(format!("--store {url}: {e}")))?;
        Ok(opened.backend)
    } else if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(Failure::runtime(format!(
                "--store {url}: a file URL needs an absolute path (file:///dir)"
            )));
        }
        std::fs::create_dir_all(path)
            .map_err(|e| Failure::runtime(format!("--store {url}: cannot create {path}: {e}")))?;
        // Durable means durable: each object and its directory are fsynced before the PUT
        // returns, so an acknowledged write survives a power cut (docs/benchmarks.md has the
        // cost).
        let store = object_store::local::LocalFileSystem::new_with_prefix(path)
            .map_err(|e| Failure::runtime(format!("--store {url}: {e}")))?
            .with_fsync(true);
        Ok(Arc::new(store))
    } else if url == "memory://" || url == "memory:" {
        Ok(Arc::new(object_store::memory::InMemory::new()))
    } else {
        Err(Failure::runtime(format!(
            "--store {url}: expected s3://BUCKET/PREFIX, file:///absolute/dir or memory://"
        )))
    }
}

/// Runs `scenario` in real time against the store at `url`.
pub fn run(scenario: &Scenario, url: &str) -> Result<Summary, Failure> {
    // All drivers: the S3 client needs tokio's I/O driver, the engine its timers.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the tokio runtime: {e}")))?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let backend = backend(url).await?;
        // The run's clock starts once the store is open.
        let stopwatch = Stopwatch::start();
        let clock = Rc::new(TokioRuntime::new(
            scenario.seed,
            TraceConfig {
                ring_capacity: scenario.trace.ring_capacity,
            },
            Box::new(move || stopwatch.elapsed_nanos()),
        ));
        let metrics = strata_lab::metrics::subscribe(&mut clock.trace_mut());
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
                let trace = snapshot_clock.trace();
                (trace.hash(), trace.total_events())
            }),
        )
        .map_err(|e| Failure::runtime(e.to_string()))?;
        run.wait_finished().await;
        Ok(run.summary())
    })
}

/// The figures `--predict` sets side by side: a name, and where the summary JSON holds it (a
/// JSON pointer, or an operation whose request counts are summed over causes).
enum Figure {
    At(&'static str, &'static str),
    Requests(&'static str, &'static str),
}

const COMPARED: [Figure; 9] = [
    Figure::At("write latency p50 (ms)", "/latency/write/p50_ms"),
    Figure::At("write latency p99 (ms)", "/latency/write/p99_ms"),
    Figure::At("read latency p50 (ms)", "/latency/read/p50_ms"),
    Figure::At("read latency p99 (ms)", "/latency/read/p99_ms"),
    Figure::Requests("PUT requests", "put"),
    Figure::Requests("GET requests", "get"),
    Figure::Requests("LIST requests", "list"),
    Figure::Requests("DELETE requests", "delete"),
    Figure::At("cost (USD)", "/cost/total_usd"),
];

fn figure(summary: &serde_json::Value, which: &Figure) -> f64 {
    match which {
        Figure::At(_, pointer) => summary
            .pointer(pointer)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(0.0),
        Figure::Requests(_, op) => summary
            .pointer(&format!("/requests/{op}"))
            .and_then(serde_json::Value::as_object)
            .map_or(0.0, |by_cause| {
                by_cause
                    .values()
                    .filter_map(serde_json::Value::as_f64)
                    .sum()
            }),
    }
}

/// `strata run --store URL --predict`: the run on the real store beside the simulated store's
/// prediction for the same scenario, and for each figure the ratio real ÷ predicted (null when
/// the prediction is zero), so a user sees where the model and their bucket differ.
pub fn with_prediction(
    real: &Summary,
    predicted: &Summary,
) -> Result<serde_json::Value, serde_json::Error> {
    let real = serde_json::to_value(real)?;
    let predicted = serde_json::to_value(predicted)?;
    let rows: Vec<serde_json::Value> = COMPARED
        .iter()
        .map(|which| {
            let name = match which {
                Figure::At(name, _) | Figure::Requests(name, _) => *name,
            };
            let (on_store, in_model) = (figure(&real, which), figure(&predicted, which));
            let ratio = (in_model != 0.0).then(|| on_store / in_model);
            serde_json::json!({
                "figure": name,
                "store": on_store,
                "predicted": in_model,
                "store_over_predicted": ratio,
            })
        })
        .collect();
    Ok(serde_json::json!({
        "summary": real,
        "prediction": predicted,
        "store_vs_prediction": rows,
    }))
}
