import type { EnvConfig } from '@slipway/flag-engine';
import { describe, expect, it } from 'vitest';
import { constantVariant, implicitConfig } from './flag-model.js';
import { describeConfig, summarizeConfigChange } from './flag-summary.js';

const split = (on: number): EnvConfig => ({ enabled: true, offVariant: 'off', defaultServe: { split: [{ variant: 'on', weight: on }, { variant: 'off', weight: 100 - on }] } });
const serve = (variant: string): EnvConfig => ({ enabled: true, offVariant: 'off', defaultServe: { variant } });

describe('flag change summaries', () => {
  it.each([
    [split(5), split(25), 'rollout 5% → 25%'],
    [serve('off'), split(10), 'rollout 0% → 10%'],
    [split(50), serve('on'), 'rollout 50% → 100%'],
    [{ ...serve('on'), enabled: false }, serve('on'), 'enabled'],
    [serve('on'), { ...serve('on'), enabled: false }, 'disabled'],
    [serve('on'), serve('off'), 'default on → off'],
    [serve('on'), { ...serve('on'), targets: [{ variant: 'off', values: ['u1', 'u2'] }] }, 'targeted u1 → off, u2 → off'],
    [{ ...serve('on'), targets: [{ variant: 'off', values: ['u1'] }] }, serve('on'), 'untargeted u1'],
    [serve('on'), { ...serve('on'), rules: [{ conditions: [], serve: { variant: 'off' } }] }, 'rules 0 → 1'],
    [{ ...serve('on'), rules: [{ conditions: [], serve: { variant: 'off' } }] }, { ...serve('on'), rules: [{ conditions: [], serve: { variant: 'on' } }] }, 'rule #1 changed'],
    [serve('on'), { ...serve('on'), prerequisites: [{ flag: 'payments', variant: 'on' }] }, 'prerequisites payments=on'],
    [serve('on'), serve('on'), 'saved without changes'],
  ] as Array<[EnvConfig, EnvConfig, string]>)('%j → %j reads "%s"', (before, after, expected) => {
    expect(summarizeConfigChange('f', 'prod', before, after)).toBe(`f in prod: ${expected}`);
  });

  it('describes what a configuration serves', () => {
    expect(describeConfig(split(25))).toBe('on 25% / off 75%');
    expect(describeConfig({ ...serve('on'), enabled: false })).toBe('off (disabled)');
    expect(describeConfig({ ...serve('on'), rules: [{ conditions: [], serve: { variant: 'on' } }], targets: [{ variant: 'on', values: ['a'] }] })).toBe('on, 1 rule, 1 target');
  });

  it('finds configurations that serve one variant to everyone', () => {
    expect(constantVariant(serve('on'))).toBe('on');
    expect(constantVariant({ ...serve('on'), enabled: false })).toBe('off');
    expect(constantVariant(split(25))).toBeNull();
    expect(constantVariant({ enabled: true, defaultServe: { split: [{ variant: 'on', weight: 100 }, { variant: 'off', weight: 0 }] } })).toBe('on');
    expect(constantVariant({ ...serve('on'), rules: [{ conditions: [], serve: { variant: 'on' } }] })).toBe('on');
    expect(constantVariant({ ...serve('on'), targets: [{ variant: 'off', values: ['u1'] }] })).toBeNull();
    expect(constantVariant({ ...serve('on'), prerequisites: [{ flag: 'x', variant: 'on' }] })).toBeNull();
  });

  it('gives unconfigured environments a disabled configuration with the false variant as off variant', () => {
    expect(implicitConfig([{ key: 'on', value: true }, { key: 'off', value: false }])).toEqual({ enabled: false, offVariant: 'off', defaultServe: { variant: 'on' } });
    expect(implicitConfig([{ key: 'a', value: 'x' }, { key: 'b', value: 'y' }])).toEqual({ enabled: false, offVariant: 'a', defaultServe: { variant: 'a' } });
  });
});
