//! Explain: every object-store request of a run attributed to the client operations that
//! caused it, folded from the trace as it is recorded (`strata explain`, the page's timeline).
//!
//! # The rules
//! - **Direct.** A read request (cause `read`) sent by a client operation's task (the trace
//!   event's `origin`) belongs to that operation: a get's GETs, a scan's.
//! - **WAL.** A PUT of a WAL object (every attempt, by its key) is shared equally by the writes
//!   it carried: the writes whose sequence numbers lie between the `first_seq` and `last_seq`
//!   of its `WalFlushed` event, each named by its `ClientOp`'s `seq`.
//! - **Flush.** The SST PUT and the manifest requests of a flush (those sent while it runs,
//!   after its SST PUT) are shared by the bytes it carried: the memtable's writes
//!   (`FlushStarted`'s `min_seq..=max_seq`), each write weighing its user bytes (key + value),
//!   taken from the WAL objects that carried them, pro rata by sequence numbers where a WAL
//!   object straddles two memtables.
//! - **Compaction.** A compaction's GETs, PUTs and manifest requests are shared by the bytes
//!   it read: each input SST (named by the GET's key) weighs its bytes and brings the mix of
//!   the flush or compaction that wrote it, so the cost traces back to the flushes' writes.
//! - **Writes no client operation made** (the recommender's impression log and checkpoints,
//!   a write whose operation failed, an SST written before the trace began) form the row
//!   `other_writes`. A WAL object's writes of that row weigh the mean bytes of its client
//!   writes.
//! - **Background.** Everything else has no client cause and is a row of its own, by cause:
//!   manifest polls and epoch checks, GC deletes, the read replica's polls, read-backs of the
//!   durability check, WAL reads at recovery; requests under another database's prefix (a
//!   tenant) are `other_databases`.
//!
//! Every request's cost goes, whole, to one of these, so the rows add up to the run's total.
//!
//! # Bounds
//! The fold keeps: at most [`MAX_PENDING_WRITES`] writes awaiting their WAL object,
//! [`MAX_OPEN_JOBS`] WAL objects in flight, [`MAX_LANDED_WAL`] landed WAL objects awaiting
//! their flush, [`MAX_SST_MIXES`] SSTs' mixes, [`MAX_IN_FLIGHT_OPS`] operations in flight with
//! at most [`MAX_PATH_REQUESTS`] requests each, the [`SLOWEST`] slowest operations, and for
//! the page the last [`MAX_RECENT`] requests' jobs and the last [`MAX_RECENT`] jobs (as many
//! as the trace's default ring holds events) and the last [`MAX_RECENT_OPS`] operations. That
//! is a few megabytes at most (a kept request is a key and a few numbers, about 100 bytes). A
//! link that falls out of a bound sends its cost to `other_writes` or its cause's row; nothing
//! is dropped from the totals.
//!
//! The fold is here; what it reports (the rows, the slowest operations, a job's shares) is in
//! `report.rs`.

mod object_id;
mod recent;
mod report;

use object_id::object_id;
use recent::{note_slow, RecentOps};
pub use report::{Explanation, JobExplained, JobKey, RequestBrief, Row, Served, SlowOperation};

use crate::metrics::usd;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use strata_sim::{Cause, EventKind, RequestRecord, SimTime, StoreOp, Trace, TraceEvent};

/// The client operation kinds, in row order (`ClientOp`'s names).
pub const OP_KINDS: [&str; 6] = strata_sim::trace::CLIENT_OP_NAMES;
/// The mix's slot for writes no client operation made.
const OTHER_WRITES: usize = OP_KINDS.len();
/// Slots of a mix: the operation kinds, then other writes.
const MIX_SLOTS: usize = OP_KINDS.len() + 1;
/// The row of requests under another database's prefix.
const OTHER_DATABASES: usize = MIX_SLOTS;
/// The first background row, by cause (in `Cause::ALL` order).
const CAUSE_ROWS: usize = MIX_SLOTS + 1;
const ROWS: usize = CAUSE_ROWS + Cause::ALL.len();

