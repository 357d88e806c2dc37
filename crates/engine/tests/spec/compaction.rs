//! Compaction. Under a steady write load both styles keep L0 bounded; the
//! style can be switched while running; a compaction reads with GETs and writes with PUTs
//! tagged `compaction`, drops tombstones at the bottom, and commits through the manifest; a
//! fenced or crashed compactor cannot commit, and its outputs become garbage for GC.

use crate::{key, small_options, value, Harness};
use std::rc::Rc;
use strata_engine::format::manifest::Manifest;
use strata_engine::{
    CompactionOptions, CompactionStyle, Db, DbOptions, ErrorKind, ReadOptions, WriteOptions,
};
use strata_objstore::SimStoreConfig;
use strata_sim::sync::race;
use strata_sim::{Cause, SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn leveled() -> CompactionStyle {
    CompactionStyle::Leveled {
        l0_trigger: 4,
        level_base_bytes: 16 * 1024,
        level_ratio: 4.0,
        max_levels: 4,
    }
}

fn tiered() -> CompactionStyle {
    CompactionStyle::SizeTiered {
        l0_trigger: 4,
        min_merge_runs: 3,
        max_runs: 6,
        size_ratio: 1.0,
    }
}

fn with_style(style: CompactionStyle) -> DbOptions {
    DbOptions {
        compaction: CompactionOptions {
            style,
            target_sst_bytes: 8 * 1024,
        },
        ..small_options()
    }
}

/// Writes `writes` updates over 300 keys, one every 2 ms; returns the largest L0 and run
/// counts seen along the way.
fn steady_load(harness: &Harness, db: &Rc<Db>, writes: u64) -> (usize, usize) {
    let db = db.clone();
    let handle = harness.sim.handle();
    harness.run(async move {
        let (mut max_l0, mut max_runs) = (0, 0);
        for i in 0..writes {
            db.put(key(i % 300), value(i, i), WriteOptions::NO_AWAIT)
                .await
                .unwrap();
            handle.sleep(SimDuration::from_millis(2)).await;
            let state = db.state();
            max_l0 = max_l0.max(state.l0.len());
            max_runs = max_runs.max(state.runs.len());
        }
        (max_l0, max_runs)
    })
}

#[test]
fn both_styles_keep_l0_bounded_under_a_steady_write_load() {
    for style in [leveled(), tiered()] {
        let name = style.name();
        let harness = Harness::with_store(1, SimStoreConfig::s3_express());
        let db = harness.open("db", with_style(style));
        let (max_l0, max_runs) = steady_load(&harness, &db, 6_000);
        let state = db.state();
        assert!(state.counters.ssts_written > 40, "{name}: too few flushes");
        assert!(
            state.counters.compactions > 5,
            "{name}: {:?}",
            state.counters
        );
        assert!(max_l0 <= 6, "{name}: L0 reached {max_l0}");
        assert!(max_runs <= 7, "{name}: {max_runs} runs");
        // Without compaction, the same load leaves every flush in L0.
        if name == "leveled" {
            let harness = Harness::with_store(1, SimStoreConfig::s3_express());
            let db = harness.open("db", with_style(CompactionStyle::None));
            let (max_l0, _) = steady_load(&harness, &db, 6_000);
            assert!(max_l0 > 40, "no compaction, L0 {max_l0}");
        }
    }
}

#[test]
fn compaction_reads_merges_writes_and_commits_with_its_own_cause() {
    let harness = Harness::new(2);
    let options = DbOptions {
        memtable_bytes: 64 * 1024,
        ..with_style(CompactionStyle::None)
    };
    let db = harness.open("db", options);
    let d = db.clone();
    harness.run(async move {
        for round in 0..4u64 {
            for i in 0..60 {
                d.put(key(i), value(i, round), WriteOptions::NO_AWAIT)
                    .await
                    .unwrap();
            }
            // Delete a few keys in the last round: at the bottom their tombstones go.
            if round == 3 {
                for i in 0..10 {
                    d.delete(key(i), WriteOptions::NO_AWAIT).await.unwrap();
                }
            }
            d.flush_memtables().await.unwrap();
        }
    });
    assert_eq!(db.state().l0.len(), 4);
    assert_eq!(db.plan_compaction(), None, "no style, no plan");
    db.set_compaction_style(leveled()).unwrap();
    let task = db.plan_compaction().expect("L0 is at the trigger");
    assert!(task.bottom, "nothing lies below L0 yet");
    // The switch wakes the background compactor, which runs the planned job.
    harness.advance(SimDuration::from_secs(1));
    let state = db.state();
    assert_eq!(state.counters.compactions, 1);
    assert!(state.l0.is_empty());
    assert_eq!(state.runs.len(), 1);
    assert_eq!(state.runs[0].level, 1);
    let entries: u64 = state.runs[0].ssts.iter().map(|sst| sst.entries).sum();
    assert_eq!(
        entries, 50,
        "60 keys, 10 deleted: tombstones dropped at the bottom"
    );
    assert_eq!(harness.count_requests(StoreOp::Get, Cause::Compaction), 4);
    assert_eq!(
        harness.count_requests(StoreOp::Put, Cause::Compaction),
        state.runs[0].ssts.len()
    );
    let d = db.clone();
    assert_eq!(harness.run(async move { d.compact().await }).unwrap(), None);
    assert_eq!(harness.count_events("compaction_started"), 1);
    assert_eq!(harness.count_events("compaction_finished"), 1);
    // The newest values survive; deleted keys stay deleted.
    let d = db.clone();
    harness.run(async move {
        for i in 0..60 {
            let got = d.get(key(i), ReadOptions::MEMORY).await.unwrap();
            let expected = (i >= 10).then(|| value(i, 3));
            assert_eq!(got.map(|b| b.to_vec()), expected, "key {i}");
        }
    });
    // And so does a fresh writer, from the manifest alone.
    db.crash();
    let reopened = harness.open("db", with_style(leveled()));
    harness.run(async move {
        for i in 0..60 {
            let got = reopened.get(key(i), ReadOptions::MEMORY).await.unwrap();
            assert_eq!(got.map(|b| b.to_vec()), (i >= 10).then(|| value(i, 3)));
        }
    });
}

#[test]
fn switching_styles_while_running_takes_effect_at_the_next_plan() {
    let harness = Harness::with_store(3, SimStoreConfig::s3_express());
    let db = harness.open("db", with_style(tiered()));
    steady_load(&harness, &db, 3_000);
    let tiered_runs = db.state().runs;
    assert!(tiered_runs.iter().all(|run| run.level == 0));
    db.set_compaction_style(leveled()).unwrap();
    assert_eq!(db.compaction_style().name(), "leveled");
    steady_load(&harness, &db, 3_000);
    let runs = db.state().runs;
    assert!(!runs.is_empty());
    assert!(
        runs.iter().all(|run| run.level >= 1),
        "every run is a level now: {runs:?}"
    );
    assert!(runs.windows(2).all(|pair| pair[0].level < pair[1].level));
    // Bad parameters are refused and leave the style alone.
    let error = db
        .set_compaction_style(CompactionStyle::Leveled {
            l0_trigger: 4,
            level_base_bytes: 0,
            level_ratio: 10.0,
            max_levels: 4,
        })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert_eq!(db.compaction_style(), leveled());
}

fn latest_manifest(harness: &Harness) -> Manifest {
    let key = harness
        .keys_under("db/manifest/")
        .into_iter()
        .max()
        .unwrap();
    let (_, bytes) = harness.store.inspect(&key).unwrap();
    Manifest::decode(&bytes).unwrap()
}

#[test]
fn a_fenced_compactor_cannot_commit_and_its_outputs_become_garbage() {
    let harness = Harness::new(4);
    let options = DbOptions {
        gc_min_age: SimDuration::from_secs(5),
        ..with_style(CompactionStyle::None)
    };
    let zombie = harness.open("db", options.clone());
    let z = zombie.clone();
    harness.run(async move {
        for round in 0..4u64 {
            for i in 0..40 {
                z.put(key(i), value(i, round), WriteOptions::DURABLE)
                    .await
                    .unwrap();
            }
            z.flush_memtables().await.unwrap();
        }
    });
    let successor = harness.open("db", options);
    zombie.set_compaction_style(leveled()).unwrap();
    let z = zombie.clone();
    let error = harness.run(async move { z.compact().await }).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Fenced);
    // Its outputs are in the store but in no manifest.
    let manifest = latest_manifest(&harness);
    let referenced: Vec<String> = manifest
        .sst_ids()
        .map(|id| format!("db/sst/{id:020}.sst"))
        .collect();
    let orphans: Vec<String> = harness
        .keys_under("db/sst/")
        .into_iter()
        .filter(|key| !referenced.contains(key))
        .collect();
    assert!(!orphans.is_empty(), "the zombie uploaded outputs");
    assert_eq!(manifest.l0.len(), 4, "the successor's L0 is untouched");
    harness.advance(SimDuration::from_secs(6));
    let report = harness.run_gc(&successor);
    assert!(report.ssts_deleted >= orphans.len() as u64, "{report:?}");
    for orphan in &orphans {
        assert!(harness.store.inspect(orphan).is_none(), "{orphan} remains");
    }
    harness.run(async move {
        for i in 0..40 {
            let got = successor.get(key(i), ReadOptions::MEMORY).await.unwrap();
            assert_eq!(got.map(|b| b.to_vec()), Some(value(i, 3)));
        }
    });
}

