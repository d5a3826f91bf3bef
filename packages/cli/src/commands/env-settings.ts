import fs from 'node:fs';
import type { Command } from 'commander';
import { integer, list, type CommandContext } from '../context.js';
import { details } from '../format.js';
import { CliError } from '../io.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** "mon-fri", "sat,sun", "mon-wed,fri" → the days. */
export function parseDays(spec: string): string[] {
  const out: string[] = [];
  for (const part of spec.toLowerCase().split(',')) {
    const [from, to] = part.split('-');
    const a = DAYS.indexOf(from ?? '');
    const b = to === undefined ? a : DAYS.indexOf(to);
    if (a < 0 || b < 0) throw new CliError(`--window: "${part}" is not a day or a range of days (mon, tue, …, sun; e.g. mon-fri).`);
    for (let i = a; ; i = (i + 1) % 7) {
      if (!out.includes(DAYS[i]!)) out.push(DAYS[i]!);
      if (i === b) break;
    }
  }
  return out;
}

/** "mon-fri 09:00-16:00 America/New_York" → a window; "22:00-02:00" is one overnight window. */
export function parseWindow(spec: string): { days: string[]; start: string; end: string; timezone: string } {
  const m = /^\s*(\S+)\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s+(\S+)\s*$/.exec(spec);
  if (!m) throw new CliError(`--window "${spec}": write it as "DAYS HH:MM-HH:MM TIMEZONE", e.g. "mon-fri 09:00-16:00 America/New_York".`);
  const pad = (t: string) => t.padStart(5, '0');
  return { days: parseDays(m[1]!), start: pad(m[2]!), end: pad(m[3]!), timezone: m[4]! };
}

/** "2026-12-20T00:00Z..2027-01-04T00:00Z" → from and to. */
export function parseFreeze(spec: string, reason: string | undefined): { from: string; to: string; reason: string } {
  const [from, to] = spec.split('..');
  if (!from || !to || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) throw new CliError(`--freeze "${spec}": write it as FROM..TO with ISO times, e.g. 2026-12-20T00:00Z..2027-01-04T00:00Z.`);
  if (!reason) throw new CliError('--freeze needs --reason (shown to whoever is refused).');
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), reason };
}

