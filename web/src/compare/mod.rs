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
//! - **Catching up.** A variant that starts again (the base scenario changed, so the patch is
//!   applied anew; or a move back the replay had not prepared) replays at most a slice of
//!   events per call ([`Compare::follow`]'s `max_events`), as the run on show rebuilds in
//!   slices, so a live change never stalls a frame; the panel says it is catching up. Once
//!   there, it follows the whole stretch the run on show went, in lockstep again.
//! - **Figures.** The panel's numbers are read from each run's summary by the dotted paths
//!   `strata chapter` uses for claims (the recommender's own summary under `policy`, the
//!   off-policy estimates under `ope`, computed as [`strata_lab::chapter::ope_figures`] does
//!   from each run's impression log), so the page shows the figures the CLI checks.
//! - **Labels.** A chapter names its two runs; a variant a link gives whole is labelled by
//!   the settings it changes (the merge patch from the base scenario to it, see
//!   [`differences`]), and a link made from a chapter carries the chapter's claim paths.

//!
//! [`lookup`] reads a figure of a summary by its path, [`figures`] holds the rows and the
//! off-policy figures from each run's impression log, [`differences`] names what a whole
//! variant changes.

mod differences;
mod figures;
mod lookup;
#[cfg(test)]
mod tests;

pub use differences::{difference_labels, differences, Difference, MAX_LABELLED_SETTINGS};
#[cfg(test)]
pub use figures::{figure, summary_value};
pub use figures::{ope_figure, Row, RECOMMENDER_FIGURES, STORAGE_FIGURES};

use figures::OpeFigures;
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;
use strata_lab::chapter::Chapter;
use strata_lab::ope::ImpressionLog;
use strata_lab::{Lab, LabError, Scenario};
use strata_sim::SimTime;

/// Events one [`Compare::follow`] may process: far more than any scenario the page can run
/// holds, so the variant always reaches the time asked for.
pub const MAX_FOLLOW_EVENTS: u64 = u64::MAX;
/// Points kept per run for the panel's sparkline.
pub const MAX_POINTS: usize = 240;

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

/// The variant's lab and the impression log folded from its trace (for the `ope.*` figures).
struct Run {
    lab: Lab,
    log: Rc<RefCell<ImpressionLog>>,
}

impl Run {
    fn start(scenario: &Scenario) -> Result<Run, LabError> {
        let lab = Lab::new(scenario)?;
        let log = Rc::new(RefCell::new(ImpressionLog::default()));
        if scenario.recommender.is_some() {
            let sink = log.clone();
            lab.handle().with_trace(|trace| {
                trace.subscribe(Box::new(move |event| {
                    sink.borrow_mut().observe(&event.kind)
                }));
            });
        }
        Ok(Run { lab, log })
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
    run: Run,
    /// A fresh run replaying toward a rebuild's target (see [`Compare::prepare`]).
    pending: Option<Run>,
    /// Whether the run started again and is replaying toward the run on show in slices.
    catching_up: bool,
    /// The chapter's claim figures: the panel's first rows.
    claims: Vec<String>,
    /// (ms, base, variant) of the first figure, one point per [`Compare::sample`].
    points: Vec<(f64, Option<f64>, Option<f64>)>,
    base_ope: OpeFigures,
    variant_ope: OpeFigures,
}

impl std::fmt::Debug for Compare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compare")
            .field("label", &self.label)
            .field("now", &self.run.lab.now())
            .finish()
    }
}

impl Compare {
    fn new(base: &Scenario, scenario: Scenario, patch: Option<Value>) -> Result<Compare, String> {
        let run = Run::start(&scenario).map_err(|e| e.to_string())?;
        let (base_label, label) = difference_labels(&differences(base, &scenario));
        Ok(Compare {
            base_label,
            label,
            patch,
            derived_from: base.clone(),
            scenario,
            run,
            pending: None,
            catching_up: false,
            claims: Vec::new(),
            points: Vec::new(),
            base_ope: OpeFigures::default(),
            variant_ope: OpeFigures::default(),
        })
    }

    /// The side-by-side run of `chapter`, beside a run of `base` (its scenario, or one with
    /// changes made on the page); none when the chapter has no variant.
    pub fn for_chapter(chapter: &Chapter, base: &Scenario) -> Result<Option<Compare>, String> {
        let Some(variant) = &chapter.variant else {
            return Ok(None);
        };
        let scenario = patched(base, &variant.patch)?;
        let mut compare = Compare::new(base, scenario, Some(variant.patch.clone()))?;
        compare.base_label = variant.base_label.clone();
        compare.label = variant.label.clone();
        compare.claims = chapter.claims.iter().map(|c| c.figure.clone()).collect();
        Ok(Some(compare))
    }

    /// A variant given whole (a share link's `vs`): it keeps its scenario whatever the base
    /// does, and is labelled by the settings it changes. Refused when its seed differs from
    /// `base`'s.
    pub fn whole(base: &Scenario, scenario: Scenario) -> Result<Compare, String> {
        if scenario.seed != base.seed {
            return Err("the variant's seed differs from the run's".to_string());
        }
        Compare::new(base, scenario, None)
    }

