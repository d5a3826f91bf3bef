import type { Announcement } from '../announcement.js';
import type { Channel } from '../channel-types.js';
import type { HttpOutbound } from './outbound.js';
import { escapeHtml, tagsOf, truncate } from './text.js';

const NEW_RELIC_ENDPOINT = 'https://api.newrelic.com/graphql';

const NEW_RELIC_MUTATION =
  'mutation ($deployment: ChangeTrackingDeploymentInput!) { changeTrackingCreateDeployment(deployment: $deployment) { deploymentId entityGuid } }';

/** New Relic change tracking makes a deployment marker; only events naming a version can be one. */
export function newRelicApplies(type: string, payload: Record<string, unknown>): boolean {
  return type.startsWith('deployment.') && typeof payload.version === 'string';
}

function changelog(a: Announcement): string {
  if (a.digest) return truncate(a.digest.summaryLine, 2000);
  return truncate([a.summary, ...a.facts.filter((f) => f.label === 'Tickets').map((f) => `Tickets: ${f.value}`)].filter(Boolean).join(' '), 2000);
}

export function newRelicBody(channel: Channel, a: Announcement) {
  const strategy = typeof a.payload.strategy === 'string' ? a.payload.strategy : '';
  return {
    query: NEW_RELIC_MUTATION,
    variables: {
      deployment: {
        entityGuid: String(channel.config.entityGuid),
        version: a.version ?? '',
        changelog: changelog(a),
        commit: a.commit ?? '',
        deploymentType: strategy === 'canary' ? 'CANARY' : 'BASIC',
        user: (typeof a.payload.requestedBy === 'string' && a.payload.requestedBy) || a.actor || 'slipway',
        description: truncate(`${a.title}${a.environment ? ` (${a.environment})` : ''}`, 500),
        timestamp: new Date(a.at).getTime(),
        ...(a.links[0] && { deepLink: a.links[0].url }),
      },
    },
  };
}

export function renderNewRelic(channel: Channel, a: Announcement): HttpOutbound {
  return {
    kind: 'http',
    url: String(channel.config.endpoint ?? NEW_RELIC_ENDPOINT),
    headers: { 'content-type': 'application/json', 'api-key': String(channel.config.apiKey) },
    body: JSON.stringify(newRelicBody(channel, a)),
    // GraphQL reports errors with 200 OK.
    check: (_status, body) => {
      try {
        const parsed = JSON.parse(body) as { errors?: Array<{ message?: string }> };
        if (Array.isArray(parsed.errors) && parsed.errors.length > 0) return `New Relic: ${parsed.errors.map((e) => e.message ?? 'error').join('; ')}`;
      } catch {
        return 'New Relic answered with a body that is not JSON';
      }
      return null;
    },
  };
}

const ALERT_TYPES = { success: 'success', failure: 'error', warning: 'warning', info: 'info' } as const;

export function datadogBody(a: Announcement) {
  return {
    title: truncate(a.title, 100),
    // %%% fences make Datadog render the text as Markdown.
    text: truncate(`%%% \n${[a.summary, ...a.facts.map((f) => `**${f.label}:** ${f.value}`), ...a.links.map((l) => `[${l.name}](${l.url})`)].filter(Boolean).join('\n\n')}\n %%%`, 4000),
    tags: tagsOf(a),
    alert_type: ALERT_TYPES[a.tone],
    source_type_name: 'slipway',
    aggregation_key: [a.project, a.environment].filter(Boolean).join(':') || a.type,
    date_happened: Math.floor(new Date(a.at).getTime() / 1000),
  };
}

export function renderDatadog(channel: Channel, a: Announcement): HttpOutbound {
  const base = String(channel.config.endpoint ?? `https://api.${String(channel.config.site ?? 'datadoghq.com')}`).replace(/\/+$/, '');
  return { kind: 'http', url: `${base}/api/v1/events`, headers: { 'content-type': 'application/json', 'dd-api-key': String(channel.config.apiKey) }, body: JSON.stringify(datadogBody(a)) };
}

export function grafanaBody(channel: Channel, a: Announcement) {
  const links = a.links.map((l) => `<a href="${escapeHtml(l.url)}">${escapeHtml(l.name)}</a>`).join(' · ');
  return {
    ...(typeof channel.config.dashboardUid === 'string' && { dashboardUID: channel.config.dashboardUid }),
    time: new Date(a.at).getTime(),
    tags: tagsOf(a).map((t) => t.replace(/^source:/, '')),
    text: truncate(`<b>${escapeHtml(a.title)}</b>${a.summary ? `<br>${escapeHtml(a.summary)}` : ''}${links ? `<br>${links}` : ''}`, 8000),
  };
}

export function renderGrafana(channel: Channel, a: Announcement): HttpOutbound {
  const base = String(channel.config.url).replace(/\/+$/, '');
  return { kind: 'http', url: `${base}/api/annotations`, headers: { 'content-type': 'application/json', authorization: `Bearer ${String(channel.config.token)}` }, body: JSON.stringify(grafanaBody(channel, a)) };
}

