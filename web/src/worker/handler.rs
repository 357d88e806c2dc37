//! The worker's side of the protocol: the state a worker keeps between requests (the
//! side-by-side variant, an export being rebuilt) and the answer to each [`Request`].
//!
//! No browser code, so it runs in the worker, on the main thread when the worker cannot start
//! (the same requests, the same answers), and natively in the tests. The caller lends a
//! `more_time` check: long work (a variant catching up, a rebuild for an export) goes in
//! slices of events until it says stop, and the reply says whether there is more, so that
//! the page asks again and a new request (a cancel) is read between slices.

use super::protocol::{ExportKind, Reply, Request, VariantSource, VariantView};
use super::run::{Next, RunHost, RunRequest};
use crate::compare::{Source, Variant};
use crate::session::{Milestone, Session};
use std::rc::Rc;
use strata_lab::Scenario;
use strata_sim::SimTime;

/// Events a slice of catching up, preparing or rebuilding processes before the time is
/// checked again (as the page's own rebuilds do).
pub const SLICE_EVENTS: u64 = 100;

/// The side-by-side variant and the scenario of the run it is compared with.
struct Shown {
    stream: u64,
    base: Rc<Scenario>,
    variant: Variant,
}

/// An export being rebuilt: the request that started it and the session replaying the run.
struct Export {
    job: u64,
    kind: ExportKind,
    session: Session,
}

/// What the worker keeps between requests: the run on show (from the page's first start),
/// one variant and one export at most (the page shows one variant and runs one export at a
/// time; a new one replaces the old).
#[derive(Default)]
pub struct Handler {
    run: Option<RunHost>,
    shown: Option<Shown>,
    export: Option<Export>,
}

fn scenario(json: &str) -> Result<Scenario, String> {
    Scenario::from_json(json).map_err(|e| format!("the scenario could not be read ({e})"))
}

impl Handler {
    /// Answers request `id`, received at wall time `now_ms`. A request about the run on show
    /// is answered with its frame at once; the run then moves in [`Handler::tick`]s.
    pub fn handle(
        &mut self,
        id: u64,
        request: Request,
        now_ms: f64,
        more_time: &mut dyn FnMut() -> bool,
    ) -> Reply {
        match request {
            Request::Run(run) => self.run(run, now_ms),
            Request::Explain { seq, record } => match &self.run {
                Some(host) => {
                    let explainer = host.session().lab().explainer();
                    let (lines, operation) = crate::timeline::chain_lines(&explainer, seq, &record);
                    Reply::Explained { lines, operation }
                }
                None => Reply::Refused("the run on show has not started".to_string()),
            },
            Request::Operation { number } => {
                Reply::Operation(self.run.as_ref().and_then(|host| host.operation(number)))
            }
            Request::StartVariant {
                stream,
                base,
                source,
                claims,
            } => self.start_variant(stream, &base, source, claims),
            Request::FollowVariant {
                stream,
                base,
                at_ns,
                rebuild_target_ns,
            } => self.follow_variant(stream, base.as_deref(), at_ns, rebuild_target_ns, more_time),
            Request::StopVariant { stream } => {
                if self.shown.as_ref().is_some_and(|s| s.stream == stream) {
                    self.shown = None;
                }
                Reply::Stopped
            }
            Request::Export {
                kind,
                scenario: json,
                events,
                at_ns,
            } => match self.start_export(id, kind, &json, events, at_ns) {
                Ok(()) => self.continue_export(id, more_time),
                Err(message) => Reply::ExportFailed(message),
            },
            Request::ContinueExport { job } => self.continue_export(job, more_time),
            Request::CancelExport { job } => {
                if self.export.as_ref().is_some_and(|e| e.job == job) {
                    self.export = None;
                }
                Reply::ExportFailed("the export was cancelled".to_string())
            }
            Request::PanicForTests => {
                panic!("a deliberate panic requested by the end-to-end tests, in the worker")
            }
        }
    }

