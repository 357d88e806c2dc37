//! The recommender's impression log and checkpoints on the S3 API: after a crash, the policy
//! rebuilt from the newest checkpoint plus the impressions logged after it equals an
//! uncrashed twin that saw every impression acknowledged as durable.

use crate::{endpoint, run_local, World};
use std::rc::Rc;
use strata_engine::{Db, DbOptions};
use strata_recommender::log::{recover_policy, EngineLogger, LogConfig, RecommenderLoop};
use strata_recommender::policy::{PolicyConfig, ThompsonConfig};
use strata_recommender::simulation::{RecommenderConfig, RecommenderSim};
use strata_sim::SimDuration;

#[test]
fn a_policy_recovered_from_checkpoints_on_the_s3_api_equals_its_uncrashed_twin() {
    let Some(endpoint) = endpoint("a_policy_recovered_from_checkpoints_on_the_s3_api") else {
        return;
    };
    let seed = 31;
    let config = RecommenderConfig {
        policy: PolicyConfig::Thompson(ThompsonConfig {
            propensity_draws: 8,
            ..Default::default()
        }),
        slate_size: 3,
        ..Default::default()
    };
    let options = DbOptions {
        flush_interval: SimDuration::from_millis(10),
        ..DbOptions::default()
    };
    let (recovered, shown, checkpoints) = run_local(|| async {
        let world = World::open(&endpoint, "checkpoints", seed).await;
        let runtime = world.runtime_ref();
        let db = Rc::new(
            Db::open(runtime.clone(), world.store.clone(), "lab", options.clone())
                .await
                .unwrap(),
        );
        let logger = EngineLogger::new(
            db.clone(),
            LogConfig {
                checkpoint_every: 12,
                durable_writes: true,
                ..Default::default()
            },
        )
        .unwrap();
        let sim = RecommenderSim::new(config.clone(), seed).unwrap();
        let mut looped = RecommenderLoop::new(sim, Some(logger), 40.0).unwrap();
        let until = runtime.now() + SimDuration::from_millis(1500);
        looped.run_until(runtime.clone(), until).await.unwrap();
        let shown = looped.sim().impressions();
        let checkpoints = looped.logger().unwrap().stats().checkpoints_written;
        db.crash();
        drop(db);
        let db = Db::open(runtime, world.store.clone(), "lab", options)
            .await
            .unwrap();
        let recovered = recover_policy(&db, "recommender", &config.policy, config.population.items)
            .await
            .unwrap();
        (recovered, shown, checkpoints)
    });
    assert!(checkpoints >= 2, "{checkpoints} checkpoints");
    assert!(
        recovered.checkpoint_version.is_some(),
        "recovery starts from a checkpoint"
    );
    // Every step waited for durability, so the crash lost nothing that was shown.
    let last = recovered
        .last_impression_id
        .expect("impressions were logged");
    assert_eq!(last + 1, shown, "every durable impression is recovered");
    let mut twin = RecommenderSim::new(config, seed).unwrap();
    while twin.impressions() < shown {
        twin.step().unwrap();
    }
    assert_eq!(&recovered.policy, twin.policy());
}
