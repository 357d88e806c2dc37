//! A run exported for other tools: the trace as Chrome trace-event JSON for Perfetto
//! ([`trace_events`]) and the metrics over time as CSV ([`metrics_csv`]).
//!
//! Both read a [`crate::Lab`] (a finished run or one in progress) and nothing else, so
//! `strata run --trace-out/--metrics-out` and the page's save buttons write the same bytes
//! for the same run at the same moment. Both are bounded by what the lab already keeps: the
//! trace's retained ring and the metrics' series of at most
//! [`crate::metrics::MAX_SERIES_BUCKETS`] buckets. Both are written by hand (the JSON through
//! [`json_text`]), without serde_json's serialiser, to keep the playground's download small.

pub mod json_text;
pub mod metrics_csv;
pub mod trace_events;

pub use metrics_csv::{lab_metrics_csv, metrics_csv};
pub use trace_events::{chrome_trace, lab_chrome_trace, lab_chrome_trace_json, ChromeTrace};
