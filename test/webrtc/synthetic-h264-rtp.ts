import { RtpHeader, RtpPacket } from 'werift';

/**
 * H.264 access units as a browser packetizes them (RFC 6184, packetization-mode 1):
 * a keyframe is a STAP-A with SPS and PPS, then the IDR slice in FU-A fragments; a
 * P frame is one single NAL unit packet. Sequence numbers and timestamps run on.
 */

// Captured from Chromium (OpenH264) publishing 1280x720: Constrained Baseline 3.2.
export const SPS_720P = Buffer.from('6742c0208c8d402802dd3506060607844235', 'hex');
export const PPS = Buffer.from('68ce3c80', 'hex');
/** IDR slice: first_mb_in_slice 0 (the '1' bit after the header), then slice data */
export const IDR_SLICE = Buffer.concat([Buffer.from('65888400ff', 'hex'), Buffer.alloc(40, 0x5a)]);
/** non-IDR slice with first_mb_in_slice 0 */
export const P_SLICE = Buffer.from('419a2233', 'hex');

export const VIDEO_SSRC = 2222;
export const VIDEO_PT = 106;
/** 30 fps at 90 kHz */
export const FRAME_TICKS = 3000;

export function stapA(...nals: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x78])]; // F=0 NRI=3 type 24
  for (const nal of nals) {
    const size = Buffer.alloc(2);
    size.writeUInt16BE(nal.length);
    parts.push(size, nal);
  }
  return Buffer.concat(parts);
}

/** FU-A fragments of one NAL unit, `count` of them. */
export function fuA(nal: Buffer, count: number): Buffer[] {
  const indicator = (nal[0]! & 0xe0) | 28;
  const body = nal.subarray(1);
  const size = Math.ceil(body.length / count);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const header = (i === 0 ? 0x80 : 0) | (i === count - 1 ? 0x40 : 0) | (nal[0]! & 0x1f);
    out.push(Buffer.concat([Buffer.from([indicator, header]), body.subarray(i * size, (i + 1) * size)]));
  }
  return out;
}

/** Numbers RTP packets of whole access units in order. */
export class H264RtpSource {
  private seq: number;
  private timestamp: number;

  constructor(firstSeq = 1000, firstTimestamp = 90000) {
    this.seq = firstSeq;
    this.timestamp = firstTimestamp;
  }

  /** A keyframe: STAP-A (SPS, PPS) then the IDR slice in three FU-A fragments. */
  keyframe(): RtpPacket[] {
    return this.frame([stapA(SPS_720P, PPS), ...fuA(IDR_SLICE, 3)]);
  }

  /** A P frame in one packet. */
  pFrame(): RtpPacket[] {
    return this.frame([P_SLICE]);
  }

  /** A padding-only packet (a bandwidth probe), at the last frame's timestamp. */
  padding(): RtpPacket {
    const header = new RtpHeader({ payloadType: VIDEO_PT, ssrc: VIDEO_SSRC, sequenceNumber: this.seq, timestamp: this.timestamp - FRAME_TICKS, padding: true, paddingSize: 224 });
    this.seq = (this.seq + 1) & 0xffff;
    return new RtpPacket(header, Buffer.alloc(0));
  }

  private frame(payloads: Buffer[]): RtpPacket[] {
    const packets = payloads.map((payload, i) => {
      const header = new RtpHeader({
        payloadType: VIDEO_PT,
        ssrc: VIDEO_SSRC,
        sequenceNumber: (this.seq + i) & 0xffff,
        timestamp: this.timestamp,
        marker: i === payloads.length - 1,
      });
      return new RtpPacket(header, payload);
    });
    this.seq = (this.seq + payloads.length) & 0xffff;
    this.timestamp = (this.timestamp + FRAME_TICKS) >>> 0;
    return packets;
  }
}
