//! The compactor: performs the tasks the pure policy (`crate::compaction::plan`) chooses.
//!
//! One job: (1) GET every input SST whole (cause `compaction`); (2) merge them in key order,
//! newest source first, keeping the newest version of each key, dropping the keys a newer
//! source's range tombstone covers, cutting expired values to tombstones and, when nothing
//! older lies below (`task.bottom`), dropping tombstones of both kinds and expired values;
//! (3) write the output SSTs (about
//! `target_sst_bytes` each) with create-if-absent PUTs under ids that carry our epoch,
//! registered as uploading so GC leaves them alone; (4) commit through the manifest's
//! conditional write (`compaction::apply`); (5) install the new SST set for readers.
//!
//! Shadowed versions are dropped even while a snapshot is open: SSTs hold one version per
//! key, and a snapshot pins the SST set it was taken on, so GC keeps the compaction's inputs
//! until the snapshot closes. A fenced compactor fails at step 4 (its manifest write loses
//! the race and sees the newer epoch); a crashed one never reaches it. Either way its outputs
//! are in no manifest and GC deletes them once older than `gc_min_age`.
//!
//! Expiry is judged against the compactor's clock when the job merges; what it dropped is
//! counted (`Counters::expired_entries_dropped`, `expired_bytes_dropped`) and recorded as an
//! `ExpiredDropped` event once the job has committed.

use super::DbInner;
use crate::compaction::{self, CompactionOutcome, CompactionState, CompactionTask};
use crate::error::{Error, ErrorKind, Result};
use crate::format::block::is_expired;
use crate::format::manifest::SstInfo;
use crate::format::sst::{coalesce_ranges, ranges_cover, BuiltSst, SstBuilder, SstEntry, SstMeta};
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

/// One compaction source: an L0 SST, or a run's SSTs concatenated in key order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceData {
    /// Entries in strictly ascending key order.
    pub entries: Vec<SstEntry>,
    /// Range tombstones: they delete keys of older sources, never this source's entries.
    pub range_tombstones: Vec<(Bytes, Bytes)>,
}

/// What a merge produced, and what it dropped on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    pub entries: Vec<SstEntry>,
    /// Disjoint, ascending: the union of the inputs' range tombstones (none at the bottom).
    pub range_tombstones: Vec<(Bytes, Bytes)>,
    /// Expired values dropped (at the bottom) or cut to tombstones (above it), and the key
    /// and value bytes that freed.
    pub expired_entries_dropped: u64,
    pub expired_bytes_dropped: u64,
    /// Entries a newer source's range tombstone covered.
    pub range_covered_entries_dropped: u64,
    /// Range tombstones dropped because nothing older lies below.
    pub range_tombstones_dropped: u64,
}

/// Decodes every entry and range tombstone of a whole SST object.
pub(crate) fn decode_sst_entries(info: &SstInfo, bytes: &Bytes) -> Result<SourceData, String> {
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
    Ok(SourceData {
        entries: meta.decode_entries(bytes)?,
        range_tombstones: meta.range_tombstones,
    })
}

