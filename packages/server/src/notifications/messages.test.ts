import { describe, expect, it } from 'vitest';
import { describe as describeEvent, formatDuration } from './announcement.js';
import { listing, summaryLine } from './release-digest.js';
import { releaseNotes } from '../releases/changelog.js';
import { renderEmail } from './renderers/email.js';
import { slackBody } from './renderers/slack.js';
import { signature, webhookBody } from './renderers/webhook.js';
import { backoffMs, DEFAULT_RETRY_POLICY } from './retry-policy.js';
import { matchesPattern, subscribes } from './subscriptions.js';
import type { Channel } from './channel-types.js';

const event = (type: string, payload: Record<string, unknown>, keys: { projectKey?: string | null; environmentKey?: string | null } = {}) => ({
  id: 'evt1',
  type,
  payload,
  projectKey: keys.projectKey ?? null,
  environmentKey: keys.environmentKey ?? null,
  createdAt: '2026-06-20T14:00:00.000Z',
});

describe('subscriptions', () => {
  it('matches exact types, prefixes ending in * and *', () => {
    expect(matchesPattern('deployment.*', 'deployment.failed')).toBe(true);
    expect(matchesPattern('deployment.*', 'deployments.x')).toBe(false);
    expect(matchesPattern('*', 'anything')).toBe(true);
    expect(matchesPattern('flag.changed', 'flag.changed')).toBe(true);
    expect(matchesPattern('flag.changed', 'flag.changed.more')).toBe(false);
  });

  it('filters by project and environment; absent lists match all, events without the key do not pass a list', () => {
    const subs = [{ events: ['deployment.*'], projects: ['api'], environments: ['production'] }];
    expect(subscribes(subs, { type: 'deployment.started', projectKey: 'api', environmentKey: 'production' })).toBe(true);
    expect(subscribes(subs, { type: 'deployment.started', projectKey: 'web', environmentKey: 'production' })).toBe(false);
    expect(subscribes(subs, { type: 'deployment.started', projectKey: 'api', environmentKey: 'staging' })).toBe(false);
    expect(subscribes(subs, { type: 'deployment.started', projectKey: null, environmentKey: 'production' })).toBe(false);
    expect(subscribes([{ events: ['*'] }], { type: 'user.created', projectKey: null, environmentKey: null })).toBe(true);
    expect(subscribes([], { type: 'user.created', projectKey: null, environmentKey: null })).toBe(false);
  });
});

describe('retry policy', () => {
  it('doubles from 1 s up to 1 h', () => {
    expect([1, 2, 3, 12, 13, 50].map((n) => backoffMs(DEFAULT_RETRY_POLICY, n))).toEqual([1000, 2000, 4000, 2_048_000, 3_600_000, 3_600_000]);
  });
});

describe('the event model', () => {
  it('reads any event type, including ones added later, without failing on missing fields', () => {
    const a = describeEvent(event('rollout.phase_advanced', { rollout: 'r1', weight: 25 }), { publicUrl: 'https://slipway.example.com' });
    expect(a).toMatchObject({ title: 'Rollout r1 phase advanced', tone: 'info', links: [], logLines: [] });
    const empty = describeEvent(event('deployment.failed', {}), { publicUrl: 'https://s' });
    expect(empty.title).toBe('Deployment of a project ? to an environment failed');
    expect(empty.summary).toBe('Failed.');
    const text = slackBody(empty).text;
    expect(text).toContain('failed');
  });

  it('formats durations', () => {
    expect([850, 5000, 83_000, 3_720_000].map(formatDuration)).toEqual(['850 ms', '5s', '1m 23s', '1h 2m']);
  });

  it('escapes what receivers would interpret', () => {
    const a = describeEvent(event('flag.changed', { project: 'api', environment: 'prod', flag: 'X', summary: '<script>alert(1)</script> & <@channel>' }), { publicUrl: 'https://s' });
    expect(slackBody(a).text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;@channel&gt;');
    const channel: Channel = { id: 'c', name: 'm', type: 'email', config: { host: 'h', port: 25, from: 'a@b.c', to: ['d@e.f'] }, subscriptions: [], enabled: true, createdBy: 'x', createdAt: '', updatedAt: '' };
    const mail = renderEmail(channel, a, 'd1');
    expect(mail.message.html).not.toContain('<script>');
    expect(mail.message.html).toContain('&lt;script&gt;');
  });

  it('signs the exact webhook body', () => {
    const a = describeEvent(event('project.created', { project: 'api' }, { projectKey: 'api' }), { publicUrl: 'https://s' });
    const body = JSON.stringify(webhookBody(a, 'd1'));
    expect(signature('k', body)).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signature('k', body)).not.toBe(signature('k', `${body} `));
  });
});

