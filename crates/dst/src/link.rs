//! A playground link for a world, when the lab's scenario schema can express it.
//!
//! The schema has one workload driving one writer at a time, writer crashes with a recovery
//! after a delay, zombies (a second writer opening while the first runs), store faults with
//! windows, and engine changes. It has no process pauses, no re-sealed corruptions, no clean
//! close between writers and no store clock at odds with the writers', so worlds with those do
//! not fit and get the reason instead of a link. Recommender processes write to a database of their own and are left out. A link replays the world's store,
//! options, faults and writer lifecycle under the lab's workload and FIFO order: the same
//! conditions, not the same interleaving.

use crate::world::{Ending, Event, World, KEY_COUNT};
use strata_engine::CompactionStyle;
use strata_lab::scenario::{
    CompactionKind, CompactionSpec, EngineSpec, FaultSpec, Scenario, SettingChange, StorePreset,
    StoreSpec, WorkloadSpec, SCENARIO_VERSION,
};
use strata_objstore::sim::FaultAction;
use strata_sim::{SimDuration, SimTime};

/// Where `cargo xtask serve` serves the playground.
pub const PLAYGROUND_URL: &str = "http://127.0.0.1:8080/";

fn ms(at: SimTime) -> u64 {
    at.as_nanos() / 1_000_000
}

fn duration_ms(duration: SimDuration) -> f64 {
    duration.as_nanos() as f64 / 1e6
}

fn compaction(style: &CompactionStyle) -> CompactionSpec {
    let mut spec = CompactionSpec {
        style: match style {
            CompactionStyle::None => CompactionKind::None,
            CompactionStyle::SizeTiered { .. } => CompactionKind::SizeTiered,
            CompactionStyle::Leveled { .. } => CompactionKind::Leveled,
        },
        l0_trigger: None,
        min_merge_runs: None,
        max_runs: None,
        size_ratio: None,
        level_base_bytes: None,
        level_ratio: None,
        max_levels: None,
        target_sst_bytes: Some(1024),
    };
    match style {
        CompactionStyle::None => {}
        CompactionStyle::SizeTiered {
            l0_trigger,
            min_merge_runs,
            max_runs,
            size_ratio,
        } => {
            spec.l0_trigger = Some(*l0_trigger as u32);
            spec.min_merge_runs = Some(*min_merge_runs as u32);
            spec.max_runs = Some(*max_runs as u32);
            spec.size_ratio = Some(*size_ratio);
        }
        CompactionStyle::Leveled {
            l0_trigger,
            level_base_bytes,
            level_ratio,
            max_levels,
        } => {
            spec.l0_trigger = Some(*l0_trigger as u32);
            spec.level_base_bytes = Some(*level_base_bytes);
            spec.level_ratio = Some(*level_ratio);
            spec.max_levels = Some(*max_levels);
        }
    }
    spec
}

