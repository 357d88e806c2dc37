//! Side by side: a second run (a chapter's variant, or one a share link names) played in
//! lockstep with the page's run, and the figures the compare panel shows for both.
//!
//! This module knows nothing about the browser, so it runs (and is tested) natively too.
//!
//! - **Lockstep.** [`Compare::follow`] brings the variant to the simulated time of the run on
//!   show, whatever moved it: play, a step, "go to", a beat, a rebuild after a scrub back, a
//!   reset. Forward, the variant simulates the same stretch; backward, it starts again from
//!   time zero (or takes the lab [`Compare::prepare`] has been replaying toward a rebuild's
//!   target meanwhile, so a scrub back does not cost one long frame).
//! - **Derived.** A chapter's variant is its merge patch (RFC 7386) applied to the scenario on
//!   show, so live changes, faults and a new seed made on the page's run reach the variant
//!   too; a variant from a share link is a whole scenario and stays as it is.
//! - **Figures.** The panel's numbers are read from each run's summary by the dotted paths
//!   `strata chapter` uses for claims (the recommender's own summary under `policy`), so the
//!   page shows the figures the CLI checks.

use serde_json::Value;
use strata_lab::chapter::Chapter;
use strata_lab::{Lab, LabError, Scenario};
use strata_sim::SimTime;

/// Events one [`Compare::follow`] may process: far more than any scenario the page can run
/// holds, so the variant always reaches the time asked for.
pub const MAX_FOLLOW_EVENTS: u64 = u64::MAX;
/// Points kept per run for the panel's sparkline.
pub const MAX_POINTS: usize = 240;

/// Standard figures for a storage run: label and summary path.
pub const STORAGE_FIGURES: &[(&str, &str)] = &[
    ("client p99 write (ms)", "latency.write.p99_ms"),
    ("client p99 read (ms)", "latency.read.p99_ms"),
    ("store requests", "requests"),
    ("$ so far", "cost.total_usd"),
    ("L0 SSTs", "lsm.l0_ssts"),
    ("write amplification", "write_amplification"),
];
/// Standard figures for a recommender run.
pub const RECOMMENDER_FIGURES: &[(&str, &str)] = &[
    ("CTR", "policy.ctr"),
    ("regret", "policy.cumulative_regret"),
    ("coverage", "policy.catalogue_coverage"),
    ("Gini", "policy.exposure_gini"),
];

/// The variant's scenario: `patch` merged (RFC 7386) into `base`. The seed stays `base`'s.
pub fn patched(base: &Scenario, patch: &Value) -> Result<Scenario, String> {
    let mut value: Value = serde_json::from_str(&base.to_json())
        .map_err(|e| format!("the scenario could not be read back: {e}"))?;
    json_patch::merge(&mut value, patch);
    let scenario = Scenario::from_json(&value.to_string())
        .map_err(|e| format!("the variant's scenario is not valid: {e}"))?;
    if scenario.seed != base.seed {
        return Err("the variant changes the seed; a side-by-side run keeps it".to_string());
    }
    Ok(scenario)
}

/// Reads the figure at a dotted `path` of `summary` (array items by index). An object is
/// the sum of the numbers in it (`requests`: every request of every kind).
pub fn figure(summary: &Value, path: &str) -> Option<f64> {
    sum(strata_lab::chapter::value_at(summary, path).ok()?)
}

fn sum(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::Object(map) => Some(map.values().filter_map(sum).sum()),
        _ => None,
    }
}

/// A run's summary as JSON, with the recommender's own summary under `policy` (as
/// `strata chapter` reads claims).
pub fn summary_value(lab: &Lab) -> Value {
    // Through text, with the serialiser the page already has for downloads.
    let text = serde_json::to_string(&lab.summary()).unwrap_or_default();
    let mut value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if let (Some(policy), Value::Object(map)) = (lab.recommender_summary(), &mut value) {
        let policy = serde_json::to_string(&policy)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        map.insert("policy".to_string(), policy);
    }
    value
}

/// One row of the compare panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub label: String,
    pub path: String,
    pub base: Option<f64>,
    pub variant: Option<f64>,
}

impl Row {
    /// Variant − base.
    pub fn difference(&self) -> Option<f64> {
        Some(self.variant? - self.base?)
    }

    /// The difference as a percentage of the base (none when the base is zero).
    pub fn percent(&self) -> Option<f64> {
        let (base, difference) = (self.base?, self.difference()?);
        (base != 0.0).then(|| 100.0 * difference / base.abs())
    }
}

