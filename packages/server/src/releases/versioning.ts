import { CommitParser } from 'conventional-commits-parser';
import semver from 'semver';
import { RE2JS } from 're2js';

import { DomainError, ValidationError } from '../shared/errors.js';
import { decideBump, DEFAULT_RELEASE_RULES, describeRule, summariseTypes, type BumpDecision, type MatchedRule, type ReleaseRule, type RuleRelease } from './release-rules.js';

/**
 * Versions from commits (PRODUCT.md §3 rules 1–3). Pure: takes data, returns data or throws a domain error.
 */

export type Bump = 'major' | 'minor' | 'patch';
export type BumpRequest = 'auto' | Bump;
export type VersionKind = Bump | 'prerelease';

/** A commit as read from git (the shape of `GitCommit`). */
export interface RawCommit {
  sha: string;
  subject: string;
  body: string;
  authorName: string;
  authorEmail: string;
  authoredAt: string;
}

/** One commit of a changelog. */
export interface ChangelogEntry {
  sha: string;
  /** Lower-cased conventional type (`feat`, `fix`, `chore`, …), or `other` for a non-conventional subject. */
  type: string;
  scope: string | null;
  /** The description of a conventional subject; the whole subject otherwise. */
  subject: string;
  breaking: boolean;
  /** Text of a `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer, when there is one. */
  breakingNote?: string;
  author: { name: string; email: string };
  /** Author time, ISO 8601. */
  time: string;
  /** Ticket keys found by the project's pattern in subject then body: unique, in order of appearance. */
  tickets: string[];
  /** A revert of a commit outside the release (`This reverts commit <sha>`): that commit's sha. */
  reverts?: string;
  /** For a further conventional-commit paragraph of a squash-merge body: its position (1, 2, …) in the commit. */
  part?: number;
}

export class BumpTooLowError extends DomainError {
  readonly code = 'bump_too_low';

  constructor(
    readonly required: Bump,
    readonly requested: Bump,
    reason: string,
  ) {
    super(`${reason} requires a ${required} bump; "${requested}" would be too low. Use bump "auto" or "${required}".`, {
      required,
      requested,
    });
  }
}

export class NothingToReleaseError extends DomainError {
  readonly code = 'nothing_to_release';

  constructor(
    readonly since: string | null,
    message?: string,
    details: Record<string, unknown> = {},
  ) {
    super(message ?? (since ? `There are no new commits since ${since}; nothing to release.` : 'There are no commits to release.'), { since, ...details });
  }

  /** Commits are pending, but by the release rules none of them makes a release (only chore, docs, …). */
  static onlyNonReleasing(since: string, entries: readonly ChangelogEntry[], rulesAreDefault: boolean): NothingToReleaseError {
    const types = summariseTypes(entries);
    const reverts = entries.filter((e) => e.reverts !== undefined).map((e) => e.reverts!);
    const revertNote = reverts.length > 0 ? `, among them ${reverts.length === 1 ? 'a revert' : `${reverts.length} reverts`} of ${reverts.map((r) => r.slice(0, 7)).join(', ')}, released earlier` : '';
    const rules = rulesAreDefault
      ? 'by the default release rules only breaking changes, feat, fix and perf make a release'
      : "by the project's releaseRules none of them makes a release";
    return new NothingToReleaseError(
      since,
      `Only commits that release nothing are pending since ${since} (${entries.length}: ${types}${revertNote}); ${rules}. ` +
        'Send bump "patch" (slipway release create --bump patch) to release them anyway.',
      {
        pending: entries.length,
        types: Object.fromEntries(entries.reduce((m, e) => m.set(e.type, (m.get(e.type) ?? 0) + 1), new Map<string, number>())),
        ...(reverts.length > 0 && { revertsOfReleased: reverts }),
      },
    );
  }
}

/** The computed version would not be greater than one that exists (e.g. an `alpha` after an `rc` of the same version). */
export class VersionOrderError extends DomainError {
  readonly code = 'version_not_increasing';

