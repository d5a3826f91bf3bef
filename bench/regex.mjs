// `matches` rules against hostile input: a corpus of patterns built to be slow (alternations under
// a star, long counted repetitions, Unicode classes, case folding, nested groups, …) goes through
// the server's save-time check (RE2 syntax, ≤ 256 characters, no catastrophic backtracking);
// every accepted one is evaluated by the flag engine (RE2JS, linear time) on 1,024-character
// attributes made to defeat it, and the slowest are printed. Anchors in the same run: the same
// flag with an `eq` rule, and a backtracking engine (JavaScript's RegExp) on ^(a+)+$ — the pattern
// the save-time check refuses — with 24 and 26 characters.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine, ROOT } from './_support.mjs';

const ENGINE = path.join(ROOT, 'packages/flag-engine/dist/index.js');
const POLICY = path.join(ROOT, 'packages/server/dist/shared/regex-policy.js');
if (!fs.existsSync(ENGINE) || !fs.existsSync(POLICY)) {
  console.error('Not built: run "npm run build" first.');
  process.exit(1);
}
const { compileRuleSet, MAX_MATCH_INPUT } = await import(pathToFileURL(ENGINE).href);
const { regexProblem } = await import(pathToFileURL(POLICY).href);

const letters = 'abcdefghijklmnopqrstuvwxyz';
const alt = (n, w = 1) => Array.from({ length: n }, (_, i) => letters.slice(i % 26, (i % 26) + w).padEnd(w, 'z')).join('|');
const corpus = new Set([
  '^(a+)+$', '(a|aa)+$', '^(a|aa)*$', '(\\w+\\s?)*$', '(.*a){12}', '^(a|a?)+$', '(x+x+)+y',
  `^(${alt(26)})*$`, `(${alt(26)})*$`, `^(${alt(26, 2)})*$`, `^(?:${alt(40, 3)})*[0-9]$`, `(${alt(60, 2)})*#`,
  '^[a-z]*0$', '[a-z]{1,1000}[0-9]', '[a-z]{0,1000}[a-z]{0,1000}[0-9]', '^.{0,1000}$', '^.{1000}b', '(?i)^[a-z]{1,1000}0$',
  '^\\p{L}*$', '^\\p{L}*0$', '^[\\p{L}\\p{N}]{0,1000}#$', '(?i)^(?:straße|über|ärger)*$', '^[^0-9]*[0-9]{1,50}[^0-9]*$',
  '.*a.*b.*c.*d.*e.*f.*g.*h.*i.*j.*#', '[ab]*a[ab]{20}', '(a|b)*a(a|b){19}c', '^(?:a|b)*a(?:a|b){25}$', '\\b\\w+\\b#',
  '^(?:[a-z0-9._%+-]+)@(?:[a-z0-9-]+\\.)+[a-z]{2,}$', '^user-[0-9]+$', '@acme\\.com$', 'beta|alpha|canary',
  `^(?:${alt(90, 2)})+$`, '^[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*0$',
  '(?s)^.*(?:a|b).*(?:a|b).*(?:a|b).*#$', '^(?:\\d{3}-){0,300}\\d{3}$', '(?m)^a+$', '[\\s\\S]{10,1000}#',
  '[a-z]{0,240}[a-z]{0,240}[0-9]', '[ab]*a[ab]{200}b$', '(?:a|b)*a(?:a|b){120}$', '^[a-z]{0,490}$', '\\w{0,160}\\w{0,160}\\w{0,160}#',
]);
// Plus seeded random patterns from pieces known to be expensive, so the search is not only ours.
let seed = 20_261_124;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const pick = (list) => list[Math.floor(random() * list.length)];
for (let i = 0; i < Number(process.env.RANDOM_PATTERNS ?? 400); i++) {
  const atoms = Array.from({ length: 1 + Math.floor(random() * 6) }, () =>
    pick(['[a-z]', '[ab]', 'a', 'b', '.', '\\w', '[^0-9]', '(?:ab|ba)', '(?:a|b|c)', '[a-c]', '\\p{L}']) +
    pick(['*', '+', '?', '', `{0,${1 + Math.floor(random() * 120)}}`, `{${Math.floor(random() * 40)}}`]),
  );
  corpus.add((random() < 0.5 ? '^' : '') + atoms.join('') + pick(['$', '0', '[0-9]', '', '#$']));
}
const inputs = {
  'a×1024': 'a'.repeat(1024),
  'a×1023 + !': 'a'.repeat(1023) + '!',
  'ab×512': 'ab'.repeat(512),
  'letters': Array.from({ length: 1024 }, (_, i) => letters[(i * 7) % 26]).join(''),
  'mixed': Array.from({ length: 1024 }, (_, i) => 'abcdefghij0123 -_.@ß'[i % 20]).join(''),
  'digits and dashes': Array.from({ length: 1024 }, (_, i) => (i % 4 === 3 ? '-' : String(i % 10))).join(''),
  'Unicode letters': Array.from({ length: 1024 }, (_, i) => 'äöüßéΩжあ'[i % 8]).join(''),
};

