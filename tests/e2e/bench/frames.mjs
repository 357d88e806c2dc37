// Playground benchmarks in headless Chromium (not a *.test.mjs, so the test run skips it):
//   - the wasm bundle's size, raw and gzip -9 (read from dist/);
//   - wall time from navigation to the first interactive frame on localhost;
//   - frame time p50/p95 while simulating 10,000 ops per simulated second at 100×, and the
//     simulated seconds per wall second reached meanwhile.
// Usage (after `cargo xtask dist` and `cargo xtask serve --skip-build --port 8095`):
//   cd tests/e2e && STRATA_BASE_URL=http://127.0.0.1:8095/ node bench/frames.mjs [seconds]
// In presenter mode with a chapter instead (its own scenario, at 1920×1080, played at 10× from
// its first beat, the beat's figure on show):
//   STRATA_BENCH_CHAPTER=compaction-debt node bench/frames.mjs 3
// (STRATA_BENCH_PRESENT=0 measures the same chapter out of presenter mode, for comparison;
// STRATA_BENCH_SPEED=2 then plays it at 10^2 = 100×; without a chapter it sets the speed of the
// 10k scenario (default 2, 100×; 4 is the fastest, 10,000×). STRATA_BENCH_QUERY=?noworker opens the page
// with its worker blocked, so a side-by-side variant runs on the main thread.)
// With a side-by-side variant beside the 10k scenario (a share link's `vs`: the scenario with
// these top-level keys replaced), run in the page's worker or, with ?noworker, on the page:
//   STRATA_BENCH_VS='{"store":{"preset":"s3_express"}}' node bench/frames.mjs 8
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { scratchDir } from '../scratch.mjs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const BASE_URL = process.env.STRATA_BASE_URL ?? 'http://127.0.0.1:8080/';
const SECONDS = Number(process.argv[2] ?? 10);
const CHAPTER = process.env.STRATA_BENCH_CHAPTER;
const PRESENT = process.env.STRATA_BENCH_PRESENT !== '0';
const QUERY = process.env.STRATA_BENCH_QUERY ?? '';
const SPEED = process.env.STRATA_BENCH_SPEED;
const root = process.env.STRATA_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const wasm = readFileSync(join(root, 'dist', 'strata_web_bg.wasm'));
const js = readFileSync(join(root, 'dist', 'strata_web.js'));

function base64url(text) {
  return Buffer.from(text).toString('base64url');
}

