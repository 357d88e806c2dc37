//! The run on show's specification, against a clock the tests move: it plays at the speed
//! asked for, posts at most 30 frames a second, runs to the end where `strata run` ends,
//! stops a run forward where a replay stops, re-simulates after a fault, and every message
//! about it survives its bytes.

#![allow(clippy::unwrap_used)]
use super::handler::Handler;
use super::protocol::{Envelope, Note, Reply, Request, UNSOLICITED};
use super::run::{Motion, Next, RunRequest, FRAME_INTERVAL_MS};
use super::tests::{reply_survives, request_survives};
use crate::command::Command;
use crate::frame::{Frame, Held};
use crate::session::Milestone;
use crate::session::Session;
use std::rc::Rc;
use strata_lab::scenario::{FaultSpec, WorkloadSpec};
use strata_lab::{Control, Scenario};
use strata_sim::SimTime;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn small() -> Scenario {
    crate::session::tests::small_named("run-small")
}

/// A clock the test moves: every read advances it by `per_read_ms`, as if the work between
/// two reads took that long.
struct Clock {
    now_ms: f64,
    per_read_ms: f64,
}

impl Clock {
    fn read(&mut self) -> f64 {
        self.now_ms += self.per_read_ms;
        self.now_ms
    }
}

/// A page and a worker: requests answered at once, ticks driven as the worker drives them
/// (at once when asked soon, after the wait otherwise), until `wall_ms` has passed or the
/// host is idle. Returns the frames posted.
struct Bench {
    handler: Handler,
    clock: Clock,
    next_id: u64,
    /// What the worker sent and the page holds of the scenario and settings in force.
    sent: Held,
    held: Held,
}

impl Bench {
    fn new(scenario: &Scenario) -> Bench {
        let mut bench = Bench {
            handler: Handler::default(),
            clock: Clock {
                now_ms: 0.0,
                per_read_ms: 0.05,
            },
            next_id: 1,
            sent: Held::default(),
            held: Held::default(),
        };
        let reply = bench.send(RunRequest::Start {
            scenario: scenario.to_json(),
            at_ms: None,
            note: None,
        });
        assert!(matches!(reply, Reply::Frame { .. }), "{reply:?}");
        bench
    }

    /// Sends `request` through its bytes, as the page does; returns the frame it answers with.
    fn send(&mut self, request: RunRequest) -> Reply {
        let id = self.next_id;
        self.next_id += 1;
        let bytes = Envelope {
            id,
            body: Request::Run(request),
        }
        .to_bytes();
        let request = Envelope::<Request>::from_bytes(&bytes).unwrap().body;
        let now = self.clock.read();
        let reply = self.handler.handle(id, request, now, &mut || true);
        self.cross(id, reply)
    }

    /// `reply` as it crosses to the page: its bytes, a frame's scenario and settings only when
    /// they changed.
    fn cross(&mut self, id: u64, reply: Reply) -> Reply {
        let bytes = (Envelope { id, body: reply }).to_bytes(&mut self.sent);
        Envelope::<Reply>::from_bytes(&bytes, &mut self.held)
            .unwrap()
            .body
    }

    fn run(&mut self, wall_ms: f64) -> Vec<(f64, Reply)> {
        let until = self.clock.now_ms + wall_ms;
        let mut frames = Vec::new();
        while self.clock.now_ms < until {
            let clock = &mut self.clock;
            let (frame, next) = self.handler.tick(&mut || clock.read(), 10.0);
            if let Some(frame) = frame {
                let frame = self.cross(UNSOLICITED, frame);
                frames.push((self.clock.now_ms, frame));
            }
            match next {
                Next::Idle => break,
                Next::Soon => self.clock.now_ms += 0.5,
                Next::After(wait) => self.clock.now_ms += wait.max(0.5),
            }
        }
        frames
    }

    fn now(&self) -> SimTime {
        self.handler.run_host().unwrap().session().now()
    }
}

