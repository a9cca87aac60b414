/**
 * The per-stream cost benchmark (issue 8): what each relayed stream costs the service.
 *
 *   npx tsx bench/streams.ts [--quick] [--rounds N] [--no-cost] [--no-chromium] [--counts 1,4,8] [--media-workers N] [--set key=value]… [--node-args '--flag …']
 *
 * `--node-args` replaces the production node flags (src/node-flags.ts); `--node-args ''`
 * runs without them.
 *
 * The service runs as a child process (`src/main.ts`, a fresh one per scenario) and is
 * sampled with all its children (the AAC encoder ffmpeg of each transponder). The cost
 * rows take their publishers from the light load generator (tools/load-publisher.ts:
 * werift sending a pre-encoded 640x480 H.264 + Opus source in real time, in its own
 * process), deterministic and light, so the service is what is measured. The overload row
 * takes 8 real Chromium publishers (WebSDK go-live pages, fake camera), whose encoders
 * starve the service of the same cores: what it delivers then is the point. Each stream
 * is relayed as H.264 passthrough + Opus→AAC to a real nginx-rtmp.
 *
 * Per scenario (1, 4, 8 streams with one destination each; one stream with 1 and with 3
 * destinations; 8 Chromium publishers): CPU of service + children per stream, RSS, video
 * frames delivered to the RTMP server over frames received from the publishers, packets
 * lost for good, and the event-loop lag p99 over the window (prom-client's histogram,
 * which resets at each scrape of /metrics).
 */
import { describeProperties, propertyArgs } from './lib/property-args';
import { cpus } from 'node:os';
import { chromiumAvailable } from '../test/helpers/chromium';
import { NginxRtmp } from '../test/helpers/nginx-rtmp';
import { networkIsolated, reexecIsolatedOrContinue } from './lib/netns';
import { ProcessSampler, type ProcSummary } from './lib/proc-sampler';
import { ChromiumPublishers, LoadPublishers, type PublisherSet } from './lib/publisher-set';
import { medianOf } from './lib/latency-recorder';
import { renderSection, round, type BenchSection } from './lib/report';
import { ServiceProcess, type DebugStream } from './lib/service-process';
import { NODE_FLAGS } from '../src/node-flags';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WindowTiming } from './lib/window-timing';

export type { BenchSection } from './lib/report';

export interface StreamsBenchOptions {
  quick?: boolean;
  /** stream counts with one destination each (default 1, 4, 8) */
  counts?: number[];
  /** media_workers of the service (default: the setting's default) */
  mediaWorkers?: number;
  /** Other settings of the service (--set key=value). */
  properties?: Record<string, string>;
  /** Node flags of the service (default: the production ones, src/node-flags.ts). */
  nodeArgs?: readonly string[];
  /** times every scenario runs, interleaved (default 1) */
  rounds?: number;
  /** the cost rows with the load generator (default on) */
  cost?: boolean;
  /** the overload scenario with Chromium publishers (default: on when Chromium is installed) */
  chromium?: boolean;
  /** Chromium publishers in the overload scenario (default 8) */
  chromiumStreams?: number;
  /** progress lines (default: stderr) */
  log?: (line: string) => void;
}

type Row = Record<string, string | number>;

const SOURCE = { width: 640, height: 480, videoKbps: 2000 };
const SERVICE_PROPERTIES = { max_streams_total: 100 };
/** The browser's video capped at the source's rate, as the issue measured it. */
const CHROMIUM_PROPERTIES = { webrtc_cc_max_bitrate: SOURCE.videoKbps * 1000 };

function timing(quick: boolean): WindowTiming {
  return quick ? { idleMs: 2000, warmupMs: 3000, measureMs: 10_000 } : { idleMs: 3000, warmupMs: 5000, measureMs: 30_000 };
}

interface PushInfo {
  mediaSessionId: string;
  status: string;
  stats: { videoFramesSent: number; framesDropped: number };
}

async function rest(httpPort: number, method: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/rest-api/push/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

async function pushes(httpPort: number): Promise<PushInfo[]> {
  const r = await rest(httpPort, 'find_all', {});
  return r.status === 200 ? (r.body as PushInfo[]) : [];
}

async function waitPublishing(httpPort: number, count: number, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const all = await pushes(httpPort);
    if (all.filter((p) => p.status === 'PUBLISHING').length >= count) return;
    if (Date.now() > end) throw new Error(`transponders not PUBLISHING within ${ms} ms: ${JSON.stringify(all.map((p) => p.status))}`);
    await sleep(200);
  }
}

