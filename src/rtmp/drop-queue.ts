/**
 * Backpressure between the muxer and a slow RTMP socket.
 *
 * Socket writes never block the media path: tags wait here until the socket
 * drains (or the server catches up, see ServerLagGate). The queue is bounded twice:
 * by bytes (memory) and by the media time it spans (latency: a viewer should not
 * fall further behind live than that, whatever the bitrate). A tag *fits* when
 * both hold after it. When one does not, the queue gives up *non-key video* first,
 * because that is what a live viewer misses least and what costs the most bytes:
 *
 *  - A non-key video tag that does not fit (or arrives while the queue is already
 *    over a bound) starts a *drop episode*: every queued non-key video tag is
 *    removed, the new one is dropped, and every further video tag is dropped
 *    until the next keyframe — a decoder cannot resume on an inter frame whose
 *    reference is gone. Starting an episode answers `needKeyframe: true` once,
 *    so the owner can ask the source for one (PLI/FIR) instead of waiting for
 *    the next GOP.
 *  - Audio, script data (onMetaData) and sequence headers (AVC and AAC) are
 *    never dropped: they are small, and without them nothing decodes.
 *  - Keyframes are never dropped either: a keyframe is where decoding resumes.
 *    When one arrives and does not fit, older queued non-key video makes room
 *    (what remains queued is audio, headers and keyframes, all decodable).
 *    This ends any running episode.
 *  - Audio or headers that do not fit also push out queued non-key video; if
 *    that removed anything, an episode starts (we now wait for a keyframe).
 *  - If the queue is still over the byte bound after all that, it keeps the tags
 *    and says `overflow: true`. What to do about a server that stays that slow
 *    (fail the push after a while) is the owner's decision. Over the time bound
 *    with only audio, headers and keyframes left is not an overflow: that much
 *    audio is small, and it is what keeps the audio track whole.
 *  - The owner can start an episode itself (`dropVideoUntilKeyframe`), when it
 *    knows from elsewhere that the server is too far behind.
 *
 * Tags are whole frames (one FLV tag = one access unit), so nothing is ever
 * cut in the middle of a frame. Order is never changed.
 *
 * Size of a tag = `tag.data.length` (the FLV tag body); RTMP chunk headers are
 * not counted, so the bound is on media bytes held in memory.
 *
 * Per-packet cost: push/shift are O(1) amortized (array with a head index,
 * compacted lazily, no Array#shift); removing queued inter frames is one pass
 * over the queue per drop, and a drop removes everything droppable, so the pass
 * is not repeated while nothing droppable is queued. No logging, no
 * allocation per tag: push returns one of eight frozen result objects.
 */
import { Fifo } from '../util/fifo';
import type { FlvTag } from '../flv/flv-tag';
import { isSequenceHeader, isVideoKeyframe } from '../flv/flv-tag';

/** 8 MiB: ~20 s of a 3 Mbit/s stream, far more than a healthy socket ever holds. */
export const DEFAULT_DROP_QUEUE_MAX_BYTES = 8 * 1024 * 1024;
/** 2 s of media: a healthy socket never makes tags wait that long. */
export const DEFAULT_DROP_QUEUE_MAX_SPAN_MS = 2000;

export interface DropQueueOptions {
  /** Bound on the queued bytes (sum of tag body lengths); default 8 MiB. */
  maxBytes?: number;
  /** Bound on the media time queued (newest timestamp − oldest), ms; default 2000. */
  maxSpanMs?: number;
}

export interface DropQueuePushResult {
  /** False when this tag was dropped (only ever non-key video). */
  readonly accepted: boolean;
  /** True exactly on the push that started a drop episode: ask the source for a keyframe. */
  readonly needKeyframe: boolean;
  /** True when, after this push, the queue holds more than maxBytes (nothing left to drop). */
  readonly overflow: boolean;
}

export interface DropQueueStats {
  queuedBytes: number;
  queuedTags: number;
  /** Non-key video tags dropped since construction (queued ones removed + incoming ones refused). */
  droppedVideoFrames: number;
  droppedBytes: number;
  /** How many times dropping began. */
  dropEpisodes: number;
  /** True while video is being dropped until the next keyframe. */
  waitingForKeyframe: boolean;
}

const VIDEO = 9;

// Every push answer is one of these: no object is allocated per tag.
const RESULTS: readonly DropQueuePushResult[] = Array.from({ length: 8 }, (_, bits) =>
  Object.freeze({ accepted: (bits & 1) !== 0, needKeyframe: (bits & 2) !== 0, overflow: (bits & 4) !== 0 }),
);

/** Video that may be dropped: neither a keyframe nor a sequence header. */
export function isDroppable(tag: FlvTag): boolean {
  return tag.type === VIDEO && !isSequenceHeader(tag) && !isVideoKeyframe(tag);
}

/** A keyframe that lets decoding resume (a sequence header is not a picture). */
function isResumePoint(tag: FlvTag): boolean {
  return tag.type === VIDEO && !isSequenceHeader(tag) && isVideoKeyframe(tag);
}

export class DropQueue {
  readonly maxBytes: number;
  readonly maxSpanMs: number;

  private readonly tags = new Fifo<FlvTag>();
  private queuedBytes = 0;
  /** Queued droppable (non-key video) tags: lets a drop skip the scan when there is nothing to remove. */
  private droppableQueued = 0;
  private awaitingKeyframe = false;
  private droppedVideoFrames = 0;
  private droppedBytes = 0;
  private dropEpisodes = 0;

