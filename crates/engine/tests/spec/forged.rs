//! Objects that pass their checksum but break the format's rules: what a buggy or hostile
//! writer could upload. The engine must refuse them as `Corrupt` at the point it reads them,
//! never replay them into a state that panics later.

use super::{key, small_options, Harness};
use bytes::Bytes;
use strata_engine::codec::put_varint;
use strata_engine::format::wal::{self, WAL_HEADER_BYTES};
use strata_engine::format::{append_crc, CRC_BYTES};
use strata_engine::{ErrorKind, WriteOptions};
use strata_objstore::PutMode;
use strata_sim::Cause;

/// Replaces the WAL object `name` with one of the same header holding a single record whose
/// key is empty, re-sealed with a valid checksum.
fn forge_empty_key_record(harness: &Harness, name: &str) {
    let (_, original) = harness.store.inspect(name).expect("the WAL object exists");
    let decoded = wal::decode(&original).expect("the engine wrote a valid object");
    let seq = decoded.header.first_seq;
    let mut forged = original[..WAL_HEADER_BYTES].to_vec();
    // One record: `seq`, one entry, a zero-length key, the value "v".
    forged[21..29].copy_from_slice(&seq.to_le_bytes());
    forged[29..37].copy_from_slice(&seq.to_le_bytes());
    forged[37..41].copy_from_slice(&1u32.to_le_bytes());
    put_varint(&mut forged, seq);
    forged.extend_from_slice(&[1, 0, 2, b'v']);
    append_crc(&mut forged, 0);
    assert!(forged.len() > WAL_HEADER_BYTES + CRC_BYTES);
    let port = harness.port();
    let name = name.to_string();
    harness
        .run(async move {
            port.put(Cause::Wal, &name, Bytes::from(forged), PutMode::Overwrite)
                .await
        })
        .expect("the store takes the forged object");
}

#[test]
fn a_checksum_valid_wal_record_with_an_empty_key_is_refused_at_open() {
    let harness = Harness::new(71);
    let db = harness.open("db", small_options());
    let writer = db.clone();
    harness
        .run(async move { writer.put(key(1), b"one", WriteOptions::DURABLE).await })
        .expect("a durable put");
    db.crash();
    let wal_objects = harness.keys_under("db/wal/");
    let last = wal_objects.last().expect("the put left a WAL object");
    forge_empty_key_record(&harness, last);
    let (runtime, port) = (harness.runtime.clone(), harness.port());
    let opened = harness
        .run(async move { strata_engine::Db::open(runtime, port, "db", small_options()).await });
    let Err(error) = opened else {
        panic!("replaying an empty key must fail");
    };
    assert_eq!(error.kind(), ErrorKind::Corrupt, "{error}");
    assert!(error.to_string().contains("empty key"), "{error}");
}
