//! Metrics computed from trace events only: client operations and their latency, writes
//! acknowledged and durable, lost durable writes, object-store requests and cost by cause,
//! write amplification, engine and recommender activity.
//!
//! [`Metrics::observe`] folds one event at a time, and [`subscribe`] attaches it to a trace so
//! that it sees every event of the run, not only the ones the ring retains. Because nothing
//! else feeds it, the CLI summary, the playground and the benchmarks agree by construction.
//! Memory is bounded: counters, fixed-size histograms, and a ring of at most
//! [`MAX_SERIES_BUCKETS`] time buckets.

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use strata_sim::maps::LiteMap;
use strata_sim::{
    Cause, EventKind, FaultKind, Histogram, RequestOutcome, SimDuration, SimTime, StoreOp, Trace,
    TraceEvent,
};

/// Width of one bucket of the live time series.
pub const SERIES_BUCKET: SimDuration = SimDuration::from_millis(1000);
/// Buckets kept in the live time series (the most recent ten minutes of simulated time).
pub const MAX_SERIES_BUCKETS: usize = 600;

/// Client operation kinds, as the workload names them in `ClientOp` events.
pub const CLIENT_OPS: [&str; 6] = strata_sim::trace::CLIENT_OP_NAMES;

/// Outcomes of one kind of client operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    pub ok: u64,
    pub failed: u64,
}

/// Object-store requests of one (operation, cause) pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    pub count: u64,
    /// Requests whose caller saw an error (throttling, timeouts, outages, conflicts…).
    pub failed: u64,
    pub bytes: u64,
    pub cost_picousd: u64,
}

/// One bucket of the live time series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesBucket {
    pub start: SimTime,
    pub writes_ok: u64,
    pub reads_ok: u64,
    pub ops_failed: u64,
    pub store_puts: u64,
    pub store_gets: u64,
    pub cost_picousd: u64,
    /// The run's cost from its start to the end of this bucket (so far, for the newest).
    pub cost_picousd_to_date: u64,
    /// Client latency of the writes acknowledged in this bucket: sum and maximum,
    /// nanoseconds (the mean is the sum over `writes_ok`).
    pub write_latency_nanos_total: u64,
    pub write_latency_nanos_max: u64,
    /// Client latency of the gets and scans that succeeded in this bucket, likewise.
    pub read_latency_nanos_total: u64,
    pub read_latency_nanos_max: u64,
}

/// Every fault kind, in the order [`fault_index`] numbers them.
const FAULT_KINDS: [FaultKind; 9] = FaultKind::ALL;

/// A fault kind's place in [`FAULT_KINDS`]; exhaustive, so a new kind fails to compile here
/// rather than index out of bounds.
fn fault_index(kind: FaultKind) -> usize {
    match kind {
        FaultKind::ServerError => 0,
        FaultKind::Timeout => 1,
        FaultKind::LostAck => 2,
        FaultKind::Slow => 3,
        FaultKind::Outage => 4,
        FaultKind::BitFlip => 5,
        FaultKind::Throttle => 6,
        FaultKind::Crash => 7,
        FaultKind::Zombie => 8,
    }
}

