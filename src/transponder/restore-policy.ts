/**
 * When to try again after an RTMP push is lost, from the WCS settings
 * `rtmp_push_restore` (on/off), `rtmp_push_restore_attempts` (how many tries,
 * -1 = forever) and `rtmp_push_restore_interval` (ms between tries).
 *
 * Pure arithmetic: the owner counts its attempts and keeps the timer.
 */

/** What a push's owner needs of a policy (RestorePolicy, or a fake in tests). */
export interface RestoreRule {
  readonly enabled: boolean;
  /** Tries before giving up; -1 = forever (shown in the RESTORING reason). */
  readonly attempts: number;
  /** Delay before try n+1 (n tries made since the loss); undefined: give up. */
  nextDelay(attemptsSoFar: number): number | undefined;
}

export interface RestorePolicyOptions {
  /** rtmp_push_restore: false = a lost push ends at once. */
  enabled: boolean;
  /** rtmp_push_restore_attempts: tries before giving up; -1 = never give up; 0 = no tries. */
  attempts: number;
  /** rtmp_push_restore_interval: wait before each try, ms. */
  intervalMs: number;
}

export class RestorePolicy implements RestoreRule {
  readonly enabled: boolean;
  readonly attempts: number;
  readonly intervalMs: number;

  constructor(opts: RestorePolicyOptions) {
    if (!Number.isInteger(opts.attempts) || opts.attempts < -1) {
      throw new RangeError(`restore attempts must be an integer >= -1, got ${opts.attempts}`);
    }
    if (!Number.isFinite(opts.intervalMs) || opts.intervalMs < 0) {
      throw new RangeError(`restore interval must be a finite number of ms >= 0, got ${opts.intervalMs}`);
    }
    this.enabled = opts.enabled;
    this.attempts = opts.attempts;
    this.intervalMs = opts.intervalMs;
  }

  /**
   * Delay before the next try, given how many tries were already made since the
   * push was lost (0 before the first). `undefined` means give up.
   */
  nextDelay(attemptsSoFar: number): number | undefined {
    if (!Number.isInteger(attemptsSoFar) || attemptsSoFar < 0) {
      throw new RangeError(`attemptsSoFar must be an integer >= 0, got ${attemptsSoFar}`);
    }
    if (!this.enabled) return undefined;
    if (this.attempts !== -1 && attemptsSoFar >= this.attempts) return undefined;
    return this.intervalMs;
  }
}
