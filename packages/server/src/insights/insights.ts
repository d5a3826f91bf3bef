import { systemContext } from '../auth/actor.js';
import { BugService } from '../bugs/bug-service.js';
import { CalendarService } from '../calendar/calendar-service.js';
import { compatibilityRefusal } from '../compatibility/compatibility-guard.js';
import { CompatibilityService } from '../compatibility/compatibility-service.js';
import type { Uow } from '../db/stores.js';
import type { DeployGuard } from '../deployments/guardrails.js';
import type { OutboundPolicy } from '../shared/outbound-policy.js';
import type { RepositoryRegistry } from '../git/repository-registry.js';
import { IncidentService } from '../incidents/incident-service.js';
import { OutboxConsumer } from '../outbox/outbox-consumer.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import { TestScheduleService } from '../testruns/schedule-service.js';
import { TestRunRunner } from '../testruns/test-run-runner.js';
import { TestRunService } from '../testruns/test-run-service.js';
import { TestsGate } from '../testruns/tests-gate.js';
import { bugFixes, smokeRuns } from './consumers.js';
import { WeeklyDigest } from './digest.js';
import { DoraService } from './dora-service.js';
import { QualityService } from './quality-service.js';
import { InsightsWorker } from './worker.js';

/** The insights features (issue 14) as the composition root wires them. */
export interface Insights {
  readonly dora: DoraService;
  readonly quality: QualityService;
  readonly incidents: IncidentService;
  readonly bugs: BugService;
  readonly testRuns: TestRunService;
  readonly schedules: TestScheduleService;
  readonly testsGate: TestsGate;
  readonly runner: TestRunRunner;
  readonly compatibility: CompatibilityService;
  readonly calendar: CalendarService;
  readonly digest: WeeklyDigest;
  readonly consumers: { smokeRuns: OutboxConsumer; bugFixes: OutboxConsumer };
  /** Background jobs: started by server.ts; tests call `worker.runOnce()`. */
  readonly worker: InsightsWorker;
  /** The deploy guards `incompatible` and `tests_failing`, for the deployments feature. */
  readonly guards: DeployGuard[];
}

export interface InsightsSettings {
  /** How often the background jobs look for work (SLIPWAY_INSIGHTS_POLL_MS). */
  pollMs: number;
  /** How long a server holds a scheduled run it drives. */
  runLeaseMs: number;
  /** How old an outbox event must be before a consumer's cursor moves past it. */
  settleMs: number;
}

export const DEFAULT_INSIGHTS_SETTINGS: InsightsSettings = { pollMs: 5000, runLeaseMs: 60_000, settleMs: 60_000 };

export interface InsightsDeps {
  uow: Uow;
  clock: Clock;
  ids: IdGenerator;
  secrets: SecretBox;
  repositories: RepositoryRegistry;
  publicUrl: string;
  settings?: Partial<InsightsSettings>;
  onError?(error: unknown, context: string): void;
  /** Where webhook executors of test runs may send (SLIPWAY_OUTBOUND_*). */
  outbound?: OutboundPolicy;
}

export function createInsights(d: InsightsDeps): Insights {
  const settings = { ...DEFAULT_INSIGHTS_SETTINGS, ...d.settings };
  const dora = new DoraService(d.uow, d.clock);
  const quality = new QualityService(d.uow, dora);
  const bugs = new BugService(d.uow, d.ids, d.clock, d.secrets);
  const testRuns = new TestRunService(d.uow, d.ids, d.clock, d.secrets);
  const schedules = new TestScheduleService(d.uow, d.ids, d.clock, d.secrets, d.outbound);
  const testsGate = new TestsGate(d.uow);
  const runner = new TestRunRunner({ uow: d.uow, runs: testRuns, schedules, secrets: d.secrets, clock: d.clock, publicUrl: d.publicUrl, leaseMs: settings.runLeaseMs, ...(d.outbound && { outbound: d.outbound }), ...(d.onError && { onError: (e: unknown) => d.onError!(e, 'test run runner') }) });
  const compatibility = new CompatibilityService(d.uow, d.repositories, d.clock, d.onError);
  const calendar = new CalendarService(d.uow, d.ids, d.clock);
  const digest = new WeeklyDigest(d.uow, d.clock, dora, quality);
  const consumers = {
    smokeRuns: new OutboxConsumer(d.uow, d.clock, smokeRuns(testRuns), settings.settleMs),
    bugFixes: new OutboxConsumer(d.uow, d.clock, bugFixes(bugs), settings.settleMs),
  };
  const system = systemContext();
  const worker = new InsightsWorker(
    [
      { name: 'test schedules and runs', run: () => runner.runOnce() },
      { name: 'smoke runs from deployments', run: () => consumers.smokeRuns.runOnce() },
      { name: 'bugs fixed by releases', run: () => consumers.bugFixes.runOnce() },
      { name: 'weekly digest', run: () => digest.sendDue(system) },
      { name: 'calendar reminders', run: () => calendar.remindDue(system) },
    ],
    settings.pollMs,
    d.onError,
  );
  const guards: DeployGuard[] = [
    ({ project, release, environment }) => compatibilityRefusal(compatibility, { project: project.key, version: release.version, environment }),
    ({ project, release, environment }) => testsGate.refusal({ projectId: project.id, project: project.key, version: release.version, environment }),
  ];
  return {
    dora,
    quality,
    incidents: new IncidentService(d.uow, d.ids, d.clock, dora),
    bugs,
    testRuns,
    schedules,
    testsGate,
    runner,
    compatibility,
    calendar,
    digest,
    consumers,
    worker,
    guards,
  };
}
