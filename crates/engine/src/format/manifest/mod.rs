//! The manifest: the versioned, single source of truth for which SSTs make up the database,
//! where WAL replay starts, and which writer epoch owns it.
//!
//! A manifest object is `magic "STMF" | version u8 | JSON body | CRC32C`. JSON keeps it
//! readable in the playground and easy to evolve; keys inside it are hex strings. Each change
//! is written as a new object with the next id (create-if-absent), so the latest id is the
//! current state and a lost race shows up as `AlreadyExists`.

use super::sst::FOOTER_BYTES;
use super::{append_crc, verify_crc};
use crate::codec::{hex_bytes, key_cmp};
use crate::compaction::MAX_LEVELS;
use crate::options::MAX_KEY_BYTES;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use strata_sim::maps::IdSet;
use strata_sim::SimTime;

mod json;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod json_tests;

pub const MANIFEST_MAGIC: [u8; 4] = *b"STMF";
pub const MANIFEST_FORMAT_VERSION: u8 = 1;

/// What the manifest records about one SST.
///
/// Its derived serde impls are not the manifest's codec (`json` is): they stay because the
/// flush policy's outcome, which carries one, derives them too; nothing in the playground
/// calls them, so they are not in its wasm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SstInfo {
    /// Unique across writers: `writer_epoch << 32 | counter` (see `sst_id`).
    pub id: u64,
    pub size_bytes: u64,
    /// Where the meta region (index, bloom, footer) starts.
    pub meta_offset: u64,
    #[serde(with = "hex_bytes")]
    pub first_key: Bytes,
    #[serde(with = "hex_bytes")]
    pub last_key: Bytes,
    pub entries: u64,
    /// The highest sequence number whose write this SST holds.
    pub max_seq: u64,
}

impl SstInfo {
    /// True if `key` lies within this SST's key range.
    #[inline]
    pub fn covers(&self, key: &[u8]) -> bool {
        // `key_cmp`, not slice comparisons: a point read asks this of every L0 SST.
        key_cmp(&self.first_key, key) != Ordering::Greater
            && key_cmp(key, &self.last_key) != Ordering::Greater
    }
}

/// A sorted run: SSTs with disjoint key ranges, in ascending key order (compaction output).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct SortedRun {
    pub id: u64,
    /// The level of a leveled layout (1 = just below L0); 0 for a size-tiered run. Absent in
    /// manifests written before compaction existed, which read as 0.
    #[cfg_attr(test, serde(default, skip_serializing_if = "is_zero"))]
    pub level: u32,
    #[cfg_attr(test, serde(deserialize_with = "objects"))]
    pub ssts: Vec<SstInfo>,
}

#[cfg(test)]
fn is_zero(level: &u32) -> bool {
    *level == 0
}

impl SortedRun {
    /// The SST of this run whose range may hold `key`.
    pub fn sst_for(&self, key: &[u8]) -> Option<&SstInfo> {
        let position = self.ssts.partition_point(|sst| sst.last_key.as_ref() < key);
        self.ssts.get(position).filter(|sst| sst.covers(key))
    }

    pub fn size_bytes(&self) -> u64 {
        self.ssts.iter().map(|sst| sst.size_bytes).sum()
    }
}

/// An SST a compaction removed from the manifest, and when: garbage collection keeps it for
/// `gc_min_age` after it left, so a reader still holding an older manifest can read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct RetiredSst {
    pub id: u64,
    /// The retiring writer's clock when it committed the removal, in nanoseconds.
    pub retired_at: SimTime,
}

/// The most retired SSTs a manifest lists (a writer drops the oldest beyond this).
pub const MAX_RETIRED_SSTS: usize = 65_536;

