// "Run to end" shows a progress bar with Cancel, and the page keeps answering while it runs: a
// tab opened during the run opens, and the run goes on. Cancel stops at a whole millisecond,
// and the link to that moment (re-simulated from the seed in a fresh page) shows the same trace
// hash and event count; the run goes on from there. The button, which reads "Stop" meanwhile,
// stops the run the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, waitIdle, screenshot } from './harness.mjs';

// Heavy enough (10,000 operations per simulated second for ten simulated minutes) that the run
// is still going after every click below.
const HEAVY = {
  version: 1,
  name: 'e2e-heavy',
  seed: 5,
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

async function progressPercent(page) {
  return Number(await page.locator('#progress').getAttribute('aria-valuenow'));
}

/** Starts a run to the end and waits until its progress bar shows it under way. */
async function startRunToEnd(page) {
  await page.click('#run-to-end');
  await page.locator('#cancel-rebuild').waitFor({ timeout: 10000 });
  assert.match(await page.locator('#progress').textContent(), /Running to the end of the scenario/);
  assert.equal(await page.locator('#run-to-end').textContent(), 'Stop');
  await page.waitForFunction(() => Number(document.querySelector('#progress')?.getAttribute('aria-valuenow')) >= 1,
    null, { timeout: 60000 });
}

test('Run to end shows progress and Cancel; a tab opens meanwhile; Cancel stops where its link stops', async () => {
  const session = await openPlayground(link(HEAVY));
  let stopped;
  let momentLink;
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await waitIdle(page);
    await startRunToEnd(page);
    // A click during the run takes effect, and the run goes on behind it.
    await page.click('#tab-scenario');
    assert.equal(await page.locator('#tab-scenario').getAttribute('aria-selected'), 'true');
    await page.locator('#share-link').waitFor();
    const before = await progressPercent(page);
    await page.waitForFunction((p) => Number(document.querySelector('#progress')?.getAttribute('aria-valuenow')) > p,
      before, { timeout: 60000 });
    await screenshot(page, 'run-to-end-progress');
    await page.click('#cancel-rebuild');
    await waitIdle(page);
    assert.equal(await page.locator('#run-to-end').textContent(), 'Run to end');
    stopped = await moment(page);
    assert.match(stopped.time, /^\d+\.\d{3} s$/);
    const said = (await page.locator('#message').textContent()).match(/Stopped at (\d+\.\d{3}) s/);
    assert.ok(said, 'Cancel says where it stopped');
    assert.equal(stopped.time, `${said[1]} s`, 'nothing ran after the cancel');
    const seconds = Number(said[1]);
    assert.ok(seconds > 0 && seconds < 600, `stopped at ${seconds} s`);
    // The link to this moment names it, to the millisecond.
    momentLink = await page.locator('#moment-link').inputValue();
    assert.ok(momentLink.endsWith(`&at=${Math.round(seconds * 1000)}`), momentLink);
    // The run goes on from there.
    await page.click('#play');
    await page.waitForFunction((s) => Number.parseFloat(document.querySelector('#sim-time').textContent) > s, seconds);
    await page.click('#play');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
  // A fresh page on the link re-simulates from the seed to that moment: the same run.
  const replay = await openPlayground(momentLink);
  try {
    const { page } = replay;
    await page.locator('#play').waitFor();
    await waitIdle(page, 120000);
    assert.deepEqual(await moment(page), stopped, 'the moment link shows the trace hash and events Cancel left');
    replay.assertNoErrors();
  } finally {
    await replay.close();
  }
});

test('the Stop button of a run to the end stops it as Cancel does', async () => {
  const session = await openPlayground(link(HEAVY));
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await waitIdle(page);
    await startRunToEnd(page);
    await page.click('#run-to-end');
    await waitIdle(page);
    const time = await page.locator('#sim-time').textContent();
    const said = (await page.locator('#message').textContent()).match(/Stopped at (\d+\.\d{3}) s/);
    assert.ok(said, 'Stop says where it stopped');
    assert.equal(time, `${said[1]} s`);
    assert.equal(await page.locator('#run-to-end').textContent(), 'Run to end');
    // Nothing runs after the stop.
    await page.waitForTimeout(300);
    assert.equal(await page.locator('#sim-time').textContent(), time);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
