/**
 * AAC helpers: AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), the "AAC sequence
 * header" of RTMP/FLV, and ADTS framing (14496-3 1.A.2, adts_frame) as ffmpeg's
 * AAC encoder writes it. Pure wire code.
 */

/** Any malformed AAC input: our decoders throw this and nothing else. */
export class AacError extends Error {
  override readonly name = 'AacError';
}

/** samplingFrequencyIndex → Hz (14496-3 Table 1.18); 13 and 14 are reserved, 15 is escape. */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** Audio object types the relay meets (14496-3 Table 1.17). */
export const AacObjectType = { Main: 1, Lc: 2, Ssr: 3, Ltp: 4, Sbr: 5, Ps: 29 } as const;

export interface AudioSpecificConfig {
  objectType: number;
  sampleRate: number;
  channels: number;
}

/** channelConfiguration → channels (Table 1.19): 7 means 7.1, i.e. 8 channels. */
function channelsFromConfig(config: number): number {
  return config === 7 ? 8 : config;
}

function configFromChannels(channels: number): number {
  if (Number.isInteger(channels) && channels >= 1 && channels <= 6) return channels;
  if (channels === 8) return 7;
  throw new AacError(`no AAC channelConfiguration for ${channels} channels`);
}

class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;
  put(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | (Math.floor(value / 2 ** i) & 1);
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
  }
  finish(): Buffer {
    if (this.n > 0) this.bytes.push(this.acc << (8 - this.n));
    return Buffer.from(this.bytes);
  }
}

class BitReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.buf.length * 8) throw new AacError('AudioSpecificConfig truncated');
      v = v * 2 + ((this.buf[this.pos >>> 3] >>> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }
}

/**
 * AudioSpecificConfig with a GASpecificConfig of three zero bits (1024-sample frames,
 * no core coder, no extension): AAC-LC 48 kHz stereo → 0x11 0x90.
 */
export function buildAudioSpecificConfig(opts: AudioSpecificConfig): Buffer {
  const { objectType, sampleRate, channels } = opts;
  if (!Number.isInteger(objectType) || objectType < 1 || objectType > 95) {
    throw new AacError(`invalid audio object type ${objectType}`);
  }
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 0xffffff) {
    throw new AacError(`invalid sample rate ${sampleRate}`);
  }
  const w = new BitWriter();
  if (objectType < 31) w.put(objectType, 5);
  else {
    w.put(31, 5); // audioObjectType escape
    w.put(objectType - 32, 6);
  }
  const index = AAC_SAMPLE_RATES.indexOf(sampleRate);
  if (index >= 0) w.put(index, 4);
  else {
    w.put(15, 4); // explicit samplingFrequency follows
    w.put(sampleRate, 24);
  }
  w.put(configFromChannels(channels), 4);
  w.put(0, 3); // frameLengthFlag, dependsOnCoreCoder, extensionFlag
  return w.finish();
}

/**
 * Reads the leading fields of an AudioSpecificConfig. What follows them
 * (GASpecificConfig, an SBR sync extension as ffmpeg appends) is ignored.
 */
export function parseAudioSpecificConfig(buf: Buffer): AudioSpecificConfig {
  const r = new BitReader(buf);
  let objectType = r.bits(5);
  if (objectType === 31) objectType = 32 + r.bits(6);
  if (objectType === 0) throw new AacError('audio object type 0 is not a codec');
  const index = r.bits(4);
  let sampleRate: number;
  if (index === 15) sampleRate = r.bits(24);
  else if (index < AAC_SAMPLE_RATES.length) sampleRate = AAC_SAMPLE_RATES[index];
  else throw new AacError(`reserved samplingFrequencyIndex ${index}`);
  if (sampleRate === 0) throw new AacError('sample rate 0');
  const channels = channelsFromConfig(r.bits(4));
  return { objectType, sampleRate, channels };
}

export interface AdtsHeader {
  /** profile_ObjectType + 1: 2 for AAC-LC. */
  objectType: number;
  sampleRate: number;
  channels: number;
  /** aac_frame_length: header, CRC and payload. */
  frameLength: number;
  /** 7 without CRC, 9 with. */
  headerLength: number;
  /** number_of_raw_data_blocks_in_frame + 1. */
  rawDataBlocks: number;
}

/**
 * Reads the fixed and variable ADTS header at `offset` (14496-3 1.A.2.2). Returns
 * undefined when those bytes are not a plausible header (no syncword, layer ≠ 0,
 * reserved sampling index, frame shorter than its header).
 */
export function parseAdtsHeader(buf: Buffer, offset = 0): AdtsHeader | undefined {
  if (offset + 7 > buf.length) return undefined;
  const b1 = buf[offset + 1];
  // syncword 0xFFF, then ID (either), layer '00'
  if (buf[offset] !== 0xff || (b1 & 0xf6) !== 0xf0) return undefined;
  const protectionAbsent = b1 & 1;
  const b2 = buf[offset + 2];
  const profile = b2 >> 6;
  const index = (b2 >> 2) & 0x0f;
  if (index >= AAC_SAMPLE_RATES.length) return undefined;
  const channelConfig = ((b2 & 1) << 2) | (buf[offset + 3] >> 6);
  const frameLength = ((buf[offset + 3] & 0x03) << 11) | (buf[offset + 4] << 3) | (buf[offset + 5] >> 5);
  const rawDataBlocks = (buf[offset + 6] & 0x03) + 1;
  const headerLength = protectionAbsent ? 7 : 9;
  if (frameLength <= headerLength) return undefined;
  return {
    objectType: profile + 1,
    sampleRate: AAC_SAMPLE_RATES[index],
    channels: channelsFromConfig(channelConfig),
    frameLength,
    headerLength,
    rawDataBlocks,
  };
}

export interface AdtsFrame {
  objectType: number;
  sampleRate: number;
  channels: number;
  /** Raw AAC (header stripped, CRC skipped). */
  payload: Buffer;
}

/**
 * Streaming ADTS parser: accepts any split of the byte stream, returns whole frames,
 * and after garbage skips forward to the next 0xFFF syncword that starts a valid
 * header. Frames with several raw data blocks are passed whole (ffmpeg never writes
 * them; splitting them needs the CRC-protected block positions).
 */
export class AdtsParser {
  private pending: Buffer = Buffer.alloc(0);

  push(data: Buffer): AdtsFrame[] {
    const buf = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const frames: AdtsFrame[] = [];
    let pos = 0;
    while (pos + 7 <= buf.length) {
      const header = parseAdtsHeader(buf, pos);
      if (!header) {
        const next = buf.indexOf(0xff, pos + 1);
        pos = next === -1 ? buf.length : next;
        continue;
      }
      if (pos + header.frameLength > buf.length) break; // wait for the rest
      frames.push({
        objectType: header.objectType,
        sampleRate: header.sampleRate,
        channels: header.channels,
        payload: Buffer.from(buf.subarray(pos + header.headerLength, pos + header.frameLength)),
      });
      pos += header.frameLength;
    }
    this.pending = Buffer.from(buf.subarray(pos));
    return frames;
  }
}
