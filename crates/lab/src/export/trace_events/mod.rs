//! A run's trace as Chrome trace-event JSON, the format Perfetto (ui.perfetto.dev) and
//! chrome://tracing open.
//!
//! The vocabulary maps onto the format's like this:
//! - **Tracks.** One process (pid 1) named after the scenario; a thread per track, named
//!   with `thread_name` metadata events and ordered with `thread_sort_index`. Store requests
//!   get a track per [`Cause`] (`store: wal`, `store: flush`, …), client operations one
//!   (`client ops`), and flushes, compactions, write stalls, faults, engine events and the
//!   recommender one each.
//! - **Spans** are complete events (`"ph": "X"`, a `ts` and a `dur`): a store request from
//!   its start to its end, a client operation from its call to its answer, a flush from
//!   `flush_started` to `flush_finished`, a compaction likewise, a write stall over the
//!   duration it reports. A viewer draws slices of one thread as a stack, so spans that
//!   overlap without nesting (concurrent requests of one cause) go to extra lanes of their
//!   track (`store: wal #2`, …), at most [`MAX_LANES`] a track; the first free lane wins.
//! - **Instants** (`"ph": "i"`, thread scope) mark faults, crashes, recoveries, fencing,
//!   manifest writes, retries, hedges, GC deletes, durability checks and the recommender's
//!   checkpoints, policy updates and drifts. Impressions, clicks, WAL flush notices and
//!   memtable freezes are left out: each is visible through the requests it causes, and they
//!   would outnumber everything else.
//!
//! Timestamps (`ts`, `dur`) are microseconds of simulated time, with nanosecond fractions.
//! The output is a pure function of the events: keys in a fixed order, events sorted by
//! (time, track, sequence number), so one run gives the same bytes natively and in wasm32.
//! The JSON is written by hand ([`ChromeTrace::to_json`]): serde_json's `Value` and its
//! serialiser would cost the playground's download tens of kilobytes for this alone.
//!
//! **Bounded.** The export reads the trace's retained ring only (`trace.ring_capacity`
//! events, 10,000 by default and never over 1,000,000), so its size is bounded by the ring:
//! a few hundred bytes an event. `otherData` says how many events the run recorded and
//! which window of them the file holds. A flush or compaction whose start fell out of the
//! ring is left out; one still running at the end of the window is drawn up to the last
//! event, with `"finished": false`.

use super::json_text::{write_arg, write_key, write_number, write_string};
pub use super::json_text::{Arg, Args};
use crate::runner::Lab;
use strata_sim::{Cause, EventKind, SimTime, TraceEvent};

/// Lanes one track may use for overlapping spans (client operations in flight during an
/// outage need hundreds); a span past that shares the lane that frees up first.
pub const MAX_LANES: u32 = 1000;

/// The process every track belongs to.
const PID: u32 = 1;

/// A track: a group of threads (lanes) with one name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Track {
    Store(Cause),
    Client,
    Flush,
    Compaction,
    Stall,
    Faults,
    Engine,
    Recommender,
}

/// How many tracks there are: one per cause and seven more.
const TRACKS: usize = Cause::ALL.len() + 7;

impl Track {
    /// Every track, in the order of their thread ids (and so of their place in a viewer).
    fn all() -> [Track; TRACKS] {
        let mut all = [Track::Client; TRACKS];
        for (slot, cause) in Cause::ALL.into_iter().enumerate() {
            all[1 + slot] = Track::Store(cause);
        }
        let rest = [
            Track::Flush,
            Track::Compaction,
            Track::Stall,
            Track::Faults,
            Track::Engine,
            Track::Recommender,
        ];
        all[1 + Cause::ALL.len()..].copy_from_slice(&rest);
        all
    }

