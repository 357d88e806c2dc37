//! The one place the `strata` binary reads wall time: to report decisions per second, and to
//! give a real-store run its clock. Library code never does (clippy forbids it there); a
//! wall-clock reading never feeds a simulated run.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Time since it was started.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch {
    started: Instant,
}

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch {
            started: Instant::now(),
        }
    }

    pub fn elapsed_nanos(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    pub fn elapsed_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// Nanoseconds since the Unix epoch now (a real store stamps objects with Unix time).
pub fn unix_nanos_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
