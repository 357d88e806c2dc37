//! `CloudStore`: the port over any `object_store::ObjectStore` (LocalFileSystem, InMemory,
//! S3-compatible), natively, behind the `cloud` feature.
//!
//! The adapter owns the translation only: keys to `Path`s, conditional PUTs to `PutMode`,
//! byte ranges, string-prefix LIST with page tokens, and errors to `StoreError`. Time comes
//! from the `Runtime` it is given (the trace's start and end stamps), never from a wall clock
//! read here; latency, throttling and faults are whatever the backend does.
//!
//! What holds per backend (see docs/objstore.md):
//! - InMemory and S3: every port operation, including update-if-ETag-matches.
//! - LocalFileSystem: no update-if-match (object_store reports NotImplemented; the adapter
//!   answers `InvalidRequest("... not supported by this backend ...")`).
//! - LIST asks the backend for the enclosing directory, keeps keys that start with the prefix
//!   and sorts them, because object_store lists by path segment and does not promise an
//!   order. Each page therefore costs a full listing of that directory: fine for tools and
//!   tests, not for buckets with millions of keys under one directory.

use crate::port::{
    validate_key, ETag, GetResult, ListPage, ObjectMeta, ObjectStore, PutMode, PutResult,
    StoreError, StoreFuture, MAX_KEY_BYTES, MAX_LIST_PAGE,
};
use crate::sim::cost::request_cost_picousd;
use crate::sim::Pricing;
use bytes::Bytes;
use futures_lite::StreamExt;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStoreExt, PutOptions, PutPayload, UpdateVersion};
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;
use strata_sim::{Cause, EventKind, RequestOutcome, RequestRecord, RuntimeRef, SimTime, StoreOp};

/// The port over an `object_store` backend. Cheap to clone.
#[derive(Clone)]
pub struct CloudStore {
    inner: Rc<CloudInner>,
}

struct CloudInner {
    backend: Arc<dyn object_store::ObjectStore>,
    runtime: RuntimeRef,
    pricing: Pricing,
    run_start_epoch_nanos: u64,
}

impl std::fmt::Debug for CloudStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudStore")
            .field("backend", &self.inner.backend.to_string())
            .finish()
    }
}

/// What a backend call produced, before it becomes the caller's answer.
type BackendResult<T> = Result<T, StoreError>;

fn unsupported(operation: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::InvalidRequest(format!(
        "{operation} is not supported by this backend: {detail}"
    ))
}

/// Maps an object_store error to the port's. `update` marks a conditional update, where a
/// missing object is a failed precondition (it has no ETag to match), as the port promises.
fn map_error(key: &str, error: object_store::Error, update: bool) -> StoreError {
    let key = key.to_string();
    match error {
        object_store::Error::NotFound { .. } if update => StoreError::PreconditionFailed { key },
        object_store::Error::NotFound { .. } => StoreError::NotFound { key },
        object_store::Error::AlreadyExists { .. } => StoreError::AlreadyExists { key },
        object_store::Error::Precondition { .. } | object_store::Error::NotModified { .. } => {
            StoreError::PreconditionFailed { key }
        }
        object_store::Error::NotImplemented { operation, .. } => {
            unsupported(&operation, "not implemented")
        }
        object_store::Error::NotSupported { source } => unsupported("this operation", source),
        object_store::Error::InvalidPath { source } => {
            StoreError::InvalidRequest(format!("key {key:?} is not a valid path: {source}"))
        }
        other => StoreError::Unavailable {
            key,
            reason: other.to_string(),
        },
    }
}

fn to_path(key: &str) -> Result<Path, StoreError> {
    Path::parse(key).map_err(|error| {
        StoreError::InvalidRequest(format!("key {key:?} is not a valid object path: {error}"))
    })
}

