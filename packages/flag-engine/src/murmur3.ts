/**
 * MurmurHash3 x86_32 over UTF-8, written for bucketing. The hot path buckets
 * `flagKey + "/" + value` without building that string: the state after the
 * prefix is computed once per flag ({@link hashPrefix}) and the value's bytes are
 * fed straight from its UTF-16 code units ({@link bucketSuffix}). The public
 * {@link murmur3} takes the plain route (encode, then hash the bytes), so the
 * two implementations check each other in the tests.
 */

// The constants of MurmurHash3 x86_32 are written as literals below (c1 = 0xcc9e2d51,
// c2 = 0x1b873593), and so is the bucket count in the hot path: V8 does not
// always fold module-level constants, and a non-constant divisor turns `%` into
// a floating-point remainder call, which cost more than the whole hash.

/** Number of buckets; weights have two decimals, so 100.00 % = 10,000 buckets. */
export const BUCKETS = 10_000;

/**
 * The hash state after some bytes: running hash `h`, the partial little-endian
 * block `k` holding `n` (0–3) bytes, and the byte count `len`.
 */
export interface HashState {
  readonly h: number;
  readonly k: number;
  readonly n: number;
  readonly len: number;
}

/** UTF-8 bytes of a string; lone surrogates become U+FFFD, as the WHATWG encoder does. */
export function utf8Encode(str: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < str.length ? str.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return out;
}

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, k: number, n: number, len: number): number {
  if (n > 0) {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function absorbBytes(state: HashState, bytes: ArrayLike<number>): HashState {
  let { h, k, n, len } = state;
  for (let i = 0; i < bytes.length; i++) {
    k |= ((bytes[i] as number) & 0xff) << (n << 3);
    if (++n === 4) {
      h = mixBlock(h, k);
      k = 0;
      n = 0;
    }
  }
  len += bytes.length;
  return { h, k, n, len };
}

/**
 * MurmurHash3 x86_32 of raw bytes (each element taken modulo 256).
 *
 * @example
 * murmur3Bytes([0x21, 0x43, 0x65, 0x87]); // 0xf55b516b
 */
export function murmur3Bytes(bytes: ArrayLike<number>, seed = 0): number {
  const s = absorbBytes({ h: seed | 0, k: 0, n: 0, len: 0 }, bytes);
  return finish(s.h, s.k, s.n, s.len);
}

/** The state after hashing the UTF-8 bytes of `prefix`, to be continued by {@link bucketSuffix}. */
export function hashPrefix(prefix: string, seed = 0): HashState {
  return absorbBytes({ h: seed | 0, k: 0, n: 0, len: 0 }, utf8Encode(prefix));
}

/**
 * The bucket (0–9,999) of `prefix + str`, where `state` is the hash state after
 * `prefix` ({@link hashPrefix}): equal to `murmur3(prefix + str) % BUCKETS`,
 * without building the string or allocating. It optimistically treats `str` as
 * ASCII, reading four code units per block, and starts over in
 * {@link bucketRest} if any code unit was not ASCII.
 */
export function bucketSuffix(state: HashState, str: string): number {
  let h = state.h;
  let k = state.k;
  let n = state.n;
  const end = str.length;
  let i = 0;
  let seen = 0; // every code unit OR-ed together: >= 0x80 means "not ASCII"
  // Complete the partial block left by the prefix.
  while (n !== 0 && i < end) {
    const c = str.charCodeAt(i++);
    seen |= c;
    k |= c << (n << 3);
    if (++n === 4) {
      h = mixBlock(h, k);
      k = 0;
      n = 0;
    }
  }
  const blocksEnd = end - ((end - i) & 3);
  for (; i < blocksEnd; i += 4) {
    const c0 = str.charCodeAt(i);
    const c1 = str.charCodeAt(i + 1);
    const c2 = str.charCodeAt(i + 2);
    const c3 = str.charCodeAt(i + 3);
    seen |= c0 | c1 | c2 | c3;
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
  }
  for (; i < end; i++) {
    const c = str.charCodeAt(i);
    seen |= c;
    k |= c << (n << 3);
    n++;
  }
  if (seen >= 0x80) return bucketRest(state.h, state.k, state.n, state.len, str, 0);
  return finish(h, k, n, state.len + end) % 10_000; // BUCKETS
}

/** {@link bucketSuffix} for any string: encodes UTF-8 as it goes, from code unit `start`. */
function bucketRest(h: number, k: number, n: number, len: number, str: string, start: number): number {
  const end = str.length;
  for (let i = start; i < end; i++) {
    const c = str.charCodeAt(i);
    // One to four UTF-8 bytes, packed little-endian into one int, then fed in order.
    let packed: number;
    let count: number;
    if (c < 0x80) {
      packed = c;
      count = 1;
    } else if (c < 0x800) {
      packed = (0xc0 | (c >> 6)) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else if (c < 0xd800 || c > 0xdfff) {
      packed = (0xe0 | (c >> 12)) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
      count = 3;
    } else {
      const d = i + 1 < end ? str.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        packed =
          (0xf0 | (cp >> 18)) |
          ((0x80 | ((cp >> 12) & 0x3f)) << 8) |
          ((0x80 | ((cp >> 6) & 0x3f)) << 16) |
          ((0x80 | (cp & 0x3f)) << 24);
        count = 4;
        i++;
      } else {
        packed = 0xef | (0xbf << 8) | (0xbd << 16); // U+FFFD for a lone surrogate
        count = 3;
      }
    }
    len += count;
    for (; count > 0; count--) {
      k |= (packed & 0xff) << (n << 3);
      packed >>>= 8;
      if (++n === 4) {
        h = mixBlock(h, k);
        k = 0;
        n = 0;
      }
    }
  }
  return finish(h, k, n, len) % 10_000; // BUCKETS
}

/**
 * MurmurHash3 x86_32 (unsigned) of the UTF-8 bytes of `str`.
 *
 * @example
 * murmur3('hello'); // 0x248bfa47
 */
export function murmur3(str: string, seed = 0): number {
  return murmur3Bytes(utf8Encode(str), seed);
}

/**
 * The bucket (0–9,999) of `value` for `flagKey`: `murmur3(flagKey + "/" + value) % 10000`.
 * A split of weights `[25, 75]` serves its first variant to buckets 0–2,499.
 *
 * @example
 * bucketFor('new-checkout', 'user-1') < 2500; // in a 25 % rollout?
 */
export function bucketFor(flagKey: string, value: string | number | boolean): number {
  return murmur3(flagKey + '/' + String(value)) % BUCKETS;
}
