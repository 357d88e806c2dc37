// Explain in the timeline: clicking a request shows its cause chain (the request, the WAL
// object or operation it was made for, whom that served, with counts and shares), Enter on a
// focused request does the same, and a slowest client operation, a button, lists the requests
// it waited for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot, setSpeed, shortScenario } from './harness.mjs';

/** Waits until the explain panel at `selector` shows the worker's answer, not that it is looking. */
async function answered(page, selector) {
  await page.waitForFunction((s) => {
    const panel = document.querySelector(s);
    return panel && !panel.hasAttribute('aria-busy');
  }, selector);
}

// Long enough that the run is still going when it is paused: at its end the durability check's
// read-backs (no client cause) would fill the read lane.
const scenario = shortScenario({
  name: 'e2e-explain',
  duration_ms: 60000,
  workload: { rate_ops_per_sec: 150, key_count: 500, mix: { read: 0.4, write: 0.6 }, await_durable: true },
});

test('a request shows its cause chain and an operation the requests it waited for', async () => {
  const session = await openPlayground(`#s=v1.${Buffer.from(JSON.stringify(scenario)).toString('base64url')}`);
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await setSpeed(page, 0); // 1×
    // Play until a read's GET is in the window (a get served from the memtable sends none),
    // then pause so the bars hold still.
    await page.click('#play');
    await page.waitForSelector('.request-bar[data-cause="read"]', { timeout: 30000 });
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) >= 1.5);
    await page.click('#play');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

    // The oldest WAL PUT in the window has landed and settled: its writes share it.
    await page.locator('.request-bar[data-cause="wal"]').first().click();
    const chain = page.locator('#request-chain');
    await chain.waitFor();
    // The worker answers: the panel says it is looking until then.
    await answered(page, '#request-chain');
    const walChain = await chain.textContent();
    assert.match(walChain, /PUT db\/wal\/\d+\.wal/, walChain);
    assert.match(walChain, /made for WAL object \d+/, walChain);
    assert.match(walChain, /shared by:/, walChain);
    assert.match(walChain, /[\d.]+ (put|batch|delete) writes · [\d.]+% of its cost/, walChain);

    // Keyboard: Enter on a read's GET leads to the client operation that sent it.
    const read = page.locator('.request-bar[data-cause="read"]').first();
    await read.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /client operation #\d+/.test(document.querySelector('#request-chain')?.textContent ?? ''));
    await answered(page, '#request-chain');
    const readChain = await chain.textContent();
    assert.match(readChain, /GET db\/sst\//, readChain);
    assert.match(readChain, /made by client operation #\d+: (get|scan) k\d+/, readChain);
    await page.click('#chain-operation');
    const operation = page.locator('#operation-requests');
    await operation.waitFor();
    await answered(page, '#operation-requests');
    const readOp = await operation.textContent();
    assert.match(readOp, /It waited for its own requests/, readOp);
    assert.match(readOp, /GET db\/sst\/\d+\.sst · read/, readOp);

    // The slowest operations are buttons; the slowest one lists what it waited for.
    const slowest = page.locator('#slowest-ops button.slow-op');
    assert.ok(await slowest.count() >= 5, 'the slowest operations are listed');
    await slowest.first().click();
    await answered(page, '#operation-requests');
    const slowText = await operation.textContent();
    assert.match(slowText, /Client operation #\d+/, slowText);
    assert.match(slowText, /latency [\d.]+ (ms|s)/, slowText);
    assert.match(slowText, /It waited for (its own requests|its WAL object)/, slowText);
    assert.ok(await page.locator('#operation-requests li').count() >= 1, 'with its requests');
    await screenshot(page, 'explain-chain');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
