// What bench/page.mjs and bench/worker.mjs share: the scenarios, Chromium's flags and the wall
// time of the page's *Run to end*.

/** Chromium's flags for a benchmark: no sandbox, GPU or background traffic to add noise. */
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** About 600,000 client operations at `rate` per simulated second (30 % gets, 70 % puts). */
export function scenario(rate) {
  return {
    version: 1,
    name: `bench-${rate / 1000}k`,
    seed: 1,
    duration_ms: Math.round(600_000_000 / rate),
    workload: { rate_ops_per_sec: rate, mix: { read: 0.3, write: 0.7 }, key_count: 100000 },
    store: { preset: 's3_standard' },
  };
}

/**
 * Arms a timer in the page: from the click on *Run to end* (the event's own time stamp) to the
 * final hash appearing. Call it before the click; `runToEndSeconds` reads the result.
 */
export async function armRunToEndTimer(page) {
  await page.evaluate(() => {
    window.__toEnd = new Promise((resolve) => {
      let clickAt;
      document.addEventListener('click', (e) => {
        if (e.target.closest('#run-to-end')) clickAt = e.timeStamp;
      }, { capture: true, once: true });
      new MutationObserver((_, observer) => {
        if (clickAt !== undefined && document.querySelector('#final-hash')) {
          observer.disconnect();
          resolve((performance.now() - clickAt) / 1000);
        }
      }).observe(document.body, { subtree: true, childList: true });
    });
  });
}

/** Waits for the armed timer: wall seconds from the click to the final hash. */
export function runToEndSeconds(page) {
  return page.evaluate(() => window.__toEnd);
}
