/** A rollout step as the API gives it: `{ setWeight }`, `{ pause: { duration? } }` or `{ analysis: { templates } }`. */
export function describeStep(step: unknown): string {
  if (step && typeof step === 'object') {
    const s = step as { setWeight?: unknown; pause?: { duration?: unknown } | null; analysis?: { templates?: unknown } };
    if (typeof s.setWeight === 'number') return `Set weight to ${s.setWeight} %`;
    if ('pause' in s) return s.pause && typeof s.pause.duration === 'string' ? `Pause for ${s.pause.duration}` : 'Pause until someone resumes';
    if (s.analysis && Array.isArray(s.analysis.templates)) return `Analysis: ${s.analysis.templates.join(', ')}`;
  }
  return JSON.stringify(step);
}

/** "4 min 05 s", "1 h 02 min", "12 s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

export type RolloutButton = 'pause' | 'resume' | 'promote' | 'promote-full' | 'abort' | 'retry';

/** Which commands make sense in a status (the server refuses the others anyway). */
export function commandsFor(status: string): RolloutButton[] {
  if (status === 'running') return ['pause', 'promote', 'promote-full', 'abort'];
  if (status === 'paused') return ['resume', 'promote', 'promote-full', 'abort'];
  if (status === 'aborted' || status === 'rolled_back') return ['retry'];
  return [];
}

/** Whether the signed-in user may command rollouts in the environment (protected ones need release-manager+). */
export function mayCommand(capabilities: { deploy?: boolean; deployProtected?: boolean }, environmentProtected: boolean | undefined): boolean {
  if (!capabilities.deploy) return false;
  // An environment we could not read is treated as protected, as the server does.
  return environmentProtected === false ? true : Boolean(capabilities.deployProtected);
}
