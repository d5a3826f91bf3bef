import { Type } from '@sinclair/typebox';
import { Nullable, Slug, Timestamp } from '../http/schemas.js';
import { STAGES } from '../bugs/bug-store.js';

const Band = Nullable(Type.Union([Type.Literal('elite'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]));
const Num = Nullable(Type.Number());
const Bands = Type.Object({ deploymentFrequency: Band, leadTime: Band, changeFailureRate: Band, timeToRestore: Band, reworkRate: Band });
const Threshold = Type.Object({ unit: Type.String(), higherIsBetter: Type.Boolean(), elite: Type.Number(), high: Type.Number(), medium: Type.Number(), source: Type.String() });

export const RangeQuery = {
  from: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date or date-time; default: 90 days before `to`' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date or date-time (exclusive); default: now' })),
  timezone: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone of week and month boundaries; default UTC' })),
};

export const DoraQuerySchema = Type.Object(
  {
    project: Type.Optional(Slug),
    environment: Type.Optional(Slug),
    interval: Type.Optional(Type.Union([Type.Literal('week'), Type.Literal('month')])),
    ...RangeQuery,
  },
  { additionalProperties: false },
);

const IncidentItem = Type.Object({
  id: Type.String(),
  source: Type.String(),
  project: Nullable(Type.String()),
  environment: Type.String(),
  title: Type.String(),
  severity: Nullable(Type.String()),
  openedAt: Timestamp,
  resolvedAt: Nullable(Timestamp),
  restoreHours: Num,
  deployments: Type.Array(Type.String()),
  versions: Type.Array(Type.String()),
  resolvedBy: Nullable(Type.String()),
});

export const DoraResponse = Type.Object({
  project: Nullable(Type.String()),
  environment: Type.String(),
  from: Timestamp,
  to: Timestamp,
  interval: Type.String(),
  timezone: Type.String(),
  deploymentFrequency: Type.Object({ count: Type.Integer(), perWeek: Num, perDay: Num, rollbacks: Type.Integer() }),
  leadTime: Type.Object({ medianHours: Num, p90Hours: Num, commits: Type.Integer() }),
  changeFailureRate: Num,
  changeFailures: Type.Object({
    failures: Type.Integer(),
    of: Type.Integer(),
    failed: Type.Integer(),
    rolledBack: Type.Integer(),
    hotfixed: Type.Integer(),
    incidents: Type.Integer(),
    deployments: Type.Array(Type.Object({ id: Type.String(), project: Type.String(), version: Type.String(), finishedAt: Timestamp, reasons: Type.Array(Type.String()) })),
  }),
  timeToRestore: Type.Object({ medianHours: Num, incidents: Type.Integer(), unresolved: Type.Integer() }),
  reworkRate: Num,
  rework: Type.Object({ unplanned: Type.Integer(), of: Type.Integer(), hotfixes: Type.Integer(), rollbacks: Type.Integer() }),
  bands: Bands,
  thresholds: Type.Object({ deploymentFrequency: Threshold, leadTime: Threshold, changeFailureRate: Threshold, timeToRestore: Threshold, reworkRate: Threshold }),
  trend: Type.Array(
    Type.Object({
      start: Type.String({ description: 'local date the period starts on' }),
      startsAt: Timestamp,
      endsAt: Timestamp,
      partial: Type.Boolean({ description: 'the range cuts this period' }),
      deployments: Type.Integer(),
      perWeek: Num,
      leadTimeMedianHours: Num,
      leadTimeP90Hours: Num,
      changeFailureRate: Num,
      timeToRestoreMedianHours: Num,
      incidents: Type.Integer(),
      reworkRate: Num,
      bands: Bands,
    }),
  ),
  incidents: Type.Array(IncidentItem),
});

const ByStage = Type.Object(Object.fromEntries(STAGES.map((s) => [s, Type.Integer()])));
const Counts = {
  qaTestsPerformed: Type.Integer(),
  qaTestsPushedBack: Type.Integer(),
  stagingFeaturesPushedToProduction: Type.Integer(),
  bugsByStage: ByStage,
  productionRegressions: Type.Integer(),
  otherBugs: Type.Integer({ description: 'bugs found on production that are not regressions' }),
  bugs: Type.Integer(),
};

export const QualityQuerySchema = Type.Object(
  {
    project: Type.Optional(Slug),
    environment: Type.Optional(Slug),
    interval: Type.Optional(Type.Union([Type.Literal('week'), Type.Literal('month')])),
    signoffKind: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'the sign-off kind that is a QA test; default qa' })),
    ...RangeQuery,
  },
  { additionalProperties: false },
);

export const QualityResponse = Type.Object({
  project: Nullable(Type.String()),
  environment: Type.String(),
  from: Timestamp,
  to: Timestamp,
  interval: Type.String(),
  timezone: Type.String(),
  weeks: Type.Array(Type.Object({ weekStart: Type.String(), startsAt: Timestamp, endsAt: Timestamp, partial: Type.Boolean(), ...Counts })),
  totals: Type.Object(Counts),
  releases: Type.Array(
    Type.Object({ project: Type.String(), version: Type.String(), shippedAt: Timestamp, bugsAfterShip: Type.Integer(), regressionsAfterShip: Type.Integer(), byStage: ByStage }),
  ),
});
