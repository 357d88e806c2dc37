// The playground's worker: loads the same glue as the page, instantiates the wasm module the
// page compiled and sent (its first message: the wasm is compiled once, not once a thread) and
// hands over to Rust (web/src/worker/entry.rs), which answers the page's requests. A failure to
// load shows up as the worker's error event on the page, which then answers on the main thread
// instead.
//
// It also keeps the run's keyframes: copies of the whole wasm linear memory, taken between two
// calls into Rust (web/src/worker/mod.rs says why that copy is the whole simulated world, and
// docs/ui.md why a restore is sound). Rust says when one is due (`due`), asks for one when
// the page goes back (`restore`) and, on Cancel, for the memory as it was before (`back`); they
// act once Rust's call has returned (a microtask).
import init, { workerMain, workerRestored } from './strata_web.js';

const module = await new Promise((resolve) => {
  self.onmessage = (event) => resolve(event.data);
});
const wasm = await init(module ? { module_or_path: module } : undefined);
const memory = wasm.memory;

// Pages of 4 KiB. A keyframe lists, for every page of the memory it copied, the slot that holds
// that page's bytes. Slots are 4 KiB each in one memory of their own (`kept`, after a table of
// TABLE bytes); a page equal to the same page of the newest keyframe shares its slot (counted in
// `refs`), so each keyframe costs the pages that changed. Keyframes and the memory kept for a
// Cancel (`back`, which shares slots the same way) take at most BOUND bytes of slots between
// them: past it, keyframes are dropped one at a time (never the newest while another is left),
// each time the one whose neighbours are closest, so that those left stay evenly spread over the
// run (`thin`); a dropped keyframe's slots no longer used go back to `free` and are reused.
//
// Finding the pages that changed and copying them are a small WebAssembly module's (PAGES below,
// its text beside it): `changed(from, count)` compares, 64 bytes at a time, each page from
// `from` with the slot the table gives it (the table at the start of `kept` holds the newest
// keyframe's slot of each page) and returns the first that differs (`count` if none); `keep`
// copies a page into a slot and `put` consecutive slots back into as many pages; `zero` says
// whether a page is all zeros: those all share slot ZERO, so memory grown and not yet used costs
// no copy and no fresh slot (at 10,000 ops/s 37 to 60 % of the pages were zero). It uses wasm's
// multi-memory and SIMD; a browser without them goes back by re-simulating, as with a bound of
// 0.
const PAGE = 4096;
const BOUND = 512 * 1024 * 1024;
// A keyframe due (a multiple of 10 simulated seconds) is skipped while the wall time since the
// last one was taken is under SPACING times what that one cost, or GAP_MS if that is less.
// Taking keyframes then costs about a ninth of a first pass at most (more only when one costs
// over GAP_MS / SPACING), where comparing the whole memory and copying what changed took 10 % to
// 44 % of *Run to end* when every one was taken (docs/benchmarks.md, *Where the worker's Run to
// end goes*); and going back re-simulates at most about GAP_MS of wall time, plus one period.
const SPACING = 8;
const GAP_MS = 400;
const TABLE = 4 * 1024 * 1024; // an i32 per page: memory of up to 4 GiB
const ZERO = 0; // the slot of every page of zeros: never written, never freed

