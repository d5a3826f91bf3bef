import type { FastifyReply, FastifyRequest } from 'fastify';
import { presentDeployment } from './deployment-presenter.js';
import type { DeploymentService } from './deployment-service.js';
import type { DeploymentSignals } from './deployment-signals.js';
import { isFinished } from './deployment-store.js';

/** How often a follower looks at the database when nothing nudged it (another server's work). */
const POLL_MS = 1000;
/** SSE comment lines sent while nothing happens. */
const PING_MS = 15_000;

/**
 * Server-sent events: `log` for each line, `deployment` when the state or a target changes, and
 * `end` once the deployment ended and every line was sent; then the stream closes.
 */
export async function streamLogs(request: FastifyRequest, reply: FastifyReply, deployments: DeploymentService, signals: DeploymentSignals, id: string, after: string | null): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': String(request.id) });
  res.flushHeaders();
  let closed = false;
  let wake: (() => void) | null = null;
  const unsubscribe = signals.onChange(id, () => wake?.());
  // The response closes when the client goes away (the request's own 'close' only says it was read).
  res.on('close', () => {
    closed = true;
    wake?.();
  });
  // A target may wait an hour for its report: keep idle proxies and clients from dropping the stream.
  const ping = setInterval(() => {
    if (!closed) res.write(': ping\n\n');
  }, PING_MS);
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  let cursor = after;
  let lastState = '';
  try {
    while (!closed) {
      const d = await deployments.get(id);
      for (;;) {
        const lines = await deployments.logs(id, cursor, 500);
        for (const line of lines) send('log', line);
        if (lines.length > 0) cursor = lines[lines.length - 1]!.id;
        if (lines.length < 500) break;
      }
      const presented = presentDeployment(d);
      const state = JSON.stringify([presented.status, presented.targets]);
      if (state !== lastState) {
        send('deployment', presented);
        lastState = state;
      }
      if (isFinished(d.status)) {
        // Lines written in the same transaction as the end are already in; send any stragglers.
        const rest = await deployments.logs(id, cursor, 5000);
        for (const line of rest) send('log', line);
        send('end', { status: d.status, failure: presented.failure });
        break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } catch (error) {
    send('error', { message: error instanceof Error ? error.message : String(error) });
  } finally {
    clearInterval(ping);
    unsubscribe();
    res.end();
  }
}
