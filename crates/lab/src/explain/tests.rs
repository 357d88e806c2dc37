//! The explain fold against hand-made traces (each rule) and whole runs (the same
//! explanation however a run is sliced, and on every target).

#![allow(clippy::unwrap_used)]
use super::*;
use strata_sim::RequestOutcome;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Feeds events one per millisecond, each with its origin.
struct Feed {
    explainer: Explainer,
    seq: u64,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            explainer: Explainer::new("db"),
            seq: 0,
        }
    }

    fn at(&mut self, ms: u64, origin: u64, kind: EventKind) {
        self.explainer.observe(&TraceEvent {
            seq: self.seq,
            at: SimTime::from_millis(ms),
            kind,
            origin,
        });
        self.seq += 1;
    }

    fn request(&mut self, ms: u64, origin: u64, op: StoreOp, cause: Cause, key: &str, cost: u64) {
        let record = RequestRecord {
            op,
            key: key.to_string(),
            bytes: 100,
            cause,
            start: SimTime::from_millis(ms.saturating_sub(1)),
            end: SimTime::from_millis(ms),
            outcome: RequestOutcome::Ok,
            cost_picousd: cost,
            applied_despite_error: false,
        };
        self.at(ms, origin, EventKind::Request(record));
    }

    fn write(&mut self, ms: u64, op: &'static str, bytes: u64, seq: u64) {
        let kind = EventKind::ClientOp {
            op,
            bytes,
            start: SimTime::from_millis(ms),
            ok: true,
            durable: false,
            key: format!("k{seq}"),
            seq,
        };
        self.at(ms, 100 + seq, kind);
    }

    fn usd(&self, part: &str, row: &str) -> f64 {
        let explanation = self.explainer.explanation();
        let rows = if part == "operations" {
            explanation.operations
        } else {
            explanation.background
        };
        rows.get(row).map_or(0.0, |row| row.usd * 1e12)
    }
}

#[test]
fn a_wal_put_is_shared_by_its_writes_and_a_read_pays_its_own_gets() {
    let mut feed = Feed::new();
    feed.write(1, "put", 10, 1);
    feed.write(1, "put", 10, 2);
    feed.write(1, "delete", 5, 3);
    // Seq 4 is the recommender's: no client operation.
    feed.request(
        3,
        0,
        StoreOp::Put,
        Cause::Wal,
        "db/wal/00000000000000000001.wal",
        400,
    );
    let landed = EventKind::WalFlushed {
        wal_id: 1,
        bytes: 200,
        entries: 4,
        first_seq: 1,
        last_seq: 4,
    };
    feed.at(3, 0, landed);
    // A get's GET, sent by its task, then the get completes.
    feed.request(
        4,
        7,
        StoreOp::Get,
        Cause::Read,
        "db/sst/00000000000000000009.sst",
        30,
    );
    let get = EventKind::ClientOp {
        op: "get",
        bytes: 8,
        start: SimTime::from_millis(2),
        ok: true,
        durable: false,
        key: "k9".to_string(),
        seq: 0,
    };
    feed.at(5, 7, get);
    // A GC delete has no client cause; another database's request neither.
    feed.request(
        6,
        0,
        StoreOp::Delete,
        Cause::Gc,
        "db/wal/00000000000000000000.wal",
        5,
    );
    feed.request(
        6,
        0,
        StoreOp::Put,
        Cause::Wal,
        "tenant/wal/00000000000000000001.wal",
        9,
    );
    feed.explainer.settle_open();
    assert_eq!(feed.usd("operations", "put"), 200.0);
    assert_eq!(feed.usd("operations", "delete"), 100.0);
    assert_eq!(feed.usd("background", "other_writes"), 100.0);
    assert_eq!(feed.usd("operations", "get"), 30.0);
    assert_eq!(feed.usd("background", "gc"), 5.0);
    assert_eq!(feed.usd("background", "other_databases"), 9.0);
    let explanation = feed.explainer.explanation();
    assert_eq!(explanation.total_usd, explanation.attributed_usd);
    let slowest = &explanation.slowest[0];
    assert_eq!((slowest.kind, slowest.key.as_str()), ("get", "k9"));
    assert_eq!(slowest.requests.len(), 1);
    assert_eq!(slowest.waited_for, "requests");
    // The page's question: whom did the WAL PUT (the event numbered 3) serve?
    let (job, explained) = feed.explainer.request_job(3).unwrap();
    assert_eq!(job, JobKey::Wal { wal_id: 1 });
    let served = explained.unwrap().served;
    let put = served.iter().find(|s| s.row == "put").unwrap();
    assert_eq!((put.operations, put.share), (2.0, 0.5));
}

