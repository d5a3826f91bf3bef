import fs from 'node:fs';
import type { Command } from 'commander';
import { list, type CommandContext } from '../context.js';
import { CliError } from '../io.js';
import { details, table } from '../format.js';

const enc = encodeURIComponent;

/** "on=true" → { key: 'on', value: true }; a value that is not JSON is a string ("eu=eu-west"). */
function variant(spec: string, previous: Array<{ key: string; value: unknown }> = []): Array<{ key: string; value: unknown }> {
  const at = spec.indexOf('=');
  if (at <= 0) throw new CliError(`--variant takes KEY=VALUE, e.g. on=true or eu='"eu-west"'; got ${spec}`);
  const raw = spec.slice(at + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return [...previous, { key: spec.slice(0, at), value }];
}

/** A JSON argument, or @file to read it from a file. */
export function jsonArgument(value: string, what: string): any {
  const text = value.startsWith('@') ? fs.readFileSync(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

const describeFlag = (f: any) =>
  details([
    ['key', f.key],
    ['name', f.name],
    ['type', f.type],
    ['variants', f.variants.map((v: any) => `${v.key}=${JSON.stringify(v.value)}`).join(', ')],
    ['owner', f.owner],
    ['tags', f.tags.join(', ') || '-'],
    ['archived', f.archived],
  ]) +
  '\n' +
  table(f.environments, {
    environment: (e: any) => e.environment.key,
    protected: (e: any) => e.environment.protected,
    enabled: (e: any) => e.config.enabled,
    serves: (e: any) => e.summary,
    'updated by': (e: any) => e.updatedBy,
    updated: (e: any) => e.updatedAt,
  });

interface SetOptions {
  project: string;
  config?: string;
  enable?: boolean;
  disable?: boolean;
  serve?: string;
  rollout?: string;
  stickiness?: string;
  offVariant?: string;
  target?: string[];
}

/** Applies the quick options of `flag set` on top of the current configuration. */
function applyQuickOptions(flag: any, current: any, opts: SetOptions): any {
  const config = { ...current };
  if (opts.enable) config.enabled = true;
  if (opts.disable) config.enabled = false;
  if (opts.offVariant !== undefined) config.offVariant = opts.offVariant;
  if (opts.serve !== undefined) config.defaultServe = { variant: opts.serve };
  if (opts.rollout !== undefined) {
    const weight = Number(opts.rollout.replace(/%$/, ''));
    if (!Number.isFinite(weight) || weight < 0 || weight > 100) throw new CliError(`--rollout takes a percentage from 0 to 100, got ${opts.rollout}`);
    const off = config.offVariant ?? flag.variants.find((v: any) => v.value === false)?.key;
    const on = flag.variants.find((v: any) => v.key !== off)?.key;
    if (flag.variants.length !== 2 || off === undefined || on === undefined) throw new CliError('--rollout needs a flag with two variants and an off variant; use --config for other splits.');
    config.defaultServe = { split: [{ variant: on, weight }, { variant: off, weight: Math.round((100 - weight) * 100) / 100 }], ...(opts.stickiness && { stickiness: opts.stickiness }) };
  }
  for (const spec of opts.target ?? []) {
    const at = spec.indexOf('=');
    if (at <= 0) throw new CliError(`--target takes VARIANT=key1,key2; got ${spec}`);
    const variantKey = spec.slice(0, at);
    const values = list(spec.slice(at + 1));
    config.targets = [...(config.targets ?? []).filter((t: any) => t.variant !== variantKey), ...(values.length > 0 ? [{ variant: variantKey, values }] : [])];
  }
  return config;
}

export function flagCommands(program: Command, ctx: CommandContext): void {
  const flag = program.command('flag').description("feature flags of a project, and their configuration per environment");
  const base = (project: string) => `/api/v1/projects/${enc(project)}/flags`;

  flag
    .command('list')
    .description("list a project's flags")
    .requiredOption('--project <key>', 'project')
    .option('--stale', 'only flags serving one variant to everyone everywhere, unchanged for 30 days')
    .option('--archived', 'archived flags instead of active ones')
    .option('--search <words>', 'words in the key, name, description, owner or tags')
    .option('--type <type>', 'release, experiment, kill-switch, operational or permission')
    .option('--tag <tag>', 'only flags with this tag')
    .action(async (opts: { project: string; stale?: boolean; archived?: boolean; search?: string; type?: string; tag?: string }, cmd: Command) => {
      const query = [
        opts.stale && 'stale=true',
        opts.archived && 'archived=true',
        opts.search && `q=${enc(opts.search)}`,
        opts.type && `type=${enc(opts.type)}`,
        opts.tag && `tag=${enc(opts.tag)}`,
      ]
        .filter(Boolean)
        .join('&');
      const items = await ctx.api().list(`${base(opts.project)}${query ? `?${query}` : ''}`);
      ctx.print(cmd, items, () => {
        const envs: string[] = items[0]?.environments.map((e: any) => e.environment.key) ?? [];
        const columns: Record<string, (f: any) => unknown> = { key: (f) => f.key, type: (f) => f.type, variants: (f) => f.variants.map((v: any) => v.key).join('/') };
        for (const env of envs) columns[env] = (f) => f.environments.find((e: any) => e.environment.key === env)?.summary;
        return table(items, columns);
      });
    });

  flag
    .command('show <key>')
    .description('show a flag with every environment side by side')
    .requiredOption('--project <key>', 'project')
    .action(async (key: string, opts: { project: string }, cmd: Command) => {
      const f = await ctx.api().request('GET', `${base(opts.project)}/${enc(key)}`);
      ctx.print(cmd, f, () => describeFlag(f));
    });

  flag
    .command('create <key>')
    .description('create a flag (disabled in every environment); boolean on/off unless --variant is given')
    .requiredOption('--project <key>', 'project')
    .option('--name <name>', 'display name')
    .option('--description <text>', 'what it is for')
    .option('--type <type>', 'release, experiment, kill-switch, operational or permission')
    .option('--variant <key=value>', 'a variant; repeat for each (values are JSON, else strings)', variant)
    .option('--owner <owner>', 'who owns it')
    .option('--tags <tags>', 'comma-separated tags', list)
    .action(async (key: string, opts: { project: string; name?: string; description?: string; type?: string; variant?: Array<{ key: string; value: unknown }>; owner?: string; tags?: string[] }, cmd: Command) => {
      const variants = opts.variant ?? [
        { key: 'on', value: true },
        { key: 'off', value: false },
      ];
      const body = {
        key,
        variants,
        ...(opts.name && { name: opts.name }),
        ...(opts.description && { description: opts.description }),
        ...(opts.type && { type: opts.type }),
        ...(opts.owner && { owner: opts.owner }),
        ...(opts.tags && { tags: opts.tags }),
      };
      const created = await ctx.api().request('POST', base(opts.project), body);
      ctx.print(cmd, created, () => `Created flag ${created.key}.\n${describeFlag(created)}`);
    });

  flag
    .command('set <key> <env>')
    .description("change a flag's configuration in one environment (a whole --config, or quick options on top of the current one)")
    .requiredOption('--project <key>', 'project')
    .option('--config <json|@file>', 'the whole configuration: { "enabled", "offVariant", "targets", "rules", "defaultServe", "prerequisites" }')
    .option('--enable', 'enable it')
    .option('--disable', 'disable it (serves the off variant)')
    .option('--serve <variant>', 'serve this variant to everyone not matched by a target or rule')
    .option('--rollout <percent>', 'serve the feature to this percentage (two-variant flags), e.g. 25')
    .option('--stickiness <attribute>', 'attribute the rollout buckets on (default targetingKey)')
    .option('--off-variant <variant>', 'what a disabled flag serves')
    .option('--target <variant=keys>', 'individual targets for a variant, e.g. on=user-1,user-2 (empty list removes); repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (key: string, env: string, opts: SetOptions, cmd: Command) => {
      const url = `${base(opts.project)}/${enc(key)}`;
      let config: any;
      if (opts.config !== undefined) config = jsonArgument(opts.config, '--config');
      else {
        const current = await ctx.api().request('GET', url);
        const here = current.environments.find((e: any) => e.environment.key === env);
        if (!here) throw new CliError(`Environment ${env} does not exist. [not_found]`);
        config = applyQuickOptions(current, here.config, opts);
      }
      const saved = await ctx.api().request('PUT', `${url}/environments/${enc(env)}`, config);
      ctx.print(cmd, saved, () => `${key} in ${env}: ${saved.summary}\n`);
    });

  flag
    .command('toggle <key> <env>')
    .description('enable or disable a flag in one environment (flips it unless --on or --off)')
    .requiredOption('--project <key>', 'project')
    .option('--on', 'enable')
    .option('--off', 'disable')
    .action(async (key: string, env: string, opts: { project: string; on?: boolean; off?: boolean }, cmd: Command) => {
      const url = `${base(opts.project)}/${enc(key)}`;
      const current = await ctx.api().request('GET', url);
      const here = current.environments.find((e: any) => e.environment.key === env);
      if (!here) throw new CliError(`Environment ${env} does not exist. [not_found]`);
      const enabled = opts.on ? true : opts.off ? false : !here.config.enabled;
      const saved = await ctx.api().request('PUT', `${url}/environments/${enc(env)}`, { ...here.config, enabled });
      ctx.print(cmd, saved, () => `${key} in ${env}: ${enabled ? 'enabled' : 'disabled'} — ${saved.summary}\n`);
    });

  flag
    .command('archive <key>')
    .description('archive a flag: it leaves every rule set; restore with the API (archived: false)')
    .requiredOption('--project <key>', 'project')
    .action(async (key: string, opts: { project: string }, cmd: Command) => {
      const archived = await ctx.api().request('DELETE', `${base(opts.project)}/${enc(key)}`);
      ctx.print(cmd, archived, () => `Archived flag ${archived.key}.\n`);
    });
}
