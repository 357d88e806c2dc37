//! The metrics over time as CSV: one row per bucket of the metrics' series (one simulated
//! second, [`crate::metrics::SERIES_BUCKET`]), with a header.
//!
//! Columns, units last in each name:
//! `time_s` (the bucket's start), `writes_ok`, `reads_ok` (gets and scans), `ops_failed`,
//! `write_latency_ms_mean`, `write_latency_ms_max`, `read_latency_ms_mean`,
//! `read_latency_ms_max` (client latency of the operations that ended in the bucket; empty
//! when none did), `store_puts`, `store_gets`, `cost_usd` (the bucket's requests),
//! `cost_usd_to_date` (the run's from its start), and, when the scenario has a recommender,
//! `recommender_ctr` (windowed) and `recommender_regret` (cumulative), the last value the
//! recommender had reached by the bucket's end (empty before its first sample); then the
//! LSM tree's shape at the bucket's end (see [`crate::runner::tree_series`]; for the newest
//! bucket, not yet ended, the shape now): `l0_ssts`, `l0_bytes`, and `level1_bytes`,
//! `level2_bytes`, … the bytes of each sorted run under L0, newest first (the levels L1, L2,
//! … under leveled compaction), as many columns as the deepest tree in the file's rows, empty
//! where a row's tree has fewer runs. The tree's cells are all empty where no writer was up.
//!
//! Seconds in which nothing was recorded have no row. The series keeps the most recent
//! [`crate::metrics::MAX_SERIES_BUCKETS`] buckets, so a file has at most that many rows.
//! Numbers are written by Rust's shortest round-trip formatting (`{}`, through
//! `strata_sim::fmt::shortest`, the same text without core's float formatting in the page),
//! which is the same natively and in wasm32.

use crate::metrics::{usd, SeriesBucket};
use crate::runner::tree_series::{TreeSample, TreeSeries};
use crate::runner::Lab;
use std::fmt::Write;
use strata_sim::fmt::shortest;

/// The header line (without the recommender's columns).
pub const HEADER: &str = "time_s,writes_ok,reads_ok,ops_failed,write_latency_ms_mean,write_latency_ms_max,read_latency_ms_mean,read_latency_ms_max,store_puts,store_gets,cost_usd,cost_usd_to_date";
/// The recommender's columns, appended to [`HEADER`] when the run has one.
pub const RECOMMENDER_HEADER: &str = ",recommender_ctr,recommender_regret";

/// The tree's first columns, after the recommender's (or the storage columns); the levels'
/// columns (`level1_bytes`, …) follow.
pub const TREE_HEADER: &str = ",l0_ssts,l0_bytes";

/// The tree's shape by bucket: the samples at the buckets' boundaries, and the shape now for
/// a bucket that has not ended.
#[derive(Clone, Copy, Debug)]
pub struct TreeColumns<'a> {
    pub series: &'a TreeSeries,
    pub now: &'a TreeSample,
}

impl TreeColumns<'_> {
    /// The shape at the end of the bucket that starts at `start`: its boundary's sample, or
    /// the shape now while the bucket has not ended (none when the sample is no longer kept).
    fn at_end_of(&self, start: strata_sim::SimTime) -> Option<&TreeSample> {
        let end = start + crate::metrics::SERIES_BUCKET;
        match self.series.at(end) {
            Some(sample) => Some(sample),
            None if end > self.now.at => Some(self.now),
            None => None,
        }
    }
}

/// The recommender's series, by time: (seconds, value), oldest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecommenderSeries {
    pub ctr: Vec<(f64, f64)>,
    pub regret: Vec<(f64, f64)>,
}

/// The last value at or before `until_s`, if any.
fn value_by(series: &[(f64, f64)], until_s: f64) -> Option<f64> {
    let reached = series.partition_point(|(at, _)| *at <= until_s);
    reached.checked_sub(1).map(|index| series[index].1)
}

fn optional(value: Option<f64>) -> String {
    value.map_or(String::new(), |v| shortest(v).to_string())
}

