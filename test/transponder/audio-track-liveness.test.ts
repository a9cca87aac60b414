/**
 * AudioTrack as the Interleaver's TrackLiveness (real Opus, real ffmpeg AAC encoder; the
 * source watch and the generated silence run on a fake clock).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioTrack, SOURCE_GONE_MS, type AacOut } from '../../src/transponder/audio-track';
import { FakeClock } from '../helpers/fake-clock';
import { oggOpusPackets } from '../media/audio-analysis';

const T0 = 10_000;
let dir: string;
let packets: Buffer[];
const tracks: AudioTrack[] = [];

function track(fillWhenSourceStops: boolean): { t: AudioTrack; out: AacOut[]; clock: FakeClock } {
  const clock = new FakeClock();
  const t = new AudioTrack({ silentIfNoAudio: false, fillWhenSourceStops, clock });
  tracks.push(t);
  const out: AacOut[] = [];
  t.on('aac', (f) => out.push(f));
  return { t, out, clock };
}

/** Plays `n` 20 ms packets from pts `from`: each arrives when its 20 ms are over, as from a browser. */
function play(t: AudioTrack, clock: FakeClock, from: number, n: number): void {
  for (let k = 0; k < n; k++) {
    clock.advance(20);
    t.push({ pts: from + k * 20, opus: packets[k % packets.length] });
  }
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'audio-liveness-'));
  const ogg = join(dir, 'a.ogg');
  execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1', '-ac', '2',
    '-c:a', 'libopus', '-frame_duration', '20', '-f', 'ogg', ogg]);
  packets = oggOpusPackets(readFileSync(ogg)).packets;
});
afterEach(async () => {
  await Promise.all(tracks.splice(0).map((t) => t.close('test over')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('AudioTrack liveness', () => {
  test('before its first packet the track promises nothing', () => {
    const { t } = track(true);
    expect(t.willReach(0)).toBe(false);
  });

  test('once the encoder has the PCM for a time, that time is reached, before any AAC of it came out', () => {
    const { t, out, clock } = track(false);
    play(t, clock, T0, 10); // PCM up to about T0 + 200 (less the Opus look-ahead)
    const covered = T0 + 150;
    const aacSoFar = out.filter((f) => f.pts >= covered).length;
    expect(aacSoFar).toBe(0);
    expect(t.willReach(covered)).toBe(true);
    // The source stops and nothing fills it: what is in the encoder is still certain,
    // later times are not.
    clock.advance(SOURCE_GONE_MS + 1);
    expect(t.willReach(covered)).toBe(true);
    expect(t.willReach(T0 + 1000)).toBe(false);
  });

  test('while the source sends, later times are reached too; not once closed', async () => {
    const { t, clock } = track(false);
    play(t, clock, T0, 5);
    expect(t.willReach(T0 + 1000)).toBe(true);
    await t.close('done');
    expect(t.willReach(T0)).toBe(false);
  });

  test('an encoder killed from outside ends the promise', async () => {
    const { t, clock } = track(true);
    play(t, clock, T0, 5);
    expect(t.willReach(T0 + 1000)).toBe(true);
    const closed = new Promise<void>((resolve) => t.once('close', () => resolve()));
    process.kill(t.encoderPid!, 'SIGKILL');
    await closed;
    expect(t.willReach(T0 + 50)).toBe(false);
  });

  test('a source that stops is continued with silence from its last packet on, in real time, and the audio clock goes on when it returns', async () => {
    const { t, out, clock } = track(true);
    play(t, clock, T0, 25); // 500 ms of audio, then the source stops
    expect(t.willReach(T0 + 2000)).toBe(true);
    clock.advance(1000);
    const stats = t.toJSON();
    expect(stats.sourceStops).toBe(1);
    // The clock went 1 s past the last packet (which ended at T0 + 500): filled to within a
    // 20 ms tick of 60 ms behind real time (room for the source's next packet).
    expect(stats.samplesEncoded / 48).toBeGreaterThanOrEqual(500 + 1000 - 60 - 20);
    expect(stats.samplesEncoded / 48).toBeLessThanOrEqual(500 + 1000 - 60);
    // AAC comes out past the last packet's time: the Interleaver gets audio to write.
    await until(() => out.some((f) => f.pts >= T0 + 1200), 'AAC of the generated silence');
    // The source comes back on the same clock (it was away 1.5 s of pts): no resync, no drop.
    play(t, clock, T0 + 1500, 10);
    expect(t.toJSON()).toMatchObject({ framesIn: 35, dropped: 0, resyncs: 0, sourceStops: 1, concealed: 1 });
    await until(() => out.some((f) => f.pts >= T0 + 1600), 'AAC after the source came back');
    for (let i = 1; i < out.length; i++) expect(out[i].pts - out[i - 1].pts).toBeCloseTo(1024 / 48, 6);
  });

  test('a blocked event loop is not taken for a stopped source', () => {
    const { t, clock } = track(true);
    play(t, clock, T0, 5);
    // Nothing ran for 400 ms (the watch's own tick is late): packets may be queued behind it.
    const late = clock.takePending();
    clock.t += 400;
    for (const fn of late) fn();
    expect(t.toJSON().sourceStops).toBe(0);
    t.push({ pts: T0 + 100, opus: packets[5] });
    expect(t.toJSON()).toMatchObject({ dropped: 0, sourceStops: 0 });
  });
});
