//! The simulated store's state: its objects, the stored-bytes total, the request counts,
//! and the models, meters and schedules a request consults when it is sent.
//!
//! The object operations here run at a request's apply time. Each write numbers a new
//! version (its ETag), so an object's version and modification time only move forward;
//! the stored-bytes total moves with every write and delete and never underflows. What
//! holds across the whole state (the total equals the sum of the sizes, every request is
//! metered or in flight, the meters agree) is checked by `State::check`.

use super::cost::CostLedger;
use super::faults::{self, FaultError, FaultSchedule};
use super::latency::LatencyModel;
use super::stats::Aggregates;
use super::throttle::Throttle;
use super::{BitFlip, SimStoreConfig};
use crate::port::{ETag, GetResult, ListPage, ObjectMeta, PutMode, PutResult, StoreError};
use bytes::Bytes;
use std::ops::Range;
use strata_sim::maps::LiteMap;
use strata_sim::{SimRng, SimTime};

pub(super) struct StoredObject {
    pub(super) data: Bytes,
    pub(super) meta: ObjectMeta,
    /// The write that made this version (its ETag's number).
    version: u64,
}

pub(super) struct State {
    pub(super) config: SimStoreConfig,
    pub(super) model: LatencyModel,
    /// The objects by key, in key order: a [`LiteMap`] (a sorted vector) rather than a
    /// `BTreeMap`, whose code for this one key/value type was about 12 KB of the playground's
    /// wasm. A run's store holds a few thousand objects; each entry is a key and a box, so
    /// the entries an insert or a removal moves are 16 bytes each on wasm32 (32 natively).
    pub(super) objects: LiteMap<String, Box<StoredObject>>,
    pub(super) bytes_stored: u64,
    /// Writes so far; each write's ETag is its number, so ETags never repeat.
    pub(super) writes: u64,
    pub(super) latency_rng: SimRng,
    pub(super) fault_rng: SimRng,
    pub(super) throttle: Throttle,
    pub(super) faults: FaultSchedule,
    pub(super) ledger: CostLedger,
    pub(super) aggregates: Aggregates,
    /// Requests sent (refused ones included); each is metered once answered.
    pub(super) requests: u64,
    /// Requests sent and not yet answered.
    pub(super) in_flight: u64,
}

/// Converts an in-memory offset; objects in memory always fit in usize.
fn to_index(offset: u64) -> Result<usize, StoreError> {
    usize::try_from(offset)
        .map_err(|_| StoreError::InvalidRequest(format!("offset {offset} does not fit in memory")))
}

impl State {
    fn set_bytes_stored(&mut self, now: SimTime, bytes_stored: u64) {
        self.ledger
            .accrue_storage(now, self.bytes_stored, &self.config.pricing);
        self.bytes_stored = bytes_stored;
    }

    pub(super) fn put(
        &mut self,
        key: String,
        data: Bytes,
        mode: PutMode,
        now: SimTime,
    ) -> Result<PutResult, StoreError> {
        let existing = self.objects.get(&key);
        match (&mode, existing) {
            (PutMode::Overwrite, _) | (PutMode::CreateIfAbsent, None) => {}
            (PutMode::CreateIfAbsent, Some(_)) => return Err(StoreError::AlreadyExists { key }),
            (PutMode::UpdateIfMatch(expected), Some(object)) if object.meta.etag == *expected => {}
            // A missing object has no ETag to match.
            (PutMode::UpdateIfMatch(_), _) => return Err(StoreError::PreconditionFailed { key }),
        }
        let old_size = existing.map_or(0, |object| object.meta.size_bytes);
        let size = data.len() as u64;
        self.writes += 1;
        if let Some(object) = existing {
            assert!(
                object.version < self.writes && object.meta.last_modified <= now,
                "invariant: object {key}'s version and time only move forward (version {} at {:?}, then {} at {now:?})",
                object.version,
                object.meta.last_modified,
                self.writes
            );
        }
        let etag = ETag(format!("{:016x}", self.writes));
        assert!(
            old_size <= self.bytes_stored,
            "invariant: object {key} ({old_size} bytes) is within the {} bytes stored",
            self.bytes_stored
        );
        let new_total = self.bytes_stored - old_size + size;
        self.set_bytes_stored(now, new_total);
        let meta = ObjectMeta {
            key: key.clone(),
            size_bytes: size,
            etag: etag.clone(),
            last_modified: now,
        };
        let version = self.writes;
        self.objects.insert(
            key,
            Box::new(StoredObject {
                data,
                meta,
                version,
            }),
        );
        Ok(PutResult { etag })
    }

