//! The manifest's hand-written JSON writer and reader (`json`) against serde's derived ones,
//! the reference they replace: for generated manifests the writer's bytes are serde_json's,
//! and for their JSON mutated (members removed or added, values of the wrong type, numbers out
//! of range, keys that are not hex, records written as arrays) both readers accept and refuse
//! the same documents, read the same values and word the same messages. Native only: proptest
//! does not run under wasm-bindgen-test.

#![allow(clippy::unwrap_used)]

use super::json::{read_manifest, write_manifest};
use super::*;
use crate::format::{append_crc, verify_crc};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// What the derived reader makes of an object: the value, or its error's message.
fn derived(object: Map<String, Value>) -> Result<Manifest, String> {
    Manifest::deserialize(object).map_err(|e| e.to_string())
}

fn by_hand(object: Map<String, Value>) -> Result<Manifest, String> {
    read_manifest(object).map_err(|e| e.to_string())
}

fn written(manifest: &Manifest) -> Vec<u8> {
    let mut out = Vec::new();
    write_manifest(&mut out, manifest);
    out
}

/// Numbers at the edges serde's integer readers care about, and ordinary ones.
fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(u64::from(u32::MAX)),
        Just(u64::from(u32::MAX) + 1),
        Just(u64::MAX),
        any::<u64>(),
        0u64..10_000,
    ]
}

fn sst() -> impl Strategy<Value = SstInfo> {
    (
        (number(), number(), number()),
        proptest::collection::vec(any::<u8>(), 0..6),
        proptest::collection::vec(any::<u8>(), 0..6),
        (number(), number()),
    )
        .prop_map(
            |((id, size_bytes, meta_offset), first, last, (entries, max_seq))| SstInfo {
                id,
                size_bytes,
                meta_offset,
                first_key: Bytes::from(first),
                last_key: Bytes::from(last),
                entries,
                max_seq,
            },
        )
}

fn run() -> impl Strategy<Value = SortedRun> {
    (
        number(),
        prop_oneof![Just(0u32), 1u32..8, any::<u32>()],
        proptest::collection::vec(sst(), 0..3),
    )
        .prop_map(|(id, level, ssts)| SortedRun { id, level, ssts })
}

fn manifest() -> impl Strategy<Value = Manifest> {
    (
        proptest::collection::vec(number(), 6),
        proptest::collection::vec(sst(), 0..3),
        proptest::collection::vec(run(), 0..3),
        proptest::collection::vec((number(), number()), 0..3),
    )
        .prop_map(|(counters, l0, runs, retired)| Manifest {
            manifest_id: counters[0],
            writer_epoch: counters[1],
            wal_replay_from: counters[2],
            last_flushed_seq: counters[3],
            next_sst_counter: counters[4],
            next_run_id: counters[5],
            l0,
            runs,
            retired: retired
                .into_iter()
                .map(|(id, at)| RetiredSst {
                    id,
                    retired_at: SimTime::from_nanos(at),
                })
                .collect(),
        })
}

/// The JSON pointer of every value inside `value` (not the root itself).
fn pointers(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, member) in object {
                let pointer = format!("{prefix}/{key}");
                out.push(pointer.clone());
                pointers(member, &pointer, out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let pointer = format!("{prefix}/{index}");
                out.push(pointer.clone());
                pointers(item, &pointer, out);
            }
        }
        _ => {}
    }
}

/// Values that stand in for a member: every JSON type, integers at the edges of `u32` and
/// `u64`, negative and fractional numbers, strings that are and are not keys.
fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(u64::from(u32::MAX)),
        json!(u64::from(u32::MAX) + 1),
        json!(u64::MAX),
        json!(""),
        json!("0a"),
        json!("abc"),
        json!("zz"),
        json!([]),
        json!([1, 2]),
        json!({}),
        json!({"id": 1}),
    ]
}

/// One change to the document at `pointer`: the value removed (a member, or an array's
/// element), replaced by `replacements()[choice - 2]`, or (choice 1) an object written as the
/// array of its values, as a record by position would be.
fn mutate(document: &mut Value, pointer: &str, choice: usize) {
    let (parent, last) = pointer.rsplit_once('/').expect("a pointer below the root");
    match choice {
        0 => match document.pointer_mut(parent) {
            Some(Value::Object(object)) => {
                object.remove(last);
            }
            Some(Value::Array(items)) => {
                items.remove(last.parse::<usize>().unwrap());
            }
            _ => unreachable!("a pointer's parent is an object or an array"),
        },
        1 => {
            let slot = document.pointer_mut(pointer).unwrap();
            if let Value::Object(object) = slot {
                let fields: Vec<Value> = object.values().cloned().collect();
                *slot = Value::Array(fields);
            } else {
                *slot = json!({"unknown": 1});
            }
        }
        _ => *document.pointer_mut(pointer).unwrap() = replacements()[choice - 2].clone(),
    }
}

