//! Range scans: a merge of every source (memtables newest first, L0 SSTs newest first, then
//! sorted runs) into one ordered stream, newest version of each key, tombstones dropped.
//!
//! Deletes come in three forms: a tombstone entry, a value that has expired (it reads as a
//! tombstone from the view's instant on), and a range tombstone. A key's newest version
//! comes from the newest source that holds it; it is hidden when a range tombstone of a
//! *newer* source covers it (a source's own range tombstones delete only older sources'
//! keys; a memtable reports its own covered versions as tombstones).
//!
//! `ScanIter` is an async iterator (`next().await`). Memtables are copied out in bounded
//! chunks of `scan_chunk_entries`; SSTs are read one data block at a time through the block
//! cache. So a scan holds at most one chunk per memtable and one block per SST in memory,
//! however long the range. A scan reads at a fixed sequence number, like a snapshot.

use super::read::ReadFor;
use super::read::{ReadView, SstHandle, Version};
use super::snapshot::Registration;
use super::DbInner;
use crate::cache::CachedBlock;
use crate::error::Result;
use crate::format::sst::{coalesce_ranges, ranges_cover, SstMeta};
use crate::memtable::Memtable;
use bytes::Bytes;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::{Bound, RangeBounds};
use std::rc::Rc;

type Entry = (Bytes, Option<Bytes>);

