//! A scenario's sections in the engine's and the simulated store's own terms: engine options
//! (`DbOptions`), the store's configuration (`SimStoreConfig`) and its faults. Pure
//! functions, with no check of their own: the compile step ([`super::compile`]) has each
//! owner check what they produce.

use super::{
    BackpressureKind, CompactionKind, CompactionSpec, EngineSpec, FaultSpec, LatencySpec,
    StorePreset, StoreSpec,
};
use strata_engine::{
    BackpressureMode, BackpressureOptions, CompactionOptions, CompactionStyle, DbOptions,
    HedgeOptions,
};
use strata_objstore::sim::{FaultAction, FaultSpec as StoreFaultSpec, LatencyDist};
use strata_objstore::SimStoreConfig;
use strata_sim::{SimDuration, SimTime};

fn latency_dist(spec: LatencySpec) -> LatencyDist {
    LatencyDist::new(spec.p50_ms, spec.p99_ms)
}

/// Dollars per thousand requests to picodollars per request (rounded to the nearest).
fn per_request_picousd(usd_per_1000: f64) -> u64 {
    (usd_per_1000 * 1e9).round() as u64
}

/// The store configuration a scenario asks for: its preset, with overrides applied.
pub fn store_config(spec: &StoreSpec) -> SimStoreConfig {
    let mut config = match spec.preset {
        StorePreset::S3Standard => SimStoreConfig::s3_standard(),
        StorePreset::S3Express => SimStoreConfig::s3_express(),
        StorePreset::Instant => SimStoreConfig::instant(),
    };
    let mut custom = false;
    if let Some(latency) = spec.get_latency {
        config.latency.get = latency_dist(latency);
        config.latency.head = latency_dist(latency);
        custom = true;
    }
    if let Some(latency) = spec.put_latency {
        config.latency.put = latency_dist(latency);
        custom = true;
    }
    if let Some(latency) = spec.list_latency {
        config.latency.list = latency_dist(latency);
        custom = true;
    }
    if let Some(latency) = spec.delete_latency {
        config.latency.delete = latency_dist(latency);
        custom = true;
    }
    if let Some(bandwidth) = spec.bandwidth_bytes_per_sec {
        config.latency.bandwidth_bytes_per_sec = bandwidth.round() as u64;
        custom = true;
    }
    if let Some(limit) = spec.put_limit_per_sec {
        config.throttle.enabled = true;
        config.throttle.write_requests_per_sec = limit.round().clamp(1.0, u32::MAX as f64) as u32;
        custom = true;
    }
    if let Some(limit) = spec.get_limit_per_sec {
        config.throttle.enabled = true;
        config.throttle.read_requests_per_sec = limit.round().clamp(1.0, u32::MAX as f64) as u32;
        custom = true;
    }
    if let Some(ms) = spec.request_timeout_ms {
        config.request_timeout = SimDuration::from_millis_f64(ms);
        custom = true;
    }
    if let Some(price) = spec.put_usd_per_1000 {
        config.pricing.put_list_request_picousd = per_request_picousd(price);
        custom = true;
    }
    if let Some(price) = spec.list_usd_per_1000 {
        // S3 bills LIST with PUT; a separate LIST price sets the shared class.
        config.pricing.put_list_request_picousd = per_request_picousd(price);
        custom = true;
    }
    if let Some(price) = spec.get_usd_per_1000 {
        config.pricing.get_head_request_picousd = per_request_picousd(price);
        custom = true;
    }
    if let Some(price) = spec.storage_usd_per_gb_month {
        config.pricing.storage_picousd_per_gib_month = (price * 1e12).round() as u64;
        custom = true;
    }
    if custom {
        config.name = format!("{} (custom)", spec.preset.as_str());
    }
    config
}