/// The database's durable state.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct Manifest {
    /// The id this manifest was written under (its object name).
    pub manifest_id: u64,
    /// The epoch of the writer that owns the database; opening a writer increments it.
    pub writer_epoch: u64,
    /// The first WAL id that may hold writes not yet in an SST: replay starts here, and every
    /// WAL object below it is obsolete.
    pub wal_replay_from: u64,
    /// Every write with a sequence number up to this one is in an SST.
    pub last_flushed_seq: u64,
    /// The next SST counter to allocate (ids also carry the epoch, so zombies never collide).
    pub next_sst_counter: u64,
    /// The next sorted-run id to allocate (used by compaction).
    pub next_run_id: u64,
    /// Level-0 SSTs, newest first; their key ranges may overlap.
    #[cfg_attr(test, serde(deserialize_with = "objects"))]
    pub l0: Vec<SstInfo>,
    /// Sorted runs, newest first.
    #[cfg_attr(test, serde(deserialize_with = "objects"))]
    pub runs: Vec<SortedRun>,
    /// SSTs compaction removed within the last `gc_min_age`, oldest first. Absent in
    /// manifests written before it existed, which read as empty.
    #[cfg_attr(
        test,
        serde(
            default,
            skip_serializing_if = "Vec::is_empty",
            deserialize_with = "objects"
        )
    )]
    pub retired: Vec<RetiredSst>,
}

/// The derived readers' list of the manifest's records (SSTs, runs, retired SSTs), each from
/// its JSON object's map: the reference `json::records` is checked against. A derived struct read from a `serde_json::Value` also accepts an array (its
/// fields by position), code of its own per type in the playground's wasm for a form the
/// manifest is never written in; read from the map, each type has the map path only.
#[cfg(test)]
fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::Object(map) => T::deserialize(map),
                _ => Err(serde::de::Error::custom(
                    "a manifest record is not an object",
                )),
            })
            .collect::<Result<Vec<T>, serde_json::Error>>()
            .map_err(serde::de::Error::custom),
        _ => Err(serde::de::Error::custom("a manifest list is not an array")),
    }
}

impl Manifest {
    /// The manifest of a database nobody has written to yet.
    pub fn empty() -> Self {
        Manifest {
            manifest_id: 0,
            writer_epoch: 0,
            wal_replay_from: 1,
            last_flushed_seq: 0,
            next_sst_counter: 1,
            next_run_id: 1,
            l0: Vec::new(),
            runs: Vec::new(),
            retired: Vec::new(),
        }
    }

    /// Every SST id this manifest refers to.
    pub fn sst_ids(&self) -> impl Iterator<Item = u64> {
        self.sst_id_list().into_iter()
    }

    /// Every SST id this manifest refers to, L0's first, then each run's, in the manifest's
    /// order. Built by loops: a chained, flattened iterator was an instance of its `next`,
    /// `size_hint`, `try_fold` and `collect` for each caller in the playground's wasm.
    pub fn sst_id_list(&self) -> Vec<u64> {
        let mut ids = Vec::with_capacity(self.l0.len());
        for sst in &self.l0 {
            ids.push(sst.id);
        }
        for run in &self.runs {
            for sst in &run.ssts {
                ids.push(sst.id);
            }
        }
        ids
    }

    /// Whether the manifest refers to the SST `id`.
    pub fn has_sst(&self, id: u64) -> bool {
        self.sst_id_list().contains(&id)
    }

