//! Frames built from real sessions: their size bound, and the timeline folded from uneven
//! frames against a read of the whole trace at every redraw.

use super::*;
use crate::session::Session;
use crate::timeline::requests_in_window;
use strata_sim::SimDuration;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// The storage tab's frame, asking for the requests after what `fold` holds.
fn storage_frame(session: &Session, fold: &FrameFold) -> Frame {
    Frame::build(
        session,
        &Wanted {
            panels: Panels::Storage,
            timeline_after: fold.timeline_after(),
        },
        &mut InForce::default(),
    )
}

/// The window the timeline drew when it read the retained trace at every redraw.
fn read_from_the_trace(session: &Session, frame: &Frame) -> Vec<TimelineRequest> {
    let storage = frame.storage.as_ref().unwrap();
    requests_in_window(
        &session.lab().trace(),
        storage.window_start,
        frame.time.now,
        None,
    )
}

#[test]
fn the_timeline_folded_from_increments_is_the_window_read_from_the_trace() {
    let mut session = Session::new(crate::link::default_scenario()).unwrap();
    let mut fold = FrameFold::default();
    let mut increments = 0;
    for step in 0..120u64 {
        session
            .advance(SimDuration::from_millis(7 + step % 11 * 9), 20_000)
            .unwrap();
        let mut frame = storage_frame(&session, &fold);
        let increment = &frame.storage.as_ref().unwrap().timeline;
        if !increment.whole {
            increments += 1;
        }
        let drawn = fold.absorb(&mut frame);
        assert!(
            frame.storage.as_ref().unwrap().timeline.requests.is_empty(),
            "the fold takes the frame's requests rather than copying them"
        );
        assert_eq!(
            *drawn,
            read_from_the_trace(&session, &frame),
            "at step {step}"
        );
    }
    assert!(increments > 100, "frames after the first bring increments");
    // A rebuild is another run: its first frame brings the whole window again.
    session.seek(SimTime::from_millis(500)).unwrap();
    session.finish_rebuild().unwrap();
    let mut frame = storage_frame(&session, &fold);
    assert!(frame.storage.as_ref().unwrap().timeline.whole);
    let drawn = fold.absorb(&mut frame);
    assert_eq!(*drawn, read_from_the_trace(&session, &frame));
}

/// The most a frame of the default scenario may take as JSON after ten minutes of simulated
/// time: whatever the run's length, a frame carries the moment's figures, never the history.
/// Measured: about 22 KB for the storage tab's first frame (the timeline's whole window),
/// 14 KB for the next one a redraw later, 12 KB for the recommender's, 2 KB for the others.
const MAX_FRAME_JSON_BYTES: usize = 32 * 1024;

#[test]
fn a_frame_of_a_ten_minute_run_is_small() {
    let mut session = Session::new(crate::link::default_scenario()).unwrap();
    let mut fold = FrameFold::default();
    // The page's first frame, then the run, then a frame each for the views.
    fold.absorb(&mut storage_frame(&session, &fold));
    session
        .advance_until(SimTime::from_secs(600), u64::MAX)
        .unwrap();
    let mut sizes = Vec::new();
    let mut codec_sizes = Vec::new();
    for panels in [Panels::Storage, Panels::Recommender, Panels::None] {
        let frame = Frame::build(
            &session,
            &Wanted {
                panels,
                timeline_after: None,
            },
            &mut InForce::default(),
        );
        let json = serde_json::to_string(&frame).unwrap();
        let back: Frame = serde_json::from_str(&json).unwrap();
        assert_eq!(back, frame, "a frame crosses a message unchanged");
        sizes.push((panels, json.len()));
        let mut bytes = Vec::new();
        frame.encode(&mut bytes);
        codec_sizes.push((panels, bytes.len()));
    }
    // The frame after one redraw interval of play, with the timeline's increment.
    let mut frame = storage_frame(&session, &fold);
    fold.absorb(&mut frame);
    session
        .advance(SimDuration::from_millis(1_000 / 30), u64::MAX)
        .unwrap();
    let next = storage_frame(&session, &fold);
    assert!(!next.storage.as_ref().unwrap().timeline.whole);
    sizes.push((Panels::Storage, serde_json::to_string(&next).unwrap().len()));
    let mut bytes = Vec::new();
    next.encode(&mut bytes);
    codec_sizes.push((Panels::Storage, bytes.len()));
    eprintln!("frame sizes (JSON bytes): {sizes:?}; in the codec (as posted): {codec_sizes:?}");
    sizes.extend(codec_sizes);
    for (panels, bytes) in sizes {
        assert!(
            bytes <= MAX_FRAME_JSON_BYTES,
            "the {panels:?} frame is {bytes} bytes"
        );
    }
}

/// The default scenario run until `seconds` of simulated time.
fn default_run_until(seconds: u64) -> Session {
    let mut session = Session::new(crate::link::default_scenario()).unwrap();
    session
        .advance_until(SimTime::from_secs(seconds), u64::MAX)
        .unwrap();
    session
}

