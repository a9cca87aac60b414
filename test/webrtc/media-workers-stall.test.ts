/**
 * media_workers with a stalled main thread. The service runs in this process, so a
 * synchronous busy loop here is a real stall of its main thread (as a long GC or a
 * blocked event loop would be); the publisher is the load generator in a process of its
 * own, so it keeps sending meanwhile and the worker keeps receiving. The worker must bound
 * what it keeps in flight (publisher-backlog.ts): drops counted in the figures
 * /debug/streams shows, video resuming at a keyframe, order kept, the stream flowing on.
 */
import { silentLogger } from '../../src/log';
import type { PublisherStats } from '../../src/webrtc/publisher';
import { TransponderService } from '../../src/server';
import { MAX_BACKLOG_AUDIO_FRAMES, MAX_BACKLOG_BYTES, type BackloggedPublisherStats } from '../../src/webrtc/worker/publisher-backlog';
import { loopbackSettings } from '../helpers/loopback-settings';
import { endCliRuns, runCli, type CliRun } from '../helpers/run-cli';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

interface Received {
  pts: number;
  keyframe: boolean;
  bytes: number;
}

/** Opus packets of the load generator's source (tools/load-publisher/load-source.ts). */
const AUDIO_PACKET_MS = 20;
/** A gap in video pts this long means frames were not delivered (30 fps: 33 ms apart). */
const VIDEO_GAP_MS = 150;

/** Spins this thread (the service's main thread) for `ms`: nothing else of it runs meanwhile. */
function stallMainThread(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: no event loop turn until the end
  }
}

describe('a stalled main thread with media_workers=1', () => {
  let service: TransponderService | undefined;
  let generator: CliRun | undefined;

  afterEach(async () => {
    await endCliRuns();
    generator = undefined;
    await service?.stop();
    service = undefined;
  });

  it('the worker drops video up to a keyframe and audio beyond its bound, counts it, and the stream flows on in order', async () => {
    const s = new TransponderService(await loopbackSettings({ mediaWorkers: 1 }), silentLogger);
    service = s;
    const addresses = await s.start();
    const video: Received[] = [];
    const audio: Received[] = [];
    s.registry.once('publish', (p) => {
      p.on('video', (f) => video.push({ pts: f.pts, keyframe: f.keyframe, bytes: f.nalUnits.reduce((n, u) => n + u.byteLength, 0) }));
      p.on('audio', (f) => audio.push({ pts: f.pts, keyframe: false, bytes: f.opus.byteLength }));
    });
    generator = runCli('tools/load-publisher.ts', ['--url', `ws://127.0.0.1:${addresses.ws}`, '--streams', '1', '--duration', '600', '--prefix', 'stall-', '--quiet']);
    const run = generator;
    const keyframes = (list: Received[]): number => list.filter((f) => f.keyframe).length;
    await waitFor(() => keyframes(video) >= 2 && audio.length >= 100, {
      timeoutMs: 60_000,
      what: 'two keyframes and 100 audio frames from the generator',
      seen: () => `${video.length} video, ${audio.length} audio; generator: ${run.output().slice(-300)}`,
    });
    const stats = (): BackloggedPublisherStats => s.registry.describe()[0] as PublisherStats as BackloggedPublisherStats;
    // Without a stall nothing is dropped (the figures carry the counters, at 0).
    await waitFor(() => stats().video?.framesDroppedBackpressure !== undefined, { what: 'the backlog counters in the pushed figures', seen: () => JSON.stringify(stats()) });
    expect(stats()).toMatchObject({ video: { framesDroppedBackpressure: 0 }, audio: { framesDroppedBackpressure: 0 }, rtpPacketsDroppedBackpressure: 0 });

    // Long enough for twice what fills either bound, from the stream's own rate so far.
    const spanMs = video.at(-1)!.pts - video[0]!.pts;
    const videoBytesPerMs = video.reduce((n, f) => n + f.bytes, 0) / spanMs;
    const stallMs = Math.min(20_000, Math.max(2 * MAX_BACKLOG_BYTES / videoBytesPerMs, 2 * MAX_BACKLOG_AUDIO_FRAMES * AUDIO_PACKET_MS));
    const beforeVideo = video.length;
    const beforeAudio = audio.length;
    const stallStartPts = Math.max(video.at(-1)!.pts, audio.at(-1)!.pts);
    stallMainThread(stallMs);

    // Counted, in the figures /debug/streams shows; the stream resumes at a keyframe and flows on.
    await waitFor(() => (stats().video?.framesDroppedBackpressure ?? 0) > 0 && (stats().audio?.framesDroppedBackpressure ?? 0) > 0, {
      timeoutMs: 30_000,
      what: 'video and audio drops counted',
      seen: () => JSON.stringify(stats()),
    });
    // What the worker received after the stall (media time past its end): a keyframe and a second's frames after it.
    const stallEndPts = stallStartPts + stallMs;
    const after = (): Received[] => video.filter((f) => f.pts > stallEndPts);
    await waitFor(() => {
      const frames = after();
      const keyframe = frames.findIndex((f) => f.keyframe);
      return keyframe >= 0 && frames.length - keyframe > 30;
    }, {
      timeoutMs: 30_000,
      what: 'a keyframe and 30 frames after it, received after the stall',
      seen: () => `${video.length - beforeVideo} video frames since the stall began, ${after().length} after it (${keyframes(after())} keyframes)`,
    });
    expect(stats().state).toBe('flowing');
    expect(run.proc.exitCode).toBeNull();

    // Bounded: what the worker received during the stall (media time well inside it)
    // reached this thread only up to the bounds; the rest was dropped.
    const margin = 500;
    const inStall = (f: Received): boolean => f.pts > stallStartPts + margin && f.pts < stallEndPts - margin;
    const stalledVideo = video.slice(beforeVideo).filter(inStall);
    const stalledAudio = audio.slice(beforeAudio).filter(inStall);
    expect(stalledVideo.reduce((n, f) => n + f.bytes, 0)).toBeLessThanOrEqual(MAX_BACKLOG_BYTES);
    expect(stalledAudio.length).toBeLessThanOrEqual(MAX_BACKLOG_AUDIO_FRAMES);
    expect(stalledAudio.length).toBeLessThan((stallMs - 2 * margin) / AUDIO_PACKET_MS);

    // Order: pts never go backwards; after every gap the first video is a keyframe (decodable).
    for (const list of [video, audio]) {
      expect(list.every((f, i) => i === 0 || f.pts >= list[i - 1]!.pts)).toBe(true);
    }
    const afterGaps = video.filter((f, i) => i > 0 && f.pts - video[i - 1]!.pts > VIDEO_GAP_MS);
    expect(afterGaps.length).toBeGreaterThan(0);
    const undecodable = video.flatMap((f, i) => (afterGaps.includes(f) && !f.keyframe ? [`${video[i - 1]!.pts} -> ${f.pts} ms`] : []));
    expect({ undecodable, stall: [stallStartPts, stallEndPts] }).toEqual({ undecodable: [], stall: [stallStartPts, stallEndPts] });
  });
});
