/**
 * npx tsx tools/cluster-rest-overhead.ts   (in a network namespace: unshare --net, lo up)
 *
 * The REST cost of the cluster: three nodes on one machine sharing a redis-server, one
 * stream published on node A (the load generator), a real nginx-rtmp as destination.
 * Times, median and p90 of 30 calls each: /push/startup answered by A itself vs sent to
 * B and forwarded to A; one node's transponder list over HTTP vs /push/find_all merged
 * across the three nodes.
 */
import { silentLogger } from '../src/log';
import { TransponderService } from '../src/server';
import { LoadPublisher } from './load-publisher';
import { loopbackSettings } from '../test/helpers/loopback-settings';
import { NginxRtmp } from '../test/helpers/nginx-rtmp';
import { RedisServer } from '../test/helpers/redis-server';

const TOKEN = 'bench-token';
const ROUNDS = 30;

async function timed(url: string, body: unknown): Promise<{ ms: number; json: { mediaSessionId?: string } }> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text}`);
  return { ms, json: text ? JSON.parse(text) : {} };
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(2)} ms, p90 ${s[Math.floor(s.length * 0.9)]!.toFixed(2)} ms`;
}

async function main(): Promise<void> {
  const redis = await RedisServer.start();
  const nginx = await NginxRtmp.start({ hooks: false });
  const nodes: { service: TransponderService; base: string; wsPort: number }[] = [];
  let generator: LoadPublisher | undefined;
  try {
    for (let i = 0; i < 3; i++) {
      const settings = await loopbackSettings({ disableRestAuth: false, restAuthToken: TOKEN, clusterRedisUrl: redis.url, clusterSecret: 'bench-secret' });
      const service = new TransponderService(settings, silentLogger);
      await service.start();
      nodes.push({ service, base: `http://127.0.0.1:${settings.httpPort}/rest-api`, wsPort: settings.wsPort });
    }
    const [a, b] = nodes;
    const aWsPort = a!.wsPort;
    generator = new LoadPublisher({ url: `ws://127.0.0.1:${aWsPort}`, streams: 1, namePrefix: 'bench-' });
    await generator.start();
    const local: number[] = [];
    const forwarded: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const [node, list, tag] of [[a!, local, 'l'], [b!, forwarded, 'f']] as const) {
        const r = await timed(`${node.base}/push/startup`, { streamName: 'bench-1', rtmpUrl: `${nginx.url()}/${tag}${i}`, rtmpTransponderFullUrl: true });
        list.push(r.ms);
        await timed(`${node.base}/push/terminate`, { mediaSessionId: r.json.mediaSessionId });
      }
    }
    // One node's list over HTTP (A's internal route: its manager, no merge) vs B's find_all merging the three.
    const aUrl = a!.base.replace(/\/rest-api$/, '');
    const one: number[] = [];
    const merged: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const res = await fetch(`${aUrl}/cluster/internal/find_all`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-cluster-secret': 'bench-secret' }, body: '{}' });
      await res.text();
      one.push(performance.now() - t0);
      merged.push((await timed(`${b!.base}/push/find_all`, {})).ms);
    }
    console.log(`startup on the owning node:      ${summary(local)}`);
    console.log(`startup forwarded B -> A:        ${summary(forwarded)}`);
    console.log(`find_all of one node (${2 * ROUNDS} ended): ${summary(one)}`);
    console.log(`find_all merged over 3 nodes:    ${summary(merged)}`);
  } finally {
    generator?.close('done');
    await Promise.all(nodes.map((n) => n.service.stop()));
    await nginx.stop();
    await redis.close();
  }
}

void main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
