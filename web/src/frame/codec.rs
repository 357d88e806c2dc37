//! A frame as bytes, written and read by hand: what crosses `postMessage` from the worker ten
//! times a second. Integers and floats as their little-endian bytes (a float's bits, so a figure
//! keeps every bit), a flag as one byte, a string or a list as its length (`u32`) then its
//! contents, an option as a flag then its value, a struct as its fields in declaration order, an
//! enum as its variant's index. The scenario, the settings in force and the recommender section
//! travel as scenario JSON documents, the form the page and the worker already write and read by
//! hand; the scenario's and the settings' only in a frame of a revision the page does not hold
//! ([`Held`]: they change when a control applies or the run reaches a setting change, not with
//! every frame).
//!
//! Replaces serde's derived `Serialize` and `Deserialize` for the frame and every type nested in
//! it (the storage and recommender panels' figures, the engine's `DbState`, the recommender's
//! summary and report): measured with `CARGO_INCREMENTAL=0 cargo xtask dist`, the page's wasm is
//! 639,000 B gzip with the frame written by serde_json as text and read back, and 603,633 B with
//! this codec (−35.4 KB; docs/ui.md, cuts table). The tests check it against serde: for frames of
//! real sessions, `decode(encode(f)) == f` and equals serde_json's round trip; every truncation
//! of an encoded frame and random bytes are an error, never a panic.
//!
//! Reading is bounded by its input: a list's length is checked against the bytes left (every
//! element takes at least one), so a bad length is an error, never a huge allocation. A
//! [`Reader`] keeps the first error it meets and is checked once per value read, so a struct's
//! reader is its fields' readers one after the other, with no error path per field: with a
//! `Result` per field (`field: Decode::decode(input)?`) the readers were 49.7 KB raw, each field
//! after the first with its own path dropping the fields before it (−6.9 KB gzip; docs/ui.md).

use super::{
    CompactionModel, Frame, LatencyKind, LatencyModel, Panels, RebuildFrame, RecommenderFrame,
    SlowOperationLine, StorageFrame, TimeFrame, TimelineIncrement, TimelineRequest, TombstoneBar,
};
use crate::observed::{Activity, ActivityKind, EventLine, LineClass};
use crate::session::Settings;
use std::fmt;
use std::rc::Rc;
use strata_engine::state::{
    Amplification, Counters, DbState, DbStatus, MemtableState, RunState, SstState, WalState,
};
use strata_engine::CacheStats;
use strata_lab::metrics::{LatencyPercentiles, OpCounts};
use strata_lab::recommender::RecommenderReport;
use strata_lab::runner::{ClientError, PrefixSummary, TenantSummary, WriterStatus};
use strata_lab::Scenario;
use strata_recommender::guardrails::GuardrailMetrics;
use strata_recommender::ope::{Estimate, WeightDiagnostics};
use strata_recommender::policy::ArmSummary;
use strata_recommender::simulation::RecommenderSummary;
use strata_sim::maps::LiteMap;
use strata_sim::{Cause, RequestOutcome, RequestRecord, SimTime, StoreOp};

/// Why bytes are not a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The bytes end inside a value.
    Truncated,
    /// A length longer than the bytes left.
    BadLength,
    /// A flag or a variant's index that names none.
    BadTag(&'static str),
    /// A string that is not UTF-8.
    BadText,
    /// A scenario document that does not read.
    BadScenario(String),
    /// Bytes left after the value.
    Trailing,
    /// A frame without its settings, of a revision not read before.
    NotHeld(u64),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Truncated => f.write_str("the bytes end inside a value"),
            CodecError::BadLength => f.write_str("a length longer than the bytes left"),
            CodecError::BadTag(what) => write!(f, "an unknown {what}"),
            CodecError::BadText => f.write_str("a string that is not UTF-8"),
            CodecError::BadScenario(why) => write!(f, "a scenario that does not read ({why})"),
            CodecError::Trailing => f.write_str("bytes after the value"),
            CodecError::NotHeld(revision) => {
                write!(f, "settings of a revision not received ({revision})")
            }
        }
    }
}

