import { randomUUID } from 'node:crypto';
import type { WebSocket, RawData } from 'ws';
import type { Logger } from '../log';
import type { StreamRegistry } from '../streams/stream-registry';
import { REST_TERMINATE_REASON } from '../streams/stream-termination';
import { PublishRefused, StreamPublish } from '../streams/stream-publish';
import type { PublisherOptions } from '../webrtc/publisher-options';
import { TypedEmitter } from '../util/typed-emitter';
import { redactRtmpUrl } from '../rtmp/rtmp-url';
import type { MessageAdmission } from './message-rate-limit';
import type { RefusalKind } from './signaling-refusals';
import { OPEN_SESSION_ACCESS, type PublishAdmission, type SessionAccess } from '../access/session-access';
import type { Playback } from '../playback';
import { SessionPlayers } from './session-players';
import { StreamEventState } from '../streams/stream-event-state';
import { acceptStreamEvent, answerAvailableStream, RecentIds, type StreamMessageContext } from './stream-message-handlers';
import { encodeVideoRate } from './stream-messages';
import { VideoRateReporter } from './video-rate-reporter';
import {
  encodeConnectionFailed,
  encodeMessage,
  encodeSetRemoteSdp,
  mediaSessionIdOf,
  parseMessage,
  parsePublish,
  WCS_INFO,
  type PublishRequest,
  type StreamStatus,
  type WcsMessage,
} from './wcs-protocol';

export interface SessionLimits {
  maxMessageBytes: number;
  maxStreamsPerSession: number;
  maxStreamsTotal: number;
  keepAliveIntervalMs: number;
  keepAliveTimeoutMs: number;
  /** streams (being set up or live) across every session */
  totalStreams: () => number;
  /** Admits each message before it is read (message-rate-limit.ts); unset admits all. */
  admitMessage?: () => MessageAdmission;
  /** The `fail` info for a refused message. */
  messageRateInfo?: () => string;
  /** Told of each refusal by a limit, for counts and the log. */
  refused?: (kind: RefusalKind, fields: Record<string, unknown>) => void;
  /** rtmp_push_from_client: false refuses a publishStream that carries an rtmpUrl. */
  rtmpPushFromClient: () => boolean;
}

/** `connecting`: the connection is being decided (publish token, REST hook connect). */
type SessionState = 'new' | 'connecting' | 'established' | 'closed';

/** Messages a client may send after `connection` before it is decided; more get "Session not ready". */
const MAX_MESSAGES_WHILE_CONNECTING = 32;

/** One publish of this session, from publishStream until it ends. */
interface StreamEntry {
  mediaSessionId: string;
  name: string;
  status: 'PENDING' | 'PUBLISHING';
  /** the name, the peer connection and the registration (shared with WHIP) */
  publish: StreamPublish;
  /** what the page said with sendStreamEvent (mute state), from publishStream on */
  events: StreamEventState;
}

export type SignalingSessionEvents = { close: [string] };

/** The FAILED info of a publishStream with rtmpUrl when rtmp_push_from_client=false. */
export const RTMP_URL_FROM_CLIENT_DISABLED =
  'Relaying to rtmpUrl from the client is disabled on this server (rtmp_push_from_client=false): publish without rtmpUrl; relays are started through the REST API';

/** The browser's close reasons become WCS's info texts. */
function failureInfo(reason: string): string {
  if (reason.startsWith('ICE/DTLS not connected')) return WCS_INFO.FAILED_BY_ICE_TIMEOUT;
  if (reason.startsWith('ICE/DTLS failed')) return WCS_INFO.FAILED_BY_ICE_ERROR;
  if (reason.startsWith('no media')) return WCS_INFO.FAILED_BY_RTP_ACTIVITY;
  return reason;
}

/**
 * One WebSocket client speaking the WCS protocol: `connection`, `publishStream`,
 * `unPublishStream`, `availableStream`, `sendStreamEvent` (stream-message-handlers.ts),
 * `ping`/`pong`; it sends `inboundVideoRate` for its live streams. Everything else gets a
 * `fail` naming the message.
 * Bad input is answered and logged once per session; nothing a client sends can throw.
 */
