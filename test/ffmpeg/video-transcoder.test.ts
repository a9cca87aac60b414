/**
 * VideoTranscoder with the real (bundled) ffmpeg; what comes out is written to an FLV
 * with our writer and judged by Debian's ffprobe/ffmpeg.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { transcoderArgs, TranscodedFrame, VideoTranscoder } from '../../src/ffmpeg/video-transcoder';
import { avcNaluTag, avcSequenceHeaderTag, encodeFlvTag, flvFileHeader } from '../../src/flv';
import { buildAvcDecoderConfigurationRecord, NalType, nalType, splitAnnexB, toAvcc } from '../../src/media/h264';
import type { VideoFrame } from '../../src/media/frames';
import { decodeErrors, ffprobeStreams } from '../helpers/media-tools';
import { seededBytes, seededRandom } from '../helpers/seeded-random';
import { waitFor } from '../helpers/wait-for';

const run = promisify(execFile);

jest.setTimeout(60_000);

let dir: string;
/** 3 s of 1280x720 at 30 fps, a keyframe each second. */
let hd: Buffer[][];
/** 2 s of 640x360 at 30 fps. */
let sd: Buffer[][];
/** 1 s of 640x480 (4:3) at 30 fps. */
let vga: Buffer[][];

/** An H.264 Annex B elementary stream from the real ffmpeg. */
async function makeH264(file: string, width: number, height: number, seconds: number): Promise<void> {
  await run('ffmpeg', [
    '-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`, '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
    '-g', '30', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', file,
  ]);
}

/**
 * Access units of an Annex B stream: a new one starts at a non-VCL NAL after a slice,
 * or at a slice with first_mb_in_slice 0 (its first bit, ue(v) '1', is set).
 */
function accessUnits(annexB: Buffer): Buffer[][] {
  const units: Buffer[][] = [];
  let current: Buffer[] = [];
  let hasSlice = false;
  for (const nal of splitAnnexB(annexB)) {
    const type = nalType(nal);
    const slice = type >= NalType.NonIdr && type <= NalType.Idr;
    if (hasSlice && (!slice || (nal[1] & 0x80) !== 0)) {
      units.push(current);
      current = [];
      hasSlice = false;
    }
    current.push(nal);
    if (slice) hasSlice = true;
  }
  if (current.length > 0) units.push(current);
  return units;
}

function isKey(nals: Buffer[]): boolean {
  return nals.some((n) => nalType(n) === NalType.Idr);
}

