//! The compactor: performs the tasks the pure policy (`crate::compaction::plan`) chooses.
//!
//! One job: (1) GET every input SST whole (cause `compaction`); (2) merge them in key order,
//! newest source first, keeping the newest version of each key and, when nothing older lies
//! below (`task.bottom`), dropping tombstones; (3) write the output SSTs (about
//! `target_sst_bytes` each) with create-if-absent PUTs under ids that carry our epoch,
//! registered as uploading so GC leaves them alone; (4) commit through the manifest's
//! conditional write (`compaction::apply`); (5) install the new SST set for readers.
//!
//! Shadowed versions are dropped even while a snapshot is open: SSTs hold one version per
//! key, and a snapshot pins the SST set it was taken on, so GC keeps the compaction's inputs
//! until the snapshot closes. A fenced compactor fails at step 4 (its manifest write loses
//! the race and sees the newer epoch); a crashed one never reaches it. Either way its outputs
//! are in no manifest and GC deletes them once older than `gc_min_age`.

use super::DbInner;
use crate::compaction::{self, CompactionOutcome, CompactionState, CompactionTask};
use crate::error::{Error, ErrorKind, Result};
use crate::format::manifest::SstInfo;
use crate::format::sst::{BuiltSst, SstBuilder, SstMeta};
use crate::store::CreateOutcome;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use strata_sim::{Cause, EventKind};

/// The most times a failing compactor doubles its pause (64 × `flush_interval`).
const MAX_COMPACTION_BACKOFF_DOUBLINGS: u32 = 6;

/// What one finished compaction did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactionReport {
    pub job_id: u64,
    pub input_ssts: u64,
    pub input_bytes: u64,
    pub output_ssts: u64,
    pub output_bytes: u64,
    /// Entries read, and entries written after dropping shadowed versions and tombstones.
    pub entries_read: u64,
    pub entries_written: u64,
    pub output_level: u32,
    /// Expired entries dropped (or cut to a tombstone above the bottom) and the key and
    /// value bytes that freed.
    #[serde(default)]
    pub expired_entries_dropped: u64,
    #[serde(default)]
    pub expired_bytes_dropped: u64,
    /// Entries covered by a newer range tombstone of the job, dropped.
    #[serde(default)]
    pub range_covered_entries_dropped: u64,
    /// Range tombstones dropped at the bottom level.
    #[serde(default)]
    pub range_tombstones_dropped: u64,
}

/// One input SST's entries in key order.
type Entries = Vec<(Bytes, Option<Bytes>)>;

/// Decodes every entry of a whole SST object.
pub(crate) fn decode_sst_entries(info: &SstInfo, bytes: &Bytes) -> Result<Entries, String> {
    if bytes.len() as u64 != info.size_bytes {
        return Err(format!(
            "is {} bytes, the manifest says {}",
            bytes.len(),
            info.size_bytes
        ));
    }
    let meta = SstMeta::decode(
        &bytes[info.meta_offset as usize..],
        info.meta_offset,
        info.size_bytes,
    )?;
    meta.decode_entries(bytes)
}

/// Merges sources given newest first: the newest version of each key, in key order; with
/// `drop_tombstones`, deleted keys vanish. Pure, so tests and benchmarks call it directly.
pub fn merge_sources(sources: Vec<Entries>, drop_tombstones: bool) -> Entries {
    let mut iters: Vec<std::vec::IntoIter<(Bytes, Option<Bytes>)>> =
        sources.into_iter().map(Vec::into_iter).collect();
    // Min-heap on (key, source): equal keys pop newest source first.
    let mut heap: BinaryHeap<Reverse<(Bytes, usize, Option<Bytes>)>> = BinaryHeap::new();
    for (source, iter) in iters.iter_mut().enumerate() {
        if let Some((key, value)) = iter.next() {
            heap.push(Reverse((key, source, value)));
        }
    }
    let mut out: Entries = Vec::new();
    let mut last_key: Option<Bytes> = None;
    while let Some(Reverse((key, source, value))) = heap.pop() {
        if let Some((next_key, next_value)) = iters[source].next() {
            heap.push(Reverse((next_key, source, next_value)));
        }
        if last_key.as_ref() == Some(&key) {
            continue; // an older version of a key already emitted
        }
        last_key = Some(key.clone());
        if value.is_none() && drop_tombstones {
            continue;
        }
        out.push((key, value));
    }
    out
}

