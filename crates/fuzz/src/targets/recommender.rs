//! Targets for the recommender's inputs: the OPE CSV files (log, target policy, reward model)
//! and checkpoints read back from the engine. A restored policy is then used as the
//! recommender would: choose, estimate propensities, update.

use crate::json::mutate_json_text;
use crate::mutate::mutate_bytes;
use crate::targets::Target;
use strata_recommender::log::{decode_checkpoint, CheckpointRecord};
use strata_recommender::policy::{
    EpsilonGreedyConfig, KlUcbConfig, LinTsConfig, LinUcbConfig, Memory, PopularityConfig,
    SoftmaxConfig, ThompsonConfig, Ucb1Config,
};
use strata_recommender::{ope_from_csv, Context, OpeOptions, Policy, PolicyConfig};
use strata_sim::SimRng;

// ---- OPE CSV ----

pub const OPE_CSV: Target = Target {
    name: "ope-csv",
    about: "OPE input: first byte picks the file (0 log, 1 target policy, 2 reward model), the rest is its CSV",
    seeds: ope_seeds,
    mutate_sealed: ope_mutate,
    check: ope_check,
};

const LOG_CSV: &str =
    "action,reward,propensity,position\n0,1,0.5,0\n1,0,0.5,0\n1,1,0.5,1\n0,0,0.5,1\n";
const TARGET_CSV: &str = "# pi\npos0,pos1\n0.25,0.5\n0.75,0.5\n";
const MODEL_CSV: &str = "0.5,0.4\n0.3,0.2\n";

fn ope_seeds() -> Vec<Vec<u8>> {
    [(0u8, LOG_CSV), (1, TARGET_CSV), (2, MODEL_CSV)]
        .iter()
        .map(|(slot, text)| {
            let mut input = vec![*slot];
            input.extend_from_slice(text.as_bytes());
            input
        })
        .collect()
}

/// Numbers and fields on the boundaries a CSV reader gets wrong.
const FIELDS: [&str; 14] = [
    "",
    "0",
    "1",
    "-1",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "0.5",
    "2",
    "4294967296",
    "x",
    " ",
    "-0",
];

/// Line-aware text mutations: a field replaced by a boundary value, a comma added or dropped,
/// a line repeated, dropped or blank, a comment; or plain byte mutations.
fn ope_mutate(rng: &mut SimRng, valid: &[u8]) -> Vec<u8> {
    let (slot, text) = valid.split_first().map_or((0, &[][..]), |(s, t)| (*s, t));
    let text = String::from_utf8_lossy(text);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() || rng.bernoulli(0.15) {
        let mut bytes = valid.to_vec();
        mutate_bytes(rng, &mut bytes);
        return bytes;
    }
    for _ in 0..1 + rng.index(3) {
        let at = rng.index(lines.len());
        match rng.index(6) {
            0 => {
                let mut fields: Vec<String> = lines[at].split(',').map(str::to_string).collect();
                let field = rng.index(fields.len());
                fields[field] = FIELDS[rng.index(FIELDS.len())].to_string();
                lines[at] = fields.join(",");
            }
            1 => lines[at].push(','),
            2 => lines[at] = lines[at].replacen(',', "", 1),
            3 => {
                let copy = lines[at].clone();
                for _ in 0..1 + rng.index(4) {
                    lines.insert(at, copy.clone());
                }
            }
            4 if lines.len() > 1 => {
                lines.remove(at);
            }
            _ => lines.insert(at, ["", "# note", ",,,", "\r"][rng.index(4)].to_string()),
        }
    }
    let mut out = vec![if rng.bernoulli(0.05) {
        rng.next_u32() as u8
    } else {
        slot
    }];
    out.extend_from_slice(lines.join("\n").as_bytes());
    out
}

fn ope_check(input: &[u8]) -> Result<bool, String> {
    let Some((slot, text)) = input.split_first() else {
        return Ok(false);
    };
    let text = String::from_utf8_lossy(text);
    let options = OpeOptions::default();
    let outcome = match slot % 3 {
        0 => ope_from_csv(&text, TARGET_CSV, Some(MODEL_CSV), &options),
        1 => ope_from_csv(LOG_CSV, &text, None, &options),
        _ => ope_from_csv(LOG_CSV, TARGET_CSV, Some(&text), &options),
    };
    Ok(outcome.is_ok())
}

// ---- Checkpoints ----

pub const CHECKPOINT: Target = Target {
    name: "checkpoint",
    about: "a checkpoint record as stored in the engine (JSON), restored and then used",
    seeds: checkpoint_seeds,
    mutate_sealed: mutate_json_text,
    check: checkpoint_check,
};

fn checkpoint_seeds() -> Vec<Vec<u8>> {
    let window = Memory::SlidingWindow { window: 4 };
    let configs = [
        PolicyConfig::EpsilonGreedy(EpsilonGreedyConfig::default()),
        PolicyConfig::Softmax(SoftmaxConfig {
            memory: Memory::Discounted { gamma: 0.9 },
            ..SoftmaxConfig::default()
        }),
        PolicyConfig::Ucb1(Ucb1Config {
            memory: window,
            ..Ucb1Config::default()
        }),
        PolicyConfig::KlUcb(KlUcbConfig::default()),
        PolicyConfig::Thompson(ThompsonConfig::default()),
        PolicyConfig::LinUcb(LinUcbConfig {
            dims: 2,
            ..LinUcbConfig::default()
        }),
        PolicyConfig::LinTs(LinTsConfig {
            dims: 2,
            propensity_draws: 20,
            ..LinTsConfig::default()
        }),
        PolicyConfig::Popularity(PopularityConfig::default()),
    ];
    configs
        .iter()
        .map(|config| {
            let mut policy = config.build(3).expect("default parameters are valid");
            let context = context_for(config.is_contextual().then_some(2));
            for step in 0..6u32 {
                policy
                    .update(&context, (step % 3) as usize, f64::from(step % 2))
                    .expect("arms and rewards in range");
            }
            let record = CheckpointRecord {
                policy_version: policy.version(),
                step: 6,
                last_impression_key: Some("recommender/imp/1/2".to_string()),
                policy,
            };
            serde_json::to_vec(&record).expect("a checkpoint encodes")
        })
        .collect()
}

fn context_for(dims: Option<usize>) -> Context {
    Context::new(1, (0..dims.unwrap_or(0)).map(|i| 0.5 + i as f64).collect())
}

fn checkpoint_check(input: &[u8]) -> Result<bool, String> {
    let Ok(record) = decode_checkpoint(b"recommender/ckpt/1", input) else {
        return Ok(false);
    };
    let mut policy = record.policy;
    let dims = serde_json::from_slice::<serde_json::Value>(input)
        .ok()
        .and_then(|document| document["policy"]["config"]["dims"].as_u64())
        .and_then(|dims| usize::try_from(dims).ok());
    let context = context_for(dims);
    let mut rng = SimRng::seed_from_u64(1);
    // Errors are fine here (a typed refusal); panics are what the runner catches.
    let _ = policy.choose(&context, &mut rng);
    let _ = policy.probabilities(&context, None, &mut rng);
    let _ = policy.greedy_arm(&context, None);
    let _ = policy.arm_summaries();
    let arms = policy.arm_count();
    if arms > 0 {
        let _ = policy.update(&context, arms - 1, 1.0);
        let _ = policy.choose(&context, &mut rng);
    }
    Ok(true)
}
