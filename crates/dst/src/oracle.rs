//! The oracles: what must hold at every instant of a run, and the failure they report.
//!
//! **Register model.** Every write of the workload gets a unique id and a value that names
//! it (`v{id}:…`), so a value read back says exactly which write produced it. Per key, the
//! model keeps every write and the instant its durable acknowledgement arrived. A read that
//! started at `t` by a process that must see the writes acknowledged before some cut-off
//! returns the newest such write `D`, or any write issued after `D` (writes in flight and
//! unacknowledged ones may be visible or not), and never a value no one wrote to that key.
//!
//! **Range deletes and expiry.** A range delete is one write id recorded as a delete of every
//! key it covers. A put with a time-to-live expires at an instant the engine stamps between
//! the put's issue and its return, so: its value must not be read by a read that started
//! after the put returned plus the TTL (a resurrection), and a read that finished after its
//! issue plus the TTL may find the key absent. An expired put hides older values like a
//! tombstone, so it never lets a value older than the newest durable write through.
//!
//! **Corruption.** Bit flips are caught by checksums, so after one the engine may fail a read
//! or an open with `Corrupt`, and must otherwise still obey the register model. A
//! checksum-valid corruption (a structured mutation re-sealed with a valid CRC) can change
//! what the engine believes was written, so once one is applied the model only requires that
//! nothing panics, errors are typed, and a value returned for a key is one that was written to
//! that key: an older value, or none, is tolerated; a value never written is not.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use strata_sim::{SimDuration, SimTime};

/// Which oracle failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Oracle {
    /// A read missed an acknowledged-durable write, or returned a value never written.
    Register,
    /// The latest manifest names an object the store does not hold.
    ManifestObjects,
    /// A replica went backwards or showed data that was never durable.
    Replica,
    /// A recovered policy differs from what its checkpoint and log hold.
    Checkpoint,
    /// The engine returned an error kind the world cannot cause (e.g. `Invalid`, or
    /// `Corrupt` with no corruption injected).
    UnexpectedError,
    /// A panic or a failed assertion anywhere in the run.
    Panic,
    /// A bound was exceeded (tasks, memtables, the run's own time budget).
    Bound,
    /// A test-only oracle, planted to show that the shrinker shrinks.
    Planted,
}

/// A broken oracle: which, when, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub oracle: Oracle,
    pub at: SimTime,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} at {}: {}", self.oracle, self.at, self.message)
    }
}

/// One write of one key.
#[derive(Clone, Debug)]
pub struct WriteRecord {
    pub id: u64,
    /// `None` for a delete.
    pub value: Option<Vec<u8>>,
    /// The process (writer id) that issued it.
    pub process: u32,
    /// When its durable acknowledgement arrived.
    pub durable_at: Option<SimTime>,
    /// The put's time-to-live, if it has one.
    pub ttl: Option<SimDuration>,
    /// When it was issued, and when it returned successfully (durable or not), if it did.
    pub issued_at: SimTime,
    pub returned_at: Option<SimTime>,
}

impl WriteRecord {
    /// Whether this put may have expired by `at` (the engine stamped its expiry no earlier
    /// than its issue).
    fn may_have_expired_by(&self, at: SimTime) -> bool {
        self.ttl
            .is_some_and(|ttl| at >= self.issued_at.saturating_add(ttl))
    }

    /// Whether this put has surely expired by `at` (the engine stamped its expiry no later
    /// than its return).
    fn surely_expired_by(&self, at: SimTime) -> bool {
        match (self.ttl, self.returned_at) {
            (Some(ttl), Some(returned)) => at > returned.saturating_add(ttl),
            _ => false,
        }
    }
}

/// When a read ran: it saw the engine at some instant between the two.
#[derive(Clone, Copy, Debug)]
pub struct ReadTime {
    pub started: SimTime,
    pub finished: SimTime,
}

/// Who is reading, and so which acknowledged writes it must see.
#[derive(Clone, Copy, Debug)]
pub struct Visibility {
    /// Every write acknowledged durable strictly before this instant must be seen.
    pub everyone_before: SimTime,
    /// And the reading process's own writes acknowledged before `own_before`.
    pub own: Option<(u32, SimTime)>,
}

/// The per-key register model.
#[derive(Default)]
pub struct Register {
    writes: BTreeMap<Vec<u8>, Vec<WriteRecord>>,
    next_id: u64,
    /// Set once a checksum-valid corruption was applied.
    pub resealed_corruption: bool,
    /// Writes issued, and reads checked.
    pub writes_issued: u64,
    pub reads_checked: u64,
}

/// The value that names write `id`: `v{id}:` then `pad_bytes` filler bytes.
pub fn value_of(id: u64, pad_bytes: usize) -> Vec<u8> {
    let mut value = format!("v{id}:").into_bytes();
    value.extend(std::iter::repeat_n(b'x', pad_bytes));
    value
}

