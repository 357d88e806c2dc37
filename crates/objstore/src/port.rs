//! The object-store port: the one trait the engine and the recommender talk to, with S3
//! semantics (conditional PUTs, ranged GETs, paginated LIST) and a small typed error.
//!
//! Every call carries its `Cause`, so every request in the trace says why it was made. The
//! futures are `'static` and not `Send`: implementations keep their state behind an `Rc` and
//! run on one thread (the simulation, or the CLI's local tokio executor).

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use strata_sim::{Cause, LocalBoxFuture, SimTime};

/// The longest key the port accepts, in bytes (S3's limit).
pub const MAX_KEY_BYTES: usize = 1024;

/// An object's entity tag: changes whenever the object's content is written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ETag(pub String);

impl std::fmt::Display for ETag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a PUT treats an existing object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PutMode {
    /// Replace whatever is there.
    Overwrite,
    /// Fail with `AlreadyExists` if the key exists (S3 `If-None-Match: *`).
    CreateIfAbsent,
    /// Fail with `PreconditionFailed` unless the current ETag matches (S3 `If-Match`).
    UpdateIfMatch(ETag),
}

/// What a store knows about one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub key: String,
    pub size_bytes: u64,
    pub etag: ETag,
    pub last_modified: SimTime,
}

/// The result of a successful PUT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutResult {
    pub etag: ETag,
}

/// The result of a successful GET: the bytes asked for, and the whole object's metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetResult {
    pub bytes: Bytes,
    pub meta: ObjectMeta,
    /// The byte range of the object that `bytes` holds.
    pub range: Range<u64>,
}

/// One page of a LIST, in ascending key order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<ObjectMeta>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_page_token: Option<String>,
}

/// The largest page a LIST returns (S3's limit).
pub const MAX_LIST_PAGE: usize = 1000;

/// The port's errors: few, typed, and each one a decision the caller must make.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("object not found: {key}")]
    NotFound { key: String },
    #[error("object already exists: {key}")]
    AlreadyExists { key: String },
    #[error("precondition failed (ETag mismatch): {key}")]
    PreconditionFailed { key: String },
    #[error("throttled (503 SlowDown) on {key}")]
    Throttled { key: String },
    /// No answer before the deadline. For a PUT or DELETE the request may or may not have been
    /// applied: the caller must find out, never assume.
    #[error("timed out waiting for {key}")]
    Timeout { key: String },
    /// A 5xx or an outage: the request failed. For a lost acknowledgement the write was applied
    /// anyway; the caller cannot tell the difference, which is the point.
    #[error("store unavailable for {key}: {reason}")]
    Unavailable { key: String, reason: String },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl StoreError {
    /// True for errors worth retrying after a backoff.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Throttled { .. }
                | StoreError::Timeout { .. }
                | StoreError::Unavailable { .. }
        )
    }
}

/// A future returned by the port.
pub type StoreFuture<T> = LocalBoxFuture<'static, Result<T, StoreError>>;

/// An S3-like object store.
pub trait ObjectStore {
    fn put(&self, cause: Cause, key: &str, data: Bytes, mode: PutMode) -> StoreFuture<PutResult>;
    /// GET the whole object (`range: None`) or the bytes `range` of it (end exclusive). A range
    /// that starts after it ends, or ends past the object, is `InvalidRequest`; an empty range
    /// within the object returns no bytes.
    fn get(&self, cause: Cause, key: &str, range: Option<Range<u64>>) -> StoreFuture<GetResult>;
    fn head(&self, cause: Cause, key: &str) -> StoreFuture<ObjectMeta>;
    /// Lists keys starting with `prefix` (any string) in ascending order, at most `max_keys`
    /// (capped at `MAX_LIST_PAGE`; zero is `InvalidRequest`) per page. Treat the page token as
    /// opaque: pass back what the previous page returned.
    fn list(
        &self,
        cause: Cause,
        prefix: &str,
        page_token: Option<String>,
        max_keys: usize,
    ) -> StoreFuture<ListPage>;
    /// Deletes the key; deleting a missing key succeeds, as in S3.
    fn delete(&self, cause: Cause, key: &str) -> StoreFuture<()>;
}

/// Checks a key against the port's rules: non-empty and at most `MAX_KEY_BYTES` bytes.
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() {
        return Err(StoreError::InvalidRequest("empty key".to_string()));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(StoreError::InvalidRequest(format!(
            "key of {} bytes is over the {MAX_KEY_BYTES}-byte limit",
            key.len()
        )));
    }
    Ok(())
}