export class SignalingSession extends TypedEmitter<SignalingSessionEvents> {
  readonly id = randomUUID();
  private state: SessionState = 'new';
  private readonly streams = new Map<string, StreamEntry>();
  /** Releases of the publishers this session ended, until each settles. */
  private readonly drains = new Set<Promise<void>>();
  private lastHeardAt = Date.now();
  private readonly keepAliveTimer: NodeJS.Timeout;
  private badInputLogged = false;
  /** Messages that came while the connection was being decided, handled once it is established. */
  private readonly waitingForConnect: WcsMessage[] = [];
  /** Publishes being decided by access control (mediaSessionId → whether the page stopped it meanwhile). */
  private readonly admitting = new Map<string, { cancelled: boolean; events: StreamEventState }>();
  private readonly access: SessionAccess;
  /** Every line of this session (and of its publishers) carries `session`. */
  private readonly log: Logger;
  private readonly openedAt = performance.now();
  /** Streams of this session that reached PUBLISHING, for its end line. */
  private published = 0;
  /** playStream/stopStream, when the server plays streams back */
  private readonly players?: SessionPlayers;
  /** inboundVideoRate for each PUBLISHING stream, once a second (the WebSDK's connection quality) */
  private readonly videoRates = new VideoRateReporter({ send: (id, rate) => this.send(encodeVideoRate('inbound', id, rate)) });
  /** streams of this session that ended lately: late stream events for them are dropped quietly */
  private readonly endedStreams = new RecentIds();
  private readonly streamMessages: StreamMessageContext = {
    established: () => this.state === 'established',
    isPublished: (name) => this.registry.get(name)?.closed === false,
    streamEvents: (id) => this.streams.get(id)?.events ?? this.admitting.get(id)?.events,
    endedLately: (id) => this.endedStreams.has(id),
    send: (text) => this.send(text),
    fail: (apiMethod, info) => this.badInput(info, apiMethod),
    debug: (message, fields) => this.log.debug(message, { session: this.id, ...fields }),
  };