/** nodejs_eventloop_lag_p99_seconds from /metrics, in ms; the scrape also resets the histogram. */
async function eventLoopLagP99Ms(httpPort: number): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  if (!res.ok) return undefined;
  const m = /^nodejs_eventloop_lag_p99_seconds\s+(\S+)/m.exec(await res.text());
  return m ? Number(m[1]) * 1000 : undefined;
}

const sum = (xs: number[]): number => xs.reduce((n, x) => n + x, 0);
const videoIn = (streams: DebugStream[]): number => sum(streams.map((s) => s.video?.frames ?? 0));
const videoOut = (list: PushInfo[]): number => sum(list.map((p) => p.stats.videoFramesSent));

/** Video and audio packets the publishers' receivers counted as lost (not recovered by NACK). */
const lostIn = (streams: DebugStream[]): number => sum(streams.map((s) => (s.video?.lost ?? 0) + (s.audio?.lost ?? 0)));

interface Scenario {
  streams: number;
  destinations: number;
  publishers: PublisherSet;
  /** Settings besides SERVICE_PROPERTIES. */
  properties?: Record<string, string | number>;
  label?: string;
}

/** One reading of a counter, at the middle of the request that read it (ms). */
interface Reading {
  value: number;
  at: number;
}

interface Counted {
  count: number;
  perS: number;
}

/** The change of a counter between two readings, and per second of the time between them. */
function rate(a: Reading, b: Reading, divisor = 1): Counted {
  const count = (b.value - a.value) / divisor;
  return { count, perS: b.at > a.at ? count / ((b.at - a.at) / 1000) : 0 };
}

/** Reads `f`, timed at the middle of the read. */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; at: number }> {
  const start = performance.now();
  const value = await f();
  return { value, at: (start + performance.now()) / 2 };
}

interface Snapshot {
  pushes: PushInfo[];
  delivered: Reading;
  dropped: Reading;
  received: Reading;
  lost: Reading;
  sent?: { frames: Reading; nacks: Reading };
}

async function snapshot(service: ServiceProcess, publishers: PublisherSet): Promise<Snapshot> {
  const list = await timed(() => pushes(service.httpPort));
  const streams = await timed(async () => (await service.debugStreams()) ?? []);
  const sent = publishers.sent ? await timed(() => publishers.sent!()) : undefined;
  return {
    pushes: list.value,
    delivered: { value: videoOut(list.value), at: list.at },
    dropped: { value: sum(list.value.map((p) => p.stats.framesDropped)), at: list.at },
    received: { value: videoIn(streams.value), at: streams.at },
    lost: { value: lostIn(streams.value), at: streams.at },
    sent: sent && { frames: { value: sent.value.frames, at: sent.at }, nacks: { value: sent.value.nacks, at: sent.at } },
  };
}