/// Splits merged entries into SSTs of about `target_bytes` each.
pub fn build_outputs(
    entries: &Entries,
    target_bytes: u64,
    block_bytes: usize,
    bloom_bits_per_key: u32,
) -> Vec<BuiltSst> {
    let mut outputs = Vec::new();
    let mut builder = SstBuilder::new(block_bytes, bloom_bits_per_key);
    let mut bytes_in_builder = 0u64;
    for (key, value) in entries {
        builder
            .add(key, value.as_deref())
            .expect("merged keys are non-empty, unique and ascending");
        bytes_in_builder += (key.len() + value.as_ref().map_or(0, Bytes::len) + 8) as u64;
        if bytes_in_builder >= target_bytes {
            let full = std::mem::replace(
                &mut builder,
                SstBuilder::new(block_bytes, bloom_bits_per_key),
            );
            outputs.extend(full.finish());
            bytes_in_builder = 0;
        }
    }
    outputs.extend(builder.finish());
    outputs
}

impl DbInner {
    /// The compaction the policy would start now, under the style in force.
    pub fn plan_compaction(&self) -> Option<CompactionTask> {
        let state = self.state.borrow();
        let style = self.compaction_style.borrow();
        compaction::plan(&CompactionState {
            style: &style,
            manifest: state.manifest(),
            quarantined: state.versions().quarantined(),
        })
    }

    /// Takes a corrupt input SST out of compaction planning, counts it and records it, and
    /// returns the `Corrupt` error the job fails with.
    fn quarantine(&self, id: u64, key: &str, reason: String) -> Error {
        {
            self.state.borrow_mut().quarantine(id);
        }
        self.runtime.record(EventKind::Note {
            text: format!(
                "compaction input {key} is corrupt ({reason}); quarantined from compaction"
            ),
        });
        Error::corrupt(key, reason)
    }

    /// Runs one compaction if the policy wants one. Returns its report, or `None`.
    pub async fn compact_once(&self) -> Result<Option<CompactionReport>> {
        let _guard = self.compaction_lock.lock().await;
        self.check_open()?;
        let Some(task) = self.plan_compaction() else {
            return Ok(None);
        };
        let result = self.run_compaction(&task).await;
        if result.is_err() {
            self.state.borrow_mut().counters.compaction_failures += 1;
        }
        result.map(Some)
    }

