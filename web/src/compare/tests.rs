//! The side-by-side run's specification: lockstep, slices after a change, figures, labels.

#![allow(clippy::unwrap_used)]
use super::*;
use crate::worker::handler::Handler;
use serde_json::Value;
use strata_lab::chapter::Chapter;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn chapter() -> Chapter {
    Chapter::from_json(include_str!("../../chapters/wal-batching.json")).unwrap()
}

/// The chapter's variant as the worker runs it.
fn variant_of(chapter: &Chapter, base: &Rc<Scenario>) -> Variant {
    let patch = chapter.variant.clone().unwrap().patch;
    let claims = chapter.claims.iter().map(|c| c.figure.clone()).collect();
    Variant::start(base, &Source::Patch(patch), claims).unwrap()
}

/// A fresh run of `scenario` to `at`: its trace hash.
fn fresh_hash(scenario: &Scenario, at: SimTime) -> String {
    let mut lab = Lab::new(scenario).unwrap();
    lab.advance_to(at, u64::MAX).unwrap();
    lab.trace_hash_hex()
}

#[test]
fn the_variant_is_the_chapters_patched_scenario_with_its_seed() {
    let chapter = chapter();
    let compare = Compare::for_chapter(&chapter, &chapter.scenario)
        .unwrap()
        .unwrap();
    assert_eq!(
        Some(compare.scenario().clone()),
        chapter.variant_scenario().unwrap()
    );
    let mut no_variant = chapter.clone();
    no_variant.variant = None;
    assert!(Compare::for_chapter(&no_variant, &chapter.scenario)
        .unwrap()
        .is_none());
}

#[test]
fn a_patch_that_changes_the_seed_or_breaks_the_scenario_is_refused() {
    let base = chapter().scenario;
    assert!(patched(&base, &serde_json::json!({"seed": 7})).is_err());
    assert!(patched(&base, &serde_json::json!({"duration_ms": "soon"})).is_err());
    assert!(Compare::whole(&base, {
        let mut s = base.clone();
        s.seed = 99;
        s
    })
    .is_err());
}

#[test]
fn after_any_sequence_of_moves_both_runs_are_at_the_same_time_and_the_variant_is_a_fresh_run() {
    let chapter = chapter();
    let base = Rc::new(chapter.scenario.clone());
    let mut compare = variant_of(&chapter, &base);
    let mut lab = Lab::new(&base).unwrap();
    // Forward in uneven slices, a step, backward (a scrub: a fresh base run), forward.
    let moves: &[i64] = &[37, 1, 250, -200, 0, 413, -500, 5, 1200];
    let mut at_ms = 0i64;
    for &by in moves {
        at_ms = (at_ms + by).max(0);
        let at = SimTime::from_millis(at_ms as u64);
        if at < lab.now() {
            compare.prepare(&base, at, 50).unwrap();
            lab = Lab::new(&base).unwrap();
        }
        lab.advance_to(at, u64::MAX).unwrap();
        compare.follow(&base, lab.now(), u64::MAX).unwrap();
        assert_eq!(compare.lab().now(), lab.now());
    }
    lab.step().unwrap();
    compare.follow(&base, lab.now(), u64::MAX).unwrap();
    assert_eq!(compare.lab().now(), lab.now());
    let variant = chapter.variant_scenario().unwrap().unwrap();
    assert_eq!(
        compare.lab().trace_hash_hex(),
        fresh_hash(&variant, lab.now())
    );
}

