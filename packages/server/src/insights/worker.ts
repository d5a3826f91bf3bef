import type { OutboxBus } from '../outbox/outbox-bus.js';

/** One piece of background work of the insights features; it must be safe to run on every replica at once. */
export interface Job {
  name: string;
  run(): Promise<unknown>;
}

/**
 * Runs the insights' background jobs (firing test schedules and driving their runs, the weekly
 * digest, calendar reminders, the durable outbox consumers) on a timer, and soon after this process
 * commits an event. Every job claims its work in the database, so replicas and restarts never do a
 * thing twice and a crash never loses one. Tests call `runOnce()` instead of starting the timer.
 */
export class InsightsWorker {
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;
  private again = false;
  private running = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly jobs: Job[],
    private readonly pollMs: number,
    private readonly onError?: (error: unknown, context: string) => void,
  ) {}

  /** Every job once, in order; a failing job does not stop the others. */
  async runOnce(): Promise<void> {
    for (const job of this.jobs) {
      try {
        await job.run();
      } catch (error) {
        this.onError?.(error, `insights job ${job.name}`);
      }
    }
  }

  start(bus: OutboxBus): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = bus.subscribe(() => this.nudge());
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.busy;
  }

  private nudge(): void {
    if (!this.running) return;
    if (this.busy) this.again = true;
    else this.schedule(50);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), ms);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    if (this.busy || !this.running) return;
    this.timer = null;
    this.busy = (async () => {
      do {
        this.again = false;
        await this.runOnce();
      } while (this.again && this.running);
    })();
    await this.busy;
    this.busy = null;
    if (this.running) this.schedule(this.pollMs);
  }
}
