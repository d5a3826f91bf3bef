// Names for the rollout, insights, calendar and compatibility answers, taken from the generated
// OpenAPI types like types.ts (no response type written by hand).
import type { ResponseOf } from './types';

type Item<L> = L extends { items: Array<infer I> } ? I : never;

export type Rollout = ResponseOf<'/api/v1/rollouts/{id}', 'get'>;
export type RolloutMetric = Rollout['metrics'][number];
export type RolloutMeasurement = Rollout['measurements'][number];
export type RolloutDecision = Rollout['decisions'][number];
export type RolloutList = ResponseOf<'/api/v1/projects/{project}/rollouts', 'get'>;
export type RolloutSummary = Item<RolloutList>;
export type Dora = ResponseOf<'/api/v1/insights/dora', 'get'>;
export type DoraTrendPoint = Dora['trend'][number];
export type Quality = ResponseOf<'/api/v1/insights/quality', 'get'>;
export type QualityWeek = Quality['weeks'][number];
export type TestRunList = ResponseOf<'/api/v1/projects/{project}/test-runs', 'get'>;
export type TestRun = Item<TestRunList>;
export type Calendar = ResponseOf<'/api/v1/calendar', 'get'>;
export type CalendarEvent = Calendar['events'][number];
export type CalendarTokenCreated = ResponseOf<'/api/v1/calendar/tokens', 'post'>;
export type CompatibilityMatrix = ResponseOf<'/api/v1/compatibility/matrix', 'get'>;
export type CompatibilityProblem = CompatibilityMatrix['environments'][number]['projects'][number]['problems'][number];
