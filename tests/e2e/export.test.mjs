// Exports and uploads: the Scenario tab saves the run as a Perfetto trace (Chrome trace-event
// JSON) and as a metrics CSV, the same bytes `strata run --trace-out/--metrics-out` writes for
// the same scenario; every chart saves itself as a standalone SVG; the Recommender tab
// evaluates an uploaded log in `strata ope`'s format, and a bad or oversized file gets the
// CLI's line-numbered message or a clear limit. No console error throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { scratchDir } from './scratch.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openPlayground, screenshot, waitIdle, playUntil, setSpeed } from './harness.mjs';

const SCENARIOS = new URL('../scenarios/', import.meta.url);

async function saved(page, selector) {
  const download = page.waitForEvent('download');
  await page.click(selector);
  const file = await download;
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
}

test('the run saves as a Perfetto trace and a metrics CSV, as strata run writes them', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.click('#tab-scenario');
    await page.selectOption('#examples', 'compaction');
    await page.waitForFunction(() => /compaction/.test(document.querySelector('#message')?.textContent ?? ''));
    await page.click('#run-to-end');
    const finalHash = await page.locator('#final-hash').textContent({ timeout: 90000 });
    await waitIdle(page);
    await page.click('#tab-scenario');

    const trace = await saved(page, '#save-trace');
    assert.equal(trace.name, 'strata-compaction-seed21-trace.json');
    const json = JSON.parse(trace.text);
    assert.equal(json.displayTimeUnit, 'ms');
    assert.equal(json.otherData.trace_hash, finalHash);
    const events = json.traceEvents;
    const threads = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args.name]));
    for (const track of ['client ops', 'store: wal', 'store: flush', 'store: compaction', 'flushes', 'compactions']) {
      assert.ok([...threads.values()].includes(track), `a ${track} track: ${[...threads.values()]}`);
    }
    // The format's documented fields: complete events have ts and dur in microseconds, on a
    // named thread of process 1.
    const spans = events.filter((e) => e.ph === 'X');
    assert.ok(spans.length > 1000, `${spans.length} spans`);
    for (const e of spans) {
      assert.ok(Number.isFinite(e.ts) && e.ts >= 0 && Number.isFinite(e.dur) && e.dur >= 0, JSON.stringify(e));
      assert.equal(e.pid, 1);
      assert.ok(threads.has(e.tid), `span on an unnamed thread: ${JSON.stringify(e)}`);
    }
    assert.ok(spans.some((e) => threads.get(e.tid).startsWith('compactions') && e.dur > 0), 'a compaction span');
    await page.waitForFunction(() => /Saved the trace/.test(document.querySelector('#message')?.textContent ?? ''));

    const metrics = await saved(page, '#save-metrics');
    assert.equal(metrics.name, 'strata-compaction-seed21-metrics.csv');
    const lines = metrics.text.trimEnd().split('\n');
    assert.match(lines[0], /^time_s,writes_ok,reads_ok,ops_failed,write_latency_ms_mean,/);
    assert.ok(lines.length >= 8, `a row a simulated second: ${lines.length - 1}`);
    const width = lines[0].split(',').length;
    assert.ok(lines.every((line) => line.split(',').length === width));

    // The native CLI writes the same bytes, when a build of it is at hand.
    if (process.env.STRATA_CLI) {
      const dir = scratchDir('strata-e2e-export-');
      const [traceOut, metricsOut] = [join(dir, 'trace.json'), join(dir, 'metrics.csv')];
      execFileSync(process.env.STRATA_CLI, ['run', new URL('compaction.json', SCENARIOS).pathname, '--quiet',
        '--trace-out', traceOut, '--metrics-out', metricsOut]);
      assert.equal(readFileSync(traceOut, 'utf8'), trace.text, 'strata run --trace-out writes the page\'s trace');
      assert.equal(readFileSync(metricsOut, 'utf8'), metrics.text, 'strata run --metrics-out writes the page\'s CSV');
    }
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

/** Checks a saved chart: a standalone SVG document that parses and needs no page style. */
async function checkStandaloneSvg(page, file, expectedName) {
  assert.equal(file.name, expectedName);
  assert.match(file.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg /);
  assert.match(file.text, /xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.doesNotMatch(file.text, /var\(--/, 'colours resolved, not CSS variables');
  assert.match(file.text, /style="[^"]*stroke:/);
  const verdict = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const root = doc.documentElement;
    // A fixed size, the view box's width and height.
    const [, , width, height] = (root.getAttribute('viewBox') ?? '').trim().split(/\s+/);
    const sized = width !== undefined && root.getAttribute('width') === width && root.getAttribute('height') === height;
    return { error: doc.querySelector('parsererror')?.textContent ?? null, root: root.localName, sized };
  }, file.text);
  assert.deepEqual(verdict, { error: null, root: 'svg', sized: true });
}