fn outcome_of(result: &Result<impl Sized, StoreError>) -> RequestOutcome {
    match result {
        Ok(_) => RequestOutcome::Ok,
        Err(StoreError::NotFound { .. }) => RequestOutcome::NotFound,
        Err(StoreError::AlreadyExists { .. }) => RequestOutcome::AlreadyExists,
        Err(StoreError::PreconditionFailed { .. }) => RequestOutcome::PreconditionFailed,
        Err(StoreError::Throttled { .. }) => RequestOutcome::Throttled,
        Err(StoreError::Timeout { .. }) => RequestOutcome::Timeout,
        Err(StoreError::Unavailable { .. }) => RequestOutcome::Unavailable,
        Err(StoreError::InvalidRequest(_)) => RequestOutcome::Invalid,
    }
}

impl CloudStore {
    /// The port over `backend`, stamping requests with `runtime`'s clock. Requests cost
    /// nothing until `with_pricing` says otherwise.
    pub fn new(backend: Arc<dyn object_store::ObjectStore>, runtime: RuntimeRef) -> Self {
        CloudStore {
            inner: Rc::new(CloudInner {
                backend,
                runtime,
                pricing: Pricing::free(),
                run_start_epoch_nanos: 0,
            }),
        }
    }

    /// Prices each request as `pricing` would (an estimate: the backend's bill is the truth).
    pub fn with_pricing(self, pricing: Pricing) -> Self {
        self.rebuild(|inner| inner.pricing = pricing)
    }

    /// The backend reports modification times as Unix time; the port's `last_modified` is run
    /// time. Give the run's start in nanoseconds since the Unix epoch (the caller, which may
    /// read a wall clock, knows it) to translate; without it `last_modified` is Unix time.
    pub fn with_run_start_epoch_nanos(self, run_start_epoch_nanos: u64) -> Self {
        self.rebuild(|inner| inner.run_start_epoch_nanos = run_start_epoch_nanos)
    }

    fn rebuild(self, change: impl FnOnce(&mut CloudInner)) -> Self {
        let mut inner = CloudInner {
            backend: self.inner.backend.clone(),
            runtime: self.inner.runtime.clone(),
            pricing: self.inner.pricing.clone(),
            run_start_epoch_nanos: self.inner.run_start_epoch_nanos,
        };
        change(&mut inner);
        CloudStore {
            inner: Rc::new(inner),
        }
    }

    /// Runs one backend call and records it as a request.
    fn request<T, Fut>(
        &self,
        op: StoreOp,
        cause: Cause,
        key: &str,
        bytes_sent: u64,
        call: impl FnOnce(Rc<CloudInner>) -> Fut,
        bytes_received: fn(&T) -> u64,
    ) -> StoreFuture<T>
    where
        T: 'static,
        Fut: std::future::Future<Output = BackendResult<T>> + 'static,
    {
        let inner = self.inner.clone();
        let start = inner.runtime.now();
        let future = call(inner.clone());
        let key = key.to_string();
        Box::pin(async move {
            let result = future.await;
            let end = inner.runtime.now();
            let received = result.as_ref().map_or(0, bytes_received);
            let outcome = outcome_of(&result);
            let bytes = if op == StoreOp::Put {
                bytes_sent
            } else {
                received
            };
            // Invalid requests never reach the backend; 5xx-like failures are not billed.
            let billed = !matches!(
                outcome,
                RequestOutcome::Invalid | RequestOutcome::Unavailable | RequestOutcome::Throttled
            );
            let cost_picousd = if billed {
                request_cost_picousd(&inner.pricing, op, bytes)
            } else {
                0
            };
            inner.runtime.record_at(
                end,
                EventKind::Request(RequestRecord {
                    op,
                    key,
                    bytes,
                    cause,
                    start,
                    end,
                    outcome,
                    cost_picousd,
                    applied_despite_error: false,
                }),
            );
            result
        })
    }
}

