/**
 * The ingest benchmark: what one WebRTC stream costs our service.
 *
 *   npx tsx bench/ingest.ts [--quick]      prints a markdown section
 *
 * The service runs as a child process (`src/main.ts --config <tmp properties>`, a fresh
 * one per scenario) and its CPU (% of one core, from /proc utime+stime) and RSS are
 * sampled every second, apart from the load: first idle, then under
 *  - one Chromium publishing 720p30 from a y4m file with the official WebSDK, and
 *  - 1, 5 and 20 light publishers (tools/load-publisher.ts, its own child process).
 * Started on the host, the script re-runs itself in a private network namespace
 * (`unshare --net`, lo up); bench/run.ts calls runIngestBench from inside one.
 */
import { cpus } from 'node:os';
import { ChromiumBrowser, chromiumAvailable, PageServer, senderStats, waitForStatus, type SenderStats } from '../test/helpers/chromium';
import { BenchChild } from './lib/child';
import { networkIsolated, reexecIsolatedOrContinue } from './lib/netns';
import { ProcessSampler, type ProcSummary } from './lib/proc-sampler';
import { renderSection, round, type BenchSection } from './lib/report';
import { ServiceProcess, type DebugStream } from './lib/service-process';
import { ensureY4m } from './lib/y4m';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WindowTiming } from './lib/window-timing';

export type { BenchSection } from './lib/report';

export interface IngestBenchOptions {
  quick?: boolean;
  /** light publisher counts (default 1, 5, 20) */
  loads?: number[];
  /** skip the Chromium scenario */
  noChromium?: boolean;
  /** progress lines (default: stderr) */
  log?: (line: string) => void;
}

/** Settings of the measured service besides the loopback ones: the browser's rate cap. */
const SERVICE_PROPERTIES = {
  webrtc_cc_min_bitrate: 1_000_000,
  webrtc_cc_max_bitrate: 2_500_000,
  max_streams_total: 100,
};

function timing(quick: boolean): WindowTiming {
  return quick ? { idleMs: 2000, warmupMs: 2000, measureMs: 10_000 } : { idleMs: 3000, warmupMs: 3000, measureMs: 30_000 };
}

interface StreamWindow {
  streams: number;
  fpsMean: number;
  fpsMin: number;
  lost: number;
  keyframes: number;
}

/** Frames each stream received between two /debug/streams snapshots. */
function framesBetween(before: DebugStream[], after: DebugStream[], seconds: number): StreamWindow {
  const fps: number[] = [];
  let lost = 0;
  let keyframes = 0;
  for (const a of after) {
    const b = before.find((x) => x.streamName === a.streamName);
    fps.push(((a.video?.frames ?? 0) - (b?.video?.frames ?? 0)) / seconds);
    lost += (a.video?.lost ?? 0) - (b?.video?.lost ?? 0) + (a.audio?.lost ?? 0) - (b?.audio?.lost ?? 0);
    keyframes += (a.video?.keyframes ?? 0) - (b?.video?.keyframes ?? 0);
  }
  return {
    streams: after.length,
    fpsMean: fps.length ? fps.reduce((n, x) => n + x, 0) / fps.length : 0,
    fpsMin: fps.length ? Math.min(...fps) : 0,
    lost,
    keyframes,
  };
}

function row(scenario: string, streams: number, idle: ProcSummary, load: ProcSummary, window?: StreamWindow, extra: Record<string, string | number> = {}): Record<string, string | number> {
  const perStream = (v: number): number | string => (streams > 0 ? round(v / streams, 2) : '');
  return {
    scenario,
    streams,
    'server CPU % mean': round(load.cpuMean),
    'server CPU % max': round(load.cpuMax),
    'CPU %/stream': perStream(load.cpuMean - idle.cpuMean),
    'server RSS MiB mean': round(load.rssMeanMiB),
    'server RSS MiB max': round(load.rssMaxMiB),
    'RSS MiB/stream': perStream(load.rssMeanMiB - idle.rssMeanMiB),
    'fps/stream (mean, min)': window ? `${round(window.fpsMean)}, ${round(window.fpsMin)}` : '',
    'packets lost': window ? window.lost : '',
    ...extra,
  };
}

