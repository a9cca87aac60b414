import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log';
import type { StreamRegistry } from '../streams/stream-registry';
import { addressGroup } from '../util/address-group';
import type { PublisherOptions } from '../webrtc/publisher-options';
import { MessageRateLimit, messageRateInfo, type MessageRateOptions } from './message-rate-limit';
import { SessionsPerAddress, sessionsPerAddressInfo } from './sessions-per-address';
import { SignalingRefusals, type RefusalCounts } from './signaling-refusals';
import { OPEN_SESSION_ACCESS, type SessionAccess } from '../access/session-access';
import { SignalingSession } from './signaling-session';
import type { Playback } from '../playback';
import { encodeMessage } from './wcs-protocol';

export interface SignalingOptions {
  /** `ws.port` (8080 as WCS); 0 picks a free port */
  port: number;
  host?: string;
  /** `wss.port` (8443) with a PEM certificate and key (PEM text or a file path) */
  tls?: { cert: string; key: string; port: number };
  /** larger messages are answered with `fail` and dropped */
  maxMessageBytes: number;
  maxStreamsPerSession: number;
  maxStreamsTotal: number;
  /** the server pings every interval; a client silent for the timeout is closed */
  keepAliveIntervalMs: number;
  keepAliveTimeoutMs: number;
  webrtc: PublisherOptions;
  /** Sessions one client address (IPv6: its /64) may hold; more are told `fail` and closed (1008). Unset or 0: no limit. */
  maxSessionsPerAddress?: number;
  /** Messages per second per session (token bucket); unset or 0: no limit. */
  maxMessagesPerSecond?: number;
  /** The bucket's size: messages a session may send at once; defaults to twice the rate. */
  messageBurst?: number;
  /** rtmp_push_from_client: whether publishStream may carry an rtmpUrl (default true, as WCS). */
  rtmpPushFromClient?: boolean;
  /** Decides each session and publish (publish token, REST hooks); none admits all. */
  access?: { openSession(sessionId: string): SessionAccess };
  /** Plays published streams back over WebRTC (playStream); none refuses playStream. */
  playback?: Playback;
  /** Streams of the other ingest paths (WHIP), counted against maxStreamsTotal with ours. */
  otherStreams?: () => number;
}

/** The limits a settings reload may change while sessions are open (see `updateLimits`). */
export type SignalingLimits = Pick<SignalingOptions, 'maxSessionsPerAddress' | 'maxMessagesPerSecond' | 'messageBurst' | 'maxStreamsPerSession' | 'maxStreamsTotal'>;

/** Close code of a session refused at once: "policy violation". */
export const REFUSED_SESSION_CLOSE_CODE = 1008;

/** Frames above this are refused by ws itself (close 1009); between maxMessageBytes and this we answer `fail`. */
function hardFrameLimit(maxMessageBytes: number): number {
  return Math.max(maxMessageBytes * 4, 4 * 1024 * 1024);
}

