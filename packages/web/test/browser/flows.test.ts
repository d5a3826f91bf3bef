import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, signIn, type TestBrowser } from './browser.js';
import { ADMIN_PASSWORD, PASSWORD, setUpTeam, startSlipway, waitFor, type Slipway, type Team } from './slipway.js';

/**
 * What a team does in the web app, in a real browser against the real built server: QA records a
 * no-go and then a go, a second person approves a deployment and watches its logs arrive, a
 * release manager changes a flag in a protected environment after reading the diff, the superadmin
 * overrides one user's flavor, someone digs through the audit log, a viewer only reads, and a
 * static test page shows the environment badge. Each step is checked against what the API says
 * really happened.
 */
describe('the web app, used by a team', () => {
  let s: Slipway;
  let team: Team;
  let b: TestBrowser;
  let version: string;

  async function pageAs(username: string, password = PASSWORD): Promise<Page> {
    const context = await b.context();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, s.url, username, password);
    return page;
  }

  beforeAll(async () => {
    s = await startSlipway();
    team = await setUpTeam(s);
    version = await team.release('feat: gift cards (SHOP-7)');
    await team.deployToDev(version);
    await s.api('POST', `/api/v1/projects/${team.project}/flags`, { key: 'new-checkout', type: 'release', variants: [{ key: 'on', value: true }, { key: 'off', value: false }] });
    await s.api('POST', `/api/v1/projects/${team.project}/flags`, { key: 'flavor', type: 'operational', variants: [{ key: 'classic', value: 'classic' }, { key: 'multi-cluster', value: 'multi-cluster' }] });
    // The company's setting: acme runs on the classic flavor.
    await s.api('PUT', `/api/v1/projects/${team.project}/flags/flavor/environments/dev`, {
      enabled: true,
      rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }], serve: { variant: 'classic' } }],
      defaultServe: { variant: 'multi-cluster' },
    });
    b = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await s?.stop();
    await team?.cleanup();
  });

  it('signs in with a wrong password refused as the API says, then with the right one', async () => {
    const context = await b.context();
    const page = await context.newPage();
    await page.goto(`${s.url}/projects/${team.project}`);
    await page.waitForURL(/\/login\?next=/);
    await page.locator('input[name=username]').fill('quinn');
    await page.locator('input[name=password]').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('api-error').innerText()).resolves.toMatch(/invalid_credentials|unauthorized/);
    // With the keyboard only: the username field has the focus, Tab moves on, Enter submits.
    await page.locator('input[name=username]').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('quinn');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    // Back where the link pointed, signed in.
    await page.waitForURL(new RegExp(`/projects/${team.project}$`));
    expect(await page.getByTestId('signed-in-as').innerText()).toContain('quinn');
    // Signing out ends the session: the next page asks to sign in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto(`${s.url}/audit`);
    await page.waitForURL(/\/login\?next=%2Faudit/);
    expect((await page.request.get(`${s.url}/api/v1/me`)).status()).toBe(401);
    await context.close();
  });

  it('QA records a no-go (a comment is required) that blocks the deploy, then a go', async () => {
    const page = await pageAs('quinn');
    await page.goto(`${s.url}/projects/${team.project}/releases/${version}`);
    await page.getByRole('button', { name: 'No-go', exact: true }).click();
    await page.getByText('A no-go needs a comment').waitFor();
    expect((await s.api('GET', `/api/v1/projects/${team.project}/releases/${version}/signoffs`)).items).toEqual([]);

    await page.getByRole('textbox', { name: 'Comment' }).fill('Checkout crashes on Safari (SHOP-8)');
    await page.getByRole('button', { name: 'No-go', exact: true }).click();
    await page.getByTestId('signoff-history').getByText('Checkout crashes on Safari (SHOP-8)').waitFor();
    const noGo = await s.api('GET', `/api/v1/projects/${team.project}/releases/${version}/signoffs`);
    expect(noGo.latest).toMatchObject([{ kind: 'qa', decision: 'no-go', comment: 'Checkout crashes on Safari (SHOP-8)', createdBy: 'quinn' }]);
    // The no-go really blocks promotion to staging.
    const refused = await s.api('POST', `/api/v1/projects/${team.project}/deployments`, { version, environment: 'staging' }, { token: team.tokens.engineer, expect: 422 });
    expect(refused.error.code).toBe('signoff_no_go');

    await page.getByRole('textbox', { name: 'Comment' }).fill('Fixed by config, retested');
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await page.getByTestId('signoff-history').getByText('Fixed by config, retested').waitFor();
    const go = await s.api('GET', `/api/v1/projects/${team.project}/releases/${version}/signoffs`);
    expect(go.items).toHaveLength(2);
    expect(go.latest).toMatchObject([{ kind: 'qa', decision: 'go', createdBy: 'quinn' }]);
    await page.context().close();
  });

  it('a second person signs in, approves the deployment, and everyone watches its logs arrive live', async () => {
    const requested = await s.api('POST', `/api/v1/projects/${team.project}/deployments`, { version, environment: 'staging', reason: 'weekly release' }, { token: team.tokens.engineer });
    expect(requested.status).toBe('pending_approval');

    // The requester sees the deployment wait, and no Approve button: their own approval never counts.
    const erin = await pageAs('erin');
    await erin.goto(`${s.url}/deployments/${requested.id}`);
    await erin.getByTestId('approval-status').getByText('You requested it').waitFor();
    expect(await erin.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    const rita = await pageAs('rita');
    await rita.goto(`${s.url}/deployments/${requested.id}`);
    await rita.getByTestId('log-state').getByText('live').waitFor();
    expect(await rita.getByTestId('logs').innerText()).not.toContain('deploying');
    await rita.getByRole('button', { name: 'Approve' }).click();
    await rita.getByRole('textbox', { name: 'Comment' }).fill('QA is happy');
    await rita.getByRole('button', { name: 'Approve deployment' }).click();

    // The command's output reaches both open pages through the SSE stream, line by line, without a reload.
    for (const page of [rita, erin]) {
      await page.getByTestId('logs').getByText(`deploying ${team.project} ${version} to eu`).waitFor();
      // The output line, not the logged command (which holds 'echo "healthy"').
      await page.getByTestId('logs').getByText(/[^"]healthy$/).waitFor({ timeout: 30_000 });
      await page.getByTestId('log-state').getByText('ended').waitFor({ timeout: 30_000 });
    }
    const done = await s.api('GET', `/api/v1/deployments/${requested.id}`);
    expect(done.status).toBe('succeeded');
    expect(done.approvals.given).toMatchObject([{ username: 'rita' }]);
    // The timeline names who approved.
    await rita.getByTestId('timeline').getByText('rita', { exact: false }).first().waitFor();
    const logs = await rita.getByTestId('logs').innerText();
    expect(logs.lastIndexOf('migrations done')).toBeGreaterThan(logs.indexOf(`deploying ${team.project} ${version} to eu`));
    await erin.context().close();
    await rita.context().close();
  });

  it('what runs where follows a new deployment live, without a reload', async () => {
    const vic = await pageAs('vic');
    await vic.goto(`${s.url}/`);
    const cell = vic.getByTestId(`cell-${team.project}-dev`);
    await cell.getByText(version).waitFor();
    // A marker on the window survives only if the page is never reloaded.
    await vic.evaluate(() => ((globalThis as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true));
    const next = await team.release('fix: gift card rounding (SHOP-10)');
    await team.deployToDev(next);
    await cell.getByText(next).waitFor({ timeout: 30_000 });
    expect(await vic.evaluate(() => (globalThis as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    expect((await s.api('GET', `/api/v1/status?project=${team.project}`)).items.find((i: any) => i.environment === 'dev').current.version).toBe(next);
    await vic.context().close();
  });

  it('a release manager changes a flag in the protected production after reading the diff and confirming', async () => {
    // An engineer may read production's configuration, not change it.
    const erin = await pageAs('erin');
    await erin.goto(`${s.url}/projects/${team.project}/flags/new-checkout?env=production`);
    await erin.getByText('you can read it, not change it').waitFor();
    expect(await erin.getByRole('button', { name: 'Review changes' }).count()).toBe(0);
    await erin.context().close();

    const rita = await pageAs('rita');
    await rita.goto(`${s.url}/projects/${team.project}/flags/new-checkout?env=production`);
    await rita.getByTestId('flag-env-production').getByRole('switch', { name: 'Enabled' }).click({ force: true });
    await rita.getByRole('button', { name: 'Review changes' }).click();
    const dialog = rita.getByRole('dialog');
    const diff = await dialog.getByTestId('diff').innerText();
    expect(diff).toMatch(/−\s+"enabled": false/);
    expect(diff).toMatch(/\+\s+"enabled": true/);
    expect(await dialog.getByTestId('protected-confirmation').innerText()).toContain('release-manager');
    // Nothing is saved before the confirmation.
    const save = dialog.getByRole('button', { name: 'Save', exact: true });
    expect(await save.isDisabled()).toBe(true);
    expect((await s.api('GET', `/api/v1/projects/${team.project}/flags/new-checkout`)).environments.find((e: any) => e.environment.key === 'production').config.enabled).toBe(false);
    await dialog.getByText('I confirm this change to Production').click();
    await save.click();
    await dialog.waitFor({ state: 'hidden' });
    const flag = await s.api('GET', `/api/v1/projects/${team.project}/flags/new-checkout`);
    const production = flag.environments.find((e: any) => e.environment.key === 'production');
    expect(production.config.enabled).toBe(true);
    expect(production.updatedBy).toBe('rita');
    await rita.getByTestId('flag-history').getByText('production').first().waitFor();
    await rita.context().close();
  });

  it("the superadmin sees what every flag serves one user and overrides the company's flavor for them", async () => {
    const admin = await pageAs('admin', ADMIN_PASSWORD);
    await admin.goto(`${s.url}/projects/${team.project}/flags`);
    const panel = admin.getByTestId('per-user');
    await panel.getByRole('textbox', { name: 'User id' }).fill('pm-jane');
    await panel.getByRole('textbox', { name: 'Company' }).fill('acme');
    await panel.getByRole('button', { name: 'Show what this user gets' }).click();
    await expect(panel.getByTestId('serve-flavor-dev').innerText()).resolves.toContain('classic');

    await panel.getByRole('button', { name: 'Override flavor in dev for pm-jane' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'Serve' }).click();
    await admin.getByRole('option', { name: 'multi-cluster' }).click();
    await dialog.getByRole('button', { name: 'Save override' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitFor(async () => (await panel.getByTestId('serve-flavor-dev').innerText()).includes('multi-cluster'), 'the re-evaluation');
    expect(await panel.getByTestId('serve-flavor-dev').innerText()).toContain('overridden');

    // The override is an individual target, which wins over the company rule; colleagues keep classic.
    const flavor = await s.api('GET', `/api/v1/projects/${team.project}/flags/flavor`);
    expect(flavor.environments.find((e: any) => e.environment.key === 'dev').config.targets).toEqual([{ variant: 'multi-cluster', values: ['pm-jane'] }]);
    const served = await s.api('POST', `/api/v1/projects/${team.project}/flags/evaluate`, { context: { targetingKey: 'someone-else', company: 'acme' }, flags: ['flavor'], environments: ['dev'] });
    expect(served.flags[0].results[0].variant).toBe('classic');
    await admin.context().close();
  });

  it('filters the audit log by resource type and action, with before/after readable', async () => {
    const admin = await pageAs('admin', ADMIN_PASSWORD);
    await admin.goto(`${s.url}/audit`);
    await admin.getByRole('textbox', { name: 'Resource type' }).fill('flag');
    await admin.getByRole('textbox', { name: 'Action' }).fill('flag.configured');
    await admin.getByRole('button', { name: 'Filter', exact: true }).click();
    await admin.waitForURL(/resourceType=flag/);
    expect(admin.url()).toContain('action=flag.configured');
    const list = admin.getByTestId('audit-list');
    await list.locator('.mantine-Accordion-control').first().waitFor();
    const controls = await list.locator('.mantine-Accordion-control').allInnerTexts();
    const expected = (await s.api('GET', '/api/v1/audit?resourceType=flag&action=flag.configured')).items;
    expect(controls).toHaveLength(expected.length);
    expect(controls.length).toBeGreaterThanOrEqual(3);
    for (const text of controls) expect(text).toContain('flag.configured');
    // Open rita's production change: the diff shows the switch.
    const ritas = list.locator('.mantine-Accordion-item', { hasText: 'rita' }).first();
    await ritas.locator('.mantine-Accordion-control').click();
    await expect(ritas.getByTestId('diff').innerText()).resolves.toMatch(/\+\s+"enabled": true/);
    // Reloading the filtered URL keeps the filter (every page is a URL).
    await admin.reload();
    expect(await admin.getByRole('textbox', { name: 'Action' }).inputValue()).toBe('flag.configured');
    await admin.context().close();
  });

  it('a viewer sees no mutation button anywhere, and the API refuses the change anyway', async () => {
    const vic = await pageAs('vic');
    const pages: Array<[string, string]> = [
      [`/projects/${team.project}`, 'release-'],
      [`/projects/${team.project}/releases/${version}`, 'changelog'],
      [`/projects/${team.project}/flags`, 'flags-table'],
      [`/projects/${team.project}/flags/new-checkout?env=dev`, 'rule-builder'],
      ['/settings/environments', ''],
      ['/settings/projects', ''],
    ];
    const mutating = /\b(create|deploy|go|no-go|approve|reject|cancel|roll back|review changes|save|discard|archive|delete|revoke|add|new|retry|send test|edit|override)\b/i;
    for (const [path, ready] of pages) {
      await vic.goto(`${s.url}${path}`);
      if (ready) await vic.locator(`[data-testid^="${ready}"]`).first().waitFor();
      else await vic.getByRole('table').first().waitFor();
      await vic.waitForLoadState('networkidle');
      // Accordion headers (history entries) are buttons that only open a panel.
      const buttons = await vic.locator('button:not(.mantine-Accordion-control)').allInnerTexts();
      const offending = buttons.filter((t) => mutating.test(t) && !/sign out|compare|stale only|filter|clear|move|show what/i.test(t));
      expect(offending, path).toEqual([]);
    }
    // The editors are read-only: every input of the flag editor is disabled.
    await vic.goto(`${s.url}/projects/${team.project}/flags/new-checkout?env=dev`);
    await vic.getByTestId('rule-builder').waitFor();
    expect(await vic.getByTestId('flag-env-dev').locator('input:not([disabled]):not([type=hidden])').count()).toBe(0);
    // With the viewer's own session cookie and CSRF token, the API still says no.
    const answer = await vic.evaluate(async ({ project, version }) => {
      const me = (await (await fetch('/api/v1/me')).json()) as { csrfToken: string };
      const res = await fetch(`/api/v1/projects/${project}/releases/${version}/signoffs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-slipway-csrf': me.csrfToken },
        body: JSON.stringify({ kind: 'qa', decision: 'go' }),
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    }, { project: team.project, version });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('forbidden');
    expect((await s.api('GET', `/api/v1/projects/${team.project}/releases/${version}/signoffs`)).items).toHaveLength(2);
    await vic.context().close();
  });

  it('a release manager sets a deploy window on the week calendar, refused while a time is wrong', async () => {
    const rita = await pageAs('rita');
    await rita.goto(`${s.url}/settings/environments/dev`);
    const editor = rita.getByTestId('window-editor');
    await editor.getByRole('button', { name: '+ Add window' }).click();
    expect(await editor.locator('.block.open').count()).toBe(5); // Monday to Friday, 09:00–16:00
    await editor.getByRole('textbox', { name: 'Window 1 end' }).fill('25:00');
    await editor.getByText('End "25:00" is not a time').waitFor();
    expect(await rita.getByRole('button', { name: 'Save dev' }).isDisabled()).toBe(true);
    await editor.getByRole('textbox', { name: 'Window 1 end' }).fill('17:30');
    await rita.getByRole('button', { name: 'Save dev' }).click();
    await waitFor(async () => (await s.api('GET', '/api/v1/environments/dev')).windows.length === 1, 'the saved window');
    const dev = await s.api('GET', '/api/v1/environments/dev');
    expect(dev.windows[0]).toMatchObject({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:30' });
    // Everything else of the environment is kept (its command target).
    expect(dev.targets).toMatchObject([{ key: 'default', executor: { type: 'command', command: ['true'] } }]);
    await rita.context().close();
  });

  it("saving an environment form read before someone else's freeze is refused, and the freeze stays", async () => {
    const rita = await pageAs('rita');
    await rita.goto(`${s.url}/settings/environments/dev`);
    const name = rita.getByRole('textbox', { name: 'Name', exact: true });
    await name.waitFor();
    // While rita's form is open, the admin freezes dev through the API.
    const freeze = { from: '2031-03-01T00:00:00Z', to: '2031-03-02T00:00:00Z', reason: 'quarter close' };
    await s.api('PATCH', '/api/v1/environments/dev', { freezes: [freeze] });
    await name.fill('Development (EU)');
    await rita.getByRole('button', { name: 'Save dev' }).click();
    await rita.getByText('Someone changed this environment since you opened it').waitFor();
    await expect(rita.getByTestId('api-error').innerText()).resolves.toContain('precondition_failed');
    // Nothing of rita's stale form was written: the freeze is still there, the name unchanged.
    let dev = await s.api('GET', '/api/v1/environments/dev');
    expect(dev.freezes.map((f: { reason: string }) => f.reason)).toEqual(['quarter close']);
    expect(dev.name).not.toBe('Development (EU)');
    // She loads the admin's change, makes hers again, and it saves with the freeze kept.
    await rita.getByRole('button', { name: /Load their changes/ }).click();
    await waitFor(async () => (await name.inputValue()) !== 'Development (EU)', 'the form reloaded');
    await name.fill('Development (EU)');
    await rita.getByRole('button', { name: 'Save dev' }).click();
    await waitFor(async () => (await s.api('GET', '/api/v1/environments/dev')).name === 'Development (EU)', 'the saved name');
    dev = await s.api('GET', '/api/v1/environments/dev');
    expect(dev.freezes.map((f: { reason: string }) => f.reason)).toEqual(['quarter close']);
    await rita.context().close();
  });

  it('the badge script draws the environment and version on a static test page, and nothing in production', async () => {
    // The front-end under test is another origin: a static page served from its own server.
    const site = http.createServer((req, res) => {
      const env = new URL(req.url ?? '/', 'http://x').searchParams.get('env') ?? 'dev';
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html lang="en"><head><title>Shop</title><script src="${s.url}/badge.js?project=${team.project}&environment=${env}" defer></script></head><body><h1>Shop</h1></body></html>`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    try {
      const context = await b.context();
      const page = await context.newPage();
      await page.goto(`${origin}/?env=staging`);
      const badge = page.locator('#slipway-badge');
      await badge.waitFor({ state: 'attached' });
      const text = await page.locator('#slipway-badge [role=note]').innerText();
      expect(text).toContain('Staging');
      expect(text).toContain(version);
      expect(await badge.getAttribute('data-environment')).toBe('Staging');
      // Drawn in the environment's colour (#f08c00).
      // (Runs in the page: the test's own types have no DOM, hence the cast.)
      const html = await badge.evaluate((el) => {
        const style = (globalThis as unknown as { getComputedStyle(e: unknown): { borderColor: string; outlineColor: string } }).getComputedStyle(el);
        return (el as unknown as { outerHTML: string }).outerHTML + style.borderColor + style.outlineColor;
      });
      expect(html).toMatch(/240, 140, 0|#f08c00/i);

      await page.goto(`${origin}/?env=production`);
      await page.waitForLoadState('networkidle');
      expect(await page.locator('#slipway-badge').count()).toBe(0);
      await context.close();
    } finally {
      await new Promise((resolve) => site.close(resolve));
    }
  });
});
