//! Every store request carries the cause that made it: wal, flush, manifest, gc or
//! read (compaction comes later).

use crate::{key, small_options, value, Harness};
use std::collections::BTreeSet;
use strata_engine::{DbOptions, ReadOptions, WriteOptions};
use strata_sim::{Cause, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn every_request_is_tagged_with_the_mechanism_that_made_it() {
    let harness = Harness::new(90);
    let options = DbOptions {
        gc_interval: SimDuration::from_secs(2),
        gc_min_age: SimDuration::from_secs(1),
        ..small_options()
    };
    let db = harness.open("db", options.clone());
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..200 {
                    db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
                }
                db.flush_memtables().await?;
                db.close().await
            }
        })
        .unwrap();
    let reader = harness.open("db", options);
    harness
        .run({
            let reader = reader.clone();
            async move {
                for i in 0..200 {
                    assert!(reader.get(key(i), ReadOptions::default()).await?.is_some());
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    harness.advance(SimDuration::from_secs(5));

    let requests = harness.requests();
    let causes: BTreeSet<Cause> = requests.iter().map(|r| r.cause).collect();
    assert_eq!(
        causes,
        BTreeSet::from([
            Cause::Wal,
            Cause::Flush,
            Cause::Manifest,
            Cause::Gc,
            Cause::Read
        ])
    );
    for request in &requests {
        let expected: &[Cause] = match (request.op, request.key.as_str()) {
            (StoreOp::Put, k) if k.starts_with("db/wal/") => &[Cause::Wal],
            (StoreOp::Put, k) if k.starts_with("db/sst/") => &[Cause::Flush],
            (StoreOp::Put, k) if k.starts_with("db/manifest/") => &[Cause::Manifest],
            (StoreOp::Delete, _) => &[Cause::Gc],
            (StoreOp::Get, k) if k.starts_with("db/sst/") => &[Cause::Read],
            (StoreOp::Get, k) if k.starts_with("db/wal/") => &[Cause::Wal],
            (StoreOp::Get | StoreOp::List, k) if k.starts_with("db/manifest/") => {
                &[Cause::Manifest, Cause::Gc]
            }
            (StoreOp::List, k) if k.starts_with("db/wal/") => &[Cause::Wal, Cause::Gc],
            (StoreOp::List, k) if k.starts_with("db/sst/") => &[Cause::Gc],
            _ => &[],
        };
        assert!(
            expected.contains(&request.cause),
            "{:?} {} tagged {:?}",
            request.op,
            request.key,
            request.cause
        );
    }
}