  constructor(
    readonly version: string,
    readonly existing: string,
  ) {
    super(`${version} would not come after the existing ${existing}; versions only ever increase.`, { version, existing });
  }
}

// --- parsing commits -------------------------------------------------------------------------------------

/** `type(scope)!: description`; the same pattern drives the fast path and conventional-commits-parser. */
const HEADER = /^(\w+)(?:\(([^()]*)\))?(!)?: (.+)$/;
const BREAKING_FOOTER = /^(BREAKING CHANGE|BREAKING-CHANGE):\s*(.*)/;

/**
 * One parser for the process (it keeps no state between `parse` calls). References, fields and reverts are
 * switched off: Slipway finds tickets with the project's own pattern, and the reference scanning is what
 * makes the default configuration slow (about 2 s for 20,000 commits, against about 0.2 s like this).
 * BREAKING CHANGE is matched upper-case and with a colon, as the Conventional Commits specification says.
 */
const parser = new CommitParser({
  // The `!` is captured as a field of its own, so no separate breakingHeaderPattern is needed.
  headerPattern: HEADER,
  breakingHeaderPattern: undefined,
  headerCorrespondence: ['type', 'scope', 'breaking', 'subject'],
  noteKeywords: ['BREAKING CHANGE', 'BREAKING-CHANGE'],
  notesPattern: (keywords) => new RegExp(`^(${keywords}):\\s*(.*)`),
  issuePrefixes: undefined,
  referenceActions: undefined,
  fieldPattern: undefined,
  revertPattern: undefined,
});

// Ticket patterns are written by users and run over whole commit messages: they run in RE2JS,
// a linear-time engine, so no pattern can freeze the server (docs/decisions/0023). A stored
// pattern RE2 cannot compile (saved before patterns were checked) finds no tickets.
const linearPatterns = new WeakMap<RegExp, RE2JS | null>();

function linearPattern(pattern: RegExp): RE2JS | null {
  let linear = linearPatterns.get(pattern);
  if (linear === undefined) {
    const flags =
      (pattern.flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0) | (pattern.flags.includes('m') ? RE2JS.MULTILINE : 0) | (pattern.flags.includes('s') ? RE2JS.DOTALL : 0);
    try {
      linear = RE2JS.compile(pattern.source, flags);
    } catch {
      linear = null;
    }
    linearPatterns.set(pattern, linear);
  }
  return linear;
}

/** Ticket keys matched by `pattern` in the texts, unique, in order of appearance. */
export function findTickets(texts: readonly string[], pattern: RegExp): string[] {
  const linear = linearPattern(pattern);
  const found = new Set<string>();
  if (linear === null) return [];
  for (const text of texts) {
    if (!text) continue;
    const matcher = linear.matcher(text);
    while (matcher.find()) {
      const ticket = matcher.group();
      if (ticket) found.add(ticket);
    }
  }
  return [...found];
}

interface ParsedMessage {
  type: string;
  scope: string | null;
  subject: string;
  breaking: boolean;
  breakingNote?: string;
}

function parseWithLibrary(subject: string, body: string): ParsedMessage {
  const commit = parser.parse(body ? `${subject}\n\n${body}` : subject);
  const footerNote = commit.notes.find((note) => /^BREAKING[ -]CHANGE$/.test(note.title));
  const type = commit.type;
  if (!type) return { type: 'other', scope: null, subject, breaking: footerNote !== undefined, ...(footerNote ? { breakingNote: footerNote.text } : {}) };
  return {
    type: type.toLowerCase(),
    scope: commit.scope || null,
    subject: commit.subject ?? subject,
    breaking: commit.breaking === '!' || footerNote !== undefined,
    ...(footerNote ? { breakingNote: footerNote.text } : {}),
  };
}

