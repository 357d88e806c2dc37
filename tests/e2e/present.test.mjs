// Presenter mode: P and `&present` in the address set `data-mode="present"` on <body> (and the
// address keeps `&present` while it is on); the controls are hidden; the beat's figure and
// its caption (or, without a chapter, the LSM tree) are above the fold at 1280×720 and at
// 1920×1080; Space plays and pauses (the beat counter following Play), → / PageDown and ← / PageUp move between beats, F asks
// for full screen without an error when refused, 1 and 2 open chapters 1 and 2 of the index,
// Esc leaves the mode, and no key acts while a field has the focus. Every chapter opens from
// its address in the mode and walks to its last beat by keyboard, its captions in order and
// every beat's figure and caption above the fold at 1280×720.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, simSeconds, settled, linkOf, ARTIFACTS } from './harness.mjs';
import { fetchJson, counterIs, walkChapter } from './chapter_walk.mjs';

/** The elements a chapter's figure names: most are one element of that id, a few are several
 * (the page's `chapter::elements_of`). */
const FIGURE_ELEMENTS = {
  regret: ['rec-regret', 'chart-regret'],
  ctr: ['rec-ctr', 'chart-ctr'],
  coverage: ['rec-coverage', 'chart-coverage'],
  gini: ['rec-gini', 'chart-gini'],
  ope: ['ope-chart', 'ope-empty'],
  guardrails: ['rec-exploration', 'guard-change'],
};

/** Waits until the page highlights `beat`'s figures and no others, and returns their ids. The
 * beat counter is drawn before the highlight moves (the page's renderer may yield to the
 * browser between the two), so the counter alone does not say the highlight is the beat's. */
async function highlighted(page, beat) {
  const ids = (beat.highlight ?? []).flatMap((f) => FIGURE_ELEMENTS[f] ?? [f]);
  await page.waitForFunction((wanted) => {
    const shown = [...document.querySelectorAll('.beat-highlight')].map((e) => e.id);
    return shown.length > 0 && shown.every((id) => wanted.includes(id));
  }, ids);
  return page.evaluate(() => [...document.querySelectorAll('.beat-highlight')].map((e) => e.id));
}

async function mode(page) {
  return page.evaluate(() => document.body.getAttribute('data-mode'));
}

/** Checks that every element of `ids` and the caption lie within the viewport's height. */
async function aboveTheFold(page, ids, height) {
  await page.setViewportSize({ width: height === 720 ? 1280 : 1920, height });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  for (const id of ['chapter-caption', ...ids]) {
    const box = await page.evaluate((i) => {
      const element = document.getElementById(i);
      if (!element) return null;
      const rect = element.getBoundingClientRect();
      return { top: rect.top + window.scrollY, bottom: rect.bottom + window.scrollY, height: rect.height };
    }, id);
    if (box === null) {
      assert.notEqual(id, 'chapter-caption', 'the caption is on show');
      continue;
    }
    assert.ok(box.height > 0, `#${id} is drawn`);
    assert.ok(box.bottom <= height, `#${id} ends at ${box.bottom}px, below the fold of ${height}px`);
  }
}

