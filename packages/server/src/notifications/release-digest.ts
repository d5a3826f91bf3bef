import semver from 'semver';
import type { OutboxEvent } from '../outbox/outbox-store.js';
import { releaseNotes, type ReleaseNotes } from '../releases/changelog.js';
import type { Release } from '../releases/release-store.js';
import type { ChangelogEntry } from '../releases/versioning.js';
import type { FlagChange, ReleaseDigest } from './announcement.js';

/** Where a digest's facts come from; the real one reads releases and the outbox. */
export interface DigestSources {
  release(project: string, version: string): Promise<Release | null>;
  /** The last `deployment.succeeded` of the project in the environment before the event id. */
  lastSucceeded(project: string, environment: string, beforeEventId: string): Promise<{ id: string; version: string } | null>;
  /** `flag.changed` events of the project in the environment (or project-wide), after `afterEventId` (exclusive) and before `beforeEventId`. */
  flagChanges(project: string, environment: string, afterEventId: string | null, beforeEventId: string): Promise<OutboxEvent[]>;
}

/** How far back the chain of releases is followed; more than this is not a release email any more. */
const MAX_RELEASES = 200;
const MAX_LISTED = 6;

/**
 * The changelog entries between the version that ran before and the new one: the new release's
 * changelog, then its `previous` release's, until the one that ran before. Hotfixes chain through
 * their line the same way. Unknown links end the walk.
 */
async function entriesSince(sources: DigestSources, project: string, version: string, previousVersion: string | null): Promise<{ entries: ChangelogEntry[]; release: Release | null }> {
  const release = await sources.release(project, version);
  if (!release) return { entries: [], release: null };
  const entries: ChangelogEntry[] = [];
  const seen = new Set<string>();
  let current: Release | null = release;
  const older = (v: string) => previousVersion !== null && semver.valid(v) !== null && semver.valid(previousVersion) !== null && semver.lte(v, previousVersion);
  for (let i = 0; current && i < MAX_RELEASES; i++) {
    // Reaching the version that ran before (or anything not newer: a redeploy or a downgrade) ends it.
    if (current.version === previousVersion || older(current.version)) break;
    for (const entry of current.changelog) {
      if (!seen.has(entry.sha)) {
        seen.add(entry.sha);
        entries.push(entry);
      }
    }
    // Without a known previous deployment, the new release's own changelog is what is new.
    if (previousVersion === null || current.previous === null) break;
    current = await sources.release(project, current.previous);
  }
  return { entries, release };
}

function flagSummary(event: OutboxEvent): FlagChange {
  const p = event.payload;
  const flag = typeof p.flag === 'string' ? p.flag : '?';
  const summary = typeof p.summary === 'string' && p.summary.length > 0 ? p.summary : `Flag ${flag} was changed.`;
  return { flag, summary, at: event.createdAt, actor: typeof p.actor === 'string' ? p.actor : null };
}

/** "a", "a and b", "a, b and c", "a, b, c and 4 more". */
export function listing(items: string[], max = MAX_LISTED): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, items.length > max ? max - 1 : max);
  const rest = items.length - shown.length;
  const all = rest > 0 ? [...shown, `${rest} more`] : shown;
  return all.length === 1 ? all[0]! : `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}`;
}

const subject = (e: ChangelogEntry) => (e.scope ? `${e.scope}: ${e.subject}` : e.subject);
const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/**
 * The short factual line of the release email, in the words of the teams who asked for it:
 * "6/20 deployment of api 1.5.0 to production included fixes to x, y and z. Flag X was added and set
 * to false for a dark deployment."
 */
export function summaryLine(at: string, project: string, version: string, environment: string, notes: ReleaseNotes, flags: FlagChange[]): string {
  const date = new Date(at);
  const day = Number.isNaN(date.getTime()) ? '' : `${date.getUTCMonth() + 1}/${date.getUTCDate()} `;
  const parts: string[] = [];
  if (notes.fixes.length > 0) parts.push(`fixes to ${listing(notes.fixes.map(subject))}`);
  if (notes.features.length > 0) parts.push(`${notes.features.length === 1 ? 'the feature' : 'the features'} ${listing(notes.features.map(subject))}`);
  if (notes.breaking.length > 0) parts.push(`${notes.breaking.length === 1 ? 'a breaking change' : `${notes.breaking.length} breaking changes`} (${listing(notes.breaking.map(subject))})`);
  if (notes.other.length > 0) parts.push(`${notes.other.length} other ${notes.other.length === 1 ? 'change' : 'changes'}`);
  const included = parts.length > 0 ? `included ${listing(parts, parts.length)}` : 'included no code changes';
  const lines = [`${day}deployment of ${project} ${version} to ${environment} ${included}.`];
  for (const flag of flags) lines.push(sentence(flag.summary));
  return lines.join(' ');
}

/**
 * The release digest of a `deployment.succeeded` event: curated notes since the version that ran in
 * the environment before, and the flags changed there in between. Null when the event names no
 * project, environment or version.
 */
export async function buildDigest(event: OutboxEvent, sources: DigestSources): Promise<ReleaseDigest | null> {
  const p = event.payload;
  const project = typeof p.project === 'string' ? p.project : event.projectKey;
  const environment = typeof p.environment === 'string' ? p.environment : event.environmentKey;
  const version = typeof p.version === 'string' ? p.version : null;
  if (!project || !environment || !version) return null;

  const before = await sources.lastSucceeded(project, environment, event.id);
  const given = typeof p.previousVersion === 'string' ? p.previousVersion : null;
  const previousVersion = given ?? (before && before.version !== version ? before.version : null);
  const { entries, release } = await entriesSince(sources, project, version, previousVersion);
  const notes = releaseNotes({
    project,
    version,
    tag: release?.tag ?? (typeof p.tag === 'string' ? p.tag : version),
    previousVersion,
    date: event.createdAt,
    entries,
  });
  const flags = (await sources.flagChanges(project, environment, before?.id ?? null, event.id)).map(flagSummary);
  return { notes, previousVersion, flags, summaryLine: summaryLine(event.createdAt, project, version, environment, notes, flags) };
}