    /// The manifest's SST ids as a set.
    pub fn sst_id_set(&self) -> IdSet {
        let mut set = IdSet::new();
        // Extended from a slice's iterator, the instance the engine's other sets use.
        set.extend(self.sst_id_list().iter().copied());
        set
    }

    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&MANIFEST_MAGIC);
        out.push(MANIFEST_FORMAT_VERSION);
        json::write_manifest(&mut out, self);
        append_crc(&mut out, 0);
        Bytes::from(out)
    }

    /// Verifies, decodes and checks the manifest's invariants.
    pub fn decode(bytes: &[u8]) -> Result<Manifest, String> {
        let payload = verify_crc(bytes)?;
        if payload.len() < 5 || payload[..4] != MANIFEST_MAGIC {
            return Err("bad magic: not a manifest".to_string());
        }
        if payload[4] != MANIFEST_FORMAT_VERSION {
            return Err(format!(
                "unsupported manifest format version {}",
                payload[4]
            ));
        }
        // Through a `Value` (`strata_sim::json`, the reader every crate shares), as the
        // scenario is read, then by hand from its object (`json`): no derived reader per
        // manifest type.
        let text =
            std::str::from_utf8(&payload[5..]).map_err(|e| format!("bad manifest JSON: {e}"))?;
        let value =
            strata_sim::json::from_str(text).map_err(|e| format!("bad manifest JSON: {e}"))?;
        let serde_json::Value::Object(object) = value else {
            return Err("bad manifest JSON: not an object".to_string());
        };
        let manifest =
            json::read_manifest(object).map_err(|e| format!("bad manifest JSON: {e}"))?;
        manifest.check()?;
        Ok(manifest)
    }

    /// The invariants every manifest holds. A decoded manifest passed its checksum, but a
    /// checksum does not make its numbers usable, so this also checks what the engine later
    /// does with them: every counter has a next value, the writer epoch fits the 32 bits an
    /// SST id gives it, keys are within the key limit, levels within `MAX_LEVELS`, and each
    /// SST's meta region holds at least a footer.
    pub fn check(&self) -> Result<(), String> {
        let counters = [
            ("manifest_id", self.manifest_id),
            ("wal_replay_from", self.wal_replay_from),
            ("last_flushed_seq", self.last_flushed_seq),
            ("next_run_id", self.next_run_id),
        ];
        for (name, value) in counters {
            if value == u64::MAX {
                return Err(format!("{name} is at the end of its range"));
            }
        }
        if self.writer_epoch >= u64::from(u32::MAX) {
            return Err(format!(
                "writer epoch {} does not fit an SST id",
                self.writer_epoch
            ));
        }
        if self.next_sst_counter > u64::from(u32::MAX) {
            return Err(format!(
                "SST counter {} does not fit an SST id",
                self.next_sst_counter
            ));
        }
        for sst in self.l0.iter().chain(self.runs.iter().flat_map(|r| &r.ssts)) {
            if sst.first_key.is_empty() || sst.first_key > sst.last_key {
                return Err(format!("SST {} has an empty or inverted key range", sst.id));
            }
            if sst.last_key.len() > MAX_KEY_BYTES || sst.first_key.len() > MAX_KEY_BYTES {
                return Err(format!("SST {} has a key over the key limit", sst.id));
            }
            if sst
                .meta_offset
                .checked_add(FOOTER_BYTES as u64)
                .is_none_or(|end| end > sst.size_bytes)
            {
                return Err(format!("SST {} has its meta region outside it", sst.id));
            }
        }
        for run in &self.runs {
            if run.level > MAX_LEVELS {
                return Err(format!(
                    "run {} is at level {}, beyond the deepest, {MAX_LEVELS}",
                    run.id, run.level
                ));
            }
            for pair in run.ssts.windows(2) {
                if pair[0].last_key >= pair[1].first_key {
                    return Err(format!("run {} has overlapping or unsorted SSTs", run.id));
                }
            }
        }
        let mut ids = self.sst_id_list();
        ids.sort_unstable();
        if ids.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err("an SST appears twice".to_string());
        }
        if self.retired.len() > MAX_RETIRED_SSTS {
            return Err(format!(
                "{} retired SSTs, over the limit of {MAX_RETIRED_SSTS}",
                self.retired.len()
            ));
        }
        if let Some(retired) = self
            .retired
            .iter()
            .find(|retired| ids.binary_search(&retired.id).is_ok())
        {
            return Err(format!("SST {} is both live and retired", retired.id));
        }
        Ok(())
    }
}

