import type pg from 'pg';
import { FANOUT_CHANNEL, type FanoutTransport } from './flag-fanout.js';

/**
 * Fan-out through PostgreSQL LISTEN/NOTIFY on one dedicated connection (a pooled connection
 * cannot hold a LISTEN). A lost connection is re-opened with backoff; the fan-out then re-checks
 * every version, since notifications sent meanwhile are gone.
 */
export class PostgresTransport implements FanoutTransport {
  readonly name = 'postgres-listen-notify';
  private client: pg.Client | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private onMessage: (raw: string) => void = () => {};
  private onReconnect: () => void = () => {};

  constructor(
    private readonly url: string,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly channel = FANOUT_CHANNEL,
  ) {}

  async start(onMessage: (raw: string) => void, onReconnect: () => void): Promise<void> {
    this.onMessage = onMessage;
    this.onReconnect = onReconnect;
    await this.connect();
  }

  async send(raw: string): Promise<void> {
    const client = this.client;
    if (client === null) throw new Error('the LISTEN connection is down; the periodic version check will catch up');
    await client.query('SELECT pg_notify($1, $2)', [this.channel, raw]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client !== null) await client.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: this.url });
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload !== undefined) this.onMessage(n.payload);
    });
    const lost = (error?: unknown) => {
      if (error !== undefined) this.onError(error);
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => {});
      this.scheduleReconnect(500);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.client = client;
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => this.onReconnect(),
        (error: unknown) => {
          this.onError(error);
          this.scheduleReconnect(Math.min(delayMs * 2, 10_000));
        },
      );
    }, delayMs);
    this.retryTimer.unref();
  }
}
