import type { AnalysisTemplate, MetricProvider } from '@slipway/rollout-engine';
import type { SecretBox } from '../shared/secret-box.js';

/**
 * The web metric provider's `headers` carry API keys (`DD-API-KEY: …`, `Authorization: …`). They are
 * write-only like channel secrets: stored sealed (this prefix + the SecretBox ciphertext), shown as
 * "set", and opened only when a measurement is sent. Values stored before sealing existed are
 * used as they are and shown as "set" too.
 */
const SEALED = 'sealed:v1:';
export const SHOWN = 'set';

function mapHeaders(template: AnalysisTemplate, f: (value: string) => string): AnalysisTemplate {
  return {
    ...template,
    metrics: template.metrics.map((m) => {
      if (!('web' in m.provider) || m.provider.web.headers === undefined) return m;
      const headers = Object.fromEntries(Object.entries(m.provider.web.headers).map(([name, value]) => [name, f(value)]));
      return { ...m, provider: { web: { ...m.provider.web, headers } } };
    }),
  };
}

/** The template as stored: every header value sealed. */
export function sealTemplate(template: AnalysisTemplate, secrets: SecretBox): AnalysisTemplate {
  return mapHeaders(template, (value) => (value.startsWith(SEALED) ? value : SEALED + secrets.encrypt(value)));
}

/** The template as responses and the audit log show it: header names kept, values "set". */
export function redactTemplate(template: AnalysisTemplate): AnalysisTemplate {
  return mapHeaders(template, () => SHOWN);
}

/** The headers a web measurement sends, opened. */
export function openHeaders(provider: MetricProvider, secrets: SecretBox | undefined): Record<string, string> {
  if (!('web' in provider) || provider.web.headers === undefined) return {};
  return Object.fromEntries(Object.entries(provider.web.headers).map(([name, value]) => [name, value.startsWith(SEALED) && secrets ? secrets.decrypt(value.slice(SEALED.length)) : value]));
}
