//! A counting global allocator: it records the largest single allocation since the runner
//! last reset it, so that a decoder which sizes a buffer from an unchecked field is caught
//! even when the allocation would succeed; and it refuses (the process then aborts) any
//! allocation above [`HARD_LIMIT_BYTES`] while a fuzz input runs, after printing which
//! target, seed and iteration asked for it, since such a request would otherwise take the
//! machine's memory or abort without saying where.
//!
//! Install it with `#[global_allocator] static ALLOCATOR: GuardedAllocator = GuardedAllocator;`
//! (the binary and the test binaries do). Without it, [`largest_since_reset`] reads 0 and
//! the runner skips the allocation check.

// `GlobalAlloc` is an unsafe trait: implementing it is the one use of unsafe code in this
// crate. Each method forwards to `System` with the caller's own arguments.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// The largest single allocation any fuzz input may cause: above it the allocation is refused.
pub const HARD_LIMIT_BYTES: usize = 512 * 1024 * 1024;

static INSTALLED: AtomicBool = AtomicBool::new(false);
static ARMED: AtomicBool = AtomicBool::new(false);
static LARGEST: AtomicUsize = AtomicUsize::new(0);
static CURRENT_TARGET: AtomicUsize = AtomicUsize::new(usize::MAX);
static CURRENT_SEED: AtomicU64 = AtomicU64::new(0);
static CURRENT_ITERATION: AtomicU64 = AtomicU64::new(0);

/// The global allocator wrapper; see the module documentation.
pub struct GuardedAllocator;

impl GuardedAllocator {
    /// Records a request; false when it must be refused.
    #[inline]
    fn admit(&self, size: usize) -> bool {
        INSTALLED.store(true, Ordering::Relaxed);
        if !ARMED.load(Ordering::Relaxed) {
            return true;
        }
        LARGEST.fetch_max(size, Ordering::Relaxed);
        if size > HARD_LIMIT_BYTES {
            report_refusal(size);
            return false;
        }
        true
    }
}

/// Prints the refused request and the execution that made it, without allocating: the
/// process aborts right after, when the caller reports the failed allocation.
fn report_refusal(size: usize) {
    ARMED.store(false, Ordering::Relaxed);
    let target = crate::targets::TARGETS
        .get(CURRENT_TARGET.load(Ordering::Relaxed))
        .map_or("?", |target| target.name);
    let mut stderr = std::io::stderr().lock();
    // Nothing to do if stderr is gone; the abort that follows still says what happened.
    let _ = writeln!(
        stderr,
        "strata-fuzz: FINDING in target {target}: an allocation of {size} bytes (over the \
         {HARD_LIMIT_BYTES}-byte limit) at seed {} iteration {}; replay it with \
         `cargo xtask fuzz --target {target} --seed {} --replay {}`",
        CURRENT_SEED.load(Ordering::Relaxed),
        CURRENT_ITERATION.load(Ordering::Relaxed),
        CURRENT_SEED.load(Ordering::Relaxed),
        CURRENT_ITERATION.load(Ordering::Relaxed),
    );
}

unsafe impl GlobalAlloc for GuardedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !self.admit(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwards the caller's layout, which meets `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !self.admit(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was returned by this allocator (that is, by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.admit(new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: `ptr` and `layout` come from this allocator; `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Whether the guard is the global allocator (it has seen an allocation).
pub fn installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Starts watching one execution: names it for a refusal message and resets the maximum.
pub fn arm(target_index: usize, seed: u64, iteration: u64) {
    CURRENT_TARGET.store(target_index, Ordering::Relaxed);
    CURRENT_SEED.store(seed, Ordering::Relaxed);
    CURRENT_ITERATION.store(iteration, Ordering::Relaxed);
    LARGEST.store(0, Ordering::Relaxed);
    ARMED.store(true, Ordering::Relaxed);
}

/// Stops watching and returns the largest single allocation since [`arm`].
pub fn disarm() -> usize {
    ARMED.store(false, Ordering::Relaxed);
    LARGEST.load(Ordering::Relaxed)
}
