import type { FlvTag } from '../../src/flv/flv-tag';
import { DEFAULT_DROP_QUEUE_MAX_BYTES, DEFAULT_DROP_QUEUE_MAX_SPAN_MS, DropQueue } from '../../src/rtmp/drop-queue';

// Tag bodies built from the FLV spec (video: frameType<<4 | codecId, AVCPacketType;
// audio AAC: 0xAF, AACPacketType), padded to the wanted size.
function body(b0: number, b1: number, size: number): Buffer {
  const data = Buffer.alloc(size);
  data[0] = b0;
  data[1] = b1;
  return data;
}
const key = (ts: number, size = 100): FlvTag => ({ type: 9, timestamp: ts, data: body(0x17, 1, size) });
const inter = (ts: number, size = 100): FlvTag => ({ type: 9, timestamp: ts, data: body(0x27, 1, size) });
const avcHeader = (ts: number, size = 40): FlvTag => ({ type: 9, timestamp: ts, data: body(0x17, 0, size) });
const aac = (ts: number, size = 100): FlvTag => ({ type: 8, timestamp: ts, data: body(0xaf, 1, size) });
const aacHeader = (ts: number): FlvTag => ({ type: 8, timestamp: ts, data: body(0xaf, 0, 4) });
const meta = (ts: number, size = 100): FlvTag => ({ type: 18, timestamp: ts, data: body(0x02, 0, size) });

function drain(q: DropQueue): FlvTag[] {
  const out: FlvTag[] = [];
  for (let t = q.shift(); t !== undefined; t = q.shift()) out.push(t);
  return out;
}
const names = (tags: FlvTag[]): string[] =>
  tags.map((t) => {
    if (t.type === 18) return `M${t.timestamp}`;
    if (t.type === 8) return (t.data[1] === 0 ? 'AH' : 'A') + t.timestamp;
    if (t.data[1] === 0) return `VH${t.timestamp}`;
    return (t.data[0] === 0x17 ? 'K' : 'I') + t.timestamp;
  });

