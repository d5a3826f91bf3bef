import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { JSON_TYPE, nulAnswer } from '../sdk/ofrep-answers.js';

const NUL = '\u0000';
export const NUL_MESSAGE = 'must not contain NUL characters (\\u0000)';

/**
 * Where the first NUL character is in one part of a request (`body/rules/0/values/1`), or null.
 * Walks without recursion: a body may nest thousands of levels before schema validation refuses it.
 */
export function nulPath(value: unknown, root: string): string | null {
  if (!hasNul(value)) return null;
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes(NUL)) return path;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], `${path}/${i}`]);
    } else if (typeof current === 'object' && current !== null && !Buffer.isBuffer(current)) {
      for (const key of Object.keys(current)) {
        const at = `${path}/${key.replaceAll(NUL, '\\u0000')}`;
        if (key.includes(NUL)) return at;
        stack.push([(current as Record<string, unknown>)[key], at]);
      }
    }
  }
  return null;
}

/** Whether a NUL is anywhere in the value: the common answer (no) without building any path. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (typeof value !== 'object' || value === null) return false;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') {
      if (current.includes(NUL)) return true;
    } else if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
    } else if (typeof current === 'object' && current !== null && !Buffer.isBuffer(current)) {
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        if (key.includes(NUL)) return true;
        stack.push((current as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

/**
 * Refuses a NUL character in any path segment, query value or body string (nested too, keys
 * included) before validation, with a 400 naming the field: PostgreSQL cannot store NUL in text
 * and answered 500 where SQLite stored it (issue 11 §7). One hook for every route, on both
 * dialects; OFREP keeps its own error shape (`errorCode`, `errorDetails`).
 */
export function registerNulGuard(app: FastifyInstance): void {
  // A callback hook: it runs on every request, SDK ones included, without a promise.
  app.addHook('preValidation', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const where = nulPath(request.params, 'params') ?? nulPath(request.query, 'query') ?? nulPath(request.body, 'body');
    if (where === null) return done();
    if (request.url.startsWith('/ofrep/')) {
      const answer = nulAnswer((request.params as { key?: unknown } | undefined)?.key, where, NUL_MESSAGE);
      void reply.status(answer.status).header('content-type', JSON_TYPE).send(answer.payload);
      return;
    }
    void reply.status(400).send({ error: { code: 'validation_failed', message: `${where} ${NUL_MESSAGE}.`, details: { problems: [{ path: where, message: NUL_MESSAGE }] } } });
  });
}
