//! Range deletes and time-to-live. A range delete hides every key of its range written
//! before it, wherever that key lives (memtables, L0, runs), and nothing written after it; a
//! snapshot taken before it still sees the keys; a bloom filter never hides one. A value
//! written with a time-to-live reads as deleted once the engine's clock passes its expiry
//! and hides older versions meanwhile; compaction drops it and counts what that freed. Bad
//! bounds and durations are typed errors.

use crate::{key, small_options, value, Harness};
use std::rc::Rc;
use strata_engine::{
    CompactionOptions, CompactionStyle, Db, DbOptions, Error, ReadOptions, WriteBatch,
    WriteOptions, MAX_TTL,
};
use strata_sim::SimDuration;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn styles() -> Vec<CompactionStyle> {
    vec![
        CompactionStyle::Leveled {
            l0_trigger: 2,
            level_base_bytes: 4 * 1024,
            level_ratio: 2.0,
            max_levels: 3,
        },
        CompactionStyle::SizeTiered {
            l0_trigger: 2,
            min_merge_runs: 2,
            max_runs: 3,
            size_ratio: 1.0,
        },
    ]
}

fn with_style(style: CompactionStyle) -> DbOptions {
    DbOptions {
        compaction: CompactionOptions {
            style,
            target_sst_bytes: 2 * 1024,
        },
        ..small_options()
    }
}

fn get(harness: &Harness, db: &Rc<Db>, i: u64) -> Option<Vec<u8>> {
    let db = db.clone();
    harness
        .run(async move { db.get(key(i), ReadOptions::MEMORY).await })
        .unwrap()
        .map(|value| value.to_vec())
}

fn scan_keys(harness: &Harness, db: &Rc<Db>) -> Vec<Vec<u8>> {
    let db = db.clone();
    harness
        .run(async move { db.scan::<&[u8]>(..).unwrap().collect(usize::MAX).await })
        .unwrap()
        .into_iter()
        .map(|(key, _)| key.to_vec())
        .filter(|k| k < &key(CHURN_KEYS.start))
        .collect()
}

/// Keys that `churn` rewrites, kept out of `scan_keys`.
const CHURN_KEYS: std::ops::Range<u64> = 5_000..5_200;

/// Rewrites other keys, flushing and compacting after each round, so that what was written
/// before is merged down level by level to the bottom.
fn churn(harness: &Harness, db: &Rc<Db>, rounds: u64) {
    for round in 0..rounds {
        harness.write_keys(db, CHURN_KEYS, round, WriteOptions::NO_AWAIT, true);
        let db = db.clone();
        harness
            .run(async move { db.compact_until_idle().await })
            .unwrap();
    }
}

fn delete_range(harness: &Harness, db: &Rc<Db>, start: u64, end: u64) {
    let db = db.clone();
    harness
        .run(async move {
            db.delete_range(
                key(start).as_slice()..key(end).as_slice(),
                WriteOptions::DURABLE,
            )
            .await
        })
        .unwrap();
}

fn expected_keys(live: impl Iterator<Item = u64>) -> Vec<Vec<u8>> {
    live.map(key).collect()
}

#[test]
fn a_range_delete_hides_older_keys_in_every_layer_and_not_newer_writes() {
    let harness = Harness::new(1);
    let db = harness.open("db", small_options());
    // Keys 0..100 in SSTs, 100..150 in the memtable.
    harness.write_keys(&db, 0..100, 1, WriteOptions::NO_AWAIT, true);
    harness.write_keys(&db, 100..150, 1, WriteOptions::NO_AWAIT, false);
    delete_range(&harness, &db, 20, 120);
    harness.write_keys(&db, 50..55, 2, WriteOptions::NO_AWAIT, false);
    let live = (0..20).chain(50..55).chain(120..150);
    assert_eq!(scan_keys(&harness, &db), expected_keys(live.clone()));
    assert_eq!(get(&harness, &db, 19), Some(value(19, 1)));
    assert_eq!(get(&harness, &db, 20), None, "start is inclusive");
    assert_eq!(get(&harness, &db, 119), None);
    assert_eq!(
        get(&harness, &db, 120),
        Some(value(120, 1)),
        "end is exclusive"
    );
    assert_eq!(
        get(&harness, &db, 52),
        Some(value(52, 2)),
        "written after it"
    );
    // The same once the tombstone is in an SST, and after a reopen.
    harness.write_keys(&db, 0..0, 0, WriteOptions::NO_AWAIT, true);
    assert_eq!(scan_keys(&harness, &db), expected_keys(live.clone()));
    assert_eq!(get(&harness, &db, 60), None);
    let db_again = {
        let db = db.clone();
        harness.run(async move { db.close().await }).unwrap();
        harness.open("db", small_options())
    };
    assert_eq!(scan_keys(&harness, &db_again), expected_keys(live));
    assert_eq!(
        db_again.state().counters.range_deletes,
        0,
        "counted per handle"
    );
    assert_eq!(db.state().counters.range_deletes, 1);
}

