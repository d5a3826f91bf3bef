import { Badge } from '@mantine/core';
import type { ReactNode } from 'react';
import { readableTextOn } from './colors';

// Solid colours with black or white text chosen for contrast (Mantine's light variants fall below 4.5:1).
const KIND_COLORS: Record<string, string> = { major: '#c92a2a', minor: '#1864ab', patch: '#087f5b', hotfix: '#e8590c', prerelease: '#862e9c' };
const STATUS_COLORS: Record<string, string> = {
  pending_approval: '#f59f00',
  pending: '#f59f00',
  running: '#1971c2',
  succeeded: '#2b8a3e',
  delivered: '#2b8a3e',
  failed: '#c92a2a',
  rolled_back: '#e8590c',
  cancelled: '#495057',
  rejected: '#c92a2a',
};

/** A badge on a solid background with readable text. */
export function SolidBadge({ background, children, ...rest }: { background: string; children: ReactNode; size?: 'xs' | 'sm' | 'md'; [data: `data-${string}`]: string }) {
  return (
    <Badge variant="filled" styles={{ root: { background, color: readableTextOn(background) } }} tt="none" {...rest}>
      {children}
    </Badge>
  );
}

export function KindBadge({ kind }: { kind: string }) {
  return (
    <SolidBadge background={KIND_COLORS[kind] ?? '#495057'} data-kind={kind}>
      {kind}
    </SolidBadge>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <SolidBadge background={STATUS_COLORS[status] ?? '#495057'} data-status={status}>
      {status.replace(/_/g, ' ')}
    </SolidBadge>
  );
}

export function DecisionBadge({ decision }: { decision: string }) {
  return (
    <SolidBadge background={decision === 'go' ? '#2b8a3e' : '#c92a2a'} data-decision={decision}>
      {decision}
    </SolidBadge>
  );
}

export function OnOffBadge({ on }: { on: boolean }) {
  return (
    <SolidBadge background={on ? '#2b8a3e' : '#495057'} size="sm" data-on={String(on)}>
      {on ? 'on' : 'off'}
    </SolidBadge>
  );
}

/** An environment's name on its own colour, with a text colour that keeps the contrast readable. */
export function EnvBadge({ name, color }: { name: string; color?: string | undefined }) {
  const background = color && /^#[0-9a-f]{6}$/i.test(color) ? color : '#5c677d';
  return <SolidBadge background={background}>{name}</SolidBadge>;
}