test('presenter mode from the address: the figure above the fold, keys move beats, Esc leaves', async () => {
  const index = await fetchJson('chapters/index.json');
  const [first, second] = index;
  const chapter = await fetchJson(`chapters/${first.name}.json`);
  const session = await openPlayground(`#chapter=${first.name}&present`, { viewport: { width: 1280, height: 720 } });
  try {
    const { page } = session;
    await page.waitForFunction((t) => document.querySelector('#chapter-title')?.textContent === t, first.title,
      { timeout: 30000 });
    assert.equal(await mode(page), 'present');
    assert.ok(page.url().endsWith(`#chapter=${first.name}&present`), `the address keeps the mode: ${page.url()}`);
    assert.equal(await page.locator('#play').isVisible(), false, 'the controls are hidden');
    const n = chapter.beats.length;
    await counterIs(page, `before beat 1 of ${n}`);
    // Before the first beat nothing is highlighted: the LSM tree is the figure on show.
    await aboveTheFold(page, ['lsm'], 720);

    await page.keyboard.press('ArrowRight');
    await counterIs(page, `beat 1 of ${n}`);
    const shown = await highlighted(page, chapter.beats[0]);
    assert.ok(shown.length > 0, 'the beat points at a figure');
    await aboveTheFold(page, shown, 720);
    await page.screenshot({ path: `${ARTIFACTS}/present-1280x720.png` });
    await aboveTheFold(page, shown, 1080);
    await page.screenshot({ path: `${ARTIFACTS}/present-1920x1080.png` });
    await page.setViewportSize({ width: 1280, height: 720 });

    await page.keyboard.press('PageDown');
    await counterIs(page, `beat 2 of ${n}`);
    await aboveTheFold(page, await highlighted(page, chapter.beats[1]), 720);
    await page.keyboard.press('PageUp');
    await counterIs(page, `beat 1 of ${n}`);
    await page.waitForFunction(() => !document.querySelector('#progress'), null, { timeout: 30000 });
    await page.keyboard.press('ArrowLeft');
    await counterIs(page, `before beat 1 of ${n}`);

    // Space plays, and the counter follows Play past the first beat's stop; Space pauses.
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.querySelector('#play').textContent === 'Pause');
    await counterIs(page, `beat 1 of ${n}`);
    assert.equal(await page.locator('#chapter-caption').textContent(), chapter.beats[0].caption);
    await page.keyboard.press(' ');
    await page.waitForFunction(() => document.querySelector('#play').textContent === 'Play');

    // F asks for full screen; a headless browser may refuse, and that is no error.
    await page.keyboard.press('f');
    await page.waitForTimeout(300);

    // 2 opens the second chapter of the index, 1 the first, and the mode stays.
    await page.keyboard.press('2');
    await page.waitForFunction((t) => document.querySelector('#chapter-title')?.textContent === t, second.title,
      { timeout: 30000 });
    assert.ok(page.url().endsWith(`#chapter=${second.name}&present`), page.url());
    await page.keyboard.press('1');
    await page.waitForFunction((t) => document.querySelector('#chapter-title')?.textContent === t, first.title,
      { timeout: 30000 });
    assert.equal(await mode(page), 'present');

    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.body.hasAttribute('data-mode'));
    assert.ok(page.url().endsWith(`#chapter=${first.name}`), `the mode left the address: ${page.url()}`);
    assert.equal(await page.locator('#play').isVisible(), true, 'the controls are back');
    // Out of the mode, the digits do nothing.
    await page.keyboard.press('2');
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#chapter-title').textContent(), first.title);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('P enters presenter mode without a chapter, the LSM tree on show; a field keeps its keys', async () => {
  const session = await openPlayground('', { viewport: { width: 1280, height: 720 } });
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    // A key typed into a field is the field's.
    await page.click('#goto-ms');
    await page.keyboard.press('p');
    await page.waitForTimeout(200);
    assert.equal(await mode(page), null, 'P typed into a field');
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('p');
    await page.waitForFunction(() => document.body.getAttribute('data-mode') === 'present');
    assert.ok(page.url().endsWith('&present'), `the address says so: ${page.url()}`);
    // The LSM tree is drawn once the writer has opened.
    await page.keyboard.press(' ');
    await page.locator('#lsm').waitFor();
    await page.keyboard.press(' ');
    const lsm = await page.locator('#lsm').boundingBox();
    assert.ok(lsm && lsm.height > 100, 'the LSM tree is drawn');
    assert.ok(lsm.y + lsm.height <= 720, `the LSM tree ends at ${lsm.y + lsm.height}px, below the fold`);
    assert.equal(await page.locator('#play').isVisible(), false);
    await page.keyboard.press(' ');
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 1);
    await page.keyboard.press(' ');
    await settled(page);
    const paused = await simSeconds(page);
    await page.waitForTimeout(300);
    assert.equal(await simSeconds(page), paused, 'Space paused');
    await page.screenshot({ path: `${ARTIFACTS}/present-lsm-1280x720.png` });
    // The share links keep the mode while it is on, as the address does.
    await page.keyboard.press('p');
    await page.waitForFunction(() => !document.body.hasAttribute('data-mode'));
    await page.click('#tab-scenario');
    assert.ok(!(await page.locator('#share-link').inputValue()).includes('present'));
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('p');
    await page.waitForFunction(() => document.body.getAttribute('data-mode') === 'present');
    assert.ok((await page.locator('#share-link').inputValue()).endsWith('&present'));
    assert.match(await page.locator('#moment-link').inputValue(), /&at=\d+&present$/);
    assert.equal(await page.locator('#share-link').inputValue(), linkOf(page));
    // The mode survives a reload: it is in the address.
    await page.reload();
    await page.locator('#play').waitFor({ state: 'attached' });
    await page.waitForFunction(() => document.body.getAttribute('data-mode') === 'present');
    await page.keyboard.press('p');
    await page.waitForFunction(() => !document.body.hasAttribute('data-mode'));
    assert.ok(!page.url().includes('present'), page.url());
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('every chapter opens from its address in presenter mode and walks to its last beat, each beat above the fold at 1280×720', async () => {
  const index = await fetchJson('chapters/index.json');
  assert.ok(index.length >= 11, `${index.length} chapters`);
  const session = await openPlayground('#present', { viewport: { width: 1280, height: 720 } });
  try {
    const { page } = session;
    await page.waitForFunction(() => document.body.getAttribute('data-mode') === 'present');
    for (const entry of index) {
      const chapter = await fetchJson(`chapters/${entry.name}.json`);
      await page.evaluate((name) => { window.location.hash = `#chapter=${name}&present`; }, entry.name);
      await walkChapter(page, entry, chapter, async (beat, k) => {
        const shown = await highlighted(page, beat);
        assert.ok(shown.length > 0, `${entry.name} beat ${k} points at a figure on show`);
        await aboveTheFold(page, shown, 720);
      });
    }
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
