// Flag evaluation, warm, in one process: Slipway's Node SDK beside unleash-client, GrowthBook and
// flagd-core on two workloads over the same people —
//   1. one flag: "on for company in [acme, globex], else 25 % rollout by user";
//   2. 200 flags × 5 rules each, then a 25 % rollout (bench/_flag-workloads.mjs), per flag.
// Each library is checked on every person first (the rules' answers exactly, the rollout's share
// near 25 %), so none is timed misconfigured. The setup of each library is printed with its figure.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine, median, ROOT } from './_support.mjs';
import * as W from './_flag-workloads.mjs';

const SDK = path.join(ROOT, 'packages/sdk-node/dist/index.js');
if (!fs.existsSync(SDK)) {
  console.error('The SDK is not built: run "npm run build" first.');
  process.exit(1);
}
const { SlipwayClient } = await import(pathToFileURL(SDK).href);
const { Unleash, InMemStorageProvider } = await import('unleash-client');
const { GrowthBookClient } = await import('@growthbook/growthbook');
const { FlagdCore } = await import('@openfeature/flagd-core');

const CONTEXTS = Number(process.env.CONTEXTS ?? 1000);
const FLAGS = Number(process.env.FLAGS ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const TARGET_MS = Number(process.env.TARGET_MS ?? 300); // per timed round and library
const ONLY = process.env.WORKLOAD; // "one" or "five" to run one workload

const everyone = W.people(CONTEXTS);

async function libraries(flags, forms) {
  const slipway = new SlipwayClient({ offline: true, bootstrap: { version: 'bench', flags: flags.map(forms.slipway), segments: [] } });
  await slipway.ready();

  const unleash = new Unleash({
    appName: 'slipway-bench',
    url: 'http://127.0.0.1:9/api/', // never contacted: refreshInterval 0 disables fetching
    refreshInterval: 0,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    skipInstanceCountWarning: true,
    bootstrap: { data: flags.map(forms.unleash) },
  });
  unleash.on('error', () => {});
  await new Promise((resolve) => (unleash.isSynchronized?.() || unleash.repository?.ready ? resolve() : unleash.once('ready', resolve)));

  const growthbook = new GrowthBookClient().initSync({ payload: { features: Object.fromEntries(flags.map((f) => [f.key, forms.growthbook(f)])) } });

  const flagd = new FlagdCore();
  flagd.setConfigurations(JSON.stringify({ flags: Object.fromEntries(flags.map((f) => [f.key, forms.flagd(f)])) }));

  const slipwayContexts = everyone.map((p) => ({ targetingKey: p.user, company: p.company, plan: p.plan, country: p.country, age: p.age, email: p.email }));
  return {
    list: [
      {
        name: 'Slipway @slipway/sdk-node',
        setup: 'SlipwayClient, offline with a bootstrap rule set (the same compiled evaluator a connected client uses); getBooleanValue(key, false, context)',
        contexts: slipwayContexts,
        evaluate: (key, c) => slipway.getBooleanValue(key, false, c),
      },
      {
        name: 'unleash-client',
        setup: 'Unleash with refreshInterval 0, metrics off, bootstrapped flexibleRollout strategies with constraints (an "off" rule is the inverted constraint on later strategies); isEnabled(key, context)',
        contexts: everyone.map((p) => ({ userId: p.user, properties: { company: p.company, plan: p.plan, country: p.country, age: String(p.age), email: p.email } })),
        evaluate: (key, c) => unleash.isEnabled(key, c),
      },
      {
        name: '@growthbook/growthbook',
        setup: 'GrowthBookClient (multi-user server client) initSync; force rules with conditions, then a rollout rule (coverage 0.25, hashAttribute id); isOn(key, { attributes })',
        contexts: everyone.map((p) => ({ attributes: { id: p.user, company: p.company, plan: p.plan, country: p.country, age: p.age, email: p.email } })),
        evaluate: (key, c) => growthbook.isOn(key, c),
      },
      {
        name: '@openfeature/flagd-core',
        setup: `FlagdCore, compiled JSON logic (the default; not the interpreter), fractional on {"var": "targetingKey"} (no per-evaluation string building); resolveBooleanEvaluation(key, false, context).value — targeting of ${flags[0].key}: ${JSON.stringify(forms.flagd(flags[0]).targeting)}`,
        contexts: slipwayContexts,
        evaluate: (key, c) => flagd.resolveBooleanEvaluation(key, false, c).value,
      },
    ],
    close() {
      slipway.close();
      unleash.destroy();
      growthbook.destroy();
    },
  };
}

/** Every rule decides exactly as written; about 25 % of the rest are on; the same answer twice. */
function sanity(lib, flags, expected) {
  let decided = 0;
  let wrong = 0;
  let rest = 0;
  let restOn = 0;
  let unstable = 0;
  everyone.forEach((p, i) => {
    for (const f of flags) {
      const v = lib.evaluate(f.key, lib.contexts[i]);
      if (v !== lib.evaluate(f.key, lib.contexts[i]) || typeof v !== 'boolean') unstable++;
      const want = expected(f, p);
      if (want === undefined) {
        rest++;
        if (v === true) restOn++;
      } else {
        decided++;
        if (v !== want) wrong++;
      }
    }
  });
  const share = rest === 0 ? 0.25 : restOn / rest;
  const ok = wrong === 0 && unstable === 0 && share > 0.2 && share < 0.3;
  console.log(
    `  ${ok ? 'ok  ' : 'FAIL'} ${lib.name}: ${decided - wrong}/${decided} decided by a rule as expected, rollout ${restOn}/${rest} on (${(share * 100).toFixed(1)} %)${unstable ? `, ${unstable} unstable or not boolean` : ''}`,
  );
  return ok;
}

// One timing loop per library, compiled separately (new Function), so that each call site sees one
// evaluate function only: a loop shared by all four would be megamorphic and tax everyone alike.
// Timed in CPU time of this process (process.cpuUsage), not wall time: on a shared machine the
// loop is descheduled now and then, and that time is nobody's evaluation.
const LOOP = `
  let on = 0;
  const start = process.cpuUsage();
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < contexts.length; i++) {
      const c = contexts[i];
      for (let j = 0; j < keys.length; j++) if (evaluate(keys[j], c) === true) on++;
    }
  }
  const used = process.cpuUsage(start);
  const ns = (used.user + used.system) * 1000;
  return { nsPerEval: ns / (passes * contexts.length * keys.length), on };
`;

async function run(workload) {
  const { title, flags, forms, expected } = workload;
  const keys = flags.map((f) => f.key);
  const libs = await libraries(flags, forms);
  console.log(`\n## ${title}\nsanity check (every library must pass before it is timed):`);
  for (const lib of libs.list) {
    if (!sanity(lib, flags, expected)) {
      console.error(`${lib.name} does not evaluate the workload as configured; refusing to time it.`);
      process.exit(1);
    }
    lib.loop = new Function('process', 'evaluate', 'contexts', 'keys', 'passes', LOOP);
  }
  const time = (lib, passes) => lib.loop(process, lib.evaluate, lib.contexts, keys, passes);
  // Warm each library, pick a pass count giving ~TARGET_MS per round, then interleave rounds
  // (a, b, c, d, a, b, …) so drift on a shared machine affects everyone alike.
  for (const lib of libs.list) {
    time(lib, 3);
    const probe = time(lib, 3);
    lib.passes = Math.max(1, Math.round((TARGET_MS * 1e6) / (probe.nsPerEval * lib.contexts.length * keys.length)));
    lib.samples = [];
  }
  for (let round = 0; round < ROUNDS; round++) for (const lib of libs.list) lib.samples.push(time(lib, lib.passes).nsPerEval);
  libs.close();

  const results = libs.list.map((lib) => ({ name: lib.name, setup: lib.setup, ns: median(lib.samples), min: Math.min(...lib.samples) }));
  const [ours, ...anchors] = results;
  const fastest = anchors.reduce((a, b) => (b.ns < a.ns ? b : a));
  console.log(`\n${title}; ${CONTEXTS} contexts, warm, CPU time, median of ${ROUNDS} interleaved rounds of ~${TARGET_MS} ms; ${machine()}`);
  console.log('| library | ns per flag evaluation (median) | best round |');
  console.log('|---|---|---|');
  for (const r of results) console.log(`| ${r.name} | ${r.ns.toFixed(1)} | ${r.min.toFixed(1)} |`);
  console.log('\nsetup:');
  for (const r of results) console.log(`- ${r.name}: ${r.setup}`);
  const ratio = ours.ns / fastest.ns;
  const best = ours.min / Math.min(...anchors.map((a) => a.min));
  console.log(
    `\nSlipway / fastest anchor (${fastest.name}): ${ratio.toFixed(3)} (1/${(1 / ratio).toFixed(1)}) on medians, 1/${(1 / best).toFixed(1)} on best rounds; target ≤ 1/10: ${ratio <= 0.1 ? 'met' : 'NOT met'}`,
  );
  return ratio;
}

const workloads = [
  {
    id: 'one',
    title: W.ONE_RULE.title,
    flags: W.ONE_RULE.flags,
    expected: W.oneRuleExpected,
    forms: { slipway: W.slipwayOneRule, unleash: W.unleashOneRule, growthbook: W.growthbookOneRule, flagd: W.flagdOneRule },
  },
  {
    id: 'five',
    title: `${FLAGS} flags × 5 rules each, then 25 % rollout by user (per flag)`,
    flags: W.fiveRuleFlags(FLAGS),
    expected: W.fiveRuleExpected,
    forms: { slipway: W.slipwayFiveRule, unleash: W.unleashFiveRule, growthbook: W.growthbookFiveRule, flagd: W.flagdFiveRule },
  },
];
const ratios = [];
for (const w of workloads) if (!ONLY || ONLY === w.id) ratios.push(await run(w));
console.log(`\nboth workloads ≤ 1/10 of the fastest anchor: ${ratios.every((r) => r <= 0.1) ? 'met' : 'NOT met'}`);
