/**
 * VideoTranscoder fed VP8/VP9 frames (libvpx output read from IVF files, no RTP) with
 * the real ffmpeg: what comes out is H.264 on the input's clock, written to an FLV with
 * our writer and judged by Debian's ffprobe/ffmpeg.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { transcoderArgs, type TranscodedFrame, VideoTranscoder } from '../../src/ffmpeg/video-transcoder';
import { avcNaluTag, avcSequenceHeaderTag, encodeFlvTag, flvFileHeader } from '../../src/flv';
import { buildAvcDecoderConfigurationRecord, NalType, nalType, parseVp8FrameHeader, parseVp9FrameHeader, toAvcc, type VpxFrame } from '../../src/media';
import { readIvf } from '../helpers/ivf-reader';
import { decodeErrors } from '../helpers/media-tools';
import { waitFor } from '../helpers/wait-for';

const run = promisify(execFile);
jest.setTimeout(60_000);

let dir: string;
const clips: Record<string, Array<Omit<VpxFrame, 'pts'>>> = {};

async function encode(codec: 'vp8' | 'vp9', width: number, height: number, seconds: number): Promise<Array<Omit<VpxFrame, 'pts'>>> {
  const file = join(dir, `${codec}-${width}x${height}.ivf`);
  await run('ffmpeg', [
    '-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`, '-t', String(seconds),
    '-c:v', codec === 'vp8' ? 'libvpx' : 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0',
    '-auto-alt-ref', '0', '-g', '30', '-b:v', '300k', '-f', 'ivf', file,
  ]);
  return readIvf(readFileSync(file)).frames.map(({ data }) => {
    const info = codec === 'vp8' ? parseVp8FrameHeader(data) : parseVp9FrameHeader(data);
    return { codec, data, keyframe: info.keyframe, width: info.width, height: info.height };
  });
}

/** Frames on a 30 fps clock from `start` ms (fractional, as RTP time gives). */
function onClock(frames: Array<Omit<VpxFrame, 'pts'>>, start: number): VpxFrame[] {
  return frames.map((f, i) => ({ ...f, pts: start + (i * 1000) / 30 }));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pushes frames at twice real time. */
async function feed(t: VideoTranscoder, input: VpxFrame[]): Promise<void> {
  const t0 = Date.now();
  for (const f of input) {
    const due = t0 + (f.pts - input[0]!.pts) / 2 - Date.now();
    if (due > 0) await sleep(due);
    t.push(f);
  }
}

/** Waits until no frame came out for 700 ms (the frames ffmpeg holds at the end), after `n` came. */
async function settle(out: TranscodedFrame[], n: number): Promise<void> {
  await waitFor(() => out.length >= n, { timeoutMs: 30_000, what: `${n} transcoded frames`, seen: () => `${out.length}` });
  let seen = -1;
  while (seen !== out.length) {
    seen = out.length;
    await sleep(700);
  }
}

/** Our FLV writer: a sequence header whenever the SPS changes, NALU tags at pts − first pts. */
function writeFlv(file: string, out: TranscodedFrame[]): void {
  const parts = [flvFileHeader(false, true)];
  let lastSps: Buffer | undefined;
  for (const f of out) {
    const ts = Math.round(f.pts - out[0]!.pts);
    const sps = f.nalUnits.filter((n) => nalType(n) === NalType.Sps);
    const pps = f.nalUnits.filter((n) => nalType(n) === NalType.Pps);
    if (f.keyframe && sps.length > 0 && (!lastSps || !lastSps.equals(sps[0]!))) {
      lastSps = sps[0];
      parts.push(encodeFlvTag(avcSequenceHeaderTag(ts, buildAvcDecoderConfigurationRecord(sps, pps))));
    }
    parts.push(encodeFlvTag(avcNaluTag(ts, f.keyframe, toAvcc(f.nalUnits), f.compositionTime ?? 0)));
  }
  writeFileSync(file, Buffer.concat(parts));
}

async function frameSizes(file: string): Promise<Array<{ width: number; height: number }>> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_frames', '-show_entries', 'frame=width,height', '-of', 'json', file], { maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(stdout) as { frames: Array<{ width: number; height: number }> }).frames;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpx-transcoder-'));
  clips.vp8 = await encode('vp8', 320, 240, 1);
  clips.vp9 = await encode('vp9', 320, 240, 1);
  clips.vp8small = await encode('vp8', 160, 120, 1);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let transcoder: VideoTranscoder | undefined;
