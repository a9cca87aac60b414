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
import type { Settings } from './config';
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
import { TransponderManager, type TransponderManagerOptions } from './transponder/transponder-manager';
import { authFailureLimiterOptionsFrom, destinationRulesFrom, ownPortsFrom, publishAccessOptionsFrom, restAuthFrom, signalingOptionsFrom, transponderManagerOptionsFrom } from './server-options';
import { registerPages } from './web-pages';
import { registerWcsExamples } from './wcs-examples';
import { DestinationGuard } from './access';

export interface ServiceAddresses {
  http: number;
  ws?: number;
  wss?: number;
}

/** Seams for measuring in-process (the relay benchmark); main.ts passes none. */
export interface ServiceSeams {
  latencyProbe?: TransponderManagerOptions['latencyProbe'];
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
    this.http = createRestServer({
      api: this.transponders,
      auth: restAuthFrom(settings),
      authenticator: this.restAuth,
      logger: log,
      extraRoutes: (app) => {
        registerPages(app);
        registerWcsExamples(app);
        registerMetricsRoute(app, this.metrics, this.metricsAuth);
        // Publisher stats for benchmarks and operators; behind the REST credentials (and their limiter) when they are on.
        app.get('/debug/streams', { onRequest: this.restAuth.hook }, async () => this.registry.describe());
      },
    });
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