    pub(super) fn get(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<GetResult, StoreError> {
        let object = self.objects.get(key).ok_or_else(|| StoreError::NotFound {
            key: key.to_string(),
        })?;
        let size = object.meta.size_bytes;
        let range = range.unwrap_or(0..size);
        if range.start > range.end || range.end > size {
            return Err(StoreError::InvalidRequest(format!(
                "range {}..{} is not within the {size} bytes of {key}",
                range.start, range.end
            )));
        }
        let bytes = object
            .data
            .slice(to_index(range.start)?..to_index(range.end)?);
        Ok(GetResult {
            bytes,
            meta: object.meta.clone(),
            range,
        })
    }

    pub(super) fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        self.objects
            .get(key)
            .map(|object| object.meta.clone())
            .ok_or_else(|| StoreError::NotFound {
                key: key.to_string(),
            })
    }

    pub(super) fn list(&self, prefix: &str, page_token: Option<&str>, max_keys: usize) -> ListPage {
        // The page token is the last key of the previous page: resume strictly after it.
        let first = match page_token {
            Some(token) if token >= prefix => match self.objects.find_index(token) {
                Ok(at) => at + 1,
                Err(at) => at,
            },
            _ => self.objects.find_index(prefix).unwrap_or_else(|at| at),
        };
        // A loop over the matching keys, not `skip`, `take_while`, `take`, `map` and
        // `collect`, whose instances the page had for this page alone. `more`: a matching key
        // is left after a full page.
        let mut objects = Vec::new();
        let mut more = false;
        let mut at = first;
        while let Some((key, object)) = self.objects.get_indexed(at) {
            if !key.starts_with(prefix) {
                break;
            }
            if objects.len() == max_keys {
                more = true;
                break;
            }
            objects.push(object.meta.clone());
            at += 1;
        }
        let next_page_token = if more {
            objects.last().map(|meta| meta.key.clone())
        } else {
            None
        };
        ListPage {
            objects,
            next_page_token,
        }
    }

    pub(super) fn delete(&mut self, key: &str, now: SimTime) {
        if let Some(object) = self.objects.remove(key) {
            assert!(
                object.meta.size_bytes <= self.bytes_stored,
                "invariant: object {key} ({} bytes) is within the {} bytes stored",
                object.meta.size_bytes,
                self.bytes_stored
            );
            let new_total = self.bytes_stored - object.meta.size_bytes;
            self.set_bytes_stored(now, new_total);
        }
    }

    pub(super) fn flip_bit_of(
        &mut self,
        key: &str,
        bit: Option<u64>,
    ) -> Result<BitFlip, FaultError> {
        let object = self
            .objects
            .get_mut(key)
            .ok_or_else(|| FaultError::ObjectNotFound(key.to_string()))?;
        let size_bits = object.meta.size_bytes.saturating_mul(8);
        if size_bits == 0 {
            return Err(FaultError::EmptyObject(key.to_string()));
        }
        let bit = match bit {
            Some(bit) if bit >= size_bits => {
                return Err(FaultError::BitOutOfRange {
                    key: key.to_string(),
                    bit,
                    size_bits,
                })
            }
            Some(bit) => bit,
            None => self.fault_rng.below(size_bits),
        };
        object.data = Bytes::from(faults::flip_bit(&object.data, bit));
        Ok(BitFlip {
            key: key.to_string(),
            bit,
        })
    }

    /// A request was sent: it is in flight until it is answered.
    pub(super) fn request_sent(&mut self) {
        self.requests += 1;
        self.in_flight += 1;
    }

    /// A request in flight was answered.
    pub(super) fn request_answered(&mut self) {
        assert!(
            self.in_flight > 0,
            "invariant: a request is answered only while in flight ({} of {} sent)",
            self.in_flight,
            self.requests
        );
        self.in_flight -= 1;
    }

