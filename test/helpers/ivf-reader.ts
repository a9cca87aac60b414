/**
 * Reads the frames of an IVF file (as ffmpeg's libvpx output writes it), for tests that
 * feed VP8/VP9 frames without RTP. Written from the format: a 32-byte file header, then
 * per frame a 12-byte header (size u32, pts u64, little-endian) and the frame.
 */
export interface IvfFile {
  fourcc: string;
  width: number;
  height: number;
  frames: Array<{ pts: number; data: Buffer }>;
}

export function readIvf(file: Buffer): IvfFile {
  if (file.toString('latin1', 0, 4) !== 'DKIF') throw new Error('not an IVF file');
  const headerSize = file.readUInt16LE(6);
  const frames: IvfFile['frames'] = [];
  let pos = headerSize;
  while (pos + 12 <= file.length) {
    const size = file.readUInt32LE(pos);
    const pts = Number(file.readBigUInt64LE(pos + 4));
    frames.push({ pts, data: file.subarray(pos + 12, pos + 12 + size) });
    pos += 12 + size;
  }
  return { fourcc: file.toString('latin1', 8, 12), width: file.readUInt16LE(12), height: file.readUInt16LE(14), frames };
}