/** One Chromium publishing 720p30 from a y4m file: server cost and Chromium's getStats ramp. */
async function chromiumScenario(t: WindowTiming, log: (l: string) => void): Promise<{ row: Record<string, string | number>; notes: string[] }> {
  const y4m = ensureY4m(1280, 720, 30, 10);
  const service = await ServiceProcess.start(SERVICE_PROPERTIES);
  const sampler = new ProcessSampler(service.pid);
  const pages = new PageServer();
  const browser = new ChromiumBrowser();
  try {
    sampler.start();
    await sleep(t.idleMs);
    const idle = sampler.summary(0, sampler.now());
    await pages.start();
    await browser.launch({ videoFile: y4m });
    const page = await browser.newPage(`${pages.url}/?server=${service.wsUrl}&name=bench-chromium&autostart=1`);
    const state = await waitForStatus(page, ['PUBLISHING', 'FAILED'], 30_000);
    if (state.status !== 'PUBLISHING') throw new Error(`Chromium did not publish: ${state.status} ${state.info}`);
    const publishedAt = Date.now();
    log('chromium: PUBLISHING');
    const ramp: Array<{ at: number; s: SenderStats }> = [];
    for (const at of [1000, 2000, 5000]) {
      await sleep(Math.max(0, publishedAt + at - Date.now()));
      ramp.push({ at, s: await senderStats(page) });
    }
    // The window starts after both the ramp and the warm-up.
    await sleep(Math.max(0, publishedAt + Math.max(t.warmupMs, 5000) - Date.now()));
    const before = (await service.debugStreams()) ?? [];
    const from = sampler.now();
    await sleep(t.measureMs);
    const to = sampler.now();
    const after = await service.debugStreams();
    const last = await senderStats(page);
    const load = sampler.summary(from, to);
    await page.close();
    const kbps = (v?: number): string => (v === undefined ? '-' : `${Math.round(v / 1000)}`);
    const notes = [
      `Chromium getStats after PUBLISHING (availableOutgoingBitrate / targetBitrate kbit/s, frameWidth): ${ramp.map((r) => `${r.at / 1000} s: ${kbps(r.s.availableOutgoingBitrate)} / ${kbps(r.s.targetBitrate)}, ${r.s.frameWidth ?? '-'}`).join('; ')}; end of window: ${kbps(last.availableOutgoingBitrate)} / ${kbps(last.targetBitrate)}, ${last.frameWidth ?? '-'}x${last.frameHeight ?? '-'} at ${last.framesPerSecond ?? '-'} fps`,
    ];
    const video = after?.[0]?.video;
    const window = after ? framesBetween(before, after, (to - from) / 1000) : undefined;
    return {
      row: row('Chromium 720p30 (WebSDK, y4m)', 1, idle, load, window, { 'server idle RSS MiB': round(idle.rssMeanMiB), 'received kbit/s': video?.bitrateKbps ?? '', 'load CPU %': '' }),
      notes,
    };
  } finally {
    sampler.stop();
    await browser.close();
    await pages.stop();
    await service.stop();
  }
}

