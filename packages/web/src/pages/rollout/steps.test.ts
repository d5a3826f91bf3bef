import { describe, expect, it } from 'vitest';
import { commandsFor, describeStep, formatDuration, mayCommand } from './steps';

describe('rollout page logic', () => {
  it('describes steps', () => {
    expect(describeStep({ setWeight: 25 })).toBe('Set weight to 25 %');
    expect(describeStep({ pause: { duration: '30s' } })).toBe('Pause for 30s');
    expect(describeStep({ pause: {} })).toBe('Pause until someone resumes');
    expect(describeStep({ analysis: { templates: ['a', 'b'] } })).toBe('Analysis: a, b');
  });

  it('formats time left', () => {
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatDuration(-5)).toBe('0 s');
  });

  it('offers the commands of each status', () => {
    expect(commandsFor('running')).toEqual(['pause', 'promote', 'promote-full', 'abort']);
    expect(commandsFor('paused')).toEqual(['resume', 'promote', 'promote-full', 'abort']);
    expect(commandsFor('rolled_back')).toEqual(['retry']);
    expect(commandsFor('succeeded')).toEqual([]);
  });

  it('shows buttons by role: viewers none, protected environments release-manager and above', () => {
    const viewer = { deploy: false, deployProtected: false };
    const engineer = { deploy: true, deployProtected: false };
    const manager = { deploy: true, deployProtected: true };
    expect(mayCommand(viewer, false)).toBe(false);
    expect(mayCommand(engineer, false)).toBe(true);
    expect(mayCommand(engineer, true)).toBe(false);
    expect(mayCommand(engineer, undefined)).toBe(false);
    expect(mayCommand(manager, true)).toBe(true);
  });
});