// 10,000 client operations per simulated second (70% writes, 30% reads), no recommender.
const scenario = {
  version: 1,
  name: 'bench-10k',
  seed: 1,
  duration_ms: 3_600_000,
  workload: { rate_ops_per_sec: 10000, mix: { read: 0.3, write: 0.7 }, key_count: 100000 },
  store: { preset: 's3_standard' },
};

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const context = await chromium.launchPersistentContext(scratchDir('strata-bench-'), {
  executablePath: process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  viewport: CHAPTER ? { width: 1920, height: 1080 } : { width: 1400, height: 1000 },
});
const page = context.pages()[0] ?? await context.newPage();
// Record when the play button first exists and the frame after it is painted.
await page.addInitScript(() => {
  window.__firstFrame = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (document.querySelector('#play')) {
        observer.disconnect();
        requestAnimationFrame(() => resolve(performance.now()));
      }
    });
    document.addEventListener('DOMContentLoaded', () => observer.observe(document.body, { childList: true, subtree: true }));
  });
});
const tab = CHAPTER ? `chapter ${CHAPTER}${PRESENT ? ', presenter mode' : ''}` : (process.env.STRATA_BENCH_TAB ?? 'storage');
let firstFrameMs;
if (CHAPTER) {
  await page.goto(new URL(`${QUERY}#chapter=${CHAPTER}${PRESENT ? '&present' : ''}`, BASE_URL).toString());
  firstFrameMs = await page.evaluate(() => window.__firstFrame);
  await page.locator('#chapter-title').waitFor({ timeout: 30000 });
  // The controls are hidden in presenter mode: the keys a presenter uses.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /^beat 1 /.test(document.querySelector('#beat-counter')?.textContent ?? ''),
    null, { timeout: 60000 });
  if (SPEED !== undefined && !PRESENT) await page.locator('#speed').fill(SPEED);
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press(' ');
  await page.waitForTimeout(300); // warm up
} else {
  const vs = process.env.STRATA_BENCH_VS
    ? `&vs=v1.${base64url(JSON.stringify({ ...scenario, ...JSON.parse(process.env.STRATA_BENCH_VS) }))}`
    : '';
  await page.goto(new URL(`${QUERY}#s=v1.${base64url(JSON.stringify(scenario))}${vs}`, BASE_URL).toString());
  firstFrameMs = await page.evaluate(() => window.__firstFrame);
  await page.locator(`#tab-${tab}`).click();
  await page.locator('#speed').fill(SPEED ?? '2'); // 100× unless STRATA_BENCH_SPEED says (4: 10,000×)
  await page.click('#play');
  await page.waitForTimeout(1000); // warm up
}
// Frame intervals from requestAnimationFrame timestamps for `seconds`, and the simulated
// seconds gained meanwhile.
async function sampleFrames(seconds) {
  return page.evaluate(async (seconds) => {
    const simSeconds = () => Number.parseFloat(document.querySelector('#sim-time').textContent);
    const deltas = [];
    const startSim = simSeconds();
    const start = performance.now();
    let last = start;
    await new Promise((resolve) => {
      function frame(now) {
        deltas.push(now - last);
        last = now;
        if (now - start < seconds * 1000) requestAnimationFrame(frame); else resolve();
      }
      requestAnimationFrame(frame);
    });
    const wallSeconds = (performance.now() - start) / 1000;
    return { deltas, simPerWall: (simSeconds() - startSim) / wallSeconds, frames: deltas.length };
  }, seconds);
}
const result = await sampleFrames(SECONDS);
const isolated = await page.evaluate(() => window.crossOriginIsolated);
const worker = await page.evaluate(() => document.body.dataset.worker);
const variantSeconds = await page.evaluate(() => Number(document.querySelector('#compare')?.dataset.variantNs ?? 0) / 1e9);
if (CHAPTER) await page.keyboard.press(' '); else await page.click('#play');
const events = await page.locator('#event-count').textContent();
const frameWork = await page.locator('#frame-work').textContent();
// The same page paused: the display's own frame intervals, as measured the same way.
await page.waitForTimeout(500);
const idle = await sampleFrames(Math.min(SECONDS, 5));
const idleSorted = idle.deltas.slice(1).sort((a, b) => a - b);
await context.close();
const sorted = result.deltas.slice(1).sort((a, b) => a - b);
const figures = {
  wasm_bytes_raw: wasm.length,
  wasm_bytes_gzip: gzipSync(wasm, { level: 9 }).length,
  js_glue_bytes_gzip: gzipSync(js, { level: 9 }).length,
  first_interactive_frame_ms: Math.round(firstFrameMs),
  tab,
  frames: result.frames,
  // Timestamps are 5 µs apart when the page is cross-origin isolated, 100 µs otherwise.
  cross_origin_isolated: isolated,
  worker,
  variant_simulated_seconds: variantSeconds || undefined,
  frame_ms_p50: Number(quantile(sorted, 0.5).toFixed(2)),
  frame_ms_p95: Number(quantile(sorted, 0.95).toFixed(2)),
  simulated_seconds_per_wall_second: Number(result.simPerWall.toFixed(2)),
  simulated_ops_per_wall_second: CHAPTER ? undefined : Math.round(result.simPerWall * scenario.workload.rate_ops_per_sec),
  events_processed: Number(events),
  frame_split: frameWork,
  frames_over_17ms: sorted.filter((d) => d > 17.5).length,
  // A dropped frame shows as an interval of about two display periods.
  frames_dropped: sorted.filter((d) => d > 25).length,
  paused_frame_ms_p50: Number(quantile(idleSorted, 0.5).toFixed(2)),
  paused_frame_ms_p95: Number(quantile(idleSorted, 0.95).toFixed(2)),
  frame_ms_max: Number(sorted[sorted.length - 1].toFixed(1)),
};
console.log(JSON.stringify(figures, null, 2));