    fn run(&mut self, request: RunRequest, now_ms: f64) -> Reply {
        if let (None, RunRequest::Start { scenario: json, .. }) = (&self.run, &request) {
            match scenario(json).and_then(|s| RunHost::new(s).map_err(|e| e.to_string())) {
                Ok(host) => self.run = Some(host),
                Err(message) => {
                    // The page starts on a scenario it has checked; were it refused, the page
                    // says so and has nothing to draw until it starts another.
                    self.run = None;
                    return Reply::Refused(message);
                }
            }
        }
        let Some(host) = self.run.as_mut() else {
            return Reply::Refused("the run on show has not started".to_string());
        };
        host.handle(request, now_ms);
        host.frame(now_ms)
    }

    /// Moves the run on show for at most `slice_ms` of wall time (read through `clock`):
    /// the frame due, if any, and when to tick next.
    pub fn tick(&mut self, clock: &mut dyn FnMut() -> f64, slice_ms: f64) -> (Option<Reply>, Next) {
        match self.run.as_mut() {
            Some(host) => host.tick(clock, slice_ms),
            None => (None, Next::Idle),
        }
    }

    /// A keyframe due now, if any: the run's generation and the moment, in nanoseconds.
    pub fn keyframe_due(&mut self) -> Option<(u64, u64)> {
        let host = self.run.as_mut()?;
        host.keyframe_due().map(|(g, at)| (g, at.as_nanos()))
    }

    /// When `request` goes to a moment a keyframe could serve: the run's generation, the
    /// moment and the run's time, in nanoseconds, and the page's state to carry over the
    /// restore. None while a variant or an export lives here too (a restore would take them
    /// back with the run); the request is then answered as usual, by a re-simulation or a
    /// run forward.
    ///
    /// A Cancel while the run goes forward from a keyframe to a moment the page went back to
    /// gives a negative moment: `worker.js` then copies back the memory as it was before that
    /// go-to. Any other Cancel gives None and is handled as usual.
    pub fn keyframe_goto(&self, request: &Request) -> Option<(u64, f64, u64, f64)> {
        let host = self.run.as_ref()?;
        let to = match request {
            Request::Run(RunRequest::GoTo { at_ms }) => {
                SimTime::from_millis(*at_ms).as_nanos() as f64
            }
            Request::Run(RunRequest::Cancel) if host.going_back_from_keyframe() => -1.0,
            _ => return None,
        };
        if self.shown.is_some() || self.export.is_some() {
            return None;
        }
        let page = super::keyframe::page_state_number(&host.page_state()?);
        let now = host.session().now().as_nanos();
        Some((host.keyframe_generation(), to, now, page))
    }

    /// Back on the world from before a go-to back (its memory copied in by `worker.js`): sets
    /// the page's state (`page`, from [`Handler::keyframe_goto`]) and answers the Cancel.
    pub fn returned(&mut self, page: f64, now_ms: f64) -> Reply {
        self.shown = None;
        self.export = None;
        let page = super::keyframe::page_state_from_number(page);
        let Some(host) = self.run.as_mut() else {
            return Reply::Refused("the run on show has not started".to_string());
        };
        host.returned(page);
        host.frame(now_ms)
    }

    /// Back on a keyframe's world (its memory copied in by `worker.js`): drops the variant and
    /// export the keyframe held (the page had none when it asked), sets the page's state
    /// (`page`, from [`Handler::keyframe_goto`]) and goes forward to `to_ns` (`back`: behind
    /// where the run was, which a Cancel returns to). The answer to the request that went
    /// back.
    pub fn restored(&mut self, page: f64, to_ns: u64, back: bool, now_ms: f64) -> Reply {
        self.shown = None;
        self.export = None;
        let page = super::keyframe::page_state_from_number(page);
        let Some(host) = self.run.as_mut() else {
            return Reply::Refused("the run on show has not started".to_string());
        };
        host.restored(page, SimTime::from_nanos(to_ns), back, now_ms);
        host.frame(now_ms)
    }

    /// The run on show, if it has started.
    pub fn run_host(&self) -> Option<&RunHost> {
        self.run.as_ref()
    }

    fn start_variant(
        &mut self,
        stream: u64,
        base: &str,
        source: VariantSource,
        claims: Vec<String>,
    ) -> Reply {
        self.shown = None;
        let started = (|| {
            let base = Rc::new(scenario(base)?);
            let source = match source {
                VariantSource::Patch(patch) => Source::Patch(
                    strata_sim::json::from_str(&patch)
                        .map_err(|e| format!("the variant's patch could not be read ({e})"))?,
                ),
                VariantSource::Whole(json) => Source::Whole(Box::new(scenario(&json)?)),
            };
            let variant = Variant::start(&base, &source, claims)?;
            Ok::<_, String>(Shown {
                stream,
                base,
                variant,
            })
        })();
        match started {
            Ok(shown) => {
                let shown = self.shown.insert(shown);
                Reply::Variant(view(shown, SimTime::ZERO, true, false))
            }
            Err(message) => Reply::VariantFailed(message),
        }
    }

