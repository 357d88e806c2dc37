// Keyframes: the worker copies its whole memory every 10 simulated seconds; going back restores
// the latest keyframe before the moment and simulates forward from it (and so does going forward
// past what the page shows, up to what was simulated). A restored run is the
// same run: the moment reached has the hash and event count of a run from the start, and the
// run to the end has `strata run`'s final hash. The copies stay within their byte bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { scratchDir } from './scratch.mjs';
import { join } from 'node:path';
import { openPlayground, waitIdle, commit, cancelOnSight, NOWORKER } from './harness.mjs';

// Keyframes are copies of the worker's memory: without a worker there are none.
const WORKER_ONLY = { skip: NOWORKER && 'run with the worker only' };

const SCENARIO = {
  version: 1,
  name: 'e2e-keyframes',
  seed: 11,
  duration_ms: 60000,
  workload: { rate_ops_per_sec: 1000, mix: { read: 0.3, write: 0.7 }, key_count: 5000 },
  store: { preset: 's3_standard' },
};

function link(scenario) {
  return `#s=v1.${Buffer.from(JSON.stringify(scenario)).toString('base64url')}`;
}

async function moment(page) {
  return {
    time: await page.locator('#sim-time').textContent(),
    hash: await page.locator('#trace-hash').textContent(),
    events: await page.locator('#event-count').textContent(),
  };
}

/** The keyframe store of the page's worker (web/static/worker.js). */
async function keyframes(page) {
  const [worker] = page.workers();
  assert.ok(worker, 'the page has its worker');
  return worker.evaluate(() => globalThis.strataKeyframesState());
}

async function goTo(page, ms) {
  await commit(page, '#goto-ms', ms);
  await waitIdle(page, 60000);
}

/** Goes to 23.5 s from the start, then 55 s, back to 23.5 s (from a keyframe) and to the end,
 * with every keyframe due taken. At 55 s, `bound(state)` may give the store a lower byte bound,
 * then lowered to what the store holds under it.
 * Returns what the store held along the way. */
async function backAndForth(bound) {
  const session = await openPlayground(link(SCENARIO));
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.waitForFunction(() => document.body.dataset.worker === 'on');
    await page.workers()[0].evaluate(() => globalThis.strataKeyframesSpacing(0));
    await goTo(page, 23500);
    const direct = await moment(page);
    assert.equal(direct.time, '23.500 s');
    await goTo(page, 55000);
    if (bound) {
      const bytes = bound(await keyframes(page));
      await page.workers()[0].evaluate((b) => globalThis.strataKeyframesBound(b), bytes);
      // Then no room to spare: the bound is what the store holds once thinned, so that the
      // Cancel copy's pages of its own, going back, are over it.
      const held = (await keyframes(page)).bytes;
      await page.workers()[0].evaluate((b) => globalThis.strataKeyframesBound(b), held);
    }
    const late = await keyframes(page);
    assert.equal(late.restored, 0);
    await goTo(page, 23500);
    const back = await keyframes(page);
    // From the latest keyframe before 23.5 s, when the store kept one (a low bound may not).
    const served = late.keyframes.some((at) => at < 23.5e9) ? 1 : 0;
    assert.equal(back.restored, served, 'going back restored a keyframe');
    assert.deepEqual(await moment(page), direct, 'the keyframe, run forward, is the run from the start');
    // Forward again, past what the page shows but already simulated: from the keyframe of 30 s,
    // if the store still holds one after 23.5 s (room for the Cancel copy may have cost one).
    await goTo(page, 40000);
    const forward = back.keyframes.some((at) => at > 23.5e9 && at < 40e9) ? 1 : 0;
    assert.equal((await keyframes(page)).restored, served + forward, 'going forward restored a keyframe');
    await page.click('#run-to-end');
    await page.locator('#final-hash').waitFor({ timeout: 120000 });
    const finalHash = (await page.locator('#final-hash').textContent()).trim();
    if (process.env.STRATA_CLI) {
      const file = join(scratchDir('strata-e2e-keyframes-'), 'scenario.json');
      writeFileSync(file, JSON.stringify(SCENARIO));
      const summary = JSON.parse(execFileSync(process.env.STRATA_CLI, ['run', file], { encoding: 'utf8' }));
      assert.ok(finalHash.includes(summary.trace_hash), `${finalHash} against strata run's ${summary.trace_hash}`);
    }
    session.assertNoErrors();
    return { late, back, end: await keyframes(page) };
  } finally {
    await session.close();
  }
}

