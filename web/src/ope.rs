//! Off-policy evaluation in the page, two ways.
//!
//! - **The run's own log.** The panel's cache: the evaluation itself ([`strata_lab::ope`]:
//!   the behaviour log, the uniform-random twin that measures the online truth, the
//!   estimators) is the lab's; the page refreshes it at most every [`OPE_REFRESH_MS`] of wall
//!   time while its tab is open.
//! - **An uploaded log** ([`evaluate_upload`]): a CSV in `strata ope`'s format
//!   (`action,reward,propensity[,position]`), read by the same parser and estimators as the
//!   CLI ([`strata_recommender::ope_from_csv`]), so a bad file gets the same line-numbered
//!   message. The CLI's target file is optional here: without one the target is uniform
//!   random serving over the actions the log names (as in the run's own evaluation). The
//!   reward model for DM and the DR family is each (action, position)'s mean logged reward.
//!   Files over [`MAX_OPE_UPLOAD_BYTES`] are refused unread, and the actions and positions a
//!   default target covers are bounded by [`MAX_UPLOAD_ACTIONS`] and
//!   [`MAX_UPLOAD_POSITIONS`].
//!
//! No browser code: the recommender view reads the files and calls these.

use crate::session::Session;
use std::fmt::Write;
use std::rc::Rc;
pub use strata_lab::ope::{evaluate, LoggedImpression, OpeResult, Twin, IPS_CLIP};
use strata_lab::scenario::{same_document, RecommenderSpec};
use strata_recommender::{csv, ope_from_csv, OpeOptions, OpeReport};
use strata_sim::fmt::shortest;

/// The largest logged-data (or target) file the page reads: 8 MiB, a few hundred thousand
/// rows. Larger logs belong to `strata ope`.
pub const MAX_OPE_UPLOAD_BYTES: u64 = 8 * 1024 * 1024;
/// Actions a default (uniform) target covers at most (it and the reward model are written
/// out as CSV text of actions × positions numbers).
pub const MAX_UPLOAD_ACTIONS: usize = 1024;
/// Slate positions a default target covers at most.
pub const MAX_UPLOAD_POSITIONS: usize = 64;

/// The evaluation of an uploaded log, as the panel shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadedEvaluation {
    pub file_name: String,
    pub report: OpeReport,
    /// The log's mean reward: the logging policy's own value.
    pub logged_mean_reward: f64,
    /// What the target policy was ("uniform random over 12 actions", "“pi.csv”").
    pub target: String,
}

/// Why an upload is refused before it is read: the file is over [`MAX_OPE_UPLOAD_BYTES`].
pub fn upload_too_large(name: &str, bytes: u64) -> Option<String> {
    (bytes > MAX_OPE_UPLOAD_BYTES).then(|| {
        format!(
            "“{name}” is {}, over the {} limit for a file evaluated in the page; `strata ope` reads larger logs.",
            crate::format::bytes(bytes),
            crate::format::bytes(MAX_OPE_UPLOAD_BYTES)
        )
    })
}

/// The log's shape and mean rewards, read leniently: rows whose fields do not parse are
/// skipped here, and [`ope_from_csv`] then names them by line, exactly as the CLI does.
struct LoggedShape {
    actions: usize,
    positions: usize,
    /// (sum of rewards, rows) by position, then action.
    rewards: Vec<Vec<(f64, u64)>>,
    total: (f64, u64),
}

