/**
 * /rest-api/stream/* against the real service: publishers (the WCS-protocol load
 * generator, werift) publish over the WebSocket, one is relayed to an RTMP server; find
 * and find_all filter them as WCS does, their metrics agree with /debug/streams, and
 * terminate ends a publish — its page hears UNPUBLISHED "Stopped by rest /terminate", its
 * transponder is TERMINATED — and nothing else. REST auth is on.
 * Runs in a private network namespace (npm test); everything is on 127.0.0.1.
 */
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import type { StreamJson } from '../../src/rest';
import type { TransponderJson } from '../../src/rest/schemas';
import { TransponderService } from '../../src/server';
import type { PublisherStats } from '../../src/webrtc/publisher';
import { LoadPublisher } from '../../tools/load-publisher';
import { loopbackSettings } from '../helpers/loopback-settings';
import { ScriptedRtmpServer } from '../helpers/scripted-rtmp-server';
import { waitFor, waitForValue } from '../helpers/wait-for';

jest.setTimeout(120_000);

const TOKEN = 'REST-TOKEN-stream-7c1d';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let service: TransponderService;
let settings: Settings;
let rtmp: ScriptedRtmpServer;
let generator: LoadPublisher | undefined;
/** Each test publishes names of its own, so nothing it sees is left from another. */
let round = 0;

interface Reply<T> {
  status: number;
  body: T;
}