    /// The track's place in [`Track::all`]; exhaustive, so a new track fails to compile here.
    fn slot(self) -> usize {
        let causes = Cause::ALL.len();
        match self {
            Track::Client => 0,
            Track::Store(cause) => 1 + cause as usize,
            Track::Flush => 1 + causes,
            Track::Compaction => 2 + causes,
            Track::Stall => 3 + causes,
            Track::Faults => 4 + causes,
            Track::Engine => 5 + causes,
            Track::Recommender => 6 + causes,
        }
    }

    /// The first thread id of the track; its lanes follow it.
    fn base_tid(self) -> u32 {
        (self.slot() as u32 + 1) * MAX_LANES
    }

    fn name(self) -> String {
        match self {
            Track::Store(cause) => format!("store: {}", cause.as_str()),
            Track::Client => "client ops".to_string(),
            Track::Flush => "flushes".to_string(),
            Track::Compaction => "compactions".to_string(),
            Track::Stall => "write stalls".to_string(),
            Track::Faults => "faults".to_string(),
            Track::Engine => "engine events".to_string(),
            Track::Recommender => "recommender".to_string(),
        }
    }

    fn category(self) -> &'static str {
        match self {
            Track::Store(_) => "store",
            Track::Client => "client",
            Track::Flush | Track::Compaction | Track::Stall | Track::Engine => "engine",
            Track::Faults => "fault",
            Track::Recommender => "recommender",
        }
    }
}

/// One trace event of the Chrome format, written in this field order.
#[derive(Clone, Debug, PartialEq)]
pub struct ChromeEvent {
    pub name: String,
    /// Left out when empty.
    pub cat: &'static str,
    pub ph: &'static str,
    pub ts: f64,
    pub dur: Option<f64>,
    pub pid: u32,
    pub tid: u32,
    /// An instant's scope (`"t"`: its thread).
    pub s: Option<&'static str>,
    /// Left out when empty.
    pub args: Args,
}

/// What the file says about the run it comes from (`otherData`).
#[derive(Clone, Debug, PartialEq)]
pub struct RunLabel {
    pub scenario: String,
    pub seed: u64,
    pub trace_hash: String,
    /// Events the run recorded, all of them.
    pub events_recorded: u64,
    /// Events in the file's window (the trace's retained ring).
    pub events_retained: u64,
    /// The sequence number of the window's first event.
    pub first_seq: u64,
    pub ring_capacity: u64,
    pub time_unit: &'static str,
}

/// A whole file: `{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChromeTrace {
    pub trace_events: Vec<ChromeEvent>,
    pub display_time_unit: &'static str,
    pub other_data: RunLabel,
}

fn write_event(out: &mut String, event: &ChromeEvent) {
    let first = &mut true;
    out.push('{');
    write_key(out, first, "name");
    write_string(out, &event.name);
    if !event.cat.is_empty() {
        write_key(out, first, "cat");
        write_string(out, event.cat);
    }
    write_key(out, first, "ph");
    write_string(out, event.ph);
    write_key(out, first, "ts");
    write_number(out, event.ts);
    if let Some(dur) = event.dur {
        write_key(out, first, "dur");
        write_number(out, dur);
    }
    write_key(out, first, "pid");
    write_arg(out, &Arg::Unsigned(u64::from(event.pid)));
    write_key(out, first, "tid");
    write_arg(out, &Arg::Unsigned(u64::from(event.tid)));
    if let Some(scope) = event.s {
        write_key(out, first, "s");
        write_string(out, scope);
    }
    if !event.args.is_empty() {
        write_key(out, first, "args");
        let inner = &mut true;
        out.push('{');
        for (key, value) in &event.args {
            write_key(out, inner, key);
            write_arg(out, value);
        }
        out.push('}');
    }
    out.push('}');
}

impl RunLabel {
    fn write(&self, out: &mut String) {
        let first = &mut true;
        out.push('{');
        let fields: [(&str, Arg); 8] = [
            ("scenario", Arg::from(&self.scenario)),
            ("seed", Arg::from(self.seed)),
            ("trace_hash", Arg::from(&self.trace_hash)),
            ("events_recorded", Arg::from(self.events_recorded)),
            ("events_retained", Arg::from(self.events_retained)),
            ("first_seq", Arg::from(self.first_seq)),
            ("ring_capacity", Arg::from(self.ring_capacity)),
            ("time_unit", Arg::from(self.time_unit)),
        ];
        for (key, value) in &fields {
            write_key(out, first, key);
            write_arg(out, value);
        }
        out.push('}');
    }
}