/// Running aggregates over every event of a run.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Client operations by kind (`put`, `delete`, `get`, `scan`, `batch`).
    pub ops: LiteMap<String, OpCounts>,
    /// Where each operation name folded so far sits in `ops`, by the name's address and
    /// length, with its class: a `ClientOp`'s name is a `&'static str`, so a repeat finds its
    /// counters and whether it reads or writes without comparing strings. Emptied whenever a
    /// new name moves the indexes.
    op_index: Vec<((usize, usize), usize, OpClass)>,
    /// Write operations (put, delete, batch, delete_range) acknowledged to the client.
    pub writes_acknowledged: u64,
    /// Of those, acknowledged only once durable (await-durable).
    pub writes_acknowledged_durable: u64,
    /// WAL entries that reached the object store (`WalFlushed.entries`), every writer.
    pub wal_entries_durable: u64,
    /// User bytes of acknowledged writes (key + value).
    pub user_bytes_written: u64,
    /// User bytes returned by gets and scans.
    pub user_bytes_read: u64,
    /// Client latency of acknowledged writes (put, delete, batch, delete_range), nanoseconds.
    pub write_latency_nanos: Histogram,
    /// Client latency of successful gets, nanoseconds.
    pub read_latency_nanos: Histogram,
    /// Client latency of successful scans, nanoseconds.
    pub scan_latency_nanos: Histogram,
    pub durability_checks: u64,
    pub keys_checked: u64,
    pub lost_durable_writes: u64,
    /// Entries compaction dropped (or cut to a tombstone) because their time-to-live had
    /// passed, and the key and value bytes that freed, from `expired_dropped` events.
    pub expired_entries_dropped: u64,
    pub expired_bytes_dropped: u64,
    /// Object-store requests by operation and cause, indexed by the enums' declaration order
    /// (see [`Metrics::requests`]). Arrays rather than maps: each map key and value type adds
    /// its own copy of the B-tree code to the playground's download.
    request_counts: RequestTable,
    /// Bytes of successful PUTs (or applied despite an error): what the store wrote.
    pub bytes_put: u64,
    pub cost_picousd: u64,
    /// Latency of object-store requests by operation, nanoseconds (see
    /// [`Metrics::store_latency_nanos`]).
    store_latency_by_op: [Histogram; StoreOp::ALL.len()],
    /// Faults injected, by kind in declaration order (see [`Metrics::faults`]).
    fault_counts: [u64; FAULT_KINDS.len()],
    /// Engine events by name (`wal_flushed`, `flush_finished`, `fenced`, …).
    pub engine_events: LiteMap<String, u64>,
    pub write_stall_nanos: u64,
    pub impressions: u64,
    pub clicks: u64,
    pub policy_updates: u64,
    pub checkpoints: u64,
    pub drifts: u64,
    pub events: u64,
    pub last_event_at: SimTime,
    /// The most recent [`MAX_SERIES_BUCKETS`] buckets of [`SERIES_BUCKET`] each.
    pub series: VecDeque<SeriesBucket>,
}

/// [`Metrics`]' requests by operation and cause, zeroed by one fill of a constant: the
/// derived `Default` of an array of arrays wrote each of the 45 elements out, code the page
/// had for this table alone.
#[derive(Clone, Debug)]
struct RequestTable([[RequestCounts; Cause::ALL.len()]; StoreOp::ALL.len()]);

impl Default for RequestTable {
    fn default() -> Self {
        const ZERO: RequestCounts = RequestCounts {
            count: 0,
            failed: 0,
            bytes: 0,
            cost_picousd: 0,
        };
        RequestTable([[ZERO; Cause::ALL.len()]; StoreOp::ALL.len()])
    }
}

/// Which latency and byte counters a client operation feeds, worked out from its name once
/// per name ([`Metrics::op_counts`]): the comparisons of the name with each kind's were about
/// 16 instructions an operation (docs/benchmarks.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpClass {
    Write,
    Get,
    Scan,
    Other,
}

impl OpClass {
    fn of(op: &str) -> Self {
        match op {
            "put" | "delete" | "batch" | "delete_range" => OpClass::Write,
            "get" => OpClass::Get,
            "scan" => OpClass::Scan,
            _ => OpClass::Other,
        }
    }
}

impl Metrics {
    pub fn new() -> Self {
        Metrics::default()
    }

    fn bucket(&mut self, at: SimTime) -> &mut SeriesBucket {
        let width = SERIES_BUCKET.as_nanos();
        let start = SimTime::from_nanos(at.as_nanos() / width * width);
        // Events arrive in recording order; a request is recorded at its end, so times are
        // almost monotone. An event older than the newest bucket joins the newest one.
        let needs_new = self.series.back().is_none_or(|b| b.start < start);
        if needs_new {
            if self.series.len() == MAX_SERIES_BUCKETS {
                self.series.pop_front();
            }
            let cost_picousd_to_date = self.cost_picousd;
            self.series.push_back(SeriesBucket {
                start,
                cost_picousd_to_date,
                ..SeriesBucket::default()
            });
        }
        assert!(self.series.len() <= MAX_SERIES_BUCKETS);
        self.series
            .back_mut()
            .expect("a bucket was just ensured to exist")
    }

    /// The counters of operation `op`, made the first time it is seen (its name is copied
    /// once per kind, not per event), and its class.
    fn op_counts(&mut self, op: &'static str) -> (&mut OpCounts, OpClass) {
        let name = (op.as_ptr() as usize, op.len());
        let (index, class) = match self.op_index.iter().find(|(known, ..)| *known == name) {
            Some(&(_, index, class)) => (index, class),
            None => {
                let index = match self.ops.find_index(op) {
                    Ok(index) => index,
                    Err(index) => {
                        self.ops.insert(op.to_string(), OpCounts::default());
                        self.op_index.clear();
                        index
                    }
                };
                let class = OpClass::of(op);
                self.op_index.push((name, index, class));
                (index, class)
            }
        };
        let counts = self
            .ops
            .iter_mut()
            .nth(index)
            .map(|(_, counts)| counts)
            .expect("an operation's index in `ops` is kept with every insert");
        (counts, class)
    }

