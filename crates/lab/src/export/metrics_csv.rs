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
//! recommender had reached by the bucket's end (empty before its first sample).
//!
//! Seconds in which nothing was recorded have no row. The series keeps the most recent
//! [`crate::metrics::MAX_SERIES_BUCKETS`] buckets, so a file has at most that many rows.
//! Numbers are written by Rust's shortest round-trip formatting, which is the same natively
//! and in wasm32.

use crate::metrics::{usd, SeriesBucket};
use crate::runner::Lab;
use std::fmt::Write;

/// The header line (without the recommender's columns).
pub const HEADER: &str = "time_s,writes_ok,reads_ok,ops_failed,write_latency_ms_mean,write_latency_ms_max,read_latency_ms_mean,read_latency_ms_max,store_puts,store_gets,cost_usd,cost_usd_to_date";
/// The recommender's columns, appended to [`HEADER`] when the run has one.
pub const RECOMMENDER_HEADER: &str = ",recommender_ctr,recommender_regret";

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
    value.map_or(String::new(), |v| v.to_string())
}

fn mean_ms(total_nanos: u64, count: u64) -> Option<f64> {
    (count > 0).then(|| total_nanos as f64 / count as f64 / 1e6)
}

/// The CSV of `buckets` (oldest first), with the recommender's columns when given.
pub fn metrics_csv<'a>(
    buckets: impl IntoIterator<Item = &'a SeriesBucket>,
    recommender: Option<&RecommenderSeries>,
) -> String {
    let mut out = String::from(HEADER);
    if recommender.is_some() {
        out.push_str(RECOMMENDER_HEADER);
    }
    out.push('\n');
    let width_s = crate::metrics::SERIES_BUCKET.as_secs_f64();
    for b in buckets {
        let start_s = b.start.as_secs_f64();
        let _infallible = write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            start_s,
            b.writes_ok,
            b.reads_ok,
            b.ops_failed,
            optional(mean_ms(b.write_latency_nanos_total, b.writes_ok)),
            optional((b.writes_ok > 0).then(|| b.write_latency_nanos_max as f64 / 1e6)),
            optional(mean_ms(b.read_latency_nanos_total, b.reads_ok)),
            optional((b.reads_ok > 0).then(|| b.read_latency_nanos_max as f64 / 1e6)),
            b.store_puts,
            b.store_gets,
            usd(b.cost_picousd),
            usd(b.cost_picousd_to_date),
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
    metrics_csv(metrics.series.iter(), recommender.as_ref())
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
        let csv = metrics_csv([bucket].iter(), Some(&series));
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], format!("{HEADER}{RECOMMENDER_HEADER}"));
        // Mean write latency 10 ms, max 25 ms; no reads, so their columns are empty; the CTR
        // reached by the bucket's end (4 s) is 0.2; no regret sample yet.
        assert_eq!(lines[1], "3,4,0,1,10,25,,,2,5,0.00001,0.00003,0.2,");
        assert_eq!(lines.len(), 2);
        let without = metrics_csv([bucket].iter(), None);
        assert_eq!(without.lines().next().unwrap(), HEADER);
        assert_eq!(
            without.lines().nth(1).unwrap(),
            "3,4,0,1,10,25,,,2,5,0.00001,0.00003"
        );
    }

    #[test]
    fn a_run_has_a_row_per_second_with_its_costs_adding_up() {
        let scenario = crate::export::trace_events::tests::compaction_with_faults(1000);
        let mut lab = Lab::new(&scenario).unwrap();
        let summary = lab.run_to_end().unwrap();
        let csv = lab_metrics_csv(&lab);
        let header_columns = HEADER.split(',').count();
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
        assert!(csv.starts_with(&format!("{HEADER}{RECOMMENDER_HEADER}\n")));
        let last: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
        let ctr: f64 = last[12].parse().unwrap();
        let regret: f64 = last[13].parse().unwrap();
        assert!((0.0..=1.0).contains(&ctr) && regret > 0.0, "{last:?}");
    }
}