function parseMessage(subject: string, body: string, alwaysUseParser: boolean): ParsedMessage {
  const footerPossible = body.includes('BREAKING CHANGE') || body.includes('BREAKING-CHANGE');
  if (subject && (alwaysUseParser || footerPossible)) return parseWithLibrary(subject, body);
  if (!subject) {
    const footer = footerPossible ? body.split('\n').map((line) => BREAKING_FOOTER.exec(line)).find(Boolean) : null;
    return { type: 'other', scope: null, subject, breaking: Boolean(footer), ...(footer ? { breakingNote: footer[2]! } : {}) };
  }
  // Fast path, same answer as the library when no footer can be present: the header decides everything.
  const header = HEADER.exec(subject);
  if (!header) return { type: 'other', scope: null, subject, breaking: false };
  return { type: header[1]!.toLowerCase(), scope: header[2] || null, subject: header[4]!, breaking: header[3] === '!' };
}

/**
 * A commit as a changelog entry: conventional type, scope and description, breaking flag (`type!:` or a
 * `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer), author, time and ticket keys. Non-conventional subjects
 * become type `other`. `alwaysUseParser` skips the fast path (for tests that compare both).
 */
export function parseCommit(raw: RawCommit, ticketPattern: RegExp, options: { alwaysUseParser?: boolean } = {}): ChangelogEntry {
  const parsed = parseMessage(raw.subject, raw.body, options.alwaysUseParser ?? false);
  return {
    sha: raw.sha,
    ...parsed,
    author: { name: raw.authorName, email: raw.authorEmail },
    time: raw.authoredAt,
    tickets: findTickets([raw.subject, raw.body], ticketPattern),
  };
}

// --- versions --------------------------------------------------------------------------------------------

const BUMP_RANK: Record<Bump, number> = { patch: 0, minor: 1, major: 2 };

/** The bump the commits require by the rules (default: semantic-release's), or null when none makes a release. */
export function requiredBump(entries: readonly ChangelogEntry[], currentMajor: number, rules: readonly ReleaseRule[] = DEFAULT_RELEASE_RULES): Bump | null {
  return decideBump(entries, rules, currentMajor).required;
}

function bumpReason(decision: BumpDecision, currentMajor: number): string {
  const entry = decision.entry;
  if (!entry || !decision.rule) return 'The commits';
  const cite = `"${entry.subject}" (${entry.sha.slice(0, 7)})`;
  const what = entry.breaking ? `The breaking change ${cite}` : entry.type === 'feat' ? `The feature ${cite}` : `The commit ${cite}`;
  const zero = currentMajor === 0 && decision.rule.release !== decision.required ? 'While the major version is 0, ' : '';
  return `${zero}${zero ? what.charAt(0).toLowerCase() + what.slice(1) : what}`;
}

function parseFinal(version: string, what: string): semver.SemVer {
  const parsed = semver.parse(version);
  if (!parsed || parsed.prerelease.length > 0 || parsed.version !== version) {
    throw new ValidationError(`${what} must be a final semantic version like 1.0.0, got ${JSON.stringify(version)}`);
  }
  return parsed;
}

function bumped(from: semver.SemVer, bump: Bump): string {
  if (bump === 'major') return `${from.major + 1}.0.0`;
  if (bump === 'minor') return `${from.major}.${from.minor + 1}.0`;
  return `${from.major}.${from.minor}.${from.patch + 1}`;
}

/** The step from `previous` to `next`; without a previous release, the shape of `next` (X.0.0 major, X.Y.0 minor). */
export function kindBetween(previous: semver.SemVer | null, next: semver.SemVer): Bump {
  if (previous === null) return next.minor === 0 && next.patch === 0 ? 'major' : next.patch === 0 ? 'minor' : 'patch';
  if (next.major !== previous.major) return 'major';
  return next.minor !== previous.minor ? 'minor' : 'patch';
}