    async fn run_compaction(&self, task: &CompactionTask) -> Result<CompactionReport> {
        let (inputs, job_id, max_seq) = {
            let mut state = self.state.borrow_mut();
            let inputs: Vec<SstInfo> = task
                .input_ssts(state.manifest())
                .into_iter()
                .cloned()
                .collect();
            let job_id = state.next_compaction_job();
            let max_seq = inputs.iter().map(|sst| sst.max_seq).max().unwrap_or(0);
            (inputs, job_id, max_seq)
        };
        let input_bytes: u64 = inputs.iter().map(|sst| sst.size_bytes).sum();
        self.runtime.record(EventKind::CompactionStarted {
            job_id,
            input_ssts: inputs.len() as u64,
            input_bytes,
        });

        // (1) Read. L0 SSTs are sources of their own (they overlap); a run's SSTs are
        // disjoint and in key order, so they concatenate into one source.
        let mut sources: Vec<Entries> = Vec::new();
        let mut entries_read = 0u64;
        let state_manifest = self.state.borrow().manifest().clone();
        let run_of = |id: u64| {
            state_manifest
                .runs
                .iter()
                .find(|run| run.ssts.iter().any(|sst| sst.id == id))
                .map(|run| run.id)
        };
        let mut current_run: Option<u64> = None;
        for info in &inputs {
            self.check_open()?;
            let key = self.paths.sst(info.id);
            let result = self
                .store
                .get(Cause::Compaction, &key, None)
                .await
                .map_err(|error| Error::store("compaction read", error))?;
            let entries = match decode_sst_entries(info, &result.bytes) {
                Ok(entries) => entries,
                Err(reason) => return Err(self.quarantine(info.id, &key, reason)),
            };
            entries_read += entries.len() as u64;
            let run = run_of(info.id);
            match (run, current_run, sources.last_mut()) {
                (Some(run), Some(current), Some(last)) if run == current => last.extend(entries),
                _ => sources.push(entries),
            }
            current_run = run;
        }
        self.state.borrow_mut().counters.compaction_bytes_read += input_bytes;

        // (2) Merge and (3) write.
        let merged = merge_sources(sources, task.bottom);
        let built = build_outputs(
            &merged,
            self.options.compaction.target_sst_bytes,
            self.options.block_bytes,
            self.options.bloom_bits_per_key,
        );
        let mut outputs: Vec<(SstInfo, BuiltSst)> = Vec::with_capacity(built.len());
        let mut max_counter = 0;
        for sst in built {
            let (id, counter) = self.state.borrow_mut().begin_sst_upload();
            max_counter = max_counter.max(counter);
            let info = SstInfo {
                id,
                size_bytes: sst.bytes.len() as u64,
                meta_offset: sst.meta_offset,
                first_key: sst.first_key.clone(),
                last_key: sst.last_key.clone(),
                entries: sst.entries,
                max_seq,
            };
            outputs.push((info, sst));
        }
        let result = self
            .upload_and_commit_compaction(task, job_id, &outputs, max_counter)
            .await;
        {
            let mut state = self.state.borrow_mut();
            for (info, _) in &outputs {
                state.end_sst_upload(info.id);
            }
        }
        let output_bytes = result?;
        let report = CompactionReport {
            job_id,
            input_ssts: inputs.len() as u64,
            input_bytes,
            output_ssts: outputs.len() as u64,
            output_bytes,
            entries_read,
            entries_written: merged.len() as u64,
            output_level: task.output_level,
            expired_entries_dropped: 0,
            expired_bytes_dropped: 0,
            range_covered_entries_dropped: 0,
            range_tombstones_dropped: 0,
        };
        Ok(report)
    }

    async fn upload_and_commit_compaction(
        &self,
        task: &CompactionTask,
        job_id: u64,
        outputs: &[(SstInfo, BuiltSst)],
        max_counter: u64,
    ) -> Result<u64> {
        let mut output_bytes = 0;
        for (info, sst) in outputs {
            self.check_open()?;
            let key = self.paths.sst(info.id);
            let outcome = self
                .store
                .create(Cause::Compaction, &key, sst.bytes.clone())
                .await
                .map_err(|error| Error::store("compaction output upload", error))?;
            if outcome == CreateOutcome::Exists {
                return Err(Error::corrupt(&key, "an SST with our id already exists"));
            }
            output_bytes += info.size_bytes;
            self.state.borrow_mut().counters.compaction_bytes_written += info.size_bytes;
        }

        // (4) Commit. Our flushes only add L0 SSTs in front, so the inputs are still there
        // unless another writer took over (then the manifest write reports `Fenced`).
        let ssts: Vec<SstInfo> = outputs.iter().map(|(info, _)| info.clone()).collect();
        let committing: Vec<u64> = ssts.iter().map(|sst| sst.id).collect();
        let conflict = Cell::new(None);
        self.update_manifest(&committing, |manifest| {
            // Stamped per attempt: the inputs leave with the manifest that lands.
            let outcome = CompactionOutcome {
                ssts: ssts.clone(),
                max_sst_counter: max_counter,
                retired_at: self.runtime.now(),
            };
            if let Err(error) = compaction::apply(manifest, task, &outcome) {
                conflict.set(Some(error));
            }
        })
        .await?;
        if let Some(error) = conflict.take() {
            return Err(Error::Invalid(format!("compaction {job_id}: {error}")));
        }

        // (5) Install for readers, with the metadata we already have.
        // A metadata region that does not decode is left for the first read to fetch.
        let metas = outputs.iter().filter_map(|(info, sst)| {
            SstMeta::decode(
                &sst.bytes[sst.meta_offset as usize..],
                sst.meta_offset,
                sst.bytes.len() as u64,
            )
            .ok()
            .map(|meta| (info.id, meta))
        });
        self.state.borrow_mut().finish_compaction(metas);
        self.runtime.record(EventKind::CompactionFinished {
            job_id,
            output_ssts: outputs.len() as u64,
            output_bytes,
        });
        self.changed.notify_waiters();
        Ok(output_bytes)
    }

