/**
 * Wires the parts together; nothing else knows all of them. Owns the stream
 * registry, the WebSocket signaling and the HTTP server, and stops them in order.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Settings } from './config';
import type { Logger } from './log';
import { SignalingServer } from './signaling/signaling-server';
import { StreamRegistry } from './streams/stream-registry';
import { signalingOptionsFrom } from './server-options';

export interface ServiceAddresses {
  http: number;
  ws?: number;
  wss?: number;
}

export class TransponderService {
  readonly registry = new StreamRegistry();
  private readonly signaling: SignalingServer;
  private readonly http: FastifyInstance;
  private stopping: Promise<void> | undefined;

  constructor(private readonly settings: Settings, private readonly log: Logger) {
    this.signaling = new SignalingServer(signalingOptionsFrom(settings), this.registry, log);
    this.http = Fastify({ logger: false });
    this.http.get('/health', async () => ({ status: 'ok', streams: this.registry.list().length }));
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
        await this.http.close();
        this.log.info('stopped');
      })();
    }
    return this.stopping;
  }
}
