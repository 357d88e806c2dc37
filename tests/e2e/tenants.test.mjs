// Tenants on one bucket: a link to tests/scenarios/tenants.json shows a row per
// database, the hot tenant throttled and its neighbours not, with cost and p99 per tenant;
// the page's final trace hash equals `strata run`'s for the same scenario.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { scratchDir } from './scratch.mjs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { openPlayground, screenshot } from './harness.mjs';

const fixture = JSON.parse(readFileSync(new URL('../scenarios/tenants.json', import.meta.url), 'utf8'));

test('the tenants table shows the hot tenant throttled beside its neighbours', async () => {
  const scenario = fixture;
  const hash = `#s=v1.${Buffer.from(JSON.stringify(scenario)).toString('base64url')}`;
  const session = await openPlayground(hash);
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.click('#run-to-end');
    await page.locator('#final-hash').waitFor({ timeout: 120000 });
    const finalHash = (await page.locator('#final-hash').textContent()).trim();
    await page.click('#tab-storage');
    const rows = page.locator('#tenants-table tbody tr');
    await rows.first().waitFor();
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.tenant)), ['db', 'quiet', 'hot']);
    const classes = await rows.evaluateAll((trs) => trs.map((tr) => tr.className));
    assert.match(classes[0], /own/);
    assert.doesNotMatch(classes[0], /throttled/);
    assert.doesNotMatch(classes[1], /throttled/);
    assert.match(classes[2], /throttled/);
    const hot = await rows.nth(2).locator('td').allTextContents();
    assert.match(hot[5], /^[1-9][\d,]* \(\d+(\.\d+)? ?%\)$/, `throttled column: ${hot[5]}`);
    assert.match(hot[6], /\$/, 'a cost per tenant');
    assert.match(hot[2], /ms|s$/, 'a read p99 per tenant');
    await screenshot(page, 'tenants');
    // The same scenario through the CLI reaches the same trace hash.
    const cli = process.env.STRATA_CLI;
    if (cli) {
      const dir = scratchDir('strata-tenants-');
      const path = join(dir, 'tenants.json');
      writeFileSync(path, JSON.stringify(scenario));
      const summary = JSON.parse(execFileSync(cli, ['run', path], { encoding: 'utf8' }));
      assert.equal(finalHash.includes(summary.trace_hash), true, `${finalHash} against ${summary.trace_hash}`);
      assert.deepEqual(summary.tenants.map((t) => t.name), ['db', 'quiet', 'hot']);
    }
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
