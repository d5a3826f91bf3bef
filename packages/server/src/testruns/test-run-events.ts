import { formatDuration } from '../notifications/announcement.js';
import type { TestOutcome } from './junit-parser.js';
import type { TestRun } from './test-run-store.js';

/** A message as every notification renderer shows it: events of test runs carry their own. */
export interface EventMessage {
  title: string;
  summary: string | null;
  tone: 'success' | 'failure' | 'warning' | 'info';
  facts: Array<{ label: string; value: string }>;
}

const where = (r: Pick<TestRun, 'project' | 'environment' | 'version'>) => `${r.project}${r.version ? ` ${r.version}` : ''}${r.environment ? ` in ${r.environment}` : ''}`;

export function runFacts(r: TestRun): EventMessage['facts'] {
  const facts: EventMessage['facts'] = [{ label: 'Project', value: r.project }];
  if (r.environment) facts.push({ label: 'Environment', value: r.environment });
  if (r.version) facts.push({ label: 'Version', value: r.version });
  facts.push({ label: 'Suite', value: r.suite });
  facts.push({ label: 'Results', value: `${r.total} tests, ${r.failed} failed, ${r.errors} errors, ${r.skipped} skipped` });
  if (r.flaky > 0) facts.push({ label: 'Flaky', value: String(r.flaky) });
  if (r.durationMs > 0) facts.push({ label: 'Duration', value: formatDuration(r.durationMs) });
  return facts;
}

export function runMessage(r: TestRun, newlyFailing: string[]): EventMessage {
  const ok = r.status === 'passed';
  const summary = ok
    ? `${r.total} tests passed${r.flaky > 0 ? ` (${r.flaky} flaky)` : ''}.`
    : r.status === 'error'
      ? (r.message ?? 'The run did not report results.')
      : `${r.failed + r.errors} of ${r.total} tests failed${newlyFailing.length > 0 ? `; newly failing: ${newlyFailing.slice(0, 10).join(', ')}${newlyFailing.length > 10 ? ', …' : ''}` : ''}.`;
  return { title: `${r.suite} tests ${ok ? 'passed' : r.status === 'error' ? 'could not run' : 'failed'} for ${where(r)}`, summary, tone: ok ? 'success' : 'failure', facts: runFacts(r) };
}

export function failingMessage(r: TestRun, o: TestOutcome): EventMessage {
  return {
    title: `Failing test: ${o.name} (${where(r)})`,
    summary: o.message,
    tone: 'failure',
    facts: [
      { label: 'Test', value: o.name },
      { label: 'Class', value: o.classname },
      { label: 'Suite', value: r.suite },
      ...(r.environment ? [{ label: 'Environment', value: r.environment }] : []),
      ...(r.version ? [{ label: 'Version', value: r.version }] : []),
      { label: 'Run', value: r.id },
    ],
  };
}

export function testPayload(o: Pick<TestOutcome, 'key' | 'name' | 'classname' | 'suite' | 'message' | 'detail'>) {
  return { key: o.key, name: o.name, classname: o.classname, suite: o.suite, message: o.message, detail: o.detail === null ? null : o.detail.slice(0, 2000) };
}