/// Writes a value's bytes.
pub trait Encode {
    fn encode(&self, out: &mut Vec<u8>);
}

/// Reads a value from a [`Reader`]. A value is read whole whatever the bytes: past the first
/// error the reader hands out zeros and empty lengths, and the caller checks the reader once, so
/// no field has an error path of its own (each had one that dropped the fields read before it).
pub trait Decode: Sized {
    fn read(reader: &mut Reader<'_>) -> Self;

    /// Reads a value from the front of `input`, leaving the bytes after it.
    fn decode(input: &mut &[u8]) -> Result<Self, CodecError> {
        read_from(input, Self::read)
    }
}

/// What `read` reads from the front of `input`, leaving the bytes after it; the reader's first
/// error if it met one.
fn read_from<T>(
    input: &mut &[u8],
    read: impl FnOnce(&mut Reader<'_>) -> T,
) -> Result<T, CodecError> {
    let mut reader = Reader {
        rest: input,
        error: None,
    };
    let value = read(&mut reader);
    *input = reader.rest;
    match reader.error {
        None => Ok(value),
        Some(error) => Err(error),
    }
}

/// What a failed reader hands out for a `T`: zeros, empty texts and lists, first variants (a
/// stand-in for a value that did not read, which the caller then throws away).
pub fn zero<T: Decode>() -> T {
    T::read(&mut Reader {
        rest: &[],
        error: Some(CodecError::Truncated),
    })
}

/// `bytes` as one whole value: an error if any are left over.
pub fn decode_all<T: Decode>(bytes: &[u8]) -> Result<T, CodecError> {
    read_all(bytes, T::read)
}

/// What `read` reads from `bytes`, all of them: an error if any are left over, or the reader's
/// first error.
pub fn read_all<T>(
    mut bytes: &[u8],
    read: impl FnOnce(&mut Reader<'_>) -> T,
) -> Result<T, CodecError> {
    let value = read_from(&mut bytes, read)?;
    if bytes.is_empty() {
        Ok(value)
    } else {
        Err(CodecError::Trailing)
    }
}

/// The bytes not read yet, and the first error met. After an error there are no bytes left, so
/// every later read is a zero, an empty string or list, or a first variant, and costs nothing.
pub struct Reader<'a> {
    rest: &'a [u8],
    error: Option<CodecError>,
}

impl<'a> Reader<'a> {
    /// Records `error` unless one came first, and reads nothing more.
    pub fn fail(&mut self, error: CodecError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
        self.rest = &[];
    }

    fn failed(&self) -> bool {
        self.error.is_some()
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        if self.rest.len() < n {
            self.fail(CodecError::Truncated);
            return &[];
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        head
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut array = [0; N];
        let bytes = self.take(N);
        if bytes.len() == N {
            array.copy_from_slice(bytes);
        }
        array
    }

    /// A length, bounded by the bytes left (every element takes at least one byte, so a bad
    /// length is an error, never a huge allocation).
    fn length(&mut self) -> usize {
        let n = u32::read(self) as usize;
        if n > self.rest.len() {
            self.fail(CodecError::BadLength);
            return 0;
        }
        n
    }

    /// A list of values each read by `read`.
    pub fn list<T>(&mut self, mut read: impl FnMut(&mut Reader<'a>) -> T) -> Vec<T> {
        // Every element takes at least one byte, so `n` is at most the bytes left.
        let n = self.length();
        let mut items = Vec::with_capacity(n);
        while items.len() < n && !self.failed() {
            items.push(read(self));
        }
        items
    }

    /// A name written as a string, as `find` knows it (`what` names the set when it does not).
    pub fn known(
        &mut self,
        what: &'static str,
        find: impl FnOnce(&str) -> Option<&'static str>,
    ) -> &'static str {
        let text = self.text();
        match find(text) {
            Some(name) => name,
            None => {
                self.fail(CodecError::BadTag(what));
                ""
            }
        }
    }

    /// A string's bytes as text.
    fn text(&mut self) -> &'a str {
        let n = self.length();
        let bytes = self.take(n);
        match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                self.fail(CodecError::BadText);
                ""
            }
        }
    }
}

