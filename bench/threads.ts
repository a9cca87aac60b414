/**
 * Where the CPU of a relaying service goes, by process and by thread: each process's main
 * thread apart, its other threads by name (libuv pool, V8 helpers, media workers: Node
 * names worker threads as the process), every child (ffmpeg) summed by name, with user
 * and system time apart, read from /proc over a window. With media workers, their own
 * /metrics figures follow the table.
 *
 *   npx tsx bench/threads.ts [--streams 4] [--seconds 20] [--media-workers N] [--node-args '--flag …'] [--set key=value]…
 *
 * `--node-args` replaces the production node flags (src/node-flags.ts); `--node-args ''`
 * runs without them.
 *
 * Starts nginx-rtmp and the service, has tools/load-publisher.ts publish `streams`
 * 640x480 H.264 + Opus streams, relays each to nginx-rtmp, and prints % of one core per
 * thread name summed over the service's process tree. System time on the sending side
 * includes the loopback receive path of nginx (on loopback the kernel delivers inline).
 */
import { describeProperties, propertyArgs } from './lib/property-args';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { NginxRtmp } from '../test/helpers/nginx-rtmp';
import { reexecIsolatedOrContinue } from './lib/netns';
import { processTree } from './lib/proc-sampler';
import { LoadPublishers } from './lib/publisher-set';
import { ServiceProcess } from './lib/service-process';
import { NODE_FLAGS } from '../src/node-flags';

const TICKS_PER_SECOND = 100;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

interface ThreadTimes {
  /** "<process comm>/<thread comm>" */
  key: string;
  utime: number;
  stime: number;
}

/** utime and stime (clock ticks) of every thread of `pid`, from /proc/PID/task/TID/stat. */
function threadTimes(pid: number): ThreadTimes[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: ThreadTimes[] = [];
  let processName = '';
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const comm = text.slice(open + 1, close);
    if (tid === String(pid)) processName = comm;
    // fields after the comm: state is field 3; utime 14 and stime 15 (1-based)
    const fields = text.slice(close + 2).split(' ');
    // The main thread apart: worker threads and V8's helpers may carry the process's name too.
    out.push({ key: tid === String(pid) ? 'main' : comm, utime: Number(fields[11]), stime: Number(fields[12]) });
  }
  return out.map((t) => ({ ...t, key: `${processName}/${t.key}` }));
}

/** Ticks per "process/thread" name over the service's tree. */
function snapshot(root: number): Map<string, { utime: number; stime: number }> {
  const sums = new Map<string, { utime: number; stime: number }>();
  for (const pid of processTree(root)) {
    for (const t of threadTimes(pid)) {
      const s = sums.get(t.key) ?? { utime: 0, stime: 0 };
      s.utime += t.utime;
      s.stime += t.stime;
      sums.set(t.key, s);
    }
  }
  return sums;
}

async function main(): Promise<void> {
  const streams = Number(arg('--streams', '4'));
  const seconds = Number(arg('--seconds', '20'));
  const mediaWorkers = Number(arg('--media-workers', '0'));
  const nginx = await NginxRtmp.start();
  const nodeArgs = arg('--node-args', NODE_FLAGS.join(' ')).split(' ').filter((a) => a !== '');
  const props = propertyArgs();
  const service = await ServiceProcess.start({ max_streams_total: 100, media_workers: mediaWorkers, ...props }, nodeArgs);
  const publishers = new LoadPublishers({ width: 640, height: 480, videoKbps: 2000 });
  try {
    await publishers.start(service.wsUrl, 'threads-', streams);
    for (let i = 1; i <= streams; i++) {
      const res = await fetch(`http://127.0.0.1:${service.httpPort}/rest-api/push/startup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ streamName: `threads-${i}`, rtmpUrl: `${nginx.url()}/threads-${i}`, rtmpTransponderFullUrl: true }),
      });
      if (res.status !== 200) throw new Error(`startup answered ${res.status}: ${await res.text()}`);
    }
    await sleep(5000);
    const before = snapshot(service.pid);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const after = snapshot(service.pid);
    const wallS = (performance.now() - t0) / 1000;
    const rows: Array<[string, number, number]> = [];
    for (const [key, a] of after) {
      const b = before.get(key) ?? { utime: 0, stime: 0 };
      const user = ((a.utime - b.utime) / TICKS_PER_SECOND / wallS) * 100;
      const sys = ((a.stime - b.stime) / TICKS_PER_SECOND / wallS) * 100;
      if (user + sys > 0) rows.push([key, user, sys]);
    }
    rows.sort((x, y) => y[1] + y[2] - (x[1] + x[2]));
    const total = rows.reduce((n, r) => n + r[1] + r[2], 0);
    console.log(`# CPU by thread: ${streams} stream(s), ${seconds} s window after 5 s warm-up, media_workers=${mediaWorkers}${Object.keys(props).length > 0 ? `, ${describeProperties(props)}` : ''}${nodeArgs.length > 0 ? `, node ${nodeArgs.join(' ')}` : ''}`);
    console.log('| process/thread | user % | sys % | total % | per stream % |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const [key, user, sys] of rows) console.log(`| ${key} | ${user.toFixed(2)} | ${sys.toFixed(2)} | ${(user + sys).toFixed(2)} | ${((user + sys) / streams).toFixed(2)} |`);
    console.log(`| all | | | ${total.toFixed(2)} | ${(total / streams).toFixed(2)} |`);
    if (mediaWorkers > 0) {
      // What the workers say of themselves (their last second), beside what /proc says of their threads.
      const text = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
      for (const m of text.matchAll(/^rtmp_transponder_media_worker_(event_loop_utilization|event_loop_lag_p99_seconds|publishers)\{worker="(\d+)"\} (\S+)$/gm)) {
        console.log(`- /metrics: worker ${m[2]} ${m[1]} ${Number(m[3]).toFixed(3)}`);
      }
    }
  } finally {
    await publishers.stop();
    await service.stop();
    await nginx.stop();
  }
}

reexecIsolatedOrContinue();
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