/// The engine options a scenario's engine section asks for: the engine's defaults, with
/// overrides applied, before the engine has checked them (the compile step asks it; the
/// resource budget reads their sizes).
pub fn engine_options_unchecked(spec: &EngineSpec) -> DbOptions {
    let mut options = DbOptions::default();
    let usize_of = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    if let Some(ms) = spec.flush_interval_ms {
        options.flush_interval = SimDuration::from_millis_f64(ms);
    }
    if let Some(bytes) = spec.max_wal_bytes {
        options.max_wal_bytes = usize_of(bytes);
    }
    if let Some(bytes) = spec.memtable_bytes {
        options.memtable_bytes = usize_of(bytes);
    }
    if let Some(count) = spec.max_immutable_memtables {
        options.max_immutable_memtables = count as usize;
    }
    if let Some(bytes) = spec.block_bytes {
        options.block_bytes = usize_of(bytes);
    }
    if let Some(bits) = spec.bloom_bits_per_key {
        options.bloom_bits_per_key = bits;
    }
    if let Some(bytes) = spec.block_cache_bytes {
        options.block_cache_bytes = usize_of(bytes);
    }
    if let Some(ms) = spec.gc_interval_ms {
        options.gc_interval = SimDuration::from_millis_f64(ms);
    }
    if let Some(ms) = spec.gc_min_age_ms {
        options.gc_min_age = SimDuration::from_millis_f64(ms);
    }
    if let Some(compaction) = &spec.compaction {
        options.compaction = compaction_options(compaction, options.memtable_bytes);
    }
    if let Some(backpressure) = &spec.backpressure {
        options.backpressure = BackpressureOptions {
            mode: match backpressure.mode.unwrap_or(BackpressureKind::Stall) {
                BackpressureKind::Stall => BackpressureMode::Stall,
                BackpressureKind::Reject => BackpressureMode::Reject,
            },
            max_l0_ssts: backpressure.max_l0_ssts.map_or(0, usize_of),
            max_unflushed_bytes: backpressure.max_unflushed_bytes.map_or(0, usize_of),
        };
    }
    if let Some(attempts) = spec.store_max_attempts {
        options.store_max_attempts = attempts;
    }
    if let Some(ms) = spec.retry_base_delay_ms {
        options.store_retry_delay = SimDuration::from_millis_f64(ms);
    }
    if let Some(ms) = spec.retry_max_delay_ms {
        options.store_retry_max_delay = SimDuration::from_millis_f64(ms);
    }
    if let Some(ms) = spec.retry_deadline_ms {
        options.store_retry_deadline = SimDuration::from_millis_f64(ms);
    }
    if let Some(percentile) = spec.hedge_percentile {
        options.hedge = HedgeOptions::Percentile {
            percentile,
            min_samples: 50,
        };
    }
    if let Some(ms) = spec.hedge_delay_ms {
        options.hedge = HedgeOptions::Delay {
            delay: SimDuration::from_millis_f64(ms),
        };
    }
    options
}

/// The engine's compaction options for a scenario's compaction section: the style's
/// defaults (leveled: base level of four memtables, ratio 10), with overrides applied.
fn compaction_options(spec: &CompactionSpec, memtable_bytes: usize) -> CompactionOptions {
    let usize_of = |value: u32| value as usize;
    let style = match spec.style {
        CompactionKind::SizeTiered => {
            let CompactionStyle::SizeTiered {
                l0_trigger,
                min_merge_runs,
                max_runs,
                size_ratio,
            } = CompactionStyle::size_tiered()
            else {
                unreachable!("size_tiered() is size-tiered")
            };
            CompactionStyle::SizeTiered {
                l0_trigger: spec.l0_trigger.map_or(l0_trigger, usize_of),
                min_merge_runs: spec.min_merge_runs.map_or(min_merge_runs, usize_of),
                max_runs: spec.max_runs.map_or(max_runs, usize_of),
                size_ratio: spec.size_ratio.unwrap_or(size_ratio),
            }
        }
        CompactionKind::Leveled => {
            let base = (4 * memtable_bytes) as u64;
            let CompactionStyle::Leveled {
                l0_trigger,
                level_base_bytes,
                level_ratio,
                max_levels,
            } = CompactionStyle::leveled(base)
            else {
                unreachable!("leveled() is leveled")
            };
            CompactionStyle::Leveled {
                l0_trigger: spec.l0_trigger.map_or(l0_trigger, usize_of),
                level_base_bytes: spec.level_base_bytes.unwrap_or(level_base_bytes),
                level_ratio: spec.level_ratio.unwrap_or(level_ratio),
                max_levels: spec.max_levels.unwrap_or(max_levels),
            }
        }
        CompactionKind::None => CompactionStyle::None,
    };
    let defaults = CompactionOptions::default();
    CompactionOptions {
        style,
        target_sst_bytes: spec.target_sst_bytes.unwrap_or(defaults.target_sst_bytes),
    }
}

