import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, layoutProblems, screenshot, seriousViolations, signIn, type TestBrowser } from './browser.js';
import { ADMIN_PASSWORD, setUpTeam, startSlipway, waitFor, type Slipway, type Team } from './slipway.js';

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
    const p = team.project;
    // A chat webhook nobody listens to: its deliveries fail and wait for a retry (the deliveries page).
    await s.api('POST', '/api/v1/channels', { name: 'team-chat', type: 'webhook', config: { url: 'http://127.0.0.1:59999/hook', secret: 'webhook-secret-0123456789' }, subscriptions: [{ events: ['deployment.*', 'flag.changed'] }] });
    const v1 = await team.release('feat: catalogue search (SHOP-1)');
    await team.deployToDev(v1);
    await team.release('feat!: new checkout API (SHOP-2)\n\nBREAKING CHANGE: /cart moved to /basket');
    await team.repo.commit('fix: rounding of prices (SHOP-3)');
    await team.repo.commit('docs: explain the basket');
    await team.repo.push();
    v2 = (await s.api('POST', `/api/v1/projects/${p}/releases`, {})).version;
    await team.deployToDev(v2);
    // A hotfix of 1.0.0 from a branch that is not on main: "not merged back".
    await team.repo.git('fetch', '--quiet', '--tags', 'origin');
    await team.repo.branch('urgent', `v${v1}`);
    await team.repo.commit('fix: payment timeout (SHOP-9)');
    await team.repo.push('urgent');
    await team.repo.checkout('main');
    await s.api('POST', `/api/v1/projects/${p}/releases/${v1}/hotfixes`, { branch: 'urgent' });
    // Staging: QA go, requested by an engineer, approved by a release manager, deployed with real output.
    await s.api('POST', `/api/v1/projects/${p}/releases/${v2}/signoffs`, { kind: 'qa', decision: 'go', environment: 'staging', comment: 'Regression suite green' }, { token: team.tokens.qa });
    const staged = await s.api('POST', `/api/v1/projects/${p}/deployments`, { version: v2, environment: 'staging', reason: 'weekly release' }, { token: team.tokens.engineer });
    await s.api('POST', `/api/v1/deployments/${staged.id}/approve`, { comment: 'go' }, { token: team.tokens.releaseManager });
    await waitFor(async () => (await s.api('GET', `/api/v1/deployments/${staged.id}`)).status === 'succeeded', 'the staging deployment');
    deploymentId = staged.id;
    // In flight: production (record executor, waits for its report); then a freeze; dev drifts.
    await s.api('POST', `/api/v1/projects/${p}/deployments`, { version: v2, environment: 'production' }, { token: team.tokens.releaseManager });
    const now = Date.now();
    await s.api('PATCH', '/api/v1/environments/production', { freezes: [{ from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 2 * 86_400_000).toISOString(), reason: 'Black Friday' }] });
    await s.api('PATCH', '/api/v1/environments/staging', { windows: [{ days: ['mon', 'tue', 'wed', 'thu'], start: '09:00', end: '16:00', timezone: 'Europe/Berlin' }] });
    await s.api('POST', `/api/v1/projects/${p}/environments/dev/heartbeat`, { version: v1, instance: 'web-1' }, { token: team.tokens.engineer });
    await s.api('POST', `/api/v1/projects/${p}/flags`, { key: 'new-checkout', name: 'New checkout', type: 'release', variants: [{ key: 'on', value: true }, { key: 'off', value: false }], tags: ['checkout'] });
    await s.api('POST', `/api/v1/projects/${p}/flags`, { key: 'flavor', type: 'operational', variants: [{ key: 'classic', value: 'classic' }, { key: 'multi-cluster', value: 'multi-cluster' }] });
    await s.api('PUT', `/api/v1/projects/${p}/flags/new-checkout/environments/dev`, {
      enabled: true,
      targets: [{ variant: 'on', values: ['qa-bot'] }],
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
    expect(await layoutProblems(page), `${path}`).toEqual([]);
  }

  it('sign-in page', async () => {
    await check('login', '/login', (p) => p.getByRole('button', { name: 'Sign in' }).waitFor());
    await signIn(page, s.url, 'admin', ADMIN_PASSWORD);
  });

  it('what runs where', async () => {
    await check('home', '/', async (p) => {
      await p.getByTestId('matrix').waitFor();
      await p.getByText('Frozen until').waitFor();
    });
  });

  it('project', async () => {
    await check('project', `/projects/${team.project}`, (p) => p.getByTestId(`release-${v2}`).waitFor());
  });

  it('release', async () => {
    await check('release', `/projects/${team.project}/releases/${v2}`, (p) => p.getByTestId('changelog').waitFor());
  });

  it('deployment', async () => {
    await check('deployment', `/deployments/${deploymentId}`, (p) => p.getByTestId('log-state').getByText('ended').waitFor());
  });

  it("flags, with one user's view", async () => {
    await check('flags', `/projects/${team.project}/flags`, async (p) => {
      await p.getByTestId('flags-table').waitFor();
      await p.getByRole('textbox', { name: 'User id' }).fill('pm-jane');
      await p.getByRole('textbox', { name: 'Company' }).fill('acme');
      await p.getByRole('button', { name: 'Show what this user gets' }).click();
      await p.getByTestId('per-user-results').waitFor();
      await p.locator('[data-testid=per-user] button[data-loading]').waitFor({ state: 'detached' });
    });
  });

  it('flag editor', async () => {
    await check('flag', `/projects/${team.project}/flags/new-checkout?env=dev`, (p) => p.getByTestId('rule-builder').waitFor());
  });

  it('audit', async () => {
    await check('audit', '/audit?resourceType=flag', async (p) => {
      await p.getByTestId('audit-list').waitFor();
      await p.locator('.mantine-Accordion-control', { hasText: 'flag.configured' }).first().click();
      await p.getByTestId('diff').first().waitFor();
    });
  });

  for (const section of ['environments', 'projects', 'users', 'tokens', 'sdk-keys', 'channels', 'deliveries']) {
    it(`settings: ${section}`, async () => {
      await check(`settings-${section}`, `/settings/${section}`, (p) => p.getByRole('tab', { name: /./, selected: true }).waitFor());
    });
  }

  it('environment settings', async () => {
    await check('settings-environment', '/settings/environments/staging', (p) => p.getByTestId('week-calendar').waitFor());
  });

  it('keeps its layout in a narrower window (1024 px): content clear of the sidebar, nothing wider than the window', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    try {
      const paths = [
        `/projects/${team.project}`,
        `/projects/${team.project}/releases/${v2}`,
        `/deployments/${deploymentId}`,
        `/projects/${team.project}/flags`,
        `/projects/${team.project}/flags/new-checkout?env=dev`,
        '/audit',
        '/settings/environments',
        '/settings/environments/staging',
      ];
      for (const path of paths) {
        await page.goto(`${s.url}${path}`);
        await page.locator('#main h1').first().waitFor();
        await page.waitForLoadState('networkidle').catch(() => undefined);
        expect(await layoutProblems(page), path).toEqual([]);
      }
    } finally {
      await page.setViewportSize({ width: 1360, height: 900 });
    }
  });

  it('not found', async () => {
    await check('not-found', '/projects/shop/nothing/here', (p) => p.getByTestId('not-found').waitFor());
  });
});
