//! Snapshots: a repeatable view of the database at one sequence number.
//!
//! A snapshot pins the memtables and the SST set of the moment it was taken. While any
//! snapshot (or scan) is open, memtables keep every version of a key, and garbage
//! collection keeps every SST the snapshot's version lists. Dropping the snapshot releases
//! both.

use super::read::ReadView;
use super::scan::ScanIter;
use super::DbInner;
use crate::error::Result;
use crate::options::{validate_key, Durability};
use bytes::Bytes;
use std::ops::RangeBounds;
use std::rc::Rc;

/// Keeps a snapshot registered with the engine until dropped.
pub(crate) struct Registration {
    inner: Rc<DbInner>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.inner.state.borrow_mut().close_snapshot(self.id);
    }
}

/// A consistent, repeatable view: every read returns what it would have returned at the
/// instant the snapshot was taken, whatever is written or flushed since.
pub struct Snapshot {
    inner: Rc<DbInner>,
    registration: Rc<Registration>,
    view: ReadView,
}

impl Snapshot {
    pub(crate) fn open(inner: &Rc<DbInner>, durability: Durability) -> Result<Snapshot> {
        let mut state = inner.state.borrow_mut();
        state.check_readable()?;
        let (id, seq) = state.open_snapshot(durability);
        let view = state.read_view(seq, inner.runtime.now().as_nanos());
        Ok(Snapshot {
            inner: inner.clone(),
            registration: Rc::new(Registration {
                inner: inner.clone(),
                id,
            }),
            view,
        })
    }

    /// The sequence number this snapshot reads at.
    pub fn seq(&self) -> u64 {
        self.view.seq
    }

    pub async fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>> {
        let key = key.as_ref();
        validate_key(key)?;
        self.inner.get_in_view(&self.view, key).await
    }

    /// An ordered iterator over `range` within this snapshot.
    pub fn scan<K: AsRef<[u8]>>(&self, range: impl RangeBounds<K>) -> ScanIter {
        ScanIter::new(
            self.inner.clone(),
            self.registration.clone(),
            &self.view,
            range,
        )
    }

    pub(crate) fn into_scan<K: AsRef<[u8]>>(self, range: impl RangeBounds<K>) -> ScanIter {
        ScanIter::new(self.inner, self.registration, &self.view, range)
    }
}
