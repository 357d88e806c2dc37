//! A corrupt compaction input: the job fails with a typed `Corrupt` error, the engine counts
//! it and quarantines the SST from compaction planning, and it does not download the inputs
//! again and again.

use crate::{key, small_options, value, Harness};
use strata_engine::{CompactionStyle, ErrorKind, ReadOptions, WriteOptions};
use strata_sim::{Cause, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn tiered() -> CompactionStyle {
    CompactionStyle::SizeTiered {
        l0_trigger: 4,
        min_merge_runs: 2,
        max_runs: 8,
        size_ratio: 1.0,
    }
}

#[test]
fn a_corrupt_compaction_input_is_quarantined_not_downloaded_every_interval() {
    let harness = Harness::new(90);
    let db = harness.open("db", small_options());
    harness
        .run({
            let db = db.clone();
            async move {
                for round in 0..4 {
                    for i in 0..20 {
                        db.put(key(i), value(i, round), WriteOptions::NO_AWAIT)
                            .await?;
                    }
                    db.flush_memtables().await?;
                }
                Ok::<_, strata_engine::Error>(())
            }
        })
        .unwrap();
    let ssts = harness.keys_under("db/sst/");
    assert_eq!(ssts.len(), 4);
    // Silent corruption of the oldest SST, inside its first data block.
    harness.store.flip_bit(Some(&ssts[0]), Some(8 * 8)).unwrap();

    let first = harness.run({
        let db = db.clone();
        async move {
            db.set_compaction_style(tiered())?;
            db.compact().await
        }
    });
    let error = first.expect_err("the corrupt input fails the job");
    assert_eq!(error.kind(), ErrorKind::Corrupt, "{error}");
    let gets_after_first = harness.count_requests(StoreOp::Get, Cause::Compaction);
    assert!(gets_after_first <= 4, "{gets_after_first}");

    // Many compaction intervals later, with more flushes kicking the compactor.
    for round in 4..8 {
        harness
            .run({
                let db = db.clone();
                async move {
                    for i in 0..20 {
                        db.put(key(i), value(i, round), WriteOptions::NO_AWAIT)
                            .await?;
                    }
                    db.flush_memtables().await
                }
            })
            .unwrap();
        harness.advance(SimDuration::from_secs(5));
    }
    assert_eq!(
        harness.count_requests(StoreOp::Get, Cause::Compaction),
        gets_after_first,
        "the quarantined input is not downloaded again"
    );
    let state = db.state();
    assert_eq!(state.counters.compaction_corrupt_inputs, 1);
    assert_eq!(state.quarantined_ssts.len(), 1);
    assert!(ssts[0].contains(&format!("{:020}", state.quarantined_ssts[0])));
    let planned = harness.run({
        let db = db.clone();
        async move { db.compact().await }
    });
    assert_eq!(
        planned.unwrap(),
        None,
        "nothing is planned over the quarantined SST"
    );
    // Writes go on, and the newest values read back from memtables and healthy SSTs.
    let newest = harness
        .run(async move { db.get(key(3), ReadOptions::default()).await })
        .unwrap();
    assert_eq!(newest.as_deref(), Some(value(3, 7).as_slice()));
}