function pem(value: string): string {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

/**
 * The WCS WebSocket endpoint: ws:// on `port`, and wss:// on `tls.port` when a certificate
 * is given. Owns its sessions; closing the server ends every session and publisher.
 */
export class SignalingServer {
  private readonly sessions = new Set<SignalingSession>();
  private readonly servers: Array<{ http: Server; wss: WebSocketServer; label: string }> = [];
  /** Set by the first close(); every later call awaits the same release. */
  private closing: Promise<void> | undefined;
  private opts: SignalingOptions;
  private readonly perAddress: SessionsPerAddress;
  private readonly refusalLog: SignalingRefusals;

  constructor(opts: SignalingOptions, private readonly registry: StreamRegistry, private readonly log: Logger) {
    this.opts = { ...opts };
    this.perAddress = new SessionsPerAddress(() => this.opts.maxSessionsPerAddress ?? 0);
    this.refusalLog = new SignalingRefusals(log);
  }

  /** What the limits refused since start, by kind (read by metrics; never reset). */
  get refusals(): RefusalCounts {
    return this.refusalLog.counts;
  }

  /**
   * New limits, live: the per-address and message limits apply to open sessions at their
   * next message or new session; stream limits to the next publish of new sessions.
   */
  updateLimits(limits: Partial<SignalingLimits>): void {
    this.opts = { ...this.opts, ...limits };
  }

  private messageRate(): MessageRateOptions {
    const perSecond = this.opts.maxMessagesPerSecond ?? 0;
    return { perSecond, burst: this.opts.messageBurst ?? Math.max(1, perSecond * 2) };
  }

  /** WebSocket sessions open now (metrics). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * New options (settings reload). The stream limits, the per-address and message limits and
   * rtmp_push_from_client apply to every session from its next message or publish; keep-alive
   * and WebRTC options (bitrates, keyframe requests) to sessions that connect after. The
   * listeners (ports, host, TLS) and the message size limit stay as they were opened: those
   * need a restart.
   */
  update(next: SignalingOptions): void {
    const { port, host, tls, maxMessageBytes } = this.opts;
    this.opts = { ...next, port, host, tls, maxMessageBytes };
  }

  /** The bound ports, once listening (useful with port 0). */
  get ports(): { ws?: number; wss?: number } {
    const port = (label: string): number | undefined => {
      const s = this.servers.find((x) => x.label === label);
      const a = s?.http.address();
      return a && typeof a === 'object' ? (a as AddressInfo).port : undefined;
    };
    return { ws: port('ws'), wss: port('wss') };
  }

  async listen(): Promise<void> {
    await this.start('ws', createHttpServer(), this.opts.port);
    if (this.opts.tls) {
      const https = createHttpsServer({ cert: pem(this.opts.tls.cert), key: pem(this.opts.tls.key) });
      await this.start('wss', https, this.opts.tls.port);
    }
  }

  /**
   * Ends every session as a server that went away (no UNPUBLISHED, the socket cut, so
   * pages restore their publish against the restarted server), waits for the peer
   * connections to be released, then closes the listeners. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }

  private async release(): Promise<void> {
    const sessions = [...this.sessions];
    for (const s of sessions) s.goingAway('the server is stopping');
    // Every peer connection released (UDP sockets, DTLS) before the listeners go.
    await Promise.all(sessions.map((s) => s.drained));
    await Promise.all(this.servers.map(({ http, wss }) => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => http.close(() => resolve()));
      http.closeAllConnections?.();
    })));
    this.servers.length = 0;
  }

  /** Streams being set up or published over every session and the other ingest paths, and the limit on them (`/ready`). */
  get streamLoad(): { streams: number; maxStreams: number } {
    return { streams: this.totalStreams(), maxStreams: this.opts.maxStreamsTotal };
  }

  private totalStreams(): number {
    let n = this.opts.otherStreams?.() ?? 0;
    for (const s of this.sessions) n += s.streamCount;
    return n;
  }

  private async start(label: string, http: Server, port: number): Promise<void> {
    const wss = new WebSocketServer({ server: http, maxPayload: hardFrameLimit(this.opts.maxMessageBytes) });
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.accept(ws, req));
    wss.on('error', (error) => this.log.error('websocket server error', { label, error: error.message }));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, this.opts.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    this.servers.push({ http, wss, label });
    const address = http.address() as AddressInfo;
    this.log.info('signaling listening', { scheme: label, host: address.address, port: address.port });
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    if (this.closing !== undefined) {
      ws.terminate();
      return;
    }
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const address = addressGroup(req.socket.remoteAddress);
    if (!this.perAddress.tryOpen(address)) {
      this.refuseSession(ws, address);
      return;
    }
    const messageRate = new MessageRateLimit(() => this.messageRate());
    const o = this.opts;
    const current = (): SignalingOptions => this.opts;
    const session = new SignalingSession(ws, this.registry, o.webrtc, {
      maxMessageBytes: o.maxMessageBytes,
      // Read at each publish, so a reload changes them for sessions already open.
      get maxStreamsPerSession() { return current().maxStreamsPerSession; },
      get maxStreamsTotal() { return current().maxStreamsTotal; },
      keepAliveIntervalMs: o.keepAliveIntervalMs,
      keepAliveTimeoutMs: o.keepAliveTimeoutMs,
      totalStreams: () => this.totalStreams(),
      admitMessage: () => messageRate.admit(),
      messageRateInfo: () => messageRateInfo(this.messageRate()),
      refused: (kind, fields) => this.refusalLog.record(kind, { address, ...fields }),
      rtmpPushFromClient: () => this.opts.rtmpPushFromClient ?? true,
    }, this.log, remote, (sessionId) => this.opts.access?.openSession(sessionId) ?? OPEN_SESSION_ACCESS, this.opts.playback);
    this.sessions.add(session);
    session.on('close', () => {
      this.sessions.delete(session);
      this.perAddress.closed(address);
    });
  }

  /**
   * A session over the per-address limit: WCS's `fail` for `connection` first, so a page
   * can show why (the WebSDK hands it to its WARN callback), then a close with 1008; the
   * WebSDK reports the session DISCONNECTED.
   */
  private refuseSession(ws: WebSocket, address: string): void {
    const max = this.opts.maxSessionsPerAddress ?? 0;
    const info = sessionsPerAddressInfo(max);
    this.refusalLog.record('sessionsPerAddress', { address, limit: max });
    ws.send(encodeMessage('fail', { apiMethod: 'connection', info }), () => undefined);
    ws.close(REFUSED_SESSION_CLOSE_CODE, 'Too many sessions from this address');
  }
}
