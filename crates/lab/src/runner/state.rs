//! The run's shared state, split by concern. Each part owns its transitions and asserts its
//! invariants where it changes (in release builds too):
//! - [`WriterSide`]: which writer is up, the options the next one opens with, the zombie
//!   after a takeover, the read replica;
//! - [`WorkloadSide`]: the generator and the settings operations read, the in-flight slots,
//!   the write ids;
//! - [`Findings`]: what the run found out: the durability model, lost keys, client errors,
//!   refused tasks;
//! - [`RecommenderSide`]: the recommender loop and what its logging did.

use super::tombstones::{RecentRangeDelete, MAX_RECENT_RANGE_DELETES};
use super::{ClientError, MAX_LOST_EXAMPLES, MAX_RECENT_ERRORS};
use crate::durability::DurabilityModel;
use crate::scenario::WorkloadSpec;
use crate::workload::{self, KeySpace, OpGenerator};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use strata_engine::{Db, DbOptions, Reader};
use strata_recommender::log::{LogStats, RecommenderLoop};
use strata_sim::sync::Notify;

/// Where the writer is, with the handle when it is up.
pub(super) enum WriterSlot {
    Up(Rc<Db>),
    Opening,
    Down,
}

/// The engine side of the run.
pub(super) struct WriterSide {
    pub(super) options: RefCell<DbOptions>,
    /// Bumped whenever `options` changes, so an open that started before a change can tell.
    pub(super) options_version: Cell<u64>,
    pub(super) writer: RefCell<WriterSlot>,
    pub(super) writer_changed: Notify,
    /// The old writer after a takeover, until the run ends.
    pub(super) zombie: RefCell<Option<Rc<Db>>>,
    /// Writers opened so far (the first, recoveries, restarts, takeovers).
    pub(super) opens: Cell<u64>,
    /// The read replica, when the scenario asks for one (opened at the start of the run).
    pub(super) reader: RefCell<Option<Rc<Reader>>>,
}

impl WriterSide {
    pub(super) fn new(options: DbOptions) -> WriterSide {
        WriterSide {
            options: RefCell::new(options),
            options_version: Cell::new(0),
            // The director opens the first writer as soon as the run starts: until then it is
            // opening, not down (nothing has crashed).
            writer: RefCell::new(WriterSlot::Opening),
            writer_changed: Notify::new(),
            zombie: RefCell::new(None),
            opens: Cell::new(0),
            reader: RefCell::new(None),
        }
    }

    /// Moves the writer to `slot` and wakes whoever waits for it.
    pub(super) fn set(&self, slot: WriterSlot) {
        let mut current = self.writer.borrow_mut();
        if let (WriterSlot::Up(old), WriterSlot::Up(new)) = (&*current, &slot) {
            assert!(
                !Rc::ptr_eq(old, new),
                "a writer comes up once: a new writer is a new handle"
            );
        }
        if let (WriterSlot::Up(new), Some(zombie)) = (&slot, &*self.zombie.borrow()) {
            assert!(
                !Rc::ptr_eq(new, zombie),
                "the fenced writer never serves again"
            );
        }
        *current = slot;
        drop(current);
        self.writer_changed.notify_waiters();
    }

    /// New options for the next open.
    pub(super) fn set_options(&self, options: DbOptions) {
        *self.options.borrow_mut() = options;
        self.options_version.set(self.options_version.get() + 1);
    }

    /// Counts a writer that opened.
    pub(super) fn opened(&self) {
        self.opens.set(self.opens.get() + 1);
    }

    /// Keeps the read replica once it has opened (it opens once a run).
    pub(super) fn set_reader(&self, reader: Reader) {
        let mut slot = self.reader.borrow_mut();
        assert!(slot.is_none(), "the read replica opens once");
        *slot = Some(Rc::new(reader));
    }

    /// Keeps the writer a takeover replaced, until the run ends. (Two takeovers started
    /// before either finished both replace the same old writer: the record stays that one.)
    pub(super) fn set_zombie(&self, old: Rc<Db>) {
        let mut zombie = self.zombie.borrow_mut();
        if let Some(current) = &*zombie {
            assert!(Rc::ptr_eq(current, &old), "a run has one zombie");
        }
        *zombie = Some(old);
    }
}

/// The workload side of the run.
pub(super) struct WorkloadSide {
    pub(super) generator: RefCell<OpGenerator>,
    pub(super) await_durable: Cell<bool>,
    /// The workload's key space (its key format and count).
    pub(super) keys: Cell<KeySpace>,
    pub(super) scan_keys: Cell<u32>,
    /// Keys a range delete covers.
    pub(super) range_delete_width: Cell<u32>,
    /// The time-to-live of puts, in milliseconds.
    pub(super) ttl_ms: Cell<Option<u64>>,
    pub(super) max_in_flight: Cell<u32>,
    pub(super) workload_changed: Notify,
    pub(super) in_flight: Cell<u32>,
    pub(super) in_flight_changed: Notify,
    pub(super) next_write_id: Cell<u64>,
    /// The last range deletes acknowledged, with their sequence numbers (at most
    /// `MAX_RECENT_RANGE_DELETES`), to show which memtable holds them.
    pub(super) recent_range_deletes: RefCell<VecDeque<RecentRangeDelete>>,
    /// The next client operation's number, its tasks' origin in the trace (from 1).
    pub(super) next_op_number: Cell<u64>,
    /// Buffers of finished puts' values, for the next puts to write theirs into (at most
    /// `MAX_SPARE_VALUES`): an allocation and a free fewer per put.
    spare_values: RefCell<Vec<Vec<u8>>>,
}

