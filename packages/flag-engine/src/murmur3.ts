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

// The last string bucketed, packed into little-endian 32-bit words once per alignment (how many
// bytes the prefix left in its partial block), so that bucketing one targeting key for every
// flag of a rule set — bulk evaluation, a request evaluating many flags — reads its characters
// once rather than once per flag. Only ASCII strings of up to CACHED_MAX code units are packed;
// the cache is allocation-free and invisible (every answer equals the direct computation's).
const CACHED_MAX = 64;
const WORDS = CACHED_MAX / 4 + 1;
let lastString: string | undefined;
let lastState: HashState | undefined;
/** 0 = not checked yet, 1 = ASCII and short enough to pack, 2 = not packable. */
let lastPackable = 0;
/** Per alignment n (0–3): the characters completing the prefix's partial block (as bits to OR in). */
const packFill = new Int32Array(4);
/** Per alignment: whether those characters complete the block (the string is long enough). */
const packCompletes = new Uint8Array(4);
/** Per alignment: 0 = not packed yet, else 1 + the number of whole words. */
const packWordCount = new Int32Array(4);
const packWords = new Int32Array(4 * WORDS);
const packTail = new Int32Array(4);
const packTailCount = new Int32Array(4);

function pack(str: string, n: number): void {
  const end = str.length;
  let i = 0;
  let fill = 0;
  if (n !== 0) for (let j = n; j < 4 && i < end; j++) fill |= str.charCodeAt(i++) << (j << 3);
  packFill[n] = fill;
  packCompletes[n] = n !== 0 && n + end >= 4 ? 1 : 0;
  let w = 0;
  for (; i + 4 <= end; i += 4) {
    packWords[n * WORDS + w++] = str.charCodeAt(i) | (str.charCodeAt(i + 1) << 8) | (str.charCodeAt(i + 2) << 16) | (str.charCodeAt(i + 3) << 24);
  }
  let tail = 0;
  let count = 0;
  for (; i < end; i++) tail |= str.charCodeAt(i) << (count++ << 3);
  packTail[n] = tail;
  packTailCount[n] = count;
  packWordCount[n] = w + 1;
}

function packable(str: string): boolean {
  if (str.length > CACHED_MAX) return false;
  let seen = 0;
  for (let i = 0; i < str.length; i++) seen |= str.charCodeAt(i);
  return seen < 0x80;
}

/** {@link bucketSuffix} from the packed words of `lastString`. */
function bucketPacked(state: HashState, length: number): number {
  const n = state.n;
  if (packWordCount[n] === 0) pack(lastString as string, n);
  let h = state.h;
  let k = state.k | (packFill[n] as number);
  let kn = n;
  if (n !== 0) {
    if (packCompletes[n] === 1) {
      h = mixBlock(h, k);
      k = 0;
      kn = 0;
    } else {
      kn = n + length;
    }
  }
  const base = n * WORDS;
  const words = (packWordCount[n] as number) - 1;
  for (let w = 0; w < words; w++) h = mixBlock(h, packWords[base + w] as number);
  if (kn === 0) {
    k = packTail[n] as number;
    kn = packTailCount[n] as number;
  }
  return finish(h, k, kn, state.len + length) % 10_000; // BUCKETS
}

/**
 * The bucket (0–9,999) of `prefix + str`, where `state` is the hash state after
 * `prefix` ({@link hashPrefix}): equal to `murmur3(prefix + str) % BUCKETS`,
 * without building the string or allocating. It optimistically treats `str` as
 * ASCII, reading four code units per block, and starts over in
 * {@link bucketRest} if any code unit was not ASCII. The same string bucketed
 * again (for the next flag) is hashed from its packed words.
 */
export function bucketSuffix(state: HashState, str: string): number {
  // The same flag again means another person (one flag evaluated for many): hash directly and
  // leave the cache alone (it still describes lastString).
  if (state === lastState) return bucketDirect(state, str);
  lastState = state;
  if (str === lastString) {
    if (lastPackable === 0) lastPackable = packable(str) ? 1 : 2;
    if (lastPackable === 1) return bucketPacked(state, str.length);
    return bucketDirect(state, str);
  }
  lastString = str;
  lastPackable = 0;
  packWordCount[0] = packWordCount[1] = packWordCount[2] = packWordCount[3] = 0;
  return bucketDirect(state, str);
}

function bucketDirect(state: HashState, str: string): number {
  let h = state.h;
  let k = state.k;
  let n = state.n;
  const end = str.length;
  let i = 0;
  let seen = 0; // every code unit OR-ed together: >= 0x80 means "not ASCII"
  // Complete the partial block left by the prefix (unrolled: n is the same for every call of a flag).
  if (n !== 0) {
    const need = 4 - n;
    if (end < need) {
      for (; i < end; i++) {
        const c = str.charCodeAt(i);
        seen |= c;
        k |= c << (n++ << 3);
      }
      if (seen >= 0x80) return bucketRest(state.h, state.k, state.n, state.len, str, 0);
      return finish(h, k, n, state.len + end) % 10_000; // BUCKETS
    }
    let c = str.charCodeAt(0);
    seen |= c;
    k |= c << (n << 3);
    if (need > 1) {
      c = str.charCodeAt(1);
      seen |= c;
      k |= c << ((n + 1) << 3);
    }
    if (need > 2) {
      c = str.charCodeAt(2);
      seen |= c;
      k |= c << ((n + 2) << 3);
    }
    h = mixBlock(h, k);
    k = 0;
    i = need;
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
  const rest = end - i;
  if (rest > 0) {
    let c = str.charCodeAt(i);
    seen |= c;
    k = c;
    if (rest > 1) {
      c = str.charCodeAt(i + 1);
      seen |= c;
      k |= c << 8;
    }
    if (rest > 2) {
      c = str.charCodeAt(i + 2);
      seen |= c;
      k |= c << 16;
    }
  }
  if (seen >= 0x80) return bucketRest(state.h, state.k, state.n, state.len, str, 0);
  return finish(h, k, rest, state.len + end) % 10_000; // BUCKETS
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
