//! Options: how a database is tuned (`DbOptions`), and the per-call `WriteOptions` and
//! `ReadOptions`. All are serde types so that a scenario document can carry them.
//!
//! Also the hard limits on user input (`MAX_KEY_BYTES`, `MAX_VALUE_BYTES`,
//! `MAX_BATCH_BYTES`), which the write path checks before touching any state.

use crate::compaction::CompactionOptions;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use strata_objstore::sim::Pricing;
use strata_sim::fmt::shortest;
use strata_sim::SimDuration;

/// The longest key accepted, in bytes (64 KiB - 1, so a key length fits in 16 bits).
pub const MAX_KEY_BYTES: usize = 65_535;
/// The largest value accepted, in bytes (8 MiB).
pub const MAX_VALUE_BYTES: usize = 8 * 1024 * 1024;
/// The largest write batch accepted, counting keys and values, in bytes (32 MiB).
pub const MAX_BATCH_BYTES: usize = 32 * 1024 * 1024;
/// The most operations one write batch may hold.
pub const MAX_BATCH_ENTRIES: usize = 1_000_000;

/// How a database is tuned. `Default` suits the browser (megabyte-scale SSTs); native runs
/// usually raise `memtable_bytes`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DbOptions {
    /// Buffered WAL writes are uploaded as one object at least this often.
    pub flush_interval: SimDuration,
    /// Upload the WAL buffer early once it holds this many bytes.
    pub max_wal_bytes: usize,
    /// Freeze the active memtable once it holds this many bytes (keys + values + overhead).
    pub memtable_bytes: usize,
    /// Frozen memtables waiting to be flushed; writers stall beyond this bound.
    pub max_immutable_memtables: usize,
    /// Target size of an SST data block, in bytes (a block closes once it reaches this).
    pub block_bytes: usize,
    /// Bloom filter bits per key; 0 disables the filter.
    pub bloom_bits_per_key: u32,
    /// Capacity of the block cache, in bytes of decoded blocks; 0 disables it.
    pub block_cache_bytes: usize,
    /// How often garbage collection runs; zero disables the background collector (it can
    /// still be run by hand with `Db::run_gc`).
    pub gc_interval: SimDuration,
    /// Objects younger than this are never collected. It must exceed the longest gap between
    /// an SST upload finishing and the manifest that commits it (see docs/engine.md).
    pub gc_min_age: SimDuration,
    /// Attempts for one manifest update before giving up (conflicts and transient errors).
    pub manifest_max_attempts: u32,
    /// Attempts for one store request that failed transiently.
    pub store_max_attempts: u32,
    /// The base of the exponential backoff between store retries: retry n waits a uniformly
    /// random time in `[0, min(store_retry_max_delay, store_retry_delay × 2^(n−1))]`
    /// ("full jitter").
    pub store_retry_delay: SimDuration,
    /// The cap of one backoff pause.
    pub store_retry_max_delay: SimDuration,
    /// A request stops retrying once this long has passed since its first attempt.
    pub store_retry_deadline: SimDuration,
    /// Entries a scan copies out of a memtable at a time.
    pub scan_chunk_entries: usize,
    /// How L0 SSTs and runs are merged (off by default).
    pub compaction: CompactionOptions,
    /// When writes stall or are rejected because compaction or flushing is behind.
    pub backpressure: BackpressureOptions,
    /// Hedged GETs for reads (off by default).
    pub hedge: HedgeOptions,
    /// Prices the engine's cost meters use (S3 Standard by default; match the store's).
    pub pricing: Pricing,
}

/// What a write does when the engine is over a backpressure limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackpressureMode {
    /// The write waits until flushing and compaction catch up (a `WriteStalled` event).
    #[default]
    Stall,
    /// The write fails at once with `Error::WriteRejected` (kind `Unavailable`).
    Reject,
}

