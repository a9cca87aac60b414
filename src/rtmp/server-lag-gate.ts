/**
 * Whether a push may hand media to its socket, judged in media time from the server's
 * acknowledgements (AckTracker.unreceivedMs): once more than `maxLagMs` of media is on
 * its way and surely not received, more bytes in the kernel would only put the viewer
 * further behind live, so media waits in the DropQueue (where non-key video can still
 * be dropped) until the server has caught up to `resumeLagMs`. OBS bounds its backlog
 * the same way, in time (its drop threshold), not in bytes. Pure: time comes in as
 * arguments.
 *
 * It never holds on a guess:
 *   - no acknowledgement yet on the connection (lag unknown): media flows, bounded by
 *     bytes only, as with a server that never acknowledges;
 *   - acknowledgements silent for `ackSilenceMs` while holding: the server may read
 *     without acknowledging any more, and a push must not wait for acks forever, so
 *     media flows again (bytes bound only) until the next acknowledgement.
 */

/** A server frozen this long is ridden out on bytes alone; one that stops acknowledging is too. */
export const DEFAULT_ACK_SILENCE_MS = 30_000;

export interface ServerLagGateOptions {
  /** Hold media back once this much (ms) is surely not received. */
  maxLagMs: number;
  /** Let media go again once at most this much is surely not received; default maxLagMs / 2. */
  resumeLagMs?: number;
  /** While holding, acknowledgements silent this long are no longer trusted; default 30 s. */
  ackSilenceMs?: number;
}

export class ServerLagGate {
  readonly maxLagMs: number;
  readonly resumeLagMs: number;
  readonly ackSilenceMs: number;
  private held = false;
  private holdCount = 0;

  constructor(opts: ServerLagGateOptions) {
    if (!Number.isFinite(opts.maxLagMs) || opts.maxLagMs <= 0) {
      throw new RangeError(`maxLagMs must be a positive number, got ${opts.maxLagMs}`);
    }
    this.maxLagMs = opts.maxLagMs;
    this.resumeLagMs = Math.min(opts.resumeLagMs ?? opts.maxLagMs / 2, opts.maxLagMs);
    this.ackSilenceMs = opts.ackSilenceMs ?? DEFAULT_ACK_SILENCE_MS;
  }

  /** True while media is held back. */
  get holding(): boolean {
    return this.held;
  }

  /** How many times holding began. */
  get holds(): number {
    return this.holdCount;
  }

  /**
   * Decides, and returns whether media may be written now. `lagMs`: media surely not
   * received, undefined while the server has never acknowledged; `msSinceAck`: time
   * since its latest acknowledgement.
   */
  check(lagMs: number | undefined, msSinceAck: number): boolean {
    if (lagMs === undefined || msSinceAck >= this.ackSilenceMs) {
      this.held = false;
    } else if (this.held) {
      if (lagMs <= this.resumeLagMs) this.held = false;
    } else if (lagMs > this.maxLagMs) {
      this.held = true;
      this.holdCount++;
    }
    return !this.held;
  }
}
