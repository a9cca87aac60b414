import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfmpegAacEncoder, aacEncoderArgs, AAC_FRAME_SAMPLES, type AacEncoder, type AacEncoderLibrary } from '../../src/ffmpeg/aac-encoder';
import { AacEncoderHost } from '../../src/ffmpeg/aac-encoder-host';
import { AAC_HOST_BUILD_PATH } from '../../src/aac-host-path';
import { AdtsParser, buildAudioSpecificConfig, parseAudioSpecificConfig } from '../../src/media/aac';
import { seededRandom } from '../helpers/seeded-random';
import { holdsFor, waitFor } from '../helpers/wait-for';
import { adtsFrame, channel, decodeToPcm, isAlive, runFile, sineStereo, toneAmplitude, zeroCrossingFrequency } from '../media/audio-analysis';

let dir: string;
const encoders: AacEncoder[] = [];
let host: AacEncoderHost | undefined;

type EncoderOptions = ConstructorParameters<typeof FfmpegAacEncoder>[0];
const KINDS = ['an ffmpeg child', "a host channel running ffmpeg's encoder", "a host channel running VisualOn's encoder"] as const;
type EncoderKind = (typeof KINDS)[number];
let kind: EncoderKind = 'an ffmpeg child';
const hostLibrary: Record<Exclude<EncoderKind, 'an ffmpeg child'>, AacEncoderLibrary> = {
  "a host channel running ffmpeg's encoder": 'ffmpeg',
  "a host channel running VisualOn's encoder": 'vo-aacenc',
};

/** An encoder of the kind under test (`ffmpegPath` only applies to ffmpeg children). */
function encoder(opts: EncoderOptions = {}): AacEncoder {
  let e: AacEncoder;
  if (kind === 'an ffmpeg child') e = new FfmpegAacEncoder(opts);
  else {
    host ??= new AacEncoderHost({ executable: AAC_HOST_BUILD_PATH, library: hostLibrary[kind] });
    e = host.encoder(opts.bitrateKbps);
  }
  encoders.push(e);
  return e;
}

/** Encodes all of `pcm` in 20 ms writes; resolves with the frames once the encoder is done. */
async function encodeAll(pcm: Int16Array, opts: EncoderOptions = {}): Promise<Buffer[]> {
  const e = encoder(opts);
  const frames: Buffer[] = [];
  e.on('frame', (raw, index) => {
    expect(index).toBe(frames.length);
    frames.push(raw);
  });
  for (let at = 0; at < pcm.length; at += 1920) e.write(pcm.subarray(at, Math.min(pcm.length, at + 1920)));
  await e.close('end of test input');
  return frames;
}

/** The lag (in samples, 0..maxLag) at which `output` best matches `input[from, from + length)`. */
function bestLag(input: Float64Array, output: Float64Array, from: number, length: number, maxLag: number): number {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let lag = 0; lag <= maxLag; lag++) {
    let score = 0;
    for (let i = from; i < from + length; i++) score += input[i] * (output[i + lag] ?? 0);
    if (score > bestScore) [best, bestScore] = [lag, score];
  }
  return best;
}

