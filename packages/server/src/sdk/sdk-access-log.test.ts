// SDK endpoints (/ofrep/*, /api/v1/sdk/*) are called thousands of times a second: with the default
// LOG_LEVEL (info) their access lines are not written; at debug they are; the API's always are.
import { describe, expect, it } from 'vitest';
import { quietSdkAccessLogs } from '../app.js';
import { createLoggedApp } from '../testing/logged-app.js';

type Line = { msg: string; url?: string; level: number; reqId?: string };

async function logLines(level: string, breakDatabase = false): Promise<Line[]> {
  const { app, database, lines, auth, sdkKey, close } = await createLoggedApp(level);
  try {
    const key = await sdkKey('server');
    lines.length = 0;
    const ofrep = await app.inject({ method: 'POST', url: '/ofrep/v1/evaluate/flags', headers: { authorization: `Bearer ${key}` }, payload: { context: {} } });
    expect(ofrep.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/sdk/flags', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/projects', headers: auth })).statusCode).toBe(200);
    if (breakDatabase) {
      const other = await sdkKey('client');
      lines.length = 0;
      await database.close();
      const failed = await app.inject({ method: 'POST', url: '/ofrep/v1/evaluate/flags', headers: { authorization: `Bearer ${other}`, 'x-request-id': 'req-broken-1' }, payload: {} });
      expect(failed.statusCode).toBe(500);
    }
    return lines.map((l) => ({ msg: l.msg, level: l.level, ...(l.reqId && { reqId: l.reqId }), ...(l.req && { url: l.req.url }) }));
  } finally {
    await close();
  }
}

describe('access logs of SDK endpoints', () => {
  it('are left out at the default level (info), while the API is logged', async () => {
    const lines = await logLines('info');
    const urls = lines.filter((l) => l.msg === 'incoming request').map((l) => l.url);
    expect(urls).toEqual(['/api/v1/projects']);
    expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(1);
  });

  it('leave errors logged, with the request id', async () => {
    const errors = (await logLines('info', true)).filter((l) => l.level >= 50);
    expect(errors).toEqual([{ msg: 'OFREP request failed', level: 50, reqId: 'req-broken-1' }]);
  });

  it('are written at debug', async () => {
    const urls = (await logLines('debug')).filter((l) => l.msg === 'incoming request').map((l) => l.url);
    expect(urls).toEqual(['/ofrep/v1/evaluate/flags', '/api/v1/sdk/flags', '/api/v1/projects']);
  });

  it('are quiet unless the level shows debug lines', () => {
    expect(quietSdkAccessLogs({ level: 'info' })).toBe(true);
    expect(quietSdkAccessLogs({ level: 'warn' })).toBe(true);
    expect(quietSdkAccessLogs({ level: 'debug' })).toBe(false);
    expect(quietSdkAccessLogs({ level: 'trace' })).toBe(false);
    expect(quietSdkAccessLogs(false)).toBe(true);
  });
});
