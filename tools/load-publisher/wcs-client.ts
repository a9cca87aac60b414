/**
 * The client side of the WCS WebSocket protocol, as the official WebSDK speaks it, for
 * one session: `connection` → `getUserData` (ESTABLISHED); `publishStream` with an SDP
 * offer → `setRemoteSDP` with the answer → `notifyStreamStatusEvent` PUBLISHING.
 * Answers the server's `ping` with `pong`, as the WebSDK does.
 */
import WebSocket from 'ws';
import { TypedEmitter } from '../../src/util/typed-emitter';

export interface StreamStatusEvent {
  mediaSessionId: string;
  name?: string;
  status: string;
  info?: string;
}

export type WcsClientEvents = {
  status: [StreamStatusEvent];
  fail: [{ apiMethod?: string; info?: string }];
  close: [string];
};

export interface PublishArgs {
  mediaSessionId: string;
  name: string;
  sdp: string;
  rtmpUrl?: string;
  /** the WebSDK's `custom` object (a publish token, …), sent as the WebSDK sends it */
  custom?: Record<string, unknown>;
  minBitrate?: number;
  maxBitrate?: number;
}

interface Pending {
  resolve: (sdp: string) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class WcsClient extends TypedEmitter<WcsClientEvents> {
  private ws?: WebSocket;
  private closeReason?: string;
  private readonly answers = new Map<string, Pending>();

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Opens the socket and establishes the session (with the WebSDK's `custom`); rejects after `timeoutMs`. */
  async connect(url: string, timeoutMs = 10_000, custom?: Record<string, unknown>): Promise<void> {
    if (this.closed) throw new Error(`WCS client is closed (${this.closeReason})`);
    if (this.ws) throw new Error('WCS client is already connected');
    const ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!error) return resolve();
        this.close(error.message);
        reject(error);
      };
      const timer = setTimeout(() => settle(new Error(`no ESTABLISHED from ${url} within ${timeoutMs} ms`)), timeoutMs);
      ws.once('error', (e) => settle(new Error(`WebSocket ${url}: ${e.message}`)));
      ws.once('open', () => this.send('connection', { appKey: 'defaultApp', mediaProviders: ['WebRTC'], keepAlive: false, clientVersion: '2.0', msePacketizationVersion: 2, custom }));
      ws.on('message', (data) => {
        const msg = this.parse(String(data));
        if (!msg) return;
        if (msg.message === 'getUserData') settle();
        this.onMessage(msg.message, msg.data);
      });
      ws.on('close', (code) => {
        settle(new Error(`WebSocket ${url} closed (${code}) before ESTABLISHED`));
        this.close(`socket closed (${code})`);
      });
    });
    this.ws.on('error', (e) => this.close(`socket error: ${e.message}`));
  }

  /** Sends publishStream; resolves with the server's SDP answer (setRemoteSDP). */
  publish(args: PublishArgs, timeoutMs = 10_000): Promise<string> {
    if (this.closed || !this.ws) return Promise.reject(new Error(`WCS client is not connected${this.closeReason ? ` (${this.closeReason})` : ''}`));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.answers.delete(args.mediaSessionId);
        reject(new Error(`no setRemoteSDP for ${args.name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.answers.set(args.mediaSessionId, { resolve, reject, timer });
      this.send('publishStream', {
        mediaSessionId: args.mediaSessionId,
        name: args.name,
        published: true,
        hasVideo: true,
        hasAudio: true,
        status: 'NEW',
        record: false,
        mediaProvider: 'WebRTC',
        sdp: args.sdp,
        rtmpUrl: args.rtmpUrl,
        custom: args.custom,
        minBitrate: args.minBitrate,
        maxBitrate: args.maxBitrate,
      });
    });
  }

  unpublish(mediaSessionId: string, name: string): void {
    this.send('unPublishStream', { mediaSessionId, name, published: true });
  }

  /** Closes the socket; pending publishes reject. Idempotent. */
  close(reason = 'closed by client'): void {
    if (this.closed) return;
    this.closeReason = reason;
    for (const [id, p] of this.answers) {
      clearTimeout(p.timer);
      p.reject(new Error(`session closed before the answer for ${id}: ${reason}`));
    }
    this.answers.clear();
    const ws = this.ws;
    if (ws && (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING)) {
      try { ws.close(1000); } catch { /* already closing */ }
    }
    this.emit('close', reason);
    this.removeAllListeners();
  }

  private onMessage(message: string, data: unknown[]): void {
    switch (message) {
      case 'ping':
        this.send('pong', null);
        return;
      case 'setRemoteSDP': {
        const [id, sdp] = data;
        const pending = typeof id === 'string' ? this.answers.get(id) : undefined;
        if (!pending || typeof sdp !== 'string') return;
        this.answers.delete(id as string);
        clearTimeout(pending.timer);
        pending.resolve(sdp);
        return;
      }
      case 'notifyStreamStatusEvent': {
        const e = data[0] as Partial<StreamStatusEvent> | undefined;
        if (!e || typeof e.mediaSessionId !== 'string' || typeof e.status !== 'string') return;
        const pending = this.answers.get(e.mediaSessionId);
        if (pending && e.status === 'FAILED') {
          this.answers.delete(e.mediaSessionId);
          clearTimeout(pending.timer);
          pending.reject(new Error(`publish failed: ${e.info ?? 'no info'}`));
        }
        this.emit('status', { mediaSessionId: e.mediaSessionId, name: e.name, status: e.status, info: e.info });
        return;
      }
      case 'fail':
        this.emit('fail', (data[0] ?? {}) as { apiMethod?: string; info?: string });
        return;
      default:
    }
  }

  private parse(text: string): { message: string; data: unknown[] } | undefined {
    try {
      const v = JSON.parse(text) as { message?: unknown; data?: unknown };
      if (typeof v.message !== 'string') return undefined;
      return { message: v.message, data: Array.isArray(v.data) ? v.data : [] };
    } catch {
      return undefined;
    }
  }

  private send(message: string, payload: unknown): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify({ message, data: [payload] }));
  }
}
