import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioTrack, type AacOut } from '../../src/transponder/audio-track';
import { AacEncoderHost } from '../../src/ffmpeg/aac-encoder-host';
import { AAC_HOST_BUILD_PATH } from '../../src/aac-host-path';
import { waitFor } from '../helpers/wait-for';
import { adtsFrame, channel, decodeToPcm, isAlive, opusPacketsOf, toneAmplitude } from '../media/audio-analysis';

const FRAME_MS = 1024 / 48;
let dir: string;
const tracks: AudioTrack[] = [];

/** Where the AAC is encoded (by which encoder), and where the Opus is decoded. */
const MODES = [
  'an ffmpeg child, Opus decoded here',
  "the AAC host (VisualOn's encoder), Opus decoded here",
  "the AAC host (VisualOn's encoder), Opus decoded there",
  "the AAC host (ffmpeg's encoder), Opus decoded there",
] as const;
type Mode = (typeof MODES)[number];
let mode: Mode = MODES[0];
let host: AacEncoderHost | undefined;
/** Hosts made by single tests, closed after each. */
const hosts: AacEncoderHost[] = [];
const decodedThere = (): boolean => mode.endsWith('decoded there');
/** The first AAC frame starts this long before the first sample: the encoder's priming (1024 or 1600 samples). */
const primingMs = (): number => (mode.includes('VisualOn') ? 1600 : 1024) / 48;

function track(silentIfNoAudio = false): { t: AudioTrack; out: AacOut[] } {
  if (mode !== MODES[0]) host ??= new AacEncoderHost({ executable: AAC_HOST_BUILD_PATH, library: mode.includes('VisualOn') ? 'vo-aacenc' : 'ffmpeg' });
  const t = new AudioTrack({ silentIfNoAudio, aacHost: mode === MODES[0] ? undefined : host, opusToEncoder: decodedThere() });
  tracks.push(t);
  const out: AacOut[] = [];
  t.on('aac', (f) => out.push(f));
  return { t, out };
}

/** 20 ms Opus packets of an lavfi audio expression, made by the real ffmpeg with libopus. */
function opusPackets(expr: string, seconds: number): Promise<Buffer[]> {
  return opusPacketsOf(dir, expr, seconds);
}

