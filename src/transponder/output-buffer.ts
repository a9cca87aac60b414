/**
 * The outgoing RTMP buffer, WCS `rtmp_out_buffer_*` settings.
 *
 * Media reaches the muxer in bursts (jitter buffer releases, ffmpeg output in
 * blocks). Some RTMP ingests (and the players behind them) cope badly with
 * bursts, so WCS can hold the outgoing tags and let them out paced by their
 * timestamps. This class does that and nothing else: it never reorders, never
 * drops, never looks inside a tag.
 *
 * Settings (the WCS docs in our reference corpus describe the twin
 * `rtmp_in_buffer_*` family with the same names: start_size "minimum buffer
 * volume to start, ms", initial_size "maximum buffer volume, ms", polling_time
 * "buffer polling period, ms", max_bufferings_allowed "maximum bufferings
 * amount allowed, -1 unlimited", and a PASSTHROUGH state; we read the out
 * buffer the same way):
 *
 *  - `enabled` false: every tag goes to the sink synchronously inside push(),
 *    zero added latency, no timer ever.
 *  - BUFFERING: tags are held until they span `startSizeMs` of media
 *    (newest timestamp - oldest held timestamp >= startSizeMs).
 *  - PLAYING: the oldest held tag (timestamp t0) is released at once at wall
 *    time w0; a tag with timestamp t goes out once now - w0 >= t - t0. Due tags
 *    are let out on every push and on a timer every `pollingTimeMs`, so a tag
 *    leaves at most one polling period after it is due.
 *  - Capacity `initialSizeMs`: the held tags never span more than this. A tag
 *    more than initialSizeMs older than the newest one goes out at once, and
 *    the pacing restarts from it (so latency does not creep up when the source
 *    clock runs faster than ours).
 *  - Underrun: a timer tick in PLAYING finds the buffer empty (nothing arrived
 *    for a whole polling period after it drained). It is counted, and the
 *    buffer goes back to BUFFERING — a new buffering episode — unless
 *    `maxBufferingsAllowed` episodes (the first one included) already
 *    happened: then it goes to PASSTHROUGH for good (as if disabled).
 *    maxBufferingsAllowed -1 = unlimited; 0 = passthrough from the start.
 *
 * Timer: runs only in PLAYING. BUFFERING changes only on push, PASSTHROUGH and
 * CLOSED need no timer.
 *
 * The sink is called synchronously from push(), flush() and timer ticks. If it
 * throws inside push() or flush(), the error reaches that caller (the tag
 * counts as released). If it throws in a timer tick, the buffer closes (held
 * tags are discarded and counted) and the next push() throws an error whose
 * `cause` is the sink's error — the owner learns of it on its own call path
 * instead of an uncaught exception in a timer.
 */
import { Fifo } from '../util/fifo';
import { RepeatingTimer, systemClock, type Clock } from '../util/clock';
import type { FlvTag } from '../flv/flv-tag';

export interface OutputBufferOptions {
  /** rtmp_out_buffer_enabled */
  enabled: boolean;
  /** rtmp_out_buffer_start_size: media (ms of timestamps) held before release starts. */
  startSizeMs: number;
  /** rtmp_out_buffer_initial_size: the most media (ms) ever held; must be >= startSizeMs. */
  initialSizeMs: number;
  /** rtmp_out_buffer_polling_time: timer period while playing, ms. */
  pollingTimeMs: number;
  /** rtmp_out_buffer_max_bufferings_allowed: buffering episodes before passthrough; -1 = unlimited. */
  maxBufferingsAllowed: number;
}

export type OutputBufferState = 'buffering' | 'playing' | 'passthrough' | 'closed';

export interface OutputBufferStats {
  state: OutputBufferState;
  /** Timestamp span of the held tags, ms. */
  bufferedMs: number;
  bufferedTags: number;
  /** Buffering episodes entered, the first one included. */
  bufferings: number;
  underruns: number;
  /** Tags handed to the sink. */
  releasedTags: number;
  /** Tags held when close() was called, never handed to the sink. */
  discardedTags: number;
}

function checkOptions(o: OutputBufferOptions): void {
  const finiteAtLeast = (name: string, v: number, min: number): void => {
    if (!Number.isFinite(v) || v < min) throw new RangeError(`output buffer ${name} must be a number >= ${min}, got ${v}`);
  };
  finiteAtLeast('startSizeMs', o.startSizeMs, 0);
  finiteAtLeast('initialSizeMs', o.initialSizeMs, o.startSizeMs);
  if (!Number.isFinite(o.pollingTimeMs) || o.pollingTimeMs <= 0) {
    throw new RangeError(`output buffer pollingTimeMs must be a number > 0, got ${o.pollingTimeMs}`);
  }
  if (!Number.isInteger(o.maxBufferingsAllowed) || o.maxBufferingsAllowed < -1) {
    throw new RangeError(`output buffer maxBufferingsAllowed must be an integer >= -1, got ${o.maxBufferingsAllowed}`);
  }
}

export class OutputBuffer {
  private readonly opts: OutputBufferOptions;
  private readonly sink: (tag: FlvTag) => void;
  private readonly clock: Clock;