export interface NextVersionInput {
  /** The latest final release on this line (reachable from the ref being released), or null when there is none. */
  previousFinal: string | null;
  /** Every version the project has, on any line, finals and prereleases; invalid strings are ignored. */
  existingVersions: readonly string[];
  /** Commits since `previousFinal` (all commits when null), reverted pairs already left out. */
  entries: readonly ChangelogEntry[];
  bump: BumpRequest;
  /** Prerelease identifier (`rc`, `beta`); absent for a final release. */
  prerelease?: string | null;
  /** Version of the first release; default 1.0.0. */
  initialVersion?: string;
  /** Commits since the latest release of any kind on this line; 0 refuses another prerelease. Default: `entries.length`. */
  commitsSinceLatestRelease?: number;
  /** The project's release rules; default {@link DEFAULT_RELEASE_RULES}. */
  rules?: readonly ReleaseRule[];
}

/** Why the version is what it is (the API shows it, e.g. in a dry run). */
export interface VersionDecision {
  /** What the commits require by the rules (after the 0.x shift), or null when none makes a release. */
  required: Bump | null;
  requested: BumpRequest;
  /** What was applied: `initial` for a first release at the initial version. */
  applied: Bump | 'initial';
  /** The rule that decided `required`, and the commit it matched. */
  rule: MatchedRule | null;
  commit: { sha: string; subject: string } | null;
  /** Entries per release they make by the rules. */
  counts: Record<RuleRelease, number>;
  /** One sentence. */
  reason: string;
}

export interface NextVersion {
  version: string;
  kind: VersionKind;
  decision: VersionDecision;
  /** Final versions of the target's line that were already taken (e.g. by hotfixes) and jumped over. */
  skipped: string[];
}

function explain(decision: BumpDecision, requested: BumpRequest, applied: Bump | 'initial', initial: string): string {
  if (applied === 'initial') return `First release: the project's initial version ${initial}.`;
  const by = decision.rule && decision.entry
    ? `${decision.entry.type}${decision.entry.breaking ? ' (breaking)' : ''} "${decision.entry.subject}" (${decision.entry.sha.slice(0, 7)}) matched release rule ${decision.rule.index} ${describeRule(decision.rule)}`
    : 'no commit matched a release rule';
  if (requested === 'auto') return `${applied} because ${by}.`;
  return decision.required === applied ? `${applied}, as requested; ${by}.` : `${applied}, as requested (the commits alone: ${decision.required ?? 'no release'}; ${by}).`;
}

/**
 * The next version of a line (PRODUCT.md §3 rule 2). The release rules decide the bump; an explicit bump
 * may raise it (or release commits no rule releases), never lower it. `rc` gives `X.Y.Z-rc.1`, `-rc.2`, …
 * where X.Y.Z comes from the commits since the previous final release — so a feature arriving between two
 * rc's starts `rc.1` of the new version — and a final release after rc's is `X.Y.Z`. Versions already
 * taken (a hotfix 1.4.1 while main computes 1.4.1) are jumped over and listed in `skipped`, so the caller
 * can make sure the release contains them; the result is always greater than every version of its X.Y.Z.
 *
 * @throws NothingToReleaseError, BumpTooLowError, VersionOrderError, ValidationError
 */