afterEach(async () => {
  await transcoder?.close('test over');
  transcoder = undefined;
});

describe('VideoTranscoder with VP8/VP9 input', () => {
  it('reads IVF from stdin', () => {
    const args = transcoderArgs({}, { width: 320, height: 240 }, 'ivf');
    const i = args.indexOf('-i');
    expect(args.slice(i - 2, i + 2)).toEqual(['-f', 'ivf', '-i', 'pipe:0']);
  });

  it.each(['vp8', 'vp9'])('turns %s into H.264 frame for frame, each with the pts of its input frame', async (codec) => {
    const t = (transcoder = new VideoTranscoder({}));
    const out: TranscodedFrame[] = [];
    t.on('frame', (f) => out.push(f));
    const input = onClock(clips[codec]!, 1000.4);
    await feed(t, input);
    await settle(out, input.length);
    expect(out.map((f) => f.pts)).toEqual(input.map((f) => f.pts));
    expect(out[0]!.keyframe).toBe(true);
    expect(t.toJSON()).toMatchObject({ framesIn: input.length, framesOut: input.length, framesDropped: 0, width: 320, height: 240 });
    const file = join(dir, `${codec}.flv`);
    writeFlv(file, out);
    const sizes = await frameSizes(file);
    expect(sizes).toHaveLength(input.length);
    expect(sizes.every((s) => s.width === 320 && s.height === 240)).toBe(true);
    expect(await decodeErrors(file)).toBe('');
  });

  it('drops frames before the first keyframe and asks for one', async () => {
    const t = (transcoder = new VideoTranscoder({}));
    const out: TranscodedFrame[] = [];
    let asked = 0;
    t.on('frame', (f) => out.push(f));
    t.on('keyframeNeeded', () => asked++);
    const input = onClock([...clips.vp8!.slice(5), ...clips.vp8!], 0);
    await feed(t, input);
    const firstKey = input.findIndex((f) => f.keyframe);
    await settle(out, input.length - firstKey);
    expect(asked).toBe(1);
    expect(t.toJSON().framesDropped).toBe(firstKey);
    expect(out[0]).toMatchObject({ pts: input[firstKey]!.pts, keyframe: true });
  });

  it('follows a new source size with a new encoder when no size is requested, and scales it when one is', async () => {
    const input = onClock([...clips.vp8!, ...clips.vp8small!], 0);
    const change = clips.vp8!.length;

    const follow = (transcoder = new VideoTranscoder({}));
    const followed: TranscodedFrame[] = [];
    follow.on('frame', (f) => followed.push(f));
    await feed(follow, input);
    await settle(followed, input.length - 3);
    expect(follow.toJSON()).toMatchObject({ restarts: 1, width: 160, height: 120 });
    const at = followed.findIndex((f) => f.pts >= input[change]!.pts);
    expect(followed[at]).toMatchObject({ pts: input[change]!.pts, keyframe: true });
    const followFile = join(dir, 'follow.flv');
    writeFlv(followFile, followed);
    const followSizes = await frameSizes(followFile);
    expect(followSizes.slice(0, at).every((s) => s.width === 320)).toBe(true);
    expect(followSizes.slice(at).every((s) => s.width === 160)).toBe(true);
    expect(await decodeErrors(followFile)).toBe('');
    await follow.close('next');

    const fixed = (transcoder = new VideoTranscoder({ width: 320, height: 240 }));
    const scaled: TranscodedFrame[] = [];
    fixed.on('frame', (f) => scaled.push(f));
    await feed(fixed, input);
    await settle(scaled, input.length);
    expect(fixed.toJSON().restarts).toBeUndefined();
    expect(scaled.map((f) => f.pts)).toEqual(input.map((f) => f.pts));
    const fixedFile = join(dir, 'fixed.flv');
    writeFlv(fixedFile, scaled);
    expect((await frameSizes(fixedFile)).every((s) => s.width === 320 && s.height === 240)).toBe(true);
    expect(await decodeErrors(fixedFile)).toBe('');
  });
});
