import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpusDecodeError, OpusPcmDecoder, opusPacketSamples, splitOpusPacket } from '../../src/media/opus-decoder';
import { channel, oggOpusPackets, rms, runFile, toneAmplitude, zeroCrossingFrequency } from './audio-analysis';

let dir: string;
const decoders: OpusPcmDecoder[] = [];

function decoder(): OpusPcmDecoder {
  const d = new OpusPcmDecoder();
  decoders.push(d);
  return d;
}

/** A 1 kHz sine of amplitude 0.5 as Ogg Opus, made by the real ffmpeg with libopus. */
async function opusTone(channels: number, frameMs = 20, seconds = 1): Promise<{ preSkip: number; packets: Buffer[] }> {
  const file = join(dir, `tone-${channels}-${frameMs}.opus`);
  const expr = Array.from({ length: channels }, () => '0.5*sin(2*PI*1000*t)').join('|');
  await runFile('ffmpeg', [
    '-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `aevalsrc=${expr}:s=48000:d=${seconds}`,
    '-c:a', 'libopus', '-b:a', '96k', '-frame_duration', String(frameMs), '-f', 'ogg', file,
  ]);
  return oggOpusPackets(readFileSync(file));
}

function decodeAll(d: OpusPcmDecoder, packets: Buffer[]): Int16Array {
  const parts = packets.map((p) => d.decode(p));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opus-test-'));
});
afterEach(() => {
  for (const d of decoders.splice(0)) d.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('OpusPcmDecoder', () => {
  test('a stereo 1 kHz tone from ffmpeg decodes to 1 kHz at its level, 20 ms per packet', async () => {
    const { packets, preSkip } = await opusTone(2);
    const d = decoder();
    const first = d.decode(packets[0]);
    expect(first.length).toBe(960 * 2);
    const pcm = decodeAll(d, packets.slice(1));
    const left = channel(pcm, 0).subarray(preSkip + 4800, preSkip + 4800 + 24000);
    const right = channel(pcm, 1).subarray(preSkip + 4800, preSkip + 4800 + 24000);
    expect(zeroCrossingFrequency(left, 48000)).toBeCloseTo(1000, 0);
    expect(toneAmplitude(left, 1000, 48000)).toBeGreaterThan(0.45);
    expect(toneAmplitude(left, 1000, 48000)).toBeLessThan(0.55);
    expect(toneAmplitude(right, 1000, 48000)).toBeGreaterThan(0.45);
    // nearly all energy at 1 kHz: rms of a sine is amplitude/√2
    expect(rms(left)).toBeCloseTo(toneAmplitude(left, 1000, 48000) / Math.SQRT2, 2);
  });

  test('a mono stream comes out as stereo with both channels equal', async () => {
    const { packets, preSkip } = await opusTone(1);
    const d = decoder();
    const pcm = decodeAll(d, packets);
    expect(pcm.length).toBe(packets.length * 960 * 2);
    for (let i = 0; i < pcm.length; i += 2) expect(pcm[i]).toBe(pcm[i + 1]);
    const left = channel(pcm, 0).subarray(preSkip + 4800, preSkip + 28800);
    expect(zeroCrossingFrequency(left, 48000)).toBeCloseTo(1000, 0);
    expect(toneAmplitude(left, 1000, 48000)).toBeGreaterThan(0.45);
  });

  test.each([60, 120])('%i ms packets (one frame, or several split per RFC 6716 3.2) decode to the same tone', async (ms) => {
    const { packets, preSkip } = await opusTone(2, ms);
    const d = decoder();
    const pcm = decodeAll(d, packets);
    expect(pcm.length).toBe(packets.length * ms * 48 * 2);
    const left = channel(pcm, 0).subarray(preSkip + 4800, preSkip + 28800);
    expect(zeroCrossingFrequency(left, 48000)).toBeCloseTo(1000, 0);
    expect(toneAmplitude(left, 1000, 48000)).toBeGreaterThan(0.45);
    expect(d.frameSamples).toBe(ms * 48);
  });

  test('concealment continues the tone for the asked length, then fades', async () => {
    const { packets } = await opusTone(2);
    const d = decoder();
    decodeAll(d, packets.slice(0, 20));
    const plc = d.conceal(960);
    expect(plc.length).toBe(960 * 2);
    expect(toneAmplitude(channel(plc, 0), 1000, 48000)).toBeGreaterThan(0.1);
    const longer = d.conceal(3000); // more than one libopus step (60 ms)
    expect(longer.length).toBe(3000 * 2);
    // decoding carries on after concealment
    expect(d.decode(packets[21]).length).toBe(960 * 2);
    expect(d.conceal(0).length).toBe(0);
  });

  test('several decoders side by side do not disturb each other', async () => {
    const { packets } = await opusTone(2);
    const a = decoder();
    const ref = decodeAll(a, packets);
    const many = Array.from({ length: 8 }, () => decoder());
    const outs = many.map(() => [] as Int16Array[]);
    for (const p of packets) many.forEach((d, k) => outs[k].push(d.decode(p)));
    for (const out of outs) {
      const joined = new Int16Array(ref.length);
      let at = 0;
      for (const part of out) {
        joined.set(part, at);
        at += part.length;
      }
      expect(Buffer.from(joined.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
    }
  });

  test('garbage packets raise OpusDecodeError, never crash, and the decoder keeps working', async () => {
    const { packets } = await opusTone(2);
    const d = decoder();
    expect(() => d.decode(Buffer.alloc(0))).toThrow(OpusDecodeError);
    expect(() => d.decode(Buffer.alloc(5000))).toThrow(OpusDecodeError);
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 3000; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 400) }, () => Math.floor(rand() * 256)));
      try {
        const pcm = d.decode(junk);
        expect(pcm.length % 2).toBe(0);
        expect(pcm.length).toBeLessThanOrEqual(5760 * 2);
      } catch (err) {
        expect(err).toBeInstanceOf(OpusDecodeError);
      }
    }
    expect(d.decode(packets[5]).length).toBe(960 * 2);
    // the heap is intact: new decoders still work
    const e = decoder();
    expect(e.decode(packets[0]).length).toBe(960 * 2);
  });

  test('a closed decoder refuses use with OpusDecodeError; close twice is harmless', () => {
    const d = new OpusPcmDecoder();
    d.close();
    d.close();
    expect(() => d.decode(Buffer.from([0xfc, 0xff, 0xfe]))).toThrow(OpusDecodeError);
    expect(() => d.conceal(960)).toThrow(OpusDecodeError);
  });
});

