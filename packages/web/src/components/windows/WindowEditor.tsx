import { ActionIcon, Button, Chip, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { useMemo } from 'react';
import { removeAt, replaceAt } from '../flags/rules';
import { WeekCalendar } from './WeekCalendar';
import { DAYS, freezeBlocks, weekStart, windowBlocks, windowProblem, type DeployWindow, type Freeze } from './windows';

const ZONES: string[] = (() => {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf;
  return supported ? supported('timeZone') : ['UTC'];
})();

interface Props {
  windows: DeployWindow[];
  freezes: Freeze[];
  onWindows: (w: DeployWindow[]) => void;
  onFreezes: (f: Freeze[]) => void;
  disabled?: boolean;
}

/** Deploy windows (days, start, end, time zone) and freezes (from, to, reason), drawn on a week calendar. */
export function WindowEditor({ windows, freezes, onWindows, onFreezes, disabled }: Props) {
  const monday = useMemo(() => weekStart(new Date()), []);
  const open = windows.flatMap(windowBlocks);
  const frozen = freezes.flatMap((f) => freezeBlocks(f, monday));
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <Stack gap="sm" data-testid="window-editor">
      <WeekCalendar open={open} frozen={frozen} caption={windows.length === 0 ? 'No window: deploys are allowed at any time (outside freezes).' : 'Windows in their own time zones; freezes of this week in your time zone.'} />
      <Text size="sm" fw={600}>
        Deploy windows
      </Text>
      {windows.map((w, index) => {
        const problem = windowProblem(w);
        const label = `Window ${index + 1}`;
        return (
          <Stack key={index} gap={4} role="group" aria-label={label}>
            <Group gap="xs" align="flex-end">
              <Chip.Group multiple value={w.days} onChange={(days) => onWindows(replaceAt(windows, index, { ...w, days: DAYS.filter((d) => days.includes(d)) }))}>
                <Group gap={2}>
                  {DAYS.map((d) => (
                    <Chip key={d} value={d} size="xs" disabled={disabled}>
                      {d}
                    </Chip>
                  ))}
                </Group>
              </Chip.Group>
              <TextInput aria-label={`${label} start`} label="From" value={w.start} onChange={(e) => onWindows(replaceAt(windows, index, { ...w, start: e.currentTarget.value }))} w={80} size="xs" placeholder="09:00" disabled={disabled} />
              <TextInput aria-label={`${label} end`} label="To" value={w.end} onChange={(e) => onWindows(replaceAt(windows, index, { ...w, end: e.currentTarget.value }))} w={80} size="xs" placeholder="16:00" disabled={disabled} />
              <Select aria-label={`${label} time zone`} label="Time zone" data={ZONES} searchable value={w.timezone} onChange={(v) => v && onWindows(replaceAt(windows, index, { ...w, timezone: v }))} w={200} size="xs" disabled={disabled} />
              {!disabled && (
                <ActionIcon variant="subtle" color="red.9" aria-label={`Remove ${label}`} onClick={() => onWindows(removeAt(windows, index))} disabled={disabled}>
                  ✕
                </ActionIcon>
              )}
            </Group>
            {problem && (
              <Text size="xs" c="red.9" role="alert">
                {problem}
              </Text>
            )}
          </Stack>
        );
      })}
      {!disabled && (
        <Button size="compact-xs" variant="subtle" w="fit-content" disabled={disabled} onClick={() => onWindows([...windows, { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '16:00', timezone: zone }])}>
          + Add window
        </Button>
      )}
      <Text size="sm" fw={600}>
        Freezes
      </Text>
      {freezes.map((f, index) => {
        const label = `Freeze ${index + 1}`;
        return (
          <Group key={index} gap="xs" align="flex-end" role="group" aria-label={label}>
            <DateTimePicker aria-label={`${label} from`} label="From" value={f.from ? new Date(f.from) : null} onChange={(v) => v && onFreezes(replaceAt(freezes, index, { ...f, from: new Date(v).toISOString() }))} w={190} size="xs" valueFormat="YYYY-MM-DD HH:mm" disabled={disabled} />
            <DateTimePicker aria-label={`${label} to`} label="To" value={f.to ? new Date(f.to) : null} onChange={(v) => v && onFreezes(replaceAt(freezes, index, { ...f, to: new Date(v).toISOString() }))} w={190} size="xs" valueFormat="YYYY-MM-DD HH:mm" disabled={disabled} />
            <TextInput aria-label={`${label} reason`} label="Reason" value={f.reason} onChange={(e) => onFreezes(replaceAt(freezes, index, { ...f, reason: e.currentTarget.value }))} w={220} size="xs" disabled={disabled} />
            {!disabled && (
              <ActionIcon variant="subtle" color="red.9" aria-label={`Remove ${label}`} onClick={() => onFreezes(removeAt(freezes, index))} disabled={disabled}>
                ✕
              </ActionIcon>
            )}
            {new Date(f.to) <= new Date(f.from) && (
              <Text size="xs" c="red.9" role="alert">
                The end must be after the start.
              </Text>
            )}
          </Group>
        );
      })}
      {!disabled && (
        <Button
          size="compact-xs"
          variant="subtle"
          w="fit-content"
          disabled={disabled}
          onClick={() => {
            const from = new Date();
            onFreezes([...freezes, { from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString(), reason: '' }]);
          }}
        >
          + Add freeze
        </Button>
      )}
    </Stack>
  );
}
