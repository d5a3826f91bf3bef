import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutboxBus } from '../outbox/outbox-bus.js';
import type { StatusService } from './status-service.js';

/** SSE comment lines sent while nothing changes, so idle proxies keep the stream. */
const PING_MS = 15_000;
/** Changes that move the matrix: deployments, environments (windows, freezes) and projects. */
const MOVES_THE_MATRIX = /^(deployment|environment|project)\./;

/**
 * Server-sent events for the "what runs where" page: a `status` event with the whole matrix at
 * once and again whenever its ETag changes (the event id is the ETag). This server's own changes
 * wake the stream at once; other replicas' changes, instance reports and windows opening are
 * seen at the next poll.
 */
export async function streamStatus(
  request: FastifyRequest,
  reply: FastifyReply,
  status: StatusService,
  outbox: OutboxBus,
  filter: { project?: string },
  pollMs: number,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': String(request.id) });
  res.flushHeaders();
  let closed = false;
  let wake: (() => void) | null = null;
  let nudged = false;
  const unsubscribe = outbox.subscribe((event) => {
    if (!MOVES_THE_MATRIX.test(event.type)) return;
    nudged = true;
    wake?.();
  });
  res.on('close', () => {
    closed = true;
    wake?.();
  });
  const ping = setInterval(() => {
    if (!closed) res.write(': ping\n\n');
  }, PING_MS);
  let last = typeof request.headers['last-event-id'] === 'string' ? request.headers['last-event-id'] : '';
  try {
    while (!closed) {
      nudged = false;
      const { json, etag } = await status.matrix(filter);
      if (etag !== last && !closed) {
        res.write(`event: status\nid: ${etag}\ndata: ${json}\n\n`);
        last = etag;
      }
      if (nudged) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } catch (error) {
    if (!closed) res.write(`event: error\ndata: ${JSON.stringify({ message: error instanceof Error ? error.message : String(error) })}\n\n`);
  } finally {
    clearInterval(ping);
    unsubscribe();
    res.end();
  }
}
