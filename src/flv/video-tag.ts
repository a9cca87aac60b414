/**
 * VIDEODATA with AVCVIDEOPACKET (FLV spec v10, E.4.3.1 and E.4.3.2):
 * FrameType(4) CodecID(4) | AVCPacketType(8) | CompositionTime SI24 | data.
 */
import { FLV_CODEC_AVC, FlvError, FlvTag, FlvTagType } from './flv-tag';

export const FlvFrameType = { Key: 1, Inter: 2, DisposableInter: 3, Generated: 4, Command: 5 } as const;
export const AvcPacketType = { SequenceHeader: 0, Nalu: 1, EndOfSequence: 2 } as const;

const MIN_CTS = -(2 ** 23);
const MAX_CTS = 2 ** 23 - 1;
/** FrameType/CodecID, AVCPacketType, CompositionTime. */
const AVC_HEADER_LENGTH = 5;

/** A tag body of 5 + bodyLength bytes with the AVC header written; the body is the caller's to fill. */
function avcTagData(frameType: number, packetType: number, cts: number, bodyLength: number): Buffer {
  if (!Number.isInteger(cts) || cts < MIN_CTS || cts > MAX_CTS) {
    throw new FlvError(`composition time ${cts} ms does not fit in SI24`);
  }
  const data = Buffer.allocUnsafe(AVC_HEADER_LENGTH + bodyLength);
  data[0] = (frameType << 4) | FLV_CODEC_AVC;
  data[1] = packetType;
  data.writeIntBE(cts, 2, 3);
  return data;
}

function avcTag(timestamp: number, frameType: number, packetType: number, cts: number, body: Buffer): FlvTag {
  const data = avcTagData(frameType, packetType, cts, body.length);
  body.copy(data, AVC_HEADER_LENGTH);
  return { type: FlvTagType.Video, timestamp, data };
}

/** 0x17 0x00 00 00 00 + AVCDecoderConfigurationRecord. */
export function avcSequenceHeaderTag(timestamp: number, record: Buffer): FlvTag {
  return avcTag(timestamp, FlvFrameType.Key, AvcPacketType.SequenceHeader, 0, record);
}

/**
 * 0x17 (key) or 0x27 (inter), 0x01, CompositionTime (pts − dts in ms, may be
 * negative), then AVCC NAL units (4-byte lengths).
 */
export function avcNaluTag(timestamp: number, keyframe: boolean, avcc: Buffer, compositionTimeMs = 0): FlvTag {
  const frameType = keyframe ? FlvFrameType.Key : FlvFrameType.Inter;
  return avcTag(timestamp, frameType, AvcPacketType.Nalu, compositionTimeMs, avcc);
}

/**
 * The same tag as avcNaluTag(timestamp, keyframe, toAvcc(nalUnits), compositionTimeMs),
 * built in one pass: the NAL units (views, start codes removed) are copied once, straight
 * into the tag body behind their 4-byte lengths.
 */
export function avcNaluTagFromNalUnits(timestamp: number, keyframe: boolean, nalUnits: readonly Buffer[], compositionTimeMs = 0): FlvTag {
  let bodyLength = 0;
  for (let i = 0; i < nalUnits.length; i++) bodyLength += 4 + nalUnits[i].length;
  const frameType = keyframe ? FlvFrameType.Key : FlvFrameType.Inter;
  const data = avcTagData(frameType, AvcPacketType.Nalu, compositionTimeMs, bodyLength);
  let pos = AVC_HEADER_LENGTH;
  for (let i = 0; i < nalUnits.length; i++) {
    const nal = nalUnits[i];
    data.writeUInt32BE(nal.length, pos);
    pos += 4 + nal.copy(data, pos + 4);
  }
  return { type: FlvTagType.Video, timestamp, data };
}

/** 0x17 0x02 00 00 00: the end of the AVC sequence, as ffmpeg's FLV muxer writes it. */
export function avcEndOfSequenceTag(timestamp: number): FlvTag {
  return avcTag(timestamp, FlvFrameType.Key, AvcPacketType.EndOfSequence, 0, Buffer.alloc(0));
}

export interface ParsedVideoTag {
  frameType: number;
  codecId: number;
  /** Only for AVC (CodecID 7). */
  avcPacketType?: number;
  compositionTime?: number;
  /** AVCDecoderConfigurationRecord, AVCC NAL units, or the body of another codec. */
  payload: Buffer;
}

export function parseVideoTag(data: Buffer): ParsedVideoTag {
  if (data.length < 1) throw new FlvError('empty video tag');
  const frameType = data[0] >> 4;
  const codecId = data[0] & 0x0f;
  if (codecId !== FLV_CODEC_AVC) return { frameType, codecId, payload: data.subarray(1) };
  if (data.length < 5) throw new FlvError(`AVC video tag truncated (${data.length} bytes)`);
  return {
    frameType,
    codecId,
    avcPacketType: data[1],
    compositionTime: data.readIntBE(2, 3),
    payload: data.subarray(5),
  };
}
