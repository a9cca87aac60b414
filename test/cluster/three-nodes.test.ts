/**
 * Three services in one process sharing a real redis-server, each on its own ports,
 * behaving as one server: a stream published on A (the WCS-protocol load generator,
 * werift) is relayed by a /push/startup sent to B and lands at a real nginx-rtmp; C
 * lists it; B ends it; a name published on A is refused on B; a Redis restart leaves
 * the push running and the nodes register again; a crashed A frees its names when its
 * lease ends and its transponders leave the merged lists.
 * Runs in a private network namespace (npm test); everything is on 127.0.0.1.
 */
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import type { TransponderJson } from '../../src/rest/schemas';
import type { NodeInfo } from '../../src/cluster';
import { TransponderService } from '../../src/server';
import { LoadPublisher } from '../../tools/load-publisher';
import { loopbackSettings } from '../helpers/loopback-settings';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { RedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const TOKEN = 'REST-TOKEN-cluster-41f0';
const LEASE_MS = 2000;

let redis: RedisServer;
let nginx: NginxRtmp;
const nodes: { service: TransponderService; settings: Settings }[] = [];
const publishers: LoadPublisher[] = [];

interface Reply<T> {
  status: number;
  body: T;
}

async function post<T = unknown>(node: number, path: string, body: unknown = {}): Promise<Reply<T>> {
  const res = await fetch(`http://127.0.0.1:${nodes[node]!.settings.httpPort}/rest-api${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function liveNodeIds(node: number): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${nodes[node]!.settings.httpPort}/rest-api/cluster/nodes`, { headers: { authorization: `Bearer ${TOKEN}` } });
  // Not 200 while Redis is away (the directory cannot be read): no node known.
  if (res.status !== 200) return [];
  // Sorted here as the expectations are (the route's own order is not the point).
  return ((await res.json()) as NodeInfo[]).map((n) => n.id).sort();
}

async function publish(node: number, namePrefix: string): Promise<LoadPublisher> {
  const generator = new LoadPublisher({ url: `ws://127.0.0.1:${nodes[node]!.settings.wsPort}`, streams: 1, namePrefix });
  publishers.push(generator);
  await generator.start();
  return generator;
}

const A = 0;
const B = 1;
const C = 2;

beforeAll(async () => {
  redis = await RedisServer.start();
  nginx = await NginxRtmp.start();
  for (let i = 0; i < 3; i++) {
    const settings = await loopbackSettings({
      disableRestAuth: false,
      restAuthToken: TOKEN,
      clusterRedisUrl: redis.url,
      clusterSecret: 'cluster-secret-test-9d2e',
      clusterLeaseMs: LEASE_MS,
    });
    const service = new TransponderService(settings, silentLogger);
    nodes.push({ service, settings });
    await service.start();
  }
});

afterEach(() => {
  for (const p of publishers.splice(0)) p.close('test over');
});

afterAll(async () => {
  for (const p of publishers.splice(0)) p.close('test over');
  await Promise.all(nodes.map((n) => n.service.stop()));
  await nginx?.stop();
  await redis?.close();
});

test('every node lists the three live nodes', async () => {
  const ids = nodes.map((n) => n.service.nodeId).sort();
  for (const node of [A, B, C]) expect(await liveNodeIds(node)).toEqual(ids);
});

test('published on A, started from B, listed on C, changed from C, ended from B; errors come back as the owner gave them', async () => {
  await publish(A, 'relay-');
  const started = await post<TransponderJson>(B, '/push/startup', { streamName: 'relay-1', rtmpUrl: nginx.url() });
  expect(started.status).toBe(200);
  const id = started.body.mediaSessionId;
  // It runs on A, not on B.
  expect(nodes[A]!.service.transponders.findAll().map((t) => t.mediaSessionId)).toEqual([id]);
  expect(nodes[B]!.service.transponders.findAll()).toEqual([]);
  await waitFor(() => nginx.hooks.calls.some((c) => c.call === 'publish' && c.params.name === 'rtmp_relay-1'), { what: 'the push at nginx' });

  const all = await post<TransponderJson[]>(C, '/push/find_all');
  expect(all.status).toBe(200);
  expect(all.body.map((t) => t.mediaSessionId)).toEqual([id]);
  expect((await post<TransponderJson[]>(C, '/push/find', { streamName: 'relay-1' })).body.map((t) => t.mediaSessionId)).toEqual([id]);

  // The owner's refusal, status and body, through B.
  const again = await post<{ code: string }>(C, '/push/startup', { streamName: 'relay-1', rtmpUrl: nginx.url() });
  const againOnA = await post<{ code: string }>(A, '/push/startup', { streamName: 'relay-1', rtmpUrl: nginx.url() });
  expect([again.status, again.body]).toEqual([againOnA.status, againOnA.body]);
  expect(again.body.code).toBe('TRANSPONDER_EXISTS');
  expect((await post(B, '/push/startup', { streamName: 'nobody', rtmpUrl: nginx.url() })).status).toBe(404);

  expect((await post(C, '/push/mute', { mediaSessionId: id })).status).toBe(200);
  expect(nodes[A]!.service.transponders.find({ streamName: 'relay-1' })[0]!.muted).toBe(true);
  expect((await post(B, '/push/terminate', { mediaSessionId: id })).status).toBe(200);
  expect(nodes[A]!.service.transponders.find({ streamName: 'relay-1' })[0]!.status).toBe('TERMINATED');
  expect((await post(B, '/push/terminate', { mediaSessionId: 'no-such-session' })).status).toBe(404);
});

test('a name published on A is refused on B with the WCS "already in use" failure', async () => {
  await publish(A, 'dup-');
  await expect(publish(B, 'dup-')).rejects.toThrow(/Stream name is already in use/);
  expect(nodes[A]!.service.registry.get('dup-1')).toBeDefined();
  expect(nodes[B]!.service.registry.get('dup-1')).toBeUndefined();
});

test('Redis down then restarted mid-run: the push goes on, new publishes are refused meanwhile, the nodes register again and keep their names', async () => {
  await publish(A, 'keep-');
  const started = await post<TransponderJson>(B, '/push/startup', { streamName: 'keep-1', rtmpUrl: nginx.url() });
  expect(started.status).toBe(200);
  const sent = () => nodes[A]!.service.transponders.find({ streamName: 'keep-1' })[0]!;
  await waitFor(() => sent().status === 'PUBLISHING', { what: 'keep-1 pushing' });
  await redis.stop();
  await waitFor(() => !nodes[B]!.service.cluster!.connected, { what: 'B sees Redis gone' });
  // The documented rule: nobody can tell whether a name is free, so new publishes are refused.
  await expect(publish(B, 'down-')).rejects.toThrow(/cluster directory \(Redis\) is unavailable/);
  await redis.restart();
  const ids = nodes.map((n) => n.service.nodeId).sort();
  await waitFor(async () => JSON.stringify(await liveNodeIds(B)) === JSON.stringify(ids), { what: 'three nodes registered again', timeoutMs: 15_000 });
  const framesAfterRestart = sent().stats.framesSent;
  await waitFor(() => sent().stats.framesSent > framesAfterRestart + 30, { what: 'frames still leaving after the restart' });
  expect(sent().status).toBe('PUBLISHING');
  await expect(publish(B, 'keep-')).rejects.toThrow(/Stream name is already in use/);
});

test('A crashed: after its lease the name can be published on B, and A\'s transponders leave the lists', async () => {
  await publish(A, 'gone-');
  const started = await post<TransponderJson>(A, '/push/startup', { streamName: 'gone-1', rtmpUrl: nginx.url('other') });
  expect(started.status).toBe(200);
  expect((await post<TransponderJson[]>(C, '/push/find_all')).body.map((t) => t.mediaSessionId)).toContain(started.body.mediaSessionId);
  nodes[A]!.service.cluster!.crash();
  await expect(publish(B, 'gone-')).rejects.toThrow(/Stream name is already in use/);
  await waitFor(async () => (await liveNodeIds(C)).length === 2, { what: 'A no longer live', timeoutMs: LEASE_MS * 4 });
  const listed = await post<TransponderJson[]>(C, '/push/find_all');
  expect(listed.status === 404 || !listed.body.some((t) => t.mediaSessionId === started.body.mediaSessionId)).toBe(true);
  await waitFor(
    async () => {
      try {
        await publish(B, 'gone-');
        return true;
      } catch {
        return false;
      }
    },
    { what: 'gone-1 published on B', timeoutMs: LEASE_MS * 4, intervalMs: 200 },
  );
  expect(nodes[B]!.service.registry.get('gone-1')).toBeDefined();
});