/// Value buffers kept for reuse; more are freed.
const MAX_SPARE_VALUES: usize = 64;

impl WorkloadSide {
    pub(super) fn new(workload: &WorkloadSpec, generator: OpGenerator) -> WorkloadSide {
        WorkloadSide {
            generator: RefCell::new(generator),
            await_durable: Cell::new(workload.await_durable),
            keys: Cell::new(KeySpace::of(workload)),
            scan_keys: Cell::new(workload.scan_keys),
            range_delete_width: Cell::new(workload.range_delete_width),
            ttl_ms: Cell::new(workload.ttl_ms),
            max_in_flight: Cell::new(workload.max_in_flight),
            workload_changed: Notify::new(),
            in_flight: Cell::new(0),
            in_flight_changed: Notify::new(),
            next_write_id: Cell::new(1),
            recent_range_deletes: RefCell::new(VecDeque::new()),
            next_op_number: Cell::new(1),
            spare_values: RefCell::new(Vec::new()),
        }
    }

    /// A put's value (`workload::value_for`), in a spare buffer when there is one.
    pub(super) fn value(&self, write_id: u64, len: u64) -> Vec<u8> {
        let mut value = self.spare_values.borrow_mut().pop().unwrap_or_default();
        workload::write_value(&mut value, write_id, len);
        value
    }

    /// Keeps a put's value buffer for the next put.
    pub(super) fn spare_value(&self, value: Vec<u8>) {
        let mut spares = self.spare_values.borrow_mut();
        if spares.len() < MAX_SPARE_VALUES {
            spares.push(value);
        }
    }

    /// New settings, from the next arrival on.
    pub(super) fn set(&self, workload: WorkloadSpec) {
        self.await_durable.set(workload.await_durable);
        self.keys.set(KeySpace::of(&workload));
        self.scan_keys.set(workload.scan_keys);
        self.range_delete_width.set(workload.range_delete_width);
        self.ttl_ms.set(workload.ttl_ms);
        self.max_in_flight.set(workload.max_in_flight);
        self.generator.borrow_mut().set_spec(workload);
        self.workload_changed.notify_waiters();
        self.in_flight_changed.notify_waiters();
    }

    /// Takes an in-flight slot (see `InFlightGuard`).
    pub(super) fn take_slot(&self) {
        let in_flight = self.in_flight.get();
        assert!(in_flight < u32::MAX, "in-flight operations are bounded");
        self.in_flight.set(in_flight + 1);
    }

    /// Gives a slot back and wakes the generator.
    pub(super) fn give_slot(&self) {
        let in_flight = self.in_flight.get();
        assert!(in_flight > 0, "an in-flight slot is given back only once");
        self.in_flight.set(in_flight - 1);
        self.in_flight_changed.notify_waiters();
    }

    /// Remembers an acknowledged range delete, dropping the oldest past the bound.
    pub(super) fn range_deleted(&self, delete: RecentRangeDelete) {
        let mut recent = self.recent_range_deletes.borrow_mut();
        if recent.len() == MAX_RECENT_RANGE_DELETES {
            recent.pop_front();
        }
        recent.push_back(delete);
        assert!(
            recent.len() <= MAX_RECENT_RANGE_DELETES,
            "recent range deletes are bounded"
        );
    }

    /// The next client operation's number: numbers start at 1 and increase with every
    /// operation run.
    pub(super) fn take_op_number(&self) -> u64 {
        let number = self.next_op_number.get();
        assert!(
            number > 0 && number < u64::MAX,
            "operation numbers increase from 1"
        );
        self.next_op_number.set(number + 1);
        number
    }

    /// The next write id: ids start at 1 and increase with every write issued.
    pub(super) fn take_write_id(&self) -> u64 {
        let id = self.next_write_id.get();
        assert!(id > 0 && id < u64::MAX, "write ids increase from 1");
        self.next_write_id.set(id + 1);
        id
    }
}

/// What the run found out.
pub(super) struct Findings {
    pub(super) model: RefCell<DurabilityModel>,
    /// At most [`MAX_LOST_EXAMPLES`].
    pub(super) lost_examples: RefCell<Vec<String>>,
    /// Read-backs that showed a value a durable delete, a covering durable range delete or an
    /// expiry had removed (named among the lost examples). Kept here rather than in the
    /// trace's durability-check events, whose encoding the run hash covers.
    pub(super) resurrected: Cell<u64>,
    /// At most [`MAX_RECENT_ERRORS`], oldest first.
    pub(super) recent_errors: RefCell<VecDeque<ClientError>>,
    /// Tasks the runtime refused at its task limit (see `SpawnWatch`).
    pub(super) tasks_refused: Cell<u64>,
}

