// What the chapter tests share: the page's chapter files, the beat counter, and a walk through
// every beat of a chapter by keyboard.
import assert from 'node:assert/strict';
import { BASE_URL } from './harness.mjs';

/** The served JSON file at `path` (relative to the base URL). */
export async function fetchJson(path) {
  const response = await fetch(new URL(path, BASE_URL));
  assert.equal(response.status, 200, path);
  return response.json();
}

/** Waits until the beat counter reads `text`. */
export async function counterIs(page, text, timeout = 90000) {
  await page.waitForFunction(
    (t) => document.querySelector('#beat-counter')?.textContent === t, text, { timeout });
}

/** Waits for `entry`'s title and question, then walks every beat of `chapter` with the two keys
 * a presentation clicker sends for "next" (→ and PageDown, in turn), checking the counter and
 * the caption at each, and `atBeat(beat, k)`, the caller's own checks; nothing comes after the
 * last beat. */
export async function walkChapter(page, entry, chapter, atBeat = async () => {}) {
  const n = chapter.beats.length;
  await page.waitForFunction((t) => document.querySelector('#chapter-title')?.textContent === t, entry.title,
    { timeout: 30000 });
  assert.equal(await page.locator('#chapter-question').textContent(), entry.question);
  await counterIs(page, `before beat 1 of ${n}`);
  await page.evaluate(() => document.activeElement?.blur());
  for (let k = 1; k <= n; k += 1) {
    await page.keyboard.press(k % 2 === 1 ? 'ArrowRight' : 'PageDown');
    await counterIs(page, `beat ${k} of ${n}`);
    const beat = chapter.beats[k - 1];
    assert.equal(await page.locator('#chapter-caption').textContent(), beat.caption, `${entry.name} beat ${k}`);
    await atBeat(beat, k);
  }
  assert.equal(await page.locator('#beat-next').isDisabled(), true, `${entry.name}: nothing after the last beat`);
}
