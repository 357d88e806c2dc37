//! The playground's session: the scenario the share link carries, the `Lab` playing it, the
//! live changes made on top of it, and the UI's own folds of the trace.
//!
//! This module knows nothing about the browser, so it runs (and is tested) natively too.
//!
//! - **Everything goes into the scenario.** Workload, engine and store controls become timed
//!   setting changes of the scenario, stamped with the next whole millisecond of simulated
//!   time; the lab applies them there, after every event due by then, exactly as a replay of
//!   the scenario does, so the running lab never needs re-simulating for them. Faults from the
//!   chaos panel (at the millisecond they were injected) and recommender settings are written
//!   into the scenario too, and the run is re-simulated to the current moment. The share link
//!   therefore reproduces what the page shows.
//! - **Rebuilds.** Scrubbing back, changing the seed or the scenario, and injecting a fault all
//!   build a fresh `Lab` from the scenario and replay it up to a target. [`Session::work`] does
//!   that in bounded slices so the page can show progress while it goes.
//! - **Observed.** A trace subscriber folds what the views draw and the lab does not keep:
//!   flush and compaction activity (for the animations), notable events, drift marks and the
//!   recommender's impression log (for off-policy evaluation). Counts come from the lab's
//!   metrics, never from a second fold of the trace.

pub use crate::observed::{
    Activity, ActivityKind, EventLine, LineClass, LoggedImpression, Observed, MAX_ACTIVITIES,
    MAX_DRIFTS, MAX_EVENT_LINES, MAX_IMPRESSIONS,
};
use std::cell::{Ref, RefCell};
use std::rc::Rc;
use strata_lab::runner::Progress;
use strata_lab::scenario::{
    same_document, Document, EngineSpec, FaultSpec, SettingChange, StoreSpec, WorkloadSpec,
};
use strata_lab::share::MAX_SHARE_TOKEN_BYTES;
use strata_lab::{Control, Lab, LabError, Scenario};
use strata_sim::{SimDuration, SimTime};

/// Events a live change may process to reach its moment (the next whole millisecond): far
/// more than one millisecond holds at the highest workload rate.
pub const MAX_CATCH_UP_EVENTS: u64 = 1_000_000;
/// Where a rebuild stops: after this many events or at this time (see [`advance_toward`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Milestone {
    pub events: u64,
    pub at: SimTime,
}

impl Milestone {
    /// A point in simulated time, whatever the number of events before it.
    pub fn time(at: SimTime) -> Self {
        Milestone {
            events: u64::MAX,
            at,
        }
    }
}

/// How far an [`advance_toward`] has got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// Counting events toward the milestone's event count.
    #[default]
    Events,
    /// Catching up with the milestone's time after the event count was reached.
    Time,
}

/// Moves `lab` toward `milestone`, spending at most `*budget` events. Returns whether it got
/// there.
///
/// Replaying the original run (same scenario), stopping after exactly `events` events and then
/// moving the clock to `at` without processing anything reproduces the point the page had
/// reached, even when the original frame was cut short by its event cap. On a
/// changed scenario the event count means little, so the time wins: the lab ends up at `at`.
fn advance_toward(
    lab: &mut Lab,
    milestone: Milestone,
    budget: &mut u64,
    phase: &mut Phase,
) -> Result<bool, LabError> {
    if *phase == Phase::Events {
        while lab.events_processed() < milestone.events {
            if *budget == 0 {
                return Ok(false);
            }
            let want = (*budget).min(milestone.events - lab.events_processed());
            let progress = lab.advance_to(milestone.at, want)?;
            *budget -= progress.events_processed.min(*budget);
            if progress.events_processed < want {
                // Nothing left at or before the milestone's time; the clock is there now.
                break;
            }
        }
        *phase = Phase::Time;
        if lab.now() >= milestone.at {
            *phase = Phase::Events;
            return Ok(true);
        }
    }
    loop {
        if *budget == 0 {
            return Ok(false);
        }
        let want = *budget;
        let progress = lab.advance_to(milestone.at, want)?;
        *budget -= progress.events_processed.min(*budget);
        if progress.events_processed < want {
            *phase = Phase::Events;
            return Ok(true);
        }
    }
}

/// What one call of [`Session::work`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Worked {
    /// Events the rebuild processed (the run's tick sizes its next slice by their wall time).
    pub events: u64,
    /// Whether the rebuild finished, its lab now the session's.
    pub finished: bool,
}

