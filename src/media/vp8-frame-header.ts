/**
 * The first bytes of a VP8 frame (RFC 6386, 9.1): the 3-byte frame tag and, on a
 * keyframe, the start code and the picture size. Pure.
 */
import { VpxError } from './vpx-error';

export interface Vp8FrameInfo {
  keyframe: boolean;
  /** keyframes only: the coded size (the 2 scaling bits dropped) */
  width?: number;
  height?: number;
}

const START_CODE = [0x9d, 0x01, 0x2a];

/**
 * Frame tag (little-endian 24 bits): bit 0 key_frame (0 = keyframe), bits 1-3 version,
 * bit 4 show_frame, bits 5-23 first_part_size. A keyframe continues with 9d 01 2a and
 * two 16-bit little-endian fields: 14 bits of size, 2 bits of scaling.
 */
export function parseVp8FrameHeader(frame: Buffer): Vp8FrameInfo {
  if (frame.length < 3) throw new VpxError('VP8 frame shorter than its 3-byte frame tag');
  const keyframe = (frame[0] & 0x01) === 0;
  if (!keyframe) return { keyframe };
  if (frame.length < 10) throw new VpxError('VP8 keyframe shorter than its 10-byte header');
  if (frame[3] !== START_CODE[0] || frame[4] !== START_CODE[1] || frame[5] !== START_CODE[2]) {
    throw new VpxError('VP8 keyframe without the start code 9d 01 2a');
  }
  const width = frame.readUInt16LE(6) & 0x3fff;
  const height = frame.readUInt16LE(8) & 0x3fff;
  if (width === 0 || height === 0) throw new VpxError(`VP8 keyframe of size ${width}x${height}`);
  return { keyframe, width, height };
}
