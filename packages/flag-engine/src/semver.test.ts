import { describe, expect, it } from 'vitest';
import { compareSemver, parseRange, parseSemver, satisfies } from './semver.js';
import type { SemVer } from './semver.js';

function v(s: string): SemVer {
  const parsed = parseSemver(s);
  if (parsed === undefined) throw new Error(`not a version: ${s}`);
  return parsed;
}

function inRange(version: string, range: string): boolean {
  const r = parseRange(range);
  if (r === undefined) throw new Error(`not a range: ${range}`);
  return satisfies(v(version), r);
}

describe('parseSemver', () => {
  it.each(['0.0.0', '1.2.3', 'v1.2.3', 'V1.2.3', '10.20.30', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-0.3.7', '1.0.0-x.7.z.92', '1.0.0-x-y-z.--', '1.0.0+20130313144700', '1.0.0-beta+exp.sha.5114f85', '1.0.0+21AF26D3----117B344092BD'])(
    'accepts %s',
    (s) => expect(parseSemver(s)).toBeDefined(),
  );

  it.each(['', '1', '1.2', '1.2.3.4', '01.2.3', '1.02.3', '1.2.03', '1.2.3-', '1.2.3-01', '1.2.3-a..b', '1.2.3+', '1.2.3+a..b', 'a.b.c', ' 1.2.3', '1.2.3 ', '-1.2.3', '1.2.3-alpha_beta', '99999999999999999999.0.0', '1.2.3' + '-a'.repeat(200)])(
    'rejects %j',
    (s) => expect(parseSemver(s)).toBeUndefined(),
  );

  it('splits the parts', () => {
    expect(parseSemver('v1.2.3-beta.11+build')).toEqual({ major: 1, minor: 2, patch: 3, pre: ['beta', '11'] });
  });
});

describe('compareSemver', () => {
  it('orders prereleases as semver 2.0 §11 says', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0-0', '2.0.0'];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const c = compareSemver(v(ordered[i] as string), v(ordered[j] as string));
        expect(Math.sign(c), `${ordered[i]} vs ${ordered[j]}`).toBe(Math.sign(i - j));
      }
    }
  });

  it('compares numbers numerically, however long', () => {
    expect(compareSemver(v('1.10.0'), v('1.9.0'))).toBeGreaterThan(0);
    expect(compareSemver(v('1.0.0-rc.100000000000000000000'), v('1.0.0-rc.99999999999999999999'))).toBeGreaterThan(0);
    expect(compareSemver(v('1.0.0-1'), v('1.0.0-a'))).toBeLessThan(0);
  });

  it('ignores build metadata', () => {
    expect(compareSemver(v('1.0.0+a'), v('1.0.0+b'))).toBe(0);
  });
});

describe('parseRange / satisfies', () => {
  it.each<[string, string, boolean]>([
    ['>=1.2.0 <2.0.0', '1.2.0', true],
    ['>=1.2.0 <2.0.0', '1.9.9', true],
    ['>=1.2.0 <2.0.0', '2.0.0', false],
    ['>=1.2.0 <2.0.0', '1.1.9', false],
    ['>= 1.2.0 < 2.0.0', '1.5.0', true],
    ['>=1.2.0 <2.0.0', '2.0.0-rc.1', true], // plain precedence: 2.0.0-rc.1 < 2.0.0
    ['^1.2.0', '1.2.0', true],
    ['^1.2.0', '1.99.0', true],
    ['^1.2.0', '1.1.0', false],
    ['^1.2.0', '2.0.0', false],
    ['^1.2.0', '2.0.0-rc.1', false],
    ['^1.2.0', '1.3.0-beta', true],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.0.3', '0.0.3', true],
    ['^0.0.3', '0.0.4', false],
    ['^1', '1.9.0', true],
    ['^1', '2.0.0', false],
    ['~1.2.0', '1.2.9', true],
    ['~1.2.0', '1.3.0', false],
    ['~1.2.3', '1.2.2', false],
    ['~1', '1.9.0', true],
    ['~1', '2.0.0', false],
    ['1.x', '1.0.0', true],
    ['1.x', '1.99.99', true],
    ['1.x', '2.0.0', false],
    ['1.x', '0.9.0', false],
    ['1.2.x', '1.2.7', true],
    ['1.2.x', '1.3.0', false],
    ['1.2.*', '1.2.0', true],
    ['1', '1.4.0', true],
    ['*', '0.0.1', true],
    ['x', '99.0.0', true],
    ['1.2.3', '1.2.3', true],
    ['1.2.3', '1.2.4', false],
    ['=1.2.3', '1.2.3', true],
    ['>1.2.3', '1.2.4', true],
    ['>1.2.3', '1.2.3', false],
    ['>1.2', '1.2.9', false],
    ['>1.2', '1.3.0', true],
    ['<=1.2', '1.2.9', true],
    ['<=1.2', '1.3.0', false],
    ['<1.2', '1.1.9', true],
    ['<1.2', '1.2.0', false],
    ['<1.2.3', '1.2.3-rc.1', true],
    ['^1.0.0 || ^2.0.0', '2.5.0', true],
    ['^1.0.0 || ^2.0.0', '3.0.0', false],
    ['<1.0.0 || >=3.0.0', '0.5.0', true],
    ['<1.0.0 || >=3.0.0', '2.0.0', false],
    ['1.2.3 - 2.3.4', '2.3.4', true],
    ['1.2.3 - 2.3.4', '2.3.5', false],
    ['1.2.3 - 2.3', '2.3.9', true],
    ['v1.2.0 - v1.4.0', '1.3.0', true],
  ])('%s contains %s: %s', (range, version, expected) => {
    expect(inRange(version, range)).toBe(expected);
  });

  it.each(['', '   ', '||', '^1.2.0 ||', '>=a', '1.2.3.4', '~>1.2', '1.x.3', '>=1.2.0 <', 'latest', '^1.2.3-'])('rejects %j', (r) => {
    expect(parseRange(r)).toBeUndefined();
  });
});
