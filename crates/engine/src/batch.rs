//! `WriteBatch`: several puts and deletes applied atomically, with one sequence number and
//! one WAL record, so that a crash replays all of them or none.

use crate::error::{Error, Result};
use crate::options::{validate_key, validate_value, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES};
use bytes::Bytes;

/// An ordered list of writes applied atomically by `Db::write`. Within one batch, a later
/// write of a key replaces an earlier one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    pub(crate) entries: Vec<(Bytes, Option<Bytes>)>,
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

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Key and value bytes in the batch.
    pub fn size_bytes(&self) -> usize {
        self.bytes
    }

    /// Checks every entry and the batch's totals against the documented limits.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.entries.len() > MAX_BATCH_ENTRIES {
            return Err(Error::Invalid(format!(
                "batch of {} entries is over the {MAX_BATCH_ENTRIES}-entry limit",
                self.entries.len()
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
}