test('every chart saves as a standalone SVG', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await setSpeed(page, 2); // 100×
    await playUntil(page, 20);
    // The storage view's latency histograms.
    const histograms = page.locator('.storage-layout figure.chart .svg-save-button');
    assert.ok(await histograms.count() >= 1);
    const histogram = await saved(page, '.storage-layout figure.chart:has(svg) .svg-save-button');
    assert.match(histogram.name, /^strata-[a-z0-9-]+\.svg$/);
    await checkStandaloneSvg(page, histogram, histogram.name);
    // The recommender's line charts and the OPE figure.
    await page.click('#tab-recommender');
    await page.locator('#chart-regret polyline').first().waitFor();
    for (const id of ['chart-regret', 'chart-ctr', 'chart-coverage', 'chart-gini']) {
      const file = await saved(page, `#${id} .svg-save-button`);
      await checkStandaloneSvg(page, file, `strata-${id}.svg`);
    }
    const regret = await saved(page, '#chart-regret .svg-save-button');
    assert.match(regret.text, /<polyline /);
    assert.match(regret.text, /Cumulative regret|expected clicks lost/);
    await page.locator('#ope-chart').waitFor({ timeout: 10000 });
    const ope = await saved(page, 'figure:has(#ope-chart) .svg-save-button');
    await checkStandaloneSvg(page, ope, 'strata-ope-chart.svg');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

const GOOD_LOG = [
  'action,reward,propensity,position',
  ...Array.from({ length: 400 }, (_, i) => `${i % 4},${i % 3 === 0 ? 1 : 0},0.25,${i % 2}`),
].join('\n') + '\n';
const BAD_LOG = 'action,reward,propensity\n0,1,0.5\n1,0,1.5\n';

test('the recommender tab evaluates an uploaded log and refuses a bad one by line', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.click('#tab-recommender');
    await page.locator('#ope-upload').waitFor();
    await page.locator('#ope-upload').setInputFiles({ name: 'logged.csv', mimeType: 'text/csv', buffer: Buffer.from(GOOD_LOG) });
    await page.locator('#ope-upload-chart').waitFor({ timeout: 10000 });
    const names = await page.locator('#ope-upload-chart .estimate text:first-child').allTextContents();
    assert.deepEqual(names, ['replay', 'ips', 'snips', 'dm', 'dr', 'sndr', 'switch_dr', 'dros']);
    const result = await page.locator('#ope-upload-result').textContent();
    assert.match(result, /“logged\.csv”: 400 rows; target: uniform random over 4 actions/);
    // Each estimator with its interval: value [low, high].
    assert.equal((await page.locator('#ope-upload-chart').textContent()).match(/\d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\]/g).length, 8);
    await screenshot(page, 'ope-upload');

    await page.locator('#ope-upload').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_LOG) });
    await page.locator('#ope-upload-error').waitFor();
    const message = await page.locator('#ope-upload-error').textContent();
    assert.match(message, /^bad\.csv: log, line 3: .*1\.5/);
    if (process.env.STRATA_CLI) {
      // The CLI's message for the same file is the same line.
      const dir = scratchDir('strata-e2e-ope-');
      writeFileSync(join(dir, 'bad.csv'), BAD_LOG);
      writeFileSync(join(dir, 'pi.csv'), '0.5\n0.5\n');
      const cli = spawnSync(process.env.STRATA_CLI, ['ope', '--log', join(dir, 'bad.csv'), '--target', join(dir, 'pi.csv')], { encoding: 'utf8' });
      assert.equal(cli.status, 1);
      assert.equal(`bad.csv: ${cli.stderr.trim().replace(/^error: /, '')}`, message);
    }

    const oversized = Buffer.alloc(8 * 1024 * 1024 + 1, 'a');
    await page.locator('#ope-upload').setInputFiles({ name: 'huge.csv', mimeType: 'text/csv', buffer: oversized });
    await page.waitForFunction(() => /huge\.csv/.test(document.querySelector('#ope-upload-error')?.textContent ?? ''));
    assert.match(await page.locator('#ope-upload-error').textContent(), /over the 8(\.0)? MiB limit/);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
