/**
 * Where the service's JavaScript thread spends its time while relaying: a V8 CPU profile
 * of the service under the load generator, summed by function and by area.
 *
 *   npx tsx bench/profile.ts [--streams 4] [--destinations 1] [--seconds 20] [--out DIR]
 *
 * Starts nginx-rtmp and the service (`node --cpu-prof --import tsx src/main.ts`), has
 * tools/load-publisher.ts publish `streams` 640x480 H.264 + Opus streams, relays each to
 * `destinations` RTMP URLs, and profiles a window after a warm-up. Prints the busy share
 * of the window, the functions with the most self time, and for each area the share of
 * busy samples with a frame of that area on the stack (areas overlap). The profile is
 * kept in DIR (default: a new temp dir) for Chrome DevTools or speedscope.
 *
 * A tool for finding the next cost to cut, not a benchmark: the profiler itself costs,
 * and shares say nothing of other processes (ffmpeg, the kernel's send path).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NginxRtmp } from '../test/helpers/nginx-rtmp';
import { reexecIsolatedOrContinue } from './lib/netns';
import { LoadPublishers } from './lib/publisher-set';
import { ServiceProcess } from './lib/service-process';
import { NODE_FLAGS } from '../src/node-flags';
import { setTimeout as sleep } from 'node:timers/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Areas of the receive → relay path, by the script a stack frame belongs to. */
const AREAS: Array<[string, RegExp]> = [
  ['werift (ICE, DTLS, SRTP, RTP, receiver)', /node_modules\/werift\//],
  ['  SRTP/SRTCP decrypt', /werift\/lib\/rtp\/src\/srt(c)?p\//],
  ['our receive path (src/webrtc)', /\/src\/webrtc\//],
  ['Opus decode (opusscript)', /opus-decoder\.ts|opusscript|wasm:\/\//],
  ['AAC encoder pipe (src/ffmpeg)', /\/src\/ffmpeg\//],
  ['transponders (src/transponder)', /\/src\/transponder\//],
  ['RTMP and FLV (src/rtmp, src/flv)', /\/src\/(rtmp|flv)\//],
  ['REST, metrics, signaling', /\/src\/(rest|ops|signaling)\/|node_modules\/(fastify|prom-client|ws)\//],
];

const IDLE = new Set(['(idle)', '(program)']);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** Samples between `fromUs` and `toUs` after the profile's start, summed per node (µs). */
function windowTimes(p: CpuProfile, fromUs: number, toUs: number): Map<number, number> {
  const times = new Map<number, number>();
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    times.set(p.samples[i], (times.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  return times;
}

function summarize(p: CpuProfile, fromUs: number, toUs: number): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const times = windowTimes(p, fromUs, toUs);
  let total = 0;
  let busy = 0;
  const self = new Map<string, number>();
  const area = new Map<string, number>();
  for (const [id, us] of times) {
    total += us;
    const node = byId.get(id)!;
    if (IDLE.has(node.callFrame.functionName)) continue;
    busy += us;
    const where = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/');
    const key = `${node.callFrame.functionName || '(anonymous)'} ${where}${where ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur)!.callFrame.url;
      for (const [name, re] of AREAS) if (re.test(url)) seen.add(name);
    }
    for (const name of seen) area.set(name, (area.get(name) ?? 0) + us);
  }
  const pct = (us: number): string => `${((100 * us) / Math.max(busy, 1)).toFixed(1).padStart(5)} %`;
  const msPerS = (us: number): string => `${(us / 1000 / Math.max(total / 1e6, 1e-9)).toFixed(1).padStart(6)} ms/s`;
  const lines = [`window ${(total / 1e6).toFixed(1)} s, JS thread busy ${(busy / 1e6).toFixed(2)} s (${((100 * busy) / Math.max(total, 1)).toFixed(1)} % of the window)`, '', 'self time, top 25 (share of busy, ms per second):'];
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`  ${pct(us)} ${msPerS(us)}  ${key}`);
  lines.push('', 'by area (a sample counts for every area on its stack):');
  for (const [name] of AREAS) lines.push(`  ${pct(area.get(name) ?? 0)} ${msPerS(area.get(name) ?? 0)}  ${name}`);
  return lines;
}

async function main(): Promise<void> {
  const streams = Number(arg('--streams', '4'));
  const destinations = Number(arg('--destinations', '1'));
  const seconds = Number(arg('--seconds', '20'));
  const out = arg('--out', mkdtempSync(join(tmpdir(), 'service-profile-')));
  const warmupMs = 5000;
  const nginx = await NginxRtmp.start();
  const service = await ServiceProcess.start({ max_streams_total: 100 }, [...NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${out}`]);
  const publishers = new LoadPublishers({ width: 640, height: 480, videoKbps: 2000 });
  const startedAt = Date.now();
  let fromMs = 0;
  try {
    await publishers.start(service.wsUrl, 'profile-', streams);
    for (let s = 1; s <= streams; s++) {
      for (let d = 1; d <= destinations; d++) {
        const res = await fetch(`http://127.0.0.1:${service.httpPort}/rest-api/push/startup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ streamName: `profile-${s}`, rtmpUrl: `${nginx.url()}/profile-${s}-${d}`, rtmpTransponderFullUrl: true }),
        });
        if (res.status !== 200) throw new Error(`startup answered ${res.status}: ${await res.text()}`);
      }
    }
    await sleep(warmupMs);
    fromMs = Date.now() - startedAt;
    await sleep(seconds * 1000);
  } finally {
    await publishers.stop();
    await service.stop();
    await nginx.stop();
  }
  const file = readdirSync(out).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(out, f)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0];
  if (file === undefined) throw new Error(`no .cpuprofile in ${out}`);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  // The profile starts with the process, a little before `startedAt`: the window is placed
  // from its end back, which is when the service stopped (just after the window).
  const lengthUs = profile.timeDeltas.reduce((n, d) => n + d, 0);
  const windowUs = seconds * 1e6;
  const stopSlackUs = (Date.now() - startedAt - fromMs) * 1000 - windowUs;
  const toUs = lengthUs - Math.max(0, stopSlackUs);
  console.log(`# CPU profile: ${streams} stream(s) × ${destinations} destination(s), ${seconds} s window after ${warmupMs / 1000} s warm-up`);
  console.log(`profile: ${file}`);
  for (const line of summarize(profile, toUs - windowUs, toUs)) console.log(line);
}

if (require.main === module) {
  reexecIsolatedOrContinue();
  main().then(
    () => process.exit(0),
    (error: Error) => {
      console.error(`bench profile: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
