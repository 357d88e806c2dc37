//! Where the writer's range tombstones sit, for drawing them on the key axis.
//!
//! An SST's tombstones are in its range-tombstone block: read out of band from the simulated
//! store (no request, no cost, no trace event, so drawing never changes a run) and decoded with
//! the engine's own format code, once per SST (an SST never changes), kept while the SST is in
//! the tree. A memtable's are the workload's recent range deletes whose sequence numbers the
//! memtable spans: the lab keeps the last [`MAX_RECENT_RANGE_DELETES`] it issued.

use super::lab::Lab;
use strata_engine::format::sst::{SstMeta, FOOTER_BYTES};
use strata_engine::paths::Paths;
use strata_engine::DbState;
use strata_objstore::SimStore;

/// Range deletes the lab remembers with their sequence numbers, newest last.
pub const MAX_RECENT_RANGE_DELETES: usize = 256;
/// Tombstones reported per memtable or SST at most (the rest are counted in `more`).
pub const MAX_TOMBSTONES_PER_HOLDER: usize = 32;

/// What holds a range tombstone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TombstoneHolder {
    /// The memtable or immutable memtable with this id.
    Memtable(u64),
    /// The SST with this id (in L0 or a sorted run).
    Sst(u64),
}

/// One range tombstone `[start, end)`, its keys rendered for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeTombstoneView {
    pub holder: TombstoneHolder,
    pub start: String,
    pub end: String,
}

/// A range delete the workload issued, with the sequence number it was acknowledged at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentRangeDelete {
    pub seq: u64,
    pub start: Vec<u8>,
    pub end: Vec<u8>,
}

/// The SSTs' tombstones read so far, with their SST ids: as many as the tree has SSTs, looked
/// up by a scan (a list, not a map, whose B-tree code for this type would ship in the page).
/// Each SST's list is read where it sits, not shared through an `Rc<[_]>`, whose conversion
/// from a `Vec` the page had for this list alone.
pub(super) type SstTombstones = Vec<(u64, Vec<(String, String)>)>;

fn text(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

/// An SST's range tombstones, read out of band; none when the object is missing or does not
/// decode (the engine reports that itself when it reads the SST).
fn read_sst_tombstones(store: &SimStore, paths: &Paths, id: u64) -> Vec<(String, String)> {
    let Some((_, bytes)) = store.inspect(&paths.sst(id)) else {
        return Vec::new();
    };
    let Some(footer_bytes) = bytes.len().checked_sub(FOOTER_BYTES).map(|at| &bytes[at..]) else {
        return Vec::new();
    };
    let Ok(footer) = strata_engine::format::sst::Footer::decode(footer_bytes) else {
        return Vec::new();
    };
    let Some(region) = usize::try_from(footer.index_offset)
        .ok()
        .and_then(|offset| bytes.get(offset..))
    else {
        return Vec::new();
    };
    let Ok(meta) = SstMeta::decode(region, footer.index_offset, bytes.len() as u64) else {
        return Vec::new();
    };
    // A loop, not `map` and `collect`, whose instance the page had for this list alone.
    let mut tombstones = Vec::new();
    for (start, end) in meta.range_tombstones.iter().take(MAX_TOMBSTONES_PER_HOLDER) {
        tombstones.push((text(start), text(end)));
    }
    tombstones
}

impl Lab {
    /// The range tombstones of the tree `state` describes (the writer up now): the memtables'
    /// first, then the SSTs', at most [`MAX_TOMBSTONES_PER_HOLDER`] each.
    pub fn range_tombstones(&self, state: &DbState) -> Vec<RangeTombstoneView> {
        let mut views = Vec::new();
        let recent = self.world().workload.recent_range_deletes.borrow();
        for memtable in std::iter::once(&state.memtable).chain(&state.immutable_memtables) {
            if memtable.min_seq == 0 {
                continue;
            }
            let held = recent
                .iter()
                .filter(|r| (memtable.min_seq..=memtable.max_seq).contains(&r.seq))
                .take(MAX_TOMBSTONES_PER_HOLDER);
            // Pushed by loops here and below, not `extend`ed and `collect`ed, whose instances
            // the page had for these lists alone.
            for r in held {
                views.push(RangeTombstoneView {
                    holder: TombstoneHolder::Memtable(memtable.id),
                    start: text(&r.start),
                    end: text(&r.end),
                });
            }
        }
        drop(recent);
        let Ok(paths) = Paths::new(&state.path) else {
            return views;
        };
        let mut ssts: Vec<u64> = Vec::new();
        for sst in state
            .l0
            .iter()
            .chain(state.runs.iter().flat_map(|run| &run.ssts))
        {
            ssts.push(sst.id);
        }
        let mut cache = self.sst_tombstones().borrow_mut();
        // Forget SSTs no longer in the tree, so the cache is bounded by the tree.
        cache.retain(|(id, _)| ssts.contains(id));
        for id in ssts {
            let at = match cache.iter().position(|(cached, _)| *cached == id) {
                Some(at) => at,
                None => {
                    cache.push((id, read_sst_tombstones(self.store(), &paths, id)));
                    cache.len() - 1
                }
            };
            for (start, end) in &cache[at].1 {
                views.push(RangeTombstoneView {
                    holder: TombstoneHolder::Sst(id),
                    start: start.clone(),
                    end: end.clone(),
                });
            }
        }
        views
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::scenario::{OpMix, Scenario, StorePreset};
    use strata_sim::SimTime;

    /// Writes (and range deletes, by their weight) with a 16 KiB memtable: flushes within a
    /// second.
    fn scenario(delete_range: f64) -> Scenario {
        let mut scenario = Scenario {
            duration_ms: 5_000,
            ..Scenario::default()
        };
        scenario.store.preset = StorePreset::S3Express;
        scenario.workload.rate_ops_per_sec = 1000.0;
        scenario.workload.key_count = 500;
        scenario.workload.mix = OpMix {
            write: 1.0,
            delete_range,
            ..OpMix::default()
        };
        scenario.workload.range_delete_width = 5;
        scenario.engine.memtable_bytes = Some(16 * 1024);
        scenario.engine.flush_interval_ms = Some(20.0);
        scenario
    }

    #[test]
    fn range_tombstones_are_found_in_memtables_and_in_flushed_ssts() {
        let mut lab = Lab::new(&scenario(0.2)).unwrap();
        let mut seen_in_memtable = false;
        let mut seen_in_sst = false;
        for second in 1..=5 {
            lab.advance_to(SimTime::from_secs(second), u64::MAX)
                .unwrap();
            let Some(state) = lab.db_state() else {
                continue;
            };
            for view in lab.range_tombstones(&state) {
                assert!(view.start < view.end, "{view:?}");
                match view.holder {
                    TombstoneHolder::Memtable(_) => seen_in_memtable = true,
                    TombstoneHolder::Sst(_) => seen_in_sst = true,
                }
            }
        }
        assert!(seen_in_memtable && seen_in_sst);
    }

    #[test]
    fn a_run_without_range_deletes_shows_none() {
        let mut lab = Lab::new(&scenario(0.0)).unwrap();
        lab.advance_to(SimTime::from_secs(3), u64::MAX).unwrap();
        let state = lab.db_state().unwrap();
        assert!(!state.l0.is_empty() || !state.runs.is_empty());
        assert!(lab.range_tombstones(&state).is_empty());
    }
}