/// The store fault a scenario fault becomes, if it is one.
pub fn store_fault(fault: &FaultSpec) -> Option<StoreFaultSpec> {
    let action = match fault {
        FaultSpec::ServerErrors { .. } => FaultAction::ServerError,
        FaultSpec::Timeouts {
            applied_probability,
            ..
        } => FaultAction::Timeout {
            applied_probability: *applied_probability,
        },
        FaultSpec::Throttle { .. } => FaultAction::Throttle,
        FaultSpec::LostAcks { .. } => FaultAction::LostAck,
        FaultSpec::Slow { multiplier, .. } => FaultAction::Slow {
            multiplier: *multiplier,
        },
        FaultSpec::BitFlips { .. } => FaultAction::BitFlipOnPut,
        FaultSpec::Outage { from_ms, until_ms } => {
            return Some(StoreFaultSpec::always(FaultAction::Outage).with_window(
                SimTime::from_millis(*from_ms),
                SimTime::from_millis(*until_ms),
            ));
        }
        FaultSpec::BitFlip { .. }
        | FaultSpec::CrashWriter { .. }
        | FaultSpec::Recover { .. }
        | FaultSpec::StartZombie { .. } => return None,
    };
    let window = fault.window()?;
    let mut spec = StoreFaultSpec::always(action)
        .with_window(
            SimTime::from_millis(window.from_ms),
            window.until_ms.map_or(SimTime::MAX, SimTime::from_millis),
        )
        .with_probability(window.probability);
    if !window.ops.is_empty() {
        spec = spec.with_ops(&window.ops);
    }
    if !window.prefix.is_empty() {
        spec = spec.with_key_prefix(&window.prefix);
    }
    Some(spec)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::scenario::BackpressureSpec;
    use strata_sim::StoreOp;

    #[test]
    fn a_store_section_is_its_preset_until_a_parameter_overrides_it() {
        let mut spec = StoreSpec {
            preset: StorePreset::S3Express,
            ..StoreSpec::default()
        };
        assert_eq!(store_config(&spec), SimStoreConfig::s3_express());
        spec.put_limit_per_sec = Some(250.4);
        spec.put_usd_per_1000 = Some(0.005);
        let config = store_config(&spec);
        assert_eq!(config.name, "s3_express (custom)");
        assert!(config.throttle.enabled);
        assert_eq!(config.throttle.write_requests_per_sec, 250);
        // $0.005 per thousand is 5,000,000 picodollars per request.
        assert_eq!(config.pricing.put_list_request_picousd, 5_000_000);
    }

    #[test]
    fn an_engine_section_fills_each_styles_defaults_and_maps_its_names() {
        let spec = EngineSpec {
            memtable_bytes: Some(64 * 1024),
            compaction: Some(CompactionSpec {
                l0_trigger: Some(6),
                ..CompactionSpec::style(CompactionKind::Leveled)
            }),
            backpressure: Some(BackpressureSpec {
                mode: Some(BackpressureKind::Reject),
                max_l0_ssts: Some(12),
                max_unflushed_bytes: None,
            }),
            ..EngineSpec::default()
        };
        let options = engine_options_unchecked(&spec);
        match options.compaction.style {
            CompactionStyle::Leveled {
                l0_trigger,
                level_base_bytes,
                ..
            } => {
                assert_eq!(l0_trigger, 6);
                // The base level holds four memtables unless the section says otherwise.
                assert_eq!(level_base_bytes, 4 * 64 * 1024);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(options.backpressure.mode, BackpressureMode::Reject);
        assert_eq!(options.backpressure.max_l0_ssts, 12);
        assert_eq!(options.backpressure.max_unflushed_bytes, 0);
        let none = EngineSpec {
            compaction: Some(CompactionSpec::style(CompactionKind::None)),
            ..EngineSpec::default()
        };
        assert_eq!(
            engine_options_unchecked(&none).compaction.style,
            CompactionStyle::None
        );
    }

    #[test]
    fn store_faults_keep_their_window_filter_and_writer_events_are_not_store_faults() {
        let fault = FaultSpec::ServerErrors {
            from_ms: 100,
            until_ms: Some(300),
            probability: 0.5,
            ops: vec![StoreOp::Put],
            prefix: "db/wal".to_string(),
        };
        let spec = store_fault(&fault).unwrap();
        assert_eq!(spec.action, FaultAction::ServerError);
        let window = spec.window.unwrap();
        assert_eq!(
            (window.start, window.end),
            (SimTime::from_millis(100), SimTime::from_millis(300))
        );
        assert_eq!(spec.probability, 0.5);
        assert_eq!(spec.ops, vec![StoreOp::Put]);
        assert_eq!(spec.key_prefix.as_deref(), Some("db/wal"));
        assert_eq!(store_fault(&FaultSpec::StartZombie { at_ms: 5 }), None);
    }
}
