//! Object names: where WAL objects, SSTs and manifests live under a database's path prefix,
//! and how listings are parsed back into ids.
//!
//! Ids are zero-padded to 20 digits so that lexicographic LIST order is numeric order.

use crate::error::{Error, Result};
use strata_objstore::ObjectMeta;

/// The object-name scheme of one database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    root: String,
}

/// The kinds of object a database owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObjectKind {
    Wal,
    Sst,
    Manifest,
}

impl ObjectKind {
    fn dir(self) -> &'static str {
        match self {
            ObjectKind::Wal => "wal",
            ObjectKind::Sst => "sst",
            ObjectKind::Manifest => "manifest",
        }
    }
    fn extension(self) -> &'static str {
        match self {
            ObjectKind::Wal => ".wal",
            ObjectKind::Sst => ".sst",
            ObjectKind::Manifest => ".manifest",
        }
    }
}

impl Paths {
    /// Checks the prefix: non-empty, no leading or trailing `/`, and short enough that every
    /// object name stays within the store's key limit.
    pub fn new(root: &str) -> Result<Self> {
        if root.is_empty() {
            return Err(Error::Invalid("empty database path".to_string()));
        }
        if root.starts_with('/') || root.ends_with('/') {
            return Err(Error::Invalid(format!(
                "database path {root:?} must not start or end with '/'"
            )));
        }
        let longest = root.len() + "/manifest/".len() + 20 + ".manifest".len();
        if longest > strata_objstore::MAX_KEY_BYTES {
            return Err(Error::Invalid(format!(
                "database path of {} bytes is too long for object keys",
                root.len()
            )));
        }
        Ok(Paths {
            root: root.to_string(),
        })
    }

    pub fn root(&self) -> &str {
        &self.root
    }

    /// The object name of `id` of `kind`.
    pub fn object(&self, kind: ObjectKind, id: u64) -> String {
        format!("{}/{}/{id:020}{}", self.root, kind.dir(), kind.extension())
    }

    pub fn wal(&self, id: u64) -> String {
        self.object(ObjectKind::Wal, id)
    }

    pub fn sst(&self, id: u64) -> String {
        self.object(ObjectKind::Sst, id)
    }

    pub fn manifest(&self, id: u64) -> String {
        self.object(ObjectKind::Manifest, id)
    }

    /// The LIST prefix of every object of `kind`.
    pub fn prefix(&self, kind: ObjectKind) -> String {
        format!("{}/{}/", self.root, kind.dir())
    }

    /// The id in an object name of `kind`, or `None` for a foreign name.
    pub fn parse(&self, kind: ObjectKind, key: &str) -> Option<u64> {
        let rest = key.strip_prefix(&self.root)?.strip_prefix('/')?;
        let rest = rest.strip_prefix(kind.dir())?.strip_prefix('/')?;
        let digits = rest.strip_suffix(kind.extension())?;
        if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// The ids of the listed WAL objects at or after `from`, ascending: what a replay reads.
    /// One loop for the writer's recovery and the replica reader's poll, which had a
    /// `filter_map`, `filter` and `collect` each.
    pub fn wal_ids_from(&self, listed: &[ObjectMeta], from: u64) -> Vec<u64> {
        let mut ids = Vec::new();
        for object in listed {
            if let Some(id) = self.parse(ObjectKind::Wal, &object.key) {
                if id >= from {
                    ids.push(id);
                }
            }
        }
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn names_are_padded_and_parse_back() {
        let paths = Paths::new("db/one").unwrap();
        assert_eq!(paths.wal(7), "db/one/wal/00000000000000000007.wal");
        assert_eq!(
            paths.manifest(12),
            "db/one/manifest/00000000000000000012.manifest"
        );
        assert_eq!(paths.prefix(ObjectKind::Sst), "db/one/sst/");
        for kind in [ObjectKind::Wal, ObjectKind::Sst, ObjectKind::Manifest] {
            assert_eq!(paths.parse(kind, &paths.object(kind, 99)), Some(99));
        }
        assert_eq!(paths.parse(ObjectKind::Wal, &paths.sst(1)), None);
        assert_eq!(paths.parse(ObjectKind::Wal, "db/one/wal/7.wal"), None);
        assert_eq!(paths.parse(ObjectKind::Wal, "db/other/wal/7.wal"), None);
        // Lexicographic order is numeric order.
        assert!(paths.wal(9) < paths.wal(10));
    }

    #[test]
    fn a_replay_reads_its_wal_ids_from_a_listing_in_order() {
        let paths = Paths::new("db/one").unwrap();
        let listed: Vec<ObjectMeta> = [
            paths.wal(12),
            paths.sst(11),
            paths.wal(3),
            "db/one/wal/not-an-id.wal".to_string(),
            paths.wal(10),
            "db/other/wal/00000000000000000011.wal".to_string(),
            paths.wal(9),
        ]
        .into_iter()
        .map(|key| ObjectMeta {
            key,
            size_bytes: 0,
            etag: strata_objstore::ETag(String::new()),
            last_modified: strata_sim::SimTime::ZERO,
        })
        .collect();
        assert_eq!(paths.wal_ids_from(&listed, 10), vec![10, 12]);
        assert_eq!(paths.wal_ids_from(&listed, 0), vec![3, 9, 10, 12]);
        assert!(paths.wal_ids_from(&listed, 13).is_empty());
    }

    #[test]
    fn bad_prefixes_are_invalid() {
        assert!(Paths::new("").is_err());
        assert!(Paths::new("/abs").is_err());
        assert!(Paths::new("trailing/").is_err());
        assert!(Paths::new(&"x".repeat(2000)).is_err());
    }
}