/* The module PAGES, in WebAssembly text (tests/e2e/keyframe_pages.test.mjs assembles it with
   binaryen and checks that it gives PAGES):
(module
  (import "k" "memory" (memory $m 0))
  (import "k" "kept" (memory $k 0))
  (func (export "changed") (param $from i32) (param $count i32) (result i32)
    (local $at i32) (local $end i32) (local $kat i32)
    (loop $pages
      (if (i32.lt_u (local.get $from) (local.get $count))
        (then
          (local.set $at (i32.shl (local.get $from) (i32.const 12)))
          (local.set $end (i32.add (local.get $at) (i32.const 4096)))
          (local.set $kat (i32.add (i32.const 0x400000)
            (i32.shl (i32.load $k (i32.shl (local.get $from) (i32.const 2))) (i32.const 12))))
          (loop $words
            (if (v128.any_true
                  (v128.or
                    (v128.or
                      (v128.xor (v128.load $m (local.get $at)) (v128.load $k (local.get $kat)))
                      (v128.xor (v128.load $m offset=16 (local.get $at)) (v128.load $k offset=16 (local.get $kat))))
                    (v128.or
                      (v128.xor (v128.load $m offset=32 (local.get $at)) (v128.load $k offset=32 (local.get $kat)))
                      (v128.xor (v128.load $m offset=48 (local.get $at)) (v128.load $k offset=48 (local.get $kat))))))
              (then (return (local.get $from))))
            (local.set $at (i32.add (local.get $at) (i32.const 64)))
            (local.set $kat (i32.add (local.get $kat) (i32.const 64)))
            (br_if $words (i32.lt_u (local.get $at) (local.get $end))))
          (local.set $from (i32.add (local.get $from) (i32.const 1)))
          (br $pages))))
    (local.get $count))
  (func (export "zero") (param $page i32) (result i32)
    (local $at i32) (local $end i32)
    (local.set $at (i32.shl (local.get $page) (i32.const 12)))
    (local.set $end (i32.add (local.get $at) (i32.const 4096)))
    (loop $words
      (if (v128.any_true
            (v128.or
              (v128.or (v128.load $m (local.get $at)) (v128.load $m offset=16 (local.get $at)))
              (v128.or (v128.load $m offset=32 (local.get $at)) (v128.load $m offset=48 (local.get $at)))))
        (then (return (i32.const 0))))
      (local.set $at (i32.add (local.get $at) (i32.const 64)))
      (br_if $words (i32.lt_u (local.get $at) (local.get $end))))
    (i32.const 1))
  (func (export "keep") (param $page i32) (param $at i32)
    (memory.copy $k $m (local.get $at) (i32.shl (local.get $page) (i32.const 12)) (i32.const 4096)))
  (func (export "put") (param $page i32) (param $at i32) (param $count i32)
    (memory.copy $m $k (i32.shl (local.get $page) (i32.const 12)) (local.get $at)
      (i32.shl (local.get $count) (i32.const 12)))))
*/
const PAGES = 'AGFzbQEAAAABFwRgAn9/AX9gAX8Bf2ACf38AYAN/f38AAhcCAWsGbWVtb3J5AgAAAWsEa2VwdAIAAAMFBAABAgMHHwQHY2hhbmdlZAAABHplcm8AAQRrZWVwAAIDcHV0AAMKlgIEoQEBA38DQCAAIAFJBEAgAEEMdCECIAJBgCBqIQNBgICAAiAAQQJ0KEIBAEEMdGohBANAIAL9AAQAIAT9AEQBAP1RIAL9AAQQIAT9AEQBEP1R/VAgAv0ABCAgBP0ARAEg/VEgAv0ABDAgBP0ARAEw/VH9UP1Q/VMEQCAADwsgAkHAAGohAiAEQcAAaiEEIAIgA0kNAAsgAEEBaiEADAELCyABC00BAn8gAEEMdCEBIAFBgCBqIQIDQCAB/QAEACAB/QAEEP1QIAH9AAQgIAH9AAQw/VD9UP1TBEBBAA8LIAFBwABqIQEgASACSQ0AC0EBCxAAIAEgAEEMdEGAIPwKAQALEgAgAEEMdCABIAJBDHT8CgABCw==';

// The module and its memory, or null where it cannot be made (the worker then keeps no
// keyframes, and runs as without them).
function pagesModule() {
  try {
    const bytes = Uint8Array.from(atob(PAGES), (c) => c.charCodeAt(0));
    if (!WebAssembly.validate(bytes)) return null;
    const kept = new WebAssembly.Memory({ initial: TABLE / 65536 + 1 }); // the table, then ZERO
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { k: { memory, kept } });
    return { kept, ...exports };
  } catch {
    return null;
  }
}

const pages = pagesModule();

const store = {
  generation: -1,
  frames: [], // { at, period, pages: Int32Array (the slot of each page) }, by moment
  refs: new Int32Array(0), // keyframes using each slot
  slots: ZERO + 1, // slots ever handed out (`kept` holds them all), ZERO first
  free: [], // slots no keyframe uses
  bytes: 0, // of slots in use
  bound: pages ? BOUND : 0,
  spacing: SPACING,
  taken: 0,
  skipped: 0, // due, but too soon after the last one for what it cost
  lastEnd: -Infinity, // when the last keyframe was taken (performance.now()), and its cost
  lastCost: 0,
  restored: 0,
  returned: 0, // Cancels that took the run back to before a go-to back
  back: null, // { pages }: the memory before the last go-to back, for its Cancel
  takeMs: 0, // wall time spent taking keyframes
  restoreMs: 0, // and copying them back
};

