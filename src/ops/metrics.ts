/**
 * The service's Prometheus metrics: one prom-client Registry of its own (never the
 * global one, so several services can run in one process, as in tests), filled at
 * scrape time from the live objects. Names, labels and types are listed in the README
 * ("Metrics"); labels never carry a stream key, a password or a token.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { TransponderManagerEvents } from '../transponder/transponder-manager';
import type { TransponderErrorCode, TransponderInfo } from '../transponder/transponder-api';
import type { ServiceState } from '../service-health';
import type { PublisherStats } from '../webrtc/publisher';
import { registerAccessSeries, type AccessFigures, type DestinationRefused } from './metrics-access-series';
import { pushRow, type ScrapeFrame } from './metrics-frame';
import { registerPlayerSeries, type PlayerFigures } from './metrics-player-series';
import { registerPublisherSeries } from './metrics-publisher-series';
import { registerPushSeries } from './metrics-push-series';
import { registerServiceSeries, type BuildInfo, type ServiceCounters } from './metrics-service-series';
import { registerWorkerSeries } from './metrics-worker-series';
import { registerAacHostSeries, type AacHostFigures } from './metrics-aac-host';
import type { MediaWorkerFigures } from '../webrtc/worker';

export const METRIC_PREFIX = 'rtmp_transponder_';

type Listener<A extends unknown[]> = (...args: A) => void;

/** What the metrics read of the transponders: the TransponderManager. */
export interface TransponderFigures {
  findAll(): TransponderInfo[];
  on<K extends keyof TransponderManagerEvents>(event: K, listener: Listener<TransponderManagerEvents[K]>): unknown;
  off<K extends keyof TransponderManagerEvents>(event: K, listener: Listener<TransponderManagerEvents[K]>): unknown;
}

/** What the metrics read of the publishers: the StreamRegistry. */
export interface PublisherFigures {
  list(): ReadonlyArray<{ toJSON(): PublisherStats }>;
  on(event: 'publish', listener: () => void): unknown;
  off(event: 'publish', listener: () => void): unknown;
}

/** Every figure is read at scrape time (or counted from an event); none is copied at construction. */
export interface MetricsSources {
  transponders: TransponderFigures;
  publishers: PublisherFigures;
  /** WebRTC players: Playback. */
  players: PlayerFigures;
  signalingSessions: () => number;
  ffmpegProcesses: () => number;
  /** TransponderService.state. */
  serviceState: () => ServiceState;
  /** The WebSocket limits' refusals, the REST auth failure limiter, the REST hooks. */
  access: AccessFigures;
  /** The media workers' figures; absent when media_workers is 0. */
  mediaWorkers?: () => MediaWorkerFigures[];
  /** The AAC encoder host; absent when it is off or not built. */
  aacHost?: () => AacHostFigures;
}

export interface ServiceMetricsOptions {
  build: BuildInfo;
  /** prom-client's process and Node.js metrics (process_*, nodejs_*); default true. */
  processMetrics?: boolean;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private frame: ScrapeFrame | undefined;
  private readonly counters: ServiceCounters;
  private readonly destinationRefused: DestinationRefused;
  private readonly detach: Array<() => void> = [];
  private closed = false;

  constructor(private readonly sources: MetricsSources, options: ServiceMetricsOptions) {
    registerPushSeries(this.registry, METRIC_PREFIX, () => this.current().pushes);
    registerPublisherSeries(this.registry, METRIC_PREFIX, () => this.current().publishers);
    this.counters = registerServiceSeries(
      this.registry,
      METRIC_PREFIX,
      {
        pushes: () => this.current().pushes,
        publishers: () => this.current().publishers.length,
        signalingSessions: sources.signalingSessions,
        ffmpegProcesses: sources.ffmpegProcesses,
        serviceState: sources.serviceState,
      },
      options.build,
    );
    registerPlayerSeries(this.registry, METRIC_PREFIX, sources.players);
    this.destinationRefused = registerAccessSeries(this.registry, METRIC_PREFIX, sources.access);
    if (sources.mediaWorkers) registerWorkerSeries(this.registry, METRIC_PREFIX, sources.mediaWorkers);
    if (sources.aacHost) registerAacHostSeries(this.registry, METRIC_PREFIX, sources.aacHost);
    // Unprefixed, as every Node.js dashboard expects them: event-loop lag, heap, RSS, fds, GC.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.listen();
  }

  /** The Content-Type of scrape(): the text format, version 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every series, in the text format, read from the live objects now. */
  async scrape(): Promise<string> {
    this.frame = this.takeFrame();
    try {
      return await this.registry.metrics();
    } finally {
      this.frame = undefined;
    }
  }

  /** Stops listening to the transponders and the registry. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.detach.splice(0)) off();
  }

  private listen(): void {
    const { transponders, publishers } = this.sources;
    const started = (): void => this.counters.transponderStarted();
    const ended = (info: TransponderInfo): void => this.counters.transponderEnded(info.status);
    const refused = (code: TransponderErrorCode, rule?: string): void => {
      this.counters.transponderRefused(code);
      if (code === 'DESTINATION_REFUSED' && rule !== undefined) this.destinationRefused(rule);
    };
    const published = (): void => this.counters.published();
    transponders.on('started', started);
    transponders.on('ended', ended);
    transponders.on('refused', refused);
    publishers.on('publish', published);
    this.detach.push(
      () => transponders.off('started', started),
      () => transponders.off('ended', ended),
      () => transponders.off('refused', refused),
      () => publishers.off('publish', published),
    );
  }

  /** The frame of the scrape in progress (collect callbacks run inside scrape()), or a fresh one. */
  private current(): ScrapeFrame {
    return this.frame ?? this.takeFrame();
  }

  private takeFrame(): ScrapeFrame {
    return {
      pushes: this.sources.transponders.findAll().map(pushRow),
      publishers: this.sources.publishers.list().map((p) => p.toJSON()),
    };
  }
}
