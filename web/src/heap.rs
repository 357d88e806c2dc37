//! The wasm build's global allocator: dlmalloc, as Rust's standard library uses on wasm32, over
//! a system allocator that knows about keyframes.
//!
//! The worker's keyframes (`web/static/worker.js`, [`crate::worker::keyframe`]) are copies of
//! the whole linear memory, and the allocator's state is in that memory, so a restore takes it
//! back too. Memory only grows: after a restore to a keyframe taken when the memory was smaller,
//! the bytes past the keyframe's end are zeroed by `worker.js`, and the restored allocator does
//! not own them. The standard library's allocator would grow the memory past them, so that each
//! restore and run forward left the memory larger. This one remembers the end of the memory it
//! was last handed ([`Grown::handed`], in memory, so it is the keyframe's after a restore) and
//! hands out the bytes from there to the memory's end, zeroed, before it grows the memory: going
//! back and forth keeps the memory at the largest a run forward needs (docs/ui.md, *Keyframes*).
//!
//! [`region`] is the arithmetic, tested natively; the allocator itself is only compiled for
//! wasm32 (native builds keep the system's).

/// The wasm page: the unit the memory grows by.
pub const WASM_PAGE: u64 = 64 * 1024;

/// The region a system allocation of `size` bytes hands out, with the memory `end` bytes long
/// and the allocator last handed the bytes up to `handed` (0: nothing yet): it starts at
/// `handed` (the memory from there is unused and zero) or, before any, at the memory's end,
/// and ends at the memory's end once grown by the pages returned, if `size` needs more.
/// Returns the start and the pages to grow by.
pub fn region(handed: u64, end: u64, size: u64) -> (u64, u64) {
    let start = if handed == 0 || handed > end {
        end
    } else {
        handed
    };
    let short = size.saturating_sub(end - start);
    (start, short.div_ceil(WASM_PAGE))
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    // `GlobalAlloc` and dlmalloc's `Allocator` are unsafe traits: implementing them is the one
    // use of unsafe code in this crate. Each method forwards to dlmalloc with the caller's own
    // arguments, as the standard library's wasm32 allocator does.
    #![allow(unsafe_code)]

    use super::{region, WASM_PAGE};
    use core::arch::wasm32::{memory_grow, memory_size};
    use std::alloc::{GlobalAlloc, Layout};
    use std::cell::{Cell, UnsafeCell};

    /// dlmalloc's system allocator: the memory grown, after what a restore left unused.
    pub struct Grown {
        /// The end of the memory last handed to dlmalloc (0: nothing yet).
        handed: Cell<u64>,
    }

    fn memory_end() -> u64 {
        memory_size(0) as u64 * WASM_PAGE
    }

    // SAFETY: dlmalloc asks for regions of memory it alone then uses; each is memory that no
    // one else uses (past what was handed out before, up to the memory's end), zero (grown, or
    // zeroed by `worker.js` after a restore), and never given back.
    unsafe impl dlmalloc::Allocator for Grown {
        fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
            let (start, grow) = region(self.handed.get(), memory_end(), size as u64);
            if grow > 0 && memory_grow(0, grow as usize) == usize::MAX {
                return (core::ptr::null_mut(), 0, 0);
            }
            let end = memory_end();
            self.handed.set(end);
            // A pointer may not reach the end of a full 4 GiB memory (it would wrap to 0): the
            // last bytes are left out, as the standard library does.
            let len = if end == 1 << 32 {
                end - start - 16
            } else {
                end - start
            };
            (start as usize as *mut u8, len as usize, 0)
        }

        fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
            core::ptr::null_mut()
        }

        fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
            false
        }

        fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
            false
        }

        fn can_release_part(&self, _flags: u32) -> bool {
            false
        }

        fn allocates_zeros(&self) -> bool {
            true
        }

        fn page_size(&self) -> usize {
            WASM_PAGE as usize
        }
    }

    /// The global allocator of the wasm build.
    pub struct Heap(UnsafeCell<dlmalloc::Dlmalloc<Grown>>);

    // SAFETY: wasm32 without the atomics feature has one thread per instance.
    unsafe impl Sync for Heap {}

    #[global_allocator]
    static HEAP: Heap = Heap(UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(
        Grown {
            handed: Cell::new(0),
        },
    )));

    // SAFETY: one thread (above), and no allocation runs inside another: each call has the
    // allocator to itself.
    unsafe impl GlobalAlloc for Heap {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn the_first_region_is_grown_at_the_memory_end() {
        assert_eq!(region(0, 17 * WASM_PAGE, 100), (17 * WASM_PAGE, 1));
        assert_eq!(
            region(0, 17 * WASM_PAGE, 3 * WASM_PAGE + 1),
            (17 * WASM_PAGE, 4)
        );
    }

    #[test]
    fn what_a_restore_left_unused_is_handed_out_before_the_memory_grows() {
        // A keyframe of 40 MiB restored in a memory of 180 MiB: 140 MiB without growing.
        assert_eq!(region(40 * MIB, 180 * MIB, 2 * MIB), (40 * MIB, 0));
        assert_eq!(region(40 * MIB, 180 * MIB, 140 * MIB), (40 * MIB, 0));
        // Needing more grows by the rest only: the region stays one piece.
        assert_eq!(region(40 * MIB, 180 * MIB, 140 * MIB + 1), (40 * MIB, 1));
        // Nothing left unused: as the standard library's, grown at the end.
        assert_eq!(region(180 * MIB, 180 * MIB, 1), (180 * MIB, 1));
    }
}
