import { EventEmitter } from 'node:events';

/** An event map: event name → listener argument tuple. */
export type EventMap = Record<string, unknown[]>;

/**
 * Typed events whose emit never throws: a listener that throws is reported through
 * `onListenerError` and the other listeners still run, so a consumer bug cannot corrupt
 * the state of the object that emits.
 */
export class SafeEmitter<E extends EventMap> {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => {}) {
    this.emitter.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }

  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    for (const listener of this.emitter.rawListeners(event)) {
      try {
        (listener as (...a: unknown[]) => void).apply(this, args);
      } catch (error) {
        try { this.onListenerError(event, error); } catch { /* nothing more we can do */ }
      }
    }
  }

  protected removeAllListeners(): void {
    this.emitter.removeAllListeners();
  }
}
