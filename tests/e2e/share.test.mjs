// Share links, import and export: a link reproduces the run and its trace hash (at a moment
// and at the end), live control changes and injected faults included; a malformed, outdated
// or refused link, opened or pasted, gives a clear message and stays in the address bar (the
// page falls back to the defaults, or keeps the run it had); a scenario file loads; a bad
// file is refused; the current scenario downloads as JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { scratchDir } from './scratch.mjs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  openPlayground, screenshot, waitIdle, playUntil, commit, shortScenario, BASE_URL, NOWORKER,
  linkOf,
} from './harness.mjs';

async function importScenario(page, name, text) {
  await page.click('#tab-scenario');
  await page.locator('#import-file').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
}

async function goTo(page, ms) {
  await commit(page, '#goto-ms', ms);
  await waitIdle(page);
  assert.equal(await page.locator('#sim-time').textContent(), `${(ms / 1000).toFixed(3)} s`);
}

async function runToEnd(page) {
  await page.click('#run-to-end');
  await page.locator('#final-hash').waitFor({ timeout: 60000 });
  return page.locator('#final-hash').textContent();
}

test('a link round trip reaches the same trace hash, at a moment and at the end', async () => {
  const first = await openPlayground();
  let link;
  let moment;
  let hashAtMoment;
  let finalHash;
  let document;
  try {
    const { page } = first;
    await page.locator('#play').waitFor();
    await importScenario(page, 'short.json', JSON.stringify(shortScenario()));
    await page.waitForFunction(() => /Loaded “e2e-short”/.test(document.querySelector('#message')?.textContent ?? ''));
    // To each moment by *go to*, not Play then Pause: Pause lands where the run has got to when
    // the click arrives, which on a loaded machine was past the 6 s scenario's end (the fault
    // then came after it and was not in the link).
    await goTo(page, 1200);
    await page.click('#tab-storage');
    await commit(page, '#rate', 900); // a live control, recorded at its time, in the link
    await goTo(page, 1500);
    await page.click('#inject-outage'); // a fault at its time, in the link
    await waitIdle(page);
    await playUntil(page, 2.5); // and the run goes on with both
    await commit(page, '#goto-ms', 2000);
    await waitIdle(page);
    hashAtMoment = await page.locator('#trace-hash').textContent();
    await page.click('#tab-scenario');
    link = await page.locator('#share-link').inputValue();
    moment = await page.locator('#moment-link').inputValue();
    assert.match(moment, /&at=2000$/);
    assert.equal(new URL(link).hash.startsWith('#s=v1.'), true);
    assert.equal(linkOf(page), link, 'the address bar holds the link too');
    document = await page.locator('#scenario-json').textContent();
    finalHash = await runToEnd(page);
    first.assertNoErrors();
  } finally {
    await first.close();
  }
  // The moment link re-simulates to 2.000 s and shows the same hash.
  const second = await openPlayground(moment);
  try {
    const { page } = second;
    await page.locator('#trace-hash').waitFor();
    await waitIdle(page);
    assert.equal(await page.locator('#sim-time').textContent(), '2.000 s');
    assert.equal(await page.locator('#trace-hash').textContent(), hashAtMoment);
    assert.equal(await runToEnd(page), finalHash, 'the same final trace hash');
    await page.click('#tab-scenario');
    assert.equal(await page.locator('#scenario-json').textContent(), document);
    assert.match(document, /"outage"/);
    assert.match(document, /"set": "workload"/);
    await screenshot(page, 'share-round-trip');
    second.assertNoErrors();
  } finally {
    await second.close();
  }
  // The native CLI agrees, when a build of it is at hand (STRATA_CLI=path/to/strata).
  if (process.env.STRATA_CLI) {
    const dir = scratchDir('strata-e2e-');
    const file = join(dir, 'scenario.json');
    writeFileSync(file, document);
    const summary = JSON.parse(execFileSync(process.env.STRATA_CLI, ['run', file], { encoding: 'utf8' }));
    assert.equal(summary.trace_hash, finalHash, 'strata run gives the same trace hash');
  }
});

