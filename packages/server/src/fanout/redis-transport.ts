import type { Redis } from 'ioredis';
import { FANOUT_CHANNEL, type FanoutTransport } from './flag-fanout.js';

/**
 * Fan-out through Redis pub/sub (when REDIS_URL is set): one subscriber connection and one for
 * publishing. ioredis reconnects and re-subscribes by itself; after a reconnection the fan-out
 * re-checks every version, since messages published meanwhile are gone.
 */
export class RedisTransport implements FanoutTransport {
  readonly name = 'redis-pubsub';
  private sub: Redis | null = null;
  private pub: Redis | null = null;

  constructor(
    private readonly url: string,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly channel = FANOUT_CHANNEL,
  ) {}

  async start(onMessage: (raw: string) => void, onReconnect: () => void): Promise<void> {
    const { Redis: RedisClient } = await import('ioredis');
    const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: false };
    const sub = new RedisClient(this.url, options);
    const pub = new RedisClient(this.url, options);
    sub.on('error', this.onError);
    pub.on('error', this.onError);
    let ready = false;
    sub.on('ready', () => {
      if (ready) onReconnect();
      ready = true;
    });
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) onMessage(message);
    });
    try {
      await Promise.all([sub.connect(), pub.connect()]);
      await sub.subscribe(this.channel);
    } catch (error) {
      sub.disconnect();
      pub.disconnect();
      throw error;
    }
    this.sub = sub;
    this.pub = pub;
  }

  async send(raw: string): Promise<void> {
    if (this.pub === null) throw new Error('Redis fan-out is not started');
    await this.pub.publish(this.channel, raw);
  }

  async stop(): Promise<void> {
    const clients = [this.sub, this.pub];
    this.sub = null;
    this.pub = null;
    await Promise.all(clients.map((c) => (c === null ? undefined : c.quit().catch(() => c.disconnect()))));
  }
}
