//! The worker's specification: every message survives its bytes, an export rebuilt in slices is
//! the file the run on show folds into, a cancel stops it, and a variant the worker does not
//! hold is refused with a message.

#![allow(clippy::unwrap_used)]
use super::handler::Handler;
use super::protocol::{
    Envelope, ExportKind, Note, Reply, Request, RunStatus, VariantSource, VariantView,
};
use super::run::Motion;
use crate::frame::codec_tests::Bytes;
use crate::frame::Held;
use crate::session::tests::play_frames;
use crate::session::Session;
use strata_lab::scenario::{FaultSpec, WorkloadSpec};
use strata_lab::{Control, Scenario};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// The worker's tests' scenario, named so its files are told apart.
fn small() -> Scenario {
    crate::session::tests::small_named("worker-small")
}

/// A session played with a live change and an injected fault, as a user leaves it.
fn played() -> Session {
    let mut session = Session::new(small()).unwrap();
    play_frames(&mut session, 60);
    let workload = WorkloadSpec {
        rate_ops_per_sec: 900.0,
        ..session.settings().workload.clone()
    };
    session
        .apply_live(Control::SetWorkload { workload })
        .unwrap();
    play_frames(&mut session, 40);
    session
        .inject_into_scenario(FaultSpec::Outage {
            from_ms: 0,
            until_ms: 100,
        })
        .unwrap();
    session.finish_rebuild().unwrap();
    play_frames(&mut session, 30);
    session.step().unwrap();
    session
}

fn export_request(session: &Session, kind: ExportKind) -> Request {
    Request::Export {
        kind,
        scenario: session.scenario().to_json(),
        events: session.lab().events_processed(),
        at_ns: session.now().as_nanos(),
    }
}

/// `bytes` read back by `read` give `envelope`; every truncation and a byte more are an error,
/// and bytes changed at random are read or refused, never a panic.
fn survives<T: PartialEq + std::fmt::Debug>(
    envelope: &Envelope<T>,
    bytes: &[u8],
    read: impl Fn(&[u8]) -> Result<Envelope<T>, String>,
) {
    assert_eq!(read(bytes).as_ref(), Ok(envelope));
    for end in 0..bytes.len() {
        assert!(read(&bytes[..end]).is_err(), "{end} of {envelope:?}");
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(read(&longer).is_err());
    let mut random = Bytes(0x9e37_79b9_7f4a_7c15 ^ bytes.len() as u64);
    for _ in 0..200 {
        let mut damaged = bytes.to_vec();
        for _ in 0..1 + random.next() % 3 {
            let at = (random.next() % damaged.len() as u64) as usize;
            damaged[at] = random.next() as u8;
        }
        let _ = read(&damaged);
    }
}

/// A request survives its bytes ([`survives`]).
pub(super) fn request_survives(envelope: &Envelope<Request>) {
    survives(
        envelope,
        &envelope.to_bytes(),
        Envelope::<Request>::from_bytes,
    );
}

/// A reply survives its bytes ([`survives`]), a frame's with its scenario and settings.
pub(super) fn reply_survives(envelope: &Envelope<Reply>) {
    survives(
        envelope,
        &envelope.to_bytes(&mut Held::default()),
        |bytes| Envelope::<Reply>::from_bytes(bytes, &mut Held::default()),
    );
}

/// A frame of the tests' scenario after three frames of play, with `panels`.
fn small_frame(panels: crate::frame::Panels) -> crate::frame::Frame {
    let mut session = Session::new(small()).unwrap();
    play_frames(&mut session, 3);
    crate::frame::Frame::build(
        &session,
        &crate::frame::Wanted {
            panels,
            timeline_after: None,
        },
        &mut crate::frame::InForce::default(),
    )
}

/// Runs an export through `handler` one slice a request (the `more_time` check says no after
/// `slices_per_request` checks), as the page asks; returns the file and the progress seen.
fn export(handler: &mut Handler, request: Request, slices_per_request: u32) -> (Reply, Vec<f64>) {
    let job = 7;
    let mut fractions = Vec::new();
    let more_time = |left: &mut u32| {
        let more = *left > 0;
        *left = left.saturating_sub(1);
        more
    };
    let mut left = slices_per_request;
    let mut reply = handler.handle(job, request, 0.0, &mut || more_time(&mut left));
    while let Reply::ExportProgress { fraction } = reply {
        fractions.push(fraction);
        assert!(fractions.len() < 1_000_000);
        let mut left = slices_per_request;
        reply = handler.handle(job + 1, Request::ContinueExport { job }, 0.0, &mut || {
            more_time(&mut left)
        });
    }
    (reply, fractions)
}

#[test]
fn an_export_rebuilt_in_slices_is_the_file_the_run_on_show_folds_into() {
    let session = played();
    assert!(!session.scenario().changes.is_empty() && !session.scenario().faults.is_empty());
    let mut handler = Handler::default();
    let (reply, fractions) = export(
        &mut handler,
        export_request(&session, ExportKind::Metrics),
        2,
    );
    assert!(fractions.len() > 2, "the rebuild took several requests");
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]));
    assert!(fractions.iter().all(|f| (0.0..=1.0).contains(f)));
    assert_eq!(
        reply,
        Reply::Exported {
            name: "strata-worker-small-seed42-metrics.csv".to_string(),
            text: strata_lab::export::lab_metrics_csv(session.lab()),
        }
    );
    let (reply, _) = export(
        &mut handler,
        export_request(&session, ExportKind::Trace),
        50,
    );
    let Reply::Exported { name, text } = reply else {
        panic!("no trace: {reply:?}");
    };
    assert_eq!(name, "strata-worker-small-seed42-trace.json");
    assert_eq!(
        text,
        strata_lab::export::lab_chrome_trace_json(session.lab())
    );
}

