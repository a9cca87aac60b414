/**
 * Load placement through the shipped entry point: nginx running docker/nginx-cluster.conf
 * (least_conn upstreams for the REST API and for the WebSocket signaling) in front of two
 * nodes sharing a real redis-server. WebSocket sessions opened through nginx land on both
 * nodes (each node's own session count and registry), REST calls sent through nginx are
 * answered by both (each node's own request log), and a find_all through nginx lists the
 * transponders of both. The README shows the same file (checked here).
 * Runs in a private network namespace (npm test); everything is on 127.0.0.1.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../../src/config';
import type { TransponderJson } from '../../src/rest/schemas';
import { TransponderService } from '../../src/server';
import { LoadPublisher } from '../../tools/load-publisher';
import { LogCapture } from '../helpers/log-capture';
import { loopbackSettings } from '../helpers/loopback-settings';
import { NGINX_CLUSTER_CONF, NginxCluster } from '../helpers/nginx-cluster';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { RedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const TOKEN = 'REST-TOKEN-placement-5e2d';
const STREAMS = 4;

let redis: RedisServer | undefined;
let rtmp: NginxRtmp | undefined;
let entry: NginxCluster | undefined;
let publisher: LoadPublisher | undefined;
const nodes: { service: TransponderService; settings: Settings; log: LogCapture }[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  rtmp = await NginxRtmp.start({ hooks: false });
  for (let i = 0; i < 2; i++) {
    const settings = await loopbackSettings({
      disableRestAuth: false,
      restAuthToken: TOKEN,
      clusterRedisUrl: redis.url,
      clusterSecret: 'cluster-secret-placement-8a4c',
      clusterLeaseMs: 4000,
    });
    const log = new LogCapture();
    const service = new TransponderService(settings, log.logger('info'));
    nodes.push({ service, settings, log });
    await service.start();
  }
  entry = await NginxCluster.start([nodes[0]!.settings, nodes[1]!.settings]);
});

afterAll(async () => {
  publisher?.close('test over');
  await entry?.stop();
  await Promise.all(nodes.map((n) => n.service.stop()));
  await rtmp?.stop();
  await redis?.close();
});

async function postThroughEntry<T>(route: string, body: unknown = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${entry!.restPort}/rest-api${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** The /rest-api requests a node itself answered, from its own request log. */
function restRequestsAnswered(node: number): number {
  return nodes[node]!.log.withMsg('http').filter((l) => String(l.fields.path).startsWith('/rest-api/')).length;
}

test('the README shows the tested entry config as it is', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  expect(readme).toContain(fs.readFileSync(NGINX_CLUSTER_CONF, 'utf8'));
});

test('WebSocket sessions and REST calls through nginx reach both nodes; find_all through nginx lists both nodes\' transponders', async () => {
  publisher = new LoadPublisher({ url: `ws://127.0.0.1:${entry!.wsPort}`, streams: STREAMS, namePrefix: 'lb-' });
  await publisher.start();
  const names = Array.from({ length: STREAMS }, (_, i) => `lb-${i + 1}`);
  const ownerOf = (name: string) => nodes.findIndex((n) => n.service.registry.get(name) !== undefined);
  await waitFor(() => names.every((name) => ownerOf(name) >= 0), { what: 'every stream published on some node' });
  // Each node holds some of the sessions, and every name on one node only.
  for (const node of [0, 1]) expect(nodes[node]!.service.signaling.sessionCount).toBeGreaterThanOrEqual(1);
  expect(nodes[0]!.service.signaling.sessionCount + nodes[1]!.service.signaling.sessionCount).toBe(STREAMS);
  const owners = names.map(ownerOf);
  expect(new Set(owners)).toEqual(new Set([0, 1]));
  for (const name of names) expect(nodes.filter((n) => n.service.registry.get(name) !== undefined)).toHaveLength(1);

  const before = [restRequestsAnswered(0), restRequestsAnswered(1)];
  const ids: string[] = [];
  for (const name of names) {
    const started = await postThroughEntry<TransponderJson>('/push/startup', { streamName: name, rtmpUrl: rtmp!.url() });
    expect(started.status).toBe(200);
    ids.push(started.body.mediaSessionId);
  }
  // Each transponder runs where its stream is published, whichever node nginx gave the call to.
  names.forEach((name, i) => expect(nodes[owners[i]!]!.service.transponders.findAll().map((t) => t.mediaSessionId)).toContain(ids[i]));

  const listed = await postThroughEntry<TransponderJson[]>('/push/find_all');
  expect(listed.status).toBe(200);
  expect(listed.body.map((t) => t.mediaSessionId).sort()).toEqual([...ids].sort());
  for (const node of [0, 1]) expect(nodes[node]!.service.transponders.findAll().length).toBeGreaterThanOrEqual(1);

  // Both nodes answered some of the calls nginx spread (forwarded internal calls are not /rest-api).
  await waitFor(() => restRequestsAnswered(0) > before[0]! && restRequestsAnswered(1) > before[1]!, { what: 'REST calls answered by both nodes' });
  expect(restRequestsAnswered(0) - before[0]! + restRequestsAnswered(1) - before[1]!).toBe(STREAMS + 1);
});
