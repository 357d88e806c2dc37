//! The page's side of the side-by-side run: what the compare panel shows (the labels, the
//! claim rows, the sparkline's points, the run on show's own figures) and the requests that
//! keep the [`Variant`](super::Variant) in the worker at the run's time, with the figures its
//! replies carry.
//!
//! No browser code: [`Compare::next_request`] says what to ask and [`Compare::receive`] takes
//! the answer, whoever carries them ([`crate::worker::host`] in the page, a
//! [`crate::worker::handler::Handler`] called directly in the tests). One request is in
//! flight at a time; while the variant is not at the run's time, each reply leads to the next
//! request, so the variant catches up without the page slicing anything.

#[cfg(test)]
use super::figures::OpeFigures;
#[cfg(test)]
use super::figures_of;
use super::{difference_labels, differences, patched, paths, same_base, Row, Source, MAX_POINTS};
use crate::worker::protocol::{Reply, Request, VariantSource, VariantView};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use strata_lab::chapter::Chapter;
#[cfg(test)]
use strata_lab::ope::ImpressionLog;
#[cfg(test)]
use strata_lab::Lab;
use strata_lab::Scenario;
use strata_sim::SimTime;

/// Names each variant the page starts, so a late reply about a replaced one is ignored.
static NEXT_STREAM: AtomicU64 = AtomicU64::new(1);

/// The second run as the page shows it.
pub struct Compare {
    pub base_label: String,
    pub label: String,
    source: Source,
    /// The base scenario the variant was derived from (with a patch).
    derived_from: Rc<Scenario>,
    /// The variant's scenario (what a share link's `vs` carries).
    scenario: Scenario,
    /// The chapter's claim figures: the panel's first rows.
    claims: Vec<String>,
    /// (ms, base, variant) of the first figure, one point per [`Compare::sample`].
    points: Vec<(f64, Option<f64>, Option<f64>)>,
    #[cfg(test)]
    base_ope: OpeFigures,
    stream: u64,
    /// Whether the start request went, whether a request awaits its reply, and the base
    /// scenario, time and rebuild target the last one carried.
    started: bool,
    in_flight: bool,
    /// Whether the base changed and no reply has come since: the variant starts again from
    /// its patch on the new base, so it is catching up from the change on, not from the
    /// worker's first answer (which may come when the replay is over).
    rebased: bool,
    sent_base: Option<Rc<Scenario>>,
    sent: Option<(SimTime, Option<SimTime>)>,
    /// The variant after the last reply.
    view: Option<VariantView>,
    /// Called once when the page lets the variant go, to drop it where it runs.
    on_drop: Option<Box<dyn FnOnce(Request)>>,
}

impl std::fmt::Debug for Compare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compare")
            .field("label", &self.label)
            .field("stream", &self.stream)
            .finish()
    }
}

impl Drop for Compare {
    fn drop(&mut self) {
        if let Some(on_drop) = self.on_drop.take().filter(|_| self.started) {
            on_drop(Request::StopVariant {
                stream: self.stream,
            });
        }
    }
}

impl Compare {
    fn new(base: &Scenario, source: Source) -> Result<Compare, String> {
        let scenario = match &source {
            Source::Patch(patch) => patched(base, patch)?,
            Source::Whole(scenario) if scenario.seed != base.seed => {
                return Err("the variant's seed differs from the run's".to_string())
            }
            Source::Whole(scenario) => (**scenario).clone(),
        };
        scenario.validate().map_err(|e| e.to_string())?;
        let (base_label, label) = difference_labels(&differences(base, &scenario));
        Ok(Compare {
            base_label,
            label,
            source,
            derived_from: Rc::new(base.clone()),
            scenario,
            claims: Vec::new(),
            points: Vec::new(),
            #[cfg(test)]
            base_ope: OpeFigures::default(),
            stream: NEXT_STREAM.fetch_add(1, Ordering::Relaxed),
            started: false,
            in_flight: false,
            rebased: false,
            sent_base: None,
            sent: None,
            view: None,
            on_drop: None,
        })
    }

    /// The side-by-side run of `chapter`, beside a run of `base` (its scenario, or one with
    /// changes made on the page); none when the chapter has no variant.
    pub fn for_chapter(chapter: &Chapter, base: &Scenario) -> Result<Option<Compare>, String> {
        let Some(variant) = &chapter.variant else {
            return Ok(None);
        };
        let mut compare = Compare::new(
            base,
            Source::Patch(strata_lab::scenario::copy_value(&variant.patch)),
        )?;
        compare.base_label = variant.base_label.clone();
        compare.label = variant.label.clone();
        for claim in &chapter.claims {
            compare.claims.push(claim.figure.clone());
        }
        Ok(Some(compare))
    }

