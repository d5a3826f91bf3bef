import { runGit } from './git-runner.js';

/**
 * Validation of names that reach git: branch and tag names (the rules of `git check-ref-format`, checked
 * in-process instead of spawning git for every name) and remote locations. Anything accepted here can
 * be passed as an argument without being mistaken for an option.
 */

// Control characters, space, ~ ^ : ? * [ \ and DEL are never allowed in a ref name.
const FORBIDDEN_REF_CHARS = /[\x00-\x20~^:?*[\\\x7f]/;

/**
 * Whether `name` is a valid short ref name (`v1.4.0`, `hotfix/1.4.x`, `api-v1.0.0`): `git check-ref-format
 * --allow-onelevel` rules, plus no leading `-` (it would read as an option).
 */
export function isValidRefName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (name.startsWith('-') || name === '@' || name.includes('@{')) return false;
  if (FORBIDDEN_REF_CHARS.test(name)) return false;
  if (name.includes('..') || name.endsWith('.')) return false;
  for (const part of name.split('/')) {
    if (part.length === 0 || part.startsWith('.') || part.endsWith('.lock')) return false;
  }
  return true;
}

/** A full or abbreviated object name. */
export function isHexObjectName(value: string): boolean {
  return /^[0-9a-f]{4,64}$/i.test(value);
}

/** A full SHA-1 or SHA-256 object name. */
export function isFullObjectName(value: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(value);
}

const URL_PROTOCOLS = new Set(['https:', 'http:', 'ssh:', 'git:', 'file:']);

/**
 * Checks a project's repository location and returns a sentence saying what is wrong, or null when it is
 * usable. Accepted: an absolute local path, an `https`/`http`/`ssh`/`git`/`file` URL, or scp-like
 * `user@host:path`. Refused: relative paths, remote helpers (`ext::…`, `fd::…`), anything starting with
 * `-`, and control characters.
 */
export function describeInvalidRemote(remote: string): string | null {
  if (remote.length === 0 || /[\x00-\x1f\x7f]/.test(remote)) return 'must be a non-empty single line';
  if (remote.startsWith('-')) return 'must not start with "-"';
  if (remote.startsWith('/')) return null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) {
    let url: URL;
    try {
      url = new URL(remote);
    } catch {
      return 'is not a valid URL';
    }
    if (!URL_PROTOCOLS.has(url.protocol)) return `uses an unsupported protocol ${url.protocol.slice(0, -1)}`;
    if (url.hostname.startsWith('-')) return 'has a host name starting with "-"';
    return null;
  }
  if (remote.includes('::')) return 'uses a git remote helper, which Slipway does not allow';
  const scp = /^(?:[A-Za-z0-9._~-]+@)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(?!\/\/)(.+)$/.exec(remote);
  if (scp && !scp[1]!.startsWith('-')) return null;
  return 'must be an absolute path or a git URL (https://, ssh://, git://, file:// or user@host:path)';
}

/** Asks git itself whether `fullRefName` (`refs/tags/v1.0.0`) is a valid ref name (`git check-ref-format`). */
export async function checkRefFormat(fullRefName: string): Promise<boolean> {
  if (fullRefName.startsWith('-') || /[\x00]/.test(fullRefName)) return false;
  const { exitCode } = await runGit(['check-ref-format', fullRefName], { okExitCodes: [1], timeoutMs: 10_000 });
  return exitCode === 0;
}
