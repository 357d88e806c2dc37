//! Off-policy evaluation: estimate how a target policy π would have done, from a log collected
//! by another (behaviour) policy. Definitions follow Open Bandit Pipeline's estimators.
//!
//! For log row i — action a_i shown at position p_i with reward r_i and logged propensity
//! μ_i — the importance weight is w_i = π(a_i | x_i, p_i) / μ_i, and DM-family estimators use a
//! reward model q̂(x, a, p). Each estimator is the mean of a per-row contribution c_i:
//!
//! | estimator | c_i |
//! |---|---|
//! | replay | m_i·r_i / mean(m), m_i = π(a_i \| x_i, p_i) (the match indicator for a deterministic π) |
//! | ips | min(w_i, λ)·r_i (no clipping unless `clip` is set) |
//! | snips | w_i·r_i / mean(w) |
//! | dm | Σ_a π(a \| x_i, p_i)·q̂(x_i, a, p_i) |
//! | dr | dm_i + w_i·(r_i − q̂(x_i, a_i, p_i)) |
//! | sndr | dm_i + w_i·(r_i − q̂_i) / mean(w) |
//! | switch_dr | dm_i + 1[w_i ≤ τ]·w_i·(r_i − q̂_i) |
//! | dros | dm_i + ŵ_i·(r_i − q̂_i), ŵ_i = λ·w_i / (w_i² + λ) |
//!
//! Every estimate carries the normal 95% interval mean(c) ± 1.96·sd(c)/√n with sd over n − 1.
//! For the self-normalised estimators (replay, snips, sndr) the contributions are taken after
//! dividing by the sample mean weight, i.e. the normaliser is treated as fixed; this is the
//! same per-row quantity OBP bootstraps, and it makes the interval centre equal the estimate.
//! Replay is meant for uniformly logged data; the report says when the log is not uniform.

use crate::csv;
use crate::error::{require_above, require_at_least, RecommenderError, Result};
use crate::stats::MeanInterval;
use serde::{Deserialize, Serialize};
use strata_sim::fmt::shortest;
use strata_sim::maps::LiteMap;

/// Estimator parameters. `None` means "no clipping / no threshold / no shrinkage".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpeOptions {
    /// λ for IPS weight clipping (> 0).
    pub clip: Option<f64>,
    /// τ for Switch-DR (≥ 0): rows with w > τ fall back to DM.
    pub switch_tau: Option<f64>,
    /// λ for DR with optimistic shrinkage (≥ 0): 0 is DM, ∞ is DR.
    pub dros_lambda: Option<f64>,
}

impl OpeOptions {
    pub fn validate(&self) -> Result<()> {
        if let Some(clip) = self.clip {
            require_above("clip", clip, 0.0)?;
        }
        if let Some(tau) = self.switch_tau {
            require_at_least("switch_tau", tau, 0.0)?;
        }
        if let Some(lambda) = self.dros_lambda {
            require_at_least("dros_lambda", lambda, 0.0)?;
        }
        Ok(())
    }
}

/// One logged impression, with the target policy's distribution and the reward model at its
/// context and position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpeRow<'a> {
    pub action: usize,
    pub position: usize,
    pub reward: f64,
    /// The logging policy's probability of `action` here, in (0, 1].
    pub propensity: f64,
    /// π(· | x, p), one entry per action.
    pub target: &'a [f64],
    /// q̂(x, ·, p), one entry per action, when a reward model is available.
    pub reward_model: Option<&'a [f64]>,
}

/// One estimator's value and 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    /// Standard deviation of the per-row contributions (over n − 1).
    pub sd: f64,
    pub n: u64,
}

impl Estimate {
    fn from_contributions(contributions: &[f64]) -> Option<Estimate> {
        let m = MeanInterval::of(contributions)?;
        Some(Estimate {
            value: m.mean,
            ci95_low: m.ci95_low,
            ci95_high: m.ci95_high,
            sd: m.sd,
            n: m.n,
        })
    }
}

