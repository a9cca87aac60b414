/**
 * Events to a backend, delivered in order per key (one stream, one session): one in
 * flight per key, the next only after the previous one was taken or given up. An event
 * the backend did not take (no answer, 5xx) is tried again after a doubling pause, up to
 * `attempts` tries, then dropped and counted. Keys do not wait for each other, so one
 * slow stream never holds back the events of another. Timers run on the given Clock;
 * close() clears them and aborts what is in flight.
 */
import type { Clock } from '../../util/clock';

export type DeliveryOutcome = 'taken' | 'retry';

export interface OrderedEventQueueOptions<T> {
  /** tries of one event, the first included */
  attempts: number;
  /** pause before the second try; doubled for each further one */
  firstPauseMs: number;
  /** events waiting across all keys; more are dropped */
  maxQueued: number;
  clock: Clock;
  deliver: (event: T, signal: AbortSignal) => Promise<DeliveryOutcome>;
  /** called once per dropped event, with the running count of drops */
  onDrop: (event: T, why: string, dropped: number) => void;
}

interface Lane<T> {
  events: T[];
  /** tries of the head event so far */
  tries: number;
  busy: boolean;
  timer?: unknown;
  abort?: AbortController;
}

export interface EventQueueStats {
  queued: number;
  delivered: number;
  retried: number;
  dropped: number;
}

export class OrderedEventQueue<T> {
  private readonly lanes = new Map<string, Lane<T>>();
  private queued = 0;
  private delivered = 0;
  private retried = 0;
  private dropped = 0;
  private closed = false;

  constructor(private readonly opts: OrderedEventQueueOptions<T>) {}

  get stats(): EventQueueStats {
    return { queued: this.queued, delivered: this.delivered, retried: this.retried, dropped: this.dropped };
  }

  setAttempts(attempts: number): void {
    this.opts.attempts = attempts;
  }

  push(key: string, event: T): void {
    if (this.closed) {
      this.drop(event, 'the hook client is closed');
      return;
    }
    if (this.queued >= this.opts.maxQueued) {
      this.drop(event, `more than ${this.opts.maxQueued} events waiting`);
      return;
    }
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { events: [], tries: 0, busy: false };
      this.lanes.set(key, lane);
    }
    lane.events.push(event);
    this.queued++;
    this.run(key, lane);
  }

  /** Drops what waits (counted), clears every pause, aborts every delivery. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const lane of this.lanes.values()) {
      if (lane.timer !== undefined) this.opts.clock.clearTimeout(lane.timer);
      lane.timer = undefined;
      lane.abort?.abort();
      for (const event of lane.events.splice(0)) {
        this.queued--;
        this.drop(event, 'the hook client closed');
      }
    }
    this.lanes.clear();
  }

  private run(key: string, lane: Lane<T>): void {
    if (this.closed || lane.busy || lane.timer !== undefined) return;
    const event = lane.events[0];
    if (event === undefined) {
      this.lanes.delete(key);
      return;
    }
    lane.busy = true;
    lane.tries++;
    const abort = new AbortController();
    lane.abort = abort;
    this.opts
      .deliver(event, abort.signal)
      .catch((): DeliveryOutcome => 'retry')
      .then((outcome) => {
        lane.busy = false;
        lane.abort = undefined;
        if (this.closed) return;
        if (outcome === 'taken') {
          this.delivered++;
          this.next(lane);
          this.run(key, lane);
          return;
        }
        if (lane.tries >= this.opts.attempts) {
          this.next(lane);
          this.drop(event, `not taken after ${this.opts.attempts} tries`);
          this.run(key, lane);
          return;
        }
        this.retried++;
        const pause = this.opts.firstPauseMs * 2 ** (lane.tries - 1);
        lane.timer = this.opts.clock.setTimeout(() => {
          lane.timer = undefined;
          this.run(key, lane);
        }, pause);
      });
  }

  private next(lane: Lane<T>): void {
    lane.events.shift();
    lane.tries = 0;
    this.queued--;
  }

  private drop(event: T, why: string): void {
    this.dropped++;
    this.opts.onDrop(event, why, this.dropped);
  }
}
