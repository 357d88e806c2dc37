//! `WriteBatch`: several puts, deletes and range deletes applied atomically, with one
//! sequence number and one WAL record, so that a crash replays all of them or none.

use crate::error::{Error, Result};
use crate::options::{
    validate_key, validate_range, validate_value, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES,
};
use bytes::Bytes;
use std::ops::Range;

/// An ordered list of writes applied atomically by `Db::write`. Within one batch, a later
/// write of a key replaces an earlier one. Range deletes in a batch share its sequence
/// number, so they delete what was written *before* the batch, never the batch's own puts
/// (write the range delete in an earlier batch to delete first and then put).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    pub(crate) entries: Vec<(Bytes, Option<Bytes>)>,
    /// Range deletes: `[start, end)`.
    pub(crate) ranges: Vec<(Bytes, Bytes)>,
    pub(crate) bytes: usize,
}

impl WriteBatch {
    pub fn new() -> Self {
        WriteBatch::default()
    }

    pub fn put(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> &mut Self {
        let (key, value) = (key.as_ref(), value.as_ref());
        self.bytes += key.len() + value.len();
        self.entries.push((
            Bytes::copy_from_slice(key),
            Some(Bytes::copy_from_slice(value)),
        ));
        self
    }

    pub fn delete(&mut self, key: impl AsRef<[u8]>) -> &mut Self {
        let key = key.as_ref();
        self.bytes += key.len();
        self.entries.push((Bytes::copy_from_slice(key), None));
        self
    }

    /// Deletes every key in `range` (start inclusive, end exclusive) written before this
    /// batch, with one range tombstone. An empty or inverted range is refused by
    /// `Db::write` with `Error::InvalidRange`.
    pub fn delete_range<K: AsRef<[u8]>>(&mut self, range: Range<K>) -> &mut Self {
        let (start, end) = (range.start.as_ref(), range.end.as_ref());
        self.bytes += start.len() + end.len();
        self.ranges
            .push((Bytes::copy_from_slice(start), Bytes::copy_from_slice(end)));
        self
    }

    /// Operations in the batch: puts, deletes and range deletes.
    pub fn len(&self) -> usize {
        self.entries.len() + self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.ranges.is_empty()
    }

    /// Key and value bytes in the batch (a range delete counts both bounds).
    pub fn size_bytes(&self) -> usize {
        self.bytes
    }

    /// Checks every entry and the batch's totals against the documented limits.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.len() > MAX_BATCH_ENTRIES {
            return Err(Error::Invalid(format!(
                "batch of {} entries is over the {MAX_BATCH_ENTRIES}-entry limit",
                self.len()
            )));
        }
        if self.bytes > MAX_BATCH_BYTES {
            return Err(Error::Invalid(format!(
                "batch of {} bytes is over the {MAX_BATCH_BYTES}-byte limit",
                self.bytes
            )));
        }
        for (key, value) in &self.entries {
            validate_key(key)?;
            if let Some(value) = value {
                validate_value(value)?;
            }
        }
        for (start, end) in &self.ranges {
            validate_range(start, end)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn batches_count_entries_and_bytes_and_reject_bad_keys() {
        let mut batch = WriteBatch::new();
        batch.put("a", "1").delete("b");
        assert_eq!(batch.len(), 2);
        assert_eq!(batch.size_bytes(), 3);
        batch.validate().unwrap();
        batch.put("", "x");
        assert_eq!(batch.validate().unwrap_err().kind(), ErrorKind::Invalid);
    }

    #[test]
    fn range_deletes_count_and_refuse_empty_or_inverted_ranges() {
        let mut batch = WriteBatch::new();
        batch.delete_range("a".."c");
        assert_eq!((batch.len(), batch.size_bytes()), (1, 2));
        assert!(!batch.is_empty());
        batch.validate().unwrap();
        for (start, end) in [("c", "a"), ("b", "b"), ("", "b")] {
            let mut bad = WriteBatch::new();
            bad.delete_range(start..end);
            assert!(
                matches!(bad.validate(), Err(Error::InvalidRange { .. })),
                "{start:?}..{end:?}"
            );
        }
    }
}
