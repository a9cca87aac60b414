/**
 * RtmpPublisher against a real nginx-rtmp on loopback; what arrives is decoded by
 * the real ffmpeg/ffprobe.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { waitFor } from '../helpers/wait-for';
import { decodeErrors, ffprobePackets, ffprobeStreams, makeTestFlv } from '../helpers/media-tools';
import { FlvFilePusher } from '../../tools/flv-file-pusher';
import { DEFAULT_MAX_LAG_MS, RtmpPublisher, type RtmpPublisherOptions, type RtmpPushState } from '../../src/rtmp/rtmp-publisher';
import { readFlvFile } from '../../src/flv/flv-file-reader';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import type { PushRestorer } from '../../src/transponder/push-restorer';
import type { TransponderState } from '../../src/transponder/transponder-api';
import { OutputBuffer } from '../../src/transponder/output-buffer';
import { FlvTagType, isSequenceHeader, isVideoKeyframe, type FlvTag } from '../../src/flv/flv-tag';

jest.setTimeout(60_000);

let nginx: NginxRtmp;
let dir: string;
let source: string;
const SOURCE_FRAMES = 90; // 3 s at 30 fps

function publisherOptions(url: string, extra: Partial<RtmpPublisherOptions> = {}): RtmpPublisherOptions {
  return {
    url,
    naming: { fullUrl: true },
    sendMetadata: true,
    hasVideo: true,
    timeoutMs: 5000,
    ...extra,
  };
}

async function readTags(file: string): Promise<FlvTag[]> {
  const tags: FlvTag[] = [];
  for await (const t of readFlvFile(file)) tags.push(t);
  return tags;
}

/** The shared deadline wait, in this file's argument order. */
function waitUntil(check: () => boolean, ms: number, what: string): Promise<boolean> {
  return waitFor(check, { timeoutMs: ms, what });
}

/** What a test starts, ended after it whether it passed or not. */
const started: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const r of started.splice(0).reverse()) await r.close();
});

function publisher(opts: RtmpPublisherOptions): RtmpPublisher {
  const p = new RtmpPublisher(opts);
  started.push(p);
  return p;
}

function pusherOf(opts: ConstructorParameters<typeof FlvFilePusher>[0]): FlvFilePusher {
  const p = new FlvFilePusher(opts);
  started.push({ close: () => p.stop('test over') });
  return p;
}

/**
 * Sends the file's media to `p` at its own pace (speed 1), looped with timestamps going on
 * (sequence headers once), until stop(). Ended after the test whatever happens.
 */
function feedInRealTime(p: RtmpPublisher, tags: FlvTag[]): { stop(): void; done: Promise<void> } {
  const media = tags.filter((t) => t.type !== FlvTagType.Script && !(t.type === FlvTagType.Video && t.data[1] === 2));
  const first = media[0].timestamp;
  const span = Math.max(...media.map((t) => t.timestamp)) - first + 33;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const done = (async () => {
    const start = performance.now();
    for (let round = 0; !stopped; round++) {
      for (const tag of media) {
        if (round > 0 && isSequenceHeader(tag)) continue;
        const ts = tag.timestamp - first + round * span;
        const wait = start + ts - performance.now();
        if (wait > 1) await new Promise<void>((r) => ((wake = r), (timer = setTimeout(r, wait))));
        if (stopped) return;
        p.send({ type: tag.type, timestamp: ts, data: tag.data });
      }
    }
  })();
  const feeder = {
    stop(): void {
      stopped = true;
      clearTimeout(timer);
      wake?.();
    },
    done,
  };
  started.push({ close: () => feeder.stop() });
  return feeder;
}

function collectStates(p: RtmpPublisher): Array<[RtmpPushState, string]> {
  const states: Array<[RtmpPushState, string]> = [];
  p.on('state', (s, r) => states.push([s, r]));
  return states;
}

function collectPushStates(p: PushRestorer): Array<[TransponderState, string]> {
  const states: Array<[TransponderState, string]> = [];
  p.on('state', (s, r) => states.push([s, r]));
  return states;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtmp-pub-'));
  source = path.join(dir, 'source.flv');
  await makeTestFlv(source, { seconds: 3, width: 640, height: 360, fps: 30, gop: 30 });
  nginx = await NginxRtmp.start({ tls: true });
});

