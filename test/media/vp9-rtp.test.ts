/** VP9 RTP payload descriptor (RFC 9628 4.2), uncompressed header and superframe index: bytes laid out by hand from the specs. */
import { parseVp9FrameHeader, parseVp9PayloadDescriptor, vp9FrameFromRtpPayloads, vp9Superframe, VpxError } from '../../src/media';

/**
 * A profile 0 keyframe of 640x480: frame_marker 10, profile 00, show_existing 0,
 * frame_type 0, show_frame 1, error_resilient 0 (0x82); sync code 49 83 42; color_space 1,
 * color_range 0; frame_width_minus_1 639, frame_height_minus_1 479.
 */
const KEYFRAME = Buffer.from([0x82, 0x49, 0x83, 0x42, 0x20, 0x27, 0xf0, 0x1d, 0xf0, 0x00]);
/** frame_type 1 (non-key), show_frame 1. */
const INTERFRAME = Buffer.from([0x86, 0x00, 0x11]);

describe('VP9 payload descriptor', () => {
  const cases: Array<{ name: string; bytes: number[]; expected: Record<string, unknown> }> = [
    {
      name: 'non-flexible: I with M, L with TL0PICIDX',
      bytes: [0xa8, 0x81, 0x02, 0x56, 0x07, 0xaa],
      expected: { pictureId: 0x0102, temporalId: 2, spatialId: 3, tl0PicIdx: 7, startOfFrame: true, endOfFrame: false, flexible: false, size: 5 },
    },
    {
      name: 'flexible with two reference indices',
      bytes: [0xdc, 0x05, 0x03, 0x04, 0xaa],
      expected: { pictureId: 5, interPicturePredicted: true, flexible: true, startOfFrame: true, endOfFrame: true, referenceDiffs: [1, 2], size: 4 },
    },
    {
      name: 'a scalability structure with one layer size and one picture group entry',
      bytes: [0x0e, 0x18, 0x02, 0x80, 0x01, 0xe0, 0x01, 0x04, 0x01, 0xaa],
      expected: { layerSizes: [{ width: 640, height: 480 }], startOfFrame: true, endOfFrame: true, size: 9 },
    },
    { name: 'Z: not a reference for the upper layer', bytes: [0x0d, 0xaa], expected: { notReferenceForUpperLayer: true, size: 1 } },
  ];
  it.each(cases)('$name', ({ bytes, expected }) => {
    expect(parseVp9PayloadDescriptor(Buffer.from(bytes))).toMatchObject(expected);
  });

  it.each([
    ['empty', []],
    ['I with M and one byte', [0x88, 0x81]],
    ['L non-flexible without TL0PICIDX', [0x28, 0x00]],
    ['four reference indices', [0x58, 0x03, 0x03, 0x03, 0x03]],
    ['a layer size cut short', [0x0a, 0x10, 0x02]],
  ])('a malformed descriptor (%s) is a VpxError', (_name, bytes) => {
    expect(() => parseVp9PayloadDescriptor(Buffer.from(bytes))).toThrow(VpxError);
  });
});

describe('VP9 uncompressed header', () => {
  it('reads a keyframe and its size', () => {
    expect(parseVp9FrameHeader(KEYFRAME)).toEqual({ keyframe: true, showExisting: false, width: 640, height: 480 });
  });

  it('tells an interframe and a shown existing frame', () => {
    expect(parseVp9FrameHeader(INTERFRAME)).toEqual({ keyframe: false, showExisting: false });
    expect(parseVp9FrameHeader(Buffer.from([0x88]))).toEqual({ keyframe: false, showExisting: true });
  });

  it('refuses a wrong frame marker and a keyframe without the sync code', () => {
    expect(() => parseVp9FrameHeader(Buffer.from([0x02]))).toThrow(VpxError);
    expect(() => parseVp9FrameHeader(Buffer.from([0x82, 0x49, 0x83, 0x43, 0, 0, 0, 0, 0]))).toThrow(VpxError);
  });
});

describe('VP9 superframe', () => {
  it('appends the index framed by its marker: 0b110, 1 byte per size, 2 frames', () => {
    const out = vp9Superframe([Buffer.from([1, 2, 3]), Buffer.from([4, 5])]);
    expect(out).toEqual(Buffer.from([1, 2, 3, 4, 5, 0xc1, 0x03, 0x02, 0xc1]));
  });

  it('uses two bytes per size for a frame of 256 bytes or more', () => {
    const out = vp9Superframe([Buffer.alloc(0x0102), Buffer.from([9])]);
    expect(out.subarray(out.length - 6)).toEqual(Buffer.from([0xc9, 0x02, 0x01, 0x01, 0x00, 0xc9]));
  });

  it('leaves a single frame as it is', () => {
    expect(vp9Superframe([KEYFRAME])).toBe(KEYFRAME);
  });
});

describe('VP9 picture from RTP payloads', () => {
  it('joins a frame from its B packet to its E packet', () => {
    const frame = vp9FrameFromRtpPayloads([
      Buffer.concat([Buffer.from([0x88, 0x05]), KEYFRAME.subarray(0, 4)]),
      Buffer.concat([Buffer.from([0x84, 0x05]), KEYFRAME.subarray(4)]),
    ]);
    expect(frame).toEqual({ data: KEYFRAME, keyframe: true, width: 640, height: 480 });
  });

  it('makes a superframe of two spatial layers', () => {
    const frame = vp9FrameFromRtpPayloads([Buffer.concat([Buffer.from([0x0c]), KEYFRAME]), Buffer.concat([Buffer.from([0x0c]), INTERFRAME])]);
    expect(frame.data).toEqual(vp9Superframe([KEYFRAME, INTERFRAME]));
    expect(frame.keyframe).toBe(true);
  });

  it('refuses a frame without its first or its last packet', () => {
    expect(() => vp9FrameFromRtpPayloads([Buffer.concat([Buffer.from([0x04]), INTERFRAME])])).toThrow(VpxError);
    expect(() => vp9FrameFromRtpPayloads([Buffer.concat([Buffer.from([0x08]), INTERFRAME])])).toThrow(VpxError);
  });
});
