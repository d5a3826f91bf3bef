import { randomUUID } from 'node:crypto';
import type { RuleSetPatchBody } from '../flags/flag-change-store.js';

/** An environment's rule set reached `version` (the receiver reads the patches from the database). */
export interface RuleSetNotice {
  readonly type: 'ruleset';
  readonly project: string;
  readonly environment: string;
  readonly version: number;
  /**
   * The committed change itself, when it is small enough to travel with the notice: a receiver one
   * version behind applies it without reading the change log (one database round trip less
   * between a change and every SDK stream).
   */
  readonly patch?: RuleSetPatchBody;
}

/** Notices carry their patch up to this size (PostgreSQL NOTIFY payloads end at 8,000 bytes). */
const MAX_CARRIED_PATCH = 6_000;

/** SDK keys were revoked: drop cached key lookups. */
export interface SdkKeysNotice {
  readonly type: 'sdk-keys';
}

/** The transport reconnected and may have missed messages: re-check every version. */
export interface ResyncNotice {
  readonly type: 'resync';
}

export type FanoutMessage = RuleSetNotice | SdkKeysNotice | ResyncNotice;

export type FanoutListener = (message: FanoutMessage) => void;

/** Carries messages between server processes (PostgreSQL LISTEN/NOTIFY, Redis pub/sub). */
export interface FanoutTransport {
  readonly name: string;
  /** Connects; `onMessage` gets every raw message published by any process, `onReconnect` after a reconnection. */
  start(onMessage: (raw: string) => void, onReconnect: () => void): Promise<void>;
  send(raw: string): Promise<void>;
  stop(): Promise<void>;
}

export const FANOUT_CHANNEL = 'slipway_flags';

function parse(raw: string): (FanoutMessage & { o?: unknown }) | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  if (m.type === 'sdk-keys') return { type: 'sdk-keys', o: m.o };
  if (m.type === 'ruleset' && typeof m.project === 'string' && typeof m.environment === 'string' && Number.isInteger(m.version)) {
    const patch = typeof m.patch === 'object' && m.patch !== null && !Array.isArray(m.patch) ? (m.patch as RuleSetPatchBody) : undefined;
    return { type: 'ruleset', project: m.project, environment: m.environment, version: m.version as number, ...(patch && { patch }), o: m.o };
  }
  return null;
}

/**
 * Announces committed flag changes to every interested part of this process at once, and to
 * the other replicas through the transport when one is started. Without a transport (SQLite,
 * tests) delivery is in-process only, which is all a single process needs.
 */
export class FlagFanout {
  private readonly listeners = new Set<FanoutListener>();
  private transport: FanoutTransport | null = null;
  /** Identifies this process's own messages when the transport echoes them back. */
  readonly origin = randomUUID();

  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  get transportName(): string {
    return this.transport?.name ?? 'in-process';
  }

  subscribe(listener: FanoutListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Call after the change committed. Never throws. */
  publish(message: FanoutMessage): void {
    this.deliver(message);
    const transport = this.transport;
    if (transport !== null) {
      let raw = JSON.stringify({ ...message, o: this.origin });
      if (raw.length > MAX_CARRIED_PATCH && message.type === 'ruleset' && message.patch !== undefined) {
        const { patch: _tooBig, ...notice } = message;
        raw = JSON.stringify({ ...notice, o: this.origin });
      }
      transport.send(raw).catch((error: unknown) => this.onError(error));
    }
  }

  async start(transport: FanoutTransport): Promise<void> {
    await transport.start(
      (raw) => {
        const message = parse(raw);
        if (message === null || message.o === this.origin) return;
        const { o: _origin, ...rest } = message;
        this.deliver(rest as FanoutMessage);
      },
      () => this.deliver({ type: 'resync' }),
    );
    this.transport = transport;
  }

  async stop(): Promise<void> {
    const transport = this.transport;
    this.transport = null;
    if (transport !== null) await transport.stop();
  }

  private deliver(message: FanoutMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (error) {
        // One subscriber's failure must not keep the change from the others.
        this.onError(error);
      }
    }
  }
}