test('malformed and outdated links give a clear message and fall back to the defaults', async () => {
  for (const [hash, pattern] of [
    ['#s=v1.%%%not-base64', /could not be used/],
    ['#s=v9.eyJ2ZXJzaW9uIjoxfQ', /format "v9" is not supported/],
    [`#s=v1.${Buffer.from('{"version":0,"seed":1,"duration_ms":5}').toString('base64url')}`, /unsupported scenario version 0/],
  ]) {
    const session = await openPlayground(hash);
    try {
      const { page } = session;
      await page.locator('#message').waitFor();
      const message = await page.locator('#message').textContent();
      assert.match(message, pattern);
      assert.match(message, /defaults/);
      assert.equal(await page.locator('#seed').inputValue(), '42', 'the default scenario');
      await playUntil(page, 0.5);
      assert.equal(new URL(page.url()).hash, new URL(hash, BASE_URL).hash, 'the refused link stays in the address bar');
      session.assertNoErrors();
    } finally {
      await session.close();
    }
  }
});

test('a link whose scenario an owner refuses says why and stays in the address bar', async () => {
  // 32 MiB blocks: within the scenario's own range, over the engine's 16 MiB cap.
  const scenario = shortScenario({ engine: { block_bytes: 33554432 } });
  const hash = `#s=v1.${Buffer.from(JSON.stringify(scenario)).toString('base64url')}`;
  const session = await openPlayground(hash);
  try {
    const { page } = session;
    await page.locator('#message').waitFor();
    const message = await page.locator('#message').textContent();
    assert.match(message, /block_bytes must be between 64 and 16 MiB/);
    assert.doesNotMatch(message, /Loaded/);
    assert.equal(await page.locator('#seed').inputValue(), '42', 'the default scenario');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal(new URL(page.url()).hash, hash, 'the refused link is left in the address bar');
    // Changing the scenario puts the running one's link there.
    await page.fill('#rate', '150');
    await page.locator('#rate').press('Tab');
    await page.waitForFunction((h) => window.location.hash !== h, hash);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a bad link pasted while a run plays says why, keeps the run and stays in the address bar', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await playUntil(page, 0.5); // and paused there, so the run's moment can be compared
    const before = await page.locator('#trace-hash').textContent();
    const time = await page.locator('#sim-time').textContent();
    const refused = `#s=v1.${Buffer.from(JSON.stringify(shortScenario({ engine: { block_bytes: 33554432 } }))).toString('base64url')}`;
    for (const [hash, pattern] of [
      ['#s=v9.eyJ2ZXJzaW9uIjoxfQ', /format "v9" is not supported/],
      [refused, /block_bytes must be between 64 and 16 MiB/],
    ]) {
      await page.evaluate((h) => { window.location.hash = h; }, hash);
      await page.waitForFunction((p) => new RegExp(p).test(document.querySelector('#message.error')?.textContent ?? ''), pattern.source);
      const message = await page.locator('#message').textContent();
      assert.match(message, /goes on unchanged/);
      assert.doesNotMatch(message, /Loaded/);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.equal(new URL(page.url()).hash, hash, 'the pasted link stays in the address bar');
      assert.equal(await page.locator('#trace-hash').textContent(), before, 'the run is the one it was');
      assert.equal(await page.locator('#sim-time').textContent(), time);
    }
    // Changing the scenario puts the running one's link back.
    await page.fill('#rate', '150');
    await page.locator('#rate').press('Tab');
    await page.waitForFunction((h) => window.location.hash.startsWith('#s=v1.') && window.location.hash !== h, refused);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a link put in the address while the page writes its own share link is followed, not overwritten', async () => {
  // The page's hash-change handler is held back, as a busy page holds it: the share link of a
  // scenario that changes meanwhile must not be written over the unread link.
  const session = await openPlayground('', {
    initScript: () => {
      window.__held = [];
      window.addEventListener('hashchange', (event) => {
        if (window.__held === null) return;
        event.stopImmediatePropagation();
        window.__held.push([event.oldURL, event.newURL]);
      }, true);
    },
  });
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.waitForFunction(() => window.location.hash.startsWith('#s=v1.'));
    await page.click('#tab-scenario');
    const before = await page.locator('#share-link').inputValue();
    await page.evaluate(() => { window.location.hash = '#chapter=wal-batching'; });
    await commit(page, '#seed', 7);
    await page.waitForFunction((old) => document.querySelector('#share-link').value !== old, before);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal(new URL(page.url()).hash, '#chapter=wal-batching', 'the unread link stays in the address bar');
    await page.evaluate(() => {
      const held = window.__held;
      window.__held = null;
      for (const [oldURL, newURL] of held) window.dispatchEvent(new HashChangeEvent('hashchange', { oldURL, newURL }));
    });
    const title = (await (await fetch(new URL('chapters/wal-batching.json', BASE_URL))).json()).title;
    await page.waitForFunction((t) => document.querySelector('#chapter-title')?.textContent === t, title);
    assert.equal(new URL(page.url()).hash, '#chapter=wal-batching');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

// Holds back the worker's messages, so it has no meaning when the page runs without a worker.
test('a link put in the address before the first frame is followed once the run has begun', { skip: NOWORKER }, async () => {
  // The worker's messages are held back, so the page has adopted its worker but has no frame.
  const session = await openPlayground('', {
    initScript: () => {
      window.__held = [];
      let adopt;
      Object.defineProperty(window, 'strataAdoptWorker', {
        set(real) { adopt = real; },
        get() {
          return (onMessage, onError) => adopt((event) => {
            if (window.__held === null) onMessage(event); else window.__held.push(() => onMessage(event));
          }, onError);
        },
      });
    },
  });
  try {
    const { page } = session;
    await page.waitForFunction(() => window.__held.length > 0);
    const token = Buffer.from(JSON.stringify(shortScenario({ seed: 5 }))).toString('base64url');
    await page.evaluate((t) => { window.location.hash = `#s=v1.${t}`; }, token);
    await page.waitForTimeout(500);
    assert.equal(new URL(page.url()).hash, `#s=v1.${token}`, 'the link waits in the address bar');
    // Every address the page writes from here on is the link's scenario: never the defaults'
    // link over the one waiting, not even for a frame.
    await page.evaluate(() => {
      window.__written = [];
      const replace = history.replaceState.bind(history);
      history.replaceState = (state, title, url) => {
        window.__written.push(String(url));
        replace(state, title, url);
      };
      const held = window.__held;
      window.__held = null;
      for (const deliver of held) deliver();
    });
    await page.waitForFunction(() => document.querySelector('#seed')?.value === '5');
    assert.match(await page.locator('#message').textContent(), /Loaded the scenario from the link/);
    await waitIdle(page);
    const written = await page.evaluate(() => window.__written);
    assert.ok(written.length > 0, 'the address bar was kept in step');
    for (const url of written) {
      const shared = url.match(/#s=v1\.([A-Za-z0-9_-]+)/);
      assert.ok(shared, `a share link: ${url}`);
      assert.equal(JSON.parse(Buffer.from(shared[1], 'base64url').toString()).seed, 5, url);
    }
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('import a scenario file, refuse a bad one, and export the current one', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await playUntil(page, 1);
    await importScenario(page, 'notes.txt', 'this is not a scenario');
    await page.waitForFunction(() => /notes\.txt/.test(document.querySelector('#message')?.textContent ?? ''));
    assert.match(await page.locator('#message').textContent(), /not a scenario this playground can load/);
    assert.notEqual(await page.locator('#sim-time').textContent(), '0.000 s', 'the run goes on unchanged');
    await importScenario(page, 'old.json', JSON.stringify({ ...shortScenario(), version: 0 }));
    await page.waitForFunction(() => /old\.json/.test(document.querySelector('#message')?.textContent ?? ''));
    assert.match(await page.locator('#message').textContent(), /version/);
    await importScenario(page, 'short.json', JSON.stringify(shortScenario({ seed: 99 })));
    await page.waitForFunction(() => document.querySelector('#seed').value === '99');
    assert.equal(await page.locator('#sim-time').textContent(), '0.000 s');
    const download = page.waitForEvent('download');
    await page.click('#export');
    const file = await download;
    assert.equal(file.suggestedFilename(), 'strata-e2e-short-seed99.json');
    const saved = JSON.parse(readFileSync(await file.path(), 'utf8'));
    assert.equal(saved.seed, 99);
    assert.equal(saved.version, 1);
    assert.equal(saved.duration_ms, 6000);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a link pasted into the address bar of an open page loads, a bad one is refused', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await playUntil(page, 0.5);
    await page.evaluate(() => { window.location.hash = '#s=v1.broken!'; });
    await page.waitForFunction(() => /goes on unchanged/.test(document.querySelector('#message')?.textContent ?? ''));
    assert.equal(await page.locator('#seed').inputValue(), '42');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal(new URL(page.url()).hash, '#s=v1.broken!', 'the refused link stays in the address bar');
    const token = Buffer.from(JSON.stringify(shortScenario({ seed: 5 }))).toString('base64url');
    await page.evaluate((t) => { window.location.hash = `#s=v1.${t}`; }, token);
    await page.waitForFunction(() => document.querySelector('#seed').value === '5');
    assert.equal(await page.locator('#sim-time').textContent(), '0.000 s');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
