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
import type { AddressInfo } from 'node:net';
import type { Settings } from './config';
import type { Logger } from './log';
import { createRestServer, RestAuthenticator } from './rest';
import { SignalingServer } from './signaling/signaling-server';
import { StreamRegistry } from './streams/stream-registry';
import { TransponderManager, type TransponderManagerOptions } from './transponder/transponder-manager';
import { restAuthFrom, signalingOptionsFrom, transponderManagerOptionsFrom } from './server-options';
import { registerPages } from './web-pages';
import { registerReadyRoute } from './health-routes';
import { healthAnswer, readyAnswer, type ServiceState } from './service-health';

export interface ServiceAddresses {
  http: number;
  ws?: number;
  wss?: number;
}

/** Seams for measuring in-process (the relay benchmark); main.ts passes none. */
export interface ServiceSeams {
  latencyProbe?: TransponderManagerOptions['latencyProbe'];
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
  readonly transponders: TransponderManager;
  private readonly signaling: SignalingServer;
  private readonly http: FastifyInstance;
  private current: ServiceState = 'starting';
  private stopping: Promise<StopReport> | undefined;
  /** The HTTP listen of start(), which a stop that comes meanwhile lets finish before closing. */
  private httpListening: Promise<unknown> | undefined;

  constructor(private readonly settings: Settings, private readonly log: Logger, seams: ServiceSeams = {}) {
    this.registry = new StreamRegistry(log);
    this.signaling = new SignalingServer(signalingOptionsFrom(settings), this.registry, log);
    this.transponders = new TransponderManager(this.registry, { ...transponderManagerOptionsFrom(settings), latencyProbe: seams.latencyProbe }, log);
    this.http = createRestServer({
      api: this.transponders,
      auth: restAuthFrom(settings),
      logger: log,
      health: () => healthAnswer(this.current),
      extraRoutes: (app) => {
        registerPages(app);
        registerReadyRoute(app, () => readyAnswer(this.current, this.signaling.streamLoad));
        // Publisher stats for benchmarks and operators; behind the REST credentials when they are on.
        const auth = new RestAuthenticator(restAuthFrom(settings));
        app.get('/debug/streams', { onRequest: auth.enabled ? auth.hook : [] }, async () => this.registry.list().map((p) => p.toJSON()));
      },
    });
  }

  get state(): ServiceState {
    return this.current;
  }

  async start(): Promise<ServiceAddresses> {
    this.httpListening = this.http.listen({ port: this.settings.httpPort, host: this.settings.bindAddress });
    await this.httpListening;
    this.refuseIfStopped();
    await this.signaling.listen();
    this.refuseIfStopped();
    const addresses: ServiceAddresses = { http: (this.http.server.address() as AddressInfo).port, ...this.signaling.ports };
    this.current = 'serving';
    this.log.info('rtmp-transponder started', { ...addresses });
    return addresses;
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
    const deadlineMs = this.settings.shutdownTimeout;
    this.log.info('stopping', { reason, deadlineMs });
    // The transponders first, so each push ends with the service's reason (not "the
    // published stream ended"); then the sessions go away, refusing new ones at once.
    const releases: Release[] = [
      { part: 'transponders', done: this.transponders.close() },
      { part: 'signaling', done: this.signaling.close() },
    ];
    const remaining = await releasedBy(releases, deadlineMs);
    if (remaining.length > 0) this.log.warn('shutdown_timeout passed: tearing down what remains', { deadlineMs, remaining });
    await this.httpListening?.catch(() => undefined);
    await this.http.close();
    this.current = 'stopped';
    this.log.info('stopped', { clean: remaining.length === 0 });
    return { clean: remaining.length === 0, remaining };
  }

  /** A stop that came while starting wins: the start goes no further. */
  private refuseIfStopped(): void {
    if (this.current !== 'starting') throw new Error('the service was stopped while starting');
  }
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
