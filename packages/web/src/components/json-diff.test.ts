import { describe, expect, it } from 'vitest';
import { diffValues, hasChanges, stableJson } from './json-diff';

describe('before/after diff', () => {
  it('shows only what changed, keys in a stable order', () => {
    const lines = diffValues({ enabled: false, defaultServe: { variant: 'off' } }, { defaultServe: { variant: 'on' }, enabled: true });
    expect(lines.filter((l) => l.kind === 'del').map((l) => l.text.trim())).toEqual(['"variant": "off"', '"enabled": false']);
    expect(lines.filter((l) => l.kind === 'add').map((l) => l.text.trim())).toEqual(['"variant": "on"', '"enabled": true']);
    expect(stableJson({ b: 1, a: 2 })).toBe(stableJson({ a: 2, b: 1 }));
  });

  it('reads a creation (nothing before) as all added, and equal values as no change', () => {
    expect(diffValues(undefined, { a: 1 }).every((l) => l.kind === 'add')).toBe(true);
    expect(diffValues(null, { a: 1 }).every((l) => l.kind === 'add')).toBe(true);
    expect(hasChanges(diffValues({ a: [1, 2] }, { a: [1, 2] }))).toBe(false);
  });
});