/// Weight diagnostics, so a reader can tell when an estimate should not be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightDiagnostics {
    pub mean_weight: f64,
    pub max_weight: f64,
    /// (Σw)² / Σw², the number of rows the weighted sample is "worth".
    pub effective_sample_size: f64,
    /// Rows whose IPS weight was clipped at λ.
    pub clipped_rows: u64,
    /// Rows Switch-DR sent to DM (w > τ).
    pub switched_rows: u64,
    /// Whether every row at each position had the same logged propensity.
    pub logging_uniform: bool,
}

/// Every estimator's result on one log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpeReport {
    pub rows: u64,
    pub replay: Option<Estimate>,
    pub ips: Option<Estimate>,
    pub snips: Option<Estimate>,
    pub dm: Option<Estimate>,
    pub dr: Option<Estimate>,
    pub sndr: Option<Estimate>,
    pub switch_dr: Option<Estimate>,
    pub dros: Option<Estimate>,
    /// Estimators not computed, with the reason.
    #[serde(serialize_with = "strata_sim::maps::serialize_map")]
    pub skipped: LiteMap<String, String>,
    pub diagnostics: WeightDiagnostics,
    pub options: OpeOptions,
    pub notes: Vec<String>,
}

/// The estimators' names, in the order [`OpeReport::estimates`] lists them.
pub const ESTIMATOR_NAMES: [&str; 8] = [
    "replay",
    "ips",
    "snips",
    "dm",
    "dr",
    "sndr",
    "switch_dr",
    "dros",
];

impl OpeReport {
    /// The report as a JSON value (what `strata ope` prints).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// (name, estimate) for every computed estimator, in a fixed order.
    pub fn estimates(&self) -> Vec<(&'static str, Estimate)> {
        ESTIMATOR_NAMES
            .into_iter()
            .zip([
                self.replay,
                self.ips,
                self.snips,
                self.dm,
                self.dr,
                self.sndr,
                self.switch_dr,
                self.dros,
            ])
            .filter_map(|(name, e)| e.map(|e| (name, e)))
            .collect()
    }
}

fn invalid(message: impl Into<String>) -> RecommenderError {
    RecommenderError::InvalidCall(message.into())
}

