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
//!   that in bounded slices so the page can show progress between animation frames.
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
use strata_lab::scenario::{EngineSpec, FaultSpec, SettingChange, StoreSpec, WorkloadSpec};
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
    /// Events the rebuild processed (the frame loop sizes its next slice by their wall time).
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
/// the run has reached applied.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    pub workload: WorkloadSpec,
    pub engine: EngineSpec,
    pub store: StoreSpec,
}

impl Settings {
    /// The settings in force in `lab`: its scenario's, with every change it has applied.
    fn of(lab: &Lab) -> Self {
        let scenario = lab.scenario();
        let mut settings = Settings {
            workload: scenario.workload.clone(),
            engine: scenario.engine.clone(),
            store: scenario.store.clone(),
        };
        for change in lab.applied_changes() {
            match change {
                SettingChange::Workload { workload, .. } => settings.workload = workload.clone(),
                SettingChange::Engine { engine, .. } => settings.engine = engine.clone(),
                SettingChange::Store { store, .. } => settings.store = store.clone(),
            }
        }
        settings
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
        })
    }

    /// The scenario the share link carries.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn lab(&self) -> &Lab {
        &self.lab
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

    pub fn horizon(&self) -> SimTime {
        self.horizon.max(self.lab.now())
    }

    pub fn now(&self) -> SimTime {
        self.lab.now()
    }

    /// Advances simulated time by `by`, processing at most `max_events` events (the page calls
    /// this in slices until its frame budget is spent). Returns what happened.
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
        let scenario_changed = done.scenario != self.scenario;
        self.lab = done.lab;
        self.observed = done.observed;
        self.run += 1;
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
fn take_listed<T: PartialEq>(
    list: &mut Vec<T>,
    index: usize,
    expected: &T,
    what: &str,
) -> Result<(), LabError> {
    if list.get(index) != Some(expected) {
        return Err(LabError::Control(format!(
            "that {what} is no longer in the scenario at position {}; nothing was removed",
            index + 1
        )));
    }
    list.remove(index);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_lab::scenario::{OpMix, StorePreset};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A short, busy scenario on a fast store.
    fn small() -> Scenario {
        let mut s = Scenario {
            name: "ui-small".to_string(),
            duration_ms: 3_000,
            ..Scenario::default()
        };
        s.store.preset = StorePreset::S3Express;
        s.workload.rate_ops_per_sec = 400.0;
        s.workload.key_count = 300;
        s.workload.mix = OpMix {
            read: 0.3,
            write: 0.7,
            ..OpMix::default()
        };
        s.workload.await_durable = true;
        s.engine.flush_interval_ms = Some(20.0);
        s.engine.memtable_bytes = Some(16 * 1024);
        s
    }

    fn hash(session: &Session) -> String {
        session.lab().trace().hash_hex()
    }

    /// A fresh session on `scenario` (what a share link opens), re-simulated to the point
    /// `original` has reached.
    fn replayed(scenario: Scenario, original: &Session) -> Session {
        let mut replay = Session::new(scenario).unwrap();
        replay
            .begin_rebuild(
                replay.scenario().clone(),
                Milestone {
                    events: original.lab().events_processed(),
                    at: original.now(),
                },
            )
            .unwrap();
        replay.finish_rebuild().unwrap();
        replay
    }

    /// A workload control that changes only the rate.
    fn with_rate(session: &Session, ops_per_sec: f64) -> Control {
        Control::SetWorkload {
            workload: WorkloadSpec {
                rate_ops_per_sec: ops_per_sec,
                ..session.settings().workload.clone()
            },
        }
    }

    /// Injects `fault` at the current moment and waits for the re-simulation.
    fn inject_now(session: &mut Session, fault: FaultSpec) {
        session.inject_into_scenario(fault).unwrap();
        session.finish_rebuild().unwrap();
    }

    /// Plays like the page does: uneven frames, each capped at a few events.
    fn play_frames(session: &mut Session, frames: u32) {
        for frame in 0..frames {
            let by = SimDuration::from_millis(5 + u64::from(frame % 7) * 3);
            session
                .advance(by, 40 + u64::from(frame % 5) * 17)
                .expect("the run advances");
        }
    }

    #[test]
    fn seeking_back_and_forth_reproduces_the_same_trace() {
        let mut session = Session::new(small()).unwrap();
        play_frames(&mut session, 60);
        let changed = with_rate(&session, 900.0);
        session.apply_live(changed).unwrap();
        play_frames(&mut session, 60);
        let now = session.now();
        let events = session.lab().events_processed();
        let expected = hash(&session);
        assert!(events > 100, "the run should be busy, processed {events}");

        session.seek(SimTime::from_millis(50)).unwrap();
        session.finish_rebuild().unwrap();
        assert_eq!(session.now(), SimTime::from_millis(50));
        assert_ne!(hash(&session), expected);

        // Replaying to the exact point of the original run gives the same trace.
        session
            .begin_rebuild(session.scenario().clone(), Milestone { events, at: now })
            .unwrap();
        session.finish_rebuild().unwrap();
        assert_eq!(session.lab().events_processed(), events);
        assert_eq!(hash(&session), expected);
        assert_eq!(session.settings().workload.rate_ops_per_sec, 900.0);
    }

    #[test]
    fn a_live_change_joins_the_scenario_and_the_link_replays_it() {
        let mut session = Session::new(small()).unwrap();
        play_frames(&mut session, 37);
        session.step().unwrap();
        let before = session.lab().events_processed();
        let faster = with_rate(&session, 1200.0);
        session.apply_live(faster).unwrap();
        // It took effect at once: no rebuild, the settings show it, the run went on from here.
        assert!(!session.rebuilding());
        assert!(session.lab().events_processed() >= before);
        assert_eq!(session.settings().workload.rate_ops_per_sec, 1200.0);
        assert_eq!(session.scenario().changes.len(), 1);
        let at = SimTime::from_millis(session.scenario().changes[0].at_ms());
        assert_eq!(session.now(), at);
        let slower = Control::SetStore {
            store: StoreSpec {
                preset: StorePreset::S3Standard,
                ..session.settings().store.clone()
            },
        };
        play_frames(&mut session, 20);
        session.apply_live(slower).unwrap();
        play_frames(&mut session, 40);
        let expected = hash(&session);

        // The link: a fresh session on the scenario, played to the same point.
        let token = session.scenario().to_share_token();
        let replay = replayed(Scenario::from_share_token(&token).unwrap(), &session);
        assert_eq!(hash(&replay), expected);
        assert_eq!(replay.settings(), session.settings());

        // Scrubbing back to before the first change shows the old settings again.
        session
            .seek(SimTime::from_nanos(at.as_nanos() - 1_000_000))
            .unwrap();
        session.finish_rebuild().unwrap();
        assert_eq!(session.settings().workload.rate_ops_per_sec, 400.0);
        // And playing past it again applies it again.
        session
            .advance(SimDuration::from_millis(5), u64::MAX)
            .unwrap();
        assert_eq!(session.settings().workload.rate_ops_per_sec, 1200.0);
    }

    #[test]
    fn changes_stop_before_the_link_grows_too_long() {
        let mut session = Session::new(small()).unwrap();
        let mut refused = None;
        for i in 0..strata_lab::scenario::MAX_CHANGES + 1 {
            session
                .advance(SimDuration::from_millis(2), u64::MAX)
                .unwrap();
            let control = Control::SetWorkload {
                workload: WorkloadSpec {
                    rate_ops_per_sec: 100.0 + i as f64,
                    ..session.settings().workload.clone()
                },
            };
            if let Err(error) = session.apply_live(control) {
                refused = Some((i, error.to_string()));
                break;
            }
        }
        let (count, message) = refused.expect("the changes must stop somewhere");
        assert!(
            message.contains("share link") || message.contains("limit"),
            "{message}"
        );
        assert_eq!(session.scenario().changes.len(), count);
        assert!(session.scenario().to_share_token().len() <= MAX_SHARE_TOKEN_BYTES);
        // The refusal left the run alone: it goes on.
        let before = session.now();
        session
            .advance(SimDuration::from_millis(5), u64::MAX)
            .unwrap();
        assert!(session.now() > before);
    }

    #[test]
    fn a_rebuild_reports_progress_in_slices() {
        let mut session = Session::new(small()).unwrap();
        play_frames(&mut session, 100);
        session.seek(session.now()).unwrap();
        let mut slices = 0;
        let mut last = 0.0;
        let mut events = 0;
        loop {
            let worked = session.work(50).unwrap();
            assert!(worked.events <= 50, "a slice over its bound: {worked:?}");
            events += worked.events;
            if worked.finished {
                break;
            }
            let progress = session.rebuild_progress().unwrap();
            assert!(progress >= last, "progress went back: {last} -> {progress}");
            last = progress;
            slices += 1;
            assert!(slices < 100_000, "the rebuild never finished");
        }
        // The slices' counts add up to the replayed run's.
        assert_eq!(events, session.lab().events_processed());
        assert_eq!(session.work(50).unwrap(), Worked::default(), "nothing left");
        assert!(
            slices > 2,
            "a long rebuild should take several slices, took {slices}"
        );
        assert!(!session.rebuilding());
    }

    #[test]
    fn an_injected_fault_joins_the_scenario_and_the_link_replays_it() {
        let mut session = Session::new(small()).unwrap();
        play_frames(&mut session, 50);
        let at = session.now();
        inject_now(
            &mut session,
            FaultSpec::Outage {
                from_ms: 0,
                until_ms: 200,
            },
        );
        assert_eq!(session.scenario().faults.len(), 1);
        assert!(session.now() >= at);
        play_frames(&mut session, 60);
        // A fresh session on the saved scenario, played to the same point, agrees.
        let replay = replayed(session.scenario().clone(), &session);
        assert_eq!(hash(&replay), hash(&session));
        let outages = session
            .lab()
            .store_stats()
            .faults_injected
            .get(&strata_sim::FaultKind::Outage)
            .copied()
            .unwrap_or(0);
        assert!(outages > 0, "the outage should have failed some requests");
    }

    #[test]
    fn a_crash_then_recover_loses_nothing_durable() {
        let mut session = Session::new(small()).unwrap();
        play_frames(&mut session, 40);
        inject_now(
            &mut session,
            FaultSpec::CrashWriter {
                at_ms: 0,
                recover_after_ms: None,
            },
        );
        play_frames(&mut session, 10);
        inject_now(&mut session, FaultSpec::Recover { at_ms: 0 });
        play_frames(&mut session, 80);
        let metrics = session.lab().metrics();
        assert_eq!(metrics.engine_event("writer_crashed"), 1);
        assert!(
            metrics.durability_checks >= 1,
            "{:?}",
            session.observed().events
        );
        assert!(metrics.keys_checked > 0);
        assert_eq!(metrics.lost_durable_writes, 0);
    }

    #[test]
    fn bad_controls_leave_the_run_alone() {
        let mut session = Session::new(small()).unwrap();
        play_frames(&mut session, 20);
        let before = (session.now(), hash(&session));
        let bad = with_rate(&session, -5.0);
        let error = session.apply_live(bad).unwrap_err();
        assert!(error.to_string().contains("rate_ops_per_sec"), "{error}");
        assert!(session.scenario().changes.is_empty());
        assert_eq!((session.now(), hash(&session)), before);
        let mut broken = session.scenario().clone();
        broken.duration_ms = 0;
        assert!(session.change_scenario_here(broken).is_err());
        assert!(!session.rebuilding());
    }

    #[test]
    fn observed_folds_flushes_and_checks() {
        let mut session = Session::new(small()).unwrap();
        session.lab.run_to_end().unwrap();
        let observed = session.observed();
        assert!(
            observed
                .activities
                .iter()
                .any(|a| a.kind == ActivityKind::Flush && a.finished.is_some()),
            "a busy run with a 16 KiB memtable should flush"
        );
        assert!(observed
            .events
            .iter()
            .any(|line| line.class == LineClass::Check
                && line.text.contains("0 durable writes lost")));
    }

    #[test]
    fn corrupted_ssts_surface_as_corrupt_errors() {
        let mut scenario = crate::link::default_scenario();
        scenario.recommender = None;
        scenario.engine.memtable_bytes = Some(32 * 1024);
        scenario.engine.block_cache_bytes = Some(0);
        scenario.workload.mix = OpMix {
            read: 0.5,
            write: 0.5,
            ..OpMix::default()
        };
        let mut session = Session::new(scenario).unwrap();
        session
            .advance(SimDuration::from_secs(2), u64::MAX)
            .unwrap();
        let form = crate::chaos::ChaosForm {
            window_ms: 5_000,
            ..crate::chaos::ChaosForm::default()
        };
        session
            .inject_into_scenario(crate::chaos::fault_for("bit_flips", &form, "db").unwrap())
            .unwrap();
        session.finish_rebuild().unwrap();
        session
            .advance(SimDuration::from_secs(12), u64::MAX)
            .unwrap();
        let errors = session.lab().recent_errors();
        let kinds: Vec<&str> = errors.iter().map(|e| e.kind.as_str()).collect();
        eprintln!("{kinds:?} {:?}", errors.last());
        assert!(kinds.contains(&"corrupt"), "{kinds:?}");
    }

    #[test]
    fn removing_a_change_or_a_fault_replays_the_run_without_it() {
        let mut session = Session::new(small()).unwrap();
        play_frames(&mut session, 30);
        let faster = with_rate(&session, 900.0);
        session.apply_live(faster).unwrap();
        play_frames(&mut session, 20);
        inject_now(
            &mut session,
            FaultSpec::CrashWriter {
                at_ms: 0,
                recover_after_ms: None,
            },
        );
        inject_now(&mut session, FaultSpec::Recover { at_ms: 50 });
        play_frames(&mut session, 30);
        let now = session.now();
        let with_all = hash(&session);

        // A crash whose recovery is still listed cannot go alone; a stale position is refused.
        let crash = session.scenario().faults[0].clone();
        let error = session.remove_fault(0, &crash).unwrap_err();
        assert!(error.to_string().contains("recover"), "{error}");
        let change = session.scenario().changes[0].clone();
        let error = session.remove_change(1, &change).unwrap_err();
        assert!(error.to_string().contains("no longer"), "{error}");
        assert!(!session.rebuilding());
        assert_eq!(hash(&session), with_all);

        // Recovery, then the crash, then the change: each removal replays to the same moment,
        // and the result is the run of the scenario without them.
        let recover = session.scenario().faults[1].clone();
        session.remove_fault(1, &recover).unwrap();
        session.finish_rebuild().unwrap();
        session.remove_fault(0, &crash).unwrap();
        session.finish_rebuild().unwrap();
        session.remove_change(0, &change).unwrap();
        session.finish_rebuild().unwrap();
        assert_eq!(session.now(), now);
        assert_eq!(session.scenario(), &small());
        assert_eq!(session.settings().workload.rate_ops_per_sec, 400.0);
        let mut plain = Session::new(small()).unwrap();
        plain
            .advance_until(now, u64::MAX)
            .expect("the plain run advances");
        assert_eq!(hash(&session), hash(&plain));
        assert_ne!(hash(&session), with_all);
    }
}
