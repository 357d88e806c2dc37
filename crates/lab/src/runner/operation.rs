//! One client operation: write ids registered in the durability model in issue order, the
//! operation run against whichever writer is up, and its outcome recorded in the trace.
//!
//! A range delete takes one write id and registers it as a delete of every key it covers
//! (its width in keys of the key space, from the drawn key, cut at the key space's end); puts
//! and batch puts carry the workload's time-to-live, when it has one.
//!
//! The operation's task carries the operation's number as its origin (`Runtime::set_origin`),
//! so the store requests it sends (a read's GETs) name it in the trace; and a write is
//! applied first and made durable second, so that its event can carry its sequence number,
//! which the WAL object and the flush that carry it name too (`crate::explain` follows
//! these links).

use super::tombstones::RecentRangeDelete;
use super::world::{kind_name, InFlightGuard, SpawnWatch, World};
use crate::durability::Write;
use crate::workload::{self, DrawnOp, KeySpace, OneOrMany, OpKind};
use std::rc::Rc;
use strata_engine::{Db, ReadOptions, WriteBatch, WriteOptions};
use strata_sim::SimDuration;

impl World {
    /// Runs one drawn operation against the writer and records it.
    pub(super) async fn run_op(
        self: Rc<Self>,
        op: DrawnOp,
        _slot: InFlightGuard,
        mut watch: SpawnWatch,
    ) {
        watch.mark_started();
        let start = self.now();
        let name = op.kind.as_str();
        let keys = self.workload.keys.get();
        let await_durable = self.workload.await_durable.get();
        let ttl = self.workload.ttl_ms.get().map(SimDuration::from_millis);
        self.runtime.set_origin(self.workload.take_op_number());
        // Applied in memory first; made durable below when asked (see the module header).
        let write_options = WriteOptions {
            await_durable: false,
            ttl,
        };
        // The operation's first key, written once as text: the event's link and the key a
        // single-key operation sends, in the buffer of an earlier operation's key when the
        // trace has let one go.
        let linked_key = op
            .keys
            .first()
            .map(|key| {
                let mut text = self.runtime.spare_key();
                keys.write_key(&mut text, *key);
                text
            })
            .unwrap_or_default();
        // The keys the model hears about: a range delete's covered keys, else the drawn ones.
        let range_covered: Vec<u64>;
        let covered: &[u64] = match op.kind {
            OpKind::DeleteRange => {
                let width = self.workload.range_delete_width.get();
                range_covered = keys.range_indexes(op.keys[0], width).collect();
                &range_covered
            }
            _ => &op.keys,
        };
        // Write ids are taken and writes registered before the first await, in issue order.
        let mut write_ids = OneOrMany::default();
        let mut issued = OneOrMany::default();
        if op.kind.is_write() {
            let now = self.now();
            let write = match (op.kind.is_delete(), ttl) {
                (true, _) => Write::Delete,
                (false, Some(ttl)) => Write::PutWithTtl(ttl),
                (false, None) => Write::Put,
            };
            let range_id = (op.kind == OpKind::DeleteRange).then(|| self.take_write_id());
            let mut model = self.findings.model.borrow_mut();
            for key in covered {
                let id = range_id.unwrap_or_else(|| self.take_write_id());
                issued.push(model.issued(*key, id, write, now));
                write_ids.push(id);
            }
        }
        let Some(db) = self.writer_for_op().await else {
            let mut model = self.findings.model.borrow_mut();
            for write in &issued {
                model.failed(*write);
            }
            drop(model);
            self.push_error(name, "closed", "no writer is up".to_string());
            self.record_op_linked(name, 0, start, (false, false), linked_key, 0);
            return;
        };
        // The bytes, and for a write its sequence number.
        let result: Result<(u64, u64), strata_engine::Error> = match op.kind {
            OpKind::Put => {
                let key = linked_key.as_bytes();
                let value = self.workload.value(write_ids[0], op.value_bytes[0]);
                let bytes = (key.len() + value.len()) as u64;
                let result = db
                    .put(key, &value, write_options)
                    .await
                    .map(|()| (bytes, db.acknowledged_seq()));
                self.workload.spare_value(value);
                result
            }
            OpKind::Delete => {
                let key = linked_key.as_bytes();
                let bytes = key.len() as u64;
                db.delete(key, write_options)
                    .await
                    .map(|()| (bytes, db.acknowledged_seq()))
            }
            OpKind::DeleteRange => {
                let indexes =
                    keys.range_indexes(op.keys[0], self.workload.range_delete_width.get());
                let (start, end) = keys.byte_range(&indexes);
                let bytes = (start.len() + end.len()) as u64;
                // Nothing awaited since it returned: the watermark is its sequence number.
                let result = db
                    .delete_range(start.clone()..end.clone(), write_options)
                    .await
                    .map(|()| db.acknowledged_seq());
                if let Ok(seq) = result {
                    self.workload
                        .range_deleted(RecentRangeDelete { seq, start, end });
                }
                result.map(|seq| (bytes, seq))
            }
            OpKind::Batch => {
                let mut batch = WriteBatch::new();
                let mut bytes = 0u64;
                for ((key, id), len) in op.keys.iter().zip(&write_ids).zip(&op.value_bytes) {
                    let key = keys.key(*key);
                    let value = workload::value_for(*id, *len);
                    bytes += (key.len() + value.len()) as u64;
                    batch.put(key, value);
                }
                db.write(&batch, write_options)
                    .await
                    .map(|()| (bytes, db.acknowledged_seq()))
            }
            OpKind::Get => db
                .get(linked_key.as_bytes(), ReadOptions::default())
                .await
                .map(|value| (value.map_or(0, |v| v.len() as u64), 0)),
            OpKind::Scan => {
                let from = keys.key(op.keys[0]);
                // Boxed: a scan's state (its merging iterator's pending reads) is the largest
                // of any operation's, and inline every operation's future would carry it.
                Box::pin(scan_bytes(
                    &db,
                    from,
                    self.workload.scan_keys.get() as usize,
                ))
                .await
                .map(|bytes| (bytes, 0))
            }
        };
        // A write applied in memory has read its sequence number at once (nothing awaited in
        // between, so the acknowledged watermark is its own); with await-durable it now waits
        // for its WAL object, as the engine's `await_durable` would have. A write that fails
        // while waiting still fails, and its event does not name it.
        let result = match result {
            Ok((bytes, seq)) if op.kind.is_write() && await_durable => {
                db.wait_durable(seq).await.map(|()| (bytes, seq))
            }
            other => other,
        };
        match result {
            Ok((bytes, seq)) => {
                if op.kind.is_write() {
                    let mut model = self.findings.model.borrow_mut();
                    let now = self.now();
                    for write in &issued {
                        if await_durable {
                            model.acknowledged_durable(*write, now);
                        } else {
                            model.acknowledged_in_memory(*write, seq, now);
                        }
                    }
                    drop(model);
                    self.sync_watermark(&db);
                }
                self.record_op_linked(
                    name,
                    bytes,
                    start,
                    (true, op.kind.is_write() && await_durable),
                    linked_key,
                    seq,
                );
            }
            Err(error) => {
                {
                    let mut model = self.findings.model.borrow_mut();
                    for write in &issued {
                        model.failed(*write);
                    }
                }
                self.push_error(name, kind_name(error.kind()), error.to_string());
                self.record_op_linked(name, 0, start, (false, false), linked_key, 0);
            }
        }
    }
}

