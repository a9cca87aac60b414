/**
 * The cluster's directory against a real redis-server: stream names claimed with a lease
 * (one owner at a time, compare-and-delete on release, claims of one name in order), the
 * node registry, a clean stop that frees everything at once, a crash that frees it when
 * the lease ends, and a Redis restart the nodes recover from by themselves.
 */
import { ClusterNode } from '../../src/cluster';
import { Redis } from 'ioredis';
import { silentLogger } from '../../src/log';
import { RedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(30_000);

const LEASE_MS = 1500;
let redis: RedisServer;
let nodes: ClusterNode[] = [];
let probe: Redis | undefined;

function node(id: string): ClusterNode {
  const n = new ClusterNode({ redisUrl: redis.url, nodeId: id, leaseMs: LEASE_MS, url: () => `http://127.0.0.1:1/${id}`, load: () => ({ streams: 0, transponders: 0 }) }, silentLogger);
  nodes.push(n);
  return n;
}

beforeEach(async () => {
  redis = await RedisServer.start();
});

afterEach(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  nodes = [];
  probe?.disconnect();
  probe = undefined;
  await redis.close();
});

test('a name has one owner: a second node is refused until the first releases it', async () => {
  const a = node('a');
  const b = node('b');
  await Promise.all([a.start(), b.start()]);
  expect(await a.claims.claim('cam')).toBe('claimed');
  expect(await b.claims.claim('cam')).toBe('taken');
  expect(await b.ownerOfStream('cam')).toBe('a');
  a.claims.release('cam');
  await waitFor(async () => (await b.claims.claim('cam')) === 'claimed', { what: 'b claims cam once a released it' });
  expect(await a.ownerOfStream('cam')).toBe('b');
});

test('a release never deletes another node\'s claim, and claims of one name on a node run in the order asked', async () => {
  const a = node('a');
  const b = node('b');
  await Promise.all([a.start(), b.start()]);
  expect(await b.claims.claim('cam')).toBe('claimed');
  // a never held it: its release changes nothing.
  a.claims.release('cam');
  expect(await a.claims.claim('other')).toBe('claimed');
  // Ended and published again at once on a: the release runs before the new claim, which then holds.
  a.claims.release('other');
  const again = a.claims.claim('other');
  expect(await again).toBe('claimed');
  expect(await a.ownerOfStream('other')).toBe('a');
  expect(await a.ownerOfStream('cam')).toBe('b');
});

test('the registry lists live nodes; a clean stop frees the node and its names at once', async () => {
  const a = node('a');
  const b = node('b');
  await Promise.all([a.start(), b.start()]);
  expect((await b.liveNodes()).map((n) => n.id)).toEqual(['a', 'b']);
  expect((await b.liveNodes())[0]).toMatchObject({ id: 'a', url: 'http://127.0.0.1:1/a', load: { streams: 0, transponders: 0 } });
  expect(await a.claims.claim('cam')).toBe('claimed');
  await a.close();
  expect(await b.ownerOfStream('cam')).toBeUndefined();
  expect((await b.liveNodes()).map((n) => n.id)).toEqual(['b']);
});

test('a crashed node keeps its names until its lease ends, then they are free', async () => {
  const a = node('a');
  const b = node('b');
  await Promise.all([a.start(), b.start()]);
  expect(await a.claims.claim('cam')).toBe('claimed');
  // The heartbeat renews past the lease while a lives.
  await waitFor(async () => (await redisTtl('rtx:stream:cam')) > LEASE_MS / 2 && (await a.ownerOfStream('cam')) === 'a', { what: 'a renewed claim' });
  a.crash();
  expect(await b.claims.claim('cam')).toBe('taken');
  await waitFor(async () => (await b.claims.claim('cam')) === 'claimed', { what: 'cam free after a\'s lease', timeoutMs: LEASE_MS * 4 });
  expect((await b.liveNodes()).map((n) => n.id)).toEqual(['b']);
});

test('Redis gone: claims are unavailable; Redis back (empty): nodes register again and take their names back', async () => {
  const a = node('a');
  await a.start();
  expect(await a.claims.claim('cam')).toBe('claimed');
  await redis.stop();
  await waitFor(() => !a.connected, { what: 'a sees Redis gone' });
  expect(await a.claims.claim('other')).toBe('unavailable');
  await redis.restart();
  await waitFor(async () => a.connected && (await a.liveNodes()).some((n) => n.id === 'a'), { what: 'a registered again', timeoutMs: 10_000 });
  await waitFor(async () => (await a.ownerOfStream('cam')) === 'a', { what: 'a holds cam again' });
  expect(await a.claims.claim('other')).toBe('claimed');
});

async function redisTtl(key: string): Promise<number> {
  probe ??= new Redis(redis.url, { lazyConnect: false });
  return probe.pttl(key);
}
