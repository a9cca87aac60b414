/**
 * H.264 bitstream framing: NAL unit types, Annex B (start codes) and AVCC (length
 * prefixes) conversion, and the AVCDecoderConfigurationRecord of ISO/IEC 14496-15
 * 5.2.4.1 that RTMP and FLV carry as the "AVC sequence header". Pure functions.
 */
import { H264Error, parseSps } from './h264-sps';

export { H264Error };

/** nal_unit_type values (H.264 Table 7-1) that the relay meets. */
export const NalType = {
  NonIdr: 1,
  PartitionA: 2,
  PartitionB: 3,
  PartitionC: 4,
  Idr: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  Aud: 9,
  EndOfSequence: 10,
  EndOfStream: 11,
  Filler: 12,
  SpsExt: 13,
  Prefix: 14,
  SubsetSps: 15,
} as const;

/** nal_unit_type: the low 5 bits of the NAL header byte. */
export function nalType(nal: Buffer): number {
  if (nal.length === 0) throw new H264Error('empty NAL unit');
  return nal[0] & 0x1f;
}

const START_CODE = Buffer.from([0, 0, 1]);

/**
 * Splits an Annex B byte stream into NAL units (without start codes). Both 3-byte
 * (00 00 01) and 4-byte (00 00 00 01) start codes are accepted; the zero bytes
 * before a start code (trailing_zero_8bits, or the leading zero of a 4-byte code)
 * are not part of the NAL. Bytes before the first start code are ignored.
 */
export function splitAnnexB(data: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let start = data.indexOf(START_CODE);
  while (start !== -1) {
    const nalStart = start + 3;
    const next = data.indexOf(START_CODE, nalStart);
    let end = next === -1 ? data.length : next;
    // A NAL never ends in a zero byte (it ends with the rbsp stop bit), so zeros
    // here belong to the next start code or are trailing_zero_8bits.
    while (end > nalStart && data[end - 1] === 0) end--;
    if (end > nalStart) nals.push(data.subarray(nalStart, end));
    start = next;
  }
  return nals;
}

/** Joins NAL units as AVCC: each prefixed by its 4-byte big-endian length. */
export function toAvcc(nals: Buffer[]): Buffer {
  let size = 0;
  for (const nal of nals) size += 4 + nal.length;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const nal of nals) {
    out.writeUInt32BE(nal.length, pos);
    nal.copy(out, pos + 4);
    pos += 4 + nal.length;
  }
  return out;
}

/** Splits AVCC data (length-prefixed NAL units) into NAL units. */
export function fromAvcc(data: Buffer, lengthSize = 4): Buffer[] {
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 3 && lengthSize !== 4) {
    throw new H264Error(`invalid AVCC length size ${lengthSize}`);
  }
  const nals: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (pos + lengthSize > data.length) throw new H264Error('AVCC length prefix truncated');
    const len = data.readUIntBE(pos, lengthSize);
    pos += lengthSize;
    if (pos + len > data.length) {
      throw new H264Error(`AVCC NAL length ${len} runs past the end (${data.length - pos} bytes left)`);
    }
    if (len > 0) nals.push(data.subarray(pos, pos + len));
    pos += len;
  }
  return nals;
}

/**
 * Profiles whose AVCDecoderConfigurationRecord ends with the chroma format and bit
 * depth fields (14496-15 5.2.4.1.1; 144 is the withdrawn High 4:4:4 that older
 * editions list, 244 its replacement).
 */
const HIGH_PROFILES_WITH_TRAILER = new Set([100, 110, 122, 144, 244]);

/**
 * Builds an AVCDecoderConfigurationRecord (14496-15 5.2.4.1.1): version 1, profile,
 * compatibility and level copied from the first SPS, 4-byte NAL lengths, the SPS and
 * PPS lists, and for the High profiles the chroma_format / bit depth trailer read
 * from the SPS (with no SequenceParameterSetExt NAL units).
 */
