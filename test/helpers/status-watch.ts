/**
 * Every status change of one transponder as find shows it, polled every few ms, so a
 * test can say "RESTORING was seen" (observed, not assumed) even when it lasts 500 ms.
 */
import type { TransponderInfo } from '../../src/transponder/transponder-api';

export interface SeenStatus {
  status: string;
  reason?: string;
  restoreAttempts: number;
  restores: number;
}

export class StatusWatch {
  readonly seen: SeenStatus[] = [];
  private readonly timer: NodeJS.Timeout;

  /** `find` reads the transponder (e.g. through TransponderManager.find); stop() ends the polling. */
  constructor(find: () => TransponderInfo | undefined, intervalMs = 5) {
    const poll = (): void => {
      const t = find();
      if (!t) return;
      const last = this.seen[this.seen.length - 1];
      if (!last || last.status !== t.status || last.reason !== t.reason || last.restores !== t.stats.restores) {
        this.seen.push({ status: t.status, reason: t.reason, restoreAttempts: t.stats.restoreAttempts, restores: t.stats.restores });
      }
    };
    poll();
    this.timer = setInterval(poll, intervalMs);
  }

  /** The statuses in order, repeats collapsed. */
  get statuses(): string[] {
    return this.seen.map((s) => s.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