/// The second run and what it is compared on.
pub struct Compare {
    pub base_label: String,
    pub label: String,
    /// The chapter's merge patch; none for a variant a share link gave whole.
    patch: Option<Value>,
    /// The base scenario the variant was derived from (with a patch).
    derived_from: Scenario,
    scenario: Scenario,
    lab: Lab,
    /// A fresh lab replaying toward a rebuild's target (see [`Compare::prepare`]).
    pending: Option<Lab>,
    /// The chapter's claim figures: the panel's first rows.
    claims: Vec<String>,
    /// (ms, base, variant) of the first figure, one point per [`Compare::sample`].
    points: Vec<(f64, Option<f64>, Option<f64>)>,
}

impl std::fmt::Debug for Compare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compare")
            .field("label", &self.label)
            .field("now", &self.lab.now())
            .finish()
    }
}

impl Compare {
    /// The side-by-side run of `chapter`, beside a run of `base` (its scenario, or one with
    /// changes made on the page); none when the chapter has no variant.
    pub fn for_chapter(chapter: &Chapter, base: &Scenario) -> Result<Option<Compare>, String> {
        let Some(variant) = &chapter.variant else {
            return Ok(None);
        };
        let scenario = patched(base, &variant.patch)?;
        let lab = Lab::new(&scenario).map_err(|e| e.to_string())?;
        Ok(Some(Compare {
            base_label: variant.base_label.clone(),
            label: variant.label.clone(),
            patch: Some(variant.patch.clone()),
            derived_from: base.clone(),
            scenario,
            lab,
            pending: None,
            claims: chapter.claims.iter().map(|c| c.figure.clone()).collect(),
            points: Vec::new(),
        }))
    }

    /// A variant given whole (a share link's `vs`): it keeps its scenario whatever the base
    /// does. Refused when its seed differs from `base`'s.
    pub fn whole(base: &Scenario, scenario: Scenario) -> Result<Compare, String> {
        if scenario.seed != base.seed {
            return Err("the variant's seed differs from the run's".to_string());
        }
        let lab = Lab::new(&scenario).map_err(|e| e.to_string())?;
        Ok(Compare {
            base_label: "this run".to_string(),
            label: "variant".to_string(),
            patch: None,
            derived_from: base.clone(),
            scenario,
            lab,
            pending: None,
            claims: Vec::new(),
            points: Vec::new(),
        })
    }

    /// The variant's scenario (what a share link's `vs` carries).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// Re-derives the variant when the base scenario changed (a chapter's patch on the new
    /// base). Returns whether the variant starts again.
    fn rederive(&mut self, base: &Scenario) -> Result<bool, LabError> {
        if &self.derived_from == base {
            return Ok(false);
        }
        self.derived_from = base.clone();
        let Some(patch) = &self.patch else {
            return Ok(false);
        };
        self.scenario = patched(base, patch).map_err(LabError::Control)?;
        self.lab = Lab::new(&self.scenario)?;
        self.pending = None;
        self.points.clear();
        Ok(true)
    }

    /// Brings the variant to `at`, the time of a run of `base` on show. Afterwards
    /// `self.lab().now() == at` unless the variant's run ended before it.
    pub fn follow(&mut self, base: &Scenario, at: SimTime) -> Result<(), LabError> {
        self.rederive(base)?;
        let pending = self.pending.take();
        if let Some(pending) = pending.filter(|p| p.now() <= at) {
            if self.lab.now() > at || pending.now() > self.lab.now() {
                self.lab = pending;
            }
        }
        if self.lab.now() > at {
            self.lab = Lab::new(&self.scenario)?;
        }
        if self.lab.now() < at {
            self.lab.advance_to(at, MAX_FOLLOW_EVENTS)?;
        }
        assert!(
            self.lab.now() == at || self.lab.finished(),
            "the variant follows the run on show"
        );
        self.points.retain(|(ms, _, _)| *ms <= at.as_millis_f64());
        Ok(())
    }

    /// While the run on show is rebuilt toward `target`, replays a lab toward it too, for at
    /// most `max_events` events, so that [`Compare::follow`] then has little left to do.
    /// Returns whether there is more to replay.
    pub fn prepare(
        &mut self,
        base: &Scenario,
        target: SimTime,
        max_events: u64,
    ) -> Result<bool, LabError> {
        self.rederive(base)?;
        if target >= self.lab.now() {
            // Forward from the lab on show: follow does that.
            self.pending = None;
            return Ok(false);
        }
        if self.pending.as_ref().is_none_or(|p| p.now() > target) {
            self.pending = Some(Lab::new(&self.scenario)?);
        }
        let pending = self.pending.as_mut().expect("set above");
        let progress = pending.advance_to(target, max_events)?;
        Ok(progress.events_processed == max_events && pending.now() < target)
    }

