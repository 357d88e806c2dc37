//! Side by side: a second run (a chapter's variant, or one a share link names) played in
//! lockstep with the page's run, and the figures the compare panel shows for both.
//!
//! This module knows nothing about the browser, so it runs (and is tested) natively too. The
//! variant's lab ([`Variant`]) lives in the page's worker ([`crate::worker`]); the page keeps a
//! [`Compare`] (in `shown.rs`) that asks the worker to move it and shows what it answers.
//!
//! - **Lockstep.** [`Variant::follow`] brings the variant to the simulated time of the run on
//!   show, whatever moved it: play, a step, "go to", a beat, a rebuild after a scrub back, a
//!   reset. Forward, the variant simulates the same stretch; backward, it starts again from
//!   time zero (or takes the lab [`Variant::prepare`] has been replaying toward a rebuild's
//!   target meanwhile, so a scrub back does not start from nothing).
//! - **Derived.** A chapter's variant is its merge patch (RFC 7386) applied to the scenario on
//!   show, so live changes, faults and a new seed made on the page's run reach the variant
//!   too; a variant from a share link is a whole scenario and stays as it is.
//! - **Catching up.** A variant that starts again (the base scenario changed, so the patch is
//!   applied anew; or a move back the replay had not prepared) replays in slices of events
//!   ([`Variant::follow`]'s `max_events`) for as long as the worker's request allows, and the
//!   page asks again until it is there; the panel says it is catching up. Once there, it
//!   follows the whole stretch the run on show went, in lockstep again.
//! - **Figures.** The panel's numbers are read from each run through its lab's accessors,
//!   by the dotted paths of the summary's JSON that `strata chapter` uses for claims (the
//!   recommender's own summary under `policy`, the off-policy estimates under `ope`, computed
//!   as [`strata_lab::chapter::ope_figures`] does from each run's impression log), so the
//!   page shows the figures the CLI checks without building the summary: the variant's in
//!   the worker, the run on show's in the page.
//! - **Labels.** A chapter names its two runs; a variant a link gives whole is labelled by
//!   the settings it changes (the merge patch from the base scenario to it, see
//!   [`differences`]), and a link made from a chapter carries the chapter's claim paths.
//!
//! [`lookup`] reads a figure of a run by its path, [`figures`] holds the rows and the
//! off-policy figures from each run's impression log, [`differences`] names what a whole
//! variant changes.

mod differences;
mod figures;
mod lookup;
mod shown;
#[cfg(test)]
mod tests;

pub use differences::{difference_labels, differences, Difference, MAX_LABELLED_SETTINGS};
#[cfg(test)]
pub use figures::{figure, summary_value};
pub use figures::{ope_figure, Row, RECOMMENDER_FIGURES, STORAGE_FIGURES};
pub use shown::Compare;

pub use figures::OpeFigures;
pub use lookup::requests_failed;
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;
use strata_lab::ope::ImpressionLog;
use strata_lab::scenario::same_document;
use strata_lab::{Lab, LabError, Scenario};
use strata_sim::SimTime;

/// Events one [`Variant::follow`] may process: far more than any scenario the page can run
/// holds, so the variant always reaches the time asked for.
pub const MAX_FOLLOW_EVENTS: u64 = u64::MAX;
/// Points kept per run for the panel's sparkline.
pub const MAX_POINTS: usize = 240;

/// The variant's scenario: `patch` merged (RFC 7386) into `base`. The seed stays `base`'s.
pub fn patched(base: &Scenario, patch: &Value) -> Result<Scenario, String> {
    let mut value = strata_sim::json::from_str(&base.to_json())
        .map_err(|e| format!("the scenario could not be read back: {e}"))?;
    strata_lab::scenario::merge_patch(&mut value, patch);
    let scenario = Scenario::from_json(&strata_lab::scenario::compact_json(&value))
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

/// Whether `base` is the scenario `held` was derived from, and then `held` is `base`.
///
/// The variant is followed in slices of a hundred events, each told its base, which changes
/// only with a live change: a pointer comparison answers almost every call, and a base that
/// is a new value is compared as a document (its JSON written) once before it is held.
pub fn same_base(held: &mut Rc<Scenario>, base: &Rc<Scenario>) -> bool {
    if Rc::ptr_eq(held, base) {
        return true;
    }
    let same = same_document(&**held, &**base);
    *held = Rc::clone(base);
    same
}

/// The second run itself: its lab, kept at the run on show's time. It lives in the page's
/// worker ([`crate::worker`]), or on the main thread when the worker cannot start; the page
/// holds a [`Compare`] that shows what it replies.
pub struct Variant {
    /// The chapter's merge patch; none for a variant a share link gave whole.
    patch: Option<Value>,
    /// The base scenario the variant was derived from (with a patch).
    derived_from: Rc<Scenario>,
    scenario: Scenario,
    run: Run,
    /// A fresh run replaying toward a rebuild's target (see [`Variant::prepare`]).
    pending: Option<Run>,
    /// Whether the run started again and is replaying toward the run on show in slices.
    catching_up: bool,
    /// The chapter's claim figures: the panel's first rows.
    claims: Vec<String>,
    ope: OpeFigures,
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant")
            .field("now", &self.run.lab.now())
            .finish()
    }
}

