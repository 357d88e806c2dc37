// Every fault of the shim can be injected and its effect is visible: a crash
// then a recovery that loses no durable write, a zombie writer that gets fenced, an outage
// window, and a bit flip whose Corrupt error shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot, numberIn, waitIdle, playUntil, simSeconds, setSpeed } from './harness.mjs';

async function inject(page, id) {
  await page.click(`#inject-${id}`);
  await waitIdle(page);
}

test('a crash, then a recovery that reads back every durable write and loses none', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.click('#await-durable'); // acknowledged writes are durable writes
    await playUntil(page, 3);
    const crashAt = Number.parseFloat(await page.locator('#sim-time').textContent());
    await inject(page, 'crash-writer');
    const listed = (await page.locator('#fault-list').textContent()).match(/crash writer at ([0-9.]+) s/);
    assert.ok(listed, 'the crash is in the scenario');
    assert.ok(Math.abs(Number.parseFloat(listed[1]) - crashAt) <= 0.002, `at the moment it was injected (${crashAt} s)`);
    await playUntil(page, (await simSeconds(page)) + 1);
    assert.match(await page.locator('#writer-status').textContent(), /down/);
    assert.match(await page.locator('#client-errors').textContent(), /closed/);
    assert.match(await page.locator('#event-list').textContent(), /crashed/);
    await inject(page, 'recover');
    await page.click('#play');
    await page.waitForFunction(() => /durability check/.test(document.querySelector('#event-list').textContent), null, { timeout: 20000 });
    await page.click('#play');
    assert.match(await page.locator('#writer-status').textContent(), /up · epoch 2/);
    assert.ok(await numberIn(page, '#keys-checked') > 0, 'the recovery read keys back');
    assert.equal(await numberIn(page, '#lost-durable'), 0, 'no durable write lost');
    assert.match(await page.locator('#event-list').textContent(), /0 durable writes lost/);
    await screenshot(page, 'chaos-crash-recover');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a zombie writer keeps writing until it is fenced', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await playUntil(page, 2);
    await inject(page, 'start-zombie');
    await page.click('#play');
    await page.waitForFunction(() => /fenced/.test(document.querySelector('#zombie-status')?.textContent ?? ''), null, { timeout: 20000 });
    await page.click('#play');
    assert.match(await page.locator('#writer-status').textContent(), /epoch 2/);
    assert.match(await page.locator('#event-list').textContent(), /fenced/);
    assert.match(await page.locator('#client-errors').textContent(), /fenced/);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('an outage fails requests for its window; corrupt PUTs surface as Corrupt errors', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await playUntil(page, 1);
    await page.fill('#fault-window', '2');
    await page.locator('#fault-window').press('Tab');
    await inject(page, 'outage');
    await setSpeed(page, 0); // 1×, to watch it
    await page.click('#play');
    await page.waitForSelector('.request-bar.bad', { timeout: 15000 });
    await page.waitForFunction(() => /fault injected: Outage/.test(document.querySelector('#event-list')?.textContent ?? ''), null, { timeout: 15000 });
    await page.click('#play');
    await screenshot(page, 'chaos-outage');
    // Corrupt PUTs into SSTs, reads that miss the cache: the engine reports Corrupt.
    await page.fill('#memtable-kib', '32');
    await page.locator('#memtable-kib').press('Tab');
    await page.fill('#cache-kib', '0');
    await page.locator('#cache-kib').press('Tab');
    await page.locator('#read-percent').fill('50');
    await page.fill('#fault-window', '5');
    await page.locator('#fault-window').press('Tab');
    await inject(page, 'bit-flips');
    await setSpeed(page, 1);
    await page.click('#play');
    await page.waitForSelector('.error-line.kind-corrupt', { timeout: 30000 });
    await page.click('#play');
    assert.match(await page.locator('.error-line.kind-corrupt').first().textContent(), /corrupt/i);
    // The other faults inject too, each into the scenario.
    for (const id of ['server-errors', 'timeouts', 'throttle', 'lost-acks', 'slow', 'bit-flip']) {
      await inject(page, id);
    }
    const faults = await page.locator('#fault-list li').count();
    assert.ok(faults >= 8, `every injected fault is listed, got ${faults}`);
    // A fault can be taken out again (the newest is listed first).
    const counted = async () => Number((await page.locator('h3', { hasText: 'Faults in the scenario' }).textContent()).match(/\((\d+)\)/)[1]);
    const total = await counted();
    const newest = await page.locator('#fault-list li span').first().textContent();
    await page.locator('#fault-list li').first().locator('button.remove-fault').click();
    await waitIdle(page);
    assert.equal(await counted(), total - 1);
    assert.ok((await page.locator('#message').textContent()).includes(`Removed the fault “${newest}”`));
    await page.click('#play');
    await page.waitForTimeout(500);
    await page.click('#play');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
