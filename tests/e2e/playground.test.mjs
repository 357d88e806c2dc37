// The playground loads, plays, steps and changes speed from real clicks and key presses, and
// never logs an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot, numberIn } from './harness.mjs';

test('pressing play advances simulated time and the timeline', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    assert.equal(await page.locator('#sim-time').textContent(), '0.000s');
    await page.click('#play');
    await page.waitForFunction(() => document.querySelectorAll('.request-bar').length > 5, null, { timeout: 15000 });
    const firstTime = await numberIn(page, '#sim-time');
    await page.waitForTimeout(500);
    const laterTime = await numberIn(page, '#sim-time');
    assert.ok(laterTime > firstTime, `time should advance: ${firstTime} -> ${laterTime}`);
    await page.click('#play'); // pause
    const paused = await numberIn(page, '#sim-time');
    await page.waitForTimeout(300);
    assert.equal(await numberIn(page, '#sim-time'), paused, 'pause should stop time');
    await screenshot(page, 'playground-timeline');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('step processes exactly one event', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#step').waitFor();
    const before = await numberIn(page, '#event-count');
    await page.click('#step');
    await page.waitForFunction((b) => Number(document.querySelector('#event-count').textContent) === b + 1, before);
    await page.keyboard.press('Enter'); // the focused step button again, by keyboard
    await page.waitForFunction((b) => Number(document.querySelector('#event-count').textContent) === b + 2, before);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('the speed slider moves on a log scale and a bad seed gets a message', async () => {
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
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('#speed-value').textContent(), '0.1×');
    await page.fill('#seed', '');
    await page.locator('#seed').dispatchEvent('change');
    await page.locator('#message').waitFor();
    assert.match(await page.locator('#message').textContent(), /seed must be a whole number/);
    await page.fill('#seed', '7');
    await page.locator('#seed').dispatchEvent('change');
    await page.locator('#message').waitFor({ state: 'detached' });
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
