/** IVF file and frame headers, byte for byte from the format (libvpx ivfenc, ffmpeg ivfdec). */
import { ivfFileHeader, ivfFrame, ivfFrameHeader } from '../../src/media';

describe('IVF', () => {
  it('writes the 32-byte file header: DKIF, version 0, size 32, fourcc, size, timebase, frame count', () => {
    const header = ivfFileHeader({ fourcc: 'VP80', width: 640, height: 480, timebaseDenominator: 1000, timebaseNumerator: 1, frameCount: 0 });
    expect(header).toEqual(
      Buffer.from([
        0x44, 0x4b, 0x49, 0x46, // DKIF
        0x00, 0x00, // version
        0x20, 0x00, // header size
        0x56, 0x50, 0x38, 0x30, // VP80
        0x80, 0x02, // 640
        0xe0, 0x01, // 480
        0xe8, 0x03, 0x00, 0x00, // 1000
        0x01, 0x00, 0x00, 0x00, // 1
        0x00, 0x00, 0x00, 0x00, // frames
        0x00, 0x00, 0x00, 0x00, // unused
      ]),
    );
  });

  it('writes the 12-byte frame header: size u32, pts u64, little-endian', () => {
    expect(ivfFrameHeader(0x0102, 0x0000_0001_0000_0203)).toEqual(Buffer.from([0x02, 0x01, 0, 0, 0x03, 0x02, 0, 0, 0x01, 0, 0, 0]));
  });

  it('puts the frame after its header', () => {
    expect(ivfFrame(Buffer.from([0xaa, 0xbb]), 40)).toEqual(Buffer.from([2, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0xbb]));
  });

  it('refuses a negative or fractional pts', () => {
    expect(() => ivfFrameHeader(1, -1)).toThrow(RangeError);
    expect(() => ivfFrameHeader(1, 1.5)).toThrow(RangeError);
  });
});
