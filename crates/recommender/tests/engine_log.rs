//! Impression logs and checkpoints in the engine, and crash recovery: a policy rebuilt from
//! its last checkpoint plus the impressions logged since equals an uncrashed twin that made
//! the same updates. Runs on the simulated object store, natively and in wasm32.

#![allow(clippy::unwrap_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::rc::Rc;
use strata_engine::{Db, DbOptions};
use strata_objstore::{ObjectStore, SimStore, SimStoreConfig};
use strata_recommender::log::{
    impressions_to_csv, load_impressions, recover_policy, EngineLogger, LogConfig, RecommenderLoop,
};
use strata_recommender::policy::{LinUcbConfig, PolicyConfig, ThompsonConfig};
use strata_recommender::simulation::{RecommenderConfig, RecommenderSim};
use strata_recommender::{ope_from_csv, OpeOptions};
use strata_sim::{RuntimeRef, Sim, SimTime};

struct World {
    sim: Sim,
    runtime: RuntimeRef,
    store: Rc<dyn ObjectStore>,
}

fn world(seed: u64) -> World {
    let sim = Sim::new(seed);
    let store: Rc<dyn ObjectStore> =
        Rc::new(SimStore::new(sim.handle(), SimStoreConfig::s3_standard()));
    let runtime: RuntimeRef = Rc::new(sim.handle());
    World {
        sim,
        runtime,
        store,
    }
}

fn open(world: &World) -> Rc<Db> {
    let (runtime, store) = (world.runtime.clone(), world.store.clone());
    let db = world
        .sim
        .block_on(async move { Db::open(runtime, store, "lab", DbOptions::default()).await })
        .unwrap()
        .unwrap();
    Rc::new(db)
}

fn config(policy: PolicyConfig) -> RecommenderConfig {
    RecommenderConfig {
        policy,
        slate_size: 3,
        ..Default::default()
    }
}

/// Runs the logged loop for `seconds` of simulated time and returns the impressions shown.
fn run_logged(
    world: &World,
    db: &Rc<Db>,
    config: &RecommenderConfig,
    seed: u64,
    seconds: u64,
) -> u64 {
    let logger = EngineLogger::new(
        db.clone(),
        LogConfig {
            checkpoint_every: 60,
            ..Default::default()
        },
    )
    .unwrap();
    let sim = RecommenderSim::new(config.clone(), seed).unwrap();
    let mut looped = RecommenderLoop::new(sim, Some(logger), 50.0).unwrap();
    let runtime = world.runtime.clone();
    let looped = world
        .sim
        .block_on(async move {
            looped
                .run_until(runtime, SimTime::from_secs(seconds))
                .await
                .unwrap();
            looped
        })
        .unwrap();
    let stats = looped.logger().unwrap().stats();
    assert!(stats.checkpoints_written >= 2, "{stats:?}");
    looped.sim().impressions()
}

fn crash_and_recover(policy: PolicyConfig, seed: u64) {
    let config = config(policy);
    let world = world(seed);
    let db = open(&world);
    let shown = run_logged(&world, &db, &config, seed, 6);
    db.crash();

    // A new writer opens the database (replaying its WAL) and rebuilds the policy.
    let db = open(&world);
    let items = config.population.items;
    let policy_config = config.policy.clone();
    let recovered = world
        .sim
        .block_on(async move {
            recover_policy(&db, "recommender", &policy_config, items)
                .await
                .unwrap()
        })
        .unwrap();
    let last = recovered.last_impression_id.expect("something was logged");
    let durable = last + 1;
    assert!(
        recovered.checkpoint_version.is_some(),
        "recovery starts from a checkpoint"
    );
    assert!(
        recovered.replayed_impressions > 0,
        "and replays the impressions after it"
    );
    assert!(durable <= shown);
    assert!(
        durable < shown,
        "the crash lost the impressions not yet durable ({durable} of {shown})"
    );
    assert_eq!(durable % 3, 0, "the log ends on a slate boundary");

    // The uncrashed twin: same seed and config, stopped after the same impressions.
    let mut twin = RecommenderSim::new(config, seed).unwrap();
    while twin.impressions() < durable {
        twin.step().unwrap();
    }
    assert_eq!(twin.impressions(), durable);
    assert_eq!(&recovered.policy, twin.policy());
    assert_eq!(
        recovered.policy.to_json().unwrap(),
        twin.policy().to_json().unwrap()
    );
}

#[test]
fn recovered_thompson_policy_equals_an_uncrashed_twin() {
    crash_and_recover(
        PolicyConfig::Thompson(ThompsonConfig {
            propensity_draws: 8,
            ..Default::default()
        }),
        21,
    );
}

