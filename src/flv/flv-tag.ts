/**
 * The FLV tag as the relay passes it around (Adobe FLV spec v10, E.4.1): a type, a
 * millisecond timestamp and the tag body, which is also exactly the payload of the
 * matching RTMP message (audio 8, video 9, data 18).
 */

/** Any malformed FLV input: our decoders throw this and nothing else. */
export class FlvError extends Error {
  override readonly name = 'FlvError';
}

export const FlvTagType = { Audio: 8, Video: 9, Script: 18 } as const;
export type FlvTagTypeId = 8 | 9 | 18;

export interface FlvTag {
  type: FlvTagTypeId;
  /** Milliseconds, uint32. */
  timestamp: number;
  /** Tag body = RTMP message payload. */
  data: Buffer;
}

/** FLV CodecID for AVC (E.4.3.1) and SoundFormat for AAC (E.4.2.1). */
export const FLV_CODEC_AVC = 7;
export const FLV_SOUND_FORMAT_AAC = 10;

/** A video tag whose FrameType is 1 (key frame). */
export function isVideoKeyframe(tag: FlvTag): boolean {
  return tag.type === FlvTagType.Video && tag.data.length >= 1 && tag.data[0] >> 4 === 1;
}

/** An AVC sequence header (AVCPacketType 0) or AAC sequence header (AACPacketType 0). */
export function isSequenceHeader(tag: FlvTag): boolean {
  if (tag.data.length < 2) return false;
  if (tag.type === FlvTagType.Video) return (tag.data[0] & 0x0f) === FLV_CODEC_AVC && tag.data[1] === 0;
  if (tag.type === FlvTagType.Audio) return tag.data[0] >> 4 === FLV_SOUND_FORMAT_AAC && tag.data[1] === 0;
  return false;
}