/** `streams` publishers, each relayed to `destinations` RTMP URLs at nginx. */
async function scenario(c: Scenario, t: WindowTiming, nginx: NginxRtmp, log: (l: string) => void, opts: StreamsBenchOptions): Promise<{ row: Row; idle: ProcSummary; load: ProcSummary }> {
  const { mediaWorkers, properties = {} } = opts;
  const { streams, destinations } = c;
  const label = c.label ?? `${streams} stream${streams > 1 ? 's' : ''} × ${destinations} destination${destinations > 1 ? 's' : ''}`;
  const service = await ServiceProcess.start({ ...SERVICE_PROPERTIES, ...(mediaWorkers === undefined ? {} : { media_workers: mediaWorkers }), ...properties, ...c.properties }, opts.nodeArgs);
  const sampler = new ProcessSampler(service.pid);
  try {
    sampler.start();
    await sleep(t.idleMs);
    const idle = sampler.summary(0, sampler.now());
    const prefix = `cost${streams}x${destinations}-`;
    await c.publishers.start(service.wsUrl, prefix, streams);
    for (let s = 1; s <= streams; s++) {
      for (let d = 1; d <= destinations; d++) {
        const r = await rest(service.httpPort, 'startup', { streamName: `${prefix}${s}`, rtmpUrl: `${nginx.url()}/${prefix}${s}-${d}`, rtmpTransponderFullUrl: true });
        if (r.status !== 200) throw new Error(`startup answered ${r.status}: ${JSON.stringify(r.body)}`);
      }
    }
    await waitPublishing(service.httpPort, streams * destinations);
    log(`${label}: all PUBLISHING`);
    await sleep(t.warmupMs);
    const before = await snapshot(service, c.publishers);
    await eventLoopLagP99Ms(service.httpPort);
    const from = sampler.now();
    await sleep(t.measureMs);
    const to = sampler.now();
    const lag = await eventLoopLagP99Ms(service.httpPort);
    const after = await snapshot(service, c.publishers);
    // Each count over the time between its own two readings (the midpoints of the reads):
    // reading 8 Chromium pages' getStats takes seconds on a starved machine.
    const received = rate(before.received, after.received);
    const delivered = rate(before.delivered, after.delivered, destinations);
    const lost = rate(before.lost, after.lost);
    const dropped = rate(before.dropped, after.dropped, destinations);
    const sentFrames = before.sent && after.sent ? rate(before.sent.frames, after.sent.frames) : undefined;
    const nacks = before.sent && after.sent ? rate(before.sent.nacks, after.sent.nacks) : undefined;
    const load = sampler.summary(from, to);
    const n = streams;
    log(`${label}: CPU ${round(load.cpuMean)} %, video frames/s delivered ${round(delivered.perS)} / received ${round(received.perS)}, packets lost/s ${round(lost.perS)}`);
    const percentOf = (part: Counted, whole: Counted | undefined): string => (whole && whole.perS > 0 ? `${round((100 * part.perS) / whole.perS, 1)} %` : '-');
    return {
      idle,
      load,
      row: {
        scenario: label,
        'CPU % (service + children)': round(load.cpuMean),
        'CPU %/stream': round((load.cpuMean - idle.cpuMean) / n, 2),
        'RSS MiB (idle → load)': `${round(idle.rssMeanMiB)} → ${round(load.rssMeanMiB)}`,
        'RSS MiB/stream': round((load.rssMeanMiB - idle.rssMeanMiB) / n, 1),
        'PSS MiB (idle → load)': idle.pssMeanMiB === undefined || load.pssMeanMiB === undefined ? '-' : `${round(idle.pssMeanMiB)} → ${round(load.pssMeanMiB)}`,
        'PSS MiB/stream': idle.pssMeanMiB === undefined || load.pssMeanMiB === undefined ? '-' : round((load.pssMeanMiB - idle.pssMeanMiB) / n, 1),
        'video delivered / received': `${percentOf(delivered, received)} (${delivered.count}/${received.count})`,
        'video delivered / sent by publishers': percentOf(delivered, sentFrames),
        'video dropped by the pushes/stream/s': round(dropped.perS / n, 2),
        'NACKs/stream/s': nacks ? round(nacks.perS / n, 1) : '-',
        'packets lost/stream/s': round(lost.perS / n, 2),
        'event-loop lag p99 ms': lag === undefined ? '-' : round(lag, 1),
        states: [...new Set(after.pushes.map((p) => p.status))].join(','),
      },
    };
  } finally {
    sampler.stop();
    await c.publishers.stop();
    await service.stop();
  }
}

/** The scenarios of one round: the cost rows with the load generator, then the overload row. */
function streamsCases(opts: StreamsBenchOptions): Scenario[] {
  const light = new LoadPublishers(SOURCE);
  const cases: Scenario[] = opts.cost === false ? [] : [...(opts.counts ?? [1, 4, 8]).map((n): Scenario => ({ streams: n, destinations: 1, publishers: light })), { streams: 1, destinations: 3, publishers: light }];
  if (opts.chromium !== false && chromiumAvailable()) {
    const overload = opts.chromiumStreams ?? 8;
    // The issue's overload: real browsers encoding beside the service on the same cores.
    cases.push({ streams: overload, destinations: 1, publishers: new ChromiumPublishers(SOURCE), properties: CHROMIUM_PROPERTIES, label: `${overload} Chromium publishers × 1 destination (overload)` });
  }
  return cases;
}

