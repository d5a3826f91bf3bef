/**
 * Which environment the "Deploy to …" button offers: the first environment of the release's
 * lifecycle after the last one where it succeeded. Only a suggestion: the preflight (dryRun) is
 * what decides, and the user can pick any environment.
 */
export function nextEnvironment(lifecycle: readonly string[], succeededIn: ReadonlySet<string>): string | null {
  let last = -1;
  lifecycle.forEach((env, index) => {
    if (succeededIn.has(env)) last = index;
  });
  return lifecycle[last + 1] ?? null;
}
