import { EventEmitter } from 'node:events';

/**
 * In-process wake-ups: the runner is nudged when there is work, log followers when a deployment
 * changed. Other server processes notice the same changes by polling the database.
 */
export class DeploymentSignals {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** There may be work for the runner. */
  nudge(): void {
    this.emitter.emit('work');
  }

  /** Deployment `id` has new logs or a new state. */
  changed(id: string): void {
    this.emitter.emit(`changed:${id}`);
    this.emitter.emit('work');
  }

  onWork(listener: () => void): () => void {
    this.emitter.on('work', listener);
    return () => this.emitter.off('work', listener);
  }

  onChange(id: string, listener: () => void): () => void {
    this.emitter.on(`changed:${id}`, listener);
    return () => this.emitter.off(`changed:${id}`, listener);
  }
}
