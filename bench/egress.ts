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
import { PerformanceObserver } from 'node:perf_hooks';
import { FlvReader, FlvTagType, parseVideoTag, aacRawTag, parseAudioTag, AvcPacketType, type FlvTag } from '../src/flv';
import { fromAvcc, parseAvcDecoderConfigurationRecord } from '../src/media/h264';
import type { VideoFrame } from '../src/media';
import { VideoMuxer } from '../src/transponder/video-muxer';

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

/** The source file as the relay holds it before muxing: video as access units (NAL units), audio as raw AAC. */
function sourceMedia(file: string): Array<{ video: VideoFrame } | { audio: { pts: number; raw: Buffer } }> {
  const reader = new FlvReader();
  const tags: FlvTag[] = reader.push(fs.readFileSync(file));
  let header: { sps: Buffer[]; pps: Buffer[] } | undefined;
  const out: Array<{ video: VideoFrame } | { audio: { pts: number; raw: Buffer } }> = [];
  for (const tag of tags) {
    if (tag.type === FlvTagType.Video) {
      const v = parseVideoTag(tag.data);
      if (v.avcPacketType === AvcPacketType.SequenceHeader) {
        header = parseAvcDecoderConfigurationRecord(v.payload);
        continue;
      }
      const keyframe = v.frameType === 1;
      // Own copies, as the depacketizer hands them over (not views into the file).
      const nals = fromAvcc(v.payload).map((n) => Buffer.from(n));
      out.push({ video: { pts: tag.timestamp, keyframe, nalUnits: keyframe && header ? [...header.sps, ...header.pps, ...nals] : nals } });
    } else if (tag.type === FlvTagType.Audio) {
      const a = parseAudioTag(tag.data);
      if (a.aacPacketType === 1) out.push({ audio: { pts: tag.timestamp, raw: Buffer.from(a.payload) } });
    }
  }
  return out;
}

/**
 * The relay's write path alone, in this process: access units → VideoMuxer → RtmpPublisher
 * → nginx-rtmp, one source frame per event-loop turn (as RTP packets arrive), as fast as
 * the socket takes them. Counts what does not depend on the machine's load: CPU time of
 * this process per frame, GC pauses, and (under strace) syscalls.
 */
export async function runWritePathBench(passes: number, together = false): Promise<BenchSection> {
  const media = sourceMedia(sourceFile());
  const nginx = await NginxRtmp.start({ hooks: false });
  const gcs = { count: 0, ms: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs.count++;
      gcs.ms += e.duration;
    }
  });
  try {
    const publisher = new RtmpPublisher({
      url: `${nginx.url()}/write-path`,
      naming: { fullUrl: true },
      sendMetadata: false,
      hasVideo: true,
      maxLagMs: 1e9,
      maxQueueBytes: 64 * 1024 * 1024,
    });
    await publisher.start();
    const muxer = new VideoMuxer();
    const span = 20_000; // the file's length, ms: each pass continues the clock
    const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
    // One pass to warm up (JIT), then the measured passes.
    let cpu = process.cpuUsage();
    let frames = 0;
    let items = 0;
    let wallStart = performance.now();
    for (let pass = 0; pass <= passes; pass++) {
      if (pass === 1) {
        cpu = process.cpuUsage();
        wallStart = performance.now();
        obs.observe({ entryTypes: ['gc'] });
      }
      const offset = pass * span;
      for (const item of media) {
        if ('video' in item) {
          const f = item.video;
          for (const tag of muxer.mux({ pts: f.pts + offset, keyframe: f.keyframe, nalUnits: f.nalUnits })) publisher.send(tag);
          if (pass > 0) frames++;
        } else {
          publisher.send(aacRawTag(item.audio.pts + offset, item.audio.raw));
          // The Interleaver lets audio out together with the video frame that waited for it.
          if (together) continue;
        }
        await turn();
        // Backpressure, looked at now and then (toJSON allocates): the queue may not drop.
        if (++items % 16 === 0) {
          while (publisher.toJSON().queuedBytes > 1024 * 1024) await new Promise((r) => setTimeout(r, 2));
        }
      }
    }
    while (publisher.toJSON().queuedBytes > 0) await new Promise((r) => setTimeout(r, 2));
    const used = process.cpuUsage(cpu);
    const wall = performance.now() - wallStart;
    obs.disconnect();
    const stats = publisher.toJSON();
    await publisher.close();
    return {
      title: `Egress write path: ${frames} 720p ~5 Mbps access units (+ AAC) muxed and written to nginx-rtmp, ${together ? 'each video frame with the audio before it' : 'one tag'} per turn`,
      rows: [
        {
          'CPU µs per video frame (user+sys)': round((used.user + used.system) / frames, 1),
          'user µs': round(used.user / frames, 1),
          'sys µs': round(used.system / frames, 1),
          'GC pauses per 1000 frames': round((gcs.count * 1000) / frames, 1),
          'GC ms per 1000 frames': round((gcs.ms * 1000) / frames, 2),
          'wall ms': round(wall),
          'video frames dropped': stats.videoFramesDropped,
          'bytes sent': stats.bytesSent,
        },
      ],
      notes: [
        'CPU time of this process only (nginx aside), after one warm-up pass; `--write-path N` sets the passes over the 20 s file;',
        '`--together`: audio tags go out in the same turn as the next video frame, as the Interleaver releases them.',
      ],
    };
  } finally {
    obs.disconnect();
    await nginx.stop();
  }
}

if (require.main === module && process.argv.includes('--write-path')) {
  const n = Number(process.argv[process.argv.indexOf('--write-path') + 1]) || 5;
  runWritePathBench(n, process.argv.includes('--together')).then(
    (section) => console.log(renderSection(section)),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
} else if (require.main === module) {
  runEgressBench({ quick: process.argv.includes('--quick') }).then(
    (section) => console.log(renderSection(section)),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
