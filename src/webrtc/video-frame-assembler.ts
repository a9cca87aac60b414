import { H264Error, nalUnitsFromRtpPayloads, VpxError } from '../media';

/** The fields of one RTP packet the assembler reads. */
export interface VideoRtpPacket {
  sequenceNumber: number;
  /** RTP timestamp: every packet of one access unit carries the same */
  timestamp: number;
  /** set on the last packet of an access unit */
  marker: boolean;
  /** payload without RTP padding; empty for a padding-only packet */
  payload: Buffer;
}

export type AssembledFrame<T> =
  /**
   * Every packet from this access unit's first received one to its last is here.
   * `afterGap`: packets were lost just before it, so its head (parameter sets, first
   * slices) or whole earlier frames may be missing: only a keyframe that carries its
   * parameter sets and starts at the first macroblock stands on its own then.
   */
  | { kind: 'complete'; timestamp: number; data: T; afterGap: boolean }
  /** packets of this access unit were lost for good (or did not form whole NAL units) */
  | { kind: 'incomplete'; timestamp: number };

/**
 * Turns the payloads of one frame's packets (in sequence order) into the frame; throws
 * H264Error or VpxError when they do not form a whole frame, returns undefined when
 * there is nothing to send (an access unit of no NAL units).
 */
export type Depacketizer<T> = (payloads: Buffer[]) => T | undefined;

/** H.264 (RFC 6184): the NAL units of an access unit. */
export const h264Depacketizer: Depacketizer<Buffer[]> = (payloads) => {
  const nals = nalUnitsFromRtpPayloads(payloads);
  return nals.length > 0 ? nals : undefined;
};

/**
 * Groups the packets that leave the jitter buffer (in sequence order; anything older
 * than what already left was given up on) into frames (H.264 access units, VP8 frames,
 * VP9 pictures), and tells whole ones from those that lost packets. A frame ends at
 * its marker packet, or when a packet with another timestamp arrives.
 */
export class VideoFrameAssembler<T> {
  private lastSeq?: number;
  /** a gap was seen since the last access unit ended (at the start: nothing known before) */
  private gapPending = true;
  private current?: { timestamp: number; payloads: Buffer[]; afterGap: boolean; lostPackets: boolean };

  constructor(
    private readonly onAccessUnit: (unit: AssembledFrame<T>) => void,
    private readonly depacketize: Depacketizer<T>,
  ) {}

  push(packet: VideoRtpPacket): void {
    let gap = false;
    if (this.lastSeq !== undefined) {
      const step = (packet.sequenceNumber - this.lastSeq) & 0xffff;
      // A duplicate, or a packet the jitter buffer released after it gave up on it.
      if (step === 0 || step >= 0x8000) return;
      gap = step > 1;
    }
    this.lastSeq = packet.sequenceNumber;

    const current = this.current;
    if (current && (packet.payload.length > 0 && packet.timestamp !== current.timestamp)) {
      // The access unit ended without its marker: whole only if no packet went missing.
      if (gap) current.lostPackets = true;
      this.finish();
    } else if (current && gap) {
      current.lostPackets = true;
    } else if (gap) {
      this.gapPending = true;
    }
    // Padding (bandwidth probes) only fills sequence numbers.
    if (packet.payload.length === 0) return;

    if (!this.current) {
      this.current = { timestamp: packet.timestamp, payloads: [], afterGap: this.gapPending || gap, lostPackets: false };
      this.gapPending = false;
    }
    this.current.payloads.push(packet.payload);
    if (packet.marker) this.finish();
  }

  private finish(): void {
    const unit = this.current;
    if (!unit) return;
    this.current = undefined;
    if (unit.lostPackets) {
      this.onAccessUnit({ kind: 'incomplete', timestamp: unit.timestamp });
      return;
    }
    let data: T | undefined;
    try {
      data = this.depacketize(unit.payloads);
    } catch (error) {
      if (!(error instanceof H264Error) && !(error instanceof VpxError)) throw error;
      this.onAccessUnit({ kind: 'incomplete', timestamp: unit.timestamp });
      return;
    }
    if (data === undefined) return;
    this.onAccessUnit({ kind: 'complete', timestamp: unit.timestamp, data, afterGap: unit.afterGap });
  }
}
