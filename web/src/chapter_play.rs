//! A chapter played in the page: which beat is on show, where the next beat stops, how to get
//! there, and the chapter index. No browser code (the page fetches the files, `app::chapter`
//! wires the keys and the panel), so it is tested natively.
//!
//! Beats count from 1; beat 0 is the chapter's start (time zero, the question on show). Going
//! to the next beat plays the run forward until that beat's stop, as `strata chapter` finds
//! it: its `at_ms` reached, or the trace's count of its `event` kind risen above the count when
//! the beat began, or, with neither, the end of the run. Each stop reached is remembered as a
//! [`Milestone`] (events processed and simulated time), so going back re-simulates from the
//! seed to exactly the previous stop, and back from beat 1 restarts the run.

use crate::session::{Milestone, Session};
use strata_lab::chapter::{beat_event, Beat, Chapter, MAX_BEATS};
use strata_lab::{Lab, LabError};
use strata_sim::SimTime;

/// The most chapters the index may list.
pub const MAX_INDEX_ENTRIES: usize = 100;
/// The longest chapter name (its file name without `.json`).
pub const MAX_NAME_BYTES: usize = 64;
/// The largest chapter file or index the page reads.
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// Where the beat being played to stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeatStop {
    /// At this simulated time.
    At(SimTime),
    /// When the trace's count of `kind` rises above `seen`.
    Event { kind: &'static str, seen: u64 },
    /// At the end of the run.
    End,
}

/// Where a run is, as a chapter reads it: the lab itself (where the run is simulated) or a
/// frame of it (in the page, [`crate::frame::TimeFrame`]).
pub trait RunPoint {
    fn now(&self) -> SimTime;
    fn events_processed(&self) -> u64;
    fn finished(&self) -> bool;
    /// The trace's count of events of `kind` (a beat event's).
    fn count(&self, kind: &str) -> u64;
}

impl RunPoint for Lab {
    fn now(&self) -> SimTime {
        Lab::now(self)
    }
    fn events_processed(&self) -> u64 {
        Lab::events_processed(self)
    }
    fn finished(&self) -> bool {
        Lab::finished(self)
    }
    fn count(&self, kind: &str) -> u64 {
        self.trace().count(kind)
    }
}

/// A run at its start: time zero, nothing processed, nothing counted.
pub struct RunStart;

impl RunPoint for RunStart {
    fn now(&self) -> SimTime {
        SimTime::ZERO
    }
    fn events_processed(&self) -> u64 {
        0
    }
    fn finished(&self) -> bool {
        false
    }
    fn count(&self, _kind: &str) -> u64 {
        0
    }
}

fn count(lab: &dyn RunPoint, kind: &str) -> u64 {
    lab.count(kind)
}

impl BeatStop {
    /// The stop of `beat`, begun with the run at `lab`'s moment.
    pub fn of(beat: &Beat, lab: &dyn RunPoint) -> BeatStop {
        match (beat.at_ms, &beat.event) {
            (Some(at), _) => BeatStop::At(SimTime::from_millis(at)),
            (None, Some(event)) => match beat_event(event) {
                Some(kind) => BeatStop::Event {
                    kind,
                    seen: count(lab, kind),
                },
                // `Chapter::validate` refuses an unknown event, so a loaded chapter never
                // names one; were it to, the beat plays to the end rather than never stopping.
                None => BeatStop::End,
            },
            (None, None) => BeatStop::End,
        }
    }

    /// Whether the run at `lab` has reached this stop (a finished run has reached every stop).
    pub fn reached(&self, lab: &dyn RunPoint) -> bool {
        lab.finished()
            || match *self {
                BeatStop::At(at) => lab.now() >= at,
                BeatStop::Event { kind, seen } => count(lab, kind) > seen,
                BeatStop::End => false,
            }
    }
}

/// Plays `session` toward `stop` for at most `max_events` events (the worker calls this in
/// slices within its tick). Returns whether the stop is reached.
pub fn play_toward(
    session: &mut Session,
    stop: BeatStop,
    max_events: u64,
) -> Result<bool, LabError> {
    let max_events = max_events.max(1);
    if stop.reached(session.lab()) {
        return Ok(true);
    }
    if let BeatStop::At(at) = stop {
        let progress = session.advance_until(at, max_events)?;
        // Fewer events than allowed: everything due by `at` has run and the clock is there.
        return Ok(progress.events_processed < max_events || stop.reached(session.lab()));
    }
    for _ in 0..max_events {
        let progress = session.step()?;
        if stop.reached(session.lab()) {
            return Ok(true);
        }
        if progress.events_processed == 0 {
            return Err(LabError::Stalled { at: session.now() });
        }
    }
    Ok(false)
}

