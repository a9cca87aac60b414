/**
 * The cost of a VP8 publisher: CPU of one transponder that transcodes VP8 → H.264
 * (the default parameters a VP8 source gets: same size, CRF 23 capped, keyframe every
 * 2 s) and encodes AAC, relaying to a real nginx-rtmp.
 *
 *   npx tsx bench/vpx-transcode.ts [--quick]     prints a markdown section
 *
 * The source plays VP8 frames made by libvpx (realtime, 30 fps, testsrc2: moving
 * detail, the hard case for an encoder) from IVF, with Opus audio, in real time, as a
 * publisher would emit them. CPU is sampled from /proc per process, 100 % = one core:
 * the ffmpeg that transcodes (VP8 decode + scale + libx264 veryfast), the AAC ffmpeg,
 * and this Node process (the source, FLV muxing, RTMP).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log';
import { parseVp8FrameHeader, type AudioFrame, type VideoCodec, type VideoFrame, type VpxFrame } from '../src/media';
import { RestorePolicy } from '../src/transponder/restore-policy';
import { transcodeForSource } from '../src/transponder/transcode-params';
import { Transponder, type TransponderSource } from '../src/transponder/transponder';
import { TypedEmitter } from '../src/util/typed-emitter';
import { NginxRtmp } from '../test/helpers/nginx-rtmp';
import { readIvf } from '../test/helpers/ivf-reader';
import { oggOpusPackets } from '../test/media/audio-analysis';
import { reexecIsolatedOrContinue } from './lib/netns';
import { ProcessSampler } from './lib/proc-sampler';
import { renderSection, round, type BenchSection } from './lib/report';
import { setTimeout as sleep } from 'node:timers/promises';

type SourceEvents = { video: [VideoFrame]; vpxVideo: [VpxFrame]; audio: [AudioFrame]; close: [string] };

class VpxPlayer extends TypedEmitter<SourceEvents> implements TransponderSource {
  closed = false;
  private timers: NodeJS.Timeout[] = [];
  constructor(readonly streamName: string, private readonly frames: Array<Omit<VpxFrame, 'pts'>>, private readonly opus: Buffer[]) {
    super();
  }
  hasAudio(): boolean { return true; }
  hasVideo(): boolean { return true; }
  videoCodec(): VideoCodec { return 'vp8'; }
  requestKeyframe(): void { /* the loop starts each pass on a keyframe */ }
  play(): void {
    const t0 = performance.now();
    let v = 0;
    let a = 0;
    this.timers.push(setInterval(() => {
      this.emit('vpxVideo', { ...this.frames[v % this.frames.length]!, pts: Math.round(t0 + v * (1000 / 30)) });
      v++;
    }, 1000 / 30));
    this.timers.push(setInterval(() => {
      this.emit('audio', { pts: t0 + a * 20, opus: this.opus[a % this.opus.length]! });
      a++;
    }, 20));
  }
  stop(reason: string): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.closed = true;
    this.emit('close', reason);
  }
}

/** ffmpeg children of this process: pid and command line. */
function ffmpegChildren(): Array<{ pid: number; args: string }> {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim()).filter((l) => l.includes('ffmpeg')).map((l) => {
    const space = l.indexOf(' ');
    return { pid: Number(l.slice(0, space)), args: l.slice(space + 1) };
  });
}

