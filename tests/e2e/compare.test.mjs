// Side by side: a chapter with a variant plays it beside its base run, at the same simulated
// time after play, a beat, a step and a beat back; the compare panel (under the chapter panel,
// above the fold at 1280×720) shows both runs' labels, a sparkline each, and the figures with
// their difference; the variant's figures match `strata chapter`'s; a reload of the address
// restores both; a link's `vs` restores the variant, labelled by the setting it changes, with
// the chapter's claim rows when the link carries them (`vf`), and a bad one gets a message while
// the base run still starts; a chapter whose claims read the off-policy estimates shows them for
// both runs; a live change replays the variant in slices, the panel saying it is catching up,
// until both are at the same time again. No console error throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { openPlayground, screenshot, BASE_URL, waitIdle, commit } from './harness.mjs';

const CHAPTER = 'wal-batching';

async function fetchJson(path) {
  const response = await fetch(new URL(path, BASE_URL));
  assert.equal(response.status, 200, path);
  return response.json();
}

async function counterIs(page, text, timeout = 90000) {
  await page.waitForFunction(
    (t) => document.querySelector('#beat-counter')?.textContent === t, text, { timeout });
}

/** Both runs' simulated times, in nanoseconds, as the panel holds them. */
async function times(page) {
  return page.evaluate(() => {
    const panel = document.querySelector('#compare');
    return [panel.dataset.baseNs, panel.dataset.variantNs];
  });
}

async function inStep(page) {
  await waitIdle(page);
  await page.waitForFunction(() => !document.querySelector('#compare')?.dataset.catchingUp, null, { timeout: 60000 });
  const [base, variant] = await times(page);
  assert.equal(variant, base, 'the variant is at the base run\'s simulated time');
  return Number(base);
}

/** The row of `figure` (its summary path): base, variant, difference and percent cells. */
async function row(page, figure) {
  return page.evaluate((path) => {
    const th = [...document.querySelectorAll('#compare tbody th')].find((h) => h.title === path);
    return th ? [...th.parentElement.querySelectorAll('td')].map((td) => td.textContent) : null;
  }, figure);
}

/** The exact base and variant figures of `figure`'s row. */
async function exact(page, figure) {
  return page.evaluate((path) => {
    const th = [...document.querySelectorAll('#compare tbody th')].find((h) => h.title === path);
    return [...th.parentElement.querySelectorAll('td[data-value]')].map((td) => Number(td.dataset.value));
  }, figure);
}

const number = (text) => Number.parseFloat(text.replace(/[^0-9.+-]/g, ''));

