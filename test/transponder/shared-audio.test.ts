/**
 * The stream's shared AAC track and the per-transponder switch (StreamAudio +
 * TransponderAudio), with real Opus packets paced in real time and the real ffmpeg
 * encoder: who shares which encoder, the seams of each switch, and who closes what.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AacOut } from '../../src/transponder/audio-track';
import { StreamAudio } from '../../src/transponder/shared-audio';
import { TransponderAudio } from '../../src/transponder/transponder-audio';
import { TypedEmitter } from '../../src/util/typed-emitter';
import type { AudioFrame } from '../../src/media/frames';
import { waitFor } from '../helpers/wait-for';
import { adtsFrame, channel, decodeToPcm, isAlive, opusPacketsOf, toneAmplitude } from '../media/audio-analysis';

jest.setTimeout(30_000);

const FRAME_MS = 1024 / 48;

type SourceEvents = { audio: [AudioFrame]; close: [string] };

/** A published stream whose audio is a 440 Hz tone, one Opus packet per 20 ms of wall time. */
class PacedSource extends TypedEmitter<SourceEvents> {
  private timer: NodeJS.Timeout | undefined;
  private k = 0;
  constructor(private readonly packets: Buffer[]) {
    super();
  }
  play(): void {
    this.timer = setInterval(() => {
      const opus = this.packets[this.k % this.packets.length];
      this.emit('audio', { pts: 10_000 + this.k * 20, opus });
      this.k++;
    }, 20);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
  end(reason: string): void {
    this.stop();
    this.emit('close', reason);
  }
}

/** A stream without audio: nothing is ever emitted. */
class SilentSource extends TypedEmitter<SourceEvents> {}

let dir: string;
let tone: Buffer[];
let source: PacedSource;
let stream: StreamAudio;
const audios: TransponderAudio[] = [];
const pidsSeen = new Set<number>();

interface Joined {
  audio: TransponderAudio;
  out: AacOut[];
  closes: string[];
}

function join_(on: StreamAudio = stream): Joined {
  const audio = new TransponderAudio(on, undefined);
  audios.push(audio);
  const out: AacOut[] = [];
  const closes: string[] = [];
  audio.on('aac', (f) => {
    out.push(f);
    if (audio.encoderPid !== undefined) pidsSeen.add(audio.encoderPid);
  });
  audio.on('close', (r) => closes.push(r));
  audio.open();
  if (audio.encoderPid !== undefined) pidsSeen.add(audio.encoderPid);
  return { audio, out, closes };
}

/** ffmpeg children of this process (the encoders alive). */
function ffmpegChildren(): number[] {
  return [...pidsSeen].filter((pid) => isAlive(pid));
}

function more(j: Joined, n: number): Promise<boolean> {
  const target = j.out.length + n;
  return waitFor(() => j.out.length >= target, { what: `${n} more AAC frames`, seen: () => `${j.out.length}` });
}

/** Every step one frame: monotonic, no hole, no overlap (a switch included). */
function expectOneFrameSteps(out: AacOut[]): void {
  const steps = out.slice(1).map((f, i) => f.pts - out[i].pts);
  const off = steps.map((s, i) => [i + 1, s] as const).filter(([, s]) => Math.abs(s - FRAME_MS) > 0.01);
  expect(off).toEqual([]);
}

function amplitude440(frames: AacOut[], name: string): Promise<number> {
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat(frames.map((f) => adtsFrame(f.raw))));
  // the first decoded frame is the decoder's warm-up
  return decodeToPcm(file).then((pcm) => toneAmplitude(channel(pcm, 0).subarray(2048), 440, 48000));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shared-audio-test-'));
  tone = await opusPacketsOf(dir, '0.4*sin(2*PI*440*t)|0.4*sin(2*PI*440*t)', 2);
});

beforeEach(() => {
  source = new PacedSource(tone);
  stream = new StreamAudio(source, { silentIfNoAudio: true, fillWhenSourceStops: true });
});

