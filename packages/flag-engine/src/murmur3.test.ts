import { describe, expect, it } from 'vitest';
import { bucketFor, bucketSuffix, BUCKETS, hashPrefix, murmur3, murmur3Bytes, utf8Encode } from './murmur3.js';

// Vectors for MurmurHash3_x86_32 as produced by the SMHasher reference code
// (published with it as byte-level tests, plus the usual string checks).
const BYTE_VECTORS: [number[], number, number][] = [
  [[], 0, 0],
  [[], 1, 0x514e28b7],
  [[], 0xffffffff, 0x81f16f39],
  [[0xff, 0xff, 0xff, 0xff], 0, 0x76293b50],
  [[0x21, 0x43, 0x65, 0x87], 0, 0xf55b516b],
  [[0x21, 0x43, 0x65, 0x87], 0x5082edee, 0x2362f9de],
  [[0x21, 0x43, 0x65], 0, 0x7e4a8634],
  [[0x21, 0x43], 0, 0xa0f7b07a],
  [[0x21], 0, 0x72661cf4],
  [[0, 0, 0, 0], 0, 0x2362f9de],
  [[0, 0, 0], 0, 0x85f0b427],
  [[0, 0], 0, 0x30f4c306],
  [[0], 0, 0x514e28b7],
];

const STRING_VECTORS: [string, number, number][] = [
  ['', 0, 0],
  ['', 1, 0x514e28b7],
  ['hello', 0, 0x248bfa47],
  ['Hello, world!', 1234, 0xfaf6cdb3],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['aaa', 0x9747b28c, 0x283e0130],
  ['aa', 0x9747b28c, 0x5d211726],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['abc', 0x9747b28c, 0xc84a62dd],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ['ππππππππ', 0x9747b28c, 0xd58063c1], // UTF-8: two bytes per character
];