export function nextVersion(input: NextVersionInput): NextVersion {
  const prerelease = input.prerelease ?? null;
  if (prerelease !== null && !/^(?!\d+$)[0-9A-Za-z-]{1,32}$/.test(prerelease)) {
    throw new ValidationError(`Prerelease identifier must be letters, digits or "-" (like "rc"), got ${JSON.stringify(prerelease)}`);
  }
  const since = input.previousFinal;
  if (input.entries.length === 0) throw new NothingToReleaseError(since);

  const rules = input.rules ?? DEFAULT_RELEASE_RULES;
  const existing = input.existingVersions.map((version) => semver.parse(version)).filter((v): v is semver.SemVer => v !== null);
  const finals = new Set(existing.filter((v) => v.prerelease.length === 0).map((v) => v.version));
  const previous = since === null ? null : parseFinal(since, 'The previous release');
  const initial = input.initialVersion ?? '1.0.0';

  let target: semver.SemVer;
  let applied: Bump | 'initial';
  const decision = decideBump(input.entries, rules, previous?.major ?? parseFinal(initial, 'The initial version').major);
  if (previous === null) {
    target = parseFinal(initial, 'The initial version');
    applied = 'initial';
  } else {
    const required = decision.required;
    if (input.bump === 'auto' && required === null) throw NothingToReleaseError.onlyNonReleasing(previous.version, input.entries, rules === DEFAULT_RELEASE_RULES);
    if (input.bump !== 'auto' && required !== null && BUMP_RANK[input.bump] < BUMP_RANK[required]) {
      throw new BumpTooLowError(required, input.bump, bumpReason(decision, previous.major));
    }
    applied = input.bump === 'auto' ? required! : input.bump;
    target = new semver.SemVer(bumped(previous, applied));
  }

  // A pending prerelease line above the computed version (an rc made with a larger explicit bump) is where the line is going.
  for (const version of existing) {
    if (version.prerelease.length === 0) continue;
    const base = new semver.SemVer(`${version.major}.${version.minor}.${version.patch}`);
    if ((previous === null || semver.gt(base, previous)) && !finals.has(base.version) && semver.gt(base, target)) target = base;
  }
  const skipped: string[] = [];
  while (finals.has(target.version)) {
    skipped.push(target.version);
    target = new semver.SemVer(bumped(target, 'patch'));
  }

  const why: VersionDecision = {
    required: decision.required,
    requested: input.bump,
    applied,
    rule: decision.rule,
    commit: decision.entry ? { sha: decision.entry.sha, subject: decision.entry.subject } : null,
    counts: decision.counts,
    reason: explain(decision, input.bump, applied, initial),
  };
  if (prerelease === null) return { version: target.version, kind: kindBetween(previous, target), decision: why, skipped };

  if ((input.commitsSinceLatestRelease ?? input.entries.length) === 0) {
    const latest = existing.filter((v) => v.prerelease.length > 0).sort(semver.rcompare)[0];
    throw new NothingToReleaseError(latest?.version ?? since);
  }
  let number = 0;
  let highest: semver.SemVer | null = null;
  for (const version of existing) {
    if (version.prerelease.length === 0 || version.compareMain(target) !== 0) continue;
    if (highest === null || semver.gt(version, highest)) highest = version;
    const [id, n] = version.prerelease;
    if (id === prerelease && typeof n === 'number' && n > number) number = n;
  }
  const version = `${target.version}-${prerelease}.${number + 1}`;
  if (highest !== null && !semver.gt(version, highest)) throw new VersionOrderError(version, highest.version);
  return { version, kind: 'prerelease', decision: why, skipped };
}

/**
 * The next free patch version on a maintenance line (`'1.4'` or `'1.4.x'`): one more than the highest final
 * `1.4.N` in `existingVersions`. Lines are independent: `1.3.x` hotfixes stay in `1.3.x` while `1.4.x` exists.
 */
export function nextHotfixVersion(line: string, existingVersions: readonly string[]): string {
  const match = /^(\d+)\.(\d+)(?:\.x)?$/.exec(line);
  if (!match) throw new ValidationError(`A maintenance line looks like 1.4 or 1.4.x, got ${JSON.stringify(line)}`);
  const [major, minor] = [Number(match[1]), Number(match[2])];
  let highest = -1;
  for (const raw of existingVersions) {
    const version = semver.parse(raw);
    if (version && version.prerelease.length === 0 && version.major === major && version.minor === minor) {
      highest = Math.max(highest, version.patch);
    }
  }
  if (highest < 0) throw new ValidationError(`There is no release on line ${major}.${minor} to hotfix`);
  return `${major}.${minor}.${highest + 1}`;
}

/** The `major.minor` line of a version (`1.4.2` → `1.4`), used to name `hotfix/1.4.x`. */
export function maintenanceLine(version: string): string {
  const parsed = semver.parse(version);
  if (!parsed) throw new ValidationError(`${JSON.stringify(version)} is not a semantic version`);
  return `${parsed.major}.${parsed.minor}`;
}