pub const MAX_PENDING_WRITES: usize = 65_536;
pub const MAX_OPEN_JOBS: usize = 1_024;
pub const MAX_LANDED_WAL: usize = 16_384;
pub const MAX_SST_MIXES: usize = 16_384;
pub const MAX_IN_FLIGHT_OPS: usize = 16_384;
pub const MAX_PATH_REQUESTS: usize = 16;
pub const SLOWEST: usize = 10;
pub const MAX_RECENT: usize = 10_000;
pub const MAX_RECENT_OPS: usize = 2_000;

/// How much of something each kind of writer carried: user bytes (or writes) and writes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Mix {
    weight: [f64; MIX_SLOTS],
    writes: [f64; MIX_SLOTS],
}

impl Mix {
    fn total(&self) -> f64 {
        self.weight.iter().sum()
    }

    fn add_scaled(&mut self, other: &Mix, weight_scale: f64, writes_scale: f64) {
        for slot in 0..MIX_SLOTS {
            self.weight[slot] += other.weight[slot] * weight_scale;
            self.writes[slot] += other.writes[slot] * writes_scale;
        }
    }

    /// The same mix with weights summing to `total` (writes unchanged).
    fn scaled_to(&self, total: f64) -> Mix {
        let sum = self.total();
        let mut mix = *self;
        if sum > 0.0 {
            for weight in &mut mix.weight {
                *weight *= total / sum;
            }
        }
        mix
    }
}

/// A job whose requests are being gathered.
#[derive(Debug)]
struct OpenJob {
    key: JobKey,
    picousd: u64,
    requests: u64,
    bytes: u64,
    briefs: Vec<RequestBrief>,
    mix: Mix,
    /// WAL: the seq range once landed; flush: the memtable's.
    seqs: Option<(u64, u64)>,
    landed_at: Option<SimTime>,
    /// Flush and compaction: a PUT was sent, so manifest requests now belong to it.
    put_sent: bool,
    outputs: Vec<u64>,
}

impl OpenJob {
    fn new(key: JobKey) -> OpenJob {
        OpenJob {
            key,
            picousd: 0,
            requests: 0,
            bytes: 0,
            briefs: Vec::new(),
            mix: Mix::default(),
            seqs: None,
            landed_at: None,
            put_sent: false,
            outputs: Vec::new(),
        }
    }

    fn charge(&mut self, seq: u64, request: &RequestRecord) {
        self.picousd += request.cost_picousd;
        self.requests += 1;
        self.bytes += request.bytes;
        if self.briefs.len() < MAX_PATH_REQUESTS {
            self.briefs.push(RequestBrief::of(seq, request));
        }
    }
}

/// A client operation in flight: its direct requests so far.
#[derive(Debug)]
struct InFlight {
    number: u64,
    picousd: u64,
    requests: u64,
    bytes: u64,
    briefs: Vec<RequestBrief>,
}

/// A landed WAL object's writes, until their flush.
#[derive(Clone, Copy, Debug)]
struct Landed {
    first_seq: u64,
    last_seq: u64,
    /// By user bytes.
    mix: Mix,
}

/// The fold. Subscribe it to a trace with [`subscribe`].
#[derive(Debug)]
pub struct Explainer {
    /// `"{db_path}/"`: requests under another prefix are another database's.
    prefix: String,
    rows: [Row; ROWS],
    total_picousd: u64,
    /// Client writes (seq, slot, user bytes) awaiting their WAL object.
    pending: VecDeque<(u64, usize, u64)>,
    wal_jobs: VecDeque<OpenJob>,
    /// How many of `wal_jobs` have landed: while none has, no event closes one or carries a
    /// write into one, and the fold skips looking (most events come while none has).
    landed_jobs: usize,
    landed: VecDeque<Landed>,
    flush: Option<OpenJob>,
    compaction: Option<OpenJob>,
    /// SST id → the normalised mix of what it holds.
    ssts: VecDeque<(u64, Mix)>,
    in_flight: VecDeque<InFlight>,
    slowest: Vec<SlowOperation>,
    recent_requests: VecDeque<(u64, JobKey)>,
    recent_jobs: VecDeque<JobExplained>,
    recent_ops: RecentOps,
}

