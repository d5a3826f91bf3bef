import type { Announcement } from '../announcement.js';
import type { Channel } from '../channel-types.js';
import type { HttpOutbound } from './outbound.js';
import { plainText } from './text.js';
import { signature } from './webhook.js';

/**
 * Ready templates for trackers' "create an issue" APIs; a channel's own `template` replaces them.
 * Credentials go in the channel's (sealed) headers, ids in `params`.
 */
export const TASK_PRESETS: Record<string, unknown> = {
  // Jira REST v2 POST /rest/api/2/issue
  jira: { fields: { project: { key: '{{params.projectKey}}' }, issuetype: { name: '{{params.issueType|Bug}}' }, summary: '{{title}}', description: '{{text}}', labels: ['slipway'] } },
  // Asana POST /api/1.0/tasks
  asana: { data: { name: '{{title}}', notes: '{{text}}', projects: ['{{params.projectGid}}'] } },
  // Linear GraphQL POST /graphql
  linear: {
    query: 'mutation IssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier url } } }',
    variables: { input: { teamId: '{{params.teamId}}', title: '{{title}}', description: '{{text}}' } },
  },
  generic: { title: '{{title}}', description: '{{text}}', project: '{{project}}', environment: '{{environment}}', version: '{{version}}', event: '{{event.type}}', link: '{{link}}', test: '{{payload.test}}' },
};

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.]+)(?:\|([^}]*))?\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z0-9_.]+)(?:\|([^}]*))?\s*\}\}$/;

function lookup(ctx: Record<string, unknown>, path: string): unknown {
  let cur: unknown = ctx;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const asText = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * Fills a JSON template: `{{path}}` in a string is replaced by the value as text (`{{path|default}}`
 * when it is empty); a string that is only `{{path}}` takes the value as it is (an object, a list).
 * Values are data: they are inserted into strings of the JSON, never parsed as template or JSON.
 */
export function fillTemplate(template: unknown, ctx: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) {
      const v = lookup(ctx, whole[1]!);
      if (v !== undefined && v !== null && typeof v !== 'string') return v;
      return asText(v) || (whole[2] ?? '');
    }
    return template.replace(PLACEHOLDER, (_m, path: string, fallback: string | undefined) => asText(lookup(ctx, path)) || (fallback ?? ''));
  }
  if (Array.isArray(template)) return template.map((t) => fillTemplate(t, ctx));
  if (template !== null && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillTemplate(v, ctx)]));
  return template;
}

/** What a template may refer to. */
export function templateContext(a: Announcement, channel: Channel, deliveryId: string): Record<string, unknown> {
  return {
    title: a.title,
    summary: a.summary ?? '',
    text: plainText(a),
    tone: a.tone,
    project: a.project ?? '',
    environment: a.environment ?? '',
    version: a.version ?? '',
    link: a.links[0]?.url ?? '',
    event: { id: a.eventId, type: a.type, at: a.at },
    payload: a.payload,
    test: (a.payload.test as Record<string, unknown> | undefined) ?? {},
    params: (channel.config.params as Record<string, string> | undefined) ?? {},
    delivery: deliveryId,
  };
}

export function renderTask(channel: Channel, a: Announcement, deliveryId: string): HttpOutbound {
  const template = channel.config.template ?? TASK_PRESETS[String(channel.config.preset ?? 'generic')] ?? TASK_PRESETS.generic;
  const body = JSON.stringify(fillTemplate(template, templateContext(a, channel, deliveryId)));
  const custom = (channel.config.headers ?? {}) as Record<string, string>;
  return {
    kind: 'http',
    url: String(channel.config.url),
    headers: {
      ...custom,
      'content-type': 'application/json',
      'x-slipway-event': a.type,
      ...(typeof channel.config.secret === 'string' && { 'x-slipway-signature': signature(channel.config.secret, body) }),
    },
    body,
    // GraphQL trackers (Linear) answer 200 with errors inside.
    check: (_status, text) => {
      try {
        const parsed = JSON.parse(text) as { errors?: Array<{ message?: string }> };
        if (Array.isArray(parsed?.errors) && parsed.errors.length > 0) return `the tracker answered with errors: ${parsed.errors.map((e) => e.message ?? 'error').join('; ')}`.slice(0, 500);
      } catch {
        // Not JSON: a 2xx is success.
      }
      return null;
    },
  };
}
