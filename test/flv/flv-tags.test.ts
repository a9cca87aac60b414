import {
  aacRawTag,
  aacSequenceHeaderTag,
  avcEndOfSequenceTag,
  avcNaluTag,
  avcNaluTagFromNalUnits,
  avcSequenceHeaderTag,
  encodeFlvTag,
  flvFileHeader,
  FlvError,
  FlvReader,
  FlvTag,
  isSequenceHeader,
  isVideoKeyframe,
  parseAudioTag,
  parseVideoTag,
} from '../../src/flv';
import { toAvcc } from '../../src/media/h264';

/** Hex with `//` comments naming each field, as the spec tables list them. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

describe('FLV file header (FLV spec v10, E.2)', () => {
  it.each([
    [true, true, '464c56 01 05 00000009 00000000'],
    [false, true, '464c56 01 01 00000009 00000000'],
    [true, false, '464c56 01 04 00000009 00000000'],
  ])('audio %s, video %s', (hasAudio, hasVideo, bytes) => {
    // 'FLV', version 1, TypeFlags (audio 0x04 | video 0x01), DataOffset 9, PreviousTagSize0
    expect(flvFileHeader(hasAudio, hasVideo)).toEqual(hex(bytes));
    const reader = new FlvReader();
    expect(reader.push(hex(bytes))).toEqual([]);
    expect(reader.header).toEqual({ version: 1, hasAudio, hasVideo });
  });
});

interface TagCase {
  name: string;
  tag: FlvTag;
  /** Tag body (= RTMP message payload). */
  body: string;
  /** The tag in a file: 11-byte header, body, PreviousTagSize. */
  file: string;
  keyframe: boolean;
  sequenceHeader: boolean;
  parsed: Record<string, unknown>;
}

const RECORD = '0142e01fffe1000a6742e01fda0280bfe54001000468ce3880';

const cases: TagCase[] = [
  {
    name: 'AVC sequence header',
    tag: avcSequenceHeaderTag(0, hex(RECORD)),
    body: `17        // FrameType 1 (key) | CodecID 7 (AVC)
           00        // AVCPacketType 0: sequence header
           000000    // CompositionTime 0
           ${RECORD} // AVCDecoderConfigurationRecord`,
    file: `09 00001e 000000 00 000000  // TagType 9, DataSize 30, Timestamp 0, TimestampExtended 0, StreamID 0
           1700000000 ${RECORD}
           00000029                 // PreviousTagSize 11 + 30`,
    keyframe: true,
    sequenceHeader: true,
    parsed: { frameType: 1, codecId: 7, avcPacketType: 0, compositionTime: 0 },
  },
  {
    name: 'AVC keyframe NALU with composition time +66 ms',
    tag: avcNaluTag(1000, true, hex('00000002 6588'), 66),
    body: `17 01      // key, AVC, AVCPacketType 1: NALU
           000042     // CompositionTime +66 (SI24)
           00000002 6588`,
    file: `09 00000b 0003e8 00 000000  // DataSize 11, Timestamp 1000
           1701000042 000000026588
           00000016`,
    keyframe: true,
    sequenceHeader: false,
    parsed: { frameType: 1, codecId: 7, avcPacketType: 1, compositionTime: 66 },
  },
  {
    name: 'AVC inter NALU with negative composition time -33 ms',
    tag: avcNaluTag(0x123456, false, hex('00000001 41'), -33),
    body: `27 01      // FrameType 2 (inter), AVC, NALU
           ffffdf     // CompositionTime -33 in two's complement SI24
           00000001 41`,
    file: `09 00000a 123456 00 000000
           2701ffffdf 0000000141
           00000015`,
    keyframe: false,
    sequenceHeader: false,
    parsed: { frameType: 2, codecId: 7, avcPacketType: 1, compositionTime: -33 },
  },
  {
    name: 'AVC end of sequence',
    tag: avcEndOfSequenceTag(5000),
    body: `17 02 000000  // key, AVC, AVCPacketType 2: end of sequence, CompositionTime 0`,
    file: `09 000005 001388 00 000000
           1702000000
           00000010`,
    keyframe: true,
    sequenceHeader: false,
    parsed: { frameType: 1, codecId: 7, avcPacketType: 2, compositionTime: 0 },
  },
  {
    name: 'AAC sequence header (48 kHz stereo LC)',
    tag: aacSequenceHeaderTag(0, hex('1190')),
    body: `af    // SoundFormat 10 (AAC) | SoundRate 3 (44k) | SoundSize 1 (16-bit) | SoundType 1 (stereo)
           00    // AACPacketType 0: AudioSpecificConfig follows
           1190`,
    file: `08 000004 000000 00 000000
           af001190
           0000000f`,
    keyframe: false,
    sequenceHeader: true,
    parsed: { soundFormat: 10, soundRate: 3, soundSize: 1, soundType: 1, aacPacketType: 0 },
  },
  {
    name: 'AAC raw frame with a timestamp past 2^24 (TimestampExtended)',
    tag: aacRawTag(0x01234567, hex('21100503')),
    body: `af 01 21100503  // AACPacketType 1: raw AAC frame`,
    file: `08 000006 234567 01 000000  // Timestamp low 24 bits 234567, TimestampExtended 01
           af0121100503
           00000011`,
    keyframe: false,
    sequenceHeader: false,
    parsed: { soundFormat: 10, soundRate: 3, soundSize: 1, soundType: 1, aacPacketType: 1 },
  },
  {
    name: 'video timestamp 0xffffffff',
    tag: avcNaluTag(0xffffffff, false, hex('00000001 41')),
    body: `27 01 000000 00000001 41`,
    file: `09 00000a ffffff ff 000000
           2701000000 0000000141
           00000015`,
    keyframe: false,
    sequenceHeader: false,
    parsed: { frameType: 2, codecId: 7, avcPacketType: 1, compositionTime: 0 },
  },
];