    /// A variant given whole (a share link's `vs`): it keeps its scenario whatever the base
    /// does, and is labelled by the settings it changes. Refused when its seed differs from
    /// `base`'s.
    pub fn whole(base: &Scenario, scenario: Scenario) -> Result<Compare, String> {
        Compare::new(base, Source::Whole(Box::new(scenario)))
    }

    /// The same, with the claim figures of the chapter the link was made from as its first
    /// rows.
    pub fn with_claims(mut self, claims: Vec<String>) -> Compare {
        self.claims = claims;
        self
    }

    /// Has `on_drop` called with the request that drops the variant where it runs, when the
    /// page lets it go.
    pub fn on_drop(&mut self, on_drop: Box<dyn FnOnce(Request)>) {
        self.on_drop = Some(on_drop);
    }

    /// The variant's scenario (what a share link's `vs` carries).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The claim figures shown first (what a share link's `vf` carries).
    pub fn claims(&self) -> &[String] {
        &self.claims
    }

    /// How many of the first rows are the chapter's claim figures.
    pub fn claim_count(&self) -> usize {
        self.claims.len()
    }

    /// The figures to show: the claims', then the standard ones for the kind of run.
    pub fn paths(&self) -> Vec<(String, String)> {
        paths(&self.claims, &self.scenario)
    }

    /// The name of this variant in the requests (each variant the page starts has its own).
    pub fn stream(&self) -> u64 {
        self.stream
    }

    /// The variant's simulated time after the last reply.
    pub fn now(&self) -> SimTime {
        SimTime::from_nanos(self.view.as_ref().map_or(0, |v| v.now_ns))
    }

    /// The variant's trace hash after the last reply.
    pub fn trace_hash(&self) -> &str {
        self.view.as_ref().map_or("", |v| v.trace_hash.as_str())
    }

    /// Whether the variant is at `at`, the run on show's time (or its own run ended before).
    pub fn in_step(&self, at: SimTime) -> bool {
        !self.rebased
            && self
                .view
                .as_ref()
                .is_some_and(|v| v.arrived && v.at_ns == at.as_nanos())
    }

    /// Whether the variant started again (a live change, a move back) and is replaying toward
    /// the run on show.
    pub fn restarted(&self) -> bool {
        self.rebased || self.view.as_ref().is_none_or(|v| v.catching_up)
    }

    /// Whether a request awaits its reply.
    pub fn waiting(&self) -> bool {
        self.in_flight
    }

    /// The request that brings the variant to `at`, the time of a run of `base` on show
    /// (being rebuilt toward `rebuild_target`, if it is), or none when one is in flight or
    /// the variant is there already.
    pub fn next_request(
        &mut self,
        base: &Rc<Scenario>,
        at: SimTime,
        rebuild_target: Option<SimTime>,
    ) -> Option<Request> {
        if self.in_flight {
            return None;
        }
        self.rederive(base);
        if !self.started {
            self.started = true;
            self.in_flight = true;
            self.sent_base = Some(Rc::clone(base));
            let source = match &self.source {
                Source::Patch(patch) => {
                    VariantSource::Patch(strata_lab::scenario::compact_json(patch))
                }
                Source::Whole(scenario) => VariantSource::Whole(scenario.to_json()),
            };
            return Some(Request::StartVariant {
                stream: self.stream,
                base: base.to_json(),
                source,
                claims: self.claims.clone(),
            });
        }
        let base_changed = !self
            .sent_base
            .as_mut()
            .is_some_and(|sent| same_base(sent, base));
        let asked = self.sent == Some((at, rebuild_target));
        let done = self
            .view
            .as_ref()
            .is_some_and(|v| v.arrived && !v.preparing && !v.catching_up);
        if !base_changed && asked && done {
            return None;
        }
        self.points.retain(|(ms, _, _)| *ms <= at.as_millis_f64());
        self.in_flight = true;
        self.sent = Some((at, rebuild_target));
        let base_json = base_changed.then(|| base.to_json());
        self.sent_base = Some(Rc::clone(base));
        Some(Request::FollowVariant {
            stream: self.stream,
            base: base_json,
            at_ns: at.as_nanos(),
            rebuild_target_ns: rebuild_target.map(SimTime::as_nanos),
        })
    }

