//! The manifest's JSON body, written and read by hand: written straight into the object's
//! bytes, read from a `serde_json::Value`'s object.
//!
//! Why by hand: serde's derived `Serialize` and `Deserialize` for `Manifest`, `SstInfo`,
//! `SortedRun` and `RetiredSst` were about 14.5 KB raw of the playground's wasm (a names
//! build before wasm-opt, docs/ui.md "Bundle size"): each struct had its own
//! `Map::deserialize_any`, field visitor and `MapDeserializer` steps, each list its own
//! `collect_seq` and in-place collection. Here one function writes or reads each struct.
//!
//! The contract is serde's, to the letter, as the derived code had it when reading from a
//! `Value`'s object: the writer's bytes are serde_json's compact output (members in
//! declaration order, `level` left out when 0 and `retired` when empty; trace hashes depend on
//! the objects' sizes), and the reader accepts and refuses the same documents with the same
//! messages, worded by serde's own `de::Error` constructors (a value of the wrong type or
//! range in their words, `Described`): unknown members ignored, missing
//! ones reported in declaration order after every member is read, members read in the
//! object's order (so of two faults the same one is reported). The derived impls stay on the
//! types for tests only, as the reference `json_tests.rs` checks these against.

use super::{Manifest, RetiredSst, SortedRun, SstInfo};
use crate::codec::{from_hex, to_hex};
use bytes::Bytes;
use serde::de::Error as _;
use serde_json::{Map, Value};
use strata_sim::value_error::Described;
use strata_sim::SimTime;

/// The reader's error, in serde's words (see `strata_sim::value_error`).
pub(crate) type Error = strata_sim::value_error::ValueError;

type Object = Map<String, Value>;

// ---- Writing ----

/// Appends the manifest's JSON body, byte for byte what `serde_json::to_writer` wrote from
/// the derived `Serialize`.
pub(crate) fn write_manifest(out: &mut Vec<u8>, manifest: &Manifest) {
    let counters = [
        ("{\"manifest_id\":", manifest.manifest_id),
        (",\"writer_epoch\":", manifest.writer_epoch),
        (",\"wal_replay_from\":", manifest.wal_replay_from),
        (",\"last_flushed_seq\":", manifest.last_flushed_seq),
        (",\"next_sst_counter\":", manifest.next_sst_counter),
        (",\"next_run_id\":", manifest.next_run_id),
    ];
    for (key, value) in counters {
        out.extend_from_slice(key.as_bytes());
        write_u64(out, value);
    }
    out.extend_from_slice(b",\"l0\":");
    write_ssts(out, &manifest.l0);
    out.extend_from_slice(b",\"runs\":[");
    for (index, run) in manifest.runs.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"id\":");
        write_u64(out, run.id);
        if run.level != 0 {
            out.extend_from_slice(b",\"level\":");
            write_u64(out, u64::from(run.level));
        }
        out.extend_from_slice(b",\"ssts\":");
        write_ssts(out, &run.ssts);
        out.push(b'}');
    }
    out.push(b']');
    if !manifest.retired.is_empty() {
        out.extend_from_slice(b",\"retired\":[");
        for (index, retired) in manifest.retired.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"id\":");
            write_u64(out, retired.id);
            out.extend_from_slice(b",\"retired_at\":");
            write_u64(out, retired.retired_at.as_nanos());
            out.push(b'}');
        }
        out.push(b']');
    }
    out.push(b'}');
}

fn write_ssts(out: &mut Vec<u8>, ssts: &[SstInfo]) {
    out.push(b'[');
    for (index, sst) in ssts.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"id\":");
        write_u64(out, sst.id);
        out.extend_from_slice(b",\"size_bytes\":");
        write_u64(out, sst.size_bytes);
        out.extend_from_slice(b",\"meta_offset\":");
        write_u64(out, sst.meta_offset);
        // Hex digits need no escaping, so the string is the digits in quotes.
        out.extend_from_slice(b",\"first_key\":\"");
        out.extend_from_slice(to_hex(&sst.first_key).as_bytes());
        out.extend_from_slice(b"\",\"last_key\":\"");
        out.extend_from_slice(to_hex(&sst.last_key).as_bytes());
        out.extend_from_slice(b"\",\"entries\":");
        write_u64(out, sst.entries);
        out.extend_from_slice(b",\"max_seq\":");
        write_u64(out, sst.max_seq);
        out.push(b'}');
    }
    out.push(b']');
}