async function post<T = unknown>(path: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<Reply<T>> {
  const res = await fetch(`http://127.0.0.1:${settings.httpPort}/rest-api${path}`, {
    method: 'POST',
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function debugStreams(): Promise<PublisherStats[]> {
  const res = await fetch(`http://127.0.0.1:${settings.httpPort}/debug/streams`, { headers: AUTH });
  return (await res.json()) as PublisherStats[];
}

async function names(path: string, body?: unknown): Promise<string[] | number> {
  const r = await post<StreamJson[]>(path, body);
  return r.status === 200 ? r.body.map((s) => s.name) : r.status;
}

beforeAll(async () => {
  rtmp = new ScriptedRtmpServer('publish');
  await rtmp.listen();
  settings = await loopbackSettings({ disableRestAuth: false, restAuthToken: TOKEN });
  service = new TransponderService(settings, silentLogger);
  await service.start();
});

beforeEach(async () => {
  generator = new LoadPublisher({ url: `ws://127.0.0.1:${settings.wsPort}`, streams: 2, namePrefix: `round${++round}-cam` });
  await generator.start();
});

afterEach(async () => {
  generator?.close('test over');
  generator = undefined;
  // Every publish ends with its page; the next test starts from nothing published.
  await waitFor(() => service.registry.list().length === 0, { what: 'no stream published' });
});

afterAll(async () => {
  await service?.stop();
  await rtmp?.close();
});

test('find and find_all list the published streams, filtered as WCS filters; nothing found is a 404; no credentials is a 401', async () => {
  const [a, b] = generator!.streams.map((s) => s.name);
  const all = await post<StreamJson[]>('/stream/find_all');
  expect(all.status).toBe(200);
  expect(all.body.map((s) => s.name)).toEqual([a, b]);
  expect(all.body[0]).toMatchObject({ published: true, hasVideo: true, hasAudio: true, status: 'PUBLISHING', videoCodec: 'H264', audioCodec: 'opus/48000/2', mediaType: 'publish', mediaProvider: 'WebRTC' });
  expect(all.body[0]).not.toHaveProperty('metrics');
  const idOfB = all.body[1]!.mediaSessionId;

  expect(await names('/stream/find', { name: a })).toEqual([a]);
  expect(await names('/stream/find', { mediaSessionId: idOfB })).toEqual([b]);
  expect(await names('/stream/find', { sessionId: all.body[0]!.sessionId })).toEqual([a]);
  expect(await names('/stream/find', { published: true, status: 'PUBLISHING' })).toEqual([a, b]);
  expect(await names('/stream/find', { name: a, mediaSessionId: idOfB })).toBe(404);
  expect(await names('/stream/find', { published: false })).toBe(404);
  expect(await names('/stream/find', { name: 'nobody' })).toBe(404);
  expect((await post('/stream/find_all', undefined, {})).status).toBe(401);
  expect((await post('/stream/terminate', {}, {})).status).toBe(401);
  expect(service.registry.list()).toHaveLength(2);
});

test('display ["metrics"] gives the WCS metrics, each what /debug/streams shows just before or just after', async () => {
  const name = generator!.streams[0]!.name;
  // The first second of figures: the picture size from the SPS, a frame rate, a bitrate.
  await waitFor(async () => {
    const p = (await debugStreams()).find((s) => s.streamName === name);
    return p?.video?.width !== undefined && p.video.fps > 0 && p.video.bitrateKbps > 0 && (p.audio?.bitrateKbps ?? 0) > 0;
  }, { what: 'measured picture size, frame rate and bitrates', timeoutMs: 20_000, intervalMs: 100 });

  const before = (await debugStreams()).find((s) => s.streamName === name)!;
  const found = await post<StreamJson[]>('/stream/find', { name, display: ['metrics'] });
  const after = (await debugStreams()).find((s) => s.streamName === name)!;
  expect(found.status).toBe(200);
  const m = found.body[0]!.metrics!;
  const v = { before: before.video!, after: after.video! };
  const a = { before: before.audio!, after: after.audio! };

  expect(Object.keys(m).sort()).toEqual(['AUDIO_CODEC', 'AUDIO_LOST', 'AUDIO_RATE', 'VIDEO_CODEC', 'VIDEO_FPS', 'VIDEO_HEIGHT', 'VIDEO_K_FRAMES', 'VIDEO_LOST', 'VIDEO_NACK', 'VIDEO_PLI', 'VIDEO_RATE', 'VIDEO_WIDTH']);
  // The load source is 1280x720 (tools/load-publisher/load-source.ts).
  expect([m.VIDEO_WIDTH, m.VIDEO_HEIGHT]).toEqual([1280, 720]);
  expect([found.body[0]!.width, found.body[0]!.height]).toEqual([1280, 720]);
  expect([m.VIDEO_CODEC, m.AUDIO_CODEC]).toEqual([v.before.payloadType, a.before.payloadType]);
  const between = (metric: string, value: number | undefined, low: number, high: number): void => {
    expect([metric, value !== undefined && value >= low && value <= high]).toEqual([metric, true]);
  };
  between('VIDEO_K_FRAMES', m.VIDEO_K_FRAMES, v.before.keyframes, v.after.keyframes);
  between('VIDEO_NACK', m.VIDEO_NACK, v.before.nacksSent, v.after.nacksSent);
  between('VIDEO_PLI', m.VIDEO_PLI, v.before.plisSent, v.after.plisSent);
  between('VIDEO_LOST', m.VIDEO_LOST, v.before.lost, v.after.lost);
  between('AUDIO_LOST', m.AUDIO_LOST, a.before.lost, a.after.lost);
  expect(m.VIDEO_K_FRAMES).toBeGreaterThan(0);
  // Rates are measured once a second: the answer holds the figure of before or of after.
  expect([v.before.fps, v.after.fps]).toContain(m.VIDEO_FPS);
  expect([v.before.bitrateKbps * 1000, v.after.bitrateKbps * 1000]).toContain(m.VIDEO_RATE);
  expect([a.before.bitrateKbps * 1000, a.after.bitrateKbps * 1000]).toContain(m.AUDIO_RATE);
  expect(m.VIDEO_FPS).toBeGreaterThan(0);
});

test('terminate ends that publish only: its page hears UNPUBLISHED "Stopped by rest /terminate", its transponder is TERMINATED', async () => {
  const [gone, stays] = generator!.streams;
  const relays = new Map<string, TransponderJson>();
  for (const s of [gone!, stays!]) {
    const r = await post<TransponderJson>('/push/startup', { streamName: s.name, rtmpUrl: rtmp.url('live'), rtmpTransponderFullUrl: false });
    expect(r.status).toBe(200);
    relays.set(s.name, r.body);
  }
  const transponder = async (name: string): Promise<TransponderJson | undefined> =>
    (await post<TransponderJson[]>('/push/find', { streamName: name })).body.find((t) => t.mediaSessionId === relays.get(name)!.mediaSessionId);
  for (const s of [gone!, stays!]) {
    await waitForValue(async () => (await transponder(s.name))?.status === 'PUBLISHING', { what: `the relay of ${s.name} PUBLISHING`, timeoutMs: 30_000, intervalMs: 100 });
  }
  const id = (await post<StreamJson[]>('/stream/find', { name: gone!.name })).body[0]!.mediaSessionId;

  const res = await post('/stream/terminate', { mediaSessionId: id });
  expect([res.status, res.body]).toEqual([200, undefined]);

  // Ended by the time the answer came: not listed, the relay TERMINATED with the reason.
  expect(await names('/stream/find', { name: gone!.name })).toBe(404);
  expect(service.registry.get(gone!.name)).toBeUndefined();
  expect(await transponder(gone!.name)).toMatchObject({ status: 'TERMINATED', reason: expect.stringContaining('terminated by REST /stream/terminate') });
  // The page is told as WCS tells it (the load stream closes on the status it hears).
  await waitFor(() => gone!.closed, { what: 'the page to hear its stream end' });
  expect(gone!.toJSON().closeReason).toBe('server: UNPUBLISHED Stopped by rest /terminate');

  // The other stream and its relay go on.
  expect(stays!.state).toBe('publishing');
  expect(await names('/stream/find_all')).toEqual([stays!.name]);
  expect((await transponder(stays!.name))?.status).toBe('PUBLISHING');

  // Once ended, it is not found any more.
  expect((await post('/stream/terminate', { mediaSessionId: id })).status).toBe(404);
  await post('/push/terminate', { mediaSessionId: relays.get(stays!.name)!.mediaSessionId });
});

test('terminate with a filter that matches several ends them all; a bad body is our 400 naming the field and ends nothing', async () => {
  const bad = await post<{ code: string; field?: string }>('/stream/terminate', { mediaSessionIds: 'all' });
  expect(bad.status).toBe(400);
  expect(bad.body).toMatchObject({ code: 'INVALID_PARAMETER', field: 'mediaSessionIds' });
  const badFind = await post<{ code: string; field?: string }>('/stream/find', { published: 'true' });
  expect([badFind.status, badFind.body.field]).toEqual([400, 'published']);
  expect(service.registry.list()).toHaveLength(2);

  const res = await post('/stream/terminate', { published: true, status: 'PUBLISHING' });
  expect(res.status).toBe(200);
  expect(service.registry.list()).toEqual([]);
  expect(await names('/stream/find_all')).toBe(404);
  await waitFor(() => generator!.streams.every((s) => s.closed), { what: 'both pages to hear their streams end' });
  expect(generator!.streams.map((s) => s.toJSON().closeReason)).toEqual(['server: UNPUBLISHED Stopped by rest /terminate', 'server: UNPUBLISHED Stopped by rest /terminate']);
});