fn write_length(n: usize, out: &mut Vec<u8>) {
    // Nothing in a frame comes near 4 GiB; a longer list would not be sent anyway.
    u32::try_from(n).unwrap_or(u32::MAX).encode(out);
}

impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Decode for u8 {
    fn read(reader: &mut Reader<'_>) -> Self {
        reader.array::<1>()[0]
    }
}

macro_rules! little_endian {
    ($($ty:ty),*) => {$(
        impl Encode for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
        impl Decode for $ty {
            fn read(reader: &mut Reader<'_>) -> Self {
                <$ty>::from_le_bytes(reader.array())
            }
        }
    )*};
}

little_endian!(u32, u64, f64);

impl Encode for usize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u64).encode(out);
    }
}

impl Decode for usize {
    fn read(reader: &mut Reader<'_>) -> Self {
        usize::try_from(u64::read(reader)).unwrap_or_else(|_| {
            reader.fail(CodecError::BadTag("size"));
            0
        })
    }
}

impl Encode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl Decode for bool {
    fn read(reader: &mut Reader<'_>) -> Self {
        match u8::read(reader) {
            0 => false,
            1 => true,
            _ => {
                reader.fail(CodecError::BadTag("flag"));
                false
            }
        }
    }
}

impl Encode for str {
    fn encode(&self, out: &mut Vec<u8>) {
        write_length(self.len(), out);
        out.extend_from_slice(self.as_bytes());
    }
}

impl Encode for String {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_str().encode(out);
    }
}

impl Decode for String {
    fn read(reader: &mut Reader<'_>) -> Self {
        reader.text().to_string()
    }
}

impl Encode for SimTime {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_nanos().encode(out);
    }
}

impl Decode for SimTime {
    fn read(reader: &mut Reader<'_>) -> Self {
        SimTime::from_nanos(u64::read(reader))
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.encode(out);
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn read(reader: &mut Reader<'_>) -> Self {
        bool::read(reader).then(|| T::read(reader))
    }
}

impl<T: Encode> Encode for [T] {
    fn encode(&self, out: &mut Vec<u8>) {
        write_length(self.len(), out);
        for item in self {
            item.encode(out);
        }
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_slice().encode(out);
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn read(reader: &mut Reader<'_>) -> Self {
        reader.list(T::read)
    }
}

impl<K: Encode, V: Encode> Encode for LiteMap<K, V> {
    fn encode(&self, out: &mut Vec<u8>) {
        write_length(self.len(), out);
        for (key, value) in self.iter() {
            key.encode(out);
            value.encode(out);
        }
    }
}

impl<K: Decode + Ord, V: Decode> Decode for LiteMap<K, V> {
    fn read(reader: &mut Reader<'_>) -> Self {
        let n = reader.length();
        let mut map = LiteMap::new();
        for _ in 0..n {
            if reader.failed() {
                break;
            }
            let key = K::read(reader);
            map.insert(key, V::read(reader));
        }
        map
    }
}

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    fn read(reader: &mut Reader<'_>) -> Self {
        (A::read(reader), B::read(reader))
    }
}

impl<A: Encode, B: Encode, C: Encode> Encode for (A, B, C) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
        self.2.encode(out);
    }
}

impl<A: Decode, B: Decode, C: Decode> Decode for (A, B, C) {
    fn read(reader: &mut Reader<'_>) -> Self {
        (A::read(reader), B::read(reader), C::read(reader))
    }
}

