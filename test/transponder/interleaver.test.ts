import { Interleaver, type InterleaverOptions } from '../../src/transponder/interleaver';
import type { TrackLiveness } from '../../src/transponder/track-liveness';
import type { FlvTag } from '../../src/flv/flv-tag';
import { FakeClock } from '../helpers/fake-clock';

/** A track whose liveness the test sets: alive up to `until` (tag clock), or not at all. */
class FakeTrack implements TrackLiveness {
  until = -Infinity;
  willReach(ts: number): boolean {
    return ts <= this.until;
  }
}

const audio = (ts: number): FlvTag => ({ type: 8, timestamp: ts, data: Buffer.from([0xaf, 1]) });
const video = (ts: number): FlvTag => ({ type: 9, timestamp: ts, data: Buffer.from([0x27, 1]) });

function setup(opts: Partial<InterleaverOptions> = {}) {
  const clock = new FakeClock();
  const out: FlvTag[] = [];
  const il = new Interleaver((t) => out.push(t), { maxWaitMs: 100, clock, ...opts });
  return { clock, out, il, order: () => out.map((t) => `${t.type === 8 ? 'a' : 'v'}${t.timestamp}`) };
}

function expectNonDecreasing(out: FlvTag[]): void {
  const behind = out.filter((t, i) => i > 0 && t.timestamp < out[i - 1].timestamp);
  expect(behind).toEqual([]);
}

describe('Interleaver', () => {
  it('writes both tracks in timestamp order', () => {
    const { il, order } = setup();
    il.push(video(0));
    il.push(video(33));
    il.push(audio(0));
    il.push(audio(21));
    il.push(audio(42));
    il.push(video(66));
    il.push(audio(64));
    expect(order()).toEqual(['a0', 'v0', 'a21', 'v33', 'a42', 'a64']);
  });

  it('lets video wait for audio without liveness at most maxWaitMs, then sends it anyway', () => {
    const { il, clock, order } = setup({ maxWaitMs: 100 });
    il.push(audio(0));
    il.push(video(10));
    expect(order()).toEqual(['a0']);
    clock.advance(99);
    expect(order()).toEqual(['a0']);
    clock.advance(1);
    expect(order()).toEqual(['a0', 'v10']);
    expect(il.toJSON().releasedAlone).toBe(1);
  });

  it('sends a head at once when the other track is already past it', () => {
    const { il, order } = setup();
    il.push(audio(50));
    il.push(video(10));
    expect(order()).toEqual(['v10']);
    il.push(video(60));
    expect(order()).toEqual(['v10', 'a50']);
  });

  // What nginx received under load (load average 5–6): the AAC encoder's output came
  // up to 383 ms after the video of the same time. The old bounded wait (150 ms wall)
  // let the video go and wrote the late audio behind it.
  it('under load, video waits for AAC that its encoder already has the PCM for, however late it comes', () => {
    const audioTrack = new FakeTrack();
    const { il, clock, out, order } = setup({ maxWaitMs: 150, audio: audioTrack });
    // 30 fps video in real time; audio PCM handed to the encoder in real time, but its
    // AAC comes out 383 ms late.
    const lateMs = 383;
    for (let t = 0; t <= 1000; t++) {
      audioTrack.until = t; // the encoder has been given PCM up to now
      if (t % 33 === 0) il.push(video(t));
      const aacFrame = Math.floor((t - lateMs) / 21);
      if (t >= lateMs && (t - lateMs) % 21 === 0 && aacFrame >= 0) il.push(audio(aacFrame * 21));
      clock.advance(1);
    }
    expect(out.filter((t) => t.type === 9).length).toBeGreaterThan(15);
    expect(out.filter((t) => t.type === 8).length).toBeGreaterThan(25);
    expectNonDecreasing(out);
    expect(il.toJSON()).toEqual({ retimed: 0, maxRetimeMs: 0, releasedAlone: 0, stalled: 0 });
    expect(order().slice(0, 3)).toEqual(['a0', 'v0', 'a21']);
  });

  it('a track that stops is left behind after maxWaitMs; the other never stalls', () => {
    const audioTrack = new FakeTrack();
    const { il, clock, out } = setup({ maxWaitMs: 100, audio: audioTrack });
    audioTrack.until = 100;
    il.push(audio(0));
    il.push(video(0));
    il.push(video(33));
    clock.advance(50);
    audioTrack.until = -Infinity; // the encoder died
    clock.advance(60); // the head waited 110 ms, it was re-asked within maxWaitMs
    expect(out.map((t) => t.timestamp)).toEqual([0, 0, 33]);
    il.push(video(66));
    clock.advance(100);
    expect(out.map((t) => t.timestamp)).toEqual([0, 0, 33, 66]);
  });

  it('a hung encoder that claims to be alive holds the other track only stallMs', () => {
    const audioTrack = new FakeTrack();
    audioTrack.until = Infinity;
    const { il, clock, order } = setup({ maxWaitMs: 100, stallMs: 1000, audio: audioTrack });
    il.push(video(0));
    clock.advance(999);
    expect(order()).toEqual([]);
    clock.advance(1);
    expect(order()).toEqual(['v0']);
    expect(il.toJSON().stalled).toBe(1);
  });

  it('re-times a tag that arrives behind what was written: later, never dropped, each track increasing', () => {
    const { il, clock, order } = setup({ maxWaitMs: 100 });
    il.push(video(100));
    clock.advance(100); // no audio liveness: video goes alone
    il.push(audio(40));
    il.push(audio(61));
    il.push(audio(82));
    il.push(audio(104));
    il.push(video(133));
    il.push(audio(125));
    il.push(audio(146));
    expect(order()).toEqual(['v100', 'a100', 'a101', 'a102', 'a104', 'a125', 'v133']);
    expect(il.toJSON()).toMatchObject({ retimed: 3, maxRetimeMs: 60, releasedAlone: 1 });
  });

  it('audio waits for video that is alive, and is released when video stops', () => {
    const videoTrack = new FakeTrack();
    videoTrack.until = Infinity;
    const { il, clock, order } = setup({ maxWaitMs: 100, video: videoTrack });
    il.push(audio(0));
    clock.advance(500);
    expect(order()).toEqual([]);
    il.push(video(10));
    expect(order()).toEqual(['a0']);
    videoTrack.until = -Infinity;
    clock.advance(100);
    expect(order()).toEqual(['a0', 'v10']);
  });

  it('stops its timer on close and drops what waits', () => {
    const { il, clock, order } = setup();
    il.push(video(0));
    expect(clock.active).toBe(1);
    il.close();
    expect(clock.active).toBe(0);
    il.push(video(5));
    clock.advance(1000);
    expect(order()).toEqual([]);
  });

  it('flush hands over everything in order', () => {
    const { il, order } = setup();
    il.push(video(30));
    il.push(video(60));
    il.flush();
    expect(order()).toEqual(['v30', 'v60']);
  });
});