export function buildAvcDecoderConfigurationRecord(sps: Buffer[], pps: Buffer[]): Buffer {
  if (sps.length === 0 || sps.length > 31) throw new H264Error(`need 1..31 SPS, got ${sps.length}`);
  if (pps.length > 255) throw new H264Error(`at most 255 PPS, got ${pps.length}`);
  for (const s of sps) {
    if (s.length < 4) throw new H264Error('SPS shorter than 4 bytes');
    if (s.length > 0xffff) throw new H264Error('SPS longer than 65535 bytes');
  }
  for (const p of pps) {
    if (p.length === 0 || p.length > 0xffff) throw new H264Error(`invalid PPS length ${p.length}`);
  }
  const first = sps[0];
  const profile = first[1];
  const parts: Buffer[] = [
    Buffer.from([
      1, // configurationVersion
      profile, // AVCProfileIndication
      first[2], // profile_compatibility (the constraint_set flags byte)
      first[3], // AVCLevelIndication
      0xfc | 3, // reserved '111111' + lengthSizeMinusOne = 3
      0xe0 | sps.length, // reserved '111' + numOfSequenceParameterSets
    ]),
  ];
  for (const s of sps) parts.push(u16(s.length), s);
  parts.push(Buffer.from([pps.length]));
  for (const p of pps) parts.push(u16(p.length), p);
  if (HIGH_PROFILES_WITH_TRAILER.has(profile)) {
    const info = parseSps(first);
    parts.push(
      Buffer.from([
        0xfc | info.chromaFormatIdc, // reserved '111111' + chroma_format
        0xf8 | (info.bitDepthLuma - 8), // reserved '11111' + bit_depth_luma_minus8
        0xf8 | (info.bitDepthChroma - 8), // reserved '11111' + bit_depth_chroma_minus8
        0, // numOfSequenceParameterSetExt
      ]),
    );
  }
  return Buffer.concat(parts);
}

export interface AvcDecoderConfiguration {
  profile: number;
  compatibility: number;
  level: number;
  /** NAL length prefix size in bytes (lengthSizeMinusOne + 1). */
  lengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
  /** Present when the record carries the High-profile trailer. */
  chromaFormat?: number;
  bitDepthLuma?: number;
  bitDepthChroma?: number;
}

/**
 * Reads an AVCDecoderConfigurationRecord. The High-profile trailer is optional here:
 * many muxers omit it, and decoders ignore it.
 */
export function parseAvcDecoderConfigurationRecord(buf: Buffer): AvcDecoderConfiguration {
  if (buf.length < 7) throw new H264Error(`AVCDecoderConfigurationRecord too short (${buf.length} bytes)`);
  if (buf[0] !== 1) throw new H264Error(`unsupported AVCDecoderConfigurationRecord version ${buf[0]}`);
  const lengthSize = (buf[4] & 3) + 1;
  if (lengthSize === 3) throw new H264Error('lengthSizeMinusOne 2 is not allowed');
  let pos = 5;
  const readSets = (count: number, what: string): Buffer[] => {
    const sets: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > buf.length) throw new H264Error(`${what} length truncated`);
      const len = buf.readUInt16BE(pos);
      pos += 2;
      if (pos + len > buf.length) throw new H264Error(`${what} runs past the end of the record`);
      sets.push(buf.subarray(pos, pos + len));
      pos += len;
    }
    return sets;
  };
  const sps = readSets(buf[pos++] & 0x1f, 'SPS');
  if (pos >= buf.length) throw new H264Error('numOfPictureParameterSets missing');
  const pps = readSets(buf[pos++], 'PPS');
  const result: AvcDecoderConfiguration = {
    profile: buf[1],
    compatibility: buf[2],
    level: buf[3],
    lengthSize,
    sps,
    pps,
  };
  if (HIGH_PROFILES_WITH_TRAILER.has(buf[1]) && pos + 3 <= buf.length) {
    result.chromaFormat = buf[pos] & 3;
    result.bitDepthLuma = (buf[pos + 1] & 7) + 8;
    result.bitDepthChroma = (buf[pos + 2] & 7) + 8;
  }
  return result;
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n, 0);
  return b;
}
