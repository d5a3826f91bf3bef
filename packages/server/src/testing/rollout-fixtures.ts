import type { TestApp } from './test-app.js';

export const BOOL = [
  { key: 'on', value: true },
  { key: 'off', value: false },
];

/** A project `shop` with a boolean flag serving `off` to everyone in each environment, and a server SDK key per environment. */
export async function createFlagFixture(t: TestApp, environments: Array<{ key: string; protected?: boolean }>, flag = 'new-checkout'): Promise<Record<string, string>> {
  const ok = (res: { statusCode: number; body: string }, status: number) => {
    if (res.statusCode !== status) throw new Error(`fixture: ${res.statusCode} ${res.body}`);
  };
  for (const [i, env] of environments.entries()) ok(await t.request({ method: 'POST', url: '/api/v1/environments', payload: { key: env.key, rank: 10 * (i + 1), protected: env.protected ?? false } }), 201);
  ok(await t.request({ method: 'POST', url: '/api/v1/projects', payload: { key: 'shop', repository: '/srv/git/shop.git', verify: false } }), 201);
  ok(await t.request({ method: 'POST', url: '/api/v1/projects/shop/flags', payload: { key: flag, variants: BOOL } }), 201);
  const keys: Record<string, string> = {};
  for (const env of environments) {
    ok(await t.request({ method: 'PUT', url: `/api/v1/projects/shop/flags/${flag}/environments/${env.key}`, payload: { enabled: true, offVariant: 'off', defaultServe: { variant: 'off' } } }), 200);
    const key = await t.request({ method: 'POST', url: `/api/v1/projects/shop/environments/${env.key}/sdk-keys`, payload: { kind: 'server', name: 'metrics' } });
    ok(key, 201);
    keys[env.key] = key.json().key;
  }
  return keys;
}

/** Reports one minute of traffic per variant: `rates` maps a variant to its error rate. */
export async function reportMinute(t: TestApp, sdkKey: string, rates: Record<string, number>, flag = 'new-checkout', requests = 1000): Promise<void> {
  const points = Object.entries(rates).map(([variant, rate]) => ({ flag, variant, requests, errors: Math.round(requests * rate), latencyMs: 40 }));
  const res = await t.request({ method: 'POST', url: '/api/v1/metrics', token: sdkKey, payload: { points } });
  if (res.statusCode !== 202) throw new Error(`metrics: ${res.statusCode} ${res.body}`);
}

/** The default serve of a flag in an environment, as the flags API reports it. */
export async function serveOf(t: TestApp, env: string, flag = 'new-checkout'): Promise<{ enabled: boolean; defaultServe: unknown }> {
  const f = (await t.request({ method: 'GET', url: `/api/v1/projects/shop/flags/${flag}` })).json();
  const config = f.environments.find((e: any) => e.environment.key === env).config;
  return { enabled: config.enabled, defaultServe: config.defaultServe };
}