/// A struct as its fields in order (every field named, so a field added to the type and not
/// here fails to compile).
macro_rules! record {
    ($($ty:ty { $($field:ident),* $(,)? })*) => {$(
        impl Encode for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                let Self { $($field),* } = self;
                $($field.encode(out);)*
            }
        }
        impl Decode for $ty {
            fn read(reader: &mut Reader<'_>) -> Self {
                Self { $($field: Decode::read(reader)),* }
            }
        }
    )*};
}

/// An enum without data as its variant's index.
macro_rules! unit_enum {
    ($($ty:ident { $($variant:ident),* $(,)? })*) => {$(
        // The variants as listed are all the enum's (the match), in its order of declaration
        // and none with a value of its own (the loop), so a variant's index is its
        // discriminant: both checked as this compiles.
        const _: fn($ty) = |variant| match variant {
            $($ty::$variant)|* => {}
        };
        const _: () = {
            let all = [$($ty::$variant),*];
            let mut index = 0;
            while index < all.len() {
                assert!(all[index] as usize == index, stringify!($ty));
                index += 1;
            }
        };
        impl Encode for $ty {
            fn encode(&self, out: &mut Vec<u8>) {
                out.push(*self as u8);
            }
        }
        impl Decode for $ty {
            fn read(reader: &mut Reader<'_>) -> Self {
                const ALL: &[$ty] = &[$($ty::$variant),*];
                match ALL.get(usize::from(u8::read(reader))) {
                    Some(variant) => *variant,
                    None => {
                        reader.fail(CodecError::BadTag(stringify!($ty)));
                        ALL[0]
                    }
                }
            }
        }
    )*};
}

unit_enum! {
    Panels { Storage, Recommender, None }
    LatencyKind { ClientWrite, ClientRead, StorePut, StoreGet }
    ActivityKind { Flush, Compaction }
    LineClass { Fault, Writer, Check, Note, Drift }
    WriterStatus { Up, Opening, Down }
    DbStatus { Open, Fenced, Closed, Crashed }
    Cause { Wal, Flush, Compaction, Manifest, Gc, Read, ReaderPoll, Recommender, Other }
    StoreOp { Get, Head, Put, List, Delete }
    RequestOutcome {
        Ok, NotFound, AlreadyExists, PreconditionFailed, Throttled, Timeout, Unavailable,
        ServerError, Invalid,
    }
}

