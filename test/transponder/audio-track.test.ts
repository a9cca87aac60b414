import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioTrack, type AacOut } from '../../src/transponder/audio-track';
import { adtsFrame, channel, decodeToPcm, isAlive, oggOpusPackets, runFile, toneAmplitude } from '../media/audio-analysis';

const FRAME_MS = 1024 / 48;
let dir: string;
const tracks: AudioTrack[] = [];

function track(silentIfNoAudio = false): { t: AudioTrack; out: AacOut[] } {
  const t = new AudioTrack({ silentIfNoAudio });
  tracks.push(t);
  const out: AacOut[] = [];
  t.on('aac', (f) => out.push(f));
  return { t, out };
}

/** 20 ms Opus packets of an lavfi audio expression, made by the real ffmpeg with libopus. */
async function opusPackets(expr: string, seconds: number): Promise<Buffer[]> {
  const file = join(dir, `src-${Math.random().toString(36).slice(2)}.opus`);
  await runFile('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `aevalsrc='${expr}':s=48000:d=${seconds}`,
    '-c:a', 'libopus', '-b:a', '96k', '-frame_duration', '20', '-f', 'ogg', file]);
  return oggOpusPackets(readFileSync(file)).packets;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'audio-track-test-'));
});
afterEach(async () => {
  await Promise.all(tracks.splice(0).map((t) => t.close('test over')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('AudioTrack (real Opus, real ffmpeg)', () => {
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
    await until(() => out.length >= Math.floor((3 * 48000 + 1024) / 1024) - 4);
    expect(out.length).toBeGreaterThanOrEqual(137);
    expect(out.length).toBeLessThanOrEqual(142);
    for (let i = 1; i < out.length; i++) expect(out[i].pts - out[i - 1].pts).toBeCloseTo(FRAME_MS, 6);
    // the first frame is the encoder's priming frame, one frame before the first sample
    expect(out[0].pts).toBeCloseTo(5000 - 312 / 48 - FRAME_MS, 6);
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
    await until(() => out.length >= 90);
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
    await until(() => out.length >= 33);
    const steps = out.slice(1).map((f, i) => f.pts - out[i].pts);
    expect(steps.filter((d) => Math.abs(d - FRAME_MS) > 1e-6)).toHaveLength(1); // the one jump
    expect(Math.max(...steps)).toBeGreaterThan(4000);
    expect(steps.every((d) => d > 0)).toBe(true);
  });

  test('silent mode makes AAC frames in real time from startPts, through the mixer', async () => {
    const { t, out } = track(true);
    t.start(2000);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    const elapsed = Date.now() - t0;
    // real time minus ffmpeg's start and its ~3 frames of delay
    expect(out.length).toBeGreaterThan((elapsed - 400) / FRAME_MS);
    expect(out.length).toBeLessThanOrEqual(Math.ceil(elapsed / FRAME_MS) + 2);
    expect(out[0].pts).toBeCloseTo(2000 - FRAME_MS, 6);
    for (let i = 1; i < out.length; i++) expect(out[i].pts - out[i - 1].pts).toBeCloseTo(FRAME_MS, 6);
    expect(t.toJSON().silenceMs).toBeGreaterThan(800);
  });

  test('start() does nothing without silentIfNoAudio', async () => {
    const { t, out } = track(false);
    t.start(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(out).toHaveLength(0);
  });

  test('mute silences the publisher and sound_on plays over it', async () => {
    const packets = await opusPackets('0.4*sin(2*PI*440*t)|0.4*sin(2*PI*440*t)', 2);
    const { t, out } = track();
    t.mixer.mute();
    const beep = new Int16Array(48000 * 2 * 2);
    for (let i = 0; i < beep.length / 2; i++) beep[2 * i] = beep[2 * i + 1] = Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
    t.mixer.soundOn(beep, false);
    packets.forEach((opus, k) => t.push({ pts: k * 20, opus }));
    await until(() => out.length >= 88);
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

  test('close() ends ffmpeg, emits close once, and ignores later input', async () => {
    const { t, out } = track(true);
    t.start(0);
    const pid = t.encoderPid!;
    const reasons: string[] = [];
    t.on('close', (r) => reasons.push(r));
    await Promise.all([t.close('unpublished'), t.close('again')]);
    expect(isAlive(pid)).toBe(false);
    expect(reasons).toEqual(['unpublished']);
    const before = out.length;
    t.push({ pts: 0, opus: Buffer.from([0xf8, 0xff, 0xfe]) });
    await new Promise((r) => setTimeout(r, 100));
    expect(out.length).toBe(before);
    expect(t.closed).toBe(true);
  });

  test('an encoder killed from outside closes the track with a reason', async () => {
    const { t } = track(true);
    const closed = new Promise<string>((r) => t.on('close', r));
    process.kill(t.encoderPid!, 'SIGKILL');
    expect(await closed).toMatch(/^AAC encoder ended: ffmpeg aac encoder killed by SIGKILL/);
  });
});

function writeAdts(name: string, frames: Buffer[]): string {
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat(frames.map(adtsFrame)));
  return file;
}
