/**
 * The start of a VP9 uncompressed header (VP9 bitstream specification 6.2): whether a
 * frame is a keyframe and, on a keyframe, its size. Pure. Reads no further than
 * frame_size(), so the refresh and loop-filter syntax that follows is never parsed.
 */
import { VpxError } from './vpx-error';

export interface Vp9FrameInfo {
  keyframe: boolean;
  /** shows a frame decoded earlier instead of coding one */
  showExisting: boolean;
  width?: number;
  height?: number;
}

const SYNC_CODE = 0x498342;
const CS_RGB = 7;

/** MSB-first bits over a buffer; reading past the end is a VpxError. */
class Bits {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  read(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.buf.length * 8) throw new VpxError('VP9 uncompressed header truncated');
      v = v * 2 + ((this.buf[this.pos >>> 3] >>> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
}

export function parseVp9FrameHeader(frame: Buffer): Vp9FrameInfo {
  const r = new Bits(frame);
  if (r.read(2) !== 2) throw new VpxError('VP9 frame_marker is not 2');
  const profile = r.read(1) | (r.read(1) << 1);
  if (profile === 3) r.read(1); // reserved_zero
  if (r.read(1) === 1) return { keyframe: false, showExisting: true }; // show_existing_frame
  const frameType = r.read(1); // 0 = KEY_FRAME
  r.read(1); // show_frame
  r.read(1); // error_resilient_mode
  if (frameType !== 0) return { keyframe: false, showExisting: false };
  if (r.read(24) !== SYNC_CODE) throw new VpxError('VP9 keyframe without the sync code 49 83 42');
  // color_config()
  if (profile >= 2) r.read(1); // ten_or_twelve_bit
  const colorSpace = r.read(3);
  if (colorSpace !== CS_RGB) {
    r.read(1); // color_range
    if (profile === 1 || profile === 3) r.read(3); // subsampling_x, subsampling_y, reserved_zero
  } else if (profile === 1 || profile === 3) {
    r.read(1); // reserved_zero
  }
  // frame_size()
  const width = r.read(16) + 1;
  const height = r.read(16) + 1;
  return { keyframe: true, showExisting: false, width, height };
}

/**
 * Joins the frames of one picture (spatial layers) into a superframe (Annex B of the
 * bitstream specification): the frames, then an index of their sizes framed by the
 * same marker byte at both ends. One frame is returned as is.
 */
export function vp9Superframe(frames: Buffer[]): Buffer {
  if (frames.length === 1) return frames[0]!;
  if (frames.length === 0 || frames.length > 8) throw new VpxError(`a VP9 superframe holds 1 to 8 frames, not ${frames.length}`);
  const largest = Math.max(...frames.map((f) => f.length));
  const bytesPerSize = largest < 0x100 ? 1 : largest < 0x10000 ? 2 : largest < 0x1000000 ? 3 : 4;
  const marker = 0xc0 | ((bytesPerSize - 1) << 3) | (frames.length - 1);
  const index = Buffer.alloc(2 + bytesPerSize * frames.length);
  index[0] = marker;
  frames.forEach((f, i) => index.writeUIntLE(f.length, 1 + i * bytesPerSize, bytesPerSize));
  index[index.length - 1] = marker;
  return Buffer.concat([...frames, index]);
}