describe('FLV tags (FLV spec v10, E.4)', () => {
  it.each(cases)('$name: builds the body', ({ tag, body }) => {
    expect(tag.data.toString('hex')).toBe(hex(body).toString('hex'));
  });

  it.each(cases)('$name: parses the body', ({ tag, body, parsed }) => {
    const data = hex(body);
    const result = tag.type === 9 ? parseVideoTag(data) : parseAudioTag(data);
    expect(result).toMatchObject(parsed);
    // payload: what follows the 5-byte AVC or 2-byte AAC header
    expect(result.payload).toEqual(data.subarray(tag.type === 9 ? 5 : 2));
  });

  it.each(cases)('$name: keyframe and sequence-header tests', ({ tag, keyframe, sequenceHeader }) => {
    expect(isVideoKeyframe(tag)).toBe(keyframe);
    expect(isSequenceHeader(tag)).toBe(sequenceHeader);
  });

  it.each(cases)('$name: encodes as a file tag', ({ tag, file }) => {
    expect(encodeFlvTag(tag).toString('hex')).toBe(hex(file).toString('hex'));
  });

  it.each(cases)('$name: FlvReader reads the file tag back', ({ tag, file }) => {
    const reader = new FlvReader();
    const tags = reader.push(Buffer.concat([flvFileHeader(true, true), hex(file)]));
    expect(tags).toEqual([{ type: tag.type, timestamp: tag.timestamp, data: tag.data }]);
  });

  it('rejects composition times outside SI24 and timestamps outside uint32', () => {
    expect(() => avcNaluTag(0, true, Buffer.alloc(0), 2 ** 23)).toThrow(FlvError);
    expect(() => avcNaluTag(0, true, Buffer.alloc(0), -(2 ** 23) - 1)).toThrow(FlvError);
    expect(avcNaluTag(0, true, Buffer.alloc(0), -(2 ** 23)).data.subarray(2, 5)).toEqual(hex('800000'));
    expect(() => encodeFlvTag({ type: 9, timestamp: -1, data: Buffer.alloc(0) })).toThrow(FlvError);
    expect(() => encodeFlvTag({ type: 9, timestamp: 2 ** 32, data: Buffer.alloc(0) })).toThrow(FlvError);
    expect(() => encodeFlvTag({ type: 9, timestamp: 1.5, data: Buffer.alloc(0) })).toThrow(FlvError);
  });

  it('throws FlvError on truncated video and audio tags', () => {
    expect(() => parseVideoTag(Buffer.alloc(0))).toThrow(FlvError);
    expect(() => parseVideoTag(hex('170100'))).toThrow(FlvError);
    expect(() => parseAudioTag(Buffer.alloc(0))).toThrow(FlvError);
    expect(() => parseAudioTag(hex('af'))).toThrow(FlvError);
  });

  it('passes other codecs through with only the first byte read', () => {
    expect(parseVideoTag(hex('22 aabb'))).toEqual({ frameType: 2, codecId: 2, payload: hex('aabb') });
    // MP3 (2), 44 kHz, 16-bit, stereo
    expect(parseAudioTag(hex('2f ccdd'))).toEqual({ soundFormat: 2, soundRate: 3, soundSize: 1, soundType: 1, payload: hex('ccdd') });
  });
});

describe('avcNaluTagFromNalUnits: the NALU tag built straight from NAL units (FLV spec v10, E.4.3.1)', () => {
  it('writes the AVC header, then each NAL unit behind its 4-byte big-endian length', () => {
    const tag = avcNaluTagFromNalUnits(1000, true, [hex('6588 84'), hex('06 05'), hex('41')], 66);
    expect(tag.type).toBe(9);
    expect(tag.timestamp).toBe(1000);
    expect(tag.data.toString('hex')).toBe(
      hex(`17 01 000042           // key, AVC, NALU, CompositionTime +66
           00000003 658884        // IDR slice
           00000002 0605          // SEI
           00000001 41`).toString('hex'),
    );
  });

  it('is the same tag as avcNaluTag over the AVCC join, for views into a larger buffer too', () => {
    const packet = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
    const nals = [packet.subarray(10, 1510), packet.subarray(1600, 1601), packet.subarray(2000, 3000)];
    for (const [keyframe, cts] of [[true, 0], [false, -33], [false, 2 ** 23 - 1]] as const) {
      const built = avcNaluTagFromNalUnits(0x12345678, keyframe, nals, cts);
      expect(built).toEqual(avcNaluTag(0x12345678, keyframe, toAvcc(nals), cts));
    }
    expect(avcNaluTagFromNalUnits(5, false, []).data.toString('hex')).toBe('2701000000');
  });

  it('rejects composition times outside SI24', () => {
    expect(() => avcNaluTagFromNalUnits(0, true, [hex('65')], 2 ** 23)).toThrow(FlvError);
    expect(() => avcNaluTagFromNalUnits(0, true, [hex('65')], -(2 ** 23) - 1)).toThrow(FlvError);
  });
});