describe('splitOpusPacket (RFC 6716 3.2)', () => {
  // TOC 0x08 = config 1 (SILK NB 20 ms), mono
  test.each([
    ['code 0: one frame', [0x08, 1, 2, 3], [[1, 2, 3]]],
    ['code 0: an empty (DTX) frame', [0x08], [[]]],
    ['code 1: two equal frames', [0x09, 1, 2, 3, 4], [[1, 2], [3, 4]]],
    ['code 2: first frame length in one byte', [0x0a, 1, 7, 8, 9], [[7], [8, 9]]],
    ['code 3 CBR, 3 frames', [0x0b, 0x03, 1, 2, 3, 4, 5, 6], [[1, 2], [3, 4], [5, 6]]],
    ['code 3 VBR with padding', [0x0b, 0xc2, 0x02, 1, 7, 8, 9, 0, 0], [[7], [8, 9]]],
  ])('%s', (_name, bytes, frames) => {
    expect(splitOpusPacket(Buffer.from(bytes)).map((f) => [...f])).toEqual(frames);
  });

  test('code 2 with a two-byte frame length (252 + 4·1 = 256)', () => {
    const packet = Buffer.concat([Buffer.from([0x0a, 252, 1]), Buffer.alloc(256, 1), Buffer.from([2, 2])]);
    const frames = splitOpusPacket(packet);
    expect(frames.map((f) => f.length)).toEqual([256, 2]);
  });

  test.each([
    ['empty', []],
    ['code 1 odd payload', [0x09, 1, 2, 3]],
    ['code 2 first frame past the end', [0x0a, 9, 1]],
    ['code 3 without a count', [0x0b]],
    ['code 3 with zero frames', [0x0b, 0x00]],
    ['code 3 CBR not divisible', [0x0b, 0x02, 1, 2, 3]],
    ['code 3 padding past the end', [0x0b, 0x41, 200, 1]],
    ['code 3 longer than 120 ms (3 × 60 ms)', [0x1b, 0x03, 1, 2, 3]],
  ])('%s is an OpusDecodeError', (_name, bytes) => {
    expect(() => splitOpusPacket(Buffer.from(bytes))).toThrow(OpusDecodeError);
  });
});

describe('opusPacketSamples (RFC 6716 3.1 and 3.2): what a packet decodes to, from its TOC alone', () => {
  test.each([
    // TOC = config << 3 | s << 2 | c
    ['SILK NB 10 ms, one frame (config 0, code 0)', [0x00, 0xaa], 480],
    ['SILK WB 20 ms, one frame (config 9, code 0)', [(9 << 3) | 0, 0xaa], 960],
    ['SILK WB 60 ms, one frame (config 11, code 0)', [(11 << 3) | 0, 0xaa], 2880],
    ['Hybrid FB 20 ms, two equal frames (config 15, code 1)', [(15 << 3) | 1, 0xaa, 0xbb], 1920],
    ['CELT FB 2.5 ms, one frame (config 28, code 0)', [(28 << 3) | 0, 0xaa], 120],
    ['CELT FB 20 ms, stereo flag, two frames of lengths 1 and 2 (config 31, s 1, code 2)', [(31 << 3) | 4 | 2, 0x01, 0xaa, 0xbb, 0xcc], 1920],
    ['CELT FB 10 ms, three CBR frames (config 30, code 3, count 3)', [(30 << 3) | 3, 0x03, 0xaa, 0xbb, 0xcc], 1440],
    ['CELT FB 20 ms, six frames = 120 ms, the most a packet may hold (code 3, count 6)', [(31 << 3) | 3, 0x06, 1, 2, 3, 4, 5, 6], 5760],
  ])('%s: %d samples', (_name, bytes, samples) => {
    expect(opusPacketSamples(Buffer.from(bytes))).toBe(samples);
  });

  test.each([
    ['empty', []],
    ['code 3 without a frame count', [(31 << 3) | 3]],
    ['code 3 with 0 frames', [(31 << 3) | 3, 0x00]],
    ['code 3 over 120 ms (seven 20 ms frames)', [(31 << 3) | 3, 0x07, 1, 2, 3, 4, 5, 6, 7]],
    ['code 1 with an odd payload', [(31 << 3) | 1, 0xaa]],
  ])('a malformed packet (%s) is refused with OpusDecodeError, as a decoder would refuse it', (_name, bytes) => {
    expect(() => opusPacketSamples(Buffer.from(bytes))).toThrow(OpusDecodeError);
  });
});
