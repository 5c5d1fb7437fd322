//! The wasm's allocator: power-of-two size classes, each with a free list, over memory grown on
//! demand. std's dlmalloc is ~5 kB of the wasm; this is a few hundred bytes. Freed blocks are
//! reused by their own class only (no coalescing): the library's buffers grow by doubling, so a
//! stream's buffers settle into a few classes and memory stops growing after the largest event.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const PAGE: usize = 65536;
/// The smallest block: room for the free-list link and then some.
const MIN_CLASS: u32 = 4;

pub struct ClassAllocator(UnsafeCell<State>);

struct State {
    /// Per class (block size `1 << class`), the first free block; each holds the next one.
    free: [*mut u8; 32],
    /// The untouched memory this allocator grew: `next..end`.
    next: usize,
    end: usize,
}

// wasm32-unknown-unknown without threads: one thread ever touches the state.
unsafe impl Sync for ClassAllocator {}

impl ClassAllocator {
    pub const fn new() -> Self {
        ClassAllocator(UnsafeCell::new(State { free: [null_mut(); 32], next: 0, end: 0 }))
    }
}

impl Default for ClassAllocator {
    fn default() -> Self {
        Self::new()
    }
}

/// The size class of a layout (blocks are at least as large as their alignment).
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS);
    let class = size.checked_next_power_of_two()?.trailing_zeros() as usize;
    (class < 32 && layout.align() <= PAGE).then_some(class)
}

unsafe impl GlobalAlloc for ClassAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else { return null_mut() };
        let s = &mut *self.0.get();
        let head = s.free[class];
        if !head.is_null() {
            s.free[class] = *(head as *mut *mut u8);
            return head;
        }
        // A new block, aligned to its size up to a page, so every alignment up to the size holds.
        let size = 1usize << class;
        let align = size.min(PAGE);
        let mut start = (s.next + align - 1) & !(align - 1);
        if start.checked_add(size).is_none_or(|end| end > s.end) {
            let grow = start.saturating_add(size).saturating_sub(s.end).max(PAGE);
            let previous = wasm32::memory_grow::<0>(grow.div_ceil(PAGE));
            if previous == usize::MAX {
                return null_mut();
            }
            if s.end != previous * PAGE {
                // The first growth (or memory someone else grew): start at the new region.
                start = previous * PAGE;
            }
            s.end = (previous + grow.div_ceil(PAGE)) * PAGE;
            if start + size > s.end {
                return null_mut();
            }
        }
        s.next = start + size;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(class) = class_of(layout) {
            let s = &mut *self.0.get();
            *(ptr as *mut *mut u8) = s.free[class];
            s.free[class] = ptr;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        if class_of(layout) == class_of(new_layout) {
            return ptr; // still fits its block
        }
        let new = self.alloc(new_layout);
        if !new.is_null() {
            core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        new
    }
}
