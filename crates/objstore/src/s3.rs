//! Opening `s3://BUCKET/PREFIX` as an object_store backend for `CloudStore`: URL checks,
//! configuration from the standard `AWS_*` variables, and a probe at open that proves the
//! server honours the conditional PUTs the engine's fencing and manifest rely on.
//!
//! **Configuration.** The caller passes an `AmazonS3Builder`, normally
//! `AmazonS3Builder::from_env()` (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP`, …). This module sets the bucket,
//! turns on ETag conditional PUTs (`S3ConditionalPut::ETagMatch`: create-if-absent is
//! `If-None-Match: *`, update-if-match is `If-Match: <etag>`), and bounds object_store's own
//! retries so that an unreachable endpoint fails in seconds, not minutes: the engine retries
//! transient failures itself, with its own backoff, and traces each attempt.
//!
//! **The open probe**, in order; the first failure refuses the open with one line that says
//! what is wrong and what to set:
//! 1. LIST the prefix: reaches the endpoint, checks the credentials and that the bucket exists.
//! 2. PUT-if-absent a probe key, then PUT-if-absent it again: the second must fail.
//! 3. PUT-if-match with an ETag the object never had: must fail; with its real ETag: must
//!    succeed.
//! 4. DELETE the probe key, whatever happened in 2 and 3.
//!
//! Nothing but the probe key is written before the open succeeds, and the probe key is
//! deleted on every path, so a refused open leaves no partial database behind.

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut};
use object_store::client::{HttpError, HttpErrorKind};
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    ClientConfigKey, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
    UpdateVersion,
};
use std::sync::Arc;
use std::time::Duration;

/// The longest prefix accepted, in bytes: leaves room under S3's 1,024-byte key limit for the
/// engine's own key names.
pub const MAX_PREFIX_BYTES: usize = 512;

/// How often object_store itself retries one request before the engine sees the failure.
pub const BACKEND_MAX_RETRIES: usize = 2;

/// Why `s3://…` could not be opened. Each message is one line: what is wrong, what to set.
#[derive(Debug, thiserror::Error)]
pub enum S3OpenError {
    #[error("{url} is not a valid store URL: {problem}; write s3://BUCKET/PREFIX")]
    MalformedUrl { url: String, problem: String },
    #[error(
        "no S3 credentials: {missing} is not set; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    MissingCredentials { missing: &'static str },
    #[error("the S3 endpoint {endpoint} is plain http, which is refused unless AWS_ALLOW_HTTP=true; set it for a loopback endpoint, or use https")]
    HttpNotAllowed { endpoint: String },
    #[error("cannot reach the S3 endpoint {endpoint} ({reason}); check AWS_ENDPOINT_URL and that the server is running")]
    Unreachable { endpoint: String, reason: String },
    #[error("bucket {bucket} does not exist at {endpoint}; create it, or name an existing bucket in the s3:// URL")]
    NoSuchBucket { bucket: String, endpoint: String },
    #[error("{endpoint} refused the credentials ({reason}); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION")]
    CredentialsRefused { endpoint: String, reason: String },
    #[error("{endpoint} ignores conditional PUTs ({what}), which the engine's fencing needs; use a server that honours If-None-Match and If-Match (AWS S3 does)")]
    ConditionalPutIgnored { endpoint: String, what: String },
    #[error("invalid S3 configuration ({reason}); check the AWS_* variables")]
    Config { reason: String },
    #[error("the open probe on {endpoint} failed ({reason}); check the endpoint and the bucket's permissions")]
    Probe { endpoint: String, reason: String },
}

/// Where `s3://BUCKET/PREFIX` points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Without leading or trailing '/'; may be empty (the bucket's root).
    pub prefix: String,
}

