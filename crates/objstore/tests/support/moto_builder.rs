//! The `AmazonS3Builder` for moto on loopback, shared by the S3 tests and the real-store
//! benchmark: the endpoint, and the credentials and region moto accepts.

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::ClientConfigKey;

/// A builder for the S3 API at `url` (plain http, so `AWS_ALLOW_HTTP` is on).
pub fn builder(url: &str) -> AmazonS3Builder {
    AmazonS3Builder::new()
        .with_config(AmazonS3ConfigKey::Endpoint, url)
        .with_config(AmazonS3ConfigKey::AccessKeyId, "testing")
        .with_config(AmazonS3ConfigKey::SecretAccessKey, "testing")
        .with_config(AmazonS3ConfigKey::Region, "us-east-1")
        .with_config(
            AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp),
            "true",
        )
}