/// Packs a writer epoch and a per-manifest counter into a unique SST id.
pub fn sst_id(writer_epoch: u64, counter: u64) -> u64 {
    (writer_epoch << 32) | (counter & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sst(id: u64, first: &str, last: &str) -> SstInfo {
        SstInfo {
            id,
            size_bytes: 1000,
            meta_offset: 900,
            first_key: Bytes::copy_from_slice(first.as_bytes()),
            last_key: Bytes::copy_from_slice(last.as_bytes()),
            entries: 10,
            max_seq: 7,
        }
    }

    fn sample() -> Manifest {
        Manifest {
            manifest_id: 12,
            writer_epoch: 3,
            wal_replay_from: 40,
            last_flushed_seq: 1234,
            next_sst_counter: 9,
            next_run_id: 2,
            l0: vec![sst(sst_id(3, 8), "a", "m"), sst(sst_id(3, 7), "\u{1}", "z")],
            runs: vec![SortedRun {
                id: 1,
                level: 0,
                ssts: vec![sst(sst_id(2, 1), "a", "f"), sst(sst_id(2, 2), "g", "p")],
            }],
            retired: vec![RetiredSst {
                id: sst_id(2, 3),
                retired_at: SimTime::from_nanos(5_000_000_000),
            }],
        }
    }

    #[test]
    fn round_trips_and_is_readable_json() {
        let manifest = sample();
        let encoded = manifest.encode();
        assert_eq!(Manifest::decode(&encoded).unwrap(), manifest);
        let text = String::from_utf8_lossy(&encoded[5..encoded.len() - 4]).into_owned();
        assert!(text.contains("\"writer_epoch\":3"), "{text}");
        assert!(
            text.contains("\"first_key\":\"01\""),
            "keys are hex: {text}"
        );
    }

    #[test]
    fn damage_and_broken_invariants_are_rejected() {
        let encoded = sample().encode();
        let mut damaged = encoded.to_vec();
        damaged[20] ^= 1;
        assert!(Manifest::decode(&damaged).is_err());
        let mut overlapping = sample();
        overlapping.runs[0].ssts[1].first_key = Bytes::from("c");
        assert!(Manifest::decode(&overlapping.encode()).is_err());
        let mut duplicate = sample();
        duplicate.l0.push(duplicate.l0[0].clone());
        assert!(Manifest::decode(&duplicate.encode()).is_err());
        let mut live_and_retired = sample();
        live_and_retired.retired[0].id = live_and_retired.l0[0].id;
        assert!(Manifest::decode(&live_and_retired.encode()).is_err());
    }

    #[test]
    fn a_sealed_payload_that_is_not_a_manifest_object_is_rejected() {
        let seal = |json: &str| {
            let mut out = MANIFEST_MAGIC.to_vec();
            out.push(MANIFEST_FORMAT_VERSION);
            out.extend_from_slice(json.as_bytes());
            append_crc(&mut out, 0);
            out
        };
        let mut records_as_arrays = sample();
        records_as_arrays.l0.clear();
        let mut text = serde_json::to_string(&records_as_arrays).unwrap();
        text = text.replace("\"l0\":[]", "\"l0\":[[1,2,3,\"01\",\"02\",1,1]]");
        for json in ["[1,2,3]", "7", "{\"manifest_id\":1}", "{", text.as_str()] {
            let error = Manifest::decode(&seal(json)).unwrap_err();
            assert!(error.starts_with("bad manifest JSON"), "{json}: {error}");
        }
        let encoded = sample().encode();
        let json = std::str::from_utf8(&encoded[5..encoded.len() - 4]).unwrap();
        assert_eq!(Manifest::decode(&seal(json)).unwrap(), sample());
    }

    #[test]
    fn runs_find_the_sst_covering_a_key() {
        let manifest = sample();
        let run = &manifest.runs[0];
        assert_eq!(run.sst_for(b"b").map(|s| s.id), Some(sst_id(2, 1)));
        assert_eq!(run.sst_for(b"g").map(|s| s.id), Some(sst_id(2, 2)));
        assert_eq!(run.sst_for(b"fz"), None, "gap between SSTs");
        assert_eq!(run.sst_for(b"q"), None);
        assert_eq!(manifest.sst_ids().count(), 4);
        assert_ne!(sst_id(1, 5), sst_id(2, 5), "epochs keep zombie ids apart");
    }

    #[test]
    fn checksum_valid_manifests_with_unusable_numbers_are_rejected() {
        type Edit = Box<dyn Fn(&mut Manifest)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("manifest_id", Box::new(|m| m.manifest_id = u64::MAX)),
            (
                "writer epoch",
                Box::new(|m| m.writer_epoch = u64::from(u32::MAX)),
            ),
            ("SST counter", Box::new(|m| m.next_sst_counter = u64::MAX)),
            ("level", Box::new(|m| m.runs[0].level = u32::MAX)),
            ("meta region", Box::new(|m| m.l0[0].meta_offset = u64::MAX)),
            (
                "key limit",
                Box::new(|m| m.l0[0].last_key = Bytes::from(vec![b'z'; MAX_KEY_BYTES + 1])),
            ),
        ];
        for (expected, edit) in cases {
            let mut manifest = sample();
            edit(&mut manifest);
            let error = Manifest::decode(&manifest.encode()).unwrap_err();
            assert!(error.contains(expected), "{expected}: {error}");
        }
    }
}
