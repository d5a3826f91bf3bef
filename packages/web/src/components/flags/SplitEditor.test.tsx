// @vitest-environment happy-dom
import { MantineProvider } from '@mantine/core';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { RuleBuilder } from './RuleBuilder';
import type { Rule } from './rules';
import { splitTotal, type SplitEntry } from './split';
import { SplitEditor } from './SplitEditor';

afterEach(cleanup);

function Harness({ initial, seen }: { initial: SplitEntry[]; seen: SplitEntry[][] }) {
  const [split, setSplit] = useState(initial);
  return (
    <MantineProvider>
      <SplitEditor split={split} variants={['a', 'b', 'c']} label="Default" onChange={(next) => (seen.push(next), setSplit(next))} />
    </MantineProvider>
  );
}

describe('the split editor, rendered', () => {
  it('keeps the total at 100 whatever slider moves, by keyboard or by typing', () => {
    const seen: SplitEntry[][] = [];
    render(<Harness initial={[{ variant: 'a', weight: 50 }, { variant: 'b', weight: 30 }, { variant: 'c', weight: 20 }]} seen={seen} />);
    const sliders = screen.getAllByRole('slider');
    expect(sliders).toHaveLength(3);
    fireEvent.keyDown(sliders[0]!, { key: 'ArrowRight' });
    fireEvent.keyDown(sliders[2]!, { key: 'End' });
    fireEvent.change(screen.getByRole('textbox', { name: 'b percent' }), { target: { value: '40' } });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const split of seen) expect(splitTotal(split)).toBe(100);
    expect(seen[0]!.map((e) => e.weight)).toEqual([51, 29.4, 19.6]);
    expect(seen[1]!.map((e) => e.weight)).toEqual([0, 0, 100]);
    expect(screen.getByTestId('split-total').textContent).toBe('total 100%');
  });

  it('removes a slice and gives its share to the others', () => {
    const seen: SplitEntry[][] = [];
    render(<Harness initial={[{ variant: 'a', weight: 50 }, { variant: 'b', weight: 50 }]} seen={seen} />);
    fireEvent.click(screen.getByRole('button', { name: 'Remove a from the split' }));
    expect(seen.at(-1)).toEqual([{ variant: 'b', weight: 100 }]);
  });
});

describe('the rule builder, rendered', () => {
  function Rules({ seen }: { seen: Rule[][] }) {
    const [rules, setRules] = useState<Rule[]>([
      { conditions: [{ attribute: 'company', operator: 'in', values: ['acme'] }], serve: { variant: 'on' } },
      { conditions: [], serve: { variant: 'off' } },
    ]);
    return (
      <MantineProvider>
        <RuleBuilder rules={rules} variants={['on', 'off']} segments={['beta']} onChange={(next) => (seen.push(next), setRules(next))} />
      </MantineProvider>
    );
  }

  it('reorders, adds conditions and rules, and hides every button when read-only', () => {
    const seen: Rule[][] = [];
    render(<Rules seen={seen} />);
    fireEvent.click(screen.getByRole('button', { name: 'Move Rule 2 up' }));
    expect(seen.at(-1)!.map((r) => r.serve.variant)).toEqual(['off', 'on']);
    fireEvent.click(screen.getAllByRole('button', { name: '+ AND condition' })[1]!);
    expect(seen.at(-1)![1]!.conditions).toHaveLength(2);
    fireEvent.click(screen.getByRole('button', { name: '+ Add rule' }));
    expect(seen.at(-1)).toHaveLength(3);
    cleanup();
    render(
      <MantineProvider>
        <RuleBuilder rules={seen.at(-1)!} variants={['on', 'off']} segments={[]} onChange={() => undefined} disabled />
      </MantineProvider>,
    );
    expect(screen.queryAllByRole('button')).toEqual([]);
  });
});
