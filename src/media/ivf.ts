/**
 * The IVF container (libvpx's ivfenc/ivfdec, read by ffmpeg's `ivf` demuxer): a
 * 32-byte file header, then per frame a 12-byte header and the frame. Every field is
 * little-endian. Pure.
 *
 *   file:  "DKIF" | version u16 = 0 | header size u16 = 32 | fourcc | width u16 | height u16
 *          | timebase denominator u32 | timebase numerator u32 | frame count u32 | unused u32
 *   frame: size u32 | pts u64 (in timebase units)
 */
export type IvfFourcc = 'VP80' | 'VP90';

export interface IvfHeader {
  fourcc: IvfFourcc;
  width: number;
  height: number;
  /** the timebase is numerator/denominator seconds: 1/1000 for ms timestamps */
  timebaseDenominator: number;
  timebaseNumerator: number;
  /** 0 when unknown (a live stream) */
  frameCount: number;
}

export const IVF_FILE_HEADER_SIZE = 32;
export const IVF_FRAME_HEADER_SIZE = 12;

export function ivfFileHeader(h: IvfHeader): Buffer {
  const b = Buffer.alloc(IVF_FILE_HEADER_SIZE);
  b.write('DKIF', 0, 'latin1');
  b.writeUInt16LE(0, 4);
  b.writeUInt16LE(IVF_FILE_HEADER_SIZE, 6);
  b.write(h.fourcc, 8, 'latin1');
  b.writeUInt16LE(h.width, 12);
  b.writeUInt16LE(h.height, 14);
  b.writeUInt32LE(h.timebaseDenominator, 16);
  b.writeUInt32LE(h.timebaseNumerator, 20);
  b.writeUInt32LE(h.frameCount, 24);
  return b;
}

export function ivfFrameHeader(frameSize: number, pts: number): Buffer {
  if (!Number.isInteger(pts) || pts < 0) throw new RangeError(`IVF pts must be a non-negative integer, got ${pts}`);
  const b = Buffer.alloc(IVF_FRAME_HEADER_SIZE);
  b.writeUInt32LE(frameSize, 0);
  b.writeBigUInt64LE(BigInt(pts), 4);
  return b;
}

/** One frame as it goes into an IVF stream: its header, then its bytes. */
export function ivfFrame(frame: Buffer, pts: number): Buffer {
  return Buffer.concat([ivfFrameHeader(frame.length, pts), frame]);
}