/// Merges sources given newest first: the newest version of each key, in key order. A key
/// that a newer source's range tombstone covers is dropped; a value expired at `now_ns` is
/// cut to a tombstone (it must go on hiding older versions below); and with `bottom`
/// (nothing older lies below the job) tombstones of both kinds and expired values vanish.
/// Pure, so tests and benchmarks call it directly.
pub fn merge_sources(sources: Vec<SourceData>, bottom: bool, now_ns: u64) -> Merged {
    let mut merged = Merged::default();
    // `newer_ranges[s]`: the union of the tombstones of every source newer than `s`.
    let mut newer_ranges: Vec<Vec<(Bytes, Bytes)>> = Vec::with_capacity(sources.len());
    let mut all_ranges: Vec<(Bytes, Bytes)> = Vec::new();
    let mut range_tombstones_in = 0u64;
    for source in &sources {
        newer_ranges.push(coalesce_ranges(all_ranges.clone()));
        all_ranges.extend_from_slice(&source.range_tombstones);
        range_tombstones_in += source.range_tombstones.len() as u64;
    }
    let all_ranges = coalesce_ranges(all_ranges);
    if bottom {
        merged.range_tombstones_dropped = range_tombstones_in;
    } else {
        merged.range_tombstones = all_ranges;
    }
    // Filled by a loop: a `map` and `collect` in place were instances of their own.
    let mut iters: Vec<std::vec::IntoIter<SstEntry>> = Vec::with_capacity(sources.len());
    for source in sources {
        iters.push(source.entries.into_iter());
    }
    // Min-heap on (key, source): equal keys pop newest source first.
    let mut heap: BinaryHeap<Reverse<(Bytes, usize, SstEntry)>> = BinaryHeap::new();
    for (source, iter) in iters.iter_mut().enumerate() {
        if let Some(entry) = iter.next() {
            heap.push(Reverse((entry.key.clone(), source, entry)));
        }
    }
    let mut last_key: Option<Bytes> = None;
    while let Some(Reverse((key, source, mut entry))) = heap.pop() {
        if let Some(next) = iters[source].next() {
            heap.push(Reverse((next.key.clone(), source, next)));
        }
        if last_key.as_ref() == Some(&key) {
            continue; // an older version of a key already emitted
        }
        last_key = Some(key.clone());
        if ranges_cover(&newer_ranges[source], &key) {
            merged.range_covered_entries_dropped += 1;
            continue;
        }
        if is_expired(entry.expires_at_ns, now_ns) {
            let value_len = entry.value.as_ref().map_or(0, Bytes::len) as u64;
            merged.expired_entries_dropped += 1;
            if bottom {
                merged.expired_bytes_dropped += key.len() as u64 + value_len;
                continue;
            }
            merged.expired_bytes_dropped += value_len;
            entry.value = None;
            entry.expires_at_ns = 0;
        }
        if entry.value.is_none() && bottom {
            continue;
        }
        merged.entries.push(entry);
    }
    assert!(
        merged
            .entries
            .windows(2)
            .all(|pair| pair[0].key < pair[1].key),
        "invariant: compaction output keys are strictly ascending"
    );
    assert!(
        !bottom
            || merged.range_tombstones.is_empty()
                && merged
                    .entries
                    .iter()
                    .all(|entry| entry.value.is_some() && !is_expired(entry.expires_at_ns, now_ns)),
        "invariant: a bottom-level compaction writes no tombstone and no expired value"
    );
    merged
}

/// Splits merged entries and range tombstones into SSTs of about `target_bytes` each. A
/// split falls only between keys that no range tombstone spans, and after the largest key a
/// tombstone of the finished SST names, so the outputs' key ranges stay disjoint (a run's
/// SSTs must not overlap).
pub fn build_outputs(
    merged: &Merged,
    target_bytes: u64,
    block_bytes: usize,
    bloom_bits_per_key: u32,
) -> Vec<BuiltSst> {
    let mut writer = OutputWriter {
        outputs: Vec::new(),
        builder: SstBuilder::new(block_bytes, bloom_bits_per_key),
        bytes_in_builder: 0,
        covered_through: None,
        target_bytes,
        block_bytes,
        bloom_bits_per_key,
    };
    let mut ranges = merged.range_tombstones.iter().peekable();
    for entry in &merged.entries {
        while let Some((start, end)) = ranges.next_if(|(start, _)| start <= &entry.key) {
            writer.add_range_tombstone(start, end);
        }
        writer.split_if_free(&entry.key);
        writer
            .builder
            .add_expiring(&entry.key, entry.value.as_deref(), entry.expires_at_ns)
            .expect("merged keys are non-empty, unique and ascending");
        writer.bytes_in_builder +=
            (entry.key.len() + entry.value.as_ref().map_or(0, Bytes::len) + 8) as u64;
    }
    for (start, end) in ranges {
        writer.add_range_tombstone(start, end);
    }
    let OutputWriter {
        mut outputs,
        builder,
        ..
    } = writer;
    outputs.extend(builder.finish());
    assert!(
        outputs
            .windows(2)
            .all(|pair| pair[0].last_key < pair[1].first_key),
        "invariant: compaction outputs have disjoint key ranges, in order"
    );
    outputs
}

/// The SSTs a compaction writes, filled in key order: the builder of the current one, its
/// size so far, and the largest key its range tombstones name (their ends, inclusive).
struct OutputWriter {
    outputs: Vec<BuiltSst>,
    builder: SstBuilder,
    bytes_in_builder: u64,
    covered_through: Option<Bytes>,
    target_bytes: u64,
    block_bytes: usize,
    bloom_bits_per_key: u32,
}

impl OutputWriter {
    /// Finishes the current SST before `next_key` if it is full and no tombstone of it spans
    /// `next_key`.
    fn split_if_free(&mut self, next_key: &[u8]) {
        let free = self
            .covered_through
            .as_ref()
            .is_none_or(|through| next_key > through.as_ref());
        if self.bytes_in_builder >= self.target_bytes && free {
            let fresh = SstBuilder::new(self.block_bytes, self.bloom_bits_per_key);
            let full = std::mem::replace(&mut self.builder, fresh);
            self.outputs.extend(full.finish());
            self.bytes_in_builder = 0;
            self.covered_through = None;
        }
    }

