// A panic inside the app shows the error banner, never a blank page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot } from './harness.mjs';

test('a panic shows the error banner and the page stays readable', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await page.evaluate(() => {
      try { window.strataPanicForTests(); } catch (_) { /* the abort after the hook */ }
    });
    const banner = page.locator('#panic-banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /Something went wrong.*deliberate panic/s);
    assert.ok((await page.locator('#app').innerText()).length > 100, 'the page is not blank');
    await screenshot(page, 'panic-banner');
    // The panic is logged on purpose; nothing else may be.
    const deliberate = /deliberate panic|unreachable|RuntimeError/;
    session.assertNoErrors((e) => deliberate.test(e));
  } finally {
    await session.close();
  }
});
