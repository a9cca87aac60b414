/**
 * Wires the parts together; nothing else knows all of them. Owns the stream
 * registry, the WebSocket signaling, the transponders and the HTTP server (REST API,
 * pages, health), and stops them in order: signaling (publishers end, so their
 * transponders end), transponders (every ffmpeg awaited), then HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { PublishAccess } from './access';
import { SettingsError, SettingsReloader, type LogLevelName, type ReloadOutcome, type Settings } from './config';
import type { Logger } from './log';
import { exposureWarning, isLoopbackBindAddress } from './access/exposure-warning';
import { createRestServer, RestAuthenticator } from './rest';
import { liveChildProcessCount } from './ffmpeg/child-process';
import { ServiceMetrics } from './ops/metrics';
import { MetricsAuthenticator } from './ops/metrics-auth';
import { currentBuild } from './ops/metrics-build';
import { registerMetricsRoute } from './ops/metrics-route';
import { AuthFailureLimiter } from './rest/auth-failure-limiter';
import { SignalingServer } from './signaling/signaling-server';
import { StreamRegistry } from './streams/stream-registry';
import { StreamCatalog } from './streams/stream-catalog';
import { TransponderManager, type TransponderManagerOptions } from './transponder/transponder-manager';
import { registerSettingsRoutes } from './rest/settings-routes';
import { authFailureLimiterOptionsFrom, destinationRulesFrom, ownPortsFrom, publishAccessOptionsFrom, restAuthFrom, signalingOptionsFrom, transponderManagerOptionsFrom } from './server-options';
import { registerPages } from './web-pages';
import { DestinationGuard } from './access';

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
}

export class TransponderService {
  readonly registry: StreamRegistry;
  readonly transponders: TransponderManager;
  readonly metrics: ServiceMetrics;
  /** Who may read /metrics; update() it on a settings reload. */
  readonly metricsAuth: MetricsAuthenticator;
  /** Public for metrics: `signaling.refusals` counts what the WebSocket limits refused. */
  readonly signaling: SignalingServer;
  /** One authentication, with one failure limiter, for /rest-api, /debug and the admin data. */
  readonly restAuth: RestAuthenticator;
  readonly authFailures: AuthFailureLimiter;
  /** Where pushes may go: every startup and every (re)connect asks it. */
  readonly destinations: DestinationGuard;
  /** Who may publish: publish token, REST hooks (update() it when settings are reloaded). */
  readonly access: PublishAccess;
  /** This node in REST hook bodies, as WCS names nodes: "<id>@<address>". */
  readonly nodeId: string;
  private readonly http: FastifyInstance;
  private readonly reloader: SettingsReloader | undefined;
  private readonly onLogLevel: ServiceSeams['onLogLevel'];
  /** As last set from the settings (the hook is called on a change only: --log-level stands until the file changes it). */
  private logLevel: LogLevelName;
  private stopping: Promise<void> | undefined;

  constructor(private readonly settings: Settings, private readonly log: Logger, seams: ServiceSeams = {}) {
    this.registry = new StreamRegistry(log);
    this.nodeId = `${randomBytes(16).toString('base64url')}@${settings.ip ?? hostname()}`;
    this.access = new PublishAccess(publishAccessOptionsFrom(settings, this.nodeId), log);
    this.signaling = new SignalingServer({ ...signalingOptionsFrom(settings), access: this.access }, this.registry, log);
    this.destinations = new DestinationGuard({
      ...destinationRulesFrom(settings),
      bindAddress: settings.bindAddress,
      ownPorts: () => this.ownPorts(),
    });
    this.transponders = new TransponderManager(
      this.registry,
      {
        ...transponderManagerOptionsFrom(settings),
        resolve: this.destinations.resolver,
        latencyProbe: seams.latencyProbe,
        onTransponder: (transponder, relay) => this.access.watchTransponder(transponder, relay),
      },
      log,
    );
    this.authFailures = new AuthFailureLimiter(authFailureLimiterOptionsFrom(settings));
    this.restAuth = new RestAuthenticator(restAuthFrom(settings), this.authFailures);
    this.metrics = new ServiceMetrics(
      { transponders: this.transponders, publishers: this.registry, signalingSessions: () => this.signaling.sessionCount, ffmpegProcesses: liveChildProcessCount },
      { build: currentBuild() },
    );
    this.metricsAuth = new MetricsAuthenticator(this.restAuth, settings.metricsToken, this.authFailures);
    this.onLogLevel = seams.onLogLevel;
    this.logLevel = settings.logLevel;
    this.reloader = seams.settingsFile === undefined ? undefined : new SettingsReloader(seams.settingsFile, settings, (next) => this.applySettings(next));
    this.http = createRestServer({
      api: this.transponders,
      streams: new StreamCatalog(this.registry),
      auth: this.restAuth,
      logger: log,
      extraRoutes: (app) => {
        registerPages(app);
        registerMetricsRoute(app, this.metrics, this.metricsAuth);
        // Publisher stats for benchmarks and operators; behind the REST credentials (and their limiter) when they are on.
        app.get('/debug/streams', { onRequest: this.restAuth.hook }, async () => this.registry.list().map((p) => p.toJSON()));
      },
      extraApiRoutes: (rest) => {
        registerSettingsRoutes(rest, {
          reload: this.reloader === undefined ? undefined : () => this.reloadSettings(),
          problemsOf: (err) => (err instanceof SettingsError ? err.problems : undefined),
        });
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
    this.log.info('settings reloaded', { file: outcome.file, applied: outcome.applied });
    if (outcome.restartRequired.length > 0) {
      this.log.warn('settings changed in the file need a restart; the running values stay', { restartRequired: outcome.restartRequired });
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
    const signaling = { ...signalingOptionsFrom(next), access: this.access };
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
    this.signaling.update(signaling);
    if (next.logLevel !== this.logLevel) {
      this.logLevel = next.logLevel;
      try {
        this.onLogLevel?.(next.logLevel);
      } catch (err) {
        this.log.warn('log level not changed', { error: (err as Error).message });
      }
    }
  }

  async start(): Promise<ServiceAddresses> {
    await this.signaling.listen();
    await this.http.listen({ port: this.settings.httpPort, host: this.settings.bindAddress });
    const addresses: ServiceAddresses = { http: (this.http.server.address() as AddressInfo).port, ...this.signaling.ports };
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
  private ownPorts(): number[] {
    const bound: number[] = [];
    const http = this.http.server.address();
    if (http && typeof http === 'object') bound.push(http.port);
    const ws = this.signaling.ports;
    if (ws.ws !== undefined) bound.push(ws.ws);
    if (ws.wss !== undefined) bound.push(ws.wss);
    return [...new Set([...ownPortsFrom(this.settings), ...bound])];
  }

  /** Ends every publisher and push, then the listeners. Idempotent. */
  stop(reason = 'shutdown'): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.log.info('stopping', { reason });
        await this.signaling.close();
        await this.transponders.close();
        // After the transponders, so their last states are queued; then every hook request ends.
        this.access.close();
        await this.http.close();
        this.metrics.close();
        this.log.info('stopped');
      })();
    }
    return this.stopping;
  }
}