/// A chapter on show: the file, and the beats reached so far.
#[derive(Clone, Debug, PartialEq)]
pub struct ChapterPlay {
    pub name: String,
    pub chapter: Chapter,
    /// Where each beat reached so far stopped; its length is the beat on show (0: the start).
    stops: Vec<Milestone>,
    /// `next[k]`: where beat `k + 1` stops, decided when beat `k` was reached (0: the start),
    /// so that an event stop counts from the beat's beginning however far the run has
    /// played since. One longer than `stops` while a beat is left, as long after the last.
    next: Vec<BeatStop>,
    /// Going back to this beat: the re-simulation to its stop is under way.
    going_back_to: Option<usize>,
}

impl ChapterPlay {
    /// The chapter before its first beat, with the run at `lab`'s start.
    pub fn new(name: impl Into<String>, chapter: Chapter, lab: &dyn RunPoint) -> Self {
        assert!(
            !chapter.beats.is_empty() && chapter.beats.len() <= MAX_BEATS,
            "a validated chapter has 1 to {MAX_BEATS} beats"
        );
        let first = BeatStop::of(&chapter.beats[0], lab);
        ChapterPlay {
            name: name.into(),
            chapter,
            stops: Vec::new(),
            next: vec![first],
            going_back_to: None,
        }
    }

    /// The beat on show, from 1; 0 before the first.
    pub fn beat(&self) -> usize {
        self.stops.len()
    }

    pub fn beat_count(&self) -> usize {
        self.chapter.beats.len()
    }

    /// "beat 2 of 4", or "before beat 1 of 4" at the start.
    pub fn counter(&self) -> String {
        match self.beat() {
            0 => format!("before beat 1 of {}", self.beat_count()),
            beat => format!("beat {beat} of {}", self.beat_count()),
        }
    }

    /// The beat on show, if any.
    pub fn current(&self) -> Option<&Beat> {
        self.beat()
            .checked_sub(1)
            .and_then(|index| self.chapter.beats.get(index))
    }

    /// The page's elements the beat on show points at.
    pub fn highlight(&self) -> &[String] {
        self.current().map_or(&[], |beat| beat.highlight.as_slice())
    }

    /// Where the next beat stops; `None` after the last beat.
    pub fn next_stop(&self) -> Option<BeatStop> {
        self.next.get(self.beat()).copied()
    }

    /// The run at `lab` has reached the next beat's stop: that beat is on show.
    pub fn reached(&mut self, lab: &dyn RunPoint) {
        assert!(
            self.beat() < self.beat_count(),
            "a beat is reached only while one is left"
        );
        let milestone = Milestone {
            events: lab.events_processed(),
            at: lab.now(),
        };
        assert!(
            self.stops
                .last()
                .is_none_or(|last| last.events <= milestone.events && last.at <= milestone.at),
            "beats stop in the order of the run"
        );
        self.stops.push(milestone);
        self.going_back_to = None;
        if let Some(beat) = self.chapter.beats.get(self.beat()) {
            self.next.push(BeatStop::of(beat, lab));
        }
        assert!(
            self.next.len() == (self.stops.len() + 1).min(self.beat_count()),
            "one stop decided for each beat begun"
        );
    }

    /// Shows every beat whose stop the run at `lab` has passed (plain Play went by them).
    /// Returns whether the beat on show changed.
    pub fn follow(&mut self, lab: &dyn RunPoint) -> bool {
        let before = self.beat();
        while let Some(stop) = self.next_stop() {
            if !stop.reached(lab) {
                break;
            }
            self.reached(lab);
        }
        self.beat() != before
    }

    /// Starts going back one beat. Returns where the run must be re-simulated to: `Some(None)`
    /// for the start, `Some(Some(stop))` for the previous beat's stop, `None` at the start
    /// already. The beat on show changes when the run gets there ([`ChapterPlay::rewound`]);
    /// a re-simulation cancelled leaves it as it was.
    pub fn back(&mut self) -> Option<Option<Milestone>> {
        let previous = self.beat().checked_sub(1)?;
        self.going_back_to = Some(previous);
        Some(previous.checked_sub(1).map(|index| self.stops[index]))
    }

