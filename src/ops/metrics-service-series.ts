/**
 * Service-level series: the service's state, how many transponders in each state,
 * publishers and signaling sessions now, ffmpeg children, the build, and the counters that must outlive the
 * objects they count (transponders started, ended by final state, startups refused by
 * code, publishes), kept by plain prom-client counters fed by events.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { SERVICE_STATES, type ServiceState } from '../service-health';
import type { TransponderErrorCode, TransponderState } from '../transponder/transponder-api';
import { liveGauge } from './metrics-families';
import type { PushRow } from './metrics-frame';

const STATES: readonly TransponderState[] = ['PENDING', 'CONNECTING', 'PUBLISHING', 'RESTORING', 'TERMINATED', 'FAILED'];
const FINAL_STATES: readonly TransponderState[] = ['TERMINATED', 'FAILED'];

export interface ServiceFigures {
  pushes(): readonly PushRow[];
  publishers(): number;
  signalingSessions(): number;
  ffmpegProcesses(): number;
  serviceState(): ServiceState;
}

export interface BuildInfo {
  version: string;
  nodeVersion: string;
}

/** The counters fed by events; the owner calls these from its listeners. */
export interface ServiceCounters {
  transponderStarted(): void;
  transponderEnded(state: TransponderState): void;
  transponderRefused(code: TransponderErrorCode): void;
  published(): void;
}

export function registerServiceSeries(registry: Registry, prefix: string, figures: ServiceFigures, build: BuildInfo): ServiceCounters {
  // Every state present, 1 for the current one: `…{state="serving"} == 0` alerts without absent().
  liveGauge(registry, {
    name: `${prefix}service_state`,
    help: 'The service\'s state, value 1 for the current one: starting, serving, stopping, stopped (as /health)',
    labelNames: ['state'],
    read: (emit) => {
      const now = figures.serviceState();
      for (const state of SERVICE_STATES) emit({ state }, state === now ? 1 : 0);
    },
  });
  liveGauge(registry, {
    name: `${prefix}transponders`,
    help: 'Transponders by state, the ended ones included while find_all still lists them',
    labelNames: ['state'],
    read: (emit) => {
      const counts = new Map(STATES.map((s) => [s, 0]));
      for (const p of figures.pushes()) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
      for (const [state, n] of counts) emit({ state }, n);
    },
  });
  const single: Array<[string, string, () => number]> = [
    ['publishers', 'Streams being published (WebRTC publishers in the stream registry)', figures.publishers],
    ['signaling_sessions', 'WebSocket signaling sessions open', figures.signalingSessions],
    ['ffmpeg_processes', 'ffmpeg children running (AAC encoders and video transcoders)', figures.ffmpegProcesses],
  ];
  for (const [name, help, value] of single) {
    liveGauge(registry, { name: prefix + name, help, labelNames: [], read: (emit) => emit({}, value()) });
  }

  new Gauge({
    name: `${prefix}build_info`,
    help: 'The running build, value 1',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  }).set({ version: build.version, node_version: build.nodeVersion }, 1);

  const started = new Counter({ name: `${prefix}transponders_started_total`, help: 'Transponders created', registers: [registry] });
  const ended = new Counter({
    name: `${prefix}transponders_ended_total`,
    help: 'Transponders that ended, by final state (TERMINATED: ended on request or with their stream; FAILED: a part failed)',
    labelNames: ['state'],
    registers: [registry],
  });
  // Both series exist from the start, so rate() and increase() see the first end.
  for (const state of FINAL_STATES) ended.inc({ state }, 0);
  const refused = new Counter({
    name: `${prefix}transponder_refusals_total`,
    help: 'Transponder startups refused, by error code (REST, publishStream.rtmpUrl and auto start)',
    labelNames: ['code'],
    registers: [registry],
  });
  const publishes = new Counter({ name: `${prefix}publishes_total`, help: 'Streams that started publishing', registers: [registry] });

  return {
    transponderStarted: () => started.inc(),
    transponderEnded: (state) => ended.inc({ state }),
    transponderRefused: (code) => refused.inc({ code }),
    published: () => publishes.inc(),
  };
}
