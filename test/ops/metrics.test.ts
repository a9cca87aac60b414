/**
 * The service's metrics on fakes: what each series says and with which labels, that
 * the series of an object that has gone disappear with it, that no label carries a
 * stream key or a password, and who may read GET /metrics.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRestServer } from '../../src/rest';
import { destinationLabels } from '../../src/ops/metrics-destination';
import { MetricsAuthenticator } from '../../src/ops/metrics-auth';
import { RestAuthenticator, type RestAuthOptions } from '../../src/rest/auth';
import { AuthFailureLimiter } from '../../src/rest/auth-failure-limiter';
import { ServiceMetrics, type MetricsSources } from '../../src/ops/metrics';
import type { AuthFailureFigures, HookFigures } from '../../src/ops/metrics-access-series';
import type { ServiceState } from '../../src/service-health';
import type { RefusalCounts } from '../../src/signaling/signaling-refusals';
import { registerMetricsRoute } from '../../src/ops/metrics-route';
import type { TransponderManagerEvents } from '../../src/transponder/transponder-manager';
import type { TransponderInfo, TransponderState, TransponderStats } from '../../src/transponder/transponder-api';
import type { PublisherStats } from '../../src/webrtc/publisher';
import type { MediaWorkerFigures } from '../../src/webrtc/worker';
import { TypedEmitter } from '../../src/util/typed-emitter';
import { FakeTransponderApi, RecordingLogger, inject } from '../rest/fake-transponder-api';
import { parsePromText, samplesOf, type PromFamily, type PromSample } from '../helpers/prom-text';

class FakeTransponders extends TypedEmitter<TransponderManagerEvents> {
  list: TransponderInfo[] = [];
  findAll(): TransponderInfo[] {
    return this.list;
  }
  tell<K extends keyof TransponderManagerEvents>(event: K, ...args: TransponderManagerEvents[K]): void {
    this.emit(event, ...args);
  }
}

class FakePublishers extends TypedEmitter<{ publish: [] }> {
  list_: PublisherStats[] = [];
  list(): Array<{ toJSON(): PublisherStats }> {
    return this.list_.map((s) => ({ toJSON: () => s }));
  }
  tellPublish(): void {
    this.emit('publish');
  }
}

class FakePlayers {
  viewerCount = 0;
  streams: string[] = [];
  list(): Array<{ toJSON(): { streamName: string } }> {
    return this.streams.map((streamName) => ({ toJSON: () => ({ streamName }) }));
  }
}

/** The figures of the other parts, as plain objects a test changes between scrapes. */
class FakeParts {
  state: ServiceState = 'serving';
  refusals: RefusalCounts = { sessionsPerAddress: 0, messageRate: 0, streamsPerSession: 0, streamsTotal: 0 };
  auth: AuthFailureFigures = { failures: 0, refused: 0, evictions: 0, trackedAddresses: 0 };
  hooks: HookFigures = { queued: 0, delivered: 0, retried: 0, dropped: 0, inFlight: 0, waiting: 0 };
  /** media_workers=2: worker 1 has not reported its event loop yet */
  workers: MediaWorkerFigures[] = [
    { worker: 0, publishers: 3, loop: { utilization: 0.25, lagP99Seconds: 0.012, lagMaxSeconds: 0.04 } },
    { worker: 1, publishers: 0 },
  ];
  aacHost = { channels: 4, restarts: 0, failed: false };
}

/** Idle sources (nothing running), with the given transponders, publishers, players and parts. */
function sourcesOf(t = new FakeTransponders(), p = new FakePublishers(), pl = new FakePlayers(), parts = new FakeParts()): MetricsSources {
  return {
    transponders: t,
    publishers: p,
    players: pl,
    signalingSessions: () => sessions,
    ffmpegProcesses: () => 7,
    serviceState: () => parts.state,
    access: { signalingRefusals: () => parts.refusals, authFailures: () => parts.auth, hooks: () => parts.hooks },
    mediaWorkers: () => parts.workers,
    aacHost: () => parts.aacHost,
  };
}

