import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, startServer, type RunningServer } from '@slipway/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../io.js';
import { run } from '../program.js';

const TOKEN = 'slw_cli-insights-admin-token-0123456789';

describe('slipway insights, test-run, bug and calendar against a running server', () => {
  let server: RunningServer;
  let home: string;
  let dataDir: string;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-home-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cli-insights-'));
    server = await startServer(loadConfig({ PORT: '0', SLIPWAY_DATA_DIR: dataDir, SLIPWAY_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: 'silent' }));
    expect(await cli('login', '--url', server.url, '--token', TOKEN)).toMatchObject({ code: 0 });
    expect((await cli('env', 'create', 'production', '--rank', '50')).code).toBe(0);
    expect((await cli('project', 'create', 'shop', '--repository', '/srv/git/shop.git', '--no-verify')).code).toBe(0);
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: { HOME: home } };
    const code = await run(args, io, async () => {});
    return { code, out, err };
  }

  it('uploads a JUnit report and lists the run', async () => {
    const file = path.join(home, 'TEST-checkout.xml');
    fs.writeFileSync(file, '<testsuite name="checkout"><testcase classname="e2e" name="pays"/><testcase classname="e2e" name="refunds"><failure message="500"/></testcase><testcase classname="e2e" name="ships"><skipped/></testcase></testsuite>');
    const res = await cli('test-run', 'upload', file, '--project', 'shop', '--version', '1.2.0', '--env', 'production', '--suite', 'e2e');
    expect(res.code, res.err).toBe(0);
    expect(res.out).toContain('failed, 3 tests, 1 failed, 0 errors, 1 skipped');
    expect(res.out).toContain('Newly failing (a task each): e2e::refunds');
    const json = JSON.parse((await cli('--json', 'test-run', 'list', '--project', 'shop')).out);
    expect(json).toEqual([expect.objectContaining({ version: '1.2.0', suite: 'e2e', total: 3, failed: 1 })]);
    const bad = await cli('test-run', 'upload', path.join(home, 'missing.xml'), '--project', 'shop');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('Cannot read');
    fs.writeFileSync(path.join(home, 'evil.xml'), '<!DOCTYPE x [<!ENTITY a "b">]><testsuite/>');
    const evil = await cli('test-run', 'upload', path.join(home, 'evil.xml'), '--project', 'shop');
    expect(evil.code).toBe(1);
    expect(evil.err).toContain('DOCTYPE');
  });

  it('records and imports bugs, then shows the quality and DORA statistics', async () => {
    const now = new Date();
    const created = await cli('bug', 'create', '--project', 'shop', '--title', 'Totals wrong', '--severity', 'high', '--found-in', 'production', '--regression', '--ticket', 'SHOP-1');
    expect(created.code, created.err).toBe(0);
    expect(created.out).toContain('high regression in production');
    const csv = path.join(home, 'bugs.csv');
    fs.writeFileSync(csv, `title,ticket,severity,foundIn,foundAt\nSearch slow,SHOP-2,medium,staging,${now.toISOString()}\nTypo,,low,beta,${now.toISOString()}\n`);
    const imported = await cli('bug', 'import', csv, '--project', 'shop');
    expect(imported.code, imported.err).toBe(0);
    expect(imported.out).toBe('Imported 2 bugs.\n');
    expect((await cli('bug', 'import', csv, '--project', 'nope')).err).toContain('nope does not exist');
    const quality = JSON.parse((await cli('--json', 'insights', 'quality', '--project', 'shop')).out);
    expect(quality.totals).toMatchObject({ bugs: 3, productionRegressions: 1, bugsByStage: { staging: 1, beta: 1, production: 1 } });
    const table = await cli('insights', 'quality', '--project', 'shop');
    expect(table.out.split('\n')[0]).toMatch(/^WEEK\s+QA TESTS\s+PUSHED BACK/);
    const dora = await cli('insights', 'dora', '--project', 'shop');
    expect(dora.code, dora.err).toBe(0);
    expect(dora.out).toContain('deployment frequency');
    expect(dora.out).toContain('deployment rework rate');
    expect((await cli('insights', 'dora', '--timezone', 'Mars/Base')).err).toContain('Unknown time zone');
  });

  it('shows the calendar and prints its iCalendar feed', async () => {
    const res = await fetch(`${server.url}/api/v1/calendar/schedules`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Maintenance window', kind: 'maintenance', rrule: 'FREQ=WEEKLY;INTERVAL=4;BYDAY=SU', startsAt: '2026-01-04T02:00', timezone: 'UTC', durationMinutes: 120 }) });
    expect(res.status).toBe(201);
    const list = await cli('calendar', '--from', '2026-01-01', '--to', '2026-03-01');
    expect(list.code, list.err).toBe(0);
    expect(list.out).toContain('2026-01-04 02:00  2026-01-04 04:00  maintenance  Maintenance window');
    expect(list.out).toContain('2026-02-01 02:00');
    const ics = await cli('calendar', '--ics');
    expect(ics.out).toContain('BEGIN:VCALENDAR');
    expect(ics.out).toContain('RRULE:FREQ=WEEKLY;INTERVAL=4;BYDAY=SU');
  });
});
