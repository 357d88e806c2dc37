// The wall time of the page's *Run to end*, as bench/page.mjs and bench/worker.mjs measure it.

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
