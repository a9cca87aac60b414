/**
 * The RTP payload format for VP8 (RFC 7741): the payload descriptor of section 4.2 and
 * the joining of one frame's packets. Pure functions over payload bytes; sequence
 * numbers, timestamps and the marker bit belong to the caller.
 *
 *      0 1 2 3 4 5 6 7
 *     |X|R|N|S|R| PID | (REQUIRED)
 *  X: |I|L|T|K| RSV   |
 *  I: |M| PictureID   |  (and one more byte of PictureID when M)
 *  L: |   TL0PICIDX   |
 * T/K:|TID|Y| KEYIDX  |
 */
import { parseVp8FrameHeader } from './vp8-frame-header';
import { VpxError } from './vpx-error';

export interface Vp8PayloadDescriptor {
  /** N: a frame no other frame refers to */
  nonReference: boolean;
  /** S: the first packet of a partition */
  startOfPartition: boolean;
  /** PID: the partition index */
  partitionIndex: number;
  pictureId?: number;
  tl0PicIdx?: number;
  temporalLayer?: number;
  keyIndex?: number;
  /** bytes of the descriptor: the VP8 payload starts here */
  size: number;
}

export function parseVp8PayloadDescriptor(payload: Buffer): Vp8PayloadDescriptor {
  if (payload.length === 0) throw new VpxError('empty VP8 RTP payload');
  const need = (pos: number, what: string): void => {
    if (pos >= payload.length) throw new VpxError(`VP8 payload descriptor truncated before ${what}`);
  };
  const b0 = payload[0]!;
  const d: Vp8PayloadDescriptor = {
    nonReference: (b0 & 0x20) !== 0,
    startOfPartition: (b0 & 0x10) !== 0,
    partitionIndex: b0 & 0x07,
    size: 1,
  };
  if ((b0 & 0x80) === 0) return d;
  need(1, 'the extension byte');
  const x = payload[1]!;
  let pos = 2;
  if (x & 0x80) {
    need(pos, 'PictureID');
    if (payload[pos]! & 0x80) {
      need(pos + 1, 'the second byte of PictureID');
      d.pictureId = ((payload[pos]! & 0x7f) << 8) | payload[pos + 1]!;
      pos += 2;
    } else {
      d.pictureId = payload[pos]! & 0x7f;
      pos += 1;
    }
  }
  if (x & 0x40) {
    need(pos, 'TL0PICIDX');
    d.tl0PicIdx = payload[pos++]!;
  }
  if (x & 0x30) {
    need(pos, 'TID/KEYIDX');
    const b = payload[pos++]!;
    if (x & 0x20) d.temporalLayer = b >>> 6;
    if (x & 0x10) d.keyIndex = b & 0x1f;
  }
  d.size = pos;
  return d;
}

export interface VpxFrameData {
  data: Buffer;
  keyframe: boolean;
  width?: number;
  height?: number;
}

/**
 * One VP8 frame from the payloads of its packets in sequence order (the last one had
 * the marker bit). Throws VpxError when they do not form a whole frame: the first
 * packet is not the start of partition 0 (the head was lost) or the frame header is
 * malformed.
 */
export function vp8FrameFromRtpPayloads(payloads: Buffer[]): VpxFrameData {
  if (payloads.length === 0) throw new VpxError('a VP8 frame without packets');
  const parts: Buffer[] = [];
  payloads.forEach((payload, i) => {
    const d = parseVp8PayloadDescriptor(payload);
    if (i === 0 && !(d.startOfPartition && d.partitionIndex === 0)) throw new VpxError('a VP8 frame without its first packet');
    parts.push(payload.subarray(d.size));
  });
  const data = Buffer.concat(parts);
  const info = parseVp8FrameHeader(data);
  return { data, keyframe: info.keyframe, width: info.width, height: info.height };
}
