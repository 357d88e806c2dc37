//! The object-store port and its implementations.
//!
//! - [`port`]: the `ObjectStore` trait, its types and its typed errors.

pub mod port;

pub use port::{
    validate_key, ETag, GetResult, ListPage, ObjectMeta, ObjectStore, PutMode, PutResult,
    StoreError, StoreFuture, MAX_KEY_BYTES, MAX_LIST_PAGE,
};
