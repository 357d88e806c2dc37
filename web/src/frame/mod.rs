//! The view snapshot the panels draw: a [`Frame`], built from the session in the worker (at
//! most 30 a second while the run moves, and after every request) by [`Frame::build`], the
//! only code that reads the `Lab` for drawing. A frame is plain data, small whatever
//! the run's length: the time bar's read-outs (with the count of every beat event kind, where
//! a chapter's beats stop), the scenario and the settings in force (shared from frame to frame
//! until they change: [`InForce`]), the side-by-side panel's
//! figures of this run, and, for the open tab, the storage view's figures (the LSM's shape,
//! counts from the lab's metrics, the last events, the writer's badge, the timeline's requests
//! since the frame before) or the recommender's. It crosses `postMessage` to the page as bytes
//! in a codec written by hand ([`codec`]; serde's derives stay for its tests, as the reference).
//!
//! What a panel needs of the whole history (a request's cause chain, the trace and metrics
//! exports) is not in a frame: it is asked of the worker through [`Requests`]; the off-policy
//! evaluation over the impression log comes beside the frames while its tab is open.
//!
//! The page folds the frames it receives ([`FrameFold`]): the request timeline keeps the
//! window's requests from the increments each frame brings.
//!
//! No browser code: built, folded and tested natively too.

mod codec;
mod recommender;
mod requests;
mod storage;
mod timeline;

pub use codec::{
    decode_all, encode_frame, read_all, read_carrier, read_carrier_in, read_frame, read_scenario,
    zero, CodecError, Decode, Encode, Held, Reader,
};
pub use recommender::RecommenderFrame;
pub use requests::{Answer, OperationDetail, Requests};
pub use storage::{
    key_position, CompactionModel, LatencyKind, LatencyModel, SlowOperationLine, StorageFrame,
    TombstoneBar,
};
pub use timeline::{
    requests_in_window, FrameFold, TimelineIncrement, TimelineRequest, MAX_WINDOW_REQUESTS,
};

use crate::session::{Session, Settings};
#[cfg(test)]
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use strata_lab::Scenario;
use strata_sim::SimTime;

/// The panels a frame carries besides the time bar's (what the open tab draws).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub enum Panels {
    Storage,
    Recommender,
    /// The scenario tab and the chapters' index: the scenario alone.
    None,
}

/// What the page asks the next frame for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct Wanted {
    pub panels: Panels,
    /// The run and the last request the page's timeline already holds: the frame brings only
    /// the requests after it (all of the window for another run, or `None`).
    pub timeline_after: Option<(u64, u64)>,
}

/// A rebuild in progress, as the progress bar shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct RebuildFrame {
    /// 0 to 1.
    pub progress: f64,
    pub target: SimTime,
}

/// The time bar's read-outs.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct TimeFrame {
    pub now: SimTime,
    /// The furthest time reached with this scenario (the scrubber's right end).
    pub horizon: SimTime,
    pub events_processed: u64,
    /// Events the trace has recorded, and its hash at `now`.
    pub total_events: u64,
    pub hash: String,
    pub finished: bool,
    /// The run's final hash (with every tenant's), once it has finished.
    pub final_hash: Option<String>,
    /// When the workload ends (the run to the end's progress).
    pub workload_end: SimTime,
    pub rebuild: Option<RebuildFrame>,
    /// The trace's count of each beat event kind (where a chapter's beat stops).
    pub beat_counts: Vec<(String, u64)>,
}

impl crate::chapter_play::RunPoint for TimeFrame {
    fn now(&self) -> SimTime {
        self.now
    }
    fn events_processed(&self) -> u64 {
        self.events_processed
    }
    fn finished(&self) -> bool {
        self.finished
    }
    fn count(&self, kind: &str) -> u64 {
        self.beat_counts
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0, |(_, n)| *n)
    }
}

/// Everything the page draws of one moment of the run.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct Frame {
    /// Which run (lab) this is: it changes when a rebuild or a restart replaces the lab.
    pub run: u64,
    pub time: TimeFrame,
    /// The revision of the scenario and the settings in force ([`InForce`]): the same while
    /// both are, so the worker sends their documents only when it changes.
    pub revision: u64,
    /// The scenario the share link carries (bounded by the link's size), as its own JSON
    /// document across a message: read back by the one reader scenarios have.
    #[cfg_attr(test, serde(with = "scenario_text"))]
    pub scenario: Rc<Scenario>,
    /// The settings in force: the scenario's, with the changes reached so far.
    #[cfg_attr(test, serde(with = "shared_value"))]
    pub settings: Rc<Settings>,
    pub storage: Option<StorageFrame>,
    /// Shared with the view as it is (no copy of the arms and series per render).
    #[cfg_attr(test, serde(with = "shared"))]
    pub recommender: Option<Rc<RecommenderFrame>>,
    /// The side-by-side panel's figures of this run, by the paths the page asked for.
    pub figures: Vec<(String, Option<f64>)>,
}