record! {
    RebuildFrame { progress, target }
    TimeFrame {
        now, horizon, events_processed, total_events, hash, finished, final_hash, workload_end,
        rebuild, beat_counts,
    }
    TombstoneBar { in_memtable, holder, start, end }
    LatencyModel { kind, low_ms, high_ms, buckets, p50_ms, p99_ms, p999_ms, count }
    SlowOperationLine { number, kind, key, latency_ms }
    TimelineRequest { seq, record }
    TimelineIncrement { whole, retained_from, up_to, requests }
    Activity {
        kind, id, started, finished, bytes, input_ssts, input_bytes, bytes_read, bytes_written,
        output_ssts, expired_entries, expired_bytes,
    }
    EventLine { at, class, text }
    StorageFrame {
        now, key_count, writer, writers_opened, db, zombie, wal_limit_bytes, compaction,
        activities, flushes_running, compactions_running, compactions_started,
        compactions_committed, last_compaction, cost_usd_per_month, cost_usd_so_far,
        puts_per_1000_writes, write_amplification, store_requests, store_requests_failed, ops_ok,
        ops_failed, writes_acknowledged, writes_acknowledged_durable, durability_checks,
        keys_checked, lost_durable, resurrected, expired_entries_dropped, expired_bytes_dropped,
        range_tombstones, shows_lifetimes, fenced, bytes_stored, objects, preset, latencies,
        timeline, slowest, window_start, errors, events, tenants,
    }
    RequestRecord {
        op, key, bytes, cause, start, end, outcome, cost_picousd, applied_despite_error,
    }
    ClientError { at, op, kind, message }
    OpCounts { ok, failed }
    LatencyPercentiles { count, p50_ms, p99_ms, p99_9_ms, max_ms }
    PrefixSummary { prefix, requests, throttled, bytes, cost_usd, p50_ms, p99_ms }
    TenantSummary {
        name, own, operations, write_latency, read_latency, lost_durable, resurrected, requests,
        throttled, bytes, cost_usd, store_p99_ms, prefixes,
    }
    DbState {
        path, status, writer_epoch, manifest_id, acknowledged_seq, durable_seq, last_flushed_seq,
        memtable, immutable_memtables, flushing_memtable_id, l0, runs, wal, quarantined_ssts,
        cache, open_snapshots, counters, compaction_style, amplification,
    }
    MemtableState { id, size_bytes, limit_bytes, fill, keys, versions, min_seq, max_seq }
    SstState { id, first_key, last_key, size_bytes, entries, max_seq }
    RunState { id, level, size_bytes, ssts }
    WalState {
        buffer_bytes, buffer_records, pending_wal_id, next_wal_id, replay_from, live_objects,
    }
    Amplification {
        user_bytes_written, bytes_put_by_cause, write_amplification, write_amplification_by_cause,
        gets_per_get, gets_per_scan, stored_sst_bytes, live_bytes_estimate, space_amplification,
        cost_picousd_by_cause, cost_usd_per_hour_by_cause, compaction_usd_per_hour, retries,
        hedges, write_stalls, write_stall_ms, writes_rejected, l0_ssts, unflushed_bytes,
        compactions, compaction_bytes_read, compaction_bytes_written,
    }
    CacheStats { hits, misses, evictions, entries, used_bytes, capacity_bytes }
    Counters {
        puts, deletes, batches, gets, scans, wal_uploads, wal_bytes_uploaded,
        wal_upload_failures, memtables_frozen, ssts_written, sst_bytes_written,
        manifests_written, manifest_conflicts, gc_objects_deleted, write_stalls, bloom_skips,
        sst_meta_fetches, block_fetches, replayed_wal_objects, user_bytes_written,
        point_read_gets, scan_gets, compactions, compaction_failures, compaction_corrupt_inputs,
        compaction_bytes_read, compaction_bytes_written, write_stall_nanos, writes_rejected,
        range_deletes, expired_entries_dropped, expired_bytes_dropped, range_tombstones_dropped,
        range_covered_entries_dropped,
    }
    RecommenderSummary {
        steps, impressions, clicks, ctr, cumulative_regret, catalogue_coverage, exposure_gini,
        policy_version, regret_series, ctr_series, window_coverage_series, gini_series, arms,
        guardrails,
    }
    ArmSummary { arm, pulls, reward_total, posterior_mean, ci95_low, ci95_high }
    GuardrailMetrics {
        decisions, exploratory_decisions, exploration_share, cap, cap_binding_decisions,
        tv_limit, tv_checked_decisions, tv_clamped_decisions, max_tv_requested, max_tv_served,
        tv_limit_overridden_by_cap, diversity_floor, slates, min_distinct_categories_seen,
        mean_distinct_categories, diversity_restricted_positions,
    }
    Estimate { value, ci95_low, ci95_high, sd, n }
    WeightDiagnostics {
        mean_weight, max_weight, effective_sample_size, clipped_rows, switched_rows,
        logging_uniform,
    }
    RecommenderReport {
        policy, steps, impressions, clicks, ctr, cumulative_regret, catalogue_coverage,
        exposure_gini, policy_version, exploration_share, impressions_logged,
        checkpoints_written, log_failures,
    }
}

impl Encode for CompactionModel {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            CompactionModel::None => out.push(0),
            CompactionModel::SizeTiered => out.push(1),
            CompactionModel::Leveled {
                level_targets_bytes,
            } => {
                out.push(2);
                level_targets_bytes.encode(out);
            }
        }
    }
}

impl Decode for CompactionModel {
    fn read(reader: &mut Reader<'_>) -> Self {
        match u8::read(reader) {
            0 => CompactionModel::None,
            1 => CompactionModel::SizeTiered,
            2 => CompactionModel::Leveled {
                level_targets_bytes: Decode::read(reader),
            },
            _ => {
                reader.fail(CodecError::BadTag("compaction model"));
                CompactionModel::None
            }
        }
    }
}