/// A number as serde_json writes an integer: its decimal digits.
fn write_u64(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

// ---- Reading ----

/// Reads the manifest from its JSON object, as the derived `Deserialize` read it from the
/// object's map. Does not check its invariants (`Manifest::check` does).
pub(crate) fn read_manifest(object: Object) -> Result<Manifest, Error> {
    const NAMES: [&str; 9] = [
        "manifest_id",
        "writer_epoch",
        "wal_replay_from",
        "last_flushed_seq",
        "next_sst_counter",
        "next_run_id",
        "l0",
        "runs",
        "retired",
    ];
    let mut counters: [Option<u64>; 6] = [None; 6];
    let mut l0 = None;
    let mut runs = None;
    let mut retired = None;
    for (key, value) in object {
        match NAMES.iter().position(|name| *name == key) {
            Some(index @ 0..=5) => counters[index] = Some(read_u64(&value)?),
            Some(6) => l0 = Some(records(value, read_sst)?),
            Some(7) => runs = Some(records(value, read_run)?),
            Some(_) => retired = Some(records(value, read_retired)?),
            // Not a field: ignored, as the derived reader ignores unknown members.
            None => {}
        }
    }
    let counter = |index: usize| required(counters[index], NAMES[index]);
    Ok(Manifest {
        manifest_id: counter(0)?,
        writer_epoch: counter(1)?,
        wal_replay_from: counter(2)?,
        last_flushed_seq: counter(3)?,
        next_sst_counter: counter(4)?,
        next_run_id: counter(5)?,
        l0: required(l0, "l0")?,
        runs: required(runs, "runs")?,
        retired: retired.unwrap_or_default(),
    })
}

fn read_sst(object: Object) -> Result<SstInfo, Error> {
    const NAMES: [&str; 7] = [
        "id",
        "size_bytes",
        "meta_offset",
        "first_key",
        "last_key",
        "entries",
        "max_seq",
    ];
    let mut numbers: [Option<u64>; 7] = [None; 7];
    let mut first_key = None;
    let mut last_key = None;
    for (key, value) in object {
        match NAMES.iter().position(|name| *name == key) {
            Some(3) => first_key = Some(read_key(value)?),
            Some(4) => last_key = Some(read_key(value)?),
            Some(index) => numbers[index] = Some(read_u64(&value)?),
            None => {}
        }
    }
    let number = |index: usize| required(numbers[index], NAMES[index]);
    Ok(SstInfo {
        id: number(0)?,
        size_bytes: number(1)?,
        meta_offset: number(2)?,
        first_key: required(first_key, "first_key")?,
        last_key: required(last_key, "last_key")?,
        entries: number(5)?,
        max_seq: number(6)?,
    })
}

fn read_run(object: Object) -> Result<SortedRun, Error> {
    let mut id = None;
    let mut level = None;
    let mut ssts = None;
    for (key, value) in object {
        match key.as_str() {
            "id" => id = Some(read_u64(&value)?),
            "level" => level = Some(read_u32(&value)?),
            "ssts" => ssts = Some(records(value, read_sst)?),
            _ => {}
        }
    }
    Ok(SortedRun {
        id: required(id, "id")?,
        // Absent in manifests written before compaction existed, which read as 0.
        level: level.unwrap_or(0),
        ssts: required(ssts, "ssts")?,
    })
}

fn read_retired(object: Object) -> Result<RetiredSst, Error> {
    let mut id = None;
    let mut retired_at = None;
    for (key, value) in object {
        match key.as_str() {
            "id" => id = Some(read_u64(&value)?),
            "retired_at" => retired_at = Some(read_u64(&value)?),
            _ => {}
        }
    }
    Ok(RetiredSst {
        id: required(id, "id")?,
        retired_at: SimTime::from_nanos(required(retired_at, "retired_at")?),
    })
}

/// A list of the manifest's records, each read from its JSON object; a list that is not an
/// array, or a record that is not an object (an array of its fields by position included), is
/// refused. A plain loop rather than `collect` into a `Result` (three more functions in the
/// wasm per record type).
fn records<T>(value: Value, read: fn(Object) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    let Value::Array(items) = value else {
        return Err(Error::custom("a manifest list is not an array"));
    };
    let mut records = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Object(object) => records.push(read(object)?),
            _ => return Err(Error::custom("a manifest record is not an object")),
        }
    }
    Ok(records)
}

/// A field with no default, once every member is read: "missing field `name`" when absent.
fn required<T>(slot: Option<T>, name: &'static str) -> Result<T, Error> {
    slot.ok_or_else(|| Error::missing_field(name))
}

/// A key: a string of hex digits, two per byte.
fn read_key(value: Value) -> Result<Bytes, Error> {
    let Value::String(text) = value else {
        return Err(wrong_type(&value, "a string"));
    };
    from_hex(&text)
        .map(Bytes::from)
        .ok_or_else(|| Error::custom("expected an even number of hex digits"))
}

fn read_u64(value: &Value) -> Result<u64, Error> {
    unsigned(value, u64::MAX, "u64")
}

fn read_u32(value: &Value) -> Result<u32, Error> {
    unsigned(value, u32::MAX.into(), "u32")
        .map(|level| u32::try_from(level).expect("checked against u32::MAX"))
}

/// A whole number up to `max`, as serde's integer visitors read one: a negative or too large
/// integer is an invalid value, a float or anything else an invalid type.
fn unsigned(value: &Value, max: u64, expected: &'static str) -> Result<u64, Error> {
    if let Value::Number(number) = value {
        match number.as_u64() {
            Some(whole) if whole <= max => return Ok(whole),
            _ if !number.is_f64() => {
                return Err(Error::custom(format_args!(
                    "invalid value: {}, expected {expected}",
                    Described(value)
                )))
            }
            _ => {}
        }
    }
    Err(wrong_type(value, expected))
}

/// serde's "invalid type: …, expected …" for `value`, worded as serde_json words it.
fn wrong_type(value: &Value, expected: &str) -> Error {
    Error::custom(format_args!(
        "invalid type: {}, expected {expected}",
        Described(value)
    ))
}