impl CloudInner {
    fn meta(&self, key: &str, meta: &object_store::ObjectMeta) -> ObjectMeta {
        let epoch_nanos = meta
            .last_modified
            .timestamp_nanos_opt()
            .and_then(|nanos| u64::try_from(nanos).ok())
            .unwrap_or(0);
        ObjectMeta {
            key: key.to_string(),
            size_bytes: meta.size,
            etag: ETag(meta.e_tag.clone().unwrap_or_default()),
            last_modified: SimTime::from_nanos(
                epoch_nanos.saturating_sub(self.run_start_epoch_nanos),
            ),
        }
    }

    async fn put(&self, key: String, data: Bytes, mode: PutMode) -> BackendResult<PutResult> {
        let path = to_path(&key)?;
        let update = matches!(mode, PutMode::UpdateIfMatch(_));
        let mode = match mode {
            PutMode::Overwrite => object_store::PutMode::Overwrite,
            PutMode::CreateIfAbsent => object_store::PutMode::Create,
            PutMode::UpdateIfMatch(etag) => object_store::PutMode::Update(UpdateVersion {
                e_tag: Some(etag.0),
                version: None,
            }),
        };
        let result = self
            .backend
            .put_opts(&path, PutPayload::from(data), PutOptions::from(mode))
            .await
            .map_err(|error| map_error(&key, error, update))?;
        Ok(PutResult {
            etag: ETag(result.e_tag.unwrap_or_default()),
        })
    }

    async fn head(&self, key: &str) -> BackendResult<ObjectMeta> {
        let path = to_path(key)?;
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let result = self
            .backend
            .get_opts(&path, options)
            .await
            .map_err(|error| map_error(key, error, false))?;
        Ok(self.meta(key, &result.meta))
    }

    async fn get(&self, key: String, range: Option<Range<u64>>) -> BackendResult<GetResult> {
        let path = to_path(&key)?;
        let out_of_range = |range: &Range<u64>, size: u64| {
            StoreError::InvalidRequest(format!(
                "range {}..{} is not within the {size} bytes of {key}",
                range.start, range.end
            ))
        };
        if let Some(range) = &range {
            // object_store refuses empty ranges; the port returns empty bytes for them.
            if range.start == range.end {
                let meta = self.head(&key).await?;
                if range.end > meta.size_bytes {
                    return Err(out_of_range(range, meta.size_bytes));
                }
                return Ok(GetResult {
                    bytes: Bytes::new(),
                    meta,
                    range: range.clone(),
                });
            }
        }
        let options = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = match self.backend.get_opts(&path, options).await {
            Ok(result) => result,
            Err(error) => {
                let mapped = map_error(&key, error, false);
                // A range starting past the end is an error from the backend; find out whether
                // that is what happened, so that the caller gets InvalidRequest either way.
                if let (Some(range), StoreError::Unavailable { .. }) = (&range, &mapped) {
                    if let Ok(meta) = self.head(&key).await {
                        if range.end > meta.size_bytes {
                            return Err(out_of_range(range, meta.size_bytes));
                        }
                    }
                }
                return Err(mapped);
            }
        };
        let meta = self.meta(&key, &result.meta);
        if let Some(range) = &range {
            // object_store returns the remainder for a range ending past the object; the
            // port refuses it, as S3 semantics for a malformed range.
            if range.end > meta.size_bytes {
                return Err(out_of_range(range, meta.size_bytes));
            }
        }
        let returned = result.range.clone();
        let bytes = result
            .bytes()
            .await
            .map_err(|error| map_error(&key, error, false))?;
        Ok(GetResult {
            bytes,
            meta,
            range: returned,
        })
    }