test('a chapter with a variant plays both runs in lockstep, in two columns with differences', async () => {
  const chapter = await fetchJson(`chapters/${CHAPTER}.json`);
  const session = await openPlayground(`#chapter=${CHAPTER}`, { viewport: { width: 1280, height: 720 } });
  try {
    const { page } = session;
    await page.locator('#compare').waitFor({ timeout: 30000 });
    const box = await page.locator('#compare').boundingBox();
    const chapterBox = await page.locator('#chapter').boundingBox();
    assert.ok(box.y >= chapterBox.y + chapterBox.height - 1, 'the compare panel is under the chapter panel');
    assert.ok(box.y + box.height <= 720, `the compare panel ends at ${box.y + box.height}px, below the fold`);
    assert.equal(await page.locator('#compare-base .compare-label').textContent(), chapter.variant.base_label);
    assert.equal(await page.locator('#compare-variant .compare-label').textContent(), chapter.variant.label);
    await page.evaluate(() => document.activeElement?.blur());

    // To the second beat, then one step, then back a beat: the variant follows each time.
    const n = chapter.beats.length;
    await page.keyboard.press('ArrowRight');
    await counterIs(page, `beat 1 of ${n}`);
    assert.equal(await inStep(page), chapter.beats[0].at_ms * 1e6);
    await page.keyboard.press('ArrowRight');
    await counterIs(page, `beat 2 of ${n}`);
    assert.equal(await inStep(page), chapter.beats[1].at_ms * 1e6);
    const puts = await row(page, 'puts_per_1000_writes');
    assert.ok(puts, 'the claim figure has a row');
    const [base, variant, difference, percent] = puts;
    assert.ok(number(variant) > 5 * number(base), `flushing 10× as often: ${base} → ${variant}`);
    assert.match(difference, /^\+/);
    assert.match(percent, /^\+[0-9.,]+ %$/);
    assert.notEqual(await page.locator('#compare-base polyline').getAttribute('points'), '');
    assert.notEqual(await page.locator('#compare-variant polyline').getAttribute('points'), '');
    await page.click('#step');
    await inStep(page);
    await page.keyboard.press('ArrowLeft');
    await counterIs(page, `beat 1 of ${n}`);
    assert.equal(await inStep(page), chapter.beats[0].at_ms * 1e6);
    await screenshot(page, 'compare-1280x720');

    // A reload of the address restores both runs.
    const address = page.url();
    await page.reload();
    await page.locator('#compare').waitFor({ timeout: 30000 });
    assert.equal(page.url(), address);
    assert.equal(await page.locator('#compare-variant .compare-label').textContent(), chapter.variant.label);
    await inStep(page);

    // At the end, the variant's claim figures are `strata chapter`'s (the page holds the variant
    // at the base run's end, a few ms before its own, so within a part in a thousand).
    await page.evaluate(() => document.activeElement?.blur());
    for (let k = 1; k <= n; k += 1) {
      await page.keyboard.press('ArrowRight');
      await counterIs(page, `beat ${k} of ${n}`);
    }
    await inStep(page);
    if (process.env.STRATA_CLI) {
      const file = new URL(`../../web/chapters/${CHAPTER}.json`, import.meta.url).pathname;
      const verified = JSON.parse(execFileSync(process.env.STRATA_CLI, ['chapter', file], { encoding: 'utf8' }));
      for (const claim of verified.claims) {
        const [pageBase, pageVariant] = await exact(page, claim.figure);
        assert.equal(pageBase, claim.base, `${claim.figure}: the base run's end`);
        assert.ok(Math.abs(pageVariant - claim.variant) <= 1e-3 * Math.abs(claim.variant),
          `${claim.figure}: ${pageVariant} vs ${claim.variant}`);
      }
    }
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a link carries the variant beside the scenario, and a bad one leaves the base run alone', async () => {
  const chapter = await fetchJson(`chapters/${CHAPTER}.json`);
  const token = (scenario) => `v1.${Buffer.from(JSON.stringify(scenario)).toString('base64url')}`;
  const variant = structuredClone(chapter.scenario);
  variant.engine.flush_interval_ms = chapter.variant.patch.engine.flush_interval_ms;
  const session = await openPlayground(`#s=${token(chapter.scenario)}&vs=${token(variant)}`);
  try {
    const { page } = session;
    await page.locator('#compare').waitFor({ timeout: 30000 });
    await page.click('#play');
    await page.waitForFunction(() => Number(document.querySelector('#compare')?.dataset.baseNs) > 2e9, null,
      { timeout: 30000 });
    await page.click('#play');
    const t = await inStep(page);
    assert.ok(t > 2e9);
    assert.ok(page.url().includes(`&vs=${token(variant)}`) || page.url().includes('&vs=v1.'), page.url());
    // The labels say what the variant changes; the rows are the standard figures.
    const setting = 'engine.flush_interval_ms';
    assert.equal(await page.locator('#compare-base .compare-label').textContent(),
      `${setting} ${chapter.scenario.engine.flush_interval_ms}`);
    assert.equal(await page.locator('#compare-variant .compare-label').textContent(),
      `${setting} ${variant.engine.flush_interval_ms}`);
    assert.equal(await page.locator('#compare tbody tr.claim').count(), 0);
    assert.ok(await row(page, 'requests'), 'the standard figures are rows');
    session.assertNoErrors();
  } finally {
    await session.close();
  }
  // A link made from the chapter carries its claims: they are the first rows, and stay in the
  // address.
  const claims = chapter.claims.map((c) => c.figure);
  const fromChapter = await openPlayground(
    `#s=${token(chapter.scenario)}&vs=${token(variant)}&vf=${claims.join(',')}`);
  try {
    const { page } = fromChapter;
    await page.locator('#compare').waitFor({ timeout: 30000 });
    const claimRows = await page.evaluate(() =>
      [...document.querySelectorAll('#compare tbody tr.claim th')].map((th) => th.title));
    assert.deepEqual(claimRows, claims);
    await page.click('#play');
    await page.waitForFunction(() => Number(document.querySelector('#compare')?.dataset.baseNs) > 1e9, null,
      { timeout: 30000 });
    await page.click('#play');
    await inStep(page);
    assert.ok(page.url().includes(`&vf=${claims.join(',')}`), page.url());
    fromChapter.assertNoErrors();
  } finally {
    await fromChapter.close();
  }
  const bad = await openPlayground(`#s=${token(chapter.scenario)}&vs=v1.%%%`);
  try {
    const { page } = bad;
    await page.locator('#play').waitFor();
    await page.waitForFunction(() => /side-by-side variant could not be used/.test(document.querySelector('#message')?.textContent ?? ''));
    assert.equal(await page.locator('#compare').count(), 0);
    await page.click('#play');
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('#sim-time').textContent) > 0.5);
    bad.assertNoErrors();
  } finally {
    await bad.close();
  }
});

