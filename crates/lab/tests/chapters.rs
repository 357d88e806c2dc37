//! The chapters in web/chapters: every file reads and checks, every beat's stop is reached in
//! order, every claim holds when the chapter runs (natively: the runs take seconds), and a
//! chapter that is malformed, names an unknown event or figure, or holds an invalid scenario
//! is refused with a message that names the field.
#![allow(clippy::unwrap_used)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use strata_lab::chapter::{Chapter, ChapterError};

macro_rules! chapters {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../web/chapters/", $name, ".json")))),*]
    };
}

/// Every chapter, by file name, in the order of the talk: `cargo xtask dist` writes the
/// page's chapter index in this order.
const CHAPTERS: &[(&str, &str)] = chapters![
    "wal-batching",
    "durable",
    "zombie",
    "tail-hedging",
    "compaction-debt",
    "stale-replicas",
    "bad-day",
    "exploration",
    "feedback-loops",
    "drift",
    "evaluation",
    "guardrail",
    "noisy-neighbour",
];

#[test]
fn every_chapter_reads_and_checks() {
    for (name, text) in CHAPTERS {
        let chapter = Chapter::from_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            !chapter.beats.is_empty() && !chapter.claims.is_empty(),
            "{name}"
        );
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn the_chapter_list_is_the_directory() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/chapters");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".json").map(str::to_string))
        .collect();
    files.sort();
    let mut listed: Vec<String> = CHAPTERS.iter().map(|(name, _)| name.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
}

/// Runs a chapter and its variant: each claim holds and each beat's stop comes in order.
#[cfg(not(target_arch = "wasm32"))]
fn makes_its_point(name: &str) {
    let text = CHAPTERS
        .iter()
        .find(|(listed, _)| *listed == name)
        .map(|(_, text)| *text)
        .unwrap();
    let chapter = Chapter::from_json(text).unwrap();
    let verified = chapter.verify().unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(verified.beat_times.len(), chapter.beats.len(), "{name}");
    assert!(
        verified.beat_times.windows(2).all(|w| w[0] <= w[1]),
        "{name}: {:?}",
        verified.beat_times
    );
    assert_eq!(verified.figures.len(), chapter.claims.len(), "{name}");
}

/// One test per chapter, so that they run in parallel.
macro_rules! points {
    ($($test:ident: $name:literal),* $(,)?) => {
        $(
            #[cfg(not(target_arch = "wasm32"))]
            #[test]
            fn $test() {
                makes_its_point($name);
            }
        )*

        #[cfg(not(target_arch = "wasm32"))]
        #[test]
        fn every_chapter_has_a_test_that_runs_it() {
            let mut tested = vec![$($name),*];
            tested.sort_unstable();
            let mut listed: Vec<&str> = CHAPTERS.iter().map(|(name, _)| *name).collect();
            listed.sort_unstable();
            assert_eq!(tested, listed);
        }
    };
}

points! {
    wal_batching_makes_its_point: "wal-batching",
    durable_makes_its_point: "durable",
    zombie_makes_its_point: "zombie",
    tail_hedging_makes_its_point: "tail-hedging",
    compaction_debt_makes_its_point: "compaction-debt",
    stale_replicas_makes_its_point: "stale-replicas",
    bad_day_makes_its_point: "bad-day",
    exploration_makes_its_point: "exploration",
    feedback_loops_makes_its_point: "feedback-loops",
    drift_makes_its_point: "drift",
    evaluation_makes_its_point: "evaluation",
    guardrail_makes_its_point: "guardrail",
    noisy_neighbour_makes_its_point: "noisy-neighbour",
}

fn refusal(text: &str) -> String {
    match Chapter::from_json(text) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("accepted: {text}"),
    }
}

