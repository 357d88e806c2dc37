//! The port over the S3 API: the whole semantics suite, and conditional PUTs racing.

use crate::semantics_suite::{semantics_suite, SuiteReport};
use crate::{endpoint, run_local, World};
use bytes::Bytes;
use strata_objstore::{PutMode, StoreError};
use strata_sim::{Cause, RequestOutcome, StoreOp};

#[test]
fn the_adapter_over_s3_passes_the_whole_suite_conditional_puts_included() {
    let Some(endpoint) = endpoint("the_adapter_over_s3_passes_the_whole_suite") else {
        return;
    };
    let (report, outcomes) = run_local(|| async {
        let world = World::open(&endpoint, "suite", 1).await;
        let report = semantics_suite(world.store.as_ref(), "suite/").await;
        let outcomes: Vec<RequestOutcome> = world.requests().iter().map(|r| r.outcome).collect();
        (report, outcomes)
    });
    // Nothing skipped: update-if-match is sent as If-Match and honoured by the server.
    assert_eq!(report, SuiteReport::default());
    assert!(outcomes.contains(&RequestOutcome::AlreadyExists));
    assert!(outcomes.contains(&RequestOutcome::PreconditionFailed));
}

/// Eight writers create the same key at once: exactly one wins, and every other gets
/// `AlreadyExists`. moto serialises requests, so it never answers a losing racer with
/// 409 ConditionalRequestConflict as AWS S3 may; object_store maps that 409 to
/// `AlreadyExists` as well, so the port's answer is the same on both (docs/objstore.md).
#[test]
fn racing_creates_of_one_key_have_exactly_one_winner() {
    let Some(endpoint) = endpoint("racing_creates_of_one_key_have_exactly_one_winner") else {
        return;
    };
    let results = run_local(|| async {
        let world = World::open(&endpoint, "race", 2).await;
        let tasks: Vec<_> = (0..8)
            .map(|writer| {
                let store = world.store.clone();
                tokio::task::spawn_local(async move {
                    let body = Bytes::from(format!("writer {writer}"));
                    store
                        .put(
                            Cause::Manifest,
                            "race/manifest",
                            body,
                            PutMode::CreateIfAbsent,
                        )
                        .await
                })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        let winner = world
            .store
            .get(Cause::Other, "race/manifest", None)
            .await
            .unwrap();
        let puts = world
            .requests()
            .iter()
            .filter(|record| record.op == StoreOp::Put)
            .count();
        assert_eq!(puts, 8, "every racer's PUT is traced");
        (results, winner.bytes)
    });
    let (results, stored) = results;
    let winners: Vec<usize> = (0..8).filter(|&i| results[i].is_ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert_eq!(stored, Bytes::from(format!("writer {}", winners[0])));
    for result in &results {
        assert!(
            matches!(result, Ok(_) | Err(StoreError::AlreadyExists { .. })),
            "{result:?}"
        );
    }
}