/// The crash-recover fixture, explained after a run in one go or in frames.
fn explained(frame_ms: Option<u64>) -> Explanation {
    let text = include_str!("../../../../tests/scenarios/crash-recover.json");
    let scenario = crate::Scenario::from_json(text).unwrap();
    let mut lab = crate::Lab::new(&scenario).unwrap();
    if let Some(frame_ms) = frame_ms {
        while !lab.finished() {
            let until = lab.now() + strata_sim::SimDuration::from_millis(frame_ms);
            lab.advance_to(until, 50_000).unwrap();
        }
    }
    lab.run_to_explanation().unwrap().0
}

#[test]
fn the_explanation_is_the_same_however_the_run_is_sliced_and_on_every_target() {
    let whole = explained(None);
    assert_eq!(explained(Some(250)), whole);
    // Golden: the same figures natively and in wasm32 (integer picodollars, shared as
    // f64 in a fixed order).
    let delete = whole.operations["delete"];
    assert_eq!(delete.operations, 134);
    assert_eq!(delete.requests.to_bits(), 4_620_870_381_998_231_643); // 8.3147…
    assert_eq!(whole.slowest[0].number, 952);
    assert!((whole.attributed_usd - whole.total_usd).abs() < 1e-12);
}

#[test]
fn a_compaction_is_paid_by_the_writes_its_flushes_carried() {
    let mut feed = Feed::new();
    feed.write(1, "put", 30, 1);
    feed.write(1, "batch", 10, 2);
    feed.request(
        2,
        0,
        StoreOp::Put,
        Cause::Wal,
        "db/wal/00000000000000000001.wal",
        0,
    );
    let landed = EventKind::WalFlushed {
        wal_id: 1,
        bytes: 80,
        entries: 3,
        first_seq: 1,
        last_seq: 2,
    };
    feed.at(2, 0, landed);
    let started = EventKind::FlushStarted {
        memtable_id: 1,
        min_seq: 1,
        max_seq: 2,
    };
    feed.at(3, 0, started);
    feed.request(
        4,
        0,
        StoreOp::Put,
        Cause::Flush,
        "db/sst/00000000000000000005.sst",
        40,
    );
    feed.request(
        5,
        0,
        StoreOp::Put,
        Cause::Manifest,
        "db/manifest/00000000000000000002.manifest",
        40,
    );
    let finished = EventKind::FlushFinished {
        memtable_id: 1,
        sst_id: 5,
        bytes: 100,
    };
    feed.at(5, 0, finished);
    assert_eq!(feed.usd("operations", "put"), 60.0);
    assert_eq!(feed.usd("operations", "batch"), 20.0);
    let started = EventKind::CompactionStarted {
        job_id: 1,
        input_ssts: 1,
        input_bytes: 100,
    };
    feed.at(6, 0, started);
    feed.request(
        7,
        0,
        StoreOp::Get,
        Cause::Compaction,
        "db/sst/00000000000000000005.sst",
        400,
    );
    feed.request(
        8,
        0,
        StoreOp::Put,
        Cause::Compaction,
        "db/sst/00000000000000000006.sst",
        400,
    );
    let finished = EventKind::CompactionFinished {
        job_id: 1,
        output_ssts: 1,
        output_bytes: 100,
    };
    feed.at(9, 0, finished);
    assert_eq!(feed.usd("operations", "put"), 660.0);
    assert_eq!(feed.usd("operations", "batch"), 220.0);
    assert_eq!(feed.usd("background", "compaction"), 0.0);
    assert_eq!(feed.usd("background", "manifest"), 0.0);
}

