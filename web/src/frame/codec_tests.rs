//! The frame codec against serde, the crate it replaces: frames of real sessions read back
//! equal, and equal to serde_json's round trip; damaged bytes are an error, never a panic.

use super::codec::{decode_all, frame_wire::decode_frame, CodecError, Decode, Encode};
use super::*;
use crate::session::Session;
use strata_sim::{SimDuration, StoreOp};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn encoded(frame: &Frame) -> Vec<u8> {
    let mut bytes = Vec::new();
    frame.encode(&mut bytes);
    bytes
}

/// Frames of every panel of a session with a recommender, moved, rebuilt and finished.
fn frames_of_real_sessions() -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut take = |session: &Session, after: Option<(u64, u64)>, figures: bool| {
        for panels in [Panels::Storage, Panels::Recommender, Panels::None] {
            let mut frame = Frame::build(
                session,
                &Wanted {
                    panels,
                    timeline_after: after,
                },
                &mut InForce::default(),
            );
            if figures {
                frame.figures = vec![
                    ("requests".to_string(), Some(0.1 + 0.2)),
                    ("tiny".to_string(), Some(1e-300 / 3.0)),
                    ("none".to_string(), None),
                ];
            }
            frames.push(frame);
        }
    };
    let mut session = Session::new(crate::link::default_scenario()).unwrap();
    take(&session, None, false);
    session
        .advance_until(SimTime::from_secs(90), u64::MAX)
        .unwrap();
    take(&session, None, true);
    let after = Some((session.run(), session.lab().trace().total_events() / 2));
    take(&session, after, false);
    session.seek(SimTime::from_secs(30)).unwrap();
    take(&session, None, false);
    session.finish_rebuild().unwrap();
    session
        .advance(SimDuration::from_secs(3), u64::MAX)
        .unwrap();
    take(&session, None, true);
    let mut short = crate::link::default_scenario();
    short.duration_ms = 2_000;
    if let Some(recommender) = short.recommender.as_mut() {
        recommender.drift.clear();
    }
    let mut ended = Session::new(short).unwrap();
    ended
        .advance_until(SimTime::from_secs(60), u64::MAX)
        .unwrap();
    take(&ended, None, false);
    frames
}

#[test]
fn a_frame_reads_back_as_itself_and_as_serde_reads_it() {
    let frames = frames_of_real_sessions();
    assert!(frames.iter().any(|f| f.time.final_hash.is_some()));
    assert!(frames.iter().any(|f| f.time.rebuild.is_some()));
    assert!(frames
        .iter()
        .any(|f| f.recommender.as_ref().is_some_and(|r| r.summary.is_some())));
    assert!(frames.iter().any(|f| f
        .storage
        .as_ref()
        .is_some_and(|s| s.db.is_some() && !s.timeline.requests.is_empty())));
    for frame in &frames {
        let back: Frame = decode_all(&encoded(frame)).unwrap();
        assert_eq!(&back, frame);
        let json = serde_json::to_string(frame).unwrap();
        let by_serde: Frame = serde_json::from_str(&json).unwrap();
        assert_eq!(back, by_serde);
        // The same bits: serde's text of both is the same text.
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }
}