#[test]
fn bad_chapters_are_refused_by_field() {
    let good: serde_json::Value = serde_json::from_str(CHAPTERS[0].1).unwrap();
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value = good.clone();
        edit(&mut value);
        value.to_string()
    };
    assert!(refusal("{").starts_with("chapter could not be read"));
    assert!(refusal(&with(&|v| v["typo"] = 1.into())).contains("unknown field"));
    let unknown_event = refusal(&with(&|v| {
        v["beats"][1] = serde_json::json!({ "caption": "x", "event": "compaction_done" });
    }));
    assert!(
        unknown_event.contains("beats[1].event") && unknown_event.contains("compaction_finished"),
        "{unknown_event}"
    );
    // The message lists exactly the kinds a beat may stop at, in the trace's order.
    let kinds: Vec<&str> = strata_lab::chapter::beat_events().collect();
    assert!(
        unknown_event.ends_with(&format!("expected one of {}", kinds.join(", "))),
        "{unknown_event}"
    );
    assert!(!kinds.contains(&"request") && kinds.contains(&"expired_dropped"));
    for kind in &kinds {
        assert_eq!(strata_lab::chapter::beat_event(kind), Some(*kind));
    }
    for kind in ["request", "client_op", "note", "compaction_done"] {
        assert_eq!(strata_lab::chapter::beat_event(kind), None);
    }
    let unknown_figure = refusal(&with(&|v| {
        v["beats"][0]["highlight"] = serde_json::json!(["nope"])
    }));
    assert!(
        unknown_figure.contains("beats[0].highlight"),
        "{unknown_figure}"
    );
    let bad_scenario = refusal(&with(&|v| {
        v["scenario"]["engine"]["block_bytes"] = 33_554_432.into()
    }));
    assert!(
        bad_scenario.starts_with("chapter scenario: ") && bad_scenario.contains("block_bytes"),
        "{bad_scenario}"
    );
    let bad_patch = refusal(&with(&|v| {
        v["variant"]["patch"] = serde_json::json!({ "seed": 99 })
    }));
    assert!(bad_patch.contains("changes the seed"), "{bad_patch}");
    let empty_patch = refusal(&with(&|v| v["variant"]["patch"] = serde_json::json!({})));
    assert!(empty_patch.contains("changes nothing"), "{empty_patch}");
    let backwards = refusal(&with(&|v| {
        v["beats"][0]["at_ms"] = 9000.into();
        v["beats"][1]["at_ms"] = 100.into();
    }));
    assert!(backwards.contains("beats[1].at_ms"), "{backwards}");
    let mute = refusal(&with(&|v| {
        v["claims"][0] = serde_json::json!({ "figure": "ops", "says": "something" });
    }));
    assert!(mute.contains("claims[0]"), "{mute}");
    for (edit, message) in [
        (
            &(|v: &mut serde_json::Value| v["question"] = "".into())
                as &dyn Fn(&mut serde_json::Value),
            "invalid chapter: question: 1 to 600 bytes",
        ),
        (
            &|v: &mut serde_json::Value| v["beats"][0]["caption"] = " ".into(),
            "invalid chapter: beats[0].caption: 1 to 600 bytes",
        ),
        (
            &|v: &mut serde_json::Value| v["beats"] = serde_json::json!([]),
            "invalid chapter: beats: 1 to 20 beats",
        ),
        (
            &|v: &mut serde_json::Value| v["claims"] = serde_json::json!([]),
            "invalid chapter: claims: 1 to 8 claims",
        ),
    ] {
        assert_eq!(refusal(&with(edit)), message);
    }
}

#[test]
fn a_claim_that_does_not_hold_is_reported_with_its_figure() {
    let mut chapter = Chapter::from_json(CHAPTERS[0].1).unwrap();
    chapter.scenario.duration_ms = 2000;
    chapter.beats.truncate(1);
    chapter.claims[0].at_most = Some(1.0);
    match chapter.verify() {
        Err(ChapterError::ClaimFailed { index, figure, .. }) => {
            assert_eq!((index, figure.as_str()), (0, "puts_per_1000_writes"));
        }
        other => panic!("{other:?}"),
    }
}
