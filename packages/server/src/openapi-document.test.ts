import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from './openapi-document.js';

/** Operations whose success body is not JSON described by a schema, on purpose. */
const UNTYPED = new Set([
  'get /api/v1/projects/{project}/releases/{version}/notes', // Markdown, or JSON with ?format=json
  'get /api/v1/sdk/flags', // for SDKs: the rule set, typed in @slipway/flag-engine
  'get /api/v1/sdk/stream', // SSE
]);

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>; operationId?: string };

describe('the OpenAPI document', () => {
  it('is built without a database server and gives every JSON operation a success schema', async () => {
    const doc = (await buildOpenApiDocument()) as { openapi: string; paths: Record<string, Record<string, Operation>> };
    expect(doc.openapi).toBe('3.0.3');
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([method, op]) => ({ key: `${method} ${p}`, op })));
    expect(operations.length).toBeGreaterThan(60);
    for (const { key, op } of operations) {
      if (UNTYPED.has(key)) continue;
      const success = Object.entries(op.responses ?? {}).filter(([code]) => /^2/.test(code));
      expect(success.length, key).toBeGreaterThan(0);
      for (const [code, response] of success) {
        if (code === '204') continue;
        expect(response.content?.['application/json']?.schema, `${key} ${code}`).toBeDefined();
      }
    }
    for (const key of ['post /api/v1/session', 'delete /api/v1/session', 'get /api/v1/me']) {
      expect(operations.map((o) => o.key)).toContain(key);
    }
  });

  it('is written to a file by scripts/dump-openapi.mjs (after npm run build)', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-openapi-')), 'openapi.json');
    execFileSync(process.execPath, [path.join(root, 'scripts/dump-openapi.mjs'), out], { env: { PATH: process.env.PATH ?? '' } });
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(doc.paths['/api/v1/session']).toBeDefined();
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });
});
