//! The native benchmark runner: `strata-bench [GROUP] [--rounds N] [--json]`. Prints one line
//! per figure, or the figures as JSON for `cargo xtask bench` to pair with the wasm32 run.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let group = args
        .iter()
        .find(|a| !a.starts_with("--") && a.parse::<u32>().is_err())
        .cloned()
        .unwrap_or_else(|| "all".to_string());
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let known = strata_bench::groups();
    if group != "all" && !known.contains(&group.as_str()) {
        eprintln!(
            "strata-bench: unknown group `{group}`; known: all, {}",
            known.join(", ")
        );
        std::process::exit(2);
    }
    let origin = Instant::now();
    let now_ms = move || origin.elapsed().as_secs_f64() * 1000.0;
    let figures = strata_bench::run(&group, rounds, &now_ms);
    if args.iter().any(|a| a == "--facts") {
        println!(
            "{}",
            serde_json::to_string(&strata_bench::facts(&group)).expect("facts serialise")
        );
        return;
    }
    if args.iter().any(|a| a == "--json") {
        println!(
            "{}",
            serde_json::to_string(&figures).expect("figures serialise")
        );
    } else {
        for f in figures {
            println!(
                "{:<12} {:<55} {:>14.0} {}/s  ({} {} in {:.1} ms, best of {})",
                f.group, f.name, f.per_second, f.unit, f.units, f.unit, f.best_ms, f.rounds
            );
        }
    }
}
