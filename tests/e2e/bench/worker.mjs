// Where the page's *Run to end* spends its time in the worker (not a *.test.mjs, so the test run
// skips it). For each rate (the scenarios of bench/shared.mjs, as bench/page.mjs runs them: about
// 600,000 client operations):
//   - natively: `strata run` to the end, wall and CPU seconds (user + system, from bash's `time`);
//   - in the page: *Run to end*, wall seconds from the click to the final hash (checked equal to
//     the CLI's) and the CPU seconds of the worker's thread over the same span (Linux: the
//     renderer's `DedicatedWorker` thread in /proc, in 10 ms ticks), with what the worker's
//     keyframes took of it, and the MiB of their slots in use, of the memory kept for them
//     (slots and table) and of the worker's memory at the end. On a machine shared with other
//     work the CPU seconds say what the run costs, where the wall seconds also say how much of a
//     core it got.
// With STRATA_BENCH_PROFILE=DIR, a Chromium CPU profile of the worker (CDP `Profiler` on the
// worker's session, a sample every 0.5 ms) is written to DIR/worker-RATE.cpuprofile and its
// heaviest functions printed; build the page with names for them to be readable:
//   CARGO_PROFILE_WEB_RELEASE_STRIP=none cargo xtask dist --no-wasm-opt
//
// One command, after `cargo xtask dist` and `cargo build --release -p strata-lab --bin strata`, with
// the page served (`cargo xtask serve --skip-build --port PORT`):
//   cd tests/e2e && STRATA_BASE_URL=http://127.0.0.1:PORT/ node bench/worker.mjs
// STRATA_BENCH_RATES picks the rates (default `1000,10000`), STRATA_CLI the CLI (default
// target/release/strata), STRATA_BENCH_KEYFRAMES=every takes every keyframe due
// (`strataKeyframesSpacing(0)`), =off none (a bound of 0 bytes).
import { chromium } from 'playwright-core';
import { writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { scratchDir } from '../scratch.mjs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_FLAGS, armRunToEndTimer, runToEndSeconds, scenario } from './shared.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = process.env.STRATA_CLI ?? join(root, 'target', 'release', 'strata');
const BASE_URL = process.env.STRATA_BASE_URL ?? 'http://127.0.0.1:8080/';
const RATES = (process.env.STRATA_BENCH_RATES ?? '1000,10000').split(',').filter((r) => r !== '').map(Number);
const PROFILE = process.env.STRATA_BENCH_PROFILE;
const KEYFRAMES = process.env.STRATA_BENCH_KEYFRAMES;
// An argument Chromium ignores, to find this browser's processes among others.
const MARK = `--strata-bench-mark=${process.pid}`;
const FLAGS = [MARK, ...CHROMIUM_FLAGS];

function round(x, digits = 2) {
  return Number(x.toFixed(digits));
}

/** `strata run`: wall and CPU seconds, and the final trace hash. */
function native(doc) {
  const file = join(scratchDir('strata-bench-'), 'scenario.json');
  writeFileSync(file, JSON.stringify(doc));
  const out = join(dirname(file), 'summary.json');
  const times = execFileSync('bash', ['-c', 'TIMEFORMAT="%R %U %S"; { time "$0" run "$1" > "$2"; } 2>&1', CLI, file, out],
    { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  return { wall: times[0], cpu: times[1] + times[2], traceHash: JSON.parse(readFileSync(out, 'utf8')).trace_hash };
}

/** CPU seconds of this browser's worker threads so far. */
function workerCpuSeconds() {
  const procs = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      procs.set(pid, { ppid: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1], cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8') });
    } catch { /* gone */ }
  }
  const browser = [...procs].find(([, p]) => p.cmd.includes(MARK) && !p.cmd.includes('--type='))?.[0];
  const ours = (pid) => {
    for (let p = pid; p && p !== '1'; p = procs.get(p)?.ppid) if (p === browser) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, p] of procs) {
    if (!p.cmd.includes('--type=renderer') || !ours(pid)) continue;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (!readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('DedicatedWorker')) continue;
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      } catch { /* gone */ }
    }
  }
  return ticks / 100;
}

