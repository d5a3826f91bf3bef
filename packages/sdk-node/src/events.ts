/**
 * A minimal typed event emitter. Unlike Node's EventEmitter, an `error` event
 * without a listener does not throw, and a throwing listener is reported to the
 * logger instead of breaking the SDK's update loop.
 */
import type { Logger } from './options.js';

/** Listener signatures per event name. */
export type Listeners<Events> = { [K in keyof Events]: (payload: Events[K]) => void };

export class TypedEmitter<Events> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof Events>(event: K, listener: Listeners<Events>[K]): void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
  }

  off<K extends keyof Events>(event: K, listener: Listeners<Events>[K]): void {
    this.listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  once<K extends keyof Events>(event: K, listener: Listeners<Events>[K]): void {
    const wrapper = ((payload: Events[K]) => {
      this.off(event, wrapper);
      listener(payload);
    }) as Listeners<Events>[K];
    this.on(event, wrapper);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (e) {
        this.logger.error(`a "${String(event)}" listener threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
