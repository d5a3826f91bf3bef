import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { systemContext } from '../auth/actor.js';
import type { Uow } from '../db/stores.js';
import type { OutboundPolicy } from '../shared/outbound-policy.js';
import { runCommand, sendWebhook } from '../deployments/executors.js';
import type { Clock } from '../shared/clock.js';
import type { SecretBox } from '../shared/secret-box.js';
import { DEFAULT_RUN_TIMEOUT_MS, type TestScheduleService } from './schedule-service.js';
import { runTokenFor, type TestRunService } from './test-run-service.js';
import type { TestRun } from './test-run-store.js';

export interface TestRunRunnerOptions {
  uow: Uow;
  runs: TestRunService;
  schedules: TestScheduleService;
  secrets: SecretBox;
  clock: Clock;
  /** Base URL executors report to (SLIPWAY_PUBLIC_URL). */
  publicUrl: string;
  /** How long a claim on a run lasts without renewal. */
  leaseMs?: number;
  owner?: string;
  onError?(error: unknown): void;
  /** Where webhook executors may send (SLIPWAY_OUTBOUND_*). */
  outbound?: OutboundPolicy;
}

const RUNNER = systemContext();

/**
 * Fires test schedules and drives their runs, like the deployment runner drives targets: each run is
 * claimed with a lease (renewed while held) so exactly one server works on it. A webhook run waits in
 * the database for its results until its deadline, so it survives restarts however long it takes; a
 * command runs inside its server, so a restart ends it as an error ("interrupted") — results it uploads
 * later still count. Runs never block deployments.
 */
export class TestRunRunner {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly abort = new AbortController();
  private readonly active = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly o: TestRunRunnerOptions) {
    this.owner = o.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseMs = o.leaseMs ?? 60_000;
  }

  /** One pass: fire due schedules, then start or check due runs; the work goes on in the background (see `idle`). */
  async runOnce(): Promise<{ fired: number; worked: number }> {
    if (this.stopped) return { fired: 0, worked: 0 };
    const fired = (await this.o.schedules.fireDue(RUNNER)).length;
    const now = this.o.clock.now();
    let worked = 0;
    for (const id of await this.o.uow.reads.testRuns.due(now.toISOString(), 20)) {
      // A run this server is already working on (a command that takes hours) is not claimed again.
      if (this.stopped || this.active.has(id)) continue;
      if (!(await this.o.uow.reads.testRuns.claim(id, this.owner, now.toISOString(), new Date(now.getTime() + this.leaseMs).toISOString()))) continue;
      worked++;
      const job = this.work(id).catch((error: unknown) => this.o.onError?.(error));
      this.active.set(id, job);
      void job.finally(() => this.active.delete(id));
    }
    return { fired, worked };
  }

  /** Waits until no run is being worked on (tests). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()]);
  }

  /** Stops: running commands are killed; their runs end as interrupted on the next claim. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.allSettled([...this.active.values()]);
  }

  private async work(id: string): Promise<void> {
    const store = this.o.uow.reads.testRuns;
    let next: string | null = null;
    const renew = setInterval(() => {
      void store.renew(id, this.owner, new Date(this.o.clock.now().getTime() + this.leaseMs).toISOString()).catch(() => {});
    }, Math.max(200, Math.floor(this.leaseMs / 3)));
    try {
      next = await this.advance(id);
    } finally {
      clearInterval(renew);
      await store.release(id, this.owner, next);
    }
  }

  /** Moves a run as far as it goes now; returns when to look again (null: only when asked). */
  private async advance(id: string): Promise<string | null> {
    const run = await this.o.uow.reads.testRuns.get(id);
    if (!run || !run.executor) return null;
    const now = this.o.clock.now();
    const timeoutMs = run.executor.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    if (run.status === 'running') {
      if (run.executor.type === 'command') {
        // Commands run inside a claim: one still running when a claim starts belonged to a server that stopped.
        await this.o.runs.finishWithoutResults(RUNNER, id, 'error', 'interrupted: the server running the command stopped before it finished; upload its results to this run if they exist');
        return null;
      }
      if (run.deadlineAt !== null && run.deadlineAt <= now.toISOString()) {
        await this.o.runs.finishWithoutResults(RUNNER, id, 'error', `timeout: no results within ${Math.round(timeoutMs / 60_000)} minutes`);
        return null;
      }
      return run.deadlineAt;
    }
    if (run.status !== 'queued') return null;
    const deadlineAt = new Date(now.getTime() + timeoutMs).toISOString();
    if (!(await this.o.uow.reads.testRuns.update(id, ['queued'], { status: 'running', startedAt: now.toISOString(), deadlineAt, updatedAt: now.toISOString() }))) return null;
    const started: TestRun = { ...run, status: 'running', deadlineAt };
    const token = runTokenFor(this.o.secrets, id);
    const resultsUrl = `${this.o.publicUrl}/api/v1/test-runs/${id}/results`;
    const statusUrl = `${this.o.publicUrl}/api/v1/test-runs/${id}/status`;
    const executor = run.executor;
    if (executor.type === 'webhook') {
      const payload = { runId: id, project: run.project, environment: run.environment, version: run.version, suite: run.suite, resultsUrl, statusUrl, callbackToken: token, deadlineAt };
      const sent = await sendWebhook(executor.url, this.o.secrets.decrypt(executor.secret), payload, Math.min(timeoutMs, 30_000), 'test_run', this.o.outbound);
      if (!sent.ok) {
        await this.o.runs.finishWithoutResults(RUNNER, id, 'error', `webhook failed: ${sent.detail}`);
        return null;
      }
      return started.deadlineAt;
    }
    if (executor.type !== 'command') {
      await this.o.runs.finishWithoutResults(RUNNER, id, 'error', `executor ${executor.type} cannot start test runs`);
      return null;
    }
    const tail: string[] = [];
    const env = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      SLIPWAY_TEST_RUN_ID: id,
      SLIPWAY_PROJECT: run.project,
      SLIPWAY_ENVIRONMENT: run.environment ?? '',
      SLIPWAY_VERSION: run.version ?? '',
      SLIPWAY_SUITE: run.suite,
      SLIPWAY_RESULTS_URL: resultsUrl,
      SLIPWAY_STATUS_URL: statusUrl,
      SLIPWAY_TEST_RUN_TOKEN: token,
    };
    const result = await runCommand(executor.command, env, timeoutMs, (_stream, line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }, this.abort.signal);
    // Stopping: the next claim says interrupted (and results uploaded meanwhile still count).
    if (result.aborted) return this.o.clock.now().toISOString();
    const last = tail.length > 0 ? `; last output: ${tail.slice(-5).join(' | ')}`.slice(0, 1500) : '';
    if (result.ok) await this.o.runs.finishWithoutResults(RUNNER, id, 'passed', `command exited with 0 without uploading results${last}`);
    else if (result.timedOut) await this.o.runs.finishWithoutResults(RUNNER, id, 'error', `timeout: the command was killed after ${Math.round(timeoutMs / 60_000)} minutes${last}`);
    else if (result.error) await this.o.runs.finishWithoutResults(RUNNER, id, 'error', `the command could not start: ${result.error}`);
    else await this.o.runs.finishWithoutResults(RUNNER, id, 'failed', `command exited with ${result.exitCode}${last}`);
    return null;
  }
}