async function measure(dir: string, nginx: NginxRtmp, opus: Buffer[], width: number, height: number, sourceKbps: number, seconds: number): Promise<Record<string, string | number>> {
  const ivf = join(dir, `${width}x${height}.ivf`);
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`, '-t', '4',
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-auto-alt-ref', '0',
    '-g', '120', '-b:v', `${sourceKbps}k`, '-f', 'ivf', ivf,
  ]);
  const frames = readIvf(readFileSync(ivf)).frames.map(({ data }) => {
    const info = parseVp8FrameHeader(data);
    return { codec: 'vp8' as const, data, keyframe: info.keyframe, width: info.width, height: info.height };
  });
  const name = `vp8bench${width}`;
  const source = new VpxPlayer(name, frames, opus);
  const t = new Transponder({
    mediaSessionId: name,
    source,
    rtmpUrl: `${nginx.url()}/${name}`,
    naming: { fullUrl: true },
    sendMetadata: true,
    restore: new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }),
    outputBuffer: { enabled: false, startSizeMs: 300, initialSizeMs: 2000, pollingTimeMs: 50, maxBufferingsAllowed: -1 },
    transcode: transcodeForSource(undefined, 'vp8'),
    log: silentLogger,
  });
  const samplers: ProcessSampler[] = [];
  try {
    t.start();
    source.play();
    const deadline = performance.now() + 20_000;
    while (t.state !== 'PUBLISHING') {
      if (performance.now() > deadline || t.ended) throw new Error(`transponder ${t.state}: ${t.snapshot().reason}`);
      await sleep(100);
    }
    await sleep(3000); // warm-up: encoder start, first GOP
    const children = ffmpegChildren();
    const transcoder = children.find((c) => c.args.includes('libx264'));
    const aac = children.find((c) => c.args.includes('aac'));
    if (!transcoder || !aac) throw new Error(`ffmpeg children not found: ${JSON.stringify(children)}`);
    const node = new ProcessSampler(process.pid, { withChildren: false });
    const x264 = new ProcessSampler(transcoder.pid, { withChildren: false });
    const audio = new ProcessSampler(aac.pid, { withChildren: false });
    samplers.push(node, x264, audio);
    for (const s of samplers) s.start();
    const framesBefore = t.snapshot().stats.framesSent;
    await sleep(seconds * 1000);
    for (const s of samplers) s.stop();
    const framesSent = t.snapshot().stats.framesSent - framesBefore;
    const [n, v, a] = [node.summary(), x264.summary(), audio.summary()];
    return {
      source: `VP8 ${width}x${height} 30 fps ${sourceKbps} kbit/s`,
      'transcoder ffmpeg CPU % (mean / max)': `${round(v.cpuMean)} / ${round(v.cpuMax)}`,
      'AAC ffmpeg CPU %': round(a.cpuMean),
      'node CPU %': round(n.cpuMean),
      'total CPU %': round(v.cpuMean + a.cpuMean + n.cpuMean),
      'transcoder RSS MiB': round(v.rssMaxMiB),
      'tags sent / s': round(framesSent / seconds),
      state: t.state,
    };
  } finally {
    for (const s of samplers) s.stop();
    source.stop('bench over');
    await t.close('bench over');
  }
}

export async function runVpxTranscodeBench(opts: { quick?: boolean } = {}): Promise<BenchSection> {
  const seconds = opts.quick ? 5 : 15;
  const dir = mkdtempSync(join(tmpdir(), 'vpx-bench-'));
  const nginx = await NginxRtmp.start({ hooks: false });
  try {
    const ogg = join(dir, 'a.ogg');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '4', '-ac', '2', '-c:a', 'libopus', '-frame_duration', '20', '-f', 'ogg', ogg]);
    const opus = oggOpusPackets(readFileSync(ogg)).packets;
    const rows = [
      await measure(dir, nginx, opus, 640, 480, 1000, seconds),
      await measure(dir, nginx, opus, 1280, 720, 2500, seconds),
    ];
    return {
      title: 'VP8 → H.264: CPU of one transcoding transponder',
      rows,
      notes: [
        `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${seconds} s measured after 3 s of warm-up; 100 % = one core.`,
        'Default parameters of a VP8 source: same size, libx264 veryfast zerolatency Main, CRF 23 capped at 0.12 bit/pixel, keyframe every 2 s.',
        'An H.264 publisher relayed without transcoding costs the node process and the AAC ffmpeg only.',
      ],
    };
  } finally {
    await nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  reexecIsolatedOrContinue();
  runVpxTranscodeBench({ quick: process.argv.includes('--quick') }).then(
    (section) => console.log(renderSection(section)),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
