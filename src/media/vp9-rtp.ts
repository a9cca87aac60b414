/**
 * The RTP payload format for VP9 (RFC 9628): the payload descriptor of section 4.2
 * (flexible and non-flexible mode, the scalability structure) and the joining of one
 * picture's packets. Pure functions over payload bytes.
 *
 *      0 1 2 3 4 5 6 7
 *     |I|P|L|F|B|E|V|Z| (REQUIRED)
 *  I: |M| PICTURE ID  |  (and one more byte when M)
 *  L: | TID |U| SID |D|
 *     |   TL0PICIDX   |  (L and not F)
 * P,F:| P_DIFF      |N|  (up to 3 times)
 *  V: | SS ...        |
 */
import { parseVp9FrameHeader, vp9Superframe } from './vp9-frame-header';
import type { VpxFrameData } from './vp8-rtp';
import { VpxError } from './vpx-error';

export interface Vp9PayloadDescriptor {
  /** P: the frame refers to an earlier picture */
  interPicturePredicted: boolean;
  /** F: flexible mode */
  flexible: boolean;
  /** B: the first packet of a frame */
  startOfFrame: boolean;
  /** E: the last packet of a frame */
  endOfFrame: boolean;
  /** Z: not used for inter-layer prediction by the next spatial layer */
  notReferenceForUpperLayer: boolean;
  pictureId?: number;
  temporalId?: number;
  spatialId?: number;
  tl0PicIdx?: number;
  referenceDiffs: number[];
  /** from the scalability structure: the size of each spatial layer */
  layerSizes?: Array<{ width: number; height: number }>;
  /** bytes of the descriptor: the VP9 payload starts here */
  size: number;
}

export function parseVp9PayloadDescriptor(payload: Buffer): Vp9PayloadDescriptor {
  let pos = 0;
  const byte = (what: string): number => {
    if (pos >= payload.length) throw new VpxError(`VP9 payload descriptor truncated before ${what}`);
    return payload[pos++]!;
  };
  const b0 = byte('its first byte');
  const d: Vp9PayloadDescriptor = {
    interPicturePredicted: (b0 & 0x40) !== 0,
    flexible: (b0 & 0x10) !== 0,
    startOfFrame: (b0 & 0x08) !== 0,
    endOfFrame: (b0 & 0x04) !== 0,
    notReferenceForUpperLayer: (b0 & 0x01) !== 0,
    referenceDiffs: [],
    size: 0,
  };
  if (b0 & 0x80) {
    const p = byte('PICTURE ID');
    d.pictureId = p & 0x80 ? ((p & 0x7f) << 8) | byte('EXTENDED PID') : p & 0x7f;
  }
  if (b0 & 0x20) {
    const l = byte('the layer indices');
    d.temporalId = l >>> 5;
    d.spatialId = (l >>> 1) & 0x07;
    if (!d.flexible) d.tl0PicIdx = byte('TL0PICIDX');
  }
  if (d.flexible && d.interPicturePredicted) {
    for (;;) {
      const r = byte('P_DIFF');
      d.referenceDiffs.push(r >>> 1);
      if ((r & 0x01) === 0) break;
      if (d.referenceDiffs.length === 3) throw new VpxError('VP9 payload descriptor with more than 3 reference indices');
    }
  }
  if (b0 & 0x02) {
    const v = byte('the scalability structure');
    const layers = (v >>> 5) + 1;
    if (v & 0x10) {
      d.layerSizes = [];
      for (let i = 0; i < layers; i++) {
        const width = (byte('WIDTH') << 8) | byte('WIDTH');
        const height = (byte('HEIGHT') << 8) | byte('HEIGHT');
        d.layerSizes.push({ width, height });
      }
    }
    if (v & 0x08) {
      const groups = byte('N_G');
      for (let i = 0; i < groups; i++) {
        const g = byte('a picture group entry');
        const refs = (g >>> 2) & 0x03;
        for (let j = 0; j < refs; j++) byte('a picture group P_DIFF');
      }
    }
  }
  d.size = pos;
  return d;
}

/**
 * One VP9 picture from the payloads of its packets in sequence order. Each frame (one
 * per spatial layer) runs from a packet with B to one with E; two or more become a
 * superframe. Throws VpxError when a frame lacks its start or its end (a packet was
 * lost) or its header is malformed. The keyframe flag and size come from the
 * uncompressed header of the picture's first frame.
 */
export function vp9FrameFromRtpPayloads(payloads: Buffer[]): VpxFrameData {
  if (payloads.length === 0) throw new VpxError('a VP9 picture without packets');
  const frames: Buffer[] = [];
  let parts: Buffer[] | undefined;
  for (const payload of payloads) {
    const d = parseVp9PayloadDescriptor(payload);
    if (d.startOfFrame) {
      if (parts) throw new VpxError('a VP9 frame starts before the previous one ended');
      parts = [];
    } else if (!parts) {
      throw new VpxError('a VP9 frame without its first packet');
    }
    parts.push(payload.subarray(d.size));
    if (d.endOfFrame) {
      frames.push(Buffer.concat(parts));
      parts = undefined;
    }
  }
  if (parts) throw new VpxError('a VP9 frame without its last packet');
  const info = parseVp9FrameHeader(frames[0]!);
  return { data: vp9Superframe(frames), keyframe: info.keyframe, width: info.width, height: info.height };
}
