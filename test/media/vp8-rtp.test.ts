/** VP8 RTP payload descriptor (RFC 7741 4.2) and frame header (RFC 6386 9.1): bytes laid out by hand from the specs. */
import { parseVp8FrameHeader, parseVp8PayloadDescriptor, vp8FrameFromRtpPayloads, VpxError } from '../../src/media';

/** A 640x480 keyframe head: frame tag (key_frame=0, show_frame=1), start code, sizes 0x0280 and 0x01e0 little-endian. */
const KEYFRAME_HEAD = Buffer.from([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);

describe('VP8 payload descriptor', () => {
  const cases: Array<{ name: string; bytes: number[]; expected: Record<string, unknown> }> = [
    { name: 'S=1 PID=0 and nothing else: one byte', bytes: [0x10, 0xaa], expected: { startOfPartition: true, partitionIndex: 0, nonReference: false, size: 1 } },
    { name: 'N=1, PID=3, not a start', bytes: [0x23, 0xaa], expected: { startOfPartition: false, partitionIndex: 3, nonReference: true, size: 1 } },
    { name: 'X, I with M: a 15-bit PictureID', bytes: [0x90, 0x80, 0x81, 0x23, 0xaa], expected: { pictureId: 0x0123, size: 4 } },
    {
      name: 'X with I (7 bits), L, T and K',
      bytes: [0x90, 0xf0, 0x05, 0x2a, 0b10_1_00011, 0xaa],
      expected: { pictureId: 5, tl0PicIdx: 42, temporalLayer: 2, keyIndex: 3, size: 5 },
    },
    { name: 'X with K only: KEYIDX without TID', bytes: [0x90, 0x10, 0x1f, 0xaa], expected: { keyIndex: 31, size: 3 } },
  ];
  it.each(cases)('$name', ({ bytes, expected }) => {
    expect(parseVp8PayloadDescriptor(Buffer.from(bytes))).toMatchObject(expected);
  });

  it('reads no TID when only K is set', () => {
    expect(parseVp8PayloadDescriptor(Buffer.from([0x90, 0x10, 0xdf, 0xaa])).temporalLayer).toBeUndefined();
  });

  it.each([
    ['empty', []],
    ['X without its extension byte', [0x80]],
    ['I with M and one PictureID byte', [0x90, 0x80, 0x81]],
    ['L without TL0PICIDX', [0x90, 0x40]],
  ])('a truncated descriptor (%s) is a VpxError', (_name, bytes) => {
    expect(() => parseVp8PayloadDescriptor(Buffer.from(bytes))).toThrow(VpxError);
  });
});

describe('VP8 frame header', () => {
  it('reads a keyframe and its size', () => {
    expect(parseVp8FrameHeader(KEYFRAME_HEAD)).toEqual({ keyframe: true, width: 640, height: 480 });
  });

  it('drops the two scaling bits from the size', () => {
    const head = Buffer.from(KEYFRAME_HEAD);
    head[7] |= 0x40; // horizontal_scale = 1
    head[9] |= 0xc0; // vertical_scale = 3
    expect(parseVp8FrameHeader(head)).toEqual({ keyframe: true, width: 640, height: 480 });
  });

  it('tells an interframe by key_frame = 1', () => {
    expect(parseVp8FrameHeader(Buffer.from([0x11, 0x02, 0x00, 0x55]))).toEqual({ keyframe: false });
  });

  it('refuses a keyframe without the start code', () => {
    const head = Buffer.from(KEYFRAME_HEAD);
    head[4] = 0x00;
    expect(() => parseVp8FrameHeader(head)).toThrow(VpxError);
  });
});

describe('VP8 frame from RTP payloads', () => {
  it('joins the packets of a frame without their descriptors', () => {
    const first = Buffer.concat([Buffer.from([0x90, 0x80, 0x05]), KEYFRAME_HEAD]);
    const second = Buffer.from([0x80, 0x80, 0x05, 0xde, 0xad]);
    const frame = vp8FrameFromRtpPayloads([first, second]);
    expect(frame.data).toEqual(Buffer.concat([KEYFRAME_HEAD, Buffer.from([0xde, 0xad])]));
    expect(frame).toMatchObject({ keyframe: true, width: 640, height: 480 });
  });

  it('refuses a frame whose first packet is not the start of partition 0', () => {
    expect(() => vp8FrameFromRtpPayloads([Buffer.from([0x00, 0x11, 0x02, 0x00])])).toThrow(VpxError);
    expect(() => vp8FrameFromRtpPayloads([Buffer.from([0x11, 0x11, 0x02, 0x00])])).toThrow(VpxError);
  });

  it('survives random payloads with a VpxError or a frame (seeded)', () => {
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const payload = Buffer.from(Array.from({ length: 1 + (next() % 16) }, next));
      try {
        vp8FrameFromRtpPayloads([payload]);
      } catch (error) {
        expect(error).toBeInstanceOf(VpxError);
      }
    }
  });
});
