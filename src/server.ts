/**
 * Wires the parts together; nothing else knows all of them. Owns the stream
 * registry, the WebSocket signaling, the transponders and the HTTP server (REST API,
 * pages, probes), and the service's one lifecycle state (src/service-health.ts):
 *
 * - start: HTTP first, so /health answers 503 "starting" while the rest comes up, then
 *   signaling; serving once every listener is up.
 * - stop: no new sessions, publishes or pushes from its first moment; every push ends
 *   cleanly (FCUnpublish, deleteStream, ffmpeg flushed) while the pages' sessions go
 *   away as in a network loss; all of it bounded by `shutdown_timeout`, after which what
 *   remains is left to the process exit (sockets reset, ffmpeg groups SIGKILLed by
 *   src/ffmpeg/child-process.ts's exit hook). HTTP closes last, so /health answers 503
 *   "stopping" throughout.
 */
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { PublishAccess } from './access';
import { SettingsError, SettingsReloader, type LogLevelName, type ReloadOutcome, type Settings } from './config';
import type { Logger } from './log';
import { exposureWarning, isLoopbackBindAddress } from './access/exposure-warning';
import { httpLoggerOf, unsaidListeningText } from './ops/log';
import { createRestServer, RestAuthenticator } from './rest';
import { liveChildProcessCount } from './ffmpeg/child-process';
import { AacEncoderHost } from './ffmpeg/aac-encoder-host';
import { AAC_HOST_BUILD_PATH, builtAacHost } from './aac-host-path';
import { ServiceMetrics } from './ops/metrics';
import { MetricsAuthenticator } from './ops/metrics-auth';
import { currentBuild } from './ops/metrics-build';
import { registerMetricsRoute } from './ops/metrics-route';
import { AuthFailureLimiter } from './rest/auth-failure-limiter';
import { SignalingServer } from './signaling/signaling-server';
import { Playback } from './playback';
import { StreamRegistry } from './streams/stream-registry';
import { MediaWorkerPool } from './webrtc/worker';
import { StreamCatalog } from './streams/stream-catalog';
import { TransponderManager, type TransponderManagerOptions } from './transponder/transponder-manager';
import { registerSettingsRoutes } from './rest/settings-routes';
import { registerSoundFileRoutes } from './rest/sound-file-routes';
import type { ClusterNode } from './cluster';
import type { TransponderApi } from './transponder/transponder-api';
import { authFailureLimiterOptionsFrom, clusterSettingsFrom, destinationRulesFrom, mediaWorkerCountFrom, ownPortsFrom, playbackOptionsFrom, publishAccessOptionsFrom, restAuthFrom, signalingOptionsFrom, transponderManagerOptionsFrom, whipOptionsFrom } from './server-options';
import { registerPages } from './web-pages';
import { registerWcsExamples } from './wcs-examples';
import { DestinationGuard } from './access';
import { registerReadyRoute } from './health-routes';
import { healthAnswer, readyAnswer, type ServiceState } from './service-health';
import { registerWhipRoutes, WhipEndpoint } from './whip';

export interface ServiceAddresses {
  http: number;
  ws?: number;
  wss?: number;
}

/** Seams for measuring in-process (the relay benchmark), and what the caller owns: the settings file, the logger's level. */
export interface ServiceSeams {
  latencyProbe?: TransponderManagerOptions['latencyProbe'];
  /** The properties file the settings came from: SIGHUP and POST /rest-api/settings/reload re-read it. */
  settingsFile?: string;
  /** Called when a reload changes log_level (the logger belongs to the caller). */
  onLogLevel?: (level: LogLevelName) => void;
  /** Where the AAC encoder host is looked for (tests); default build/aac-host in the package. */
  aacHostExecutable?: string;
}

/** How a stop went: `remaining` names the parts still releasing when `shutdown_timeout` passed. */
export interface StopReport {
  clean: boolean;
  remaining: string[];
}

/** The parts of a stop, each named for the report. */
interface Release {
  part: string;
  done: Promise<unknown>;
}