#[test]
fn a_variant_replayed_during_a_rebuild_is_taken_when_the_run_gets_there() {
    let chapter = chapter();
    let base = Rc::new(chapter.scenario.clone());
    let mut compare = variant_of(&chapter, &base);
    compare
        .follow(&base, SimTime::from_millis(900), u64::MAX)
        .unwrap();
    let target = SimTime::from_millis(400);
    // Forward needs no replay; backward replays in slices until it is there.
    assert!(!compare
        .prepare(&base, SimTime::from_millis(950), 10)
        .unwrap());
    let mut slices = 0;
    while compare.prepare(&base, target, 10).unwrap() {
        slices += 1;
        assert!(slices < 1_000_000);
    }
    assert!(slices > 1, "the replay took more than one slice");
    assert_eq!(compare.lab().now(), SimTime::from_millis(900));
    compare.follow(&base, target, u64::MAX).unwrap();
    assert_eq!(compare.lab().now(), target);
    let variant = chapter.variant_scenario().unwrap().unwrap();
    assert_eq!(compare.lab().trace_hash_hex(), fresh_hash(&variant, target));
}

#[test]
fn a_changed_base_scenario_rebuilds_the_variant_from_the_patch() {
    let chapter = chapter();
    let mut compare = variant_of(&chapter, &Rc::new(chapter.scenario.clone()));
    compare
        .follow(
            &Rc::new(chapter.scenario.clone()),
            SimTime::from_millis(300),
            u64::MAX,
        )
        .unwrap();
    let mut reseeded = chapter.scenario.clone();
    reseeded.seed = 5;
    compare
        .follow(
            &Rc::new(reseeded.clone()),
            SimTime::from_millis(200),
            u64::MAX,
        )
        .unwrap();
    assert_eq!(compare.scenario().seed, 5);
    let expected = patched(&reseeded, &chapter.variant.clone().unwrap().patch).unwrap();
    assert_eq!(compare.scenario(), &expected);
    assert_eq!(
        compare.lab().trace_hash_hex(),
        fresh_hash(&expected, SimTime::from_millis(200))
    );
}

#[test]
fn at_the_end_the_figures_are_the_ones_strata_chapter_checks() {
    let chapter = chapter();
    let verified = chapter.verify().unwrap();
    let mut base = Lab::new(&chapter.scenario).unwrap();
    base.run_to_end().unwrap();
    let mut compare = Compare::for_chapter(&chapter, &chapter.scenario)
        .unwrap()
        .unwrap();
    // `strata chapter` reads each run at its own end; the variant's comes a little after
    // the base's (its writes drain at other moments), so it is followed to there.
    let mut variant = Lab::new(compare.scenario()).unwrap();
    variant.run_to_end().unwrap();
    assert_ne!(variant.now(), base.now());
    let mut worker = Handler::default();
    compare
        .follow_with(
            &mut worker,
            &Rc::new(chapter.scenario.clone()),
            variant.now(),
            None,
        )
        .unwrap();
    let rows = compare.rows_of(&base, &ImpressionLog::default());
    for (path, base_value, variant_value) in &verified.figures {
        let row = rows.iter().find(|r| &r.path == path).unwrap();
        assert_eq!(row.base, Some(*base_value), "{path}");
        assert_eq!(row.variant, *variant_value, "{path}");
    }
    let requests = rows.iter().find(|r| r.path == "requests").unwrap();
    assert!(requests.variant.unwrap() > requests.base.unwrap());
    assert!(requests.percent().unwrap() > 0.0);
}

