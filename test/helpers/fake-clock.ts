/**
 * A clock the test moves by hand, in the shape of the shared Clock (now, setTimeout,
 * clearTimeout). advance() runs each due timer at its own time, in time order, so
 * timers that re-arm themselves behave as they would in real time.
 */
export class FakeClock {
  t = 0;
  timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 1;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: (typeof this.timers)[number] | undefined;
      for (const x of this.timers) if (x.at <= end && (due === undefined || x.at < due.at)) due = x;
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
}