fn notes(frames: &[(f64, Reply)]) -> Vec<Note> {
    frames
        .iter()
        .flat_map(|(_, reply)| match reply {
            Reply::Frame { notes, .. } => notes.clone(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn playing_follows_the_speed_against_the_wall_clock_with_at_most_30_frames_a_second() {
    let mut bench = Bench::new(&small());
    bench.send(RunRequest::Pace {
        playing: true,
        speed: 1.0,
    });
    let frames = bench.run(1_000.0);
    let played_ms = bench.now().as_millis_f64();
    assert!(
        (950.0..=1_010.0).contains(&played_ms),
        "1× for a second of wall time played {played_ms} ms"
    );
    assert!(
        (25..=31).contains(&frames.len()),
        "{} frames in a second",
        frames.len()
    );
    for pair in frames.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= FRAME_INTERVAL_MS - 1.0);
    }
    let Reply::Frame { status, .. } = &frames.last().unwrap().1 else {
        panic!("a frame")
    };
    assert_eq!(status.motion, Motion::Play { speed: 1.0 });
    assert!((0.9..=1.1).contains(&status.effective_speed), "{status:?}");
    // Paused: no more frames, and the run stays.
    bench.send(RunRequest::Pace {
        playing: false,
        speed: 1.0,
    });
    let at = bench.now();
    assert!(bench.run(500.0).is_empty());
    assert_eq!(bench.now(), at);
}

#[test]
fn a_speed_the_machine_cannot_reach_is_reported_as_the_speed_reached() {
    let mut bench = Bench::new(&small());
    // Every read of the clock costs a millisecond: the run cannot keep up with 10,000×.
    bench.clock.per_read_ms = 1.0;
    bench.send(RunRequest::Pace {
        playing: true,
        speed: 10_000.0,
    });
    let frames = bench.run(2_000.0);
    let Reply::Frame { status, .. } = &frames.last().unwrap().1 else {
        panic!("a frame")
    };
    assert!(
        status.effective_speed > 0.0 && status.effective_speed < 10_000.0,
        "{status:?}"
    );
}

#[test]
fn a_run_to_the_end_in_ticks_ends_with_strata_runs_hash_and_says_so() {
    let mut scenario = small();
    scenario.duration_ms = 1_000;
    let summary = strata_lab::Lab::new(&scenario)
        .unwrap()
        .run_to_end()
        .unwrap();
    let mut bench = Bench::new(&scenario);
    bench.send(RunRequest::ToEnd);
    let frames = bench.run(600_000.0);
    let Some((_, Reply::Frame { frame, status, .. })) = frames.last() else {
        panic!("frames")
    };
    assert_eq!(status.motion, Motion::Still);
    assert_eq!(
        frame.time.final_hash.as_deref(),
        Some(summary.trace_hash.as_str())
    );
    assert!(notes(&frames).iter().any(
        |note| matches!(note, Note::Say { text, error: false } if text.contains(&summary.trace_hash))
    ));
}

#[test]
fn a_cancelled_go_to_stops_where_a_replay_to_that_moment_stops() {
    let scenario = small();
    let mut bench = Bench::new(&scenario);
    bench.send(RunRequest::GoTo { at_ms: 2_500 });
    // Slow reads of the clock: a slice or two, then Cancel.
    bench.clock.per_read_ms = 2.0;
    bench.run(15.0);
    let reply = bench.send(RunRequest::Cancel);
    let Reply::Frame { frame, status, .. } = reply else {
        panic!("a frame")
    };
    assert_eq!(status.motion, Motion::Still);
    let at = frame.time.now;
    assert!(
        at > SimTime::ZERO && at < SimTime::from_millis(2_500),
        "{at:?}"
    );
    assert_eq!(at.as_nanos() % 1_000_000, 0, "a whole millisecond");
    let mut replay = Session::new(scenario.clone()).unwrap();
    replay.begin_rebuild(scenario, Milestone::time(at)).unwrap();
    replay.finish_rebuild().unwrap();
    assert_eq!(frame.time.hash, replay.lab().trace().hash_hex());
}

#[test]
fn a_fault_re_simulates_in_ticks_and_the_frames_carry_it() {
    let mut bench = Bench::new(&small());
    bench.send(RunRequest::GoTo { at_ms: 400 });
    bench.run(60_000.0);
    assert_eq!(bench.now(), SimTime::from_millis(400));
    let reply = bench.send(RunRequest::Command(Box::new(Command::Inject(
        FaultSpec::Outage {
            from_ms: 0,
            until_ms: 100,
        },
    ))));
    let Reply::Frame {
        frame, notes: said, ..
    } = reply
    else {
        panic!("a frame")
    };
    assert!(frame.time.rebuild.is_some(), "re-simulating");
    assert!(
        matches!(&said[..], [Note::Say { error: false, .. }]),
        "{said:?}"
    );
    let frames = bench.run(60_000.0);
    assert!(notes(&frames).contains(&Note::Rebuilt));
    let Some((_, Reply::Frame { frame, .. })) = frames.last() else {
        panic!("frames")
    };
    assert_eq!(frame.scenario.faults.len(), 1);
    assert!(frame.time.rebuild.is_none());
    assert_eq!(frame.time.now, SimTime::from_millis(400));
}

#[test]
fn every_command_survives_its_bytes() {
    let scenario = small();
    let workload = WorkloadSpec {
        rate_ops_per_sec: 900.0,
        ..scenario.workload.clone()
    };
    let change = Control::SetWorkload {
        workload: workload.clone(),
    }
    .at(12)
    .unwrap();
    let commands = [
        Command::Live(Control::SetWorkload { workload }),
        Command::Inject(FaultSpec::CrashWriter {
            at_ms: 3,
            recover_after_ms: Some(200),
        }),
        Command::RemoveChange(2, change),
        Command::RemoveFault(
            1,
            FaultSpec::Outage {
                from_ms: 5,
                until_ms: 9,
            },
        ),
        // Checked by the session against its run, not on the way: one no run accepts arrives.
        Command::Inject(FaultSpec::Outage {
            from_ms: u64::MAX,
            until_ms: 1,
        }),
        Command::SetRecommender(None),
        Command::SetRecommender(strata_lab::Scenario::playground().recommender),
        Command::Load {
            scenario: Box::new(scenario.clone()),
            source: "a file".to_string(),
        },
        Command::Refused("no such fault".to_string()),
        Command::Info(String::new()),
    ];
    for command in commands {
        request_survives(&Envelope {
            id: 4,
            body: Request::Run(RunRequest::Command(Box::new(command))),
        });
    }
    // A live control that is no setting change is refused on the way.
    let crash = Envelope {
        id: 4,
        body: Request::Run(RunRequest::Command(Box::new(Command::Live(
            Control::CrashWriter,
        )))),
    };
    assert!(Envelope::<Request>::from_bytes(&crash.to_bytes()).is_err());
    for request in [
        RunRequest::Pace {
            playing: true,
            speed: 0.1,
        },
        RunRequest::Step,
        RunRequest::GoTo { at_ms: 7 },
        RunRequest::ToEnd,
        RunRequest::Cancel,
        RunRequest::Want(crate::frame::Panels::Recommender),
        RunRequest::Rebuild {
            events: 3,
            at_ns: 9,
        },
        RunRequest::Beat(None),
        RunRequest::Beat(Some(crate::chapter_play::BeatStop::At(
            SimTime::from_nanos(4),
        ))),
        RunRequest::Figures(vec![
            ("requests".to_string(), "store.requests".to_string()),
            (String::new(), "policy.ctr".to_string()),
        ]),
        RunRequest::Start {
            scenario: String::new(),
            at_ms: None,
            note: None,
        },
        RunRequest::Start {
            scenario: scenario.to_json(),
            at_ms: Some(5),
            note: Some(Note::Say {
                text: "hello".to_string(),
                error: false,
            }),
        },
    ] {
        request_survives(&Envelope {
            id: 5,
            body: Request::Run(request),
        });
    }
}

#[test]
fn the_explain_questions_and_their_answers_survive_their_bytes() {
    let mut bench = Bench::new(&small());
    bench.send(RunRequest::GoTo { at_ms: 600 });
    bench.run(60_000.0);
    let session = bench.handler.run_host().unwrap().session();
    let (seq, record) = session
        .lab()
        .trace()
        .retained()
        .find_map(|event| match &event.kind {
            strata_sim::EventKind::Request(record) => Some((event.seq, record.clone())),
            _ => None,
        })
        .unwrap();
    let request = Envelope {
        id: 9,
        body: Request::Explain {
            seq,
            record: Box::new(record),
        },
    };
    request_survives(&request);
    let reply = bench.handler.handle(9, request.body, 0.0, &mut || true);
    let Reply::Explained { lines, .. } = &reply else {
        panic!("{reply:?}")
    };
    assert!(lines.len() >= 2, "{lines:?}");
    reply_survives(&Envelope { id: 9, body: reply });
    let operation = bench
        .handler
        .handle(10, Request::Operation { number: 1 }, 0.0, &mut || true);
    let Reply::Operation(Some(detail)) = &operation else {
        panic!("{operation:?}")
    };
    // Its requests, each as the explain panel lists them.
    assert!(!detail.requests.is_empty(), "{detail:?}");
    assert!(
        detail.requests.iter().all(|line| line.contains(" ms")),
        "{detail:?}"
    );
    reply_survives(&Envelope {
        id: 10,
        body: operation,
    });
}

/// The last frame `frames` holds.
fn last_frame(frames: &[(f64, Reply)]) -> Frame {
    match frames.last() {
        Some((_, Reply::Frame { frame, .. })) => (**frame).clone(),
        _ => panic!("frames"),
    }
}

#[test]
fn the_frames_carry_the_settings_in_force_through_controls_go_tos_and_changes_reached() {
    let scenario = small();
    let mut bench = Bench::new(&scenario);
    bench.send(RunRequest::GoTo { at_ms: 400 });
    let frame = last_frame(&bench.run(60_000.0));
    let session = bench.handler.run_host().unwrap().session();
    assert_eq!(*frame.settings, session.settings());
    assert_eq!(*frame.scenario, *session.scenario());
    let before = frame.settings.workload.clone();

    // A control applied now: the frame that answers it shows it, with a new revision.
    let workload = WorkloadSpec {
        rate_ops_per_sec: 900.0,
        ..before.clone()
    };
    let Reply::Frame { frame: applied, .. } = bench.send(RunRequest::Command(Box::new(
        Command::Live(Control::SetWorkload {
            workload: workload.clone(),
        }),
    ))) else {
        panic!("a frame")
    };
    assert_eq!(applied.settings.workload, workload);
    assert_eq!(applied.scenario.changes.len(), 1);
    assert!(applied.revision > frame.revision);
    let change_ms = bench.now().as_nanos() / 1_000_000;

    // Back before the change: the settings are the scenario's again; the change stays in it.
    bench.send(RunRequest::GoTo { at_ms: 100 });
    let back = last_frame(&bench.run(60_000.0));
    assert_eq!(bench.now(), SimTime::from_millis(100));
    assert_eq!(back.settings.workload, before);
    assert_eq!(back.scenario.changes.len(), 1);
    assert!(back.revision > applied.revision);

    // Played past it: the change reached applies, and the frames show it.
    bench.send(RunRequest::GoTo {
        at_ms: change_ms + 50,
    });
    let frames = bench.run(60_000.0);
    let reached = last_frame(&frames);
    assert_eq!(reached.settings.workload, workload);
    assert!(reached.revision > back.revision);
    // Forward with nothing changed: the same revision, and the same shared values.
    bench.send(RunRequest::GoTo {
        at_ms: change_ms + 80,
    });
    let later = last_frame(&bench.run(60_000.0));
    assert_eq!(bench.now(), SimTime::from_millis(change_ms + 80));
    assert_eq!(later.revision, reached.revision);
    assert!(Rc::ptr_eq(&later.settings, &reached.settings));
    assert!(Rc::ptr_eq(&later.scenario, &reached.scenario));
}
