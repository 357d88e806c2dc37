// Shared set-up for the end-to-end tests: launches Debian's Chromium through playwright-core
// (no browser download), opens the playground, and records every console error and uncaught
// page error so that a test fails on any of them.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** Launches Chromium and opens `path` (relative to the base URL). */
export async function openPlayground(path = '') {
  const userDataDir = mkdtempSync(join(tmpdir(), 'strata-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: EXECUTABLE,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
  await page.goto(new URL(path, BASE_URL).toString());
  return {
    page,
    errors,
    async close() {
      await context.close();
    },
    /** Fails the test if the page logged any error. */
    assertNoErrors() {
      assert.deepEqual(errors, [], `the page logged errors:\n${errors.join('\n')}`);
    },
  };
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export async function numberIn(page, selector) {
  const text = await page.locator(selector).textContent();
  return Number.parseFloat(text.replace(/[^0-9.]/g, ''));
}