  constructor(opts: DropQueueOptions = {}) {
    const maxBytes = opts.maxBytes ?? DEFAULT_DROP_QUEUE_MAX_BYTES;
    if (!Number.isFinite(maxBytes) || maxBytes <= 0) {
      throw new RangeError(`DropQueue maxBytes must be a positive number, got ${maxBytes}`);
    }
    this.maxBytes = maxBytes;
    const maxSpanMs = opts.maxSpanMs ?? DEFAULT_DROP_QUEUE_MAX_SPAN_MS;
    if (!(maxSpanMs > 0)) throw new RangeError(`DropQueue maxSpanMs must be a positive number, got ${maxSpanMs}`);
    this.maxSpanMs = maxSpanMs;
  }

  /** Number of queued tags. */
  get length(): number {
    return this.tags.length;
  }

  /** Sum of the queued tag body lengths. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** True while more than maxBytes are queued (only audio, headers and keyframes can cause this). */
  get overflowing(): boolean {
    return this.queuedBytes > this.maxBytes;
  }

  /** True while video is dropped until the next keyframe. */
  get waitingForKeyframe(): boolean {
    return this.awaitingKeyframe;
  }

  /** Media time from the oldest queued tag to `timestamp` (0 when empty). */
  spanTo(timestamp: number): number {
    const oldest = this.tags.peek();
    return oldest === undefined ? 0 : timestamp - oldest.timestamp;
  }

  /**
   * Starts a drop episode now (the owner knows the server is too far behind):
   * queued non-key video goes, and video is dropped until the next keyframe.
   * Returns true when this started an episode (false: one is running already).
   */
  dropVideoUntilKeyframe(): boolean {
    if (this.awaitingKeyframe) return false;
    this.removeQueuedDroppable();
    this.awaitingKeyframe = true;
    this.dropEpisodes++;
    return true;
  }

  push(tag: FlvTag): DropQueuePushResult {
    const size = tag.data.length;
    const fits = this.queuedBytes + size <= this.maxBytes && this.spanTo(tag.timestamp) <= this.maxSpanMs;

    if (isDroppable(tag)) {
      if (this.awaitingKeyframe) {
        this.countDrop(size);
        return this.result(false, false);
      }
      if (fits) {
        this.append(tag, size);
        this.droppableQueued++;
        return this.result(true, false);
      }
      this.removeQueuedDroppable();
      this.countDrop(size);
      this.awaitingKeyframe = true;
      this.dropEpisodes++;
      return this.result(false, true);
    }

    let needKeyframe = false;
    if (isResumePoint(tag)) {
      // Decoding can restart here, so the episode (if any) ends with this tag.
      this.awaitingKeyframe = false;
      if (!fits && this.removeQueuedDroppable() > 0) this.dropEpisodes++;
    } else if (!fits && this.removeQueuedDroppable() > 0 && !this.awaitingKeyframe) {
      // Audio/header/script made room by removing video: the video after it must wait for a keyframe.
      this.awaitingKeyframe = true;
      this.dropEpisodes++;
      needKeyframe = true;
    }
    this.append(tag, size);
    return this.result(true, needKeyframe);
  }

  /** Removes and returns the oldest tag. */
  shift(): FlvTag | undefined {
    const tag = this.tags.shift();
    if (!tag) return undefined;
    this.queuedBytes -= tag.data.length;
    if (isDroppable(tag)) this.droppableQueued--;
    return tag;
  }

  /** The oldest tag, left in place. */
  peek(): FlvTag | undefined {
    return this.tags.peek();
  }

  /**
   * Empties the queue (e.g. the connection is gone and a new one will start
   * with fresh headers). Cleared tags are not counted as drops, the running
   * episode ends, and the drop counters are kept.
   */
  clear(): void {
    this.tags.clear();
    this.queuedBytes = 0;
    this.droppableQueued = 0;
    this.awaitingKeyframe = false;
  }

  stats(): DropQueueStats {
    return {
      queuedBytes: this.queuedBytes,
      queuedTags: this.length,
      droppedVideoFrames: this.droppedVideoFrames,
      droppedBytes: this.droppedBytes,
      dropEpisodes: this.dropEpisodes,
      waitingForKeyframe: this.awaitingKeyframe,
    };
  }

  toJSON(): DropQueueStats {
    return this.stats();
  }

  private append(tag: FlvTag, size: number): void {
    this.tags.push(tag);
    this.queuedBytes += size;
  }

  private countDrop(size: number): void {
    this.droppedVideoFrames++;
    this.droppedBytes += size;
  }

  /** Removes every queued non-key video tag, keeping the order of the rest; returns how many. */
  private removeQueuedDroppable(): number {
    if (this.droppableQueued === 0) return 0;
    const removed = this.tags.retain((tag) => {
      if (!isDroppable(tag)) return true;
      this.queuedBytes -= tag.data.length;
      this.countDrop(tag.data.length);
      return false;
    });
    this.droppableQueued = 0;
    return removed;
  }

  private result(accepted: boolean, needKeyframe: boolean): DropQueuePushResult {
    const overflow = this.queuedBytes > this.maxBytes;
    return RESULTS[(accepted ? 1 : 0) | (needKeyframe ? 2 : 0) | (overflow ? 4 : 0)] as DropQueuePushResult;
  }
}
