//! The public API and its typed errors.

use crate::{key, small_options, value, Harness};
use bytes::Bytes;
use strata_engine::{
    Db, DbOptions, ErrorKind, ReadOptions, WriteBatch, WriteOptions, MAX_KEY_BYTES, MAX_VALUE_BYTES,
};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn put_get_delete_batch_scan_snapshot_flush_close() {
    let harness = Harness::new(1);
    let db = harness.open("db", small_options());
    let result = harness.run(async move {
        db.put(b"apple", b"red", WriteOptions::DURABLE).await?;
        db.put(b"banana", b"yellow", WriteOptions::NO_AWAIT).await?;
        db.put(b"cherry", b"dark", WriteOptions::NO_AWAIT).await?;
        assert_eq!(
            db.get(b"apple", ReadOptions::default()).await?,
            Some(Bytes::from("red"))
        );
        db.delete(b"banana", WriteOptions::NO_AWAIT).await?;
        assert_eq!(db.get(b"banana", ReadOptions::default()).await?, None);
        assert_eq!(db.get(b"missing", ReadOptions::default()).await?, None);

        let mut batch = WriteBatch::new();
        batch
            .put(b"date", b"brown")
            .put(b"elder", b"purple")
            .delete(b"cherry");
        db.write(&batch, WriteOptions::DURABLE).await?;

        let snapshot = db.snapshot()?;
        db.put(b"apple", b"green", WriteOptions::NO_AWAIT).await?;
        assert_eq!(snapshot.get(b"apple").await?, Some(Bytes::from("red")));
        assert_eq!(
            db.get(b"apple", ReadOptions::default()).await?,
            Some(Bytes::from("green"))
        );

        let all = db
            .scan(b"a".as_slice()..b"z".as_slice())?
            .collect(100)
            .await?;
        let keys: Vec<&[u8]> = all.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, vec![&b"apple"[..], b"date", b"elder"]);
        let from_snapshot = snapshot.scan(b"a".as_slice()..).collect(100).await?;
        assert_eq!(from_snapshot[0].1, Bytes::from("red"));

        db.flush().await?;
        assert_eq!(db.durable_seq(), db.acknowledged_seq());
        db.close().await?;
        let after_close = db.put(b"late", b"x", WriteOptions::NO_AWAIT).await;
        assert_eq!(after_close.unwrap_err().kind(), ErrorKind::Closed);
        Ok::<_, strata_engine::Error>(())
    });
    result.unwrap();
}

#[test]
fn bad_input_is_invalid_with_a_message() {
    let harness = Harness::new(2);
    let db = harness.open("db", small_options());
    harness.run(async move {
        let empty = db.put(b"", b"v", WriteOptions::NO_AWAIT).await.unwrap_err();
        assert_eq!(empty.kind(), ErrorKind::Invalid);
        assert!(empty.to_string().contains("empty key"), "{empty}");
        let long_key = vec![b'k'; MAX_KEY_BYTES + 1];
        let error = db
            .put(&long_key, b"v", WriteOptions::NO_AWAIT)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert!(error.to_string().contains("limit"), "{error}");
        let big_value = vec![0u8; MAX_VALUE_BYTES + 1];
        let error = db
            .put(b"k", &big_value, WriteOptions::NO_AWAIT)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert_eq!(
            db.get(b"", ReadOptions::default())
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Invalid
        );
        let mut batch = WriteBatch::new();
        batch.put(b"ok", b"1").put(b"", b"2");
        assert_eq!(
            db.write(&batch, WriteOptions::NO_AWAIT)
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::Invalid
        );
        // Nothing of the refused batch was applied.
        assert_eq!(db.get(b"ok", ReadOptions::default()).await.unwrap(), None);
    });
}

#[test]
fn bad_options_and_paths_are_refused_at_open() {
    let harness = Harness::new(3);
    for (path, options) in [
        ("", small_options()),
        ("/abs", small_options()),
        (
            "db",
            DbOptions {
                block_bytes: 1,
                ..small_options()
            },
        ),
    ] {
        let (runtime, port) = (harness.runtime.clone(), harness.port());
        let error = harness
            .run(async move { Db::open(runtime, port, path, options).await.err() })
            .expect("open is refused");
        assert_eq!(error.kind(), ErrorKind::Invalid, "{error}");
    }
}

#[test]
fn reopening_recovers_every_durable_write() {
    let harness = Harness::new(4);
    let db = harness.open("db", small_options());
    harness
        .run({
            let db = db.clone();
            async move {
                for i in 0..300 {
                    db.put(key(i), value(i, 0), WriteOptions::NO_AWAIT).await?;
                }
                db.close().await
            }
        })
        .unwrap();
    drop(db);
    let reopened = harness.open("db", small_options());
    harness
        .run(async move {
            for i in 0..300 {
                assert_eq!(
                    reopened.get(key(i), ReadOptions::default()).await?,
                    Some(Bytes::from(value(i, 0))),
                    "key {i}"
                );
            }
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}

#[test]
fn a_batch_is_atomic_to_readers() {
    let harness = Harness::new(5);
    let db = harness.open("db", small_options());
    harness
        .run(async move {
            let mut batch = WriteBatch::new();
            for i in 0..50 {
                batch.put(key(i), value(i, 1));
            }
            let before = db.snapshot()?;
            db.write(&batch, WriteOptions::NO_AWAIT).await?;
            let after = db.snapshot()?;
            assert_eq!(
                after.seq(),
                before.seq() + 1,
                "one sequence number per batch"
            );
            assert!(before
                .scan(..b"zzz".as_slice())
                .collect(1000)
                .await?
                .is_empty());
            assert_eq!(
                after.scan(..b"zzz".as_slice()).collect(1000).await?.len(),
                50
            );
            Ok::<_, strata_engine::Error>(())
        })
        .unwrap();
}