/// Write backpressure limits; 0 turns a limit off. The frozen-memtable bound
/// (`max_immutable_memtables`) always stalls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BackpressureOptions {
    pub mode: BackpressureMode,
    /// Most L0 SSTs before writes stall or are rejected.
    pub max_l0_ssts: usize,
    /// Most bytes in memtables (active and frozen) not yet in SSTs.
    pub max_unflushed_bytes: usize,
}

/// When a read's GET is hedged with a second, identical GET.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum HedgeOptions {
    #[default]
    Off,
    /// Hedge once a GET has run longer than this percentile (0 < p < 100) of the recent GET
    /// latencies (the last `HEDGE_WINDOW` reads); no hedging until `min_samples` are known.
    Percentile { percentile: f64, min_samples: usize },
    /// Hedge once a GET has run this long.
    Delay { delay: SimDuration },
}

/// Recent GET latencies kept for the hedge percentile.
pub const HEDGE_WINDOW: usize = 512;

impl HedgeOptions {
    pub fn validate(&self) -> Result<()> {
        match *self {
            HedgeOptions::Off => Ok(()),
            HedgeOptions::Percentile {
                percentile,
                min_samples,
            } => {
                if !(percentile > 0.0 && percentile < 100.0) {
                    return Err(Error::Invalid(format!(
                        "hedge percentile must be strictly between 0 and 100, got {}",
                        shortest(percentile)
                    )));
                }
                if min_samples == 0 || min_samples > HEDGE_WINDOW {
                    return Err(Error::Invalid(format!(
                        "hedge min_samples must be between 1 and {HEDGE_WINDOW}, got {min_samples}"
                    )));
                }
                Ok(())
            }
            HedgeOptions::Delay { delay } => {
                if delay.is_zero() {
                    return Err(Error::Invalid("hedge delay must be positive".to_string()));
                }
                Ok(())
            }
        }
    }
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            flush_interval: SimDuration::from_millis(100),
            max_wal_bytes: 1024 * 1024,
            memtable_bytes: 4 * 1024 * 1024,
            max_immutable_memtables: 4,
            block_bytes: 4096,
            bloom_bits_per_key: 10,
            block_cache_bytes: 16 * 1024 * 1024,
            gc_interval: SimDuration::from_secs(60),
            gc_min_age: SimDuration::from_secs(300),
            manifest_max_attempts: 8,
            store_max_attempts: 4,
            store_retry_delay: SimDuration::from_millis(20),
            store_retry_max_delay: SimDuration::from_secs(1),
            store_retry_deadline: SimDuration::from_secs(10),
            scan_chunk_entries: 256,
            compaction: CompactionOptions::default(),
            backpressure: BackpressureOptions::default(),
            hedge: HedgeOptions::Off,
            pricing: Pricing::s3_standard(),
        }
    }
}