/// Runs every estimator over the rows.
pub fn estimate(rows: &[OpeRow<'_>], options: &OpeOptions) -> Result<OpeReport> {
    options.validate()?;
    if rows.is_empty() {
        return Err(invalid("the log has no rows"));
    }
    for (i, row) in rows.iter().enumerate() {
        if row.action >= row.target.len() {
            return Err(invalid(format!(
                "row {i}: action {} out of range for {} actions",
                row.action,
                row.target.len()
            )));
        }
        if !(row.propensity > 0.0 && row.propensity <= 1.0) {
            return Err(invalid(format!(
                "row {i}: propensity {} outside (0, 1]",
                shortest(row.propensity)
            )));
        }
        if !row.reward.is_finite() {
            return Err(invalid(format!("row {i}: reward is not finite")));
        }
        if let Some(q) = row.reward_model {
            if q.len() != row.target.len() {
                return Err(invalid(format!(
                    "row {i}: reward model has {} actions, target {}",
                    q.len(),
                    row.target.len()
                )));
            }
        }
    }

    let n = rows.len() as f64;
    // The per-row lists here and below are pushed by loops, not `map`ped and `collect`ed:
    // each such chain was an instance of its own in the page.
    let mut weights = Vec::with_capacity(rows.len());
    let mut matches = Vec::with_capacity(rows.len());
    for r in rows {
        weights.push(r.target[r.action] / r.propensity);
        matches.push(r.target[r.action]);
    }
    let weight_sum: f64 = weights.iter().sum();
    let weight_square_sum: f64 = weights.iter().map(|w| w * w).sum();
    let mean_weight = weight_sum / n;
    let mut skipped = LiteMap::new();
    let mut notes = Vec::new();

    // Replay.
    let mean_match = matches.iter().sum::<f64>() / n;
    let replay = if mean_match > 0.0 {
        let mut c = Vec::with_capacity(rows.len());
        for (r, m) in rows.iter().zip(&matches) {
            c.push(m * r.reward / mean_match);
        }
        Estimate::from_contributions(&c)
    } else {
        skipped.insert(
            "replay".to_string(),
            "no logged action has positive target probability".to_string(),
        );
        None
    };

    // IPS (optionally clipped) and SNIPS.
    let mut clipped_rows = 0u64;
    let mut ips_c = Vec::with_capacity(rows.len());
    for (r, w) in rows.iter().zip(&weights) {
        let w = match options.clip {
            Some(clip) if *w > clip => {
                clipped_rows += 1;
                clip
            }
            _ => *w,
        };
        ips_c.push(w * r.reward);
    }
    let ips = Estimate::from_contributions(&ips_c);
    let snips = if mean_weight > 0.0 {
        let mut c = Vec::with_capacity(rows.len());
        for (r, w) in rows.iter().zip(&weights) {
            c.push(w * r.reward / mean_weight);
        }
        Estimate::from_contributions(&c)
    } else {
        skipped.insert(
            "snips".to_string(),
            "all importance weights are zero".to_string(),
        );
        None
    };

    // The DM family needs q̂ on every row.
    let mut switched_rows = 0u64;
    let (dm, dr, sndr, switch_dr, dros) = if rows.iter().all(|r| r.reward_model.is_some()) {
        let mut dm_c = Vec::with_capacity(rows.len());
        let mut dr_c = Vec::with_capacity(rows.len());
        let mut sndr_c = Vec::with_capacity(rows.len());
        let mut switch_c = Vec::with_capacity(rows.len());
        let mut dros_c = Vec::with_capacity(rows.len());
        for (r, w) in rows.iter().zip(&weights) {
            let q = r.reward_model.unwrap_or(&[]);
            let baseline: f64 = r.target.iter().zip(q).map(|(p, q)| p * q).sum();
            let residual = r.reward - q[r.action];
            dm_c.push(baseline);
            dr_c.push(baseline + w * residual);
            sndr_c.push(if mean_weight > 0.0 {
                baseline + w * residual / mean_weight
            } else {
                baseline
            });
            let switch_on = options.switch_tau.is_none_or(|tau| *w <= tau);
            if !switch_on {
                switched_rows += 1;
            }
            switch_c.push(baseline + if switch_on { w * residual } else { 0.0 });
            let shrunk = match options.dros_lambda {
                None => *w,
                Some(0.0) => 0.0,
                Some(lambda) => lambda * w / (w * w + lambda),
            };
            dros_c.push(baseline + shrunk * residual);
        }
        (
            Estimate::from_contributions(&dm_c),
            Estimate::from_contributions(&dr_c),
            Estimate::from_contributions(&sndr_c),
            Estimate::from_contributions(&switch_c),
            Estimate::from_contributions(&dros_c),
        )
    } else {
        for name in ["dm", "dr", "sndr", "switch_dr", "dros"] {
            skipped.insert(
                name.to_string(),
                "needs a reward model q̂ (--reward-model)".to_string(),
            );
        }
        (None, None, None, None, None)
    };

    // Was the log uniform at each position? The rows taken in order of position (those of
    // one position in their own order, through the sort every caller of `stable_order`
    // shares), each position's lowest and highest propensity folded as they come: no map
    // of positions, whose code the page had for this alone.
    let order = strata_sim::maps::stable_order(rows.iter().map(|r| r.position as u64));
    let mut logging_uniform = true;
    let mut next = 0;
    while next < order.len() {
        let first = &rows[order[next]];
        let (mut lo, mut hi) = (first.propensity, first.propensity);
        next += 1;
        while next < order.len() && rows[order[next]].position == first.position {
            lo = lo.min(rows[order[next]].propensity);
            hi = hi.max(rows[order[next]].propensity);
            next += 1;
        }
        logging_uniform &= hi - lo <= 1e-9;
    }
    if !logging_uniform {
        notes.push(
            "replay assumes uniformly logged data; this log's propensities vary, so prefer IPS/DR"
                .to_string(),
        );
    }
    if rows.len() < 2 {
        notes.push("one row: intervals have zero width".to_string());
    }

    Ok(OpeReport {
        rows: rows.len() as u64,
        replay,
        ips,
        snips,
        dm,
        dr,
        sndr,
        switch_dr,
        dros,
        skipped,
        diagnostics: WeightDiagnostics {
            mean_weight,
            max_weight: weights.iter().copied().fold(0.0, f64::max),
            effective_sample_size: if weight_square_sum > 0.0 {
                weight_sum * weight_sum / weight_square_sum
            } else {
                0.0
            },
            clipped_rows,
            switched_rows,
            logging_uniform,
        },
        options: options.clone(),
        notes,
    })
}

/// A per-position distribution table read from CSV: one row per action, one column per
/// position. Stored transposed (position-major) for row lookups.
struct PositionTable {
    actions: usize,
    positions: usize,
    /// by_position[p][a].
    by_position: Vec<Vec<f64>>,
}

fn position_table(matrix: &csv::Matrix) -> PositionTable {
    // Loops, not two `map`s and `collect`s, whose instances the page had for this table alone.
    let mut by_position = Vec::with_capacity(matrix.cols);
    for p in 0..matrix.cols {
        let mut column = Vec::with_capacity(matrix.rows);
        for a in 0..matrix.rows {
            column.push(matrix.get(a, p));
        }
        by_position.push(column);
    }
    PositionTable {
        actions: matrix.rows,
        positions: matrix.cols,
        by_position,
    }
}

fn csv_error(file: &str, line: usize, message: impl Into<String>) -> RecommenderError {
    RecommenderError::Csv {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// Parses a whole number (an action or a position) from a log field.
fn index_field(file: &str, line: usize, column: &str, field: &str) -> Result<usize> {
    let value = csv::number(file, line, column, field)?;
    if value < 0.0 || value.fract() != 0.0 || value > u32::MAX as f64 {
        return Err(csv_error(
            file,
            line,
            format!("column {column}: {field:?} is not a non-negative whole number"),
        ));
    }
    Ok(value as usize)
}

/// `strata ope`: reads the log, the target policy π(a | position) and optionally the reward
/// model q̂(a, position), validates them with line-numbered errors, and runs every estimator.
///
/// - LOG: header with `action,reward,propensity` and optionally `position` (0-based; 0 when
///   absent), any column order, extra columns ignored.
/// - PI: one row per action, one column per position; each column sums to 1 within 1e-6.
/// - Q: the same shape as PI.
pub fn ope_from_csv(
    log_csv: &str,
    target_csv: &str,
    reward_model_csv: Option<&str>,
    options: &OpeOptions,
) -> Result<OpeReport> {
    options.validate()?;
    const LOG: &str = "log";
    const PI: &str = "target";
    const Q: &str = "reward model";

    let pi_matrix = csv::matrix(PI, target_csv)?;
    for r in 0..pi_matrix.rows {
        for c in 0..pi_matrix.cols {
            let v = pi_matrix.get(r, c);
            if !(0.0..=1.0).contains(&v) {
                return Err(csv_error(
                    PI,
                    pi_matrix.lines[r],
                    format!(
                        "π(action {r} | position {c}) = {} is not a probability",
                        shortest(v)
                    ),
                ));
            }
        }
    }
    for c in 0..pi_matrix.cols {
        let sum: f64 = (0..pi_matrix.rows).map(|r| pi_matrix.get(r, c)).sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(csv_error(
                PI,
                pi_matrix.last_line(),
                format!(
                    "column {} (position {c}) sums to {}, not 1 (±1e-6)",
                    c + 1,
                    shortest(sum)
                ),
            ));
        }
    }
    let target = position_table(&pi_matrix);

    let reward_model = match reward_model_csv {
        None => None,
        Some(text) => {
            let q = csv::matrix(Q, text)?;
            if q.rows != target.actions || q.cols != target.positions {
                return Err(csv_error(
                    Q,
                    q.last_line(),
                    format!(
                        "shape {}×{} (actions × positions) differs from the target's {}×{}",
                        q.rows, q.cols, target.actions, target.positions
                    ),
                ));
            }
            Some(position_table(&q))
        }
    };

    let log = csv::table(LOG, log_csv)?;
    let column = |name: &str| {
        log.column(name).ok_or_else(|| {
            csv_error(
                LOG,
                log.header_line,
                format!(
                    "missing column {name:?} (the header needs action,reward,propensity and optionally position)"
                ),
            )
        })
    };
    let action_col = column("action")?;
    let reward_col = column("reward")?;
    let propensity_col = column("propensity")?;
    let position_col = log.column("position");
    if log.rows.is_empty() {
        return Err(csv_error(LOG, log.header_line, "no data rows"));
    }

    let mut parsed = Vec::with_capacity(log.rows.len());
    for row in &log.rows {
        let line = row.line;
        let action = index_field(LOG, line, "action", row.fields[action_col])?;
        if action >= target.actions {
            return Err(csv_error(
                LOG,
                line,
                format!(
                    "action {action} out of range: the target has {} actions (rows)",
                    target.actions
                ),
            ));
        }
        let position = match position_col {
            Some(c) => index_field(LOG, line, "position", row.fields[c])?,
            None => 0,
        };
        if position >= target.positions {
            return Err(csv_error(
                LOG,
                line,
                format!(
                    "position {position} out of range: the target has {} positions (columns)",
                    target.positions
                ),
            ));
        }
        let reward = csv::number(LOG, line, "reward", row.fields[reward_col])?;
        let propensity = csv::number(LOG, line, "propensity", row.fields[propensity_col])?;
        if !(propensity > 0.0 && propensity <= 1.0) {
            return Err(csv_error(
                LOG,
                line,
                format!("propensity {} must lie in (0, 1]", shortest(propensity)),
            ));
        }
        parsed.push((action, position, reward, propensity));
    }

    // A loop, not `map` and `collect`, whose instance the page had for these rows alone.
    let mut rows: Vec<OpeRow<'_>> = Vec::with_capacity(parsed.len());
    for &(action, position, reward, propensity) in &parsed {
        rows.push(OpeRow {
            action,
            position,
            reward,
            propensity,
            target: &target.by_position[position],
            reward_model: reward_model
                .as_ref()
                .map(|q| q.by_position[position].as_slice()),
        });
    }
    estimate(&rows, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    // A hand-computed example: two actions, one position.
    // π = (0.8, 0.2); q̂ = (0.6, 0.3); log (action, reward, propensity):
    //   (0, 1, 0.5), (1, 0, 0.5), (0, 0, 0.5), (1, 1, 0.25)
    // weights w = (1.6, 0.4, 1.6, 0.8), mean 1.1.
    const LOG: &str = "action,reward,propensity\n0,1,0.5\n1,0,0.5\n0,0,0.5\n1,1,0.25\n";
    const PI: &str = "0.8\n0.2\n";
    const Q: &str = "0.6\n0.3\n";

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn every_estimator_by_hand() {
        let options = OpeOptions {
            clip: Some(1.0),
            switch_tau: Some(1.0),
            dros_lambda: Some(1.0),
        };
        let report = ope_from_csv(LOG, PI, Some(Q), &options).unwrap();
        assert_eq!(report.rows, 4);
        // IPS clipped at 1: contributions (1, 0, 0, 0.8) → 0.45.
        close(report.ips.unwrap().value, 0.45);
        assert_eq!(report.diagnostics.clipped_rows, 2);
        // SNIPS: Σ w r = 1.6 + 0.8 = 2.4; / Σ w = 4.4 → 0.545454…
        close(report.snips.unwrap().value, 2.4 / 4.4);
        // Replay: m = (0.8, 0.2, 0.8, 0.2), Σ m r = 0.8 + 0.2 = 1.0, Σ m = 2.0 → 0.5.
        close(report.replay.unwrap().value, 0.5);
        // DM: 0.8·0.6 + 0.2·0.3 = 0.54 on every row.
        let dm = report.dm.unwrap();
        close(dm.value, 0.54);
        assert_eq!(dm.sd, 0.0);
        // DR: residuals (0.4, −0.3, −0.6, 0.7); w·res = (0.64, −0.12, −0.96, 0.56), mean 0.03.
        close(report.dr.unwrap().value, 0.57);
        // SNDR: 0.54 + 0.03 / 1.1.
        close(report.sndr.unwrap().value, 0.54 + 0.03 / 1.1);
        // Switch-DR with τ = 1: only rows 2 and 4 (w 0.4, 0.8) keep their correction:
        // (−0.12 + 0.56) / 4 = 0.11.
        close(report.switch_dr.unwrap().value, 0.54 + 0.11);
        assert_eq!(report.diagnostics.switched_rows, 2);
        // DRos λ = 1: ŵ = w/(w² + 1) = (1.6/3.56, 0.4/1.16, 1.6/3.56, 0.8/1.64).
        let shrunk = [1.6 / 3.56, 0.4 / 1.16, 1.6 / 3.56, 0.8 / 1.64];
        let residuals = [0.4, -0.3, -0.6, 0.7];
        let correction: f64 = shrunk
            .iter()
            .zip(residuals)
            .map(|(w, r)| w * r)
            .sum::<f64>()
            / 4.0;
        close(report.dros.unwrap().value, 0.54 + correction);
        assert!(report.skipped.is_empty());
        assert!(!report.diagnostics.logging_uniform);
    }

    #[test]
    fn intervals_use_the_sample_sd_of_contributions() {
        let report = ope_from_csv(LOG, PI, None, &OpeOptions::default()).unwrap();
        // Unclipped IPS contributions (1.6, 0, 0, 0.8): mean 0.6, sample variance
        // ((1)² + 0.36 + 0.36 + 0.04)/3 = 1.76/3.
        let ips = report.ips.unwrap();
        close(ips.value, 0.6);
        let sd = (1.76_f64 / 3.0).sqrt();
        close(ips.sd, sd);
        close(ips.ci95_low, 0.6 - 1.96 * sd / 2.0);
        close(ips.ci95_high, 0.6 + 1.96 * sd / 2.0);
        assert!(report.dm.is_none());
        assert_eq!(report.skipped.len(), 5);
    }

    #[test]
    fn unbounded_parameters_reduce_to_dr() {
        let report = ope_from_csv(LOG, PI, Some(Q), &OpeOptions::default()).unwrap();
        close(report.switch_dr.unwrap().value, report.dr.unwrap().value);
        close(report.dros.unwrap().value, report.dr.unwrap().value);
        let zero = OpeOptions {
            dros_lambda: Some(0.0),
            switch_tau: Some(0.0),
            ..Default::default()
        };
        let report = ope_from_csv(LOG, PI, Some(Q), &zero).unwrap();
        close(report.dros.unwrap().value, 0.54);
        close(report.switch_dr.unwrap().value, 0.54);
    }

    #[test]
    fn positions_select_the_target_column() {
        // Two positions: position 1 always shows action 1 under π.
        let log = "position,action,reward,propensity\n0,0,1,0.5\n1,1,1,0.5\n1,0,1,0.5\n";
        let pi = "1,0\n0,1\n";
        let report = ope_from_csv(log, pi, None, &OpeOptions::default()).unwrap();
        // w = (2, 2, 0): IPS = (2 + 2 + 0)/3.
        close(report.ips.unwrap().value, 4.0 / 3.0);
        assert!(report.diagnostics.logging_uniform);
    }

    #[test]
    fn logging_is_uniform_when_each_position_logs_one_propensity() {
        // Positions interleaved, each with one propensity of its own: uniform.
        let log =
            "position,action,reward,propensity\n1,0,1,0.25\n0,0,1,0.5\n1,1,0,0.25\n0,1,1,0.5\n";
        let pi = "1,0\n0,1\n";
        let report = ope_from_csv(log, pi, None, &OpeOptions::default()).unwrap();
        assert!(report.diagnostics.logging_uniform);
        // The second row of position 1, after position 0's first, differs: not uniform.
        let log =
            "position,action,reward,propensity\n1,0,1,0.25\n0,0,1,0.5\n1,1,0,0.75\n0,1,1,0.5\n";
        let report = ope_from_csv(log, pi, None, &OpeOptions::default()).unwrap();
        assert!(!report.diagnostics.logging_uniform);
    }

    fn line_of(err: RecommenderError) -> (String, usize, String) {
        match err {
            RecommenderError::Csv {
                file,
                line,
                message,
            } => (file, line, message),
            other => panic!("expected a CSV error, got {other}"),
        }
    }

    #[test]
    fn csv_errors_name_the_file_and_line() {
        let options = OpeOptions::default();
        let (file, line, message) =
            line_of(ope_from_csv("action,reward\n0,1\n", PI, None, &options).unwrap_err());
        assert_eq!((file.as_str(), line), ("log", 1));
        assert!(
            message.contains("missing column \"propensity\""),
            "{message}"
        );

        let bad_propensity = "action,reward,propensity\n0,1,0.5\n1,0,0\n";
        let (_, line, message) =
            line_of(ope_from_csv(bad_propensity, PI, None, &options).unwrap_err());
        assert_eq!(line, 3);
        assert!(message.contains("(0, 1]"));
        let big_propensity = "action,reward,propensity\n\n0,1,1.5\n";
        assert_eq!(
            line_of(ope_from_csv(big_propensity, PI, None, &options).unwrap_err()).1,
            3
        );

        let (file, line, message) =
            line_of(ope_from_csv(LOG, "0.8\n0.3\n", None, &options).unwrap_err());
        assert_eq!((file.as_str(), line), ("target", 2));
        assert!(message.contains("sums to"), "{message}");

        let non_number = "action,reward,propensity\n0,yes,0.5\n";
        let (_, line, message) = line_of(ope_from_csv(non_number, PI, None, &options).unwrap_err());
        assert_eq!(line, 2);
        assert!(message.contains("reward") && message.contains("not a finite number"));

        let out_of_range = "action,reward,propensity\n0,1,0.5\n2,1,0.5\n";
        let (_, line, message) =
            line_of(ope_from_csv(out_of_range, PI, None, &options).unwrap_err());
        assert_eq!(line, 3);
        assert!(message.contains("action 2 out of range"));

        let fractional = "action,reward,propensity\n0.5,1,0.5\n";
        assert_eq!(
            line_of(ope_from_csv(fractional, PI, None, &options).unwrap_err()).1,
            2
        );

        let bad_position = "action,reward,propensity,position\n0,1,0.5,1\n";
        let (_, _, message) = line_of(ope_from_csv(bad_position, PI, None, &options).unwrap_err());
        assert!(message.contains("position 1 out of range"));

        let (file, _, _) =
            line_of(ope_from_csv(LOG, PI, Some("0.1,0.2\n0.3,0.4\n"), &options).unwrap_err());
        assert_eq!(file, "reward model");
    }

    #[test]
    fn bad_options_are_typed_errors() {
        for options in [
            OpeOptions {
                clip: Some(0.0),
                ..Default::default()
            },
            OpeOptions {
                switch_tau: Some(-1.0),
                ..Default::default()
            },
            OpeOptions {
                dros_lambda: Some(f64::NAN),
                ..Default::default()
            },
        ] {
            assert!(matches!(
                ope_from_csv(LOG, PI, None, &options),
                Err(RecommenderError::InvalidParameter { .. })
            ));
        }
    }
}
