/**
 * The bound of a publisher's media in flight from its worker to the main thread
 * (PublisherBacklog), driven as the worker drives it: frames admitted, flushes numbered,
 * acknowledgements of the main thread. A clock that only the test moves.
 */
import {
  BACKLOG_REPORT_INTERVAL_MS,
  MAX_BACKLOG_AUDIO_FRAMES,
  MAX_BACKLOG_BYTES,
  PublisherBacklog,
  type BacklogEpisode,
} from '../../src/webrtc/worker/publisher-backlog';

const FRAME = 8 * 1024;
/** frames of FRAME bytes that fit in the bound exactly */
const FITTING = MAX_BACKLOG_BYTES / FRAME;

function harness() {
  let now = 0;
  const keyframeRequests: boolean[] = [];
  const reports: BacklogEpisode[] = [];
  const backlog = new PublisherBacklog({
    requestKeyframe: (urgent) => keyframeRequests.push(urgent),
    report: (episode) => reports.push(episode),
    now: () => now,
  });
  let seq = 0;
  return {
    backlog,
    keyframeRequests,
    reports,
    advance: (ms: number) => (now += ms),
    /** the worker's flush: what was admitted since the last one leaves as flush number `seq` */
    flush: (): number => {
      backlog.flushed(++seq);
      return seq;
    },
  };
}

