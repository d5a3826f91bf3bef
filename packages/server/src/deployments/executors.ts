import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import type { SmokeConfig } from '../environments/deployment-settings.js';
import { outboundRequest } from '../shared/outbound-http.js';
import { DEFAULT_OUTBOUND_POLICY, isOutboundRefusal, REFUSED_MESSAGE, type OutboundPolicy } from '../shared/outbound-policy.js';

export type LineSink = (stream: 'stdout' | 'stderr' | 'slipway', line: string) => void;

export interface CommandResult {
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  error?: string;
}

/**
 * Runs a program with arguments — no shell unless the admin's argv starts one — and streams its
 * output line by line. A timeout or an abort kills it (SIGTERM, then SIGKILL a second later).
 */
export function runCommand(argv: string[], env: Record<string, string>, timeoutMs: number, sink: LineSink, signal?: AbortSignal): Promise<CommandResult> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (error) {
      resolve({ ok: false, exitCode: null, timedOut: false, aborted: false, error: (error as Error).message });
      return;
    }
    let timedOut = false;
    let aborted = false;
    const kill = () => {
      // The whole process group: a shell script's children die with it.
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 1000).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const lines = (stream: 'stdout' | 'stderr') => {
      let rest = '';
      return {
        data: (chunk: Buffer) => {
          rest += chunk.toString('utf8');
          const parts = rest.split('\n');
          rest = parts.pop()!;
          for (const p of parts) sink(stream, p.replace(/\r$/, ''));
        },
        end: () => {
          if (rest !== '') sink(stream, rest);
          rest = '';
        },
      };
    };
    const out = lines('stdout');
    const err = lines('stderr');
    child.stdout!.on('data', out.data);
    child.stderr!.on('data', err.data);
    let spawnError: string | undefined;
    child.once('error', (error) => (spawnError = error.message));
    child.once('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      out.end();
      err.end();
      resolve({ ok: code === 0 && !timedOut && !aborted, exitCode: code, timedOut, aborted, ...(spawnError !== undefined && { error: spawnError }) });
    });
  });
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * What a webhook executor is asked to do, in its `action` field. A vocabulary rather than a flag:
 * `deploy` (install the version on the target) and `cancel` (stop: another target failed or
 * someone cancelled; report `cancelled`, or what really happened) today; progressive rollouts add
 * `set-weight`, `promote` and `rollback` with `weight`, `stableVersion` and `canaryVersion`.
 */
export type WebhookAction = 'deploy' | 'cancel' | 'set-weight' | 'promote' | 'rollback';

export interface WebhookCall {
  action: WebhookAction;
  deploymentId: string;
  project: string;
  environment: string;
  target: string;
  version: string;
  tag: string;
  commit: string;
  callbackUrl: string;
  callbackToken: string;
  /** Why (for `cancel`: which target failed, or who cancelled). */
  reason?: string;
  /** Canary deployments (docs/rollouts.md): the weight (0–100 %) the canary must serve after this call, and both versions. */
  weight?: number;
  stableVersion?: string;
  canaryVersion?: string;
  /** Canary deployments: `<deploymentId>:<n>`, the same when a call is repeated after a crash (receivers may dedupe on it). */
  stepId?: string;
  strategy?: 'canary';
  rolloutId?: string;
}

/**
 * POSTs a signed JSON body; 2xx means the receiver accepted the work. `event` names the work
 * (x-slipway-event: deployments, or another feature's runs such as scheduled tests).
 */
export async function sendWebhook(
  url: string,
  secret: string,
  payload: WebhookCall | Record<string, unknown>,
  timeoutMs: number,
  event = 'deployment',
  policy: OutboundPolicy = DEFAULT_OUTBOUND_POLICY,
): Promise<{ ok: boolean; detail: string }> {
  const body = JSON.stringify(payload);
  try {
    const res = await outboundRequest(policy, url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'slipway',
        'x-slipway-event': event,
        ...(typeof payload.action === 'string' && { 'x-slipway-action': payload.action }),
        'x-slipway-signature': signBody(secret, body),
      },
      body,
      timeoutMs: Math.min(timeoutMs, 30_000),
      maxBytes: 500,
    });
    const text = res.text.slice(0, 500);
    return { ok: res.status >= 200 && res.status < 300, detail: `HTTP ${res.status}${text ? ` ${text}` : ''}` };
  } catch (error) {
    return { ok: false, detail: isOutboundRefusal(error) ? REFUSED_MESSAGE : (error as Error).message };
  }
}

/** The post-deploy check: an HTTP status or a command's exit code. */
export async function runSmoke(smoke: SmokeConfig, env: Record<string, string>, sink: LineSink, signal?: AbortSignal, policy: OutboundPolicy = DEFAULT_OUTBOUND_POLICY): Promise<{ ok: boolean; detail: string }> {
  if ('http' in smoke) {
    const { url, expectStatus, timeoutMs = 10_000 } = smoke.http;
    try {
      const res = await outboundRequest(policy, url, { timeoutMs, maxBytes: 64 * 1024 });
      const detail = `GET ${url} → ${res.status} (expected ${expectStatus})`;
      sink('slipway', `smoke: ${detail}`);
      return { ok: res.status === expectStatus, detail };
    } catch (error) {
      const detail = `GET ${url} failed: ${isOutboundRefusal(error) ? REFUSED_MESSAGE : (error as Error).message}`;
      sink('slipway', `smoke: ${detail}`);
      return { ok: false, detail };
    }
  }
  const result = await runCommand(smoke.command, env, smoke.timeoutMs ?? 60_000, sink, signal);
  const detail = result.timedOut ? 'smoke command timed out' : result.error ? `smoke command could not start: ${result.error}` : `smoke command exited with ${result.exitCode}`;
  sink('slipway', `smoke: ${detail}`);
  return { ok: result.ok, detail };
}
