/**
 * What the signaling limits refused, counted since start (for logs and for Prometheus:
 * `SignalingServer.refusals` is read, never reset), and the log lines about it: the first
 * refusal of each kind in every interval is logged with the running total and how many
 * went unlogged since the previous line, so a flood cannot flood the log.
 */
import type { Logger } from '../log';
import { systemClock, type Clock } from '../util/clock';

export type RefusalKind = 'sessionsPerAddress' | 'messageRate' | 'streamsPerSession' | 'streamsTotal';

export type RefusalCounts = { readonly [K in RefusalKind]: number };

export const REFUSAL_LOG_INTERVAL_MS = 10_000;

export class SignalingRefusals {
  private readonly totals: Record<RefusalKind, number> = { sessionsPerAddress: 0, messageRate: 0, streamsPerSession: 0, streamsTotal: 0 };
  private readonly unlogged: Record<RefusalKind, number> = { sessionsPerAddress: 0, messageRate: 0, streamsPerSession: 0, streamsTotal: 0 };
  private readonly loggedAt: Record<RefusalKind, number> = {
    sessionsPerAddress: Number.NEGATIVE_INFINITY,
    messageRate: Number.NEGATIVE_INFINITY,
    streamsPerSession: Number.NEGATIVE_INFINITY,
    streamsTotal: Number.NEGATIVE_INFINITY,
  };

  constructor(private readonly log: Pick<Logger, 'warn'>, private readonly clock: Clock = systemClock) {}

  /** Totals since start, by kind. */
  get counts(): RefusalCounts {
    return this.totals;
  }

  /** Counts one refusal; logs it unless one of its kind was logged within the interval. */
  record(kind: RefusalKind, fields: Record<string, unknown>): void {
    this.totals[kind]++;
    const now = this.clock.now();
    if (now - this.loggedAt[kind] < REFUSAL_LOG_INTERVAL_MS) {
      this.unlogged[kind]++;
      return;
    }
    this.log.warn('signaling limit refused', { refusal: kind, ...fields, total: this.totals[kind], unloggedSinceLastLine: this.unlogged[kind] });
    this.loggedAt[kind] = now;
    this.unlogged[kind] = 0;
  }
}