#[test]
fn the_off_policy_figures_are_the_ones_strata_chapter_checks() {
    let chapter = Chapter::from_json(include_str!("../../chapters/evaluation.json")).unwrap();
    let verified = chapter.verify().unwrap();
    // The run on show as the page plays it, its impression log folded by the session.
    let mut session = crate::session::Session::new(chapter.scenario.clone()).unwrap();
    while !session.lab().finished() {
        session
            .advance(strata_sim::SimDuration::from_secs(10), u64::MAX)
            .unwrap();
    }
    let mut compare = Compare::for_chapter(&chapter, &chapter.scenario)
        .unwrap()
        .unwrap();
    let mut variant = Lab::new(compare.scenario()).unwrap();
    variant.run_to_end().unwrap();
    let mut worker = Handler::default();
    compare
        .follow_with(
            &mut worker,
            &Rc::new(chapter.scenario.clone()),
            variant.now(),
            None,
        )
        .unwrap();
    let rows = compare.rows_of(session.lab(), &session.observed().impressions);
    let mut ope_rows = 0;
    for (path, base_value, variant_value) in &verified.figures {
        let row = rows.iter().find(|r| &r.path == path).unwrap();
        assert_eq!(row.base, Some(*base_value), "{path}");
        assert_eq!(row.variant, *variant_value, "{path}");
        ope_rows += usize::from(path.starts_with("ope."));
    }
    assert!(ope_rows >= 2, "the chapter's claims read the estimates");
    // Every number `strata chapter` has under `ope` is the page's too.
    let spec = chapter.scenario.recommender.as_ref().unwrap();
    let steps = session.lab().recommender_summary().unwrap().steps;
    let log = session.observed().impressions.to_vec();
    let json = strata_lab::chapter::ope_figures(spec, chapter.scenario.seed, steps, &log);
    let mut twin = strata_lab::ope::Twin::new(spec, chapter.scenario.seed).unwrap();
    twin.advance_to(steps).unwrap();
    let result = strata_lab::ope::evaluate(&log, spec.population.items as usize, &twin).unwrap();
    let mut all = Vec::new();
    numbers(&json, "", &mut all);
    assert!(all.len() > 40, "{} numbers", all.len());
    for (path, value) in all {
        assert_eq!(ope_figure(&result, &path), Some(value), "{path}");
    }
}

#[test]
fn a_live_change_rebuilds_the_variant_in_slices_and_both_runs_end_as_two_fresh_runs() {
    let chapter = chapter();
    let base = Rc::new(chapter.scenario.clone());
    let mut compare = variant_of(&chapter, &base);
    let mut lab = Lab::new(&base).unwrap();
    let slice = 50;
    lab.advance_to(SimTime::from_millis(1500), u64::MAX)
        .unwrap();
    assert!(compare.follow(&base, lab.now(), slice).unwrap());
    assert!(
        !compare.catching_up(),
        "in lockstep the variant goes the whole way"
    );
    // A live change: the run on show takes it as a timed entry of its scenario.
    let mut workload = base.workload.clone();
    workload.rate_ops_per_sec *= 2.0;
    let change = strata_lab::scenario::SettingChange::Workload {
        at_ms: 1501,
        workload,
    };
    let mut changed = Scenario::clone(&base);
    changed.changes.push(change.clone());
    let changed = Rc::new(changed);
    lab.schedule_change(change).unwrap();
    let mut slices = 0;
    while !compare.follow(&changed, lab.now(), slice).unwrap() {
        assert!(compare.catching_up());
        assert!(compare.lab().now() < lab.now());
        slices += 1;
        assert!(slices < 1_000_000);
    }
    assert!(slices > 1, "the rebuild took more than one slice");
    assert!(!compare.catching_up());
    assert_eq!(compare.lab().now(), lab.now());
    // Then in lockstep to both runs' ends, one slice or not.
    while !lab.finished() || !compare.lab().finished() {
        let next = lab.now() + strata_sim::SimDuration::from_millis(700);
        lab.advance_to(next, u64::MAX).unwrap();
        assert!(compare.follow(&changed, lab.now(), slice).unwrap());
        assert_eq!(compare.lab().now(), lab.now());
    }
    let mut base_run = Lab::new(&changed).unwrap();
    base_run.run_to_end().unwrap();
    assert_eq!(lab.trace_hash_hex(), base_run.trace_hash_hex());
    let variant_scenario = patched(&changed, &chapter.variant.unwrap().patch).unwrap();
    let mut variant_run = Lab::new(&variant_scenario).unwrap();
    variant_run.run_to_end().unwrap();
    assert_eq!(compare.lab().trace_hash_hex(), variant_run.trace_hash_hex());
}