function stats(over: Partial<TransponderStats> = {}): TransponderStats {
  return {
    bytesSent: 0, bitrateKbps: 0, framesSent: 0, videoFramesSent: 0, framesDropped: 0, videoFramesDropped: 0, audioFramesDropped: 0,
    queuedBytes: 0, lagHolds: 0, restoreAttempts: 0, restores: 0, bufferMs: 0, ...over,
  };
}

function transponder(id: string, status: TransponderState, rtmpUrl: string, over: Partial<TransponderStats> = {}): TransponderInfo {
  return {
    mediaSessionId: id, streamName: 'rtmp_cam1', sourceStreamName: 'cam1', rtmpUrl, width: 640, height: 360,
    muted: false, soundEnabled: false, options: {}, status, transcoding: false, stats: stats(over), createdAt: 0,
  };
}

function publisher(name: string): PublisherStats {
  const track = { packets: 0, bytes: 0, lost: 0, paddingPackets: 0, frames: 0, bitrateKbps: 0 };
  return {
    streamName: name, state: 'flowing', bitrateLimitKbps: { min: 1, start: 1, max: 1 },
    video: { ...track, packets: 900, bytes: 800_000, lost: 3, payloadType: 102, codec: 'h264', profileLevelId: '42e01f', keyframes: 2, nacksSent: 3, keyframeRequests: 4, plisSent: 3, firsSent: 1, unrecoveredLosses: 0, framesDroppedUntilKeyframe: 0, fps: 0 },
    audio: { ...track, packets: 500, bytes: 40_000, lost: 1, payloadType: 111 },
  };
}

let transponders: FakeTransponders;
let publishers: FakePublishers;
let players: FakePlayers;
let parts: FakeParts;
let metrics: ServiceMetrics;
let sessions = 0;

async function scrape(): Promise<Map<string, PromFamily>> {
  return parsePromText(await metrics.scrape());
}