/// What `requests_in_window` picks, as an iterator chain says it: newest first while after
/// `after`, the requests that overlap the window, at most [`MAX_WINDOW_REQUESTS`], then oldest first.
fn window_by_chain(
    trace: &strata_sim::Trace,
    start: SimTime,
    end: SimTime,
    after: Option<u64>,
) -> Vec<TimelineRequest> {
    let mut picked: Vec<TimelineRequest> = trace
        .retained()
        .rev()
        .take_while(|event| after.is_none_or(|after| event.seq > after))
        .filter_map(|event| match &event.kind {
            strata_sim::EventKind::Request(request)
                if request.end >= start && request.start <= end =>
            {
                Some(TimelineRequest {
                    seq: event.seq,
                    record: request.clone(),
                })
            }
            _ => None,
        })
        .take(MAX_WINDOW_REQUESTS)
        .collect();
    picked.reverse();
    picked
}

#[test]
fn the_window_is_the_requests_that_overlap_it_after_the_last_seen() {
    let session = default_run_until(5);
    let trace = session.lab().trace();
    let total = trace.total_events();
    let mut nonempty = 0;
    for (start_ms, end_ms) in [(0, 5_000), (3_000, 5_000), (4_990, 5_000), (6_000, 7_000)] {
        let (start, end) = (SimTime::from_millis(start_ms), SimTime::from_millis(end_ms));
        for after in [
            None,
            Some(0),
            Some(total / 2),
            Some(total.saturating_sub(40)),
            Some(total),
        ] {
            let picked = requests_in_window(&trace, start, end, after);
            assert_eq!(
                picked,
                window_by_chain(&trace, start, end, after),
                "window {start_ms}..{end_ms} ms after {after:?}"
            );
            nonempty += usize::from(!picked.is_empty());
        }
    }
    assert!(nonempty > 5, "most windows hold requests");
}

#[test]
fn a_frame_counts_every_beat_event_as_the_trace_does() {
    let session = default_run_until(20);
    let frame = storage_frame(&session, &FrameFold::default());
    let trace = session.lab().trace();
    let expected: Vec<(String, u64)> = strata_lab::chapter::beat_events()
        .map(|kind| (kind.to_string(), trace.count(kind)))
        .collect();
    assert_eq!(frame.time.beat_counts, expected);
    assert!(
        expected.iter().filter(|(_, count)| *count > 0).count() >= 2,
        "the run has met beat events: {expected:?}"
    );
}

#[test]
fn the_storage_frame_lists_what_the_run_observed_newest_events_first() {
    use crate::observed::ActivityKind;
    use crate::storage::{MAX_ACTIVITY_PILLS, MAX_LISTED};
    let mut session = Session::new(crate::link::default_scenario()).unwrap();
    let (mut activities_seen, mut events_seen, mut slowest_seen) = (0, 0, 0);
    for _ in 0..40 {
        session
            .advance(SimDuration::from_millis(750), u64::MAX)
            .unwrap();
        let frame = storage_frame(&session, &FrameFold::default());
        let storage = frame.storage.as_ref().unwrap();
        let observed = session.observed();
        let events: Vec<_> = observed
            .events
            .iter()
            .rev()
            .take(MAX_LISTED)
            .cloned()
            .collect();
        assert_eq!(storage.events, events);
        let skip = observed.activities.len().saturating_sub(MAX_ACTIVITY_PILLS);
        let activities: Vec<_> = observed.activities.iter().skip(skip).copied().collect();
        assert_eq!(storage.activities, activities);
        let running = |kind| {
            observed
                .activities
                .iter()
                .filter(|a| a.kind == kind && a.finished.is_none())
                .count() as u64
        };
        assert_eq!(storage.flushes_running, running(ActivityKind::Flush));
        assert_eq!(
            storage.compactions_running,
            running(ActivityKind::Compaction)
        );
        let lab = session.lab();
        let slowest: Vec<(u64, String)> = lab
            .explainer()
            .slowest()
            .iter()
            .map(|op| (op.number, op.key.clone()))
            .collect();
        let listed: Vec<(u64, String)> = storage
            .slowest
            .iter()
            .map(|line| (line.number, line.key.clone()))
            .collect();
        assert_eq!(listed, slowest);
        let tombstones = lab
            .db_state()
            .map_or(0, |state| lab.range_tombstones(&state).len());
        assert_eq!(storage.range_tombstones.len(), tombstones);
        let latency = &storage.latencies[0];
        let samples: u64 = latency.buckets.iter().map(|bar| bar.2).sum();
        assert_eq!(samples, latency.count, "every write's latency is in a bar");
        let CompactionModel::Leveled {
            level_targets_bytes,
        } = &storage.compaction
        else {
            panic!("the default scenario compacts by levels");
        };
        assert!(level_targets_bytes.windows(2).all(|pair| pair[0] < pair[1]));
        activities_seen += storage.activities.len();
        events_seen += storage.events.len();
        slowest_seen += storage.slowest.len();
    }
    assert!(activities_seen > 0 && events_seen > 0 && slowest_seen > 0);
}
