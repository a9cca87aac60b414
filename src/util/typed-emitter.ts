/**
 * A small typed event emitter. `emit` is "safe": a listener that throws is reported
 * to the error handler given at construction (or the console) and never breaks the
 * emitter or the other listeners — an owner's bug must not corrupt a media object's
 * state.
 */
export type EventMap = { [event: string]: unknown[] };
type Listener<A extends unknown[]> = (...args: A) => void;
type ErasedListener = (...args: unknown[]) => void;

export type ListenerErrorHandler = (event: string, error: unknown) => void;

const logToConsole: ListenerErrorHandler = (event, error) => console.error(`listener of "${event}" threw:`, error);

export class TypedEmitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Set<ErasedListener>>();

  constructor(private readonly onListenerError: ListenerErrorHandler = logToConsole) {}

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as unknown as ErasedListener);
    return this;
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapper = (...args: E[K]): void => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    this.listeners.get(event)?.delete(listener as unknown as ErasedListener);
    return this;
  }

  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<E[K]>)(...args);
      } catch (error) {
        try {
          this.onListenerError(String(event), error);
        } catch {
          // nothing more can be done about an error handler that throws
        }
      }
    }
  }
}