  constructor(
    private readonly ws: WebSocket,
    private readonly registry: StreamRegistry,
    private readonly webrtc: PublisherOptions,
    private readonly limits: SessionLimits,
    log: Logger,
    remote: string,
    openAccess: (sessionId: string) => SessionAccess = () => OPEN_SESSION_ACCESS,
    playback?: Playback,
  ) {
    super((event, error) => log.error('session listener threw', { session: this.id, event, error: String(error) }));
    this.log = log.child({ session: this.id });
    this.access = openAccess(this.id);
    if (playback) {
      this.players = new SessionPlayers(playback, registry, { sessionId: this.id, send: (text) => this.send(text), track: (drain) => this.track(drain) }, log);
    }
    this.log.info('session opened', { session: this.id, remote });
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', (code) => this.close(`socket closed (${code})`));
    ws.on('error', (error) => this.close(`socket error: ${error.message}`));
    this.keepAliveTimer = setInterval(() => this.keepAlive(), Math.max(50, limits.keepAliveIntervalMs));
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Streams of this session, being set up or live. */
  get streamCount(): number {
    return this.streams.size + this.admitting.size;
  }

  /** Ends the session: every stream is unpublished, the socket closed. */
  close(reason: string): void {
    this.end(reason, false);
  }

  /**
   * The server is going away (a stop or a rolling restart): to the page this must look
   * like a server that went away, never like its own Stop. So no UNPUBLISHED is sent and
   * the socket is cut without a close frame: the browser sees an abnormal close (1006),
   * the WebSDK reports the session FAILED and its streams FAILED, and pages with
   * auto-restore ("Stream auto restore") publish again once the server is back.
   */
  goingAway(reason: string): void {
    this.end(reason, true);
  }

  private end(reason: string, serverGoingAway: boolean): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this.keepAliveTimer);
    this.players?.close(reason);
    this.videoRates.close();
    for (const entry of [...this.streams.values()]) {
      if (serverGoingAway) this.dropStream(entry, `server going away: ${reason}`);
      else this.endStream(entry, 'UNPUBLISHED', WCS_INFO.STOPPED_BY_SESSION_DISCONNECT, `session closed: ${reason}`);
    }
    this.access.close(reason);
    if (serverGoingAway) this.ws.terminate();
    else if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      try { this.ws.close(1000); } catch { /* already closing */ }
    }
    // The session's one end line: why, how long, how many streams it published.
    this.log.info('session ended', { reason, durationMs: Math.round(performance.now() - this.openedAt), published: this.published, serverGoingAway });
    this.emit('close', reason);
    this.removeAllListeners();
  }

  private keepAlive(): void {
    if (this.closed) return;
    if (Date.now() - this.lastHeardAt > this.limits.keepAliveTimeoutMs) {
      this.close(`keep-alive: nothing heard for ${this.limits.keepAliveTimeoutMs} ms`);
      return;
    }
    this.send(encodeMessage('ping', null));
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    this.lastHeardAt = Date.now();
    const admission = this.limits.admitMessage?.() ?? 'admit';
    if (admission !== 'admit') {
      this.limits.refused?.('messageRate', { session: this.id });
      if (admission === 'refuse-and-tell') this.sendFail('unknown', this.limits.messageRateInfo?.() ?? 'Too many messages');
      return;
    }
    try {
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
      if (size > this.limits.maxMessageBytes) {
        this.badInput(`Message of ${size} bytes is larger than the limit of ${this.limits.maxMessageBytes}`);
        return;
      }
      if (isBinary) {
        this.badInput('Binary messages are not supported');
        return;
      }
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      const parsed = parseMessage(text);
      if (!parsed.ok) {
        this.badInput(parsed.error);
        return;
      }
      this.dispatch(parsed.msg);
    } catch (error) {
      // A bug of ours, not the client's: keep serving, say so once.
      this.log.error('message handling failed', { session: this.id, error: String(error) });
      this.sendFail('unknown', WCS_INFO.FAILED_BY_ERROR);
    }
  }

  private dispatch(msg: WcsMessage): void {
    // While access control decides the connection (a REST hook may take a while), what the
    // client sends after `connection` waits its turn, in order: a client that does not wait
    // for getUserData is served as if the decision had been instant.
    if (this.state === 'connecting' && msg.message !== 'ping' && msg.message !== 'pong') {
      if (this.waitingForConnect.length < MAX_MESSAGES_WHILE_CONNECTING) this.waitingForConnect.push(msg);
      else this.sendFail(msg.message, WCS_INFO.SESSION_NOT_READY);
      return;
    }
    switch (msg.message) {
      case 'connection':
        this.onConnection(msg.data).catch((error: unknown) => {
          this.log.error('connection handling failed', { session: this.id, error: String(error) });
          this.close('connection handling failed');
        });
        return;
      case 'ping':
        this.send(encodeMessage('pong', null));
        return;
      case 'pong':
        return;
      case 'publishStream':
        void this.onPublish(msg.data);
        return;
      case 'unPublishStream':
        this.onUnpublish(msg.data);
        return;
      case 'availableStream':
        answerAvailableStream(msg.data, this.streamMessages);
        return;
      case 'sendStreamEvent':
        acceptStreamEvent(msg.data, this.streamMessages);
        return;
      case 'playStream': {
        if (this.players) {
          this.players.play(msg.data, this.state === 'established');
          return;
        }
        // Fail the stream too, so the WebSDK's play promise ends instead of waiting.
        const id = mediaSessionIdOf(msg.data);
        if (id) this.sendStatus(id, undefined, 'FAILED', 'playStream is not supported: this server only receives published streams');
        this.sendFail(msg.message, 'playStream is not supported');
        return;
      }
      case 'stopStream':
        if (this.players?.stop(msg.data)) return;
        this.sendFail('stopStream', 'No such stream is played in this session');
        return;
      default:
        this.log.debug('unsupported message', { session: this.id, message: msg.message });
        this.sendFail(msg.message, `${msg.message} is not supported`);
    }
  }

  private async onConnection(data: unknown[]): Promise<void> {
    if (this.state !== 'new') {
      this.sendFail('connection', 'Session is already established');
      return;
    }
    const cfg = (typeof data[0] === 'object' && data[0] !== null ? data[0] : {}) as Record<string, unknown>;
    this.state = 'connecting';
    const admission = await this.access.connect(cfg);
    if (this.closed) return;
    if (!admission.ok) {
      // As WCS: the reason first (the WebSDK hands it to SESSION_STATUS.WARN), then the close.
      this.send(encodeConnectionFailed(admission.info));
      this.close(`connection declined: ${admission.info}`);
      return;
    }
    this.state = 'established';
    const pick = (k: string): unknown => (typeof cfg[k] === 'string' || typeof cfg[k] === 'boolean' || typeof cfg[k] === 'number' ? cfg[k] : undefined);
    // WCS answers with the client's own connection config plus the session's identity;
    // the WebSDK keeps authToken and hands the object to the ESTABLISHED callback.
    this.send(encodeMessage('getUserData', {
      appKey: pick('appKey') ?? 'defaultApp',
      mediaProviders: ['WebRTC'],
      keepAlive: pick('keepAlive'),
      clientVersion: pick('clientVersion'),
      msePacketizationVersion: pick('msePacketizationVersion'),
      authToken: typeof cfg.authToken === 'string' && cfg.authToken ? cfg.authToken : this.id,
      sessionId: this.id,
      status: 'ESTABLISHED',
    }));
    this.log.info('session established', { session: this.id, appKey: pick('appKey'), clientVersion: pick('clientVersion') });
    for (const waiting of this.waitingForConnect.splice(0)) {
      if (this.closed) return;
      this.dispatch(waiting);
    }
  }

  private async onPublish(data: unknown[]): Promise<void> {
    const parsed = parsePublish(data);
    if (!parsed.ok) {
      this.badInput(parsed.error, 'publishStream', parsed.mediaSessionId, parsed.name);
      return;
    }
    let req = parsed.req;
    const refuse = (info: string): void => {
      this.log.warn('publish refused', { session: this.id, stream: req.name, info });
      this.endedStreams.add(req.mediaSessionId);
      this.sendStatus(req.mediaSessionId, req.name, 'FAILED', info);
    };
    if (this.state !== 'established') return refuse(WCS_INFO.SESSION_NOT_READY);
    if (this.streams.has(req.mediaSessionId) || this.admitting.has(req.mediaSessionId)) return refuse(WCS_INFO.MEDIASESSION_ID_ALREADY_IN_USE);
    if (this.streamCount >= this.limits.maxStreamsPerSession) {
      this.limits.refused?.('streamsPerSession', { session: this.id, limit: this.limits.maxStreamsPerSession });
      return refuse(`Limit of ${this.limits.maxStreamsPerSession} streams per session reached`);
    }
    if (this.limits.totalStreams() >= this.limits.maxStreamsTotal) {
      this.limits.refused?.('streamsTotal', { session: this.id, limit: this.limits.maxStreamsTotal });
      return refuse(`Server limit of ${this.limits.maxStreamsTotal} streams reached`);
    }
    if (req.rtmpUrl !== undefined && !this.limits.rtmpPushFromClient()) {
      // The whole publish fails, before any peer connection: a page that asked for a relay
      // and showed PUBLISHING while nothing reached the RTMP server would mislead its user.
      // Checked on the page's own request: a REST hook backend may still set an rtmpUrl.
      return refuse(RTMP_URL_FROM_CLIENT_DISABLED);
    }
    const offerSdp = req.sdp;
    if (!offerSdp) return refuse('SDP offer is missing in publishStream');
    // Access control (REST hook publishStream) decides before any peer connection exists,
    // and may change the name or the rtmpUrl: both are checked below as the page's own.
    const events = new StreamEventState((event, error) => this.log.error('stream event listener threw', { session: this.id, stream: req.name, event, error: String(error) }));
    const admitting = { cancelled: false, events };
    this.admitting.set(req.mediaSessionId, admitting);
    let admission: PublishAdmission;
    try {
      admission = await this.access.publish(req);
    } catch (error) {
      this.log.error('publish access check failed', { session: this.id, stream: req.name, error: String(error) });
      admission = { ok: false, info: WCS_INFO.FAILED_BY_ERROR };
    } finally {
      this.admitting.delete(req.mediaSessionId);
    }
    if (this.closed) return;
    if (admitting.cancelled || !admission.ok) {
      admitting.events.close();
      this.endedStreams.add(req.mediaSessionId);
    }
    if (admitting.cancelled) {
      this.sendStatus(req.mediaSessionId, req.name, 'UNPUBLISHED', WCS_INFO.STOPPED_BY_PUBLISHER_STOP);
      return;
    }
    if (!admission.ok) return refuse(admission.info);
    req = { ...admission.publish, sdp: offerSdp };
    let publish: StreamPublish;
    try {
      publish = StreamPublish.reserve(
        { registry: this.registry, webrtc: this.webrtc, log: this.log.child({ mediaSessionId: req.mediaSessionId }) },
        {
          name: req.name,
          rtmpUrl: req.rtmpUrl,
          offerSdp,
          bitrate: { bitrate: req.bitrate, minBitrate: req.minBitrate, maxBitrate: req.maxBitrate },
          record: req.record,
          sessionId: this.id,
          mediaSessionId: req.mediaSessionId,
        },
        admitting.events,
      );
    } catch (error) {
      if (!(error instanceof PublishRefused)) throw error;
      return refuse(error.code === 'NAME_IN_USE' ? WCS_INFO.STREAM_NAME_ALREADY_IN_USE : error.message);
    }

    const entry: StreamEntry = { mediaSessionId: req.mediaSessionId, name: req.name, status: 'PENDING', publish, events: admitting.events };
    this.streams.set(req.mediaSessionId, entry);
    this.log.info('publish', { session: this.id, stream: req.name, rtmpUrl: req.rtmpUrl ? redactRtmpUrl(req.rtmpUrl) : undefined });
    this.log.debug('publish offer', { session: this.id, stream: req.name, sdp: offerSdp });

    let answerSdp: string;
    try {
      answerSdp = await publish.answer();
    } catch (error) {
      // ENDED: unPublishStream or a closed socket while werift was answering; already told.
      if (this.streams.get(req.mediaSessionId) !== entry) return;
      // Another node publishes the name (cluster): the same failure as a name in use here.
      if (error instanceof PublishRefused && error.code === 'NAME_IN_USE') return this.endStream(entry, 'FAILED', WCS_INFO.STREAM_NAME_ALREADY_IN_USE, error.message);
      if (error instanceof PublishRefused && error.code === 'CLUSTER_UNAVAILABLE') {
        this.log.warn('publish refused: the cluster directory is unavailable', { session: this.id, stream: req.name });
        return this.endStream(entry, 'FAILED', error.message, error.message);
      }
      const sdpProblem = error instanceof PublishRefused && (error.code === 'BAD_SDP' || error.code === 'NO_CODEC');
      // A refusal WCS has its own info for (VP8/VP9 with transcoding disabled) reports that info.
      const info = sdpProblem ? ((error as PublishRefused).info ?? `Bad SDP: ${(error as Error).message}`) : WCS_INFO.FAILED_BY_ERROR;
      if (!sdpProblem) this.log.error('publisher setup failed', { session: this.id, stream: req.name, error: String(error) });
      this.endStream(entry, 'FAILED', info, info);
      return;
    }
    publish.on('publishing', () => this.onPublishing(entry));
    publish.on('close', (reason) => this.onPublishClosed(entry, reason));
    if (publish.closed) return this.onPublishClosed(entry, publish.closeReason ?? 'closed');
    this.log.debug('publish answer', { session: this.id, stream: req.name, sdp: answerSdp });
    this.send(encodeSetRemoteSdp(req.mediaSessionId, answerSdp));
  }

  private onPublishClosed(entry: StreamEntry, reason: string): void {
    if (this.streams.get(entry.mediaSessionId) !== entry) return;
    // An administrator's terminate is a stop, as WCS reports it; anything else failed.
    if (reason === REST_TERMINATE_REASON) this.endStream(entry, 'UNPUBLISHED', WCS_INFO.STOPPED_BY_REST_TERMINATE, reason);
    else this.endStream(entry, 'FAILED', failureInfo(reason), reason);
  }

  private onPublishing(entry: StreamEntry): void {
    const publisher = entry.publish.publisher;
    if (this.streams.get(entry.mediaSessionId) !== entry || !publisher) return;
    entry.status = 'PUBLISHING';
    this.published++;
    this.sendStatus(entry.mediaSessionId, entry.name, 'PUBLISHING');
    this.videoRates.watch(entry.mediaSessionId, () => publisher.toJSON().video?.bytes);
  }

  private onUnpublish(data: unknown[]): void {
    const id = mediaSessionIdOf(data);
    const o = data[0] as Record<string, unknown> | undefined;
    const name = typeof o?.name === 'string' ? o.name : undefined;
    const entry = (id && this.streams.get(id)) || [...this.streams.values()].find((e) => e.name === name);
    const pending = id ? this.admitting.get(id) : undefined;
    if (!entry && pending && id) {
      pending.cancelled = true;
      this.access.unpublishRequested(id);
      return;
    }
    if (!entry) {
      this.sendFail('unPublishStream', `No stream ${name ?? id ?? ''} is published in this session`);
      return;
    }
    this.access.unpublishRequested(entry.mediaSessionId);
    this.endStream(entry, 'UNPUBLISHED', WCS_INFO.STOPPED_BY_PUBLISHER_STOP, 'unpublished by the client');
  }

  /** Forgets a stream, tells the client how it ended (when it can hear), closes its publisher. */
  /** Ends a stream without telling the page (the server is going away). */
  private dropStream(entry: StreamEntry, reason: string): void {
    if (this.streams.get(entry.mediaSessionId) !== entry) return;
    this.forget(entry);
    this.track(entry.publish.close(reason));
  }

  private endStream(entry: StreamEntry, status: StreamStatus, info: string, reason: string): void {
    if (this.streams.get(entry.mediaSessionId) !== entry) return;
    this.forget(entry);
    this.sendStatus(entry.mediaSessionId, entry.name, status, info);
    if (status === 'FAILED') this.log.warn('stream failed', { session: this.id, stream: entry.name, info });
    this.track(entry.publish.close(reason));
  }

  /** The stream leaves the session: no more rates, its events end, late events for it are dropped quietly. */
  private forget(entry: StreamEntry): void {
    this.streams.delete(entry.mediaSessionId);
    this.videoRates.unwatch(entry.mediaSessionId);
    entry.events.close();
    this.endedStreams.add(entry.mediaSessionId);
  }

  /** Resolves when every publisher this session ended has released its peer connection. */
  get drained(): Promise<void> {
    return Promise.all([...this.drains]).then(() => undefined);
  }

  private track(drain: Promise<void>): void {
    const settled: Promise<void> = drain.catch(() => undefined).then(() => {
      this.drains.delete(settled);
    });
    this.drains.add(settled);
  }

  private badInput(error: string, apiMethod = 'unknown', mediaSessionId?: string, name?: string): void {
    if (!this.badInputLogged) {
      this.badInputLogged = true;
      this.log.warn('bad input from client (further ones logged at debug)', { session: this.id, error });
    } else {
      this.log.debug('bad input from client', { session: this.id, error });
    }
    if (mediaSessionId) this.sendStatus(mediaSessionId, name, 'FAILED', error);
    else this.sendFail(apiMethod, error);
  }

  private sendStatus(mediaSessionId: string, name: string | undefined, status: StreamStatus, info?: string): void {
    this.access.streamStatus(mediaSessionId, status, info);
    this.send(encodeMessage('notifyStreamStatusEvent', { mediaSessionId, name, published: true, status, info }));
  }

  private sendFail(apiMethod: string, info: string): void {
    this.send(encodeMessage('fail', { apiMethod, info }));
  }

  private send(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(text, (error) => {
      if (error) this.log.debug('send failed', { session: this.id, error: error.message });
    });
  }
}

export type { PublishRequest };
