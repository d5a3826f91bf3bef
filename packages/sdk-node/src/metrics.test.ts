import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenFeature } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from './client.js';
import { SlipwayProvider } from './provider.js';
import { memoryLogger } from './testing/fixtures.js';

/** A stand-in for the server's SDK endpoints on 127.0.0.1 that records what `POST /api/v1/metrics` receives. */
let server: http.Server;
let url: string;
const received: any[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/api/v1/sdk/flags') {
        res.writeHead(200, { 'content-type': 'application/json', etag: '"1"' }).end(JSON.stringify({ version: '1', flags: [{ key: 'f', variants: [{ key: 'a', value: true }, { key: 'b', value: false }], environment: { enabled: true, defaultServe: { variant: 'b' } } }] }));
      } else if (req.url === '/api/v1/metrics' && req.method === 'POST') {
        received.push({ auth: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1,"minutes":1}');
      } else res.writeHead(503).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('client.track and OpenFeature track', () => {
  it('aggregates per minute and series, resolves the variant from the context, sends with the SDK key', async () => {
    const t0 = Date.UTC(2026, 0, 5, 10, 0, 30);
    const client = new SlipwayClient({ url, sdkKey: 'sdk-srv-test', logger: memoryLogger(), metricsFlushIntervalMs: 60_000, pollIntervalMs: 60_000, now: () => t0 });
    expect(await client.ready()).toBe(true);
    client.track({ flag: 'f', context: { targetingKey: 'u1' }, latencyMs: 3 });
    client.track({ flag: 'f', context: { targetingKey: 'u2' }, error: true, latencyMs: 300 });
    client.track({ version: '1.2.0', requests: 10, errors: 2 });
    await client.flushMetrics();
    client.close();
    expect(received).toHaveLength(1);
    expect(received[0].auth).toBe('Bearer sdk-srv-test');
    expect(received[0].body.points).toEqual([
      { flag: 'f', variant: 'b', requests: 2, errors: 1, latencyBuckets: [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0], at: '2026-01-05T10:00:00.000Z' },
      { version: '1.2.0', requests: 10, errors: 2, at: '2026-01-05T10:00:00.000Z' },
    ]);
  });

  it('OpenFeature track counts one request (an error event, an error) through the provider', async () => {
    received.length = 0;
    const provider = new SlipwayProvider({ url, sdkKey: 'sdk-srv-of', logger: memoryLogger(), metricsFlushIntervalMs: 60_000, pollIntervalMs: 60_000 });
    await OpenFeature.setProviderAndWait(provider);
    const of = OpenFeature.getClient();
    of.track('request', { targetingKey: 'u1' }, { flag: 'f', value: 12 });
    of.track('error', { targetingKey: 'u1' }, { flag: 'f', value: 12 });
    await provider.client.flushMetrics();
    await OpenFeature.close();
    expect(received[0].body.points).toEqual([{ flag: 'f', variant: 'b', requests: 2, errors: 1, latencyBuckets: [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0], at: expect.any(String) }]);
  });
});
