// Play, pause, step one event, speed on a log scale from 0.1× to 10,000×,
// scrubbing back by re-simulating from the seed (with a progress bar), and an editable seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot, numberIn, simSeconds, waitIdle, playUntil, commit, watchFor, settled } from './harness.mjs';

test('play advances simulated time, pause stops it, step processes exactly one event', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    assert.equal(await page.locator('#sim-time').textContent(), '0.000 s');
    await page.click('#play');
    await page.waitForFunction(() => document.querySelectorAll('.request-bar').length > 3, null, { timeout: 15000 });
    const first = await simSeconds(page);
    await page.waitForTimeout(400);
    assert.ok(await simSeconds(page) > first, 'time should advance while playing');
    await page.click('#play');
    // The frame the worker had on its way when Pause reached it comes after the click.
    await settled(page);
    const paused = await simSeconds(page);
    await page.waitForTimeout(300);
    assert.equal(await simSeconds(page), paused, 'pause should stop time');

    const before = await numberIn(page, '#event-count');
    await page.click('#step');
    await page.waitForFunction((b) => Number(document.querySelector('#event-count').textContent) === b + 1, before);
    await page.keyboard.press('Enter'); // the focused step button, by keyboard
    await page.waitForFunction((b) => Number(document.querySelector('#event-count').textContent) === b + 2, before);
    await page.keyboard.press('.'); // the step shortcut
    await page.waitForFunction((b) => Number(document.querySelector('#event-count').textContent) === b + 3, before);
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press(' '); // space plays
    await page.waitForFunction(() => document.querySelector('#play').textContent === 'Pause');
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.querySelector('#play').textContent === 'Play');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('the speed slider is logarithmic from 0.1× to 10,000×', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    const slider = page.locator('#speed');
    await slider.waitFor();
    await slider.fill('4');
    assert.equal(await page.locator('#speed-value').textContent(), '10,000×');
    await slider.fill('-1');
    assert.equal(await page.locator('#speed-value').textContent(), '0.1×');
    await slider.focus();
    for (let i = 0; i < 100; i += 1) await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('#speed-value').textContent(), '1.0×');
    await slider.fill('2');
    assert.equal(await page.locator('#speed-value').textContent(), '100×');
    await page.click('#play');
    await page.waitForFunction(() => /×/.test(document.querySelector('#effective-speed').textContent));
    // The readout is the speed over the last few frames; a frame that builds an SST or runs
    // a compaction step dips it. The slider's effect shows in the best of a few readings.
    let effective = 0;
    for (let i = 0; i < 10; i += 1) {
      await page.waitForTimeout(250);
      effective = Math.max(effective, await numberIn(page, '#effective-speed'));
    }
    assert.ok(effective > 20, `the effective speed should be near 100×, got ${effective}`);
    await page.click('#play');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('scrubbing back re-simulates to the same trace hash, with a progress bar', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await playUntil(page, 4);
    await commit(page, '#goto-ms', 1500);
    await waitIdle(page);
    assert.equal(await page.locator('#sim-time').textContent(), '1.500 s');
    const atOneAndAHalf = await page.locator('#trace-hash').textContent();
    await playUntil(page, 3);
    await commit(page, '#goto-ms', 2500);
    await waitIdle(page);
    assert.notEqual(await page.locator('#trace-hash').textContent(), atOneAndAHalf);
    // Going back again: a progress bar while it works, then the same hash as before.
    await page.fill('#goto-ms', '1500');
    const sawProgress = await watchFor(page, '#progress');
    await page.locator('#goto-ms').press('Tab');
    await waitIdle(page);
    assert.equal(await page.locator('#trace-hash').textContent(), atOneAndAHalf);
    assert.ok(await sawProgress(), 'a progress bar shows while re-simulating');
    // The scrubber (a range input) seeks too.
    await page.locator('#scrub').fill('500'); // fires input, then change, as a released drag does
    await waitIdle(page);
    assert.equal(await page.locator('#sim-time').textContent(), '0.500 s');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('the seed is shown and editable, and a bad seed gets a message', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#seed').waitFor();
    assert.equal(await page.locator('#seed').inputValue(), '42');
    await playUntil(page, 1);
    const hash42 = await page.locator('#trace-hash').textContent();
    await commit(page, '#seed', 'forty-two');
    await page.locator('#message').waitFor();
    assert.match(await page.locator('#message').textContent(), /seed must be a whole number/);
    assert.ok(await simSeconds(page) >= 1, 'a bad seed leaves the run alone');
    await commit(page, '#seed', '7');
    await page.waitForFunction(() => /Seed 7/.test(document.querySelector('#message')?.textContent ?? ''));
    assert.equal(await page.locator('#sim-time').textContent(), '0.000 s');
    await playUntil(page, 1);
    await commit(page, '#goto-ms', 1000);
    await waitIdle(page);
    assert.notEqual(await page.locator('#trace-hash').textContent(), hash42, 'another seed, another run');
    await screenshot(page, 'time-controls');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