impl ChromeTrace {
    /// The JSON text: compact, one event a line, so that files of a million events stay
    /// small and still read in a text editor.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(64 + self.trace_events.len() * 160);
        out.push_str("{\"traceEvents\":[");
        for (index, event) in self.trace_events.iter().enumerate() {
            out.push_str(if index == 0 { "\n" } else { ",\n" });
            write_event(&mut out, event);
        }
        out.push_str("\n],\"displayTimeUnit\":");
        write_string(&mut out, self.display_time_unit);
        out.push_str(",\"otherData\":");
        self.other_data.write(&mut out);
        out.push_str("}\n");
        out
    }
}

fn micros(at: SimTime) -> f64 {
    at.as_nanos() as f64 / 1000.0
}

/// A span before it has a lane.
struct Span {
    track: Track,
    start: SimTime,
    end: SimTime,
    seq: u64,
    name: String,
    args: Args,
}

/// `items` sorted by the key `key` gives them (compared element by element), through
/// `strata_sim::maps::stable_order`: one sort of `(u64, usize)` pairs for every caller,
/// rather than a sort instantiated for each item type, which the playground would download.
fn in_order<T, const N: usize>(items: Vec<T>, key: impl Fn(&T) -> [u64; N]) -> Vec<T> {
    let keys: Vec<[u64; N]> = items.iter().map(key).collect();
    // Least significant part first: each stable pass keeps the order of the ones before.
    let mut order: Vec<usize> = (0..items.len()).collect();
    for part in (0..N).rev() {
        let positions = strata_sim::maps::stable_order(order.iter().map(|&i| keys[i][part]));
        order = positions.into_iter().map(|p| order[p]).collect();
    }
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|i| slots[i].take().expect("each position is taken once"))
        .collect()
}

/// Places spans on the lanes of their tracks: each goes to the first lane whose last span
/// has ended by its start (spans are taken in order of start).
fn lay_out(spans: Vec<Span>) -> (Vec<(u64, ChromeEvent)>, [u32; TRACKS]) {
    let spans = in_order(spans, |span| [span.start.as_nanos(), span.seq]);
    // The time each lane of each track is free again.
    let mut lanes: Vec<Vec<SimTime>> = vec![Vec::new(); TRACKS];
    let mut events = Vec::with_capacity(spans.len());
    for span in spans {
        let ends = &mut lanes[span.track.slot()];
        let lane = match ends.iter().position(|end| *end <= span.start) {
            Some(free) => free,
            None if ends.len() < MAX_LANES as usize => {
                ends.push(span.start);
                ends.len() - 1
            }
            None => ends
                .iter()
                .enumerate()
                .min_by_key(|(_, end)| **end)
                .map_or(0, |(lane, _)| lane),
        };
        ends[lane] = ends[lane].max(span.end);
        assert!(ends.len() <= MAX_LANES as usize);
        events.push((
            span.seq,
            ChromeEvent {
                name: span.name,
                cat: span.track.category(),
                ph: "X",
                ts: micros(span.start),
                dur: Some(micros(span.end) - micros(span.start)),
                pid: PID,
                tid: span.track.base_tid() + lane as u32,
                s: None,
                args: span.args,
            },
        ));
    }
    let mut used = [0u32; TRACKS];
    for (count, ends) in used.iter_mut().zip(&lanes) {
        *count = ends.len() as u32;
    }
    (events, used)
}

fn instant(track: Track, at: SimTime, name: String, args: Args) -> ChromeEvent {
    ChromeEvent {
        name,
        cat: track.category(),
        ph: "i",
        ts: micros(at),
        dur: None,
        pid: PID,
        tid: track.base_tid(),
        s: Some("t"),
        args,
    }
}

