import type { FlagDelivery } from '../sdk/flag-delivery.js';
import type { FanoutTransport, FlagFanout } from './flag-fanout.js';
import { PostgresTransport } from './postgres-transport.js';
import { RedisTransport } from './redis-transport.js';

export interface FanoutOptions {
  /** Set on PostgreSQL: LISTEN/NOTIFY is the default transport there. */
  postgresUrl: string | null;
  /** When set, Redis pub/sub carries the messages instead. */
  redisUrl: string | null;
  /** How often loaded rule sets are checked against the database, in case a message was lost. */
  reconcileIntervalMs?: number;
  onError(error: unknown): void;
}

/**
 * Connects the flag fan-out between replicas: Redis pub/sub when REDIS_URL is set, else
 * LISTEN/NOTIFY on PostgreSQL, else nothing (SQLite: one process, in-process delivery).
 * Returns the stop function. A transport that cannot connect at start does not stop the
 * server: the periodic version check still brings every replica up to date, only slower.
 */
export async function startFlagFanout(fanout: FlagFanout, delivery: FlagDelivery, options: FanoutOptions): Promise<() => Promise<void>> {
  let transport: FanoutTransport | null = null;
  if (options.redisUrl !== null) transport = new RedisTransport(options.redisUrl, options.onError);
  else if (options.postgresUrl !== null) transport = new PostgresTransport(options.postgresUrl, options.onError);
  if (transport === null) return async () => {};
  delivery.startReconciling(options.reconcileIntervalMs ?? 5_000);
  try {
    await fanout.start(transport);
  } catch (error) {
    options.onError(error);
    await transport.stop().catch(() => {});
  }
  return async () => {
    delivery.stopReconciling();
    await fanout.stop();
  };
}
