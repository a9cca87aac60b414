/**
 * One RTMP push attempt: one connection, connect → releaseStream → FCPublish →
 * createStream → publish, then FLV tags out until the connection ends. Restoring a lost
 * push is the owner's job (a new attempt each time, see transponder/push-restorer.ts),
 * as MediaMTX's source handlers own the retry loop around one cancellable attempt.
 *
 * The attempt is one cancellable unit: `close()` aborts its AbortSignal, which reaches
 * the TCP/TLS connect, the handshake, every command and every deadline, so nothing goes
 * on after close() returned (a closed attempt never becomes publishing or failed).
 *
 * States: idle → connecting → publishing → closed | lost | failed
 *   closed  the owner ended it (FCUnpublish/deleteStream when it was publishing)
 *   lost    the connection went away while publishing (the owner may restore)
 *   failed  it never published (refused, unreachable, timed out)
 * Terminal states are absorbing. Tags sent before publishing are kept by the timeline
 * (the run since the latest keyframe) and go out when publishing starts.
 *
 * It never logs: owners listen to `state`. Reasons never contain the password or the key,
 * and name the failure class only (push-failure.ts); each state change also carries the
 * detail, for the owner's log.
 */
import { TypedEmitter } from '../util/typed-emitter';
import type { Amf0Object } from '../amf0';
import { dataMessage, type RtmpCommand } from './command-messages';
import type { RtmpMessage } from './chunk-encoder';
import { parseAdobeAuthReply, adobeAuthQuery, appendQuery, type AdobeAuthReply } from './adobe-auth';
import { RtmpAbortError, RtmpCallError, RtmpConnection, ChunkStream, DEFAULT_ACK_WINDOW_BYTES, abortReason, statusInfo } from './rtmp-connection';
import { parseRtmpUrl, redactTarget, type RtmpNaming, type RtmpTarget } from './rtmp-url';
import { DropQueue, isDroppable } from './drop-queue';
import { ServerLagGate } from './server-lag-gate';
import { AckTracker } from './ack-tracker';
import { PushTimeline, type TimelineItem } from './push-timeline';
import { DestinationRefusedError, type DestinationResolver } from './destination';
import { PushFailure, detailOf } from './push-failure';
import { FlvTagType, isSequenceHeader, type FlvTag } from '../flv/flv-tag';
import { onMetaDataValues, type StreamMetadata } from '../flv/metadata';

export type RtmpPushState = 'idle' | 'connecting' | 'publishing' | 'closed' | 'lost' | 'failed';

export interface RtmpPublisherOptions {
  url: string;
  naming: RtmpNaming;
  /** flashVer of connect; falls back to an FMLE-like string. */
  flashVersion?: string;
  /** rtmp_transponder_send_metadata */
  sendMetadata: boolean;
  /** rtmp_publisher_ip */
  localAddress?: string;
  /** rtmps: extra CA and whether to verify the server certificate (default: verify). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /** Whether video is expected: then the connection starts on a keyframe. */
  hasVideo: boolean;
  /** Resolves and judges the host before each connection (the destination guard); see RtmpConnectionOptions.resolve. */
  resolve?: DestinationResolver;
  /** Deadline for each step of connecting (TCP + handshake, each command). Default 10 s. */
  timeoutMs?: number;
  /** Bound of the tags waiting for a slow server (DropQueue). Default 8 MiB. */
  maxQueueBytes?: number;
  /** Socket buffer above which tags wait in the DropQueue. Default 256 KiB. */
  socketHighWaterBytes?: number;
  /**
   * How far behind live (ms of media) the push may fall before non-key video is dropped
   * up to a keyframe (never audio): the media the server surely has not received, from
   * its acknowledgements once it sends them, and the media waiting in the DropQueue.
   * Default 2000.
   */
  maxLagMs?: number;
  /** Clock for the bitrate; tests may replace it. */
  now?: () => number;
  /**
   * Measuring seam (the relay benchmark): called as each media tag, sequence headers
   * aside, is handed to the socket, with its timestamp on the source clock (before this
   * connection's rebasing) and performance.now(). Absent in the product.
   */
  onTagWritten?: (type: 8 | 9, sourceTimestamp: number, at: number) => void;
}