    /// The same, with the claim figures of the chapter the link was made from as its first
    /// rows.
    pub fn with_claims(mut self, claims: Vec<String>) -> Compare {
        self.claims = claims;
        self
    }

    /// The variant's scenario (what a share link's `vs` carries).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn lab(&self) -> &Lab {
        &self.run.lab
    }

    /// The claim figures shown first (what a share link's `vf` carries).
    pub fn claims(&self) -> &[String] {
        &self.claims
    }

    /// Whether the variant started again and is still replaying toward the run on show.
    pub fn catching_up(&self) -> bool {
        self.catching_up
    }

    /// Takes `run` as the variant's run, which then catches up in slices.
    fn restart(&mut self, run: Run) {
        self.run = run;
        self.catching_up = true;
        self.variant_ope = OpeFigures::default();
    }

    /// Re-derives the variant when the base scenario changed (a chapter's patch on the new
    /// base; a whole variant keeps its scenario, and its labels say what now differs).
    fn rederive(&mut self, base: &Scenario) -> Result<(), LabError> {
        if &self.derived_from == base {
            return Ok(());
        }
        self.derived_from = base.clone();
        let Some(patch) = &self.patch else {
            (self.base_label, self.label) = difference_labels(&differences(base, &self.scenario));
            return Ok(());
        };
        self.scenario = patched(base, patch).map_err(LabError::Control)?;
        let run = Run::start(&self.scenario)?;
        self.restart(run);
        self.pending = None;
        self.points.clear();
        Ok(())
    }

    /// Brings the variant to `at`, the time of a run of `base` on show, and returns whether
    /// it is there (or its run ended before). A variant in lockstep goes the whole stretch
    /// the run on show went; one that started again replays at most `max_events` events a
    /// call until it is there.
    pub fn follow(
        &mut self,
        base: &Scenario,
        at: SimTime,
        max_events: u64,
    ) -> Result<bool, LabError> {
        self.rederive(base)?;
        let pending = self.pending.take();
        if let Some(pending) = pending.filter(|p| p.lab.now() <= at) {
            let now = self.run.lab.now();
            if now > at || pending.lab.now() > now {
                self.restart(pending);
            }
        }
        if self.run.lab.now() > at {
            let run = Run::start(&self.scenario)?;
            self.restart(run);
        }
        if self.run.lab.now() < at {
            let budget = if self.catching_up {
                max_events.max(1)
            } else {
                MAX_FOLLOW_EVENTS
            };
            self.run.lab.advance_to(at, budget)?;
        }
        let arrived = self.run.lab.now() == at || self.run.lab.finished();
        assert!(
            arrived || self.catching_up,
            "a variant in lockstep follows the run on show"
        );
        self.catching_up = !arrived;
        self.points.retain(|(ms, _, _)| *ms <= at.as_millis_f64());
        Ok(arrived)
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
        if target >= self.run.lab.now() {
            // Forward from the lab on show: follow does that.
            self.pending = None;
            return Ok(false);
        }
        if self.pending.as_ref().is_none_or(|p| p.lab.now() > target) {
            self.pending = Some(Run::start(&self.scenario)?);
        }
        let pending = &mut self.pending.as_mut().expect("set above").lab;
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

    /// The panel's rows for `base` (the run on show, with its impression log) beside the
    /// variant.
    pub fn rows(&mut self, base: &Lab, base_log: &ImpressionLog) -> Vec<Row> {
        let paths = self.paths();
        let (b, v) = (base.summary(), self.run.lab.summary());
        let (b_policy, v_policy) = (
            base.recommender_summary(),
            self.run.lab.recommender_summary(),
        );
        let reads_ope = paths.iter().any(|(_, path)| path.starts_with("ope."));
        let variant_log = self.run.log.borrow();
        let (b_ope, v_ope) = if reads_ope {
            (
                self.base_ope.of(base, base_log),
                self.variant_ope.of(&self.run.lab, &variant_log),
            )
        } else {
            (None, None)
        };
        paths
            .into_iter()
            .map(|(label, path)| {
                let (base, variant) = match path.strip_prefix("ope.") {
                    Some(rest) => (
                        b_ope.and_then(|r| ope_figure(r, rest)),
                        v_ope.and_then(|r| ope_figure(r, rest)),
                    ),
                    None => (
                        lookup::figure(&b, b_policy.as_ref(), &path),
                        lookup::figure(&v, v_policy.as_ref(), &path),
                    ),
                };
                Row {
                    base,
                    variant,
                    label,
                    path,
                }
            })
            .collect()
    }

    /// Notes the first row's figures at the current time, for the sparklines (not while
    /// the variant catches up: the two runs are at different times then).
    pub fn sample(&mut self, rows: &[Row]) {
        let Some(row) = rows.first() else {
            return;
        };
        if self.catching_up {
            return;
        }
        let ms = self.run.lab.now().as_millis_f64();
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