    /// The run has been re-simulated (or restarted) to `lab`'s moment: a beat being gone back
    /// to is on show, and no beat whose stop lies ahead of the run stays on show.
    pub fn rewound(&mut self, lab: &dyn RunPoint) {
        let mut keep = self.going_back_to.take().unwrap_or(self.beat());
        while keep > 0 {
            let stop = self.stops[keep - 1];
            if stop.events <= lab.events_processed() && stop.at <= lab.now() {
                break;
            }
            keep -= 1;
        }
        self.stops.truncate(keep);
        self.next.truncate(keep + 1);
        assert!(
            self.next.len() == (self.stops.len() + 1).min(self.beat_count()),
            "the next beat's stop is kept for the beat on show"
        );
    }

    /// A re-simulation was cancelled: the run, and the beat on show, stay as they were.
    pub fn cancelled(&mut self) {
        self.going_back_to = None;
    }
}

/// One line of the chapter index (`chapters/index.json`, written by `cargo xtask dist`).
#[derive(Clone, Debug, PartialEq)]
pub struct IndexEntry {
    pub name: String,
    pub title: String,
    pub question: String,
}

/// Reads the chapter index.
pub fn parse_index(text: &str) -> Result<Vec<IndexEntry>, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the chapter index is {} bytes, over the limit of {MAX_FILE_BYTES}",
            text.len()
        ));
    }
    // Read as a `Value` and picked apart by hand: a derived `Deserialize` read from text
    // would bring serde_json's struct-from-text code into the page for these three fields.
    let value = strata_sim::json::from_str(text)
        .map_err(|e| format!("the chapter index could not be read: {e}"))?;
    let items = value.as_array().ok_or("the chapter index is not a list")?;
    let field = |item: &serde_json::Value, key: &str| {
        // Through the object's own `get`, which the readers use, not `Value::get` and its
        // `Index` impls, which this was the page's only caller of.
        item.as_object()
            .and_then(|members| members.get(key))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("a chapter in the index has no {key:?}"))
    };
    // A plain loop rather than `collect` into a `Result` (its adapters are four more
    // functions in the wasm).
    let mut entries = Vec::new();
    for item in items.iter().take(MAX_INDEX_ENTRIES + 1) {
        entries.push(IndexEntry {
            name: field(item, "name")?,
            title: field(item, "title")?,
            question: field(item, "question")?,
        });
    }
    if entries.len() > MAX_INDEX_ENTRIES {
        return Err(format!(
            "the chapter index lists {} chapters, over the limit of {MAX_INDEX_ENTRIES}",
            entries.len()
        ));
    }
    if let Some(bad) = entries.iter().find(|e| !valid_name(&e.name)) {
        return Err(format!(
            "the chapter index lists an invalid name {:?}",
            bad.name
        ));
    }
    Ok(entries)
}

/// Reads a chapter file, with a size limit before parsing.
pub fn parse_chapter(name: &str, text: &str) -> Result<Chapter, String> {
    if text.len() > MAX_FILE_BYTES {
        return Err(format!(
            "The chapter “{name}” is {} bytes, over the limit of {MAX_FILE_BYTES}.",
            text.len()
        ));
    }
    // The page plays only the base scenario, and starting it validates it; the variant is
    // left to `strata chapter` (see `Chapter::check_story`).
    // Through a `Value`, as `Scenario::from_json` reads a scenario: the scenario types'
    // `Deserialize` is then the one the page already has, not a second copy for text.
    let read = |e: &dyn std::fmt::Display| format!("The chapter “{name}” could not be read: {e}.");
    let value = strata_sim::json::from_str(text).map_err(|e| read(&e))?;
    // Read straight from the `Value`: `serde_json::from_value` would copy it through
    // serde_json's `Value` visitor first, to hand the copy to this same reader.
    let chapter = Chapter::from_value(value).map_err(|e| read(&e))?;
    chapter
        .check_story()
        .map_err(|e| format!("The chapter “{name}” could not be opened: {e}."))?;
    Ok(chapter)
}

/// A chapter name is a file name: lower-case letters, digits and dashes.
pub fn valid_name(name: &str) -> bool {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return false;
    }
    // A loop: `all` with this closure was an instance of its own.
    for b in name.bytes() {
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return false;
        }
    }
    true
}

