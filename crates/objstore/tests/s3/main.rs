//! The port, the engine and the recommender's checkpoints against a real S3 API on loopback
//! (moto's server, which `cargo xtask test` installs, starts and stops), through object_store's
//! AWS backend and `CloudStore`, in real time on tokio.
//!
//! Every test needs `STRATA_S3_TEST_ENDPOINT` (`http://127.0.0.1:PORT`) and
//! `STRATA_S3_TEST_BUCKET` (an existing bucket). Without them each test says it was skipped,
//! on the terminal (not in captured output), and returns. Only loopback endpoints are
//! accepted: these tests create and delete objects freely.
//!
//! Modules: `open` (bad input and the probe at open), `port` (the semantics suite and
//! conditional-PUT races), `engine` (model test, zombie writer, crash and recover),
//! `checkpoints` (the recommender's log and checkpoints), `fake` (an HTTP server that
//! ignores conditional PUTs).
#![cfg(all(feature = "cloud", not(target_arch = "wasm32")))]
// Tests unwrap freely, and clock a real-time run with the wall clock.
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

mod checkpoints;
mod engine;
mod fake;
#[path = "../support/moto_builder.rs"]
mod moto_builder;
mod open;
mod port;
#[path = "../support/semantics_suite.rs"]
mod semantics_suite;

pub use moto_builder::builder;

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;
use std::rc::Rc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use strata_objstore::s3::open_s3;
use strata_objstore::tokio_runtime::TokioRuntime;
use strata_objstore::{CloudStore, ObjectStore};
use strata_sim::{EventKind, RequestRecord, RuntimeRef, TraceConfig};

pub const ENDPOINT_VAR: &str = "STRATA_S3_TEST_ENDPOINT";
pub const BUCKET_VAR: &str = "STRATA_S3_TEST_BUCKET";

/// The S3 API the tests run against.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub url: String,
    pub bucket: String,
}

/// The endpoint from the environment, or `None` after telling the terminal that `test` was
/// skipped and why.
pub fn endpoint(test: &str) -> Option<Endpoint> {
    let url = std::env::var(ENDPOINT_VAR).unwrap_or_default();
    let bucket = std::env::var(BUCKET_VAR).unwrap_or_default();
    if url.is_empty() || bucket.is_empty() {
        // Straight to stderr, past the test harness's capture, so the skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: no S3 endpoint; set {ENDPOINT_VAR}=http://127.0.0.1:PORT and \
             {BUCKET_VAR}=BUCKET, or run `cargo xtask test`, which starts moto"
        );
        return None;
    }
    assert!(
        url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:"),
        "{ENDPOINT_VAR}={url}: these tests write and delete freely, so only a loopback \
         endpoint is accepted"
    );
    Some(Endpoint { url, bucket })
}

/// A prefix no other test or run uses: the test's name, the process and the wall clock.
pub fn unique(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{name}-{}-{nanos}", std::process::id())
}

/// Runs `make()`'s future on a current-thread tokio runtime inside a `LocalSet` (the port's
/// futures are not `Send`).
pub fn run_local<F: Future>(make: impl FnOnce() -> F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    tokio::task::LocalSet::new().block_on(&runtime, make())
}

/// A run against one fresh prefix: the runtime (with its trace), the port, and every trace
/// event recorded.
pub struct World {
    pub runtime: Rc<TokioRuntime>,
    pub store: Rc<dyn ObjectStore>,
    pub events: Rc<RefCell<Vec<EventKind>>>,
    pub url: String,
}

impl World {
    /// Opens `s3://BUCKET/{unique(name)}` (probe included). Call inside `run_local`.
    pub async fn open(endpoint: &Endpoint, name: &str, seed: u64) -> World {
        let started = Instant::now();
        let runtime = Rc::new(TokioRuntime::new(
            seed,
            TraceConfig::default(),
            Box::new(move || u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX)),
        ));
        let events = Rc::new(RefCell::new(Vec::new()));
        let sink = events.clone();
        runtime.trace_mut().subscribe(Box::new(move |event| {
            sink.borrow_mut().push(event.kind.clone());
        }));
        let url = format!("s3://{}/{}", endpoint.bucket, unique(name));
        let opened = open_s3(builder(&endpoint.url), &url, &unique("probe"))
            .await
            .unwrap_or_else(|error| panic!("open {url}: {error}"));
        let store: Rc<dyn ObjectStore> = Rc::new(CloudStore::new(
            opened.backend,
            runtime.clone() as RuntimeRef,
        ));
        World {
            runtime,
            store,
            events,
            url,
        }
    }

    pub fn runtime_ref(&self) -> RuntimeRef {
        self.runtime.clone()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.events
            .borrow()
            .iter()
            .filter_map(|kind| match kind {
                EventKind::Request(record) => Some(record.clone()),
                _ => None,
            })
            .collect()
    }
}