    fn add_range_tombstone(&mut self, start: &Bytes, end: &Bytes) {
        self.split_if_free(start);
        self.builder
            .add_range_tombstone(start, end)
            .expect("merged tombstones are valid");
        self.bytes_in_builder += (start.len() + end.len() + 8) as u64;
        self.covered_through = Some(end.clone());
    }
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
        // The inputs and the run each belongs to (none for an L0 SST), read in one borrow of
        // the manifest, so the job holds no copy of it across its reads.
        let (inputs, input_runs, job_id, max_seq, input_bytes) = {
            let mut state = self.state.borrow_mut();
            let manifest = state.manifest();
            let mut inputs: Vec<SstInfo> = Vec::new();
            let mut input_runs: Vec<Option<u64>> = Vec::new();
            let mut max_seq = 0;
            let mut input_bytes = 0u64;
            for sst in task.input_ssts(manifest) {
                max_seq = max_seq.max(sst.max_seq);
                input_bytes += sst.size_bytes;
                let run = manifest
                    .runs
                    .iter()
                    .find(|run| run.ssts.iter().any(|in_run| in_run.id == sst.id));
                input_runs.push(run.map(|run| run.id));
                inputs.push(sst.clone());
            }
            let job_id = state.next_compaction_job();
            (inputs, input_runs, job_id, max_seq, input_bytes)
        };
        self.runtime.record(EventKind::CompactionStarted {
            job_id,
            input_ssts: inputs.len() as u64,
            input_bytes,
        });

        // (1) Read. L0 SSTs are sources of their own (they overlap); a run's SSTs are
        // disjoint and in key order, so they concatenate into one source.
        let mut sources: Vec<SourceData> = Vec::new();
        let mut entries_read = 0u64;
        let mut current_run: Option<u64> = None;
        for (position, info) in inputs.iter().enumerate() {
            self.check_open()?;
            let key = self.paths.sst(info.id);
            let result = self
                .store
                .get(Cause::Compaction, &key, None)
                .await
                .map_err(|error| Error::store("compaction read", error))?;
            let decoded = match decode_sst_entries(info, &result.bytes) {
                Ok(decoded) => decoded,
                Err(reason) => return Err(self.quarantine(info.id, &key, reason)),
            };
            entries_read += decoded.entries.len() as u64;
            let run = input_runs[position];
            match (run, current_run, sources.last_mut()) {
                (Some(run), Some(current), Some(last)) if run == current => {
                    last.entries.extend(decoded.entries);
                    last.range_tombstones.extend(decoded.range_tombstones);
                }
                _ => sources.push(decoded),
            }
            current_run = run;
        }
        self.state.borrow_mut().counters.compaction_bytes_read += input_bytes;

