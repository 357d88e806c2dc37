//! Shrinking: drop events from a failing world while it still fails the same oracle, until
//! no single event can go. First halves of the schedule, then one event at a time, then the
//! pauses inside each writer, then the replica, then the store clock's skew. Every candidate is a full deterministic run.

use crate::oracle::Oracle;
use crate::run::{run_world, Planted};
use crate::world::{Event, World};

/// The smallest world found, and how many runs it took.
pub struct Shrunk {
    pub world: World,
    pub runs: u64,
}

/// Shrinks `world`, which fails `oracle`, within `max_runs` runs.
pub fn shrink(world: &World, oracle: Oracle, planted: Option<Planted>, max_runs: u64) -> Shrunk {
    let mut best = world.clone();
    let mut runs = 0;
    let still_fails = |candidate: &World, runs: &mut u64| {
        *runs += 1;
        run_world(candidate, planted)
            .failure
            .is_some_and(|failure| failure.oracle == oracle)
    };
    // Halves, while they work.
    let mut chunk = best.events.len() / 2;
    while chunk >= 1 && runs < max_runs {
        let mut start = 0;
        let mut progressed = false;
        while start < best.events.len() && runs < max_runs {
            let mut candidate = best.clone();
            let end = (start + chunk).min(candidate.events.len());
            candidate.events.drain(start..end);
            if still_fails(&candidate, &mut runs) {
                best = candidate;
                progressed = true;
            } else {
                start += chunk;
            }
        }
        if !progressed {
            chunk /= 2;
        }
    }
    // Pauses inside writers, one at a time.
    let mut index = 0;
    while index < best.events.len() && runs < max_runs {
        let pauses = match &best.events[index] {
            Event::Writer { pauses, .. } => pauses.len(),
            _ => 0,
        };
        let mut pause = 0;
        let mut remaining = pauses;
        while pause < remaining && runs < max_runs {
            let mut candidate = best.clone();
            if let Event::Writer { pauses, .. } = &mut candidate.events[index] {
                pauses.remove(pause);
            }
            if still_fails(&candidate, &mut runs) {
                best = candidate;
                remaining -= 1;
            } else {
                pause += 1;
            }
        }
        index += 1;
    }
    // The replica, then the store clock's skew: each clears its part of the world and says
    // whether there was anything to clear.
    let clears: [fn(&mut World) -> bool; 2] = [
        |world| std::mem::replace(&mut world.reader, false),
        |world| std::mem::take(&mut world.store_clock_behind_ms) != 0,
    ];
    for clear in clears {
        let mut candidate = best.clone();
        if runs < max_runs && clear(&mut candidate) && still_fails(&candidate, &mut runs) {
            best = candidate;
        }
    }
    Shrunk { world: best, runs }
}

/// The schedule, one event a line.
pub fn describe(world: &World) -> String {
    let mut out = format!(
        "seed {} store {} end {} replica {}{} options: flush {} memtable {} B gc every {} min age {} style {}\n",
        world.seed,
        world.store_preset,
        world.end,
        if world.reader { "yes" } else { "no" },
        match world.store_clock_behind_ms {
            0 => String::new(),
            ms if ms > 0 => format!(" store clock {ms} ms behind"),
            ms => format!(" store clock {} ms ahead", -ms),
        },
        world.options.flush_interval,
        world.options.memtable_bytes,
        world.options.gc_interval,
        world.options.gc_min_age,
        world.options.compaction.style.name(),
    );
    for event in &world.events {
        out.push_str("  ");
        out.push_str(&event.describe());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::generate;
    use strata_sim::FaultKind;

    /// A planted bug (a writer crash while a Slow fault is scheduled) is found and shrunk to
    /// the two events that cause it.
    #[test]
    fn the_shrinker_reduces_a_planted_failure_to_its_cause() {
        let planted = Some(Planted::CrashUnderSlowFault);
        let (world, failure) = (0..400)
            .find_map(|seed| {
                let world = generate(seed);
                if world.events.len() < 5 {
                    return None;
                }
                run_world(&world, planted)
                    .failure
                    .filter(|failure| failure.oracle == Oracle::Planted)
                    .map(|failure| (world, failure))
            })
            .expect("some seed of 400 plants the failure with at least 5 events");
        let shrunk = shrink(&world, failure.oracle, planted, 200);
        let events = &shrunk.world.events;
        assert!(
            events.len() < world.events.len(),
            "{}",
            describe(&shrunk.world)
        );
        assert_eq!(events.len(), 2, "{}", describe(&shrunk.world));
        assert!(events.iter().any(|event| matches!(event,
            Event::Fault { spec, .. } if spec.action.kind() == FaultKind::Slow)));
        assert!(events.iter().any(|event| matches!(
            event,
            Event::Writer {
                ending: crate::world::Ending::Crash,
                ..
            }
        )));
        let replay = run_world(&shrunk.world, planted)
            .failure
            .expect("still fails");
        assert_eq!(replay.oracle, Oracle::Planted);
    }
}
