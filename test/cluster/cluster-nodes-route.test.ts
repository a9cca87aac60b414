/**
 * GET /rest-api/cluster/nodes on one node against a real redis-server: the live nodes
 * while Redis is there, a 503 CLUSTER_UNAVAILABLE (the catalogue's body, never a 500)
 * while it is down, and the list again once Redis is back and the node registered again.
 */
import type { Settings } from '../../src/config';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { loopbackSettings } from '../helpers/loopback-settings';
import { RedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(60_000);

const TOKEN = 'REST-TOKEN-nodes-route-7c1a';
let redis: RedisServer | undefined;
let service: TransponderService | undefined;
let settings: Settings;

beforeEach(async () => {
  redis = await RedisServer.start();
  settings = await loopbackSettings({ disableRestAuth: false, restAuthToken: TOKEN, clusterRedisUrl: redis.url, clusterSecret: 'cluster-secret-route-3b8f', clusterLeaseMs: 2000 });
  service = new TransponderService(settings, silentLogger);
  await service.start();
});

afterEach(async () => {
  await service?.stop();
  service = undefined;
  await redis?.close();
  redis = undefined;
});

async function getNodes(): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${settings.httpPort}/rest-api/cluster/nodes`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: await res.json() };
}

test('Redis down: 503 CLUSTER_UNAVAILABLE; Redis back: the node is listed again', async () => {
  const up = await getNodes();
  expect(up.status).toBe(200);
  expect((up.body as { id: string }[]).map((n) => n.id)).toEqual([service!.nodeId]);

  await redis!.stop();
  await waitFor(() => !service!.cluster!.connected, { what: 'the node sees Redis gone' });
  const down = await getNodes();
  expect(down).toEqual({ status: 503, body: { error: 'Service Unavailable', code: 'CLUSTER_UNAVAILABLE', message: 'The cluster directory (Redis) is unavailable' } });

  await redis!.restart();
  await waitFor(
    async () => {
      const again = await getNodes();
      return again.status === 200 && (again.body as { id: string }[]).some((n) => n.id === service!.nodeId);
    },
    { what: 'the node listed again', timeoutMs: 15_000 },
  );
});