/// The write id a value names, if it is one of ours.
pub fn id_of(value: &[u8]) -> Option<u64> {
    let rest = value.strip_prefix(b"v")?;
    let end = rest.iter().position(|&b| b == b':')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

impl Register {
    /// Records a write about to be issued at `at` (a put with `ttl` expires).
    pub fn issue(
        &mut self,
        key: &[u8],
        value: Option<Vec<u8>>,
        id: u64,
        process: u32,
        ttl: Option<SimDuration>,
        at: SimTime,
    ) {
        self.writes_issued += 1;
        self.writes
            .entry(key.to_vec())
            .or_default()
            .push(WriteRecord {
                id,
                ttl: ttl.filter(|_| value.is_some()),
                value,
                process,
                durable_at: None,
                issued_at: at,
                returned_at: None,
            });
    }

    /// Marks the writes `ids` of `keys` returned successfully at `at` (not yet known durable).
    pub fn returned(&mut self, writes: &[(Vec<u8>, u64)], at: SimTime) {
        for (key, id) in writes {
            if let Some(record) = self
                .writes
                .get_mut(key)
                .and_then(|list| list.iter_mut().find(|w| w.id == *id))
            {
                record.returned_at.get_or_insert(at);
            }
        }
    }

    /// A fresh write id.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Marks the writes `ids` of `keys` acknowledged durable at `at`.
    pub fn acknowledge(&mut self, writes: &[(Vec<u8>, u64)], at: SimTime) {
        for (key, id) in writes {
            if let Some(record) = self
                .writes
                .get_mut(key)
                .and_then(|list| list.iter_mut().find(|w| w.id == *id))
            {
                record.durable_at.get_or_insert(at);
                // A durable acknowledgement is also a return, unless it returned earlier.
                record.returned_at.get_or_insert(at);
            }
        }
    }

    /// Checks one read of `key` that returned `got`, run during `time`.
    pub fn check_read(
        &mut self,
        key: &[u8],
        got: Option<&[u8]>,
        visibility: Visibility,
        time: ReadTime,
    ) -> Result<(), String> {
        self.reads_checked += 1;
        let empty = Vec::new();
        let writes = self.writes.get(key).unwrap_or(&empty);
        let must_see = |w: &&WriteRecord| match w.durable_at {
            Some(at) => {
                at < visibility.everyone_before
                    || matches!(visibility.own, Some((process, before)) if process == w.process && at < before)
            }
            None => false,
        };
        let newest_durable = writes.iter().filter(must_see).max_by_key(|w| w.id);
        let key_text = String::from_utf8_lossy(key);
        match got {
            Some(value) => {
                let written = id_of(value).and_then(|id| writes.iter().find(|w| w.id == id));
                let Some(written) = written else {
                    return Err(format!(
                        "{key_text} returned {:?}, which was never written to it",
                        String::from_utf8_lossy(&value[..value.len().min(40)])
                    ));
                };
                if written.value.as_deref() != Some(value) {
                    return Err(format!(
                        "{key_text} returned a changed value of write {}",
                        written.id
                    ));
                }
                if self.resealed_corruption {
                    return Ok(());
                }
                if written.surely_expired_by(time.started) {
                    return Err(format!(
                        "{key_text} returned write {} (writer {}), which expired at the latest {} after it returned at {}, before the read started at {}",
                        written.id,
                        written.process,
                        written.ttl.expect("only puts with a TTL expire"),
                        written.returned_at.expect("only returned puts surely expire"),
                        time.started
                    ));
                }
                match newest_durable {
                    Some(durable) if written.id < durable.id => Err(format!(
                        "{key_text} returned write {} (writer {}), but write {} (writer {}) was acknowledged durable at {}",
                        written.id,
                        written.process,
                        durable.id,
                        durable.process,
                        durable.durable_at.expect("filtered on durable")
                    )),
                    _ => Ok(()),
                }
            }
            None => {
                if self.resealed_corruption {
                    return Ok(());
                }
                match newest_durable {
                    Some(durable)
                        if durable.value.is_some()
                            && !writes.iter().any(|w| {
                                (w.id > durable.id && w.value.is_none())
                                    || (w.id >= durable.id && w.may_have_expired_by(time.finished))
                            }) =>
                    {
                        Err(format!(
                            "{key_text} is missing, but write {} (writer {}) was acknowledged durable at {}",
                            durable.id,
                            durable.process,
                            durable.durable_at.expect("filtered on durable")
                        ))
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// Whether `key` may have lost write `id` by `at`: a delete (or covering range delete)
    /// was issued after it, or it or a later put has a TTL that may have passed.
    pub fn may_be_gone_after(&self, key: &[u8], id: u64, at: SimTime) -> bool {
        self.writes.get(key).is_some_and(|list| {
            list.iter().any(|w| {
                (w.id > id && w.value.is_none()) || (w.id >= id && w.may_have_expired_by(at))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn everyone(before_ms: u64) -> Visibility {
        Visibility {
            everyone_before: SimTime::from_millis(before_ms),
            own: None,
        }
    }

    /// A read that ran at `ms`.
    fn at(ms: u64) -> ReadTime {
        ReadTime {
            started: SimTime::from_millis(ms),
            finished: SimTime::from_millis(ms),
        }
    }

    #[test]
    fn a_read_must_see_the_newest_durable_write_or_a_later_one() {
        let mut model = Register::default();
        let key = b"k".as_slice();
        let (a, b, c) = (model.next_id(), model.next_id(), model.next_id());
        for id in [a, b, c] {
            model.issue(key, Some(value_of(id, 3)), id, 0, None, SimTime::ZERO);
        }
        model.acknowledge(&[(key.to_vec(), b)], SimTime::from_millis(10));
        assert!(model
            .check_read(key, Some(&value_of(a, 3)), everyone(5), at(5))
            .is_ok());
        assert!(model
            .check_read(key, Some(&value_of(a, 3)), everyone(11), at(11))
            .is_err());
        assert!(model
            .check_read(key, Some(&value_of(b, 3)), everyone(11), at(11))
            .is_ok());
        assert!(model
            .check_read(key, Some(&value_of(c, 3)), everyone(11), at(11))
            .is_ok());
        assert!(model.check_read(key, None, everyone(11), at(11)).is_err());
        assert!(model
            .check_read(key, Some(&value_of(99, 3)), everyone(11), at(11))
            .is_err());
        model.resealed_corruption = true;
        assert!(model.check_read(key, None, everyone(11), at(11)).is_ok());
        assert!(model
            .check_read(key, Some(&value_of(a, 3)), everyone(11), at(11))
            .is_ok());
        assert!(model
            .check_read(key, Some(&value_of(99, 3)), everyone(11), at(11))
            .is_err());
    }

    #[test]
    fn a_later_delete_lets_a_key_be_missing() {
        let mut model = Register::default();
        let key = b"k".as_slice();
        let (a, b) = (model.next_id(), model.next_id());
        model.issue(key, Some(value_of(a, 0)), a, 0, None, SimTime::ZERO);
        model.issue(key, None, b, 0, None, SimTime::ZERO);
        model.acknowledge(&[(key.to_vec(), a)], SimTime::from_millis(1));
        assert!(model.check_read(key, None, everyone(2), at(2)).is_ok());
    }

    #[test]
    fn a_range_delete_lets_every_covered_key_be_missing_and_an_old_value_back_is_caught() {
        let mut model = Register::default();
        let keys: Vec<Vec<u8>> = (0..3).map(|i| format!("k{i}").into_bytes()).collect();
        for key in &keys {
            let id = model.next_id();
            model.issue(key, Some(value_of(id, 0)), id, 0, None, SimTime::ZERO);
            model.acknowledge(&[(key.clone(), id)], SimTime::from_millis(1));
        }
        // One range delete over k0..k2 (not k2), durable at 5 ms.
        let range = model.next_id();
        for key in &keys[..2] {
            model.issue(key, None, range, 0, None, SimTime::from_millis(2));
        }
        let covered: Vec<(Vec<u8>, u64)> = keys[..2].iter().map(|k| (k.clone(), range)).collect();
        model.acknowledge(&covered, SimTime::from_millis(5));
        assert!(model.check_read(&keys[0], None, everyone(6), at(6)).is_ok());
        assert!(model
            .check_read(&keys[1], Some(&value_of(2, 0)), everyone(6), at(6))
            .is_err());
        assert!(model
            .check_read(&keys[2], None, everyone(6), at(6))
            .is_err());
    }

    #[test]
    fn an_expired_value_read_back_is_caught_and_an_expired_key_may_be_missing() {
        let mut model = Register::default();
        let key = b"k".as_slice();
        let (old, ttl_put) = (model.next_id(), model.next_id());
        model.issue(key, Some(value_of(old, 0)), old, 0, None, SimTime::ZERO);
        model.acknowledge(&[(key.to_vec(), old)], SimTime::from_millis(1));
        let ttl = Some(SimDuration::from_millis(100));
        let issued = SimTime::from_millis(10);
        model.issue(key, Some(value_of(ttl_put, 0)), ttl_put, 0, ttl, issued);
        model.acknowledge(&[(key.to_vec(), ttl_put)], SimTime::from_millis(20));
        // Before the earliest expiry (110 ms) the value must be there.
        let value = value_of(ttl_put, 0);
        assert!(model
            .check_read(key, Some(&value), everyone(50), at(50))
            .is_ok());
        assert!(model.check_read(key, None, everyone(50), at(50)).is_err());
        // Between 110 and 120 ms either is right.
        assert!(model
            .check_read(key, Some(&value), everyone(115), at(115))
            .is_ok());
        assert!(model.check_read(key, None, everyone(115), at(115)).is_ok());
        // After 120 ms the value is a resurrection, and so is the older one behind it.
        assert!(model
            .check_read(key, Some(&value), everyone(130), at(130))
            .is_err());
        assert!(model
            .check_read(key, Some(&value_of(old, 0)), everyone(130), at(130))
            .is_err());
        assert!(model.check_read(key, None, everyone(130), at(130)).is_ok());
        assert!(model.may_be_gone_after(key, ttl_put, SimTime::from_millis(110)));
        assert!(!model.may_be_gone_after(key, ttl_put, SimTime::from_millis(109)));
    }
}
