import { describe, expect, it } from 'vitest';

import { KeyedMutex } from './keyed-mutex.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('KeyedMutex', () => {
  it('runs holders of one key one at a time, in call order', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    const gate = deferred();
    const first = mutex.runExclusive('a', async () => {
      order.push('1:start');
      await gate.promise;
      order.push('1:end');
      return 1;
    });
    const second = mutex.runExclusive('a', () => {
      order.push('2');
      return 2;
    });
    const third = mutex.runExclusive('a', async () => {
      order.push('3');
      return 3;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual(['1:start']);
    gate.resolve();
    expect(await Promise.all([first, second, third])).toEqual([1, 2, 3]);
    expect(order).toEqual(['1:start', '1:end', '2', '3']);
  });

  it('does not make different keys wait on each other', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const blocked = mutex.runExclusive('a', () => gate.promise);
    expect(await mutex.runExclusive('b', () => 'free')).toBe('free');
    gate.resolve();
    await blocked;
  });

  it('releases the key when the holder throws, and forgets idle keys', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.runExclusive('a', async () => {
      throw new Error('boom');
    });
    const next = mutex.runExclusive('a', () => 'after');
    expect(mutex.isLocked('a')).toBe(true);
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('after');
    expect(mutex.size).toBe(0);
    expect(mutex.isLocked('a')).toBe(false);

    await Promise.all(Array.from({ length: 100 }, (_, i) => mutex.runExclusive(`k${i % 7}`, async () => i)));
    expect(mutex.size).toBe(0);
  });
});
