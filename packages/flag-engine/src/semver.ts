/**
 * A small Semantic Versioning 2.0.0 parser, comparator and range matcher, so the
 * engine stays dependency-free. Versions may carry a leading `v`; build metadata
 * is accepted and ignored. Ranges use plain semver precedence: a prerelease
 * matches `>=1.2.0 <2.0.0` when it sorts inside it (no npm-style prerelease
 * exclusion), while the upper bounds implied by `^`, `~` and `x` exclude the
 * next version's prereleases (`^1.2.0` does not match `2.0.0-rc.1`).
 */

/** A parsed version; prerelease identifiers are kept as strings. */
export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly string[];
}

type Op = '<' | '<=' | '>' | '>=' | '=';

interface Comparator {
  readonly op: Op;
  readonly version: SemVer;
}

/** A range as alternatives (`||`) of comparator sets that must all hold. */
export type SemVerRange = readonly (readonly Comparator[])[];

const MAX_LENGTH = 256;
const NUMERIC = /^(?:0|[1-9]\d*)$/;
const IDENT = /^(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)$/;
const BUILD_IDENT = /^[0-9A-Za-z-]+$/;

function parseNumber(s: string): number | undefined {
  if (!NUMERIC.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parsePre(s: string | undefined): string[] | undefined {
  if (s === undefined) return [];
  const ids = s.split('.');
  return ids.every((id) => IDENT.test(id)) ? ids : undefined;
}

function validBuild(s: string | undefined): boolean {
  return s === undefined || s.split('.').every((id) => BUILD_IDENT.test(id));
}

/** Splits `core-pre+build` into its three parts (pre and build may be undefined). */
function splitVersion(s: string): [string, string | undefined, string | undefined] {
  let build: string | undefined;
  const plus = s.indexOf('+');
  if (plus >= 0) {
    build = s.slice(plus + 1);
    s = s.slice(0, plus);
  }
  const dash = s.indexOf('-');
  if (dash < 0) return [s, undefined, build];
  return [s.slice(0, dash), s.slice(dash + 1), build];
}

/**
 * Parses a full version such as `1.2.3`, `v2.0.0-rc.1` or `1.0.0+build.5`.
 *
 * @example
 * parseSemver('1.2.3-beta.1'); // { major: 1, minor: 2, patch: 3, pre: ['beta', '1'] }
 */
export function parseSemver(input: string): SemVer | undefined {
  if (input.length > MAX_LENGTH) return undefined;
  const s = input.charCodeAt(0) === 0x76 || input.charCodeAt(0) === 0x56 ? input.slice(1) : input;
  const [core, preText, build] = splitVersion(s);
  const parts = core.split('.');
  if (parts.length !== 3 || !validBuild(build)) return undefined;
  const major = parseNumber(parts[0] as string);
  const minor = parseNumber(parts[1] as string);
  const patch = parseNumber(parts[2] as string);
  const pre = parsePre(preText);
  if (major === undefined || minor === undefined || patch === undefined || pre === undefined) return undefined;
  return { major, minor, patch, pre };
}

function compareIdent(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) {
    // No leading zeros, so length orders numbers of any size before comparing digits.
    if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  } else if (an !== bn) {
    return an ? -1 : 1;
  }
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Semver 2.0 precedence: negative if `a < b`, 0 if equal (build ignored), positive if `a > b`. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  const ap = a.pre;
  const bp = b.pre;
  if (ap.length === 0 || bp.length === 0) return bp.length - ap.length;
  const n = Math.min(ap.length, bp.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdent(ap[i] as string, bp[i] as string);
    if (c !== 0) return c;
  }
  return ap.length - bp.length;
}

interface Partial {
  major?: number;
  minor?: number;
  patch?: number;
  pre: string[];
}

const WILDCARD = /^[xX*]$/;

/** Parses `1`, `1.2`, `1.x`, `1.2.*`, `*`, `1.2.3-rc.1`; undefined parts are wildcards. */
function parsePartial(input: string): Partial | undefined {
  const s = input.charCodeAt(0) === 0x76 || input.charCodeAt(0) === 0x56 ? input.slice(1) : input;
  const [core, preText, build] = splitVersion(s);
  const parts = core.split('.');
  if (parts.length > 3 || !validBuild(build)) return undefined;
  const nums: (number | undefined)[] = [];
  for (const part of parts) {
    if (WILDCARD.test(part)) {
      nums.push(undefined);
      continue;
    }
    const n = parseNumber(part);
    if (n === undefined || nums.includes(undefined)) return undefined; // 1.x.3 is not a range
    nums.push(n);
  }
  const pre = parsePre(preText);
  if (pre === undefined || (pre.length > 0 && nums.length < 3)) return undefined;
  const [major, minor, patch] = nums;
  const out: Partial = { pre };
  if (major !== undefined) out.major = major;
  if (minor !== undefined) out.minor = minor;
  if (patch !== undefined) out.patch = patch;
  return out;
}

function v(major: number, minor: number, patch: number, pre: string[] = []): SemVer {
  return { major, minor, patch, pre };
}

/** The lowest version above every `major.minor.*` (or `major.*.*`): `x.y.0-0`. */
function ceiling(major: number, minor?: number): SemVer {
  return minor === undefined ? v(major + 1, 0, 0, ['0']) : v(major, minor + 1, 0, ['0']);
}

function desugar(op: string, p: Partial): Comparator[] {
  const { major, minor, patch, pre } = p;
  if (major === undefined) return op === '<' || op === '>' ? [{ op: '<', version: v(0, 0, 0, ['0']) }] : [];
  const exact = minor !== undefined && patch !== undefined;
  const low = v(major, minor ?? 0, patch ?? 0, pre);
  switch (op) {
    case '^': {
      let high: SemVer;
      if (major > 0 || minor === undefined) high = ceiling(major);
      else if (minor > 0 || patch === undefined) high = ceiling(0, minor);
      else high = v(0, 0, (patch ?? 0) + 1, ['0']);
      return [{ op: '>=', version: low }, { op: '<', version: high }];
    }
    case '~':
      return [{ op: '>=', version: low }, { op: '<', version: ceiling(major, minor) }];
    case '>':
      return exact ? [{ op: '>', version: low }] : [{ op: '>=', version: ceiling(major, minor) }];
    case '>=':
      return [{ op: '>=', version: low }];
    case '<':
      return [{ op: '<', version: exact ? low : v(major, minor ?? 0, 0, ['0']) }];
    case '<=':
      return exact ? [{ op: '<=', version: low }] : [{ op: '<', version: ceiling(major, minor) }];
    default:
      return exact ? [{ op: '=', version: low }] : [{ op: '>=', version: low }, { op: '<', version: ceiling(major, minor) }];
  }
}

const TOKEN = /^(\^|~|>=|<=|>|<|=)?(.+)$/;

function parseAlternative(text: string): Comparator[] | undefined {
  const tokens = text.replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1').split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0) return undefined;
  if (tokens.length === 3 && tokens[1] === '-') {
    const lo = parsePartial(tokens[0] as string);
    const hi = parsePartial(tokens[2] as string);
    if (lo === undefined || hi === undefined) return undefined;
    return [...desugar('>=', lo), ...desugar('<=', hi)];
  }
  const out: Comparator[] = [];
  for (const token of tokens) {
    const m = TOKEN.exec(token);
    const partial = m?.[2] === undefined ? undefined : parsePartial(m[2]);
    if (m === null || partial === undefined) return undefined;
    out.push(...desugar(m[1] ?? '', partial));
  }
  return out;
}

/**
 * Parses a range: space-separated comparators (`>=1.2.0 <2.0.0`), `^1.2.0`,
 * `~1.2.0`, `1.x`, `1.2.3 - 2.0.0`, joined by `||`. Returns undefined when invalid.
 *
 * @example
 * satisfies(parseSemver('1.4.0')!, parseRange('^1.2.0 || ~2.0.1')!); // true
 */
export function parseRange(input: string): SemVerRange | undefined {
  if (input.length > MAX_LENGTH) return undefined;
  const alternatives: Comparator[][] = [];
  for (const text of input.split('||')) {
    const set = parseAlternative(text);
    if (set === undefined) return undefined;
    alternatives.push(set);
  }
  return alternatives;
}

function holds(c: Comparator, version: SemVer): boolean {
  const cmp = compareSemver(version, c.version);
  switch (c.op) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    default:
      return cmp === 0;
  }
}

/** Whether `version` is in `range`. */
export function satisfies(version: SemVer, range: SemVerRange): boolean {
  for (const set of range) {
    let ok = true;
    for (const c of set) {
      if (!holds(c, version)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}
