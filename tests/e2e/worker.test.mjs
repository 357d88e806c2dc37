// The page's worker: it starts (the body says `data-worker="on"`); with its script blocked
// (`?noworker` makes the page ask for one that does not exist) the page says it will be slower
// and answers the same requests itself (`data-worker="off"`), with the same side-by-side figures
// and the same exported files; a panic in the worker reaches the page's banner with its message;
// an export shows its progress and can be cancelled. No other console error throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openPlayground, waitIdle, screenshot, setSpeed, playUntil, NOWORKER } from './harness.mjs';

// These tests choose the worker's mode themselves.
const WORKER_ONLY = { skip: NOWORKER && 'run with the worker only' };

const CHAPTER = 'wal-batching';
// What a blocked worker script logs: its failed load, and the worker's error event.
const BLOCKED = /worker-blocked-by-the-address|404|Failed to load resource/;

async function workerState(page) {
  await page.waitForFunction(() => document.body.dataset.worker, null, { timeout: 30000 });
  return page.evaluate(() => document.body.dataset.worker);
}

async function counterIs(page, text, timeout = 90000) {
  await page.waitForFunction(
    (t) => document.querySelector('#beat-counter')?.textContent === t, text, { timeout });
}

async function inStep(page) {
  await waitIdle(page);
  await page.waitForFunction(() => !document.querySelector('#compare')?.dataset.catchingUp, null, { timeout: 60000 });
  return page.evaluate(() => {
    const panel = document.querySelector('#compare');
    return [panel.dataset.baseNs, panel.dataset.variantNs];
  });
}

/** Every figure of the compare panel (path, base, variant) and the variant's hash. */
async function figures(page) {
  return page.evaluate(() => ({
    rows: [...document.querySelectorAll('#compare tbody tr')].map((tr) => [
      tr.querySelector('th').title,
      ...[...tr.querySelectorAll('td[data-value]')].map((td) => td.dataset.value),
    ]),
    hash: document.querySelector('#compare-hash')?.textContent,
  }));
}

/** Opens the chapter (with `query` before the fragment), plays two beats, and reads the panel. */
async function chapterFigures(query) {
  const session = await openPlayground(`${query}#chapter=${CHAPTER}`);
  try {
    const { page } = session;
    const state = await workerState(page);
    await page.locator('#compare').waitFor({ timeout: 30000 });
    await page.evaluate(() => document.activeElement?.blur());
    const n = await page.evaluate(async (name) => (await (await fetch(`chapters/${name}.json`)).json()).beats.length, CHAPTER);
    await page.keyboard.press('ArrowRight');
    await counterIs(page, `beat 1 of ${n}`);
    await page.keyboard.press('ArrowRight');
    await counterIs(page, `beat 2 of ${n}`);
    const [base, variant] = await inStep(page);
    assert.equal(variant, base, 'the variant is at the run\'s time');
    const shown = await figures(page);
    const banner = await page.locator('#worker-banner').isVisible();
    return { state, shown, banner, session };
  } catch (error) {
    await session.close();
    throw error;
  }
}