/// The world as a lab scenario, or why it does not fit the schema.
pub fn scenario(world: &World) -> Result<Scenario, String> {
    let options = &world.options;
    let engine = EngineSpec {
        path: Some(crate::run::DB_ROOT.to_string()),
        flush_interval_ms: Some(duration_ms(options.flush_interval)),
        max_wal_bytes: Some(options.max_wal_bytes as u64),
        memtable_bytes: Some(options.memtable_bytes as u64),
        max_immutable_memtables: Some(options.max_immutable_memtables as u32),
        block_bytes: Some(options.block_bytes as u64),
        bloom_bits_per_key: Some(options.bloom_bits_per_key),
        block_cache_bytes: Some(options.block_cache_bytes as u64),
        gc_interval_ms: Some(duration_ms(options.gc_interval)),
        gc_min_age_ms: Some(duration_ms(options.gc_min_age)),
        compaction: Some(compaction(&options.compaction.style)),
        retry_deadline_ms: Some(duration_ms(options.store_retry_deadline)),
        reader_poll_interval_ms: world.reader.then(|| duration_ms(world.reader_poll)),
        ..EngineSpec::default()
    };
    let mut faults = Vec::new();
    let mut changes = Vec::new();
    if world.store_clock_behind_ms != 0 {
        return Err(
            "the store's clock disagrees with the writers' (the schema has one clock)".into(),
        );
    }
    let mut writers = Vec::new();
    for event in &world.events {
        match event {
            Event::Writer {
                start,
                stop,
                ending,
                pauses,
                ..
            } => {
                if !pauses.is_empty() {
                    return Err("a writer pauses (the schema has no process pauses)".into());
                }
                writers.push((ms(*start), ms(*stop), *ending));
            }
            Event::SwitchCompaction { at, style } => changes.push(SettingChange::Engine {
                at_ms: ms(*at),
                engine: EngineSpec {
                    compaction: Some(compaction(style)),
                    ..engine.clone()
                },
            }),
            Event::Fault { spec, .. } => {
                let from_ms = spec.window.map_or(0, |w| ms(w.start));
                let until_ms = spec.window.map(|w| ms(w.end));
                let ops = spec.ops.clone();
                let prefix = spec.key_prefix.clone().unwrap_or_default();
                let probability = spec.probability;
                faults.push(match &spec.action {
                    FaultAction::ServerError => FaultSpec::ServerErrors {
                        from_ms,
                        until_ms,
                        probability,
                        ops,
                        prefix,
                    },
                    FaultAction::Timeout {
                        applied_probability,
                    } => FaultSpec::Timeouts {
                        from_ms,
                        until_ms,
                        probability,
                        ops,
                        prefix,
                        applied_probability: *applied_probability,
                    },
                    FaultAction::LostAck => FaultSpec::LostAcks {
                        from_ms,
                        until_ms,
                        probability,
                        ops,
                        prefix,
                    },
                    FaultAction::Slow { multiplier } => FaultSpec::Slow {
                        from_ms,
                        until_ms,
                        probability,
                        ops,
                        prefix,
                        multiplier: *multiplier,
                    },
                    FaultAction::Throttle => FaultSpec::Throttle {
                        from_ms,
                        until_ms,
                        probability,
                        ops,
                        prefix,
                    },
                    FaultAction::BitFlipOnPut => FaultSpec::BitFlips {
                        from_ms,
                        until_ms,
                        probability,
                        ops,
                        prefix,
                    },
                    FaultAction::Outage => match until_ms {
                        Some(until_ms) if ops.is_empty() => FaultSpec::Outage { from_ms, until_ms },
                        _ => return Err("an outage limited to some operations".into()),
                    },
                });
            }
            Event::Corrupt { .. } => {
                return Err("a checksum-valid corruption (the schema has bit flips only)".into())
            }
            // The recommender writes to its own database; the link shows the shared one.
            Event::Recommender { .. } => {}
        }
    }
    // Writers in start order: the first opens at 0; each next one either takes over a live
    // writer (a zombie) or recovers after a crash.
    writers.sort_by_key(|(start, _, _)| *start);
    let Some(&(first_start, _, _)) = writers.first() else {
        return Err("no writer".into());
    };
    if first_start != 0 {
        return Err("the first writer opens after the start".into());
    }
    for pair in writers.windows(2) {
        let ((_, stop, ending), (start, _, _)) = (pair[0], pair[1]);
        if start < stop || ending == Ending::Abandon {
            faults.push(FaultSpec::StartZombie { at_ms: start });
        } else if ending == Ending::Crash {
            faults.push(FaultSpec::CrashWriter {
                at_ms: stop,
                recover_after_ms: Some(start - stop),
            });
        } else {
            return Err("a writer closes cleanly before the next opens".into());
        }
    }
    if let Some(&(_, stop, Ending::Crash)) = writers.last() {
        faults.push(FaultSpec::CrashWriter {
            at_ms: stop,
            recover_after_ms: None,
        });
    }
    let scenario = Scenario {
        version: SCENARIO_VERSION,
        name: format!("simulator seed {}", world.seed),
        description: "A world of the whole-system simulator, under the lab's workload.".to_string(),
        seed: world.seed,
        duration_ms: ms(world.end),
        workload: WorkloadSpec {
            key_count: KEY_COUNT,
            ..WorkloadSpec::default()
        },
        engine,
        store: StoreSpec {
            preset: if world.store_preset == "instant" {
                StorePreset::Instant
            } else {
                StorePreset::S3Express
            },
            ..StoreSpec::default()
        },
        faults,
        changes,
        recommender: None,
        tenants: Vec::new(),
        verify_at_end: true,
        trace: Default::default(),
    };
    scenario
        .validate()
        .map_err(|error| format!("the scenario is refused: {error}"))?;
    Ok(scenario)
}

/// The playground link that replays `world`'s conditions, or why there is none.
pub fn playground_link(world: &World) -> Result<String, String> {
    let scenario = scenario(world)?;
    Ok(format!("{PLAYGROUND_URL}#s={}", scenario.to_share_token()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::generate;

    #[test]
    fn a_world_without_pauses_or_corruption_becomes_a_valid_link_that_reads_back() {
        let fitting = (0..500)
            .map(generate)
            .find_map(|world| scenario(&world).ok().map(|scenario| (world, scenario)))
            .expect("some world of 500 fits the schema");
        let (world, scenario) = fitting;
        let link = playground_link(&world).unwrap();
        let token = link.split("#s=").nth(1).unwrap();
        assert_eq!(Scenario::from_share_token(token).unwrap(), scenario);
    }

    #[test]
    fn a_world_with_a_pause_says_why_it_has_no_link() {
        let paused = (0..100)
            .map(generate)
            .find(|world| {
                world
                    .events
                    .iter()
                    .any(|e| matches!(e, Event::Writer { pauses, .. } if !pauses.is_empty()))
            })
            .unwrap();
        let why = playground_link(&paused).unwrap_err();
        assert!(why.contains("pause"), "{why}");
    }

    #[test]
    fn a_world_with_a_skewed_store_clock_says_why_it_has_no_link() {
        let skewed = (0..100)
            .map(generate)
            .find(|world| world.store_clock_behind_ms != 0)
            .unwrap();
        let why = playground_link(&skewed).unwrap_err();
        assert!(why.contains("clock"), "{why}");
    }
}
