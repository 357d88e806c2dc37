// Phones (390×844, a touch screen): nothing scrolls sideways (the document is no wider than
// the screen, on every tab and with a chapter open); the storage drawings' labels draw at a
// legible size (at least 11 px) inside the screen; a chapter shows its caption and figure
// within the width; the controls fold into a drawer that a button opens and closes; a tap on
// the figure plays or pauses; a horizontal swipe moves between beats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, BASE_URL, ARTIFACTS } from './harness.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

async function fetchJson(path) {
  const response = await fetch(new URL(path, BASE_URL));
  assert.equal(response.status, 200, path);
  return response.json();
}

async function scrollWidth(page) {
  return page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
}

/** What sticks out past the right edge, to say why the page scrolls sideways. */
async function overflowing(page) {
  return page.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join('.')} ${Math.round(e.getBoundingClientRect().right)}px`));
}

/** The size the first `selector` in an SVG draws its type at, in CSS pixels: its font size
 * in the drawing's units times the drawing's scale on screen. */
async function renderedFontPx(page, selector) {
  return page.evaluate((s) => {
    const text = document.querySelector(s);
    return Number.parseFloat(getComputedStyle(text).fontSize) * text.ownerSVGElement.getScreenCTM().a;
  }, selector);
}

/** Labels of `svgSelector` that stick out of the screen or overlap another label. */
async function labelTrouble(page, svgSelector) {
  return page.evaluate((s) => {
    const boxes = [...document.querySelectorAll(`${s} text.row-label`)].map((t) => [t.textContent, t.getBoundingClientRect()]);
    const trouble = boxes.filter(([, b]) => b.left < 0 || b.right > window.innerWidth).map(([t]) => `${t} outside`);
    for (let i = 0; i < boxes.length; i += 1) {
      for (let j = i + 1; j < boxes.length; j += 1) {
        const [ta, a] = boxes[i];
        const [tb, b] = boxes[j];
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) trouble.push(`${ta} over ${tb}`);
      }
    }
    return trouble;
  }, svgSelector);
}

async function noSidewaysScroll(page, where) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const width = await scrollWidth(page);
  assert.ok(width <= 390, `${where}: the document is ${width}px wide in 390: ${(await overflowing(page)).join(', ')}`);
}

/** A one-finger swipe from `from` to `to` (x, y), as touch events on the element there. */
async function swipe(page, from, to) {
  await page.evaluate(([a, b]) => {
    const target = document.elementFromPoint(a[0], a[1]) ?? document.body;
    const touch = (x, y) => new Touch({ identifier: 1, target, clientX: x, clientY: y });
    const start = touch(a[0], a[1]);
    const end = touch(b[0], b[1]);
    target.dispatchEvent(new TouchEvent('touchstart', { touches: [start], changedTouches: [start], bubbles: true, cancelable: true }));
    target.dispatchEvent(new TouchEvent('touchmove', { touches: [end], changedTouches: [end], bubbles: true, cancelable: true }));
    target.dispatchEvent(new TouchEvent('touchend', { touches: [], changedTouches: [end], bubbles: true, cancelable: true }));
  }, [from, to]);
}

test('on a phone nothing scrolls sideways, on any tab', async () => {
  const session = await openPlayground('', PHONE);
  try {
    const { page } = session;
    await page.locator('#play').waitFor({ state: 'attached' });
    await noSidewaysScroll(page, 'storage, paused');
    await page.click('#drawer-toggle');
    await page.click('#play');
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 1);
    await page.click('#play');
    await noSidewaysScroll(page, 'storage, played');
    // The storage drawings' labels are legible: about the size of the page's small print.
    for (const label of ['#lsm .row-label', '#wal .row-label']) {
      const px = await renderedFontPx(page, label);
      assert.ok(px >= 11, `${label} draws at ${px.toFixed(1)} px`);
    }
    for (const svg of ['#lsm', '#wal']) {
      assert.deepEqual(await labelTrouble(page, svg), [], svg);
      const box = await page.locator(svg).boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `${svg} spans ${box.x}–${box.x + box.width}px`);
    }
    await page.screenshot({ path: `${ARTIFACTS}/phone-storage.png`, fullPage: true });
    for (const tab of ['recommender', 'scenario', 'chapters']) {
      await page.click(`#tab-${tab}`);
      await noSidewaysScroll(page, tab);
    }
    // The frame statistics are a line, not a column one word wide.
    const stats = await page.locator('#frame-work').boundingBox();
    assert.ok(stats.width > 200, `the frame statistics are ${stats.width}px wide`);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a chapter on a phone: caption and figure in the width, drawer, tap plays, swipe moves a beat', async () => {
  const [first] = await fetchJson('chapters/index.json');
  const chapter = await fetchJson(`chapters/${first.name}.json`);
  const n = chapter.beats.length;
  const session = await openPlayground(`#chapter=${first.name}`, PHONE);
  try {
    const { page } = session;
    await page.waitForFunction((t) => document.querySelector('#chapter-title')?.textContent === t, first.title,
      { timeout: 30000 });
    await noSidewaysScroll(page, 'a chapter');
    for (const selector of ['#chapter-caption', 'main svg']) {
      const box = await page.locator(selector).first().boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `${selector} spans ${box.x}–${box.x + box.width}px`);
    }

    // The controls are in a drawer: closed, open, closed.
    assert.equal(await page.locator('#play').isVisible(), false, 'the drawer starts closed');
    await page.tap('#drawer-toggle');
    await page.locator('#play').waitFor({ state: 'visible' });
    await noSidewaysScroll(page, 'the drawer open');
    await page.screenshot({ path: `${ARTIFACTS}/phone-drawer.png` });
    await page.tap('#drawer-toggle');
    await page.locator('#play').waitFor({ state: 'hidden' });

    // A swipe to the left plays to the next beat.
    // A short drag is not a swipe.
    await swipe(page, [250, 600], [220, 600]);
    await page.waitForTimeout(300);
    assert.equal(await page.locator('#beat-counter').textContent(), `before beat 1 of ${n}`);
    await swipe(page, [330, 600], [80, 610]);
    await page.waitForFunction((t) => document.querySelector('#beat-counter')?.textContent === t, `beat 1 of ${n}`,
      { timeout: 60000 });
    await swipe(page, [330, 600], [80, 610]);
    await page.waitForFunction((t) => document.querySelector('#beat-counter')?.textContent === t, `beat 2 of ${n}`,
      { timeout: 60000 });
    // To the right goes back.
    await swipe(page, [60, 600], [320, 590]);
    await page.waitForFunction((t) => document.querySelector('#beat-counter')?.textContent === t, `beat 1 of ${n}`,
      { timeout: 60000 });
    // A tap on the figure plays, another pauses.
    await page.tap('main svg');
    await page.waitForFunction(() => document.querySelector('#play').textContent === 'Pause');
    await page.tap('main svg');
    await page.waitForFunction(() => document.querySelector('#play').textContent === 'Play');

    await noSidewaysScroll(page, 'a beat on show');
    await page.screenshot({ path: `${ARTIFACTS}/phone-chapter.png` });
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
