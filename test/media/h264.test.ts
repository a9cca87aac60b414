import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildAvcDecoderConfigurationRecord,
  fromAvcc,
  H264Error,
  nalType,
  NalType,
  parseAvcDecoderConfigurationRecord,
  splitAnnexB,
  toAvcc,
} from '../../src/media/h264';

const FIXTURES = join(__dirname, '..', 'fixtures');
/** Hex with `//` comments naming each field, as the spec tables list them. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

// Parameter sets libx264 wrote (test/fixtures/make-media-fixtures.sh), with emulation prevention.
const HIGH_720_SPS = hex('6764001facd9405005bb0110000003001000000303c0f1831960');
const HIGH_720_PPS = hex('68ebe3cb22c0');
const BASE_720_SPS = hex('6742c01fd9005005bb0110000003001000000303c0f1832480');
const BASE_720_PPS = hex('68cb83cb20');
const HIGH422_SPS = hex('677a000dbcd9416096c044000003000400000300f03c50a658');

describe('Annex B and AVCC framing', () => {
  it('splits 3- and 4-byte start codes and drops trailing zero bytes', () => {
    const stream = hex(`
      ffff  // garbage before the first start code is ignored
      00000001 0901f0  // 4-byte start code, AUD
      000001   6742c01f  // 3-byte start code, SPS
      0000     00000001 68ce3880  // trailing_zero_8bits then a 4-byte start code, PPS
      000001   65888480  // IDR slice at the end of the buffer
    `);
    expect(splitAnnexB(stream).map((n) => n.toString('hex'))).toEqual(['0901f0', '6742c01f', '68ce3880', '65888480']);
  });

  it('finds no NAL units in a buffer without a start code', () => {
    expect(splitAnnexB(hex('6742c01f'))).toEqual([]);
    expect(splitAnnexB(Buffer.alloc(0))).toEqual([]);
  });

  it('reads the NAL types of a real libx264 stream in order', () => {
    const nals = splitAnnexB(readFileSync(join(FIXTURES, 'h264-high-1280x720.h264')));
    expect(nals.map(nalType)).toEqual([NalType.Sps, NalType.Pps, NalType.Sei, NalType.Idr, NalType.NonIdr]);
    expect(nals[0]).toEqual(HIGH_720_SPS);
    expect(nals[1]).toEqual(HIGH_720_PPS);
  });

  const avccCases = [
    { name: 'one NAL', nals: ['65888400'], avcc: '00000004 65888400' },
    { name: 'SPS, PPS and a slice', nals: ['6742c01f', '68ce3880', '41'], avcc: '00000004 6742c01f 00000004 68ce3880 00000001 41' },
    { name: 'nothing', nals: [], avcc: '' },
  ];
  it.each(avccCases)('toAvcc / fromAvcc: $name', ({ nals, avcc }) => {
    expect(toAvcc(nals.map(hex))).toEqual(hex(avcc));
    expect(fromAvcc(hex(avcc)).map((n) => n.toString('hex'))).toEqual(nals);
  });

  it('fromAvcc reads 1- and 2-byte length prefixes', () => {
    expect(fromAvcc(hex('02 6742 01 68'), 1)).toEqual([hex('6742'), hex('68')]);
    expect(fromAvcc(hex('0002 6742 0001 68'), 2)).toEqual([hex('6742'), hex('68')]);
  });

  it('fromAvcc throws on a length past the end or a cut prefix', () => {
    expect(() => fromAvcc(hex('00000005 65888400'))).toThrow(H264Error);
    expect(() => fromAvcc(hex('00000001 41 0000'))).toThrow(H264Error);
    expect(() => fromAvcc(hex('01'), 3)).toThrow(H264Error);
  });

  it('nalType throws on an empty NAL', () => {
    expect(() => nalType(Buffer.alloc(0))).toThrow(H264Error);
  });
});

describe('AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.2.4.1)', () => {
  const cases = [
    {
      name: 'Chromium-like constrained baseline 42e01f, hand-written',
      sps: ['6742e01fda0280bfe540'],
      pps: ['68ce3880'],
      record: `
        01  // configurationVersion
        42 e0 1f  // AVCProfileIndication 66, profile_compatibility e0, AVCLevelIndication 31
        ff  // 111111 + lengthSizeMinusOne 3
        e1  // 111 + numOfSequenceParameterSets 1
        000a 6742e01fda0280bfe540
        01  // numOfPictureParameterSets
        0004 68ce3880
      `,
      profile: 66,
      compatibility: 0xe0,
      level: 31,
    },
    {
      name: 'libx264 baseline 1280x720 (as ffmpeg 5.1 -f flv writes it)',
      sps: [BASE_720_SPS.toString('hex')],
      pps: [BASE_720_PPS.toString('hex')],
      record: '0142c01fffe100196742c01fd9005005bb0110000003001000000303c0f183248001000568cb83cb20',
      profile: 66,
      compatibility: 0xc0,
      level: 31,
    },
    {
      name: 'libx264 High 1280x720 with the 4:2:0 8-bit trailer (as ffmpeg 5.1 -f flv writes it)',
      sps: [HIGH_720_SPS.toString('hex')],
      pps: [HIGH_720_PPS.toString('hex')],
      record: `
        01 64 00 1f ff e1
        001a 6764001facd9405005bb0110000003001000000303c0f1831960
        01 0006 68ebe3cb22c0
        fd  // 111111 + chroma_format 1
        f8  // 11111 + bit_depth_luma_minus8 0
        f8  // 11111 + bit_depth_chroma_minus8 0
        00  // numOfSequenceParameterSetExt
      `,
      profile: 100,
      compatibility: 0,
      level: 31,
    },
    {
      name: 'libx264 High 4:2:2 with chroma_format 2 (as ffmpeg 5.1 -f flv writes it)',
      sps: [HIGH422_SPS.toString('hex')],
      pps: ['68ebe3cb22c0'],
      record: '017a000dffe10019677a000dbcd9416096c044000003000400000300f03c50a65801000668ebe3cb22c0fef8f800',
      profile: 122,
      compatibility: 0,
      level: 13,
    },
  ];

  it.each(cases)('builds $name', ({ sps, pps, record }) => {
    expect(buildAvcDecoderConfigurationRecord(sps.map(hex), pps.map(hex)).toString('hex')).toBe(
      hex(record).toString('hex'),
    );
  });

  it.each(cases)('parses $name', ({ sps, pps, record, profile, compatibility, level }) => {
    const parsed = parseAvcDecoderConfigurationRecord(hex(record));
    expect(parsed).toMatchObject({ profile, compatibility, level, lengthSize: 4 });
    expect(parsed.sps.map((b) => b.toString('hex'))).toEqual(sps);
    expect(parsed.pps.map((b) => b.toString('hex'))).toEqual(pps);
  });

  it('reads the High trailer when present and accepts a record without it', () => {
    const withTrailer = parseAvcDecoderConfigurationRecord(hex(cases[3].record));
    expect(withTrailer).toMatchObject({ chromaFormat: 2, bitDepthLuma: 8, bitDepthChroma: 8 });
    const cut = hex(cases[2].record);
    const without = parseAvcDecoderConfigurationRecord(cut.subarray(0, cut.length - 4));
    expect(without.sps).toEqual([HIGH_720_SPS]);
    expect(without.chromaFormat).toBeUndefined();
  });

  it('rejects bad versions, truncation and no SPS', () => {
    expect(() => parseAvcDecoderConfigurationRecord(hex('0242c01fffe1000100'))).toThrow(H264Error);
    expect(() => parseAvcDecoderConfigurationRecord(hex('0142c01fffe1001a6764'))).toThrow(H264Error);
    expect(() => parseAvcDecoderConfigurationRecord(hex('0142c01f'))).toThrow(H264Error);
    expect(() => buildAvcDecoderConfigurationRecord([], [HIGH_720_PPS])).toThrow(H264Error);
    expect(() => buildAvcDecoderConfigurationRecord([hex('6764')], [HIGH_720_PPS])).toThrow(H264Error);
  });
});