#[test]
fn a_range_delete_replays_from_the_wal_after_a_crash() {
    let harness = Harness::new(2);
    let db = harness.open("db", small_options());
    harness.write_keys(&db, 0..40, 1, WriteOptions::NO_AWAIT, true);
    delete_range(&harness, &db, 10, 30);
    db.crash();
    drop(db);
    let db = harness.open("db", small_options());
    assert_eq!(
        scan_keys(&harness, &db),
        expected_keys((0..10).chain(30..40))
    );
}

#[test]
fn a_bloom_filter_never_hides_a_range_tombstone() {
    let harness = Harness::new(3);
    let db = harness.open("db", small_options());
    harness.write_keys(&db, 0..50, 1, WriteOptions::NO_AWAIT, true);
    // An L0 SST holding the tombstone and keys outside its range, which are all its bloom
    // filter knows.
    delete_range(&harness, &db, 10, 40);
    harness.write_keys(&db, 1_000..1_010, 1, WriteOptions::NO_AWAIT, true);
    assert!(db.state().l0.len() >= 2);
    let skips_before = db.state().counters.bloom_skips;
    for i in [10, 25, 39] {
        assert_eq!(get(&harness, &db, i), None, "key {i}");
    }
    assert_eq!(get(&harness, &db, 40), Some(value(40, 1)));
    assert!(
        db.state().counters.bloom_skips > skips_before,
        "the filter said no"
    );
}

#[test]
fn a_snapshot_taken_before_a_range_delete_still_sees_the_keys() {
    let harness = Harness::new(4);
    let db = harness.open("db", small_options());
    harness.write_keys(&db, 0..30, 1, WriteOptions::NO_AWAIT, true);
    let snapshot = db.snapshot().unwrap();
    delete_range(&harness, &db, 0, 30);
    harness.write_keys(&db, 0..0, 0, WriteOptions::NO_AWAIT, true);
    let seen = harness
        .run(async move {
            let got = snapshot.get(key(5)).await?;
            let all = snapshot.scan::<&[u8]>(..).collect(usize::MAX).await?;
            Ok::<_, Error>((got, all.len()))
        })
        .unwrap();
    assert_eq!(seen, (Some(value(5, 1).into()), 30));
    assert!(scan_keys(&harness, &db).is_empty());
}

#[test]
fn compaction_drops_covered_keys_and_at_the_bottom_the_tombstone_under_both_styles() {
    for style in styles() {
        let name = style.name();
        let harness = Harness::new(5);
        let db = harness.open("db", with_style(style));
        for round in 0..4 {
            harness.write_keys(&db, 0..200, round, WriteOptions::NO_AWAIT, true);
        }
        delete_range(&harness, &db, 50, 150);
        harness.write_keys(&db, 100..110, 9, WriteOptions::NO_AWAIT, true);
        let live = || (0..50).chain(100..110).chain(150..200);
        assert_eq!(scan_keys(&harness, &db), expected_keys(live()), "{name}");
        churn(&harness, &db, 12);
        let counters = db.state().counters;
        assert!(
            counters.range_covered_entries_dropped >= 90,
            "{name}: {counters:?}"
        );
        assert!(
            counters.range_tombstones_dropped >= 1,
            "{name}: {counters:?}"
        );
        assert_eq!(scan_keys(&harness, &db), expected_keys(live()), "{name}");
        assert_eq!(get(&harness, &db, 120), None, "{name}");
        assert_eq!(get(&harness, &db, 105), Some(value(105, 9)), "{name}");
    }
}

#[test]
fn a_value_with_a_time_to_live_expires_on_the_engine_clock_and_hides_older_ones() {
    let harness = Harness::new(6);
    let db = harness.open("db", small_options());
    harness.write_keys(&db, 0..10, 1, WriteOptions::NO_AWAIT, true);
    let ttl = WriteOptions::NO_AWAIT.with_ttl(SimDuration::from_secs(5));
    harness.write_keys(&db, 0..5, 2, ttl, false);
    assert_eq!(get(&harness, &db, 3), Some(value(3, 2)));
    harness.advance(SimDuration::from_secs(2));
    harness.write_keys(&db, 0..0, 0, WriteOptions::NO_AWAIT, true);
    assert_eq!(get(&harness, &db, 3), Some(value(3, 2)), "not yet expired");
    harness.advance(SimDuration::from_secs(4));
    assert_eq!(
        get(&harness, &db, 3),
        None,
        "expired, and the older value stays hidden"
    );
    assert_eq!(scan_keys(&harness, &db), expected_keys(5..10));
    // A write without a time-to-live is permanent again.
    harness.write_keys(&db, 3..4, 3, WriteOptions::NO_AWAIT, false);
    assert_eq!(get(&harness, &db, 3), Some(value(3, 3)));
}

