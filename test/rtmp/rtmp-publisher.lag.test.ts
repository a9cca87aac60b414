/**
 * RtmpPublisher bounds how far behind live a push falls, in media time, from the server's
 * acknowledgements: against a small loopback server that stops acknowledging (to the
 * publisher, a server that stopped reading) and starts again. Media is made here at a
 * camera's rate (~0.7 Mbit/s) and fed faster than real time: the lag is media time, and
 * the publisher's clock follows the media, so nothing here depends on the machine's speed.
 */
import { RtmpPublisher, DEFAULT_MAX_LAG_MS, type RtmpPublisherOptions } from '../../src/rtmp/rtmp-publisher';
import { MessageType } from '../../src/rtmp/message-types';
import type { FlvTag } from '../../src/flv/flv-tag';
import type { RtmpMessage } from '../../src/rtmp/message-types';
import { waitFor } from '../helpers/wait-for';
import { AckingRtmpServer } from './acking-rtmp-server';

const FRAME_MS = 33;
const GOP = 30;
const AUDIO_MS = 21;

/** Audio and video in timestamp order, as a muxer hands them over; the clock follows the media. */
class Source {
  fedAudio = 0;
  fedVideo = 0;
  private video = 0;
  private audio = 0;
  constructor(
    private readonly pub: RtmpPublisher,
    private readonly clock: { t: number },
    private readonly gop = GOP,
  ) {}

  headers(): void {
    this.pub.send({ type: 9, timestamp: 0, data: Buffer.from([0x17, 0, 0, 0, 0, 1, 0x42, 0, 0x1e]) });
    this.pub.send({ type: 8, timestamp: 0, data: Buffer.from([0xaf, 0, 0x11, 0x90]) });
  }

  /** Feeds everything before `untilMs`, in slices of 100 ms with a turn of the event loop between. */
  async feed(untilMs: number, between: () => Promise<unknown> = () => new Promise((r) => setImmediate(r))): Promise<void> {
    while (Math.min(this.video * FRAME_MS, this.audio * AUDIO_MS) < untilMs) {
      const sliceEnd = Math.min(untilMs, Math.min(this.video * FRAME_MS, this.audio * AUDIO_MS) + 100);
      for (;;) {
        const v = this.video * FRAME_MS;
        const a = this.audio * AUDIO_MS;
        const ts = Math.min(v, a);
        if (ts >= sliceEnd) break;
        this.clock.t = ts;
        if (v <= a) this.pub.send(this.nextVideo(v));
        else this.pub.send(this.nextAudio(a));
      }
      await between();
    }
  }

  private nextVideo(ts: number): FlvTag {
    const key = this.video % this.gop === 0;
    this.video++;
    this.fedVideo++;
    const data = Buffer.alloc(key ? 12_000 : 2500, 0x55);
    data[0] = key ? 0x17 : 0x27;
    data[1] = 1;
    return { type: 9, timestamp: ts, data };
  }

  private nextAudio(ts: number): FlvTag {
    this.audio++;
    this.fedAudio++;
    const data = Buffer.alloc(300, 0x33);
    data[0] = 0xaf;
    data[1] = 1;
    return { type: 8, timestamp: ts, data };
  }
}

const isKey = (m: RtmpMessage): boolean => m.typeId === MessageType.Video && m.payload[0] === 0x17 && m.payload[1] === 1;
const isFrame = (m: RtmpMessage): boolean => m.typeId === MessageType.Video && m.payload[1] === 1;
const isAudioFrame = (m: RtmpMessage): boolean => m.typeId === MessageType.Audio && m.payload[1] === 1;

let server: AckingRtmpServer;
let pub: RtmpPublisher | undefined;
const clock = { t: 0 };

beforeEach(async () => {
  clock.t = 0;
  server = new AckingRtmpServer();
  await server.listen();
});

afterEach(async () => {
  await pub?.close('test over');
  pub = undefined;
  await server.close();
});

async function publishing(extra: Partial<RtmpPublisherOptions> = {}): Promise<{ source: Source; keyframeRequests: () => number }> {
  pub = new RtmpPublisher({ url: server.url(), naming: { fullUrl: true }, sendMetadata: false, hasVideo: true, timeoutMs: 5000, now: () => clock.t, ...extra });
  let requests = 0;
  pub.on('needKeyframe', () => requests++);
  await pub.start();
  const source = new Source(pub, clock);
  source.headers();
  return { source, keyframeRequests: () => requests };
}

/** Waits until the server has every byte written and the publisher has handled every acknowledgement sent. */
function settled(): Promise<unknown> {
  return waitFor(() => server.bytesReceived === pub!.toJSON().bytesSent && server.settled, {
    what: 'the server has all bytes, the publisher all acknowledgements',
    timeoutMs: 5000,
    intervalMs: 2,
  });
}

