import { describe, expect, it } from 'vitest';
import { HeldKeys } from './held-keys.js';

describe('HeldKeys', () => {
  it('tells a chain what it holds, nested and across awaits, and nothing once it is done', async () => {
    const keys = new HeldKeys();
    expect(keys.current()).toBeUndefined();
    const seen: Array<string[] | undefined> = [];
    await keys.run(keys.current(), 'repo-a', async () => {
      await new Promise((r) => setTimeout(r, 1));
      seen.push([...(keys.current() ?? [])]);
      await keys.run(keys.current(), 'repo-b', async () => {
        await null;
        seen.push([...(keys.current() ?? [])]);
      });
      seen.push([...(keys.current() ?? [])]);
    });
    seen.push(keys.current() && [...keys.current()!]);
    expect(seen).toEqual([['repo-a'], ['repo-a', 'repo-b'], ['repo-a'], undefined]);
  });

  it('keeps two chains apart while both run, and lets go after a failure', async () => {
    const keys = new HeldKeys();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = keys.run(undefined, 'one', async () => {
      await gate;
      return [...(keys.current() ?? [])];
    });
    const second = keys.run(undefined, 'two', async () => {
      await null;
      return [...(keys.current() ?? [])];
    });
    expect(await second).toEqual(['two']);
    release();
    expect(await first).toEqual(['one']);
    await expect(keys.run(undefined, 'three', async () => Promise.reject(new Error('git failed')))).rejects.toThrow('git failed');
    expect(keys.current()).toBeUndefined();
    // Switched off and on again: a new chain still sees its key.
    expect(await keys.run(undefined, 'four', async () => [...(keys.current() ?? [])])).toEqual(['four']);
  });
});