test('a chapter whose claims read the off-policy estimates shows them for both runs', async () => {
  const chapter = await fetchJson('chapters/evaluation.json');
  const session = await openPlayground('#chapter=evaluation', { viewport: { width: 1280, height: 720 } });
  try {
    const { page } = session;
    await page.locator('#compare').waitFor({ timeout: 30000 });
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('ArrowRight');
    await counterIs(page, `beat 1 of ${chapter.beats.length}`);
    await inStep(page);
    const ope = chapter.claims.map((c) => c.figure).filter((f) => f.startsWith('ope.'));
    assert.ok(ope.length >= 2, 'the chapter reads the estimates');
    for (const figure of ope) {
      const [base, variant] = await exact(page, figure);
      assert.ok(Number.isFinite(base) && Number.isFinite(variant), `${figure}: ${base}, ${variant}`);
      const cells = await row(page, figure);
      assert.notEqual(cells[0], '—', figure);
      assert.notEqual(cells[1], '—', figure);
    }
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});

test('a live change replays the variant in slices, then both runs are in step again', async () => {
  const session = await openPlayground(`#chapter=${CHAPTER}`, { viewport: { width: 1280, height: 720 } });
  try {
    const { page } = session;
    await page.locator('#compare').waitFor({ timeout: 30000 });
    await page.click('#play');
    await page.waitForFunction(() => Number(document.querySelector('#compare')?.dataset.baseNs) > 8e9, null,
      { timeout: 60000 });
    await page.click('#play');
    await inStep(page);
    // A live change (the workload's rate): the variant starts again from its patch on the new
    // scenario and catches up in slices, saying so, while the page stays responsive.
    // Watched with a mutation observer, set before the change: the replay may take only a few
    // frames when the variant's run is short.
    await page.evaluate(() => {
      window.__catchingUpSeen = false;
      const shown = () => document.querySelector('#compare')?.dataset.catchingUp === 'true'
        && document.querySelector('#compare-catching-up');
      const observer = new MutationObserver(() => {
        if (shown()) {
          observer.disconnect();
          window.__catchingUpSeen = true;
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const seen = page.waitForFunction(() => window.__catchingUpSeen === true, null, { timeout: 30000 });
    await commit(page, '#rate', 2 * Number(await page.locator('#rate').inputValue()));
    await seen;
    const t = await inStep(page);
    assert.ok(t > 8e9);
    assert.equal(await page.locator('#compare-catching-up').count(), 0);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