/// The chapter a fragment (`#chapter=NAME`) asks for, if it asks for one.
pub fn requested(hash: &str) -> Option<&str> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|part| part.strip_prefix("chapter="))
}

/// Checks that `name` is in the index; otherwise the message lists the chapters there are.
pub fn check_listed(name: &str, index: &[IndexEntry]) -> Result<(), String> {
    // One loop for the check and the names: an `any` and a `map` and `collect` were instances
    // of their own.
    let mut names = Vec::new();
    for entry in index {
        if entry.name == name && valid_name(name) {
            return Ok(());
        }
        names.push(entry.name.as_str());
    }
    let shown: String = name.chars().take(MAX_NAME_BYTES).collect();
    Err(format!(
        "There is no chapter “{shown}”. The chapters are: {}.",
        strata_sim::fmt::join(&names, ", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const ZOMBIE: &str = include_str!("../chapters/zombie.json");
    const NOISY: &str = include_str!("../chapters/noisy-neighbour.json");

    /// Plays every beat of `text` with the page's own slices, checking each stop against
    /// the time `Chapter::verify` (the CLI's `strata chapter`) finds for it.
    fn walk(text: &str) -> (ChapterPlay, Session) {
        let chapter = parse_chapter("test", text).unwrap();
        let expected = if cfg!(target_arch = "wasm32") {
            None
        } else {
            Some(chapter.verify().unwrap().beat_times)
        };
        let mut session = Session::new(chapter.scenario.clone()).unwrap();
        let mut play = ChapterPlay::new("test", chapter, session.lab());
        assert_eq!(
            play.counter(),
            format!("before beat 1 of {}", play.beat_count())
        );
        while let Some(stop) = play.next_stop() {
            while !play_toward(&mut session, stop, 25).unwrap() {}
            play.reached(session.lab());
            assert_eq!(
                play.counter(),
                format!("beat {} of {}", play.beat(), play.beat_count())
            );
            if let Some(times) = &expected {
                assert_eq!(
                    session.now(),
                    times[play.beat() - 1],
                    "beat {}",
                    play.beat()
                );
            }
        }
        assert!(
            session.lab().finished(),
            "the last beat of every chapter ends the run"
        );
        (play, session)
    }

    #[test]
    fn beats_stop_where_the_chapter_runner_stops_them() {
        let (play, _) = walk(ZOMBIE);
        assert_eq!(play.beat(), play.beat_count());
        assert_eq!(
            play.current().unwrap().caption,
            play.chapter.beats.last().unwrap().caption
        );
    }

    #[test]
    fn an_event_stop_waits_for_the_count_to_rise() {
        let chapter = parse_chapter("zombie", ZOMBIE).unwrap();
        let session = Session::new(chapter.scenario.clone()).unwrap();
        let beat = chapter
            .beats
            .iter()
            .find(|b| b.event.as_deref() == Some("fenced"))
            .unwrap();
        let stop = BeatStop::of(beat, session.lab());
        assert_eq!(
            stop,
            BeatStop::Event {
                kind: "fenced",
                seen: 0
            }
        );
        assert!(!stop.reached(session.lab()));
        let at = BeatStop::of(&chapter.beats[0], session.lab());
        assert_eq!(at, BeatStop::At(SimTime::from_millis(4000)));
    }

    /// Re-simulates `session`'s scenario to `milestone` in a fresh session.
    fn replayed(session: &Session, milestone: Milestone) -> Session {
        let mut again = Session::new(session.scenario().clone()).unwrap();
        again
            .begin_rebuild(session.scenario().clone(), milestone)
            .unwrap();
        again.finish_rebuild().unwrap();
        again
    }

    #[test]
    fn going_back_returns_to_the_previous_stop_exactly() {
        let (mut play, session) = walk(NOISY);
        let last = play.beat_count();
        let previous = play.back().expect("a beat to go back from");
        assert_eq!(
            play.beat(),
            last,
            "the beat changes when the run gets there"
        );
        let milestone = previous.expect("not the start");
        // Re-simulating to the milestone gives the run as it was at that stop.
        let again = replayed(&session, milestone);
        assert_eq!(again.now(), milestone.at);
        assert_eq!(again.lab().events_processed(), milestone.events);
        play.rewound(again.lab());
        assert_eq!(play.beat(), last - 1);
        assert!(play.next_stop().is_some());
        let start = Session::new(session.scenario().clone()).unwrap();
        while play.back().is_some() {
            play.rewound(start.lab());
        }
        assert_eq!(play.beat(), 0);
        assert_eq!(play.back(), None, "nothing before the start");
        assert!(play.highlight().is_empty());
    }

    #[test]
    fn a_cancelled_way_back_keeps_the_beat_the_run_is_at() {
        let (mut play, session) = walk(ZOMBIE);
        let last = play.beat();
        assert!(play.back().is_some());
        play.cancelled();
        // The run stayed at the last beat's stop; nothing there is ahead of it.
        play.rewound(session.lab());
        assert_eq!(play.beat(), last);
    }

    #[test]
    fn plain_play_shows_the_beats_it_passes_as_next_would() {
        let chapter = parse_chapter("zombie", ZOMBIE).unwrap();
        let mut by_next = Session::new(chapter.scenario.clone()).unwrap();
        let mut with_next = ChapterPlay::new("zombie", chapter.clone(), by_next.lab());
        let stop = with_next.next_stop().unwrap();
        while !play_toward(&mut by_next, stop, 25).unwrap() {}
        with_next.reached(by_next.lab());

        // Play by slices of simulated time, as the page's frames do, past the first stop.
        let mut by_play = Session::new(chapter.scenario.clone()).unwrap();
        let mut with_play = ChapterPlay::new("zombie", chapter, by_play.lab());
        assert!(!with_play.follow(by_play.lab()));
        let mut changed = false;
        while by_play.now() < by_next.now() {
            by_play
                .advance(strata_sim::SimDuration::from_millis(7), 25)
                .unwrap();
            changed |= with_play.follow(by_play.lab());
        }
        assert!(changed, "the counter moved on while playing");
        assert_eq!(with_play.beat(), 1);
        assert_eq!(with_play.counter(), with_next.counter());
        assert_eq!(with_play.current(), with_next.current());
    }

    #[test]
    fn scrubbing_back_before_a_stop_takes_its_beat_off_show() {
        let (mut play, session) = walk(ZOMBIE);
        assert!(play.beat() >= 2);
        let first = play.stops[0];
        let before_first = replayed(&session, Milestone::time(first.at));
        // One millisecond before beat 1's stop: back to the start.
        let early = Milestone::time(SimTime::from_nanos(
            first.at.as_nanos().saturating_sub(1_000_000),
        ));
        let earlier = replayed(&session, early);
        play.rewound(before_first.lab());
        assert!(play.beat() >= 1, "beat 1's stop is not ahead of the run");
        play.rewound(earlier.lab());
        assert_eq!(play.beat(), 0);
        assert_eq!(
            play.next_stop(),
            Some(BeatStop::At(SimTime::from_millis(4000))),
            "beat 1 is next again"
        );
    }

    #[test]
    fn the_index_and_names_are_checked() {
        let index = parse_index(
            r#"[{"name":"durable","title":"Durable","question":"Is it safe?"},
                {"name":"zombie","title":"Zombie","question":"What stops it?"}]"#,
        )
        .unwrap();
        assert_eq!(index.len(), 2);
        assert!(check_listed("zombie", &index).is_ok());
        let message = check_listed("nope", &index).unwrap_err();
        assert!(message.contains("“nope”"), "{message}");
        assert!(message.contains("durable, zombie"), "{message}");
        assert!(check_listed("../index", &index).is_err());
        assert!(parse_index(r#"[{"name":"../x","title":"","question":""}]"#).is_err());
        for (name, valid) in [
            ("a-1", true),
            ("", false),
            ("A", false),
            ("a_b", false),
            ("é", false),
        ] {
            assert_eq!(valid_name(name), valid, "{name:?}");
        }
        assert!(valid_name(&"a".repeat(MAX_NAME_BYTES)));
        assert!(!valid_name(&"a".repeat(MAX_NAME_BYTES + 1)));
        assert!(parse_index("{").is_err());
        // An entry that is not an object has none of the fields.
        assert!(parse_index(r#"[1]"#).unwrap_err().contains("name"));
        assert!(parse_index(r#"[{"name":"x","title":"X"}]"#)
            .unwrap_err()
            .contains("question"));
        assert_eq!(requested("#chapter=zombie"), Some("zombie"));
        assert_eq!(requested("#s=v1.abc"), None);
        let error = parse_chapter("broken", r#"{"title":"x"}"#).unwrap_err();
        assert!(
            error.contains("“broken”") && error.contains("could not"),
            "{error}"
        );
    }
}
