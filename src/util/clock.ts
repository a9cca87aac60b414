/**
 * Time for code that paces, waits or measures: one small interface, so that
 * orchestration depends on it and tests hand it a fake clock that moves only when
 * told (test/helpers/fake-clock.ts), instead of sleeping.
 *
 * Handles are opaque (`unknown`): Node's Timeout objects for the system clock,
 * whatever a fake chooses in tests.
 */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Monotonic milliseconds (fractional); never a calendar date. */
  now(): number;
  /** Calls `fn` once after `ms`; the handle cancels it. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a pending call; a handle already fired or cleared is ignored. */
  clearTimeout(handle: unknown): void;
}

/** performance.now() and Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Calls `fn` every `periodMs` on `clock` while running: one pending timeout at a
 * time, the next one armed after `fn` returns, so a tick never overlaps the
 * previous one. Callers that must not drift compute what is due from clock.now().
 */
export class RepeatingTimer {
  private handle: unknown = undefined;
  private armed = false;

  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly fn: () => void,
  ) {}

  get running(): boolean {
    return this.armed;
  }

  /** Starts ticking; does nothing when already running. */
  start(): void {
    if (this.armed) return;
    this.armed = true;
    this.arm();
  }

  /** Stops ticking; safe to call at any time, also from inside `fn`. */
  stop(): void {
    if (!this.armed) return;
    this.armed = false;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private arm(): void {
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      try {
        this.fn();
      } finally {
        if (this.armed && this.handle === undefined) this.arm();
      }
    }, this.periodMs);
  }
}