// A slot holding page `i` of the memory.
function keep(i) {
  if (pages.zero(i)) return ZERO;
  let slot = store.free.pop();
  if (slot === undefined) {
    slot = store.slots++;
    const need = TABLE + store.slots * PAGE - pages.kept.buffer.byteLength;
    if (need > 0) {
      // 16 MiB at a time, touched at once: the system maps its pages in one sweep, which costs
      // less than one at a time in the copies. One byte a page is enough to map it; a `fill` of
      // every byte took about twice as long (docs/benchmarks.md, *The worker's keyframes*).
      const end = pages.kept.grow(Math.max(256, Math.ceil(need / 65536))) * 65536;
      const fresh = new Uint8Array(pages.kept.buffer);
      for (let at = end; at < fresh.length; at += PAGE) fresh[at] = 0;
    }
    if (store.refs.length < store.slots) {
      const refs = new Int32Array(Math.max(1024, store.refs.length * 2));
      refs.set(store.refs);
      store.refs = refs;
    }
  }
  store.refs[slot] = 1;
  store.bytes += PAGE;
  pages.keep(i, TABLE + slot * PAGE);
  return slot;
}

function drop(frame) {
  for (const slot of frame.pages) {
    if (slot !== ZERO && --store.refs[slot] === 0) {
      store.free.push(slot);
      store.bytes -= PAGE;
    }
  }
}

function dropAll(generation) {
  store.frames = [];
  store.back = null;
  store.refs.fill(0);
  store.slots = ZERO + 1;
  store.free = [];
  store.bytes = 0;
  store.generation = generation;
}

// The slot of each page of the memory as it is: a page equal to the same page of the newest
// keyframe shares its slot (the table holds them; the memory only grows, so the newest has at
// most as many pages), any other is copied into a slot of its own.
function copy() {
  const newest = store.frames[store.frames.length - 1];
  const count = memory.buffer.byteLength / PAGE;
  const slots = new Int32Array(count);
  const before = newest ? newest.pages.length : 0;
  if (newest) slots.set(newest.pages);
  for (let from = 0; from < before;) {
    const i = pages.changed(from, before);
    for (let k = from; k < i; k++) if (slots[k] !== ZERO) store.refs[slots[k]]++;
    if (i < before) slots[i] = keep(i);
    from = i + 1;
  }
  for (let i = before; i < count; i++) slots[i] = keep(i);
  return slots;
}

// Copies `slots` back into the memory; the memory past them is unused in their world: zeroed,
// as when it was grown (the worker's allocator hands it out again before it grows the memory:
// web/src/heap.rs).
function put(slots) {
  const size = slots.length * PAGE;
  const need = size - memory.buffer.byteLength;
  if (need > 0) memory.grow(Math.ceil(need / 65536)); // in wasm's pages of 64 KiB
  // Pages whose slots follow each other (a keyframe's first copy, pages changed together) in
  // one copy.
  for (let i = 0, n = 1; i < slots.length; i += n) {
    for (n = 1; i + n < slots.length && slots[i + n] === slots[i] + n;) n++;
    pages.put(i, TABLE + slots[i] * PAGE, n);
  }
  new Uint8Array(memory.buffer).fill(0, size);
}

// The memory as it was when the page went back to a keyframe, until Cancel takes the run back
// to it or another restore or keyframe makes it moot.
function forgetBack() {
  if (store.back) drop(store.back);
  store.back = null;
}

function take(generation, at, every) {
  if (generation !== store.generation) dropAll(generation);
  // After a restore, the run forward takes none until it is past the newest kept: the periods
  // between were kept already, or dropped to stay within the bound.
  const newest = store.frames[store.frames.length - 1];
  if (store.bound === 0 || (newest && Math.floor(at / every) <= newest.period)) return;
  const period = Math.floor(at / every);
  const started = performance.now();
  if (started - store.lastEnd < Math.min(store.spacing * store.lastCost, GAP_MS)) {
    store.skipped++;
    return;
  }
  forgetBack();
  const slots = copy();
  new Int32Array(pages.kept.buffer, 0, slots.length).set(slots);
  store.frames.push({ at, period, pages: slots });
  store.taken++;
  thin();
  store.lastEnd = performance.now();
  store.lastCost = store.lastEnd - started;
  store.takeMs += store.lastCost;
}