export class TransponderService {
  readonly registry: StreamRegistry;
  /** The process encoding every stream's AAC (aac_encoder_host, when built); absent: an ffmpeg child per stream. */
  readonly aacHost: AacEncoderHost | undefined;
  /** The worker threads receiving publishers' media (media_workers > 0); absent: on the main thread. */
  readonly mediaWorkers: MediaWorkerPool | undefined;
  readonly transponders: TransponderManager;
  readonly metrics: ServiceMetrics;
  /** Who may read /metrics; update() it on a settings reload. */
  readonly metricsAuth: MetricsAuthenticator;
  /** Public for metrics: `signaling.refusals` counts what the WebSocket limits refused. */
  readonly signaling: SignalingServer;
  /** WebRTC players of published streams (playStream); update() its limits on a reload. */
  readonly playback: Playback;
  /** One authentication, with one failure limiter, for /rest-api, /debug and the admin data. */
  readonly restAuth: RestAuthenticator;
  readonly authFailures: AuthFailureLimiter;
  /** Where pushes may go: every startup and every (re)connect asks it. */
  readonly destinations: DestinationGuard;
  /** Who may publish: publish token, REST hooks (update() it when settings are reloaded). */
  readonly access: PublishAccess;
  /** WHIP ingest (RFC 9725): the same publishes, names and limits as the WebSocket path. */
  readonly whip: WhipEndpoint;
  /** This node in REST hook bodies, as WCS names nodes: "<id>@<address>". */
  readonly nodeId: string;
  /** This node in the cluster (cluster_redis_url), or undefined standalone. */
  readonly cluster: ClusterNode | undefined;
  private readonly http: FastifyInstance;
  private readonly reloader: SettingsReloader | undefined;
  private readonly onLogLevel: ServiceSeams['onLogLevel'];
  /** As last set from the settings (the hook is called on a change only: --log-level stands until the file changes it). */
  private logLevel: LogLevelName;
  private current: ServiceState = 'starting';
  private stopping: Promise<StopReport> | undefined;
  /** The HTTP listen of start(), which a stop that comes meanwhile lets finish before closing. */
  private httpListening: Promise<unknown> | undefined;
  /** shutdown_timeout, live: a reload changes the deadline of a later stop. */
  private shutdownTimeoutMs: number;

  /** The sound_on files' directory, as last set from the settings (listed by /rest-api/sound/find_all). */
  private mediaDir: string;