fn compare(object: Map<String, Value>) -> Result<(), TestCaseError> {
    let expected = derived(object.clone());
    let actual = by_hand(object.clone());
    prop_assert_eq!(&actual, &expected, "for {}", Value::Object(object));
    Ok(())
}

fn object_of(manifest: &Manifest) -> Map<String, Value> {
    match serde_json::to_value(manifest).unwrap() {
        Value::Object(object) => object,
        _ => unreachable!("a manifest is a JSON object"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn writes_the_bytes_serde_json_wrote(manifest in manifest()) {
        prop_assert_eq!(
            String::from_utf8(written(&manifest)).unwrap(),
            serde_json::to_string(&manifest).unwrap()
        );
    }

    #[test]
    fn reads_what_it_writes_as_the_derived_reader_does(manifest in manifest()) {
        let text = String::from_utf8(written(&manifest)).unwrap();
        let object = match serde_json::from_str::<Value>(&text).unwrap() {
            Value::Object(object) => object,
            _ => unreachable!("a manifest is a JSON object"),
        };
        prop_assert_eq!(by_hand(object.clone()), Ok(manifest.clone()));
        compare(object)?;
    }

    #[test]
    fn mutated_documents_are_accepted_and_refused_alike(
        manifest in manifest(),
        changes in proptest::collection::vec((any::<usize>(), 0usize..18), 1..4),
        unknown in proptest::option::of("[a-z_]{1,12}"),
    ) {
        let mut document = Value::Object(object_of(&manifest));
        for (at, choice) in changes {
            let mut all = Vec::new();
            pointers(&document, "", &mut all);
            if all.is_empty() {
                break;
            }
            mutate(&mut document, &all[at % all.len()], choice);
        }
        if let (Some(name), Value::Object(object)) = (unknown, &mut document) {
            object.insert(name, json!("ignored"));
        }
        match document {
            Value::Object(object) => compare(object)?,
            // The root is never replaced, as `pointers` leaves it out.
            _ => unreachable!("the document stays an object"),
        }
    }
}

/// Every single change at every place in a manifest with every kind of record: both readers
/// give the same value or the same message. Exhaustive where the property tests sample.
#[test]
fn every_single_change_is_read_alike() {
    let sst = |id, first: &[u8], last: &[u8]| SstInfo {
        id,
        size_bytes: 1000,
        meta_offset: 900,
        first_key: Bytes::copy_from_slice(first),
        last_key: Bytes::copy_from_slice(last),
        entries: 10,
        max_seq: 7,
    };
    let manifest = Manifest {
        manifest_id: 12,
        writer_epoch: 3,
        wal_replay_from: 40,
        last_flushed_seq: 1234,
        next_sst_counter: 9,
        next_run_id: 3,
        l0: vec![sst(sst_id(3, 8), b"a", b"m")],
        runs: vec![
            SortedRun {
                id: 1,
                level: 1,
                ssts: vec![sst(sst_id(2, 1), b"a", b"f")],
            },
            SortedRun {
                id: 2,
                level: 0,
                ssts: vec![sst(sst_id(1, 1), b"\x00", b"\xff")],
            },
        ],
        retired: vec![RetiredSst {
            id: sst_id(1, 2),
            retired_at: SimTime::from_nanos(5_000_000_000),
        }],
    };
    let document = Value::Object(object_of(&manifest));
    let mut all = Vec::new();
    pointers(&document, "", &mut all);
    let mut refused = 0;
    for pointer in &all {
        for choice in 0..replacements().len() + 2 {
            let mut changed = document.clone();
            mutate(&mut changed, pointer, choice);
            let Value::Object(object) = changed else {
                unreachable!("the root is not replaced")
            };
            let expected = derived(object.clone());
            assert_eq!(by_hand(object), expected, "{pointer}, change {choice}");
            refused += usize::from(expected.is_err());
        }
    }
    // The sweep reaches the refusals it is for, not only documents both accept.
    assert!(
        refused > all.len() * 8,
        "{refused} of {} refused",
        all.len() * 18
    );
}

#[test]
fn messages_are_serde_s() {
    let sample = object_of(&Manifest::empty());
    let cases = [
        (
            "manifest_id",
            json!(-1),
            "invalid value: integer `-1`, expected u64",
        ),
        (
            "writer_epoch",
            json!(1.5),
            "invalid type: floating point `1.5`, expected u64",
        ),
        ("l0", json!({}), "a manifest list is not an array"),
        ("l0", json!([[1, 2]]), "a manifest record is not an object"),
        ("runs", json!([{"id": 1}]), "missing field `ssts`"),
        (
            "runs",
            json!([{"id": 1, "level": 4294967296u64, "ssts": []}]),
            "invalid value: integer `4294967296`, expected u32",
        ),
        ("retired", Value::Null, "a manifest list is not an array"),
    ];
    for (member, value, message) in cases {
        let mut object = sample.clone();
        object.insert(member.to_string(), value);
        assert_eq!(by_hand(object.clone()).unwrap_err(), message);
        assert_eq!(derived(object).unwrap_err(), message);
    }
    let mut no_runs = sample.clone();
    no_runs.remove("runs");
    no_runs.remove("manifest_id");
    assert_eq!(by_hand(no_runs).unwrap_err(), "missing field `manifest_id`");
}

/// A counter past 64 bits is read as the nearest float, and reported in both readers' words
/// with the same digits. (serde_json's reader without `float_roundtrip`, the reference when
/// this crate's tests were built alone, read this one a unit in the last place off:
/// `1.8446744373709554e19`.)
#[test]
fn a_counter_past_64_bits_is_the_nearest_float_in_both_readers() {
    let encoded = Manifest::empty().encode();
    let payload = &encoded[..encoded.len() - 4];
    let text = std::str::from_utf8(&payload[5..]).unwrap();
    let past = text.replacen(
        "\"manifest_id\":0",
        "\"manifest_id\":18446744373709551615",
        1,
    );
    assert_ne!(past, text);
    let mut bytes = payload[..5].to_vec();
    bytes.extend_from_slice(past.as_bytes());
    let sealed = seal(&bytes);
    let expected =
        "bad manifest JSON: invalid type: floating point `1.844674437370955e+19`, expected u64";
    assert_eq!(Manifest::decode(&sealed).unwrap_err(), expected);
    assert_eq!(decode_with_derived(&sealed).unwrap_err(), expected);
}

/// `Manifest::decode` as it was with the derived reader: the reference for whole objects.
fn decode_with_derived(bytes: &[u8]) -> Result<Manifest, String> {
    let payload = verify_crc(bytes)?;
    if payload.len() < 5 || payload[..4] != MANIFEST_MAGIC {
        return Err("bad magic: not a manifest".to_string());
    }
    if payload[4] != MANIFEST_FORMAT_VERSION {
        return Err(format!(
            "unsupported manifest format version {}",
            payload[4]
        ));
    }
    let text = std::str::from_utf8(&payload[5..]).map_err(|e| format!("bad manifest JSON: {e}"))?;
    let value: Value = serde_json::from_str(text).map_err(|e| format!("bad manifest JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("bad manifest JSON: not an object".to_string());
    };
    let manifest = Manifest::deserialize(object).map_err(|e| format!("bad manifest JSON: {e}"))?;
    manifest.check()?;
    Ok(manifest)
}

/// A manifest's payload (magic, version, JSON) sealed with a valid checksum.
fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = payload.to_vec();
    append_crc(&mut out, 0);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whole objects, truncated, byte-mutated and re-sealed, or random: decoded alike (the
    /// same manifest or the same message), never a panic.
    #[test]
    fn damaged_objects_are_decoded_alike(
        manifest in manifest(),
        cut in any::<usize>(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        random in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let encoded = manifest.encode();
        prop_assert_eq!(Manifest::decode(&encoded), decode_with_derived(&encoded));
        let payload = &encoded[..encoded.len() - 4];
        let truncated = seal(&payload[..cut % (payload.len() + 1)]);
        prop_assert_eq!(Manifest::decode(&truncated), decode_with_derived(&truncated));
        let mut mutated = payload.to_vec();
        for (at, byte) in edits {
            let at = at % mutated.len();
            mutated[at] = byte;
        }
        let mutated = seal(&mutated);
        prop_assert_eq!(Manifest::decode(&mutated), decode_with_derived(&mutated));
        prop_assert_eq!(Manifest::decode(&random), decode_with_derived(&random));
        let mut json_like = MANIFEST_MAGIC.to_vec();
        json_like.push(MANIFEST_FORMAT_VERSION);
        json_like.extend_from_slice(&random);
        let json_like = seal(&json_like);
        prop_assert_eq!(Manifest::decode(&json_like), decode_with_derived(&json_like));
    }
}
