//! `cargo bench -p strata-objstore --features cloud --bench real_stores`: what requests and
//! durable writes cost on real stores, beside the simulated S3 Express preset with its latency
//! set to zero (which shows the simulator's own overhead).
//!
//! Stores: the simulated store (S3 Express pricing, zero latency, run in simulated time and
//! clocked on the wall); object_store's InMemory; a local directory with and without fsync
//! (what durability costs on a file store); and an S3 API on loopback when
//! `STRATA_S3_TEST_ENDPOINT` and `STRATA_S3_TEST_BUCKET` name one (moto, as `cargo xtask test`
//! starts it). Workloads, the same on every store:
//! - requests: PUT 1,000 objects of 4 KiB, 8 in flight, then GET each once, 8 in flight;
//! - engine: 8 writers each making 250 durable puts of 100-byte values (flush every 10 ms):
//!   writes per second and object-store PUTs per 1,000 writes.
//!
//! A benchmark, not a test: it reads the wall clock, and its figures go to docs/benchmarks.md.
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/support/moto_builder.rs"]
mod moto_builder;

/// Native only: the real stores and tokio do not target the browser.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::moto_builder::builder;
    use bytes::Bytes;
    use std::cell::RefCell;
    use std::future::Future;
    use std::pin::Pin;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::task::Poll;
    use std::time::Instant;
    use strata_engine::{Db, DbOptions, WriteOptions};
    use strata_objstore::tokio_runtime::TokioRuntime;
    use strata_objstore::{CloudStore, ObjectStore, PutMode, SimStore, SimStoreConfig};
    use strata_sim::{Cause, EventKind, RuntimeRef, Sim, SimDuration, StoreOp, Trace, TraceConfig};

    const OBJECTS: usize = 1000;
    const OBJECT_BYTES: usize = 4096;
    const IN_FLIGHT: usize = 8;
    const WRITERS: usize = 8;
    const WRITES_PER_WRITER: usize = 250;

    type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

    /// Runs every future to completion, polling them in turn.
    async fn join_all(mut futures: Vec<LocalFuture>) {
        std::future::poll_fn(move |cx| {
            futures.retain_mut(|future| future.as_mut().poll(cx).is_pending());
            if futures.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    /// Wall-clock seconds taken by `lanes` futures, each doing every `IN_FLIGHT`-th item.
    async fn timed_lanes(make: impl Fn(usize) -> LocalFuture) -> f64 {
        let started = Instant::now();
        join_all((0..IN_FLIGHT).map(make).collect()).await;
        started.elapsed().as_secs_f64()
    }

    struct Figures {
        puts_per_sec: f64,
        gets_per_sec: f64,
        writes_per_sec: f64,
        puts_per_1000_writes: f64,
    }

    async fn requests(store: Rc<dyn ObjectStore>, root: &str) -> (f64, f64) {
        let body = Bytes::from(vec![7u8; OBJECT_BYTES]);
        let put_secs = timed_lanes(|lane| {
            let (store, body, root) = (store.clone(), body.clone(), root.to_string());
            Box::pin(async move {
                for i in (lane..OBJECTS).step_by(IN_FLIGHT) {
                    let key = format!("{root}/bench/{i:06}");
                    store
                        .put(Cause::Other, &key, body.clone(), PutMode::Overwrite)
                        .await
                        .unwrap();
                }
            })
        })
        .await;
        let get_secs = timed_lanes(|lane| {
            let (store, root) = (store.clone(), root.to_string());
            Box::pin(async move {
                for i in (lane..OBJECTS).step_by(IN_FLIGHT) {
                    let key = format!("{root}/bench/{i:06}");
                    let got = store.get(Cause::Read, &key, None).await.unwrap();
                    assert_eq!(got.bytes.len(), OBJECT_BYTES);
                }
            })
        })
        .await;
        (OBJECTS as f64 / put_secs, OBJECTS as f64 / get_secs)
    }

    /// Durable writes from `WRITERS` writers; returns writes per second.
    async fn engine(runtime: RuntimeRef, store: Rc<dyn ObjectStore>, root: &str) -> f64 {
        let options = DbOptions {
            flush_interval: SimDuration::from_millis(10),
            ..DbOptions::default()
        };
        let db = Rc::new(
            Db::open(runtime, store, &format!("{root}/db"), options)
                .await
                .unwrap(),
        );
        let started = Instant::now();
        let lanes = (0..WRITERS)
            .map(|writer| {
                let db = db.clone();
                Box::pin(async move {
                    for i in 0..WRITES_PER_WRITER {
                        let key = format!("w{writer}-{i:05}");
                        db.put(key.as_bytes(), [b'v'; 100], WriteOptions::DURABLE)
                            .await
                            .unwrap();
                    }
                }) as LocalFuture
            })
            .collect();
        join_all(lanes).await;
        let secs = started.elapsed().as_secs_f64();
        db.close().await.unwrap();
        (WRITERS * WRITES_PER_WRITER) as f64 / secs
    }

    /// Every event `trace` records from now on.
    fn record_events(trace: &mut Trace) -> Rc<RefCell<Vec<EventKind>>> {
        let events = Rc::new(RefCell::new(Vec::new()));
        let sink = events.clone();
        trace.subscribe(Box::new(move |event| {
            sink.borrow_mut().push(event.kind.clone());
        }));
        events
    }

    fn engine_puts(events: &[EventKind]) -> usize {
        events
            .iter()
            .filter(|kind| {
                matches!(kind, EventKind::Request(record)
                if record.op == StoreOp::Put && record.cause != Cause::Other)
            })
            .count()
    }

    fn per_1000(puts: usize) -> f64 {
        puts as f64 * 1000.0 / (WRITERS * WRITES_PER_WRITER) as f64
    }

    /// Both workloads on `store`, with `events` recording the runtime's trace.
    async fn measure(
        runtime: RuntimeRef,
        store: Rc<dyn ObjectStore>,
        root: String,
        events: Rc<RefCell<Vec<EventKind>>>,
    ) -> Figures {
        let (puts_per_sec, gets_per_sec) = requests(store.clone(), &root).await;
        let writes_per_sec = engine(runtime, store, &root).await;
        let puts = engine_puts(&events.borrow());
        Figures {
            puts_per_sec,
            gets_per_sec,
            writes_per_sec,
            puts_per_1000_writes: per_1000(puts),
        }
    }

    fn simulated() -> Figures {
        let sim = Sim::new(1);
        let config = SimStoreConfig {
            latency: SimStoreConfig::instant().latency,
            ..SimStoreConfig::s3_express()
        };
        let store: Rc<dyn ObjectStore> = Rc::new(SimStore::new(sim.handle(), config));
        let runtime: RuntimeRef = Rc::new(sim.handle());
        let events = record_events(&mut sim.trace_mut());
        sim.block_on(measure(runtime, store, "sim".to_string(), events))
            .unwrap()
    }

    fn real(backend: Arc<dyn object_store::ObjectStore>, root: &str) -> Figures {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        tokio::task::LocalSet::new().block_on(&tokio, async move {
            let started = Instant::now();
            let runtime = Rc::new(TokioRuntime::new(
                1,
                TraceConfig::default(),
                Box::new(move || started.elapsed().as_nanos() as u64),
            ));
            let events = record_events(&mut runtime.trace_mut());
            let store: Rc<dyn ObjectStore> =
                Rc::new(CloudStore::new(backend, runtime.clone() as RuntimeRef));
            measure(runtime, store, root.to_string(), events).await
        })
    }

    fn local_dir(fsync: bool) -> Arc<dyn object_store::ObjectStore> {
        let dir = std::env::temp_dir().join(format!(
            "strata-bench-{}-{}",
            if fsync { "fsync" } else { "nofsync" },
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(&dir)
                .unwrap()
                .with_fsync(fsync),
        )
    }

    fn moto() -> Option<Arc<dyn object_store::ObjectStore>> {
        let endpoint = std::env::var("STRATA_S3_TEST_ENDPOINT").ok()?;
        let bucket = std::env::var("STRATA_S3_TEST_BUCKET").ok()?;
        assert!(endpoint.starts_with("http://127.0.0.1:"), "loopback only");
        let store = builder(&endpoint).with_bucket_name(bucket).build().unwrap();
        Some(Arc::new(store))
    }

    pub fn main() {
        // `cargo bench` passes --bench; this harness takes no arguments.
        let root = format!("bench-{}", std::process::id());
        println!(
            "{:<44} {:>10} {:>10} {:>10} {:>14}",
            "store", "puts/s", "gets/s", "writes/s", "PUTs/1k writes"
        );
        let mut rows: Vec<(&str, Figures)> =
            vec![("simulated S3 Express, zero latency", simulated())];
        rows.push((
            "object_store InMemory",
            real(Arc::new(object_store::memory::InMemory::new()), &root),
        ));
        rows.push(("local directory, no fsync", real(local_dir(false), &root)));
        rows.push((
            "local directory, fsync (file:// default)",
            real(local_dir(true), &root),
        ));
        match moto() {
            Some(backend) => rows.push(("S3 API on loopback (moto)", real(backend, &root))),
            None => {
                println!("(S3 API skipped: set STRATA_S3_TEST_ENDPOINT and STRATA_S3_TEST_BUCKET)")
            }
        }
        for (name, figures) in &rows {
            println!(
                "{name:<44} {:>10.0} {:>10.0} {:>10.0} {:>14.1}",
                figures.puts_per_sec,
                figures.gets_per_sec,
                figures.writes_per_sec,
                figures.puts_per_1000_writes
            );
        }
        let by_name = |wanted: &str| {
            rows.iter()
                .find(|(name, _)| name.starts_with(wanted))
                .map(|(_, f)| f)
        };
        if let (Some(off), Some(on)) = (
            by_name("local directory, no"),
            by_name("local directory, fsync"),
        ) {
            println!(
            "fsync on the file store: puts/s x{:.2}, durable writes/s x{:.2} (with fsync / without)",
            on.puts_per_sec / off.puts_per_sec,
            on.writes_per_sec / off.writes_per_sec
        );
        }
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::main();
}
