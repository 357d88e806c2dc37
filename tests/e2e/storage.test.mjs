// The LSM's shape with flushes animating, the WAL buffer and the two
// watermarks, the request timeline with a tooltip on hover and on keyboard focus, latency
// histograms with p50/p99/p99.9, and the live figures ($/month, PUTs per 1,000 writes, write
// amplification).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot, numberIn, watchFor, setSpeed, settled, commit, waitIdle } from './harness.mjs';

test('the storage view draws the LSM, the WAL, the timeline, histograms and live figures', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    const sawFlush = await watchFor(page, '#flush-activity');
    // A small memtable flushes every second or two of simulated time.
    await page.fill('#memtable-kib', '32');
    await page.locator('#memtable-kib').press('Tab');
    await setSpeed(page, 0.5); // about 3×
    await page.click('#play');
    await page.waitForSelector('.sst-l0', { timeout: 20000 });
    await page.waitForSelector('.activity-pill.flush.done', { timeout: 20000 });
    await page.click('#play');
    await settled(page);
    assert.ok(await sawFlush(), 'a flush in progress is shown while it runs');
    // The rest looks at a fixed moment, not wherever the pause landed: the run is deterministic,
    // and at 3 s L0 holds two SSTs (compaction empties it again before 5 s).
    await commit(page, '#goto-ms', 3000);
    await waitIdle(page);
    assert.equal(await page.locator('#sim-time').textContent(), '3.000 s');
    assert.match(await page.locator('#lsm').textContent(), /memtable/);
    assert.match(await page.locator('#lsm').textContent(), /L0 \(2 SSTs/);
    // WAL buffer and watermarks: durable ≤ acknowledged.
    const acknowledged = await numberIn(page, '#acknowledged-seq');
    const durable = await numberIn(page, '#durable-seq');
    assert.ok(durable > 0 && durable <= acknowledged, `durable ${durable} ≤ acknowledged ${acknowledged}`);
    assert.match(await page.locator('#wal').textContent(), /WAL buffer/);
    // Live figures.
    assert.ok(await numberIn(page, '#cost-month') > 0, 'a $/month figure');
    assert.ok(await numberIn(page, '#puts-per-1000') > 0, 'PUTs per 1,000 writes');
    assert.ok(await numberIn(page, '#write-amp') > 0, 'write amplification');
    // Histograms with their percentiles.
    const putHistogram = await page.locator('#hist-put').textContent();
    for (const label of ['p50', 'p99', 'p99.9']) assert.ok(putHistogram.includes(label), `${label} marked`);
    assert.ok(await page.locator('#hist-put .hist-bar').count() > 3);
    // A request bar's tooltip, by mouse and by keyboard focus.
    const bar = page.locator('.request-bar').first();
    await bar.hover();
    const tooltip = page.locator('#request-tooltip');
    await tooltip.waitFor();
    const text = await tooltip.textContent();
    assert.match(text, /(B|KiB|MiB)/, 'bytes');
    assert.match(text, /latency/, 'latency');
    assert.match(text, /cost \$/, 'cost');
    await page.mouse.move(0, 0);
    await tooltip.waitFor({ state: 'detached' });
    await page.locator('.request-bar').nth(1).focus();
    await tooltip.waitFor();
    assert.match(await tooltip.textContent(), /cost \$/);
    await screenshot(page, 'storage-view');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a busy timeline bins its requests instead of drawing thousands of bars', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    // A WAL upload every millisecond: over a thousand requests in the 2-second window.
    await page.fill('#flush-interval', '1');
    await page.locator('#flush-interval').press('Tab');
    await page.fill('#rate', '5000');
    await page.locator('#rate').press('Tab');
    await page.selectOption('#preset', 'instant');
    await page.click('#play');
    await page.waitForSelector('.request-bar.binned', { timeout: 20000 });
    await page.click('#play');
    const bars = await page.locator('.request-bar').count();
    assert.ok(bars <= 8 * 160, `bounded bars, got ${bars}`);
    assert.match(await page.locator('.timeline').textContent(), /binned/);
    await page.locator('.request-bar.binned').first().hover();
    assert.match(await page.locator('#request-tooltip').textContent(), /requests/);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
