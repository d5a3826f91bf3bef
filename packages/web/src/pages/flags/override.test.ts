import { describe, expect, it } from 'vitest';
import { userOverride, withUserOverride } from './override';

describe('per-user override', () => {
  const config = { enabled: true, targets: [{ variant: 'classic', values: ['u1', 'u2'] }], defaultServe: { variant: 'classic' } };

  it('moves the user to the chosen variant and out of the others', () => {
    const next = withUserOverride(config, 'u1', 'multi-cluster');
    expect(next.targets).toEqual([
      { variant: 'classic', values: ['u2'] },
      { variant: 'multi-cluster', values: ['u1'] },
    ]);
    expect(userOverride(next, 'u1')).toBe('multi-cluster');
    expect(userOverride(next, 'u3')).toBeNull();
  });

  it('removes the override, dropping lists left empty', () => {
    expect(withUserOverride({ ...config, targets: [{ variant: 'classic', values: ['u1'] }] }, 'u1', null).targets).toEqual([]);
  });
});
