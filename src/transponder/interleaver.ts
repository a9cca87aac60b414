/**
 * Writes audio and video tags in timestamp order, as OBS and ffmpeg's FLV muxer do.
 *
 * A tag whose other track has not yet reached its time waits for that track:
 * - as long as the other track is alive (`TrackLiveness.willReach`: its encoder already
 *   has the input for that time, or its source runs and gaps are filled). This is the
 *   usual case for video waiting on AAC, whose encoder runs tens of ms behind (hundreds
 *   under load). Only a hung encoder ends the wait: `stallMs` of wall time.
 * - at most `maxWaitMs` of wall time when the other track has stopped or has not
 *   started (or no liveness is known for it): it is left behind, never stalls the other.
 *
 * A tag that arrives behind what was already written (its track was left behind and
 * came back) is re-timed to the last written timestamp, never dropped: for audio a
 * dropped AAC frame is a hole and a click, for video a dropped frame breaks every frame
 * that refers to it until the next keyframe; moving a frame a few ms later keeps every
 * sample and every picture, and keeps the order the servers demand (SRS: "may need
 * mix_correct"). Each track also stays strictly increasing. `toJSON()` counts them.
 */
import { FlvTagType, type FlvTag } from '../flv/flv-tag';
import { Fifo } from '../util/fifo';
import { realClock, type LivenessClock, type TrackLiveness } from './track-liveness';

/** now(), setTimeout, clearTimeout: the shape of the shared Clock. */
export type InterleaverClock = LivenessClock;

export interface InterleaverOptions {
  /** Longest wall time a tag waits for a track that is not alive (ms). */
  maxWaitMs: number;
  /** Longest wall time a tag waits for a track that is alive: a hung encoder (ms). Default 1000. */
  stallMs?: number;
  /** Liveness of each track; a track without one is waited for at most maxWaitMs. */
  audio?: TrackLiveness;
  video?: TrackLiveness;
  clock?: InterleaverClock;
}

export interface InterleaverStats {
  /** Tags that arrived behind what was already written and went out later than their time. */
  retimed: number;
  /** The largest such move (ms). */
  maxRetimeMs: number;
  /** Tags written without waiting longer for a track that was not alive. */
  releasedAlone: number;
  /** Tags written after stallMs although the other track claimed to be alive. */
  stalled: number;
}

interface Waiting {
  tag: FlvTag;
  since: number;
}

const DEFAULT_STALL_MS = 1000;

export class Interleaver {
  private readonly audio = new Fifo<Waiting>();
  private readonly video = new Fifo<Waiting>();
  /** Newest timestamp pushed per track (tracks come in their own order). */
  private lastAudioIn = -Infinity;
  private lastVideoIn = -Infinity;
  /** Newest timestamp written, overall and per track. */
  private lastOut = -Infinity;
  private lastAudioOut = -Infinity;
  private lastVideoOut = -Infinity;
  private readonly maxWaitMs: number;
  private readonly stallMs: number;
  private readonly clock: InterleaverClock;
  private timer: unknown;
  private closed = false;
  private readonly stats: InterleaverStats = { retimed: 0, maxRetimeMs: 0, releasedAlone: 0, stalled: 0 };

  constructor(
    private readonly sink: (tag: FlvTag) => void,
    private readonly opts: InterleaverOptions,
  ) {
    this.maxWaitMs = opts.maxWaitMs;
    this.stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
    this.clock = opts.clock ?? realClock;
  }

  push(tag: FlvTag): void {
    if (this.closed) return;
    const entry = { tag, since: this.clock.now() };
    if (tag.type === FlvTagType.Audio) {
      this.audio.push(entry);
      this.lastAudioIn = Math.max(this.lastAudioIn, tag.timestamp);
    } else {
      this.video.push(entry);
      this.lastVideoIn = Math.max(this.lastVideoIn, tag.timestamp);
    }
    this.drain();
  }

  get waiting(): number {
    return this.audio.length + this.video.length;
  }

  /** Hands over everything in timestamp order. */
  flush(): void {
    while (this.audio.length > 0 || this.video.length > 0) this.emitNext();
  }

  close(): void {
    this.closed = true;
    this.disarm();
    this.audio.clear();
    this.video.clear();
  }

  toJSON(): InterleaverStats {
    return { ...this.stats };
  }

  private drain(): void {
    const now = this.clock.now();
    for (;;) {
      const a = this.audio.peek();
      const v = this.video.peek();
      if (a && v) {
        this.emitNext();
        continue;
      }
      const head = a ?? v;
      if (!head) break;
      const ts = head.tag.timestamp;
      const headIsAudio = head === a;
      // The other track is already past this head: nothing of it can come before.
      if ((headIsAudio ? this.lastVideoIn : this.lastAudioIn) >= ts) {
        this.emitNext();
        continue;
      }
      const other = headIsAudio ? this.opts.video : this.opts.audio;
      const waited = now - head.since;
      if (other !== undefined && other.willReach(ts)) {
        if (waited < this.stallMs) {
          // Asked again at least every maxWaitMs: the track may stop while we wait.
          this.arm(Math.min(this.maxWaitMs, this.stallMs - waited));
          return;
        }
        this.stats.stalled++;
      } else {
        if (waited < this.maxWaitMs) {
          this.arm(this.maxWaitMs - waited);
          return;
        }
        this.stats.releasedAlone++;
      }
      this.emitNext();
    }
    this.disarm();
  }

  private arm(ms: number): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.drain();
    }, Math.max(1, ms));
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private emitNext(): void {
    const a = this.audio.peek();
    const v = this.video.peek();
    const takeAudio = a !== undefined && (v === undefined || a.tag.timestamp <= v.tag.timestamp);
    let tag = (takeAudio ? this.audio.shift()! : this.video.shift()!).tag;
    const trackLast = takeAudio ? this.lastAudioOut : this.lastVideoOut;
    if (tag.timestamp < this.lastOut) {
      const ts = Math.max(this.lastOut, trackLast + 1);
      this.stats.retimed++;
      this.stats.maxRetimeMs = Math.max(this.stats.maxRetimeMs, ts - tag.timestamp);
      tag = { ...tag, timestamp: ts };
    }
    this.lastOut = Math.max(this.lastOut, tag.timestamp);
    if (takeAudio) this.lastAudioOut = tag.timestamp;
    else this.lastVideoOut = tag.timestamp;
    this.sink(tag);
  }
}