fn args<const N: usize>(pairs: [(&'static str, Arg); N]) -> Args {
    Vec::from(pairs)
}

/// The metadata events: the process's name, and each track lane's name and place.
fn metadata(process: &str, lanes: &[u32; TRACKS]) -> Vec<ChromeEvent> {
    let meta = |name: &str, tid: u32, args: Args| ChromeEvent {
        name: name.to_string(),
        cat: "",
        ph: "M",
        ts: 0.0,
        dur: None,
        pid: PID,
        tid,
        s: None,
        args,
    };
    let mut out = vec![meta(
        "process_name",
        0,
        args([("name", Arg::from(process))]),
    )];
    for (track, count) in Track::all().into_iter().zip(lanes) {
        for lane in 0..*count {
            let tid = track.base_tid() + lane;
            let name = if lane == 0 {
                track.name()
            } else {
                format!("{} #{}", track.name(), lane + 1)
            };
            out.push(meta("thread_name", tid, args([("name", Arg::Text(name))])));
            out.push(meta(
                "thread_sort_index",
                tid,
                args([("sort_index", Arg::from(u64::from(tid)))]),
            ));
        }
    }
    out
}

/// Builds the Chrome trace of `events` (oldest first, as the trace's ring keeps them).
pub fn chrome_trace<'a>(
    events: impl IntoIterator<Item = &'a TraceEvent>,
    label: RunLabel,
) -> ChromeTrace {
    let mut spans = Vec::new();
    let mut instants: Vec<(u64, ChromeEvent)> = Vec::new();
    // Lanes used by each track (an instant's track has one).
    let mut tracks_seen = [0u32; TRACKS];
    // Running flushes (memtable id, start, seq) and compactions (job id, start, seq, input
    // SSTs, input bytes): a few at a time, so a list searched from the back.
    let mut open_flushes: Vec<(u64, SimTime, u64)> = Vec::new();
    let mut open_compactions: Vec<(u64, SimTime, u64, u64, u64)> = Vec::new();
    let mut last_at = SimTime::ZERO;
    for event in events {
        let at = event.at;
        last_at = last_at.max(at);
        let mut point = |track: Track, name: String, a: Args| {
            let seen = &mut tracks_seen[track.slot()];
            *seen = (*seen).max(1);
            instants.push((event.seq, instant(track, at, name, a)));
        };
        match &event.kind {
            EventKind::Request(record) => spans.push(Span {
                track: Track::Store(record.cause),
                start: record.start,
                end: record.end.max(record.start),
                seq: event.seq,
                name: record.op.as_str().to_string(),
                args: args([
                    ("key", Arg::from(&record.key)),
                    ("bytes", Arg::from(record.bytes)),
                    ("outcome", Arg::from(record.outcome.as_str())),
                    ("cost_picousd", Arg::from(record.cost_picousd)),
                    (
                        "applied_despite_error",
                        Arg::from(record.applied_despite_error),
                    ),
                ]),
            }),
            EventKind::ClientOp {
                op,
                bytes,
                start,
                ok,
                durable,
                key,
                seq,
            } => spans.push(Span {
                track: Track::Client,
                start: *start,
                end: at.max(*start),
                seq: event.seq,
                name: (*op).to_string(),
                args: args([
                    ("bytes", Arg::from(bytes)),
                    ("ok", Arg::from(ok)),
                    ("durable", Arg::from(durable)),
                    ("key", Arg::from(key)),
                    ("seq", Arg::from(seq)),
                ]),
            }),
            EventKind::FlushStarted { memtable_id, .. } => {
                open_flushes.push((*memtable_id, at, event.seq));
            }
            EventKind::FlushFinished {
                memtable_id,
                sst_id,
                bytes,
            } => {
                let open = open_flushes.iter().rposition(|f| f.0 == *memtable_id);
                if let Some((_, start, seq)) = open.map(|i| open_flushes.remove(i)) {
                    spans.push(Span {
                        track: Track::Flush,
                        start,
                        end: at,
                        seq,
                        name: format!("flush memtable {memtable_id}"),
                        args: args([
                            ("memtable_id", Arg::from(memtable_id)),
                            ("sst_id", Arg::from(sst_id)),
                            ("bytes", Arg::from(bytes)),
                            ("finished", Arg::from(true)),
                        ]),
                    });
                }
            }
            EventKind::CompactionStarted {
                job_id,
                input_ssts,
                input_bytes,
            } => {
                open_compactions.push((*job_id, at, event.seq, *input_ssts, *input_bytes));
            }
            EventKind::CompactionFinished {
                job_id,
                output_ssts,
                output_bytes,
            } => {
                let open = open_compactions.iter().rposition(|c| c.0 == *job_id);
                if let Some((_, start, seq, input_ssts, input_bytes)) =
                    open.map(|i| open_compactions.remove(i))
                {
                    spans.push(Span {
                        track: Track::Compaction,
                        start,
                        end: at,
                        seq,
                        name: format!("compaction {job_id}"),
                        args: args([
                            ("job_id", Arg::from(job_id)),
                            ("input_ssts", Arg::from(input_ssts)),
                            ("input_bytes", Arg::from(input_bytes)),
                            ("output_ssts", Arg::from(output_ssts)),
                            ("output_bytes", Arg::from(output_bytes)),
                            ("finished", Arg::from(true)),
                        ]),
                    });
                }
            }
            EventKind::WriteStalled { duration } => spans.push(Span {
                track: Track::Stall,
                start: SimTime::from_nanos(at.as_nanos().saturating_sub(duration.as_nanos())),
                end: at,
                seq: event.seq,
                name: "write stall".to_string(),
                args: args([("duration_ms", Arg::from(duration.as_millis_f64()))]),
            }),
            EventKind::FaultInjected { fault, key } => point(
                Track::Faults,
                format!("fault: {}", fault.as_str()),
                args([
                    ("fault", Arg::from(fault.as_str())),
                    ("key", Arg::from(key)),
                ]),
            ),
            EventKind::WriterCrashed { writer_epoch } => point(
                Track::Faults,
                "writer crashed".to_string(),
                args([("writer_epoch", Arg::from(writer_epoch))]),
            ),
            EventKind::WriterRecovered {
                writer_epoch,
                replayed_wal_objects,
            } => point(
                Track::Engine,
                "writer recovered".to_string(),
                args([
                    ("writer_epoch", Arg::from(writer_epoch)),
                    ("replayed_wal_objects", Arg::from(replayed_wal_objects)),
                ]),
            ),
            EventKind::Fenced { writer_epoch } => point(
                Track::Engine,
                "fenced".to_string(),
                args([("writer_epoch", Arg::from(writer_epoch))]),
            ),
            EventKind::ManifestWritten {
                manifest_id,
                writer_epoch,
            } => point(
                Track::Engine,
                "manifest written".to_string(),
                args([
                    ("manifest_id", Arg::from(manifest_id)),
                    ("writer_epoch", Arg::from(writer_epoch)),
                ]),
            ),
            EventKind::Retried { cause, attempt } => point(
                Track::Engine,
                format!("retried ({})", cause.as_str()),
                args([
                    ("cause", Arg::from(cause.as_str())),
                    ("attempt", Arg::from(attempt)),
                ]),
            ),
            EventKind::Hedged { key } => point(
                Track::Engine,
                "hedged".to_string(),
                args([("key", Arg::from(key))]),
            ),
            EventKind::GcDeleted { key } => point(
                Track::Engine,
                "gc deleted".to_string(),
                args([("key", Arg::from(key))]),
            ),
            EventKind::DurabilityChecked { keys_checked, lost } => point(
                Track::Engine,
                "durability checked".to_string(),
                args([
                    ("keys_checked", Arg::from(keys_checked)),
                    ("lost", Arg::from(lost)),
                ]),
            ),
            EventKind::ExpiredDropped {
                job_id,
                entries,
                bytes,
            } => point(
                Track::Compaction,
                "expired entries dropped".to_string(),
                args([
                    ("job_id", Arg::from(job_id)),
                    ("entries", Arg::from(entries)),
                    ("bytes", Arg::from(bytes)),
                ]),
            ),
            EventKind::PolicyUpdated { version } => point(
                Track::Recommender,
                "policy updated".to_string(),
                args([("version", Arg::from(version))]),
            ),
            EventKind::Checkpointed { version, bytes } => point(
                Track::Recommender,
                "checkpointed".to_string(),
                args([("version", Arg::from(version)), ("bytes", Arg::from(bytes))]),
            ),
            EventKind::DriftApplied { description } => point(
                Track::Recommender,
                "drift".to_string(),
                args([("description", Arg::from(description))]),
            ),
            EventKind::Note { text } => point(
                Track::Engine,
                "note".to_string(),
                args([("text", Arg::from(text))]),
            ),
            EventKind::Impression { .. }
            | EventKind::Click { .. }
            | EventKind::WalFlushed { .. }
            | EventKind::MemtableFrozen { .. } => {}
        }
    }
    // Still running at the end of the window: drawn up to the last event.
    for (memtable_id, start, seq) in open_flushes {
        spans.push(Span {
            track: Track::Flush,
            start,
            end: last_at,
            seq,
            name: format!("flush memtable {memtable_id}"),
            args: args([
                ("memtable_id", Arg::from(memtable_id)),
                ("finished", Arg::from(false)),
            ]),
        });
    }
    for (job_id, start, seq, input_ssts, input_bytes) in open_compactions {
        spans.push(Span {
            track: Track::Compaction,
            start,
            end: last_at,
            seq,
            name: format!("compaction {job_id}"),
            args: args([
                ("job_id", Arg::from(job_id)),
                ("input_ssts", Arg::from(input_ssts)),
                ("input_bytes", Arg::from(input_bytes)),
                ("finished", Arg::from(false)),
            ]),
        });
    }
    let (mut timed, lanes) = lay_out(spans);
    for (seen, count) in tracks_seen.iter_mut().zip(lanes) {
        *seen = (*seen).max(count);
    }
    let process = format!("strata: {} (seed {})", label.scenario, label.seed);
    timed.extend(instants);
    // Timestamps are whole nanoseconds over 1,000, so ordering by nanoseconds orders by `ts`.
    let timed = in_order(timed, |(seq, event)| {
        [
            (event.ts * 1000.0).round() as u64,
            u64::from(event.tid),
            *seq,
        ]
    });
    let mut trace_events = metadata(&process, &tracks_seen);
    trace_events.extend(timed.into_iter().map(|(_, event)| event));
    ChromeTrace {
        trace_events,
        display_time_unit: "ms",
        other_data: label,
    }
}

/// The Chrome trace of `lab`'s retained events, labelled with its scenario and trace hash.
pub fn lab_chrome_trace(lab: &Lab) -> ChromeTrace {
    // Before borrowing the trace: the hash is read through the simulation's handle.
    let trace_hash = lab.trace_hash_hex();
    let trace = lab.trace();
    let label = RunLabel {
        scenario: lab.scenario().name.clone(),
        seed: lab.scenario().seed,
        trace_hash,
        events_recorded: trace.total_events(),
        events_retained: trace.retained().len() as u64,
        first_seq: trace
            .retained()
            .next()
            .map_or(trace.total_events(), |e| e.seq),
        ring_capacity: trace.ring_capacity() as u64,
        time_unit: "ts and dur in microseconds of simulated time",
    };
    chrome_trace(trace.retained(), label)
}

/// The JSON text `strata run --trace-out` writes and the page saves.
pub fn lab_chrome_trace_json(lab: &Lab) -> String {
    lab_chrome_trace(lab).to_json()
}

#[cfg(test)]
pub(crate) mod tests;