test('the worker starts, and the side-by-side figures are the same with it and without it', WORKER_ONLY, async () => {
  const withWorker = await chapterFigures('');
  try {
    assert.equal(withWorker.state, 'on');
    assert.equal(withWorker.banner, false, 'no banner while the worker runs');
    withWorker.session.assertNoErrors();
  } finally {
    await withWorker.session.close();
  }
  const without = await chapterFigures('?noworker');
  try {
    assert.equal(without.state, 'off');
    assert.equal(without.banner, true);
    const text = await without.session.page.locator('#worker-banner').textContent();
    assert.match(text, /could not start the playground's worker.*slower/s);
    await screenshot(without.session.page, 'worker-fallback');
    const unexpected = without.session.errors.filter((e) => !BLOCKED.test(e));
    assert.deepEqual(unexpected, []);
  } finally {
    await without.session.close();
  }
  assert.ok(withWorker.shown.rows.length >= 4, JSON.stringify(withWorker.shown));
  assert.ok(withWorker.shown.rows.every(([, base, variant]) => base !== '' && variant !== ''),
    JSON.stringify(withWorker.shown.rows));
  assert.match(withWorker.shown.hash, /^[0-9a-f]{16,}$/);
  assert.deepEqual(without.shown, withWorker.shown);
});

// The page's wasm, once compiled and sent to the worker, held back from instantiating until the
// worker has said something (its start, or its script's failure to load): `index.html` started
// the worker before the page's wasm, so the host adopts a worker that already spoke, and must
// still hear it.
function holdThePageUntilTheWorkerSpeaks() {
  const Made = window.Worker;
  let spoke;
  const spoken = new Promise((resolve) => { spoke = resolve; });
  window.Worker = function (url, options) {
    const worker = new Made(url, options);
    worker.addEventListener('message', () => spoke());
    worker.addEventListener('error', () => spoke());
    return worker;
  };
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async (...args) => {
    await spoken;
    window.strataWorkerSpokeFirst = true;
    return instantiate(...args);
  };
}

test('the worker started before the page\'s wasm is adopted with what it said meanwhile, and a blocked one falls back', WORKER_ONLY, async () => {
  for (const [query, expected] of [['', 'on'], ['?noworker', 'off']]) {
    const session = await openPlayground(query, { initScript: holdThePageUntilTheWorkerSpeaks });
    try {
      const { page } = session;
      assert.equal(await workerState(page), expected, query);
      assert.equal(await page.evaluate(() => window.strataWorkerSpokeFirst), true, 'the page waited for the worker');
      assert.equal(await page.locator('#worker-banner').isVisible(), expected === 'off', query);
      await setSpeed(page, 2);
      await playUntil(page, 1);
      const unexpected = session.errors.filter((e) => !BLOCKED.test(e));
      assert.deepEqual(unexpected, [], query);
    } finally {
      await session.close();
    }
  }
});

test('a panic in the worker reaches the page\'s banner with its message', WORKER_ONLY, async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    assert.equal(await workerState(page), 'on');
    await page.evaluate(() => window.strataWorkerPanicForTests());
    const banner = page.locator('#panic-banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /Something went wrong.*deliberate panic.*in the worker/s);
    await page.waitForFunction(() => document.body.dataset.worker === 'dead');
    assert.ok((await page.locator('#app').innerText()).length > 100, 'the page is not blank');
    const unexpected = session.errors.filter((e) => !/deliberate panic|unreachable|RuntimeError/.test(e));
    assert.deepEqual(unexpected, []);
  } finally {
    await session.close();
  }
});

async function saved(page, selector) {
  const download = page.waitForEvent('download');
  await page.click(selector);
  const file = await download;
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
}

/** Runs the `compaction` example to its end and saves its metrics, with `query` in the address. */
async function savedMetrics(query) {
  const session = await openPlayground(query);
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await workerState(page);
    await page.click('#tab-scenario');
    await page.selectOption('#examples', 'compaction');
    await page.waitForFunction(() => /compaction/.test(document.querySelector('#message')?.textContent ?? ''));
    await page.click('#run-to-end');
    await page.locator('#final-hash').waitFor({ timeout: 90000 });
    await waitIdle(page);
    await page.click('#tab-scenario');
    const file = await saved(page, '#save-metrics');
    return { file, errors: session.errors };
  } finally {
    await session.close();
  }
}

test('an export made on the page when the worker is blocked is the worker\'s file', WORKER_ONLY, async () => {
  const fromWorker = await savedMetrics('');
  assert.deepEqual(fromWorker.errors, []);
  const fromPage = await savedMetrics('?noworker');
  assert.deepEqual(fromPage.errors.filter((e) => !BLOCKED.test(e)), []);
  assert.equal(fromPage.file.name, fromWorker.file.name);
  assert.ok(fromWorker.file.text.split('\n').length > 5);
  assert.equal(fromPage.file.text, fromWorker.file.text);
});

test('an export shows its progress and a cancel stops it', WORKER_ONLY, async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    assert.equal(await workerState(page), 'on');
    await setSpeed(page, 3); // 1000×
    await playUntil(page, 120, 120000);
    await waitIdle(page);
    await page.click('#tab-scenario');
    await page.click('#save-trace');
    await page.locator('#export-progress').waitFor({ timeout: 10000 });
    assert.equal(await page.locator('#save-trace').isDisabled(), true, 'one export at a time');
    await page.click('#export-cancel');
    await page.waitForFunction(() => /export was cancelled/.test(document.querySelector('#message')?.textContent ?? ''));
    assert.equal(await page.locator('#export-progress').count(), 0);
    // The page goes on, and a new export runs to its file.
    const file = await saved(page, '#save-metrics');
    assert.match(file.name, /-metrics\.csv$/);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