/// A rebuild in progress: a fresh lab being replayed up to a target.
struct Rebuild {
    lab: Lab,
    observed: Rc<RefCell<Observed>>,
    scenario: Scenario,
    target: Milestone,
    phase: Phase,
}

/// The current settings, as the controls show them: the scenario's, with the setting changes
/// the run has reached applied. Equal when each section writes the same document
/// ([`same_document`]), not by the sections' derived `PartialEq`, which the page does not link.
#[derive(Clone, Debug)]
#[cfg_attr(test, derive(serde::Serialize, serde::Deserialize))]
pub struct Settings {
    pub workload: WorkloadSpec,
    pub engine: EngineSpec,
    pub store: StoreSpec,
}

impl PartialEq for Settings {
    fn eq(&self, other: &Self) -> bool {
        same_document(&self.workload, &other.workload)
            && same_document(&self.engine, &other.engine)
            && same_document(&self.store, &other.store)
    }
}

impl Settings {
    /// The settings in force in `lab`: its scenario's, with every change it has applied.
    fn of(lab: &Lab) -> Self {
        let (workload, engine, store) = Settings::in_force(lab);
        Settings {
            workload: workload.clone(),
            engine: engine.clone(),
            store: store.clone(),
        }
    }

    /// The sections in force in `lab`, borrowed: each the last change of it the run has
    /// applied, or the scenario's. Each section is copied once by [`Settings::of`], and not at
    /// all by a frame that reads a few fields, rather than copied again (and the copy before it
    /// dropped) at every change applied.
    fn in_force(lab: &Lab) -> (&WorkloadSpec, &EngineSpec, &StoreSpec) {
        let scenario = lab.scenario();
        let (mut workload, mut engine, mut store) =
            (&scenario.workload, &scenario.engine, &scenario.store);
        for change in lab.applied_changes() {
            match change {
                SettingChange::Workload { workload: w, .. } => workload = w,
                SettingChange::Engine { engine: e, .. } => engine = e,
                SettingChange::Store { store: s, .. } => store = s,
            }
        }
        (workload, engine, store)
    }
}

/// One scenario being played in the page.
pub struct Session {
    scenario: Scenario,
    lab: Lab,
    observed: Rc<RefCell<Observed>>,
    /// The furthest simulated time reached with this scenario (the scrubber's right end).
    horizon: SimTime,
    rebuild: Option<Rebuild>,
    /// Changes whenever the scenario or the lab is replaced or changed (not as the run plays).
    revision: u64,
    /// Counts the labs this session has played: a frame names its run by it.
    run: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("scenario", &self.scenario.name)
            .field("now", &self.lab.now())
            .field("changes", &self.scenario.changes.len())
            .field("rebuilding", &self.rebuild.is_some())
            .finish()
    }
}

/// Refuses a scenario whose share link would be too long to open again.
fn check_link_fits(scenario: &Scenario) -> Result<(), LabError> {
    let bytes = scenario.to_share_token().len();
    if bytes > MAX_SHARE_TOKEN_BYTES {
        return Err(LabError::Control(format!(
            "the share link would be {bytes} bytes, over the limit of {MAX_SHARE_TOKEN_BYTES}: save the scenario to a file, or load it again to start with fewer changes"
        )));
    }
    Ok(())
}

/// Builds a lab and attaches the UI's trace subscriber to it.
fn observed_lab(scenario: &Scenario) -> Result<(Lab, Rc<RefCell<Observed>>), LabError> {
    let lab = Lab::new(scenario)?;
    let observed = Rc::new(RefCell::new(Observed::default()));
    let sink = observed.clone();
    lab.handle().with_trace(|trace| {
        trace.subscribe(Box::new(move |event| sink.borrow_mut().observe(event)));
    });
    Ok((lab, observed))
}

impl Session {
    /// Starts a session at the beginning of `scenario`.
    pub fn new(scenario: Scenario) -> Result<Session, LabError> {
        let (lab, observed) = observed_lab(&scenario)?;
        Ok(Session {
            scenario,
            lab,
            observed,
            horizon: SimTime::ZERO,
            rebuild: None,
            run: 0,
            revision: 0,
        })
    }

