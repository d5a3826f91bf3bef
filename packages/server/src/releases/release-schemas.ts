import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../http/schemas.js';
import { TicketLinksSchema } from '../projects/ticket-links.js';

/** Request and response schemas of the release routes (the API contract, and the OpenAPI document). */

const Bump = Type.Union([Type.Literal('major'), Type.Literal('minor'), Type.Literal('patch')]);

export const ChangelogEntrySchema = Type.Object({
  sha: Type.String(),
  type: Type.String(),
  scope: Nullable(Type.String()),
  subject: Type.String(),
  breaking: Type.Boolean(),
  breakingNote: Type.Optional(Type.String()),
  author: Type.Object({ name: Type.String(), email: Type.String() }),
  time: Type.String(),
  tickets: Type.Array(Type.String()),
  reverts: Type.Optional(Type.String({ description: 'a revert of a commit outside the release: that commit' })),
  part: Type.Optional(Type.Integer({ description: 'a further conventional commit of a squash-merge body: its position in the commit (1, 2, …)' })),
});

export const ReleaseFields = {
  project: Type.String(),
  version: Type.String(),
  tag: Type.String(),
  commit: Type.String(),
  kind: Type.String({ description: 'major, minor, patch, prerelease or hotfix' }),
  parent: Nullable(Type.String({ description: 'for a hotfix: the release it was built on (the latest release of its line)' })),
  previous: Nullable(Type.String({ description: 'the release the changelog counts from' })),
  ref: Type.String(),
  tickets: Type.Array(Type.String()),
  ticketLinks: Type.Optional(TicketLinksSchema),
  commitCount: Type.Integer(),
  createdBy: Type.String({ description: '"import" for a release adopted from an existing tag' }),
  createdAt: Timestamp,
  importedAt: Nullable(Type.String({ format: 'date-time', description: 'when the release was adopted from an existing tag; null for releases Slipway made' })),
};

export const ReleaseSummarySchema = Type.Object(ReleaseFields);

const RuleFields = {
  type: Type.Optional(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9-]{0,31}$', description: 'conventional type (feat, fix, …; "other" for non-conventional subjects)' })),
  scope: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\s()]+$', description: 'scope, exactly, or with * wildcards' })),
  breaking: Type.Optional(Type.Boolean({ description: 'true: breaking changes only; false: other changes only' })),
  revert: Type.Optional(Type.Boolean({ description: 'true: reverts of commits outside the release only' })),
  release: Type.Union([Bump, Type.Literal('none')]),
};

export const RuleSchema = Type.Object(RuleFields, { additionalProperties: false, description: 'first matching rule decides a commit; a commit no rule matches releases nothing' });

export const DecisionSchema = Type.Object(
  {
    required: Type.Union([Bump, Type.Null()], { description: 'what the commits require by the release rules (after the 0.x shift); null: nothing releasable' }),
    requested: Type.String({ description: 'the bump asked for: auto, major, minor or patch' }),
    applied: Type.String({ description: 'the step taken: major, minor, patch, or initial for a first release' }),
    rule: Nullable(Type.Object({ index: Type.Integer({ description: "position in the project's rules (0-based)" }), ...RuleFields }, { description: 'the rule that decided `required`' })),
    commit: Nullable(Type.Object({ sha: Type.String(), subject: Type.String() }, { description: 'the commit that rule matched' })),
    counts: Type.Object({ major: Type.Integer(), minor: Type.Integer(), patch: Type.Integer(), none: Type.Integer() }, { description: 'changelog entries per release they make' }),
    reason: Type.String({ description: 'one sentence' }),
  },
  { description: 'why the version is what it is' },
);

const Reverted = Type.Object({ revert: Type.Object({ sha: Type.String(), subject: Type.String() }), reverted: Type.Object({ sha: Type.String(), subject: Type.String() }) });

/** The answer to a release or hotfix creation (201; 200 when an idempotency key replays it). */
export const CreatedReleaseSchema = Type.Object({
  ...ReleaseFields,
  changelog: Type.Array(ChangelogEntrySchema),
  decision: Type.Optional(Nullable(DecisionSchema)),
  notices: Type.Optional(Type.Array(Type.String(), { description: 'sentences worth showing, e.g. that a hotfix was built on the latest release of its line' })),
  requestedFrom: Type.Optional(Type.String({ description: 'hotfixes: the release named in the request' })),
});