    /// Asserts what holds between requests: the stored bytes are the sum of the objects'
    /// sizes, every request sent is metered or in flight, and the meters by operation, cause
    /// and prefix (and the cost ledger's totals) agree. Linear in objects and prefixes, so it
    /// runs where the state is read as a whole (`SimStore::stats`), not on every request.
    pub(super) fn check(&self) {
        // Summed by a loop over the objects by index (`get_indexed`, which the list page uses
        // too), not `values`, `map` and `sum`, whose instance the page had for this alone.
        let mut stored: u64 = 0;
        let mut at = 0;
        while let Some((_, object)) = self.objects.get_indexed(at) {
            stored += object.meta.size_bytes;
            at += 1;
        }
        assert_eq!(
            stored, self.bytes_stored,
            "invariant: the bytes stored are the sum of the objects' sizes"
        );
        let metered = self.aggregates.check();
        assert_eq!(
            metered + self.in_flight,
            self.requests,
            "invariant: every request sent is metered or in flight"
        );
        self.ledger.check();
        if self.ledger.request_picousd_total < u64::MAX {
            assert_eq!(
                self.aggregates.cost_picousd(),
                u128::from(self.ledger.request_picousd_total),
                "invariant: the ledger bills what the meters metered"
            );
        }
        self.throttle.check();
    }
}

#[cfg(test)]
mod tests {
    //! Each whole-state invariant holds after real traffic and fires on a broken state.
    use super::super::{SimStore, SimStoreConfig};
    use crate::port::{ObjectStore, PutMode};
    use bytes::Bytes;
    use strata_sim::{Cause, Sim, SimTime};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A store after a few writes, a delete and a rejected request, all answered.
    fn store_after_traffic() -> (Sim, SimStore) {
        let sim = Sim::new(3);
        let store = SimStore::new(sim.handle(), SimStoreConfig::s3_standard());
        let client = store.clone();
        sim.block_on(async move {
            for (key, len) in [("a/1", 10), ("a/2", 20), ("b/1", 30), ("a/1", 5)] {
                client
                    .put(
                        Cause::Wal,
                        key,
                        Bytes::from(vec![7; len]),
                        PutMode::Overwrite,
                    )
                    .await
                    .expect("put");
            }
            client.delete(Cause::Gc, "a/2").await.expect("delete");
            let empty_key = client.head(Cause::Read, "").await;
            assert!(empty_key.is_err(), "an empty key is refused");
        })
        .expect("finishes");
        (sim, store)
    }

    #[test]
    fn the_state_after_traffic_is_sound() {
        let (_sim, store) = store_after_traffic();
        let stats = store.stats();
        assert_eq!(stats.bytes_stored, 35);
        assert_eq!(stats.requests, 6);
        assert_eq!(stats.in_flight, 0);
    }

    #[test]
    #[should_panic(expected = "invariant: the bytes stored are the sum of the objects' sizes")]
    fn a_stored_total_off_by_one_fires() {
        let (_sim, store) = store_after_traffic();
        store.inner.state.borrow_mut().bytes_stored += 1;
        store.stats();
    }

    #[test]
    #[should_panic(expected = "invariant: every request sent is metered or in flight")]
    fn a_request_neither_metered_nor_in_flight_fires() {
        let (_sim, store) = store_after_traffic();
        store.inner.state.borrow_mut().requests += 1;
        store.stats();
    }

    #[test]
    #[should_panic(expected = "invariant: a request is answered only while in flight")]
    fn answering_with_nothing_in_flight_fires() {
        let (_sim, store) = store_after_traffic();
        store.inner.state.borrow_mut().request_answered();
    }

    #[test]
    #[should_panic(expected = "invariant: the ledger bills what the meters metered")]
    fn a_charge_the_meters_never_saw_fires() {
        let (_sim, store) = store_after_traffic();
        let mut state = store.inner.state.borrow_mut();
        let at = SimTime::from_secs(3600);
        state.ledger.charge(
            at,
            Cause::Wal,
            "a",
            1,
            strata_sim::SimDuration::from_secs(60),
        );
        state.check();
    }

    #[test]
    #[should_panic(expected = "invariant: object a/1's version and time only move forward")]
    fn a_write_dated_before_the_object_fires() {
        let (_sim, store) = store_after_traffic();
        let mut state = store.inner.state.borrow_mut();
        let _refused_or_panicked = state.put(
            "a/1".to_string(),
            Bytes::from_static(b"x"),
            PutMode::Overwrite,
            SimTime::ZERO,
        );
    }
}