#[test]
fn recovered_linucb_policy_equals_an_uncrashed_twin_bit_for_bit() {
    // LinUCB's state is full of non-representable floats (A⁻¹ after Sherman–Morrison), so
    // this also checks that checkpoints restore every bit.
    crash_and_recover(
        PolicyConfig::LinUcb(LinUcbConfig {
            dims: 4,
            alpha: 0.5,
            ..Default::default()
        }),
        22,
    );
}

#[test]
fn the_log_holds_every_field_in_time_order_and_feeds_ope() {
    let world = world(5);
    let db = open(&world);
    let config = config(PolicyConfig::Thompson(ThompsonConfig {
        propensity_draws: 8,
        ..Default::default()
    }));
    let events = Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = events.clone();
    world.sim.trace_mut().subscribe(Box::new(move |event| {
        sink.borrow_mut().push(event.kind.name());
    }));
    let shown = run_logged(&world, &db, &config, 5, 2);
    let reader = db.clone();
    let records = world
        .sim
        .block_on(async move {
            reader.flush().await.unwrap();
            load_impressions(&reader, "recommender", 100_000)
                .await
                .unwrap()
        })
        .unwrap();
    assert_eq!(records.len() as u64, shown);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.impression_id, i as u64, "time order is impression order");
        assert_eq!(r.slate.len(), 3);
        assert_eq!(r.slate[r.position as usize], r.arm);
        assert!(r.propensity > 0.0 && r.propensity <= 1.0);
        assert!(r.reward == 0.0 || r.reward == 1.0);
        assert_eq!(r.context.features.len(), 4);
        assert!(r.policy_version <= r.impression_id);
    }
    assert!(records.windows(2).all(|w| w[0].time_ns <= w[1].time_ns));
    let names = events.borrow();
    for name in ["impression", "click", "policy_updated", "checkpointed"] {
        assert!(names.contains(&name), "trace has {name} events");
    }
    // The exported log is a valid OPE input.
    let top: Vec<_> = records.into_iter().filter(|r| r.position == 0).collect();
    let csv = impressions_to_csv(&top);
    let items = config.population.items;
    // Target: always item 0.
    let target = "1\n".to_string() + &"0\n".repeat(items - 1);
    let report = ope_from_csv(&csv, &target, None, &OpeOptions::default()).unwrap();
    assert_eq!(report.rows as usize, top.len());
}

#[test]
fn bad_log_configs_are_typed_errors() {
    let world = world(1);
    let db = open(&world);
    for config in [
        LogConfig {
            prefix: String::new(),
            ..Default::default()
        },
        LogConfig {
            prefix: "a b".into(),
            ..Default::default()
        },
        LogConfig {
            retain_checkpoints: 0,
            ..Default::default()
        },
    ] {
        assert!(EngineLogger::new(db.clone(), config).is_err());
    }
}

/// A driver that shares the loop serves a step, then awaits the log write itself; a step
/// served unlogged writes nothing, and a loop moved to a new database logs there and hands
/// back the old logger with its counters.
#[test]
fn a_loop_served_step_by_step_logs_where_it_is_attached() {
    let world = world(5);
    let first = open(&world);
    let config = config(PolicyConfig::Thompson(ThompsonConfig::default()));
    let logger = EngineLogger::new(first.clone(), LogConfig::default()).unwrap();
    let sim = RecommenderSim::new(config, 5).unwrap();
    let mut looped = RecommenderLoop::new(sim, Some(logger), 10.0).unwrap();
    let runtime = world.runtime.clone();

    let served = looped.serve(runtime.as_ref(), true).unwrap();
    let pending = served.log.expect("a logger is attached").unwrap();
    world.sim.block_on(pending.write()).unwrap().unwrap();
    let logged = looped.logger().unwrap().stats().impressions_logged;
    assert_eq!(logged, 3, "one slate of three");

    let unlogged = looped.serve(runtime.as_ref(), false).unwrap();
    assert!(unlogged.log.is_none());
    assert_eq!(looped.logger().unwrap().stats().impressions_logged, logged);

    let second = open(&world);
    let logger = EngineLogger::new(second.clone(), LogConfig::default()).unwrap();
    let old = looped.replace_logger(Some(logger)).unwrap();
    assert!(Rc::ptr_eq(old.db(), &first));
    assert_eq!(old.stats().impressions_logged, logged);
    let runtime_for_step = runtime.clone();
    let looped = world
        .sim
        .block_on(async move {
            looped.step(runtime_for_step.as_ref()).await.unwrap();
            looped
        })
        .unwrap();
    let logger = looped.logger().unwrap();
    assert!(Rc::ptr_eq(logger.db(), &second));
    assert_eq!(logger.stats().impressions_logged, 3);
    assert_eq!(looped.sim().impressions(), 9);
}
