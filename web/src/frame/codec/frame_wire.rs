//! A [`Frame`]'s bytes, with the scenario's and the settings' documents only when the page does
//! not hold them already ([`Held`]).

use super::*;

/// The scenario and the settings in force one side of the wire holds: the worker, the last it
/// sent; the page, the last it read. A frame carries their documents only when they are not
/// these (a new revision), and the page's reader takes them from here when it carries none.
#[derive(Clone, Debug, Default)]
pub struct Held(Option<(u64, Rc<Scenario>, Rc<Settings>)>);

impl Held {
    /// Whether `frame`'s scenario and settings are these: the same revision of the same
    /// values (shared, so a new session's revision that repeats an old one is not taken for
    /// it).
    fn holds(&self, frame: &Frame) -> bool {
        self.0
            .as_ref()
            .is_some_and(|(revision, scenario, settings)| {
                *revision == frame.revision
                    && Rc::ptr_eq(scenario, &frame.scenario)
                    && Rc::ptr_eq(settings, &frame.settings)
            })
    }
}

/// Writes `frame`, with the documents of its scenario and settings unless `held` holds them
/// already (the other side then reads them from its own [`Held`]); `held` then holds them.
pub fn encode_frame(frame: &Frame, held: &mut Held, out: &mut Vec<u8>) {
    let Frame {
        run,
        revision,
        time,
        scenario,
        settings,
        storage,
        recommender,
        figures,
    } = frame;
    run.encode(out);
    time.encode(out);
    revision.encode(out);
    if held.holds(frame) {
        out.push(0);
    } else {
        out.push(1);
        scenario.to_json().encode(out);
        encode_settings(settings, out);
        held.0 = Some((*revision, scenario.clone(), settings.clone()));
    }
    storage.encode(out);
    match recommender {
        None => out.push(0),
        Some(frame) => {
            out.push(1);
            encode_recommender(frame, out);
        }
    }
    figures.encode(out);
}

/// Reads a frame written by [`encode_frame`], its scenario and settings from `held` when it
/// carries none; `held` then holds the frame's.
pub fn read_frame(reader: &mut Reader<'_>, held: &mut Held) -> Frame {
    let run = Decode::read(reader);
    let time = Decode::read(reader);
    let revision = u64::read(reader);
    let (scenario, settings) = if bool::read(reader) {
        let scenario = Rc::new(read_scenario(reader));
        let settings = Rc::new(read_settings(reader));
        if !reader.failed() {
            held.0 = Some((revision, scenario.clone(), settings.clone()));
        }
        (scenario, settings)
    } else {
        match &held.0 {
            Some((held_revision, scenario, settings)) if *held_revision == revision => {
                (scenario.clone(), settings.clone())
            }
            _ => {
                if !reader.failed() {
                    reader.fail(CodecError::NotHeld(revision));
                }
                let default = crate::frame::InForce::default();
                (default.scenario, default.settings)
            }
        }
    };
    Frame {
        run,
        time,
        revision,
        scenario,
        settings,
        storage: Decode::read(reader),
        recommender: bool::read(reader).then(|| Rc::new(read_recommender(reader))),
        figures: Decode::read(reader),
    }
}

/// A frame from the front of `input` ([`read_frame`]), leaving the bytes after it.
#[cfg(test)]
pub fn decode_frame(input: &mut &[u8], held: &mut Held) -> Result<Frame, CodecError> {
    read_from(input, |reader| read_frame(reader, held))
}

/// A frame by itself: with its scenario's and settings' documents.
impl Encode for Frame {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_frame(self, &mut Held::default(), out);
    }
}

impl Decode for Frame {
    fn read(reader: &mut Reader<'_>) -> Self {
        read_frame(reader, &mut Held::default())
    }
}
