//! One semantics suite for every `ObjectStore`: conditional PUTs, ranged GETs, HEAD, paginated
//! LIST, DELETE and typed errors for bad input. It runs against the simulated store (natively
//! and in wasm32) and, natively with the `cloud` feature, against the adapter over
//! object_store's LocalFileSystem and InMemory.

#[path = "support/semantics_suite.rs"]
mod semantics_suite;

use semantics_suite::{semantics_suite, SuiteReport};
use strata_objstore::{SimStore, SimStoreConfig};
use strata_sim::Sim;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

// The simulated store.
fn run_suite(config: SimStoreConfig) -> SuiteReport {
    let sim = Sim::new(11);
    let store = SimStore::new(sim.handle(), config);
    sim.block_on(async move { semantics_suite(&store, "suite/").await })
        .expect("the suite finishes")
}

#[test]
fn the_simulated_store_passes_the_suite_instantly() {
    assert_eq!(run_suite(SimStoreConfig::instant()), SuiteReport::default());
}

#[test]
fn the_simulated_store_passes_the_suite_with_s3_latency() {
    assert_eq!(
        run_suite(SimStoreConfig::s3_standard()),
        SuiteReport::default()
    );
    assert_eq!(
        run_suite(SimStoreConfig::s3_express()),
        SuiteReport::default()
    );
}

/// The adapter over object_store, natively. The suite's verdict per backend is asserted
/// exactly, so a skip is a stated fact: LocalFileSystem has no conditional update.
#[cfg(all(feature = "cloud", not(target_arch = "wasm32")))]
mod cloud {
    use super::{semantics_suite, SuiteReport};
    use object_store::local::LocalFileSystem;
    use object_store::memory::InMemory;
    use std::rc::Rc;
    use std::sync::Arc;
    use strata_objstore::CloudStore;
    use strata_sim::{EventKind, RequestOutcome, RuntimeRef, Sim};

    /// Runs the suite on a current-thread tokio runtime (LocalFileSystem moves file I/O to
    /// its blocking pool), stamping requests with a simulation's clock. Returns the report and
    /// the outcomes traced.
    fn run_suite(
        backend: Arc<dyn object_store::ObjectStore>,
    ) -> (SuiteReport, Vec<RequestOutcome>) {
        let sim = Sim::new(1);
        let runtime: RuntimeRef = Rc::new(sim.handle());
        let store = CloudStore::new(backend, runtime);
        let tokio = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
        let report = tokio.block_on(semantics_suite(&store, "suite/"));
        let outcomes = sim
            .trace()
            .retained()
            .filter_map(|event| match &event.kind {
                EventKind::Request(record) => Some(record.outcome),
                _ => None,
            })
            .collect();
        (report, outcomes)
    }

    #[test]
    fn the_adapter_over_in_memory_passes_the_whole_suite() {
        let (report, outcomes) = run_suite(Arc::new(InMemory::new()));
        assert_eq!(report, SuiteReport::default());
        assert!(outcomes.contains(&RequestOutcome::PreconditionFailed));
        assert!(outcomes.contains(&RequestOutcome::AlreadyExists));
        assert!(outcomes.contains(&RequestOutcome::Invalid));
    }

    #[test]
    fn the_adapter_over_local_files_passes_all_but_conditional_update() {
        let directory =
            std::env::temp_dir().join(format!("strata-objstore-semantics-{}", std::process::id()));
        std::fs::create_dir_all(&directory).expect("a temp dir");
        let backend = LocalFileSystem::new_with_prefix(&directory)
            .expect("a local store")
            .with_fsync(true);
        let (report, outcomes) = run_suite(Arc::new(backend));
        std::fs::remove_dir_all(&directory).expect("cleans up");
        assert_eq!(
            report,
            SuiteReport {
                skipped: vec!["update_if_match"]
            }
        );
        assert!(outcomes.contains(&RequestOutcome::AlreadyExists));
    }
}