impl DbOptions {
    /// Checks that every option is usable, with a message naming the first one that is not.
    pub fn validate(&self) -> Result<()> {
        let fail = |message: String| Err(Error::Invalid(message));
        if self.flush_interval.is_zero() {
            return fail("flush_interval must be positive".to_string());
        }
        if self.max_wal_bytes == 0 {
            return fail("max_wal_bytes must be positive".to_string());
        }
        if self.memtable_bytes < 1024 {
            return fail(format!(
                "memtable_bytes must be at least 1024, got {}",
                self.memtable_bytes
            ));
        }
        if self.max_immutable_memtables == 0 {
            return fail("max_immutable_memtables must be at least 1".to_string());
        }
        if !(64..=16 * 1024 * 1024).contains(&self.block_bytes) {
            return fail(format!(
                "block_bytes must be between 64 and 16 MiB, got {}",
                self.block_bytes
            ));
        }
        if self.bloom_bits_per_key > 64 {
            return fail(format!(
                "bloom_bits_per_key must be at most 64, got {}",
                self.bloom_bits_per_key
            ));
        }
        if self.manifest_max_attempts == 0 || self.store_max_attempts == 0 {
            return fail("attempt limits must be at least 1".to_string());
        }
        if self.scan_chunk_entries == 0 {
            return fail("scan_chunk_entries must be positive".to_string());
        }
        if self.store_retry_delay.is_zero() {
            return fail("store_retry_delay must be positive".to_string());
        }
        if self.store_retry_max_delay < self.store_retry_delay {
            return fail(format!(
                "store_retry_max_delay ({}) is below store_retry_delay ({}): inverted retry bounds",
                self.store_retry_max_delay, self.store_retry_delay
            ));
        }
        if self.store_retry_deadline < self.store_retry_delay {
            return fail(format!(
                "store_retry_deadline ({}) is below store_retry_delay ({})",
                self.store_retry_deadline, self.store_retry_delay
            ));
        }
        let unflushed_limit = self.backpressure.max_unflushed_bytes;
        if unflushed_limit > 0 && unflushed_limit <= self.memtable_bytes {
            // The active memtable freezes (and flushes) only once it is full; a limit it
            // reaches first stalls every write for good, with nothing left to flush.
            return fail(format!(
                "backpressure.max_unflushed_bytes ({unflushed_limit}) must exceed memtable_bytes ({}): writes would stall before the memtable fills and can flush",
                self.memtable_bytes
            ));
        }
        self.compaction.validate()?;
        self.hedge.validate()?;
        Ok(())
    }
}

/// The longest time-to-live a write may carry (365 days of simulated time).
pub const MAX_TTL: SimDuration = SimDuration::from_secs(365 * 24 * 3600);

/// Per-write options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOptions {
    /// Return only once the write is durable in the object store (its WAL object was
    /// uploaded). Otherwise return as soon as the write is in memory.
    pub await_durable: bool,
    /// How long the values this write puts stay readable, from the engine's clock at the
    /// write; `None` keeps them until they are overwritten or deleted. An expired value
    /// reads as deleted (it also hides older versions of its key) and compaction drops it.
    /// Must be positive and at most [`MAX_TTL`]. Deletes and range deletes ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<SimDuration>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions::DURABLE
    }
}

impl WriteOptions {
    /// Acknowledge once in memory.
    pub const NO_AWAIT: WriteOptions = WriteOptions {
        await_durable: false,
        ttl: None,
    };
    /// Acknowledge once durable.
    pub const DURABLE: WriteOptions = WriteOptions {
        await_durable: true,
        ttl: None,
    };

    /// The same options with a time-to-live for the values written.
    pub const fn with_ttl(self, ttl: SimDuration) -> WriteOptions {
        WriteOptions {
            ttl: Some(ttl),
            ..self
        }
    }

