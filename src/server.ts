/**
 * Wires the parts together; nothing else knows all of them. Owns the stream
 * registry, the WebSocket signaling, the transponders and the HTTP server (REST API,
 * pages, health), and stops them in order: signaling (publishers end, so their
 * transponders end), transponders (every ffmpeg awaited), then HTTP.
 */
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Settings } from './config';
import type { Logger } from './log';
import { httpLoggerOf } from './ops/log';
import { createRestServer, RestAuthenticator } from './rest';
import { SignalingServer } from './signaling/signaling-server';
import { StreamRegistry } from './streams/stream-registry';
import { TransponderManager, type TransponderManagerOptions } from './transponder/transponder-manager';
import { restAuthFrom, signalingOptionsFrom, transponderManagerOptionsFrom } from './server-options';
import { registerPages } from './web-pages';

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
  private readonly signaling: SignalingServer;
  private readonly http: FastifyInstance;
  private stopping: Promise<void> | undefined;

  constructor(private readonly settings: Settings, private readonly log: Logger, seams: ServiceSeams = {}) {
    this.registry = new StreamRegistry(log);
    this.signaling = new SignalingServer(signalingOptionsFrom(settings), this.registry, log);
    this.transponders = new TransponderManager(this.registry, { ...transponderManagerOptionsFrom(settings), latencyProbe: seams.latencyProbe }, log);
    this.http = createRestServer({
      api: this.transponders,
      auth: restAuthFrom(settings),
      logger: log,
      httpLogger: httpLoggerOf(log),
      extraRoutes: (app) => {
        registerPages(app);
        // Publisher stats for benchmarks and operators; behind the REST credentials when they are on.
        const auth = new RestAuthenticator(restAuthFrom(settings));
        app.get('/debug/streams', { onRequest: auth.enabled ? auth.hook : [] }, async () => this.registry.list().map((p) => p.toJSON()));
      },
    });
  }

  async start(): Promise<ServiceAddresses> {
    await this.signaling.listen();
    await this.http.listen({ port: this.settings.httpPort, host: this.settings.bindAddress });
    const addresses: ServiceAddresses = { http: (this.http.server.address() as AddressInfo).port, ...this.signaling.ports };
    this.log.info('rtmp-transponder started', { ...addresses });
    return addresses;
  }

  /** Ends every publisher and push, then the listeners. Idempotent. */
  stop(reason = 'shutdown'): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.log.info('stopping', { reason });
        await this.signaling.close();
        await this.transponders.close();
        await this.http.close();
        this.log.info('stopped');
      })();
    }
    return this.stopping;
  }
}
