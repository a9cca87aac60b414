import { AckTracker } from '../../src/rtmp/ack-tracker';
import { prng, randInt } from './helpers';

const U32 = 0x1_0000_0000;

/** The lag now, for a live source: now is the newest timestamp written. */
const lagNow = (t: AckTracker): number => t.unreceivedMs(t.newestTimestamp ?? 0);

/**
 * Writes `count` messages of `size` bytes, `stepMs` apart, from byte `from` and timestamp
 * `t0`, each at the time of its timestamp (a live source written as it comes).
 */
function writeRun(t: AckTracker, from: number, t0: number, count: number, size: number, stepMs: number): { bytes: number; ts: number } {
  let bytes = from;
  let ts = t0;
  for (let i = 0; i < count; i++) {
    bytes += size;
    t.written(bytes, ts, ts);
    ts += stepMs;
  }
  return { bytes, ts: ts - stepMs };
}

describe('AckTracker', () => {
  it('knows nothing before the first acknowledgement', () => {
    const t = new AckTracker({ windowBytes: 1000 });
    writeRun(t, 0, 0, 100, 250, 25);
    expect(t.hasAcknowledged).toBe(false);
    expect(t.ackedTimestamp).toBeUndefined();
    expect(lagNow(t)).toBe(0);
    expect(t.newestTimestamp).toBe(99 * 25);
  });

  it('an acknowledgement gives the newest message the server received whole', () => {
    const t = new AckTracker({ windowBytes: 1000 });
    writeRun(t, 0, 0, 8, 250, 25); // ends at 250, 500, … 2000; timestamps 0, 25, … 175
    t.acknowledge(1100, 2000);
    expect(t.hasAcknowledged).toBe(true);
    expect(t.ackedBytes).toBe(1100);
    expect(t.ackedTimestamp).toBe(75); // the message ending at 1000; the one ending at 1250 is not whole
    t.acknowledge(1250, 2000);
    expect(t.ackedTimestamp).toBe(100);
  });

  it('media beyond acknowledged + window is surely not received: its span from the newest written is the lag', () => {
    const t = new AckTracker({ windowBytes: 1000 });
    writeRun(t, 0, 0, 16, 250, 25); // ends 250 … 4000, timestamps 0 … 375
    t.acknowledge(1000, 4000);
    // The server may hold up to 2000; the oldest message surely missing ends at 2250 (timestamp 200).
    expect(lagNow(t)).toBe(375 - 200);
    // The server stops acknowledging while we go on writing: the lag grows with the media written.
    writeRun(t, 4000, 400, 40, 250, 25);
    expect(lagNow(t)).toBe(400 + 39 * 25 - 200);
    // It catches up.
    t.acknowledge(14_000, 14_000);
    expect(lagNow(t)).toBe(0);
    expect(t.ackedTimestamp).toBe(400 + 39 * 25);
  });

  it('less than a window unacknowledged is never counted as lag (the server acknowledges only whole windows)', () => {
    const t = new AckTracker({ windowBytes: 32_768 });
    let at = writeRun(t, 0, 0, 34, 1000, 10);
    t.acknowledge(at.bytes - 1000, at.bytes); // the first window arrived
    // A healthy server has all but the last message or two; it acknowledges once a window
    // more arrived, so up to a window is always unacknowledged.
    for (let i = 0; i < 50; i++) {
      at = writeRun(t, at.bytes, at.ts + 10, 30, 1000, 10);
      expect(lagNow(t)).toBe(0);
      t.acknowledge(at.bytes - 2000, at.bytes);
    }
    // Past a window unacknowledged, messages are surely missing: from the second one on, a span.
    expect(t.window).toBe(33_000); // the first acknowledgement came after that many bytes
    at = writeRun(t, at.bytes, at.ts + 10, 32, 1000, 10); // the last one ends 1000 bytes past acked + window
    expect(lagNow(t)).toBe(0);
    at = writeRun(t, at.bytes, at.ts + 10, 1, 1000, 10);
    expect(lagNow(t)).toBe(10);
  });

  it('learns a window wider than announced from the distance between acknowledgements', () => {
    const t = new AckTracker({ windowBytes: 1000 });
    let at = writeRun(t, 0, 0, 100, 250, 10); // 25 000 bytes
    t.acknowledge(10_050, at.bytes); // a server acknowledging every ~10 000 bytes, whatever we asked
    expect(t.window).toBe(10_050);
    t.acknowledge(20_100, at.bytes);
    expect(t.window).toBe(10_050);
    at = writeRun(t, at.bytes, at.ts + 10, 20, 250, 10); // 30 000 bytes
    // Up to 30 150 may have arrived unacknowledged: nothing is surely missing.
    expect(lagNow(t)).toBe(0);
    at = writeRun(t, at.bytes, at.ts + 10, 40, 250, 10); // 40 000: from 30 250 on surely missing
    expect(lagNow(t)).toBe(at.ts - 1200);
  });

  it('a burst of older media written at once counts only as long as it has waited: a fast server is not late', () => {
    const t = new AckTracker({ windowBytes: 32_768 });
    // A connection starts on the 3 s held since the last keyframe, all written at t = 10 000.
    let bytes = 0;
    for (let ts = 7000; ts < 10_000; ts += 10) t.written((bytes += 1000), ts, 10_000);
    t.acknowledge(33_000, bytes);
    expect(t.unreceivedMs(10_005)).toBe(5); // 2.3 s of media surely unreceived, written 5 ms ago
    // A server that does not take it in: the wait grows until the media span bounds it.
    expect(t.unreceivedMs(12_000)).toBe(2000);
    expect(t.unreceivedMs(20_000)).toBe(9990 - 7660); // from the first message past acked + window
  });

  it('sequence numbers wrap at 2^32', () => {
    const t = new AckTracker({ windowBytes: 1000 });
    const start = U32 - 1500;
    // An old connection: the first acknowledgement already near the top of the field.
    let at = writeRun(t, start, 0, 12, 250, 10);
    t.acknowledge(start + 1000, at.bytes);
    expect(t.ackedBytes).toBe(start + 1000);
    t.acknowledge((start + 2500) % U32, at.bytes); // wrapped: 1000
    expect(t.ackedBytes).toBe(start + 2500);
    expect(t.ackedTimestamp).toBe(90);
    at = writeRun(t, at.bytes, at.ts + 10, 4, 250, 10);
    t.acknowledge((at.bytes) % U32, at.bytes);
    expect(t.ackedBytes).toBe(at.bytes);
    expect(t.ackedTimestamp).toBe(at.ts);
  });

  it('an acknowledgement of more than was written (a server counting otherwise) is taken as all written, not as a window', () => {
    const t = new AckTracker({ windowBytes: 1000 });
    let at = writeRun(t, 0, 0, 8, 250, 10); // 2000 bytes
    t.acknowledge(0xf000_0100, at.bytes);
    expect(t.ackedBytes).toBe(2000);
    expect(t.ackedTimestamp).toBe(70);
    expect(t.window).toBe(1000);
    // nginx-rtmp reset its counter: later acknowledgements count from there.
    at = writeRun(t, at.bytes, at.ts + 10, 8, 250, 10); // 4000
    t.acknowledge(0xf000_0100 + 1500, at.bytes);
    expect(t.ackedBytes).toBe(3500);
    expect(t.ackedTimestamp).toBe(130);
  });

  it('without acknowledgements it remembers only the newest messages', () => {
    const t = new AckTracker({ windowBytes: 1000, maxRecords: 100 });
    const at = writeRun(t, 0, 0, 5000, 100, 10);
    // The first acknowledgement covers messages long forgotten: the newest remembered one it covers counts.
    t.acknowledge(4950 * 100, at.bytes);
    expect(t.ackedTimestamp).toBe(4949 * 10);
    expect(lagNow(t)).toBe(0);
  });

  it('agrees with a plain recomputation over a long seeded run with stalls, bursts and compaction', () => {
    const rnd = prng(20261130);
    const window = 4096;
    const t = new AckTracker({ windowBytes: window });
    const ends: number[] = [];
    const stamps: number[] = [];
    let bytes = 0;
    let ts = 0;
    let acked = 0;
    let stalled = false;
    for (let i = 0; i < 60_000; i++) {
      ts += randInt(rnd, 0, 30);
      bytes += randInt(rnd, 20, 3000);
      t.written(bytes, ts, ts);
      ends.push(bytes);
      stamps.push(ts);
      if (i % 500 === 0) stalled = rnd() < 0.3;
      if (!stalled && bytes - acked >= window && rnd() < 0.5) {
        acked = Math.min(bytes, acked + window + randInt(rnd, 0, 200));
        t.acknowledge(acked % U32, bytes);
      }
      if (i % 97 === 0 && acked > 0) {
        // The plain way: the oldest message ending beyond acked + window, against the newest written.
        const reach = acked + t.window;
        const k = ends.findIndex((e) => e > reach);
        expect(lagNow(t)).toBe(k < 0 ? 0 : ts - (stamps[k] as number));
        let whole: number | undefined;
        for (let j = 0; j < ends.length && (ends[j] as number) <= acked; j++) whole = stamps[j];
        expect(t.ackedTimestamp).toBe(whole);
      }
    }
    expect(t.acknowledgements).toBeGreaterThan(1000);
  });

  it('refuses a window that is not a positive integer', () => {
    expect(() => new AckTracker({ windowBytes: 0 })).toThrow(RangeError);
    expect(() => new AckTracker({ windowBytes: 1.5 })).toThrow(RangeError);
  });
});