  constructor(private readonly settings: Settings, private readonly log: Logger, seams: ServiceSeams = {}) {
    this.nodeId = `${randomBytes(16).toString('base64url')}@${settings.ip ?? hostname()}`;
    const clusterSettings = clusterSettingsFrom(settings);
    const clusterParts = clusterSettings === undefined ? undefined : loadClusterParts();
    this.cluster =
      clusterParts === undefined || clusterSettings === undefined
        ? undefined
        : new clusterParts.ClusterNode(
            {
              redisUrl: clusterSettings.redisUrl,
              nodeId: this.nodeId,
              leaseMs: clusterSettings.leaseMs,
              url: () => clusterSettings.advertiseUrl ?? `http://${settings.ip ?? '127.0.0.1'}:${(this.http.server.address() as AddressInfo | null)?.port ?? settings.httpPort}`,
              load: () => ({
                streams: this.signaling.streamLoad.streams,
                transponders: this.transponders.findAll().filter((t) => t.status !== 'TERMINATED' && t.status !== 'FAILED').length,
              }),
            },
            log.child({ part: 'cluster' }),
          );
    const workerCount = mediaWorkerCountFrom(settings);
    this.mediaWorkers = workerCount > 0 ? new MediaWorkerPool(workerCount, log.child({ part: 'media-workers' })) : undefined;
    this.registry = new StreamRegistry(log, this.cluster?.claims, this.mediaWorkers);
    this.access = new PublishAccess(publishAccessOptionsFrom(settings, this.nodeId), log);
    const signalingOptions = signalingOptionsFrom(settings);
    this.playback = new Playback(playbackOptionsFrom(settings), signalingOptions.webrtc, log);
    this.signaling = new SignalingServer({ ...signalingOptions, access: this.access, playback: this.playback, otherStreams: () => this.whip.streamCount }, this.registry, log);
    this.whip = new WhipEndpoint(whipOptionsFrom(settings), {
      registry: this.registry,
      access: this.access,
      totalStreams: () => this.signaling.streamLoad.streams,
      log,
    });
    this.destinations = new DestinationGuard({
      ...destinationRulesFrom(settings),
      bindAddress: settings.bindAddress,
      ownPorts: () => this.ownPorts(),
    });
    this.mediaDir = transponderManagerOptionsFrom(settings).mediaDir;
    this.aacHost = this.startAacHost(settings, seams.aacHostExecutable ?? AAC_HOST_BUILD_PATH, log.child({ part: 'aac-host' }));
    this.transponders = new TransponderManager(
      this.registry,
      {
        ...transponderManagerOptionsFrom(settings),
        aacHost: this.aacHost,
        resolve: this.destinations.resolver,
        latencyProbe: seams.latencyProbe,
        onTransponder: (transponder, relay) => {
          this.cluster?.indexTransponder(transponder.mediaSessionId);
          this.access.watchTransponder(transponder, relay);
        },
      },
      log,
    );
    this.authFailures = new AuthFailureLimiter(authFailureLimiterOptionsFrom(settings));
    this.restAuth = new RestAuthenticator(restAuthFrom(settings), this.authFailures);
    this.metrics = new ServiceMetrics(
      {
        transponders: this.transponders,
        publishers: this.registry,
        players: this.playback,
        signalingSessions: () => this.signaling.sessionCount,
        ffmpegProcesses: liveChildProcessCount,
        serviceState: () => this.current,
        access: {
          signalingRefusals: () => this.signaling.refusals,
          authFailures: () => ({ ...this.authFailures.stats, trackedAddresses: this.authFailures.trackedAddresses }),
          hooks: () => this.access.hookStats,
        },
        mediaWorkers: this.mediaWorkers === undefined ? undefined : () => this.mediaWorkers?.figures() ?? [],
        aacHost: this.aacHost === undefined ? undefined : () => this.aacHost?.stats ?? { channels: 0, restarts: 0, failed: false },
      },
      { build: currentBuild() },
    );
    this.metricsAuth = new MetricsAuthenticator(this.restAuth, settings.metricsToken, this.authFailures);
    this.onLogLevel = seams.onLogLevel;
    this.logLevel = settings.logLevel;
    this.shutdownTimeoutMs = settings.shutdownTimeout;
    this.reloader = seams.settingsFile === undefined ? undefined : new SettingsReloader(seams.settingsFile, settings, (next) => this.applySettings(next));
    const cluster = this.cluster;
    const api: TransponderApi =
      cluster === undefined || clusterSettings === undefined || clusterParts === undefined
        ? this.transponders
        : new clusterParts.ClusterTransponders({
            local: this.transponders,
            directory: cluster,
            client: new clusterParts.NodeClient(clusterSettings.secret, 15_000),
            publishedHere: (name) => this.registry.get(name) !== undefined,
            log: log.child({ part: 'cluster' }),
          });
    this.http = createRestServer({
      api,
      streams: new StreamCatalog(this.registry),
      auth: this.restAuth,
      logger: log,
      health: () => healthAnswer(this.current),
      httpLogger: httpLoggerOf(log),
      extraRoutes: (app) => {
        registerPages(app);
        registerWcsExamples(app);
        registerMetricsRoute(app, this.metrics, this.metricsAuth);
        registerReadyRoute(app, () => readyAnswer(this.current, this.signaling.streamLoad));
        registerWhipRoutes(app, this.whip);
        if (clusterSettings !== undefined) clusterParts?.registerClusterInternalRoutes(app, this.transponders, () => clusterSettings.secret);
        // Publisher stats for benchmarks and operators; behind the REST credentials (and their limiter) when they are on.
        app.get('/debug/streams', { onRequest: this.restAuth.hook }, async () => this.registry.describe());
      },
      extraApiRoutes: (rest) => {
        registerSettingsRoutes(rest, {
          reload: this.reloader === undefined ? undefined : () => this.reloadSettings(),
          problemsOf: (err) => (err instanceof SettingsError ? err.problems : undefined),
        });
        registerSoundFileRoutes(rest, () => this.mediaDir);
        if (cluster !== undefined) clusterParts?.registerClusterApiRoutes(rest, () => cluster.liveNodes());
      },
    });
  }

