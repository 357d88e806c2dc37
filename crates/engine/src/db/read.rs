//! The read path below the memtables: the current set of SSTs (`Version`), per-SST cached
//! metadata, block fetches through the block cache, and point lookups newest first.
//!
//! An SST's meta region (index, bloom filter, footer) is fetched with one ranged GET the
//! first time the SST is read and kept on its handle for as long as the SST is live; data
//! blocks are fetched with ranged GETs, one block at a time, and cached.

use super::{DbInner, DbStatus};
use crate::cache::CachedBlock;
use crate::codec::{key_cmp, key_prefix_pair};
use crate::error::{Error, Result};
use crate::format::block::Block;
use crate::format::bloom::key_hash;
use crate::format::manifest::{Manifest, SstInfo};
use crate::format::sst::SstMeta;
use crate::memtable::Memtable;
use bytes::Bytes;
use std::cell::{OnceCell, RefCell};
use std::cmp::Ordering;
use std::rc::{Rc, Weak};
use strata_objstore::StoreError;
use strata_sim::{Cause, LocalBoxFuture};

/// One live SST and its metadata, once fetched.
#[derive(Debug)]
pub(crate) struct SstHandle {
    pub info: SstInfo,
    /// The `key_prefix_pair`s of the SST's first and last keys, which decide
    /// [`SstHandle::covers`] for a key whose prefix differs from both.
    range_prefixes: ((u64, u64), (u64, u64)),
    /// The SST's object key, formatted the first time the SST is read: a block fetch then
    /// formats no path.
    object_key: OnceCell<String>,
    meta: RefCell<Option<Rc<SstMeta>>>,
    /// Weak references to this SST's blocks in the block cache, by block number: a cache hit
    /// is an index and an upgrade. Bounded by the SST's block count.
    blocks: RefCell<Vec<Weak<CachedBlock>>>,
}

impl SstHandle {
    pub fn new(info: SstInfo) -> Self {
        SstHandle {
            range_prefixes: (
                key_prefix_pair(&info.first_key),
                key_prefix_pair(&info.last_key),
            ),
            info,
            object_key: OnceCell::new(),
            meta: RefCell::new(None),
            blocks: RefCell::new(Vec::new()),
        }
    }

    /// Whether the SST's key range holds `key`, whose `key_prefix_pair` is `prefix`: what
    /// [`SstInfo::covers`] says, with the bytes of the range's ends read only when a prefix
    /// ties. A point read asks this of every L0 SST, and the two comparisons of the keys'
    /// bytes were 1.2 % of the reference run's instructions (docs/benchmarks.md).
    #[inline]
    fn covers(&self, key: &[u8], prefix: (u64, u64)) -> bool {
        let (first, last) = self.range_prefixes;
        let from_first = match first.cmp(&prefix) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => key_cmp(&self.info.first_key, key) != Ordering::Greater,
        };
        from_first
            && match prefix.cmp(&last) {
                Ordering::Less => true,
                Ordering::Greater => false,
                Ordering::Equal => key_cmp(key, &self.info.last_key) != Ordering::Greater,
            }
    }

    #[inline]
    fn cached_block(&self, index: usize) -> Option<Rc<CachedBlock>> {
        self.blocks.borrow().get(index).and_then(Weak::upgrade)
    }

    fn remember_block(&self, index: usize, block_count: usize, block: &Rc<CachedBlock>) {
        let mut blocks = self.blocks.borrow_mut();
        if blocks.len() < block_count {
            blocks.resize_with(block_count, Weak::new);
        }
        if let Some(slot) = blocks.get_mut(index) {
            *slot = Rc::downgrade(block);
        }
    }

    /// Installs metadata the engine already has (the flush that wrote the SST).
    pub fn set_meta(&self, meta: SstMeta) {
        *self.meta.borrow_mut() = Some(Rc::new(meta));
    }

    fn cached_meta(&self) -> Option<Rc<SstMeta>> {
        self.meta.borrow().clone()
    }

    fn object_key(&self, paths: &crate::paths::Paths) -> &str {
        self.object_key.get_or_init(|| paths.sst(self.info.id))
    }

    /// What this SST's cached metadata alone says about `key` (whose `key_hash` is `hash`),
    /// with no I/O: `Settled` when the bloom filter rules the key out (a delete if one of the
    /// SST's range tombstones covers it), `Read` when the metadata is not fetched yet or the
    /// key may be in a block. The bloom skip is counted in `skips`.
    #[inline]
    fn probe(&self, key: &[u8], hash: u64, skips: &mut u64) -> Probe {
        let meta = self.meta.borrow();
        let Some(meta) = meta.as_ref() else {
            return Probe::Read { filtered: false };
        };
        if meta.bloom.may_contain_hash(hash) {
            return Probe::Read { filtered: true };
        }
        *skips += 1;
        Probe::Settled(meta.range_deleted(key).then_some(None))
    }
}

