//! The hand-written JSON of the log's records and the checkpointed policies (`json`) against
//! serde_json's output of the derived `Serialize`, the reference it replaces: the same bytes
//! for every policy kind and memory, after any updates, and for records with any floats (not
//! finite ones included) and any strings. Native only: proptest does not run under
//! wasm-bindgen-test.

#![allow(clippy::unwrap_used)]

use crate::json::to_vec;
use crate::log::{CheckpointRecord, ImpressionRecord};
use crate::policy::*;
use proptest::prelude::*;

fn memory() -> impl Strategy<Value = Memory> {
    prop_oneof![
        Just(Memory::Stationary),
        (0.01f64..=1.0).prop_map(|gamma| Memory::Discounted { gamma }),
        (1u32..5).prop_map(|window| Memory::SlidingWindow { window }),
    ]
}

fn config() -> impl Strategy<Value = PolicyConfig> {
    (0usize..8, memory(), 0.01f64..3.0, 1usize..4, 1u32..50).prop_map(
        |(kind, memory, number, dims, draws)| match kind {
            0 => PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig {
                epsilon: number / 3.0,
                decay: number,
                initial_value: number / 7.0,
                memory,
            }),
            1 => PolicyConfig::Softmax(SoftmaxConfig {
                temperature: number,
                initial_value: number / 3.0,
                memory,
            }),
            2 => PolicyConfig::Ucb1(Ucb1Config {
                alpha: number,
                memory,
            }),
            3 => PolicyConfig::KlUcb(KlUcbConfig { c: number, memory }),
            4 => PolicyConfig::Thompson(ThompsonConfig {
                prior_alpha: number,
                prior_beta: number / 3.0 + 0.01,
                propensity_draws: draws,
                memory,
            }),
            5 => PolicyConfig::LinUcb(LinUcbConfig {
                dims,
                ridge_lambda: number,
                alpha: number / 3.0,
            }),
            6 => PolicyConfig::LinTs(LinTsConfig {
                dims,
                ridge_lambda: number,
                alpha: number / 3.0,
                propensity_draws: draws,
            }),
            _ => PolicyConfig::Popularity(PopularityConfig { memory }),
        },
    )
}

/// A policy of any kind after `updates` (arm, reward, feature seed) were folded in.
fn policy() -> impl Strategy<Value = AnyPolicy> {
    (
        config(),
        1usize..4,
        proptest::collection::vec((0usize..4, 0.0f64..=1.0, any::<i16>()), 0..12),
    )
        .prop_map(|(config, arms, updates)| {
            let mut policy = config.build(arms).unwrap();
            let dims = match &config {
                PolicyConfig::LinUcb(c) => c.dims,
                PolicyConfig::LinTs(c) => c.dims,
                _ => 0,
            };
            for (arm, reward, seed) in updates {
                let context = Context {
                    key: seed.unsigned_abs().into(),
                    features: (0..dims)
                        .map(|i| f64::from(seed) / (i as f64 + 3.0))
                        .collect(),
                };
                policy.update(&context, arm % arms, reward).unwrap();
            }
            policy
        })
}

/// Any float, often one JSON cannot hold (written as `null`) or one at a formatting edge.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-0.0),
        Just(1e21),
        Just(1e-7),
        0.0f64..1.0,
    ]
}

fn impression() -> impl Strategy<Value = ImpressionRecord> {
    (
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u32>()),
        (any::<u64>(), proptest::collection::vec(float(), 0..4)),
        proptest::collection::vec(any::<u32>(), 0..5),
        (any::<u32>(), any::<u32>(), float(), float()),
        (any::<bool>(), any::<u64>()),
    )
        .prop_map(
            |(
                (impression_id, time_ns, step, user),
                (key, features),
                slate,
                (arm, position, propensity, reward),
                (exploratory, policy_version),
            )| ImpressionRecord {
                impression_id,
                time_ns,
                step,
                user,
                context: Context { key, features },
                slate,
                arm,
                position,
                propensity,
                reward,
                exploratory,
                policy_version,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn impressions_are_written_as_serde_json_wrote_them(record in impression()) {
        prop_assert_eq!(
            String::from_utf8(to_vec(&record)).unwrap(),
            serde_json::to_string(&record).unwrap()
        );
    }

    #[test]
    fn checkpoints_are_written_as_serde_json_wrote_them(
        policy in policy(),
        (policy_version, step) in (any::<u64>(), any::<u64>()),
        last_impression_key in proptest::option::of(any::<String>()),
    ) {
        let record = CheckpointRecord { policy_version, step, last_impression_key, policy };
        let written = to_vec(&record);
        prop_assert_eq!(
            String::from_utf8(written.clone()).unwrap(),
            serde_json::to_string(&record).unwrap()
        );
        // And it reads back as the same checkpoint.
        let back = crate::log::decode_checkpoint(b"key", &written).unwrap();
        prop_assert_eq!(back, record);
    }
}

/// Every policy kind with every memory, so no variant's tag or member goes unwritten.
#[test]
fn every_policy_kind_and_memory_is_written_as_serde_json_wrote_it() {
    let memories = [
        Memory::Stationary,
        Memory::Discounted { gamma: 0.5 },
        Memory::SlidingWindow { window: 2 },
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for memory in memories {
        let configs = [
            PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig {
                memory,
                ..Default::default()
            }),
            PolicyConfig::Softmax(SoftmaxConfig {
                memory,
                ..Default::default()
            }),
            PolicyConfig::Ucb1(Ucb1Config {
                memory,
                ..Default::default()
            }),
            PolicyConfig::KlUcb(KlUcbConfig {
                memory,
                ..Default::default()
            }),
            PolicyConfig::Thompson(ThompsonConfig {
                memory,
                ..Default::default()
            }),
            PolicyConfig::LinUcb(LinUcbConfig {
                dims: 2,
                ..Default::default()
            }),
            PolicyConfig::LinTs(LinTsConfig {
                dims: 2,
                ..Default::default()
            }),
            PolicyConfig::Popularity(PopularityConfig { memory }),
        ];
        for config in configs {
            let mut policy = config.build(3).unwrap();
            let context = Context {
                key: 7,
                features: vec![0.25, -1.5],
            };
            for (arm, reward) in [(0, 1.0), (2, 0.0), (2, 1.0), (1, 0.5)] {
                policy.update(&context, arm, reward).unwrap();
            }
            kinds.insert(format!("{:?}", policy.kind()));
            let record = CheckpointRecord {
                policy_version: 4,
                step: 9,
                last_impression_key: Some("recommender/imp/1/2".to_string()),
                policy,
            };
            assert_eq!(
                String::from_utf8(to_vec(&record)).unwrap(),
                serde_json::to_string(&record).unwrap()
            );
        }
    }
    assert_eq!(kinds.len(), 8);
}