export const PreviewSchema = Type.Object(
  {
    dryRun: Type.Literal(true),
    wouldRelease: Type.Boolean({ description: 'whether the same request without dryRun would make this release now' }),
    problems: Type.Array(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Record(Type.String(), Type.Unknown()) }), {
      description: 'every reason it would be refused (the codes of the real refusals: nothing_to_release, bump_too_low, tag_exists, …)',
    }),
    project: Type.String(),
    version: Nullable(Type.String({ description: 'null when no version can be computed (see problems)' })),
    tag: Nullable(Type.String()),
    kind: Nullable(Type.String()),
    commit: Nullable(Type.String({ description: 'the commit that would be tagged (null when it cannot be made, e.g. a cherry-pick conflict)' })),
    ref: Type.String(),
    parent: Nullable(Type.String()),
    previous: Nullable(Type.String({ description: 'the release the changelog counts from' })),
    changelog: Type.Array(ChangelogEntrySchema, { description: 'the entries the release would hold (when nothing is releasable: the pending ones)' }),
    tickets: Type.Array(Type.String()),
    ticketLinks: Type.Optional(TicketLinksSchema),
    commitCount: Type.Integer(),
    decision: Nullable(DecisionSchema),
    reverted: Type.Array(Reverted, { description: 'commit and revert pairs that dropped out of the range' }),
    notices: Type.Array(Type.String()),
  },
  { description: 'What a release would be: nothing is tagged, pushed or recorded.' },
);

const MergedHow = Type.Union(['ancestor', 'cherry-pick', 'patch-id', 'ticket', 'empty'].map((h) => Type.Literal(h)));

export const ReleaseSchema = Type.Object({
  ...ReleaseFields,
  changelog: Type.Array(ChangelogEntrySchema),
  mergedBack: Type.Optional(
    Type.Union([Type.Boolean(), Type.Literal('by-ticket'), Type.Null()], {
      description: 'hotfixes: true when every change is on the default branch (the commit, the commit it was cherry-picked from, or one with the same patch id); "by-ticket" when some are only matched by a commit naming the same ticket; false when some are missing; null when unknown',
    }),
  ),
  unmergedCommits: Type.Optional(Type.Array(Type.String())),
  mergeCommits: Type.Optional(Type.Array(Type.Object({ sha: Type.String(), how: Nullable(MergedHow), via: Type.Optional(Type.String()) }), { description: 'each hotfix commit and how it was found on the default branch' })),
  mergeCheckedAgainst: Type.Optional(Type.Object({ branch: Type.String(), head: Type.String() })),
  mergeCheckError: Type.Optional(Type.String()),
});

export const ReleaseListItemSchema = Type.Object({
  ...ReleaseFields,
  mergedBack: Type.Optional(
    Type.Union([Type.Boolean(), Type.Literal('by-ticket'), Type.Null()], {
      description: 'hotfixes only: the last merged-back answer computed (as on the release itself); null until the first check, which then runs in the background',
    }),
  ),
});

export const ImportReportSchema = Type.Object(
  {
    imported: Type.Integer(),
    versions: Type.Array(Type.String(), { description: 'the versions imported, lowest first' }),
    latest: Nullable(Type.String({ description: 'the highest final version after the import: the next release continues from it' })),
    alreadyRecorded: Type.Integer({ description: 'tags that already are releases (an import is idempotent)' }),
    skipped: Type.Array(
      Type.Object({ tag: Type.String(), reason: Type.Union(['template_mismatch', 'not_semver', 'version_recorded', 'not_a_commit'].map((r) => Type.Literal(r))), message: Type.String() }),
      { description: 'tags left out and why (the first 200)' },
    ),
    skippedCount: Type.Integer(),
    suggestion: Nullable(Type.String({ description: 'a tag template that would adopt the tags that did not match, when one stands out' })),
  },
  { description: 'What an import of existing tags did' },
);

const Version = Type.String({ minLength: 1, maxLength: 100 });
export const ProjectParams = Type.Object({ project: Type.String({ maxLength: 200 }) });
export const ReleaseParams = Type.Object({ project: Type.String({ maxLength: 200 }), version: Version });
export { Version };
const IdempotencyKey = Type.String({ minLength: 1, maxLength: 200, description: 'resending the same key returns the first result' });
const DryRun = Type.Optional(Type.Boolean({ description: 'answer what would be released (200) without tagging, pushing or recording anything' }));

export const CreateBody = Type.Object(
  {
    ref: Type.Optional(Type.String({ minLength: 1, maxLength: 250, description: "branch, tag or commit; default: the remote's default branch" })),
    bump: Type.Optional(Type.Union([Type.Literal('auto'), Bump], { description: 'auto (default): by the release rules; an explicit bump may raise it, or release commits no rule releases, never lower it' })),
    prerelease: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z-]{1,32}$', description: 'e.g. rc → X.Y.Z-rc.N' })),
    idempotencyKey: Type.Optional(IdempotencyKey),
    dryRun: DryRun,
  },
  { additionalProperties: false },
);

export const HotfixBody = Type.Object(
  {
    commits: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-fA-F]{4,64}$' }), { minItems: 1, maxItems: 100 })),
    branch: Type.Optional(Type.String({ minLength: 1, maxLength: 250 })),
    idempotencyKey: Type.Optional(IdempotencyKey),
    dryRun: DryRun,
  },
  { additionalProperties: false },
);