    /// The page side of a base that changed: a chapter's variant is the patch on the new base
    /// (the worker derives the same), a whole one is labelled by what now differs.
    fn rederive(&mut self, base: &Rc<Scenario>) {
        if same_base(&mut self.derived_from, base) {
            return;
        }
        match &self.source {
            Source::Patch(patch) => {
                if let Ok(scenario) = patched(base, patch) {
                    self.scenario = scenario;
                }
                self.points.clear();
                self.rebased = true;
            }
            Source::Whole(_) => {
                (self.base_label, self.label) =
                    difference_labels(&differences(base, &self.scenario));
            }
        }
    }

    /// Takes the reply to the last request. A failure ends the variant: the message says why.
    pub fn receive(&mut self, reply: Reply) -> Result<(), String> {
        self.in_flight = false;
        match reply {
            Reply::Variant(view) if view.stream == self.stream => {
                self.view = Some(view);
                self.rebased = false;
                Ok(())
            }
            Reply::VariantFailed(message) => Err(message),
            Reply::Panicked(message) => Err(message),
            Reply::Refused(message) => Err(message),
            _ => Ok(()),
        }
    }

    /// The panel's rows for `base` (the run on show, with its impression log) beside the
    /// variant's figures from the last reply, reading the run's figures here (the tests).
    #[cfg(test)]
    pub fn rows_of(&mut self, base: &Lab, base_log: &ImpressionLog) -> Vec<Row> {
        let paths = self.paths();
        let figures = figures_of(base, base_log, &mut self.base_ope, &paths);
        self.rows(&figures)
    }

    /// The panel's rows: the run on show's figures (`base`, by path, as its frames bring
    /// them) beside the variant's figures from the last reply.
    pub fn rows(&self, base: &[(String, Option<f64>)]) -> Vec<Row> {
        let variant = self.view.as_ref().map_or(&[][..], |v| &v.figures[..]);
        // By loops: the `find` and the `map` and `collect` were instances of their own.
        let find = |figures: &[(String, Option<f64>)], path: &str| {
            for (p, value) in figures {
                if p == path {
                    return *value;
                }
            }
            None
        };
        let mut rows = Vec::new();
        for (label, path) in self.paths() {
            rows.push(Row {
                base: find(base, &path),
                variant: find(variant, &path),
                label,
                path,
            });
        }
        rows
    }

    /// Notes the first row's figures at `at`, the run on show's time, for the sparklines (only
    /// while the variant is there too).
    pub fn sample(&mut self, rows: &[Row], at: SimTime) {
        let Some(row) = rows.first() else {
            return;
        };
        if !self.in_step(at) {
            return;
        }
        let ms = at.as_millis_f64();
        if self.points.last().is_some_and(|(last, _, _)| *last >= ms) {
            return;
        }
        if self.points.len() >= MAX_POINTS {
            // Keep every other point: the whole run stays drawn at half the resolution.
            // Moved down in place, not collected through `step_by` (its only use in the page).
            let kept = self.points.len().div_ceil(2);
            for index in 0..kept {
                self.points[index] = self.points[2 * index];
            }
            self.points.truncate(kept);
        }
        self.points.push((ms, row.base, row.variant));
    }

    pub fn points(&self) -> &[(f64, Option<f64>, Option<f64>)] {
        &self.points
    }
}

#[cfg(test)]
impl Compare {
    /// Asks and answers through `handler` until the variant is at `at` (the tests' worker,
    /// every request taking as long as it needs).
    pub fn follow_with(
        &mut self,
        handler: &mut crate::worker::handler::Handler,
        base: &Rc<Scenario>,
        at: SimTime,
        rebuild_target: Option<SimTime>,
    ) -> Result<(), String> {
        use crate::worker::protocol::Envelope;
        let mut id = 0;
        while let Some(request) = self.next_request(base, at, rebuild_target) {
            id += 1;
            // Through the messages' bytes, as between the page and its worker.
            let sent = Envelope { id, body: request }.to_bytes();
            let request = Envelope::<Request>::from_bytes(&sent)?.body;
            let reply = handler.handle(id, request, 0.0, &mut || true);
            let answered = Envelope { id, body: reply }.to_bytes(&mut Default::default());
            let held = &mut Default::default();
            self.receive(Envelope::<Reply>::from_bytes(&answered, held)?.body)?;
        }
        Ok(())
    }
}
