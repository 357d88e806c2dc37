// Point 2 (live controls): workload, engine and store controls take effect while the
// simulation runs; a value out of range gets a visible message and leaves the run intact;
// the scenario tab says the link does not hold live changes, and can fold them in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot, numberIn, simSeconds, commit, setSpeed } from './harness.mjs';

async function clientOps(page) {
  const text = await page.locator('#ops').textContent(); // "ok / failed"
  return text.split('/').map((part) => Number.parseFloat(part.replace(/[^0-9.]/g, '')))
    .reduce((a, b) => a + b, 0);
}

test('workload, engine and store controls apply while the run goes on', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await setSpeed(page, 1); // 10×
    await page.click('#play');
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 2);
    // Rate 0 pauses the workload: simulated time goes on, client operations stop.
    await commit(page, '#rate', 0);
    await page.waitForTimeout(300);
    const opsAtPause = await clientOps(page);
    const timeAtPause = await simSeconds(page);
    await page.waitForTimeout(700);
    assert.ok(await simSeconds(page) > timeAtPause + 2, 'time keeps going');
    assert.ok(await clientOps(page) <= opsAtPause + 2, 'no new operations at rate 0');
    // A faster rate shows at once.
    await commit(page, '#rate', 2000);
    await page.waitForFunction((before) => {
      const text = document.querySelector('#ops').textContent;
      const total = text.split('/').map((p) => Number.parseFloat(p.replace(/[^0-9.]/g, ''))).reduce((a, b) => a + b, 0);
      return total > before + 1000;
    }, opsAtPause, { timeout: 15000 });
    // Mix, value size, key distribution, await-durable.
    await page.locator('#read-percent').fill('50');
    await commit(page, '#value-bytes', 512);
    await page.selectOption('#key-distribution', 'uniform');
    await page.click('#await-durable');
    await page.waitForFunction(() => /durable\)/.test(document.querySelector('#acked').textContent)
      && Number.parseFloat(document.querySelector('#acked').textContent.split('(')[1].replace(/[^0-9.]/g, '')) > 0, null, { timeout: 15000 });
    // Engine: a smaller memtable (the writer restarts to take it).
    await commit(page, '#memtable-kib', 64);
    await page.waitForFunction(() => /of 64\.0 KiB/.test(document.querySelector('#lsm')?.textContent ?? ''), null, { timeout: 15000 });
    // Store: another preset and a slower PUT p99.
    await page.selectOption('#preset', 's3_express');
    await page.waitForFunction(() => /s3_express/.test(document.querySelector('section[aria-label="request timeline"] h2').textContent));
    await commit(page, '#put-p99', 400);
    await page.click('#play');
    assert.equal(await page.locator('#put-p99').inputValue(), '400');
    // The link does not hold these: the scenario tab says so, and can fold them in.
    await page.click('#tab-scenario');
    const notice = await page.locator('#live-notice').textContent();
    assert.match(notice, /without your \d+ live changes/);
    await screenshot(page, 'scenario-live-changes');
    await page.click('#adopt-live');
    await page.waitForFunction(() => /No live changes/.test(document.querySelector('#live-notice').textContent));
    assert.equal(await page.locator('#sim-time').textContent(), '0.000 s');
    const json = JSON.parse(await page.locator('#scenario-json').textContent());
    assert.equal(json.workload.rate_ops_per_sec, 2000);
    assert.equal(json.workload.await_durable, true);
    assert.equal(json.engine.memtable_bytes, 65536);
    assert.equal(json.store.preset, 's3_express');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a control out of range gets a message and the run goes on intact', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.click('#play');
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 1);
    for (const [field, value, pattern] of [
      ['#rate', '-5', /rate_ops_per_sec/],
      ['#value-bytes', '2', /value_bytes/],
      ['#memtable-kib', '0', /memtable/],
      ['#get-p99', '0.001', /below p50/],
    ]) {
      await commit(page, field, value);
      const error = page.locator(`${field}-error`);
      await error.waitFor();
      assert.match(await error.textContent(), pattern);
      assert.match(await page.locator('#message').textContent(), /refused/);
    }
    const before = await simSeconds(page);
    await page.waitForTimeout(400);
    assert.ok(await simSeconds(page) > before, 'the run goes on');
    await page.click('#play');
    await page.click('#tab-scenario');
    assert.match(await page.locator('#live-notice').textContent(), /No live changes/, 'refused values are not applied');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
