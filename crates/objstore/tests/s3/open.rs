//! Opening `s3://…`: each kind of bad input is refused with one line that says what is wrong
//! and what to set, and a refused open leaves nothing behind.

use crate::fake::IgnoringServer;
use crate::{builder, endpoint, run_local, unique};
use futures_lite::StreamExt;
use object_store::path::Path;
use strata_objstore::s3::{open_s3, S3OpenError};

fn assert_one_line(error: &S3OpenError, expected: &str) {
    let message = error.to_string();
    assert!(message.contains(expected), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn a_server_that_ignores_conditional_puts_is_refused_and_the_probe_key_is_removed() {
    let server = IgnoringServer::start();
    let error = run_local(|| open_s3(builder(&server.url), "s3://strata-fake/db", "t1"))
        .expect_err("the open is refused");
    assert!(
        matches!(error, S3OpenError::ConditionalPutIgnored { .. }),
        "{error}"
    );
    assert_one_line(&error, "If-None-Match: * of the same key succeeded");
    // No partial database: the probe key was deleted and nothing else was written.
    let left: Vec<String> = server.objects.lock().unwrap().keys().cloned().collect();
    assert!(
        left.is_empty(),
        "left behind: {left:?}; requests {:?}",
        server.requests.lock().unwrap()
    );
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        vec![
            "GET /strata-fake".to_string(),
            "PUT /strata-fake/db/.strata-open-probe-t1".to_string(),
            "PUT /strata-fake/db/.strata-open-probe-t1".to_string(),
            "POST /strata-fake".to_string(),
        ]
    );
}

#[test]
fn an_unreachable_endpoint_is_refused_in_one_line() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let error = run_local(|| open_s3(builder(&url), "s3://strata-test/db", "t2"))
        .expect_err("the open is refused");
    assert!(matches!(error, S3OpenError::Unreachable { .. }), "{error}");
    assert_one_line(&error, "check AWS_ENDPOINT_URL");
}

#[test]
fn a_bucket_that_does_not_exist_is_refused_in_one_line() {
    let Some(endpoint) = endpoint("a_bucket_that_does_not_exist_is_refused_in_one_line") else {
        return;
    };
    let error = run_local(|| {
        open_s3(
            builder(&endpoint.url),
            "s3://strata-no-such-bucket/db",
            "t3",
        )
    })
    .expect_err("the open is refused");
    assert!(matches!(error, S3OpenError::NoSuchBucket { .. }), "{error}");
    assert_one_line(&error, "bucket strata-no-such-bucket does not exist");
}

#[test]
fn the_probe_passes_on_the_s3_api_and_leaves_no_key_behind() {
    let Some(endpoint) = endpoint("the_probe_passes_on_the_s3_api_and_leaves_no_key_behind") else {
        return;
    };
    let prefix = unique("probe-only");
    let url = format!("s3://{}/{prefix}", endpoint.bucket);
    let keys = run_local(|| async {
        let opened = open_s3(builder(&endpoint.url), &url, "t4")
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(opened.location.prefix, prefix);
        let listed: Vec<Path> = opened
            .backend
            .list(None)
            .map(|meta| meta.unwrap().location)
            .collect()
            .await;
        listed
    });
    assert!(keys.is_empty(), "the probe left {keys:?}");
}
