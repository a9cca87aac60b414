import type { FlvTag } from '../../src/flv/flv-tag';
import { OutputBuffer, type OutputBufferOptions } from '../../src/transponder/output-buffer';
import { systemClock, type Clock } from '../../src/util/clock';
import { FakeClock } from '../helpers/fake-clock';
import { waitFor } from '../helpers/wait-for';

const video = (ts: number): FlvTag => ({ type: 9, timestamp: ts, data: Buffer.from([0x27, 1, 0, 0, 0]) });
const audio = (ts: number): FlvTag => ({ type: 8, timestamp: ts, data: Buffer.from([0xaf, 1]) });

/** 30 fps video and 48 kHz AAC (1024 samples a frame), interleaved by timestamp, over [from, to). */
function media(from: number, to: number): FlvTag[] {
  const tags: FlvTag[] = [];
  for (let i = 0; Math.round((i * 1000) / 30) < to; i++) {
    const ts = Math.round((i * 1000) / 30);
    if (ts >= from) tags.push(video(ts));
  }
  for (let i = 0; Math.round((i * 1024000) / 48000) < to; i++) {
    const ts = Math.round((i * 1024000) / 48000);
    if (ts >= from) tags.push(audio(ts));
  }
  return tags.sort((a, b) => a.timestamp - b.timestamp || a.type - b.type);
}

const opts = (o: Partial<OutputBufferOptions> = {}): OutputBufferOptions => ({
  enabled: true,
  startSizeMs: 300,
  initialSizeMs: 2000,
  pollingTimeMs: 100,
  maxBufferingsAllowed: -1,
  ...o,
});

/** Records each released tag with the fake wall time it left at. */
function recorder(clock: FakeClock): { out: { tag: FlvTag; at: number }[]; sink: (tag: FlvTag) => void } {
  const out: { tag: FlvTag; at: number }[] = [];
  return { out, sink: (tag) => out.push({ tag, at: clock.now() }) };
}

/** Pushes each tag when the wall clock reaches its timestamp + offset (a live source). */
function pushLive(clock: FakeClock, buf: OutputBuffer, tags: FlvTag[], offset = 0): void {
  for (const tag of tags) {
    const at = tag.timestamp + offset;
    if (at > clock.t) clock.advance(at - clock.t);
    buf.push(tag);
  }
}

let buffers: OutputBuffer[] = [];
function make(o: OutputBufferOptions, sink: (tag: FlvTag) => void, clock: Clock): OutputBuffer {
  const b = new OutputBuffer(o, sink, clock);
  buffers.push(b);
  return b;
}
afterEach(() => {
  for (const b of buffers) b.close();
  buffers = [];
});