    /// Folds one event into the aggregates.
    pub fn observe(&mut self, event: &TraceEvent) {
        self.events += 1;
        self.last_event_at = self.last_event_at.max(event.at);
        match &event.kind {
            EventKind::ClientOp {
                op,
                bytes,
                start,
                ok,
                durable,
                ..
            } => {
                let latency = event.at.saturating_since(*start).as_nanos();
                let (counts, class) = self.op_counts(op);
                if *ok {
                    counts.ok += 1;
                } else {
                    counts.failed += 1;
                }
                let write = class == OpClass::Write;
                if *ok && write {
                    self.writes_acknowledged += 1;
                    if *durable {
                        self.writes_acknowledged_durable += 1;
                    }
                    self.user_bytes_written += bytes;
                    self.write_latency_nanos.record(latency);
                } else if *ok && class == OpClass::Get {
                    self.user_bytes_read += bytes;
                    self.read_latency_nanos.record(latency);
                } else if *ok && class == OpClass::Scan {
                    self.user_bytes_read += bytes;
                    self.scan_latency_nanos.record(latency);
                }
                let bucket = self.bucket(event.at);
                match (*ok, write) {
                    (true, true) => {
                        bucket.writes_ok += 1;
                        bucket.write_latency_nanos_total += latency;
                        bucket.write_latency_nanos_max =
                            bucket.write_latency_nanos_max.max(latency);
                    }
                    (true, false) => {
                        bucket.reads_ok += 1;
                        bucket.read_latency_nanos_total += latency;
                        bucket.read_latency_nanos_max = bucket.read_latency_nanos_max.max(latency);
                    }
                    (false, _) => bucket.ops_failed += 1,
                }
            }
            EventKind::DurabilityChecked { keys_checked, lost } => {
                self.durability_checks += 1;
                self.keys_checked += keys_checked;
                self.lost_durable_writes += lost;
            }
            EventKind::Request(record) => {
                let failed = record.outcome != RequestOutcome::Ok;
                let counts = &mut self.request_counts.0[record.op as usize][record.cause as usize];
                counts.count += 1;
                counts.bytes += record.bytes;
                counts.cost_picousd += record.cost_picousd;
                if failed {
                    counts.failed += 1;
                }
                if record.op == StoreOp::Put && (!failed || record.applied_despite_error) {
                    self.bytes_put += record.bytes;
                }
                self.cost_picousd += record.cost_picousd;
                self.store_latency_by_op[record.op as usize]
                    .record(record.end.saturating_since(record.start).as_nanos());
                let cost_picousd_to_date = self.cost_picousd;
                let bucket = self.bucket(event.at);
                bucket.cost_picousd += record.cost_picousd;
                bucket.cost_picousd_to_date = cost_picousd_to_date;
                match record.op {
                    StoreOp::Put => bucket.store_puts += 1,
                    StoreOp::Get => bucket.store_gets += 1,
                    _ => {}
                }
            }
            EventKind::FaultInjected { fault, .. } => {
                self.fault_counts[fault_index(*fault)] += 1;
            }
            EventKind::WalFlushed { entries, .. } => {
                self.wal_entries_durable += entries;
                strata_sim::maps::count_one(&mut self.engine_events, event.kind.name());
            }
            EventKind::WriteStalled { duration } => {
                self.write_stall_nanos += duration.as_nanos();
                strata_sim::maps::count_one(&mut self.engine_events, event.kind.name());
            }
            EventKind::MemtableFrozen { .. }
            | EventKind::FlushStarted { .. }
            | EventKind::FlushFinished { .. }
            | EventKind::CompactionStarted { .. }
            | EventKind::CompactionFinished { .. }
            | EventKind::ManifestWritten { .. }
            | EventKind::Fenced { .. }
            | EventKind::WriterCrashed { .. }
            | EventKind::WriterRecovered { .. }
            | EventKind::Retried { .. }
            | EventKind::Hedged { .. }
            | EventKind::GcDeleted { .. } => {
                strata_sim::maps::count_one(&mut self.engine_events, event.kind.name());
            }
            EventKind::ExpiredDropped { entries, bytes, .. } => {
                self.expired_entries_dropped += entries;
                self.expired_bytes_dropped += bytes;
                strata_sim::maps::count_one(&mut self.engine_events, event.kind.name());
            }
            EventKind::Impression { .. } => self.impressions += 1,
            EventKind::Click { .. } => self.clicks += 1,
            EventKind::PolicyUpdated { .. } => self.policy_updates += 1,
            EventKind::Checkpointed { .. } => self.checkpoints += 1,
            EventKind::DriftApplied { .. } => self.drifts += 1,
            EventKind::Note { .. } => {}
        }
    }