/// A scenario document, checked as a whole (the frame's scenario); the default scenario in its
/// place when the reader has failed.
pub fn read_scenario(reader: &mut Reader<'_>) -> Scenario {
    let text = reader.text();
    if reader.failed() {
        return Scenario::default();
    }
    Scenario::from_json(text).unwrap_or_else(|error| {
        reader.fail(CodecError::BadScenario(error.to_string()));
        Scenario::default()
    })
}

/// A scenario document that carries a section, read by [`read_carrier`]; the default scenario
/// in its place when the reader has failed.
pub fn read_carrier_in(reader: &mut Reader<'_>) -> Scenario {
    let text = reader.text();
    if reader.failed() {
        return Scenario::default();
    }
    read_carrier(text).unwrap_or_else(|error| {
        reader.fail(error);
        Scenario::default()
    })
}

/// A scenario document that carries one section (the settings in force, a fault, a setting
/// change, the recommender), read without checking the scenario as a whole: read by the
/// chapter's reader, which reads its scenario as written (both written by hand in the lab), so
/// the section arrives as it was sent and is checked where it is used.
pub fn read_carrier(text: &str) -> Result<Scenario, CodecError> {
    let bad = |e: &dyn fmt::Display| CodecError::BadScenario(e.to_string());
    let scenario = strata_sim::json::from_str(text).map_err(|e| bad(&e))?;
    let mut chapter = serde_json::Map::new();
    chapter.insert("title".into(), "".into());
    chapter.insert("question".into(), "".into());
    chapter.insert("scenario".into(), scenario);
    chapter.insert("beats".into(), serde_json::Value::Array(Vec::new()));
    chapter.insert("claims".into(), serde_json::Value::Array(Vec::new()));
    strata_lab::chapter::Chapter::from_value(serde_json::Value::Object(chapter))
        .map(|chapter| chapter.scenario)
        .map_err(|e| bad(&e))
}

/// The settings in force, in a scenario document of their own (the one document form the
/// scenario's types are written and read in by hand), read back unchecked by [`read_settings`]
/// as a command's carried section is: the default scenario around them, not a copy of the
/// frame's, whose other sections were copied only to be written and dropped.
fn encode_settings(settings: &Settings, out: &mut Vec<u8>) {
    Scenario {
        workload: settings.workload.clone(),
        engine: settings.engine.clone(),
        store: settings.store.clone(),
        ..Scenario::default()
    }
    .to_json()
    .encode(out);
}

fn read_settings(reader: &mut Reader<'_>) -> Settings {
    let scenario = read_carrier_in(reader);
    Settings {
        workload: scenario.workload,
        engine: scenario.engine,
        store: scenario.store,
    }
}

/// A recommender frame (its spec is the frame's scenario's, sent with the scenario).
fn encode_recommender(frame: &RecommenderFrame, out: &mut Vec<u8>) {
    let RecommenderFrame {
        now,
        summary,
        report,
        impressions,
        clicks,
        policy_updates,
        checkpoints,
        drifts,
    } = frame;
    now.encode(out);
    summary.encode(out);
    report.encode(out);
    impressions.encode(out);
    clicks.encode(out);
    policy_updates.encode(out);
    checkpoints.encode(out);
    drifts.encode(out);
}

fn read_recommender(reader: &mut Reader<'_>) -> RecommenderFrame {
    RecommenderFrame {
        now: Decode::read(reader),
        summary: Decode::read(reader),
        report: Decode::read(reader),
        impressions: Decode::read(reader),
        clicks: Decode::read(reader),
        policy_updates: Decode::read(reader),
        checkpoints: Decode::read(reader),
        drifts: Decode::read(reader),
    }
}

pub(super) mod frame_wire;
pub use frame_wire::{encode_frame, read_frame, Held};