fn mean_ms(total_nanos: u64, count: u64) -> Option<f64> {
    (count > 0).then(|| total_nanos as f64 / count as f64 / 1e6)
}

/// The CSV of `buckets` (oldest first), with the recommender's columns when given, then the
/// tree's.
pub fn metrics_csv<'a>(
    buckets: impl IntoIterator<Item = &'a SeriesBucket>,
    recommender: Option<&RecommenderSeries>,
    tree: TreeColumns<'_>,
) -> String {
    let buckets: Vec<&SeriesBucket> = buckets.into_iter().collect();
    let shapes: Vec<Option<&TreeSample>> = buckets
        .iter()
        .map(|b| tree.at_end_of(b.start).filter(|shape| shape.writer_up))
        .collect();
    let levels = shapes
        .iter()
        .flatten()
        .map(|shape| shape.runs_bytes.len())
        .max()
        .unwrap_or(0);
    let mut out = String::from(HEADER);
    if recommender.is_some() {
        out.push_str(RECOMMENDER_HEADER);
    }
    out.push_str(TREE_HEADER);
    for level in 1..=levels {
        let _infallible = write!(out, ",level{level}_bytes");
    }
    out.push('\n');
    let width_s = crate::metrics::SERIES_BUCKET.as_secs_f64();
    for (b, shape) in buckets.into_iter().zip(shapes) {
        let start_s = b.start.as_secs_f64();
        let _infallible = write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            shortest(start_s),
            b.writes_ok,
            b.reads_ok,
            b.ops_failed,
            optional(mean_ms(b.write_latency_nanos_total, b.writes_ok)),
            optional((b.writes_ok > 0).then(|| b.write_latency_nanos_max as f64 / 1e6)),
            optional(mean_ms(b.read_latency_nanos_total, b.reads_ok)),
            optional((b.reads_ok > 0).then(|| b.read_latency_nanos_max as f64 / 1e6)),
            b.store_puts,
            b.store_gets,
            shortest(usd(b.cost_picousd)),
            shortest(usd(b.cost_picousd_to_date)),
        );
        if let Some(series) = recommender {
            let end_s = start_s + width_s;
            let _infallible = write!(
                out,
                ",{},{}",
                optional(value_by(&series.ctr, end_s)),
                optional(value_by(&series.regret, end_s)),
            );
        }
        match shape {
            Some(shape) => {
                let _infallible = write!(out, ",{},{}", shape.l0_ssts, shape.l0_bytes);
                for level in 0..levels {
                    out.push(',');
                    if let Some(bytes) = shape.runs_bytes.get(level) {
                        let _infallible = write!(out, "{bytes}");
                    }
                }
            }
            None => {
                for _ in 0..2 + levels {
                    out.push(',');
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The recommender's CTR and regret of `lab` in simulated seconds, when it has one.
pub fn lab_recommender_series(lab: &Lab) -> Option<RecommenderSeries> {
    let summary = lab.recommender_summary()?;
    let rate = lab
        .scenario()
        .recommender
        .as_ref()
        .map_or(1.0, |spec| spec.population.slates_per_sec.max(1e-9));
    let in_seconds = |points: &[(u64, f64)]| {
        points
            .iter()
            .map(|(step, value)| (*step as f64 / rate, *value))
            .collect()
    };
    Some(RecommenderSeries {
        ctr: in_seconds(&summary.ctr_series),
        regret: in_seconds(&summary.regret_series),
    })
}

/// The CSV `strata run --metrics-out` writes and the page saves.
pub fn lab_metrics_csv(lab: &Lab) -> String {
    let recommender = lab_recommender_series(lab);
    let metrics = lab.metrics();
    let now = TreeSample::of(lab.now(), lab.db_state().as_ref());
    let tree = TreeColumns {
        series: lab.tree_series(),
        now: &now,
    };
    metrics_csv(metrics.series.iter(), recommender.as_ref(), tree)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::Scenario;
    use strata_sim::SimTime;

    #[test]
    fn a_bucket_becomes_one_row_in_the_header_units() {
        let bucket = SeriesBucket {
            start: SimTime::from_secs(3),
            writes_ok: 4,
            reads_ok: 0,
            ops_failed: 1,
            store_puts: 2,
            store_gets: 5,
            cost_picousd: 10_000_000,
            cost_picousd_to_date: 30_000_000,
            write_latency_nanos_total: 40_000_000,
            write_latency_nanos_max: 25_000_000,
            read_latency_nanos_total: 0,
            read_latency_nanos_max: 0,
        };
        let series = RecommenderSeries {
            ctr: vec![(1.0, 0.1), (3.5, 0.2), (4.5, 0.3)],
            regret: vec![(5.0, 2.0)],
        };
        // The tree sampled at each second up to 4 s, the bucket's end, while no writer was up.
        let mut tree_series = TreeSeries::default();
        let sample = TreeSample {
            at: SimTime::ZERO,
            writer_up: true,
            l0_ssts: 3,
            l0_bytes: 3000,
            runs_bytes: vec![500, 9000],
        };
        tree_series.sample_through(SimTime::from_secs(4), || None);
        let now = TreeSample {
            at: SimTime::from_secs(9),
            ..sample.clone()
        };
        let sampled = TreeColumns {
            series: &tree_series,
            now: &now,
        };
        // No writer was up at the samples: the tree's cells are empty, and no level columns.
        let csv = metrics_csv([bucket].iter(), Some(&series), sampled);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            format!("{HEADER}{RECOMMENDER_HEADER}{TREE_HEADER}")
        );
        // Mean write latency 10 ms, max 25 ms; no reads, so their columns are empty; the CTR
        // reached by the bucket's end (4 s) is 0.2; no regret sample yet.
        assert_eq!(lines[1], "3,4,0,1,10,25,,,2,5,0.00001,0.00003,0.2,,,");
        assert_eq!(lines.len(), 2);
        // A bucket that has not ended yet shows the shape now, with a column per level.
        let unsampled = TreeSeries::default();
        let current = TreeColumns {
            series: &unsampled,
            now: &TreeSample {
                at: SimTime::from_millis(3500),
                ..sample
            },
        };
        let without = metrics_csv([bucket].iter(), None, current);
        assert_eq!(
            without.lines().next().unwrap(),
            format!("{HEADER}{TREE_HEADER},level1_bytes,level2_bytes")
        );
        assert_eq!(
            without.lines().nth(1).unwrap(),
            "3,4,0,1,10,25,,,2,5,0.00001,0.00003,3,3000,500,9000"
        );
    }

    #[test]
    fn a_run_has_a_row_per_second_with_its_costs_adding_up() {
        let scenario = crate::export::trace_events::tests::compaction_with_faults(1000);
        let mut lab = Lab::new(&scenario).unwrap();
        let summary = lab.run_to_end().unwrap();
        let csv = lab_metrics_csv(&lab);
        let header_columns = csv.lines().next().unwrap().split(',').count();
        let rows: Vec<Vec<&str>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(rows.len(), lab.metrics().series.len());
        assert!(rows.len() >= 3, "{csv}");
        assert!(rows.iter().all(|r| r.len() == header_columns));
        let writes: u64 = rows.iter().map(|r| r[1].parse::<u64>().unwrap()).sum();
        assert_eq!(writes, summary.writes.acknowledged);
        let bucket_cost: f64 = rows.iter().map(|r| r[10].parse::<f64>().unwrap()).sum();
        let to_date: f64 = rows.last().unwrap()[11].parse().unwrap();
        assert!(
            (bucket_cost - to_date).abs() < 1e-9,
            "{bucket_cost} vs {to_date}"
        );
        assert!((to_date - crate::metrics::usd(lab.metrics().cost_picousd)).abs() < 1e-12);
    }

    #[test]
    fn a_recommender_run_adds_its_ctr_and_regret() {
        let scenario =
            Scenario::from_json(include_str!("../../../../tests/scenarios/recommender.json"))
                .unwrap();
        let mut lab = Lab::new(&scenario).unwrap();
        lab.run_to_end().unwrap();
        let csv = lab_metrics_csv(&lab);
        assert!(csv.starts_with(&format!("{HEADER}{RECOMMENDER_HEADER}{TREE_HEADER}")));
        let last: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
        let ctr: f64 = last[12].parse().unwrap();
        let regret: f64 = last[13].parse().unwrap();
        assert!(
            last[14].parse::<u64>().is_ok(),
            "the L0 count follows: {last:?}"
        );
        assert!((0.0..=1.0).contains(&ctr) && regret > 0.0, "{last:?}");
    }

    /// The CSV's L0 and level columns as numbers, by row (none for an empty cell).
    fn tree_cells(csv: &str) -> (Vec<String>, Vec<Vec<Option<u64>>>) {
        let mut lines = csv.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let first = header.iter().position(|h| h == "l0_ssts").unwrap();
        let rows = lines
            .map(|line| {
                line.split(',')
                    .skip(first)
                    .map(|cell| cell.parse::<u64>().ok())
                    .collect()
            })
            .collect();
        (header[first..].to_vec(), rows)
    }

    #[test]
    fn the_tree_columns_follow_l0_and_the_levels_and_end_at_the_final_shape() {
        let scenario = crate::export::trace_events::tests::compaction_with_faults(1000);
        let mut lab = Lab::new(&scenario).unwrap();
        let summary = lab.run_to_end().unwrap();
        let csv = lab_metrics_csv(&lab);
        let (header, rows) = tree_cells(&csv);
        assert_eq!(header[..2], ["l0_ssts", "l0_bytes"]);
        assert!(
            header.len() > 2 && header[2] == "level1_bytes",
            "{header:?}"
        );
        assert!(rows.iter().all(|r| r.len() == header.len()));
        // L0 fills between compactions: it is not the same every second.
        let l0: Vec<u64> = rows.iter().filter_map(|r| r[0]).collect();
        assert!(
            l0.iter().any(|n| *n > 0) && l0.iter().min() != l0.iter().max(),
            "{l0:?}"
        );
        // The levels grow as compactions move data down.
        let level1: Vec<u64> = rows.iter().filter_map(|r| r[2]).collect();
        assert!(level1.last().unwrap() > &0, "{level1:?}");
        // The last bucket has not ended when the run does: its shape is the run's final one.
        let lsm = summary.lsm.unwrap();
        let last = rows.last().unwrap();
        assert_eq!(last[0], Some(lsm.l0_ssts));
        assert_eq!(last[1], Some(lsm.l0_bytes));
        let runs: Vec<u64> = lsm.runs.iter().map(|run| run.bytes).collect();
        let last_levels: Vec<u64> = last[2..].iter().flatten().copied().collect();
        assert_eq!(last_levels, runs);
    }

    #[test]
    fn the_tree_columns_are_the_same_however_the_run_was_cut() {
        let scenario = crate::export::trace_events::tests::compaction_with_faults(1000);
        let mut whole = Lab::new(&scenario).unwrap();
        whole.run_to_end().unwrap();
        // Frames of uneven length and event budgets, and single steps, as the page plays.
        let mut cut = Lab::new(&scenario).unwrap();
        let mut at_ms = 0;
        for round in 0u64.. {
            if cut.finished() {
                break;
            }
            if round % 5 == 4 {
                cut.step().unwrap();
                continue;
            }
            at_ms += 37 + (round * 211) % 1300;
            cut.advance_to(SimTime::from_millis(at_ms), 1 + (round * 97) % 400)
                .unwrap();
            at_ms = at_ms.min(cut.now().as_nanos() / 1_000_000);
        }
        assert!(cut.now() >= whole.now());
        let mut at_end = Lab::new(&scenario).unwrap();
        at_end.advance_to(cut.now(), u64::MAX).unwrap();
        let whole_samples: Vec<_> = whole.tree_series().samples().cloned().collect();
        let cut_samples: Vec<_> = cut.tree_series().samples().cloned().collect();
        assert!(whole_samples.len() >= 3);
        assert_eq!(cut_samples[..whole_samples.len()], whole_samples[..]);
        assert_eq!(lab_metrics_csv(&cut), lab_metrics_csv(&at_end));
    }
}