    /// Object-store requests of each (operation, cause) pair seen, in operation then cause
    /// order.
    pub fn requests(&self) -> impl Iterator<Item = ((StoreOp, Cause), &RequestCounts)> {
        StoreOp::ALL.into_iter().flat_map(move |op| {
            Cause::ALL.into_iter().filter_map(move |cause| {
                let counts = self.request_counts(op, cause);
                (counts.count > 0).then_some(((op, cause), counts))
            })
        })
    }

    /// Faults injected, by kind, for the kinds seen.
    pub fn faults(&self) -> impl Iterator<Item = (FaultKind, u64)> + '_ {
        FAULT_KINDS
            .into_iter()
            .zip(self.fault_counts)
            .filter(|(_, count)| *count > 0)
    }

    /// Object-store requests of one operation and cause.
    pub fn request_counts(&self, op: StoreOp, cause: Cause) -> &RequestCounts {
        &self.request_counts.0[op as usize][cause as usize]
    }

    /// Latency of one store operation's requests, nanoseconds.
    pub fn store_latency_nanos(&self, op: StoreOp) -> &Histogram {
        &self.store_latency_by_op[op as usize]
    }

    /// Requests of one store operation, all causes together.
    pub fn requests_of(&self, op: StoreOp) -> u64 {
        self.request_counts.0[op as usize]
            .iter()
            .map(|c| c.count)
            .sum()
    }

    /// Bytes PUT to the store ÷ user bytes written; zero before any write.
    pub fn write_amplification(&self) -> f64 {
        if self.user_bytes_written == 0 {
            0.0
        } else {
            self.bytes_put as f64 / self.user_bytes_written as f64
        }
    }

    /// Object-store PUTs per 1,000 acknowledged writes.
    pub fn puts_per_1000_writes(&self) -> f64 {
        if self.writes_acknowledged == 0 {
            0.0
        } else {
            self.requests_of(StoreOp::Put) as f64 * 1000.0 / self.writes_acknowledged as f64
        }
    }

    /// Count of one engine event kind (by `EventKind::name`).
    pub fn engine_event(&self, name: &str) -> u64 {
        self.engine_events.get(name).copied().unwrap_or(0)
    }

    /// Compactions started since the run began, every writer.
    pub fn compactions_started(&self) -> u64 {
        self.engine_event("compaction_started")
    }

    /// Compactions committed (their outputs in the manifest) since the run began.
    pub fn compactions_committed(&self) -> u64 {
        self.engine_event("compaction_finished")
    }

    /// Write attempts refused because a newer writer owns the database.
    pub fn fenced(&self) -> u64 {
        self.engine_event("fenced")
    }

    /// Cost by cause, all operations together.
    pub fn cost_by_cause_picousd(&self) -> BTreeMap<Cause, u64> {
        let mut by_cause = BTreeMap::new();
        for ((_, cause), counts) in self.requests() {
            *by_cause.entry(cause).or_insert(0) += counts.cost_picousd;
        }
        by_cause
    }
}

/// Attaches fresh metrics to `trace`; they see every event recorded from now on.
pub fn subscribe(trace: &mut Trace) -> Rc<RefCell<Metrics>> {
    let metrics = Rc::new(RefCell::new(Metrics::new()));
    let sink = metrics.clone();
    trace.subscribe(Box::new(move |event| sink.borrow_mut().observe(event)));
    metrics
}

/// Three percentiles of a latency histogram, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyPercentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p99_9_ms: f64,
    pub max_ms: f64,
}

