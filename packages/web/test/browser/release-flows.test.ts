import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, layoutProblems, screenshot, seriousViolations, signIn, type TestBrowser } from './browser.js';
import { PASSWORD, setUpTeam, startSlipway, waitFor, type Slipway, type Team } from './slipway.js';

/**
 * A release's way through the web app, in a real browser against the real built server: an
 * engineer creates it from the preview (the tag lands in the git remote), the deploy preflight
 * lists every guard that refuses at once and quotes QA's no-go, the staging deployment is
 * requested from the release page and a second person approves it, a later request is rejected
 * with a comment, staging is rolled back with the preview, and a release manager edits the
 * approval groups. Each step is checked against what the API and the git remote say.
 */
describe('a release through the web app', () => {
  let s: Slipway;
  let team: Team;
  let b: TestBrowser;
  let v1: string;
  let v2: string;

  async function pageAs(username: string): Promise<Page> {
    const context = await b.context();
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, s.url, username, PASSWORD);
    return page;
  }
  const deployments = async (environment: string) => (await s.api('GET', `/api/v1/projects/${team.project}/deployments?environment=${environment}`)).items as Array<{ id: string; version: string; status: string; kind: string }>;
  const succeeded = (id: string) => waitFor(async () => (await s.api('GET', `/api/v1/deployments/${id}`)).status === 'succeeded', `deployment ${id}`, 30_000);
  /** Opens the deploy dialog of the release page for one environment and waits for the preflight's answer. */
  async function openPreflight(page: Page, version: string, environment: string) {
    await page.goto(`${s.url}/projects/${team.project}/releases/${version}`);
    const panel = page.getByTestId('deploy-panel');
    await panel.waitFor();
    const direct = panel.getByRole('button', { name: `Deploy to ${environment}` });
    if (await direct.count()) await direct.click();
    else {
      await panel.getByRole('combobox', { name: 'Deploy to another environment' }).click();
      await page.getByRole('option', { name: environment }).click();
    }
    const dialog = page.getByRole('dialog');
    await dialog.locator('[data-testid=preflight-allowed], [data-testid=preflight-refusals]').first().waitFor();
    return dialog;
  }

  beforeAll(async () => {
    s = await startSlipway();
    team = await setUpTeam(s);
    b = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await s?.stop();
    await team?.cleanup();
  });

  it('an engineer creates a release from the preview: version, rule and changelog first, then the tag in the remote', async () => {
    await team.repo.commit('feat: gift cards (SHOP-7)');
    await team.repo.commit('fix: rounding of totals (SHOP-8)');
    await team.repo.push();
    // What the API itself would answer, for comparison; it tags nothing.
    const expected = await s.api('POST', `/api/v1/projects/${team.project}/releases`, { dryRun: true });
    expect(expected.wouldRelease).toBe(true);

    const erin = await pageAs('erin');
    await erin.goto(`${s.url}/projects/${team.project}`);
    await erin.getByRole('button', { name: 'Create release' }).click();
    const dialog = erin.getByRole('dialog');
    const preview = dialog.getByTestId('release-preview');
    await preview.waitFor();
    const text = await preview.innerText();
    expect(text).toContain(expected.version);
    expect(text).toContain(expected.tag);
    expect(await preview.getByTestId('bump-rule').innerText()).toContain(expected.decision.reason);
    expect(await preview.getByTestId('changelog').innerText()).toMatch(/gift cards[\s\S]*rounding of totals|rounding of totals[\s\S]*gift cards/);
    // Nothing is tagged while the preview is open.
    expect(await team.repo.remoteGit('tag', '--list')).toBe('');
    expect((await s.api('GET', `/api/v1/projects/${team.project}/releases`)).items).toEqual([]);
    await screenshot(erin, 'release-create-preview', { fullPage: false });
    expect(await seriousViolations(erin)).toEqual([]);

    await dialog.getByRole('button', { name: `Create ${expected.version}` }).click();
    await erin.waitForURL(new RegExp(`/projects/${team.project}/releases/${expected.version.replace(/\./g, '\\.')}$`));
    await erin.getByTestId('changelog').waitFor();
    v1 = expected.version;
    const release = await s.api('GET', `/api/v1/projects/${team.project}/releases/${v1}`);
    expect(release).toMatchObject({ version: v1, tag: expected.tag, createdBy: 'erin' });
    expect([...release.tickets].sort()).toEqual(['SHOP-7', 'SHOP-8']);
    // The tag is in the git remote, on the commit Slipway recorded.
    expect(await team.repo.remoteGit('rev-parse', `${expected.tag}^{commit}`)).toBe(release.commit);
    await erin.context().close();
  });

  it('the deploy preflight lists every guard that refuses at once, creating nothing', async () => {
    const erin = await pageAs('erin');
    const dialog = await openPreflight(erin, v1, 'Staging');
    const refusals = dialog.getByTestId('preflight-refusals');
    await refusals.getByTestId('refusal-promotion_order').waitFor();
    await refusals.getByTestId('refusal-signoff_missing').waitFor();
    expect(await refusals.innerText()).toContain('2 guards refuse');
    // The same refusals as the API's preflight, each with what to do.
    const api = await s.api('POST', `/api/v1/projects/${team.project}/deployments`, { version: v1, environment: 'staging', dryRun: true }, { token: team.tokens.engineer });
    expect(api.refusals.map((r: { code: string }) => r.code).sort()).toEqual(['promotion_order', 'signoff_missing']);
    for (const r of api.refusals) expect(await refusals.innerText()).toContain(r.message);
    expect(await refusals.innerText()).toContain('What to do');
    // Neither can be overridden: the Deploy button stays disabled and no override field is offered.
    expect(await dialog.getByRole('button', { name: `Deploy ${v1}` }).isDisabled()).toBe(true);
    expect(await dialog.getByRole('textbox', { name: 'Override reason' }).count()).toBe(0);
    await screenshot(erin, 'release-preflight', { fullPage: false });
    expect(await seriousViolations(erin)).toEqual([]);
    expect(await deployments('staging')).toEqual([]);
    await erin.context().close();
  });

  it("deploys to dev from the release page; QA's no-go then shows in the preflight, quoted", async () => {
    const erin = await pageAs('erin');
    const dialog = await openPreflight(erin, v1, 'Development');
    await dialog.getByTestId('preflight-allowed').waitFor();
    await dialog.getByRole('button', { name: `Deploy ${v1}` }).click();
    await erin.waitForURL(/\/deployments\/[0-9a-z]{26}$/);
    const id = erin.url().split('/').pop()!;
    await succeeded(id);

    const quinn = await pageAs('quinn');
    await quinn.goto(`${s.url}/projects/${team.project}/releases/${v1}`);
    await quinn.getByRole('textbox', { name: 'Comment' }).fill('Gift cards cannot be redeemed twice (SHOP-9)');
    await quinn.getByRole('button', { name: 'No-go', exact: true }).click();
    await quinn.getByTestId('signoff-history').getByText('Gift cards cannot be redeemed twice (SHOP-9)').waitFor();

    const again = await openPreflight(erin, v1, 'Staging');
    const noGo = again.getByTestId('refusal-signoff_no_go');
    await noGo.waitFor();
    expect(await noGo.innerText()).toContain('"Gift cards cannot be redeemed twice (SHOP-9)"');
    expect(await noGo.innerText()).toContain('quinn');
    expect(await again.getByTestId('refusal-promotion_order').count()).toBe(0);
    expect(await again.getByRole('button', { name: `Deploy ${v1}` }).isDisabled()).toBe(true);

    await quinn.getByRole('textbox', { name: 'Comment' }).fill('Fixed by configuration, retested');
    await quinn.getByRole('button', { name: 'Go', exact: true }).click();
    await quinn.getByTestId('signoff-history').getByText('Fixed by configuration, retested').waitFor();
    await quinn.context().close();
    await erin.context().close();
  });

  it('suggests where to deploy only once it knows where the release runs: a slow answer never offers dev again', async () => {
    const erin = await pageAs('erin');
    // The release's deployments answer late, as over a slow network: the real answer, held back 2 s.
    let heldBack = 0;
    await erin.route(/\/api\/v1\/projects\/[^/]+\/deployments\?/, async (route) => {
      const response = await route.fetch();
      heldBack++;
      await new Promise((r) => setTimeout(r, 2_000));
      await route.fulfill({ response });
    });
    const projectRead = erin.waitForResponse((r) => r.url().endsWith(`/api/v1/projects/${team.project}`));
    await erin.goto(`${s.url}/projects/${team.project}/releases/${v1}`);
    await projectRead;
    await erin.getByTestId('changelog').waitFor();
    const panel = erin.getByTestId('deploy-panel');
    // The release and its project are shown, its deployments are not known yet: no suggestion at all.
    expect(heldBack).toBe(1);
    expect(await panel.count()).toBe(0);
    // v1 runs on dev: once that is known, staging is suggested, and dev is not offered.
    await panel.getByRole('button', { name: 'Deploy to Staging' }).waitFor();
    expect(await panel.getByRole('button', { name: 'Deploy to Development' }).count()).toBe(0);
    await erin.context().close();
  });

  it('an engineer requests staging from the release page, a second person approves it', async () => {
    const erin = await pageAs('erin');
    const dialog = await openPreflight(erin, v1, 'Staging');
    await dialog.getByTestId('preflight-allowed').waitFor();
    // The preflight says who must approve before it starts.
    expect(await dialog.getByTestId('preflight-approvals').innerText()).toContain('release-manager');
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('gift cards for the weekend');
    await dialog.getByRole('button', { name: `Deploy ${v1}` }).click();
    await erin.waitForURL(/\/deployments\/[0-9a-z]{26}$/);
    const id = erin.url().split('/').pop()!;
    await erin.getByTestId('approval-status').getByText('You requested it').waitFor();
    const requested = await s.api('GET', `/api/v1/deployments/${id}`);
    expect(requested).toMatchObject({ status: 'pending_approval', requestedBy: 'erin', reason: 'gift cards for the weekend', version: v1, environment: 'staging' });

    const rita = await pageAs('rita');
    await rita.goto(`${s.url}/deployments/${id}`);
    await rita.getByRole('button', { name: 'Approve' }).click();
    await rita.getByRole('button', { name: 'Approve deployment' }).click();
    await succeeded(id);
    expect((await s.api('GET', `/api/v1/deployments/${id}`)).approvals.given).toMatchObject([{ username: 'rita' }]);
    // Erin's page follows without a reload.
    await erin.getByTestId('log-state').getByText('ended').waitFor({ timeout: 30_000 });
    await rita.context().close();
    await erin.context().close();
  });

  it('a release manager rejects a request with a comment: it ends rejected and the page says why', async () => {
    v2 = await team.release('feat: gift card balance (SHOP-11)');
    await team.deployToDev(v2);
    await s.api('POST', `/api/v1/projects/${team.project}/releases/${v2}/signoffs`, { kind: 'qa', decision: 'go' }, { token: team.tokens.qa });
    const requested = await s.api('POST', `/api/v1/projects/${team.project}/deployments`, { version: v2, environment: 'staging' }, { token: team.tokens.engineer });

    const rita = await pageAs('rita');
    await rita.goto(`${s.url}/deployments/${requested.id}`);
    await rita.getByRole('button', { name: 'Reject' }).click();
    const dialog = rita.getByRole('dialog');
    // A rejection needs a comment.
    await dialog.getByRole('button', { name: 'Reject deployment' }).click();
    await dialog.getByText('Say why you reject it.').waitFor();
    expect((await s.api('GET', `/api/v1/deployments/${requested.id}`)).status).toBe('pending_approval');
    await dialog.getByRole('textbox', { name: 'Comment (required)' }).fill('Not during the campaign');
    await dialog.getByRole('button', { name: 'Reject deployment' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const rejection = rita.getByTestId('rejection');
    await rejection.waitFor();
    expect(await rejection.innerText()).toContain('Not during the campaign');
    expect(await rejection.innerText()).toContain('rita');
    await rita.getByText('rejected', { exact: true }).first().waitFor();
    const after = await s.api('GET', `/api/v1/deployments/${requested.id}`);
    expect(after).toMatchObject({ status: 'rejected', rejection: { by: 'rita', comment: 'Not during the campaign' } });
    expect(after.targets.every((t: { status: string }) => t.status !== 'succeeded')).toBe(true);
    expect(await rita.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await seriousViolations(rita)).toEqual([]);
    await rita.context().close();
  });

  it('rolls staging back with the preview: from and to, what it removes, then the previous version runs', async () => {
    // v2 reaches staging after all (approved through the API).
    const second = await s.api('POST', `/api/v1/projects/${team.project}/deployments`, { version: v2, environment: 'staging' }, { token: team.tokens.engineer });
    await s.api('POST', `/api/v1/deployments/${second.id}/approve`, {}, { token: team.tokens.releaseManager });
    await succeeded(second.id);
    const staging = async () => (await s.api('GET', `/api/v1/status?project=${team.project}`)).items.find((i: { environment: string }) => i.environment === 'staging');
    expect((await staging()).current.version).toBe(v2);

    const rita = await pageAs('rita');
    await rita.goto(`${s.url}/deployments/${second.id}`);
    await rita.getByRole('button', { name: 'Roll back staging' }).click();
    const dialog = rita.getByRole('dialog');
    const preview = dialog.getByTestId('rollback-preview');
    await preview.waitFor();
    const plan = await s.api('GET', `/api/v1/projects/${team.project}/environments/staging/rollback-preview`);
    expect(plan.from.version).toBe(v2);
    expect(plan.to.version).toBe(v1);
    expect(await preview.innerText()).toContain(`from ${v2} to ${v1}`);
    const removes = await preview.getByTestId('rollback-removes').innerText();
    expect(removes).toContain(v2);
    expect(removes).toContain('SHOP-11');
    expect(await preview.getByTestId('rollback-targets').innerText()).toMatch(new RegExp(`eu\\s+${v2.replace(/\./g, '\\.')}\\s+${v1.replace(/\./g, '\\.')}`));
    await screenshot(rita, 'deployment-rollback-preview', { fullPage: false });
    expect(await seriousViolations(rita)).toEqual([]);

    await dialog.getByRole('textbox', { name: 'Reason' }).fill('balance is wrong for EUR');
    await dialog.getByRole('button', { name: 'Roll back', exact: true }).click();
    await rita.waitForURL((url) => /\/deployments\/[0-9a-z]{26}$/.test(url.pathname) && !url.pathname.endsWith(second.id));
    const rollbackId = rita.url().split('/').pop()!;
    await succeeded(rollbackId);
    expect(await s.api('GET', `/api/v1/deployments/${rollbackId}`)).toMatchObject({ kind: 'rollback', version: v1, environment: 'staging', rollbackOf: second.id, requestedBy: 'rita' });
    // What runs there now, as the status API says.
    expect((await staging()).current.version).toBe(v1);
    await rita.context().close();
  });

  it('a freeze refuses production until a release manager gives an override reason; the deployment records it', async () => {
    const now = Date.now();
    await s.api('PATCH', '/api/v1/environments/production', { freezes: [{ from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 86_400_000).toISOString(), reason: 'Campaign weekend' }] });
    // Production is protected: an engineer is told who deploys there, and the API refuses them anyway.
    const erin = await pageAs('erin');
    await erin.goto(`${s.url}/projects/${team.project}/releases/${v1}`);
    const panel = erin.getByTestId('deploy-panel');
    await panel.getByTestId('deploy-role').getByText('Production is protected: only release-manager and above deploy there.').waitFor();
    expect(await panel.getByRole('button', { name: 'Deploy to Production' }).isDisabled()).toBe(true);
    const forbidden = await s.api('POST', `/api/v1/projects/${team.project}/deployments`, { version: v1, environment: 'production', dryRun: true }, { token: team.tokens.engineer, expect: 403 });
    expect(forbidden.error.code).toBe('forbidden');
    await erin.context().close();

    const rita = await pageAs('rita');
    const dialog = await openPreflight(rita, v1, 'Production');
    const frozen = dialog.getByTestId('refusal-frozen');
    expect(await frozen.innerText()).toContain('Campaign weekend');
    expect(await frozen.innerText()).toContain('An override reason sets this aside.');
    const deploy = dialog.getByRole('button', { name: `Deploy ${v1}` });
    expect(await deploy.isDisabled()).toBe(true);
    await dialog.getByRole('textbox', { name: 'Override reason' }).fill('Payment fix the campaign needs');
    expect(await deploy.isDisabled()).toBe(false);
    await deploy.click();
    await rita.waitForURL(/\/deployments\/[0-9a-z]{26}$/);
    const id = rita.url().split('/').pop()!;
    expect(await s.api('GET', `/api/v1/deployments/${id}`)).toMatchObject({ environment: 'production', version: v1, requestedBy: 'rita', override: { reason: 'Payment fix the campaign needs', overridden: ['frozen'] } });
    await rita.getByText('Overrode frozen', { exact: false }).first().waitFor();
    await rita.context().close();
  });

  it('a release manager edits the approval groups of an environment; the API reads them back', async () => {
    const rita = await pageAs('rita');
    await rita.goto(`${s.url}/settings/environments/staging`);
    const editor = rita.getByTestId('approval-groups');
    // The group set up through the API ({ required: 1, roles: [release-manager] }) shows as one group.
    const before = (await s.api('GET', '/api/v1/environments/staging')).approvals;
    expect(before).toHaveLength(1);
    const group = (n: number) => editor.getByRole('group', { name: `Approval group ${n}` });
    expect(await group(1).getByLabel('Name').inputValue()).toBe(before[0].name);

    await editor.getByRole('button', { name: '+ Add approval group' }).click();
    await group(2).getByLabel('Name').fill('security');
    const users = group(2).getByLabel('Or users');
    await users.fill('sam');
    await users.press('Enter');
    // With the keyboard: focus the multi-select, open it with ArrowDown, pick an option.
    await group(2).getByLabel('From roles').focus();
    await rita.keyboard.press('ArrowDown');
    await rita.getByRole('option', { name: 'admin' }).click();
    await rita.keyboard.press('Escape');
    await group(2).getByLabel('Only for kinds').focus();
    await rita.keyboard.press('ArrowDown');
    await rita.getByRole('option', { name: 'hotfix' }).click();
    await rita.keyboard.press('Escape');
    await rita.getByRole('button', { name: 'Save staging' }).click();
    await waitFor(async () => (await s.api('GET', '/api/v1/environments/staging')).approvals.length === 2, 'the saved approval groups');
    const saved = (await s.api('GET', '/api/v1/environments/staging')).approvals;
    expect(saved[0]).toMatchObject({ name: before[0].name, required: 1, roles: ['release-manager'] });
    expect(saved[1]).toEqual({ name: 'security', required: 1, roles: ['release-manager', 'admin'], users: ['sam'], kinds: ['hotfix'] });
    // Everything else of the environment is kept.
    expect((await s.api('GET', '/api/v1/environments/staging')).requiredSignoffs).toEqual(['qa']);
    // The page reads back what the API holds.
    await rita.reload();
    expect(await group(2).getByLabel('Name').inputValue()).toBe('security');
    await screenshot(rita, 'settings-environment-approvals');
    expect(await seriousViolations(rita)).toEqual([]);
    expect(await layoutProblems(rita)).toEqual([]);
    await rita.context().close();
  });
});
