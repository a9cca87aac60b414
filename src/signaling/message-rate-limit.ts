/**
 * Messages per second of one signaling session: a token bucket. A session starts with
 * `burst` tokens, gains `perSecond` tokens a second up to `burst`, and each message takes
 * one. A message without a token is dropped before it is read (no JSON parse, no work),
 * and the client is told with a `fail` at most once a second, so the answer to a flood is
 * not a flood of its own. The session itself stays open and its streams go on: a page
 * with a bug in a loop should lose its extra messages, not its live stream.
 *
 * Options come through a getter, so a settings reload reaches every open session.
 */
import { systemClock, type Clock } from '../util/clock';

export interface MessageRateOptions {
  /** Average messages per second; 0 for no limit. */
  perSecond: number;
  /** Messages allowed at once above the average (the bucket's size). */
  burst: number;
}

/** `refuse-and-tell`: drop it and send a `fail`; `refuse`: drop it silently (told recently). */
export type MessageAdmission = 'admit' | 'refuse' | 'refuse-and-tell';

/** How often a flooding client hears about it. */
export const REFUSAL_NOTICE_INTERVAL_MS = 1000;

export class MessageRateLimit {
  private tokens: number;
  private refilledAt: number;
  private toldAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: () => MessageRateOptions, private readonly clock: Clock = systemClock) {
    this.tokens = Math.max(1, options().burst);
    this.refilledAt = clock.now();
  }

  admit(): MessageAdmission {
    const { perSecond, burst } = this.options();
    if (perSecond <= 0) return 'admit';
    const now = this.clock.now();
    const size = Math.max(1, burst);
    this.tokens = Math.min(size, this.tokens + ((now - this.refilledAt) * perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'admit';
    }
    if (now - this.toldAt < REFUSAL_NOTICE_INTERVAL_MS) return 'refuse';
    this.toldAt = now;
    return 'refuse-and-tell';
  }
}

/** The `fail` info a flooding client gets. */
export function messageRateInfo(o: MessageRateOptions): string {
  return `Too many messages: the limit is ${o.perSecond} per second (bursts of ${o.burst}); messages above it are dropped`;
}