/** Waits until the track has emitted at least `n` AAC frames. */
function aacFrames(out: AacOut[], n: number, timeoutMs = 10_000): Promise<boolean> {
  return waitFor(() => out.length >= n, { timeoutMs, what: `${n} AAC frames`, seen: () => `${out.length}` });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'audio-track-test-'));
});
afterEach(async () => {
  await Promise.all(tracks.splice(0).map((t) => t.close('test over')));
  await host?.close('test over');
  host = undefined;
  await Promise.all(hosts.splice(0).map((h) => h.close('test over')));
  mode = MODES[0];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(MODES)('AudioTrack (real Opus, real AAC encoder): %s', (under) => {
  beforeEach(() => {
    mode = under;
  });

  test('the track hands the encoder Opus only where the encoder decodes it (then it has no mixer of its own)', () => {
    const { t } = track();
    expect(t.mixable).toBe(!decodedThere());
  });

  test('3 s of Opus with 10% of the packets lost: no holes, one AAC frame per 1024 samples, pts 21.333 ms apart', async () => {
    const packets = (await opusPackets('0.4*sin(2*PI*440*t)|0.4*sin(2*PI*440*t)', 3)).slice(0, 150);
    const { t, out } = track();
    packets.forEach((opus, k) => {
      if (k % 10 !== 5) t.push({ pts: 5000 + k * 20, opus });
    });
    const stats = t.toJSON();
    expect(stats).toMatchObject({ framesIn: 135, framesDecoded: 135, concealed: 15, dropped: 0, resyncs: 0 });
    expect(stats.samplesEncoded).toBe(3 * 48000);
    // ffmpeg holds back about 3 frames until more input or the end
    await aacFrames(out, Math.floor((3 * 48000 + 1024) / 1024) - 4);
    expect(out.length).toBeGreaterThanOrEqual(137);
    expect(out.length).toBeLessThanOrEqual(142);
    for (let i = 1; i < out.length; i++) expect(out[i].pts - out[i - 1].pts).toBeCloseTo(FRAME_MS, 6);
    // the first frame is the encoder's priming frame, one frame before the first sample
    expect(out[0].pts).toBeCloseTo(5000 - 312 / 48 - primingMs(), 6);
    expect(t.toJSON().encoded).toBe(out.length);
  });

  test('a sound written at a known pts lands at that pts in the AAC track (±5 ms)', async () => {
    // silence with a 1 ms 4 kHz burst at source sample S; packet k has pts base + 20·k
    const S = 48000 + 777;
    const burst = `if(between(n,${S},${S + 47}),0.6*sin(PI*(n-${S})/48)^2*sin(2*PI*4000*t),0)`;
    const packets = await opusPackets(`${burst}|${burst}`, 2);
    const base = 10000;
    const { t, out } = track();
    packets.forEach((opus, k) => t.push({ pts: base + k * 20, opus }));
    await aacFrames(out, 90);
    const decoded = await decodeToPcm(writeAdts('sync.aac', out.map((f) => f.raw)));
    const left = channel(decoded, 0);
    let peak = 0;
    for (let i = 0; i < left.length; i++) if (Math.abs(left[i]) > Math.abs(left[peak])) peak = i;
    const frame = Math.floor(peak / 1024);
    const heardAt = out[frame].pts + (peak % 1024) / 48;
    const burstPeakAt = base + (S + 24) / 48;
    expect(Math.abs(heardAt - burstPeakAt)).toBeLessThanOrEqual(5);
  });

  test('late and duplicate packets are dropped; a jump over 1 s resyncs instead of filling', async () => {
    const packets = await opusPackets('0.3*sin(2*PI*440*t)', 1);
    const { t, out } = track();
    for (let k = 0; k < 10; k++) t.push({ pts: k * 20, opus: packets[k] });
    t.push({ pts: 100, opus: packets[5] }); // a duplicate of a covered time
    expect(t.toJSON().dropped).toBe(1);
    // the publisher paused for 5 s
    for (let k = 10; k < 40; k++) t.push({ pts: 5000 + k * 20, opus: packets[k] });
    const s = t.toJSON();
    expect(s).toMatchObject({ resyncs: 1, concealed: 0, samplesEncoded: 40 * 960 });
    await aacFrames(out, 33);
    const steps = out.slice(1).map((f, i) => f.pts - out[i].pts);
    expect(steps.filter((d) => Math.abs(d - FRAME_MS) > 1e-6)).toHaveLength(1); // the one jump
    expect(Math.max(...steps)).toBeGreaterThan(4000);
    expect(steps.every((d) => d > 0)).toBe(true);
  });

  test('silent mode makes AAC frames from startPts on, continuous, never ahead of real time', async () => {
    const { t, out } = track(true);
    const before = performance.now();
    t.start(2000);
    // 40 frames: ~0.85 s of silence made by the track's own timer
    await aacFrames(out, 40);
    const elapsedMs = performance.now() - before;
    expect(out[0].pts).toBeCloseTo(2000 - primingMs(), 6);
    for (let i = 1; i < out.length; i++) expect(out[i].pts - out[i - 1].pts).toBeCloseTo(FRAME_MS, 6);
    // Silence follows the wall clock: never more of it than time has passed (one 20 ms tick of slack).
    const { silenceMs, samplesEncoded } = t.toJSON();
    expect(silenceMs).toBeGreaterThanOrEqual((40 - 1) * FRAME_MS - 1024 / 48);
    expect(silenceMs).toBeLessThanOrEqual(elapsedMs + 20);
    expect(samplesEncoded / 48).toBeLessThanOrEqual(performance.now() - before + 20);
  });

  test('start() does nothing without silentIfNoAudio: the clock is anchored by the first audio, not by start', async () => {
    const packets = await opusPackets('0.3*sin(2*PI*440*t)', 1);
    const { t, out } = track(false);
    t.start(0);
    expect(t.toJSON()).toMatchObject({ silenceMs: 0, samplesEncoded: 0 });
    packets.slice(0, 20).forEach((opus, k) => t.push({ pts: 5000 + k * 20, opus }));
    await aacFrames(out, 15);
    // Had start(0) anchored the clock, audio 5 s later would be a resync and frame 0 would sit at ~0 ms.
    expect(out[0].pts).toBeCloseTo(5000 - 312 / 48 - primingMs(), 6);
    expect(t.toJSON()).toMatchObject({ silenceMs: 0, resyncs: 0, concealed: 0, samplesEncoded: 20 * 960 });
  });

  test('mute silences the publisher and sound_on plays over it', async () => {
    const packets = await opusPackets('0.4*sin(2*PI*440*t)|0.4*sin(2*PI*440*t)', 2);
    const { t, out } = track();
    t.mixer.mute();
    const beep = new Int16Array(48000 * 2 * 2);
    for (let i = 0; i < beep.length / 2; i++) beep[2 * i] = beep[2 * i + 1] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
    t.mixer.soundOn(beep, false);
    packets.forEach((opus, k) => t.push({ pts: k * 20, opus }));
    await aacFrames(out, 88);
    const decoded = channel(await decodeToPcm(writeAdts('muted.aac', out.map((f) => f.raw))), 0).subarray(4800, 80000);
    expect(toneAmplitude(decoded, 1000, 48000)).toBeGreaterThan(0.2);
    expect(toneAmplitude(decoded, 440, 48000)).toBeLessThan(0.01);
  });

  test('undecodable packets are concealed, not fatal', async () => {
    const packets = await opusPackets('0.3*sin(2*PI*440*t)', 1);
    const { t } = track();
    t.push({ pts: 0, opus: packets[0] });
    t.push({ pts: 20, opus: Buffer.from([0x0b]) }); // code 3 without a frame count
    t.push({ pts: 40, opus: packets[2] });
    expect(t.toJSON()).toMatchObject({ framesIn: 3, framesDecoded: 2, decodeErrors: 1, samplesEncoded: 3 * 960 });
  });
});

describe('AudioTrack with an ffmpeg child of its own', () => {
  test('close() ends ffmpeg, emits close once, and ignores later input', async () => {
    const { t, out } = track(true);
    t.start(0);
    const pid = t.encoderPid!;
    const reasons: string[] = [];
    t.on('close', (r) => reasons.push(r));
    await Promise.all([t.close('unpublished'), t.close('again')]);
    expect(isAlive(pid)).toBe(false);
    expect(reasons).toEqual(['unpublished']);
    // The encoder is gone (awaited above), so nothing can come out any more; input is not even counted.
    const before = { frames: out.length, stats: t.toJSON() };
    t.push({ pts: 0, opus: Buffer.from([0xf8, 0xff, 0xfe]) });
    expect(t.toJSON()).toEqual(before.stats);
    expect(out.length).toBe(before.frames);
    expect(t.closed).toBe(true);
  });

  test('an encoder killed from outside closes the track with a reason', async () => {
    const { t } = track(true);
    const closed = new Promise<string>((r) => t.on('close', r));
    process.kill(t.encoderPid!, 'SIGKILL');
    expect(await closed).toMatch(/^AAC encoder ended: ffmpeg aac encoder killed by SIGKILL/);
  });
});

describe('AudioTrack.alignWith across encoders of different priming (1024 and 1600 samples)', () => {
  test.each([
    ["VisualOn's", "ffmpeg's"],
    ["ffmpeg's", "VisualOn's"],
  ])("a leader on %s encoder, a follower on %s: the follower's frames fall on the leader's pts, from usableFromPts on", async (leaderKind, followerKind) => {
    const packets = await opusPackets('0.4*sin(2*PI*440*t)|0.4*sin(2*PI*440*t)', 2);
    const hostOf = (kind: string): AacEncoderHost => {
      const h = new AacEncoderHost({ executable: AAC_HOST_BUILD_PATH, library: kind === "VisualOn's" ? 'vo-aacenc' : 'ffmpeg' });
      hosts.push(h);
      return h;
    };
    const leader = new AudioTrack({ silentIfNoAudio: false, aacHost: hostOf(leaderKind) });
    tracks.push(leader);
    const leaderOut: AacOut[] = [];
    leader.on('aac', (f) => leaderOut.push(f));
    // 17 packets (16320 samples): the follower joins inside a frame of the leader's
    for (let k = 0; k < 17; k++) leader.push({ pts: 1000 + k * 20, opus: packets[k] });
    const follower = new AudioTrack({ silentIfNoAudio: false, aacHost: hostOf(followerKind) });
    tracks.push(follower);
    const followerOut: AacOut[] = [];
    follower.on('aac', (f) => followerOut.push(f));
    follower.alignWith(leader);
    for (let k = 17; k < 80; k++) for (const t of [leader, follower]) t.push({ pts: 1000 + k * 20, opus: packets[k] });
    await waitFor(() => leaderOut.length >= 60 && followerOut.length >= 40, { what: 'frames of both', seen: () => `${leaderOut.length}, ${followerOut.length}` });

    const usable = followerOut.filter((f) => f.pts >= follower.usableFromPts - 1e-6);
    expect(usable.length).toBeGreaterThan(35);
    // on the grid: each usable frame of the follower has the pts of one of the leader's
    const leaderPts = leaderOut.map((f) => f.pts);
    const offGrid = usable.filter((f) => !leaderPts.some((p) => Math.abs(p - f.pts) < 1e-6)).map((f) => f.pts);
    expect(offGrid).toEqual([]);
    // and the first usable one holds no part of the silence the follower started with: it is
    // the follower's first frame whose samples all come after its lead
    expect(usable[0].pts - followerOut[0].pts).toBeLessThan(3 * FRAME_MS);
  });
});

function writeAdts(name: string, frames: Buffer[]): string {
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat(frames.map(adtsFrame)));
  return file;
}
