import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav16, parseWav, WavError, wavToStereo48k } from '../../src/media/wav';
import { channel, runFile, toneAmplitude, zeroCrossingFrequency } from './audio-analysis';

/** Hex with spaces and comments stripped. */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
}

// Written by hand from the RIFF/WAVE spec (Microsoft "Multimedia Programming Interface
// and Data Specifications 1.0", and the WAVE_FORMAT_EXTENSIBLE addendum).
const GOLDEN = {
  pcm16Stereo: hex(`
    52494646 30000000 57415645      # "RIFF", size 48 = 4 ("WAVE") + (8+16) + (8+12), "WAVE"
    666d7420 10000000               # "fmt ", 16
    0100 0200 44ac0000 10b10200 0400 1000   # PCM, 2 ch, 44100 Hz, 176400 B/s, align 4, 16 bits
    64617461 0c000000               # "data", 12 bytes = 3 frames
    0080 ff7f  0000 0000  0040 00c0 # (-32768, 32767) (0, 0) (16384, -16384)
  `),
  u8MonoWithOddChunk: hex(`
    52494646 34000000 57415645      # size 52 = 4 + (8+3+1) + (8+16) + (8+4)
    4c495354 03000000 616263 00     # a 3-byte "LIST" chunk and its pad byte
    666d7420 10000000
    0100 0100 401f0000 401f0000 0100 0800   # PCM, mono, 8000 Hz, 8000 B/s, align 1, 8 bits
    64617461 04000000 00 80 ff 40   # 0 → -1, 128 → 0, 255 → 127/128, 64 → -0.5
  `),
  s24Mono: hex(`
    52494646 2a000000 57415645
    666d7420 10000000 0100 0100 80bb0000 80320200 0300 1800   # 48000 Hz, 144000 B/s, align 3, 24 bits
    64617461 06000000 000080 ffff7f   # -8388608, 8388607
  `),
  float32Extensible: hex(`
    52494646 44000000 57415645
    666d7420 28000000
    feff 0100 00770100 00dc0500 0400 2000   # EXTENSIBLE, mono, 96000 Hz, 384000 B/s, align 4, 32 bits
    1600 2000 04000000                      # cbSize 22, valid bits 32, mask FRONT_CENTER
    03000000 0000 1000 8000 00aa00389b71    # KSDATAFORMAT_SUBTYPE_IEEE_FLOAT
    64617461 08000000 0000003f 000080bf     # 0.5, -1.0
  `),
};

describe('parseWav: golden files from the spec', () => {
  test('16-bit stereo PCM', () => {
    const w = parseWav(GOLDEN.pcm16Stereo);
    expect(w).toMatchObject({ sampleRate: 44100, channels: 2, bitsPerSample: 16, format: 'pcm', frames: 3 });
    expect([...w.samples[0]]).toEqual([-1, 0, 0.5]);
    expect([...w.samples[1]]).toEqual([32767 / 32768, 0, -0.5]);
  });

  test('8-bit unsigned mono after an odd-sized chunk with its pad byte', () => {
    const w = parseWav(GOLDEN.u8MonoWithOddChunk);
    expect(w).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: 8, format: 'pcm', frames: 4 });
    expect([...w.samples[0]]).toEqual([-1, 0, 127 / 128, -0.5]);
  });

  test('24-bit PCM extremes', () => {
    const w = parseWav(GOLDEN.s24Mono);
    expect([...w.samples[0]]).toEqual([-1, 8388607 / 8388608]);
  });

  test('WAVE_FORMAT_EXTENSIBLE float', () => {
    const w = parseWav(GOLDEN.float32Extensible);
    expect(w).toMatchObject({ sampleRate: 96000, channels: 1, bitsPerSample: 32, format: 'float', frames: 2 });
    expect([...w.samples[0]]).toEqual([0.5, -1]);
  });

  test('encodeWav16 writes exactly the golden 16-bit header and data', () => {
    const pcm = new Int16Array([-32768, 32767, 0, 0, 16384, -16384]);
    expect(encodeWav16(pcm, 44100, 2)).toEqual(GOLDEN.pcm16Stereo);
  });

  test('a data size of 0xFFFFFFFF (streamed WAV) or past the end means "to the end of the file"', () => {
    const streamed = Buffer.from(GOLDEN.pcm16Stereo);
    streamed.writeUInt32LE(0xffffffff, 40);
    expect(parseWav(streamed).frames).toBe(3);
    const truncated = GOLDEN.pcm16Stereo.subarray(0, GOLDEN.pcm16Stereo.length - 2);
    expect(parseWav(truncated).frames).toBe(2);
  });
});