export type RtmpPublisherEvents = {
  /** `reason` is shown to callers (a failure class at most); `detail` is for the log. */
  state: [state: RtmpPushState, reason: string, detail: string];
  /** The source should send a keyframe now (waiting to start, or frames dropped). */
  needKeyframe: [];
};

export interface RtmpPublisherStats {
  state: RtmpPushState;
  target: string;
  bytesSent: number;
  bitrateKbps: number;
  videoFramesSent: number;
  audioFramesSent: number;
  videoFramesDropped: number;
  audioFramesDropped: number;
  queuedBytes: number;
  /**
   * Newest media timestamp taken − the newest the server acknowledged receiving, ms;
   * absent until the server acknowledges (some never do).
   */
  serverLagMs?: number;
  /** Times media was held back because the server was more than maxLagMs behind. */
  lagHolds: number;
  connectMs?: number;
  lastError?: string;
}

/** onMetaData as a value, or asked for at the moment a connection starts (measured rates). */
export type MetadataSource = StreamMetadata | (() => StreamMetadata | undefined);

export const DEFAULT_FLASH_VERSION = 'FMLE/3.0 (compatible; FMSc/1.0)';
const DEFAULT_TIMEOUT_MS = 10_000;
/** Behind live by more than this, a viewer notices; OBS starts dropping at 700 ms of its own buffer alone. */
export const DEFAULT_MAX_LAG_MS = 2000;
/** While a connection waits for its first keyframe, the source is asked again this often. */
const KEYFRAME_REQUEST_INTERVAL_MS = 1000;
const EMPTY = Buffer.alloc(0);

/** `message` is shown to callers; `detail` says what happened, for the log. */
export class RtmpPublishError extends Error {
  override readonly name = 'RtmpPublishError';

  constructor(message: string, readonly detail: string = message) {
    super(message);
  }
}

export class RtmpPublisher extends TypedEmitter<RtmpPublisherEvents> {
  readonly target: RtmpTarget;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly highWater: number;
  private readonly maxQueueBytes: number;
  private readonly abort = new AbortController();
  private readonly timeline: PushTimeline;
  private readonly queue: DropQueue;
  private readonly lagGate: ServerLagGate;
  /** The connection's media and the server's acknowledgements (the window RtmpConnection announces). */
  private readonly acks = new AckTracker({ windowBytes: DEFAULT_ACK_WINDOW_BYTES });
  private current: RtmpPushState = 'idle';
  private reason = '';
  private detail = '';
  private refused = false;
  private conn: RtmpConnection | undefined;
  private streamId = 0;
  private metadata: MetadataSource | undefined;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private connectMs: number | undefined;
  private drain: Promise<void> = Promise.resolve();
  private sent = { video: 0, audio: 0, bytesOfClosedConnections: 0 };
  private rate = { windowStart: 0, windowBytes: 0, kbps: 0 };
  /** When the server last acknowledged (this.now()), and the newest media timestamp taken. */
  private lastAckAt = 0;
  private newestMediaTimestamp = 0;
  private readonly outgoing: RtmpMessage = { chunkStreamId: 0, timestamp: 0, typeId: 0, messageStreamId: 0, payload: Buffer.alloc(0) };

  constructor(private readonly opts: RtmpPublisherOptions) {
    super();
    this.target = parseRtmpUrl(opts.url, opts.naming);
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.highWater = opts.socketHighWaterBytes ?? 256 * 1024;
    this.maxQueueBytes = opts.maxQueueBytes ?? 8 * 1024 * 1024;
    const maxLagMs = opts.maxLagMs ?? DEFAULT_MAX_LAG_MS;
    this.queue = new DropQueue({ maxBytes: this.maxQueueBytes, maxSpanMs: maxLagMs });
    this.lagGate = new ServerLagGate({ maxLagMs });
    this.timeline = new PushTimeline({ hasVideo: opts.hasVideo });
  }

  get state(): RtmpPushState {
    return this.current;
  }