    /// Runs compactions until the policy wants none.
    pub async fn compact_until_idle(&self) -> Result<u64> {
        let mut jobs = 0;
        // Bounded: each job shrinks L0 or merges runs, so a few dozen reach a fixed point.
        for _ in 0..64 {
            match self.compact_once().await? {
                Some(_) => jobs += 1,
                None => return Ok(jobs),
            }
        }
        Ok(jobs)
    }

    /// The background compactor: waits for a kick (an SST was flushed, a write stalled, the
    /// style changed), then runs what the policy plans.
    /// A failed job backs off: `flush_interval` doubled per consecutive failure, up to
    /// `MAX_COMPACTION_BACKOFF_DOUBLINGS` doublings. A corrupt input does not loop at all: it
    /// is quarantined, so the next plan does not read it.
    pub async fn compaction_task(self: Rc<Self>) {
        let mut consecutive_failures = 0u32;
        loop {
            let kick = self.compaction_kick.notified();
            if self.check_open().is_err() {
                return;
            }
            match self.compact_once().await {
                Ok(Some(_)) => consecutive_failures = 0,
                Ok(None) => {
                    consecutive_failures = 0;
                    kick.await;
                }
                Err(error) => {
                    if matches!(error.kind(), ErrorKind::Fenced | ErrorKind::Closed) {
                        return;
                    }
                    let doublings = consecutive_failures.min(MAX_COMPACTION_BACKOFF_DOUBLINGS);
                    consecutive_failures = consecutive_failures.saturating_add(1);
                    let pause = self.options.flush_interval.saturating_mul(1 << doublings);
                    self.runtime.sleep(pause).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn entries(items: &[(&str, Option<&str>)]) -> Entries {
        items
            .iter()
            .map(|(key, value)| {
                (
                    Bytes::copy_from_slice(key.as_bytes()),
                    value.map(|v| Bytes::copy_from_slice(v.as_bytes())),
                )
            })
            .collect()
    }

    #[test]
    fn merge_keeps_the_newest_version_and_drops_tombstones_only_at_the_bottom() {
        let newest = entries(&[("a", Some("a2")), ("c", None)]);
        let older = entries(&[("a", Some("a1")), ("b", Some("b1")), ("c", Some("c1"))]);
        let middle = merge_sources(vec![newest.clone(), older.clone()], false);
        assert_eq!(
            middle,
            entries(&[("a", Some("a2")), ("b", Some("b1")), ("c", None)])
        );
        let bottom = merge_sources(vec![newest, older], true);
        assert_eq!(bottom, entries(&[("a", Some("a2")), ("b", Some("b1"))]));
    }

    #[test]
    fn outputs_split_near_the_target_and_read_back() {
        let merged: Entries = (0..1_000)
            .map(|i| {
                (
                    Bytes::from(format!("key{i:05}")),
                    Some(Bytes::from(vec![b'v'; 100])),
                )
            })
            .collect();
        let outputs = build_outputs(&merged, 20_000, 4096, 10);
        assert!(outputs.len() >= 5, "{} outputs", outputs.len());
        let mut round_trip = Vec::new();
        for (i, sst) in outputs.iter().enumerate() {
            let info = SstInfo {
                id: i as u64 + 1,
                size_bytes: sst.bytes.len() as u64,
                meta_offset: sst.meta_offset,
                first_key: sst.first_key.clone(),
                last_key: sst.last_key.clone(),
                entries: sst.entries,
                max_seq: 1,
            };
            round_trip.extend(decode_sst_entries(&info, &sst.bytes).unwrap());
        }
        assert_eq!(round_trip, merged);
    }
}
