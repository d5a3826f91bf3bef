import { Badge, type MantineColor } from '@mantine/core';
import { readableTextOn } from './colors';

const KIND_COLORS: Record<string, MantineColor> = { major: 'red', minor: 'blue', patch: 'teal', hotfix: 'orange', prerelease: 'grape' };
const STATUS_COLORS: Record<string, MantineColor> = {
  pending_approval: 'yellow',
  pending: 'yellow',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  rolled_back: 'orange',
  cancelled: 'gray',
  rejected: 'red',
};

export function KindBadge({ kind }: { kind: string }) {
  return (
    <Badge color={KIND_COLORS[kind] ?? 'gray'} variant="light" data-kind={kind}>
      {kind}
    </Badge>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="filled" data-status={status} autoContrast>
      {status.replace(/_/g, ' ')}
    </Badge>
  );
}

export function DecisionBadge({ decision }: { decision: string }) {
  return (
    <Badge color={decision === 'go' ? 'green' : 'red'} variant="filled" data-decision={decision}>
      {decision}
    </Badge>
  );
}

/** An environment's name on its own colour, with a text colour that keeps the contrast readable. */
export function EnvBadge({ name, color }: { name: string; color?: string | undefined }) {
  const background = color && /^#[0-9a-f]{6}$/i.test(color) ? color : '#5c677d';
  return (
    <Badge styles={{ root: { background, color: readableTextOn(background) } }} variant="filled">
      {name}
    </Badge>
  );
}