/// (De)serialises a scenario as its JSON text (serde is the codec's reference in the tests).
#[cfg(test)]
mod scenario_text {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    use strata_lab::Scenario;

    use std::rc::Rc;

    pub fn serialize<S: Serializer>(
        scenario: &Rc<Scenario>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&scenario.to_json())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Rc<Scenario>, D::Error> {
        let text = String::deserialize(deserializer)?;
        Scenario::from_json(&text)
            .map(Rc::new)
            .map_err(D::Error::custom)
    }
}

/// (De)serialises an `Rc<T>` as a `T`.
#[cfg(test)]
mod shared_value {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::rc::Rc;

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Rc<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_ref().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Rc<T>, D::Error> {
        T::deserialize(deserializer).map(Rc::new)
    }
}

/// (De)serialises an `Option<Rc<T>>` as an `Option<T>`.
#[cfg(test)]
mod shared {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::rc::Rc;

    pub fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Rc<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.as_deref().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<Rc<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| value.map(Rc::new))
    }
}

impl Frame {
    /// The frame of `session` as it stands, with the panels `wanted` asks for and the scenario
    /// and settings in force `in_force` follows. The only reader of the lab for drawing.
    pub fn build(session: &Session, wanted: &Wanted, in_force: &mut InForce) -> Frame {
        in_force.follow(session);
        let lab = session.lab();
        let trace = lab.trace();
        let finished = lab.finished();
        // Pushed by a loop: a `map` and `collect` into this list was an instance of its own.
        let mut beat_counts = Vec::new();
        for kind in strata_lab::chapter::beat_events() {
            beat_counts.push((kind.to_string(), trace.count(kind)));
        }
        let time = TimeFrame {
            now: lab.now(),
            horizon: session.horizon(),
            events_processed: lab.events_processed(),
            total_events: trace.total_events(),
            hash: trace.hash_hex(),
            finished,
            final_hash: finished.then(|| lab.trace_hash_hex()),
            workload_end: lab.workload_end(),
            rebuild: session.rebuild_progress().map(|progress| RebuildFrame {
                progress,
                target: session.rebuild_target().unwrap_or_default(),
            }),
            beat_counts,
        };
        drop(trace);
        let run = session.run();
        let storage = (wanted.panels == Panels::Storage).then(|| {
            let after = wanted
                .timeline_after
                .and_then(|(of_run, seq)| (of_run == run).then_some(seq));
            StorageFrame::build(session, after)
        });
        let recommender = (wanted.panels == Panels::Recommender)
            .then(|| Rc::new(RecommenderFrame::build(session)));
        Frame {
            run,
            time,
            revision: in_force.revision,
            scenario: in_force.scenario.clone(),
            settings: in_force.settings.clone(),
            storage,
            recommender,
            figures: Vec::new(),
        }
    }
}

/// The scenario and the settings in force as the frames carry them: taken from the session
/// only when they may have changed, and shared by every frame until then (no copy and no
/// documents per frame).
#[derive(Clone, Debug)]
pub struct InForce {
    /// Changes whenever the scenario or the settings do; 0 before the first frame.
    pub revision: u64,
    pub scenario: Rc<Scenario>,
    pub settings: Rc<Settings>,
    /// What they were taken at: the session's revision (a new lab or scenario) and the count
    /// of its setting changes applied (the settings in force change as the run reaches them).
    taken_at: Option<(u64, usize)>,
}

impl Default for InForce {
    fn default() -> Self {
        let scenario = Scenario::default();
        InForce {
            revision: 0,
            settings: Rc::new(Settings {
                workload: scenario.workload.clone(),
                engine: scenario.engine.clone(),
                store: scenario.store.clone(),
            }),
            scenario: Rc::new(scenario),
            taken_at: None,
        }
    }
}

impl InForce {
    /// Takes the session's scenario and settings if they may have changed since last time,
    /// with a new revision.
    pub fn follow(&mut self, session: &Session) {
        let at = (session.revision(), session.lab().applied_changes().len());
        if self.taken_at == Some(at) {
            return;
        }
        self.taken_at = Some(at);
        self.revision += 1;
        self.scenario = Rc::new(session.scenario().clone());
        self.settings = Rc::new(session.settings());
    }
}

/// A frame shared by the panels that draw it: equal when it is the same frame, so a panel
/// re-renders for a new frame without comparing its contents.
#[derive(Clone, Debug)]
pub struct FrameRef(pub Rc<Frame>);

impl PartialEq for FrameRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for FrameRef {
    type Target = Frame;
    fn deref(&self) -> &Frame {
        &self.0
    }
}

#[cfg(test)]
pub(crate) mod codec_tests;
#[cfg(test)]
mod tests;
