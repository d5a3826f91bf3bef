/**
 * An HTTP middleware that reports every request to Slipway's rollout analysis: one count per
 * request for the service's version, and one per flag variant the request was served.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EvaluationContext } from '@slipway/flag-engine';
import type { TrackEvent } from './metrics.js';

/** What the middleware needs of a client: {@link SlipwayClient} has it. */
export interface Tracker {
  track(event: TrackEvent): void;
}

/** Options of {@link slipwayMetrics}. */
export interface MiddlewareOptions {
  /** The version this process runs (counted as its own series, for canary deployments). */
  version?: string;
  /** Flags whose variant each request is counted under (evaluated locally for the request's context). */
  flags?: string[];
  /** The evaluation context of a request (default: none, which serves flags' defaults to everyone). */
  context?: (req: IncomingMessage) => EvaluationContext;
  /** Whether a response counts as an error; default: status 500 and above. */
  isError?: (statusCode: number) => boolean;
}

/**
 * Returns `(req, res, next?)`: use it as Express/Connect middleware, or call it first thing in a
 * plain `http` handler. Counting happens when the response finishes; it never throws.
 *
 * @example
 * import express from 'express';
 * import { SlipwayClient, slipwayMetrics } from '@slipway/sdk-node';
 * const slipway = new SlipwayClient({ url, sdkKey });
 * const app = express();
 * app.use(slipwayMetrics(slipway, { version: process.env.VERSION, flags: ['new-checkout'], context: (req) => ({ targetingKey: req.headers['x-user-id'] }) }));
 */
export function slipwayMetrics(client: Tracker, options: MiddlewareOptions = {}): (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void {
  const isError = options.isError ?? ((status: number) => status >= 500);
  return (req, res, next) => {
    try {
      const started = performance.now();
      res.once('finish', () => {
        try {
          const latencyMs = performance.now() - started;
          const error = isError(res.statusCode);
          if (options.version !== undefined) client.track({ version: options.version, error, latencyMs });
          if (options.flags && options.flags.length > 0) {
            const context = options.context?.(req) ?? {};
            for (const flag of options.flags) client.track({ flag, context, error, latencyMs, ...(options.version !== undefined && { version: options.version }) });
          }
        } catch {
          // never break the response
        }
      });
    } catch {
      // never break the request
    }
    next?.();
  };
}