  /** Why it is in its state (for a terminal one: why it ended). */
  get stateReason(): string {
    return this.reason;
  }

  /** What happened, for the log (the reason, or more than callers may see). */
  get stateDetail(): string {
    return this.detail;
  }

  get closed(): boolean {
    return this.current === 'closed' || this.current === 'lost' || this.current === 'failed';
  }

  /** false when it failed in a way a new attempt would fail too (the destination guard refused it). */
  get retryable(): boolean {
    return !this.refused;
  }

  /** Resolves when everything the attempt held (socket, timers) is released. */
  get drained(): Promise<void> {
    return this.drain;
  }

  /** The sequence headers seen so far: a follow-up attempt starts with them. */
  headers(): { video?: FlvTag; audio?: FlvTag } {
    return this.timeline.headers();
  }

  /** A follow-up attempt of a push inherits the headers the source sent only once. */
  inheritHeaders(from: { video?: FlvTag; audio?: FlvTag }): void {
    this.timeline.inheritHeaders(from);
  }

  /**
   * Connects and publishes; resolves on NetStream.Publish.Start. Rejects with the
   * server's reason (state failed), or with RtmpAbortError when closed meanwhile.
   */
  async start(): Promise<void> {
    if (this.current !== 'idle') throw new RtmpPublishError(`start() called in state ${this.current}`);
    this.setState('connecting', `publishing to ${redactTarget(this.target)}`);
    if (this.timeline.waitingForKeyframe) this.startKeyframeRequests();
    const started = this.now();
    let conn: RtmpConnection | undefined;
    try {
      conn = await this.connectWithAuth();
      this.throwIfAborted();
      this.conn = conn;
      await this.createAndPublish(conn);
      this.throwIfAborted();
    } catch (err) {
      conn?.close((err as Error).message, detailOf(err));
      if (this.closed) throw new RtmpAbortError(this.reason);
      const reason = (err as Error).message;
      if (err instanceof DestinationRefusedError) this.refused = true;
      this.end('failed', reason, detailOf(err));
      throw new RtmpPublishError(reason, detailOf(err));
    }
    this.connectMs = this.now() - started;
    conn.on('close', (reason, detail) => this.end('lost', reason, detail));
    conn.on('drain', () => this.flushQueue());
    conn.on('acknowledgement', (sequenceNumber) => this.onAcknowledgement(conn, sequenceNumber));
    conn.on('command', (cmd) => {
      if (cmd.name === 'close') conn.close('the RTMP server closed the stream');
    });
    this.setState('publishing', 'NetStream.Publish.Start');
    if (conn.closed) {
      this.end('lost', 'the server closed the connection right after NetStream.Publish.Start');
      return;
    }
    this.write(this.timeline.begin());
  }

  /** Metadata the connection starts with (onMetaData goes out once, at the start, never mid-stream). */
  setMetadata(meta: MetadataSource): void {
    this.metadata = meta;
  }

  /** Takes one FLV tag on the source clock (a sequence header is remembered for the start). */
  send(tag: FlvTag): void {
    if (this.closed) return;
    const items = this.timeline.push(tag);
    if (items.length > 0) {
      this.write(items);
      if (this.keyframeTimer !== undefined && !this.timeline.waitingForKeyframe) this.stopKeyframeRequests();
    }
  }

  /**
   * Ends the attempt: marks it closed at once (the reason is kept), cancels a connect in
   * progress, and — when publishing — sends FCUnpublish and deleteStream and lets the
   * queued bytes go. Returns the drain. Safe to call twice; a terminal state is kept.
   */
  close(reason = 'closed by its owner'): Promise<void> {
    if (this.closed) return this.drain;
    const wasPublishing = this.current === 'publishing';
    this.setState('closed', reason);
    this.stopKeyframeRequests();
    this.abort.abort(reason);
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return this.drain;
    this.drain = (async () => {
      if (wasPublishing && !conn.closed) {
        this.flushQueue(conn);
        conn.notify('FCUnpublish', [this.target.streamName], 0);
        conn.notify('deleteStream', [this.streamId], 0);
        await conn.end(reason);
      } else {
        conn.close(reason);
      }
      this.sent.bytesOfClosedConnections += conn.bytesSent;
      this.queue.clear();
    })();
    return this.drain;
  }