/// The answer of [`SstHandle::probe`].
enum Probe {
    /// The SST's answer, as [`DbInner::sst_get`] would give it.
    Settled(Option<Option<Bytes>>),
    /// The answer needs the SST's metadata fetched or one of its blocks read; `filtered` when
    /// the bloom filter of the cached metadata has already let the key through.
    Read { filtered: bool },
}

/// A sorted run of SST handles.
#[derive(Debug)]
pub(crate) struct RunHandle {
    pub ssts: Vec<Rc<SstHandle>>,
}

impl RunHandle {
    fn sst_for(&self, key: &[u8], prefix: (u64, u64)) -> Option<&Rc<SstHandle>> {
        let position = self
            .ssts
            .partition_point(|sst| sst.info.last_key.as_ref() < key);
        self.ssts
            .get(position)
            .filter(|sst| sst.covers(key, prefix))
    }
}

/// The SSTs that make up the database at one manifest: L0 newest first, then runs.
#[derive(Debug)]
pub(crate) struct Version {
    pub l0: Vec<Rc<SstHandle>>,
    pub runs: Vec<RunHandle>,
}

impl Version {
    pub fn empty() -> Self {
        Version {
            l0: Vec::new(),
            runs: Vec::new(),
        }
    }

    /// The version for `manifest`, reusing `previous`'s handles (and their cached metadata)
    /// for SSTs both share.
    pub fn from_manifest(manifest: &Manifest, previous: &Version) -> Self {
        // The previous handles in SST id order, each taken at most once, found by binary
        // search: a sorted list rather than a `BTreeMap<u64, Rc<SstHandle>>`, which was a
        // B-tree type of its own in the playground's wasm. SST ids are unique in a version.
        let previous = previous.handles();
        let order = strata_sim::maps::stable_order(previous.iter().map(|h| h.info.id));
        let mut known: Vec<(u64, Option<Rc<SstHandle>>)> = Vec::with_capacity(order.len());
        for at in order {
            known.push((previous[at].info.id, Some(previous[at].clone())));
        }
        let mut handle = |info: &SstInfo| {
            known
                .binary_search_by_key(&info.id, |(id, _)| *id)
                .ok()
                .and_then(|at| known[at].1.take())
                .unwrap_or_else(|| Rc::new(SstHandle::new(info.clone())))
        };
        // Filled by loops: each `map` and `collect` was an instance of its own in the wasm.
        let mut l0 = Vec::with_capacity(manifest.l0.len());
        for info in &manifest.l0 {
            l0.push(handle(info));
        }
        let mut runs = Vec::with_capacity(manifest.runs.len());
        for run in &manifest.runs {
            let mut ssts = Vec::with_capacity(run.ssts.len());
            for info in &run.ssts {
                ssts.push(handle(info));
            }
            runs.push(RunHandle { ssts });
        }
        Version { l0, runs }
    }

    /// Every SST handle of the version, L0's first, then each run's, in order. A list built
    /// by loops, as `Manifest::sst_id_list` is: a chained, flattened iterator had an instance
    /// of its `next`, `size_hint`, `collect` and `extend` for each caller in the playground's
    /// wasm.
    pub fn handles(&self) -> Vec<&Rc<SstHandle>> {
        let mut handles = Vec::with_capacity(self.l0.len());
        for handle in &self.l0 {
            handles.push(handle);
        }
        for run in &self.runs {
            for handle in &run.ssts {
                handles.push(handle);
            }
        }
        handles
    }
}

/// Which kind of user read a store GET serves, for the read-amplification meters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadFor {
    Point,
    Scan,
}

/// A consistent view for reads: a sequence number, the instant values expire against, the
/// memtables (newest first) and the SSTs.
#[derive(Clone)]
pub(crate) struct ReadView {
    pub seq: u64,
    /// Engine-clock nanoseconds when the view was taken: a value expired by then reads as
    /// deleted, so a snapshot stays repeatable as time passes.
    pub now_ns: u64,
    pub memtables: Vec<Rc<RefCell<Memtable>>>,
    pub version: Rc<Version>,
}

impl DbInner {
    fn check_readable(&self) -> Result<()> {
        self.state.borrow().check_readable()
    }

    /// The error for a failed read of one of the view's SSTs. A fenced handle's view lists
    /// SSTs that the newer writer may have compacted away and collected, so one found gone
    /// there is `Fenced`: what the handle is, not an object the store lost. (A handle that has
    /// not learnt it was replaced reports the store's `NotFound`; its next write is fenced.)
    fn read_failed(&self, operation: &'static str, error: StoreError) -> Error {
        let state = self.state.borrow();
        if matches!(error, StoreError::NotFound { .. }) && state.status() == DbStatus::Fenced {
            return state
                .status_error()
                .expect("a fenced handle has a status error");
        }
        Error::store(operation, error)
    }