test('a keyframe restores the run from the start: the same moment, then strata run\'s final hash', WORKER_ONLY, async () => {
  // Every keyframe due taken, however little time the run took between them.
  const { late, back, end } = await backAndForth();
  assert.equal(back.restored, 1);
  // One every 10 simulated seconds up to 55 s.
  assert.deepEqual(late.keyframes.map((at) => Math.floor(at / 1e10)), [1, 2, 3, 4, 5]);
  // The restore came from the keyframe of 20 s, the latest before 23.5 s; none was lost.
  assert.equal(back.keyframes.length, 5);
  assert.ok(late.bytes <= late.bound && late.bound === 512 * 1024 * 1024, JSON.stringify(late));
  // Back at 23.5 s, the memory of 55 s is kept for a Cancel, within the same bound.
  assert.ok(back.cancelHeld && back.bytes <= back.bound, JSON.stringify(back));
  // Shared pages: five keyframes cost less than five copies of the memory.
  assert.ok(late.bytes < 5 * late.memoryBytes, `${late.bytes} bytes for memory of ${late.memoryBytes}`);
  assert.ok(end.keyframes.length >= 5 && end.taken >= 5);
});

test('keyframes over their byte bound are thinned, and a restore is still the same run', WORKER_ONLY, async () => {
  // A bound a byte under what the five keyframes up to 55 s hold drops one of them, never the
  // newest. Where each lands, and so what it holds, depends on the wall time between the run's
  // slices (a fixed bound kept none before 40 s on some runs), so the bound is set from what the
  // store holds. With one gone, that of 10 s or else that of 20 s serves going back to 23.5 s,
  // or that of 30 s going forward to 40 s. Going back keeps the memory of 55 s for a Cancel: the
  // pages it does not share with the newest keyframe are over the bound, so another keyframe
  // goes (never the newest, nor the one restored). The run to the end takes more, thinned as
  // they come.
  let before;
  const { late, back, end } = await backAndForth((state) => {
    before = state;
    return state.bytes - 1;
  });
  assert.equal(before.keyframes.length, 5, JSON.stringify(before));
  assert.equal(late.keyframes.length, 4, `one dropped: ${JSON.stringify(late)}`);
  for (const state of [late, back, end]) {
    assert.ok(state.bytes <= state.bound, `${state.bytes} bytes over the bound of ${state.bound}`);
  }
  assert.ok(back.cancelHeld, `the Cancel copy is kept: ${JSON.stringify(back)}`);
  assert.ok(back.keyframes.length < late.keyframes.length, `room made for it: ${JSON.stringify(back)}`);
  const restored = late.keyframes.filter((at) => at < 23.5e9).at(-1);
  for (const at of [late.keyframes.at(-1), restored ?? late.keyframes.at(-1)]) {
    assert.ok(back.keyframes.includes(at), `the newest and the one restored are kept: ${JSON.stringify(back)}`);
  }
  assert.ok(end.taken > end.keyframes.length, `thinned: ${end.taken} taken, ${end.keyframes.length} kept`);
  assert.ok(end.restored >= 1, 'a kept keyframe served a go-to');
});