function evaluator(condition) {
  return compileRuleSet({
    flags: [
      {
        key: 'f',
        variants: [{ key: 'on', value: true }, { key: 'off', value: false }],
        environment: { enabled: true, offVariant: 'off', rules: [{ conditions: [condition], serve: { variant: 'on' } }], defaultServe: { variant: 'off' } },
      },
    ],
  });
}

/** Median CPU microseconds of one evaluation, warm (about `budgetMs` of warming, then 7 rounds). */
function time(ev, context, budgetMs) {
  let n = 0;
  const warm = process.cpuUsage();
  do {
    ev.evaluate('f', context);
    n++;
  } while (n < 3 || (process.cpuUsage(warm).user < budgetMs * 500 && n < 2000));
  const per = Math.max(1, Math.round(n / 7));
  const samples = [];
  for (let r = 0; r < 7; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < per; i++) ev.evaluate('f', context);
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / per);
  }
  return samples.sort((a, b) => a - b)[3];
}

/** The worst input of a pattern, and its time. */
function worstOf(ev, budgetMs) {
  let worst = { us: 0, input: '' };
  for (const [name, text] of Object.entries(inputs)) {
    const us = time(ev, { name: text }, budgetMs);
    if (us > worst.us) worst = { us, input: name };
  }
  return worst;
}

const accepted = [];
const refused = [];
for (const pattern of corpus) {
  const problem = regexProblem(pattern);
  if (problem !== undefined) {
    refused.push({ pattern, problem });
    continue;
  }
  const ev = evaluator({ attribute: 'name', operator: 'matches', values: [pattern] });
  accepted.push({ pattern, ev, ...worstOf(ev, 2) }); // a quick screen
}
// The 12 slowest of the screen, measured again, warm (the first runs include compiling and
// filling RE2JS's DFA cache, which a server pays once per pattern and rule-set version).
accepted.sort((a, b) => b.us - a.us);
for (const a of accepted.slice(0, 12)) Object.assign(a, worstOf(a.ev, 60));
accepted.sort((a, b) => b.us - a.us);

const eqEv = evaluator({ attribute: 'name', operator: 'eq', values: ['x'] });
const eqUs = time(eqEv, { name: inputs['a×1024'] }, 20);
const re = /^(a+)+$/;
for (let i = 0; i < 50; i++) re.test('a'.repeat(12) + '!'); // past V8's regexp tier-up
const backtracking = [22, 24, 26].map((n) => {
  const text = 'a'.repeat(n) + '!';
  const start = process.cpuUsage();
  re.test(text);
  const used = process.cpuUsage(start);
  return { n, ms: (used.user + used.system) / 1000 };
});

console.log(`matches rules on ${MAX_MATCH_INPUT}-character attributes (${Object.keys(inputs).length} inputs each, worst kept); ${corpus.size} patterns, ${accepted.length} accepted, ${refused.length} refused at save time; ${machine()}\n`);
console.log('| slowest accepted patterns | worst input | µs per evaluation (CPU, median) |');
console.log('|---|---|---|');
for (const a of accepted.slice(0, 8)) console.log(`| \`${a.pattern.length > 70 ? a.pattern.slice(0, 67) + '…' : a.pattern}\` | ${a.input} | ${a.us.toFixed(1)} |`);
console.log(`\nslowest accepted: ${accepted[0].us.toFixed(1)} µs (${(accepted[0].us / 1000).toFixed(3)} ms) — target < 1 ms: ${accepted[0].us < 1000 ? 'met' : 'NOT met'}`);
console.log(`anchor: the same flag with an eq rule on the same attribute: ${eqUs.toFixed(2)} µs`);
console.log(`anchor: a backtracking engine (RegExp) on ^(a+)+$ (refused at save time): ${backtracking.map((b) => `${b.n} characters + "!" ${b.ms.toFixed(0)} ms`).join(', ')} — doubling with each character`);
console.log(`\nrefused at save time (${refused.length}), e.g.: ${refused.slice(0, 14).map((r) => `\`${r.pattern.length > 40 ? r.pattern.slice(0, 37) + '…' : r.pattern}\``).join(', ')}`);
