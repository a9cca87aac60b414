/**
 * Slows down password guessing against the REST API: each client address (IPv6 by /64,
 * see util/address-group.ts) may send `maxFailures` wrong credentials within a window of
 * `windowMs` that starts at its first failure. Past that budget its requests are answered
 * 429 with Retry-After until the window ends, without comparing anything, so a guess
 * costs the guesser a window instead of a microsecond.
 *
 * Rules, and why:
 * - Only requests that present credentials and fail count; a request without an
 *   Authorization header is no guess (every page load starts with one).
 * - A success resets nothing: an admin polling from behind the same NAT as a guesser
 *   must not refill the guesser's budget. Other addresses are never touched.
 * - Memory is bounded: at most `maxAddresses` entries. Besides the Map by address, a
 *   queue holds the entries in the order their windows started, which is the order they
 *   expire in: expired ones are pruned from its front, and when the table is full the
 *   oldest window is evicted (it is the one closest to its end anyway). (Not the Map's own
 *   order: V8 leaves deleted slots at a Map's front until it rehashes, so taking its first
 *   key after many deletions walks them all.) A guesser with more addresses than the table
 *   holds can push its own entries out: that is what a real rate limiter in front is for
 *   (README, "Securing a public server").
 *
 * In-memory and per process: a restart forgets every count.
 */
import { systemClock, type Clock } from '../util/clock';
import { Fifo } from '../util/fifo';

export interface AuthFailureLimiterOptions {
  /** Wrong credentials allowed per address within one window; 0 turns the limiter off. */
  maxFailures: number;
  /** Length of the window, from an address's first failure in it. */
  windowMs: number;
  /** Addresses tracked at once; more evict the oldest. */
  maxAddresses: number;
}

/** What the limiter has done since it started, for logs and metrics. */
export interface AuthFailureLimiterStats {
  /** Wrong credentials counted. */
  failures: number;
  /** Requests answered 429 without a comparison. */
  refused: number;
  /** Entries pushed out because the table was full. */
  evictions: number;
}

interface Entry {
  address: string;
  windowStart: number;
  failures: number;
}

export class AuthFailureLimiter {
  private readonly entries = new Map<string, Entry>();
  /** Every entry in the Map, oldest window first; may also hold entries the Map dropped as expired. */
  private readonly byAge = new Fifo<Entry>();
  private opts: AuthFailureLimiterOptions;
  readonly stats: AuthFailureLimiterStats = { failures: 0, refused: 0, evictions: 0 };

  constructor(options: AuthFailureLimiterOptions, private readonly clock: Clock = systemClock) {
    this.opts = AuthFailureLimiter.checked(options);
  }

  /** Throws as update() would, changing nothing (a reload checks every part before it applies any). */
  static validate(o: AuthFailureLimiterOptions): void {
    AuthFailureLimiter.checked(o);
  }

  private static checked(o: AuthFailureLimiterOptions): AuthFailureLimiterOptions {
    if (!Number.isInteger(o.maxFailures) || o.maxFailures < 0) throw new RangeError('maxFailures must be an integer >= 0');
    if (!(o.windowMs > 0)) throw new RangeError('windowMs must be > 0');
    if (!Number.isInteger(o.maxAddresses) || o.maxAddresses < 1) throw new RangeError('maxAddresses must be an integer >= 1');
    return { ...o };
  }

  get enabled(): boolean {
    return this.opts.maxFailures > 0;
  }

  /** Addresses currently tracked (bounded by maxAddresses). */
  get trackedAddresses(): number {
    return this.entries.size;
  }

  /** New limits, live (settings reload). Counts kept; a smaller table sheds its oldest entries. */
  update(options: AuthFailureLimiterOptions): void {
    this.opts = AuthFailureLimiter.checked(options);
    if (!this.enabled) {
      this.entries.clear();
      this.byAge.clear();
    }
    this.pruneExpired();
    while (this.entries.size > this.opts.maxAddresses) this.evictOldest();
  }

  /**
   * 0 when `address` may try; otherwise the milliseconds until it may, and the request
   * must be refused without checking its credentials.
   */
  retryAfterMs(address: string): number {
    if (!this.enabled) return 0;
    const entry = this.live(address);
    if (!entry || entry.failures < this.opts.maxFailures) return 0;
    this.stats.refused++;
    return Math.max(1, entry.windowStart + this.opts.windowMs - this.clock.now());
  }

  /** Counts one wrong credential from `address`. */
  recordFailure(address: string): void {
    if (!this.enabled) return;
    this.stats.failures++;
    const entry = this.live(address);
    if (entry) {
      entry.failures++;
      return;
    }
    this.pruneExpired();
    if (this.entries.size >= this.opts.maxAddresses) this.evictOldest();
    const created: Entry = { address, windowStart: this.clock.now(), failures: 1 };
    this.entries.set(address, created);
    this.byAge.push(created);
  }

  /** The entry of `address` if its window is still open; an expired one is dropped. */
  private live(address: string): Entry | undefined {
    const entry = this.entries.get(address);
    if (!entry) return undefined;
    if (this.clock.now() - entry.windowStart < this.opts.windowMs) return entry;
    this.entries.delete(address);
    return undefined;
  }

  /**
   * Drops expired entries from the front of the queue. Entries the Map already dropped
   * (expired when their address came back) are expired too, so they go here as well:
   * after a prune the queue holds exactly the Map's entries.
   */
  private pruneExpired(): void {
    const now = this.clock.now();
    for (let oldest = this.byAge.peek(); oldest && now - oldest.windowStart >= this.opts.windowMs; oldest = this.byAge.peek()) {
      this.byAge.shift();
      if (this.entries.get(oldest.address) === oldest) this.entries.delete(oldest.address);
    }
  }

  private evictOldest(): void {
    const oldest = this.byAge.shift();
    if (!oldest) return;
    if (this.entries.get(oldest.address) === oldest) this.entries.delete(oldest.address);
    this.stats.evictions++;
  }
}