impl Variant {
    /// The variant of `source` beside a run of `base`, showing `claims` first.
    pub fn start(
        base: &Rc<Scenario>,
        source: &Source,
        claims: Vec<String>,
    ) -> Result<Variant, String> {
        let (scenario, patch) = source.scenario(base)?;
        let run = Run::start(&scenario).map_err(|e| e.to_string())?;
        Ok(Variant {
            patch,
            derived_from: base.clone(),
            scenario,
            run,
            pending: None,
            catching_up: false,
            claims,
            ope: OpeFigures::default(),
        })
    }

    /// The variant's scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn lab(&self) -> &Lab {
        &self.run.lab
    }

    /// Whether the variant started again and is still replaying toward the run on show.
    pub fn catching_up(&self) -> bool {
        self.catching_up
    }

    /// Takes `run` as the variant's run, which then catches up in slices.
    fn restart(&mut self, run: Run) {
        self.run = run;
        self.catching_up = true;
        self.ope = OpeFigures::default();
    }

    /// Re-derives a chapter's variant when the base scenario changed (a whole variant keeps
    /// its scenario).
    fn rederive(&mut self, base: &Rc<Scenario>) -> Result<(), LabError> {
        if same_base(&mut self.derived_from, base) {
            return Ok(());
        }
        let Some(patch) = &self.patch else {
            return Ok(());
        };
        self.scenario = patched(base, patch).map_err(LabError::Control)?;
        let run = Run::start(&self.scenario)?;
        self.restart(run);
        self.pending = None;
        Ok(())
    }

    /// Brings the variant to `at`, the time of a run of `base` on show, and returns whether
    /// it is there (or its run ended before). A variant in lockstep goes the whole stretch
    /// the run on show went; one that started again replays at most `max_events` events a
    /// call until it is there.
    pub fn follow(
        &mut self,
        base: &Rc<Scenario>,
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
        Ok(arrived)
    }

    /// While the run on show is rebuilt toward `target`, replays a lab toward it too, for at
    /// most `max_events` events, so that [`Variant::follow`] then has little left to do.
    /// Returns whether there is more to replay.
    pub fn prepare(
        &mut self,
        base: &Rc<Scenario>,
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

    /// The figures to show: the claims', then the standard ones for the kind of run.
    pub fn paths(&self) -> Vec<(String, String)> {
        paths(&self.claims, &self.scenario)
    }

    /// The variant's figure at each of [`Variant::paths`], now.
    pub fn figures(&mut self) -> Vec<(String, Option<f64>)> {
        let paths = self.paths();
        let lab = &self.run.lab;
        let log = self.run.log.borrow();
        figures_of(lab, &log, &mut self.ope, &paths)
    }
}

/// What a variant is made from: a chapter's merge patch, or a whole scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Patch(Value),
    Whole(Box<Scenario>),
}

impl Source {
    /// The variant's scenario beside a run of `base`, and the patch it keeps.
    fn scenario(&self, base: &Scenario) -> Result<(Scenario, Option<Value>), String> {
        match self {
            Source::Patch(patch) => Ok((
                patched(base, patch)?,
                Some(strata_lab::scenario::copy_value(patch)),
            )),
            Source::Whole(scenario) if scenario.seed != base.seed => {
                Err("the variant's seed differs from the run's".to_string())
            }
            Source::Whole(scenario) => Ok(((**scenario).clone(), None)),
        }
    }
}

/// The panel's figures for `claims` beside a run of `scenario`: the claims', then the standard
/// ones for the kind of run.
pub fn paths(claims: &[String], scenario: &Scenario) -> Vec<(String, String)> {
    let standard = if scenario.recommender.is_some() {
        RECOMMENDER_FIGURES
    } else {
        STORAGE_FIGURES
    };
    // Pushed by loops: a `map` and `collect` of the claims was an instance of its own.
    let mut out = Vec::new();
    for claim in claims {
        out.push((claim.clone(), claim.clone()));
    }
    for (label, path) in standard {
        if !out.iter().any(|(_, p)| p == path) {
            out.push(((*label).to_string(), (*path).to_string()));
        }
    }
    out
}

/// One run's figure at each of `paths` (label, path), read through its lab's accessors, and
/// the off-policy ones from its impression log `log` through `ope`.
pub fn figures_of(
    lab: &Lab,
    log: &ImpressionLog,
    ope: &mut OpeFigures,
    paths: &[(String, String)],
) -> Vec<(String, Option<f64>)> {
    let policy = lab.recommender_summary();
    let reads_ope = paths.iter().any(|(_, path)| path.starts_with("ope."));
    let result = if reads_ope { ope.of(lab, log) } else { None };
    paths
        .iter()
        .map(|(_, path)| {
            let value = match path.strip_prefix("ope.") {
                Some(rest) => result.and_then(|r| ope_figure(r, rest)),
                None => lookup::figure(lab, policy.as_ref(), path),
            };
            (path.clone(), value)
        })
        .collect()
}