#[test]
fn every_truncation_of_a_frame_is_an_error() {
    let frames = frames_of_real_sessions();
    // The storage frame of the moved run and the recommender's: every field kind.
    for frame in [&frames[3], &frames[4]] {
        let bytes = encoded(frame);
        for end in 0..bytes.len() {
            assert!(
                decode_all::<Frame>(&bytes[..end]).is_err(),
                "{end} of {} bytes read as a frame",
                bytes.len()
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_all::<Frame>(&longer), Err(CodecError::Trailing));
    }
}

/// A small deterministic generator (xorshift) for the damaged inputs (the worker's messages'
/// tests use it too).
pub(crate) struct Bytes(pub(crate) u64);

impl Bytes {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_damaged_bytes_are_an_error_or_a_frame_never_a_panic() {
    let mut random = Bytes(0x9e37_79b9_7f4a_7c15);
    for length in 0..2_000 {
        let bytes: Vec<u8> = (0..length % 300).map(|_| random.next() as u8).collect();
        assert!(decode_all::<Frame>(&bytes).is_err());
    }
    // Lengths at their largest, where an allocation would follow them.
    let mut huge = vec![0u8; 8];
    huge.extend_from_slice(&[0xff; 64]);
    assert!(decode_all::<Frame>(&huge).is_err());
    // A real frame with bytes changed: read or refused, without a panic.
    let frame = &frames_of_real_sessions()[3];
    let bytes = encoded(frame);
    let mut refused = 0;
    for _ in 0..3_000 {
        let mut damaged = bytes.clone();
        for _ in 0..1 + random.next() % 3 {
            let at = (random.next() % damaged.len() as u64) as usize;
            damaged[at] = random.next() as u8;
        }
        refused += usize::from(decode_all::<Frame>(&damaged).is_err());
    }
    assert!(refused > 0, "some damage is caught");
}

#[test]
fn the_first_error_met_is_the_one_reported() {
    // A flag that names neither value, then a string cut short: the flag's error.
    assert_eq!(
        decode_all::<(bool, String)>(&[2, 9, 0, 0, 0, b'a']),
        Err(CodecError::BadTag("flag"))
    );
    // A list of three numbers with two numbers' bytes.
    let mut bytes = Vec::new();
    vec![1u64, 2, 3].encode(&mut bytes);
    assert_eq!(
        decode_all::<Vec<u64>>(&bytes[..bytes.len() - 8]),
        Err(CodecError::Truncated)
    );
    // A string longer than the bytes left, then a valid flag.
    assert_eq!(
        decode_all::<(String, bool)>(&[200, 0, 0, 0, b'a', 1]),
        Err(CodecError::BadLength)
    );
    // Bytes that are not UTF-8, then a valid number.
    assert_eq!(
        decode_all::<(String, u8)>(&[1, 0, 0, 0, 0xff, 7]),
        Err(CodecError::BadText)
    );
    // An operation's index past the last one, inside a list of records.
    let mut bytes = Vec::new();
    vec![(StoreOp::Put, 5u64)].encode(&mut bytes);
    bytes[4] = 99;
    assert_eq!(
        decode_all::<Vec<(StoreOp, u64)>>(&bytes),
        Err(CodecError::BadTag("StoreOp"))
    );
}

#[test]
fn a_frame_read_from_the_front_leaves_the_bytes_after_it() {
    // As a frame message crosses: its id, the frame, then the rest of the reply as text.
    let frame = &frames_of_real_sessions()[4];
    assert_eq!(frame.figures.last(), Some(&("none".to_string(), None)));
    let mut bytes = Vec::new();
    7u64.encode(&mut bytes);
    frame.encode(&mut bytes);
    "[7]".encode(&mut bytes);
    let mut input = bytes.as_slice();
    assert_eq!(u64::decode(&mut input), Ok(7));
    assert_eq!(&Frame::decode(&mut input).unwrap(), frame);
    assert_eq!(decode_all::<String>(input).as_deref(), Ok("[7]"));
    // A frame without its last byte (the last figure's flag) is cut short; without its last
    // two, the last figure's name is longer than the bytes left.
    let frame_end = bytes.len() - 7;
    let mut input = &bytes[8..frame_end - 1];
    assert_eq!(Frame::decode(&mut input), Err(CodecError::Truncated));
    let mut input = &bytes[8..frame_end - 2];
    assert_eq!(Frame::decode(&mut input), Err(CodecError::BadLength));
}

#[test]
fn a_frame_carries_the_scenario_and_settings_only_when_the_page_does_not_hold_them() {
    let mut session = Session::new(crate::link::default_scenario()).unwrap();
    let wanted = Wanted {
        panels: Panels::None,
        timeline_after: None,
    };
    let mut in_force = InForce::default();
    let (mut sent, mut held) = (Held::default(), Held::default());
    let first = Frame::build(&session, &wanted, &mut in_force);
    session
        .advance(SimDuration::from_millis(50), u64::MAX)
        .unwrap();
    let second = Frame::build(&session, &wanted, &mut in_force);
    assert_eq!(first.revision, second.revision);
    let mut carrying = Vec::new();
    encode_frame(&first, &mut sent, &mut carrying);
    let mut bare = Vec::new();
    encode_frame(&second, &mut sent, &mut bare);
    assert!(
        bare.len() + first.scenario.to_json().len() < carrying.len(),
        "{} {}",
        bare.len(),
        carrying.len()
    );
    // Read in order, the page takes the second frame's from the first.
    let read_first = decode_frame(&mut carrying.as_slice(), &mut held).unwrap();
    assert_eq!(read_first, first);
    let read_second = decode_frame(&mut bare.as_slice(), &mut held).unwrap();
    assert_eq!(read_second, second);
    assert!(Rc::ptr_eq(&read_first.settings, &read_second.settings));
    // A page that holds nothing, or another revision, cannot read it.
    assert_eq!(
        decode_frame(&mut bare.as_slice(), &mut Held::default()),
        Err(CodecError::NotHeld(second.revision))
    );
    // A control applied: a new revision, carried again.
    session
        .apply_live(strata_lab::Control::SetWorkload {
            workload: strata_lab::scenario::WorkloadSpec {
                rate_ops_per_sec: 321.0,
                ..session.scenario().workload.clone()
            },
        })
        .unwrap();
    let third = Frame::build(&session, &wanted, &mut in_force);
    assert!(third.revision > second.revision);
    let mut again = Vec::new();
    encode_frame(&third, &mut sent, &mut again);
    assert!(again.len() > bare.len() + 100);
    let read_third = decode_frame(&mut again.as_slice(), &mut held).unwrap();
    assert_eq!(read_third.settings.workload.rate_ops_per_sec, 321.0);
    assert_eq!(read_third, third);
}