describe('PublisherBacklog: what a worker keeps in flight to the main thread', () => {
  it('a main thread that acknowledges every flush gets every frame: nothing dropped, nothing reported', () => {
    const h = harness();
    for (let i = 0; i < 10 * FITTING; i++) {
      expect(h.backlog.admitVideo(FRAME, i % 60 === 0)).toBe(true);
      expect(h.backlog.admitAudio(160)).toBe(true);
      h.backlog.acknowledge(h.flush());
    }
    expect(h.backlog.dropped).toEqual({ video: 0, audio: 0, rtp: 0 });
    expect(h.backlog.bytesInFlight).toBe(0);
    expect(h.backlog.audioFramesInFlight).toBe(0);
    expect(h.reports).toEqual([]);
    expect(h.keyframeRequests).toEqual([]);
  });

  it('beyond the bound video is dropped up to a keyframe that fits once the main thread has caught up; asked for one when it began and once caught up', () => {
    const h = harness();
    const posted: Array<{ n: number; keyframe: boolean }> = [];
    let n = 0;
    const frame = (keyframe: boolean): void => {
      if (h.backlog.admitVideo(FRAME, keyframe)) posted.push({ n, keyframe });
      n++;
      h.flush();
    };
    // The main thread stalls: nothing acknowledged.
    frame(true);
    for (let i = 1; i < FITTING; i++) frame(false);
    expect(h.backlog.dropped.video).toBe(0);
    expect(h.backlog.bytesInFlight).toBe(FITTING * FRAME);
    frame(false);
    expect(h.backlog.dropped.video).toBe(1);
    expect(h.keyframeRequests).toEqual([false]);
    // Still stalled: a keyframe does not fit either, and nothing grows.
    frame(true);
    for (let i = 0; i < 20; i++) frame(false);
    expect(h.backlog.dropped.video).toBe(22);
    expect(h.backlog.bytesInFlight).toBe(FITTING * FRAME);
    // The stall ends: everything taken; one urgent request, the inter frames still dropped.
    h.backlog.acknowledge(n);
    expect(h.backlog.bytesInFlight).toBe(0);
    expect(h.keyframeRequests).toEqual([false, true]);
    frame(false);
    frame(false);
    expect(h.backlog.dropped.video).toBe(24);
    frame(true);
    frame(false);
    expect(h.backlog.dropped.video).toBe(24);
    // Order kept, no frame twice, and the first frame after the drop is a keyframe.
    const numbers = posted.map((p) => p.n);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
    const afterGap = posted.filter((p, i) => i > 0 && p.n !== posted[i - 1]!.n + 1);
    expect(afterGap).toHaveLength(1);
    expect(afterGap.every((p) => p.keyframe)).toBe(true);
    // One episode, reported once.
    expect(h.reports).toEqual([expect.objectContaining({ episodes: 1, unreported: 0, videoFramesDropped: 1, bytesInFlight: FITTING * FRAME })]);
  });

  it('an acknowledgement releases only the flushes up to it, in order', () => {
    const h = harness();
    h.backlog.admitVideo(FRAME, true);
    const first = h.flush();
    h.backlog.admitVideo(FRAME, false);
    h.backlog.admitAudio(100);
    h.flush();
    h.backlog.admitAudio(100);
    // not flushed yet: still in flight
    expect(h.backlog.bytesInFlight).toBe(2 * FRAME + 200);
    h.backlog.acknowledge(first);
    expect(h.backlog.bytesInFlight).toBe(FRAME + 200);
    expect(h.backlog.audioFramesInFlight).toBe(2);
    h.backlog.acknowledge(first);
    expect(h.backlog.bytesInFlight).toBe(FRAME + 200);
    const last = h.flush();
    h.backlog.acknowledge(last);
    expect(h.backlog.bytesInFlight).toBe(0);
    expect(h.backlog.audioFramesInFlight).toBe(0);
  });

  it('audio is dropped beyond its own bound of frames, and flows again once taken', () => {
    const h = harness();
    for (let i = 0; i < MAX_BACKLOG_AUDIO_FRAMES; i++) expect(h.backlog.admitAudio(160)).toBe(true);
    const seq = h.flush();
    expect(h.backlog.admitAudio(160)).toBe(false);
    expect(h.backlog.admitAudio(160)).toBe(false);
    expect(h.backlog.dropped).toEqual({ video: 0, audio: 2, rtp: 0 });
    expect(h.keyframeRequests).toEqual([]);
    h.backlog.acknowledge(seq);
    expect(h.backlog.admitAudio(160)).toBe(true);
    expect(h.reports).toEqual([expect.objectContaining({ episodes: 1, audioFramesDropped: 1, audioFramesInFlight: MAX_BACKLOG_AUDIO_FRAMES })]);
  });

  it('raw RTP for players is dropped when it does not fit, counted', () => {
    const h = harness();
    for (let i = 0; i < FITTING; i++) expect(h.backlog.admitRtp(FRAME)).toBe(true);
    expect(h.backlog.admitRtp(1200)).toBe(false);
    expect(h.backlog.dropped.rtp).toBe(1);
  });

  it('a keyframe bigger than the bound still gets through when nothing is in flight', () => {
    const h = harness();
    expect(h.backlog.admitVideo(MAX_BACKLOG_BYTES + 1, true)).toBe(true);
    expect(h.backlog.admitVideo(FRAME, false)).toBe(false);
    h.backlog.acknowledge(h.flush());
    expect(h.backlog.admitVideo(MAX_BACKLOG_BYTES * 2, true)).toBe(true);
  });

  it('episodes are reported at most once per interval; the ones between are counted in the next report', () => {
    const h = harness();
    const episode = (): void => {
      for (let i = 0; i <= FITTING; i++) h.backlog.admitVideo(FRAME, i === 0);
      h.backlog.acknowledge(h.flush());
      expect(h.backlog.admitVideo(FRAME, true)).toBe(true); // the episode ends
      h.backlog.acknowledge(h.flush());
    };
    episode();
    h.advance(1000);
    episode();
    episode();
    expect(h.reports.map((r) => r.episodes)).toEqual([1]);
    h.advance(BACKLOG_REPORT_INTERVAL_MS);
    episode();
    expect(h.reports.map((r) => [r.episodes, r.unreported])).toEqual([[1, 0], [4, 2]]);
    expect(h.backlog.dropped.video).toBe(4);
  });
});
