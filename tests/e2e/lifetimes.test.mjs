// Range deletes and time-to-live: a link to tests/scenarios/range-deletes-ttl.json draws range
// tombstones as bars on the key axis, on the rows of the memtables and SSTs that hold them;
// by the end compaction has dropped expired entries, the figures and the compaction story
// say how many and how many bytes, nothing deleted or expired was read back, and the page's
// trace hash equals `strata run`'s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openPlayground, screenshot, setSpeed, waitIdle, commit } from './harness.mjs';

const fixtureUrl = new URL('../scenarios/range-deletes-ttl.json', import.meta.url);
const fixture = JSON.parse(readFileSync(fixtureUrl, 'utf8'));

test('range tombstones are drawn where they live and expiries are counted as compaction drops them', async () => {
  const hash = `#s=v1.${Buffer.from(JSON.stringify(fixture)).toString('base64url')}`;
  const session = await openPlayground(hash);
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.click('#tab-storage');
    // A fixed moment, not wherever a pause lands: at 2.5 s the run (deterministic) holds range
    // tombstones, some of them already flushed to SSTs.
    await commit(page, '#goto-ms', 2500);
    await waitIdle(page, 60000);
    assert.equal(await page.locator('#sim-time').textContent(), '2.500 s');
    // Range deletes sit in the memtables and, once flushed, in SSTs: each a bar on its row.
    const bars = page.locator('#lsm .range-tombstone');
    await bars.first().waitFor();
    assert.ok(await bars.count() > 0);
    const titles = await bars.evaluateAll((rects) => rects.map((r) => r.querySelector('title').textContent));
    assert.ok(titles.every((t) => /^range delete \[k\d+, (k\d+|l)\) in (memtable|SST) #\d+$/.test(t)), titles.join('\n'));
    assert.ok(titles.some((t) => /in SST #/.test(t)), 'a flushed range tombstone is drawn on its SST');
    assert.match(await page.locator('#range-tombstone-count').textContent(), /▬ [1-9]\d* range tombstones/);
    await screenshot(page, 'range-tombstones');
    // The rest of the run: expired entries are dropped and nothing comes back.
    await page.click('#run-to-end');
    await page.locator('#final-hash').waitFor({ timeout: 120000 });
    await page.click('#tab-storage');
    const expired = await page.locator('#expired-dropped').textContent();
    assert.match(expired, /^[1-9][\d,]* \([\d.]+ ?(B|KiB|MiB)\)$/, expired);
    assert.equal((await page.locator('#resurrected').textContent()).trim(), '0');
    assert.equal((await page.locator('#lost-durable').textContent()).trim(), '0');
    const finalHash = (await page.locator('#final-hash').textContent()).trim();
    const cli = process.env.STRATA_CLI;
    if (cli) {
      const summary = JSON.parse(execFileSync(cli, ['run', fileURLToPath(fixtureUrl)], { encoding: 'utf8' }));
      assert.equal(finalHash.includes(summary.trace_hash), true, `${finalHash} against ${summary.trace_hash}`);
      assert.ok(summary.writes.expired_entries_dropped > 0);
      assert.equal(summary.writes.resurrected, 0);
    }
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a compaction that drops expired entries says so in its story', async () => {
  const hash = `#s=v1.${Buffer.from(JSON.stringify(fixture)).toString('base64url')}`;
  const session = await openPlayground(hash);
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.click('#tab-storage');
    await setSpeed(page, 0);
    await page.click('#play');
    // The story of the last job changes as jobs start: catch one that dropped expiries.
    const story = await page.waitForFunction(() => {
      const text = document.querySelector('#last-compaction')?.textContent ?? '';
      return /, dropped [1-9][\d,]* expired entries \([^)]+\), committed at/.test(text) && text;
    }, null, { timeout: 120000 });
    assert.match(await story.jsonValue(), /wrote \d+ SSTs \([^)]+\), dropped/);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
