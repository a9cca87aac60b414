/**
 * /metrics of a live relay: a publisher (the WCS-protocol load generator, werift) is
 * relayed by the service to a real nginx-rtmp; the figures /metrics gives lie between
 * what find_all reports just before and just after the scrape, the state is PUBLISHING,
 * and neither the stream key, nor the REST password, nor a token appears in it. REST
 * auth is on: /metrics refuses a request without credentials and takes the metrics token.
 * The access series come from the service's own parts: a WebSocket session over the
 * per-address limit, a wrong REST password and a destination the guard refuses are each
 * counted once.
 * Runs in a private network namespace (npm test); everything is on 127.0.0.1.
 */
import WebSocket from 'ws';
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import type { PublisherStats } from '../../src/webrtc/publisher';
import type { TransponderInfo } from '../../src/transponder/transponder-api';
import { LoadPublisher } from '../../tools/load-publisher';
import { loopbackSettings } from '../helpers/loopback-settings';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { parsePromText, samplesOf, type PromFamily, type PromSample } from '../helpers/prom-text';
import { waitForValue } from '../helpers/wait-for';

jest.setTimeout(120_000);

const STREAM_KEY = 'STREAMKEY-4f1c9a7e';
const REST_USER = 'operator';
const REST_PASSWORD = 'REST-PASSWORD-8d2b';
const REST_TOKEN = 'REST-TOKEN-5e0a';
const METRICS_TOKEN = 'METRICS-TOKEN-91c3';
const STREAM = 'metrics-cam1';
const BASIC = `Basic ${Buffer.from(`${REST_USER}:${REST_PASSWORD}`).toString('base64')}`;

let nginx: NginxRtmp;
let service: TransponderService;
let settings: Settings;
let generator: LoadPublisher;
const sockets: WebSocket[] = [];

async function http(path: string, init: { method?: string; authorization?: string; body?: unknown } = {}): Promise<{ status: number; text: string; contentType: string | null }> {
  const headers: Record<string, string> = {};
  if (init.authorization) headers.authorization = init.authorization;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${settings.httpPort}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') };
}

async function findAll(): Promise<TransponderInfo[]> {
  const r = await http('/rest-api/push/find_all', { method: 'POST', authorization: BASIC, body: {} });
  return r.status === 200 ? (JSON.parse(r.text) as TransponderInfo[]) : [];
}

async function publisherStats(): Promise<PublisherStats> {
  const r = await http('/debug/streams', { authorization: BASIC });
  return (JSON.parse(r.text) as PublisherStats[]).find((p) => p.streamName === STREAM)!;
}

async function metrics(): Promise<{ text: string; families: Map<string, PromFamily> }> {
  const r = await http('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
  expect(r.status).toBe(200);
  return { text: r.text, families: parsePromText(r.text) };
}

function sample(f: Map<string, PromFamily>, name: string, labels: Record<string, string>): PromSample | undefined {
  return f.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

beforeAll(async () => {
  nginx = await NginxRtmp.start({ hooks: false });
  settings = await loopbackSettings({
    disableRestAuth: false,
    restAuthUser: REST_USER,
    restAuthPassword: REST_PASSWORD,
    restAuthToken: REST_TOKEN,
    metricsToken: METRICS_TOKEN,
    // The load generator's session and one of the test's: a second one of the test's is refused.
    wsMaxSessionsPerIp: 2,
  });
  service = new TransponderService(settings, silentLogger);
  await service.start();
  generator = new LoadPublisher({ url: `ws://127.0.0.1:${settings.wsPort}`, streams: 1, namePrefix: 'metrics-cam' });
  await generator.start();
});

afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate();
});

afterAll(async () => {
  generator?.close('test over');
  await service?.stop();
  await nginx?.stop();
});