describe('OutputBuffer', () => {
  it('disabled: every tag goes out synchronously inside push, no timer ever', () => {
    const clock = new FakeClock();
    const out: FlvTag[] = [];
    const buf = make(opts({ enabled: false }), (t) => out.push(t), clock);
    const tags = media(0, 2000);
    for (const t of tags) {
      buf.push(t);
      expect(out[out.length - 1]).toBe(t);
    }
    clock.advance(5000);
    expect(out).toEqual(tags);
    expect(clock.timeoutsSet).toBe(0);
    expect(buf.stats()).toMatchObject({ state: 'passthrough', bufferedTags: 0, bufferings: 0, releasedTags: tags.length });
  });

  it('disabled ignores nonsense buffer settings', () => {
    expect(() => new OutputBuffer(opts({ enabled: false, pollingTimeMs: 0, startSizeMs: -1 }), () => {})).not.toThrow();
  });

  it('holds tags until start_size ms of media are buffered, then starts with the oldest', () => {
    const clock = new FakeClock();
    const { out, sink } = recorder(clock);
    const buf = make(opts({ startSizeMs: 300 }), sink, clock);
    const tags = media(0, 1000);
    const upTo = (ms: number): FlvTag[] => tags.filter((t) => t.timestamp < ms);
    pushLive(clock, buf, upTo(300));
    expect(out).toHaveLength(0);
    expect(buf.stats()).toMatchObject({ state: 'buffering', bufferings: 1 });
    expect(buf.stats().bufferedMs).toBeLessThan(300);
    expect(clock.active).toBe(0); // no timer while buffering

    pushLive(clock, buf, tags.filter((t) => t.timestamp >= 300 && t.timestamp < 301));
    expect(buf.stats().state).toBe('playing');
    expect(clock.active).toBe(1);
    expect(out.map((o) => o.tag)).toEqual(tags.filter((t) => t.timestamp === 0)); // the oldest, at once
  });

  it('paces a live source: latency is start_size, each tag leaves within one polling period of its time', () => {
    const clock = new FakeClock();
    const { out, sink } = recorder(clock);
    const buf = make(opts({ startSizeMs: 300, pollingTimeMs: 50 }), sink, clock);
    const tags = media(0, 3000);
    pushLive(clock, buf, tags);
    expect(buf.stats()).toMatchObject({ underruns: 0, bufferings: 1, state: 'playing' });
    expect(buf.stats().bufferedMs).toBeGreaterThanOrEqual(300 - 50);
    expect(buf.stats().bufferedMs).toBeLessThanOrEqual(300);
    clock.advance(400);
    expect(out.map((o) => o.tag)).toEqual(tags);
    for (const { tag, at } of out) {
      const due = 300 + tag.timestamp; // anchor: tag 0 went out at wall 300
      expect(at).toBeGreaterThanOrEqual(due);
      expect(at).toBeLessThanOrEqual(due + 50);
    }
    // The source ended: the drained buffer counts that as an underrun.
    expect(buf.stats()).toMatchObject({ underruns: 1, bufferings: 2, state: 'buffering' });
  });

  it('spreads a burst (2 s of media pushed at once) over 2 s at the pace of the timestamps', () => {
    const clock = new FakeClock();
    const { out, sink } = recorder(clock);
    const buf = make(opts({ startSizeMs: 500, initialSizeMs: 3000, pollingTimeMs: 20 }), sink, clock);
    clock.advance(1000);
    const tags = media(0, 2000);
    for (const t of tags) buf.push(t);
    expect(out).toHaveLength(tags.filter((t) => t.timestamp === 0).length);
    clock.advance(2100);
    expect(out.map((o) => o.tag)).toEqual(tags);
    for (const { tag, at } of out) {
      const due = 1000 + tag.timestamp;
      expect(at - due).toBeGreaterThanOrEqual(0);
      expect(at - due).toBeLessThanOrEqual(20);
    }
    // Video frames (33.3 ms apart) leave 33.3 ms apart, give or take one polling period.
    const videoOut = out.filter((o) => o.tag.type === 9).map((o) => o.at);
    for (let i = 1; i < videoOut.length; i++) {
      const gap = (videoOut[i] as number) - (videoOut[i - 1] as number);
      expect(gap).toBeGreaterThanOrEqual(33 - 20);
      expect(gap).toBeLessThanOrEqual(34 + 20);
    }
    const last = out[out.length - 1] as { at: number };
    expect(last.at - 1000).toBeGreaterThanOrEqual(1960);
    expect(last.at - 1000).toBeLessThanOrEqual(2000);
  });

  it('an underrun goes back to buffering, is counted, and stops the timer until media comes back', () => {
    const clock = new FakeClock();
    const { out, sink } = recorder(clock);
    const buf = make(opts({ startSizeMs: 300, pollingTimeMs: 100 }), sink, clock);
    const first = media(0, 1000);
    pushLive(clock, buf, first);
    expect(buf.stats().state).toBe('playing');
    clock.advance(1000); // the source stalls: the buffer drains, then a tick finds it empty
    expect(out.map((o) => o.tag)).toEqual(first);
    expect(buf.stats()).toMatchObject({ state: 'buffering', underruns: 1, bufferings: 2, bufferedTags: 0 });
    expect(clock.active).toBe(0);

    // The source comes back 2 s late; the buffer waits for start_size again.
    const second = media(1000, 2000);
    pushLive(clock, buf, second.filter((t) => t.timestamp < 1300), 2000);
    expect(out).toHaveLength(first.length);
    pushLive(clock, buf, second.filter((t) => t.timestamp >= 1300), 2000);
    expect(buf.stats().state).toBe('playing');
    clock.advance(1000);
    expect(out.map((o) => o.tag)).toEqual([...first, ...second]);
    expect(buf.stats()).toMatchObject({ underruns: 2, bufferings: 3 });
  });

  it('after max_bufferings_allowed episodes it passes straight through for good', () => {
    const clock = new FakeClock();
    const { out, sink } = recorder(clock);
    const buf = make(opts({ maxBufferingsAllowed: 2 }), sink, clock);
    pushLive(clock, buf, media(0, 500));
    clock.advance(1000); // underrun 1 -> episode 2
    expect(buf.stats()).toMatchObject({ state: 'buffering', bufferings: 2, underruns: 1 });
    pushLive(clock, buf, media(500, 1000), 1000);
    clock.advance(1000); // underrun 2 -> no episodes left
    expect(buf.stats()).toMatchObject({ state: 'passthrough', bufferings: 2, underruns: 2 });
    expect(clock.active).toBe(0);
    const n = out.length;
    const late = video(1000);
    buf.push(late);
    expect(out).toHaveLength(n + 1);
    expect((out[n] as { tag: FlvTag }).tag).toBe(late);
    expect(clock.active).toBe(0);
  });

  it('max_bufferings_allowed 0 means no buffering at all', () => {
    const clock = new FakeClock();
    const out: FlvTag[] = [];
    const buf = make(opts({ maxBufferingsAllowed: 0 }), (t) => out.push(t), clock);
    buf.push(video(0));
    expect(out).toHaveLength(1);
    expect(buf.stats()).toMatchObject({ state: 'passthrough', bufferings: 0 });
    expect(clock.timeoutsSet).toBe(0);
  });

  it('keeps the input order, ties included', () => {
    const clock = new FakeClock();
    const out: FlvTag[] = [];
    const buf = make(opts({ startSizeMs: 100, pollingTimeMs: 10 }), (t) => out.push(t), clock);
    const tags: FlvTag[] = [];
    for (let ts = 0; ts < 1000; ts += 20) tags.push(audio(ts), video(ts), audio(ts), video(ts + 5));
    for (const t of tags) buf.push(t);
    clock.advance(2000);
    expect(out).toEqual(tags);
  });

  it('never holds more than initial_size ms: the excess of a burst leaves at once', () => {
    const clock = new FakeClock();
    const { out, sink } = recorder(clock);
    const buf = make(opts({ startSizeMs: 300, initialSizeMs: 1000, pollingTimeMs: 50 }), sink, clock);
    const tags = media(0, 5000);
    for (const t of tags) {
      buf.push(t);
      expect(buf.stats().bufferedMs).toBeLessThanOrEqual(1000);
    }
    // Everything older than (newest - 1000 ms) went out synchronously.
    const newest = tags[tags.length - 1] as FlvTag;
    expect(out.every((o) => o.at === 0)).toBe(true);
    expect(out.filter((o) => o.tag.timestamp < newest.timestamp - 1000)).toHaveLength(out.length);
    expect(out.length).toBeGreaterThan(0);
    // The rest is paced from the last tag let out early.
    clock.advance(1100);
    expect(out.map((o) => o.tag)).toEqual(tags);
    const rest = out.filter((o) => o.at > 0);
    const restart = (out[out.length - rest.length - 1] as { tag: FlvTag }).tag.timestamp;
    for (const { tag, at } of rest) {
      expect(at).toBeGreaterThanOrEqual(tag.timestamp - restart);
      expect(at).toBeLessThanOrEqual(tag.timestamp - restart + 50);
    }
  });

  it('a source clock running fast cannot grow the latency past initial_size', () => {
    const clock = new FakeClock();
    const buf = make(opts({ startSizeMs: 300, initialSizeMs: 800, pollingTimeMs: 50 }), () => {}, clock);
    // Timestamps advance 1.25x faster than the wall clock.
    for (let ts = 0; ts < 20_000; ts += 20) {
      const at = ts / 1.25;
      if (at > clock.t) clock.advance(at - clock.t);
      buf.push(audio(ts));
      expect(buf.stats().bufferedMs).toBeLessThanOrEqual(800);
    }
    expect(buf.stats().bufferedMs).toBeGreaterThan(700); // pinned at the cap
  });

  it('flush hands over everything held, in order, and returns to buffering', () => {
    const clock = new FakeClock();
    const out: FlvTag[] = [];
    const buf = make(opts(), (t) => out.push(t), clock);
    const tags = media(0, 1000);
    for (const t of tags) buf.push(t);
    expect(clock.active).toBe(1);
    buf.flush();
    expect(out).toEqual(tags);
    expect(buf.stats()).toMatchObject({ state: 'buffering', bufferedTags: 0, underruns: 0, bufferings: 1 });
    expect(clock.active).toBe(0);
  });

  it('close is idempotent, stops the timer, and discards (and counts) what it held without calling the sink', () => {
    const clock = new FakeClock();
    const out: FlvTag[] = [];
    const buf = make(opts(), (t) => out.push(t), clock);
    const tags = media(0, 1000);
    for (const t of tags) buf.push(t);
    const released = out.length;
    expect(clock.active).toBe(1);
    expect(buf.close()).toBe(tags.length - released);
    expect(clock.active).toBe(0);
    expect(buf.close()).toBe(0);
    expect(buf.closed).toBe(true);
    clock.advance(5000);
    expect(out).toHaveLength(released);
    expect(buf.stats()).toMatchObject({ state: 'closed', bufferedTags: 0, discardedTags: tags.length - released });
    expect(() => buf.push(video(0))).toThrow('OutputBuffer is closed');
    expect(() => buf.flush()).not.toThrow();
  });

  it('a sink that throws in a timer tick closes the buffer; the next push reports it', () => {
    const clock = new FakeClock();
    const boom = new Error('socket gone');
    let broken = false;
    const buf = make(
      opts(),
      () => {
        if (broken) throw boom;
      },
      clock,
    );
    for (const t of media(0, 1000)) buf.push(t);
    broken = true;
    expect(() => clock.advance(200)).not.toThrow();
    expect(buf.closed).toBe(true);
    expect(clock.active).toBe(0);
    let thrown: unknown;
    try {
      buf.push(video(2000));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).cause).toBe(boom);
  });

  it('a sink that closes the buffer from inside a release stops the release', () => {
    const clock = new FakeClock();
    const out: FlvTag[] = [];
    const buf = make(opts({ startSizeMs: 0 }), (t) => {
      out.push(t);
      buf.close();
    }, clock);
    buf.push(video(0));
    expect(out).toHaveLength(1);
    expect(buf.closed).toBe(true);
    expect(clock.active).toBe(0);
  });

  it('rejects settings that make no sense', () => {
    const bad: Partial<OutputBufferOptions>[] = [
      { startSizeMs: -1 },
      { startSizeMs: 500, initialSizeMs: 400 },
      { pollingTimeMs: 0 },
      { pollingTimeMs: NaN },
      { maxBufferingsAllowed: -2 },
      { maxBufferingsAllowed: 1.5 },
    ];
    for (const o of bad) expect(() => new OutputBuffer(opts(o), () => {})).toThrow(RangeError);
  });
});