describe('parseWav: what it refuses', () => {
  const withFmt = (patch: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(GOLDEN.pcm16Stereo);
    patch(b);
    return b;
  };
  test.each([
    ['empty', Buffer.alloc(0)],
    ['not RIFF', Buffer.from('RIFX\0\0\0\0WAVE')],
    ['RF64', Buffer.from('RF64\0\0\0\0WAVE')],
    ['AVI, not WAVE', Buffer.from('RIFF\0\0\0\0AVI ')],
    ['no fmt chunk', hex('52494646 0c000000 57415645 64617461 00000000')],
    ['no data chunk', GOLDEN.pcm16Stereo.subarray(0, 36)],
    ['MP3 in WAV (format 0x55)', withFmt((b) => b.writeUInt16LE(0x55, 20))],
    ['12-bit PCM', withFmt((b) => b.writeUInt16LE(12, 34))],
    ['zero channels', withFmt((b) => b.writeUInt16LE(0, 22))],
    ['sample rate 0', withFmt((b) => b.writeUInt32LE(0, 24))],
    ['wrong block align', withFmt((b) => b.writeUInt16LE(6, 32))],
    ['short fmt chunk', withFmt((b) => b.writeUInt32LE(12, 16))],
    ['extensible with an unknown GUID', (() => {
      const b = Buffer.from(GOLDEN.float32Extensible);
      b[46] ^= 0xff;
      return b;
    })()],
  ])('%s → WavError', (_name, buf) => {
    expect(() => parseWav(buf)).toThrow(WavError);
  });

  test('random bytes and mangled real files never throw anything but WavError', () => {
    let seed = 42;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const sources = Object.values(GOLDEN);
    for (let i = 0; i < 5000; i++) {
      let buf: Buffer;
      if (i % 2 === 0) {
        buf = Buffer.from(Array.from({ length: Math.floor(rand() * 80) }, () => Math.floor(rand() * 256)));
        if (i % 4 === 0 && buf.length >= 12) buf.write('RIFF', 0, 'latin1'), buf.write('WAVE', 8, 'latin1');
      } else {
        buf = Buffer.from(sources[i % sources.length]);
        const flips = 1 + Math.floor(rand() * 4);
        for (let f = 0; f < flips; f++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
        buf = buf.subarray(0, Math.floor(rand() * (buf.length + 1)));
      }
      try {
        const w = parseWav(buf);
        expect(w.samples.length).toBe(w.channels);
        for (const s of w.samples) expect(s.length).toBe(w.frames);
      } catch (err) {
        expect(err).toBeInstanceOf(WavError);
      }
    }
  });
});

describe('real WAVs from ffmpeg → stereo 48 kHz', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wav-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function make(name: string, rate: number, channels: number, codec: string): Promise<Buffer> {
    const file = join(dir, name);
    const expr = Array.from({ length: channels }, () => '0.5*sin(2*PI*1000*t)').join('|');
    await runFile('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `aevalsrc=${expr}:s=${rate}:d=1`, '-c:a', codec, file]);
    return readFileSync(file);
  }

  test.each([
    ['8 kHz mono u8', 8000, 1, 'pcm_u8', 8, 'pcm'],
    ['22.05 kHz mono s16', 22050, 1, 'pcm_s16le', 16, 'pcm'],
    ['44.1 kHz stereo s24', 44100, 2, 'pcm_s24le', 24, 'pcm'],
    ['96 kHz stereo float', 96000, 2, 'pcm_f32le', 32, 'float'],
    ['48 kHz stereo s32', 48000, 2, 'pcm_s32le', 32, 'pcm'],
  ])('%s: read right, and a 1 kHz tone at the same level after conversion', async (name, rate, channels, codec, bits, format) => {
    const buf = await make(`${name.replace(/\W+/g, '-')}.wav`, rate, channels, codec);
    const w = parseWav(buf);
    expect(w).toMatchObject({ sampleRate: rate, channels, bitsPerSample: bits, format, frames: rate });
    const pcm = wavToStereo48k(buf);
    expect(pcm.length).toBe(48000 * 2);
    for (const ch of [0, 1]) {
      const x = channel(pcm, ch).subarray(4800, 43200);
      expect(zeroCrossingFrequency(x, 48000)).toBeCloseTo(1000, 0);
      const level = toneAmplitude(x, 1000, 48000);
      expect(level).toBeGreaterThan(0.48); // u8 is coarse, the others are exact
      expect(level).toBeLessThan(0.52);
    }
  });

  test('5.1 is folded to stereo: centre to both sides, LFE left out', async () => {
    const file = join(dir, 'surround.wav');
    // FL FR FC LFE BL BR: only FC (1 kHz) and LFE (2 kHz) sound
    await runFile('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i',
      'aevalsrc=0|0|0.5*sin(2*PI*1000*t)|0.5*sin(2*PI*2000*t)|0|0:s=48000:d=0.5:c=5.1', '-c:a', 'pcm_s16le', file]);
    const pcm = wavToStereo48k(readFileSync(file));
    for (const ch of [0, 1]) {
      const x = channel(pcm, ch);
      expect(toneAmplitude(x, 1000, 48000)).toBeCloseTo(0.5 * Math.SQRT1_2, 2);
      expect(toneAmplitude(x, 2000, 48000)).toBeLessThan(0.001);
    }
  });

  test('an empty WAV or one longer than the limit is a WavError', () => {
    expect(() => wavToStereo48k(encodeWav16(new Int16Array(0), 48000, 2))).toThrow(WavError);
    expect(() => wavToStereo48k(encodeWav16(new Int16Array(48000 * 2), 48000, 1), 1)).toThrow(/lasts more than 1 s/);
  });

  test('loud floats saturate instead of wrapping around', () => {
    const b = Buffer.from(GOLDEN.float32Extensible);
    b.writeFloatLE(4, 68);
    b.writeFloatLE(-4, 72);
    b.writeUInt32LE(48000, 24); // no resampling: samples map one to one
    b.writeUInt32LE(192000, 28);
    expect([...wavToStereo48k(b)]).toEqual([32767, 32767, -32768, -32768]);
  });
});

