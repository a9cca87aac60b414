/**
 * AUDIODATA with AACAUDIODATA (FLV spec v10, E.4.2.1 and E.4.2.2):
 * SoundFormat(4) SoundRate(2) SoundSize(1) SoundType(1) | AACPacketType(8) | data.
 */
import { FLV_SOUND_FORMAT_AAC, FlvError, FlvTag, FlvTagType } from './flv-tag';

export const AacPacketType = { SequenceHeader: 0, Raw: 1 } as const;

/**
 * SoundFormat 10 (AAC), SoundRate 3 (44 kHz), SoundSize 1 (16-bit), SoundType 1
 * (stereo). The spec fixes these for AAC: the real rate and channels are in the
 * AudioSpecificConfig, and players ignore the flags.
 */
const AAC_FLAGS = (FLV_SOUND_FORMAT_AAC << 4) | (3 << 2) | (1 << 1) | 1; // 0xAF

function aacTag(timestamp: number, packetType: number, body: Buffer): FlvTag {
  const data = Buffer.allocUnsafe(2 + body.length);
  data[0] = AAC_FLAGS;
  data[1] = packetType;
  body.copy(data, 2);
  return { type: FlvTagType.Audio, timestamp, data };
}

/** 0xAF 0x00 + AudioSpecificConfig. */
export function aacSequenceHeaderTag(timestamp: number, audioSpecificConfig: Buffer): FlvTag {
  return aacTag(timestamp, AacPacketType.SequenceHeader, audioSpecificConfig);
}

/** 0xAF 0x01 + one raw AAC frame (no ADTS header). */
export function aacRawTag(timestamp: number, rawAacFrame: Buffer): FlvTag {
  return aacTag(timestamp, AacPacketType.Raw, rawAacFrame);
}

export interface ParsedAudioTag {
  soundFormat: number;
  /** 0 = 5.5 kHz, 1 = 11 kHz, 2 = 22 kHz, 3 = 44 kHz. */
  soundRate: number;
  /** 0 = 8-bit, 1 = 16-bit. */
  soundSize: number;
  /** 0 = mono, 1 = stereo. */
  soundType: number;
  /** Only for AAC (SoundFormat 10). */
  aacPacketType?: number;
  payload: Buffer;
}

export function parseAudioTag(data: Buffer): ParsedAudioTag {
  if (data.length < 1) throw new FlvError('empty audio tag');
  const b = data[0];
  const head = { soundFormat: b >> 4, soundRate: (b >> 2) & 3, soundSize: (b >> 1) & 1, soundType: b & 1 };
  if (head.soundFormat !== FLV_SOUND_FORMAT_AAC) return { ...head, payload: data.subarray(1) };
  if (data.length < 2) throw new FlvError('AAC audio tag truncated');
  return { ...head, aacPacketType: data[1], payload: data.subarray(2) };
}