  /**
   * Re-reads the settings file (SIGHUP, POST /rest-api/settings/reload) and applies what
   * can change live; logs what was applied, what needs a restart, or why nothing changed.
   * Rejects with a SettingsError when the file cannot be used.
   */
  async reloadSettings(): Promise<ReloadOutcome> {
    if (this.reloader === undefined) throw new Error('this service was started without a settings file');
    let outcome: ReloadOutcome;
    try {
      outcome = await this.reloader.reload();
    } catch (err) {
      const problems = err instanceof SettingsError ? err.problems : [(err as Error).message];
      this.log.error('settings not reloaded: nothing changed', { file: this.reloader.file, problems });
      throw err;
    }
    for (const warning of outcome.warnings) this.log.warn(warning);
    // `setting`, not `key`: the log redacts fields named key (stream keys).
    const named = (changes: ReloadOutcome['applied']) => changes.map(({ key, from, to }) => ({ setting: key, from, to }));
    this.log.info('settings reloaded', { file: outcome.file, applied: named(outcome.applied) });
    if (outcome.restartRequired.length > 0) {
      this.log.warn('settings changed in the file need a restart; the running values stay', { restartRequired: named(outcome.restartRequired) });
    }
    return outcome;
  }

  /**
   * Puts new settings in force without touching running pushes: REST credentials for the
   * next request, limits at the next publish, and for what starts after — pushes (URL
   * naming, output buffer, TLS, auto start), losses (restore policy), signaling sessions
   * (keep-alive, bitrates, keyframe requests). Listeners keep the ports and addresses they
   * were opened with. Throws having changed nothing when a part cannot take the values.
   */
  applySettings(next: Settings): void {
    // Everything that can throw comes first (reading the CA file, checking credentials and
    // lists), so a refused reload changes nothing.
    const manager = transponderManagerOptionsFrom(next);
    const signaling = { ...signalingOptionsFrom(next), access: this.access, playback: this.playback, otherStreams: () => this.whip.streamCount };
    const { maxViewersPerStream, maxViewersTotal } = playbackOptionsFrom(next);
    const access = publishAccessOptionsFrom(next, this.nodeId);
    DestinationGuard.validate(destinationRulesFrom(next));
    AuthFailureLimiter.validate(authFailureLimiterOptionsFrom(next));
    new RestAuthenticator(restAuthFrom(next));
    this.restAuth.update(restAuthFrom(next));
    this.destinations.update(destinationRulesFrom(next));
    this.authFailures.update(authFailureLimiterOptionsFrom(next));
    this.metricsAuth.update(next.metricsToken);
    this.access.update(access);
    this.transponders.update(manager);
    this.mediaDir = manager.mediaDir;
    this.signaling.update(signaling);
    this.whip.update(whipOptionsFrom(next));
    this.playback.update({ maxViewersPerStream, maxViewersTotal });
    this.shutdownTimeoutMs = next.shutdownTimeout;
    if (next.logLevel !== this.logLevel) {
      this.logLevel = next.logLevel;
      try {
        this.onLogLevel?.(next.logLevel);
      } catch (err) {
        this.log.warn('log level not changed', { error: (err as Error).message });
      }
    }
  }

  get state(): ServiceState {
    return this.current;
  }

  async start(): Promise<ServiceAddresses> {
    // fastify's own "Server listening at" line would repeat part of ours ("rtmp-transponder started").
    this.httpListening = this.http.listen({ port: this.settings.httpPort, host: this.settings.bindAddress, listenTextResolver: unsaidListeningText });
    await this.httpListening;
    this.refuseIfStopped();
    await this.signaling.listen();
    this.refuseIfStopped();
    // Ready (GET /ready, the started line) only once the media workers can take publishers.
    await this.mediaWorkers?.ready();
    this.refuseIfStopped();
    // Announced once its ports answer, so forwarded calls find it.
    await this.cluster?.start();
    this.refuseIfStopped();
    const addresses: ServiceAddresses = { http: (this.http.server.address() as AddressInfo).port, ...this.signaling.ports };
    this.current = 'serving';
    this.log.info('rtmp-transponder started', { ...addresses });
    const warning = exposureWarning({
      listensBeyondLoopback: !isLoopbackBindAddress(this.settings.bindAddress),
      restAuth: !this.settings.disableRestAuth,
      publishAuth: this.access.authenticatesPublishers,
    });
    if (warning) this.log.warn(warning);
    return addresses;
  }