  toJSON(): RtmpPublisherStats {
    const q = this.queue.stats();
    const acked = this.acks.ackedTimestamp;
    return {
      state: this.current,
      target: redactTarget(this.target),
      bytesSent: this.sent.bytesOfClosedConnections + (this.conn?.bytesSent ?? 0),
      bitrateKbps: Math.round(this.rate.kbps),
      videoFramesSent: this.sent.video,
      audioFramesSent: this.sent.audio,
      videoFramesDropped: q.droppedVideoFrames + this.timeline.stats.videoDropped,
      audioFramesDropped: this.timeline.stats.audioDropped,
      queuedBytes: q.queuedBytes,
      serverLagMs: acked === undefined ? undefined : Math.max(0, this.newestMediaTimestamp - acked),
      lagHolds: this.lagGate.holds,
      connectMs: this.connectMs,
      lastError: this.current === 'failed' || this.current === 'lost' ? this.reason : undefined,
    };
  }

  // ---- connecting -------------------------------------------------------------

  private throwIfAborted(): void {
    if (this.abort.signal.aborted) throw new RtmpAbortError(abortReason(this.abort.signal));
  }

  private async createAndPublish(conn: RtmpConnection): Promise<void> {
    const name = this.target.streamName;
    // FMLE and ffmpeg send these before createStream; servers answer or ignore them.
    conn.call('releaseStream', null, [name]).catch(() => undefined);
    conn.call('FCPublish', null, [name]).catch(() => undefined);
    const created = await this.step(conn, conn.call('createStream', null), 'createStream');
    const streamId = created.args.find((a): a is number => typeof a === 'number');
    if (streamId === undefined) throw new RtmpPublishError('createStream answered without a stream id');
    this.streamId = streamId;
    await this.step(conn, this.publish(conn, streamId), 'publish');
  }

  /** connect, answering an authmod=adobe challenge when the URL carries credentials. */
  private async connectWithAuth(): Promise<RtmpConnection> {
    let authQuery: string | undefined;
    for (let step = 0; step < 3; step++) {
      const conn = await RtmpConnection.open({
        host: this.target.host,
        port: this.target.port,
        tls: this.target.scheme === 'rtmps',
        ca: this.opts.tls?.ca,
        rejectUnauthorized: this.opts.tls?.rejectUnauthorized,
        localAddress: this.opts.localAddress,
        resolve: this.opts.resolve,
        timeoutMs: this.timeoutMs,
        signal: this.abort.signal,
      });
      try {
        await this.step(conn, conn.call('connect', this.connectObject(authQuery)), 'connect');
        return conn;
      } catch (err) {
        conn.close('connect refused');
        if (err instanceof RtmpAbortError) throw err;
        const reply = err instanceof RtmpCallError ? parseAdobeAuthReply(err.description) : undefined;
        const next = this.nextAuthQuery(reply);
        if (next === undefined) throw new RtmpPublishError(this.describeConnectError(err as Error, reply), detailOf(err));
        authQuery = next;
      }
    }
    throw new RtmpPublishError('the server kept asking for authentication');
  }

  private nextAuthQuery(reply: AdobeAuthReply | undefined): string | undefined {
    const creds = this.target.credentials;
    if (!reply || !creds) return undefined;
    if (reply.kind === 'authmod-required') return adobeAuthQuery(creds.user);
    if (reply.kind === 'challenge') return adobeAuthQuery(creds.user, creds.password, reply);
    return undefined;
  }

  private describeConnectError(err: Error, reply: AdobeAuthReply | undefined): string {
    if (reply?.kind === 'failed') return `authentication refused by the server (${reply.reason})`;
    if (reply && !this.target.credentials) return 'the server requires authentication: put user:password@ in the URL';
    // The server's code tells the user what to fix; its description (free text) goes to the log.
    if (err instanceof RtmpCallError) return `the RTMP server refused connect${err.code ? ` (${err.code})` : ''}`;
    return err.message;
  }