test('a first pass skips keyframes that would cost much of its time, and going back is still the same run', WORKER_ONLY, async () => {
  // 100,000 keys: a memory of a few hundred MiB, which each keyframe compares whole, against
  // 10 simulated seconds that take a fraction of that to simulate.
  const large = { ...SCENARIO, name: 'e2e-keyframes-spaced', duration_ms: 300000,
    workload: { ...SCENARIO.workload, key_count: 100000 } };
  const session = await openPlayground(link(large));
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.waitForFunction(() => document.body.dataset.worker === 'on');
    await goTo(page, 150000);
    const direct = await moment(page);
    await goTo(page, 290000);
    const late = await keyframes(page);
    const periods = late.keyframes.map((at) => Math.floor(at / 1e10));
    assert.equal(periods[0], 1, 'the first keyframe due is taken');
    assert.ok(periods.every((p, i) => i === 0 || p > periods[i - 1]), `one a period at most: ${periods}`);
    assert.ok(late.skipped > 0 && late.taken + late.skipped <= 29, JSON.stringify(late));
    await goTo(page, 150000);
    assert.equal((await keyframes(page)).restored, 1, 'going back restored a keyframe');
    assert.deepEqual(await moment(page), direct, 'the keyframe, run forward, is the run from the start');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('Cancel while going back from a keyframe leaves the run where it was, as from the start', WORKER_ONLY, async () => {
  // Heavy enough (20,000 operations per simulated second) that the run forward from the
  // keyframe of 30 s to 39.9 s takes long enough to cancel; short enough after 40 s that the
  // run to the end, and the CLI's run of the whole, stay brief.
  const heavy = { ...SCENARIO, name: 'e2e-keyframes-heavy', duration_ms: 50000,
    workload: { ...SCENARIO.workload, rate_ops_per_sec: 20000, key_count: 50000 } };
  const session = await openPlayground(link(heavy));
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.waitForFunction(() => document.body.dataset.worker === 'on');
    await goTo(page, 40000);
    const before = await moment(page);
    assert.equal(before.time, '40.000 s');
    const cancelled = await cancelOnSight(page);
    await commit(page, '#goto-ms', 39900);
    await waitIdle(page, 60000);
    assert.ok(await cancelled(), 'Cancel was offered and clicked');
    const store = await keyframes(page);
    assert.equal(store.restored, 1, 'the go-to back was served by a keyframe');
    assert.equal(store.returned, 1, 'the Cancel took the run back');
    assert.deepEqual(await moment(page), before, 'the run is where it was before the go-to');
    assert.match(await page.locator('#message').textContent(), /cancelled; the run stays where it was/);
    // It goes on from there as the same run: to the end, strata run's final hash.
    await page.click('#run-to-end');
    await page.locator('#final-hash').waitFor({ timeout: 240000 });
    if (process.env.STRATA_CLI) {
      const file = join(scratchDir('strata-e2e-keyframes-'), 'scenario.json');
      writeFileSync(file, JSON.stringify(heavy));
      const summary = JSON.parse(execFileSync(process.env.STRATA_CLI, ['run', file], { encoding: 'utf8' }));
      assert.ok((await page.locator('#final-hash').textContent()).includes(summary.trace_hash));
    }
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('going back and forth keeps the memory at what a run forward needs', WORKER_ONLY, async () => {
  const session = await openPlayground(link(SCENARIO));
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.waitForFunction(() => document.body.dataset.worker === 'on');
    await goTo(page, 51000);
    // Each cycle goes back to the keyframe of 10 s (its memory smaller than the run's now), then
    // forward past the newest keyframe, simulating from 15 s: as much memory as the first time.
    const sizes = [];
    for (let cycle = 0; cycle < 6; cycle++) {
      await goTo(page, 15000);
      await goTo(page, 58000);
      sizes.push((await keyframes(page)).memoryBytes);
    }
    const store = await keyframes(page);
    assert.equal(store.restored, 6, JSON.stringify(store));
    // The first cycle may grow the memory (the run forward allocates where the first did not
    // free); the next five reuse what the restores left unused.
    const MiB = 2 ** 20;
    assert.ok(sizes[5] <= sizes[1] + 4 * MiB, `memory by cycle (MiB): ${sizes.map((s) => (s / MiB).toFixed(1))}`);
    assert.equal(await page.locator('#sim-time').textContent(), '58.000 s');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
