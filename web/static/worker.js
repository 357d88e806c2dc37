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

// Pages of 64 KiB (wasm's own page). A keyframe lists every page of the memory it copied; a
// page equal to the same page of the keyframe before it is shared with it, not copied again,
// so each keyframe costs the pages that changed. Keyframes take at most BOUND bytes of pages:
// past it every other keyframe is dropped (the newest kept), until they fit.
const PAGE = 65536;
const BOUND = 256 * 1024 * 1024;

const store = {
  generation: -1,
  frames: [], // { at, slot, pages: [{ bytes: Uint8Array, refs }] }, by moment
  bytes: 0,
  bound: BOUND,
  taken: 0,
  restored: 0,
};

function same(a, b) {
  const x = new Int32Array(a.buffer, a.byteOffset, PAGE / 4);
  const y = new Int32Array(b.buffer, b.byteOffset, PAGE / 4);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function drop(frame) {
  for (const page of frame.pages) if (--page.refs === 0) store.bytes -= PAGE;
}

function dropAll(generation) {
  store.frames.forEach(drop);
  store.frames = [];
  store.generation = generation;
}

function take(generation, at, every) {
  if (generation !== store.generation) dropAll(generation);
  const slot = Math.floor(at / every);
  if (store.frames.some((f) => f.slot === slot)) return; // already kept (a run forward after a restore)
  const before = store.frames.filter((f) => f.at < at).pop();
  const mem = new Uint8Array(memory.buffer);
  const pages = [];
  for (let i = 0; i * PAGE < mem.length; i++) {
    const bytes = mem.subarray(i * PAGE, (i + 1) * PAGE);
    const old = before && before.pages[i];
    if (old && same(old.bytes, bytes)) {
      old.refs++;
      pages.push(old);
    } else {
      pages.push({ bytes: bytes.slice(), refs: 1 });
      store.bytes += PAGE;
    }
  }
  store.frames.push({ at, slot, pages });
  store.frames.sort((a, b) => a.at - b.at);
  store.taken++;
  while (store.bytes > store.bound && store.frames.length > 0) {
    if (store.frames.length === 1) {
      dropAll(generation);
      break;
    }
    const newest = store.frames.length - 1;
    store.frames = store.frames.filter((f, i) => {
      const keep = (newest - i) % 2 === 0;
      if (!keep) drop(f);
      return keep;
    });
  }
}

function restore(generation, to, id, page) {
  if (generation !== store.generation) return false;
  const frame = store.frames.filter((f) => f.at < to).pop();
  if (!frame) return false;
  queueMicrotask(() => {
    const need = frame.pages.length * PAGE - memory.buffer.byteLength;
    if (need > 0) memory.grow(need / PAGE);
    const mem = new Uint8Array(memory.buffer);
    frame.pages.forEach((p, i) => mem.set(p.bytes, i * PAGE));
    store.restored++;
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
});

workerMain();