test('without credentials /metrics answers 401; with the metrics token or the REST credentials, 200 in the text format', async () => {
  expect((await http('/metrics')).status).toBe(401);
  expect((await http('/metrics', { authorization: 'Bearer wrong-token' })).status).toBe(401);
  const withToken = await http('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
  expect([withToken.status, withToken.contentType]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
  expect((await http('/metrics', { authorization: BASIC })).status).toBe(200);
  expect((await http('/metrics', { authorization: `Bearer ${REST_TOKEN}` })).status).toBe(200);
});

test('a live relay: /metrics figures lie between find_all before and after, PUBLISHING, and no secret anywhere', async () => {
  const started = await http('/rest-api/push/startup', {
    method: 'POST',
    authorization: BASIC,
    body: { streamName: STREAM, rtmpUrl: `${nginx.url('live')}/${STREAM_KEY}`, rtmpTransponderFullUrl: true },
  });
  expect(started.status).toBe(200);
  const id = (JSON.parse(started.text) as TransponderInfo).mediaSessionId;
  await waitForValue(async () => {
    const t = (await findAll()).find((x) => x.mediaSessionId === id);
    return t?.status === 'PUBLISHING' && t.stats.bytesSent > 200_000 && t.stats.framesSent > 100 ? t : undefined;
  }, { what: 'the relay PUBLISHING with 200 KB sent', timeoutMs: 30_000, intervalMs: 200 });

  const before = (await findAll()).find((x) => x.mediaSessionId === id)!;
  const publisherBefore = await publisherStats();
  const { text, families } = await metrics();
  const after = (await findAll()).find((x) => x.mediaSessionId === id)!;
  const publisherAfter = await publisherStats();

  const labels = { media_session_id: id, stream: STREAM, dest_host: '127.0.0.1', dest_app: 'live' };
  expect(sample(families, 'rtmp_transponder_push_state', { media_session_id: id })).toEqual({
    name: 'rtmp_transponder_push_state', labels: { ...labels, state: 'PUBLISHING' }, value: 1,
  });
  const between = (name: string, low: number, high: number): void => {
    const v = sample(families, name, labels)?.value;
    expect([name, v !== undefined && v >= low && v <= high]).toEqual([name, true]);
  };
  between('rtmp_transponder_push_sent_bytes_total', before.stats.bytesSent, after.stats.bytesSent);
  between('rtmp_transponder_push_sent_frames_total', before.stats.framesSent, after.stats.framesSent);
  between('rtmp_transponder_push_restores_total', before.stats.restores, after.stats.restores);
  expect(before.stats.bytesSent).toBeGreaterThan(200_000);

  const video = { stream: STREAM, kind: 'video', direction: 'incoming' };
  const packets = sample(families, 'rtmp_transponder_publisher_packets_total', video)?.value ?? -1;
  expect(packets).toBeGreaterThanOrEqual(publisherBefore.video!.packets);
  expect(packets).toBeLessThanOrEqual(publisherAfter.video!.packets);
  expect(sample(families, 'rtmp_transponder_publisher_pli_total', { stream: STREAM, direction: 'outgoing' })?.value).toBeGreaterThanOrEqual(1);

  expect(sample(families, 'rtmp_transponder_transponders', { state: 'PUBLISHING' })?.value).toBe(1);
  expect(sample(families, 'rtmp_transponder_publishers', {})?.value).toBe(1);
  expect(sample(families, 'rtmp_transponder_signaling_sessions', {})?.value).toBe(1);
  expect(sample(families, 'rtmp_transponder_ffmpeg_processes', {})?.value).toBeGreaterThanOrEqual(1);
  expect(sample(families, 'rtmp_transponder_transponders_started_total', {})?.value).toBe(1);
  expect(families.has('process_resident_memory_bytes')).toBe(true);

  const allLabelValues = samplesOf(families).flatMap((s) => Object.values(s.labels));
  expect(allLabelValues.filter((v) => v.includes('STREAMKEY'))).toEqual([]);
  for (const secret of [STREAM_KEY, REST_PASSWORD, REST_TOKEN, METRICS_TOKEN]) expect([secret, text.includes(secret)]).toEqual([secret, false]);

  // Ended: TERMINATED until find_all forgets it, counted in ended_total.
  expect((await http('/rest-api/push/terminate', { method: 'POST', authorization: BASIC, body: { mediaSessionId: id } })).status).toBe(200);
  const ended = (await metrics()).families;
  expect(sample(ended, 'rtmp_transponder_push_state', { media_session_id: id })?.labels.state).toBe('TERMINATED');
  expect(sample(ended, 'rtmp_transponder_transponders_ended_total', { state: 'TERMINATED' })?.value).toBe(1);
});

/** A bare WebSocket session; resolves with the close code when the server closes it, or 'open' once open. */
function openSession(): Promise<{ ws: WebSocket; outcome: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${settings.wsPort}`);
  sockets.push(ws);
  const outcome = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, outcome }));
    ws.once('error', reject);
  });
}

test('the access series count what the service\'s parts refused: a session over the limit, a wrong password, a guarded destination', async () => {
  const before = (await metrics()).families;
  const value = (f: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}) => sample(f, name, labels)?.value ?? 0;
  expect(sample(before, 'rtmp_transponder_service_state', { state: 'serving' })?.value).toBe(1);
  expect(before.get('rtmp_transponder_signaling_refusals_total')?.samples.map((s) => s.labels.kind).sort()).toEqual(['messageRate', 'sessionsPerAddress', 'streamsPerSession', 'streamsTotal']);

  // The generator holds one session from 127.0.0.1: one more is allowed, the next refused.
  await openSession();
  const over = await openSession();
  expect(await over.outcome).toBe(1008);
  expect((await http('/rest-api/push/find_all', { method: 'POST', authorization: `Basic ${Buffer.from(`${REST_USER}:guess`).toString('base64')}`, body: {} })).status).toBe(401);
  const refused = await http('/rest-api/push/startup', {
    method: 'POST',
    authorization: BASIC,
    body: { streamName: STREAM, rtmpUrl: `rtmp://169.254.169.254/live/${STREAM_KEY}` },
  });
  expect(refused.status).toBe(400);

  const after = (await metrics()).families;
  const increase = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);
  expect(increase('rtmp_transponder_signaling_refusals_total', { kind: 'sessionsPerAddress' })).toBe(1);
  expect(increase('rtmp_transponder_signaling_refusals_total', { kind: 'messageRate' })).toBe(0);
  expect(increase('rtmp_transponder_rest_auth_failures_total')).toBe(1);
  expect(value(after, 'rtmp_transponder_rest_auth_tracked_addresses')).toBe(1);
  expect(increase('rtmp_transponder_destination_refusals_total', { rule: 'link-local-metadata' })).toBe(1);
  expect(increase('rtmp_transponder_transponder_refusals_total', { code: 'DESTINATION_REFUSED' })).toBe(1);
  // No hook backend and no player here: the series are there, at 0.
  expect([value(after, 'rtmp_transponder_hook_events_delivered_total'), value(after, 'rtmp_transponder_hook_calls_in_flight')]).toEqual([0, 0]);
  expect([value(after, 'rtmp_transponder_players'), after.get('rtmp_transponder_stream_players')?.samples]).toEqual([0, []]);
});