/** Splits a command line into argv the way a shell would for quotes and backslashes (no expansion). */
export function splitArgv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      any = true;
    } else if (/\s/.test(c)) {
      if (cur !== '' || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (quote) throw new CliError(`--command: unclosed ${quote} in ${line}`);
  if (cur !== '' || any) out.push(cur);
  return out;
}

interface SetOptions {
  requireSignoff?: string[];
  approvals?: number | false;
  approverRoles?: string[];
  approverUsers?: string[];
  approvalGroup?: string;
  kinds?: string[];
  noApprovals?: boolean;
  window: string[];
  clearWindows?: boolean;
  freeze?: string;
  reason?: string;
  clearFreezes?: boolean;
  target?: string;
  webhook?: string;
  secretFile?: string;
  command?: string;
  record?: boolean;
  timeoutMs?: number;
  removeTarget?: string;
  smokeHttp?: string;
  expect?: number;
  smokeCommand?: string;
  noSmoke?: boolean;
  smokeTimeoutMs?: number;
  autoRollback?: boolean;
  dashboard: string[];
  clearDashboards?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function describeSettings(e: any): string {
  return details([
    ['environment', e.key],
    ['sign-offs', e.requiredSignoffs.join(', ') || '-'],
    ['approvals', e.approvals.map((g: any) => `${g.name}: ${g.required} by ${[...g.roles, ...g.users].join('/')}${g.kinds ? ` for ${g.kinds.join(',')}` : ''}`).join('; ') || '-'],
    ['windows', e.windows.map((w: any) => `${w.days.join(',')} ${w.start}-${w.end} ${w.timezone}`).join('; ') || 'always'],
    ['freezes', e.freezes.map((f: any) => `${f.from}..${f.to} (${f.reason})`).join('; ') || '-'],
    ['targets', e.targets.map((t: any) => `${t.key}=${t.executor.type}${t.executor.url ? ` ${t.executor.url}` : ''}${t.executor.command ? ` ${JSON.stringify(t.executor.command)}` : ''}`).join(', ') || 'default=record'],
    ['smoke', e.smoke ? (e.smoke.http ? `GET ${e.smoke.http.url} → ${e.smoke.http.expectStatus}` : JSON.stringify(e.smoke.command)) : '-'],
    ['auto-rollback', e.autoRollback],
    ['dashboards', e.dashboards.map((d: any) => `${d.name}=${d.url}`).join(', ') || '-'],
  ]);
}

/** `slipway env set KEY …`: every deployment setting of an environment, without writing JSON. */
export function environmentSettingsCommand(env: Command, ctx: CommandContext): void {
  env
    .command('set <key>')
    .description('change the deployment settings of an environment (sign-offs, approvals, windows, freezes, targets, smoke, auto-rollback)')
    .option('--require-signoff <kinds>', 'sign-offs needed before deploying here, e.g. qa,security (empty string: none)', list)
    .option('--approvals <n>', 'approvals needed (sets one group; see --approval-group)', integer)
    .option('--approver-roles <roles>', 'roles that may approve, e.g. release-manager', list)
    .option('--approver-users <users>', 'users that may approve, e.g. alice,bob', list)
    .option('--approval-group <name>', 'which group --approvals sets (default "approvers"); other groups are kept', 'approvers')
    .option('--kinds <kinds>', 'the group applies only to these release kinds: major,minor,patch,hotfix,prerelease', list)
    .option('--no-approvals', 'remove every approval group')
    .option('--window <spec>', 'a deploy window "mon-fri 09:00-16:00 America/New_York" (repeat for several; 22:00-02:00 is one overnight window); replaces the windows', collect, [])
    .option('--clear-windows', 'no windows: deployments at any time')
    .option('--freeze <from..to>', 'add a freeze, e.g. 2026-12-20T00:00Z..2027-01-04T00:00Z (with --reason)')
    .option('--reason <text>', 'why the freeze')
    .option('--clear-freezes', 'remove every freeze')
    .option('--target <name>', 'add or replace a target, with --webhook, --command or --record')
    .option('--webhook <url>', 'the target is deployed by a webhook receiver at this URL')
    .option('--secret-file <file>', 'the webhook signing secret (16+ characters), read from a file')
    .option('--command <argv>', 'the target is deployed by running this program, e.g. "./deploy.sh --cluster eu"')
    .option('--record', 'someone reports the target (slipway report)')
    .option('--timeout-ms <ms>', 'how long the target may take', integer)
    .option('--remove-target <name>', 'remove a target (it leaves the status matrix; its history stays)')
    .option('--smoke-http <url>', 'after the targets, GET this URL (with --expect)')
    .option('--expect <status>', 'the status the smoke check expects', integer)
    .option('--smoke-command <argv>', 'after the targets, run this program; exit 0 passes')
    .option('--smoke-timeout-ms <ms>', 'how long the smoke check may take', integer)
    .option('--no-smoke', 'no smoke check')
    .option('--auto-rollback', 'roll back the targets that changed when a deployment fails')
    .option('--no-auto-rollback', 'do not roll back automatically')
    .option('--dashboard <name=url>', 'a dashboard linked from messages, e.g. "Grafana=https://grafana.example.com/d/api" (repeat; replaces the list)', collect, [])
    .option('--clear-dashboards', 'no dashboard links')
    .action(async (key: string, opts: SetOptions & { smoke?: boolean }, cmd: Command) => {
      const api = ctx.api();
      const current = await api.request('GET', `/api/v1/environments/${encodeURIComponent(key)}`);
      const body: Record<string, unknown> = {};
      if (opts.requireSignoff !== undefined) body.requiredSignoffs = opts.requireSignoff;
      if (opts.approvals === false) body.approvals = [];
      else if (opts.approvals !== undefined || opts.approverRoles !== undefined || opts.approverUsers !== undefined || opts.kinds !== undefined) {
        const name = opts.approvalGroup ?? 'approvers';
        const old = current.approvals.find((g: any) => g.name === name);
        const group = {
          name,
          required: opts.approvals ?? old?.required ?? 1,
          roles: opts.approverRoles ?? old?.roles ?? [],
          users: opts.approverUsers ?? old?.users ?? [],
          ...((opts.kinds ?? old?.kinds) && { kinds: opts.kinds ?? old?.kinds }),
        };
        const others = current.approvals.filter((g: any) => g.name !== name);
        body.approvals = group.required > 0 ? [...others, group] : others;
      }
      if (opts.clearWindows) body.windows = [];
      else if (opts.window.length > 0) body.windows = opts.window.map(parseWindow);
      if (opts.clearFreezes) body.freezes = [];
      if (opts.freeze) body.freezes = [...(opts.clearFreezes ? [] : current.freezes), parseFreeze(opts.freeze, opts.reason)];
      let targets: any[] | null = null;
      const keep = (t: any) => ({ key: t.key, executor: t.executor.type === 'webhook' ? { type: 'webhook', url: t.executor.url, ...(t.executor.timeoutMs && { timeoutMs: t.executor.timeoutMs }) } : t.executor });
      if (opts.removeTarget) {
        const remaining: any[] = current.targets.filter((t: any) => t.key !== opts.removeTarget).map(keep);
        targets = remaining;
        if (remaining.length === current.targets.length) throw new CliError(`${key} has no target ${opts.removeTarget}.`);
      }
      if (opts.target) {
        const chosen = [opts.webhook !== undefined, opts.command !== undefined, opts.record === true].filter(Boolean).length;
        if (chosen !== 1) throw new CliError('--target needs exactly one of --webhook URL (with --secret-file), --command "…" or --record.');
        const timeout = opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {};
        let executor: Record<string, unknown>;
        if (opts.webhook !== undefined) {
          const secret = opts.secretFile ? fs.readFileSync(opts.secretFile, 'utf8').trim() : undefined;
          executor = { type: 'webhook', url: opts.webhook, ...(secret && { secret }), ...timeout };
        } else if (opts.command !== undefined) executor = { type: 'command', command: splitArgv(opts.command), ...timeout };
        else executor = { type: 'record', ...timeout };
        const base = (targets ?? current.targets.map(keep)) as any[];
        const at = base.findIndex((t) => t.key === opts.target);
        const next = { key: opts.target, executor };
        targets = at >= 0 ? base.map((t, i) => (i === at ? next : t)) : [...base, next];
      }
      if (targets) body.targets = targets;
      if (opts.smoke === false) body.smoke = null;
      else if (opts.smokeHttp) body.smoke = { http: { url: opts.smokeHttp, ...(opts.expect !== undefined && { expectStatus: opts.expect }), ...(opts.smokeTimeoutMs !== undefined && { timeoutMs: opts.smokeTimeoutMs }) } };
      else if (opts.smokeCommand) body.smoke = { command: splitArgv(opts.smokeCommand), ...(opts.smokeTimeoutMs !== undefined && { timeoutMs: opts.smokeTimeoutMs }) };
      if (opts.clearDashboards) body.dashboards = [];
      else if (opts.dashboard.length > 0) {
        body.dashboards = opts.dashboard.map((d) => {
          const at = d.indexOf('=');
          if (at <= 0) throw new CliError(`--dashboard "${d}": write it as NAME=URL.`);
          return { name: d.slice(0, at), url: d.slice(at + 1) };
        });
      }
      if (opts.autoRollback !== undefined) body.autoRollback = opts.autoRollback;
      if (Object.keys(body).length === 0) throw new CliError('Nothing to change: see slipway env set --help.');
      const updated = await api.request('PATCH', `/api/v1/environments/${encodeURIComponent(key)}`, body);
      ctx.print(cmd, updated, () => `Updated ${updated.key}.\n${describeSettings(updated)}`);
    });
}
