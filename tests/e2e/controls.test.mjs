// Workload, engine and store controls take effect while the
// simulation runs; a value out of range gets a visible message and leaves the run intact;
// each change is recorded into the scenario at its simulated time, so the link replays it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot, numberIn, simSeconds, commit, setSpeed, waitIdle } from './harness.mjs';

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
    // The field shows the settings in force, so it reads 400 once the run has taken the change
    // (a frame later; on a loaded machine that frame can come after the pause below).
    await page.waitForFunction(() => document.querySelector('#put-p99').value === '400', null, { timeout: 15000 });
    await page.click('#play');
    assert.equal(await page.locator('#put-p99').inputValue(), '400');
    // The scenario holds each change at its time; the link replays them.
    await page.click('#tab-scenario');
    const notice = await page.locator('#changes-notice').textContent();
    assert.match(notice, /replays \d+ setting changes at their times/);
    await screenshot(page, 'scenario-setting-changes');
    const json = JSON.parse(await page.locator('#scenario-json').textContent());
    const last = (section) => json.changes.filter((c) => c.set === section).at(-1)[section];
    assert.ok(json.changes.length >= 8, `${json.changes.length} changes recorded`);
    assert.ok(json.changes.every((c, i) => i === 0 || c.at_ms >= json.changes[i - 1].at_ms), 'in time order');
    assert.equal(json.changes.find((c) => c.set === 'workload').workload.rate_ops_per_sec, 0);
    assert.equal(last('workload').rate_ops_per_sec, 2000);
    assert.equal(last('workload').await_durable, true);
    assert.equal(last('engine').memtable_bytes, 65536);
    assert.equal(last('store').preset, 's3_express');
    assert.notEqual(json.workload.rate_ops_per_sec, 2000, 'the starting settings stay as they were');
    // A change can be taken out again (the newest is listed first): the run re-simulates to
    // this moment without it, and the link no longer holds it.
    const at = await simSeconds(page);
    await page.locator('#setting-changes li').first().locator('button.remove-change').click();
    await waitIdle(page);
    assert.match(await page.locator('#message').textContent(), /Removed the store change/);
    const after = JSON.parse(await page.locator('#scenario-json').textContent());
    assert.deepEqual(after.changes, json.changes.slice(0, -1));
    assert.equal(await simSeconds(page), at, 'the run is back at the same moment');
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
    assert.match(await page.locator('#changes-notice').textContent(), /No setting changes/, 'refused values are not applied');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a committed value stays in its field until the run takes it, never showing the old one again', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.click('#play'); // frames re-render the controls while the change travels
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 0.5);
    const old = await page.locator('#rate').inputValue();
    const wanted = String(2 * Number(old));
    // The field's value at every animation frame from the commit on, for about a second.
    await page.evaluate(() => {
      window.__rateSeen = [];
      const input = document.querySelector('#rate');
      const watch = () => {
        window.__rateSeen.push(input.value);
        if (window.__rateSeen.length < 60) requestAnimationFrame(watch);
      };
      input.addEventListener('change', () => queueMicrotask(watch), { once: true });
    });
    await commit(page, '#rate', wanted);
    await page.waitForFunction(() => window.__rateSeen.length >= 60, null, { timeout: 15000 });
    const seen = await page.evaluate(() => window.__rateSeen);
    assert.ok(!seen.includes(old), `the field went back to ${old}: ${seen.join(' ')}`);
    assert.equal(seen.at(-1), wanted);
    assert.equal(await page.locator('#rate').inputValue(), wanted);
    await page.click('#play');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
