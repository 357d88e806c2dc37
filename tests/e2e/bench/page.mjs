// The page's speed beside the native CLI's, in one run (not a *.test.mjs, so the test run skips it).
//
// For 1,000, 10,000 and 100,000 client operations per simulated second (one scenario each, about
// 600,000 operations):
//   - natively: `strata run` to the end, wall time, simulated seconds per wall second;
//   - in the page: *Run to end* (click to the final trace hash, which must equal the CLI's), then
//     Play at 100× and at the fastest setting (10,000×): simulated seconds per wall second and
//     frame intervals (p50/p95);
//   - each page figure beside its ratio to native on the same scenario.
// Then the responsiveness case: during *Run to end* at 10,000 ops/s, the wall time from a click
// (a tab, then Cancel) to its visible effect, from the click event's time stamp (when the
// browser received the input, so time spent waiting for a busy page counts) to the next frame
// after the change is in the DOM.
//
// Then the go-to case: in the default 10-minute run (the page as it opens), *go to* 9:50, then
// back to several moments: wall seconds from committing the moment to the page showing it, with
// the worker's keyframes and with them turned off (a bound of 0 bytes: a re-simulation from the
// start), and what the keyframes take; before it, the first *go to* 9:50 in a fresh page with
// keyframes off (what taking them costs the first pass), and after it the memory once the
// go-tos back and forward again are done.
//
// One command, after `cargo xtask dist` and `cargo build --release -p strata-lab --bin strata`:
//   cd tests/e2e && node bench/page.mjs
// It serves dist/ itself on port 18095 (`cargo xtask serve --skip-build`) unless STRATA_BASE_URL
// names a server; STRATA_CLI names the CLI (default target/release/strata), STRATA_BENCH_RATES a
// subset of the rates (`10000,100000`; empty for the responsiveness case alone), STRATA_BENCH_SECONDS the seconds each Play case is
// sampled (default 6), STRATA_BENCH_ONLY=goto the go-to case alone, STRATA_BENCH_ONLY=toend *Run to end* beside
// `strata run` alone (with what the worker's keyframes took of it). STRATA_BENCH_PROFILE=1 adds Chromium's timeline for the Play cases
// (scripting, style, layout, paint, garbage collection: where the page's main thread goes).
import { chromium } from 'playwright-core';
import { writeFileSync, existsSync } from 'node:fs';
import { scratchDir } from '../scratch.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_FLAGS, armRunToEndTimer, runToEndSeconds, scenario } from './shared.mjs';

const root = process.env.STRATA_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = process.env.STRATA_CLI ?? join(root, 'target', 'release', 'strata');
const RATES = (process.env.STRATA_BENCH_RATES ?? '1000,10000,100000').split(',').filter((r) => r !== '').map(Number);
const SECONDS = Number(process.env.STRATA_BENCH_SECONDS ?? 6);
const PROFILE = process.env.STRATA_BENCH_PROFILE === '1';
const ONLY = process.env.STRATA_BENCH_ONLY;
/** The speed slider's positions (powers of ten). */
const SPEEDS = [{ name: '100x', log10: 2 }, { name: 'fastest', log10: 4 }];

