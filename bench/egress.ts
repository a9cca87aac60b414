/**
 * Egress benchmark (issue 2): push a 720p30 ~5 Mbps H.264 + AAC FLV file, paced in
 * real time, to a real nginx-rtmp on loopback through `npm run push` (a child
 * process measured on its own): CPU %, RSS, and the time from calling publish to
 * NetStream.Publish.Start. Publish.Start latency is also sampled over many short
 * connections in-process.
 *
 *   npx tsx bench/egress.ts [--quick]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NginxRtmp } from '../test/helpers/nginx-rtmp';
import { RtmpPublisher } from '../src/rtmp/rtmp-publisher';
import { BenchChild } from './lib/child';
import { ProcessSampler } from './lib/proc-sampler';
import { renderSection, round, type BenchSection } from './lib/report';

export interface EgressBenchOptions {
  quick?: boolean;
}

const CACHE = path.join(os.tmpdir(), 'rtmp-transponder-bench');

/** 20 s of 1280x720 30 fps H.264 at ~5 Mbps + AAC 48 kHz stereo, made once and cached. */
function sourceFile(): string {
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, 'egress-720p30-5M-20s.flv');
  if (fs.existsSync(file)) return file;
  execFileSync('ffmpeg', [
    '-v', 'error', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '20', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    '-g', '60', '-bf', '0', '-b:v', '5000k', '-maxrate', '5000k', '-bufsize', '10000k',
    '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-b:a', '128k', '-f', 'flv', file,
  ]);
  return file;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** publish() → NetStream.Publish.Start, over `n` fresh connections. */
async function publishStartTimes(nginx: NginxRtmp, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = new RtmpPublisher({
      url: `${nginx.url()}/latency-${i}`,
      naming: { fullUrl: true },
      sendMetadata: true,
      hasVideo: true,
    });
    const t0 = performance.now();
    await p.start();
    times.push(performance.now() - t0);
    await p.close();
  }
  return times.sort((a, b) => a - b);
}

export async function runEgressBench(opts: EgressBenchOptions = {}): Promise<BenchSection> {
  const seconds = opts.quick ? 15 : 60;
  const file = sourceFile();
  // No notify hooks: their HTTP round trips are the test harness's, not the publisher's.
  const nginx = await NginxRtmp.start({ hooks: false });
  try {
    const push = new BenchChild('push', 'tools/push.ts', [file, `${nginx.url()}/bench`, '--loop', '--duration', String(seconds)]);
    const sampler = new ProcessSampler(push.pid, { withChildren: false });
    sampler.start();
    const started = await push.waitFor(/NetStream\.Publish\.Start after (\d+) ms/, 20_000);
    const code = await push.exited;
    sampler.stop();
    if (code !== 0) throw new Error(`push exited ${code}:\n${push.output().slice(-2000)}`);
    const warmup = 3000;
    const s = sampler.summary(warmup);
    const done = /done: .*?(\d+) bytes, (\d+) video and (\d+) audio frames, (\d+) dropped/.exec(push.output());
    const mbps = done ? (Number(done[1]) * 8) / seconds / 1e6 : NaN;
    const starts = await publishStartTimes(nginx, opts.quick ? 10 : 30);
    return {
      title: `Egress: one 720p30 ~5 Mbps H.264 + AAC push to nginx-rtmp on loopback, ${seconds} s paced`,
      rows: [
        {
          'CPU % mean (one core)': round(s.cpuMean),
          'CPU % max': round(s.cpuMax),
          'RSS MiB mean': round(s.rssMeanMiB),
          'RSS MiB max': round(s.rssMaxMiB),
          'Mbit/s sent': round(mbps, 2),
          'video frames dropped': done ? Number(done[4]) : 'n/a',
          'publish→Publish.Start, CLI run (ms)': Number(started[1]),
          [`publish→Publish.Start p50 / p99 over ${starts.length} (ms)`]: `${round(percentile(starts, 50), 2)} / ${round(percentile(starts, 99), 2)}`,
        },
      ],
      notes: [
        'CPU and RSS are of the `npm run push` process alone (node + tsx), sampled each second from /proc after a 3 s warm-up.',
        'Publish.Start time covers TCP connect, handshake, connect, releaseStream/FCPublish, createStream and publish.',
      ],
    };
  } finally {
    await nginx.stop();
  }
}

if (require.main === module) {
  runEgressBench({ quick: process.argv.includes('--quick') }).then(
    (section) => console.log(renderSection(section)),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
