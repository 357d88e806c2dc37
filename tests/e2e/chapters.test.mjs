// Chapters: a chapter opens from its address (#chapter=NAME, at boot and as a hash change),
// shows its title and question in the panel above the fold at 1280×720, and walks to its last
// beat with the keys a presentation clicker sends (→ and PageDown), the counter and the caption
// following; PageUp and ← go back a beat; the beat's figures are outlined; a name that does not
// exist gets a message that lists the chapters; the Chapters tab lists them all and opens one;
// a file that does not read shows its error. Every chapter is walked to its last beat in
// presenter mode (present.test.mjs), where each beat must also fit above the fold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot } from './harness.mjs';
import { fetchJson, counterIs, walkChapter } from './chapter_walk.mjs';

const FIGURES_CHECKED = ['puts-per-1000', 'lsm', 'write-amp', 'hist-read', 'hist-write'];

/** Walks `chapter` (see `walkChapter`), checking that each beat outlines its figures. */
async function walk(page, entry, chapter) {
  await walkChapter(page, entry, chapter, async (beat) => {
    for (const id of (beat.highlight ?? []).filter((f) => FIGURES_CHECKED.includes(f))) {
      await page.waitForFunction((i) => document.getElementById(i)?.classList.contains('beat-highlight'), id,
        { timeout: 5000 });
    }
  });
}

test('a chapter opens from its address, walks to its last beat by keyboard and back, then another', async () => {
  const index = await fetchJson('chapters/index.json');
  assert.ok(index.length >= 11, `${index.length} chapters`);
  const [first] = index;
  const session = await openPlayground(`#chapter=${first.name}`);
  try {
    const { page } = session;
    await page.setViewportSize({ width: 1280, height: 720 });
    const firstChapter = await fetchJson(`chapters/${first.name}.json`);
    await page.locator('#chapter-title').waitFor({ timeout: 30000 });
    const panel = await page.locator('#chapter').boundingBox();
    assert.ok(panel.y + panel.height <= 720, `the chapter panel ends at ${panel.y + panel.height}px, below the fold`);
    await screenshot(page, 'chapter-start');
    await walk(page, first, firstChapter);
    assert.ok(page.url().endsWith(`#chapter=${first.name}`), `the address keeps the chapter: ${page.url()}`);
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: `${process.env.STRATA_ARTIFACTS ?? 'artifacts'}/chapter-last-beat-1280x720.png` });

    // Back a beat (re-simulating to its stop), then forward again.
    const n = firstChapter.beats.length;
    await page.keyboard.press('PageUp');
    await counterIs(page, `beat ${n - 1} of ${n}`);
    assert.equal(await page.locator('#chapter-caption').textContent(), firstChapter.beats[n - 2].caption);
    await page.waitForFunction(() => !document.querySelector('#progress'), null, { timeout: 30000 });
    await page.keyboard.press('ArrowLeft');
    await counterIs(page, n > 2 ? `beat ${n - 2} of ${n}` : `before beat 1 of ${n}`);
    await page.waitForFunction(() => !document.querySelector('#progress'), null, { timeout: 30000 });
    await page.keyboard.press('ArrowRight');
    await counterIs(page, `beat ${n - 1} of ${n}`);

    // Another chapter from the address, on the same page.
    const second = index[1];
    await page.evaluate((name) => { window.location.hash = `#chapter=${name}`; }, second.name);
    await walk(page, second, await fetchJson(`chapters/${second.name}.json`));
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('an unknown chapter lists the chapters there are; the Chapters tab opens one', async () => {
  const index = await fetchJson('chapters/index.json');
  const session = await openPlayground('#chapter=nope');
  try {
    const { page } = session;
    await page.locator('#chapter-error').waitFor({ timeout: 30000 });
    const message = await page.locator('#chapter-error').textContent();
    assert.match(message, /no chapter “nope”/);
    for (const entry of index) assert.ok(message.includes(entry.name), `${entry.name} in: ${message}`);
    assert.match(await page.locator('#message').textContent(), /no chapter “nope”/);
    await page.click('#tab-chapters');
    await page.waitForFunction((n) => document.querySelectorAll('.chapter-link').length === n, index.length);
    const questions = await page.locator('#chapter-index').textContent();
    for (const entry of index) assert.ok(questions.includes(entry.question), entry.question);
    await screenshot(page, 'chapter-index');
    const chosen = index[index.length - 1];
    await page.click(`.chapter-link[data-chapter="${chosen.name}"]`);
    await page.waitForFunction((t) => document.querySelector('#chapter-title')?.textContent === t, chosen.title,
      { timeout: 30000 });
    assert.ok(page.url().endsWith(`#chapter=${chosen.name}`), page.url());
    assert.equal(await page.locator('#chapter-error').count(), 0);

    // A file that does not read shows its error, and the page keeps the run it had.
    const other = index[0];
    await page.route(`**/chapters/${other.name}.json`, (route) => route.fulfill({
      status: 200, contentType: 'application/json', body: '{"title": "cut short',
    }));
    await page.evaluate((name) => { window.location.hash = `#chapter=${name}`; }, other.name);
    await page.locator('#chapter-error').waitFor({ timeout: 30000 });
    assert.match(await page.locator('#chapter-error').textContent(), new RegExp(`“${other.name}” could not be read`));
    await page.click('#play');
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 0.2);
    await page.click('#play');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