function one(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): PromSample | undefined {
  return families.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

beforeEach(() => {
  transponders = new FakeTransponders();
  publishers = new FakePublishers();
  players = new FakePlayers();
  parts = new FakeParts();
  sessions = 0;
  metrics = new ServiceMetrics(
    sourcesOf(transponders, publishers, players, parts),
    { build: { version: '9.8.7', nodeVersion: '20.1.2' }, processMetrics: false },
  );
});

afterEach(() => {
  metrics.close();
});

describe('destination labels', () => {
  test.each([
    ['rtmp://a.rtmp.youtube.com/live2/KEY-abcd-1234', 'a.rtmp.youtube.com', 'live2'],
    ['rtmps://user:pa55word@Live-API-S.Facebook.com:443/rtmp/FB-123?s_bl=1&s_sw=0', 'live-api-s.facebook.com', 'rtmp'],
    ['rtmp://127.0.0.1:1935/live/?user1&pass1', '127.0.0.1', 'live'],
    ['rtmp://[::1]:1936/app/inst/KEY', '::1', 'app'],
    ['rtmp://host/app?token=SECRET', 'host', 'app'],
  ])('%s → host %s, app %s', (url, host, app) => {
    expect(destinationLabels(url)).toEqual({ dest_host: host, dest_app: app });
  });

  test('a URL that cannot be read gives empty labels, never a piece of it', () => {
    expect(destinationLabels('ftp://user:pw@host/app/KEY')).toEqual({ dest_host: '', dest_app: '' });
  });
});

describe('series', () => {
  test('each transponder: its state as a label, its figures, labelled with its stream and destination host and app only', async () => {
    transponders.list = [
      transponder('t1', 'PUBLISHING', 'rtmp://user:pw-SECRET@rtmp.example.com/live/KEY-SECRET?token=TOKEN-SECRET', {
        bytesSent: 123456, framesSent: 900, framesDropped: 4, restores: 2, lagHolds: 1, bufferMs: 1500, queuedBytes: 2048, serverLagMs: 250,
      }),
      transponder('t2', 'RESTORING', 'rtmp://other.example.com/app2/KEY2-SECRET', { restoreAttempts: 3 }),
    ];
    const f = await scrape();
    const t1 = { media_session_id: 't1', stream: 'cam1', dest_host: 'rtmp.example.com', dest_app: 'live' };
    expect(f.get('rtmp_transponder_push_state')?.samples).toEqual([
      { name: 'rtmp_transponder_push_state', labels: { ...t1, state: 'PUBLISHING' }, value: 1 },
      { name: 'rtmp_transponder_push_state', labels: { media_session_id: 't2', stream: 'cam1', dest_host: 'other.example.com', dest_app: 'app2', state: 'RESTORING' }, value: 1 },
    ]);
    const expected: Array<[string, string, number]> = [
      ['rtmp_transponder_push_sent_bytes_total', 'counter', 123456],
      ['rtmp_transponder_push_sent_frames_total', 'counter', 900],
      ['rtmp_transponder_push_dropped_frames_total', 'counter', 4],
      ['rtmp_transponder_push_restores_total', 'counter', 2],
      ['rtmp_transponder_push_lag_holds_total', 'counter', 1],
      ['rtmp_transponder_push_output_buffer_seconds', 'gauge', 1.5],
      ['rtmp_transponder_push_queued_bytes', 'gauge', 2048],
      ['rtmp_transponder_push_server_lag_seconds', 'gauge', 0.25],
      ['rtmp_transponder_push_restore_attempts', 'gauge', 0],
    ];
    for (const [name, type, value] of expected) {
      expect([name, f.get(name)?.type, one(f, name, { media_session_id: 't1' })]).toEqual([name, type, { name, labels: t1, value }]);
    }
    expect(one(f, 'rtmp_transponder_push_restore_attempts', { media_session_id: 't2' })?.value).toBe(3);
    // No acknowledgement from t2's server yet: no lag series rather than a made-up 0.
    expect(one(f, 'rtmp_transponder_push_server_lag_seconds', { media_session_id: 't2' })).toBeUndefined();
    expect(samplesOf(f, 'rtmp_transponder_transponders').filter((s) => s.name === 'rtmp_transponder_transponders').map((s) => [s.labels.state, s.value])).toEqual([
      ['PENDING', 0], ['CONNECTING', 0], ['PUBLISHING', 1], ['RESTORING', 1], ['TERMINATED', 0], ['FAILED', 0],
    ]);
  });

  test('no label value anywhere holds a stream key, a user, a password or a query', async () => {
    transponders.list = [transponder('t1', 'PUBLISHING', 'rtmps://USERNAME:PASSWORD@host.example.com:4443/app/STREAMKEY?QUERYTOKEN=QUERYVALUE')];
    const f = await scrape();
    const values = samplesOf(f).flatMap((s) => Object.values(s.labels)).join('\n');
    for (const secret of ['USERNAME', 'PASSWORD', 'STREAMKEY', 'QUERYTOKEN', 'QUERYVALUE', '4443']) expect(values).not.toContain(secret);
    expect(values).toContain('host.example.com');
  });

  test('the series of a transponder or publisher that has gone disappear at the next scrape', async () => {
    transponders.list = [transponder('t1', 'FAILED', 'rtmp://h/live/k'), transponder('t2', 'PUBLISHING', 'rtmp://h/live/k2')];
    publishers.list_ = [publisher('cam1'), publisher('cam2')];
    const before = samplesOf(await scrape(), 'rtmp_transponder_').length;
    transponders.list = [transponders.list[1]];
    publishers.list_ = [publishers.list_[1]];
    const f = await scrape();
    const ids = new Set(samplesOf(f, 'rtmp_transponder_push_').map((s) => s.labels.media_session_id));
    expect([...ids]).toEqual(['t2']);
    expect(new Set(samplesOf(f, 'rtmp_transponder_publisher_').map((s) => s.labels.stream))).toEqual(new Set(['cam2']));
    // 9 push series left with t1 (no server lag yet) and 9 with cam1 (3 incoming × 2 tracks, 3 feedback)
    expect(samplesOf(f, 'rtmp_transponder_').length).toBe(before - 9 - 9);
  });

  test('each publisher: RTP counters per track, incoming, and the NACK/PLI/FIR it sent, outgoing', async () => {
    publishers.list_ = [publisher('cam1')];
    const f = await scrape();
    const rows = (name: string) => f.get(name)?.samples.map((s) => [s.labels.stream, s.labels.kind, s.labels.direction, s.value]);
    expect(rows('rtmp_transponder_publisher_packets_total')).toEqual([['cam1', 'video', 'incoming', 900], ['cam1', 'audio', 'incoming', 500]]);
    expect(rows('rtmp_transponder_publisher_bytes_total')).toEqual([['cam1', 'video', 'incoming', 800_000], ['cam1', 'audio', 'incoming', 40_000]]);
    expect(rows('rtmp_transponder_publisher_packets_lost_total')).toEqual([['cam1', 'video', 'incoming', 3], ['cam1', 'audio', 'incoming', 1]]);
    expect(rows('rtmp_transponder_publisher_nack_total')).toEqual([['cam1', 'video', 'outgoing', 3]]);
    expect(rows('rtmp_transponder_publisher_pli_total')).toEqual([['cam1', 'video', 'outgoing', 3]]);
    expect(rows('rtmp_transponder_publisher_fir_total')).toEqual([['cam1', 'video', 'outgoing', 1]]);
    expect(one(f, 'rtmp_transponder_publishers')?.value).toBe(1);
  });

  test('service counters survive the objects they count; gauges read sessions, ffmpeg children and the build', async () => {
    const info = transponder('t1', 'PENDING', 'rtmp://h/live/k');
    transponders.tell('started', info);
    transponders.tell('started', info);
    transponders.tell('ended', { ...info, status: 'FAILED' });
    transponders.tell('refused', 'LIMIT_REACHED');
    publishers.tellPublish();
    sessions = 4;
    const f = await scrape();
    expect(one(f, 'rtmp_transponder_transponders_started_total')?.value).toBe(2);
    expect(f.get('rtmp_transponder_transponders_ended_total')?.samples.map((s) => [s.labels.state, s.value])).toEqual([['TERMINATED', 0], ['FAILED', 1]]);
    expect(f.get('rtmp_transponder_transponder_refusals_total')?.samples).toEqual([{ name: 'rtmp_transponder_transponder_refusals_total', labels: { code: 'LIMIT_REACHED' }, value: 1 }]);
    expect(one(f, 'rtmp_transponder_publishes_total')?.value).toBe(1);
    expect(one(f, 'rtmp_transponder_signaling_sessions')?.value).toBe(4);
    expect(one(f, 'rtmp_transponder_ffmpeg_processes')?.value).toBe(7);
    expect(f.get('rtmp_transponder_build_info')?.samples).toEqual([{ name: 'rtmp_transponder_build_info', labels: { version: '9.8.7', node_version: '20.1.2' }, value: 1 }]);
  });

  test('the service state: every state present, 1 for the current one, read at each scrape', async () => {
    const states = async () => (await scrape()).get('rtmp_transponder_service_state')?.samples.map((s) => [s.labels.state, s.value]);
    parts.state = 'starting';
    expect(await states()).toEqual([['starting', 1], ['serving', 0], ['stopping', 0], ['stopped', 0]]);
    parts.state = 'stopping';
    expect(await states()).toEqual([['starting', 0], ['serving', 0], ['stopping', 1], ['stopped', 0]]);
  });

  test('players: the total, and per stream from the live players, labelled with the stream only; a stream without players has no series', async () => {
    players.viewerCount = 4; // one still being set up: counted in the total, not yet listed
    players.streams = ['cam1', 'cam2', 'cam1'];
    let f = await scrape();
    expect(one(f, 'rtmp_transponder_players')?.value).toBe(4);
    expect(f.get('rtmp_transponder_stream_players')?.samples).toEqual([
      { name: 'rtmp_transponder_stream_players', labels: { stream: 'cam1' }, value: 2 },
      { name: 'rtmp_transponder_stream_players', labels: { stream: 'cam2' }, value: 1 },
    ]);
    players.viewerCount = 1;
    players.streams = ['cam2'];
    f = await scrape();
    expect(one(f, 'rtmp_transponder_players')?.value).toBe(1);
    expect(f.get('rtmp_transponder_stream_players')?.samples.map((s) => s.labels.stream)).toEqual(['cam2']);
  });

  test('WebSocket limit refusals by kind, every kind present, as the signaling server counts them', async () => {
    parts.refusals = { sessionsPerAddress: 3, messageRate: 120, streamsPerSession: 1, streamsTotal: 0 };
    const f = await scrape();
    expect(f.get('rtmp_transponder_signaling_refusals_total')?.type).toBe('counter');
    expect(f.get('rtmp_transponder_signaling_refusals_total')?.samples.map((s) => [s.labels.kind, s.value])).toEqual([
      ['sessionsPerAddress', 3], ['messageRate', 120], ['streamsPerSession', 1], ['streamsTotal', 0],
    ]);
  });

  test('the REST auth failure limiter: failures, 429s, evictions and the addresses it tracks, with no address as a label', async () => {
    parts.auth = { failures: 17, refused: 5, evictions: 2, trackedAddresses: 9 };
    const f = await scrape();
    const expected: Array<[string, string, number]> = [
      ['rtmp_transponder_rest_auth_failures_total', 'counter', 17],
      ['rtmp_transponder_rest_auth_refused_total', 'counter', 5],
      ['rtmp_transponder_rest_auth_evictions_total', 'counter', 2],
      ['rtmp_transponder_rest_auth_tracked_addresses', 'gauge', 9],
    ];
    for (const [name, type, value] of expected) {
      expect([name, f.get(name)?.type, f.get(name)?.samples]).toEqual([name, type, [{ name, labels: {}, value }]]);
    }
  });

  test('the REST hooks: events delivered, retried, dropped and queued, calls in flight and waiting', async () => {
    parts.hooks = { queued: 6, delivered: 40, retried: 3, dropped: 1, inFlight: 2, waiting: 5 };
    const f = await scrape();
    const expected: Array<[string, string, number]> = [
      ['rtmp_transponder_hook_events_delivered_total', 'counter', 40],
      ['rtmp_transponder_hook_events_retried_total', 'counter', 3],
      ['rtmp_transponder_hook_events_dropped_total', 'counter', 1],
      ['rtmp_transponder_hook_events_queued', 'gauge', 6],
      ['rtmp_transponder_hook_calls_in_flight', 'gauge', 2],
      ['rtmp_transponder_hook_calls_waiting', 'gauge', 5],
    ];
    for (const [name, type, value] of expected) {
      expect([name, f.get(name)?.type, f.get(name)?.samples]).toEqual([name, type, [{ name, labels: {}, value }]]);
    }
  });

  test('destinations refused by the guard are counted by rule; other refusals only by code', async () => {
    transponders.tell('refused', 'DESTINATION_REFUSED', 'link-local-metadata');
    transponders.tell('refused', 'DESTINATION_REFUSED', 'link-local-metadata');
    transponders.tell('refused', 'DESTINATION_REFUSED', 'own-service-port');
    transponders.tell('refused', 'LIMIT_REACHED');
    const f = await scrape();
    expect(f.get('rtmp_transponder_destination_refusals_total')?.samples.map((s) => [s.labels.rule, s.value])).toEqual([
      ['link-local-metadata', 2], ['own-service-port', 1],
    ]);
    expect(f.get('rtmp_transponder_transponder_refusals_total')?.samples.map((s) => [s.labels.code, s.value])).toEqual([
      ['DESTINATION_REFUSED', 3], ['LIMIT_REACHED', 1],
    ]);
  });

  test('after close() events are no longer counted', async () => {
    metrics.close();
    transponders.tell('started', transponder('t1', 'PENDING', 'rtmp://h/live/k'));
    expect(transponders.listenerCount('started')).toBe(0);
    expect(publishers.listenerCount('publish')).toBe(0);
    expect(one(await scrape(), 'rtmp_transponder_transponders_started_total')?.value).toBe(0);
  });

  test('two services in one process keep their own registries', async () => {
    const other = new ServiceMetrics(
      sourcesOf(),
      { build: { version: 'x', nodeVersion: 'y' }, processMetrics: false },
    );
    try {
      transponders.tell('started', transponder('t1', 'PENDING', 'rtmp://h/live/k'));
      expect(one(parsePromText(await other.scrape()), 'rtmp_transponder_transponders_started_total')?.value).toBe(0);
      expect(one(await scrape(), 'rtmp_transponder_transponders_started_total')?.value).toBe(1);
    } finally {
      other.close();
    }
  });

  test('media workers: publishers and event-loop figures per worker place, read at scrape time; none without workers', async () => {
    let f = await scrape();
    expect(samplesOf(f, 'rtmp_transponder_media_worker_publishers')).toEqual([
      { name: 'rtmp_transponder_media_worker_publishers', labels: { worker: '0' }, value: 3 },
      { name: 'rtmp_transponder_media_worker_publishers', labels: { worker: '1' }, value: 0 },
    ]);
    // Worker 1 has not reported: no loop series for it rather than a made-up 0.
    for (const [name, value] of [['utilization', 0.25], ['lag_p99_seconds', 0.012], ['lag_max_seconds', 0.04]] as const) {
      expect(samplesOf(f, `rtmp_transponder_media_worker_event_loop_${name}`)).toEqual([{ name: `rtmp_transponder_media_worker_event_loop_${name}`, labels: { worker: '0' }, value }]);
    }
    parts.workers = [{ worker: 0, publishers: 1, loop: { utilization: 0.9, lagP99Seconds: 0.05, lagMaxSeconds: 0.2 } }];
    f = await scrape();
    expect(samplesOf(f, 'rtmp_transponder_media_worker_publishers').map((s) => [s.labels.worker, s.value])).toEqual([['0', 1]]);
    expect(one(f, 'rtmp_transponder_media_worker_event_loop_utilization', { worker: '0' })?.value).toBe(0.9);

    const { mediaWorkers: _none, ...withoutWorkers } = sourcesOf();
    const noWorkers = new ServiceMetrics(withoutWorkers, { build: { version: 'x', nodeVersion: 'y' }, processMetrics: false });
    try {
      expect([...parsePromText(await noWorkers.scrape()).keys()].filter((n) => n.includes('media_worker'))).toEqual([]);
    } finally {
      noWorkers.close();
    }
  });

  test('the AAC encoder host: channels, restarts and given-up read at scrape time; none without a host', async () => {
    let f = await scrape();
    expect([one(f, 'rtmp_transponder_aac_host_channels')?.value, one(f, 'rtmp_transponder_aac_host_restarts_total')?.value, one(f, 'rtmp_transponder_aac_host_failed')?.value]).toEqual([4, 0, 0]);
    parts.aacHost = { channels: 0, restarts: 2, failed: true };
    f = await scrape();
    expect([one(f, 'rtmp_transponder_aac_host_channels')?.value, one(f, 'rtmp_transponder_aac_host_restarts_total')?.value, one(f, 'rtmp_transponder_aac_host_failed')?.value]).toEqual([0, 2, 1]);

    const { aacHost: _none, ...withoutHost } = sourcesOf();
    const noHost = new ServiceMetrics(withoutHost, { build: { version: 'x', nodeVersion: 'y' }, processMetrics: false });
    try {
      expect([...parsePromText(await noHost.scrape()).keys()].filter((n) => n.includes('aac_host'))).toEqual([]);
    } finally {
      noHost.close();
    }
  });

  test('the README\'s Metrics section lists every rtmp_transponder_ metric the service has, and no other', async () => {
    const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 1));
    const documented = new Set([...section.matchAll(/^\| `(rtmp_transponder_\w+)`/gm)].map((m) => m[1]));
    const served = new Set([...(await scrape()).keys()].filter((n) => n.startsWith('rtmp_transponder_')));
    expect([...documented].sort()).toEqual([...served].sort());
    expect(served.size).toBeGreaterThan(20);
  });

  test('process metrics (event-loop lag, heap, RSS, open fds) are there when asked for', async () => {
    const withProcess = new ServiceMetrics(
      sourcesOf(),
      { build: { version: 'x', nodeVersion: 'y' } },
    );
    try {
      const f = parsePromText(await withProcess.scrape());
      for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_resident_memory_bytes', 'process_open_fds']) {
        expect([name, f.has(name)]).toEqual([name, true]);
      }
    } finally {
      withProcess.close();
    }
  });
});