#[test]
fn expiries_survive_a_crash_and_replay() {
    let harness = Harness::new(7);
    let db = harness.open("db", small_options());
    let ttl = WriteOptions::DURABLE.with_ttl(SimDuration::from_secs(3));
    harness.write_keys(&db, 0..5, 1, ttl, false);
    db.crash();
    drop(db);
    let db = harness.open("db", small_options());
    assert_eq!(scan_keys(&harness, &db).len(), 5);
    harness.advance(SimDuration::from_secs(4));
    assert!(scan_keys(&harness, &db).is_empty());
}

#[test]
fn compaction_drops_expired_values_and_counts_what_they_freed_under_both_styles() {
    for style in styles() {
        let name = style.name();
        let harness = Harness::new(8);
        let db = harness.open("db", with_style(style));
        let ttl = WriteOptions::NO_AWAIT.with_ttl(SimDuration::from_secs(1));
        for round in 0..3 {
            harness.write_keys(&db, 0..100, round, ttl, true);
        }
        harness.write_keys(&db, 100..150, 0, WriteOptions::NO_AWAIT, true);
        harness.advance(SimDuration::from_secs(2));
        churn(&harness, &db, 12);
        let counters = db.state().counters;
        assert!(
            counters.expired_entries_dropped >= 100,
            "{name}: {counters:?}"
        );
        assert!(
            counters.expired_bytes_dropped > 100 * 9,
            "{name}: {counters:?}"
        );
        assert!(harness.count_events("expired_dropped") >= 1, "{name}");
        assert_eq!(scan_keys(&harness, &db), expected_keys(100..150), "{name}");
    }
}

#[test]
fn bad_ranges_and_durations_are_typed_errors_not_panics() {
    let harness = Harness::new(9);
    let db = harness.open("db", small_options());
    let db2 = db.clone();
    let errors = harness.run(async move {
        let w = WriteOptions::NO_AWAIT;
        vec![
            db2.delete_range("b".."a", w).await,
            db2.delete_range("a".."a", w).await,
            db2.delete_range("".."a", w).await,
            db2.delete_range("a".."", w).await,
            db2.put("k", "v", w.with_ttl(SimDuration::ZERO)).await,
            db2.put(
                "k",
                "v",
                w.with_ttl(SimDuration::from_nanos(MAX_TTL.as_nanos() + 1)),
            )
            .await,
            db2.write(
                WriteBatch::new().put("k", "v"),
                w.with_ttl(SimDuration::ZERO),
            )
            .await,
        ]
    });
    for (i, error) in errors.into_iter().enumerate() {
        let error = error.expect_err("refused");
        match i {
            0..=3 => assert!(matches!(error, Error::InvalidRange { .. }), "{i}: {error}"),
            _ => assert!(matches!(error, Error::InvalidTtl { .. }), "{i}: {error}"),
        }
        assert_eq!(error.kind(), strata_engine::ErrorKind::Invalid);
    }
    assert_eq!(db.acknowledged_seq(), 0, "nothing was written");
    // The longest time-to-live is accepted.
    let db2 = db.clone();
    harness
        .run(async move {
            db2.put("k", "v", WriteOptions::NO_AWAIT.with_ttl(MAX_TTL))
                .await
        })
        .unwrap();
}

#[test]
fn a_read_replica_sees_range_deletes_and_expiries() {
    let harness = Harness::new(10);
    let db = harness.open("db", small_options());
    harness.write_keys(&db, 0..20, 1, WriteOptions::DURABLE, false);
    delete_range(&harness, &db, 5, 10);
    let ttl = WriteOptions::DURABLE.with_ttl(SimDuration::from_secs(2));
    harness.write_keys(&db, 15..20, 2, ttl, false);
    let (runtime, port) = (harness.runtime.clone(), harness.port());
    let reader =
        harness
            .run(async move {
                strata_engine::Reader::open(runtime, port, "db", Default::default()).await
            })
            .unwrap();
    let reader = Rc::new(reader);
    let count = |harness: &Harness| {
        let reader = reader.clone();
        harness
            .run(async move {
                reader.poll_now().await?;
                let all = reader.scan::<&[u8]>(..)?.collect(usize::MAX).await?;
                Ok::<_, Error>(all.len())
            })
            .unwrap()
    };
    assert_eq!(count(&harness), 15);
    harness.advance(SimDuration::from_secs(3));
    assert_eq!(count(&harness), 10);
}
