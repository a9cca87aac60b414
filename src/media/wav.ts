/**
 * RIFF WAVE files for sound_on: integer PCM of 8 (unsigned), 16, 24 and 32 bits, IEEE
 * float of 32 and 64 bits, as WAVE_FORMAT_PCM (1), WAVE_FORMAT_IEEE_FLOAT (3) or
 * WAVE_FORMAT_EXTENSIBLE (0xFFFE) with the PCM or float sub-format; any channel count
 * and rate. Layout per the Microsoft RIFF/WAVE specification (chunks padded to even
 * sizes, `fmt ` before use, `data` holding interleaved frames of nBlockAlign bytes).
 * Anything else, or a damaged file, is a WavError. Pure.
 */
import { resample } from './resample';

export class WavError extends Error {
  override readonly name = 'WavError';
}

export interface WavData {
  sampleRate: number;
  channels: number;
  /** Container bits per sample: 8, 16, 24, 32 or 64. */
  bitsPerSample: number;
  format: 'pcm' | 'float';
  /** Sample frames (one sample per channel each). */
  frames: number;
  /** One array per channel, −1…1 (floats may exceed it; they are clipped on conversion). */
  samples: Float32Array[];
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** KSDATAFORMAT_SUBTYPE_* GUIDs end with these 14 bytes; the first 2 are the format tag. */
const SUBFORMAT_GUID_TAIL = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);
const MAX_CHANNELS = 64;
const MIN_RATE = 1000;
const MAX_RATE = 768000;
/** A data size of 0xFFFFFFFF (or one past the end) means "to the end": streamed WAVs. */
const UNKNOWN_SIZE = 0xffffffff;

export const MIX_SAMPLE_RATE = 48000;

interface Fmt {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

function readFmt(buf: Buffer, at: number, size: number): Fmt {
  if (size < 16) throw new WavError(`fmt chunk of ${size} bytes is shorter than 16`);
  let tag = buf.readUInt16LE(at);
  const channels = buf.readUInt16LE(at + 2);
  const sampleRate = buf.readUInt32LE(at + 4);
  const blockAlign = buf.readUInt16LE(at + 12);
  const bitsPerSample = buf.readUInt16LE(at + 14);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    // cbSize (2), wValidBitsPerSample (2), dwChannelMask (4), SubFormat GUID (16)
    if (size < 40 || buf.readUInt16LE(at + 16) < 22) throw new WavError('WAVE_FORMAT_EXTENSIBLE fmt chunk is too short');
    const guid = buf.subarray(at + 24, at + 40);
    if (!guid.subarray(2).equals(SUBFORMAT_GUID_TAIL)) throw new WavError('WAVE_FORMAT_EXTENSIBLE with an unknown SubFormat GUID');
    tag = guid.readUInt16LE(0);
  }
  return { tag, channels, sampleRate, blockAlign, bitsPerSample };
}

function checkFmt(fmt: Fmt): 'pcm' | 'float' {
  const { tag, channels, sampleRate, blockAlign, bitsPerSample } = fmt;
  let format: 'pcm' | 'float';
  if (tag === WAVE_FORMAT_PCM) {
    if (![8, 16, 24, 32].includes(bitsPerSample)) throw new WavError(`${bitsPerSample}-bit integer PCM is not supported (8, 16, 24, 32 are)`);
    format = 'pcm';
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bitsPerSample !== 32 && bitsPerSample !== 64) throw new WavError(`${bitsPerSample}-bit float is not supported (32, 64 are)`);
    format = 'float';
  } else {
    throw new WavError(`WAVE format 0x${tag.toString(16).padStart(4, '0')} is not PCM or float (compressed WAVs are not supported)`);
  }
  if (channels < 1 || channels > MAX_CHANNELS) throw new WavError(`${channels} channels (1..${MAX_CHANNELS} supported)`);
  if (sampleRate < MIN_RATE || sampleRate > MAX_RATE) throw new WavError(`sample rate ${sampleRate} Hz is out of ${MIN_RATE}..${MAX_RATE}`);
  if (blockAlign !== (channels * bitsPerSample) / 8) throw new WavError(`nBlockAlign ${blockAlign} does not match ${channels} × ${bitsPerSample} bits`);
  return format;
}

