//! Workload functions for the benchmark harness. Each runs a fixed amount of simulated work
//! and returns a checksum (a trace hash or a count) so the work cannot be optimised away; the
//! harness times them natively and in wasm32. Nothing here reads a clock.

use crate::runner::Lab;
use crate::scenario::{OpMix, Scenario, StorePreset, ValueBytes, WorkloadSpec};
use strata_sim::{SimDuration, SimTime};

/// The playground's reference scenario: `rate_ops_per_sec` operations per simulated second
/// (90 % puts of 100-byte values, 10 % gets, no await) on S3 Standard, for `seconds`.
pub fn reference_scenario(seed: u64, seconds: u64, rate_ops_per_sec: f64) -> Scenario {
    Scenario {
        name: "bench".to_string(),
        seed,
        duration_ms: seconds.max(1) * 1000,
        workload: WorkloadSpec {
            rate_ops_per_sec,
            key_count: 100_000,
            key_bytes: 16,
            value_bytes: ValueBytes::fixed(100),
            mix: OpMix {
                read: 0.1,
                write: 0.9,
                delete: 0.0,
                scan: 0.0,
                batch: 0.0,
                delete_range: 0.0,
            },
            max_in_flight: 100_000,
            ..WorkloadSpec::default()
        },
        store: crate::scenario::StoreSpec {
            preset: StorePreset::S3Standard,
            ..Default::default()
        },
        ..Scenario::default()
    }
}

/// Runs the reference scenario to the end in one go (what `strata run` does) and returns its
/// trace hash. Simulated seconds per wall second = `seconds` ÷ the time this takes.
pub fn run_reference(seed: u64, seconds: u64, rate_ops_per_sec: f64) -> u64 {
    let scenario = reference_scenario(seed, seconds, rate_ops_per_sec);
    let mut lab = Lab::new(&scenario).expect("the reference scenario is valid");
    lab.run_to_end().expect("the reference scenario runs");
    let hash = lab.trace().hash();
    hash
}

/// The steady scenario of `strata run`'s speed figure: `rate_ops_per_sec` client operations
/// per simulated second (30 % gets, 70 % puts of 100-byte values, no await) over 100,000 keys
/// on S3 Standard, for `seconds`, seed `seed`.
pub fn steady_scenario(seed: u64, seconds: u64, rate_ops_per_sec: f64) -> Scenario {
    let mut scenario = reference_scenario(seed, seconds, rate_ops_per_sec);
    scenario.name = "bench-steady".to_string();
    scenario.workload.mix = OpMix {
        read: 0.3,
        write: 0.7,
        delete: 0.0,
        scan: 0.0,
        batch: 0.0,
        delete_range: 0.0,
    };
    scenario
}

/// Runs [`steady_scenario`] to the end (what `strata run` does) and returns the client
/// operations it completed and its trace hash; client operations per wall second = the first
/// ÷ the time this takes.
pub fn run_steady(seed: u64, seconds: u64, rate_ops_per_sec: f64) -> (u64, u64) {
    let scenario = steady_scenario(seed, seconds, rate_ops_per_sec);
    let summary = crate::run_scenario(&scenario).expect("the steady scenario runs");
    let ops = summary.operations.values().map(|c| c.ok + c.failed).sum();
    let hash = u64::from_str_radix(&summary.trace_hash, 16).unwrap_or(0);
    (ops, hash)
}

/// Plays the reference scenario the way the browser does: frames of `frame_ms` wall time at
/// `speed` × simulated time, at most `max_events_per_frame` events each, reading the summary
/// after every frame (as the UI redraws). Returns the number of frames and the trace hash
/// mixed together. The playground's speed target is 10,000 ops/s at 100× with 16.7 ms frames.
pub fn play_frames(
    seed: u64,
    seconds: u64,
    rate_ops_per_sec: f64,
    speed: f64,
    frame_ms: f64,
    max_events_per_frame: u64,
) -> u64 {
    let scenario = reference_scenario(seed, seconds, rate_ops_per_sec);
    let mut lab = Lab::new(&scenario).expect("the reference scenario is valid");
    let step = SimDuration::from_millis_f64(frame_ms * speed.max(1e-6));
    let mut until = SimTime::ZERO;
    let mut frames = 0u64;
    let mut checksum = 0u64;
    while !lab.finished() {
        until += step;
        lab.advance_to(until, max_events_per_frame)
            .expect("the reference scenario runs");
        let summary = lab.summary();
        checksum = checksum.wrapping_add(summary.writes.acknowledged);
        frames += 1;
    }
    let hash = lab.trace().hash();
    frames ^ checksum.rotate_left(17) ^ hash
}

/// Encodes and decodes a scenario's share token `n` times; returns the total token length.
pub fn share_token_round_trips(n: u64) -> u64 {
    let scenario = reference_scenario(1, 10, 1000.0);
    let mut total = 0u64;
    for _ in 0..n {
        let token = scenario.to_share_token();
        total += token.len() as u64;
        let back = Scenario::from_share_token(&token).expect("a fresh token decodes");
        total += back.seed;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bench_functions_are_deterministic_and_agree() {
        assert_eq!(run_reference(3, 1, 500.0), run_reference(3, 1, 500.0));
        assert_ne!(run_reference(3, 1, 500.0), run_reference(4, 1, 500.0));
        let a = play_frames(3, 1, 500.0, 100.0, 16.7, 10_000);
        assert_eq!(a, play_frames(3, 1, 500.0, 100.0, 16.7, 10_000));
        assert!(share_token_round_trips(3) > 3);
    }

    #[test]
    fn the_steady_run_counts_its_client_operations() {
        let (ops, hash) = run_steady(1, 1, 2000.0);
        // Arrivals at 2,000/s over the one second of workload, less the start of the run
        // before the writer is open.
        assert!((1500..2200).contains(&ops), "{ops}");
        assert_eq!((ops, hash), run_steady(1, 1, 2000.0));
        assert_ne!(hash, run_steady(2, 1, 2000.0).1);
    }
}