impl Explainer {
    /// A fold for the database at `db_path`.
    pub fn new(db_path: &str) -> Explainer {
        Explainer {
            prefix: format!("{db_path}/"),
            rows: [Row::default(); ROWS],
            total_picousd: 0,
            pending: VecDeque::new(),
            wal_jobs: VecDeque::new(),
            landed_jobs: 0,
            landed: VecDeque::new(),
            flush: None,
            compaction: None,
            ssts: VecDeque::new(),
            in_flight: VecDeque::new(),
            slowest: Vec::new(),
            recent_requests: VecDeque::new(),
            recent_jobs: VecDeque::new(),
            recent_ops: RecentOps::default(),
        }
    }

    /// Folds one event.
    pub fn observe(&mut self, event: &TraceEvent) {
        self.close_settled_wal(event.at);
        match &event.kind {
            EventKind::Request(request) => self.request(event, request),
            EventKind::ClientOp {
                op,
                bytes,
                start,
                ok,
                durable,
                key,
                seq,
            } => self.client_op(event, op, *bytes, *start, (*ok, *durable), key, *seq),
            EventKind::WalFlushed {
                wal_id,
                first_seq,
                last_seq,
                ..
            } => self.wal_landed(event.at, *wal_id, *first_seq, *last_seq),
            EventKind::FlushStarted {
                memtable_id,
                min_seq,
                max_seq,
            } => {
                if let Some(job) = self.flush.take() {
                    self.finish_flush(job);
                }
                let mut job = OpenJob::new(JobKey::Flush {
                    memtable_id: *memtable_id,
                });
                job.seqs = Some((*min_seq, *max_seq));
                self.flush = Some(job);
            }
            EventKind::FlushFinished { sst_id, .. } => {
                if let Some(mut job) = self.flush.take() {
                    job.outputs.push(*sst_id);
                    self.finish_flush(job);
                }
            }
            EventKind::CompactionStarted { job_id, .. } => {
                if let Some(job) = self.compaction.take() {
                    self.finish_compaction(job, false);
                }
                self.compaction = Some(OpenJob::new(JobKey::Compaction { job_id: *job_id }));
            }
            EventKind::CompactionFinished { .. } => {
                if let Some(job) = self.compaction.take() {
                    self.finish_compaction(job, true);
                }
            }
            EventKind::WriterCrashed { .. } => {
                // Writes not yet in a WAL object are lost with the writer.
                self.pending.clear();
            }
            _ => {}
        }
    }

    fn row_of_cause(cause: Cause) -> usize {
        CAUSE_ROWS + cause.tag() as usize
    }

    fn remember_request(&mut self, seq: u64, job: JobKey) {
        if self.recent_requests.len() == MAX_RECENT {
            self.recent_requests.pop_front();
        }
        self.recent_requests.push_back((seq, job));
    }

    fn charge_row(&mut self, row: usize, picousd: f64, requests: f64, bytes: f64) {
        let entry = &mut self.rows[row];
        entry.usd += picousd;
        entry.requests += requests;
        entry.bytes += bytes;
    }