#[test]
fn an_object_id_is_read_after_the_last_directory_of_its_kind() {
    let wal = "db/wal/00000000000000000042.wal";
    assert_eq!(object_id(wal, "/wal/", ".wal"), Some(42));
    assert_eq!(
        object_id("tenant/wal/x/wal/00000000000000000007.wal", "/wal/", ".wal"),
        Some(7)
    );
    assert_eq!(
        object_id("db/sst/00000000000000000009.sst", "/sst/", ".sst"),
        Some(9)
    );
    assert_eq!(
        object_id("db/sst/00000000000000000009.sst", "/wal/", ".wal"),
        None
    );
    assert_eq!(object_id("db/wal/.wal", "/wal/", ".wal"), None);
    assert_eq!(object_id("db/wal/12a4.wal", "/wal/", ".wal"), None);
    assert_eq!(object_id("/wal", "/wal/", ".wal"), None);
    assert_eq!(object_id("é/wal/5.wal", "/wal/", ".wal"), Some(5));
    // The digits read as `str::parse` reads digits alone, up to `u64::MAX` and not past it.
    for digits in [
        "0",
        "007",
        "18446744073709551615",
        "18446744073709551616",
        "+5",
        "-5",
    ] {
        let key = format!("db/wal/{digits}.wal");
        let parsed = digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse::<u64>().ok())
            .flatten();
        assert_eq!(object_id(&key, "/wal/", ".wal"), parsed, "{digits}");
    }
}

#[test]
fn recent_operations_keep_their_own_keys_past_the_bound() {
    // Keys of different lengths, so that a buffer lent by an operation that fell out must
    // be cleared and may have to grow.
    let mut feed = Feed::new();
    // Round the ring more than twice, so that it has wrapped at a place other than its start.
    let total = 2 * MAX_RECENT_OPS as u64 + 50;
    for seq in 1..=total {
        let key = if seq % 2 == 0 {
            format!("k{seq}")
        } else {
            format!("key-number-{seq:020}")
        };
        let kind = EventKind::ClientOp {
            op: "get",
            bytes: 0,
            start: SimTime::from_millis(seq),
            ok: true,
            durable: false,
            key,
            seq: 0,
        };
        feed.at(seq, seq, kind);
    }
    let first_kept = total - MAX_RECENT_OPS as u64 + 1;
    for number in [1, 50, first_kept - 1] {
        assert!(
            feed.explainer.operation(number).is_none(),
            "{number} fell out of the bound"
        );
    }
    assert!(feed.explainer.operation(total + 1).is_none());
    for number in first_kept..=total {
        let expected = if number % 2 == 0 {
            format!("k{number}")
        } else {
            format!("key-number-{number:020}")
        };
        let op = feed.explainer.operation(number).unwrap();
        assert_eq!((op.number, op.key.as_str()), (number, expected.as_str()));
    }
}

#[test]
fn a_number_seen_twice_among_the_recent_operations_finds_the_newer() {
    let mut feed = Feed::new();
    let op = |latency_ms: u64, key: &str| EventKind::ClientOp {
        op: "get",
        bytes: 0,
        start: SimTime::from_millis(1_000 - latency_ms),
        ok: true,
        durable: false,
        key: key.to_string(),
        seq: 0,
    };
    // Before the ring is full, and after it wrapped, the later one with the number wins.
    feed.at(1_000, 7, op(1, "first"));
    feed.at(1_000, 7, op(2, "second"));
    assert_eq!(feed.explainer.operation(7).unwrap().key, "second");
    for number in 0..MAX_RECENT_OPS as u64 {
        feed.at(1_000, 1_000 + number, op(0, "filler"));
    }
    feed.at(1_000, 9, op(3, "third"));
    feed.at(1_000, 9, op(4, "fourth"));
    assert_eq!(feed.explainer.operation(9).unwrap().key, "fourth");
    assert!(feed.explainer.operation(7).is_none());
    // The slowest keep their own copies, whatever the ring reused since.
    let slowest: Vec<&str> = feed
        .explainer
        .slowest()
        .iter()
        .map(|op| op.key.as_str())
        .collect();
    assert_eq!(&slowest[..4], ["fourth", "third", "second", "first"]);
}