  /** The ports of the settings and, once listening, the ports actually bound (port 0 picks one). */
  /** The shared AAC encoder process when aac_encoder_host is on and it was built; says why not otherwise. */
  private startAacHost(settings: Settings, file: string, log: Logger): AacEncoderHost | undefined {
    if (!settings.aacEncoderHost) return undefined;
    const executable = builtAacHost(file);
    if (executable === undefined) {
      log.warn('aac_encoder_host is on but the host is not built: each stream gets an ffmpeg child for its AAC (install gcc, pkg-config, libavcodec-dev, libopus-dev and libvo-aacenc-dev, then npm run build:aac-host)', { expected: file });
      return undefined;
    }
    const host = new AacEncoderHost({ executable, library: settings.aacEncoder });
    host.on('restarted', (reason, channels) => log.warn('the AAC encoder host died; a new one took over its streams', { reason, streams: channels }));
    host.on('failed', (reason) => log.error('the AAC encoder host keeps dying: given up, new streams get an ffmpeg child each', { reason }));
    return host;
  }

  private ownPorts(): number[] {
    const bound: number[] = [];
    const http = this.http.server.address();
    if (http && typeof http === 'object') bound.push(http.port);
    const ws = this.signaling.ports;
    if (ws.ws !== undefined) bound.push(ws.ws);
    if (ws.wss !== undefined) bound.push(ws.wss);
    return [...new Set([...ownPortsFrom(this.settings), ...bound])];
  }

  /**
   * Ends every push and publisher within `shutdown_timeout`, then the HTTP server.
   * Idempotent: every call returns the first stop's report.
   */
  stop(reason = 'shutdown'): Promise<StopReport> {
    this.stopping ??= this.release(reason);
    return this.stopping;
  }

  private async release(reason: string): Promise<StopReport> {
    this.current = 'stopping';
    const deadlineMs = this.shutdownTimeoutMs;
    this.log.info('stopping', { reason, deadlineMs });
    // The transponders first, so each push ends with the service's reason (not "the
    // published stream ended"); then the sessions go away, refusing new ones at once.
    // The cluster first: this node's stream names are free for other nodes at once, and they stop listing it.
    const releases: Release[] = [
      ...(this.cluster === undefined ? [] : [{ part: 'cluster', done: this.cluster.close() }]),
      { part: 'transponders', done: this.transponders.close() },
      { part: 'signaling', done: this.signaling.close() },
      { part: 'whip', done: this.whip.close() },
      { part: 'players', done: this.playback.close('the server is stopping') },
    ];
    const remaining = await releasedBy(releases, deadlineMs);
    if (remaining.length > 0) this.log.warn('shutdown_timeout passed: tearing down what remains', { deadlineMs, remaining });
    // After the sessions ended their publishes: what remains is closed, then every thread ends.
    await this.mediaWorkers?.close('the server is stopping');
    // After the transponders, whose encoders were its channels.
    await this.aacHost?.close('the server is stopping');
    // After the transponders, so their last states are queued; then every hook request ends.
    this.access.close();
    await this.httpListening?.catch(() => undefined);
    await this.http.close();
    this.metrics.close();
    this.current = 'stopped';
    this.log.info('stopped', { clean: remaining.length === 0 });
    return { clean: remaining.length === 0, remaining };
  }

  /** A stop that came while starting wins: the start goes no further. */
  private refuseIfStopped(): void {
    if (this.current !== 'starting') throw new Error('the service was stopped while starting');
  }
}

/**
 * The cluster's code, loaded only when cluster_redis_url is set: a standalone service
 * (most of them) does not carry ioredis and its 50 modules (about 2 MB of heap).
 */
function loadClusterParts(): typeof import('./cluster') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./cluster') as typeof import('./cluster');
}

/** Waits for every release or the deadline, whichever comes first; names the parts not released. */
async function releasedBy(releases: readonly Release[], deadlineMs: number): Promise<string[]> {
  const released = new Set<string>();
  const all = Promise.allSettled(releases.map(({ part, done }) => done.finally(() => released.add(part))));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
  try {
    await Promise.race([all, deadline]);
  } finally {
    clearTimeout(timer);
  }
  return releases.map((r) => r.part).filter((part) => !released.has(part));
}