impl S3Location {
    /// Parses `s3://BUCKET[/PREFIX]`. The bucket must be a valid S3 bucket name; the prefix
    /// must be non-empty path segments without `.`/`..`, control characters or `?`/`#`.
    pub fn parse(url: &str) -> Result<S3Location, S3OpenError> {
        let malformed = |problem: &str| S3OpenError::MalformedUrl {
            url: url.to_string(),
            problem: problem.to_string(),
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| malformed("it does not start with s3://"))?;
        if rest.contains(['?', '#']) {
            return Err(malformed("query strings and fragments are not allowed"));
        }
        let (bucket, prefix) = match rest.split_once('/') {
            Some((bucket, prefix)) => (bucket, prefix.trim_end_matches('/')),
            None => (rest, ""),
        };
        check_bucket_name(bucket).map_err(|problem| malformed(&problem))?;
        if prefix.len() > MAX_PREFIX_BYTES {
            return Err(malformed(&format!(
                "the prefix is {} bytes, over the {MAX_PREFIX_BYTES}-byte limit",
                prefix.len()
            )));
        }
        if !prefix.is_empty() {
            for segment in prefix.split('/') {
                if segment.is_empty() {
                    return Err(malformed("the prefix has an empty segment (//)"));
                }
                if segment == "." || segment == ".." {
                    return Err(malformed("the prefix has a . or .. segment"));
                }
                if segment.chars().any(char::is_control) {
                    return Err(malformed("the prefix has a control character"));
                }
            }
        }
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

/// S3's bucket naming rules: 3 to 63 characters of lowercase letters, digits, '.' and '-',
/// starting and ending with a letter or digit, no "..".
fn check_bucket_name(bucket: &str) -> Result<(), String> {
    if bucket.is_empty() {
        return Err("the bucket name is missing".to_string());
    }
    if !(3..=63).contains(&bucket.len()) {
        return Err(format!(
            "bucket name {bucket:?} must be 3 to 63 characters long"
        ));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    if !bucket.chars().all(allowed) {
        return Err(format!(
            "bucket name {bucket:?} may hold only lowercase letters, digits, '.' and '-'"
        ));
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge(bucket.chars().next()) || !edge(bucket.chars().last()) || bucket.contains("..") {
        return Err(format!(
            "bucket name {bucket:?} must start and end with a letter or digit"
        ));
    }
    Ok(())
}

/// An opened bucket prefix: the backend (keys relative to the prefix) and where it is.
#[derive(Debug)]
pub struct S3Store {
    pub backend: Arc<dyn ObjectStore>,
    pub location: S3Location,
    /// The endpoint, as messages name it.
    pub endpoint: String,
}

/// The endpoint a builder will talk to, for messages.
fn endpoint_of(builder: &AmazonS3Builder) -> String {
    builder
        .get_config_value(&AmazonS3ConfigKey::Endpoint)
        .unwrap_or_else(|| {
            let region = builder
                .get_config_value(&AmazonS3ConfigKey::Region)
                .unwrap_or_else(|| "us-east-1".to_string());
            format!("AWS S3 ({region})")
        })
}

fn is_true(value: Option<String>) -> bool {
    value.is_some_and(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1"))
}

/// Checks the configuration and builds the S3 backend for `url`, without any request.
pub fn build_s3(builder: AmazonS3Builder, url: &str) -> Result<S3Store, S3OpenError> {
    let location = S3Location::parse(url)?;
    let endpoint = endpoint_of(&builder);
    for (key, name) in [
        (AmazonS3ConfigKey::AccessKeyId, "AWS_ACCESS_KEY_ID"),
        (AmazonS3ConfigKey::SecretAccessKey, "AWS_SECRET_ACCESS_KEY"),
    ] {
        // Without static credentials object_store would ask the instance metadata service:
        // a network call to a link-local address that no laptop or CI runner answers.
        if builder.get_config_value(&key).is_none_or(|v| v.is_empty()) {
            return Err(S3OpenError::MissingCredentials { missing: name });
        }
    }
    let allow_http = AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp);
    if endpoint.starts_with("http://") && !is_true(builder.get_config_value(&allow_http)) {
        return Err(S3OpenError::HttpNotAllowed { endpoint });
    }
    let connect_timeout = AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout);
    let mut builder = builder
        .with_bucket_name(&location.bucket)
        .with_conditional_put(S3ConditionalPut::ETagMatch)
        .with_retry(RetryConfig {
            max_retries: BACKEND_MAX_RETRIES,
            retry_timeout: Duration::from_secs(30),
            ..RetryConfig::default()
        });
    if builder.get_config_value(&connect_timeout).is_none() {
        builder = builder.with_config(connect_timeout, "5s");
    }
    let s3 = builder.build().map_err(|error| S3OpenError::Config {
        reason: one_line(&error),
    })?;
    let backend: Arc<dyn ObjectStore> = if location.prefix.is_empty() {
        Arc::new(s3)
    } else {
        Arc::new(PrefixStore::new(s3, location.prefix.as_str()))
    };
    Ok(S3Store {
        backend,
        location,
        endpoint,
    })
}

/// `build_s3`, then the probe (see the module header). `probe_token` makes the probe key
/// unique to this open (two opens at once must not trip over each other's probe); the
/// caller picks it, since this crate reads no clock and no OS randomness.
pub async fn open_s3(
    builder: AmazonS3Builder,
    url: &str,
    probe_token: &str,
) -> Result<S3Store, S3OpenError> {
    let store = build_s3(builder, url)?;
    check_bucket(&store).await?;
    let probe_key = Path::from(format!(".strata-open-probe-{probe_token}"));
    let probed = probe_conditional_puts(&store, &probe_key).await;
    let cleaned = match store.backend.delete(&probe_key).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(error) => Err(S3OpenError::Probe {
            endpoint: store.endpoint.clone(),
            reason: format!(
                "could not delete the probe key {probe_key}: {}",
                one_line(&error)
            ),
        }),
    };
    probed?;
    cleaned?;
    Ok(store)
}

/// Step 1: one LIST of the prefix.
async fn check_bucket(store: &S3Store) -> Result<(), S3OpenError> {
    use futures_lite::StreamExt;
    let mut listing = store.backend.list(None);
    match listing.next().await {
        None | Some(Ok(_)) => Ok(()),
        Some(Err(error)) => Err(classify(store, error)),
    }
}

/// Steps 2 and 3.
async fn probe_conditional_puts(store: &S3Store, key: &Path) -> Result<(), S3OpenError> {
    let put = |mode: PutMode, body: &'static str| {
        let backend = store.backend.clone();
        let key = key.clone();
        async move {
            backend
                .put_opts(
                    &key,
                    PutPayload::from_static(body.as_bytes()),
                    PutOptions::from(mode),
                )
                .await
        }
    };
    let ignored = |what: &str| S3OpenError::ConditionalPutIgnored {
        endpoint: store.endpoint.clone(),
        what: what.to_string(),
    };
    let created = put(PutMode::Create, "probe 1")
        .await
        .map_err(|error| classify(store, error))?;
    match put(PutMode::Create, "probe 2").await {
        Err(object_store::Error::AlreadyExists { .. }) => {}
        Ok(_) => {
            return Err(ignored(
                "a second PUT with If-None-Match: * of the same key succeeded",
            ))
        }
        Err(error) => return Err(classify(store, error)),
    }
    let stale = UpdateVersion {
        e_tag: Some("\"strata-open-probe-never-an-etag\"".to_string()),
        version: None,
    };
    match put(PutMode::Update(stale), "probe 3").await {
        Err(object_store::Error::Precondition { .. }) => {}
        Ok(_) => return Err(ignored("a PUT with If-Match and a wrong ETag succeeded")),
        Err(error) => return Err(classify(store, error)),
    }
    let current = UpdateVersion {
        e_tag: created.e_tag,
        version: None,
    };
    match put(PutMode::Update(current), "probe 4").await {
        Ok(_) => Ok(()),
        Err(object_store::Error::Precondition { .. }) => Err(ignored(
            "a PUT with If-Match and the object's own ETag was refused",
        )),
        Err(error) => Err(classify(store, error)),
    }
}

/// Turns a failed probe request into the reason the open is refused.
fn classify(store: &S3Store, error: object_store::Error) -> S3OpenError {
    let endpoint = store.endpoint.clone();
    match &error {
        object_store::Error::NotFound { .. } => {
            return S3OpenError::NoSuchBucket {
                bucket: store.location.bucket.clone(),
                endpoint,
            }
        }
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => {
            return S3OpenError::CredentialsRefused {
                endpoint,
                reason: one_line(&error),
            }
        }
        object_store::Error::NotImplemented { .. } => {
            return S3OpenError::ConditionalPutIgnored {
                endpoint,
                what: one_line(&error),
            }
        }
        _ => {}
    }
    if let Some(reason) = connect_failure(&error) {
        return S3OpenError::Unreachable { endpoint, reason };
    }
    // object_store reports a failed LIST as a generic error that carries the response body;
    // S3's error code in it is part of the API.
    let message = one_line(&error);
    if message.contains("<Code>NoSuchBucket</Code>") {
        return S3OpenError::NoSuchBucket {
            bucket: store.location.bucket.clone(),
            endpoint,
        };
    }
    let refused_codes = [
        "<Code>AccessDenied</Code>",
        "<Code>InvalidAccessKeyId</Code>",
        "<Code>SignatureDoesNotMatch</Code>",
        "<Code>ExpiredToken</Code>",
    ];
    if refused_codes.iter().any(|code| message.contains(code)) {
        return S3OpenError::CredentialsRefused {
            endpoint,
            reason: message,
        };
    }
    S3OpenError::Probe {
        endpoint,
        reason: message,
    }
}

/// The innermost message of a connection failure (refused, DNS, TLS, timeout), if that is
/// what `error` is.
fn connect_failure(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut connect = false;
    let mut innermost = String::new();
    while let Some(layer) = current {
        if let Some(http) = layer.downcast_ref::<HttpError>() {
            connect |= matches!(http.kind(), HttpErrorKind::Connect | HttpErrorKind::Timeout);
        }
        innermost = layer.to_string();
        current = layer.source();
    }
    connect.then_some(innermost)
}

/// An error's message on one line.
fn one_line(error: &dyn std::fmt::Display) -> String {
    error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_bucket_and_prefix() {
        let parsed = S3Location::parse("s3://strata-test/dbs/one/").unwrap();
        assert_eq!(parsed.bucket, "strata-test");
        assert_eq!(parsed.prefix, "dbs/one");
        let root = S3Location::parse("s3://strata-test").unwrap();
        assert_eq!(root.prefix, "");
    }

    #[test]
    fn malformed_urls_are_refused_with_one_line_each() {
        let long_prefix = format!("s3://strata-test/{}", "p".repeat(MAX_PREFIX_BYTES + 1));
        let cases = [
            ("file:///tmp/x", "does not start with s3://"),
            ("s3://", "bucket name is missing"),
            ("s3:///prefix", "bucket name is missing"),
            ("s3://ab/prefix", "3 to 63 characters"),
            ("s3://Upper-Case/prefix", "lowercase"),
            ("s3://under_score/prefix", "lowercase"),
            ("s3://-leading/prefix", "start and end"),
            ("s3://strata-test/a//b", "empty segment"),
            ("s3://strata-test/a/../b", ". or .. segment"),
            ("s3://strata-test/a?versionId=1", "query strings"),
            ("s3://strata-test/a\tb", "control character"),
            (long_prefix.as_str(), "over the 512-byte limit"),
        ];
        for (url, expected) in cases {
            let message = S3Location::parse(url).unwrap_err().to_string();
            assert!(message.contains(expected), "{url}: {message}");
            assert!(message.contains("s3://BUCKET/PREFIX"), "{url}: {message}");
            assert!(!message.contains('\n'), "{url}: {message}");
        }
    }

    #[test]
    fn missing_credentials_are_refused_before_any_request() {
        let endpoint = AmazonS3ConfigKey::Endpoint;
        let builder = AmazonS3Builder::new().with_config(endpoint, "http://127.0.0.1:9");
        let error = build_s3(builder, "s3://strata-test/db").unwrap_err();
        assert!(
            error.to_string().contains("AWS_ACCESS_KEY_ID is not set"),
            "{error}"
        );
        let builder = AmazonS3Builder::new()
            .with_config(endpoint, "http://127.0.0.1:9")
            .with_config(AmazonS3ConfigKey::AccessKeyId, "key");
        let error = build_s3(builder, "s3://strata-test/db").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("AWS_SECRET_ACCESS_KEY is not set"),
            "{error}"
        );
    }

    #[test]
    fn a_plain_http_endpoint_needs_allow_http() {
        let builder = AmazonS3Builder::new()
            .with_config(AmazonS3ConfigKey::Endpoint, "http://127.0.0.1:9")
            .with_config(AmazonS3ConfigKey::AccessKeyId, "key")
            .with_config(AmazonS3ConfigKey::SecretAccessKey, "secret");
        let error = build_s3(builder.clone(), "s3://strata-test/db").unwrap_err();
        assert!(error.to_string().contains("AWS_ALLOW_HTTP=true"), "{error}");
        let allowed = builder.with_config(
            AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp),
            "true",
        );
        build_s3(allowed, "s3://strata-test/db").expect("http allowed");
    }
}
