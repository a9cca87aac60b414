/**
 * At most `max` hook requests open at once. Waiters are served in order, direct calls
 * (connect, publishStream: a user waits on them) before events. A waiter whose signal
 * aborts leaves the line; close() turns every waiter away.
 */
export type HookPriority = 'direct' | 'event';

interface Waiter {
  grant: (release: () => void) => void;
  refuse: (error: Error) => void;
}

export class InFlightLimit {
  private open = 0;
  private readonly lines: Record<HookPriority, Waiter[]> = { direct: [], event: [] };
  private closed = false;

  constructor(private max: number) {}

  get inFlight(): number {
    return this.open;
  }

  get waiting(): number {
    return this.lines.direct.length + this.lines.event.length;
  }

  setMax(max: number): void {
    this.max = max;
    this.serve();
  }

  /** Resolves with a release function once a slot is free; rejects on abort or close. */
  acquire(priority: HookPriority, signal: AbortSignal): Promise<() => void> {
    if (this.closed) return Promise.reject(new Error('hook client closed'));
    if (signal.aborted) return Promise.reject(new Error('aborted'));
    return new Promise((resolve, reject) => {
      const line = this.lines[priority];
      const onAbort = (): void => {
        const i = line.indexOf(waiter);
        if (i >= 0) line.splice(i, 1);
        reject(new Error('aborted'));
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
        refuse: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      line.push(waiter);
      this.serve();
    });
  }

  close(): void {
    this.closed = true;
    for (const w of [...this.lines.direct.splice(0), ...this.lines.event.splice(0)]) w.refuse(new Error('hook client closed'));
  }

  private serve(): void {
    while (this.open < this.max) {
      const next = this.lines.direct.shift() ?? this.lines.event.shift();
      if (!next) return;
      this.open++;
      let released = false;
      next.grant(() => {
        if (released) return;
        released = true;
        this.open--;
        this.serve();
      });
    }
  }
}
