//! The engine's view of the object store: the port plus bounded retries of transient errors,
//! LIST over every page, and conditional creates that resolve ambiguous failures by reading
//! back instead of retrying blindly.
//!
//! Every call names its `Cause`. Part 2 replaces the fixed retry pause with backoff and
//! jitter, and adds hedging.

use bytes::Bytes;
use std::ops::Range;
use std::rc::Rc;
use strata_objstore::{GetResult, ObjectMeta, ObjectStore, PutMode, StoreError};
use strata_sim::{Cause, EventKind, RuntimeRef, SimDuration};

/// The most LIST pages one listing follows (a million objects at 1000 a page); a listing
/// longer than this is reported as an error rather than looping forever.
pub const MAX_LIST_PAGES: usize = 1000;

/// How a create-if-absent PUT ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    /// Our bytes are now the object (possibly from an earlier attempt that timed out).
    Created,
    /// Another writer's bytes are there.
    Exists,
}

/// The port with retries.
#[derive(Clone)]
pub struct Store {
    port: Rc<dyn ObjectStore>,
    runtime: RuntimeRef,
    max_attempts: u32,
    retry_delay: SimDuration,
}

impl Store {
    pub fn new(
        port: Rc<dyn ObjectStore>,
        runtime: RuntimeRef,
        max_attempts: u32,
        retry_delay: SimDuration,
    ) -> Self {
        Store {
            port,
            runtime,
            max_attempts: max_attempts.max(1),
            retry_delay,
        }
    }

    async fn pause_before_retry(&self, cause: Cause, attempt: u32) {
        self.runtime.record(EventKind::Retried { cause, attempt });
        self.runtime
            .sleep(self.retry_delay.saturating_mul(u64::from(attempt)))
            .await;
    }

    /// GET with retries of transient errors.
    pub async fn get(
        &self,
        cause: Cause,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<GetResult, StoreError> {
        let mut attempt = 1;
        loop {
            match self.port.get(cause, key, range.clone()).await {
                Err(error) if error.is_transient() && attempt < self.max_attempts => {
                    self.pause_before_retry(cause, attempt).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// GET that maps `NotFound` to `None`.
    pub async fn get_opt(&self, cause: Cause, key: &str) -> Result<Option<Bytes>, StoreError> {
        match self.get(cause, key, None).await {
            Ok(result) => Ok(Some(result.bytes)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every object under `prefix`, in key order.
    pub async fn list_all(
        &self,
        cause: Cause,
        prefix: &str,
    ) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut objects = Vec::new();
        let mut token = None;
        for _ in 0..MAX_LIST_PAGES {
            let mut attempt = 1;
            let page = loop {
                match self
                    .port
                    .list(cause, prefix, token.clone(), strata_objstore::MAX_LIST_PAGE)
                    .await
                {
                    Err(error) if error.is_transient() && attempt < self.max_attempts => {
                        self.pause_before_retry(cause, attempt).await;
                        attempt += 1;
                    }
                    result => break result?,
                }
            };
            objects.extend(page.objects);
            match page.next_page_token {
                Some(next) => token = Some(next),
                None => return Ok(objects),
            }
        }
        Err(StoreError::InvalidRequest(format!(
            "listing {prefix} exceeded {MAX_LIST_PAGES} pages"
        )))
    }

    /// DELETE with retries (deleting is idempotent, so a blind retry is safe).
    pub async fn delete(&self, cause: Cause, key: &str) -> Result<(), StoreError> {
        let mut attempt = 1;
        loop {
            match self.port.delete(cause, key).await {
                Err(error) if error.is_transient() && attempt < self.max_attempts => {
                    self.pause_before_retry(cause, attempt).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// Create-if-absent. A transient failure may or may not have created the object, so it
    /// is never retried blindly: the object is read back first, and if it holds our bytes
    /// the create succeeded; if it holds other bytes, someone else created it.
    pub async fn create(
        &self,
        cause: Cause,
        key: &str,
        data: Bytes,
    ) -> Result<CreateOutcome, StoreError> {
        let mut attempt = 1;
        loop {
            let error = match self
                .port
                .put(cause, key, data.clone(), PutMode::CreateIfAbsent)
                .await
            {
                Ok(_) => return Ok(CreateOutcome::Created),
                Err(StoreError::AlreadyExists { .. }) => {
                    // Possibly our own earlier attempt (from this call or a failed earlier
                    // call with the same bytes): compare.
                    return match self.get_opt(cause, key).await? {
                        Some(existing) if existing == data => Ok(CreateOutcome::Created),
                        Some(_) => Ok(CreateOutcome::Exists),
                        // Created and deleted since: treat as taken, the caller re-reads.
                        None => Ok(CreateOutcome::Exists),
                    };
                }
                Err(error) if error.is_transient() => error,
                Err(error) => return Err(error),
            };
            // Ambiguous: resolve by reading back.
            if let Some(existing) = self.get_opt(cause, key).await? {
                return Ok(if existing == data {
                    CreateOutcome::Created
                } else {
                    CreateOutcome::Exists
                });
            }
            if attempt >= self.max_attempts {
                return Err(error);
            }
            self.pause_before_retry(cause, attempt).await;
            attempt += 1;
        }
    }
}