        // (2) Merge and (3) write.
        let merged = merge_sources(sources, task.bottom, self.runtime.now().as_nanos());
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
        {
            let mut state = self.state.borrow_mut();
            let counters = &mut state.counters;
            counters.expired_entries_dropped += merged.expired_entries_dropped;
            counters.expired_bytes_dropped += merged.expired_bytes_dropped;
            counters.range_covered_entries_dropped += merged.range_covered_entries_dropped;
            counters.range_tombstones_dropped += merged.range_tombstones_dropped;
        }
        if merged.expired_entries_dropped > 0 {
            self.runtime.record(EventKind::ExpiredDropped {
                job_id,
                entries: merged.expired_entries_dropped,
                bytes: merged.expired_bytes_dropped,
            });
        }
        let report = CompactionReport {
            job_id,
            input_ssts: inputs.len() as u64,
            input_bytes,
            output_ssts: outputs.len() as u64,
            output_bytes,
            entries_read,
            entries_written: merged.entries.len() as u64,
            output_level: task.output_level,
            expired_entries_dropped: merged.expired_entries_dropped,
            expired_bytes_dropped: merged.expired_bytes_dropped,
            range_covered_entries_dropped: merged.range_covered_entries_dropped,
            range_tombstones_dropped: merged.range_tombstones_dropped,
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
        let mut ssts: Vec<SstInfo> = Vec::with_capacity(outputs.len());
        let mut committing: Vec<u64> = Vec::with_capacity(outputs.len());
        for (info, _) in outputs {
            committing.push(info.id);
            ssts.push(info.clone());
        }
        let conflict = Cell::new(None);
        self.update_manifest(&committing, &|manifest| {
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

    fn b(text: &str) -> Bytes {
        Bytes::copy_from_slice(text.as_bytes())
    }

    fn entries(items: &[(&str, Option<&str>)]) -> Vec<SstEntry> {
        items
            .iter()
            .map(|(key, value)| SstEntry {
                key: b(key),
                value: value.map(b),
                expires_at_ns: 0,
            })
            .collect()
    }

    fn source(items: &[(&str, Option<&str>)], ranges: &[(&str, &str)]) -> SourceData {
        SourceData {
            entries: entries(items),
            range_tombstones: ranges.iter().map(|(s, e)| (b(s), b(e))).collect(),
        }
    }

    #[test]
    fn merge_keeps_the_newest_version_and_drops_tombstones_only_at_the_bottom() {
        let newest = source(&[("a", Some("a2")), ("c", None)], &[]);
        let older = source(
            &[("a", Some("a1")), ("b", Some("b1")), ("c", Some("c1"))],
            &[],
        );
        let middle = merge_sources(vec![newest.clone(), older.clone()], false, 0);
        assert_eq!(
            middle.entries,
            entries(&[("a", Some("a2")), ("b", Some("b1")), ("c", None)])
        );
        let bottom = merge_sources(vec![newest, older], true, 0);
        assert_eq!(
            bottom.entries,
            entries(&[("a", Some("a2")), ("b", Some("b1"))])
        );
    }

    #[test]
    fn a_range_tombstone_drops_older_sources_keys_but_not_its_own_or_newer_ones() {
        let newest = source(&[("b", Some("new"))], &[]);
        let middle = source(&[("c", Some("own"))], &[("a", "d")]);
        let oldest = source(
            &[("a", Some("old")), ("b", Some("old")), ("d", Some("kept"))],
            &[],
        );
        let sources = vec![newest, middle, oldest];
        let merged = merge_sources(sources.clone(), false, 0);
        assert_eq!(
            merged.entries,
            entries(&[("b", Some("new")), ("c", Some("own")), ("d", Some("kept"))])
        );
        assert_eq!(
            merged.range_covered_entries_dropped, 1,
            "only a; b is shadowed"
        );
        assert_eq!(merged.range_tombstones, vec![(b("a"), b("d"))]);
        let bottom = merge_sources(sources, true, 0);
        assert!(bottom.range_tombstones.is_empty());
        assert_eq!(bottom.range_tombstones_dropped, 1);
        assert_eq!(bottom.entries.len(), 3);
    }

    #[test]
    fn an_expired_value_becomes_a_tombstone_above_the_bottom_and_vanishes_at_it() {
        let mut newest = source(&[("k", Some("value"))], &[]);
        newest.entries[0].expires_at_ns = 100;
        let older = source(&[("k", Some("older"))], &[]);
        let live = merge_sources(vec![newest.clone(), older.clone()], false, 99);
        assert_eq!(live.entries[0].value.as_deref(), Some(&b"value"[..]));
        assert_eq!(live.entries[0].expires_at_ns, 100);
        assert_eq!(live.expired_entries_dropped, 0);
        let middle = merge_sources(vec![newest.clone(), older.clone()], false, 100);
        assert_eq!(
            middle.entries,
            entries(&[("k", None)]),
            "it still hides older"
        );
        assert_eq!(
            (middle.expired_entries_dropped, middle.expired_bytes_dropped),
            (1, 5)
        );
        let bottom = merge_sources(vec![newest, older], true, 100);
        assert!(
            bottom.entries.is_empty(),
            "the older value must not reappear"
        );
        assert_eq!(
            (bottom.expired_entries_dropped, bottom.expired_bytes_dropped),
            (1, 6)
        );
    }

    #[test]
    fn outputs_never_split_inside_a_range_tombstone_and_stay_disjoint() {
        let merged = Merged {
            entries: (0..200)
                .map(|i| SstEntry {
                    key: Bytes::from(format!("key{i:05}")),
                    value: Some(Bytes::from(vec![b'v'; 100])),
                    expires_at_ns: 0,
                })
                .collect(),
            range_tombstones: vec![(b("key00010"), b("key00150")), (b("key00190"), b("zzz"))],
            ..Merged::default()
        };
        let outputs = build_outputs(&merged, 2_000, 4096, 10);
        assert!(outputs.len() >= 3, "{} outputs", outputs.len());
        for pair in outputs.windows(2) {
            assert!(
                pair[0].last_key < pair[1].first_key,
                "{:?} then {:?}",
                pair[0].last_key,
                pair[1].first_key
            );
        }
        assert_eq!(&outputs.last().unwrap().last_key[..], b"zzz");
        let tombstones: u64 = outputs.iter().map(|sst| sst.range_tombstones).sum();
        assert_eq!(tombstones, 2);
    }

    #[test]
    fn outputs_split_near_the_target_and_read_back() {
        let merged = Merged {
            entries: (0..1_000)
                .map(|i| SstEntry {
                    key: Bytes::from(format!("key{i:05}")),
                    value: Some(Bytes::from(vec![b'v'; 100])),
                    expires_at_ns: 0,
                })
                .collect(),
            ..Merged::default()
        };
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
            round_trip.extend(decode_sst_entries(&info, &sst.bytes).unwrap().entries);
        }
        assert_eq!(round_trip, merged.entries);
    }
}
