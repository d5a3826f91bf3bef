// Flag evaluation, warm, in one process: Slipway's Node SDK beside unleash-client, GrowthBook and
// flagd-core on one workload — "on for company in [acme, globex], else 25 % rollout by user" — over
// the same contexts. Each library is checked on a sample first, so none is timed misconfigured.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine, median, ROOT } from './_support.mjs';

const SDK = path.join(ROOT, 'packages/sdk-node/dist/index.js');
if (!fs.existsSync(SDK)) {
  console.error('The SDK is not built: run "npm run build" first.');
  process.exit(1);
}
const { SlipwayClient } = await import(pathToFileURL(SDK).href);
const { Unleash, InMemStorageProvider } = await import('unleash-client');
const { GrowthBookClient } = await import('@growthbook/growthbook');
const { FlagdCore } = await import('@openfeature/flagd-core');

const FLAG = 'new-checkout';
const COMPANIES = ['acme', 'globex', 'initech', 'hooli', 'umbrella', 'soylent', 'wayne', 'stark'];
const CONTEXTS = Number(process.env.CONTEXTS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const TARGET_MS = Number(process.env.TARGET_MS ?? 300); // per timed round and library

// The same people for every library; each library gets them in its own context shape, built before timing.
const people = Array.from({ length: CONTEXTS }, (_, i) => ({ user: `user-${i}`, company: COMPANIES[(i * 7) % COMPANIES.length] }));
const inCompany = (p) => p.company === 'acme' || p.company === 'globex';

// --- Slipway: offline with a bootstrap rule set; evaluation is the same code path as when connected.
const slipway = new SlipwayClient({
  offline: true,
  bootstrap: {
    version: 'bench',
    flags: [
      {
        key: FLAG,
        variants: [
          { key: 'on', value: true },
          { key: 'off', value: false },
        ],
        environment: {
          enabled: true,
          offVariant: 'off',
          rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }], serve: { variant: 'on' } }],
          defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }], stickiness: 'targetingKey' },
        },
      },
    ],
    segments: [],
  },
});
await slipway.ready();
const slipwayContexts = people.map((p) => ({ targetingKey: p.user, company: p.company }));

// --- unleash-client: offline (no fetching, no metrics), bootstrapped with two flexibleRollout strategies.
const unleash = new Unleash({
  appName: 'slipway-bench',
  url: 'http://127.0.0.1:9/api/', // never contacted: refreshInterval 0 disables fetching
  refreshInterval: 0,
  disableMetrics: true,
  storageProvider: new InMemStorageProvider(),
  skipInstanceCountWarning: true,
  bootstrap: {
    data: [
      {
        name: FLAG,
        enabled: true,
        strategies: [
          {
            name: 'flexibleRollout',
            parameters: { rollout: '100', stickiness: 'userId', groupId: FLAG },
            constraints: [{ contextName: 'company', operator: 'IN', values: ['acme', 'globex'] }],
          },
          { name: 'flexibleRollout', parameters: { rollout: '25', stickiness: 'userId', groupId: FLAG }, constraints: [] },
        ],
      },
    ],
  },
});
unleash.on('error', () => {});
await new Promise((resolve) => (unleash.isSynchronized?.() || unleash.repository?.ready ? resolve() : unleash.once('ready', resolve)));
const unleashContexts = people.map((p) => ({ userId: p.user, properties: { company: p.company } }));

// --- GrowthBook: the multi-user server client; a force rule on company, then a 25 % rollout rule.
const growthbook = new GrowthBookClient().initSync({
  payload: {
    features: {
      [FLAG]: {
        defaultValue: false,
        rules: [
          { condition: { company: { $in: ['acme', 'globex'] } }, force: true },
          { force: true, coverage: 0.25, hashAttribute: 'id' },
        ],
      },
    },
  },
});
const growthbookContexts = people.map((p) => ({ attributes: { id: p.user, company: p.company } }));

// --- flagd-core: a flagd flag with if / in / fractional.
const flagd = new FlagdCore();
flagd.setConfigurations(
  JSON.stringify({
    flags: {
      [FLAG]: {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: { if: [{ in: [{ var: 'company' }, ['acme', 'globex']] }, 'on', { fractional: [['on', 25], ['off', 75]] }] },
      },
    },
  }),
);
const flagdContexts = people.map((p) => ({ targetingKey: p.user, company: p.company }));

