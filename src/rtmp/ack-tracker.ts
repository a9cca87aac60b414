/**
 * How far the server has read our media, in media time, from its Acknowledgements
 * (Adobe RTMP specification 1.0, 5.4.3 and 5.4.4): we announce a Window Acknowledgement
 * Size, the server acknowledges the bytes it has received each time another window of
 * them arrived, and each media message we write is recorded as (the connection's byte
 * count after it, its timestamp, when it was written). Pure: no socket, no timer; time
 * comes in as arguments.
 *
 * Two readings of one Acknowledgement:
 *   - certain:   every message ending at or before the acknowledged byte count has
 *                arrived: `ackedTimestamp`;
 *   - at most:   the server has not yet received a whole window more (it would have
 *                acknowledged it), so a message ending beyond acknowledged + window has
 *                surely not arrived. Decisions use this reading, so a coarse window never
 *                makes a healthy connection look late; it only makes a stall noticed
 *                later (by at most one window of media).
 *
 * `unreceivedMs` is how far behind the server is, from the oldest message surely not
 * received: the media time from it to the newest written, but no more than the time
 * since it was written. The media span alone would call a burst of older media (a
 * connection starting on the seconds held since the last keyframe, or the audio kept
 * through a stall) late although a fast server takes it in within milliseconds; the
 * time alone would not see what the media already lost before it was written. A server
 * that stopped reading makes both grow, one second per second.
 *
 * The window is the larger of the one we announced and the largest distance seen
 * between two acknowledgements (a server that ignores our window and acknowledges
 * every 2.5 MB must not look stalled between its acknowledgements).
 *
 * Byte counts are those after the handshake, as nginx-rtmp counts them (checked on the
 * wire: its acknowledgements equal our bytesSent); a server that counts the handshake
 * too is 3073 bytes ahead, which is harmless. An acknowledgement of more than we wrote (nginx-rtmp resets its counter at
 * 0xF0000000, ~4 GB into a connection) is taken as all we wrote: an error of at most
 * what was in flight at that moment. Sequence numbers wrap at 2^32 like the field.
 *
 * Per-message cost: three array appends; an acknowledgement removes what it covers
 * (amortized O(1) with a head index, compacted lazily). Without acknowledgements the
 * record keeps only the newest `maxRecords` messages.
 */

const U32 = 0x1_0000_0000;
const DEFAULT_MAX_RECORDS = 16_384;

export interface AckTrackerOptions {
  /** The Window Acknowledgement Size we announced, bytes. */
  windowBytes: number;
  /** Messages remembered while unacknowledged (default 16384). */
  maxRecords?: number;
}

export class AckTracker {
  readonly announcedWindow: number;
  private readonly maxRecords: number;
  // Records [head, ends.length): byte count after each message, its timestamp, when written.
  private ends: number[] = [];
  private stamps: number[] = [];
  private writtenAt: number[] = [];
  private head = 0;
  /** First record beyond acked + window: the oldest message surely not received. */
  private cursor = 0;
  private acks = 0;
  private lastSequence = 0;
  private acked = 0;
  private widestGap = 0;
  private certainTimestamp: number | undefined;
  private newestWritten: number | undefined;

  constructor(opts: AckTrackerOptions) {
    if (!Number.isInteger(opts.windowBytes) || opts.windowBytes <= 0) {
      throw new RangeError(`acknowledgement window must be a positive integer, got ${opts.windowBytes}`);
    }
    this.announcedWindow = opts.windowBytes;
    this.maxRecords = opts.maxRecords ?? DEFAULT_MAX_RECORDS;
  }

  /** True once the server acknowledged at least once on this connection. */
  get hasAcknowledged(): boolean {
    return this.acks > 0;
  }

  /** Acknowledgements received. */
  get acknowledgements(): number {
    return this.acks;
  }

  /** Our bytes the server acknowledged (counted like the bytes we wrote, not wrapped). */
  get ackedBytes(): number {
    return this.acked;
  }

  /** The window the server actually acknowledges by (at least the announced one). */
  get window(): number {
    return Math.max(this.announcedWindow, this.widestGap);
  }

  /** Timestamp of the newest message the server surely received whole; undefined before. */
  get ackedTimestamp(): number | undefined {
    return this.certainTimestamp;
  }

  /** Timestamp of the newest message written; undefined before. */
  get newestTimestamp(): number | undefined {
    return this.newestWritten;
  }

  /** A media message was written at `now`; `endOffset` is the connection's byte count after it. */
  written(endOffset: number, timestamp: number, now: number): void {
    this.ends.push(endOffset);
    this.stamps.push(timestamp);
    this.writtenAt.push(now);
    this.newestWritten = this.newestWritten === undefined ? timestamp : Math.max(this.newestWritten, timestamp);
    if (this.ends.length - this.head > this.maxRecords) {
      this.head++;
      if (this.cursor < this.head) this.cursor = this.head;
    }
    this.compact();
  }

  /** An Acknowledgement with `sequenceNumber`; `bytesWritten` is the connection's byte count now. */
  acknowledge(sequenceNumber: number, bytesWritten: number): void {
    const delta = this.acks === 0 ? sequenceNumber >>> 0 : (sequenceNumber - this.lastSequence + U32) % U32;
    this.lastSequence = sequenceNumber >>> 0;
    this.acks++;
    let next = this.acked + delta;
    if (next > bytesWritten) {
      next = bytesWritten; // counted differently by the server (see above): not a window sample
    } else {
      this.widestGap = Math.max(this.widestGap, next - this.acked);
    }
    this.acked = next;
    while (this.head < this.ends.length && (this.ends[this.head] as number) <= next) {
      this.certainTimestamp = this.stamps[this.head];
      this.head++;
    }
    if (this.cursor < this.head) this.cursor = this.head;
    this.compact();
  }

  /**
   * How far behind the server surely is at `now`, ms: from the oldest message beyond
   * acknowledged + window, the media time to the newest written, at most the time since
   * that message was written. 0 when the server may have it all, and before the first
   * acknowledgement (nothing is known then).
   */
  unreceivedMs(now: number): number {
    if (this.acks === 0 || this.newestWritten === undefined) return 0;
    const reach = this.acked + this.window;
    while (this.cursor < this.ends.length && (this.ends[this.cursor] as number) <= reach) this.cursor++;
    if (this.cursor >= this.ends.length) return 0;
    const media = this.newestWritten - (this.stamps[this.cursor] as number);
    const waited = now - (this.writtenAt[this.cursor] as number);
    return Math.max(0, Math.min(media, waited));
  }

  /** Drops the consumed prefix once it is at least half the arrays (amortized O(1)). */
  private compact(): void {
    if (this.head < 1024 || this.head * 2 < this.ends.length) return;
    this.ends = this.ends.slice(this.head);
    this.stamps = this.stamps.slice(this.head);
    this.writtenAt = this.writtenAt.slice(this.head);
    this.cursor -= this.head;
    this.head = 0;
  }
}
