//! The engine on the S3 API in real time: a model test over a few seeds (random writes,
//! reads, flushes, crashes at random instants), a writer takeover with a zombie, and crash
//! and recover. No write acknowledged as durable may be lost.

use crate::{endpoint, run_local, World};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::rc::Rc;
use strata_engine::{
    CompactionOptions, CompactionStyle, Db, DbOptions, DbStatus, ErrorKind, ReadOptions,
    WriteOptions,
};
use strata_sim::sync::{race, Either};
use strata_sim::{Cause, RequestOutcome, SimDuration, SimRng, StoreOp};

/// Small memtables, blocks and levels so that flushes, compactions and GC all happen in a
/// run of a few seconds.
fn small_options() -> DbOptions {
    DbOptions {
        flush_interval: SimDuration::from_millis(20),
        max_wal_bytes: 16 * 1024,
        memtable_bytes: 2 * 1024,
        block_bytes: 256,
        gc_interval: SimDuration::from_millis(500),
        gc_min_age: SimDuration::from_secs(1),
        compaction: CompactionOptions {
            style: CompactionStyle::Leveled {
                l0_trigger: 2,
                level_base_bytes: 4096,
                level_ratio: 2.0,
                max_levels: 3,
            },
            target_sst_bytes: 2048,
        },
        ..DbOptions::default()
    }
}

async fn open(world: &World, path: &str) -> Rc<Db> {
    open_with(world, path, small_options()).await
}

async fn open_with(world: &World, path: &str, options: DbOptions) -> Rc<Db> {
    let db = Db::open(world.runtime_ref(), world.store.clone(), path, options)
        .await
        .unwrap_or_else(|error| panic!("open {path}: {error}"));
    Rc::new(db)
}

async fn everything(db: &Db) -> Vec<(Bytes, Bytes)> {
    db.scan::<&[u8]>(..)
        .unwrap()
        .collect(usize::MAX)
        .await
        .unwrap()
}

fn pairs(state: &BTreeMap<Vec<u8>, Vec<u8>>) -> Vec<(Bytes, Bytes)> {
    state
        .iter()
        .map(|(k, v)| (Bytes::copy_from_slice(k), Bytes::copy_from_slice(v)))
        .collect()
}

/// Every write the engine applied, in order (write n has sequence number n), and the
/// highest one acknowledged as durable.
#[derive(Default)]
struct Model {
    history: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    durable_confirmed: u64,
}

impl Model {
    fn state_at(&self, seq: u64) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let mut state = BTreeMap::new();
        for (key, value) in &self.history[..seq as usize] {
            match value {
                Some(value) => state.insert(key.clone(), value.clone()),
                None => state.remove(key),
            };
        }
        state
    }
}

/// One seed's random run; panics on any divergence from the model.
async fn model_run(world: &World, seed: u64, steps: usize) -> BTreeMap<&'static str, usize> {
    let mut rng = SimRng::seed_from_u64(seed ^ 0x5353);
    let runtime = world.runtime_ref();
    let mut model = Model::default();
    let mut db = open(world, "model").await;
    for step in 0..steps {
        let context = format!("seed {seed} step {step}");
        let key = format!("k{:02}", rng.below(24)).into_bytes();
        match rng.below(100) {
            0..=44 => {
                let value = format!("v{step}-{}", "x".repeat(rng.below(200) as usize));
                let options = if rng.bernoulli(0.4) {
                    WriteOptions::DURABLE
                } else {
                    WriteOptions::NO_AWAIT
                };
                let before = db.acknowledged_seq();
                let result = db.put(&key, value.as_bytes(), options).await;
                result.unwrap_or_else(|error| panic!("{context}: put: {error}"));
                assert_eq!(db.acknowledged_seq(), before + 1, "{context}");
                model.history.push((key, Some(value.into_bytes())));
                if options.await_durable {
                    model.durable_confirmed = db.acknowledged_seq();
                }
            }
            45..=54 => {
                db.delete(&key, WriteOptions::NO_AWAIT)
                    .await
                    .unwrap_or_else(|error| panic!("{context}: delete: {error}"));
                model.history.push((key, None));
            }
            55..=74 => {
                let latest = model.state_at(model.history.len() as u64);
                let got = db.get(&key, ReadOptions::MEMORY).await.unwrap();
                assert_eq!(
                    got.map(|b| b.to_vec()),
                    latest.get(&key).cloned(),
                    "{context}"
                );
                let durable = model.state_at(db.durable_seq());
                let got = db.get(&key, ReadOptions::DURABLE).await.unwrap();
                assert_eq!(
                    got.map(|b| b.to_vec()),
                    durable.get(&key).cloned(),
                    "{context}"
                );
            }
            75..=84 => db.flush_memtables().await.unwrap(),
            85..=92 => runtime.sleep(SimDuration::from_millis(rng.below(40))).await,
            _ => {
                // Crash at a random instant, maybe in the middle of a durable write.
                let value = format!("crash-{step}").into_bytes();
                let before = db.acknowledged_seq();
                let outcome = race(
                    db.put(&key, &value, WriteOptions::DURABLE),
                    runtime.sleep(SimDuration::from_millis(rng.below(60))),
                )
                .await;
                if db.acknowledged_seq() == before + 1 {
                    model.history.push((key, Some(value)));
                    if matches!(outcome, Either::Left(Ok(()))) {
                        model.durable_confirmed = db.acknowledged_seq();
                    }
                }
                db.crash();
                drop(db);
                db = open(world, "model").await;
                let recovered = db.acknowledged_seq();
                assert!(
                    recovered >= model.durable_confirmed,
                    "{context}: recovered to {recovered}, but {} was durable",
                    model.durable_confirmed
                );
                assert!(recovered <= model.history.len() as u64, "{context}");
                model.history.truncate(recovered as usize);
                model.durable_confirmed = recovered;
                assert_eq!(
                    everything(&db).await,
                    pairs(&model.state_at(recovered)),
                    "{context}: after recovery"
                );
            }
        }
    }
    db.close().await.unwrap();
    drop(db);
    let db = open(world, "model").await;
    assert_eq!(
        db.acknowledged_seq(),
        model.history.len() as u64,
        "close lost writes"
    );
    assert_eq!(
        everything(&db).await,
        pairs(&model.state_at(model.history.len() as u64)),
        "seed {seed}: final state"
    );
    db.close().await.unwrap();
    let mut counts = BTreeMap::new();
    for kind in world.events.borrow().iter() {
        *counts.entry(kind.name()).or_insert(0) += 1;
    }
    counts
}

