/**
 * One node or two (issue 9): does one node per core on this machine carry more streams
 * than one node?
 *
 *   npx tsx bench/cluster.ts [--quick] [--streams N]     prints a markdown section
 *   npm run bench -- cluster
 *
 * Scenario "1 node": one service process, N load-publisher streams (one generator
 * process). Scenario "2 nodes": two service processes sharing a redis-server (the
 * cluster), N/2 streams each (one generator process per node); the OS places the
 * processes, nothing is pinned. Every stream is relayed to a real nginx-rtmp (H.264
 * passthrough + Opus→AAC), started on the node the stream is published on. Measured per
 * scenario over the same window: CPU of every service process with its children
 * (ffmpeg), video frames delivered to nginx over frames received from the publishers.
 * The generators, nginx and Redis run beside on the same cores and are not counted.
 */
import { cpus } from 'node:os';
import { NginxRtmp } from '../test/helpers/nginx-rtmp';
import { RedisServer } from '../test/helpers/redis-server';
import { BenchChild } from './lib/child';
import { networkIsolated, reexecIsolatedOrContinue } from './lib/netns';
import { ProcessSampler } from './lib/proc-sampler';
import { renderSection, round, type BenchSection } from './lib/report';
import { ServiceProcess, type DebugStream } from './lib/service-process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ClusterBenchOptions {
  quick?: boolean;
  /** streams in all (default 8; even) */
  streams?: number;
  log?: (line: string) => void;
}

type Row = Record<string, string | number>;

interface PushInfo {
  status: string;
  stats: { videoFramesSent: number };
}

const SOURCE = { width: 640, height: 480, videoKbps: 2000 };
const sum = (xs: number[]): number => xs.reduce((n, x) => n + x, 0);

async function push(node: ServiceProcess, method: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${node.httpPort}/rest-api/push/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** The transponders of the node's own streams (by name: in a cluster, find merges every node's list). */
async function ownPushes(node: ServiceProcess, prefix: string, count: number): Promise<PushInfo[]> {
  const list: PushInfo[] = [];
  for (let s = 1; s <= count; s++) {
    const r = await push(node, 'find', { streamName: `${prefix}${s}` });
    if (r.status === 200) list.push(...(r.body as PushInfo[]));
  }
  return list;
}

interface NodeLoad {
  service: ServiceProcess;
  sampler: ProcessSampler;
  generator?: BenchChild;
  prefix: string;
  streams: number;
}

/** Video frames the publishers of each node completed so far. */
async function videoIn(nodes: NodeLoad[]): Promise<number[]> {
  const n: number[] = [];
  for (const node of nodes) n.push(sum(((await node.service.debugStreams()) ?? []).map((s: DebugStream) => s.video?.frames ?? 0)));
  return n;
}

/** Video frames each node's transponders sent so far. */
async function videoOut(nodes: NodeLoad[]): Promise<number[]> {
  const n: number[] = [];
  for (const node of nodes) n.push(sum((await ownPushes(node.service, node.prefix, node.streams)).map((p) => p.stats.videoFramesSent)));
  return n;
}

const minus = (a: number[], b: number[]): number[] => a.map((x, i) => x - (b[i] ?? 0));

