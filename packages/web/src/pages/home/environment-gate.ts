import type { Status } from '../../api/types';
import { formatTime } from '../../components/time';

export type EnvironmentState = Status['environmentStates'][number];

export interface Gate {
  kind: 'frozen' | 'closed' | 'open';
  text: string;
}

/** What the header of an environment's column says: frozen (until when, why) or outside its window (when it opens). */
export function environmentGate(state: EnvironmentState | undefined): Gate | null {
  if (!state) return null;
  if (state.frozen) return { kind: 'frozen', text: `Frozen until ${formatTime(state.frozen.to)}${state.frozen.reason ? ` (${state.frozen.reason})` : ''}` };
  if (!state.inWindow) return { kind: 'closed', text: `Outside its window${state.opensAtLocal ? `; opens ${state.opensAtLocal}` : state.opensAt ? `; opens ${formatTime(state.opensAt)}` : ''}` };
  return null;
}