fn logged_shape(log_csv: &str) -> Result<LoggedShape, String> {
    let table = csv::table("log", log_csv).map_err(|e| e.to_string())?;
    let (Some(action_col), Some(reward_col)) = (table.column("action"), table.column("reward"))
    else {
        return Ok(LoggedShape {
            actions: 1,
            positions: 1,
            rewards: vec![vec![(0.0, 0)]],
            total: (0.0, 0),
        });
    };
    let position_col = table.column("position");
    let mut parsed = Vec::with_capacity(table.rows.len());
    let (mut actions, mut positions) = (1usize, 1usize);
    for row in &table.rows {
        let action = crate::format::parse_index(row.fields[action_col]);
        let position = match position_col {
            Some(c) => crate::format::parse_index(row.fields[c]),
            None => Some(0),
        };
        let reward =
            strata_recommender::csv::decimal(row.fields[reward_col]).filter(|r| r.is_finite());
        let (Some(action), Some(position), Some(reward)) = (action, position, reward) else {
            continue;
        };
        if action >= MAX_UPLOAD_ACTIONS {
            return Err(format!(
                "log, line {}: action {action} is past the {MAX_UPLOAD_ACTIONS} actions a uniform target covers here; give a target file, or use `strata ope`",
                row.line
            ));
        }
        if position >= MAX_UPLOAD_POSITIONS {
            return Err(format!(
                "log, line {}: position {position} is past the {MAX_UPLOAD_POSITIONS} positions a uniform target covers here; give a target file, or use `strata ope`",
                row.line
            ));
        }
        actions = actions.max(action + 1);
        positions = positions.max(position + 1);
        parsed.push((action, position, reward));
    }
    let mut rewards = vec![vec![(0.0, 0u64); actions]; positions];
    let mut total = (0.0, 0u64);
    for (action, position, reward) in parsed {
        let cell = &mut rewards[position][action];
        cell.0 += reward;
        cell.1 += 1;
        total.0 += reward;
        total.1 += 1;
    }
    Ok(LoggedShape {
        actions,
        positions,
        rewards,
        total,
    })
}

/// A matrix CSV, one row per action and one column per position, in the format `strata ope`
/// reads for its target and reward model.
fn matrix_csv(actions: usize, positions: usize, value: impl Fn(usize, usize) -> f64) -> String {
    let mut out = String::new();
    for action in 0..actions {
        for position in 0..positions {
            let separator = if position == 0 { "" } else { "," };
            let _infallible = write!(out, "{separator}{}", shortest(value(action, position)));
        }
        out.push('\n');
    }
    out
}