    /// Checks the time-to-live: positive and at most [`MAX_TTL`].
    pub fn validate(&self) -> Result<()> {
        match self.ttl {
            Some(ttl) if ttl.is_zero() => Err(Error::InvalidTtl {
                reason: "a time-to-live must be positive".to_string(),
            }),
            Some(ttl) if ttl > MAX_TTL => Err(Error::InvalidTtl {
                reason: format!(
                    "a time-to-live of {} s is over the limit of {} s",
                    ttl.as_nanos() / 1_000_000_000,
                    MAX_TTL.as_nanos() / 1_000_000_000
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// Which writes a read may see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// Every acknowledged write, durable or not.
    #[default]
    Memory,
    /// Only writes already durable in the object store.
    Durable,
}

/// Per-read options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadOptions {
    pub durability: Durability,
}

impl ReadOptions {
    pub const MEMORY: ReadOptions = ReadOptions {
        durability: Durability::Memory,
    };
    pub const DURABLE: ReadOptions = ReadOptions {
        durability: Durability::Durable,
    };
}

/// Checks a range delete's bounds: both valid keys, the start strictly below the end (an
/// empty or inverted range deletes nothing and is refused rather than ignored).
pub(crate) fn validate_range(start: &[u8], end: &[u8]) -> Result<()> {
    validate_key(start).map_err(|error| Error::InvalidRange {
        reason: format!("start: {error}"),
    })?;
    validate_key(end).map_err(|error| Error::InvalidRange {
        reason: format!("end: {error}"),
    })?;
    if start >= end {
        return Err(Error::InvalidRange {
            reason: "the range is empty or inverted (its start must be below its end)".to_string(),
        });
    }
    Ok(())
}

/// Checks a key against the documented limits.
#[inline]
pub(crate) fn validate_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(Error::Invalid("empty key".to_string()));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::Invalid(format!(
            "key of {} bytes is over the {MAX_KEY_BYTES}-byte limit",
            key.len()
        )));
    }
    Ok(())
}

/// Checks a value against the documented limit.
#[inline]
pub(crate) fn validate_value(value: &[u8]) -> Result<()> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(Error::Invalid(format!(
            "value of {} bytes is over the {MAX_VALUE_BYTES}-byte limit",
            value.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn defaults_are_valid_and_round_trip_through_json() {
        let options = DbOptions::default();
        options.validate().unwrap();
        let json = serde_json::to_string(&options).unwrap();
        let back: DbOptions = serde_json::from_str(&json).unwrap();
        assert_eq!(back, options);
        // Missing fields take their defaults, so scenarios only state what they change.
        let partial: DbOptions = serde_json::from_str(r#"{"block_bytes": 8192}"#).unwrap();
        assert_eq!(partial.block_bytes, 8192);
        assert_eq!(partial.memtable_bytes, options.memtable_bytes);
    }

    #[test]
    fn an_unflushed_limit_the_memtable_reaches_before_it_fills_is_invalid() {
        let mut options = DbOptions::default();
        options.backpressure.max_unflushed_bytes = 256 * 1024;
        let error = options.validate().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert!(
            error.to_string().contains("must exceed memtable_bytes"),
            "{error}"
        );
        options.backpressure.max_unflushed_bytes = options.memtable_bytes + 1;
        options.validate().unwrap();
    }

    #[test]
    fn bad_options_are_invalid_with_a_message() {
        let bad = [
            DbOptions {
                flush_interval: SimDuration::ZERO,
                ..DbOptions::default()
            },
            DbOptions {
                block_bytes: 8,
                ..DbOptions::default()
            },
            DbOptions {
                memtable_bytes: 10,
                ..DbOptions::default()
            },
            DbOptions {
                max_immutable_memtables: 0,
                ..DbOptions::default()
            },
            DbOptions {
                store_retry_delay: SimDuration::from_millis(100),
                store_retry_max_delay: SimDuration::from_millis(10),
                ..DbOptions::default()
            },
            DbOptions {
                hedge: HedgeOptions::Percentile {
                    percentile: 100.0,
                    min_samples: 10,
                },
                ..DbOptions::default()
            },
            DbOptions {
                hedge: HedgeOptions::Percentile {
                    percentile: 0.0,
                    min_samples: 10,
                },
                ..DbOptions::default()
            },
            DbOptions {
                compaction: CompactionOptions {
                    style: crate::compaction::CompactionStyle::Leveled {
                        l0_trigger: 4,
                        level_base_bytes: 1 << 20,
                        level_ratio: 1.0,
                        max_levels: 4,
                    },
                    ..CompactionOptions::default()
                },
                ..DbOptions::default()
            },
        ];
        for options in bad {
            let error = options.validate().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Invalid);
        }
    }

    #[test]
    fn key_and_value_limits() {
        assert_eq!(validate_key(b"").unwrap_err().kind(), ErrorKind::Invalid);
        assert!(validate_key(&vec![1u8; MAX_KEY_BYTES]).is_ok());
        assert_eq!(
            validate_key(&vec![1u8; MAX_KEY_BYTES + 1])
                .unwrap_err()
                .kind(),
            ErrorKind::Invalid
        );
        assert!(validate_value(b"").is_ok());
        assert!(validate_value(&vec![0u8; MAX_VALUE_BYTES + 1]).is_err());
    }
}
