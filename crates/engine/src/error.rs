//! Errors: the internal `Error` enum (one variant per distinct failure, with the detail a
//! person needs) and the small public `ErrorKind` every caller can branch on.
//!
//! Callers decide on the kind: `Fenced` (another writer owns the database; stop),
//! `Unavailable` (the store failed; retry later), `Invalid` (fix the request), `Corrupt` (an
//! object failed its checksum or does not parse; do not retry), `Closed` (the handle was
//! closed or crashed).

use strata_objstore::StoreError;

/// What kind of failure an [`Error`] is: the decision a caller has to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// A newer writer opened the database; this handle may no longer write.
    Fenced,
    /// The object store failed or was unreachable after bounded retries.
    Unavailable,
    /// The request itself is wrong (empty key, oversized value, bad options).
    Invalid,
    /// An object failed its checksum or could not be parsed.
    Corrupt,
    /// The handle was closed, dropped or crashed.
    Closed,
}

/// Every failure the engine reports.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("fenced: writer epoch {writer_epoch} was superseded by epoch {current_epoch}")]
    Fenced {
        writer_epoch: u64,
        current_epoch: u64,
    },
    #[error("object store failed during {operation}: {source}")]
    Store {
        operation: &'static str,
        #[source]
        source: StoreError,
    },
    #[error("gave up on {operation} after {attempts} attempts: {reason}")]
    RetriesExhausted {
        operation: &'static str,
        attempts: u32,
        reason: String,
    },
    #[error("invalid request: {0}")]
    Invalid(String),
    /// A range delete whose bounds are not keys, or whose start is not below its end.
    #[error("invalid range delete: {reason}")]
    InvalidRange { reason: String },
    /// A time-to-live of zero or over `MAX_TTL`.
    #[error("invalid time-to-live: {reason}")]
    InvalidTtl { reason: String },
    #[error("corrupt object {object}: {reason}")]
    Corrupt { object: String, reason: String },
    #[error("the database handle is closed")]
    Closed,
    #[error("the database handle crashed")]
    Crashed,
    #[error("the durable write was not confirmed: the WAL upload covering it failed ({reason})")]
    WalUploadFailed { reason: String },
    /// Backpressure in `Reject` mode: flushing or compaction is behind; retry later.
    #[error("write rejected: {reason} (compaction or flushing is behind; retry later)")]
    WriteRejected { reason: String },
}

impl Error {
    /// The public kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Fenced { .. } => ErrorKind::Fenced,
            Error::Store { source, .. } => match source {
                StoreError::InvalidRequest(_) => ErrorKind::Invalid,
                _ => ErrorKind::Unavailable,
            },
            Error::RetriesExhausted { .. }
            | Error::WalUploadFailed { .. }
            | Error::WriteRejected { .. } => ErrorKind::Unavailable,
            Error::Invalid(_) | Error::InvalidRange { .. } | Error::InvalidTtl { .. } => {
                ErrorKind::Invalid
            }
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Closed | Error::Crashed => ErrorKind::Closed,
        }
    }

    pub(crate) fn corrupt(object: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Corrupt {
            object: object.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn store(operation: &'static str, source: StoreError) -> Self {
        Error::Store { operation, source }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_error_maps_to_the_kind_a_caller_acts_on() {
        let cases = [
            (
                Error::Fenced {
                    writer_epoch: 1,
                    current_epoch: 2,
                },
                ErrorKind::Fenced,
            ),
            (
                Error::store(
                    "wal put",
                    StoreError::Timeout {
                        key: "k".to_string(),
                    },
                ),
                ErrorKind::Unavailable,
            ),
            (
                Error::store("get", StoreError::InvalidRequest("bad".to_string())),
                ErrorKind::Invalid,
            ),
            (Error::Invalid("empty key".to_string()), ErrorKind::Invalid),
            (
                Error::InvalidRange {
                    reason: "inverted".to_string(),
                },
                ErrorKind::Invalid,
            ),
            (
                Error::InvalidTtl {
                    reason: "zero".to_string(),
                },
                ErrorKind::Invalid,
            ),
            (Error::corrupt("a.sst", "crc"), ErrorKind::Corrupt),
            (Error::Closed, ErrorKind::Closed),
            (Error::Crashed, ErrorKind::Closed),
            (
                Error::WalUploadFailed {
                    reason: "503".to_string(),
                },
                ErrorKind::Unavailable,
            ),
            (
                Error::WriteRejected {
                    reason: "12 L0 SSTs".to_string(),
                },
                ErrorKind::Unavailable,
            ),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error}");
            assert!(!error.to_string().is_empty());
        }
    }
}
