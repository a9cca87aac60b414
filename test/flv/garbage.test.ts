import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlvError, FlvReader, parseAudioTag, parseMetadata, parseVideoTag } from '../../src/flv';
import { AacError, AdtsParser, parseAudioSpecificConfig } from '../../src/media/aac';
import { fromAvcc, H264Error, parseAvcDecoderConfigurationRecord, splitAnnexB } from '../../src/media/h264';
import { parseSps } from '../../src/media/h264-sps';
import { seededRandom, withSeed } from '../helpers/seeded-random';

/** Seeded PRNG, so a failing case can be replayed (the seed and case are named on failure). */
const rng = seededRandom;

function randomBytes(next: () => number, max: number): Buffer {
  const b = Buffer.alloc(Math.floor(next() * max));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(next() * 256);
  return b;
}

/** Flips a few bytes of a real buffer: garbage that gets past the first checks. */
function mutate(next: () => number, real: Buffer): Buffer {
  const b = Buffer.from(real.subarray(0, Math.max(1, Math.floor(next() * (real.length + 1)))));
  const flips = 1 + Math.floor(next() * 4);
  for (let i = 0; i < flips; i++) b[Math.floor(next() * b.length)] = Math.floor(next() * 256);
  return b;
}

/** Runs fn; passes if it returns or throws one of `allowed`, fails on anything else. */
function survives(fn: () => unknown, allowed: (new (...args: never[]) => Error)[]): void {
  try {
    fn();
  } catch (err) {
    if (!allowed.some((E) => err instanceof E)) throw err;
  }
}

const FIXTURES = join(__dirname, '..', 'fixtures');
const SPS = [
  Buffer.from('6764001facd9405005bb0110000003001000000303c0f1831960', 'hex'),
  Buffer.from('67640028ad844127fffffffffffffff6ca03c0113f2c2000007d20001d4c1080', 'hex'),
  Buffer.from('6742e01fda0280bfe540', 'hex'),
];
const RECORD = Buffer.from('0164001fffe1001a6764001facd9405005bb0110000003001000000303c0f183196001000668ebe3cb22c0fdf8f800', 'hex');
const FLV = readFileSync(join(FIXTURES, 'flv-h264-aac-160x120.flv'));
const ADTS = readFileSync(join(FIXTURES, 'aac-lc-48000-stereo.adts'));

const ROUNDS = 2000;

describe('decoders survive garbage: our own error or a result, never a crash or a hang', () => {
  it('FlvReader', () => {
    const next = rng(1);
    for (let i = 0; i < ROUNDS / 4; i++) {
      withSeed(1, () => {
        const reader = new FlvReader();
        const input = i % 2 === 0 ? randomBytes(next, 2000) : mutate(next, FLV);
        survives(() => {
          for (let pos = 0; pos < input.length; pos += 1 + Math.floor(next() * 700)) reader.push(input.subarray(pos, pos + 700));
        }, [FlvError]);
      }, i);
    }
    // Random bytes after a valid header: tags of random types are rejected
    const reader = new FlvReader();
    survives(() => reader.push(Buffer.concat([FLV.subarray(0, 13), randomBytes(next, 5000)])), [FlvError]);
  });

  it('parseVideoTag, parseAudioTag and parseMetadata', () => {
    const next = rng(2);
    for (let i = 0; i < ROUNDS; i++) {
      withSeed(2, () => {
        const data = randomBytes(next, 40);
        survives(() => parseVideoTag(data), [FlvError]);
        survives(() => parseAudioTag(data), [FlvError]);
        survives(() => parseMetadata(data), [FlvError]);
        survives(() => parseMetadata(mutate(next, FLV.subarray(24, 24 + 293))), [FlvError]);
      }, i);
    }
  });

  it('parseSps', () => {
    const next = rng(3);
    for (let i = 0; i < ROUNDS; i++) {
      withSeed(3, () => {
        survives(() => parseSps(randomBytes(next, 64)), [H264Error]);
        survives(() => parseSps(Buffer.concat([Buffer.from([0x67]), randomBytes(next, 64)])), [H264Error]);
        survives(() => {
          const info = parseSps(mutate(next, SPS[i % SPS.length]));
          // whatever decodes is a picture a decoder could allocate
          if (!(info.width > 0 && info.height > 0 && info.width <= 16384 && info.height <= 32768)) {
            throw new Error(`implausible size ${info.width}x${info.height}`);
          }
        }, [H264Error]);
      }, i);
    }
  });

  it('parseAvcDecoderConfigurationRecord, splitAnnexB and fromAvcc', () => {
    const next = rng(4);
    for (let i = 0; i < ROUNDS; i++) {
      withSeed(4, () => {
        const data = i % 2 === 0 ? randomBytes(next, 80) : mutate(next, RECORD);
        survives(() => parseAvcDecoderConfigurationRecord(data), [H264Error]);
        survives(() => fromAvcc(data, 1 + (i % 4)), [H264Error]);
        splitAnnexB(data);
      }, i);
    }
  });

  it('AdtsParser and parseAudioSpecificConfig', () => {
    const next = rng(5);
    for (let i = 0; i < ROUNDS / 4; i++) {
      withSeed(5, () => {
        const parser = new AdtsParser();
        const input = i % 2 === 0 ? randomBytes(next, 3000) : mutate(next, ADTS);
        for (let pos = 0; pos < input.length; pos += 1 + Math.floor(next() * 300)) {
          for (const frame of parser.push(input.subarray(pos, pos + 300))) {
            expect(frame.payload.length).toBeGreaterThan(0);
          }
        }
        survives(() => parseAudioSpecificConfig(randomBytes(next, 6)), [AacError]);
      }, i);
    }
  });

  it('AdtsParser finds every real frame again after garbage', () => {
    const next = rng(6);
    const parser = new AdtsParser();
    const clean = new AdtsParser().push(ADTS).length;
    // garbage without 0xff bytes, so no false syncword can swallow a real frame
    const junk = randomBytes(next, 500).map((b) => b & 0x7f);
    const frames = parser.push(Buffer.concat([junk, ADTS]));
    expect(frames).toHaveLength(clean);
  });
});
