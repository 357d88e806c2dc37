//! The recommender view's tests: the upload's reducer and the charts' series.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn file(name: &str, text: &str) -> ReadFile {
    ReadFile {
        name: name.to_string(),
        text: Rc::from(text),
    }
}

#[test]
fn an_upload_is_evaluated_again_only_when_a_file_changes() {
    let start = Rc::new(Uploads::default());
    assert!(start.evaluation.is_none());
    let read = start.reduce(UploadAction::Read(UploadSlot::Log, file("log.csv", "x\n")));
    assert!(read.evaluation.is_some());
    // A refused target leaves both files as they were: the same evaluation, and the refusal.
    let refused = read.clone().reduce(UploadAction::Refused(
        UploadSlot::Target,
        "too large".to_string(),
    ));
    assert!(Rc::ptr_eq(&refused.evaluation, &read.evaluation));
    assert_eq!(refused.refused.as_deref(), Some("too large"));
    // A target read changes the evaluation's input, and clears the refusal.
    let target = refused
        .clone()
        .reduce(UploadAction::Read(UploadSlot::Target, file("t.csv", "y\n")));
    assert!(!Rc::ptr_eq(&target.evaluation, &refused.evaluation));
    assert_eq!(target.refused, None);
    // The log emptied: nothing to evaluate.
    let cleared = target.reduce(UploadAction::Cleared(UploadSlot::Log));
    assert!(cleared.evaluation.is_none());
}

#[test]
fn a_series_steps_become_simulated_seconds() {
    assert_eq!(
        in_seconds(&[(0, 0.5), (30, 1.5), (45, -2.0)], 15.0),
        [(0.0, 0.5), (2.0, 1.5), (3.0, -2.0)]
    );
    assert!(in_seconds(&[], 15.0).is_empty());
}
