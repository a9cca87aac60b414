/**
 * A Clock that moves only when the test says so: timers fire in time order (ties in
 * the order they were set), each at its own time, during advance().
 */
import type { Clock } from '../../src/util/clock';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  t = 0;
  /** setTimeout calls so far (a component that must never arm a timer keeps it 0). */
  timeoutsSet = 0;
  private nextId = 1;
  private pending: Pending[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.timeoutsSet++;
    const id = this.nextId++;
    this.pending.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }

  /** Timers set and not yet fired or cleared. */
  get active(): number {
    return this.pending.length;
  }

  /**
   * Takes every pending timer out without running it, for a test that plays a blocked
   * event loop: it moves time itself, then runs them late.
   */
  takePending(): Array<() => void> {
    const fns = this.pending.map((p) => p.fn);
    this.pending = [];
    return fns;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, at its own time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending) if (p.at <= end && (next === undefined || p.at < next.at)) next = p;
      if (next === undefined) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}