async function scenario(nodeCount: 1 | 2, streams: number, quick: boolean, nginx: NginxRtmp, redis: RedisServer, log: (l: string) => void): Promise<Row> {
  const label = `${nodeCount} node${nodeCount > 1 ? 's' : ''} × ${streams / nodeCount} streams`;
  const t = quick ? { warmupMs: 3000, measureMs: 10_000 } : { warmupMs: 5000, measureMs: 30_000 };
  const nodes: NodeLoad[] = [];
  try {
    for (let i = 0; i < nodeCount; i++) {
      const properties: Record<string, string | number> = { max_streams_total: 100 };
      if (nodeCount > 1) Object.assign(properties, { cluster_redis_url: redis.url, cluster_secret: 'bench-cluster-secret-1f9b', cluster_lease_ms: 10_000 });
      const service = await ServiceProcess.start(properties);
      nodes.push({ service, sampler: new ProcessSampler(service.pid), prefix: `cl${nodeCount}n${i}-`, streams: streams / nodeCount });
    }
    for (const node of nodes) {
      node.sampler.start();
      node.generator = new BenchChild('load-publisher', 'tools/load-publisher.ts', ['--url', node.service.wsUrl, '--streams', String(node.streams), '--duration', '3600', '--prefix', node.prefix, '--video-kbps', String(SOURCE.videoKbps), '--size', `${SOURCE.width}x${SOURCE.height}`]);
    }
    for (const node of nodes) await node.generator!.waitFor(/streams PUBLISHING on /, 30_000 + node.streams * 2000);
    for (const node of nodes) {
      for (let s = 1; s <= node.streams; s++) {
        const r = await push(node.service, 'startup', { streamName: `${node.prefix}${s}`, rtmpUrl: `${nginx.url()}/${node.prefix}${s}`, rtmpTransponderFullUrl: true });
        if (r.status !== 200) throw new Error(`startup answered ${r.status}: ${JSON.stringify(r.body)}`);
      }
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const states = (await Promise.all(nodes.map((n) => ownPushes(n.service, n.prefix, n.streams)))).flat().map((p) => p.status);
      if (states.filter((s) => s === 'PUBLISHING').length >= streams) break;
      if (Date.now() > deadline) throw new Error(`not all PUBLISHING: ${states.join(',')}`);
      await sleep(200);
    }
    log(`${label}: all PUBLISHING`);
    await sleep(t.warmupMs);
    const inBefore = await videoIn(nodes);
    const outBefore = await videoOut(nodes);
    const from = nodes.map((n) => n.sampler.now());
    await sleep(t.measureMs);
    const to = nodes.map((n) => n.sampler.now());
    const receivedPerNode = minus(await videoIn(nodes), inBefore);
    const deliveredPerNode = minus(await videoOut(nodes), outBefore);
    const received = sum(receivedPerNode);
    const delivered = sum(deliveredPerNode);
    const cpu = nodes.map((n, i) => n.sampler.summary(from[i], to[i]));
    const cpuTotal = sum(cpu.map((c) => c.cpuMean));
    log(`${label}: CPU ${round(cpuTotal)} %, delivered ${delivered} / received ${received}`);
    return {
      scenario: label,
      'CPU % all nodes (service + children)': round(cpuTotal),
      'CPU % per node': cpu.map((c) => round(c.cpuMean)).join(' + '),
      'CPU %/stream': round(cpuTotal / streams, 2),
      'video delivered / received': received > 0 ? `${round((delivered / received) * 100, 1)} % (${delivered}/${received})` : '-',
      'delivered per node': deliveredPerNode.join(' + '),
      'delivered fps/stream': round(delivered / streams / (t.measureMs / 1000), 1),
    };
  } finally {
    for (const node of nodes) {
      node.sampler.stop();
      await node.generator?.stop();
    }
    for (const node of nodes) await node.service.stop();
  }
}

export async function runClusterBench(opts: ClusterBenchOptions = {}): Promise<BenchSection> {
  const quick = opts.quick ?? false;
  const streams = opts.streams ?? 8;
  if (streams < 2 || streams % 2 !== 0) throw new Error('--streams must be even and at least 2');
  const log = opts.log ?? ((l: string) => process.stderr.write(`bench cluster: ${l}\n`));
  const rows: Row[] = [];
  const notes: string[] = [];
  const nginx = await NginxRtmp.start({ hooks: false });
  const redis = await RedisServer.start();
  try {
    for (const nodeCount of [1, 2] as const) {
      try {
        rows.push(await scenario(nodeCount, streams, quick, nginx, redis, log));
      } catch (error) {
        notes.push(`${nodeCount} node(s) failed: ${(error as Error).message.split('\n').slice(0, 6).join(' | ')}`);
      }
    }
  } finally {
    await redis.close();
    await nginx.stop();
  }
  const cpu = cpus();
  notes.push(
    `${quick ? 'quick run: ' : ''}${streams} streams in all from tools/load-publisher.ts (werift, pre-encoded H.264 ${SOURCE.width}x${SOURCE.height} 30 fps ${SOURCE.videoKbps} kbit/s + Opus; one generator process per node, not counted), each relayed (passthrough + Opus→AAC) to nginx-rtmp (not counted). 2 nodes share a redis-server (not counted); processes are not pinned to cores.`,
    `CPU % is of one core, summed over the nodes' processes and their children, sampled every second from /proc. Video delivered = videoFramesSent of the nodes' transponders over frames the nodes' publishers completed (GET /debug/streams) in the same window.`,
    `machine: ${cpu[0]?.model ?? '?'} × ${cpu.length}, Node ${process.version}; ${networkIsolated() ? 'private network namespace (lo only)' : 'NOT isolated: host loopback'}.`,
  );
  return { title: `Cluster: ${streams} streams on one node vs two nodes (one per core) on one Redis`, rows, notes };
}

if (require.main === module) {
  reexecIsolatedOrContinue();
  const quick = process.argv.includes('--quick');
  const at = process.argv.indexOf('--streams');
  const streams = at >= 0 ? Number(process.argv[at + 1]) : undefined;
  runClusterBench({ quick, streams }).then(
    (section) => {
      console.log(renderSection(section));
      process.exit(0);
    },
    (error: Error) => {
      console.error(`bench cluster: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