  private current: OutputBufferState;
  /** Held tags, never reordered. */
  private readonly held = new Fifo<FlvTag>();
  /** Newest timestamp among the held tags. */
  private tailTs = 0;
  // Pacing: the tag with timestamp anchorTs went out at wall time anchorWall.
  private anchorTs = 0;
  private anchorWall = 0;
  private readonly timer: RepeatingTimer;

  private bufferings = 0;
  private underruns = 0;
  private releasedTags = 0;
  private discardedTags = 0;
  private sinkFailure: { error: unknown } | undefined;

  /**
   * Options are only checked when enabled (a disabled buffer ignores them).
   * @throws RangeError on options that make no sense.
   */
  constructor(opts: OutputBufferOptions, sink: (tag: FlvTag) => void, clock: Clock = systemClock) {
    if (opts.enabled) checkOptions(opts);
    this.opts = { ...opts };
    this.sink = sink;
    this.clock = clock;
    this.timer = new RepeatingTimer(clock, opts.pollingTimeMs, () => this.tick());
    if (!opts.enabled || opts.maxBufferingsAllowed === 0) {
      this.current = 'passthrough';
    } else {
      this.current = 'buffering';
      this.bufferings = 1;
    }
  }

  get state(): OutputBufferState {
    return this.current;
  }

  get closed(): boolean {
    return this.current === 'closed';
  }

  /**
   * Takes one tag, in timestamp order. May call the sink synchronously (always
   * in passthrough; in playing when tags are due or over capacity).
   * @throws Error when closed.
   */
  push(tag: FlvTag): void {
    if (this.current === 'closed') {
      throw this.sinkFailure
        ? new Error('OutputBuffer closed: its sink threw', { cause: this.sinkFailure.error })
        : new Error('OutputBuffer is closed');
    }
    if (this.current === 'passthrough') {
      this.deliver(tag);
      return;
    }
    if (this.held.length === 0 || tag.timestamp > this.tailTs) this.tailTs = tag.timestamp;
    this.held.push(tag);
    if (this.current === 'buffering' && this.span() >= this.opts.startSizeMs) this.startPlaying();
    if (this.current === 'playing') this.releaseDue();
  }

  /**
   * Hands every held tag to the sink now, in order. A playing buffer goes back
   * to buffering (not counted as an underrun or a new episode). No-op when closed.
   */
  flush(): void {
    while (this.current !== 'closed' && this.held.length > 0) this.deliver(this.held.shift()!);
    if (this.current === 'playing') {
      this.current = 'buffering';
      this.timer.stop();
    }
  }

  /**
   * Stops the timer and ends the buffer; safe to call twice. Held tags are NOT
   * handed to the sink (its owner is going away): they are discarded, counted
   * in stats().discardedTags, and their number is returned. Call flush() first
   * to deliver them instead.
   */
  close(): number {
    if (this.current === 'closed') return 0;
    this.timer.stop();
    const discarded = this.held.length;
    this.discardedTags += discarded;
    this.held.clear();
    this.current = 'closed';
    return discarded;
  }

  stats(): OutputBufferStats {
    return {
      state: this.current,
      bufferedMs: this.span(),
      bufferedTags: this.held.length,
      bufferings: this.bufferings,
      underruns: this.underruns,
      releasedTags: this.releasedTags,
      discardedTags: this.discardedTags,
    };
  }

  toJSON(): OutputBufferStats {
    return this.stats();
  }

  private span(): number {
    const oldest = this.held.peek();
    return oldest ? Math.max(0, this.tailTs - oldest.timestamp) : 0;
  }

  private startPlaying(): void {
    this.current = 'playing';
    this.anchorWall = this.clock.now();
    this.anchorTs = this.held.peek()!.timestamp;
    this.timer.start();
  }

  /** Lets out every tag that is due, and every tag beyond the capacity. */
  private releaseDue(): void {
    const now = this.clock.now();
    const elapsed = now - this.anchorWall;
    let forced = false;
    let forcedTs = 0;
    while (this.current === 'playing' && this.held.length > 0) {
      const ts = this.held.peek()!.timestamp;
      if (ts - this.anchorTs > elapsed) {
        if (this.tailTs - ts <= this.opts.initialSizeMs) break;
        forced = true;
        forcedTs = ts;
      }
      this.deliver(this.held.shift()!);
    }
    // Tags let out early move the schedule forward: pacing resumes from the last one.
    if (forced && this.current === 'playing') {
      this.anchorTs = forcedTs;
      this.anchorWall = now;
    }
  }

  private tick(): void {
    if (this.current !== 'playing') return;
    if (this.held.length === 0) {
      this.underrun();
      return;
    }
    try {
      this.releaseDue();
    } catch (error) {
      this.sinkFailure = { error };
      this.close();
    }
  }

  private underrun(): void {
    this.underruns++;
    this.timer.stop();
    const max = this.opts.maxBufferingsAllowed;
    if (max !== -1 && this.bufferings >= max) {
      this.current = 'passthrough';
    } else {
      this.bufferings++;
      this.current = 'buffering';
    }
  }

  private deliver(tag: FlvTag): void {
    this.releasedTags++;
    this.sink(tag);
  }
}
