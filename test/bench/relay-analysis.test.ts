/**
 * The relay benchmark's arithmetic, on made-up timelines: how frames are matched from
 * arrival to the socket, and how flashes and beeps become onsets and offsets.
 */
import { avOffsets, beepOnsets, flashOnsets, pairEvents, type LumaFrame } from '../../bench/lib/av-sync';
import { LatencyRecorder, medianOf, percentile } from '../../bench/lib/latency-recorder';

describe('LatencyRecorder', () => {
  it('matches a video frame by pts and splits the Interleaver wait from the rest', () => {
    const r = new LatencyRecorder();
    r.recording = true;
    r.frameIn('video', 1000, 50);
    r.interleaved('video', 1000, 90);
    r.tagOut('video', 1000, 91.5);
    expect(r.video.total).toEqual([41.5]);
    expect(r.video.interleaver).toEqual([40]);
    expect(r.video.afterInterleaver).toEqual([1.5]);
    expect(r.unmatched.video).toBe(0);
  });

  it('counts a tag it never saw arrive as unmatched, and keeps nothing while not recording', () => {
    const r = new LatencyRecorder();
    r.frameIn('video', 1000, 50);
    r.interleaved('video', 1000, 51);
    r.tagOut('video', 1000, 52);
    expect(r.video.total).toEqual([]);
    expect(r.firstVideoOut).toBe(52);
    r.recording = true;
    r.tagOut('video', 2000, 60);
    expect(r.unmatched.video).toBe(1);
  });

  it('times an AAC frame from the last Opus packet whose audio starts before the frame ends', () => {
    const r = new LatencyRecorder();
    r.recording = true;
    // Opus packets every 20 ms; each one's audio starts 6.5 ms before its pts.
    for (let i = 0; i < 10; i++) r.frameIn('audio', 1000 + 20 * i, 100 + 20 * i);
    // AAC frame at 1010 covers [1010, 1031.33): packet 1020 (audio from 1013.5) still
    // starts before 1031.33, packet 1040 (from 1033.5) does not: it needs packet 1020.
    r.interleaved('audio', 1010, 150);
    r.tagOut('audio', 1010, 151);
    expect(r.audio.total).toEqual([151 - 120]);
    expect(r.audio.interleaver).toEqual([150 - 120]);
    // Its look-ahead (audio up to 1052.67) needs packet 1040 (from 1033.5; 1060 starts at 1053.5).
    expect(r.audioTimeline[0].lookaheadIn).toBe(140);
  });
});

describe('percentile', () => {
  it('is nearest-rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('medianOf', () => {
  it('is the middle value, or the mean of the two middle ones, of values in any order, which it leaves as they are', () => {
    const rounds = [6.1, 5.34, 4.9];
    expect(medianOf(rounds)).toBe(5.34);
    expect(rounds).toEqual([6.1, 5.34, 4.9]);
    expect(medianOf([6.1, 5.34])).toBeCloseTo(5.72, 10);
    expect(medianOf([3])).toBe(3);
    expect(medianOf([])).toBeNaN();
  });
});

describe('flash and beep onsets', () => {
  it('finds the first white frame of each flash', () => {
    const frames: LumaFrame[] = Array.from({ length: 90 }, (_, n) => ({ n, t: n / 30, y: n % 30 < 3 ? 235 : 100 + (n % 7) }));
    expect(flashOnsets(frames, (f) => f.t).map((t) => Math.round(t * 1000))).toEqual([1000, 2000]);
  });

  it('finds no flash in a picture without one', () => {
    const frames: LumaFrame[] = Array.from({ length: 60 }, (_, n) => ({ n, t: n / 30, y: 100 + (n % 5) }));
    expect(flashOnsets(frames, (f) => f.t)).toEqual([]);
  });

  it('finds beep onsets to the millisecond and pairs them with flashes', () => {
    const rate = 48000;
    const pcm = new Int16Array(rate * 3);
    for (let i = 0; i < pcm.length; i++) {
      const t = i / rate;
      if (t % 1 >= 0.25 && t % 1 < 0.35) pcm[i] = Math.round(8000 * Math.sin(2 * Math.PI * 1000 * t));
    }
    const beeps = beepOnsets(pcm, rate, 10);
    expect(beeps.map((b) => Math.round((b - 10) * 1000))).toEqual([250, 1250, 2250]);
    const offsets = avOffsets([10.2, 11.3, 12.25, 14], beeps);
    expect(offsets.map(Math.round)).toEqual([50, -50, 0]);
  });

  it('pairs the same flashes seen on two clocks that differ by the push base', () => {
    const atPublisher = [3.1, 4.1, 5.101, 6.1].map((flash, i) => ({ flash, offsetMs: 10 + i }));
    const atNginx = [0.6, 1.6, 2.6].map((flash, i) => ({ flash, offsetMs: 20 + i }));
    const pairs = pairEvents(atPublisher, atNginx, 3.5);
    expect(pairs.map(([p, n]) => [p.flash, n.flash])).toEqual([[4.1, 0.6], [5.101, 1.6], [6.1, 2.6]]);
  });
});