describe('DropQueue', () => {
  it('is a FIFO while under the bound', () => {
    const q = new DropQueue({ maxBytes: 10_000 });
    const tags = [meta(0), avcHeader(0), aacHeader(0), key(0), aac(0), inter(33), aac(21), inter(66)];
    for (const t of tags) expect(q.push(t)).toEqual({ accepted: true, needKeyframe: false, overflow: false });
    expect(q.length).toBe(tags.length);
    expect(q.bytes).toBe(tags.reduce((n, t) => n + t.data.length, 0));
    expect(q.peek()).toBe(tags[0]);
    expect(drain(q)).toEqual(tags);
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
  });

  it('defaults to 8 MiB', () => {
    expect(new DropQueue().maxBytes).toBe(DEFAULT_DROP_QUEUE_MAX_BYTES);
    expect(DEFAULT_DROP_QUEUE_MAX_BYTES).toBe(8 * 1024 * 1024);
  });

  it('rejects a bound that is not a positive number', () => {
    expect(() => new DropQueue({ maxBytes: 0 })).toThrow(RangeError);
    expect(() => new DropQueue({ maxBytes: NaN })).toThrow(RangeError);
    expect(() => new DropQueue({ maxSpanMs: 0 })).toThrow(RangeError);
    expect(() => new DropQueue({ maxSpanMs: NaN })).toThrow(RangeError);
  });

  it('bounds the media time it holds to 2 s by default', () => {
    expect(new DropQueue().maxSpanMs).toBe(DEFAULT_DROP_QUEUE_MAX_SPAN_MS);
    expect(DEFAULT_DROP_QUEUE_MAX_SPAN_MS).toBe(2000);
  });

  describe('time bound', () => {
    it('an inter frame that would make the queue span more than maxSpanMs starts an episode, however few the bytes', () => {
      const q = new DropQueue({ maxBytes: 1e9, maxSpanMs: 100 });
      q.push(key(0));
      q.push(aac(20));
      q.push(inter(33));
      expect(q.push(inter(100))).toEqual({ accepted: true, needKeyframe: false, overflow: false }); // exactly 100 ms
      expect(q.push(inter(133))).toEqual({ accepted: false, needKeyframe: true, overflow: false });
      expect(names(drain(q))).toEqual(['K0', 'A20']);
      expect(q.stats()).toMatchObject({ droppedVideoFrames: 3, dropEpisodes: 1, waitingForKeyframe: true });
    });

    it('keeps audio past the time bound without calling it an overflow, and video resumes at a keyframe', () => {
      const q = new DropQueue({ maxBytes: 1e9, maxSpanMs: 100 });
      q.push(key(0));
      for (let ts = 20; ts <= 400; ts += 20) expect(q.push(aac(ts))).toMatchObject({ accepted: true, overflow: false });
      expect(q.push(inter(420))).toEqual({ accepted: false, needKeyframe: true, overflow: false });
      expect(q.push(key(433))).toEqual({ accepted: true, needKeyframe: false, overflow: false });
      expect(q.waitingForKeyframe).toBe(false);
      const out = names(drain(q));
      expect(out.filter((n) => n.startsWith('A'))).toHaveLength(20);
      expect(out.filter((n) => !n.startsWith('A'))).toEqual(['K0', 'K433']);
    });

    it('counts the span from the oldest tag still queued: a socket that drains lets video in again', () => {
      const q = new DropQueue({ maxBytes: 1e9, maxSpanMs: 100 });
      q.push(key(0));
      q.push(inter(33));
      q.push(inter(66));
      q.shift();
      q.shift(); // the socket took K0 and I33
      expect(q.push(inter(133)).accepted).toBe(true); // 133 - 66 ≤ 100
    });
  });

  describe('dropVideoUntilKeyframe (the owner knows the server is too far behind)', () => {
    it('removes queued inter frames and drops video up to the next keyframe, never audio or headers', () => {
      const q = new DropQueue();
      q.push(key(0));
      q.push(inter(33));
      q.push(aac(40));
      q.push(inter(66));
      expect(q.dropVideoUntilKeyframe()).toBe(true);
      expect(q.waitingForKeyframe).toBe(true);
      expect(q.push(inter(100)).accepted).toBe(false);
      expect(q.push(aac(101)).accepted).toBe(true);
      expect(q.push(avcHeader(110)).accepted).toBe(true);
      expect(q.push(inter(133)).accepted).toBe(false);
      expect(q.push(key(166)).accepted).toBe(true);
      expect(q.push(inter(200)).accepted).toBe(true);
      expect(names(drain(q))).toEqual(['K0', 'A40', 'A101', 'VH110', 'K166', 'I200']);
      expect(q.stats()).toMatchObject({ droppedVideoFrames: 4, dropEpisodes: 1, waitingForKeyframe: false });
    });

    it('starts an episode only once while one runs', () => {
      const q = new DropQueue();
      expect(q.dropVideoUntilKeyframe()).toBe(true);
      expect(q.dropVideoUntilKeyframe()).toBe(false);
      expect(q.stats().dropEpisodes).toBe(1);
    });
  });

  it('accepts a tag that exactly fills the bound', () => {
    const q = new DropQueue({ maxBytes: 300 });
    q.push(key(0));
    q.push(inter(33));
    expect(q.push(inter(66))).toEqual({ accepted: true, needKeyframe: false, overflow: false });
    expect(q.bytes).toBe(300);
  });

  it('an inter frame that does not fit drops the queued inter frames, itself, and asks for a keyframe', () => {
    const q = new DropQueue({ maxBytes: 500 });
    q.push(key(0));
    q.push(aac(10));
    q.push(inter(33));
    q.push(inter(66));
    q.push(aac(31)); // 500 bytes now
    expect(q.push(inter(100))).toEqual({ accepted: false, needKeyframe: true, overflow: false });
    expect(names(drain(q))).toEqual(['K0', 'A10', 'A31']);
    expect(q.stats()).toMatchObject({ droppedVideoFrames: 3, droppedBytes: 300, dropEpisodes: 1, waitingForKeyframe: true });
  });

  it('keeps dropping video until a keyframe, and asks for a keyframe only once per episode', () => {
    const q = new DropQueue({ maxBytes: 300 });
    q.push(key(0));
    q.push(inter(33));
    q.push(inter(66));
    expect(q.push(inter(100)).needKeyframe).toBe(true);
    drain(q); // the socket catches up: plenty of room now
    expect(q.push(inter(133))).toEqual({ accepted: false, needKeyframe: false, overflow: false });
    expect(q.push(aac(140))).toEqual({ accepted: true, needKeyframe: false, overflow: false });
    expect(q.push(inter(166))).toEqual({ accepted: false, needKeyframe: false, overflow: false });
    expect(q.push(key(200))).toEqual({ accepted: true, needKeyframe: false, overflow: false });
    expect(q.push(inter(233))).toEqual({ accepted: true, needKeyframe: false, overflow: false });
    expect(names(drain(q))).toEqual(['A140', 'K200', 'I233']);
    expect(q.stats()).toMatchObject({ droppedVideoFrames: 5, dropEpisodes: 1, waitingForKeyframe: false });
  });

  it('a sequence header does not end the wait for a keyframe, and is never dropped', () => {
    const q = new DropQueue({ maxBytes: 250 });
    q.push(key(0));
    q.push(inter(33));
    q.push(inter(66)); // 300 > 250: this one already does not fit
    expect(q.stats().waitingForKeyframe).toBe(true);
    expect(q.push(avcHeader(70)).accepted).toBe(true);
    expect(q.push(inter(100)).accepted).toBe(false);
    expect(names(drain(q))).toEqual(['K0', 'VH70']);
  });

  it('never drops a keyframe: one that does not fit pushes out older inter frames instead', () => {
    const q = new DropQueue({ maxBytes: 400 });
    q.push(key(0));
    q.push(inter(33));
    q.push(aac(40));
    q.push(inter(66));
    expect(q.push(key(100))).toEqual({ accepted: true, needKeyframe: false, overflow: false });
    expect(names(drain(q))).toEqual(['K0', 'A40', 'K100']);
    expect(q.stats()).toMatchObject({ droppedVideoFrames: 2, dropEpisodes: 1, waitingForKeyframe: false });
  });

  it('keeps audio, headers, metadata and keyframes past the bound and reports overflow', () => {
    const q = new DropQueue({ maxBytes: 250 });
    expect(q.push(meta(0)).overflow).toBe(false);
    expect(q.push(key(0)).overflow).toBe(false);
    expect(q.push(aac(10))).toEqual({ accepted: true, needKeyframe: false, overflow: true });
    expect(q.push(aacHeader(11))).toEqual({ accepted: true, needKeyframe: false, overflow: true });
    expect(q.push(key(33, 1000))).toEqual({ accepted: true, needKeyframe: false, overflow: true });
    expect(q.overflowing).toBe(true);
    expect(q.length).toBe(5);
    expect(q.stats()).toMatchObject({ droppedVideoFrames: 0, dropEpisodes: 0 });
    drain(q);
    expect(q.overflowing).toBe(false);
  });

  it('audio that does not fit pushes out queued inter frames and starts an episode', () => {
    const q = new DropQueue({ maxBytes: 300 });
    q.push(key(0));
    q.push(inter(33));
    q.push(inter(66));
    expect(q.push(aac(70))).toEqual({ accepted: true, needKeyframe: true, overflow: false });
    expect(q.push(inter(100)).accepted).toBe(false); // depends on the removed frames
    expect(names(drain(q))).toEqual(['K0', 'A70']);
    expect(q.stats()).toMatchObject({ droppedVideoFrames: 3, dropEpisodes: 1, waitingForKeyframe: true });
  });

  it('an inter frame arriving while over the bound is dropped even when small', () => {
    const q = new DropQueue({ maxBytes: 100 });
    q.push(key(0, 500)); // over already, kept
    expect(q.push(inter(33, 1))).toEqual({ accepted: false, needKeyframe: true, overflow: true });
  });

  it('whatever arrives, every video tag that leaves can be decoded: no inter frame after a gap before a keyframe', () => {
    // Random traffic against a small bound with a socket that drains at random;
    // check the invariant that matters to the server's decoder.
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const q = new DropQueue({ maxBytes: 2000 });
    const sent: FlvTag[] = [];
    const pushed: FlvTag[] = [];
    let ts = 0;
    for (let i = 0; i < 5000; i++) {
      ts += 5;
      const r = rnd();
      const tag = r < 0.3 ? aac(ts, 50) : i % 60 === 0 ? key(ts, 800) : inter(ts, 50 + Math.floor(rnd() * 300));
      pushed.push(tag);
      q.push(tag);
      // Slow and fast phases of the socket: congestion, then catching up.
      const slow = Math.floor(i / 300) % 2 === 0;
      const drains = slow ? (rnd() < 0.5 ? 1 : 0) : Math.floor(rnd() * 4);
      for (let d = 0; d < drains; d++) {
        const t = q.shift();
        if (t) sent.push(t);
      }
    }
    sent.push(...drain(q));
    // Order is preserved: `sent` is a subsequence of `pushed`.
    let j = 0;
    for (const t of sent) {
      while (pushed[j] !== t) j++;
      j++;
    }
    // Audio and keyframes are never dropped.
    const keep = (t: FlvTag): boolean => t.type === 8 || t.data[0] === 0x17;
    expect(sent.filter(keep)).toEqual(pushed.filter(keep));
    // Each sent inter frame directly follows (in video order) the video frame it followed at the source.
    const videoPushed = pushed.filter((t) => t.type === 9);
    const videoSent = sent.filter((t) => t.type === 9);
    for (let k = 1; k < videoSent.length; k++) {
      const t = videoSent[k] as FlvTag;
      if (t.data[0] === 0x27) expect(videoPushed[videoPushed.indexOf(t) - 1]).toBe(videoSent[k - 1]);
    }
    const s = q.stats();
    expect(s.dropEpisodes).toBeGreaterThan(0);
    expect(s.droppedVideoFrames).toBe(pushed.length - sent.length);
  });

  it('clear empties the queue, ends the episode, keeps the counters', () => {
    const q = new DropQueue({ maxBytes: 200 });
    q.push(key(0));
    q.push(inter(33));
    q.push(inter(66));
    q.clear();
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
    expect(q.stats()).toEqual({
      queuedBytes: 0,
      queuedTags: 0,
      droppedVideoFrames: 2,
      droppedBytes: 200,
      dropEpisodes: 1,
      waitingForKeyframe: false,
    });
    expect(q.push(inter(100)).accepted).toBe(true);
  });

  it('push and shift stay cheap over a long run: no Array#shift, each tag copied at most a couple of times', () => {
    const q = new DropQueue({ maxBytes: 1e9 });
    // Counted, not timed: an O(n) shift shows up as Array#shift calls or as copying that grows with n².
    const shifts = jest.spyOn(Array.prototype, 'shift');
    const slices = jest.spyOn(Array.prototype, 'slice');
    let pushes = 0;
    let shiftCalls: number;
    let copied = 0;
    try {
      for (let i = 0; i < 200_000; i++, pushes++) q.push(aac(i, 10));
      for (let i = 0; i < 100_000; i++) q.shift();
      for (let i = 0; i < 100_000; i++, pushes++) {
        q.push(aac(i, 10));
        q.shift();
      }
      // read before mockRestore, which clears what the spies saw
      shiftCalls = shifts.mock.calls.length;
      for (const r of slices.mock.results) if (Array.isArray(r.value)) copied += (r.value as unknown[]).length;
    } finally {
      shifts.mockRestore();
      slices.mockRestore();
    }
    expect(q.length).toBe(100_000);
    expect(q.peek()?.timestamp).toBe(0); // the first tag of the last 100 000 pushed
    expect(shiftCalls).toBe(0);
    expect(copied).toBeGreaterThan(0); // it does compact
    expect(copied).toBeLessThanOrEqual(2 * pushes);
  });
});
