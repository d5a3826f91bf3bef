import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';

/** Source of randomness; injected so tests can be deterministic where they need to. */
export type RandomSource = (size: number) => Uint8Array;

export const cryptoRandom: RandomSource = (size) => randomBytes(size);

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Time-ordered identifiers (ULID layout: 48-bit milliseconds then 80 random bits, Crockford base32,
 * lower case). They sort by creation time, which keyset pagination relies on.
 */
export class IdGenerator {
  private lastTime = -1;
  private lastRandom: Uint8Array = new Uint8Array(10);

  constructor(
    private readonly clock: Clock,
    private readonly random: RandomSource = cryptoRandom,
  ) {}

  next(): string {
    const time = this.clock.now().getTime();
    let rand: Uint8Array;
    if (time <= this.lastTime) {
      // Same millisecond (or a clock that went back): increment so ids stay strictly increasing.
      rand = Uint8Array.from(this.lastRandom);
      for (let i = rand.length - 1; i >= 0; i--) {
        rand[i] = (rand[i]! + 1) & 0xff;
        if (rand[i] !== 0) break;
      }
    } else {
      rand = this.random(10);
      this.lastTime = time;
    }
    this.lastRandom = rand;
    return encodeTime(Math.max(time, this.lastTime)) + encodeRandom(rand);
  }
}

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  return out;
}