describe('GET /metrics', () => {
  const REST = { disabled: false, user: 'admin', password: 'rest-password', token: 'rest-token' };
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  let app: ReturnType<typeof createRestServer> | undefined;

  function serve(options: { rest: RestAuthOptions; token?: string; limiter?: AuthFailureLimiter }) {
    const rest = new RestAuthenticator(options.rest, options.limiter);
    const auth = new MetricsAuthenticator(rest, options.token, options.limiter);
    app = createRestServer({
      api: new FakeTransponderApi(),
      auth: rest,
      logger: new RecordingLogger(),
      extraRoutes: (a) => registerMetricsRoute(a, metrics, auth),
    });
    return { auth, rest, get: (authorization?: string) => inject(app!, { method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} }) };
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  test('open when REST auth is off and no metrics_token is set: the text format 0.0.4', async () => {
    const res = await serve({ rest: { disabled: true } }).get();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(parsePromText(res.body).has('rtmp_transponder_build_info')).toBe(true);
  });

  test('with REST auth on: 401 without credentials, 200 with the REST Basic or bearer credentials', async () => {
    const { get } = serve({ rest: REST });
    const refused = await get();
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Basic realm="rtmp-transponder"');
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await get(basic('admin', 'wrong'))).statusCode).toBe(401);
    expect((await get(basic('admin', 'rest-password'))).statusCode).toBe(200);
    expect((await get('Bearer rest-token')).statusCode).toBe(200);
  });

  test('with REST auth on and metrics_token set: the metrics token is accepted as well', async () => {
    const { get } = serve({ rest: REST, token: 'metrics-token' });
    expect((await get()).statusCode).toBe(401);
    expect((await get('Bearer metrics-token')).statusCode).toBe(200);
    expect((await get('Bearer metrics-tokenX')).statusCode).toBe(401);
    expect((await get(basic('admin', 'rest-password'))).statusCode).toBe(200);
  });

  test('with REST auth off and metrics_token set: only the metrics token, with a Bearer challenge', async () => {
    const { get } = serve({ rest: { disabled: true }, token: 'metrics-token' });
    const refused = await get();
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="rtmp-transponder"');
    expect((await get(basic('admin', 'rest-password'))).statusCode).toBe(401);
    expect((await get('Bearer metrics-token')).statusCode).toBe(200);
  });

  test('update() (a settings reload) changes who may read at once; a bad update changes nothing', async () => {
    const { auth, rest, get } = serve({ rest: { disabled: true }, token: 'old-token' });
    auth.update('new-token');
    expect((await get('Bearer old-token')).statusCode).toBe(401);
    expect((await get('Bearer new-token')).statusCode).toBe(200);
    expect(() => rest.update({ disabled: false })).toThrow(/neither a user and password nor a token/);
    expect((await get('Bearer new-token')).statusCode).toBe(200);
    expect((await get()).statusCode).toBe(401);
  });

  test('wrong credentials on /metrics spend the same per-address budget as the REST API: a guesser cannot move to /metrics', async () => {
    const limiter = new AuthFailureLimiter({ maxFailures: 2, windowMs: 60_000, maxAddresses: 10 });
    const { get } = serve({ rest: REST, limiter });
    expect((await get(basic('admin', 'guess1'))).statusCode).toBe(401);
    expect((await get('Bearer guess2')).statusCode).toBe(401);
    const blocked = await get(basic('admin', 'rest-password'));
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    const rest = await inject(app!, { method: 'POST', url: '/rest-api/push/find_all', headers: { authorization: basic('admin', 'rest-password') } });
    expect(rest.statusCode).toBe(429);
  });

  test('GET /metrics is in the OpenAPI document: a text answer, and the auth errors it can give', async () => {
    serve({ rest: { disabled: true } });
    const res = await inject(app!, { method: 'GET', url: '/rest-api/openapi.json' });
    const op = JSON.parse(res.body).paths['/metrics']?.get;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '401', '429', '500']);
    expect(Object.keys(op.responses['200'].content)).toEqual(['text/plain']);
  });
});
