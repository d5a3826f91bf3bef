import fs from 'node:fs';
import path from 'node:path';

/**
 * git's askpass helper: answers "Username for …" and "Password for …" from the environment of the one
 * git process it was started for (SLIPWAY_GIT_USERNAME / SLIPWAY_GIT_PASSWORD), so credentials live
 * in neither the clone's config, nor argv, nor any file. Kept in `<dataDir>/askpass/` (mode 700).
 */
const SCRIPT = `#!/bin/sh
case "$1" in
  [Uu]sername*) printf '%s\\n' "$SLIPWAY_GIT_USERNAME" ;;
  *) printf '%s\\n' "$SLIPWAY_GIT_PASSWORD" ;;
esac
`;

const made = new Map<string, string>();

/** The helper's path, written once per data directory (and again if someone removed it). */
export function ensureAskpass(dataDir: string): string {
  const dir = path.join(dataDir, 'askpass');
  const file = path.join(dir, 'git-askpass.sh');
  if (made.get(dataDir) === file && fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const staging = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staging, SCRIPT, { mode: 0o700 });
  fs.chmodSync(staging, 0o700);
  fs.renameSync(staging, file);
  made.set(dataDir, file);
  return file;
}