    fn request(&mut self, event: &TraceEvent, request: &RequestRecord) {
        self.total_picousd += request.cost_picousd;
        let job = self.job_for(event, request);
        match job {
            JobKey::Operation { number } => {
                let slot = self.in_flight.iter().position(|op| op.number == number);
                let slot = match slot {
                    Some(slot) => slot,
                    None => {
                        if self.in_flight.len() == MAX_IN_FLIGHT_OPS {
                            let oldest = self.in_flight.pop_front().expect("the list is full");
                            self.abandon(oldest);
                        }
                        self.in_flight.push_back(InFlight {
                            number,
                            picousd: 0,
                            requests: 0,
                            bytes: 0,
                            briefs: Vec::new(),
                        });
                        self.in_flight.len() - 1
                    }
                };
                let op = &mut self.in_flight[slot];
                op.picousd += request.cost_picousd;
                op.requests += 1;
                op.bytes += request.bytes;
                if op.briefs.len() < MAX_PATH_REQUESTS {
                    op.briefs.push(RequestBrief::of(event.seq, request));
                }
            }
            JobKey::Wal { wal_id } => {
                let index = match self
                    .wal_jobs
                    .iter()
                    .position(|job| job.key == job_key_wal(wal_id))
                {
                    Some(index) => index,
                    None => {
                        if self.wal_jobs.len() == MAX_OPEN_JOBS {
                            let oldest = self.wal_jobs.pop_front().expect("the list is full");
                            self.landed_jobs -= usize::from(oldest.landed_at.is_some());
                            self.finish_wal(oldest);
                        }
                        self.wal_jobs.push_back(OpenJob::new(job_key_wal(wal_id)));
                        self.wal_jobs.len() - 1
                    }
                };
                self.wal_jobs[index].charge(event.seq, request);
            }
            JobKey::Flush { .. } => {
                if let Some(job) = &mut self.flush {
                    job.put_sent |= request.op == StoreOp::Put && request.cause == Cause::Flush;
                    job.charge(event.seq, request);
                }
            }
            JobKey::Compaction { .. } => self.compaction_request(event.seq, request),
            JobKey::Background { row } => {
                self.charge_row(row, request.cost_picousd as f64, 1.0, request.bytes as f64);
            }
        }
        self.remember_request(event.seq, job);
    }

    /// Which job a request belongs to (the rules in the module header).
    fn job_for(&self, event: &TraceEvent, request: &RequestRecord) -> JobKey {
        if !request.key.starts_with(&self.prefix) {
            return JobKey::Background {
                row: OTHER_DATABASES,
            };
        }
        let background = JobKey::Background {
            row: Self::row_of_cause(request.cause),
        };
        match request.cause {
            Cause::Read if event.origin != 0 => JobKey::Operation {
                number: event.origin,
            },
            Cause::Wal if request.op == StoreOp::Put => object_id(&request.key, "/wal/", ".wal")
                .map_or(background, |wal_id| JobKey::Wal { wal_id }),
            Cause::Flush => match &self.flush {
                Some(job) => job.key,
                None => background,
            },
            Cause::Compaction => match &self.compaction {
                Some(job) => job.key,
                None => background,
            },
            Cause::Manifest => match (&self.flush, &self.compaction) {
                (Some(job), _) if job.put_sent => job.key,
                (_, Some(job)) if job.put_sent => job.key,
                _ => background,
            },
            _ => background,
        }
    }