const libraries = [
  { name: 'Slipway @slipway/sdk-node', contexts: slipwayContexts, evaluate: (c) => slipway.getBooleanValue(FLAG, false, c) },
  { name: 'unleash-client', contexts: unleashContexts, evaluate: (c) => unleash.isEnabled(FLAG, c) },
  { name: '@growthbook/growthbook', contexts: growthbookContexts, evaluate: (c) => growthbook.isOn(FLAG, c) },
  { name: '@openfeature/flagd-core', contexts: flagdContexts, evaluate: (c) => flagd.resolveBooleanEvaluation(FLAG, false, c).value },
];

// Sanity: everyone at acme/globex is on; about 25 % of the others; the same answer twice.
console.log('sanity check (every library must pass before it is timed):');
for (const lib of libraries) {
  let companyOn = 0;
  let companyTotal = 0;
  let restOn = 0;
  let restTotal = 0;
  let stable = true;
  people.forEach((p, i) => {
    const v = lib.evaluate(lib.contexts[i]);
    if (v !== lib.evaluate(lib.contexts[i])) stable = false;
    if (typeof v !== 'boolean') stable = false;
    if (inCompany(p)) {
      companyTotal++;
      if (v === true) companyOn++;
    } else {
      restTotal++;
      if (v === true) restOn++;
    }
  });
  const share = restOn / restTotal;
  const ok = stable && companyOn === companyTotal && share > 0.2 && share < 0.3;
  console.log(
    `  ${ok ? 'ok  ' : 'FAIL'} ${lib.name}: acme/globex ${companyOn}/${companyTotal} on, others ${restOn}/${restTotal} on (${(share * 100).toFixed(1)} %)${stable ? '' : ', unstable or not boolean'}`,
  );
  if (!ok) {
    console.error(`${lib.name} does not evaluate the workload as configured; refusing to time it.`);
    process.exit(1);
  }
}

// One timing loop per library, compiled separately (new Function), so that each call site sees one
// evaluate function only: a loop shared by all four would be megamorphic and tax everyone alike.
const LOOP = `
  let on = 0;
  const start = process.hrtime.bigint();
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < contexts.length; i++) if (evaluate(contexts[i]) === true) on++;
  }
  const ns = Number(process.hrtime.bigint() - start);
  return { nsPerEval: ns / (passes * contexts.length), on };
`;
for (const lib of libraries) lib.loop = new Function('process', 'evaluate', 'contexts', 'passes', LOOP);

function timeRound(lib, passes) {
  return lib.loop(process, lib.evaluate, lib.contexts, passes);
}

// Warm each library, pick a pass count giving ~TARGET_MS per round, then interleave rounds
// (a, b, c, d, a, b, …) so drift on a shared machine affects everyone alike.
for (const lib of libraries) {
  timeRound(lib, 20);
  const probe = timeRound(lib, 20);
  lib.passes = Math.max(1, Math.round((TARGET_MS * 1e6) / (probe.nsPerEval * lib.contexts.length)));
  lib.samples = [];
}
for (let round = 0; round < ROUNDS; round++) {
  for (const lib of libraries) lib.samples.push(timeRound(lib, lib.passes).nsPerEval);
}

const results = libraries.map((lib) => ({ name: lib.name, ns: median(lib.samples), min: Math.min(...lib.samples) }));
const [ours, ...anchors] = results;
const fastest = anchors.reduce((a, b) => (b.ns < a.ns ? b : a));
console.log(`\nflag "on for company in [acme, globex], else 25 % rollout by user", ${CONTEXTS} contexts, warm, median of ${ROUNDS} interleaved rounds of ~${TARGET_MS} ms; ${machine()}`);
console.log('| library | ns per evaluation (median) | best round |');
console.log('|---|---|---|');
for (const r of results) console.log(`| ${r.name} | ${r.ns.toFixed(1)} | ${r.min.toFixed(1)} |`);
const ratio = ours.ns / fastest.ns;
console.log(
  `\nSlipway / fastest anchor (${fastest.name}): ${ratio.toFixed(3)} (1/${(1 / ratio).toFixed(1)}); target ≤ 1/10: ${ratio <= 0.1 ? 'met' : 'NOT met'}`,
);

slipway.close();
unleash.destroy();
growthbook.destroy();