    fn follow_variant(
        &mut self,
        stream: u64,
        base: Option<&str>,
        at_ns: u64,
        rebuild_target_ns: Option<u64>,
        more_time: &mut dyn FnMut() -> bool,
    ) -> Reply {
        let Some(shown) = self.shown.as_mut().filter(|s| s.stream == stream) else {
            return Reply::VariantFailed("the worker has no such side-by-side run".to_string());
        };
        if let Some(json) = base {
            match scenario(json) {
                Ok(base) => shown.base = Rc::new(base),
                Err(message) => return Reply::VariantFailed(message),
            }
        }
        let at = SimTime::from_nanos(at_ns);
        let followed = (|| {
            let arrived = loop {
                match shown.variant.follow(&shown.base, at, SLICE_EVENTS)? {
                    false if more_time() => {}
                    arrived => break arrived,
                }
            };
            let mut preparing = false;
            if let Some(target) = rebuild_target_ns.map(SimTime::from_nanos) {
                loop {
                    preparing = shown.variant.prepare(&shown.base, target, SLICE_EVENTS)?;
                    if !preparing || !more_time() {
                        break;
                    }
                }
            }
            Ok::<_, strata_lab::LabError>((arrived, preparing))
        })();
        match followed {
            Ok((arrived, preparing)) => Reply::Variant(view(shown, at, arrived, preparing)),
            Err(e) => {
                self.shown = None;
                Reply::VariantFailed(e.to_string())
            }
        }
    }

    fn start_export(
        &mut self,
        job: u64,
        kind: ExportKind,
        json: &str,
        events: u64,
        at_ns: u64,
    ) -> Result<(), String> {
        self.export = None;
        let scenario = scenario(json)?;
        let mut session = Session::new(scenario.clone()).map_err(|e| e.to_string())?;
        let target = Milestone {
            events,
            at: SimTime::from_nanos(at_ns),
        };
        session
            .begin_rebuild(scenario, target)
            .map_err(|e| e.to_string())?;
        self.export = Some(Export { job, kind, session });
        Ok(())
    }

    fn continue_export(&mut self, job: u64, more_time: &mut dyn FnMut() -> bool) -> Reply {
        let Some(export) = self.export.as_mut().filter(|e| e.job == job) else {
            return Reply::ExportFailed("the export is no longer running".to_string());
        };
        loop {
            match export.session.work(SLICE_EVENTS) {
                Err(e) => {
                    self.export = None;
                    return Reply::ExportFailed(format!("re-simulating the run stopped ({e})"));
                }
                Ok(worked) if worked.finished => break,
                Ok(_) if !more_time() => {
                    return Reply::ExportProgress {
                        fraction: export.session.rebuild_progress().unwrap_or(1.0),
                    }
                }
                Ok(_) => {}
            }
        }
        let export = self.export.take().expect("borrowed above");
        let lab = export.session.lab();
        let (name, text) = match export.kind {
            ExportKind::Trace => (
                crate::scenario_panel::trace_file_name(lab.scenario()),
                strata_lab::export::lab_chrome_trace_json(lab),
            ),
            ExportKind::Metrics => (
                crate::scenario_panel::metrics_file_name(lab.scenario()),
                strata_lab::export::lab_metrics_csv(lab),
            ),
        };
        Reply::Exported { name, text }
    }
}

/// The variant's state for the page after a request for time `at`.
fn view(shown: &mut Shown, at: SimTime, arrived: bool, preparing: bool) -> VariantView {
    let variant = &mut shown.variant;
    VariantView {
        stream: shown.stream,
        at_ns: at.as_nanos(),
        arrived,
        now_ns: variant.lab().now().as_nanos(),
        trace_hash: variant.lab().trace_hash_hex(),
        catching_up: variant.catching_up(),
        preparing,
        figures: variant.figures(),
    }
}