describe('OutputBuffer on real timers', () => {
  // How steady the pace is (gap median, worst gap) is measured by `npm run bench -- pipeline`;
  // here only what holds on any machine, however loaded: order, and no tag before its time.
  it('lets a burst out in order, each tag no earlier than its timestamp after the first', async () => {
    const spacing = 40; // one tag every 40 ms of media
    const count = 25; // 1 s of media, pushed at once
    const released: { tag: FlvTag; at: number }[] = [];
    const tags = Array.from({ length: count }, (_, i) => audio(i * spacing));
    const buf = make(
      { enabled: true, startSizeMs: 200, initialSizeMs: 5000, pollingTimeMs: 10, maxBufferingsAllowed: -1 },
      (tag) => released.push({ tag, at: performance.now() }),
      systemClock,
    );
    for (const t of tags) buf.push(t);
    // Paced, not passed through: only the first tag leaves inside the pushes.
    expect(released.map((r) => r.tag)).toEqual([tags[0]]);
    await waitFor(() => released.length === count, { timeoutMs: 20_000, what: `${count} tags released`, seen: () => `${released.length}` });
    expect(released.map((r) => r.tag)).toEqual(tags);
    const first = released[0]!.at;
    // performance.now() is read by the buffer and by the sink separately: allow 1 ms between them
    for (const { tag, at } of released) expect(at - first).toBeGreaterThanOrEqual(tag.timestamp - 1);
  });
});