/** Reads a WAVE file fully into float samples per channel. */
export function parseWav(buf: Buffer): WavData {
  if (buf.length < 12) throw new WavError('too short for a RIFF header');
  const riff = buf.toString('latin1', 0, 4);
  if (riff === 'RIFX') throw new WavError('big-endian RIFX files are not supported');
  if (riff === 'RF64') throw new WavError('RF64 files are not supported');
  if (riff !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') throw new WavError('not a RIFF WAVE file');

  let fmt: Fmt | undefined;
  let dataAt = -1;
  let dataSize = 0;
  let pos = 12;
  while (pos + 8 <= buf.length) {
    const id = buf.toString('latin1', pos, pos + 4);
    const declared = buf.readUInt32LE(pos + 4);
    const body = pos + 8;
    const available = buf.length - body;
    if (id === 'fmt ') {
      if (declared > available) throw new WavError('fmt chunk runs past the end of the file');
      if (fmt) throw new WavError('two fmt chunks');
      fmt = readFmt(buf, body, declared);
    } else if (id === 'data') {
      if (dataAt >= 0) break; // a second data chunk: we play the first
      dataAt = body;
      // Streamed or truncated files: take what is there.
      dataSize = declared === UNKNOWN_SIZE || declared > available ? available : declared;
      if (fmt) break; // nothing after data matters
    }
    if (declared > available) break;
    pos = body + declared + (declared & 1);
  }
  if (!fmt) throw new WavError('no fmt chunk');
  if (dataAt < 0) throw new WavError('no data chunk');
  const format = checkFmt(fmt);
  const { channels, sampleRate, bitsPerSample, blockAlign } = fmt;

  const frames = Math.floor(dataSize / blockAlign);
  const samples = Array.from({ length: channels }, () => new Float32Array(frames));
  const bytes = bitsPerSample / 8;
  let p = dataAt;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++, p += bytes) samples[c][f] = readSample(buf, p, format, bitsPerSample);
  }
  return { sampleRate, channels, bitsPerSample, format, frames, samples };
}

function readSample(buf: Buffer, p: number, format: 'pcm' | 'float', bits: number): number {
  if (format === 'float') {
    const v = bits === 32 ? buf.readFloatLE(p) : buf.readDoubleLE(p);
    return Number.isFinite(v) ? v : 0; // NaN/∞ would poison the resampler
  }
  switch (bits) {
    case 8:
      return (buf[p] - 128) / 128; // 8-bit WAV is unsigned
    case 16:
      return buf.readInt16LE(p) / 32768;
    case 24:
      return buf.readIntLE(p, 3) / 8388608;
    default:
      return buf.readInt32LE(p) / 2147483648;
  }
}

/**
 * Down- or up-mix to stereo: mono goes to both sides; for more channels the WAVE
 * order (FL, FR, FC, LFE, BL, BR, FLC, FRC, …) is assumed: centre at −3 dB to both,
 * LFE left out, the rest alternately left and right at −3 dB.
 */
export function mixToStereo(samples: Float32Array[]): [Float32Array, Float32Array] {
  if (samples.length === 0) throw new WavError('no channels');
  if (samples.length === 1) return [samples[0], Float32Array.from(samples[0])];
  if (samples.length === 2) return [samples[0], samples[1]];
  const frames = samples[0].length;
  const left = Float32Array.from(samples[0]);
  const right = Float32Array.from(samples[1]);
  const g = Math.SQRT1_2;
  for (let c = 2; c < samples.length; c++) {
    if (c === 3) continue; // LFE
    const s = samples[c];
    const toLeft = c === 2 || c % 2 === 0;
    const toRight = c === 2 || c % 2 === 1;
    for (let i = 0; i < frames; i++) {
      if (toLeft) left[i] += g * s[i];
      if (toRight) right[i] += g * s[i];
    }
  }
  return [left, right];
}

/** Float −1…1 → s16 with rounding and saturation. */
function toS16(x: number): number {
  const v = Math.round(x * 32767);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/**
 * A WAV file, once, in the mixer's format: interleaved stereo s16 at 48 kHz.
 * Longer than `maxSeconds` (default 600) or empty is a WavError.
 */
export function wavToStereo48k(buf: Buffer, maxSeconds = 600): Int16Array {
  const wav = parseWav(buf);
  if (wav.frames === 0) throw new WavError('the WAV file holds no samples');
  if (wav.frames / wav.sampleRate > maxSeconds) throw new WavError(`the WAV file lasts more than ${maxSeconds} s`);
  const [l, r] = mixToStereo(wav.samples).map((ch) => resample(ch, wav.sampleRate, MIX_SAMPLE_RATE));
  const out = new Int16Array(l.length * 2);
  for (let i = 0; i < l.length; i++) {
    out[2 * i] = toS16(l[i]);
    out[2 * i + 1] = toS16(r[i]);
  }
  return out;
}

/** A canonical 44-byte-header 16-bit PCM WAV of interleaved samples. */
export function encodeWav16(pcm: Int16Array, sampleRate: number, channels: number): Buffer {
  if (pcm.length % channels !== 0) throw new WavError('samples do not fill whole frames');
  const dataBytes = pcm.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * 2, 28); // nAvgBytesPerSec
  out.writeUInt16LE(channels * 2, 32); // nBlockAlign
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i], 44 + 2 * i);
  return out;
}