    /// How many of the first rows are the chapter's claim figures.
    pub fn claim_count(&self) -> usize {
        self.claims.len()
    }

    /// The figures to show: the claims', then the standard ones for the kind of run.
    pub fn paths(&self) -> Vec<(String, String)> {
        let standard = if self.scenario.recommender.is_some() {
            RECOMMENDER_FIGURES
        } else {
            STORAGE_FIGURES
        };
        let mut out: Vec<(String, String)> =
            self.claims.iter().map(|c| (c.clone(), c.clone())).collect();
        for (label, path) in standard {
            if !out.iter().any(|(_, p)| p == path) {
                out.push(((*label).to_string(), (*path).to_string()));
            }
        }
        out
    }

    /// The panel's rows for `base` (the run on show) beside the variant.
    pub fn rows(&self, base: &Lab) -> Vec<Row> {
        let (b, v) = (summary_value(base), summary_value(&self.lab));
        self.paths()
            .into_iter()
            .map(|(label, path)| Row {
                base: figure(&b, &path),
                variant: figure(&v, &path),
                label,
                path,
            })
            .collect()
    }

    /// Notes the first row's figures at the current time, for the sparklines.
    pub fn sample(&mut self, rows: &[Row]) {
        let Some(row) = rows.first() else {
            return;
        };
        let ms = self.lab.now().as_millis_f64();
        if self.points.last().is_some_and(|(last, _, _)| *last >= ms) {
            return;
        }
        if self.points.len() >= MAX_POINTS {
            // Keep every other point: the whole run stays drawn at half the resolution.
            let kept: Vec<_> = self.points.iter().copied().step_by(2).collect();
            self.points = kept;
        }
        self.points.push((ms, row.base, row.variant));
    }

