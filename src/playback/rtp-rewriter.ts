/**
 * One outgoing RTP stream of one viewer: the publisher's packets get the viewer's SSRC
 * and payload type, and sequence numbers and timestamps shifted by per-epoch offsets.
 *
 * An epoch is a run of packets from one source (one input SSRC) with fixed offsets, so
 * gaps and reordering of the input reach the viewer as they were (its NACKs name real
 * packets). A new epoch (the first packet, a changed input SSRC, `switchSource()`)
 * continues where the last one stopped: the next sequence number, and a timestamp
 * advanced by the wall time since the last packet, so the viewer's jitter buffer sees
 * neither a jump nor a gap. Pure arithmetic: the caller gives the time.
 */

const U16 = 0x10000;
const U32 = 0x100000000;

/** a − b in 16-bit sequence space, as a signed distance (−32768 … 32767). */
export function sequenceDistance(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - U16 : d;
}

export function addU16(a: number, b: number): number {
  return (((a + b) % U16) + U16) % U16;
}

export function addU32(a: number, b: number): number {
  return (((a + b) % U32) + U32) % U32;
}

export interface RewriterStart {
  /** the viewer's first sequence number and timestamp (random, as RFC 3550 5.1 asks) */
  sequenceNumber: number;
  timestamp: number;
  clockRate: number;
}

export interface RewrittenPosition {
  sequenceNumber: number;
  timestamp: number;
}

interface Epoch {
  inputSsrc: number;
  firstInputSequence: number;
  sequenceOffset: number;
  timestampOffset: number;
}

export class RtpRewriter {
  private epoch?: Epoch;
  private switchPending = false;
  /** the newest packet sent: where the next epoch continues from */
  private last?: { sequenceNumber: number; timestamp: number; atMs: number };
  /** packets of an earlier epoch that arrived late, dropped */
  staleDropped = 0;

  constructor(private readonly start: RewriterStart) {}

  /** Whether a packet has gone out (the stream has started). */
  get started(): boolean {
    return this.last !== undefined;
  }

  /** The timestamp offset of the current epoch (input → output), for sender reports. */
  get timestampOffset(): number | undefined {
    return this.epoch?.timestampOffset;
  }

  /** The newest output position and when it was sent. */
  get newest(): { sequenceNumber: number; timestamp: number; atMs: number } | undefined {
    return this.last;
  }

  /** The next packet starts a new epoch (the source changed, or the caller skipped media). */
  switchSource(): void {
    this.switchPending = true;
  }

  /**
   * The output position of one input packet, or undefined when it belongs to an earlier
   * epoch (a late packet from before a switch, which would collide with sent numbers).
   */
  rewrite(inputSsrc: number, inputSequence: number, inputTimestamp: number, nowMs: number): RewrittenPosition | undefined {
    let epoch = this.epoch;
    if (!epoch || this.switchPending || epoch.inputSsrc !== inputSsrc) {
      epoch = this.openEpoch(inputSsrc, inputSequence, inputTimestamp, nowMs);
    } else if (sequenceDistance(inputSequence, epoch.firstInputSequence) < 0) {
      this.staleDropped++;
      return undefined;
    }
    const sequenceNumber = addU16(inputSequence, epoch.sequenceOffset);
    const timestamp = addU32(inputTimestamp, epoch.timestampOffset);
    if (!this.last || sequenceDistance(sequenceNumber, this.last.sequenceNumber) > 0) {
      this.last = { sequenceNumber, timestamp, atMs: nowMs };
    }
    return { sequenceNumber, timestamp };
  }

  private openEpoch(inputSsrc: number, inputSequence: number, inputTimestamp: number, nowMs: number): Epoch {
    this.switchPending = false;
    let nextSequence: number;
    let nextTimestamp: number;
    const last = this.last;
    if (!last) {
      nextSequence = this.start.sequenceNumber & 0xffff;
      nextTimestamp = this.start.timestamp >>> 0;
    } else {
      nextSequence = addU16(last.sequenceNumber, 1);
      // At least one tick: two packets of different frames never share a timestamp.
      const ticks = Math.max(1, Math.round(((nowMs - last.atMs) * this.start.clockRate) / 1000));
      nextTimestamp = addU32(last.timestamp, ticks);
    }
    const epoch: Epoch = {
      inputSsrc,
      firstInputSequence: inputSequence,
      sequenceOffset: addU16(nextSequence, -inputSequence),
      timestampOffset: addU32(nextTimestamp, -inputTimestamp),
    };
    this.epoch = epoch;
    return epoch;
  }
}
