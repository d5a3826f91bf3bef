/** A username and password (or token) for an http(s) repository, given to git through askpass only. */
export interface RepositoryCredentials {
  username: string;
  password: string;
}

/** Stands for the password of a repository URL wherever it is shown (responses, audit, logs, the clone's config). */
export const REDACTED = '***';

const HTTP_WITH_USERINFO = /^(https?:\/\/)([^@/?#]*)@(.*)$/i;
const ANY_WITH_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#:]*):([^@/?#]*)@/i;

/**
 * A repository URL as the user gave it, split into what may be stored and shown, and the credentials to
 * seal. Only http(s) URLs carry credentials: the whole userinfo is secret (`https://TOKEN@host` is a
 * token), shown as `user:***@` when there is a password and as `***@` otherwise.
 * Returns `{ problem }` for a password in another scheme (ssh, git): use an SSH key there.
 */
export function splitRepositoryUrl(url: string): { shown: string; credentials: RepositoryCredentials | null } | { problem: string } {
  const http = HTTP_WITH_USERINFO.exec(url);
  if (http) {
    const [, scheme, userinfo, rest] = http as unknown as [string, string, string, string];
    const colon = userinfo.indexOf(':');
    const rawUser = colon === -1 ? userinfo : userinfo.slice(0, colon);
    const rawPassword = colon === -1 ? null : userinfo.slice(colon + 1);
    let username: string;
    let password: string;
    try {
      username = decodeURIComponent(rawUser);
      password = rawPassword === null ? '' : decodeURIComponent(rawPassword);
    } catch {
      return { problem: 'has credentials that are not valid percent-encoding' };
    }
    if (rawPassword === REDACTED || rawUser === REDACTED) return { shown: url, credentials: null };
    const shown = rawPassword === null ? `${scheme}${REDACTED}@${rest}` : `${scheme}${rawUser}:${REDACTED}@${rest}`;
    return { shown, credentials: { username, password } };
  }
  if (ANY_WITH_PASSWORD.test(url)) return { problem: 'carries a password in a URL other than http(s): use an SSH key (or an https URL with a token)' };
  return { shown: url, credentials: null };
}

/** True when a shown URL stands for stored credentials (`user:***@` or `***@`). */
export function hasRedactedCredentials(shown: string): boolean {
  const http = HTTP_WITH_USERINFO.exec(shown);
  if (!http) return false;
  const userinfo = http[2]!;
  return userinfo === REDACTED || userinfo.endsWith(`:${REDACTED}`);
}

/** The URL git is given: the shown URL without its userinfo (the credentials come through askpass). */
export function remoteForGit(shown: string): string {
  const http = HTTP_WITH_USERINFO.exec(shown);
  return http ? `${http[1]}${http[3]}` : shown;
}

/** Scheme, host and port of an http(s) URL (where credentials are sent), or null. */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(remoteForGit(url));
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? `${parsed.protocol}//${parsed.host}` : null;
  } catch {
    return null;
  }
}

/** The username part shown in a redacted URL (`user` of `user:***@`), or null. */
export function shownUsername(shown: string): string | null {
  const http = HTTP_WITH_USERINFO.exec(shown);
  if (!http) return null;
  const userinfo = http[2]!;
  return userinfo.endsWith(`:${REDACTED}`) ? userinfo.slice(0, -REDACTED.length - 1) : null;
}