describe('RtmpPublisher: a server too far behind', () => {
  it('holds media back, drops non-key video up to a keyframe and never audio, then resumes at a keyframe near live', async () => {
    const { source, keyframeRequests } = await publishing();
    expect(pub!.toJSON().lagHolds).toBe(0);
    await source.feed(3000, settled);
    const healthy = pub!.toJSON();
    expect(healthy).toMatchObject({ lagHolds: 0, videoFramesDropped: 0, audioFramesDropped: 0 });
    expect(healthy.serverLagMs).toBeLessThanOrEqual(DEFAULT_MAX_LAG_MS);
    const ackedAtFreeze = 3000 - healthy.serverLagMs!;
    const requestsBefore = keyframeRequests();

    server.acknowledging = false; // the server "stops reading"
    await source.feed(13_000, settled);
    const frozen = pub!.toJSON();
    expect(frozen.lagHolds).toBe(1);
    expect(frozen.videoFramesDropped).toBeGreaterThan(0);
    expect(frozen.audioFramesDropped).toBe(0);
    expect(keyframeRequests()).toBe(requestsBefore + 1); // once, when the hold began
    // Media stopped going out once 2 s (plus at most a window) were surely not received.
    const reachedInStall = Math.max(...server.media().map((m) => m.timestamp));
    expect(reachedInStall).toBeGreaterThan(ackedAtFreeze + DEFAULT_MAX_LAG_MS);
    expect(reachedInStall).toBeLessThan(ackedAtFreeze + DEFAULT_MAX_LAG_MS + 1000);
    const beforeResume = server.media().length;

    server.acknowledging = true; // it reads again
    await settled();
    expect(keyframeRequests()).toBe(requestsBefore + 2); // caught up, video waits for a keyframe: asked again
    await source.feed(16_000, settled);

    const after = server.media().slice(beforeResume);
    expect(isKey(after.find(isFrame)!)).toBe(true);
    // Audio: every frame fed reached the server, in order.
    const audio = server.media().filter(isAudioFrame);
    expect(audio).toHaveLength(source.fedAudio);
    for (let i = 1; i < audio.length; i++) expect(audio[i]!.timestamp).toBeGreaterThan(audio[i - 1]!.timestamp);
    // Video flows again from a keyframe of live media on: the last GOP arrived whole.
    const lastKey = server.media().filter(isKey).at(-1)!;
    expect(lastKey.timestamp).toBeGreaterThanOrEqual(15_000);
    expect(server.media().filter((m) => isFrame(m) && m.timestamp >= lastKey.timestamp)).toHaveLength(source.fedVideo - Math.round(lastKey.timestamp / FRAME_MS));
    const end = pub!.toJSON();
    expect(end.serverLagMs).toBeLessThanOrEqual(DEFAULT_MAX_LAG_MS);
    expect(end.audioFramesDropped).toBe(0);
    expect(end.videoFramesSent + end.videoFramesDropped).toBe(source.fedVideo);
  });

  it('a server that never acknowledges gets everything, as before (bytes bound only)', async () => {
    server.acknowledging = false;
    const { source } = await publishing();
    await source.feed(10_000, settled);
    const stats = pub!.toJSON();
    expect(stats.serverLagMs).toBeUndefined();
    expect(stats).toMatchObject({ lagHolds: 0, videoFramesDropped: 0, audioFramesDropped: 0 });
    expect(server.media().filter(isFrame)).toHaveLength(source.fedVideo);
    expect(server.media().filter(isAudioFrame)).toHaveLength(source.fedAudio);
  });

  it('does not wait for acknowledgements forever: after 30 s without one, media flows again', async () => {
    const { source } = await publishing();
    await source.feed(2000, settled);
    server.acknowledging = false;
    await source.feed(20_000, settled);
    expect(pub!.toJSON().lagHolds).toBe(1);
    const held = server.media().length;
    expect(server.media().some((m) => m.timestamp > 10_000)).toBe(false);
    await source.feed(40_000, settled);
    // 30 s after the last acknowledgement the push writes again, from a keyframe on.
    const later = server.media().slice(held);
    expect(isKey(later.find(isFrame)!)).toBe(true);
    expect(later.some((m) => isFrame(m) && m.timestamp > 35_000)).toBe(true);
    expect(pub!.toJSON().audioFramesDropped).toBe(0);
  });

  it('a connection that starts on more than the bound of held media (a long GOP) is not held back while the server takes it in', async () => {
    pub = new RtmpPublisher({ url: server.url(), naming: { fullUrl: true }, sendMetadata: false, hasVideo: true, timeoutMs: 5000, now: () => clock.t });
    const source = new Source(pub, clock, 300); // one keyframe per 10 s
    source.headers();
    await source.feed(2900); // kept by the timeline until publishing: 2.9 s since the keyframe
    await pub.start(); // … then written at once
    await source.feed(6000, settled);
    expect(pub.toJSON()).toMatchObject({ lagHolds: 0, videoFramesDropped: 0, audioFramesDropped: 0 });
    expect(server.media().filter(isFrame)).toHaveLength(source.fedVideo);
  });

  it('the bound is an option', async () => {
    const { source } = await publishing({ maxLagMs: 500 });
    await source.feed(2000, settled);
    server.acknowledging = false;
    await source.feed(4000, settled);
    expect(pub!.toJSON().lagHolds).toBe(1);
    expect(Math.max(...server.media().map((m) => m.timestamp))).toBeLessThan(2000 + 500 + 1000);
  });
});
