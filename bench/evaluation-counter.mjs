// What counting OFREP evaluations (for the flags page's stale marks) adds to one evaluation: the
// tracker's in-memory bump, beside the flag engine's evaluation of the same flag that every OFREP
// request already does (the anchor), in the same process and run.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileRuleSet } from '@slipway/flag-engine';
import { requireBuild, ROOT } from './_support.mjs';

requireBuild();
const { FlagEvaluationTracker } = await import(pathToFileURL(path.join(ROOT, 'packages/server/dist/flags/evaluation-tracker.js')).href);

const ruleSet = {
  project: 'web',
  environment: 'production',
  version: '1',
  segments: [],
  flags: Array.from({ length: 300 }, (_, i) => ({
    key: i === 0 ? 'new-checkout' : `flag-${i}`,
    type: 'release',
    variants: [{ key: 'on', value: true }, { key: 'off', value: false }],
    environment: {
      enabled: true,
      offVariant: 'off',
      rules: [{ conditions: [{ attribute: 'company', operator: 'in', values: ['acme', 'globex'] }], serve: { variant: 'on' } }],
      defaultServe: { split: [{ variant: 'on', weight: 25 }, { variant: 'off', weight: 75 }] },
    },
  })),
};
const evaluator = compileRuleSet(ruleSet);
const state = { project: 'web', environment: 'production', ruleSet: () => ruleSet };
// The tracker never reaches the database here: nothing is flushed during the measurement.
const tracker = new FlagEvaluationTracker(null, { now: () => new Date() });
const N = 2_000_000;

function measure(fn) {
  for (let i = 0; i < 200_000; i++) fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / N;
}

const contexts = Array.from({ length: 1000 }, (_, i) => ({ targetingKey: `user-${i}`, company: i % 10 === 0 ? 'acme' : 'initech' }));
let sink = 0;
const evaluate = measure((i) => (sink += evaluator.evaluate('new-checkout', contexts[i % 1000]).value ? 1 : 0));
const count = measure(() => tracker.seen(state, 'new-checkout'));
const bulk = measure(() => tracker.seenAll(state));
console.log(`OFREP evaluation counting, ${N.toLocaleString('en')} calls each, Node ${process.version}`);
console.log('| what | ns per call |');
console.log('|---|---|');
console.log(`| tracker.seen(state, flag) — single-flag OFREP | ${count.toFixed(1)} |`);
console.log(`| tracker.seenAll(state) — bulk OFREP | ${bulk.toFixed(1)} |`);
console.log(`| anchor: evaluator.evaluate('new-checkout', context) — already on every OFREP request | ${evaluate.toFixed(1)} |`);
if (sink < 0) console.log(sink);