function link(doc) {
  return `#s=v1.${Buffer.from(JSON.stringify(doc)).toString('base64url')}`;
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function round(x, digits = 2) {
  return Number(x.toFixed(digits));
}

/** `strata run` to the end: wall seconds and the summary's final trace hash. */
function native(doc) {
  const file = join(scratchDir('strata-bench-'), 'scenario.json');
  writeFileSync(file, JSON.stringify(doc));
  const start = process.hrtime.bigint();
  const run = spawnSync(CLI, ['run', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) throw new Error(`strata run failed: ${run.stderr}`);
  const summary = JSON.parse(run.stdout);
  return { wallSeconds, traceHash: summary.trace_hash, simPerWall: doc.duration_ms / 1000 / wallSeconds };
}

async function serve() {
  if (process.env.STRATA_BASE_URL) return { url: process.env.STRATA_BASE_URL, stop() {} };
  const port = 18095;
  // In a process group of its own, so that stopping it stops the xtask under cargo too.
  const server = spawn('cargo', ['xtask', 'serve', '--skip-build', '--port', String(port)],
    { cwd: root, stdio: 'ignore', detached: true });
  const stop = () => process.kill(-server.pid);
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return { url, stop };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error(`the server on ${url} did not come up`);
}

async function open(baseUrl, doc) {
  const context = await chromium.launchPersistentContext(scratchDir('strata-bench-'), {
    executablePath: process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(new URL(link(doc), baseUrl).toString());
  await page.locator('#play').waitFor({ timeout: 60000 });
  await page.waitForFunction(() => !document.querySelector('#progress'), null, { timeout: 60000 });
  return { page, context };
}

/** Frame intervals (requestAnimationFrame time stamps) over `seconds`, and simulated seconds gained. */
async function sampleFrames(page, seconds) {
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
    return { deltas: deltas.slice(1), simPerWall: (simSeconds() - startSim) / wallSeconds };
  }, seconds);
}

function frameFigures(deltas) {
  const sorted = [...deltas].sort((a, b) => a - b);
  return { frame_ms_p50: round(quantile(sorted, 0.5)), frame_ms_p95: round(quantile(sorted, 0.95)), frames: sorted.length };
}

/** Chromium's timeline while `body` runs: wall time of the main thread's work by kind, in ms. */
async function timeline(page, body) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
  const result = await body();
  await cdp.send('Tracing.end');
  await done;
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const kinds = {
    FireAnimationFrame: 'animation frames (simulating, then Yew when a redraw is due)',
    RunMicrotasks: 'microtasks',
    EventDispatch: 'input events',
    TimerFire: 'timers',
    UpdateLayoutTree: 'style',
    Layout: 'layout',
    PrePaint: 'pre-paint',
    Paint: 'paint',
    Layerize: 'layerize',
    MinorGC: 'minor GC', MajorGC: 'major GC',
    'V8.GC_SCAVENGER': 'minor GC', 'V8.GC_MARK_COMPACTOR': 'major GC',
  };
  const totals = {};
  for (const e of events) {
    if (main && (e.pid !== main.pid || e.tid !== main.tid)) continue;
    const kind = kinds[e.name];
    if (!kind || e.ph !== 'X' || !e.dur) continue;
    totals[kind] = (totals[kind] ?? 0) + e.dur / 1000;
  }
  const rounded = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, round(v, 0)]));
  return { result, timeline_ms: rounded };
}

/** Opens the scenario and runs it to the end: wall seconds from the click to the final hash. */
async function pageRunToEnd(baseUrl, doc) {
  const { page, context } = await open(baseUrl, doc);
  try {
    await armRunToEndTimer(page);
    await page.click('#run-to-end');
    const wallSeconds = await runToEndSeconds(page);
    const traceHash = await page.locator('#final-hash').textContent();
    // What the worker's keyframes took of it (none without the worker).
    const [worker] = page.workers();
    const store = worker ? await worker.evaluate(() => globalThis.strataKeyframesState?.()) : undefined;
    return { wallSeconds, traceHash, simPerWall: doc.duration_ms / 1000 / wallSeconds,
      keyframesTaken: store?.taken, keyframesMs: store?.takeMs };
  } finally {
    await context.close();
  }
}

/** Plays the scenario at the speed slider's `log10` for SECONDS: simulated seconds per wall second and frames. */
async function pagePlay(baseUrl, doc, log10) {
  const { page, context } = await open(baseUrl, doc);
  try {
    await page.locator('#speed').fill(String(log10));
    await page.click('#play');
    await page.waitForTimeout(1000); // warm up
    const sample = () => sampleFrames(page, SECONDS);
    const { result, timeline_ms: timelineMs } = PROFILE ? await timeline(page, sample) : { result: await sample() };
    const split = await page.locator('#frame-work').textContent();
    await page.click('#play');
    return { ...frameFigures(result.deltas), simPerWall: result.simPerWall, split, timelineMs };
  } finally {
    await context.close();
  }
}