impl LatencyPercentiles {
    pub fn from_nanos(histogram: &Histogram) -> Self {
        let ms = |nanos: u64| nanos as f64 / 1e6;
        LatencyPercentiles {
            count: histogram.count(),
            p50_ms: ms(histogram.quantile(0.5)),
            p99_ms: ms(histogram.quantile(0.99)),
            p99_9_ms: ms(histogram.quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// Picodollars to dollars, for display (totals stay exact in picodollars).
pub fn usd(picousd: u64) -> f64 {
    picousd as f64 / 1e12
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_sim::RequestRecord;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_operation_kind_is_classed_as_the_workload_names_it() {
        for kind in crate::workload::OpKind::BY_WEIGHT {
            let expected = match kind {
                _ if kind.is_write() => OpClass::Write,
                crate::workload::OpKind::Get => OpClass::Get,
                crate::workload::OpKind::Scan => OpClass::Scan,
                _ => OpClass::Other,
            };
            assert_eq!(OpClass::of(kind.as_str()), expected, "{}", kind.as_str());
        }
        assert_eq!(OpClass::of("recommend"), OpClass::Other);
    }

    fn client(op: &'static str, bytes: u64, start_ms: u64, ok: bool, durable: bool) -> EventKind {
        EventKind::ClientOp {
            op,
            bytes,
            start: SimTime::from_millis(start_ms),
            ok,
            durable,
            key: String::new(),
            seq: 0,
        }
    }

    fn request(op: StoreOp, cause: Cause, bytes: u64, outcome: RequestOutcome) -> EventKind {
        EventKind::Request(RequestRecord {
            op,
            key: "db/x".to_string(),
            bytes,
            cause,
            start: SimTime::from_millis(0),
            end: SimTime::from_millis(20),
            outcome,
            cost_picousd: if op == StoreOp::Put {
                5_000_000
            } else {
                400_000
            },
            applied_despite_error: false,
        })
    }

    #[test]
    fn expiries_dropped_by_compaction_add_up_and_range_deletes_count_as_writes() {
        let mut trace = Trace::default();
        let metrics = subscribe(&mut trace);
        for (job_id, entries, bytes) in [(1, 3, 300), (2, 2, 150)] {
            let dropped = EventKind::ExpiredDropped {
                job_id,
                entries,
                bytes,
            };
            trace.record(SimTime::from_millis(job_id), dropped);
        }
        trace.record(
            SimTime::from_millis(5),
            client("delete_range", 8, 0, true, true),
        );
        let m = metrics.borrow();
        assert_eq!(
            (m.expired_entries_dropped, m.expired_bytes_dropped),
            (5, 450)
        );
        assert_eq!(m.engine_events.get("expired_dropped"), Some(&2));
        assert_eq!(m.writes_acknowledged_durable, 1);
    }

    #[test]
    fn client_and_store_events_fold_into_the_summary_figures() {
        let mut trace = Trace::default();
        let metrics = subscribe(&mut trace);
        let at = |ms| SimTime::from_millis(ms);
        trace.record(at(10), client("put", 100, 0, true, true));
        trace.record(at(30), client("put", 100, 0, true, false));
        trace.record(at(5), client("get", 50, 0, true, false));
        trace.record(at(7), client("delete", 20, 0, false, false));
        trace.record(
            at(40),
            request(StoreOp::Put, Cause::Wal, 300, RequestOutcome::Ok),
        );
        trace.record(
            at(41),
            request(StoreOp::Put, Cause::Flush, 999, RequestOutcome::Throttled),
        );
        trace.record(
            at(42),
            request(StoreOp::Get, Cause::Read, 4096, RequestOutcome::Ok),
        );
        trace.record(
            at(50),
            EventKind::DurabilityChecked {
                keys_checked: 2,
                lost: 0,
            },
        );
        let m = metrics.borrow();
        assert_eq!(m.ops.get("put"), Some(&OpCounts { ok: 2, failed: 0 }));
        assert_eq!(m.ops.get("delete"), Some(&OpCounts { ok: 0, failed: 1 }));
        assert_eq!(m.writes_acknowledged, 2);
        assert_eq!(m.writes_acknowledged_durable, 1);
        assert_eq!(m.user_bytes_written, 200);
        // Only the PUT that landed counts as written: 300 bytes for 200 user bytes.
        assert_eq!(m.bytes_put, 300);
        assert!((m.write_amplification() - 1.5).abs() < 1e-12);
        assert_eq!(m.requests_of(StoreOp::Put), 2);
        assert_eq!(m.request_counts(StoreOp::Put, Cause::Flush).failed, 1);
        assert_eq!(
            m.requests().count(),
            3,
            "{:?}",
            m.requests().collect::<Vec<_>>()
        );
        assert_eq!(m.cost_picousd, 10_400_000);
        assert_eq!(m.cost_by_cause_picousd()[&Cause::Read], 400_000);
        assert_eq!(m.write_latency_nanos.count(), 2);
        assert_eq!(m.write_latency_nanos.max(), 30_000_000);
        assert_eq!(m.read_latency_nanos.quantile(0.5), 5_000_000);
        assert_eq!(m.keys_checked, 2);
        assert_eq!(m.puts_per_1000_writes(), 1000.0);
        assert_eq!(m.events, 8);
    }

    #[test]
    fn compactions_and_fencing_are_counted_for_the_page() {
        let mut trace = Trace::default();
        let metrics = subscribe(&mut trace);
        let at = SimTime::from_millis(1);
        for job_id in 0..3 {
            trace.record(
                at,
                EventKind::CompactionStarted {
                    job_id,
                    input_ssts: 4,
                    input_bytes: 1000,
                },
            );
        }
        trace.record(
            at,
            EventKind::CompactionFinished {
                job_id: 0,
                output_ssts: 1,
                output_bytes: 900,
            },
        );
        trace.record(at, EventKind::Fenced { writer_epoch: 1 });
        trace.record(at, EventKind::Fenced { writer_epoch: 1 });
        let m = metrics.borrow();
        assert_eq!(m.compactions_started(), 3);
        assert_eq!(m.compactions_committed(), 1);
        assert_eq!(m.fenced(), 2);
    }

    #[test]
    fn the_series_is_bounded_and_bucketed_by_simulated_second() {
        let mut metrics = Metrics::new();
        for second in 0..(MAX_SERIES_BUCKETS as u64 + 10) {
            for _ in 0..3 {
                metrics.observe(&TraceEvent {
                    seq: 0,
                    at: SimTime::from_millis(second * 1000 + 500),
                    kind: client("put", 1, second * 1000, true, false),
                    origin: 0,
                });
            }
        }
        assert_eq!(metrics.series.len(), MAX_SERIES_BUCKETS);
        let last = metrics.series.back().unwrap();
        assert_eq!(last.writes_ok, 3);
        assert_eq!(
            last.start,
            SimTime::from_secs(MAX_SERIES_BUCKETS as u64 + 9)
        );
    }

    #[test]
    fn percentiles_are_reported_in_milliseconds() {
        let mut histogram = Histogram::new();
        for ms in 1..=1000u64 {
            histogram.record(ms * 1_000_000);
        }
        let p = LatencyPercentiles::from_nanos(&histogram);
        assert_eq!(p.count, 1000);
        assert!((p.p50_ms - 500.0).abs() / 500.0 < 0.01, "{p:?}");
        assert!((p.p99_ms - 990.0).abs() / 990.0 < 0.01, "{p:?}");
        assert!((p.p99_9_ms - 999.0).abs() / 999.0 < 0.01, "{p:?}");
        assert_eq!(p.max_ms, 1000.0);
    }

    #[test]
    fn the_fault_kind_table_is_in_declaration_order() {
        for (index, kind) in FAULT_KINDS.into_iter().enumerate() {
            assert_eq!(fault_index(kind), index, "{kind:?}");
        }
        let mut m = Metrics::new();
        m.fault_counts[fault_index(FaultKind::Outage)] = 2;
        assert_eq!(m.faults().collect::<Vec<_>>(), vec![(FaultKind::Outage, 2)]);
    }

    #[test]
    fn operations_are_counted_by_name_whatever_their_order_and_wherever_the_name_lives() {
        let mut m = Metrics::new();
        let at = SimTime::from_millis(1);
        // The same names at other addresses than the literals' (the counters go by text).
        let put: &'static str = Box::leak(String::from("put").into_boxed_str());
        let get: &'static str = Box::leak(String::from("get").into_boxed_str());
        // Each new name sorts before every name seen so far, so it moves their indexes.
        for (op, ok) in [
            ("scan", true),
            ("put", true),
            ("scan", false),
            ("get", true),
            (put, true),
            ("delete", false),
            ("batch", true),
            (get, true),
            ("put", false),
            ("delete", true),
            ("scan", true),
        ] {
            m.observe(&TraceEvent {
                seq: 0,
                at,
                origin: 0,
                kind: client(op, 1, 0, ok, false),
            });
        }
        let counts: Vec<(&str, u64, u64)> = m
            .ops
            .iter()
            .map(|(op, c)| (op.as_str(), c.ok, c.failed))
            .collect();
        assert_eq!(
            counts,
            vec![
                ("batch", 1, 0),
                ("delete", 1, 1),
                ("get", 2, 0),
                ("put", 2, 1),
                ("scan", 2, 1),
            ]
        );
    }
}