#[test]
fn a_compactor_crashed_mid_job_commits_nothing_and_loses_nothing() {
    for crash_ms in [5, 40, 90, 150, 250] {
        let harness = Harness::with_store(5, SimStoreConfig::s3_standard());
        let options = DbOptions {
            gc_min_age: SimDuration::from_secs(5),
            ..with_style(CompactionStyle::None)
        };
        let db = harness.open("db", options.clone());
        let d = db.clone();
        harness.run(async move {
            for round in 0..4u64 {
                for i in 0..40 {
                    d.put(key(i), value(i, round), WriteOptions::NO_AWAIT)
                        .await
                        .unwrap();
                }
                d.flush_memtables().await.unwrap();
            }
        });
        let before = latest_manifest(&harness);
        db.set_compaction_style(leveled()).unwrap();
        let d = db.clone();
        let handle = harness.sim.handle();
        harness.run(async move {
            let _ = race(
                d.compact(),
                handle.sleep(SimDuration::from_millis(crash_ms)),
            )
            .await;
            d.crash();
        });
        drop(db);
        let after = latest_manifest(&harness);
        let committed = after.runs.len() == 1;
        if !committed {
            assert_eq!(after.l0, before.l0, "crash at {crash_ms} ms");
        }
        let reopened = harness.open("db", options.clone());
        harness.advance(SimDuration::from_secs(6));
        harness.run_gc(&reopened);
        let manifest = latest_manifest(&harness);
        assert_eq!(
            harness.keys_under("db/sst/").len(),
            manifest.sst_ids().count(),
            "crash at {crash_ms} ms: every SST left is referenced"
        );
        harness.run(async move {
            for i in 0..40 {
                let got = reopened.get(key(i), ReadOptions::MEMORY).await.unwrap();
                assert_eq!(got.map(|b| b.to_vec()), Some(value(i, 3)));
            }
        });
    }
}