/** Frames on a 30 fps clock that starts at `start` ms (fractional, as RTP time gives). */
function frames(units: Buffer[][], start: number): VideoFrame[] {
  return units.map((nalUnits, i) => ({ pts: start + (i * 1000) / 30, keyframe: isKey(nalUnits), nalUnits }));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pushes frames at `speed` × real time. */
async function feed(t: VideoTranscoder, input: VideoFrame[], speed = 1): Promise<void> {
  const t0 = Date.now();
  const first = input[0].pts;
  for (const f of input) {
    const due = t0 + (f.pts - first) / speed - Date.now();
    if (due > 0) await sleep(due);
    t.push(f);
  }
}

/** Waits until at least `n` frames came out (the deadline is generous: libx264 on a loaded machine). */
function atLeast(out: TranscodedFrame[], n: number): Promise<boolean> {
  return waitFor(() => out.length >= n, { timeoutMs: 30_000, what: `${n} transcoded frames`, seen: () => `${out.length}` });
}

/**
 * Waits until no frame came out for `quietMs`: for the frames ffmpeg still holds when
 * the input ends, whose number the test cannot know. Called after `atLeast`, so a slow
 * start cannot end it early.
 */
async function settle(out: TranscodedFrame[], quietMs = 700): Promise<void> {
  let n = -1;
  while (n !== out.length) {
    n = out.length;
    await sleep(quietMs);
  }
}

/**
 * Our FLV writer: a sequence header from the SPS/PPS in front of each keyframe (again
 * whenever they change), NALU tags at pts − first pts.
 */
function writeFlv(file: string, out: TranscodedFrame[]): void {
  const parts = [flvFileHeader(false, true)];
  let lastSps: Buffer | undefined;
  const t0 = out[0].pts;
  for (const f of out) {
    const ts = Math.round(f.pts - t0);
    const sps = f.nalUnits.filter((n) => nalType(n) === NalType.Sps);
    const pps = f.nalUnits.filter((n) => nalType(n) === NalType.Pps);
    if (f.keyframe && sps.length > 0 && (!lastSps || !lastSps.equals(sps[0]))) {
      lastSps = sps[0];
      parts.push(encodeFlvTag(avcSequenceHeaderTag(ts, buildAvcDecoderConfigurationRecord(sps, pps))));
    }
    parts.push(encodeFlvTag(avcNaluTag(ts, f.keyframe, toAvcc(f.nalUnits), f.compositionTime ?? 0)));
  }
  writeFileSync(file, Buffer.concat(parts));
}

interface ProbedFrame {
  width: number;
  height: number;
  key_frame: number;
  pkt_size: string;
  pts_time?: string;
  best_effort_timestamp_time?: string;
}

async function probeFrames(file: string): Promise<ProbedFrame[]> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=width,height,key_frame,pkt_size,best_effort_timestamp_time', '-of', 'json', file],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return (JSON.parse(stdout) as { frames: ProbedFrame[] }).frames;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'video-transcoder-'));
  await Promise.all([
    makeH264(join(dir, 'hd.h264'), 1280, 720, 3),
    makeH264(join(dir, 'sd.h264'), 640, 360, 2),
    makeH264(join(dir, 'vga.h264'), 640, 480, 1),
  ]);
  vga = accessUnits(readFileSync(join(dir, 'vga.h264')));
  hd = accessUnits(readFileSync(join(dir, 'hd.h264')));
  sd = accessUnits(readFileSync(join(dir, 'sd.h264')));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let transcoder: VideoTranscoder | undefined;
afterEach(async () => {
  await transcoder?.close('test over');
  transcoder = undefined;
});

describe('transcoderArgs', () => {
  it('keeps timestamps: no fps filter, copyts and passthrough sync', () => {
    const args = transcoderArgs({ height: 240, fps: 15, bitrateKbps: 300, keyFrameInterval: 30 }, { width: 426, height: 240 });
    expect(args).toEqual(expect.arrayContaining(['-copyts', '-vsync', 'passthrough', '-bf', '0', '-profile:v', 'main']));
    const vf = args[args.indexOf('-vf') + 1];
    expect(vf).toMatch(/^scale=426:240,select=/);
    expect(vf).not.toMatch(/fps=/);
    expect(args.slice(args.indexOf('-g'), args.indexOf('-g') + 4)).toEqual(['-g', '30', '-keyint_min', '30']);
    expect(args.slice(args.indexOf('-b:v'), args.indexOf('-b:v') + 10)).toEqual([
      '-b:v', '300k', '-minrate', '300k', '-maxrate', '300k', '-bufsize', '300k', '-x264-params', 'fps=15:nal-hrd=cbr',
    ]);
  });

  it('without a bitrate or keyframe interval: capped CRF and a keyframe every 2 s', () => {
    const args = transcoderArgs({ height: 720 }, { width: 1280, height: 720 });
    expect(args).toEqual(expect.arrayContaining(['-crf', '23', '-force_key_frames', 'expr:gte(t,n_forced*2)']));
    expect(args).not.toContain('-b:v');
  });
});

describe('VideoTranscoder with the real ffmpeg', () => {
  it('turns 1280x720 30 fps into 426x240 15 fps 300 kbps with a keyframe every 30 frames, on the input clock', async () => {
    const t = (transcoder = new VideoTranscoder({ height: 240, fps: 15, bitrateKbps: 300, keyFrameInterval: 30 }));
    const out: TranscodedFrame[] = [];
    t.on('frame', (f) => out.push(f));
    const input = frames(hd, 5000.4);
    await feed(t, input);
    await atLeast(out, 43);
    await settle(out);
    const pid = t.pid;
    expect(pid).toBeGreaterThan(0);

    // Every output frame is one input frame, same pts, in order, within the input's span.
    const inputPts = new Set(input.map((f) => f.pts));
    expect(out.every((f) => inputPts.has(f.pts))).toBe(true);
    for (let i = 1; i < out.length; i++) expect(out[i].pts).toBeGreaterThan(out[i - 1].pts);
    expect(out[0].pts).toBe(input[0].pts);
    expect(out[out.length - 1].pts).toBeLessThanOrEqual(input[input.length - 1].pts);
    expect(out.length).toBeGreaterThanOrEqual(43);
    expect(out.length).toBeLessThanOrEqual(46);
    // SPS and PPS lead every keyframe.
    for (const f of out.filter((f) => f.keyframe)) {
      expect(f.nalUnits.slice(0, 2).map(nalType)).toEqual([NalType.Sps, NalType.Pps]);
    }

    const file = join(dir, 'hd-240.flv');
    writeFlv(file, out);
    const [stream] = await ffprobeStreams(file);
    expect(stream).toMatchObject({ codec_name: 'h264', width: 426, height: 240, profile: 'Main' });
    // No B-frames: decode order is presentation order.
    expect(out.every((f) => f.compositionTime === undefined)).toBe(true);
    const probed = await probeFrames(file);
    expect(probed).toHaveLength(out.length);
    const keys = probed.flatMap((f, i) => (f.key_frame ? [i] : []));
    expect(keys).toEqual([0, 30]);
    const seconds = (out[out.length - 1].pts - out[0].pts) / 1000 + 1 / 15;
    expect(out.length / seconds).toBeGreaterThan(14);
    expect(out.length / seconds).toBeLessThan(16);
    const bytes = probed.reduce((sum, f) => sum + Number(f.pkt_size), 0);
    const kbps = (bytes * 8) / seconds / 1000;
    expect(kbps).toBeGreaterThan(150);
    expect(kbps).toBeLessThan(450);
    expect(await decodeErrors(file)).toBe('');

    const stats = t.toJSON();
    expect(stats).toMatchObject({ framesIn: 90, framesOut: out.length, framesDropped: 0, width: 426, height: 240 });
    expect(stats.restarts).toBeUndefined();
    expect(stats.latencyMsP50).toBeGreaterThan(0);

    await t.close('done');
    expect(isAlive(pid!)).toBe(false);
  });

  it('keeps a 640x360 → 1280x720 change (new SPS) decodable at the requested size, without a restart', async () => {
    const t = (transcoder = new VideoTranscoder({ height: 240, bitrateKbps: 400 }));
    const out: TranscodedFrame[] = [];
    t.on('frame', (f) => out.push(f));
    const input = frames([...sd, ...hd], 0);
    await feed(t, input, 2);
    await atLeast(out, input.length);
    expect(out.length).toBe(input.length);
    expect(out.map((f) => f.pts)).toEqual(input.map((f) => f.pts));

    const file = join(dir, 'change-240.flv');
    writeFlv(file, out);
    const probed = await probeFrames(file);
    expect(probed).toHaveLength(input.length);
    expect(probed.every((f) => f.width === 426 && f.height === 240)).toBe(true);
    expect(await decodeErrors(file)).toBe('');
    expect(t.toJSON().restarts).toBeUndefined();
  });

  it('starts a new encoder when the output size must follow the source (no size requested)', async () => {
    const t = (transcoder = new VideoTranscoder({ bitrateKbps: 500 }));
    const out: TranscodedFrame[] = [];
    t.on('frame', (f) => out.push(f));
    const input = frames([...sd, ...hd], 0);
    await feed(t, input, 2);
    await atLeast(out, input.length - 3);
    await settle(out);
    expect(t.toJSON()).toMatchObject({ restarts: 1, width: 1280, height: 720 });
    for (let i = 1; i < out.length; i++) expect(out[i].pts).toBeGreaterThan(out[i - 1].pts);
    // The first frame of the new size is a keyframe at the input's change.
    const change = out.findIndex((f) => f.pts >= input[sd.length].pts);
    expect(out[change]).toMatchObject({ pts: input[sd.length].pts, keyframe: true });
    // Nearly every frame comes out: the replaced ffmpeg hands over what it held.
    expect(out.length).toBeGreaterThanOrEqual(input.length - 3);

    const file = join(dir, 'change-follow.flv');
    writeFlv(file, out);
    const probed = await probeFrames(file);
    expect(probed.slice(0, change).every((f) => f.width === 640 && f.height === 360)).toBe(true);
    expect(probed.slice(change).every((f) => f.width === 1280 && f.height === 720)).toBe(true);
    expect(await decodeErrors(file)).toBe('');
  });

  it('with height alone, follows a new source aspect (4:3 → 16:9) with a new encoder', async () => {
    const t = (transcoder = new VideoTranscoder({ height: 240 }));
    const out: TranscodedFrame[] = [];
    t.on('frame', (f) => out.push(f));
    const input = frames([...vga, ...hd.slice(0, 30)], 0);
    await feed(t, input, 3);
    await waitFor(() => out.some((f) => f.pts >= input[vga.length].pts), { timeoutMs: 30_000, what: 'frames after the aspect change' });
    await settle(out);
    expect(t.toJSON()).toMatchObject({ restarts: 1, width: 426, height: 240 });
    const file = join(dir, 'aspect.flv');
    writeFlv(file, out);
    const probed = await probeFrames(file);
    const change = out.findIndex((f) => f.pts >= input[vga.length].pts);
    expect(change).toBeGreaterThan(0);
    expect(probed.slice(0, change).every((f) => f.width === 320 && f.height === 240)).toBe(true);
    expect(probed.slice(change).every((f) => f.width === 426 && f.height === 240)).toBe(true);
    expect(await decodeErrors(file)).toBe('');
  });

  it('survives garbage: an unreadable SPS is skipped, random access units do not stop it', async () => {
    const t = (transcoder = new VideoTranscoder({ height: 240 }));
    const out: TranscodedFrame[] = [];
    t.on('frame', (f) => out.push(f));
    const rnd = seededRandom(0x264);
    const random = (n: number): Buffer => seededBytes(rnd, n);
    // A "keyframe" whose SPS is a few random bytes: nothing to size the output from.
    t.push({ pts: 0, keyframe: true, nalUnits: [Buffer.from([0x67, 0xff, 0xff]), Buffer.from([0x68, 0xee]), Buffer.from([0x65, 1, 2, 3])] });
    expect(t.pid).toBeUndefined();
    const input = frames(hd, 100);
    for (const f of input.slice(0, 30)) t.push(f);
    for (let i = 0; i < 10; i++) t.push({ pts: 1200 + i, keyframe: false, nalUnits: [random(500), Buffer.alloc(0), Buffer.from([0x41])] });
    for (const f of input.slice(30, 60)) t.push({ ...f, pts: f.pts + 400 });
    await atLeast(out, 60);
    await settle(out);
    expect(t.closed).toBe(false);
    // Every good frame comes out (the encoder, not the source, places keyframes).
    const good = [...input.slice(0, 30).map((f) => f.pts), ...input.slice(30, 60).map((f) => f.pts + 400)];
    expect(out.map((f) => f.pts)).toEqual(good);
    expect(t.toJSON()).toMatchObject({ framesIn: 71, framesOut: 60, framesDropped: 1 });
  });

  it('drops frames before the first keyframe and asks for one', async () => {
    const t = (transcoder = new VideoTranscoder({ height: 240 }));
    let asked = 0;
    t.on('keyframeNeeded', () => asked++);
    const input = frames(hd, 0);
    for (const f of input.slice(1, 10)) t.push(f);
    expect(t.pid).toBeUndefined();
    expect(t.toJSON()).toMatchObject({ framesIn: 9, framesOut: 0, framesDropped: 9 });
    expect(asked).toBe(1);
    t.push(input[30]);
    expect(t.pid).toBeGreaterThan(0);
  });

  it('stops feeding an ffmpeg that falls behind, until a keyframe after it caught up', async () => {
    // A stand-in that reads everything and never answers: a CPU far too slow for the job.
    const stuck = join(dir, 'stuck-ffmpeg.sh');
    writeFileSync(stuck, '#!/bin/sh\nexec cat >/dev/null\n', { mode: 0o755 });
    const t = (transcoder = new VideoTranscoder({ height: 240, ffmpegPath: stuck, maxPendingFrames: 20 }));
    let asked = 0;
    t.on('keyframeNeeded', () => asked++);
    for (const f of frames(hd, 0).slice(0, 50)) t.push(f);
    // 20 in flight, the rest dropped (the keyframe at frame 30 too: ffmpeg is still full).
    expect(t.toJSON()).toMatchObject({ framesIn: 50, framesOut: 0, framesDropped: 30 });
    expect(asked).toBe(1);
    const pid = t.pid!;
    await t.close('done');
    expect(isAlive(pid)).toBe(false);
  });

  it('closes with the reason when ffmpeg dies', async () => {
    const t = (transcoder = new VideoTranscoder({ height: 240 }));
    const closed = new Promise<string>((resolve) => t.on('close', resolve));
    t.push(frames(hd, 0)[0]);
    const pid = t.pid!;
    process.kill(pid, 'SIGKILL');
    expect(await closed).toMatch(/^ffmpeg video transcoder #1 killed by SIGKILL/);
    expect(t.closed).toBe(true);
    expect(isAlive(pid)).toBe(false);
  });

  it('closes with the reason when ffmpeg cannot start', async () => {
    const t = (transcoder = new VideoTranscoder({ height: 240, ffmpegPath: join(dir, 'no-such-ffmpeg') }));
    const closed = new Promise<string>((resolve) => t.on('close', resolve));
    t.push(frames(hd, 0)[0]);
    expect(await closed).toMatch(/could not start: .*ENOENT/);
  });

  it('close is idempotent, ends ffmpeg, emits close once, and ignores later frames', async () => {
    const t = (transcoder = new VideoTranscoder({ fps: 10 }));
    const reasons: string[] = [];
    t.on('close', (r) => reasons.push(r));
    const input = frames(hd, 0);
    t.push(input[0]);
    const pid = t.pid!;
    const a = t.close('first');
    const b = t.close('second');
    expect(b).toBe(a);
    await a;
    expect(reasons).toEqual(['first']);
    expect(isAlive(pid)).toBe(false);
    t.push(input[1]);
    expect(t.toJSON().framesIn).toBe(1);
  });
});
