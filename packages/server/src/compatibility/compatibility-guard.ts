import { DomainError } from '../shared/errors.js';
import type { CompatibilityService } from './compatibility-service.js';

/** 422 `incompatible`: the deployment would break a declared requirement in the environment (either direction). */
export class IncompatibleError extends DomainError {
  readonly code = 'incompatible';
}

/**
 * The deploy guard: refuses a version that does not fit what runs in the target environment.
 * Overridable like a freeze (release-manager, override.reason). Returns the refusal or null.
 */
export async function compatibilityRefusal(compatibility: CompatibilityService, q: { project: string; version: string; environment: string }): Promise<IncompatibleError | null> {
  const answer = await compatibility.check(q);
  if (answer.compatible) return null;
  const first = answer.problems[0]!;
  const more = answer.problems.length > 1 ? ` (${answer.problems.length - 1} more problem${answer.problems.length > 2 ? 's' : ''} in details)` : '';
  return new IncompatibleError(`${first.message}${more} Or have a release-manager deploy with override.reason.`, { project: answer.project, version: answer.version, environment: answer.environment, problems: answer.problems });
}