    fn count_fetch(&self, purpose: ReadFor, count: impl FnOnce(&mut crate::state::Counters)) {
        let mut state = self.state.borrow_mut();
        count(&mut state.counters);
        match purpose {
            ReadFor::Point => state.counters.point_read_gets += 1,
            ReadFor::Scan => state.counters.scan_gets += 1,
        }
    }

    /// The SST's index and bloom filter, fetched once with a single ranged GET.
    pub async fn sst_meta(&self, handle: &SstHandle, purpose: ReadFor) -> Result<Rc<SstMeta>> {
        if let Some(meta) = handle.cached_meta() {
            return Ok(meta);
        }
        self.check_readable()?;
        let info = &handle.info;
        let key = handle.object_key(&self.paths);
        let result = self
            .store
            .get(Cause::Read, key, Some(info.meta_offset..info.size_bytes))
            .await
            .map_err(|error| self.read_failed("SST metadata read", error))?;
        let meta = SstMeta::decode(&result.bytes, info.meta_offset, info.size_bytes)
            .map_err(|reason| Error::corrupt(key, reason))?;
        self.count_fetch(purpose, |counters| counters.sst_meta_fetches += 1);
        let meta = Rc::new(meta);
        // Another read may have fetched it meanwhile; either copy is the same.
        *handle.meta.borrow_mut() = Some(meta.clone());
        Ok(meta)
    }

    /// Data block `index` of an SST, from the cache or with one ranged GET.
    pub async fn sst_block(
        &self,
        handle: &SstHandle,
        meta: &SstMeta,
        index: usize,
        purpose: ReadFor,
    ) -> Result<Rc<CachedBlock>> {
        if let Some(block) = handle.cached_block(index) {
            block.touch();
            self.cache.borrow_mut().record_hit();
            return Ok(block);
        }
        let entry = &meta.index[index];
        let cache_key = (handle.info.id, entry.offset);
        if let Some(block) = self.cache.borrow_mut().get(cache_key) {
            handle.remember_block(index, meta.index.len(), &block);
            return Ok(block);
        }
        self.check_readable()?;
        let key = handle.object_key(&self.paths);
        let range = entry.offset..entry.offset + u64::from(entry.len);
        let result = self
            .store
            .get(Cause::Read, key, Some(range))
            .await
            .map_err(|error| self.read_failed("SST block read", error))?;
        if result.bytes.len() != entry.len as usize {
            return Err(Error::corrupt(
                key,
                format!(
                    "block at {} returned {} bytes, expected {}",
                    entry.offset,
                    result.bytes.len(),
                    entry.len
                ),
            ));
        }
        let buffer = self.cache.borrow_mut().spare_entry_buffer();
        let block = Block::decode_reusing(result.bytes, buffer).map_err(|reason| {
            Error::corrupt(key, format!("block at {}: {reason}", entry.offset))
        })?;
        let block = Rc::new(CachedBlock::new(block));
        self.count_fetch(purpose, |counters| counters.block_fetches += 1);
        self.cache.borrow_mut().insert(cache_key, block.clone());
        handle.remember_block(index, meta.index.len(), &block);
        Ok(block)
    }

    /// Looks `key` (whose `key_hash` is `hash`) up in one SST: `Some(None)` is a delete (a
    /// tombstone, a value expired at `now_ns`, or one of the SST's range tombstones), `None`
    /// means not here. `filtered`: the SST's bloom filter has already let the key through
    /// ([`SstHandle::probe`]), so it is not asked again (the metadata, once fetched, never
    /// changes; about 100 instructions a read that reaches a block).
    ///
    /// The SST's own entry wins over its range tombstones (they delete only older SSTs'
    /// keys). The range tombstones are consulted even when the bloom filter rules the key
    /// out: the filter holds the SST's keys, not the ranges it deletes.
    async fn sst_get(
        &self,
        handle: &SstHandle,
        key: &[u8],
        hash: u64,
        filtered: bool,
        now_ns: u64,
    ) -> Result<Option<Option<Bytes>>> {
        let meta = self.sst_meta(handle, ReadFor::Point).await?;
        let range_deleted = meta.range_deleted(key);
        if !filtered && !meta.bloom.may_contain_hash(hash) {
            self.state.borrow_mut().counters.bloom_skips += 1;
            return Ok(range_deleted.then_some(None));
        }
        if let Some(block_index) = meta.block_for(key) {
            let block = self
                .sst_block(handle, &meta, block_index, ReadFor::Point)
                .await?;
            let position = block.seek(key);
            if position < block.len() && block.entry(position).key == key {
                let (_, value) = block.entry_at(position, now_ns);
                return Ok(Some(value));
            }
        }
        Ok(range_deleted.then_some(None))
    }

