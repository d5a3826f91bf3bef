import { CommitParser } from 'conventional-commits-parser';
import semver from 'semver';
import { RE2JS } from 're2js';

import { isValidRefName } from '../git/ref-names.js';
import { DomainError, ValidationError } from '../shared/errors.js';

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

  constructor(readonly since: string | null) {
    super(since ? `There are no new commits since ${since}; nothing to release.` : 'There are no commits to release.', { since });
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

/** The bump the commits require: breaking → major, feat → minor, else patch; while major is 0, breaking → minor, else patch. */
export function requiredBump(entries: readonly ChangelogEntry[], currentMajor: number): Bump {
  if (entries.some((entry) => entry.breaking)) return currentMajor === 0 ? 'minor' : 'major';
  if (currentMajor === 0) return 'patch';
  return entries.some((entry) => entry.type === 'feat') ? 'minor' : 'patch';
}

function bumpReason(entries: readonly ChangelogEntry[], required: Bump, currentMajor: number): string {
  const breaking = entries.find((entry) => entry.breaking);
  const feat = entries.find((entry) => entry.type === 'feat');
  const cite = (entry: ChangelogEntry): string => `"${entry.subject}" (${entry.sha.slice(0, 7)})`;
  if (breaking && currentMajor === 0) return `While the major version is 0, the breaking change ${cite(breaking)}`;
  if (breaking) return `The breaking change ${cite(breaking)}`;
  if (feat && required === 'minor') return `The feature ${cite(feat)}`;
  return 'The commits';
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

function kindBetween(previous: semver.SemVer | null, next: semver.SemVer): Bump {
  if (previous === null) return next.minor === 0 && next.patch === 0 ? 'major' : next.patch === 0 ? 'minor' : 'patch';
  if (next.major !== previous.major) return 'major';
  return next.minor !== previous.minor ? 'minor' : 'patch';
}

export interface NextVersionInput {
  /** The latest final release on this line (reachable from the ref being released), or null when there is none. */
  previousFinal: string | null;
  /** Every version the project has, on any line, finals and prereleases; invalid strings are ignored. */
  existingVersions: readonly string[];
  /** Commits since `previousFinal` (all commits when null). */
  entries: readonly ChangelogEntry[];
  bump: BumpRequest;
  /** Prerelease identifier (`rc`, `beta`); absent for a final release. */
  prerelease?: string | null;
  /** Version of the first release; default 1.0.0. */
  initialVersion?: string;
  /** Commits since the latest release of any kind on this line; 0 refuses another prerelease. Default: `entries.length`. */
  commitsSinceLatestRelease?: number;
}

export interface NextVersion {
  version: string;
  kind: VersionKind;
}

/**
 * The next version of a line (PRODUCT.md §3 rule 2). An explicit bump may raise the one the commits require,
 * never lower it. `rc` gives `X.Y.Z-rc.1`, `-rc.2`, … where X.Y.Z comes from the commits since the previous
 * final release — so a feature arriving between two rc's starts `rc.1` of the new version — and a final
 * release after rc's is `X.Y.Z`. Versions already taken (a hotfix 1.4.1 while main computes 1.4.1) are
 * skipped, and the result is always greater than every version of its X.Y.Z.
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

  const existing = input.existingVersions.map((version) => semver.parse(version)).filter((v): v is semver.SemVer => v !== null);
  const finals = new Set(existing.filter((v) => v.prerelease.length === 0).map((v) => v.version));
  const previous = since === null ? null : parseFinal(since, 'The previous release');

  let target: semver.SemVer;
  if (previous === null) {
    target = parseFinal(input.initialVersion ?? '1.0.0', 'The initial version');
  } else {
    const required = requiredBump(input.entries, previous.major);
    if (input.bump !== 'auto' && BUMP_RANK[input.bump] < BUMP_RANK[required]) {
      throw new BumpTooLowError(required, input.bump, bumpReason(input.entries, required, previous.major));
    }
    target = new semver.SemVer(bumped(previous, input.bump === 'auto' ? required : input.bump));
  }

  // A pending prerelease line above the computed version (an rc made with a larger explicit bump) is where the line is going.
  for (const version of existing) {
    if (version.prerelease.length === 0) continue;
    const base = new semver.SemVer(`${version.major}.${version.minor}.${version.patch}`);
    if ((previous === null || semver.gt(base, previous)) && !finals.has(base.version) && semver.gt(base, target)) target = base;
  }
  while (finals.has(target.version)) target = new semver.SemVer(bumped(target, 'patch'));

  if (prerelease === null) return { version: target.version, kind: kindBetween(previous, target) };

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
  return { version, kind: 'prerelease' };
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

// --- tags ------------------------------------------------------------------------------------------------

/** Why a tag template is unusable, or null: it must contain `{version}` once and render valid tag names. */
export function describeInvalidTagTemplate(template: string): string | null {
  if (template.split('{version}').length !== 2) return 'must contain {version} exactly once';
  const sample = renderTag(template, { version: '1.0.0-rc.1', project: 'project' });
  if (/[{}]/.test(sample)) return 'may only use the placeholders {version} and {project}';
  if (!isValidRefName(sample)) return `renders ${JSON.stringify(sample)}, which is not a valid git tag name`;
  return null;
}

/** The tag name for a version: `{version}` and `{project}` replaced (`v{version}` → `v1.4.0`). */
export function renderTag(template: string, values: { version: string; project: string }): string {
  return template.replaceAll('{version}', values.version).replaceAll('{project}', values.project);
}

const tagPatterns = new Map<string, RegExp>();

function tagPattern(template: string, project: string): RegExp {
  const key = `${template}\0${project}`;
  let pattern = tagPatterns.get(key);
  if (!pattern) {
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const source = template
      .split('{version}')
      .map((part) => part.split('{project}').map(escape).join(escape(project)))
      .join('(.+)');
    pattern = new RegExp(`^${source}$`);
    if (tagPatterns.size > 1000) tagPatterns.clear();
    tagPatterns.set(key, pattern);
  }
  return pattern;
}

/** The version a tag name stands for under the template, or null when it is not a release tag (strict semver only). */
export function parseTag(template: string, tagName: string, project: string): string | null {
  const match = tagPattern(template, project).exec(tagName);
  if (!match || match.length !== 2) return null;
  const version = match[1]!;
  return semver.valid(version) === version ? version : null;
}
