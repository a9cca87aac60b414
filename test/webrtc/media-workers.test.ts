/**
 * media_workers: the receive side of publishers runs in worker threads. A generated
 * publisher (the load generator, publishing as the WebSDK does) reaches PUBLISHING, its
 * frames come out of the RemotePublisher in order and whole, its figures are read
 * synchronously; a worker that dies fails its publishes clearly and is replaced; the
 * service's stop ends every thread.
 */
import { silentLogger } from '../../src/log';
import type { VideoFrame } from '../../src/media/frames';
import { TransponderService } from '../../src/server';
import { defaultPublisherOptions } from '../../src/webrtc/publisher-options';
import { MediaWorkerPool, RemotePublisher } from '../../src/webrtc/worker';
import { LoadPublisher } from '../../tools/load-publisher';
import { loopbackSettings } from '../helpers/loopback-settings';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(60_000);

describe('publishers received in worker threads (media_workers=1)', () => {
  let service: TransponderService | undefined;
  const generators: LoadPublisher[] = [];
  const pools: MediaWorkerPool[] = [];

  afterEach(async () => {
    for (const g of generators.splice(0)) g.close('test over');
    for (const p of pools.splice(0)) await p.close('test over');
    await service?.stop();
    service = undefined;
  });

  async function start(workers: number): Promise<{ ws: string; service: TransponderService }> {
    const s = new TransponderService(await loopbackSettings({ mediaWorkers: workers }), silentLogger);
    service = s;
    const addresses = await s.start();
    return { ws: `ws://127.0.0.1:${addresses.ws}`, service: s };
  }

  async function publish(ws: string, prefix: string, streams = 1): Promise<LoadPublisher> {
    const generator = new LoadPublisher({ url: ws, streams, namePrefix: prefix });
    generators.push(generator);
    await generator.start();
    return generator;
  }

  it('the service starts (and says ready) only once every worker has loaded and warmed up', async () => {
    const { service } = await start(2);
    const workers = service.mediaWorkers!.workers;
    expect(workers.map((w) => w.isReady)).toEqual([true, true]);
    expect(service.state).toBe('serving');
  });

  it('a worker that exits before it is ready fails the pool\'s start and is not replaced', async () => {
    const pool = new MediaWorkerPool(1, silentLogger);
    pools.push(pool);
    const [worker] = pool.workers;
    const exited = worker!.terminate();
    await expect(pool.ready()).rejects.toThrow(/^media worker stopped \(exit code \d+\) before it was ready$/);
    await exited;
    expect(worker!.isReady).toBe(false);
    expect(pool.workers).toEqual([]);
    await expect(pool.create({ streamName: 'x', offerSdp: '', options: defaultPublisherOptions, log: silentLogger })).rejects.toThrow('no media worker is running');
  });

  it('a publish reaches PUBLISHING through a RemotePublisher; its frames arrive whole and in order, its figures synchronously', async () => {
    const { ws, service } = await start(1);
    expect(service.mediaWorkers?.workers).toHaveLength(1);
    const frames: VideoFrame[] = [];
    let audio = 0;
    service.registry.once('publish', (p) => {
      p.on('video', (f) => frames.push(f));
      p.on('audio', () => audio++);
    });
    const generator = await publish(ws, 'w-');
    expect(generator.streams.map((s) => s.state)).toEqual(['publishing']);
    const publisher = service.registry.get('w-1');
    expect(publisher).toBeInstanceOf(RemotePublisher);
    expect(publisher?.hasVideo()).toBe(true);
    expect(publisher?.hasAudio()).toBe(true);
    expect(publisher?.codecs.video?.payloadType).toEqual(expect.any(Number));
    await waitFor(() => frames.filter((f) => f.keyframe).length >= 2 && audio > 100, {
      timeoutMs: 30_000,
      what: 'two keyframes and 100 audio frames from the worker',
      seen: () => `${frames.length} video (${frames.filter((f) => f.keyframe).length} keyframes), ${audio} audio`,
    });
    // The first frame is a keyframe with its parameter sets; pts never go backwards.
    expect(frames[0]?.keyframe).toBe(true);
    const types = frames[0]!.nalUnits.map((n) => n[0]! & 0x1f);
    expect(types.slice(0, 2)).toEqual([7, 8]);
    expect(types).toContain(5);
    expect(frames.every((f, i) => i === 0 || f.pts >= frames[i - 1]!.pts)).toBe(true);
    expect(frames.every((f) => f.nalUnits.every((n) => n.length > 0))).toBe(true);
    // The frame counts are those that reached this thread, current at every read (not the last push).
    expect(publisher?.toJSON()).toMatchObject({
      streamName: 'w-1',
      state: 'flowing',
      video: { frames: frames.length, keyframes: frames.filter((f) => f.keyframe).length },
      audio: { frames: audio },
    });
    await waitFor(() => publisher?.toJSON().video?.width !== undefined, { what: 'the pushed figures to carry the picture size', seen: () => JSON.stringify(publisher?.toJSON().video) });
    expect(publisher?.toJSON()).toMatchObject({ video: { width: 1280, height: 720 } });
    // A main thread that keeps up loses nothing to the bound of what is in flight.
    expect(publisher?.toJSON()).toMatchObject({ video: { framesDroppedBackpressure: 0 }, audio: { framesDroppedBackpressure: 0 }, rtpPacketsDroppedBackpressure: 0 });
  });

  it('a worker that dies fails its publishes with the reason, is replaced, and new publishes work', async () => {
    const { ws, service } = await start(1);
    const generator = await publish(ws, 'dies-', 2);
    const pool = service.mediaWorkers!;
    const [worker] = pool.workers;
    expect(worker?.load).toBe(2);
    const publisher = service.registry.get('dies-1')!;
    const closed = new Promise<string>((resolve) => publisher.once('close', resolve));
    await worker!.terminate();
    expect(await closed).toMatch(/^media worker stopped \(exit code 1\)/);
    expect(publisher.closed).toBe(true);
    await publisher.drained;
    // The signaling tells the page: FAILED, with the reason as its info.
    await waitFor(() => generator.streams.every((s) => s.closed), { what: 'both generated streams to be failed by the server', seen: () => generator.streams.map((s) => s.state).join() });
    expect(generator.streams.map((s) => s.toJSON().closeReason)).toEqual([
      expect.stringMatching(/^server: FAILED media worker stopped/),
      expect.stringMatching(/^server: FAILED media worker stopped/),
    ]);
    expect(service.registry.list()).toEqual([]);
    // Replaced: one worker again, a new one, and it takes a new publish.
    await waitFor(() => pool.workers.length === 1 && pool.workers[0] !== worker, { what: 'a new worker' });
    await publish(ws, 'after-');
    expect(service.registry.get('after-1')?.state).toBe('flowing');
    expect(pool.workers[0]?.load).toBe(1);
  });

  it('each worker reports its publishers and its event loop to /metrics, labelled by its place, which a replacement keeps', async () => {
    const { ws, service } = await start(2);
    const pool = service.mediaWorkers!;
    await publish(ws, 'loop-', 2);
    expect(pool.workers.map((w) => w.load)).toEqual([1, 1]);
    const value = (text: string, name: string, worker: number): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`rtmp_transponder_${name}{worker="${worker}"} `));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    };
    const places = (text: string): string[] => [...new Set([...text.matchAll(/^rtmp_transponder_media_worker_\w+\{worker="(\d+)"\}/gm)].map((m) => m[1]!))].sort();
    let text = '';
    // A worker receiving a stream is busy some of the time: its first report after the publish says so.
    await waitFor(async () => {
      text = await service.metrics.scrape();
      return [0, 1].every((w) => (value(text, 'media_worker_event_loop_utilization', w) ?? 0) > 0);
    }, { what: 'both workers to report a busy event loop', seen: () => text.split('\n').filter((l) => l.includes('media_worker')).join('; ') });
    for (const w of [0, 1]) {
      expect(value(text, 'media_worker_publishers', w)).toBe(1);
      expect(value(text, 'media_worker_event_loop_utilization', w)).toBeLessThanOrEqual(1);
      expect(value(text, 'media_worker_event_loop_lag_p99_seconds', w)).toBeGreaterThanOrEqual(0);
      expect(value(text, 'media_worker_event_loop_lag_max_seconds', w)).toBeGreaterThanOrEqual(value(text, 'media_worker_event_loop_lag_p99_seconds', w)!);
    }
    expect(places(text)).toEqual(['0', '1']);
    // Worker 0 dies: its successor reports as worker 0, holding nothing; no third place appears.
    const [first, second] = pool.workers;
    await first!.terminate();
    await waitFor(() => pool.workers.length === 2 && !pool.workers.includes(first!) && pool.workers.every((w) => w.loop !== undefined), { what: 'a replacement that has reported' });
    text = await service.metrics.scrape();
    expect(places(text)).toEqual(['0', '1']);
    expect(value(text, 'media_worker_publishers', 0)).toBe(0);
    expect(value(text, 'media_worker_publishers', 1)).toBe(second!.load);
  });

  it('publishes go to the least loaded worker, and the service stop ends every thread', async () => {
    const { ws, service } = await start(2);
    const pool = service.mediaWorkers!;
    await publish(ws, 'spread-', 4);
    expect(pool.workers.map((w) => w.load)).toEqual([2, 2]);
    const workers = pool.workers;
    await service.stop();
    expect(workers.map((w) => w.exited)).toEqual([true, true]);
    expect(pool.workers).toEqual([]);
    expect(service.registry.list()).toEqual([]);
  });
});