// Drops keyframes until what the store keeps (keyframes and the Cancel copy) is within its
// bound: each time, of those other than the newest and `wanted`, the one whose neighbours are
// closest; then `wanted`; then the newest, once it is the only one (the table then describes no
// keyframe, and the next one is a whole copy); then the Cancel copy, so that a Cancel leaves the
// run where the run forward reached, as one without a keyframe to go back to.
function thin(wanted) {
  const { frames } = store;
  while (store.bytes > store.bound) {
    if (frames.length === 0) {
      forgetBack();
      break;
    }
    if (frames.length === 1 && !store.back) {
      dropAll(store.generation); // slots handed out afresh, in order
      break;
    }
    let closest = -1;
    const gap = (i) => frames[i + 1].at - (i > 0 ? frames[i - 1].at : 0);
    for (let i = 0; i < frames.length - 1; i++) {
      if (frames[i] !== wanted && (closest < 0 || gap(i) < gap(closest))) closest = i;
    }
    if (closest < 0) closest = frames.length > 1 ? frames.indexOf(wanted) : 0;
    drop(frames[closest]);
    frames.splice(closest, 1);
  }
}

// Going to `to` with the run at `now`: back, from the latest keyframe before `to`; forward,
// from one past `now`, only up to the newest keyframe (not beyond what was simulated, so never
// beyond the scenario's end, which the run refuses). Going back keeps the memory as it was
// first, for a Cancel (`back`).
// A negative `to` is a Cancel while going back from a keyframe (`back`).
function restore(generation, to, now, id, page) {
  if (to < 0) return back(id, page);
  if (generation !== store.generation) return false;
  const frame = store.frames.filter((f) => f.at < to).pop();
  const newest = store.frames[store.frames.length - 1];
  if (!frame || (to > now && (frame.at <= now || to > newest.at))) return false;
  queueMicrotask(() => {
    const started = performance.now();
    forgetBack();
    if (to <= now) store.back = { pages: copy() };
    put(frame.pages);
    // The Cancel copy counts in the bound: room for it comes from the other keyframes.
    thin(frame);
    store.restored++;
    store.restoreMs += performance.now() - started;
    workerRestored(id, to, to <= now, page);
  });
  return true;
}

// Cancel while going back from a keyframe: the memory as it was before, then `workerRestored`
// with a negative moment.
// False when there is none to go back to (Rust asks only while such a run forward goes on).
function back(id, page) {
  const kept = store.back;
  if (!kept) return false;
  store.back = null;
  queueMicrotask(() => {
    const started = performance.now();
    put(kept.pages);
    drop(kept);
    store.returned++;
    store.restoreMs += performance.now() - started;
    workerRestored(id, -1, false, page);
  });
  return true;
}

globalThis.strataKeyframes = {
  due: (generation, at, every) => queueMicrotask(() => take(generation, at, every)),
  restore,
};

// A lower bound, for the tests of the thinning.
globalThis.strataKeyframesBound = (bytes) => {
  store.bound = pages ? bytes : 0;
  thin();
};

// Every keyframe due taken (0), or the spacing again (8), for the tests.
globalThis.strataKeyframesSpacing = (spacing) => {
  store.spacing = spacing;
};

// What the store holds, for the tests and the benchmarks (asked through the page).
globalThis.strataKeyframesState = () => ({
  generation: store.generation,
  keyframes: store.frames.map((f) => f.at),
  bytes: store.bytes,
  bound: store.bound,
  memoryBytes: memory.buffer.byteLength,
  keptBytes: pages ? pages.kept.buffer.byteLength : 0, // the slots ever handed out, and the table
  taken: store.taken,
  skipped: store.skipped,
  restored: store.restored,
  returned: store.returned,
  cancelHeld: store.back !== null, // the memory before a go-to back, kept for its Cancel
  takeMs: Math.round(store.takeMs),
  restoreMs: Math.round(store.restoreMs),
});

workerMain();