function writeAdts(name: string, frames: Buffer[]): string {
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat(frames.map(adtsFrame)));
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aac-test-'));
});
afterEach(async () => {
  await Promise.all(encoders.splice(0).map((e) => e.close('test over')));
  await host?.close('test over');
  host = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each<EncoderKind>([...KINDS])('AAC encoder: %s (the same properties)', (under) => {
  beforeEach(() => {
    kind = under;
  });

  test('the AudioSpecificConfig is AAC-LC 48 kHz stereo (0x11 0x90, ISO/IEC 14496-3 1.6.2.1)', () => {
    const e = encoder();
    expect(e.audioSpecificConfig).toEqual(Buffer.from([0x11, 0x90]));
    expect(parseAudioSpecificConfig(e.audioSpecificConfig)).toEqual({ objectType: 2, sampleRate: 48000, channels: 2 });
  });


  test('2 s of a 1 kHz tone become ~2 s of AAC-LC 48 kHz stereo that decodes to 1 kHz', async () => {
    const priming = encoder().primingSamples;
    const frames = await encodeAll(sineStereo(1000, 2, 0.5));
    // 96000 samples plus the priming, in frames of 1024, the last one padded
    expect(frames.length).toBe(Math.ceil((96000 + priming) / AAC_FRAME_SAMPLES));
    const file = writeAdts('tone.aac', frames);
    const { stdout } = await runFile('ffprobe', ['-v', 'error', '-show_streams', '-count_frames', '-of', 'json', file]);
    const stream = (JSON.parse(stdout) as { streams: Record<string, string | number>[] }).streams[0];
    expect(stream).toMatchObject({ codec_name: 'aac', profile: 'LC', sample_rate: '48000', channels: 2 });
    expect(Number(stream.nb_read_frames)).toBe(frames.length);
    const pcm = await decodeToPcm(file);
    expect(pcm.length / 2 / 48000).toBeCloseTo(2, 1);
    for (const ch of [0, 1]) {
      const x = channel(pcm, ch).subarray(4800, 91200);
      expect(zeroCrossingFrequency(x, 48000)).toBeCloseTo(1000, 0);
      expect(toneAmplitude(x, 1000, 48000)).toBeGreaterThan(0.45);
    }
  });

  test('priming: a click written at sample S decodes at sample S + primingSamples (1024 for ffmpeg, 1600 for VisualOn), so frame i starts at sample i·1024 − primingSamples', async () => {
    const priming = encoder().primingSamples;
    expect(priming).toBe(kind === "a host channel running VisualOn's encoder" ? 1600 : 1024);
    for (const S of [24000 + 300, 30001]) {
      const pcm = new Int16Array(48000 * 2);
      // a 1 ms burst of 4 kHz under a Hann window: easy to find, well inside the AAC band
      for (let i = 0; i < 48; i++) {
        const v = Math.round(20000 * Math.sin((Math.PI * i) / 48) ** 2 * Math.sin((2 * Math.PI * 4000 * i) / 48000));
        pcm[2 * (S + i)] = v;
        pcm[2 * (S + i) + 1] = v;
      }
      const frames = await encodeAll(pcm);
      const decoded = await decodeToPcm(writeAdts(`click-${S}.aac`, frames));
      // the decoder gives every frame, priming included: sample k of the output is sample k of frame 0 on
      expect(decoded.length / 2).toBe(frames.length * AAC_FRAME_SAMPLES);
      // where the burst lines up best with the decoded audio, to the sample
      const shift = bestLag(channel(pcm, 0), channel(decoded, 0), S, 48, 4 * AAC_FRAME_SAMPLES);
      expect(shift).toBe(priming);
    }
  });

  test('frame i comes out once the input reaches (i + 1)·1024 samples with VisualOn, (i + 2)·1024 with ffmpeg (its look-ahead frame), and not before', async () => {
    const e = encoder();
    // Frames the encoder holds back beyond the one it is given.
    const held = kind === "a host channel running VisualOn's encoder" ? 0 : 1;
    let out = 0;
    e.on('frame', () => out++);
    const tone = sineStereo(440, 1, 0.4);
    for (let n = 1; n <= 8; n++) {
      e.write(tone.subarray((n - 1) * 2048, n * 2048));
      await waitFor(() => out >= n - held, { what: `${n - held} frames after ${n} input frames`, seen: () => `${out}` });
      expect(out).toBe(n - held);
    }
    // ffmpeg's 8th frame waits for a 9th input frame that never comes.
    await holdsFor(() => out === 8 - held, { durationMs: 150, what: `${8 - held} frames, no more`, seen: () => `${out}` });
  });

  test('bitrate is applied: 64k makes smaller frames than 192k', async () => {
    const pcm = sineStereo(1000, 1, 0.3);
    const rnd = seededRandom(0xacc);
    for (let i = 0; i < pcm.length; i++) pcm[i] += Math.round((rnd() - 0.5) * 6000); // noise needs bits
    const size = (frames: Buffer[]): number => frames.reduce((n, f) => n + f.length, 0);
    const low = size(await encodeAll(pcm, { bitrateKbps: 64 }));
    const high = size(await encodeAll(pcm, { bitrateKbps: 192 }));
    expect(low).toBeLessThan(high * 0.6);
    expect(low / 1.02).toBeLessThan((64000 / 8) * 1.3);
  });

  test('a nonsense bitrate is refused before anything starts', () => {
    expect(() => encoder({ bitrateKbps: 0 })).toThrow(RangeError);
    expect(() => encoder({ bitrateKbps: Number.NaN })).toThrow(RangeError);
    expect(host?.pid).toBeUndefined();
  });
});

describe('AacEncoder: an ffmpeg child (real ffmpeg)', () => {
  beforeEach(() => {
    kind = 'an ffmpeg child';
  });

  test('the AudioSpecificConfig it announces is the one in the ADTS headers ffmpeg writes with its arguments', () => {
    const pcm = sineStereo(1000, 0.5);
    const run = spawnSync('ffmpeg', aacEncoderArgs(128), { input: Buffer.from(pcm.buffer), timeout: 20_000 });
    expect(run.status).toBe(0);
    const written = new AdtsParser().push(run.stdout);
    expect(written.length).toBeGreaterThan(0);
    const configs = new Set(written.map((f) => buildAudioSpecificConfig(f).toString('hex')));
    expect([...configs]).toEqual([encoder().audioSpecificConfig.toString('hex')]);
  });

  test('the child is told the coder and one thread, and runs as one thread', async () => {
    const args = aacEncoderArgs(128);
    const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
    expect(after('-aac_coder')).toBe('fast');
    expect(after('-threads')).toBe('1');
    expect(after('-filter_threads')).toBe('1');
    // after the first frame the filter graph and the encoder are set up: no thread pool beside the main thread
    const e = encoder();
    const first = new Promise<void>((resolve) => e.once('frame', () => resolve()));
    e.write(sineStereo(1000, 0.2));
    await first;
    expect(readdirSync(`/proc/${e.pid}/task`)).toHaveLength(1);
  });

  test('PCM reaches ffmpeg in whole 1024-sample frames, one writev per event-loop turn, in order; close() hands over the rest', async () => {
    // a stand-in for ffmpeg that keeps what it reads
    const fake = join(dir, 'fake-ffmpeg');
    writeFileSync(fake, '#!/bin/sh\nexec cat > "$0.out"\n');
    chmodSync(fake, 0o755);
    const e = encoder({ ffmpegPath: fake });
    const rnd = seededRandom(0x1024);
    const pcm = (samples: number): Int16Array => Int16Array.from({ length: samples * 2 }, () => Math.round((rnd() - 0.5) * 60000));
    const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const written: Int16Array[] = [];
    const write = (samples: number): void => {
      written.push(pcm(samples));
      e.write(written[written.length - 1]);
    };
    const seen = (): [number, number] => [e.stats.samplesHeld, e.stats.pipeWrites];

    write(960);
    await endOfTurn();
    expect(seen()).toEqual([960, 0]); // not a whole frame yet: nothing for ffmpeg
    write(960);
    expect(seen()).toEqual([1920, 0]); // held until the turn ends
    await endOfTurn();
    expect(seen()).toEqual([1920 - 1024, 1]);
    // three writes in one turn, three whole frames among them: one writev
    write(960);
    write(2048);
    write(100);
    await endOfTurn();
    expect(seen()).toEqual([(896 + 3108) % 1024, 2]);
    await e.close('end of test input');
    expect(e.stats).toMatchObject({ samplesIn: 960 * 3 + 2048 + 100, samplesHeld: 0, pipeWrites: 3 });
    const got = readFileSync(`${fake}.out`);
    expect(got.equals(Buffer.concat(written.map((w) => Buffer.from(w.buffer))))).toBe(true);
  });

  test('close() leaves no process behind and is idempotent', async () => {
    const e = encoder();
    const pid = e.pid!;
    expect(isAlive(pid)).toBe(true);
    const reasons: string[] = [];
    e.on('close', (r) => reasons.push(r));
    e.write(sineStereo(1000, 0.2));
    await Promise.all([e.close('first'), e.close('second')]);
    expect(isAlive(pid)).toBe(false);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^first \(ffmpeg aac encoder exited with code 0\)/);
    expect(e.closed).toBe(true);
    e.write(sineStereo(1000, 0.1)); // ignored, no throw
  });

  test('an ffmpeg killed from outside closes the encoder with a reason naming the exit', async () => {
    const e = encoder();
    const closed = new Promise<string>((resolve) => e.on('close', resolve));
    e.write(sineStereo(1000, 0.1));
    process.kill(e.pid!, 'SIGKILL');
    const reason = await closed;
    expect(reason).toMatch(/ffmpeg aac encoder killed by SIGKILL/);
    expect(isAlive(e.pid!)).toBe(false);
    // writes after the death are swallowed, not thrown (no EPIPE into the caller)
    for (let i = 0; i < 50; i++) e.write(sineStereo(1000, 0.02));
  });

  test('an ffmpeg that cannot start closes with a reason', async () => {
    const e = encoder({ ffmpegPath: join(dir, 'no-such-ffmpeg') });
    const reason = await new Promise<string>((resolve) => e.on('close', resolve));
    expect(reason).toMatch(/could not start.*ENOENT/);
    expect(e.pid).toBeUndefined();
  });
});
