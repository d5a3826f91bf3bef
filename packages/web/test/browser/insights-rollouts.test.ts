import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, seriousViolations, signIn, type TestBrowser } from './browser.js';
import { createTestRepository } from '../../../server/src/testing/git-fixtures.js';
import { ADMIN_PASSWORD, ADMIN_TOKEN, PASSWORD, setUpTeam, startSlipway, waitFor, type Slipway, type Team } from './slipway.js';

/**
 * The rollout, insights and calendar pages against the real built server on SQLite: a team rolls a
 * flag out and pauses and resumes it by button; the insights page shows what the API computed
 * from deployments, a failure and its rollback, an incident and bugs found in each stage; the
 * calendar lists the release train; axe finds nothing serious; each page gets a screenshot.
 */
const cleanups: Array<() => Promise<void>> = [];

describe('rollouts, insights and the release calendar', () => {
  let s: Slipway;
  let team: Team;
  let b: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let sdkKey: string;
  let rolloutId: string;
  const p = 'shop';

  const reportTraffic = (rates: Record<string, number>) =>
    s.api('POST', '/api/v1/metrics', { points: Object.entries(rates).map(([variant, rate]) => ({ flag: 'new-checkout', variant, requests: 1000, errors: Math.round(1000 * rate), latencyMs: 40 })) }, { token: sdkKey, expect: 202 });

  beforeAll(async () => {
    // A fast ticker so a seconds-long plan moves while the test watches.
    s = await startSlipway({ SLIPWAY_ROLLOUT_POLL_MS: '200' });
    team = await setUpTeam(s, p);
    await s.api('POST', `/api/v1/projects/${p}/flags`, { key: 'new-checkout', name: 'New checkout', type: 'release', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] });
    await s.api('PUT', `/api/v1/projects/${p}/flags/new-checkout/environments/staging`, { enabled: true, offVariant: 'off', defaultServe: { variant: 'off' } });
    sdkKey = (await s.api('POST', `/api/v1/projects/${p}/environments/staging/sdk-keys`, { kind: 'server', name: 'metrics' })).key;
    await s.api('POST', `/api/v1/projects/${p}/analysis-templates`, {
      name: 'checkout-errors',
      metrics: [{ name: 'error-rate', provider: { slipway: { metric: 'error-rate', window: '1m' } }, interval: '1s', failureCondition: 'result > 0.05', failureLimit: 100, consecutiveFailureLimit: 100 }],
    });
    b = await launchBrowser();
    context = await b.context();
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, s.url, 'admin', ADMIN_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await s?.stop();
    await team?.cleanup();
    for (const c of cleanups) await c();
  });

  async function checkPage(name: string) {
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await screenshot(page, name);
    expect(await seriousViolations(page), name).toEqual([]);
  }

  it('a team rolls a flag out, watches the steps and the chart, pauses and resumes it by button', async () => {
    await reportTraffic({ on: 0.01, off: 0.005 });
    const started = await s.api('POST', `/api/v1/projects/${p}/flags/new-checkout/environments/staging/rollouts`, {
      variant: 'on',
      plan: { steps: [{ setWeight: 20 }, { pause: { duration: '10m' } }, { setWeight: 60 }, { pause: { duration: '10m' } }, { setWeight: 100 }], analysis: { templates: ['checkout-errors'] } },
    }, { token: team.tokens.engineer, expect: 201 });
    rolloutId = started.id;
    // The ticker applies 20 % and measures; more traffic keeps measurements coming.
    await waitFor(async () => {
      await reportTraffic({ on: 0.02, off: 0.004 });
      const r = await s.api('GET', `/api/v1/rollouts/${rolloutId}`);
      return r.stepIndex === 1 && r.measurements.filter((m: { value: number | null }) => m.value !== null).length >= 3;
    }, 'the rollout at its first pause with measurements');

    // The project's list links to the rollout page.
    await page.goto(`${s.url}/projects/${p}/rollouts`);
    await page.getByTestId('rollouts-table').getByRole('link', { name: 'new-checkout → on' }).click();
    await page.waitForURL(`**/rollouts/${rolloutId}`);
    await page.getByTestId('rollout-steps').waitFor();
    expect(await page.getByTestId('rollout-steps').locator('li').count()).toBe(5);
    expect(await page.getByTestId('current-step').textContent()).toContain('Pause for 10m');
    expect(await page.getByTestId('rollout-weight').textContent()).toBe('20 %');
    expect(await page.getByTestId('time-left').textContent()).toMatch(/^(9|10) min/);
    // The metric's chart, with the failure threshold read from its condition.
    const chart = page.getByTestId('metric-error-rate');
    const img = chart.locator('div[role="img"]');
    await img.waitFor();
    // ECharts describes the data for screen readers; the conditions are text beside the chart.
    expect(await img.getAttribute('aria-label')).toContain('chart');
    // The threshold line is drawn with its label, inside the axis.
    await chart.locator('svg text', { hasText: 'fails when result > 0.05' }).first().waitFor();
    expect(await chart.textContent()).toContain('fails when result > 0.05');
    expect(await page.getByTestId('rollout-decisions').textContent()).toContain('started');
    await checkPage('rollout');

    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByTestId('rollout-status').getByText('paused').waitFor();
    expect((await s.api('GET', `/api/v1/rollouts/${rolloutId}`)).status).toBe('paused');
    await page.getByTestId('pause-reason').getByText(/manual/).waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('rollout-status').getByText('running').waitFor();
    const after = await s.api('GET', `/api/v1/rollouts/${rolloutId}`);
    expect(after.status).toBe('running');
    expect(after.decisions.map((d: { type: string; actor: string }) => [d.type, d.actor])).toEqual(expect.arrayContaining([['paused', 'admin'], ['resumed', 'admin']]));
    // The decisions on the page are the API's, newest first.
    await page.getByTestId('rollout-decisions').locator('tr[data-decision="resumed"]').waitFor();

    // Promote by button: the next step starts; the page follows without a reload.
    await page.getByRole('button', { name: 'Promote', exact: true }).click();
    await waitFor(async () => (await s.api('GET', `/api/v1/rollouts/${rolloutId}`)).weight === 60, 'the rollout at 60 %');
    await page.getByTestId('rollout-weight').getByText('60 %').waitFor();
  });

  it('a rollout that breaches its threshold is rolled back; the page shows the verdict, the condition and the measurements', async () => {
    await s.api('PUT', `/api/v1/projects/${p}/flags/new-checkout/environments/dev`, { enabled: true, offVariant: 'off', defaultServe: { variant: 'off' } });
    const devKey = (await s.api('POST', `/api/v1/projects/${p}/environments/dev/sdk-keys`, { kind: 'server', name: 'metrics' })).key;
    const traffic = () => s.api('POST', '/api/v1/metrics', { points: [{ flag: 'new-checkout', variant: 'on', requests: 1000, errors: 200, latencyMs: 40 }, { flag: 'new-checkout', variant: 'off', requests: 1000, errors: 5, latencyMs: 40 }] }, { token: devKey, expect: 202 });
    await s.api('POST', `/api/v1/projects/${p}/analysis-templates`, {
      name: 'checkout-errors-strict',
      metrics: [{ name: 'checkout-error-rate', provider: { slipway: { metric: 'error-rate', window: '1m' } }, interval: '1s', failureCondition: 'result > 0.05', failureLimit: 1 }],
    });
    await traffic();
    const r = await s.api('POST', `/api/v1/projects/${p}/flags/new-checkout/environments/dev/rollouts`, { variant: 'on', plan: { steps: [{ setWeight: 10 }, { pause: { duration: '10m' } }, { setWeight: 100 }], analysis: { templates: ['checkout-errors-strict'] } } }, { expect: 201 });
    await waitFor(async () => {
      await traffic();
      return (await s.api('GET', `/api/v1/rollouts/${r.id}`)).status === 'rolled_back';
    }, 'the rollback of a breaching rollout');
    const after = await s.api('GET', `/api/v1/rollouts/${r.id}`);
    const failed = after.decisions.find((d: { type: string }) => d.type === 'analysis_failed');
    await page.goto(`${s.url}/rollouts/${r.id}`);
    await page.getByTestId('rollout-status').getByText('rolled back').waitFor();
    // Nothing to command but a retry.
    expect(await page.getByTestId('rollout-actions').getByRole('button').allTextContents()).toEqual(['Retry']);
    const row = page.getByTestId('rollout-decisions').locator('tr[data-decision="analysis_failed"]');
    await row.locator('summary').click();
    const text = (await row.textContent())!;
    expect(text).toContain('verdict Failed');
    expect(text).toContain('failure: result > 0.05');
    expect(text).toContain(failed.message);
    // The measurements the decision stored, as the API gives them.
    const values = (failed.data.values as Array<{ value: number }>).map((v) => (Math.abs(v.value) >= 1 ? v.value.toFixed(2) : v.value.toPrecision(3)));
    expect(values.length).toBeGreaterThan(0);
    for (const v of values) expect(text).toContain(v);
    await page.getByTestId('metric-checkout-error-rate').locator('svg text', { hasText: 'fails when result > 0.05' }).first().waitFor();
    await checkPage('rollout-rolled-back');
  });

  it('a viewer sees the rollout and no button; an engineer sees none in a protected environment', async () => {
    const viewer = await b.context();
    const vp = await viewer.newPage();
    await signIn(vp, s.url, 'vic', PASSWORD, `/rollouts/${rolloutId}`);
    await vp.getByTestId('rollout-steps').waitFor();
    await vp.getByTestId('rollout-status').waitFor();
    expect(await vp.getByTestId('rollout-actions').count()).toBe(0);
    await viewer.close();
    // The API refuses the viewer anyway.
    await s.api('POST', `/api/v1/rollouts/${rolloutId}/pause`, undefined, { token: team.tokens.viewer, expect: 403 });
  });

  it('insights show the numbers the API computed: DORA, bugs by stage, regressions, QA no-gos', async () => {
    // Deployments to dev: two good, one that fails (its executor exits 1), then a rollback.
    const v1 = await team.release('feat: search (SHOP-1)');
    await team.deployToDev(v1);
    const v2 = await team.release('feat: wish list (SHOP-2)');
    await team.deployToDev(v2);
    const v3 = await team.release('fix: prices (SHOP-3)');
    await s.api('PATCH', '/api/v1/environments/dev', { targets: [{ key: 'default', executor: { type: 'command', command: ['false'] } }] });
    const failed = await s.api('POST', `/api/v1/projects/${p}/deployments`, { version: v3, environment: 'dev' });
    await waitFor(async () => (await s.api('GET', `/api/v1/deployments/${failed.id}`)).status === 'failed', 'the failing deployment');
    await s.api('PATCH', '/api/v1/environments/dev', { targets: [{ key: 'default', executor: { type: 'command', command: ['true'] } }] });
    const rollback = await s.api('POST', `/api/v1/deployments/${failed.id}/rollback`, {});
    await waitFor(async () => (await s.api('GET', `/api/v1/deployments/${rollback.id}`)).status === 'succeeded', 'the rollback');
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    await s.api('POST', '/api/v1/incidents', { project: p, environment: 'dev', title: 'Checkout down for EU users', severity: 'high', openedAt: hourAgo, resolvedAt: new Date(Date.now() - 1_800_000).toISOString() });
    // QA: one no-go (pushed back), one go.
    await s.api('POST', `/api/v1/projects/${p}/releases/${v3}/signoffs`, { kind: 'qa', decision: 'no-go', environment: 'staging', comment: 'Prices wrong in the basket' }, { token: team.tokens.qa });
    await s.api('POST', `/api/v1/projects/${p}/releases/${v2}/signoffs`, { kind: 'qa', decision: 'go', environment: 'staging', comment: 'ok' }, { token: team.tokens.qa });
    // Bugs found in each stage, one a regression on production.
    const now = new Date().toISOString();
    for (const [foundIn, regression] of [
      ['staging', false],
      ['staging', false],
      ['beta', false],
      ['production', true],
      ['production', false],
    ] as const) {
      await s.api('POST', '/api/v1/bugs', { project: p, title: `bug in ${foundIn}`, severity: 'medium', foundIn, regression, foundAt: now, version: v2 }, { expect: 201 });
    }
    // A JUnit report of the E2E suite on v2: one failure.
    const junit = `<?xml version="1.0" encoding="UTF-8"?><testsuites><testsuite name="e2e" tests="3" failures="1" skipped="0" time="12.5"><testcase classname="checkout" name="pays" time="4"/><testcase classname="checkout" name="refunds" time="4"><failure message="expected 200, got 500">stack</failure></testcase><testcase classname="search" name="finds" time="4.5"/></testsuite></testsuites>`;
    const upload = await fetch(`${s.url}/api/v1/projects/${p}/test-runs?version=${v2}&environment=staging&suite=e2e`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/xml' }, body: junit });
    expect(upload.status).toBe(201);
    const run = (await upload.json()) as { total: number; failed: number };
    const query = `project=${p}&environment=dev&interval=week`;
    await page.goto(`${s.url}/insights?${query}`);
    await page.getByTestId('dora').waitFor();
    await page.getByTestId('quality-weeks').waitFor();

    // The same range as the page asked for: read it from the request the page made.
    const doraUrl = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.includes('/api/v1/insights/dora'))!);
    const qualityUrl = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.includes('/api/v1/insights/quality'))!);
    const dora = await s.api('GET', new URL(doraUrl).pathname + new URL(doraUrl).search);
    const quality = await s.api('GET', new URL(qualityUrl).pathname + new URL(qualityUrl).search);
    expect(dora.deploymentFrequency.count).toBeGreaterThanOrEqual(3);
    expect(dora.changeFailures.failures).toBeGreaterThanOrEqual(1);
    expect(dora.timeToRestore.incidents).toBeGreaterThanOrEqual(1);

    const card = (key: string) => page.getByTestId(`dora-${key}`);
    expect(await card('deploymentFrequency').getByTestId('detail').textContent()).toContain(`${dora.deploymentFrequency.count} successful deployments, ${dora.deploymentFrequency.rollbacks} rollback`);
    const pct = (r: number) => `${Number.isInteger(r * 100) ? r * 100 : (r * 100).toFixed(1)} %`;
    expect(await card('changeFailureRate').getByTestId('value').textContent()).toBe(pct(dora.changeFailureRate));
    expect(await card('changeFailureRate').getByTestId('detail').textContent()).toContain(`${dora.changeFailures.failures} of ${dora.changeFailures.of}`);
    expect(await card('reworkRate').getByTestId('value').textContent()).toBe(pct(dora.reworkRate));
    expect(await card('timeToRestore').getByTestId('detail').textContent()).toContain(`median over ${dora.timeToRestore.incidents} incident`);
    expect(await card('changeFailureRate').locator('[data-band]').getAttribute('data-band')).toBe(dora.bands.changeFailureRate ?? 'none');
    expect(await page.getByTestId('incidents').textContent()).toContain('Checkout down for EU users');

    expect(quality.totals).toMatchObject({ bugs: 5, productionRegressions: 1, qaTestsPerformed: 2, qaTestsPushedBack: 1 });
    expect(await page.getByTestId('total-bugs').textContent()).toContain('5');
    expect(await page.getByTestId('total-productionRegressions').textContent()).toContain('1');
    expect(await page.getByTestId('total-qaTestsPushedBack').textContent()).toContain('1');
    const week = quality.weeks.find((w: { bugs: number }) => w.bugs > 0);
    const row = page.locator(`tr[data-week="${week.weekStart}"]`);
    expect(await row.locator('[data-stage="staging"]').textContent()).toBe(String(week.bugsByStage.staging));
    expect(await row.locator('[data-stage="beta"]').textContent()).toBe(String(week.bugsByStage.beta));
    expect(await row.locator('[data-stage="production"]').textContent()).toBe(String(week.bugsByStage.production));
    expect(await row.getByTestId('regressions').textContent()).toBe(String(week.productionRegressions));
    expect(week.bugsByStage).toMatchObject({ staging: 2, beta: 1, production: 2 });
    const runs = page.getByTestId('test-runs');
    await runs.waitFor();
    const cells = runs.locator('tbody tr').first().locator('td');
    expect([await cells.nth(1).textContent(), await cells.nth(2).textContent(), await cells.nth(5).textContent(), await cells.nth(6).textContent()]).toEqual(['e2e (upload)', v2, String(run.total), String(run.failed)]);
    expect([run.total, run.failed]).toEqual([3, 1]);
    await checkPage('insights');

    // Month interval: the selector changes the query.
    await page.getByTestId('insights-filters').locator('label', { hasText: 'Month' }).click();
    await page.waitForURL(/interval=month/);
    await page.getByText(/^Month of$/).waitFor();
  });

  it('the release calendar lists the release train and gives an .ics link', async () => {
    const monday = new Date();
    monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
    const startsAt = `${monday.toISOString().slice(0, 10)}T10:00`;
    await s.api('POST', '/api/v1/calendar/schedules', { project: p, name: 'Release train', kind: 'release', rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU', startsAt, timezone: 'UTC', durationMinutes: 60 });
    await s.api('POST', '/api/v1/calendar/schedules', { name: 'Maintenance window', kind: 'maintenance', rrule: 'FREQ=WEEKLY;INTERVAL=4;BYDAY=SU', startsAt: `${monday.toISOString().slice(0, 10)}T02:00`, timezone: 'UTC', durationMinutes: 120 });
    await page.goto(`${s.url}/calendar`);
    await page.getByTestId('calendar').waitFor();
    await page.locator('[data-kind="release"]').first().waitFor();
    const api = await s.api('GET', `/api/v1/calendar?from=${encodeURIComponent(new Date(Date.now() - 7 * 86_400_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 56 * 86_400_000).toISOString())}`);
    const trains = api.events.filter((e: { kind: string; title: string }) => e.kind === 'release');
    expect(trains.length).toBeGreaterThan(0);
    expect(await page.locator('[data-kind="release"]').first().textContent()).toContain(trains[0].title);
    await page.locator('[data-kind="maintenance"]').first().waitFor();
    await page.getByRole('button', { name: 'Create a subscription link (.ics)' }).click();
    const url = (await page.getByTestId('ics-url').textContent())!;
    expect(url).toMatch(/\/api\/v1\/calendar\.ics\?token=/);
    const feed = await fetch(url);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toContain('text/calendar');
    expect(await feed.text()).toContain('Release train');
    await checkPage('calendar');
  });

  it('the matrix warns when deployed versions do not fit together', async () => {
    // A second project that requires shop ^9 while dev runs shop 0.x/1.x.
    const api = await setUpTeamProject(s, team);
    await page.goto(`${s.url}/`);
    await page.getByTestId('matrix').waitFor();
    const cell = page.getByTestId(`cell-${api}-dev`);
    await cell.getByTestId('incompatible').waitFor();
    const matrix = await s.api('GET', '/api/v1/compatibility/matrix?environment=dev');
    const entry = matrix.environments[0].projects.find((x: { project: string }) => x.project === api);
    expect(entry.compatible).toBe(false);
    expect(await cell.getByTestId('incompatible').textContent()).toContain(`needs ${p} ^9.0.0`);
    await checkPage('compatibility');
  });

  it("the flag page links to the flag's rollouts", async () => {
    await page.goto(`${s.url}/projects/${p}/flags/new-checkout?env=staging`);
    await page.getByRole('link', { name: 'Rollouts', exact: true }).click();
    await page.waitForURL(/\/projects\/shop\/rollouts\?flag=new-checkout$/);
    // Both rollouts of the flag, newest first, each linking to its page.
    await page.getByTestId('rollouts-table').locator('tbody tr').nth(1).waitFor();
    const links = await page.getByTestId('rollouts-table').getByRole('link', { name: 'new-checkout → on' }).evaluateAll((as) => as.map((a) => (a as unknown as { getAttribute(name: string): string | null }).getAttribute('href')));
    const listed = (await s.api('GET', `/api/v1/projects/${p}/rollouts`)).items.map((r: { id: string }) => `/rollouts/${r.id}`);
    expect(links).toEqual(listed);
    expect(links).toHaveLength(2);
    expect(links).toContain(`/rollouts/${rolloutId}`);
    await checkPage('rollouts');
  });
});

/** A project `storefront` on its own repository that requires shop ^9.0.0, deployed to dev. */
async function setUpTeamProject(s: Slipway, team: Team): Promise<string> {
  const key = 'storefront';
  const repo = await createTestRepository();
  cleanups.push(() => repo.cleanup());
  await repo.commit('feat: storefront');
  await repo.push();
  await s.api('POST', '/api/v1/projects', { key, name: 'Storefront', repository: repo.remote, lifecycle: ['dev', 'staging', 'production'] });
  await s.api('PATCH', `/api/v1/projects/${key}`, { requires: [{ project: team.project, range: '^9.0.0' }] });
  const { version } = await s.api('POST', `/api/v1/projects/${key}/releases`, {});
  // The guard refuses a deployment that breaks a requirement: a release manager overrides it.
  const d = await s.api('POST', `/api/v1/projects/${key}/deployments`, { version, environment: 'dev', override: { reason: 'testing the matrix warning' } });
  await waitFor(async () => (await s.api('GET', `/api/v1/deployments/${d.id}`)).status === 'succeeded', 'the storefront deployment');
  return key;
}