    fn compaction_request(&mut self, seq: u64, request: &RequestRecord) {
        let Some(job) = &mut self.compaction else {
            return;
        };
        job.charge(seq, request);
        let Some(sst_id) = object_id(&request.key, "/sst/", ".sst") else {
            return;
        };
        match request.op {
            StoreOp::Get if request.cause == Cause::Compaction => {
                let weight = request.bytes.max(1) as f64;
                match self.ssts.iter().find(|(id, _)| *id == sst_id) {
                    Some((_, mix)) => job.mix.add_scaled(mix, weight, 1.0),
                    None => {
                        job.mix.weight[OTHER_WRITES] += weight;
                    }
                }
            }
            StoreOp::Put if request.cause == Cause::Compaction => {
                job.put_sent = true;
                job.outputs.push(sst_id);
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn client_op(
        &mut self,
        event: &TraceEvent,
        op: &'static str,
        bytes: u64,
        start: SimTime,
        (ok, durable): (bool, bool),
        key: &str,
        seq: u64,
    ) {
        // The trace's names are `OP_KINDS`' own, so the addresses match before the text does.
        let slot = OP_KINDS
            .iter()
            .position(|kind| std::ptr::eq(*kind, op))
            .or_else(|| OP_KINDS.iter().position(|kind| *kind == op));
        // The names joined, not `{OP_KINDS:?}`: that was the page's only `Debug` of a list.
        assert!(
            slot.is_some(),
            "a client operation's kind is one of {}: {op}",
            strata_sim::fmt::join(&OP_KINDS, ", ")
        );
        let slot = slot.unwrap_or(OTHER_WRITES);
        self.rows[slot].operations += 1;
        // Only an operation that sent requests is in flight: most are not looked for.
        let own = match (event.origin, self.in_flight.is_empty()) {
            (0, _) | (_, true) => None,
            (origin, false) => self
                .in_flight
                .iter()
                .position(|flight| flight.number == origin)
                .and_then(|index| self.in_flight.remove(index)),
        };
        let mut waited_for = if ok { "memory" } else { "nothing" };
        if let Some(own) = &own {
            self.charge_row(
                slot,
                own.picousd as f64,
                own.requests as f64,
                own.bytes as f64,
            );
            waited_for = "requests";
        }
        // Written in the place of the oldest kept operation, reusing its buffers.
        let kept = self.recent_ops.next_slot(key);
        let requests = &mut kept.requests;
        if let Some(own) = own {
            *requests = own.briefs;
        }
        if seq != 0 {
            // A write: it rides in a WAL object, landed already if it waited for durability.
            let weight = bytes.max(1);
            let job = match self.landed_jobs {
                0 => None,
                _ => self.wal_jobs.iter_mut().find(|job| {
                    job.landed_at.is_some()
                        && job
                            .seqs
                            .is_some_and(|(first, last)| first <= seq && seq <= last)
                }),
            };
            match job {
                Some(job) => {
                    job.mix.weight[slot] += weight as f64;
                    job.mix.writes[slot] += 1.0;
                    if durable {
                        requests.extend(job.briefs.iter().cloned());
                        waited_for = "wal";
                    }
                }
                None => {
                    if self.pending.len() == MAX_PENDING_WRITES {
                        self.pending.pop_front();
                    }
                    self.pending.push_back((seq, slot, weight));
                }
            }
        }
        kept.number = event.origin;
        kept.kind = op;
        kept.start_ms = start.as_millis_f64();
        kept.latency_ms = event.at.saturating_since(start).as_millis_f64();
        kept.ok = ok;
        kept.waited_for = waited_for;
        note_slow(&mut self.slowest, kept);
    }

    /// An operation that never completed: its reads go to the read row.
    fn abandon(&mut self, op: InFlight) {
        let row = Self::row_of_cause(Cause::Read);
        self.charge_row(row, op.picousd as f64, op.requests as f64, op.bytes as f64);
    }

    fn wal_landed(&mut self, at: SimTime, wal_id: u64, first_seq: u64, last_seq: u64) {
        let key = job_key_wal(wal_id);
        let index = match self.wal_jobs.iter().position(|job| job.key == key) {
            Some(index) => index,
            None => {
                self.wal_jobs.push_back(OpenJob::new(key));
                self.wal_jobs.len() - 1
            }
        };
        let newly = self.wal_jobs[index].landed_at.replace(at).is_none();
        self.landed_jobs += usize::from(newly);
        debug_assert_eq!(
            self.landed_jobs,
            self.wal_jobs
                .iter()
                .filter(|j| j.landed_at.is_some())
                .count(),
            "the count of landed WAL objects is the landed ones'"
        );
        let job = &mut self.wal_jobs[index];
        if first_seq == 0 {
            return;
        }
        job.seqs = Some((first_seq, last_seq));
        // In place: the writes it carried leave, the rest keep their order.
        self.pending.retain(|&(seq, slot, weight)| {
            let carried = first_seq <= seq && seq <= last_seq;
            if carried {
                job.mix.weight[slot] += weight as f64;
                job.mix.writes[slot] += 1.0;
            }
            !carried
        });
    }

    /// Closes the WAL objects that landed before `now`: every write that waited for one has
    /// completed in the instant it landed.
    fn close_settled_wal(&mut self, now: SimTime) {
        if self.landed_jobs == 0 {
            return;
        }
        while let Some(index) = self
            .wal_jobs
            .iter()
            .position(|job| job.landed_at.is_some_and(|at| at < now))
        {
            let job = self
                .wal_jobs
                .remove(index)
                .expect("the index was just found");
            self.landed_jobs -= 1;
            self.finish_wal(job);
        }
    }

    fn finish_wal(&mut self, mut job: OpenJob) {
        if let Some((first, last)) = job.seqs {
            let carried = (last - first + 1) as f64;
            let client_writes: f64 = job.mix.writes[..OTHER_WRITES].iter().sum();
            let client_bytes: f64 = job.mix.weight[..OTHER_WRITES].iter().sum();
            let others = (carried - client_writes).max(0.0);
            let mean = if client_writes > 0.0 {
                client_bytes / client_writes
            } else {
                1.0
            };
            job.mix.writes[OTHER_WRITES] += others;
            job.mix.weight[OTHER_WRITES] += others * mean;
            if self.landed.len() == MAX_LANDED_WAL {
                self.landed.pop_front();
            }
            self.landed.push_back(Landed {
                first_seq: first,
                last_seq: last,
                mix: job.mix,
            });
        }
        // A WAL PUT is shared by writes, not bytes.
        let by_writes = Mix {
            weight: job.mix.writes,
            writes: job.mix.writes,
        };
        self.settle(&job, &by_writes, Cause::Wal);
    }

    fn finish_flush(&mut self, mut job: OpenJob) {
        let (min_seq, max_seq) = job.seqs.unwrap_or((0, 0));
        let mut mix = Mix::default();
        for landed in &self.landed {
            let from = landed.first_seq.max(min_seq);
            let to = landed.last_seq.min(max_seq);
            if from > to {
                continue;
            }
            let fraction = (to - from + 1) as f64 / (landed.last_seq - landed.first_seq + 1) as f64;
            mix.add_scaled(&landed.mix, fraction, fraction);
        }
        if job.outputs.is_empty() {
            // Abandoned: the memtable stays, and its WAL objects with it.
        } else {
            self.landed.retain(|landed| landed.last_seq > max_seq);
        }
        job.mix = mix;
        for sst in &job.outputs {
            self.remember_sst(*sst, mix);
        }
        self.settle(&job, &mix, Cause::Flush);
    }

    fn finish_compaction(&mut self, job: OpenJob, committed: bool) {
        if committed {
            for sst in &job.outputs {
                self.remember_sst(*sst, job.mix);
            }
        }
        self.settle(&job, &job.mix.clone(), Cause::Compaction);
    }

    fn remember_sst(&mut self, sst_id: u64, mix: Mix) {
        if self.ssts.len() == MAX_SST_MIXES {
            self.ssts.pop_front();
        }
        self.ssts.push_back((sst_id, mix.scaled_to(1.0)));
    }

    /// Shares a finished job's requests among its mix's slots, or gives them to `cause`'s
    /// row when it served no write.
    fn settle(&mut self, job: &OpenJob, mix: &Mix, cause: Cause) {
        let total = mix.total();
        let mut served = Vec::new();
        if total > 0.0 {
            for slot in 0..MIX_SLOTS {
                let share = mix.weight[slot] / total;
                if share <= 0.0 {
                    continue;
                }
                self.charge_row(
                    slot,
                    job.picousd as f64 * share,
                    job.requests as f64 * share,
                    job.bytes as f64 * share,
                );
                served.push(Served {
                    row: row_name(slot),
                    operations: mix.writes[slot],
                    share,
                });
            }
        } else {
            let row = Self::row_of_cause(cause);
            self.charge_row(
                row,
                job.picousd as f64,
                job.requests as f64,
                job.bytes as f64,
            );
            served.push(Served {
                row: row_name(row),
                operations: 0.0,
                share: 1.0,
            });
        }
        if self.recent_jobs.len() == MAX_RECENT {
            self.recent_jobs.pop_front();
        }
        self.recent_jobs.push_back(JobExplained {
            job: job.key,
            usd: usd(job.picousd),
            requests: job.requests,
            served,
        });
    }

    /// Settles everything still open (at the end of a run).
    pub fn settle_open(&mut self) {
        self.landed_jobs = 0;
        for job in std::mem::take(&mut self.wal_jobs) {
            self.finish_wal(job);
        }
        if let Some(job) = self.flush.take() {
            self.finish_flush(job);
        }
        if let Some(job) = self.compaction.take() {
            self.finish_compaction(job, false);
        }
        for op in std::mem::take(&mut self.in_flight) {
            self.abandon(op);
        }
    }

    /// The report so far. Jobs still open are not in its rows yet (call
    /// [`Explainer::settle_open`] at the end of a run first).
    pub fn explanation(&self) -> Explanation {
        let row = |row: &Row| Row {
            usd: row.usd / 1e12,
            ..*row
        };
        let mut operations = std::collections::BTreeMap::new();
        let mut background = std::collections::BTreeMap::new();
        for (index, entry) in self.rows.iter().enumerate() {
            if entry.usd == 0.0 && entry.requests == 0.0 && entry.operations == 0 {
                continue;
            }
            let name = row_name(index).to_string();
            if index < OP_KINDS.len() {
                operations.insert(name, row(entry));
            } else {
                background.insert(name, row(entry));
            }
        }
        Explanation {
            operations,
            background,
            attributed_usd: self.rows.iter().map(|row| row.usd).sum::<f64>() / 1e12,
            total_usd: usd(self.total_picousd),
            slowest: self.slowest.clone(),
        }
    }

    /// The job a retained request belongs to, and that job's explanation once it is
    /// finished (for the page's timeline).
    pub fn request_job(&self, request_seq: u64) -> Option<(JobKey, Option<JobExplained>)> {
        let (_, job) = self
            .recent_requests
            .iter()
            .rev()
            .find(|(seq, _)| *seq == request_seq)?;
        let explained = self
            .recent_jobs
            .iter()
            .rev()
            .find(|explained| explained.job == *job)
            .cloned();
        Some((*job, explained))
    }

    /// A recent client operation by its number.
    pub fn operation(&self, number: u64) -> Option<&SlowOperation> {
        self.recent_ops.find(number)
    }

    /// The slowest client operations so far, slowest first.
    pub fn slowest(&self) -> &[SlowOperation] {
        &self.slowest
    }
}

fn job_key_wal(wal_id: u64) -> JobKey {
    JobKey::Wal { wal_id }
}

/// A row's name in the report.
pub fn row_name(row: usize) -> &'static str {
    match row {
        row if row < OP_KINDS.len() => OP_KINDS[row],
        OTHER_WRITES => "other_writes",
        OTHER_DATABASES => "other_databases",
        row => Cause::ALL
            .get(row - CAUSE_ROWS)
            .map_or("other", |cause| cause.as_str()),
    }
}

/// Subscribes a fold for the database at `db_path` to `trace`.
pub fn subscribe(trace: &mut Trace, db_path: &str) -> Rc<RefCell<Explainer>> {
    let explainer = Rc::new(RefCell::new(Explainer::new(db_path)));
    let sink = explainer.clone();
    trace.subscribe(Box::new(move |event| sink.borrow_mut().observe(event)));
    explainer
}

#[cfg(test)]
mod tests;