/** The worker's DevTools session: Playwright gives none, so the page's session attaches to it. */
async function workerSession(page) {
  const cdp = await page.context().newCDPSession(page);
  let sessionId;
  let next = 1;
  const waiting = new Map();
  cdp.on('Target.attachedToTarget', (e) => { if (e.targetInfo.type === 'worker') sessionId = e.sessionId; });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const message = JSON.parse(e.message);
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  return {
    ready: () => sessionId !== undefined,
    send: (method, params = {}) => new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
    }),
  };
}

/** Self time by function, the heaviest `count`, as shares of the samples. */
function heaviest(profile, count) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (const id of profile.samples) {
    const name = byId.get(id).callFrame.functionName || '(anonymous)';
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([name, n]) => `${(100 * n / profile.samples.length).toFixed(1).padStart(5)} % ${name.slice(0, 140)}`);
}

async function pageRunToEnd(doc) {
  const browser = await chromium.launch({ executablePath: process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const devtools = PROFILE ? await workerSession(page) : undefined;
    await page.goto(new URL(`#s=v1.${Buffer.from(JSON.stringify(doc)).toString('base64url')}`, BASE_URL).toString());
    await page.locator('#play').waitFor({ timeout: 60000 });
    await page.waitForFunction(() => !document.querySelector('#progress') && document.body.dataset.worker === 'on',
      null, { timeout: 60000 });
    const [worker] = page.workers();
    if (KEYFRAMES === 'every') await worker.evaluate(() => globalThis.strataKeyframesSpacing(0));
    if (KEYFRAMES === 'off') await worker.evaluate(() => globalThis.strataKeyframesBound(0));
    if (devtools) {
      if (!devtools.ready()) throw new Error('no DevTools session on the worker');
      await devtools.send('Profiler.enable');
      await devtools.send('Profiler.setSamplingInterval', { interval: 500 });
      await devtools.send('Profiler.start');
    }
    await armRunToEndTimer(page);
    const cpuBefore = workerCpuSeconds();
    await page.click('#run-to-end');
    const wall = await runToEndSeconds(page);
    const cpu = workerCpuSeconds() - cpuBefore;
    const traceHash = await page.locator('#final-hash').textContent();
    const store = await worker.evaluate(() => globalThis.strataKeyframesState());
    let top;
    if (devtools) {
      const { profile } = await devtools.send('Profiler.stop');
      const file = join(PROFILE, `worker-${doc.workload.rate_ops_per_sec}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      top = heaviest(profile, 25);
    }
    return { wall, cpu, traceHash, keyframes: store.taken, keyframesSkipped: store.skipped, keyframesMs: store.takeMs,
      keyframesMiB: store.bytes / 2 ** 20, keptMiB: store.keptBytes / 2 ** 20, memoryMiB: store.memoryBytes / 2 ** 20, top };
  } finally {
    await browser.close();
  }
}

for (const rate of RATES) {
  const doc = scenario(rate);
  const cli = native(doc);
  const run = await pageRunToEnd(doc);
  console.log(JSON.stringify({
    ops_per_sim_second: rate,
    native_wall_s: round(cli.wall), native_cpu_s: round(cli.cpu),
    page_wall_s: round(run.wall), worker_cpu_s: round(run.cpu),
    wall_ratio: round(cli.wall / run.wall, 3), cpu_ratio: round(cli.cpu / run.cpu, 3),
    same_final_hash: run.traceHash.includes(cli.traceHash),
    keyframes_taken: run.keyframes, keyframes_skipped: run.keyframesSkipped, keyframes_ms: run.keyframesMs,
    keyframes_mib: round(run.keyframesMiB, 1), kept_mib: round(run.keptMiB, 1), memory_mib: round(run.memoryMiB, 1),
  }));
  if (run.top) console.log(run.top.join('\n'));
}