    /// Looks `key` up in L0 (newest first), then in each sorted run (newest first), for a
    /// reader at `now_ns`.
    ///
    /// The key is hashed once for every SST's bloom filter, and an SST whose cached metadata
    /// rules the key out is passed over without entering the awaiting path (`SstHandle::probe`;
    /// the skips it counts reach the counters before anything is awaited, so no other task
    /// sees them late).
    pub async fn get_from_version(
        &self,
        version: &Version,
        key: &[u8],
        now_ns: u64,
    ) -> Result<Option<Bytes>> {
        let hash = key_hash(key);
        let prefix = key_prefix_pair(key);
        let mut skips = 0u64;
        let candidates = version
            .l0
            .iter()
            .filter(|handle| handle.covers(key, prefix))
            .chain(
                version
                    .runs
                    .iter()
                    .filter_map(|run| run.sst_for(key, prefix)),
            );
        for handle in candidates {
            match handle.probe(key, hash, &mut skips) {
                Probe::Settled(None) => {}
                Probe::Settled(Some(found)) => {
                    self.count_bloom_skips(skips);
                    return Ok(found);
                }
                Probe::Read { filtered } => {
                    self.count_bloom_skips(std::mem::take(&mut skips));
                    // Boxed: the read of an SST is the one large state across an await
                    // here, and a get settled in the memtable or by the filters never holds
                    // it; unboxed, every future awaiting a get (a client operation's
                    // included) would carry it inline. A trait object, because the page's
                    // wasm build grew by 1.1 KB gzip with the concrete box. Made in its box
                    // (allocated first), so that it is not built on the stack and copied.
                    let read = Box::write(
                        Box::new_uninit(),
                        self.sst_get(handle, key, hash, filtered, now_ns),
                    );
                    let read: LocalBoxFuture<'_, Result<Option<Option<Bytes>>>> =
                        Box::into_pin(read);
                    if let Some(found) = read.await? {
                        return Ok(found);
                    }
                }
            }
        }
        self.count_bloom_skips(skips);
        Ok(None)
    }

    #[inline]
    fn count_bloom_skips(&self, skips: u64) {
        if skips > 0 {
            self.state.borrow_mut().counters.bloom_skips += skips;
        }
    }

    /// Whether a range tombstone of one of `ssts` (newest first, all newer than the data
    /// being asked about) deletes `key`. Fetches the metadata of an SST whose key range holds
    /// `key`, which a scan of a range holding `key` fetches anyway.
    pub(crate) async fn range_deleted_in(
        &self,
        ssts: &[Rc<SstHandle>],
        key: &[u8],
        purpose: ReadFor,
    ) -> Result<bool> {
        let position = ssts.partition_point(|sst| sst.info.last_key.as_ref() < key);
        for handle in ssts[position..]
            .iter()
            .take_while(|sst| sst.info.covers(key))
        {
            if self.sst_meta(handle, purpose).await?.range_deleted(key) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A point read within a view: memtables newest first, then SSTs.
    pub async fn get_in_view(&self, view: &ReadView, key: &[u8]) -> Result<Option<Bytes>> {
        for table in &view.memtables {
            if let Some(found) = table.borrow().get(key, view.seq, view.now_ns) {
                return Ok(found);
            }
        }
        self.get_from_version(&view.version, key, view.now_ns).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_handle_covers_exactly_the_keys_its_sst_info_covers() {
        // Ends and keys around them that share their first sixteen bytes, so that the prefixes
        // tie and the bytes decide, and keys whose prefixes alone decide.
        let keys: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"shared-sixteen-b",
            b"shared-sixteen-b/0",
            b"shared-sixteen-b/1",
            b"shared-sixteen-b/10",
            b"shared-sixteen-b/2",
            b"shared-sixteen-b/3",
            b"shared-sixteen-c",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        ];
        for first in &keys[1..] {
            for last in keys.iter().filter(|last| *last >= first) {
                let handle = SstHandle::new(SstInfo {
                    id: 1,
                    size_bytes: 0,
                    meta_offset: 0,
                    first_key: Bytes::copy_from_slice(first),
                    last_key: Bytes::copy_from_slice(last),
                    entries: 1,
                    max_seq: 1,
                });
                for key in &keys {
                    assert_eq!(
                        handle.covers(key, key_prefix_pair(key)),
                        handle.info.covers(key),
                        "{first:?}..={last:?} and {key:?}"
                    );
                }
            }
        }
    }
}
