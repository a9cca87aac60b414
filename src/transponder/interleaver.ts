/**
 * Writes audio and video tags in timestamp order. Video waits for audio (whose AAC
 * encoder runs a few tens of ms behind) at most `maxWaitMs` of wall time, so a
 * stalled track never stalls the other; anything later than that goes out as is
 * and the publisher keeps the timeline monotonic.
 */
import { FlvTagType, type FlvTag } from '../flv/flv-tag';
import { Fifo } from '../util/fifo';
import type { Clock } from '../util/clock';

export type InterleaverClock = Clock;

const realClock: InterleaverClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Waiting {
  tag: FlvTag;
  since: number;
}

export class Interleaver {
  private readonly audio = new Fifo<Waiting>();
  private readonly video = new Fifo<Waiting>();
  private lastAudioTs = -Infinity;
  private lastVideoTs = -Infinity;
  private timer: unknown;
  private closed = false;

  constructor(
    private readonly sink: (tag: FlvTag) => void,
    private readonly maxWaitMs: number,
    private readonly clock: InterleaverClock = realClock,
  ) {}

  push(tag: FlvTag): void {
    if (this.closed) return;
    const entry = { tag, since: this.clock.now() };
    if (tag.type === FlvTagType.Audio) {
      this.audio.push(entry);
      this.lastAudioTs = Math.max(this.lastAudioTs, tag.timestamp);
    } else {
      this.video.push(entry);
      this.lastVideoTs = Math.max(this.lastVideoTs, tag.timestamp);
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
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.audio.clear();
    this.video.clear();
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
      // One track is empty: its next tag may still be earlier than this head,
      // unless that track is already past the head's time or we waited enough.
      const otherLast = head === a ? this.lastVideoTs : this.lastAudioTs;
      if (otherLast >= head.tag.timestamp || now - head.since >= this.maxWaitMs) {
        this.emitNext();
        continue;
      }
      this.arm(head.since + this.maxWaitMs - now);
      return;
    }
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private arm(ms: number): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.drain();
    }, Math.max(1, ms));
  }

  private emitNext(): void {
    const a = this.audio.peek();
    const v = this.video.peek();
    const takeAudio = a !== undefined && (v === undefined || a.tag.timestamp <= v.tag.timestamp);
    const entry = takeAudio ? this.audio.shift()! : this.video.shift()!;
    this.sink(entry.tag);
  }
}
