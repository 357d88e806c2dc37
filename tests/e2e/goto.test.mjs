// "Go to" a moment ahead simulates forward with a progress bar and Cancel; a cancel stops at a
// whole millisecond where a run to that moment (re-simulated from the seed) has the same trace
// hash and event count, and the run goes on from there. Before the first open the writer's
// badge says it is opening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, simSeconds, waitIdle, commit, watchFor, numberIn, screenshot, cancelOnSight } from './harness.mjs';

// Heavy enough (10,000 operations per simulated second) that a few simulated minutes take a
// while to simulate, so there is time to cancel.
const HEAVY = {
  version: 1,
  name: 'e2e-heavy',
  seed: 3,
  duration_ms: 600000,
  workload: { rate_ops_per_sec: 10000, mix: { read: 0.3, write: 0.7 }, key_count: 100000 },
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

test('before the first open the writer is opening, not crashed', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#writer-status').waitFor();
    assert.equal(await page.locator('#sim-time').textContent(), '0.000 s');
    const badge = await page.locator('#writer-status').textContent();
    assert.match(badge, /opening/, badge);
    assert.doesNotMatch(badge, /down|crashed/, badge);
    assert.match(await page.locator('#writer-status').getAttribute('class'), /opening/);
    await page.click('#play');
    await page.waitForFunction(() => /writer up/.test(document.querySelector('#writer-status').textContent));
    await page.click('#play');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('go to a moment ahead simulates forward to it, with the hash a replay gives', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    const sawProgress = await watchFor(page, '#progress');
    await commit(page, '#goto-ms', 2500);
    await waitIdle(page);
    assert.equal(await page.locator('#sim-time').textContent(), '2.500 s');
    assert.ok(await sawProgress(), 'a progress bar while simulating forward');
    const ahead = await moment(page);
    // Going back to the same moment re-simulates from the seed: the same run.
    await commit(page, '#goto-ms', 1000);
    await waitIdle(page);
    assert.equal(await page.locator('#sim-time').textContent(), '1.000 s');
    await commit(page, '#goto-ms', 2500);
    await waitIdle(page);
    assert.deepEqual(await moment(page), ahead);
    // Beyond the scenario's end is refused, with a message.
    await commit(page, '#goto-ms', 999999999);
    await page.waitForFunction(() => /beyond the end of the scenario/.test(document.querySelector('#message')?.textContent ?? ''));
    assert.equal(await page.locator('#sim-time').textContent(), '2.500 s');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('Cancel stops a run forward where a run to that moment stops; the run goes on', async () => {
  const session = await openPlayground(link(HEAVY));
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await waitIdle(page);
    await commit(page, '#goto-ms', 300000);
    await page.locator('#cancel-rebuild').waitFor({ timeout: 10000 });
    await page.waitForFunction(() => Number(document.querySelector('#progress')?.getAttribute('aria-valuenow')) >= 1,
      null, { timeout: 60000 });
    assert.match(await page.locator('#progress').textContent(), /Simulating forward to 300\.000 s/);
    await screenshot(page, 'goto-forward-progress');
    await page.click('#cancel-rebuild');
    await waitIdle(page);
    const stopped = await moment(page);
    const seconds = await simSeconds(page);
    assert.ok(seconds > 0 && seconds < 300, `stopped at ${seconds} s`);
    assert.match(stopped.time, /^\d+\.\d{3} s$/, 'a whole millisecond');
    // Where Cancel stopped the run, as it says: the time on show, with nothing run after it.
    const said = (await page.locator('#message').textContent()).match(/Stopped at (\d+\.\d{3}) s/);
    assert.ok(said, 'Cancel says where it stopped');
    assert.equal(stopped.time, `${said[1]} s`, 'nothing ran after the cancel');
    const ms = Math.round(Number(said[1]) * 1000);
    // A run to that moment: back to zero, then forward to it.
    await commit(page, '#goto-ms', 0);
    await waitIdle(page);
    assert.equal(await page.locator('#sim-time').textContent(), '0.000 s');
    await commit(page, '#goto-ms', ms);
    await waitIdle(page, 120000);
    assert.deepEqual(await moment(page), stopped, 'the same trace hash and events as a run to that moment');
    // And from the seed, by re-simulating: go a little further, then back.
    await commit(page, '#goto-ms', ms + 5);
    await waitIdle(page);
    await commit(page, '#goto-ms', ms);
    await waitIdle(page, 120000);
    assert.deepEqual(await moment(page), stopped, 'the same trace hash re-simulated from the seed');
    // The run goes on from there.
    await page.click('#play');
    await page.waitForFunction((s) => Number.parseFloat(document.querySelector('#sim-time').textContent) > s, seconds);
    await page.click('#play');
    assert.ok(await numberIn(page, '#event-count') > Number(stopped.events));

    // A long re-simulation back has the same Cancel, and leaves the run where it was: here from
    // the start (before the first keyframe, at 10 s); from a keyframe, keyframes.test.mjs.
    await commit(page, '#goto-ms', 20000);
    await waitIdle(page, 120000);
    const before = await moment(page);
    assert.equal(before.time, '20.000 s');
    const cancelled = await cancelOnSight(page);
    await commit(page, '#goto-ms', 9000);
    await waitIdle(page);
    assert.ok(await cancelled(), 'Cancel was offered and clicked');
    assert.deepEqual(await moment(page), before);
    assert.match(await page.locator('#message').textContent(), /cancelled; the run stays where it was/);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
