import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, seriousViolations, signIn, type TestBrowser } from './browser.js';
import { ADMIN_PASSWORD, setUpTeam, startSlipway, type Slipway, type Team } from './slipway.js';

/**
 * Every page of the web app, signed in as the admin on a real server with a real repository:
 * it renders, axe-core finds no serious or critical violation, and a screenshot is saved.
 */
describe('every page', () => {
  let s: Slipway;
  let team: Team;
  let b: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let deploymentId: string;
  let v2: string;

  beforeAll(async () => {
    s = await startSlipway();
    team = await setUpTeam(s);
    const v1 = await team.release('feat: catalogue search (SHOP-1)');
    await team.deployToDev(v1);
    v2 = await team.release('feat!: new checkout API (SHOP-2)\n\nBREAKING CHANGE: /cart moved to /basket');
    await team.repo.commit('fix: rounding of prices (SHOP-3)');
    await team.repo.commit('docs: explain the basket');
    await team.repo.push();
    v2 = (await s.api('POST', `/api/v1/projects/${team.project}/releases`, {})).version;
    const d = await s.api('POST', `/api/v1/projects/${team.project}/deployments`, { version: v2, environment: 'dev' });
    deploymentId = d.id;
    await s.api('POST', `/api/v1/projects/${team.project}/flags`, { key: 'new-checkout', name: 'New checkout', type: 'release', variants: [{ key: 'on', value: true }, { key: 'off', value: false }], tags: ['checkout'] });
    await s.api('POST', `/api/v1/projects/${team.project}/flags`, { key: 'flavor', type: 'operational', variants: [{ key: 'classic', value: 'classic' }, { key: 'multi-cluster', value: 'multi-cluster' }] });
    await s.api('PUT', `/api/v1/projects/${team.project}/flags/new-checkout/environments/dev`, {
      enabled: true,
      rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }], serve: { variant: 'on' } }],
      defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] },
    });
    b = await launchBrowser();
    context = await b.context();
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await s?.stop();
    await team?.cleanup();
  });

  async function check(name: string, path: string, ready: (page: Page) => Promise<unknown>) {
    await page.goto(`${s.url}${path}`);
    await ready(page);
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await screenshot(page, name);
    expect(await seriousViolations(page), `${path}`).toEqual([]);
  }

  it('sign-in page', async () => {
    await check('login', '/login', (p) => p.getByRole('button', { name: 'Sign in' }).waitFor());
    await signIn(page, s.url, 'admin', ADMIN_PASSWORD);
  });

  it('what runs where', async () => {
    await check('home', '/', (p) => p.getByTestId('matrix').waitFor());
  });

  it('project', async () => {
    await check('project', `/projects/${team.project}`, (p) => p.getByTestId(`release-${v2}`).waitFor());
  });

  it('release', async () => {
    await check('release', `/projects/${team.project}/releases/${v2}`, (p) => p.getByTestId('changelog').waitFor());
  });

  it('deployment', async () => {
    await check('deployment', `/deployments/${deploymentId}`, (p) => p.getByTestId('targets').waitFor());
  });

  it('flags', async () => {
    await check('flags', `/projects/${team.project}/flags`, (p) => p.getByTestId('flags-table').waitFor());
  });

  it('flag editor', async () => {
    await check('flag', `/projects/${team.project}/flags/new-checkout?env=dev`, (p) => p.getByTestId('rule-builder').waitFor());
  });

  it('audit', async () => {
    await check('audit', '/audit', (p) => p.getByTestId('audit-list').waitFor());
  });

  for (const section of ['environments', 'projects', 'users', 'tokens', 'sdk-keys', 'channels', 'deliveries']) {
    it(`settings: ${section}`, async () => {
      await check(`settings-${section}`, `/settings/${section}`, (p) => p.getByRole('tab', { name: /./, selected: true }).waitFor());
    });
  }

  it('environment settings', async () => {
    await check('settings-environment', '/settings/environments/staging', (p) => p.getByTestId('week-calendar').waitFor());
  });

  it('not found', async () => {
    await check('not-found', '/projects/shop/nothing/here', (p) => p.getByTestId('not-found').waitFor());
  });
});