/** N light publishers (the load generator in its own process). */
async function lightScenario(n: number, t: WindowTiming, log: (l: string) => void): Promise<{ row: Record<string, string | number>; notes: string[] }> {
  const service = await ServiceProcess.start(SERVICE_PROPERTIES);
  const sampler = new ProcessSampler(service.pid);
  let generator: BenchChild | undefined;
  let generatorSampler: ProcessSampler | undefined;
  try {
    sampler.start();
    await sleep(t.idleMs);
    const idle = sampler.summary(0, sampler.now());
    generator = new BenchChild('load-publisher', 'tools/load-publisher.ts', ['--url', service.wsUrl, '--streams', String(n), '--duration', '3600', '--prefix', `light${n}-`]);
    generatorSampler = new ProcessSampler(generator.pid);
    generatorSampler.start();
    const ready = await generator.waitFor(/streams PUBLISHING on \S+ \(source (\d+) kbit\/s video\)/, 30_000 + n * 2000);
    log(`light ${n}: all PUBLISHING`);
    await sleep(t.warmupMs);
    const before = (await service.debugStreams()) ?? [];
    const from = sampler.now();
    const genFrom = generatorSampler.now();
    await sleep(t.measureMs);
    const to = sampler.now();
    const after = await service.debugStreams();
    const load = sampler.summary(from, to);
    const gen = generatorSampler.summary(genFrom, generatorSampler.now());
    const code = await generator.stop();
    const lag = /"maxLagMs":(\d+)/.exec(generator.output())?.[1];
    const window = after ? framesBetween(before, after, (to - from) / 1000) : undefined;
    const notes: string[] = [];
    if (code !== 0) notes.push(`light ${n}: the load generator exited with ${code}: ${generator.output().trim().split('\n').slice(-1)[0]}`);
    if (window && window.streams !== n) notes.push(`light ${n}: the service listed ${window.streams} streams, not ${n}`);
    return {
      row: row(`light publishers (${ready[1]} kbit/s H.264 720p30 + Opus)`, n, idle, load, window, {
        'server idle RSS MiB': round(idle.rssMeanMiB),
        'received kbit/s': after ? Math.round(after.reduce((s, x) => s + (x.video?.bitrateKbps ?? 0), 0) / Math.max(1, after.length)) : '',
        'load CPU %': `${round(gen.cpuMean)} (max lag ${lag ?? '?'} ms)`,
      }),
      notes,
    };
  } finally {
    sampler.stop();
    generatorSampler?.stop();
    await generator?.stop();
    await service.stop();
  }
}

/** Runs every scenario; the caller should be in a private network namespace (see netns.ts). */
export async function runIngestBench(opts: IngestBenchOptions = {}): Promise<BenchSection> {
  const quick = opts.quick ?? false;
  const log = opts.log ?? ((l: string) => process.stderr.write(`bench ingest: ${l}\n`));
  const t = timing(quick);
  const rows: Array<Record<string, string | number>> = [];
  const notes: string[] = [];
  if (!opts.noChromium) {
    if (chromiumAvailable()) {
      try {
        const r = await chromiumScenario(t, log);
        rows.push(r.row);
        notes.push(...r.notes);
      } catch (error) {
        notes.push(`Chromium scenario failed: ${(error as Error).message.split('\n')[0]}`);
      }
    } else {
      notes.push('Chromium scenario skipped: /usr/bin/chromium is absent');
    }
  }
  for (const n of opts.loads ?? [1, 5, 20]) {
    try {
      const r = await lightScenario(n, t, log);
      rows.push(r.row);
      notes.push(...r.notes);
    } catch (error) {
      notes.push(`light ${n} failed: ${(error as Error).message.split('\n').slice(0, 8).join(' | ')}`);
    }
  }
  const cpu = cpus();
  notes.push(
    `${quick ? 'quick run: ' : ''}each scenario on a fresh service process; idle ${t.idleMs / 1000} s, warm-up ${t.warmupMs / 1000} s, then ${t.measureMs / 1000} s measured (samples every second). CPU % is of one core (200 % = both of ${cpu.length} cores); per stream = (load − idle) / streams. "load CPU %" is the load generator's own process.`,
    `service: node --import tsx src/main.ts (what npm start runs) with ip/ip_local/bind_address 127.0.0.1, webrtc_cc_min/max_bitrate ${SERVICE_PROPERTIES.webrtc_cc_min_bitrate / 1000}/${SERVICE_PROPERTIES.webrtc_cc_max_bitrate / 1000} kbit/s; frames per stream from GET /debug/streams.`,
    `machine: ${cpu[0]?.model ?? '?'} × ${cpu.length}, Node ${process.version}; ${networkIsolated() ? 'private network namespace (lo only)' : 'NOT isolated: host loopback'}.`,
  );
  return { title: 'Ingest: WebRTC publishers into the service', rows, notes };
}

if (require.main === module) {
  reexecIsolatedOrContinue();
  const quick = process.argv.includes('--quick');
  runIngestBench({ quick }).then(
    (section) => {
      console.log(renderSection(section));
      process.exit(0);
    },
    (error: Error) => {
      console.error(`bench ingest: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