#[test]
fn a_cancelled_export_stops_and_says_so() {
    let session = played();
    let mut handler = Handler::default();
    let reply = handler.handle(
        3,
        export_request(&session, ExportKind::Trace),
        0.0,
        &mut || false,
    );
    assert!(matches!(reply, Reply::ExportProgress { .. }), "{reply:?}");
    assert!(matches!(
        handler.handle(4, Request::CancelExport { job: 3 }, 0.0, &mut || true),
        Reply::ExportFailed(_)
    ));
    assert_eq!(
        handler.handle(5, Request::ContinueExport { job: 3 }, 0.0, &mut || true),
        Reply::ExportFailed("the export is no longer running".to_string())
    );
}

#[test]
fn a_variant_the_worker_does_not_hold_is_refused_and_a_bad_one_says_why() {
    let mut handler = Handler::default();
    let follow = Request::FollowVariant {
        stream: 9,
        base: None,
        at_ns: 1_000_000,
        rebuild_target_ns: None,
    };
    assert!(matches!(
        handler.handle(1, follow, 0.0, &mut || true),
        Reply::VariantFailed(_)
    ));
    let bad = Request::StartVariant {
        stream: 9,
        base: small().to_json(),
        source: VariantSource::Patch(r#"{"seed": 1}"#.to_string()),
        claims: Vec::new(),
    };
    let Reply::VariantFailed(message) = handler.handle(2, bad, 0.0, &mut || true) else {
        panic!("a patch that changes the seed started");
    };
    assert!(message.contains("seed"), "{message}");
}

#[test]
fn every_message_survives_its_bytes() {
    let requests = [
        Request::StartVariant {
            stream: 1,
            base: small().to_json(),
            source: VariantSource::Whole(small().to_json()),
            claims: vec!["requests".to_string()],
        },
        Request::FollowVariant {
            stream: 1,
            base: Some(small().to_json()),
            at_ns: u64::MAX,
            rebuild_target_ns: Some(3),
        },
        Request::StopVariant { stream: 1 },
        export_request(&Session::new(small()).unwrap(), ExportKind::Metrics),
        Request::ContinueExport { job: 2 },
        Request::CancelExport { job: 2 },
        Request::PanicForTests,
        Request::Operation { number: 7 },
        Request::Explain {
            seq: 3,
            record: Box::new(strata_sim::RequestRecord {
                op: strata_sim::StoreOp::Put,
                key: "wal/0001".to_string(),
                bytes: 4096,
                cause: strata_sim::Cause::Wal,
                start: strata_sim::SimTime::from_nanos(5),
                end: strata_sim::SimTime::from_nanos(u64::MAX),
                outcome: strata_sim::RequestOutcome::Throttled,
                cost_picousd: 12,
                applied_despite_error: true,
            }),
        },
        Request::StartVariant {
            stream: 2,
            base: String::new(),
            source: VariantSource::Patch("{\"seed\": 1}".to_string()),
            claims: Vec::new(),
        },
        Request::FollowVariant {
            stream: 2,
            base: None,
            at_ns: 0,
            rebuild_target_ns: None,
        },
        export_request(&Session::new(small()).unwrap(), ExportKind::Trace),
    ];
    for (id, body) in requests.into_iter().enumerate() {
        request_survives(&Envelope {
            id: id as u64,
            body,
        });
    }
    let replies = [
        Reply::Ready,
        Reply::Variant(VariantView {
            stream: 1,
            at_ns: 5,
            arrived: true,
            now_ns: 5,
            trace_hash: "00ff".to_string(),
            catching_up: false,
            preparing: true,
            // Figures keep every bit: the page shows the worker's numbers exactly.
            figures: vec![
                ("a".to_string(), Some(0.1 + 0.2)),
                ("b".to_string(), Some(1e-300 / 3.0)),
                ("c".to_string(), None),
            ],
        }),
        Reply::ExportProgress { fraction: 0.25 },
        Reply::Exported {
            name: "x.csv".to_string(),
            text: "a,\"b\"\n".to_string(),
        },
        Reply::Panicked("boom\u{1}\t é \u{2028}\\".to_string()),
        Reply::VariantFailed("no variant".to_string()),
        Reply::Stopped,
        Reply::ExportFailed("cancelled".to_string()),
        Reply::Refused(String::new()),
        Reply::Explained {
            lines: vec!["a".to_string(), "b".to_string()],
            operation: Some(4),
        },
        Reply::Explained {
            lines: Vec::new(),
            operation: None,
        },
        Reply::Operation(None),
        Reply::Operation(Some(crate::frame::OperationDetail {
            line: "put k".to_string(),
            waited_for: "wal",
            requests: vec!["put wal/1".to_string()],
        })),
    ];
    for body in replies {
        reply_survives(&Envelope { id: 3, body });
    }
    // A frame's reply, with and without the scenario and settings the page holds.
    let frame = small_frame(crate::frame::Panels::Storage);
    let envelope = Envelope {
        id: 9,
        body: Reply::Frame {
            frame: Box::new(frame),
            status: RunStatus {
                motion: Motion::Play { speed: 2.0 },
                effective_speed: 0.5,
                work_ms: 1.25,
                wall_ms: 100.0,
                requests: 4,
            },
            notes: vec![Note::Clear, Note::Rebuilt],
            ope: None,
        },
    };
    reply_survives(&envelope);
    let (mut sent, mut held) = (Held::default(), Held::default());
    let first = envelope.to_bytes(&mut sent);
    let second = envelope.to_bytes(&mut sent);
    assert!(second.len() < first.len(), "the second carries no scenario");
    assert!(Envelope::<Reply>::from_bytes(&second, &mut held).is_err());
    assert_eq!(
        Envelope::<Reply>::from_bytes(&first, &mut held).as_ref(),
        Ok(&envelope)
    );
    assert_eq!(
        Envelope::<Reply>::from_bytes(&second, &mut held),
        Ok(envelope)
    );
    // Bytes that are no message: nothing, an unknown variant, a missing or an extra field.
    let stop = Envelope {
        id: 1,
        body: Request::StopVariant { stream: 2 },
    }
    .to_bytes();
    let mut unknown = stop.clone();
    unknown[8] = 200;
    let mut extra = stop.clone();
    extra.extend_from_slice(&3u64.to_le_bytes());
    for bytes in [&[][..], &unknown, &stop[..stop.len() - 1], &extra] {
        assert!(Envelope::<Request>::from_bytes(bytes).is_err(), "{bytes:?}");
        assert!(Envelope::<Reply>::from_bytes(bytes, &mut Held::default()).is_err());
    }
    // Random bytes are an error, never a panic.
    let mut random = Bytes(0x2545_f491_4f6c_dd1d);
    for length in 0..2_000 {
        let bytes: Vec<u8> = (0..length % 200).map(|_| random.next() as u8).collect();
        let _ = Envelope::<Request>::from_bytes(&bytes);
        let _ = Envelope::<Reply>::from_bytes(&bytes, &mut Held::default());
    }
}

#[test]
fn a_frames_reply_survives_its_bytes_with_every_motion_note_and_evaluation() {
    use super::protocol::OffPolicy;
    use crate::chapter_play::BeatStop;
    use strata_recommender::ope::{Estimate, WeightDiagnostics, ESTIMATOR_NAMES};
    use strata_sim::SimTime;
    let frame = small_frame(crate::frame::Panels::None);
    let estimate = Estimate {
        value: 0.1 + 0.2,
        ci95_low: -1e-300,
        ci95_high: f64::MAX,
        sd: 0.5,
        n: 9,
    };
    let evaluation = crate::ope::OpeResult {
        rows: 10,
        first_impression: 2,
        last_impression: 11,
        behaviour_ctr: 0.25,
        truth_ctr: Some(1.0 / 3.0),
        truth_impressions: 7,
        estimates: vec![
            (ESTIMATOR_NAMES[1], estimate),
            (ESTIMATOR_NAMES[7], estimate),
        ],
        diagnostics: WeightDiagnostics {
            mean_weight: 1.5,
            max_weight: 4.0,
            effective_sample_size: 6.5,
            clipped_rows: 1,
            switched_rows: 2,
            logging_uniform: true,
        },
        notes: vec!["a note".to_string()],
        uniform_regret: vec![(1, 0.5), (2, 0.75)],
    };
    let motions = [
        Motion::Still,
        Motion::ToEnd,
        Motion::GoTo {
            from: SimTime::from_nanos(3),
            to: SimTime::from_nanos(u64::MAX),
        },
        Motion::Beat(BeatStop::At(SimTime::from_nanos(5))),
        Motion::Beat(BeatStop::End),
        Motion::Beat(BeatStop::Event {
            kind: strata_lab::chapter::beat_events().next().unwrap(),
            seen: 4,
        }),
    ];
    let opes = [
        None,
        Some(OffPolicy {
            result: None,
            error: Some("no impressions logged yet".to_string()),
        }),
        Some(OffPolicy {
            result: Some(evaluation),
            error: None,
        }),
    ];
    for (index, motion) in motions.into_iter().enumerate() {
        let envelope = Envelope {
            id: index as u64 + 1,
            body: Reply::Frame {
                frame: Box::new(frame.clone()),
                status: RunStatus {
                    motion,
                    effective_speed: 0.5,
                    work_ms: 1.25,
                    wall_ms: 100.0,
                    requests: 4,
                },
                notes: vec![
                    Note::Say {
                        text: "said".to_string(),
                        error: true,
                    },
                    Note::Clear,
                    Note::Rebuilt,
                    Note::RebuildCancelled,
                    Note::BeatReached,
                ],
                ope: opes[index % opes.len()].clone().map(Box::new),
            },
        };
        reply_survives(&envelope);
    }
}