/** A deterministic generator, so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SAMPLE_CHARS = ['a', 'Z', '0', '-', '/', 'é', 'ß', 'π', '中', '€', '😀', '𝄞', '\ud800', '\udfff', '\0', '\u007f', '\u0080', '\u07ff', '\u0800', '\uffff'];

function randomString(next: () => number, maxLength: number): string {
  let s = '';
  const length = Math.floor(next() * (maxLength + 1));
  for (let i = 0; i < length; i++) {
    s += next() < 0.6 ? String.fromCharCode(0x20 + Math.floor(next() * 95)) : SAMPLE_CHARS[Math.floor(next() * SAMPLE_CHARS.length)];
  }
  return s;
}

describe('murmur3', () => {
  it.each(BYTE_VECTORS)('bytes %j with seed %i', (bytes, seed, expected) => {
    expect(murmur3Bytes(bytes, seed)).toBe(expected);
  });

  it.each(STRING_VECTORS)('string %j with seed %i', (str, seed, expected) => {
    expect(murmur3(str, seed)).toBe(expected);
  });

  it('returns an unsigned 32-bit integer', () => {
    for (const s of ['a', 'b', 'hello', 'user-1', 'x'.repeat(100)]) {
      const h = murmur3(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });
});

describe('utf8Encode', () => {
  it('matches the platform encoder, lone surrogates included', () => {
    const encoder = new TextEncoder(); // test-only cross-check; the engine does not use it
    const next = prng(7);
    for (let i = 0; i < 2000; i++) {
      const s = randomString(next, 12);
      expect(utf8Encode(s)).toEqual([...encoder.encode(s)]);
    }
  });

  it('encodes non-ASCII characters', () => {
    expect(utf8Encode('é')).toEqual([0xc3, 0xa9]);
    expect(utf8Encode('€')).toEqual([0xe2, 0x82, 0xac]);
    expect(utf8Encode('😀')).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(utf8Encode('\ud800')).toEqual([0xef, 0xbf, 0xbd]);
  });
});

describe('bucketSuffix (the allocation-free hot path)', () => {
  it('equals murmur3(prefix + suffix) % 10000 for every prefix alignment and any text', () => {
    const next = prng(42);
    const prefixes = ['', 'a/', 'ab/', 'abc/', 'new-checkout/', 'é/', '😀/', 'flag-with-a-long-key-name/'];
    for (const prefix of prefixes) {
      const state = hashPrefix(prefix);
      for (let i = 0; i < 500; i++) {
        const suffix = randomString(next, 40);
        expect(bucketSuffix(state, suffix), `${JSON.stringify(prefix)} + ${JSON.stringify(suffix)}`).toBe(
          murmur3(prefix + suffix) % BUCKETS,
        );
      }
    }
  });

  it('gives the same answers from its cache of the last string, for every flag after the first', () => {
    // One string bucketed for many flags in turn (the cached path), then flags bucketing many
    // strings in turn (the direct path), interleaved, with short, long, ASCII and other strings.
    const next = prng(7);
    const prefixes = ['', 'a/', 'ab/', 'abc/', 'new-checkout/', 'é/', 'flag-12/', 'flag-with-a-long-key-name/'].map((p) => ({ p, state: hashPrefix(p) }));
    const strings = ['', 'x', 'xy', 'xyz', 'wxyz', 'user-1', 'user-12345', 'a'.repeat(64), 'b'.repeat(65), 'é', 'user-中', ...Array.from({ length: 40 }, () => randomString(next, 70))];
    for (const s of strings) {
      for (let round = 0; round < 3; round++) {
        for (const { p, state } of prefixes) expect(bucketSuffix(state, s), `${JSON.stringify(p)} + ${JSON.stringify(s)}`).toBe(murmur3(p + s) % BUCKETS);
      }
    }
    for (const { p, state } of prefixes) {
      for (const s of strings) expect(bucketSuffix(state, s)).toBe(murmur3(p + s) % BUCKETS);
    }
  });

  it('handles a surrogate pair split across the ASCII and non-ASCII paths', () => {
    const state = hashPrefix('f/');
    for (const s of ['abc😀', '😀', 'a\ud83d', '\ude00a', 'abcd\u0080', 'abcdefg中']) {
      expect(bucketSuffix(state, s)).toBe(murmur3('f/' + s) % BUCKETS);
    }
  });
});

describe('bucketFor', () => {
  it('hashes flagKey + "/" + value', () => {
    expect(bucketFor('new-checkout', 'user-1')).toBe(murmur3('new-checkout/user-1') % 10000);
    expect(bucketFor('f', 42)).toBe(murmur3('f/42') % 10000);
    expect(bucketFor('f', true)).toBe(murmur3('f/true') % 10000);
  });

  it('spreads 100,000 keys evenly over four 25 % slices (each within ±0.5 points)', () => {
    const counts = [0, 0, 0, 0];
    const total = 100_000;
    for (let i = 0; i < total; i++) {
      const slice = Math.floor(bucketFor('distribution-test', `user-${i}`) / 2500);
      counts[slice] = (counts[slice] as number) + 1;
    }
    for (const c of counts) expect(Math.abs((c / total) * 100 - 25)).toBeLessThanOrEqual(0.5);
  });

  it('is monotonic: everyone inside 5 % is inside 25 %', () => {
    let at5 = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = bucketFor('rollout', `user-${i}`);
      if (b < 500) {
        at5++;
        expect(b < 2500).toBe(true);
      }
    }
    expect(at5).toBeGreaterThan(800); // about 1,000 expected
  });

  it('gives different flags independent buckets', () => {
    let same = 0;
    for (let i = 0; i < 10_000; i++) {
      if (bucketFor('flag-a', `u${i}`) < 5000 === bucketFor('flag-b', `u${i}`) < 5000) same++;
    }
    expect(same / 10_000).toBeGreaterThan(0.47);
    expect(same / 10_000).toBeLessThan(0.53);
  });
});