describe('the release summary line', () => {
  const entry = (type: string, subject: string, extra: Partial<{ scope: string; breaking: boolean }> = {}) => ({ sha: `${subject}0000000`, type, scope: extra.scope ?? null, subject, breaking: extra.breaking ?? false, author: { name: 'a', email: 'a@x' }, time: '', tickets: [] });

  it('says what the deployment included and which flags changed, in one or two sentences', () => {
    const notes = releaseNotes({ project: 'api', version: '1.5.0', tag: 'v1.5.0', previousVersion: '1.4.0', date: '', entries: [entry('fix', 'x'), entry('fix', 'y'), entry('fix', 'z')] });
    expect(summaryLine('2026-06-20T14:00:00Z', 'api', '1.5.0', 'production', notes, [{ flag: 'IS_FEATURE_AVAILABLE', summary: 'Flag IS_FEATURE_AVAILABLE was added and set to false for a dark deployment', at: '', actor: null }])).toBe(
      '6/20 deployment of api 1.5.0 to production included fixes to x, y and z. Flag IS_FEATURE_AVAILABLE was added and set to false for a dark deployment.',
    );
    const empty = releaseNotes({ project: 'api', version: '1.5.1', tag: 'v1.5.1', previousVersion: '1.5.0', date: '', entries: [] });
    expect(summaryLine('2026-01-05T00:00:00Z', 'api', '1.5.1', 'qa', empty, [])).toBe('1/5 deployment of api 1.5.1 to qa included no code changes.');
  });

  it('lists long series with a count', () => {
    expect(listing(['a'])).toBe('a');
    expect(listing(['a', 'b'])).toBe('a and b');
    expect(listing(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])).toBe('a, b, c, d, e and 3 more');
  });
});

describe('deployment messages people read (issue 10 §5)', () => {
  const ctx = { publicUrl: 'https://slipway.example.com/' };
  const base = { project: 'api', environment: 'production', version: '2.2.0', deploymentId: 'dep1' };

  it('a rollback carries its own reason, the version it went back to and where', () => {
    const a = describeEvent(event('deployment.rolled_back', { ...base, reason: 'weekly release', rolledBackTo: '2.1.3', rollbackReason: 'error rate above 1%', rollbackTargets: ['eu'] }), ctx);
    expect(a.title).toBe('Deployment of api 2.2.0 to production rolled back to 2.1.3');
    expect(a.summary).toBe('error rate above 1% Rolled back on eu.');
    expect(a.facts).toContainEqual({ label: 'Rolled back to', value: '2.1.3' });
  });

  it('names the approvers and the groups still missing', () => {
    const a = describeEvent(event('deployment.approved', { ...base, approver: 'sam', approvedBy: ['sec', 'sam'], approvalsMissing: ['product'] }), ctx);
    expect(a.title).toBe('Deployment of api 2.2.0 to production approved by sam');
    expect(a.summary).toBe('Still waiting for: product.');
    expect(a.facts).toContainEqual({ label: 'Approved by', value: 'sec, sam' });
    const requested = describeEvent(event('deployment.requested', { ...base, approvalsMissing: ['security', 'senior-engineers'] }), ctx);
    expect(requested.summary).toBe('Waiting for approval by: security, senior-engineers.');
  });

  it('announces drift with its instances and links every message to the web page of its resource', () => {
    const a = describeEvent(event('deployment.drift_detected', { project: 'api', environment: 'production', expected: '2.2.0', versions: ['2.1.0'], driftCount: 1, instances: [{ instance: 'web-3', target: 'eu', version: '2.1.0' }] }), ctx);
    expect(a.title).toBe('Drift in api / production: 1 instance not running 2.2.0');
    expect(a.facts).toContainEqual({ label: 'Instances', value: 'web-3 (eu): 2.1.0' });
    expect(a.links[0]!.url).toBe('https://slipway.example.com/projects/api');
    expect(describeEvent(event('deployment.failed', base), ctx).links[0]!.url).toBe('https://slipway.example.com/deployments/dep1');
    expect(describeEvent(event('release.created', { project: 'api', version: '2.2.0' }), ctx).links[0]!.url).toBe('https://slipway.example.com/projects/api/releases/2.2.0');
  });
});
