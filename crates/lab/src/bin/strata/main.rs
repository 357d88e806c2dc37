//! The `strata` command line: run a scenario in the simulator and print its JSON summary,
//! validate or share a scenario, and drive the recommender's bandit and off-policy tools.
//!
//! Library code never reads wall time; this binary does, in one module (`wall`), to report
//! decisions per second and to clock a run against a real store (`real`). Errors print one line to stderr: exit status 2 for a
//! mistake in the command line, 1 for anything that failed while running.

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod commands;
#[cfg(not(target_arch = "wasm32"))]
mod real;
#[cfg(not(target_arch = "wasm32"))]
mod wall;

/// The binary's allocator. The libraries allocate through whatever allocator their program
/// sets and nothing in a run depends on where a block lands, so the summaries, trace hashes
/// included, are the same as with the system's. Against glibc's malloc and free it takes
/// `strata run`'s instructions on the reference scenario down 3.4 % (docs/benchmarks.md).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The binary is native-only; on wasm32 it is an empty program so that the crate's test
/// targets still build there.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    // A panic is a bug, but the user still gets one line, not a stack trace.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        eprintln!("error: internal error (a bug in strata): {message}{location}");
    }));
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match commands::dispatch(&argv) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            std::process::ExitCode::from(failure.status)
        }
    }
}