fn owned_bound<K: AsRef<[u8]>>(bound: Bound<&K>) -> Bound<Bytes> {
    match bound {
        Bound::Included(key) => Bound::Included(Bytes::copy_from_slice(key.as_ref())),
        Bound::Excluded(key) => Bound::Excluded(Bytes::copy_from_slice(key.as_ref())),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn borrowed(bound: &Bound<Bytes>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(key) => Bound::Included(key.as_ref()),
        Bound::Excluded(key) => Bound::Excluded(key.as_ref()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// True when `key` lies beyond the end bound.
#[inline]
fn past_end(key: &[u8], end: &Bound<Bytes>) -> bool {
    match end {
        Bound::Included(last) => key > last.as_ref(),
        Bound::Excluded(limit) => key >= limit.as_ref(),
        Bound::Unbounded => false,
    }
}

/// True when `key` lies before the start bound.
#[inline]
fn before_start(key: &[u8], start: &Bound<Bytes>) -> bool {
    match start {
        Bound::Included(first) => key < first.as_ref(),
        Bound::Excluded(after) => key <= after.as_ref(),
        Bound::Unbounded => false,
    }
}

/// A memtable read in chunks.
struct MemSource {
    table: Rc<RefCell<Memtable>>,
    /// Its range tombstones visible at the scan's sequence number and overlapping its range:
    /// disjoint and ascending.
    ranges: Vec<(Bytes, Bytes)>,
    seq: u64,
    now_ns: u64,
    buffer: VecDeque<Entry>,
    /// Where the next chunk starts; `None` once the range is exhausted.
    resume: Option<Bound<Bytes>>,
    end: Bound<Bytes>,
    chunk_entries: usize,
    scratch: Vec<Entry>,
}

impl MemSource {
    fn fill(&mut self) {
        while self.buffer.is_empty() {
            let Some(start) = self.resume.take() else {
                return;
            };
            self.scratch.clear();
            let next = self.table.borrow().read_chunk(
                borrowed(&start),
                borrowed(&self.end),
                self.seq,
                self.now_ns,
                self.chunk_entries,
                &mut self.scratch,
            );
            self.buffer.extend(self.scratch.drain(..));
            self.resume = next.map(Bound::Included);
        }
    }
}

/// Where an SST source stands within its current SST.
struct SstCursor {
    handle: Rc<SstHandle>,
    meta: Rc<SstMeta>,
    block_index: usize,
    block: Rc<CachedBlock>,
    entry_index: usize,
}

/// One L0 SST, or a whole sorted run (SSTs in key order), read block by block.
struct SstSource {
    ssts: Vec<Rc<SstHandle>>,
    next_sst: usize,
    cursor: Option<SstCursor>,
    head: Option<Entry>,
    start: Bound<Bytes>,
    end: Bound<Bytes>,
    now_ns: u64,
    done: bool,
}

impl SstSource {
    async fn fill(&mut self, inner: &DbInner) -> Result<()> {
        while self.head.is_none() && !self.done {
            let Some(mut cursor) = self.cursor.take() else {
                self.open_next_sst(inner).await?;
                continue;
            };
            if cursor.entry_index < cursor.block.len() {
                let (key, value) = cursor.block.entry_at(cursor.entry_index, self.now_ns);
                cursor.entry_index += 1;
                if past_end(&key, &self.end) {
                    self.done = true;
                } else {
                    self.head = Some((key, value));
                    self.cursor = Some(cursor);
                }
                continue;
            }
            // This block is used up: the next one, if its keys can still be in range.
            let next_block = cursor.block_index + 1;
            let last_key_passed_end =
                past_end(&cursor.meta.index[cursor.block_index].last_key, &self.end);
            if next_block < cursor.meta.index.len() && !last_key_passed_end {
                cursor.block = inner
                    .sst_block(&cursor.handle, &cursor.meta, next_block, ReadFor::Scan)
                    .await?;
                cursor.block_index = next_block;
                cursor.entry_index = 0;
                self.cursor = Some(cursor);
            } else if last_key_passed_end {
                self.done = true;
            }
            // Otherwise the SST is exhausted; the loop opens the next one.
        }
        Ok(())
    }

    async fn open_next_sst(&mut self, inner: &DbInner) -> Result<()> {
        let Some(handle) = self.ssts.get(self.next_sst).cloned() else {
            self.done = true;
            return Ok(());
        };
        self.next_sst += 1;
        if past_end(&handle.info.first_key, &self.end) {
            // SSTs of a run are in key order, so no later one is in range either.
            self.done = true;
            return Ok(());
        }
        if before_start(&handle.info.last_key, &self.start) {
            return Ok(());
        }
        let meta = inner.sst_meta(&handle, ReadFor::Scan).await?;
        let block_index = match &self.start {
            Bound::Included(key) | Bound::Excluded(key) => match meta.block_for(key) {
                Some(index) => index,
                None => return Ok(()),
            },
            Bound::Unbounded => 0,
        };
        if block_index >= meta.index.len() {
            return Ok(());
        }
        let block = inner
            .sst_block(&handle, &meta, block_index, ReadFor::Scan)
            .await?;
        let mut entry_index = match &self.start {
            Bound::Included(key) | Bound::Excluded(key) => block.seek(key),
            Bound::Unbounded => 0,
        };
        if let Bound::Excluded(key) = &self.start {
            if entry_index < block.len() && block.entry(entry_index).key == key.as_ref() {
                entry_index += 1;
            }
        }
        self.cursor = Some(SstCursor {
            handle,
            meta,
            block_index,
            block,
            entry_index,
        });
        Ok(())
    }
}

enum Source {
    Mem(MemSource),
    Sst(SstSource),
}

impl Source {
    async fn fill(&mut self, inner: &DbInner) -> Result<()> {
        match self {
            Source::Mem(source) => {
                source.fill();
                Ok(())
            }
            Source::Sst(source) => source.fill(inner).await,
        }
    }

    #[inline]
    fn head_key(&self) -> Option<&Bytes> {
        match self {
            Source::Mem(source) => source.buffer.front().map(|(key, _)| key),
            Source::Sst(source) => source.head.as_ref().map(|(key, _)| key),
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<Entry> {
        match self {
            Source::Mem(source) => source.buffer.pop_front(),
            Source::Sst(source) => source.head.take(),
        }
    }
}

/// An ordered iterator over a key range at a fixed sequence number.
///
/// Call `next().await` until it returns `Ok(None)`. Holds its read view (and keeps the SSTs
/// it needs from garbage collection) until dropped.
pub struct ScanIter {
    inner: Rc<DbInner>,
    _registration: Rc<Registration>,
    /// The SST set the scan reads. Holding it is what keeps its SSTs from the collector,
    /// which keeps the SSTs of every version still held: the handles in `sources` alone are
    /// invisible to it, and a scan outlives the snapshot (or `Db::scan` call) it came from.
    _version: Rc<Version>,
    sources: Vec<Source>,
}

impl ScanIter {
    pub(crate) fn new<K: AsRef<[u8]>>(
        inner: Rc<DbInner>,
        registration: Rc<Registration>,
        view: &ReadView,
        range: impl RangeBounds<K>,
    ) -> ScanIter {
        let start = owned_bound(range.start_bound());
        let end = owned_bound(range.end_bound());
        let chunk_entries = inner.options.scan_chunk_entries;
        let mut sources = Vec::new();
        for table in &view.memtables {
            let ranges =
                table
                    .borrow()
                    .range_tombstones_in(borrowed(&start), borrowed(&end), view.seq);
            sources.push(Source::Mem(MemSource {
                table: table.clone(),
                ranges: coalesce_ranges(ranges),
                seq: view.seq,
                now_ns: view.now_ns,
                buffer: VecDeque::new(),
                resume: Some(start.clone()),
                end: end.clone(),
                chunk_entries,
                scratch: Vec::new(),
            }));
        }
        let sst_source = |ssts: Vec<Rc<SstHandle>>| {
            Source::Sst(SstSource {
                ssts,
                next_sst: 0,
                cursor: None,
                head: None,
                start: start.clone(),
                end: end.clone(),
                now_ns: view.now_ns,
                done: false,
            })
        };
        for handle in &view.version.l0 {
            sources.push(sst_source(vec![handle.clone()]));
        }
        for run in &view.version.runs {
            sources.push(sst_source(run.ssts.clone()));
        }
        ScanIter {
            inner,
            _registration: registration,
            _version: view.version.clone(),
            sources,
        }
    }

    /// Whether a range tombstone of a source newer than `source` deletes `key`: a memtable's
    /// from its list, an L0 SST's or a run's from each SST's metadata when asked.
    async fn range_deleted(&self, source: usize, key: &[u8]) -> Result<bool> {
        for newer in &self.sources[..source] {
            let deleted = match newer {
                Source::Mem(mem) => ranges_cover(&mem.ranges, key),
                Source::Sst(sst) => {
                    self.inner
                        .range_deleted_in(&sst.ssts, key, ReadFor::Scan)
                        .await?
                }
            };
            if deleted {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The next live key and value in order, or `None` at the end of the range.
    pub async fn next(&mut self) -> Result<Option<(Bytes, Bytes)>> {
        loop {
            for source in &mut self.sources {
                source.fill(&self.inner).await?;
            }
            // The smallest head key; on a tie the earlier (newer) source wins.
            let mut best: Option<usize> = None;
            for (index, source) in self.sources.iter().enumerate() {
                if let Some(key) = source.head_key() {
                    let better = match best {
                        None => true,
                        Some(b) => key < self.sources[b].head_key().expect("best has a head"),
                    };
                    if better {
                        best = Some(index);
                    }
                }
            }
            let Some(best) = best else {
                return Ok(None);
            };
            let (key, value) = self.sources[best].pop().expect("best has a head");
            for source in &mut self.sources {
                if source.head_key() == Some(&key) {
                    source.pop();
                }
            }
            if let Some(value) = value {
                if !self.range_deleted(best, &key).await? {
                    return Ok(Some((key, value)));
                }
            }
        }
    }

    /// Collects the rest of the scan (at most `limit` entries).
    pub async fn collect(mut self, limit: usize) -> Result<Vec<(Bytes, Bytes)>> {
        let mut out = Vec::new();
        while out.len() < limit {
            match self.next().await? {
                Some(entry) => out.push(entry),
                None => break,
            }
        }
        Ok(out)
    }
}