/// Reads up to `limit` entries from `from` on, returning the bytes seen.
async fn scan_bytes(db: &Db, from: Vec<u8>, limit: usize) -> Result<u64, strata_engine::Error> {
    // Stop at the end of the workload's keys, before anything else (the recommender's log).
    let mut iter = db.scan(from..KeySpace::end())?;
    let mut bytes = 0u64;
    let mut entries = 0usize;
    while entries < limit {
        match iter.next().await? {
            Some((key, value)) => {
                bytes += (key.len() + value.len()) as u64;
                entries += 1;
            }
            None => break,
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::super::world::{tiny, InFlightGuard};
    use crate::workload::{DrawnOp, OpKind};

    #[test]
    fn an_operation_with_no_writer_up_fails_as_closed_and_gives_its_slot_back() {
        let (sim, world) = tiny::world(&tiny::scenario());
        tiny::run_until(&sim, 100);
        world.crash_writer().unwrap();
        let slot = InFlightGuard::take(&world);
        assert_eq!(world.workload.in_flight.get(), 1);
        let op = DrawnOp {
            kind: OpKind::Put,
            keys: vec![3].into(),
            value_bytes: vec![16].into(),
        };
        world.spawn_op(op, slot);
        tiny::run_until(&sim, 200);
        assert_eq!(world.workload.in_flight.get(), 0);
        let errors = world.findings.recent_errors.borrow();
        let error = errors.back().unwrap();
        assert_eq!((error.op.as_str(), error.kind.as_str()), ("put", "closed"));
    }
}
