// Arms with posterior bars and pulls, regret with reference
// lines, CTR, coverage and Gini over time with drift marked, the feedback loop with live
// counts, controls for policy, parameters, guardrails, drift and feedback, and off-policy
// estimates with intervals beside the online truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, screenshot, waitIdle, playUntil, setSpeed, commit } from './harness.mjs';

function countOn(text) {
  return Number.parseFloat(text.replace(/,/g, '').match(/[0-9.]+/)[0]);
}

test('the recommender view shows the loop, the arms, the curves and OPE against the truth', async () => {
  const session = await openPlayground();
  try {
    const { page } = session;
    await page.locator('#play').waitFor();
    await setSpeed(page, 2); // 100×
    await playUntil(page, 40);
    await page.click('#tab-recommender');
    await page.locator('#arms').waitFor();
    assert.equal(await page.locator('#arms .arm').count(), 12);
    assert.ok(await page.locator('#arms .interval').count() === 12, 'an interval per arm');
    for (const id of ['#arrow-impressions', '#arrow-clicks', '#arrow-logged', '#arrow-updates']) {
      assert.ok(countOn(await page.locator(id).textContent()) > 0, `${id} counts`);
    }
    for (const id of ['#chart-regret', '#chart-ctr', '#chart-coverage', '#chart-gini']) {
      assert.ok(await page.locator(`${id} polyline`).count() >= 1, `${id} has a curve`);
    }
    // The reference line on the regret chart: a uniform-random twin (the oracle is zero).
    await page.waitForFunction(() => document.querySelectorAll('#chart-regret polyline').length >= 2, null, { timeout: 10000 });
    assert.match(await page.locator('#chart-regret').textContent(), /uniform random/);
    // OPE: estimates with intervals and the online truth.
    await page.locator('#ope-truth').waitFor({ timeout: 10000 });
    assert.ok(await page.locator('#ope-chart .estimate').count() >= 5);
    assert.match(await page.locator('#ope-chart').textContent(), /online truth 0\.\d+/);
    assert.match(await page.locator('#rec-ctr').textContent(), /%/);
    await screenshot(page, 'recommender-view');

    // Drift now: marked on the time axis of every chart.
    const driftAt = (await page.locator('#sim-time').textContent()).replace(' s', '');
    await page.click('#drift-now');
    await waitIdle(page);
    await playUntil(page, Number.parseFloat(driftAt) + 10);
    await page.waitForFunction(() => document.querySelectorAll('#chart-ctr .mark').length >= 1, null, { timeout: 10000 });
    // The drift lands on the next whole millisecond, the clock shows the nearest one.
    const drifts = await page.locator('#drift-list').textContent();
    const times = [...drifts.matchAll(/abrupt at ([0-9.]+) s/g)].map((m) => Number.parseFloat(m[1]));
    assert.ok(times.some((t) => Math.abs(t - Number.parseFloat(driftAt)) <= 0.002), `the drift is in the scenario at its time (${driftAt} s): ${drifts}`);

    // Policy, parameters, guardrails and feedback strength: written into the scenario.
    await page.selectOption('#policy', 'egreedy');
    await commit(page, '#policy-epsilon', 0.2);
    await commit(page, '#guard-exploration', 0.5);
    await commit(page, '#feedback-gain', 0.5);
    await page.click('#apply-recommender');
    await waitIdle(page);
    await page.waitForFunction(() => /egreedy/.test(document.querySelector('#feedback-loop').textContent));
    await page.click('#tab-scenario');
    const json = JSON.parse(await page.locator('#scenario-json').textContent());
    assert.equal(json.recommender.policy.name, 'egreedy');
    assert.equal(json.recommender.policy.epsilon, 0.2);
    assert.equal(json.recommender.guardrails.max_exploration_share, 0.5);
    assert.equal(json.recommender.population.feedback_gain, 0.5);
    // A bad parameter is refused with a message, and nothing changes.
    await page.click('#tab-recommender');
    await commit(page, '#policy-epsilon', 3);
    await page.click('#apply-recommender');
    await page.locator('#message').waitFor();
    assert.match(await page.locator('#message').textContent(), /epsilon/);
    session.assertNoErrors();
  } finally {
    await session.close();
  }
});
