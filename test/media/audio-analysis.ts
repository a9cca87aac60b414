/**
 * Test helpers for audio: measure a tone (Goertzel, zero crossings, RMS), read Ogg
 * Opus packets (RFC 3533 pages, RFC 7845 mapping), and run the real ffmpeg.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const runFile = promisify(execFile);

/** One channel out of interleaved samples, as floats in −1..1. */
export function channel(pcm: Int16Array, ch: number, channels = 2): Float64Array {
  const out = new Float64Array(Math.floor(pcm.length / channels));
  for (let i = 0; i < out.length; i++) out[i] = pcm[i * channels + ch] / 32768;
  return out;
}

export function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return x.length ? Math.sqrt(s / x.length) : 0;
}

/** Amplitude of the `freq` component (Goertzel), comparable to a sine's peak amplitude. */
export function toneAmplitude(x: ArrayLike<number>, freq: number, rate: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - c * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / x.length;
}

/** Frequency from rising zero crossings (good for a clean sine). */
export function zeroCrossingFrequency(x: ArrayLike<number>, rate: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 1; i < x.length; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      // interpolate the crossing
      const t = i - 1 + -x[i - 1] / (x[i] - x[i - 1]);
      if (first < 0) first = t;
      else count++;
      last = t;
    }
  }
  return count > 0 ? (count * rate) / (last - first) : 0;
}

/** Interleaved s16 stereo of a sine. */
export function sineStereo(freq: number, seconds: number, amplitude = 0.25, rate = 48000): Int16Array {
  const n = Math.round(seconds * rate);
  const pcm = new Int16Array(n * 2);
  for (let i = 0; i < n; i++) {
    const v = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freq * i) / rate));
    pcm[2 * i] = v;
    pcm[2 * i + 1] = v;
  }
  return pcm;
}

/** The packets of the first logical stream in an Ogg file (pages in order, no CRC check). */
export function oggPackets(file: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  let pending: Buffer[] = [];
  let pos = 0;
  while (pos + 27 <= file.length) {
    if (file.toString('latin1', pos, pos + 4) !== 'OggS') throw new Error(`no Ogg page at ${pos}`);
    const segments = file[pos + 26];
    const table = file.subarray(pos + 27, pos + 27 + segments);
    let data = pos + 27 + segments;
    for (const lacing of table) {
      pending.push(file.subarray(data, data + lacing));
      data += lacing;
      if (lacing < 255) {
        packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    pos = data;
  }
  return packets;
}

/** Opus audio packets of an Ogg Opus file: everything after OpusHead and OpusTags. */
export function oggOpusPackets(file: Buffer): { preSkip: number; channels: number; packets: Buffer[] } {
  const all = oggPackets(file);
  const head = all[0];
  if (head.toString('latin1', 0, 8) !== 'OpusHead') throw new Error('not Ogg Opus');
  return { channels: head[9], preSkip: head.readUInt16LE(10), packets: all.slice(2) };
}

/** 20 ms Opus packets of an lavfi `aevalsrc` expression ('|' between channels), encoded into `dir` by the real ffmpeg with libopus. */
export async function opusPacketsOf(dir: string, expr: string, seconds: number, kbps = 96): Promise<Buffer[]> {
  const file = join(dir, `aevalsrc-${opusFiles++}.opus`);
  await runFile('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `aevalsrc='${expr}':s=48000:d=${seconds}`,
    '-c:a', 'libopus', '-b:a', `${kbps}k`, '-frame_duration', '20', '-f', 'ogg', file]);
  return oggOpusPackets(readFileSync(file)).packets;
}
let opusFiles = 0;

/** Decodes any audio file with the real ffmpeg to interleaved s16le at its own rate. */
export async function decodeToPcm(file: string, channels = 2, rate = 48000): Promise<Int16Array> {
  const { stdout } = await runFile('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-f', 's16le', '-ac', String(channels), '-ar', String(rate), 'pipe:1'], {
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  const buf = stdout as unknown as Buffer;
  const copy = Buffer.from(buf);
  return new Int16Array(copy.buffer, copy.byteOffset, copy.length / 2);
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** ADTS header for one AAC-LC 48 kHz stereo frame (ISO/IEC 14496-3 1.A.2.2), no CRC. */
export function adtsFrame(raw: Buffer): Buffer {
  const len = raw.length + 7;
  const h = Buffer.alloc(7);
  h[0] = 0xff;
  h[1] = 0xf1; // syncword low nibble, ID 0 (MPEG-4), layer 00, protection_absent 1
  h[2] = (1 << 6) | (3 << 2) | (2 >> 2); // profile LC (1), sampling index 3 (48 kHz), private 0, channel config high bit
  h[3] = ((2 & 3) << 6) | ((len >> 11) & 3);
  h[4] = (len >> 3) & 0xff;
  h[5] = ((len & 7) << 5) | 0x1f; // buffer fullness 0x7FF (VBR)
  h[6] = 0xfc; // fullness low bits, one raw data block
  return Buffer.concat([h, raw]);
}