describe('the WAV files shipped in media/', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { makeSounds } = require('../../media/generate-sounds') as { makeSounds: () => Record<string, Buffer> };
  const sounds = makeSounds();

  test.each(Object.keys(sounds))('%s is what media/generate-sounds.ts makes, and plays', (name) => {
    const shipped = readFileSync(join(__dirname, '../../media', name));
    expect(shipped.equals(sounds[name])).toBe(true);
    const pcm = wavToStereo48k(shipped);
    expect(pcm.length).toBeGreaterThan(48000);
  });

  test('tone-1khz.wav is 1 s of 1 kHz at −12 dBFS', () => {
    const w = parseWav(sounds['tone-1khz.wav']);
    expect(w).toMatchObject({ sampleRate: 48000, channels: 1, bitsPerSample: 16, frames: 48000 });
    expect(zeroCrossingFrequency(w.samples[0], 48000)).toBeCloseTo(1000, 0);
    expect(20 * Math.log10(toneAmplitude(w.samples[0].subarray(480, 47520), 1000, 48000))).toBeCloseTo(-12, 1);
  });

  test('all shipped sounds together stay small (< 300 KB)', () => {
    expect(Object.values(sounds).reduce((n, b) => n + b.length, 0)).toBeLessThan(300 * 1024);
  });
});
