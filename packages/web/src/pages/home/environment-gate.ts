import type { Environment, Status } from '../../api/types';
import { formatTime } from '../../components/time';

export interface Gate {
  kind: 'frozen' | 'closed' | 'open';
  text: string;
}

/** What the header of an environment's column says about freezes and windows. */
export function environmentGate(env: Environment, _status: Status | undefined, now = Date.now()): Gate | null {
  const freeze = env.freezes.find((f) => new Date(f.from).getTime() <= now && now < new Date(f.to).getTime());
  if (freeze) return { kind: 'frozen', text: `Frozen until ${formatTime(freeze.to)}${freeze.reason ? ` (${freeze.reason})` : ''}` };
  return null;
}
