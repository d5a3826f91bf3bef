import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { systemContext, type RequestContext } from '../auth/actor.js';
import type { Uow } from '../db/stores.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import type { SecretBox } from '../shared/secret-box.js';
import type { LogLine } from './deployment-log-store.js';
import type { DeploymentSignals } from './deployment-signals.js';
import type { Deployment, DeploymentTarget } from './deployment-store.js';
import type { DeploymentTransitions } from './deployment-transitions.js';
import { callbackTokenFor, type DeploymentService } from './deployment-service.js';
import { runCommand, runSmoke, sendWebhook } from './executors.js';

export interface RunnerOptions {
  uow: Uow;
  transitions: DeploymentTransitions;
  deployments: DeploymentService;
  signals: DeploymentSignals;
  secrets: SecretBox;
  clock: Clock;
  ids: IdGenerator;
  /** Base URL executors call back (SLIPWAY_PUBLIC_URL). */
  publicUrl: string;
  /** How long a claim lasts without renewal; another server may take over after it. */
  leaseMs?: number;
  /** How often to look for due work other servers or timers created. */
  pollMs?: number;
  owner?: string;
  onError?: (error: unknown) => void;
}

/** Default timeouts by executor, when the target does not set one. */
export const DEFAULT_TIMEOUT_MS = { record: 3_600_000, webhook: 600_000, command: 600_000 } as const;

const RUNNER = systemContext();

/**
 * Executes deployments in the background. Work is claimed per deployment with a lease (an atomic
 * compare-and-set in the database), renewed while held: after a crash the lease expires and any
 * server resumes the deployment — a command that was running ends `failed` (interrupted), a
 * webhook target keeps waiting for its callback until its deadline.
 */