afterAll(async () => {
  await nginx?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('RtmpPublisher → nginx-rtmp', () => {
  it('pushes an H.264 + AAC file that nginx records and ffmpeg decodes, frame for frame', async () => {
    const pusher = pusherOf({ file: source, publisher: publisherOptions(`${nginx.url()}/whole`) });
    let publishMs = -1;
    await pusher.run((ms) => (publishMs = ms));
    await pusher.stop();
    expect(publishMs).toBeGreaterThanOrEqual(0);
    await waitUntil(() => nginx.recordingsDone('whole') === 1, 10_000, 'the recording closed by nginx');
    const [file] = nginx.recordings('whole');

    const streams = await ffprobeStreams(file, true);
    const video = streams.find((s) => s.codec_type === 'video')!;
    const audio = streams.find((s) => s.codec_type === 'audio')!;
    expect(video).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(Number(video.nb_read_frames)).toBe(SOURCE_FRAMES);
    expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });
    expect(await decodeErrors(file)).toBe('');

    const packets = await ffprobePackets(file);
    for (const type of ['video', 'audio']) {
      const dts = packets.filter((p) => p.codec_type === type).map((p) => Number(p.dts_time));
      for (let i = 1; i < dts.length; i++) expect(dts[i]).toBeGreaterThanOrEqual(dts[i - 1]);
    }
    // The first video tag after the sequence header is a keyframe, at timestamp 0.
    const tags = await readTags(file);
    const firstVideo = tags.find((t) => t.type === FlvTagType.Video && !isSequenceHeader(t))!;
    expect(isVideoKeyframe(firstVideo)).toBe(true);
    expect(firstVideo.timestamp).toBe(0);

    const stats = pusher.push.toJSON();
    const sourceTags = await readTags(source);
    // Every video frame (not the sequence header, not ffmpeg's end-of-sequence marker, which the pusher leaves out).
    expect(stats.videoFramesSent).toBe(SOURCE_FRAMES);
    expect(stats.videoFramesSent).toBe(sourceTags.filter((t) => t.type === FlvTagType.Video && t.data[1] === 1).length);
    // Each connection starts on a keyframe: only audio from before the first keyframe is left out.
    const firstKey = sourceTags.find((t) => t.type === FlvTagType.Video && isVideoKeyframe(t) && !isSequenceHeader(t))!;
    const audioBefore = sourceTags.filter((t) => t.type === FlvTagType.Audio && !isSequenceHeader(t) && t.timestamp < firstKey.timestamp).length;
    expect(stats.audioFramesSent).toBe(sourceTags.filter((t) => t.type === FlvTagType.Audio && !isSequenceHeader(t)).length - audioBefore);
    expect(stats.videoFramesDropped).toBe(0);
    expect(stats.audioFramesDropped).toBe(audioBefore);
    expect(pusher.push.state).toBe('TERMINATED');
  });

  it('sends the query in connect and the published name, as nginx sees them', async () => {
    const p = publisher(
      publisherOptions(`${nginx.url('other')}?token=abc123`, { naming: { fullUrl: false, streamName: 'cam1', prefix: 'rtmp_' } }),
    );
    nginx.hooks.calls.length = 0;
    await p.start();
    await p.close();
    const connect = nginx.hooks.calls.find((c) => c.call === 'connect')!;
    const publish = nginx.hooks.calls.find((c) => c.call === 'publish')!;
    expect(connect.params.app).toBe('other');
    expect(connect.params.tcurl).toBe(`rtmp://127.0.0.1:${nginx.rtmpPort}/other?token=abc123`);
    expect(connect.params.flashver).toBe('FMLE/3.0 (compatible; FMSc/1.0)');
    expect(connect.params.token).toBe('abc123');
    expect(publish.params.name).toBe('rtmp_cam1');
    expect(publish.params.type).toBe('live');
  });

  it('a publish the server refuses fails with a clear reason', async () => {
    nginx.hooks.refuse.add('refused');
    const p = publisher(publisherOptions(`${nginx.url()}/refused`));
    const states = collectStates(p);
    await expect(p.start()).rejects.toThrow(/publish refused|closed the connection before NetStream\.Publish\.Start/);
    expect(p.state).toBe('failed');
    expect(states.at(-1)?.[0]).toBe('failed');
  });

  it('binds the local address it is given (rtmp_publisher_ip)', async () => {
    nginx.hooks.calls.length = 0;
    const p = publisher(publisherOptions(`${nginx.url()}/bound`, { localAddress: '127.0.0.2' }));
    await p.start();
    await p.close();
    expect(nginx.hooks.calls.find((c) => c.call === 'publish')!.params.addr).toBe('127.0.0.2');
  });

  it('with the output buffer on, a burst leaves paced by its timestamps and arrives whole', async () => {
    const tags = (await readTags(source)).filter((t) => t.type !== FlvTagType.Script && t.data[1] !== 2);
    const p = publisher(publisherOptions(`${nginx.url()}/paced`));
    await p.start();
    const sentAt: Array<{ at: number; ts: number }> = [];
    let first: { at: number; ts: number } | undefined; // the first tag of any kind: the schedule's anchor
    const buffer = new OutputBuffer({ enabled: true, startSizeMs: 300, initialSizeMs: 5000, pollingTimeMs: 20, maxBufferingsAllowed: -1 }, (tag) => {
      first ??= { at: performance.now(), ts: tag.timestamp };
      if (tag.type === FlvTagType.Video && !isSequenceHeader(tag)) sentAt.push({ at: performance.now(), ts: tag.timestamp });
      p.send(tag);
    });
    started.push(buffer);
    for (const tag of tags) buffer.push(tag); // 3 s of media at once
    await waitUntil(() => buffer.stats().bufferedTags === 0, 20_000, 'the buffer to drain');
    buffer.close();
    await p.close();
    // Paced, not all at once: no frame leaves before its timestamp says, counted from the
    // first (gap and lateness figures: `npm run bench -- pipeline`).
    expect(sentAt).toHaveLength(SOURCE_FRAMES);
    const anchor = first!;
    for (const { at, ts } of sentAt) expect(at - anchor.at).toBeGreaterThanOrEqual(ts - anchor.ts - 1);
    expect(sentAt[sentAt.length - 1].at - anchor.at).toBeGreaterThanOrEqual(2500);
    await waitUntil(() => nginx.recordingsDone('paced') === 1, 10_000, 'the recording closed by nginx');
    const streams = await ffprobeStreams(nginx.recordings('paced')[0], true);
    expect(Number(streams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBe(SOURCE_FRAMES);
  });

  it('a server that is not there fails with the class "cannot connect"; ECONNREFUSED is only in the detail', async () => {
    const p = publisher(publisherOptions(`rtmp://127.0.0.1:1/live/x`));
    await expect(p.start()).rejects.toThrow(/^cannot connect to the RTMP server$/);
    expect(p.stateReason).toBe('cannot connect to the RTMP server');
    expect(p.stateDetail).toMatch(/127\.0\.0\.1:1: ECONNREFUSED/);
  });

  describe('rtmps:// through a TLS front', () => {
    it('publishes when the certificate is trusted', async () => {
      const pusher = pusherOf({
        file: source,
        durationMs: 1000,
        publisher: publisherOptions(`${nginx.tlsUrl()}/secure`, { tls: { ca: nginx.tlsMaterial!.caCert } }),
      });
      await pusher.run();
      await pusher.stop();
      await waitUntil(() => nginx.recordingsDone('secure') === 1, 10_000, 'the recording closed by nginx');
      const streams = await ffprobeStreams(nginx.recordings('secure')[0]);
      expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    });

    it('refuses a certificate it cannot verify', async () => {
      const p = publisher(publisherOptions(`${nginx.tlsUrl()}/untrusted`));
      await expect(p.start()).rejects.toThrow(/certificate/i);
    });

    it('accepts it when verification is turned off', async () => {
      const p = publisher(publisherOptions(`${nginx.tlsUrl('live', '127.0.0.1')}/insecure`, { tls: { rejectUnauthorized: false } }));
      await p.start();
      expect(p.state).toBe('publishing');
      await p.close();
    });
  });

  describe('restore', () => {
    it('comes back after nginx restarts, starting on a keyframe, and what arrives decodes', async () => {
      const pusher = pusherOf({
        file: source,
        loop: true,
        durationMs: 60_000,
        publisher: publisherOptions(`${nginx.url()}/phoenix`),
        restore: new RestorePolicy({ enabled: true, attempts: 10, intervalMs: 300 }),
      });
      const states = collectPushStates(pusher.push);
      const running = pusher.run();
      const sent = (): number => pusher.push.toJSON().videoFramesSent;
      // a second of video in the first recording
      await waitUntil(() => pusher.push.state === 'PUBLISHING' && sent() >= 30, 10_000, 'publishing');
      await nginx.restartServer();
      await waitUntil(() => states.some(([s]) => s === 'RESTORING'), 10_000, 'restoring');
      await waitUntil(() => pusher.push.state === 'PUBLISHING' && pusher.push.toJSON().restores === 1, 20_000, 'publishing again');
      // a second of video in the second one
      const sentAtRestore = sent();
      await waitUntil(() => sent() >= sentAtRestore + 30, 10_000, '30 frames after the restore');
      await pusher.stop();
      await running;
      expect(pusher.push.toJSON().restores).toBe(1);

      // The first recording ends with the nginx that was stopped; the second is closed normally.
      await waitUntil(() => nginx.recordings('phoenix').length === 2 && nginx.recordingDone(nginx.recordings('phoenix')[1]), 10_000, 'the second recording closed by nginx');
      const second = nginx.recordings('phoenix')[1];
      const tags = await readTags(second);
      const video = tags.filter((t) => t.type === FlvTagType.Video);
      expect(isSequenceHeader(video[0])).toBe(true); // headers are resent on the new connection
      expect(isVideoKeyframe(video[1])).toBe(true);
      const ts = tags.filter((t) => t.type !== FlvTagType.Script).map((t) => t.timestamp);
      expect(ts[0]).toBe(0);
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1]);
      expect(await decodeErrors(second)).toBe('');
      const streams = await ffprobeStreams(second, true);
      expect(Number(streams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBeGreaterThan(20);
    });

    it('with restore off, a lost push ends with a clear reason', async () => {
      const pusher = pusherOf({ file: source, loop: true, durationMs: 60_000, publisher: publisherOptions(`${nginx.url()}/mortal`) });
      const states = collectPushStates(pusher.push);
      const running = pusher.run();
      await waitUntil(() => pusher.push.state === 'PUBLISHING', 5000, 'publishing');
      await nginx.restartServer();
      await waitUntil(() => pusher.push.state === 'FAILED', 5000, 'failed');
      await running;
      await pusher.stop();
      expect(states.at(-1)![1]).toMatch(/^(the RTMP server closed the connection|the connection to the RTMP server was lost)$/);
      expect(states.some(([s]) => s === 'RESTORING')).toBe(false);
    });
  });

  it('a server that stops reading makes it drop video up to a keyframe, never audio, with memory bounded', async () => {
    const pusher = pusherOf({
      file: source,
      loop: true,
      durationMs: 60_000,
      speed: 16, // 16x real time fills the buffers quickly
      publisher: publisherOptions(`${nginx.url()}/stalled`, { maxQueueBytes: 256 * 1024, socketHighWaterBytes: 64 * 1024 }),
    });
    let keyframeRequests = 0;
    pusher.push.on('needKeyframe', () => keyframeRequests++);
    const running = pusher.run();
    await waitUntil(() => pusher.push.state === 'PUBLISHING', 5000, 'publishing');
    const requestsAtStart = keyframeRequests;
    const audioDroppedAtStart = pusher.push.toJSON().audioFramesDropped;
    nginx.freeze();
    try {
      await waitUntil(() => pusher.push.toJSON().videoFramesDropped > 30, 20_000, 'dropped frames');
    } finally {
      nginx.thaw();
    }
    const stats = pusher.push.toJSON();
    expect(stats.queuedBytes).toBeLessThanOrEqual(2 * 256 * 1024);
    expect(stats.audioFramesDropped).toBe(audioDroppedAtStart);
    expect(keyframeRequests).toBeGreaterThan(requestsAtStart);
    await pusher.stop();
    await running;
  });

  it('frozen for 10 s at a camera bitrate: non-key video dropped, no audio, and after the thaw it resumes at a keyframe near live', async () => {
    const p = publisher(publisherOptions(`${nginx.url()}/frozen`));
    let keyframeRequests = 0;
    p.on('needKeyframe', () => keyframeRequests++);
    await p.start();
    const feed = feedInRealTime(p, await readTags(source)); // ~1 Mbit/s, speed 1
    // nginx acknowledges by the window we announce: the push knows how far behind it is.
    await waitUntil(() => p.toJSON().serverLagMs !== undefined && p.toJSON().videoFramesSent >= 60, 10_000, '2 s sent and acknowledged');
    const before = p.toJSON();
    const requestsBefore = keyframeRequests;

    nginx.freeze();
    const frozenAt = performance.now();
    let maxLagMs = 0;
    try {
      // The freeze lasts 10 s; meanwhile audio is never dropped.
      await waitFor(
        () => {
          const s = p.toJSON();
          maxLagMs = Math.max(maxLagMs, s.serverLagMs ?? 0);
          expect(s.audioFramesDropped).toBe(before.audioFramesDropped); // (audio before the first keyframe is never sent)
          return performance.now() - frozenAt >= 10_000;
        },
        { what: 'the end of the 10 s freeze', timeoutMs: 15_000, intervalMs: 100 },
      );
    } finally {
      nginx.thaw();
    }
    const thawedAt = performance.now();
    const frozen = p.toJSON();
    expect(frozen.state).toBe('publishing'); // ridden out, not taken for a loss
    expect(frozen.lagHolds).toBeGreaterThanOrEqual(1);
    expect(frozen.videoFramesDropped).toBeGreaterThan(before.videoFramesDropped);
    expect(frozen.audioFramesDropped).toBe(before.audioFramesDropped);
    expect(keyframeRequests).toBeGreaterThan(requestsBefore);

    // The server reads again: the lag measured from its acknowledgements falls back under the bound.
    await waitUntil(() => (p.toJSON().serverLagMs ?? Infinity) <= DEFAULT_MAX_LAG_MS, 10_000, 'the lag back under the bound');
    const recoveredMs = performance.now() - thawedAt;
    const bytesToRecover = p.toJSON().bytesSent - frozen.bytesSent;
    const sentAtRecovery = p.toJSON().videoFramesSent;
    const lagsAfter: number[] = [];
    await waitFor(
      () => {
        const s = p.toJSON();
        lagsAfter.push(s.serverLagMs ?? -1);
        return s.videoFramesSent >= sentAtRecovery + 60;
      },
      { what: '2 s of live video after the thaw', timeoutMs: 10_000, intervalMs: 100 },
    );
    feed.stop();
    await feed.done;
    const end = p.toJSON();
    await p.close();
    console.log(
      `freeze 10 s at ${before.bitrateKbps} kbit/s: lag at most ${maxLagMs} ms during the freeze; after the thaw under ${DEFAULT_MAX_LAG_MS} ms ` +
        `in ${recoveredMs.toFixed(0)} ms (${bytesToRecover} bytes written meanwhile), then ${Math.min(...lagsAfter)}–${Math.max(...lagsAfter)} ms; ` +
        `video dropped ${end.videoFramesDropped}, holds ${end.lagHolds}, keyframe requests ${keyframeRequests - requestsBefore}`,
    );
    expect(end.serverLagMs).toBeLessThanOrEqual(DEFAULT_MAX_LAG_MS);
    expect(end.audioFramesDropped).toBe(before.audioFramesDropped);

    await waitUntil(() => nginx.recordingsDone('frozen') === 1, 10_000, 'the recording closed by nginx');
    const [file] = nginx.recordings('frozen');
    const recorded = await readTags(file);
    const video = recorded.filter((t) => t.type === FlvTagType.Video && !isSequenceHeader(t));
    // Nothing the server got depends on a dropped frame: after every gap in the video
    // (the hold, and the inter frames dropped until a keyframe) comes a keyframe.
    let gaps = 0;
    for (let i = 1; i < video.length; i++) {
      if (video[i].timestamp - video[i - 1].timestamp <= 50) continue;
      gaps++;
      expect(isVideoKeyframe(video[i])).toBe(true);
    }
    expect(gaps).toBeGreaterThan(0);
    // Audio arrived whole: every frame sent, no hole.
    const audio = recorded.filter((t) => t.type === FlvTagType.Audio && !isSequenceHeader(t));
    expect(audio).toHaveLength(end.audioFramesSent);
    for (let i = 1; i < audio.length; i++) expect(audio[i].timestamp - audio[i - 1].timestamp).toBeLessThan(100);
    expect(await decodeErrors(file)).toBe('');
  });
});
