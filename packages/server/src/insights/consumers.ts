import { systemContext } from '../auth/actor.js';
import type { BugService } from '../bugs/bug-service.js';
import type { OutboxHandler } from '../outbox/outbox-consumer.js';
import type { TestRunService } from '../testruns/test-run-service.js';

const SYSTEM = systemContext();

/** A deployment that ended with a smoke check becomes a test run of suite `smoke` (history included). */
export function smokeRuns(runs: TestRunService): OutboxHandler {
  return {
    name: 'insights.smoke-runs',
    types: ['deployment.succeeded', 'deployment.failed'],
    startAt: 'beginning',
    async handle(tx, event) {
      const id = event.payload.deploymentId;
      if (typeof id !== 'string') return;
      const d = await tx.stores.deployments.get(id);
      if (d) await runs.recordSmoke(tx, SYSTEM, d);
    },
  };
}

/** A release whose changelog names tickets marks the open bugs with those tickets as fixed in it. */
export function bugFixes(bugs: BugService): OutboxHandler {
  return {
    name: 'insights.bug-fixes',
    types: ['release.created'],
    startAt: 'end',
    async handle(tx, event) {
      const p = event.payload;
      if (typeof p.project !== 'string' || typeof p.version !== 'string' || !Array.isArray(p.tickets)) return;
      await bugs.linkFixes(tx, SYSTEM, { project: p.project, version: p.version, tickets: p.tickets.filter((t): t is string => typeof t === 'string'), createdAt: event.createdAt });
    },
  };
}
