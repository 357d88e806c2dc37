//! The object-store semantics suite, shared by the test binaries that run it: conditional
//! PUTs, ranged GETs, HEAD, paginated LIST, DELETE and typed errors for bad input, against
//! any `ObjectStore`.

use bytes::Bytes;
use strata_objstore::{ObjectStore, PutMode, StoreError};
use strata_sim::Cause;

/// What the suite could not check on a backend, and why; a test asserts the exact list so
/// that a skip is a stated fact about the backend, not a silent pass.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SuiteReport {
    pub skipped: Vec<&'static str>,
}

fn data(text: &str) -> Bytes {
    Bytes::from(text.as_bytes().to_vec())
}

fn is_unsupported(error: &StoreError) -> bool {
    matches!(error, StoreError::InvalidRequest(reason) if reason.contains("not supported"))
}

/// The suite. Every key lives under `root` (which ends in '/'), so runs do not collide.
pub async fn semantics_suite(store: &dyn ObjectStore, root: &str) -> SuiteReport {
    let mut report = SuiteReport::default();
    let cause = Cause::Other;
    let key = format!("{root}object");

    // PUT, then HEAD and GET see it.
    let first = store
        .put(cause, &key, data("hello world"), PutMode::Overwrite)
        .await
        .expect("put");
    let meta = store.head(cause, &key).await.expect("head");
    assert_eq!(meta.key, key);
    assert_eq!(meta.size_bytes, 11);
    assert_eq!(meta.etag, first.etag);
    let got = store.get(cause, &key, None).await.expect("get");
    assert_eq!(got.bytes, data("hello world"));
    assert_eq!(got.range, 0..11);
    assert_eq!(got.meta.etag, first.etag);

    // Overwrite changes content and ETag.
    let second = store
        .put(cause, &key, data("HELLO WORLD!"), PutMode::Overwrite)
        .await
        .expect("overwrite");
    assert_ne!(second.etag, first.etag, "an overwrite must change the ETag");
    let got = store
        .get(cause, &key, None)
        .await
        .expect("get after overwrite");
    assert_eq!(got.bytes, data("HELLO WORLD!"));

    // Create-if-absent.
    let refused = store
        .put(cause, &key, data("x"), PutMode::CreateIfAbsent)
        .await;
    assert!(
        matches!(refused, Err(StoreError::AlreadyExists { .. })),
        "create-if-absent on an existing key: {refused:?}"
    );
    let fresh_key = format!("{root}fresh");
    let created = store
        .put(cause, &fresh_key, data("new"), PutMode::CreateIfAbsent)
        .await
        .expect("create-if-absent on a new key");
    assert_eq!(
        store.get(cause, &fresh_key, None).await.expect("get").bytes,
        data("new")
    );

    // Update-if-match.
    let updated = store
        .put(
            cause,
            &key,
            data("v3"),
            PutMode::UpdateIfMatch(second.etag.clone()),
        )
        .await;
    match updated {
        Err(error) if is_unsupported(&error) => report.skipped.push("update_if_match"),
        updated => {
            let third = updated.expect("update with the current ETag");
            assert_ne!(third.etag, second.etag);
            let stale = store
                .put(cause, &key, data("v4"), PutMode::UpdateIfMatch(second.etag))
                .await;
            assert!(
                matches!(stale, Err(StoreError::PreconditionFailed { .. })),
                "update with a stale ETag: {stale:?}"
            );
            let missing = store
                .put(
                    cause,
                    &format!("{root}missing"),
                    data("v"),
                    PutMode::UpdateIfMatch(created.etag),
                )
                .await;
            assert!(
                matches!(missing, Err(StoreError::PreconditionFailed { .. })),
                "update of a missing key: {missing:?}"
            );
            assert_eq!(
                store.get(cause, &key, None).await.expect("get").bytes,
                data("v3")
            );
        }
    }

    // Ranged GET.
    let range_key = format!("{root}range");
    store
        .put(cause, &range_key, data("0123456789"), PutMode::Overwrite)
        .await
        .expect("put");
    let part = store
        .get(cause, &range_key, Some(2..5))
        .await
        .expect("range");
    assert_eq!(part.bytes, data("234"));
    assert_eq!(part.range, 2..5);
    assert_eq!(part.meta.size_bytes, 10);
    let tail = store
        .get(cause, &range_key, Some(7..10))
        .await
        .expect("tail");
    assert_eq!(tail.bytes, data("789"));
    let empty = store
        .get(cause, &range_key, Some(4..4))
        .await
        .expect("empty range");
    assert!(empty.bytes.is_empty());
    assert_eq!(empty.range, 4..4);
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = store.get(cause, &range_key, Some(5..2)).await;
    assert!(
        matches!(backwards, Err(StoreError::InvalidRequest(_))),
        "{backwards:?}"
    );
    let beyond = store.get(cause, &range_key, Some(5..11)).await;
    assert!(
        matches!(beyond, Err(StoreError::InvalidRequest(_))),
        "{beyond:?}"
    );

    // Missing keys.
    let missing_key = format!("{root}nothing-here");
    let missing = store.get(cause, &missing_key, None).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    let missing = store.head(cause, &missing_key).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );

    // LIST by prefix, paginated, ascending.
    let list_root = format!("{root}list/");
    let mut expected = Vec::new();
    for index in [5, 0, 6, 2, 4, 1, 3] {
        let key = format!("{list_root}{index:03}");
        store
            .put(cause, &key, data("x"), PutMode::Overwrite)
            .await
            .expect("put");
        expected.push(key);
    }
    expected.sort();
    // A sibling whose name shares the prefix's leading characters but not the prefix.
    store
        .put(cause, &format!("{root}lisx"), data("x"), PutMode::Overwrite)
        .await
        .expect("put");
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = Vec::new();
    loop {
        let page = store
            .list(cause, &list_root, token.clone(), 3)
            .await
            .expect("list");
        pages.push(page.objects.len());
        seen.extend(page.objects.into_iter().map(|meta| meta.key));
        token = page.next_page_token;
        if token.is_none() {
            break;
        }
        assert!(pages.len() < 10, "pagination does not end");
    }
    assert_eq!(seen, expected);
    assert_eq!(pages, vec![3, 3, 1]);
    let by_string_prefix = store
        .list(cause, &format!("{list_root}00"), None, 1000)
        .await
        .expect("list");
    assert_eq!(
        by_string_prefix.objects.len(),
        7,
        "a prefix need not end at a '/'"
    );
    let nothing = store
        .list(cause, &format!("{root}void/"), None, 10)
        .await
        .expect("list");
    assert!(nothing.objects.is_empty() && nothing.next_page_token.is_none());

    // DELETE, and deleting a missing key succeeds.
    store.delete(cause, &key).await.expect("delete");
    let gone = store.head(cause, &key).await;
    assert!(matches!(gone, Err(StoreError::NotFound { .. })), "{gone:?}");
    store.delete(cause, &key).await.expect("delete again");

    // Bad input is a typed error.
    let long_key = format!("{root}{}", "k".repeat(1025));
    for bad in ["", long_key.as_str()] {
        let put = store.put(cause, bad, data("x"), PutMode::Overwrite).await;
        assert!(matches!(put, Err(StoreError::InvalidRequest(_))), "{put:?}");
        let get = store.get(cause, bad, None).await;
        assert!(matches!(get, Err(StoreError::InvalidRequest(_))), "{get:?}");
        let head = store.head(cause, bad).await;
        assert!(
            matches!(head, Err(StoreError::InvalidRequest(_))),
            "{head:?}"
        );
        let delete = store.delete(cause, bad).await;
        assert!(
            matches!(delete, Err(StoreError::InvalidRequest(_))),
            "{delete:?}"
        );
    }
    let zero_page = store.list(cause, &list_root, None, 0).await;
    assert!(
        matches!(zero_page, Err(StoreError::InvalidRequest(_))),
        "{zero_page:?}"
    );
    report
}
