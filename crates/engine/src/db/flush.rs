//! The memtable flusher: writes the oldest frozen memtable to a new L0 SST, commits it to
//! the manifest, and retires the memtable and the WAL objects it made obsolete.
//!
//! Order of a flush: (1) upload the WAL through the memtable's last write, so an SST never
//! holds a write the WAL does not; (2) build the SST; (3) upload it under a name no other
//! writer can use (the id carries our epoch), registered as "uploading" so GC leaves it
//! alone; (4) commit the manifest (`policy::apply`); (5) swap the memtable for the SST in
//! the read path. A crash between (3) and (4) leaves an orphan SST, which GC removes once
//! it is older than `gc_min_age`.

use super::DbInner;
use crate::error::{Error, ErrorKind, Result};
use crate::format::manifest::SstInfo;
use crate::format::sst::{BuiltSst, SstBuilder, SstMeta};
use crate::memtable::Memtable;
use crate::policy::{self, FlushOutcome, FlushTask};
use crate::store::CreateOutcome;
use std::rc::Rc;
use strata_sim::{Cause, EventKind};

/// Writes a memtable's newest version of every key, and its range deletes, into an SST. A
/// key whose newest version a range delete of the same memtable covers is left out: the
/// SST's range tombstones then delete only keys of older SSTs, which is what a reader of the
/// SST assumes.
pub(crate) fn build_sst(
    table: &Memtable,
    block_bytes: usize,
    bloom_bits_per_key: u32,
) -> Option<BuiltSst> {
    let mut builder = SstBuilder::new(block_bytes, bloom_bits_per_key);
    // The table charges each key its bytes plus `KEY_OVERHEAD_BYTES`; in the SST a key
    // takes its bytes plus about eight (two varints and its offset).
    let keys = table.key_count();
    builder.reserve(
        table
            .size_bytes()
            .saturating_sub(keys * (crate::memtable::KEY_OVERHEAD_BYTES - 8)),
        keys,
    );
    for (key, value, expires_at_ns) in table.flush_entries() {
        builder
            .add_expiring(key, value.map(|v| v.as_ref()), expires_at_ns)
            .expect("memtable keys are non-empty, unique and sorted");
    }
    for tombstone in table.range_tombstones() {
        builder
            .add_range_tombstone(&tombstone.start, &tombstone.end)
            .expect("memtable range deletes have start below end");
    }
    builder.finish()
}

impl DbInner {
    /// Flushes the oldest frozen memtable. Returns false when there is none.
    pub async fn flush_oldest_immutable(&self) -> Result<bool> {
        let _guard = self.flush_lock.lock().await;
        let table = {
            let mut state = self.state.borrow_mut();
            state.check_open()?;
            let Some(table) = state.begin_flush() else {
                return Ok(false);
            };
            table
        };
        let result = self.flush_memtable(&table).await;
        self.state.borrow_mut().end_flush();
        result.map(|()| true)
    }

    async fn flush_memtable(&self, table: &Rc<std::cell::RefCell<Memtable>>) -> Result<()> {
        let (memtable_id, min_seq, max_seq) = {
            let table = table.borrow();
            (table.id(), table.seq_range().0, table.max_seq())
        };
        self.runtime.record(EventKind::FlushStarted {
            memtable_id,
            min_seq,
            max_seq,
        });
        self.flush_wal_through(max_seq).await?;

        let built = build_sst(
            &table.borrow(),
            self.options.block_bytes,
            self.options.bloom_bits_per_key,
        )
        .ok_or_else(|| Error::Invalid("an empty memtable was frozen".to_string()))?;
        let (id, counter) = self.state.borrow_mut().begin_sst_upload();
        let result = self
            .upload_and_commit(&built, id, counter, memtable_id, max_seq)
            .await;
        self.state.borrow_mut().end_sst_upload(id);
        result
    }

    async fn upload_and_commit(
        &self,
        built: &BuiltSst,
        id: u64,
        counter: u64,
        memtable_id: u64,
        max_seq: u64,
    ) -> Result<()> {
        let key = self.paths.sst(id);
        self.check_open()?;
        let outcome = self
            .store
            .create(Cause::Flush, &key, built.bytes.clone())
            .await
            .map_err(|error| Error::store("SST upload", error))?;
        if outcome == CreateOutcome::Exists {
            return Err(Error::corrupt(&key, "an SST with our id already exists"));
        }
        let info = SstInfo {
            id,
            size_bytes: built.bytes.len() as u64,
            meta_offset: built.meta_offset,
            first_key: built.first_key.clone(),
            last_key: built.last_key.clone(),
            entries: built.entries,
            max_seq,
        };
        let wal_replay_from = self.state.borrow().wal().replay_from_after_flush(max_seq);
        let task = FlushTask::FlushMemtable {
            memtable_id,
            max_seq,
        };
        let flush_outcome = FlushOutcome {
            sst: info,
            flushed_seq: max_seq,
            wal_replay_from,
            sst_counter: counter,
        };
        self.update_manifest(&[id], &|manifest| {
            policy::apply(manifest, &task, &flush_outcome)
        })
        .await?;

        let meta = SstMeta::decode(
            &built.bytes[built.meta_offset as usize..],
            built.meta_offset,
            built.bytes.len() as u64,
        )
        .map_err(|reason| Error::corrupt(&key, reason))?;
        self.state
            .borrow_mut()
            .finish_flush(memtable_id, id, meta, built.bytes.len() as u64);
        self.runtime.record(EventKind::FlushFinished {
            memtable_id,
            sst_id: id,
            bytes: built.bytes.len() as u64,
        });
        self.changed.notify_waiters();
        self.compaction_kick.notify_waiters();
        Ok(())
    }

    /// Freezes the active memtable and flushes every memtable frozen up to now.
    pub async fn flush_all_memtables(&self) -> Result<()> {
        let last_id = {
            let mut state = self.state.borrow_mut();
            state.check_open()?;
            state.freeze_active(&self.runtime);
            state.memtables().newest_immutable_id()
        };
        let Some(last_id) = last_id else {
            return Ok(());
        };
        loop {
            let oldest = self.state.borrow().memtables().oldest_immutable_id();
            match oldest {
                Some(id) if id <= last_id => {
                    self.flush_oldest_immutable().await?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// The background flusher: asks the policy (`policy::plan_memtable`) what to do, and
    /// flushes frozen memtables oldest first as they appear.
    pub async fn flush_task(self: Rc<Self>) {
        loop {
            let kick = self.flush_kick.notified();
            if self.check_open().is_err() {
                return;
            }
            let task = policy::plan_memtable(&self.flush_view());
            let result = match task {
                Some(FlushTask::FreezeMemtable) => {
                    self.state.borrow_mut().freeze_active(&self.runtime);
                    Ok(true)
                }
                Some(FlushTask::FlushMemtable { .. }) => self.flush_oldest_immutable().await,
                Some(FlushTask::UploadWal) | None => {
                    kick.await;
                    continue;
                }
            };
            if let Err(error) = result {
                if matches!(error.kind(), ErrorKind::Fenced | ErrorKind::Closed) {
                    return;
                }
                // The store is failing: pause before trying again.
                self.runtime.sleep(self.options.flush_interval).await;
            }
        }
    }
}
