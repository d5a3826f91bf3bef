import type { Command } from 'commander';
import { CliError } from '../io.js';
import { integer, list, type CommandContext } from '../context.js';
import { details, table } from '../format.js';

interface CreateOptions {
  type: string;
  config?: string;
  url?: string;
  secret?: string;
  header?: string[];
  host?: string;
  port?: number;
  secure?: boolean;
  user?: string;
  pass?: string;
  from?: string;
  to?: string[];
  apiKey?: string;
  entityGuid?: string;
  endpoint?: string;
  site?: string;
  token?: string;
  dashboardUid?: string;
  events: string[];
  projects?: string[];
  environments?: string[];
  disabled?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The config of a type from its options; `--config` JSON is the base and options override it. */
function configOf(opts: CreateOptions): Record<string, unknown> {
  let config: Record<string, unknown> = {};
  if (opts.config) {
    try {
      config = JSON.parse(opts.config) as Record<string, unknown>;
    } catch {
      throw new CliError('--config is not valid JSON.');
    }
  }
  const set = (key: string, value: unknown) => {
    if (value !== undefined) config[key] = value;
  };
  set('url', opts.url);
  set('secret', opts.secret);
  if (opts.header?.length) {
    config.headers = Object.fromEntries(
      opts.header.map((h) => {
        const i = h.indexOf('=');
        if (i <= 0) throw new CliError(`--header ${h}: use NAME=VALUE.`);
        return [h.slice(0, i), h.slice(i + 1)];
      }),
    );
  }
  set('host', opts.host);
  set('port', opts.port);
  set('secure', opts.secure);
  if (opts.user !== undefined || opts.pass !== undefined) config.auth = { user: opts.user, pass: opts.pass };
  set('from', opts.from);
  set('to', opts.to);
  set('apiKey', opts.apiKey);
  set('entityGuid', opts.entityGuid);
  set('endpoint', opts.endpoint);
  set('site', opts.site);
  set('token', opts.token);
  set('dashboardUid', opts.dashboardUid);
  return config;
}

const describeChannel = (c: any) =>
  details([
    ['id', c.id],
    ['name', c.name],
    ['type', c.type],
    ['enabled', c.enabled],
    ['config', JSON.stringify(c.config)],
    ['subscriptions', c.subscriptions.map((s: any) => [s.events.join(','), s.projects && `projects=${s.projects.join(',')}`, s.environments && `environments=${s.environments.join(',')}`].filter(Boolean).join(' ')).join('; ') || '(none)'],
  ]);

export function channelCommands(program: Command, ctx: CommandContext): void {
  const channel = program.command('channel').description('notification channels: chat, webhooks, e-mail, APM markers');

  channel
    .command('list')
    .description('list channels (secrets show as "set")')
    .action(async (_opts, cmd: Command) => {
      const items = await ctx.api().list('/api/v1/channels');
      ctx.print(cmd, items, () =>
        table(items, { name: (c: any) => c.name, type: (c: any) => c.type, enabled: (c: any) => c.enabled, events: (c: any) => c.subscriptions.flatMap((s: any) => s.events).join(','), id: (c: any) => c.id }),
      );
    });

  channel
    .command('create <name>')
    .description('create a channel; config from --config JSON and/or the options of its type')
    .requiredOption('--type <type>', 'slack, webhook, email, newrelic, datadog or grafana')
    .option('--config <json>', 'the whole config as JSON')
    .option('--url <url>', 'slack: incoming-webhook URL; webhook: target URL; grafana: base URL')
    .option('--secret <secret>', 'webhook: HMAC-SHA256 signing secret (16+ characters)')
    .option('--header <name=value>', 'webhook: a custom header (repeatable)', collect)
    .option('--host <host>', 'email: SMTP host')
    .option('--port <port>', 'email: SMTP port', integer)
    .option('--secure', 'email: TLS from the start (port 465)')
    .option('--user <user>', 'email: SMTP user')
    .option('--pass <password>', 'email: SMTP password')
    .option('--from <address>', 'email: sender, "Name <address>" or an address')
    .option('--to <addresses>', 'email: comma-separated recipients', list)
    .option('--api-key <key>', 'newrelic / datadog: API key')
    .option('--entity-guid <guid>', 'newrelic: entity GUID of the application')
    .option('--endpoint <url>', 'newrelic: GraphQL URL; datadog: API base URL')
    .option('--site <site>', 'datadog: site, e.g. datadoghq.eu')
    .option('--token <token>', 'grafana: service account token')
    .option('--dashboard-uid <uid>', 'grafana: dashboard to annotate')
    .option('--events <patterns>', 'comma-separated event types or prefixes (deployment.*, flag.changed, *)', list, ['deployment.*', 'flag.changed'])
    .option('--projects <keys>', 'only these projects', list)
    .option('--environments <keys>', 'only these environments', list)
    .option('--disabled', 'create it disabled')
    .action(async (name: string, opts: CreateOptions, cmd: Command) => {
      const subscription = { events: opts.events, ...(opts.projects && { projects: opts.projects }), ...(opts.environments && { environments: opts.environments }) };
      const created = await ctx.api().request('POST', '/api/v1/channels', { name, type: opts.type, config: configOf(opts), subscriptions: [subscription], ...(opts.disabled && { enabled: false }) });
      ctx.print(cmd, created, () => `Created channel ${created.name}.\n${describeChannel(created)}`);
    });

  channel
    .command('test <channel>')
    .description('send a sample message to a channel now (id or name)')
    .action(async (name: string, _opts, cmd: Command) => {
      const result = await ctx.api().request('POST', `/api/v1/channels/${encodeURIComponent(name)}/test`);
      ctx.print(cmd, result, () => (result.delivered ? `Delivered a sample to ${name}${result.statusCode ? ` (${result.statusCode})` : ''} in ${result.durationMs} ms.\n` : ''));
      if (!result.delivered) throw new CliError(`The sample did not reach ${name}: ${result.error ?? 'unknown error'}`);
    });

  channel
    .command('delete <channel>')
    .description('delete a channel; its pending deliveries fail')
    .action(async (name: string) => {
      await ctx.api().request('DELETE', `/api/v1/channels/${encodeURIComponent(name)}`);
      ctx.io.out(`Deleted channel ${name}.\n`);
    });
}
