// Shared set-up for the end-to-end tests: launches Debian's Chromium through playwright-core
// (no browser download), opens the playground, and records every console error and uncaught
// page error so that a test fails on any of them.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { scratchDir, removeScratch } from './scratch.mjs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export const BASE_URL = process.env.STRATA_BASE_URL ?? 'http://127.0.0.1:8080/';
const EXECUTABLE = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = process.env.STRATA_ARTIFACTS ?? join(process.cwd(), 'artifacts');

const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/** With STRATA_E2E_NOWORKER=1 every test opens the page with `?noworker`: its worker's script is
 * blocked and the page runs the simulation on its main thread (the fallback). */
export const NOWORKER = process.env.STRATA_E2E_NOWORKER === '1';
/** What a blocked worker script logs: its failed load, and the worker's error event. */
const BLOCKED_WORKER = /worker-blocked-by-the-address|Failed to load resource/;

/** Launches Chromium and opens `path` (relative to the base URL); `options` are Playwright's
 * context options (a viewport, `hasTouch` for a phone), over the desktop defaults, and
 * `initScript`, a function run in the page before its own scripts. */
export async function openPlayground(path = '', { initScript, ...options } = {}) {
  const userDataDir = scratchDir('strata-e2e-');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: EXECUTABLE,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 1000 },
    ...options,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
  if (initScript) await page.addInitScript(initScript);
  const url = new URL(path, BASE_URL);
  // A path or a whole link (a share link the page wrote) that asks for no query of its own.
  if (NOWORKER && url.search === '') url.search = '?noworker';
  await page.goto(url.toString());
  return {
    page,
    errors,
    async close() {
      await context.close();
      removeScratch(userDataDir);
    },
    /** Fails the test if the page logged any error but those `expected` accepts. */
    assertNoErrors(expected = () => false) {
      const unexpected = errors.filter((e) => !expected(e) && !(NOWORKER && BLOCKED_WORKER.test(e)));
      assert.deepEqual(unexpected, [], `the page logged errors:\n${unexpected.join('\n')}`);
    },
  };
}

/** The page's address without its query: the share link the page writes for it (the query,
 * `?noworker` in the fallback's runs, is the page's own and not part of a link). */
export function linkOf(page) {
  const address = new URL(page.url());
  address.search = '';
  return address.toString();
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  // A full-page capture draws the sticky time bar where the page was scrolled; pin it on top.
  await page.addStyleTag({ content: '.time-bar { position: static !important; }' });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export async function numberIn(page, selector) {
  const text = await page.locator(selector).textContent();
  return Number.parseFloat(text.replace(/[^0-9.]/g, ''));
}

/** Simulated seconds shown in the time bar. */
export async function simSeconds(page) {
  return numberIn(page, '#sim-time');
}

/** Waits until no re-simulation or run-to-end is in progress. */
export async function waitIdle(page, timeout = 30000) {
  // Let the page render what the last action started before looking.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await settled(page, timeout);
  await page.waitForFunction(() => !document.querySelector('#progress'), null, { timeout });
}

/** Waits until the run (in the page's worker) has answered every request the page sent. */
export async function settled(page, timeout = 30000) {
  await page.waitForFunction(() => !document.querySelector('.time-bar')?.dataset.awaiting, null, { timeout });
}

/** Plays until simulated time reaches `seconds`, then pauses. */
export async function playUntil(page, seconds, timeout = 30000) {
  await page.click('#play');
  await page.waitForFunction(
    (s) => Number.parseFloat(document.querySelector('#sim-time').textContent) >= s, seconds, { timeout });
  await page.click('#play');
  await settled(page, timeout);
}

/** Sets the speed slider to 10^log10 (×). */
export async function setSpeed(page, log10) {
  await page.locator('#speed').fill(String(log10));
}

/** Types a value into a field and leaves it with Tab, as a user does (one change event). */
export async function commit(page, selector, value) {
  await page.fill(selector, String(value));
  await page.locator(selector).press('Tab');
}

/** A short scenario document, for tests that run to the end. */
export function shortScenario(overrides = {}) {
  return {
    version: 1,
    name: 'e2e-short',
    seed: 7,
    duration_ms: 6000,
    workload: { rate_ops_per_sec: 300, key_count: 500, mix: { read: 0.3, write: 0.7 }, await_durable: true },
    engine: { memtable_bytes: 32768, flush_interval_ms: 50 },
    store: { preset: 's3_express' },
    ...overrides,
  };
}

/** Starts recording whether `selector` ever appears (even for a single frame). */
export async function watchFor(page, selector) {
  await page.evaluate((sel) => {
    window.__seen = window.__seen ?? {};
    window.__seen[sel] = !!document.querySelector(sel);
    new MutationObserver(() => {
      if (document.querySelector(sel)) window.__seen[sel] = true;
    }).observe(document.body, { childList: true, subtree: true });
  }, selector);
  return async () => page.evaluate((sel) => window.__seen[sel], selector);
}

/** Clicks *Cancel* in the same turn of the page's event loop as the button first appears, so
 * that the work it cancels cannot finish between seeing the button and clicking it (as it can
 * with a click from the test on a loaded machine). Returns a function that says whether it
 * clicked. */
export async function cancelOnSight(page) {
  await page.evaluate(() => {
    window.__cancelled = false;
    const observer = new MutationObserver(() => {
      const button = document.querySelector('#cancel-rebuild');
      if (!button) return;
      observer.disconnect();
      button.click();
      window.__cancelled = true;
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
  return async () => page.evaluate(() => window.__cancelled);
}
