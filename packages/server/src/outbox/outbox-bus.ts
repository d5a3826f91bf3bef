import type { OutboxEvent } from './outbox-store.js';

export type OutboxListener = (event: OutboxEvent) => void;

/**
 * In-process subscription to committed outbox events. Listeners run after the transaction commits;
 * a listener that throws is isolated from the others and from the request.
 */
export class OutboxBus {
  private readonly listeners = new Set<OutboxListener>();

  subscribe(listener: OutboxListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: OutboxEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure must never fail the mutation that already committed.
      }
    }
  }
}