#[test]
fn a_whole_variant_is_labelled_by_the_settings_it_changes_and_keeps_a_chapters_claims() {
    let chapter = chapter();
    let base = Rc::new(chapter.scenario.clone());
    let variant = chapter.variant_scenario().unwrap().unwrap();
    let compare = Compare::whole(&base, variant.clone()).unwrap();
    assert_eq!(
        differences(&base, &variant),
        vec![Difference {
            path: "engine.flush_interval_ms".to_string(),
            base: "100".to_string(),
            variant: "10".to_string(),
        }]
    );
    assert_eq!(compare.base_label, "engine.flush_interval_ms 100");
    assert_eq!(compare.label, "engine.flush_interval_ms 10");
    // The standard figures are its rows; a link made from the chapter adds its claims first.
    let standard: Vec<String> = STORAGE_FIGURES.iter().map(|(_, p)| p.to_string()).collect();
    let paths = |c: &Compare| c.paths().into_iter().map(|(_, p)| p).collect::<Vec<_>>();
    assert_eq!(paths(&compare), standard);
    let claims: Vec<String> = chapter.claims.iter().map(|c| c.figure.clone()).collect();
    let compare = compare.with_claims(claims.clone());
    assert_eq!(compare.claim_count(), claims.len());
    assert_eq!(paths(&compare)[..claims.len()], claims[..]);
    // A live change on the run on show is a difference too, named in both labels.
    let mut changed = Scenario::clone(&base);
    changed.duration_ms += 1000;
    changed.name = "renamed".to_string();
    let found = differences(&changed, &variant);
    let found: Vec<&str> = found.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(found, ["duration_ms", "engine.flush_interval_ms"]);
}

#[test]
fn labels_name_two_settings_and_count_the_rest() {
    let difference = |path: &str| Difference {
        path: path.to_string(),
        base: "1".to_string(),
        variant: "none".to_string(),
    };
    let three = [difference("a"), difference("b.c"), difference("d")];
    assert_eq!(
        difference_labels(&three),
        (
            "a 1, b.c 1 and 1 more".to_string(),
            "a none, b.c none and 1 more".to_string()
        )
    );
    assert_eq!(difference_labels(&[]).1, "the same scenario");
}

#[test]
fn figures_sum_objects_and_miss_cleanly() {
    let value = serde_json::json!({"a": {"b": 1, "c": {"d": 2.5}}, "e": [3, 4], "s": "x"});
    assert_eq!(figure(&value, "a"), Some(3.5));
    assert_eq!(figure(&value, "e.1"), Some(4.0));
    assert_eq!(figure(&value, "s"), None);
    assert_eq!(figure(&value, "a.zz"), None);
    let row = Row {
        label: String::new(),
        path: String::new(),
        base: Some(0.0),
        variant: Some(2.0),
    };
    assert_eq!(row.difference(), Some(2.0));
    assert_eq!(row.percent(), None);
}

#[test]
fn the_sparkline_keeps_a_bounded_history_and_forgets_the_future_after_a_scrub_back() {
    let chapter = chapter();
    let base = Rc::new(chapter.scenario.clone());
    let mut compare = Compare::for_chapter(&chapter, &base).unwrap().unwrap();
    let row = |v: f64| Row {
        label: String::new(),
        path: String::new(),
        base: Some(v),
        variant: Some(v),
    };
    let mut worker = Handler::default();
    // What the samples taken keep: every other point once the bound is reached.
    let mut kept: Vec<f64> = Vec::new();
    for ms in 1..=(MAX_POINTS as u64 + 10) {
        let at = SimTime::from_millis(ms);
        compare.follow_with(&mut worker, &base, at, None).unwrap();
        if compare.in_step(at) {
            if kept.len() >= MAX_POINTS {
                kept = kept.iter().copied().step_by(2).collect();
            }
            kept.push(ms as f64);
        }
        compare.sample(&[row(ms as f64)], at);
    }
    assert!(compare.points().len() <= MAX_POINTS);
    assert!(
        (MAX_POINTS / 2..MAX_POINTS).contains(&kept.len()),
        "the bound was reached and the points halved"
    );
    let drawn: Vec<f64> = compare.points().iter().map(|(ms, _, _)| *ms).collect();
    assert_eq!(drawn, kept);
    compare
        .follow_with(&mut worker, &base, SimTime::from_millis(100), None)
        .unwrap();
    assert!(compare.points().iter().all(|(ms, _, _)| *ms <= 100.0));
}