export class DeploymentRunner {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly o: RunnerOptions) {
    this.owner = o.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 500;
  }

  start(): void {
    this.unsubscribe = this.o.signals.onWork(() => this.kick());
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops claiming; running commands are killed and their targets fail (interrupted). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    this.abort.abort();
    await Promise.allSettled([...this.active, this.running]);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.runOnce();
        } catch (error) {
          this.o.onError?.(error);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = null));
  }

  /**
   * Claims every due deployment and works on it; resolves when each has reached a point where it
   * waits (a callback, a deadline) or ended. Tests call it directly instead of start().
   */
  async runOnce(): Promise<number> {
    const now = this.o.clock.now();
    const ids = await this.o.uow.reads.deployments.due(now.toISOString(), 50);
    let claimed = 0;
    const work: Array<Promise<void>> = [];
    for (const id of ids) {
      if (this.stopped) break;
      const expires = new Date(now.getTime() + this.leaseMs).toISOString();
      if (!(await this.o.uow.reads.deployments.claim(id, this.owner, now.toISOString(), expires))) continue;
      claimed++;
      const job = this.process(id).catch((error: unknown) => this.o.onError?.(error));
      this.active.add(job);
      work.push(job.finally(() => this.active.delete(job)));
    }
    await Promise.all(work);
    return claimed;
  }

  private async process(id: string): Promise<void> {
    const store = this.o.uow.reads.deployments;
    const wake = await store.wakeCount(id);
    let lost = false;
    const renew = setInterval(() => {
      const expires = new Date(this.o.clock.now().getTime() + this.leaseMs).toISOString();
      store.renew(id, this.owner, expires).then(
        (held) => (lost ||= !held),
        () => {},
      );
    }, Math.max(200, Math.floor(this.leaseMs / 3)));
    let nextCheck: string | null = null;
    try {
      nextCheck = await this.advance(id, () => lost);
    } finally {
      clearInterval(renew);
      await store.release(id, this.owner, nextCheck, wake);
    }
  }

  /** Moves one deployment as far as it can go now; returns when to look again (null: when asked). */
  private async advance(id: string, leaseLost: () => boolean): Promise<string | null> {
    let d = await this.o.uow.reads.deployments.get(id);
    if (!d) return null;
    if (d.status === 'pending') {
      d = await this.o.uow.transaction(async (tx) => {
        if (!(await tx.stores.deployments.update(id, ['pending'], { status: 'running', startedAt: tx.now, updatedAt: tx.now }))) return null;
        const started = (await tx.stores.deployments.get(id))!;
        await this.o.transitions.progressed(tx, started);
        await this.o.transitions.log(tx, id, [{ line: `started on ${started.targets.map((t) => `${t.key} (${t.executor.type})`).join(', ')}` }]);
        await this.o.transitions.event(tx, RUNNER, started, 'deployment.started');
        return started;
      });
      this.o.signals.changed(id);
      if (!d) return null;
    }
    if (d.status !== 'running') return null;

    if (d.phase === 'targets') {
      await Promise.all(d.targets.map((t) => this.target(d!, t)));
      if (leaseLost()) return null;
      // Stopping killed a command: whoever runs next should look at once and report it interrupted.
      if (this.stopped) return this.o.clock.now().toISOString();
      d = (await this.o.uow.reads.deployments.get(id))!;
      const failed = d.targets.find((t) => t.status === 'failed');
      if (failed) return this.fail(d, failed.message?.startsWith('interrupted') ? 'interrupted' : failed.message?.startsWith('timeout') ? 'timeout' : 'target_failed', failed.key);
      const waiting = d.targets.filter((t) => t.status !== 'succeeded');
      if (waiting.length > 0) {
        const deadlines = waiting.map((t) => t.deadlineAt).filter((x): x is string => x !== null);
        return deadlines.length > 0 ? deadlines.sort()[0]! : null;
      }
      if (d.smoke) {
        await this.o.uow.reads.deployments.update(id, ['running'], { phase: 'smoke', updatedAt: this.o.clock.now().toISOString() });
        d = { ...d, phase: 'smoke' };
      }
    }
    if (d.phase === 'smoke' && d.smoke) {
      const sink = this.sink(id, null);
      const result = await runSmoke(d.smoke, this.commandEnv(d, 'smoke'), (stream, line) => sink.push(stream, line), this.abort.signal);
      await sink.flush();
      if (leaseLost() || this.stopped) return null;
      if (!result.ok) return this.fail(d, 'smoke_failed', null, result.detail);
    }
    await this.o.uow.transaction((tx) => this.o.transitions.finish(tx, RUNNER, d!, 'succeeded', null, ['running']));
    this.o.signals.changed(id);
    return null;
  }

  private async fail(d: Deployment, reason: string, target: string | null, detail?: string): Promise<null> {
    const ended = await this.o.uow.transaction(async (tx) => {
      if (detail) await this.o.transitions.log(tx, d.id, [{ line: detail }]);
      return this.o.transitions.finish(tx, RUNNER, d, 'failed', { reason, target }, ['running']);
    });
    this.o.signals.changed(d.id);
    if (ended && ended.autoRollback && ended.kind === 'deploy') await this.autoRollback(ended, reason);
    return null;
  }

  private async autoRollback(d: Deployment, reason: string): Promise<void> {
    const ctx: RequestContext = systemContext();
    try {
      const { deployment } = await this.o.deployments.rollback(ctx, d.id, { reason: `automatic: ${d.version} failed (${reason})` });
      await this.o.uow.reads.deploymentLogs.append(d.id, [this.line(null, 'slipway', `automatic rollback to ${deployment.version} started: deployment ${deployment.id}`)]);
    } catch (error) {
      await this.o.uow.reads.deploymentLogs.append(d.id, [this.line(null, 'slipway', `automatic rollback not started: ${(error as Error).message}`)]);
    }
    this.o.signals.changed(d.id);
  }

  /** Starts, resumes or times out one target. */
  private async target(d: Deployment, t: DeploymentTarget): Promise<void> {
    const now = this.o.clock.now();
    const store = this.o.uow.reads.deployments;
    const timeoutMs = t.executor.timeoutMs ?? DEFAULT_TIMEOUT_MS[t.executor.type];
    if (t.status === 'running') {
      if (t.executor.type === 'command') {
        // Commands run inside a claim; one still "running" when a claim starts belonged to a server that died.
        await this.endTarget(d.id, t.key, 'failed', 'interrupted: the server running the command stopped before it finished');
      } else if (t.deadlineAt !== null && t.deadlineAt <= now.toISOString()) {
        await this.endTarget(d.id, t.key, 'failed', `timeout: no result reported within ${timeoutMs} ms`);
      }
      return;
    }
    if (t.status !== 'pending') return;
    const deadlineAt = new Date(now.getTime() + timeoutMs).toISOString();
    if (!(await store.updateTarget(d.id, t.key, ['pending'], { status: 'running', startedAt: now.toISOString(), deadlineAt }))) return;
    const sink = this.sink(d.id, t.key);
    if (t.executor.type === 'record') {
      sink.push('slipway', `waiting for a report: POST /api/v1/deployments/${d.id}/status {"target":"${t.key}","status":"succeeded"|"failed"}`);
      await sink.flush();
      return;
    }
    if (t.executor.type === 'webhook') {
      const payload = {
        deploymentId: d.id,
        project: d.projectKey,
        environment: d.environment,
        target: t.key,
        version: d.version,
        tag: d.tag,
        commit: d.commit,
        callbackUrl: `${this.o.publicUrl}/api/v1/deployments/${d.id}/status`,
        callbackToken: callbackTokenFor(this.o.secrets, d.id),
      };
      const sent = await sendWebhook(t.executor.url, this.o.secrets.decrypt(t.executor.secret), payload, timeoutMs);
      sink.push('slipway', sent.ok ? `webhook accepted (${sent.detail}); waiting for its callback until ${deadlineAt}` : `webhook failed: ${sent.detail}`);
      await sink.flush();
      if (!sent.ok) await this.endTarget(d.id, t.key, 'failed', `webhook failed: ${sent.detail}`);
      return;
    }
    sink.push('slipway', `running ${JSON.stringify(t.executor.command)}`);
    const result = await runCommand(t.executor.command, this.commandEnv(d, t.key), timeoutMs, (stream, line) => sink.push(stream, line), this.abort.signal);
    await sink.flush();
    if (result.aborted) return; // the server is stopping: the next claim reports it interrupted
    if (result.ok) await this.endTarget(d.id, t.key, 'succeeded', 'command exited with 0');
    else await this.endTarget(d.id, t.key, 'failed', result.timedOut ? `timeout: killed after ${timeoutMs} ms` : result.error ? `command could not start: ${result.error}` : `command exited with ${result.exitCode}`);
  }

  private async endTarget(id: string, key: string, status: 'succeeded' | 'failed', message: string): Promise<void> {
    const at = this.o.clock.now().toISOString();
    if (await this.o.uow.reads.deployments.updateTarget(id, key, ['running'], { status, message, finishedAt: at })) {
      await this.o.uow.reads.deploymentLogs.append(id, [this.line(key, 'slipway', `${status}: ${message}`)]);
      this.o.signals.changed(id);
    }
  }


  private commandEnv(d: Deployment, target: string): Record<string, string> {
    // Only what the command needs: the server's own environment (database URL, keys) stays out.
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      SLIPWAY_DEPLOYMENT_ID: d.id,
      SLIPWAY_PROJECT: d.projectKey,
      SLIPWAY_ENVIRONMENT: d.environment,
      SLIPWAY_TARGET: target,
      SLIPWAY_VERSION: d.version,
      SLIPWAY_TAG: d.tag,
      SLIPWAY_COMMIT: d.commit,
    };
  }

  private line(target: string | null, stream: string, line: string): LogLine {
    return { id: this.o.ids.next(), target, stream, line: line.slice(0, 10_000), at: this.o.clock.now().toISOString() };
  }

  /** Buffers log lines and writes them in batches (every 200 ms while a command runs). */
  private sink(id: string, target: string | null) {
    let buffer: LogLine[] = [];
    let pending: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | null = null;
    const flush = async () => {
      if (timer) clearTimeout(timer);
      timer = null;
      const lines = buffer;
      buffer = [];
      pending = pending.then(async () => {
        if (lines.length === 0) return;
        await this.o.uow.reads.deploymentLogs.append(id, lines).catch((error: unknown) => this.o.onError?.(error));
        this.o.signals.changed(id);
      });
      await pending;
    };
    return {
      push: (stream: string, line: string) => {
        buffer.push(this.line(target, stream, line));
        timer ??= setTimeout(() => void flush(), 200);
      },
      flush,
    };
  }
}