  private connectObject(authQuery: string | undefined): Amf0Object {
    const app = authQuery ? appendQuery(this.target.app, authQuery) : this.target.app;
    const tcUrl = authQuery ? appendQuery(this.target.tcUrl, authQuery) : this.target.tcUrl;
    return {
      app,
      type: 'nonprivate',
      flashVer: this.opts.flashVersion || DEFAULT_FLASH_VERSION,
      tcUrl,
      fpad: false,
      capabilities: 15,
      audioCodecs: 0x0fff,
      videoCodecs: 0x00ff,
      videoFunction: 1,
    };
  }

  /** publish(name, 'live') and wait for NetStream.Publish.Start on that stream. */
  private publish(conn: RtmpConnection, streamId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onCommand = (cmd: RtmpCommand): void => {
        if (cmd.name !== 'onStatus') return;
        const info = statusInfo(cmd);
        if (info.code === 'NetStream.Publish.Start') {
          cleanup();
          resolve();
        } else if (info.level === 'error' || /Publish\.(BadName|Denied|Failed)|Rejected/.test(info.code)) {
          cleanup();
          reject(new RtmpPublishError(`publish refused: ${info.code}`, `publish refused: ${info.code}${info.description ? ` (${info.description})` : ''}`));
        }
      };
      const onClose = (reason: string, detail: string): void => {
        cleanup();
        reject(new RtmpPublishError(`the RTMP server closed the connection before NetStream.Publish.Start (publish refused?)`, detail));
      };
      const cleanup = (): void => {
        conn.off('command', onCommand);
        conn.off('close', onClose);
      };
      conn.on('command', onCommand);
      conn.on('close', onClose);
      conn.notify('publish', [this.target.streamName, 'live'], streamId);
    });
  }

  /**
   * One step of connecting: its own deadline, and the attempt's signal, which closes the
   * connection (so the pending call rejects and nothing lingers).
   */
  private step<T>(conn: RtmpConnection, promise: Promise<T>, what: string): Promise<T> {
    const signal = this.abort.signal;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const cancelled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RtmpPublishError(PushFailure.timedOut, `no answer to ${what} within ${this.timeoutMs} ms`)), this.timeoutMs);
      onAbort = (): void => {
        const reason = abortReason(signal);
        conn.close(reason);
        reject(new RtmpAbortError(reason));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([promise, cancelled]).finally(() => {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    });
  }

  // ---- sending ------------------------------------------------------------------

  private write(items: TimelineItem[]): void {
    for (const item of items) {
      if (item.kind === 'metadata') this.writeMetadata(item.timestamp);
      else this.enqueue(item.tag);
    }
  }

  private writeMetadata(timestamp: number): void {
    const conn = this.conn;
    const meta = typeof this.metadata === 'function' ? this.metadata() : this.metadata;
    if (!this.opts.sendMetadata || !meta || !conn) return;
    const values = onMetaDataValues(meta);
    conn.writeMessage(dataMessage(values, { chunkStreamId: ChunkStream.Data, messageStreamId: this.streamId, timestamp }));
  }

  private enqueue(tag: FlvTag): void {
    if (tag.type !== FlvTagType.Script) this.newestMediaTimestamp = Math.max(this.newestMediaTimestamp, tag.timestamp);
    // While the server is too far behind, inter frames could only reach it late, and
    // the frames after them depend on them: video waits for the next keyframe (each
    // GOP again while the hold lasts; the source was asked once, when it began).
    const holding = this.lagGate.holding;
    if (holding && isDroppable(tag)) this.queue.dropVideoUntilKeyframe();
    const result = this.queue.push(tag);
    if (result.needKeyframe && !holding) this.emit('needKeyframe');
    this.flushQueue();
    if (this.queue.bytes > this.maxQueueBytes * 2) {
      this.conn?.close(`the RTMP server reads too slowly: ${this.queue.bytes} bytes waiting`);
    }
  }

  private flushQueue(conn = this.conn): void {
    if (!conn || conn.closed) return;
    while (conn.writableLength < this.highWater && this.serverKeepsUp()) {
      const tag = this.queue.shift();
      if (!tag) return;
      this.writeTag(conn, tag);
    }
  }

  /**
   * Whether the server is close enough behind to be handed more media (ServerLagGate,
   * from its acknowledgements). A hold drops queued inter frames and video up to the
   * next keyframe, and asks the source for one; when the server has caught up and
   * video still waits for a keyframe, the source is asked again.
   */
  private serverKeepsUp(): boolean {
    const acks = this.acks;
    const now = this.now();
    const wasHolding = this.lagGate.holding;
    const open = this.lagGate.check(acks.hasAcknowledged ? acks.unreceivedMs(now) : undefined, now - this.lastAckAt);
    if (!this.opts.hasVideo || this.closed || open === !wasHolding) return open;
    if (!open) {
      this.queue.dropVideoUntilKeyframe();
      this.emit('needKeyframe');
    } else if (this.queue.waitingForKeyframe) {
      this.emit('needKeyframe');
    }
    return open;
  }

  private onAcknowledgement(conn: RtmpConnection, sequenceNumber: number): void {
    this.acks.acknowledge(sequenceNumber, conn.bytesSent);
    this.lastAckAt = this.now();
    this.flushQueue();
  }

  private writeTag(conn: RtmpConnection, tag: FlvTag): void {
    const video = tag.type === FlvTagType.Video;
    // One message object for every tag: writeMessage reads it at once and keeps only the payload.
    const msg = this.outgoing;
    msg.chunkStreamId = video ? ChunkStream.Video : ChunkStream.Audio;
    msg.timestamp = tag.timestamp;
    msg.typeId = tag.type;
    msg.messageStreamId = this.streamId;
    msg.payload = tag.data;
    const before = conn.bytesSent;
    conn.writeMessage(msg);
    msg.payload = EMPTY; // not kept alive by the publisher
    this.acks.written(conn.bytesSent, tag.timestamp, this.now());
    const header = isSequenceHeader(tag);
    const hook = this.opts.onTagWritten;
    if (hook !== undefined && !header && tag.type !== FlvTagType.Script) {
      hook(tag.type, tag.timestamp + this.timeline.baseTimestamp, performance.now());
    }
    if (!header) {
      if (video) this.sent.video++;
      else this.sent.audio++;
    }
    this.measureRate(conn.bytesSent - before);
  }

  private measureRate(bytes: number): void {
    const now = this.now();
    if (this.rate.windowStart === 0) this.rate.windowStart = now;
    this.rate.windowBytes += bytes;
    const elapsed = now - this.rate.windowStart;
    if (elapsed >= 1000) {
      this.rate.kbps = (this.rate.windowBytes * 8) / elapsed;
      this.rate.windowStart = now;
      this.rate.windowBytes = 0;
    }
  }

  // ---- keyframes and the end ----------------------------------------------------

  private startKeyframeRequests(): void {
    this.stopKeyframeRequests();
    this.keyframeTimer = setInterval(() => {
      if (this.timeline.waitingForKeyframe) this.emit('needKeyframe');
      else this.stopKeyframeRequests();
    }, KEYFRAME_REQUEST_INTERVAL_MS);
  }

  private stopKeyframeRequests(): void {
    if (this.keyframeTimer) clearInterval(this.keyframeTimer);
    this.keyframeTimer = undefined;
  }

  /** The connection ended on its own (lost) or never published (failed). */
  private end(state: 'lost' | 'failed', reason: string, detail = reason): void {
    if (this.closed) return;
    this.setState(state, reason, detail);
    this.stopKeyframeRequests();
    this.abort.abort(reason);
    const conn = this.conn;
    this.conn = undefined;
    if (conn) {
      this.sent.bytesOfClosedConnections += conn.bytesSent;
      conn.close(reason);
    }
    this.queue.clear();
  }

  private setState(state: RtmpPushState, reason: string, detail = reason): void {
    if (this.closed) return;
    this.current = state;
    this.reason = reason;
    this.detail = detail;
    this.emit('state', state, reason, detail);
  }
}