impl Findings {
    pub(super) fn new() -> Findings {
        Findings {
            model: RefCell::new(DurabilityModel::new()),
            lost_examples: RefCell::new(Vec::new()),
            resurrected: Cell::new(0),
            recent_errors: RefCell::new(VecDeque::new()),
            tasks_refused: Cell::new(0),
        }
    }

    /// Keeps a client error, dropping the oldest past [`MAX_RECENT_ERRORS`].
    pub(super) fn push_error(&self, error: ClientError) {
        let mut errors = self.recent_errors.borrow_mut();
        if errors.len() == MAX_RECENT_ERRORS {
            errors.pop_front();
        }
        errors.push_back(error);
        assert!(
            errors.len() <= MAX_RECENT_ERRORS,
            "recent errors are bounded"
        );
    }

    /// Names a lost key, while fewer than [`MAX_LOST_EXAMPLES`] are named.
    pub(super) fn push_lost_example(&self, example: String) {
        let mut examples = self.lost_examples.borrow_mut();
        if examples.len() < MAX_LOST_EXAMPLES {
            examples.push(example);
        }
    }

    /// Counts a read-back that showed a removed value.
    pub(super) fn resurrection_found(&self) {
        let resurrected = self.resurrected.get();
        assert!(resurrected < u64::MAX, "resurrections are counted");
        self.resurrected.set(resurrected + 1);
    }

    /// Counts a task the runtime refused.
    pub(super) fn task_refused(&self) {
        self.tasks_refused.set(self.tasks_refused.get() + 1);
    }
}

/// The recommender side of the run.
pub(super) struct RecommenderSide {
    /// The loop, when the scenario runs one.
    pub(super) looped: Option<RefCell<RecommenderLoop>>,
    /// What every logger of the loop wrote, together.
    pub(super) log: Cell<LogStats>,
    /// Steps whose log write failed or found no writer up.
    pub(super) log_failures: Cell<u64>,
}

impl RecommenderSide {
    pub(super) fn new(looped: Option<RecommenderLoop>) -> RecommenderSide {
        RecommenderSide {
            looped: looped.map(RefCell::new),
            log: Cell::new(LogStats::default()),
            log_failures: Cell::new(0),
        }
    }

    /// Counts a step whose log write failed.
    pub(super) fn log_failed(&self) {
        self.log_failures.set(self.log_failures.get() + 1);
    }

    /// The loggers' totals after a write: they only grow.
    pub(super) fn set_log(&self, stats: LogStats) {
        let before = self.log.get();
        assert!(
            stats.impressions_logged >= before.impressions_logged
                && stats.checkpoints_written >= before.checkpoints_written,
            "the log's totals only grow"
        );
        self.log.set(stats);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use strata_sim::{RngStreams, SimTime};

    fn workload_side() -> WorkloadSide {
        let spec = WorkloadSpec::default();
        let generator = OpGenerator::new(spec.clone(), RngStreams::new(1).stream("test"));
        WorkloadSide::new(&spec, generator)
    }

    #[test]
    fn findings_keep_the_latest_errors_and_the_first_lost_keys_within_their_bounds() {
        let findings = Findings::new();
        for index in 0..(MAX_RECENT_ERRORS + 5) {
            findings.push_error(ClientError {
                at: SimTime::ZERO,
                op: "put".to_string(),
                kind: "closed".to_string(),
                message: index.to_string(),
            });
            findings.push_lost_example(index.to_string());
        }
        let errors = findings.recent_errors.borrow();
        assert_eq!(errors.len(), MAX_RECENT_ERRORS);
        assert_eq!(errors.front().unwrap().message, "5");
        let examples = findings.lost_examples.borrow();
        assert_eq!(examples.len(), MAX_LOST_EXAMPLES);
        assert_eq!(examples.first().unwrap(), "0");
    }

    #[test]
    fn write_ids_count_up_from_one_and_slots_come_back() {
        let workload = workload_side();
        assert_eq!([workload.take_write_id(), workload.take_write_id()], [1, 2]);
        workload.take_slot();
        workload.take_slot();
        workload.give_slot();
        assert_eq!(workload.in_flight.get(), 1);
    }

    // A failed assertion aborts a wasm32 test run, so the refusals are checked natively.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    #[should_panic(expected = "given back only once")]
    fn a_slot_given_back_twice_is_refused() {
        let workload = workload_side();
        workload.take_slot();
        workload.give_slot();
        workload.give_slot();
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    #[should_panic(expected = "the log's totals only grow")]
    fn the_recommender_log_totals_never_shrink() {
        let side = RecommenderSide::new(None);
        side.set_log(LogStats {
            impressions_logged: 5,
            ..LogStats::default()
        });
        side.set_log(LogStats::default());
    }
}