/** During *Run to end*: milliseconds from each click to its visible effect. */
async function responsiveness(baseUrl, doc) {
  const { page, context } = await open(baseUrl, doc);
  try {
    // Resolves with the time from a click on `selector` to the first frame after `effect` holds.
    await page.evaluate(() => {
      window.__latency = (selector, effect) => new Promise((resolve) => {
        let clickAt;
        document.addEventListener('click', (e) => {
          if (e.target.closest(selector)) clickAt = e.timeStamp;
        }, { capture: true, once: true });
        const holds = () => clickAt !== undefined && new Function(`return (${effect})`)();
        const observer = new MutationObserver(() => {
          if (!holds()) return;
          observer.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - clickAt));
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      });
    });
    async function clickAndWait(selector, effect) {
      const latency = page.evaluate(([s, e]) => window.__latency(s, e), [selector, effect]);
      const box = await page.locator(selector).boundingBox();
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      return latency;
    }
    await page.click('#run-to-end');
    await page.waitForFunction(() => Number(document.querySelector('#progress')?.getAttribute('aria-valuenow')) >= 1,
      null, { timeout: 60000 });
    const frames = sampleFrames(page, 3);
    const tabs = [];
    for (let i = 0; i < 6; i++) {
      const [tab, shown] = i % 2 === 0 ? ['#tab-scenario', '#share-link'] : ['#tab-storage', '#rate'];
      tabs.push(await clickAndWait(tab,
        `document.querySelector('${tab}').getAttribute('aria-selected') === 'true' && !!document.querySelector('${shown}')`));
      await page.waitForTimeout(250);
    }
    const during = await frames;
    const stillRunning = await page.locator('#progress').count() === 1;
    const cancel = await clickAndWait('#cancel-rebuild', `!document.querySelector('#progress')`);
    const sorted = [...tabs].sort((a, b) => a - b);
    return {
      tab_click_to_visible_ms_p50: round(quantile(sorted, 0.5), 1),
      tab_click_to_visible_ms_max: round(sorted[sorted.length - 1], 1),
      cancel_click_to_visible_ms: round(cancel, 1),
      run_to_end_went_on_meanwhile: stillRunning,
      ...frameFigures(during.deltas),
    };
  } finally {
    await context.close();
  }
}