afterEach(async () => {
  source.stop();
  await Promise.allSettled(audios.splice(0).map((a) => a.close('test over')));
  await waitFor(() => ffmpegChildren().length === 0, { what: 'no encoder left' });
  pidsSeen.clear();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('StreamAudio + TransponderAudio (real Opus, real ffmpeg)', () => {
  test('two transponders share one encoder; a third joining mid-stream gets it too, frames one step apart', async () => {
    const a = join_();
    const b = join_();
    source.play();
    expect(a.audio.encoderPid).toBeDefined();
    expect(b.audio.encoderPid).toBe(a.audio.encoderPid);
    expect(stream.trackCount).toBe(1);
    await more(a, 30);
    const c = join_();
    expect(c.audio.encoderPid).toBe(a.audio.encoderPid);
    await more(c, 20);
    expect(ffmpegChildren()).toEqual([a.audio.encoderPid]);
    for (const j of [a, b, c]) expectOneFrameSteps(j.out);
    // the joiner starts where the stream is, not at its beginning
    expect(c.out[0].pts).toBeGreaterThan(a.out[20].pts);
  });

  test('mute splits one off (own encoder) with one-frame seams both ways; unmute returns it and its private encoder ends', async () => {
    const a = join_();
    const b = join_();
    source.play();
    await more(b, 25);
    const sharedPid = a.audio.encoderPid!;
    b.audio.mute();
    expect(b.audio.muted).toBe(true);
    await waitFor(() => b.audio.encoderPid !== sharedPid, { what: 'b on its own encoder' });
    expect(a.audio.shared).toBe(true);
    expect(b.audio.shared).toBe(false);
    expect(a.audio.encoderPid).toBe(sharedPid);
    expect(stream.trackCount).toBe(2);
    const privatePid = b.audio.encoderPid!;
    const switchedAt = b.out.length;
    await more(b, 60);
    expect(await amplitude440(b.out.slice(switchedAt + 5), 'muted.aac')).toBeLessThan(0.01);
    expect(await amplitude440(a.out.slice(-60), 'shared.aac')).toBeGreaterThan(0.2);

    b.audio.unmute();
    await waitFor(() => b.audio.encoderPid === sharedPid, { what: 'b back on the shared encoder' });
    expect(b.audio.shared).toBe(true);
    await waitFor(() => !isAlive(privatePid), { what: 'the private encoder ended' });
    expect(stream.trackCount).toBe(1);
    await more(b, 40);
    expect(await amplitude440(b.out.slice(-35), 'unmuted.aac')).toBeGreaterThan(0.2);
    expectOneFrameSteps(b.out);
    expectOneFrameSteps(a.out);
  });

  test('the only user of the shared track keeps it when it mutes (no second encoder), and gives it back on unmute', async () => {
    const a = join_();
    source.play();
    await more(a, 10);
    const pid = a.audio.encoderPid;
    a.audio.mute();
    expect(a.audio.shared).toBe(false);
    expect(a.audio.encoderPid).toBe(pid);
    const b = join_(); // joins while a is private: a new shared track, on a's frame grid
    expect(b.audio.encoderPid).not.toBe(pid);
    expect(stream.trackCount).toBe(2);
    await more(b, 10);
    a.audio.unmute(); // a shared track exists now: a switches to it
    await waitFor(() => a.audio.encoderPid === b.audio.encoderPid, { what: 'a on the shared track' });
    await waitFor(() => !isAlive(pid!), { what: "a's former encoder ended" });
    await more(a, 10);
    expectOneFrameSteps(a.out);
    expectOneFrameSteps(b.out);
  });

  test('a short sound splits one off, and when it has played the transponder returns to the shared track by itself', async () => {
    const a = join_();
    const b = join_();
    source.play();
    await more(b, 10);
    const sharedPid = a.audio.encoderPid;
    b.audio.soundOn(new Int16Array(48000 * 2 * 0.3).fill(1000), false); // 300 ms
    expect(b.audio.soundEnabled).toBe(true);
    await waitFor(() => b.audio.encoderPid !== sharedPid, { what: 'b on its own encoder' });
    await waitFor(() => b.audio.encoderPid === sharedPid && stream.trackCount === 1, { what: 'b back after the sound' });
    expect(b.audio.soundEnabled).toBe(false);
    await more(b, 5);
    expectOneFrameSteps(b.out);
  });

  test('closing one by one: the shared encoder ends only with the last user', async () => {
    const a = join_();
    const b = join_();
    const c = join_();
    source.play();
    await more(a, 5);
    const pid = a.audio.encoderPid!;
    await a.audio.close('a done');
    await b.audio.close('b done');
    expect(isAlive(pid)).toBe(true);
    await more(c, 5);
    await c.audio.close('c done');
    expect(isAlive(pid)).toBe(false);
    expect(stream.trackCount).toBe(0);
    expect(source.listenerCount('audio')).toBe(0);
    expect(a.closes).toEqual(['a done']);
  });

  test('the source ending closes every track, shared and private, and each user is told once', async () => {
    const a = join_();
    const b = join_();
    source.play();
    await more(a, 5);
    b.audio.mute();
    await waitFor(() => stream.trackCount === 2 && b.audio.encoderPid !== a.audio.encoderPid, { what: 'two encoders' });
    source.end('unpublished');
    await waitFor(() => a.closes.length === 1 && b.closes.length === 1, { what: 'both told' });
    expect(a.closes[0]).toMatch(/published stream ended/);
    expect(stream.trackCount).toBe(0);
    await waitFor(() => ffmpegChildren().length === 0, { what: 'no encoder left' });
  });

  test('a killed encoder fails every user of it', async () => {
    const a = join_();
    const b = join_();
    source.play();
    await more(a, 5);
    process.kill(a.audio.encoderPid!, 'SIGKILL');
    await waitFor(() => a.closes.length === 1 && b.closes.length === 1, { what: 'both told' });
    expect(a.audio.willReach(Number.POSITIVE_INFINITY)).toBe(false);
  });

  test('a stream without audio: one silent track started once, a muted one split off on its grid', async () => {
    const silent = new StreamAudio(new SilentSource(), { silentIfNoAudio: true, fillWhenSourceStops: true });
    const a = join_(silent);
    const b = join_(silent);
    a.audio.start(1000);
    b.audio.start(5000); // the shared track has started: no second silence
    await more(b, 10);
    expect(a.out[0].pts).toBeLessThan(1000);
    b.audio.mute();
    await waitFor(() => b.audio.encoderPid !== a.audio.encoderPid, { what: 'b on its own encoder' });
    await more(b, 15);
    expectOneFrameSteps(b.out);
    expectOneFrameSteps(a.out);
    expect(a.audio.toJSON().silenceMs).toBeLessThan(a.out.length * FRAME_MS + 200);
  });
});
