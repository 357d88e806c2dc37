//! What the explain fold reports: the job a request was made for, the rows of `strata
//! explain`, the slowest operations with the requests on their paths, and a finished job's
//! shares, as the CLI prints them (JSON) and the page draws them.

use crate::metrics::usd;
use serde::Serialize;
use std::collections::BTreeMap;
use strata_sim::{Cause, RequestRecord, StoreOp};

/// What an amortised or direct request was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum JobKey {
    /// A WAL object, by id.
    Wal {
        wal_id: u64,
    },
    /// A memtable flush, by memtable id.
    Flush {
        memtable_id: u64,
    },
    Compaction {
        job_id: u64,
    },
    /// A client operation, by its number (the trace's origin).
    Operation {
        number: u64,
    },
    /// No client cause: a background row.
    Background {
        row: usize,
    },
}

/// One request on an operation's path or in a job, as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestBrief {
    pub seq: u64,
    pub cause: Cause,
    pub op: StoreOp,
    pub key: String,
    pub bytes: u64,
    pub start_ms: f64,
    pub latency_ms: f64,
    pub usd: f64,
}

impl RequestBrief {
    pub(super) fn of(seq: u64, request: &RequestRecord) -> RequestBrief {
        RequestBrief {
            seq,
            cause: request.cause,
            op: request.op,
            key: request.key.clone(),
            bytes: request.bytes,
            start_ms: request.start.as_millis_f64(),
            latency_ms: request.end.saturating_since(request.start).as_millis_f64(),
            usd: usd(request.cost_picousd),
        }
    }
}

/// A finished job, for the page: what it cost and whom it served.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobExplained {
    pub job: JobKey,
    pub usd: f64,
    pub requests: u64,
    /// Whom it served: a row's name, the writes (or operations) it carried, its share.
    pub served: Vec<Served>,
}

/// One row a job served: its name ([`row_name`]), the writes it carried, its share of the
/// job's cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Served {
    pub row: &'static str,
    pub operations: f64,
    pub share: f64,
}

/// A row of the report: what a kind of operation, or a background cause, cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Row {
    pub usd: f64,
    /// Requests, amortised: a WAL PUT shared by four writes counts a quarter to each.
    pub requests: f64,
    pub bytes: f64,
    /// Client operations of this kind completed (0 for background rows).
    pub operations: u64,
}

/// One of the slowest client operations, with the requests it waited for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlowOperation {
    pub number: u64,
    pub kind: &'static str,
    pub key: String,
    pub start_ms: f64,
    pub latency_ms: f64,
    pub ok: bool,
    /// Its own requests, or for a durable write the WAL object's (up to
    /// [`MAX_PATH_REQUESTS`]).
    pub requests: Vec<RequestBrief>,
    /// How it waited: `requests` (its own reads), `wal` (a durable write's WAL object),
    /// `memory` (acknowledged from memory: no request on its path) or `nothing` (it failed
    /// before sending any).
    pub waited_for: &'static str,
}

/// What `strata explain` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// By client operation kind (kinds that cost nothing are left out).
    pub operations: BTreeMap<String, Row>,
    /// By background cause (`other_writes`, `other_databases`, and the causes).
    pub background: BTreeMap<String, Row>,
    /// The rows' sum, and the trace's total, in dollars.
    pub attributed_usd: f64,
    pub total_usd: f64,
    pub slowest: Vec<SlowOperation>,
}