/** *Go to* `ms` and wait until the page shows it, settled: wall seconds. */
async function goToSeconds(page, ms) {
  const start = process.hrtime.bigint();
  await page.fill('#goto-ms', String(ms));
  await page.locator('#goto-ms').press('Tab');
  const shown = `${(ms / 1000).toFixed(3)} s`;
  await page.waitForFunction((shown) => !document.querySelector('#progress')
    && !document.querySelector('.time-bar')?.dataset.awaiting
    && document.querySelector('#sim-time').textContent === shown, shown, { timeout: 600000, polling: 5 });
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The default run as the page opens, in a fresh browser: `use(page, worker)`'s result. */
async function withDefaultRun(baseUrl, use) {
  const context = await chromium.launchPersistentContext(scratchDir('strata-bench-'), {
    executablePath: process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto(baseUrl);
    await page.locator('#play').waitFor({ timeout: 60000 });
    await page.waitForFunction(() => document.body.dataset.worker === 'on');
    return await use(page, page.workers()[0]);
  } finally {
    await context.close();
  }
}

/** The first *go to* 590 s of the default run with keyframes turned off (a bound of 0 bytes). */
async function firstPassWithoutKeyframes(baseUrl) {
  return withDefaultRun(baseUrl, async (page, worker) => {
    await worker.evaluate(() => globalThis.strataKeyframesBound(0));
    return round(await goToSeconds(page, 590000));
  });
}

/** The default run: going back, with keyframes and with them turned off. */
async function goToBack(baseUrl) {
  const noKeyframes = await firstPassWithoutKeyframes(baseUrl);
  return withDefaultRun(baseUrl, async (page, worker) => {
    const forward = await goToSeconds(page, 590000);
    const store = await worker.evaluate(() => globalThis.strataKeyframesState());
    const targets = [305000, 95000, 15000, 585000, 455000, 200000];
    const row = { forward_to_590s_wall_s: round(forward), forward_to_590s_no_keyframes_fresh_page_wall_s: noKeyframes,
      keyframes: store.keyframes.length, keyframe_mib: round(store.bytes / 2 ** 20, 1),
      memory_mib: round(store.memoryBytes / 2 ** 20, 1) };
    for (const back of [true, false]) {
      if (!back) await worker.evaluate(() => globalThis.strataKeyframesBound(0));
      for (const ms of targets) {
        const forward = await goToSeconds(page, 590000);
        if (!back && ms === 15000) row.forward_95_to_590s_no_keyframes_wall_s = round(forward); // from the target before
        row[`back_to_${ms / 1000}s_${back ? 'keyframes' : 'from_start'}_wall_s`] = round(await goToSeconds(page, ms), 3);
      }
      if (back) {
        const cycled = await worker.evaluate(() => globalThis.strataKeyframesState());
        row.memory_mib_after_keyframe_cycles = round(cycled.memoryBytes / 2 ** 20, 1);
      }
    }
    const after = await worker.evaluate(() => globalThis.strataKeyframesState());
    Object.assign(row, { restored: after.restored, take_ms_total: store.takeMs, taken: store.taken,
      restore_ms_total: after.restoreMs });
    return row;
  });
}

if (ONLY === 'goto') {
  const server = await serve();
  try {
    console.log(JSON.stringify({ go_to_back_default_run: await goToBack(server.url) }, null, 2));
  } finally {
    server.stop();
  }
  process.exit(0);
}

if (!existsSync(CLI)) throw new Error(`no CLI at ${CLI}: cargo build --release -p strata-lab --bin strata`);
const server = await serve();
try {
  const rows = [];
  for (const rate of RATES) {
    const doc = scenario(rate);
    const cli = native(doc);
    const toEnd = await pageRunToEnd(server.url, doc);
    const row = {
      ops_per_sim_second: rate,
      duration_s: doc.duration_ms / 1000,
      native_wall_s: round(cli.wallSeconds),
      native_sim_s_per_wall_s: round(cli.simPerWall, 1),
      page_run_to_end_wall_s: round(toEnd.wallSeconds),
      page_run_to_end_sim_s_per_wall_s: round(toEnd.simPerWall, 1),
      page_run_to_end_ratio: round(toEnd.simPerWall / cli.simPerWall, 3),
      same_final_hash: toEnd.traceHash === cli.traceHash,
      page_run_to_end_keyframes_taken: toEnd.keyframesTaken,
      page_run_to_end_keyframes_ms: toEnd.keyframesMs,
    };
    for (const speed of ONLY === 'toend' ? [] : SPEEDS) {
      const played = await pagePlay(server.url, doc, speed.log10);
      Object.assign(row, {
        [`play_${speed.name}_sim_s_per_wall_s`]: round(played.simPerWall, 2),
        [`play_${speed.name}_ratio`]: round(played.simPerWall / cli.simPerWall, 3),
        [`play_${speed.name}_frame_ms_p50_p95`]: [played.frame_ms_p50, played.frame_ms_p95],
        [`play_${speed.name}_last_frame`]: played.split,
        ...(played.timelineMs ? { [`play_${speed.name}_timeline_ms`]: played.timelineMs } : {}),
      });
    }
    rows.push(row);
    console.log(JSON.stringify(row, null, 2));
  }
  if (ONLY === 'toend') process.exit(0);
  const heavy = scenario(10000);
  heavy.duration_ms = 600_000; // long enough that the run is still going after every click
  console.log(JSON.stringify({ responsiveness_during_run_to_end_10k: await responsiveness(server.url, heavy) }, null, 2));
  console.log(JSON.stringify({ go_to_back_default_run: await goToBack(server.url) }, null, 2));
} finally {
  server.stop();
}