/// Evaluates an uploaded log (`log_csv`, from the file `file_name`) with the same parser and
/// estimators as `strata ope`. `target` is an uploaded target file (name, text); without one
/// the target is uniform random serving over the actions the log names.
pub fn evaluate_upload(
    file_name: &str,
    log_csv: &str,
    target: Option<(&str, &str)>,
) -> Result<UploadedEvaluation, String> {
    let shape = logged_shape(log_csv)?;
    let (actions, positions, target_csv, target_label) = match target {
        Some((name, text)) => {
            let matrix = csv::matrix("target", text).map_err(|e| e.to_string())?;
            (
                matrix.rows,
                matrix.cols,
                text.to_string(),
                format!("“{name}”"),
            )
        }
        None => (
            shape.actions,
            shape.positions,
            matrix_csv(shape.actions, shape.positions, |_, _| {
                1.0 / shape.actions as f64
            }),
            format!("uniform random over {} actions", shape.actions),
        ),
    };
    let overall = if shape.total.1 == 0 {
        0.0
    } else {
        shape.total.0 / shape.total.1 as f64
    };
    let reward_model = matrix_csv(actions, positions, |action, position| {
        match shape.rewards.get(position).and_then(|row| row.get(action)) {
            Some((sum, n)) if *n > 0 => sum / *n as f64,
            _ => overall,
        }
    });
    let report = ope_from_csv(
        log_csv,
        &target_csv,
        Some(&reward_model),
        &OpeOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok(UploadedEvaluation {
        file_name: file_name.to_string(),
        report,
        logged_mean_reward: overall,
        target: target_label,
    })
}

/// How often the evaluation is refreshed while its tab is open (wall time).
pub const OPE_REFRESH_MS: f64 = 1_000.0;

/// The off-policy evaluation cache: the twin and the last result, refreshed at most every
/// [`OPE_REFRESH_MS`] of wall time while its tab is open.
#[derive(Default)]
pub struct OpeCache {
    /// The seed and recommender settings the twin was built for.
    key: Option<(u64, RecommenderSpec)>,
    twin: Option<Twin>,
    last_wall_ms: f64,
    pub result: Option<Rc<OpeResult>>,
    pub error: Option<String>,
}

/// Whether a twin made for `key` (a seed and the recommender's settings), now `twin`, cannot
/// go on for a run of `seed` and `spec` at `steps`: another seed or other settings, or a run
/// behind the twin (it went back).
pub fn twin_is_stale(
    key: Option<&(u64, RecommenderSpec)>,
    twin: Option<&Twin>,
    seed: u64,
    spec: &RecommenderSpec,
    steps: u64,
) -> bool {
    let same_key =
        key.is_some_and(|(held_seed, held)| *held_seed == seed && same_document(held, spec));
    !same_key || twin.is_some_and(|t| t.steps() > steps)
}

impl OpeCache {
    /// Brings the evaluation up to date with `session`, at most every [`OPE_REFRESH_MS`] of
    /// wall time (`now_ms`); a new seed or new settings start a new twin.
    pub fn refresh(&mut self, session: &Session, now_ms: f64) {
        let Some(spec) = &session.scenario().recommender else {
            *self = OpeCache::default();
            return;
        };
        let seed = session.scenario().seed;
        let steps = session.lab().recommender_summary().map_or(0, |s| s.steps);
        if twin_is_stale(self.key.as_ref(), self.twin.as_ref(), seed, spec, steps) {
            self.key = Some((seed, spec.clone()));
            self.twin = None;
            self.result = None;
            self.last_wall_ms = f64::NEG_INFINITY;
        }
        if now_ms - self.last_wall_ms < OPE_REFRESH_MS {
            return;
        }
        self.last_wall_ms = now_ms;
        if self.twin.is_none() {
            match Twin::new(spec, session.scenario().seed) {
                Ok(twin) => self.twin = Some(twin),
                Err(e) => {
                    self.error = Some(format!("The uniform-random twin could not start: {e}"));
                    return;
                }
            }
        }
        let Some(twin) = self.twin.as_mut() else {
            return;
        };
        if let Err(e) = twin.advance_to(steps) {
            self.error = Some(format!("The uniform-random twin stopped: {e}"));
            return;
        }
        let log: Vec<LoggedImpression> = session.observed().impressions.to_vec();
        match evaluate(&log, spec.population.items as usize, twin) {
            Ok(result) => {
                self.result = Some(Rc::new(result));
                self.error = None;
            }
            Err(e) => {
                self.result = None;
                self.error = Some(format!("Off-policy evaluation: {e}."));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::default_recommender;

    const LOG: &str = "action,reward,propensity\n0,1,0.5\n1,0,0.5\n0,0,0.5\n1,1,0.25\n";

    #[test]
    fn an_uploaded_log_gets_every_estimator_against_a_uniform_target() {
        let evaluation = evaluate_upload("log.csv", LOG, None).unwrap();
        assert_eq!(evaluation.target, "uniform random over 2 actions");
        assert_eq!(evaluation.logged_mean_reward, 0.5);
        let names: Vec<&str> = evaluation
            .report
            .estimates()
            .iter()
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(
            names,
            [
                "replay",
                "ips",
                "snips",
                "dm",
                "dr",
                "sndr",
                "switch_dr",
                "dros"
            ]
        );
        // The same numbers as `strata ope` with the uniform target and the logged means
        // written out as files.
        let cli = ope_from_csv(
            LOG,
            "0.5\n0.5\n",
            Some("0.5\n0.5\n"),
            &OpeOptions::default(),
        )
        .unwrap();
        assert_eq!(evaluation.report, cli);
        // IPS by hand: weights 0.5/0.5 = 1 and 0.5/0.25 = 2; rewards 1,0,0,1 → (1 + 2) / 4.
        let ips = evaluation.report.ips.unwrap();
        assert!((ips.value - 0.75).abs() < 1e-12, "{ips:?}");
    }

    #[test]
    fn a_bad_upload_gets_the_clis_line_numbered_message() {
        let bad = "action,reward,propensity\n0,1,0.5\n1,0,1.5\n";
        let page = evaluate_upload("bad.csv", bad, None).unwrap_err();
        let cli = ope_from_csv(bad, "0.5\n0.5\n", None, &OpeOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(page, cli);
        assert!(
            page.contains("log, line 3") && page.contains("1.5"),
            "{page}"
        );
        let missing = evaluate_upload("x.csv", "action,propensity\n0,0.5\n", None).unwrap_err();
        assert!(missing.contains("missing column \"reward\""), "{missing}");
        let text =
            evaluate_upload("x.csv", "action,reward,propensity\nzero,1,0.5\n", None).unwrap_err();
        assert!(text.contains("log, line 2"), "{text}");
        let huge = evaluate_upload("x.csv", "action,reward,propensity\n99999999,1,0.5\n", None)
            .unwrap_err();
        assert!(
            huge.contains("line 2") && huge.contains("target file"),
            "{huge}"
        );
        // A target file is read as the CLI reads it, and its errors name it the same way.
        let target = evaluate_upload("log.csv", LOG, Some(("pi.csv", "0.8\n0.3\n"))).unwrap_err();
        assert!(target.contains("target"), "{target}");
        let with_target = evaluate_upload("log.csv", LOG, Some(("pi.csv", "0.8\n0.2\n"))).unwrap();
        assert_eq!(with_target.target, "“pi.csv”");
    }

    #[test]
    fn random_truncated_and_mutated_uploads_are_refused_or_read_never_panic() {
        let good =
            "action,reward,propensity,position\n0,1,0.5,0\n1,0,0.25,1\n2,1,0.125,0\n3,0,1,1\n";
        let alphabet = b"0123456789,.-e\n\r# abcinfNaposition";
        let mut rng = strata_sim::SimRng::seed_from_u64(7);
        let (mut read, mut refused) = (0, 0);
        for round in 0..3000 {
            let mut bytes = good.as_bytes().to_vec();
            match round % 3 {
                // Truncated.
                0 => bytes.truncate(rng.index(bytes.len() + 1)),
                // Mutated in a few places.
                1 => {
                    for _ in 0..=rng.index(4) {
                        let at = rng.index(bytes.len());
                        bytes[at] = alphabet[rng.index(alphabet.len())];
                    }
                }
                // Random.
                _ => {
                    bytes = (0..rng.index(200))
                        .map(|_| alphabet[rng.index(alphabet.len())])
                        .collect();
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            match evaluate_upload("fuzz.csv", &text, None) {
                Ok(evaluation) => {
                    read += 1;
                    assert!(evaluation.report.rows > 0);
                }
                Err(message) => {
                    refused += 1;
                    assert!(!message.is_empty());
                }
            }
        }
        // Both paths ran.
        assert!(
            read > 100 && refused > 100,
            "{read} read, {refused} refused"
        );
    }

    #[test]
    fn files_over_the_limit_are_refused_unread() {
        assert!(upload_too_large("a.csv", MAX_OPE_UPLOAD_BYTES).is_none());
        let message = upload_too_large("a.csv", MAX_OPE_UPLOAD_BYTES + 1).unwrap();
        assert!(
            message.contains("a.csv") && message.contains("strata ope"),
            "{message}"
        );
    }
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn estimates_bracket_the_twins_truth_on_a_logged_run() {
        // The behaviour log: a Thompson-sampling run of the default recommender, taken from
        // the lab's trace exactly as the page takes it.
        let mut scenario = crate::link::default_scenario();
        scenario.duration_ms = 60_000;
        scenario.workload.rate_ops_per_sec = 20.0;
        if let Some(spec) = scenario.recommender.as_mut() {
            spec.drift.clear();
        }
        let spec = scenario.recommender.clone().unwrap();
        let mut session = crate::session::Session::new(scenario.clone()).unwrap();
        session
            .advance(strata_sim::SimDuration::from_secs(50), u64::MAX)
            .unwrap();
        let steps = session.lab().recommender_summary().unwrap().steps;
        assert!(steps > 400, "{steps}");
        let log: Vec<LoggedImpression> = session.observed().impressions.to_vec();
        let mut twin = Twin::new(&spec, scenario.seed).unwrap();
        twin.advance_to(steps).unwrap();
        let result = evaluate(&log, spec.population.items as usize, &twin).unwrap();
        let truth = result
            .truth_ctr
            .expect("the twin served the same impression ids");
        assert!(result.rows > 1000);
        let ips = result
            .estimates
            .iter()
            .find(|(n, _)| *n == "ips")
            .unwrap()
            .1;
        let dr = result.estimates.iter().find(|(n, _)| *n == "dr").unwrap().1;
        // Uniform serving should click less than a learning policy, and the intervals should
        // be honest about the truth (generous, since both are noisy).
        assert!(
            truth < result.behaviour_ctr + 0.05,
            "{truth} vs {}",
            result.behaviour_ctr
        );
        for e in [ips, dr] {
            let slack = 3.0 * (e.ci95_high - e.ci95_low) / 2.0 + 0.02;
            assert!((e.value - truth).abs() < slack, "{e:?} vs truth {truth}");
        }
        assert!(!result.uniform_regret.is_empty());
        let _ = default_recommender();
    }
}