    pub fn points(&self) -> &[(f64, Option<f64>, Option<f64>)] {
        &self.points
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn chapter() -> Chapter {
        Chapter::from_json(include_str!("../chapters/wal-batching.json")).unwrap()
    }

    /// A fresh run of `scenario` to `at`: its trace hash.
    fn fresh_hash(scenario: &Scenario, at: SimTime) -> String {
        let mut lab = Lab::new(scenario).unwrap();
        lab.advance_to(at, u64::MAX).unwrap();
        lab.trace_hash_hex()
    }

    #[test]
    fn the_variant_is_the_chapters_patched_scenario_with_its_seed() {
        let chapter = chapter();
        let compare = Compare::for_chapter(&chapter, &chapter.scenario)
            .unwrap()
            .unwrap();
        assert_eq!(
            Some(compare.scenario().clone()),
            chapter.variant_scenario().unwrap()
        );
        let mut no_variant = chapter.clone();
        no_variant.variant = None;
        assert!(Compare::for_chapter(&no_variant, &chapter.scenario)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_patch_that_changes_the_seed_or_breaks_the_scenario_is_refused() {
        let base = chapter().scenario;
        assert!(patched(&base, &serde_json::json!({"seed": 7})).is_err());
        assert!(patched(&base, &serde_json::json!({"duration_ms": "soon"})).is_err());
        assert!(Compare::whole(&base, {
            let mut s = base.clone();
            s.seed = 99;
            s
        })
        .is_err());
    }

    #[test]
    fn after_any_sequence_of_moves_both_runs_are_at_the_same_time_and_the_variant_is_a_fresh_run() {
        let chapter = chapter();
        let base = chapter.scenario.clone();
        let mut compare = Compare::for_chapter(&chapter, &base).unwrap().unwrap();
        let mut lab = Lab::new(&base).unwrap();
        // Forward in uneven slices, a step, backward (a scrub: a fresh base run), forward.
        let moves: &[i64] = &[37, 1, 250, -200, 0, 413, -500, 5, 1200];
        let mut at_ms = 0i64;
        for &by in moves {
            at_ms = (at_ms + by).max(0);
            let at = SimTime::from_millis(at_ms as u64);
            if at < lab.now() {
                compare.prepare(&base, at, 50).unwrap();
                lab = Lab::new(&base).unwrap();
            }
            lab.advance_to(at, u64::MAX).unwrap();
            compare.follow(&base, lab.now()).unwrap();
            assert_eq!(compare.lab().now(), lab.now());
        }
        lab.step().unwrap();
        compare.follow(&base, lab.now()).unwrap();
        assert_eq!(compare.lab().now(), lab.now());
        let variant = chapter.variant_scenario().unwrap().unwrap();
        assert_eq!(
            compare.lab().trace_hash_hex(),
            fresh_hash(&variant, lab.now())
        );
    }

    #[test]
    fn a_variant_replayed_during_a_rebuild_is_taken_when_the_run_gets_there() {
        let chapter = chapter();
        let base = chapter.scenario.clone();
        let mut compare = Compare::for_chapter(&chapter, &base).unwrap().unwrap();
        compare.follow(&base, SimTime::from_millis(900)).unwrap();
        let target = SimTime::from_millis(400);
        // Forward needs no replay; backward replays in slices until it is there.
        assert!(!compare
            .prepare(&base, SimTime::from_millis(950), 10)
            .unwrap());
        let mut slices = 0;
        while compare.prepare(&base, target, 10).unwrap() {
            slices += 1;
            assert!(slices < 1_000_000);
        }
        assert!(slices > 1, "the replay took more than one slice");
        assert_eq!(compare.lab().now(), SimTime::from_millis(900));
        compare.follow(&base, target).unwrap();
        assert_eq!(compare.lab().now(), target);
        let variant = chapter.variant_scenario().unwrap().unwrap();
        assert_eq!(compare.lab().trace_hash_hex(), fresh_hash(&variant, target));
    }

    #[test]
    fn a_changed_base_scenario_rebuilds_the_variant_from_the_patch() {
        let chapter = chapter();
        let mut compare = Compare::for_chapter(&chapter, &chapter.scenario)
            .unwrap()
            .unwrap();
        compare
            .follow(&chapter.scenario, SimTime::from_millis(300))
            .unwrap();
        let mut reseeded = chapter.scenario.clone();
        reseeded.seed = 5;
        compare
            .follow(&reseeded, SimTime::from_millis(200))
            .unwrap();
        assert_eq!(compare.scenario().seed, 5);
        let expected = patched(&reseeded, &chapter.variant.clone().unwrap().patch).unwrap();
        assert_eq!(compare.scenario(), &expected);
        assert_eq!(
            compare.lab().trace_hash_hex(),
            fresh_hash(&expected, SimTime::from_millis(200))
        );
    }

    #[test]
    fn at_the_end_the_figures_are_the_ones_strata_chapter_checks() {
        let chapter = chapter();
        let verified = chapter.verify().unwrap();
        let mut base = Lab::new(&chapter.scenario).unwrap();
        base.run_to_end().unwrap();
        let mut compare = Compare::for_chapter(&chapter, &chapter.scenario)
            .unwrap()
            .unwrap();
        // `strata chapter` reads each run at its own end; the variant's comes a little after
        // the base's (its writes drain at other moments), so it is followed to there.
        let mut variant = Lab::new(compare.scenario()).unwrap();
        variant.run_to_end().unwrap();
        assert_ne!(variant.now(), base.now());
        compare.follow(&chapter.scenario, variant.now()).unwrap();
        let rows = compare.rows(&base);
        for (path, base_value, variant_value) in &verified.figures {
            let row = rows.iter().find(|r| &r.path == path).unwrap();
            assert_eq!(row.base, Some(*base_value), "{path}");
            assert_eq!(row.variant, *variant_value, "{path}");
        }
        let requests = rows.iter().find(|r| r.path == "requests").unwrap();
        assert!(requests.variant.unwrap() > requests.base.unwrap());
        assert!(requests.percent().unwrap() > 0.0);
    }

    #[test]
    fn figures_sum_objects_and_miss_cleanly() {
        let value = serde_json::json!({"a": {"b": 1, "c": {"d": 2.5}}, "e": [3, 4], "s": "x"});
        assert_eq!(figure(&value, "a"), Some(3.5));
        assert_eq!(figure(&value, "e.1"), Some(4.0));
        assert_eq!(figure(&value, "s"), None);
        assert_eq!(figure(&value, "a.zz"), None);
        let row = Row {
            label: String::new(),
            path: String::new(),
            base: Some(0.0),
            variant: Some(2.0),
        };
        assert_eq!(row.difference(), Some(2.0));
        assert_eq!(row.percent(), None);
    }

    #[test]
    fn the_sparkline_keeps_a_bounded_history_and_forgets_the_future_after_a_scrub_back() {
        let chapter = chapter();
        let base = chapter.scenario.clone();
        let mut compare = Compare::for_chapter(&chapter, &base).unwrap().unwrap();
        let row = |v: f64| Row {
            label: String::new(),
            path: String::new(),
            base: Some(v),
            variant: Some(v),
        };
        for ms in 1..=(MAX_POINTS as u64 + 10) {
            compare.follow(&base, SimTime::from_millis(ms)).unwrap();
            compare.sample(&[row(ms as f64)]);
        }
        assert!(compare.points().len() <= MAX_POINTS);
        compare.follow(&base, SimTime::from_millis(100)).unwrap();
        assert!(compare.points().iter().all(|(ms, _, _)| *ms <= 100.0));
    }
}
