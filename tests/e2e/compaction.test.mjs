// Compactions on the default page: within the first simulated minute a compaction starts,
// reads its inputs, writes its outputs and commits; leveled runs are drawn as levels with
// their target sizes; the writer's badge says it is opening before the first open; and the
// compaction style switches live (recorded into the scenario like every live control).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot, setSpeed, playUntil, waitIdle } from './harness.mjs';

test('the default page compacts within its first minute and labels the levels', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    // Nothing has run yet: the writer is opening, not down.
    assert.match(await page.locator('#writer-status').textContent(), /opening \(first open/);
    assert.match(await page.locator('#compactions').textContent(), /^leveled compaction: 0 started, 0 committed/);
    await setSpeed(page, 2); // 100×
    await playUntil(page, 60, 120000);
    await waitIdle(page);
    const compactions = await page.locator('#compactions').textContent();
    const [, started, committed] = compactions.match(/(\d+) started, (\d+) committed/);
    assert.ok(Number(started) >= 1 && Number(committed) >= 1, compactions);
    // The last job's story: a committed one has read its inputs, written its outputs and
    // committed through the manifest; one still running shows its phase and progress.
    assert.match(await page.locator('#last-compaction').textContent(),
      /job #\d+ read [1-9]\d* SSTs \([^)]+\), wrote [1-9]\d* SSTs \([^)]+\), committed at \d|job #\d+: (reading inputs|writing outputs), /);
    // Levels are labelled L1, L2… with their target sizes: 512 KiB for L1, ten times more
    // for each level below (L1 may just have been merged down into L2).
    const levels = page.locator('#lsm .run.level');
    await levels.first().waitFor();
    const targets = { 1: /of 512(\.0)? KiB target/, 2: /of 5(\.0)? MiB target/, 3: /of 50(\.0)? MiB target/ };
    for (let i = 0; i < await levels.count(); i += 1) {
      const level = levels.nth(i);
      const n = await level.getAttribute('data-level');
      const text = await level.textContent();
      assert.match(text, new RegExp(`^L${n} \\(\\d+ SSTs\\)`));
      assert.match(text, targets[n], text);
    }
    assert.equal(await page.locator('#lsm .tiered-run').count(), 0, 'no tiered runs in a leveled layout');
    assert.match(await page.locator('#writer-status').textContent(), /writer up/);
    await screenshot(page, 'compaction-default');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('the compaction style and its parameters switch live', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await setSpeed(page, 2);
    await playUntil(page, 5, 60000);
    await waitIdle(page);
    // Leveled shows its parameters; switching to size-tiered shows tiered ones.
    assert.equal(await page.locator('#level-ratio').inputValue(), '10');
    await page.selectOption('#compaction-style', 'size_tiered');
    await page.waitForFunction(() => /size-tiered compaction/.test(document.querySelector('#compactions').textContent));
    await page.locator('#min-merge-runs').waitFor();
    assert.equal(await page.locator('#level-ratio').count(), 0);
    await page.fill('#l0-trigger', '2');
    await page.locator('#l0-trigger').press('Tab');
    await page.waitForFunction(() => document.querySelector('#l0-trigger').value === '2');
    // A backpressure limit is a live control too.
    await page.fill('#max-l0-ssts', '8');
    await page.locator('#max-l0-ssts').press('Tab');
    await page.waitForFunction(() => document.querySelector('#max-l0-ssts').value === '8');
    // Tiered merges draw runs, not levels.
    await playUntil(page, 40, 120000);
    await waitIdle(page);
    await page.locator('#lsm .tiered-run').first().waitFor();
    const committed = Number((await page.locator('#compactions').textContent()).match(/(\d+) committed/)[1]);
    assert.ok(committed >= 1, 'a tiered compaction committed');
    // The changes are timed entries of the scenario, so the share link replays them.
    await page.click('#tab-scenario');
    const document = await page.locator('#scenario-json').textContent();
    assert.match(document, /"set": "engine"/);
    assert.match(document, /"style": "size_tiered"/);
    assert.match(document, /"l0_trigger": 2/);
    assert.match(document, /"max_l0_ssts": 8/);
    await screenshot(page, 'compaction-switched');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