    async fn list(
        &self,
        prefix: String,
        page_token: Option<String>,
        max_keys: usize,
    ) -> BackendResult<ListPage> {
        // object_store lists whole path segments: ask for the directory that holds every key
        // starting with `prefix`, then filter by the string prefix.
        let directory = match prefix.rfind('/') {
            Some(index) => &prefix[..index],
            None => "",
        };
        let directory = if directory.is_empty() {
            None
        } else {
            Some(to_path(directory)?)
        };
        let mut stream = self.backend.list(directory.as_ref());
        let mut matching = Vec::new();
        while let Some(item) = stream.next().await {
            let meta = item.map_err(|error| map_error(&prefix, error, false))?;
            let key = meta.location.as_ref();
            let after_token = page_token.as_deref().is_none_or(|token| key > token);
            if key.starts_with(prefix.as_str()) && after_token {
                let key = key.to_string();
                matching.push(self.meta(&key, &meta));
            }
        }
        matching.sort_by(|a, b| a.key.cmp(&b.key));
        let more = matching.len() > max_keys;
        matching.truncate(max_keys);
        let next_page_token = if more {
            matching.last().map(|meta| meta.key.clone())
        } else {
            None
        };
        Ok(ListPage {
            objects: matching,
            next_page_token,
        })
    }

    async fn delete(&self, key: &str) -> BackendResult<()> {
        let path = to_path(key)?;
        match self.backend.delete(&path).await {
            // Deleting a missing key succeeds, as on S3.
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(map_error(key, error, false)),
        }
    }
}

fn invalid<T: 'static>(error: StoreError) -> impl std::future::Future<Output = BackendResult<T>> {
    std::future::ready(Err(error))
}

impl ObjectStore for CloudStore {
    fn put(&self, cause: Cause, key: &str, data: Bytes, mode: PutMode) -> StoreFuture<PutResult> {
        let size = data.len() as u64;
        let checked = validate_key(key);
        let key_owned = key.to_string();
        self.request(
            StoreOp::Put,
            cause,
            key,
            size,
            move |inner| async move {
                checked?;
                inner.put(key_owned, data, mode).await
            },
            |_| 0,
        )
    }

    fn get(&self, cause: Cause, key: &str, range: Option<Range<u64>>) -> StoreFuture<GetResult> {
        let checked = validate_key(key).and_then(|()| match &range {
            Some(range) if range.start > range.end => Err(StoreError::InvalidRequest(format!(
                "range {}..{} starts after it ends",
                range.start, range.end
            ))),
            _ => Ok(()),
        });
        let key_owned = key.to_string();
        self.request(
            StoreOp::Get,
            cause,
            key,
            0,
            move |inner| async move {
                checked?;
                inner.get(key_owned, range).await
            },
            |got: &GetResult| got.bytes.len() as u64,
        )
    }

    fn head(&self, cause: Cause, key: &str) -> StoreFuture<ObjectMeta> {
        let checked = validate_key(key);
        let key_owned = key.to_string();
        self.request(
            StoreOp::Head,
            cause,
            key,
            0,
            move |inner| async move {
                checked?;
                inner.head(&key_owned).await
            },
            |_| 0,
        )
    }

    fn list(
        &self,
        cause: Cause,
        prefix: &str,
        page_token: Option<String>,
        max_keys: usize,
    ) -> StoreFuture<ListPage> {
        let prefix_owned = prefix.to_string();
        if max_keys == 0 {
            let error = StoreError::InvalidRequest("max_keys must be at least 1".to_string());
            return self.request(StoreOp::List, cause, prefix, 0, |_| invalid(error), |_| 0);
        }
        if prefix.len() > MAX_KEY_BYTES {
            let error = StoreError::InvalidRequest(format!(
                "prefix of {} bytes is over the {MAX_KEY_BYTES}-byte key limit",
                prefix.len()
            ));
            return self.request(StoreOp::List, cause, prefix, 0, |_| invalid(error), |_| 0);
        }
        let max_keys = max_keys.min(MAX_LIST_PAGE);
        self.request(
            StoreOp::List,
            cause,
            prefix,
            0,
            move |inner| async move { inner.list(prefix_owned, page_token, max_keys).await },
            |_| 0,
        )
    }

    fn delete(&self, cause: Cause, key: &str) -> StoreFuture<()> {
        let checked = validate_key(key);
        let key_owned = key.to_string();
        self.request(
            StoreOp::Delete,
            cause,
            key,
            0,
            move |inner| async move {
                checked?;
                inner.delete(&key_owned).await
            },
            |_| 0,
        )
    }
}
