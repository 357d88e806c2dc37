// The playground's worker: loads the same wasm and glue as the page and hands over to Rust
// (web/src/worker/entry.rs), which answers the page's requests. A failure to load shows up as
// the worker's error event on the page, which then answers on the main thread instead.
//
// It also keeps the run's keyframes: copies of the whole wasm linear memory, taken between two
// calls into Rust (web/src/worker/mod.rs says why that copy is the whole simulated world, and
// docs/ui.md why a restore is sound). Rust says when one is due (`due`) and asks for one when
// the page goes back (`restore`); both act once Rust's call has returned (a microtask).
import init, { workerMain, workerRestored } from './strata_web.js';

const wasm = await init();
const memory = wasm.memory;

// Pages of 4 KiB. A keyframe lists every page of the memory it copied; a page equal to the
// same page of the keyframe before it is shared with it, not copied again, so each keyframe
// costs the pages that changed (each copied into a buffer of its own, which lives while a
// keyframe uses it). Keyframes take at most BOUND bytes of pages: past it, keyframes are
// dropped one at a time (never the newest), each time the one whose neighbours are closest, so
// that those left stay evenly spread over the run.
const PAGE = 4096;
const BOUND = 512 * 1024 * 1024;

const store = {
  generation: -1,
  frames: [], // { at, slot, pages: [{ view: Uint8Array, words: Int32Array, refs }] }, by moment
  bytes: 0,
  bound: BOUND,
  taken: 0,
  restored: 0,
  takeMs: 0, // wall time spent taking keyframes
  restoreMs: 0, // and copying them back
};

// Whether page `i` of the memory (as 32-bit words) holds what `kept` (a kept page's words) does.
function same(words, i, kept) {
  const at = (i * PAGE) / 4;
  for (let k = 0; k < PAGE / 4; k++) if (words[at + k] !== kept[k]) return false;
  return true;
}

function drop(frame) {
  for (const page of frame.pages) {
    if (--page.refs === 0) store.bytes -= PAGE;
  }
}

function dropAll(generation) {
  store.frames.forEach(drop);
  store.frames = [];
  store.generation = generation;
}

function take(generation, at, every) {
  if (generation !== store.generation) dropAll(generation);
  // After a restore, the run forward takes none until it is past the newest kept: the slots
  // between were kept already, or dropped to stay within the bound.
  const newest = store.frames[store.frames.length - 1];
  if (store.bound === 0 || (newest && Math.floor(at / every) <= newest.slot)) return;
  const slot = Math.floor(at / every);
  const started = performance.now();
  const before = store.frames.filter((f) => f.at < at).pop();
  const mem = new Uint8Array(memory.buffer);
  const words = new Int32Array(memory.buffer);
  const count = mem.length / PAGE;
  const pages = new Array(count);
  for (let i = 0; i < count; i++) {
    const old = before && before.pages[i];
    if (old && same(words, i, old.words)) {
      old.refs++;
      pages[i] = old;
    } else {
      const view = mem.slice(i * PAGE, (i + 1) * PAGE);
      pages[i] = { view, words: new Int32Array(view.buffer), refs: 1 };
      store.bytes += PAGE;
    }
  }
  store.frames.push({ at, slot, pages });
  store.taken++;
  thin();
  store.takeMs += performance.now() - started;
}

function thin() {
  while (store.bytes > store.bound && store.frames.length > 0) {
    const frames = store.frames;
    if (frames.length === 1) {
      dropAll(store.generation);
      break;
    }
    let closest = 0;
    const gap = (i) => frames[i + 1].at - (i > 0 ? frames[i - 1].at : 0);
    for (let i = 1; i < frames.length - 1; i++) if (gap(i) < gap(closest)) closest = i;
    drop(frames[closest]);
    frames.splice(closest, 1);
  }
}

// Going to `to` with the run at `now`: back, from the latest keyframe before `to`; forward,
// from one past `now`, only up to the newest keyframe (not beyond what was simulated, so never
// beyond the scenario's end, which the run refuses).
function restore(generation, to, now, id, page) {
  if (generation !== store.generation) return false;
  const frame = store.frames.filter((f) => f.at < to).pop();
  const newest = store.frames[store.frames.length - 1];
  if (!frame || (to > now && (frame.at <= now || to > newest.at))) return false;
  queueMicrotask(() => {
    const started = performance.now();
    const need = frame.pages.length * PAGE - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536)); // in wasm's pages of 64 KiB
    const mem = new Uint8Array(memory.buffer);
    frame.pages.forEach((p, i) => mem.set(p.view, i * PAGE));
    // The memory grown since is unused in the keyframe's world: zero, as when it was grown.
    mem.fill(0, frame.pages.length * PAGE);
    store.restored++;
    store.restoreMs += performance.now() - started;
    workerRestored(id, to, page);
  });
  return true;
}

globalThis.strataKeyframes = {
  due: (generation, at, every) => queueMicrotask(() => take(generation, at, every)),
  restore,
};

// A lower bound, for the tests of the thinning.
globalThis.strataKeyframesBound = (bytes) => {
  store.bound = bytes;
  thin();
};

// What the store holds, for the tests and the benchmarks (asked through the page).
globalThis.strataKeyframesState = () => ({
  generation: store.generation,
  keyframes: store.frames.map((f) => f.at),
  bytes: store.bytes,
  bound: store.bound,
  memoryBytes: memory.buffer.byteLength,
  taken: store.taken,
  restored: store.restored,
  takeMs: Math.round(store.takeMs),
  restoreMs: Math.round(store.restoreMs),
});

workerMain();