/** Runs every scenario; the caller should be in a private network namespace (see netns.ts). */
export async function runStreamsBench(opts: StreamsBenchOptions = {}): Promise<BenchSection> {
  const quick = opts.quick ?? false;
  const log = opts.log ?? ((l: string) => process.stderr.write(`bench streams: ${l}\n`));
  const t = timing(quick);
  const rows: Row[] = [];
  const notes: string[] = [];
  const nginx = await NginxRtmp.start();
  try {
    const rounds = Math.max(1, opts.rounds ?? 1);
    const ratios: number[] = [];
    /** CPU %/stream of each scenario, one value per round that ran it */
    const perStream = new Map<string, number[]>();
    // Rounds interleave the scenarios (1, 4, 8, 1×3, overload, then again), so a slow
    // patch of the machine does not land on one scenario only.
    for (let roundNo = 1; roundNo <= rounds; roundNo++) {
      const suffix = rounds > 1 ? ` (round ${roundNo})` : '';
      const costs = new Map<string, number>();
      for (const c of streamsCases(opts)) {
        try {
          const r = await scenario(c, t, nginx, log, opts);
          rows.push({ ...r.row, scenario: `${r.row.scenario}${suffix}` });
          const cpu = r.row['CPU %/stream'];
          if (typeof cpu === 'number') perStream.set(String(r.row.scenario), [...(perStream.get(String(r.row.scenario)) ?? []), cpu]);
          if (c.label === undefined) costs.set(`${c.streams}x${c.destinations}`, r.load.cpuMean - r.idle.cpuMean);
        } catch (error) {
          notes.push(`${c.label ?? `${c.streams} × ${c.destinations}`}${suffix} failed: ${(error as Error).message.split('\n').slice(0, 6).join(' | ')}`);
        }
      }
      const one = costs.get('1x1');
      const three = costs.get('1x3');
      if (one !== undefined && three !== undefined && one > 0) ratios.push(three / one);
    }
    if (rounds > 1 && perStream.size > 0) {
      // The figure to compare across changes: one round moves by more than a small change does.
      const spread = [...perStream].map(([scenario, v]) => `${scenario} ${round(medianOf(v), 2)} (${round(Math.min(...v), 2)}–${round(Math.max(...v), 2)})`);
      notes.push(`CPU %/stream, median (min–max) over ${rounds} rounds: ${spread.join('; ')}.`);
    }
    if (ratios.length > 0) notes.push(`one stream to 3 destinations costs ${ratios.map((x) => round(x, 2)).join(', ')} × one destination${ratios.length > 1 ? ' (per round)' : ''} (CPU above idle, service + children).`);
  } finally {
    await nginx.stop();
  }
  const cpu = cpus();
  notes.push(
    `${quick ? 'quick run: ' : ''}publishers: tools/load-publisher.ts (werift, pre-encoded H.264 baseline ${SOURCE.width}x${SOURCE.height} 30 fps ${SOURCE.videoKbps} kbit/s + Opus, in its own process, not counted) for the cost rows: deterministic, and light enough that the service, not the publishers, is measured. The overload row uses real Chromium publishers (one browser, one go-live page each, the service's webrtc_cc_max_bitrate at ${SOURCE.videoKbps} kbit/s), whose encoders take the same ${cpu.length} cores: CPU there includes the starved service, not Chromium. Each stream relayed as passthrough + Opus→AAC to nginx-rtmp (1 worker, record on, not counted).`,
    `each scenario on a fresh service process (node ${(opts.nodeArgs ?? NODE_FLAGS).map((a) => `${a} `).join('')}--import tsx src/main.ts${opts.mediaWorkers === undefined ? '' : `, media_workers=${opts.mediaWorkers}`}${Object.keys(opts.properties ?? {}).length > 0 ? `, ${describeProperties(opts.properties ?? {})}` : ''}); idle ${t.idleMs / 1000} s, warm-up ${t.warmupMs / 1000} s, ${t.measureMs / 1000} s measured, sampled every second from /proc with descendants. RSS counts pages shared between the processes (the ffmpeg binary, libraries) once per process; PSS divides them among the processes mapping them (also with any other process on the machine running the same binary), so PSS per stream is the memory another stream adds. CPU % is of one core; per stream = (load − idle) / streams. Video delivered = videoFramesSent of the transponders (÷ destinations) over frames the publishers' receivers completed (GET /debug/streams), each as a rate over the time between its own two readings; dropped by the pushes = frames the transponders' pushes dropped (destination or event loop behind); packets lost = RTP sequence numbers the receivers never got (after NACK), per stream per second. Where the publishers can tell (Chromium's getStats: framesSent, nackCount), delivered is also given over the frames they sent, and the NACKs they received. Event-loop lag p99 from nodejs_eventloop_lag_p99_seconds (10 ms resolution), scraped at the start and end of the window.`,
    `machine: ${cpu[0]?.model ?? '?'} × ${cpu.length}, Node ${process.version}; ${networkIsolated() ? 'private network namespace (lo only)' : 'NOT isolated: host loopback'}.`,
  );
  return { title: 'Streams: cost per relayed stream at 1, 4, 8 streams, 1 vs 3 destinations, and overload by Chromium publishers', rows, notes };
}

if (require.main === module) {
  reexecIsolatedOrContinue();
  const quick = process.argv.includes('--quick');
  const argValue = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const workers = argValue('--media-workers');
  const counts = argValue('--counts');
  const rounds = argValue('--rounds');
  const nodeArgs = argValue('--node-args');
  runStreamsBench({
    nodeArgs: nodeArgs?.split(' ').filter((a) => a !== ''),
    quick,
    cost: !process.argv.includes('--no-cost'),
    chromium: !process.argv.includes('--no-chromium'),
    mediaWorkers: workers === undefined ? undefined : Number(workers),
    properties: propertyArgs(),
    counts: counts?.split(',').map(Number),
    rounds: rounds === undefined ? undefined : Number(rounds),
  }).then(
    (section) => {
      console.log(renderSection(section));
      process.exit(0);
    },
    (error: Error) => {
      console.error(`bench streams: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
