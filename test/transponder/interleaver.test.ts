import { Interleaver, type InterleaverClock } from '../../src/transponder/interleaver';
import type { FlvTag } from '../../src/flv/flv-tag';

/** A clock the test moves by hand. */
class FakeClock implements InterleaverClock {
  t = 0;
  timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.at <= this.t)) {
      this.timers = this.timers.filter((x) => x !== timer);
      timer.fn();
    }
  }
}

const audio = (ts: number): FlvTag => ({ type: 8, timestamp: ts, data: Buffer.from([0xaf, 1]) });
const video = (ts: number): FlvTag => ({ type: 9, timestamp: ts, data: Buffer.from([0x27, 1]) });

function setup(maxWait = 100) {
  const clock = new FakeClock();
  const out: FlvTag[] = [];
  const il = new Interleaver((t) => out.push(t), maxWait, clock);
  return { clock, out, il, order: () => out.map((t) => `${t.type === 8 ? 'a' : 'v'}${t.timestamp}`) };
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

  it('lets video wait for audio at most maxWaitMs, then sends it anyway', () => {
    const { il, clock, order } = setup(100);
    il.push(audio(0));
    il.push(video(10));
    expect(order()).toEqual(['a0']);
    clock.advance(99);
    expect(order()).toEqual(['a0']);
    clock.advance(1);
    expect(order()).toEqual(['a0', 'v10']);
  });

  it('sends a head at once when the other track is already past it', () => {
    const { il, order } = setup();
    il.push(audio(50));
    il.push(video(10));
    expect(order()).toEqual(['v10']);
    il.push(video(60));
    expect(order()).toEqual(['v10', 'a50']);
  });

  it('stops its timer on close and drops what waits', () => {
    const { il, clock, order } = setup();
    il.push(video(0));
    expect(clock.timers.length).toBe(1);
    il.close();
    expect(clock.timers.length).toBe(0);
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