#[test]
fn random_workloads_with_crashes_match_a_model_on_the_s3_api() {
    let Some(endpoint) = endpoint("random_workloads_with_crashes_match_a_model_on_the_s3_api")
    else {
        return;
    };
    // STRATA_S3_MODEL_SEEDS=n runs more seeds, for a longer soak.
    let seeds: u64 = std::env::var("STRATA_S3_MODEL_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let mut totals: BTreeMap<&'static str, usize> = BTreeMap::new();
    for seed in 0..seeds {
        let counts = run_local(|| async {
            let world = World::open(&endpoint, &format!("model-{seed}"), seed).await;
            model_run(&world, seed, 120).await
        });
        for (name, count) in counts {
            *totals.entry(name).or_insert(0) += count;
        }
    }
    for name in ["writer_crashed", "writer_recovered", "flush_finished"] {
        assert!(
            totals.get(name).copied().unwrap_or(0) > 0,
            "no {name} in {totals:?}"
        );
    }
}

#[test]
fn a_new_writer_fences_the_zombie_through_the_servers_conditional_puts() {
    let Some(endpoint) = endpoint("a_new_writer_fences_the_zombie") else {
        return;
    };
    run_local(|| async {
        let world = World::open(&endpoint, "zombie", 7).await;
        // No GC: its manifest read would notice the new writer first, and this test is
        // about the server refusing the zombie's conditional PUT.
        let options = DbOptions {
            gc_interval: SimDuration::ZERO,
            ..small_options()
        };
        let old = open_with(&world, "db", options.clone()).await;
        for i in 0..10u32 {
            let key = format!("key{i}");
            old.put(key.as_bytes(), b"from-old", WriteOptions::DURABLE)
                .await
                .unwrap();
        }
        old.put(b"not-durable", b"x", WriteOptions::NO_AWAIT)
            .await
            .unwrap();
        let requests_before_takeover = world.requests().len();
        let new = open_with(&world, "db", options).await;
        assert_eq!(new.writer_epoch(), old.writer_epoch() + 1);
        // The zombie's next durable write meets the server's refusal of its conditional PUT.
        let error = old
            .put(b"zombie", b"z", WriteOptions::DURABLE)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Fenced, "{error}");
        assert_eq!(old.status(), DbStatus::Fenced);
        let refused = world.requests()[requests_before_takeover..]
            .iter()
            .filter(|record| {
                record.op == StoreOp::Put
                    && matches!(
                        record.outcome,
                        RequestOutcome::AlreadyExists | RequestOutcome::PreconditionFailed
                    )
                    && matches!(record.cause, Cause::Wal | Cause::Manifest)
            })
            .count();
        assert!(
            refused >= 1,
            "the fence came from a refused conditional PUT"
        );
        assert_eq!(old.close().await.unwrap_err().kind(), ErrorKind::Fenced);
        for i in 0..10u32 {
            let key = format!("key{i}");
            assert_eq!(
                new.get(key.as_bytes(), ReadOptions::DURABLE).await.unwrap(),
                Some(Bytes::from_static(b"from-old")),
                "{key}: a durable write of the old writer"
            );
        }
        assert_eq!(
            new.get(b"zombie", ReadOptions::DURABLE).await.unwrap(),
            None
        );
        new.put(b"new", b"n", WriteOptions::DURABLE).await.unwrap();
        new.close().await.unwrap();
    });
}

#[test]
fn a_crashed_writer_recovers_every_durable_write() {
    let Some(endpoint) = endpoint("a_crashed_writer_recovers_every_durable_write") else {
        return;
    };
    run_local(|| async {
        let world = World::open(&endpoint, "crash", 8).await;
        let db = open(&world, "db").await;
        for i in 0..200u32 {
            let options = if i % 10 == 9 {
                WriteOptions::DURABLE
            } else {
                WriteOptions::NO_AWAIT
            };
            db.put(
                format!("key{i:04}").as_bytes(),
                format!("value{i}").as_bytes(),
                options,
            )
            .await
            .unwrap();
        }
        let durable = db.durable_seq();
        assert!(durable >= 200, "the last write waited for durability");
        db.put(b"in-memory-only", b"x", WriteOptions::NO_AWAIT)
            .await
            .unwrap();
        db.crash();
        drop(db);
        let db = open(&world, "db").await;
        assert!(db.acknowledged_seq() >= durable);
        for i in 0..200u32 {
            let got = db
                .get(format!("key{i:04}").as_bytes(), ReadOptions::DURABLE)
                .await
                .unwrap();
            assert_eq!(got, Some(Bytes::from(format!("value{i}"))), "key{i:04}");
        }
        db.close().await.unwrap();
    });
}