/// `key` under the dotted `path` (the root's children have no dot before them).
fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Every number of `value` with its dotted path (list items by index).
fn numbers(value: &Value, path: &str, out: &mut Vec<(String, f64)>) {
    let child = |key: &str| child_path(path, key);
    match value {
        Value::Number(n) => out.push((path.to_string(), n.as_f64().unwrap())),
        Value::Object(map) => map.iter().for_each(|(k, v)| numbers(v, &child(k), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| numbers(v, &child(&i.to_string()), out)),
        _ => {}
    }
}

/// Every object's path in `value` (array items by index), the root's left out.
fn object_paths(value: &Value, path: &str, out: &mut Vec<String>) {
    let child = |key: &str| child_path(path, key);
    match value {
        Value::Object(map) => {
            if !path.is_empty() {
                out.push(path.to_string());
            }
            map.iter()
                .for_each(|(k, v)| object_paths(v, &child(k), out));
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| object_paths(v, &child(&i.to_string()), out)),
        _ => {}
    }
}

const CHAPTERS: [&str; 13] = [
    include_str!("../../chapters/bad-day.json"),
    include_str!("../../chapters/compaction-debt.json"),
    include_str!("../../chapters/drift.json"),
    include_str!("../../chapters/durable.json"),
    include_str!("../../chapters/evaluation.json"),
    include_str!("../../chapters/exploration.json"),
    include_str!("../../chapters/feedback-loops.json"),
    include_str!("../../chapters/guardrail.json"),
    include_str!("../../chapters/noisy-neighbour.json"),
    include_str!("../../chapters/stale-replicas.json"),
    include_str!("../../chapters/tail-hedging.json"),
    include_str!("../../chapters/wal-batching.json"),
    include_str!("../../chapters/zombie.json"),
];

/// The paths the panel reads: every chapter's claims (but the off-policy ones) and the
/// standard rows.
fn claim_paths(chapters: &[Chapter]) -> Vec<String> {
    let mut paths: Vec<String> = chapters
        .iter()
        .flat_map(|c| c.claims.iter().map(|claim| claim.figure.clone()))
        .filter(|path| !path.starts_with("ope."))
        .collect();
    paths.extend(
        STORAGE_FIGURES
            .iter()
            .chain(RECOMMENDER_FIGURES)
            .map(|(_, path)| path.to_string()),
    );
    paths
}

/// Every figure read through `lab`'s accessors equals its summary's JSON, to the bit: the
/// claim `paths`, every number of the JSON, and every object whose sum is a figure.
fn assert_the_lookup_is_the_summary(lab: &Lab, title: &str, paths: &[String]) {
    // What no figure reads: series, per-arm rows, times and names.
    let unread = [
        "policy.regret_series",
        "policy.ctr_series",
        "policy.window_coverage_series",
        "policy.gini_series",
        "policy.arms",
        "reader.current_as_of",
        "reader.lag",
        "reader.last_poll_duration",
    ];
    let policy = lab.recommender_summary();
    let json = summary_value(lab);
    let read = |path: &str| lookup::figure(lab, policy.as_ref(), path);
    for path in paths {
        assert_eq!(read(path), figure(&json, path), "{title}: {path}");
    }
    let mut all = Vec::new();
    numbers(&json, "", &mut all);
    assert!(all.len() > 60, "{title}: {} numbers", all.len());
    for (path, _) in &all {
        assert_eq!(read(&format!("{path}.x")), None, "{title}: {path}.x");
    }
    // An object is a figure where its sum is one (every request, every operation, the cost
    // by cause, each map by cause), and none elsewhere (`writes`, `lsm`, a latency). A map by
    // cause is summed in the order of the causes' names, as the JSON's object is: the same
    // figure to the last bit.
    let mut objects = Vec::new();
    object_paths(&json, "", &mut objects);
    assert!(objects.len() > 10, "{title}: {} objects", objects.len());
    for path in objects {
        let keys: Vec<&str> = path.split('.').collect();
        let summed = match keys.as_slice() {
            ["operations" | "requests" | "faults_injected" | "engine_events"]
            | ["operations" | "requests", _]
            | ["cost", "by_cause_usd"]
            | ["tenants", _, "operations"]
            | ["tenants", _, "operations", _] => true,
            ["engine", map] => map.ends_with("_by_cause"),
            _ => false,
        };
        let expected = if summed { figure(&json, &path) } else { None };
        assert_eq!(read(&path), expected, "{title}: {path}");
    }
    for (path, value) in all {
        match read(&path) {
            Some(found) => assert_eq!(found, value, "{title}: {path}"),
            None => assert!(
                unread.iter().any(|p| path.starts_with(p)) || path.contains(".prefixes."),
                "{title}: the lookup misses {path}"
            ),
        }
    }
}

#[test]
fn the_figures_by_path_are_the_summarys_json_for_every_claim_and_every_number() {
    let chapters: Vec<Chapter> = CHAPTERS
        .iter()
        .map(|text| Chapter::from_json(text).unwrap())
        .collect();
    let paths = claim_paths(&chapters);
    for chapter in &chapters {
        let mut lab = Lab::new(&chapter.scenario).unwrap();
        lab.advance_to(SimTime::from_millis(4000), u64::MAX)
            .unwrap();
        assert_the_lookup_is_the_summary(&lab, &chapter.title, &paths);
    }
}

#[test]
fn at_a_runs_end_the_figures_by_path_are_its_summarys_with_tenants_and_without() {
    let chapters: Vec<Chapter> = CHAPTERS
        .iter()
        .map(|text| Chapter::from_json(text).unwrap())
        .collect();
    let paths = claim_paths(&chapters);
    // Tenants move the run's end (the last database to finish) and add rows; a crash and a
    // recovery change the writer the engine's meters come from; a replica adds `reader`.
    let scenarios = [
        (
            "tenants",
            include_str!("../../../tests/scenarios/tenants.json"),
        ),
        (
            "crash-recover",
            include_str!("../../../tests/scenarios/crash-recover.json"),
        ),
        (
            "range-deletes-ttl",
            include_str!("../../../tests/scenarios/range-deletes-ttl.json"),
        ),
        (
            "recommender",
            include_str!("../../../tests/scenarios/recommender.json"),
        ),
    ];
    let mut with_tenants = 0;
    for (name, text) in scenarios {
        let mut lab = Lab::new(&Scenario::from_json(text).unwrap()).unwrap();
        let summary = lab.run_to_end().unwrap();
        assert!(summary.finished, "{name}");
        with_tenants += usize::from(!summary.tenants.is_empty());
        assert_the_lookup_is_the_summary(&lab, name, &paths);
    }
    let replica = chapters
        .iter()
        .find(|c| {
            c.scenario.tenants.is_empty()
                && c.claims.iter().any(|c| c.figure.starts_with("reader."))
        })
        .expect("a chapter reads the replica");
    let mut lab = Lab::new(&replica.scenario).unwrap();
    lab.run_to_end().unwrap();
    assert!(lab.reader_summary().is_some());
    assert_the_lookup_is_the_summary(&lab, &replica.title, &paths);
    assert_eq!(with_tenants, 1);
}

/// A chapter's variant followed through the worker to 1.5 s, then a live change on the run on
/// show (the workload's rate, at 1.501 s) and the run at 1.6 s: the compare view, the
/// worker, the run and its changed scenario.
fn followed_then_changed() -> (Chapter, Compare, Handler, Lab, Rc<Scenario>) {
    let chapter = chapter();
    let base = Rc::new(chapter.scenario.clone());
    let mut compare = Compare::for_chapter(&chapter, &base).unwrap().unwrap();
    let mut worker = Handler::default();
    let mut lab = Lab::new(&base).unwrap();
    lab.advance_to(SimTime::from_millis(1500), u64::MAX)
        .unwrap();
    compare
        .follow_with(&mut worker, &base, lab.now(), None)
        .unwrap();
    assert!(compare.in_step(lab.now()) && !compare.restarted());
    assert_eq!(compare.next_request(&base, lab.now(), None), None);
    // A live change on the run on show: the worker starts the variant again from its patch.
    let mut workload = base.workload.clone();
    workload.rate_ops_per_sec *= 2.0;
    let change = strata_lab::scenario::SettingChange::Workload {
        at_ms: 1501,
        workload,
    };
    let mut changed = Scenario::clone(&base);
    changed.changes.push(change.clone());
    let changed = Rc::new(changed);
    lab.schedule_change(change).unwrap();
    lab.advance_to(SimTime::from_millis(1600), u64::MAX)
        .unwrap();
    (chapter, compare, worker, lab, changed)
}

#[test]
fn through_the_worker_a_live_change_catches_up_a_slice_a_request_and_the_sparkline_waits() {
    let (chapter, mut compare, mut worker, lab, changed) = followed_then_changed();
    let row = Row {
        label: String::new(),
        path: String::new(),
        base: Some(1.0),
        variant: Some(1.0),
    };
    let mut requests = 0;
    // Each request is one slice of the worker's time (it never has more), as a busy worker
    // answers; the page asks again until the variant is there.
    while let Some(request) = compare.next_request(&changed, lab.now(), None) {
        requests += 1;
        assert!(requests < 100_000);
        assert!(compare.waiting());
        let reply = worker.handle(requests, request, 0.0, &mut || false);
        compare.receive(reply).unwrap();
        if !compare.in_step(lab.now()) {
            assert!(compare.restarted());
            assert!(compare.now() < lab.now());
            let points = compare.points().len();
            compare.sample(std::slice::from_ref(&row), lab.now());
            assert_eq!(compare.points().len(), points, "no point while behind");
        }
    }
    assert!(requests > 2, "the catch-up took several requests");
    assert!(compare.in_step(lab.now()) && !compare.restarted());
    let variant = patched(&changed, &chapter.variant.unwrap().patch).unwrap();
    assert_eq!(compare.scenario(), &variant);
    assert_eq!(compare.trace_hash(), fresh_hash(&variant, lab.now()));
}

#[test]
fn a_base_is_compared_as_a_document_once_then_held_by_pointer() {
    let base = Rc::new(chapter().scenario);
    let mut held = Rc::clone(&base);
    assert!(same_base(&mut held, &base));
    // The same document in a new value: the same base, and the new value is held.
    let copy = Rc::new(Scenario::clone(&base));
    assert!(same_base(&mut held, &copy));
    assert!(Rc::ptr_eq(&held, &copy));
    // A changed document is a new base, held from then on.
    let mut reseeded = Scenario::clone(&base);
    reseeded.seed += 1;
    let reseeded = Rc::new(reseeded);
    assert!(!same_base(&mut held, &reseeded));
    assert!(Rc::ptr_eq(&held, &reseeded));
    assert!(same_base(&mut held, &reseeded));
    assert!(!same_base(&mut held, &copy));
}

#[test]
fn a_live_change_shows_the_variant_catching_up_until_the_worker_answers() {
    let (_, mut compare, mut worker, lab, changed) = followed_then_changed();
    let request = compare.next_request(&changed, lab.now(), None).unwrap();
    // Catching up from the request on, even when the worker then replays the whole way in
    // one answer.
    assert!(compare.restarted() && !compare.in_step(lab.now()));
    let reply = worker.handle(1, request, 0.0, &mut || true);
    compare.receive(reply).unwrap();
    assert!(compare.in_step(lab.now()) && !compare.restarted());
    assert_eq!(compare.next_request(&changed, lab.now(), None), None);
}