    /// The scenario the share link carries.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn lab(&self) -> &Lab {
        &self.lab
    }

    /// Changes whenever the scenario or the lab changes other than by playing: a control
    /// applied, a restart, a rebuild (a go-to, a restore) done.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Which lab is on show: it changes whenever a restart or a rebuild replaces it.
    pub fn run(&self) -> u64 {
        self.run
    }

    pub fn observed(&self) -> Ref<'_, Observed> {
        self.observed.borrow()
    }

    /// The settings the controls show: the scenario's, with the changes reached so far.
    pub fn settings(&self) -> Settings {
        Settings::of(&self.lab)
    }

    /// The workload, engine and store sections of [`Session::settings`], borrowed from the
    /// lab rather than copied.
    pub fn settings_in_force(&self) -> (&WorkloadSpec, &EngineSpec, &StoreSpec) {
        Settings::in_force(&self.lab)
    }

    pub fn horizon(&self) -> SimTime {
        self.horizon.max(self.lab.now())
    }

    pub fn now(&self) -> SimTime {
        self.lab.now()
    }

    /// Advances simulated time by `by`, processing at most `max_events` events (callers go in
    /// slices). Returns what happened.
    pub fn advance(&mut self, by: SimDuration, max_events: u64) -> Result<Progress, LabError> {
        let until = self.lab.now() + by;
        self.advance_until(until, max_events)
    }

    /// Advances to `until`, processing at most `max_events` events.
    pub fn advance_until(&mut self, until: SimTime, max_events: u64) -> Result<Progress, LabError> {
        let progress = self.lab.advance_to(until, max_events)?;
        self.horizon = self.horizon.max(progress.now);
        Ok(progress)
    }

    /// Processes exactly one event.
    pub fn step(&mut self) -> Result<Progress, LabError> {
        let progress = self.lab.step()?;
        self.horizon = self.horizon.max(progress.now);
        Ok(progress)
    }

    /// Applies a workload, engine or store control now: it becomes a setting change of the
    /// scenario at the next whole millisecond of simulated time, and the run is brought there
    /// (at most a millisecond of simulated time) so that it takes effect at once. A replay of
    /// the scenario applies it at the same point, so nothing is re-simulated.
    pub fn apply_live(&mut self, control: Control) -> Result<(), LabError> {
        let at_ms = self.lab.now().as_nanos().div_ceil(1_000_000);
        let change = control.at(at_ms).ok_or_else(|| {
            LabError::Control(
                "only workload, engine and store settings are live controls".to_string(),
            )
        })?;
        let mut scenario = self.scenario.clone();
        scenario.changes.push(change.clone());
        check_link_fits(&scenario)?;
        self.lab.schedule_change(change)?;
        self.scenario = self.lab.scenario().clone();
        self.revision += 1;
        let progress = self
            .lab
            .advance_to(SimTime::from_millis(at_ms), MAX_CATCH_UP_EVENTS)?;
        // Anything simulated beyond this point belonged to a different history.
        self.horizon = progress.now;
        Ok(())
    }

    /// Replaces the scenario and starts again from time zero.
    pub fn restart(&mut self, scenario: Scenario) -> Result<(), LabError> {
        scenario.validate()?;
        let (lab, observed) = observed_lab(&scenario)?;
        self.scenario = scenario;
        self.lab = lab;
        self.observed = observed;
        self.horizon = SimTime::ZERO;
        self.rebuild = None;
        self.run += 1;
        self.revision += 1;
        Ok(())
    }

    /// Starts re-simulating `scenario` up to `target`. Until [`Session::work`] finishes it,
    /// the current lab stays on show.
    pub fn begin_rebuild(&mut self, scenario: Scenario, target: Milestone) -> Result<(), LabError> {
        scenario.validate()?;
        let (lab, observed) = observed_lab(&scenario)?;
        self.rebuild = Some(Rebuild {
            lab,
            observed,
            scenario,
            target,
            phase: Phase::Events,
        });
        Ok(())
    }

    /// Goes back (or forward, up to the horizon) to simulated time `at` by re-simulating.
    pub fn seek(&mut self, at: SimTime) -> Result<(), LabError> {
        let at = at.min(self.horizon());
        self.begin_rebuild(self.scenario.clone(), Milestone::time(at))
    }

    /// Adds `fault` to the scenario at the current simulated time (rounded up to the next whole
    /// millisecond, the scenario's unit) and re-simulates to the current moment, so that the
    /// share link reproduces it. `fault`'s times count from now (`at_ms: 0` is now).
    pub fn inject_into_scenario(&mut self, fault: FaultSpec) -> Result<(), LabError> {
        let now_ms = self.lab.now().as_nanos().div_ceil(1_000_000);
        let mut scenario = self.scenario.clone();
        scenario.faults.push(fault.shifted(now_ms));
        scenario.validate()?;
        check_link_fits(&scenario)?;
        let target = Milestone {
            events: self.lab.events_processed(),
            at: self.lab.now(),
        };
        self.begin_rebuild(scenario, target)
    }

    /// Replaces the scenario (a recommender setting, say) and re-simulates to the current
    /// moment.
    pub fn change_scenario_here(&mut self, scenario: Scenario) -> Result<(), LabError> {
        let target = Milestone::time(self.lab.now());
        self.begin_rebuild(scenario, target)
    }

    /// Takes the setting change at `index` out of the scenario and re-simulates to the current
    /// moment without it (the link no longer replays it). `expected` is the change the caller
    /// saw there: if the list has moved on, nothing is removed.
    pub fn remove_change(
        &mut self,
        index: usize,
        expected: &SettingChange,
    ) -> Result<(), LabError> {
        let mut scenario = self.scenario.clone();
        take_listed(&mut scenario.changes, index, expected, "setting change")?;
        self.change_scenario_here(scenario)
    }

    /// Takes the fault at `index` out of the scenario and re-simulates to the current moment
    /// without it. A removal the scenario cannot do without (a crash whose recovery is still
    /// listed) is refused, and nothing changes.
    pub fn remove_fault(&mut self, index: usize, expected: &FaultSpec) -> Result<(), LabError> {
        let mut scenario = self.scenario.clone();
        take_listed(&mut scenario.faults, index, expected, "fault")?;
        self.change_scenario_here(scenario)
    }

    /// Whether a rebuild is running, and how far it is (0 to 1).
    pub fn rebuild_progress(&self) -> Option<f64> {
        let rebuild = self.rebuild.as_ref()?;
        let target_ns = rebuild.target.at.as_nanos().max(1) as f64;
        Some((rebuild.lab.now().as_nanos() as f64 / target_ns).clamp(0.0, 1.0))
    }

    /// The rebuild's target time.
    pub fn rebuild_target(&self) -> Option<SimTime> {
        self.rebuild.as_ref().map(|r| r.target.at)
    }

    /// Abandons a rebuild in progress; the current lab stays.
    pub fn cancel_rebuild(&mut self) {
        self.rebuild = None;
    }

    /// Continues a rebuild for at most `max_events` events. Says how many it processed and
    /// whether it finished (the new lab is then current); not finished when there is none.
    pub fn work(&mut self, max_events: u64) -> Result<Worked, LabError> {
        let Some(rebuild) = self.rebuild.as_mut() else {
            return Ok(Worked::default());
        };
        let allowed = max_events.max(1);
        let mut budget = allowed;
        let arrived = advance_toward(
            &mut rebuild.lab,
            rebuild.target,
            &mut budget,
            &mut rebuild.phase,
        )?;
        let events = allowed - budget;
        if !arrived {
            return Ok(Worked {
                events,
                finished: false,
            });
        }
        let done = self.rebuild.take().expect("the rebuild was borrowed above");
        let scenario_changed = !same_document(&done.scenario, &self.scenario);
        self.lab = done.lab;
        self.observed = done.observed;
        self.run += 1;
        self.revision += 1;
        if scenario_changed {
            // A new history from here on: the horizon is where the rebuild stopped.
            self.scenario = done.scenario;
            self.horizon = self.lab.now();
        }
        Ok(Worked {
            events,
            finished: true,
        })
    }

    /// Runs a rebuild to completion (tests, and the URL round trip when nothing is drawn).
    pub fn finish_rebuild(&mut self) -> Result<(), LabError> {
        while self.rebuild.is_some() {
            self.work(100_000)?;
        }
        Ok(())
    }

    pub fn rebuilding(&self) -> bool {
        self.rebuild.is_some()
    }
}

/// Removes `list[index]` if it is `expected`; otherwise says the list changed.
fn take_listed<T: Document>(
    list: &mut Vec<T>,
    index: usize,
    expected: &T,
    what: &str,
) -> Result<(), LabError> {
    if !list
        .get(index)
        .is_some_and(|item| same_document(item, expected))
    {
        return Err(LabError::Control(format!(
            "that {what} is no longer in the scenario at position {}; nothing was removed",
            index + 1
        )));
    }
    list.remove(index);
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
