/**
 * One RTMP push: connect → releaseStream → FCPublish → createStream → publish, then
 * FLV tags out, restored after a loss when the policy allows. Media arrives as FLV
 * tags (any timestamps on the source clock); each RTMP connection gets its own
 * timeline that starts at 0 on a keyframe and never goes backwards.
 *
 * It never logs: owners listen to `state` (every change, with its reason).
 * Reasons and errors never contain the password or the stream key.
 */
import { TypedEmitter } from '../util/typed-emitter';
import type { Amf0Object } from '../amf0';
import { dataMessage, type RtmpCommand } from './command-messages';
import type { RtmpMessage } from './chunk-encoder';
import { parseAdobeAuthReply, adobeAuthQuery, appendQuery, type AdobeAuthReply } from './adobe-auth';
import { RtmpCallError, RtmpConnection, ChunkStream, statusInfo } from './rtmp-connection';
import { parseRtmpUrl, redactTarget, type RtmpNaming, type RtmpTarget } from './rtmp-url';
import { DropQueue } from './drop-queue';
import { FlvTagType, isSequenceHeader, isVideoKeyframe, type FlvTag } from '../flv/flv-tag';
import { onMetaDataValues, type StreamMetadata } from '../flv/metadata';

export type RtmpPushState = 'idle' | 'connecting' | 'publishing' | 'restoring' | 'closed' | 'failed';

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
  /** When to try again after a loss (rtmp_push_restore*): the owner's policy. */
  restore: RestoreRule;
  /** Whether video is expected: then every connection starts on a keyframe. */
  hasVideo: boolean;
  /** Deadline for each step of connecting (TCP + handshake, each command). Default 10 s. */
  timeoutMs?: number;
  /** Bound of the tags waiting for a slow server (DropQueue). Default 8 MiB. */
  maxQueueBytes?: number;
  /** Socket buffer above which tags wait in the DropQueue. Default 256 KiB. */
  socketHighWaterBytes?: number;
  /** Clock for timestamps of stats; tests may replace it. */
  now?: () => number;
  /**
   * Measuring seam (the relay benchmark): called as each media tag, sequence headers
   * aside, is handed to the socket, with its timestamp on the source clock (before this
   * connection's rebasing) and performance.now(). Absent in the product.
   */
  onTagWritten?: (type: 8 | 9, sourceTimestamp: number, at: number) => void;
}

/** Delay before restore attempt n+1 after a loss; undefined: give up. */
export interface RestoreRule {
  readonly enabled: boolean;
  nextDelay(attemptsSoFar: number): number | undefined;
}

export type RtmpPublisherEvents = {
  state: [state: RtmpPushState, reason: string];
  /** The source should send a keyframe soon (start, restore, frames dropped). */
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
  restoreAttempts: number;
  restores: number;
  connectMs?: number;
  lastError?: string;
}

export const DEFAULT_FLASH_VERSION = 'FMLE/3.0 (compatible; FMSc/1.0)';
const DEFAULT_TIMEOUT_MS = 10_000;
const KEYFRAME_REQUEST_INTERVAL_MS = 1000;
/** Audio kept while a connection waits for its first keyframe (~1 s of AAC). */
const MAX_HELD_AUDIO = 50;

export class RtmpPublishError extends Error {
  override readonly name = 'RtmpPublishError';
}

export class RtmpPublisher extends TypedEmitter<RtmpPublisherEvents> {
  readonly target: RtmpTarget;
  private readonly policy: RestoreRule;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly highWater: number;
  private readonly maxQueueBytes: number;
  private current: RtmpPushState = 'idle';
  private conn: RtmpConnection | undefined;
  private streamId = 0;
  private queue: DropQueue;
  private metadata: StreamMetadata | undefined;
  private videoHeader: FlvTag | undefined;
  private audioHeader: FlvTag | undefined;
  /** Source timestamp that maps to 0 on this connection; undefined until the first keyframe. */
  private base: number | undefined;
  /** Last timestamp written to the socket (metadata updates go out at it). */
  private lastOut = 0;
  private lastVideoTs = -1;
  private lastAudioTs = -1;
  private heldAudio: FlvTag[] = [];
  /** Sequence headers that changed mid-stream, written before the next frame of their track. */
  private pendingVideoHeader: FlvTag | undefined;
  private pendingAudioHeader: FlvTag | undefined;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private restoreTimer: NodeJS.Timeout | undefined;
  private restoreAttempts = 0;
  private restores = 0;
  private connectMs: number | undefined;
  private lastError: string | undefined;
  private closing: Promise<void> | undefined;
  /** Set by close(): no restore may start once the owner asked to stop. */
  private stopping = false;
  private stats = { bytesBefore: 0, videoSent: 0, audioSent: 0, videoDroppedOffline: 0, audioDroppedOffline: 0 };
  private rate = { windowStart: 0, windowBytes: 0, kbps: 0 };

  constructor(private readonly opts: RtmpPublisherOptions) {
    super();
    this.target = parseRtmpUrl(opts.url, opts.naming);
    this.policy = opts.restore;
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.highWater = opts.socketHighWaterBytes ?? 256 * 1024;
    this.maxQueueBytes = opts.maxQueueBytes ?? 8 * 1024 * 1024;
    this.queue = new DropQueue({ maxBytes: this.maxQueueBytes });
  }

  get state(): RtmpPushState {
    return this.current;
  }

  get closed(): boolean {
    return this.current === 'closed' || this.current === 'failed';
  }

  /** Connects and publishes; resolves on NetStream.Publish.Start, rejects with the server's reason. */
  async start(): Promise<void> {
    if (this.current !== 'idle') throw new RtmpPublishError(`start() called in state ${this.current}`);
    this.setState('connecting', `publishing to ${redactTarget(this.target)}`);
    try {
      await this.connectAndPublish();
    } catch (err) {
      const reason = (err as Error).message;
      this.lastError = reason;
      this.finish('failed', reason);
      throw new RtmpPublishError(reason);
    }
  }

  /** Metadata to send now (if publishing) and after every reconnect. */
  setMetadata(meta: StreamMetadata): void {
    this.metadata = meta;
    if (this.current === 'publishing') this.writeMetadata();
  }

  /** Takes one FLV tag (audio or video; a sequence header is remembered for reconnects). */
  send(tag: FlvTag): void {
    if (tag.type === FlvTagType.Script) return; // metadata goes through setMetadata()
    const header = isSequenceHeader(tag);
    if (header) {
      if (tag.type === FlvTagType.Video) this.videoHeader = tag;
      else this.audioHeader = tag;
    }
    if (this.current !== 'publishing') {
      if (!header) this.countOfflineDrop(tag);
      return;
    }
    if (header) {
      // A new SPS/PPS (the browser changed resolution) goes out just before the next
      // frame of its track, with that frame's timestamp, as FLV muxers write it.
      if (tag.type === FlvTagType.Video) this.pendingVideoHeader = tag;
      else this.pendingAudioHeader = tag;
      return;
    }
    if (this.base === undefined) {
      if (this.opts.hasVideo && !(tag.type === FlvTagType.Video && isVideoKeyframe(tag))) {
        this.holdUntilKeyframe(tag);
        return;
      }
      this.base = tag.timestamp;
      this.stopKeyframeRequests();
      this.enqueueRebased(tag);
      // Audio that arrived just before the keyframe but belongs at or after it.
      for (const held of this.heldAudio) {
        if (held.timestamp >= this.base) this.enqueueRebased(held);
        else this.countOfflineDrop(held);
      }
      this.heldAudio = [];
      return;
    }
    this.enqueueRebased(tag);
  }

  private enqueueRebased(tag: FlvTag): void {
    // Each track strictly increasing (decoders and muxers refuse a repeated dts): a
    // source clock that steps back (the first RTCP sender report) is absorbed here.
    const last = tag.type === FlvTagType.Video ? this.lastVideoTs : this.lastAudioTs;
    const ts = Math.max(last + 1, tag.timestamp - this.base!);
    if (tag.type === FlvTagType.Video) this.lastVideoTs = ts;
    else this.lastAudioTs = ts;
    const pending = tag.type === FlvTagType.Video ? this.pendingVideoHeader : this.pendingAudioHeader;
    if (pending) {
      if (tag.type === FlvTagType.Video) this.pendingVideoHeader = undefined;
      else this.pendingAudioHeader = undefined;
      this.enqueue({ type: pending.type, timestamp: ts, data: pending.data });
    }
    this.enqueue(ts === tag.timestamp ? tag : { type: tag.type, timestamp: ts, data: tag.data });
  }

  /** While waiting for the first keyframe: video is useless, recent audio is kept. */
  private holdUntilKeyframe(tag: FlvTag): void {
    if (tag.type !== FlvTagType.Audio) {
      this.countOfflineDrop(tag);
      return;
    }
    this.heldAudio.push(tag);
    if (this.heldAudio.length > MAX_HELD_AUDIO) this.countOfflineDrop(this.heldAudio.shift()!);
  }

  /** Ends the push: FCUnpublish and deleteStream when connected, then the socket. Idempotent. */
  close(reason = 'closed by its owner'): Promise<void> {
    if (this.closing) return this.closing;
    this.stopping = true;
    this.closing = (async () => {
      if (this.closed) return;
      const conn = this.conn;
      this.clearTimers();
      if (conn && !conn.closed && this.current === 'publishing') {
        this.flushQueue();
        conn.notify('FCUnpublish', [this.target.streamName], 0);
        conn.notify('deleteStream', [this.streamId], 0);
        await conn.end(reason);
      } else {
        conn?.close(reason);
      }
      this.finish('closed', reason);
    })();
    return this.closing;
  }

  toJSON(): RtmpPublisherStats {
    const q = this.queue.stats();
    return {
      state: this.current,
      target: redactTarget(this.target),
      bytesSent: this.stats.bytesBefore + (this.conn?.bytesSent ?? 0),
      bitrateKbps: Math.round(this.rate.kbps),
      videoFramesSent: this.stats.videoSent,
      audioFramesSent: this.stats.audioSent,
      videoFramesDropped: q.droppedVideoFrames + this.stats.videoDroppedOffline,
      audioFramesDropped: this.stats.audioDroppedOffline,
      queuedBytes: q.queuedBytes,
      restoreAttempts: this.restoreAttempts,
      restores: this.restores,
      connectMs: this.connectMs,
      lastError: this.lastError,
    };
  }

  // ---- connecting -------------------------------------------------------------

  private async connectAndPublish(): Promise<void> {
    const started = this.now();
    const conn = await this.connectWithAuth();
    if (this.stopping) {
      conn.close('closed while connecting');
      return;
    }
    this.conn = conn;
    conn.on('close', (reason) => this.onConnectionLost(conn, reason));
    conn.on('drain', () => this.flushQueue());
    conn.on('command', (cmd) => {
      if (cmd.name === 'close') conn.close('the server closed the stream');
    });
    try {
      await this.createAndPublish(conn);
    } catch (err) {
      conn.close((err as Error).message);
      throw err;
    }
    this.connectMs = this.now() - started;
    this.onPublishing();
  }

  private async createAndPublish(conn: RtmpConnection): Promise<void> {
    const name = this.target.streamName;
    // FMLE and ffmpeg send these before createStream; servers answer or ignore them.
    conn.call('releaseStream', null, [name]).catch(() => undefined);
    conn.call('FCPublish', null, [name]).catch(() => undefined);
    const created = await this.withDeadline(conn.call('createStream', null), 'createStream');
    const streamId = created.args.find((a): a is number => typeof a === 'number');
    if (streamId === undefined) throw new RtmpPublishError('createStream answered without a stream id');
    this.streamId = streamId;
    await this.withDeadline(this.publish(conn, streamId), 'publish');
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
        timeoutMs: this.timeoutMs,
      });
      try {
        await this.withDeadline(conn.call('connect', this.connectObject(authQuery)), 'connect');
        return conn;
      } catch (err) {
        conn.close('connect refused');
        const reply = err instanceof RtmpCallError ? parseAdobeAuthReply(err.description) : undefined;
        const next = this.nextAuthQuery(reply);
        if (next === undefined) throw new RtmpPublishError(this.describeConnectError(err as Error, reply));
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
    if (err instanceof RtmpCallError) return `connect rejected: ${err.message}`;
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
          reject(new RtmpPublishError(`publish refused: ${info.code}${info.description ? ` (${info.description})` : ''}`));
        }
      };
      const onClose = (reason: string): void => {
        cleanup();
        reject(new RtmpPublishError(`the server closed the connection before NetStream.Publish.Start (publish refused?): ${reason}`));
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

  private withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RtmpPublishError(`no answer to ${what} within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
  }

  private onPublishing(): void {
    this.base = undefined;
    this.lastOut = 0;
    this.lastVideoTs = -1;
    this.lastAudioTs = -1;
    // The newest headers go out at 0 below; nothing is pending on a new connection.
    this.pendingVideoHeader = undefined;
    this.pendingAudioHeader = undefined;
    this.heldAudio = [];
    this.queue = new DropQueue({ maxBytes: this.maxQueueBytes });
    const wasRestoring = this.current === 'restoring';
    this.restoreAttempts = 0;
    if (wasRestoring) this.restores++;
    // Metadata and sequence headers go first; listeners of the state change may send media at once.
    this.current = 'publishing';
    this.writeMetadata();
    if (this.videoHeader) this.enqueue({ ...this.videoHeader, timestamp: 0 });
    if (this.audioHeader) this.enqueue({ ...this.audioHeader, timestamp: 0 });
    if (this.opts.hasVideo) this.startKeyframeRequests();
    this.setState('publishing', wasRestoring ? 'restored after a loss' : 'NetStream.Publish.Start');
  }

  // ---- sending ------------------------------------------------------------------

  private writeMetadata(): void {
    if (!this.opts.sendMetadata || !this.metadata || !this.conn) return;
    const values = onMetaDataValues(this.metadata);
    this.conn.writeMessage(dataMessage(values, { chunkStreamId: ChunkStream.Data, messageStreamId: this.streamId, timestamp: this.lastOut }));
  }

  private enqueue(tag: FlvTag): void {
    const result = this.queue.push(tag);
    if (result.needKeyframe) this.emit('needKeyframe');
    this.flushQueue();
    if (this.queue.bytes > this.maxQueueBytes * 2) {
      this.conn?.close(`the server reads too slowly: ${this.queue.bytes} bytes waiting`);
    }
  }

  private flushQueue(): void {
    const conn = this.conn;
    if (!conn || conn.closed) return;
    while (conn.writableLength < this.highWater) {
      const tag = this.queue.shift();
      if (!tag) return;
      this.writeTag(conn, tag);
    }
  }

  private writeTag(conn: RtmpConnection, tag: FlvTag): void {
    const video = tag.type === FlvTagType.Video;
    const msg: RtmpMessage = {
      chunkStreamId: video ? ChunkStream.Video : ChunkStream.Audio,
      timestamp: tag.timestamp,
      typeId: tag.type,
      messageStreamId: this.streamId,
      payload: tag.data,
    };
    const before = conn.bytesSent;
    conn.writeMessage(msg);
    const hook = this.opts.onTagWritten;
    if (hook !== undefined && this.base !== undefined && tag.type !== FlvTagType.Script && !isSequenceHeader(tag)) {
      hook(tag.type, tag.timestamp + this.base, performance.now());
    }
    this.lastOut = tag.timestamp;
    if (video) this.stats.videoSent++;
    else this.stats.audioSent++;
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

  private countOfflineDrop(tag: FlvTag): void {
    if (tag.type === FlvTagType.Video) this.stats.videoDroppedOffline++;
    else this.stats.audioDroppedOffline++;
  }

  // ---- keyframes, loss and restore ---------------------------------------------

  private startKeyframeRequests(): void {
    this.stopKeyframeRequests();
    this.emit('needKeyframe');
    this.keyframeTimer = setInterval(() => this.emit('needKeyframe'), KEYFRAME_REQUEST_INTERVAL_MS);
  }

  private stopKeyframeRequests(): void {
    if (this.keyframeTimer) clearInterval(this.keyframeTimer);
    this.keyframeTimer = undefined;
  }

  private onConnectionLost(conn: RtmpConnection, reason: string): void {
    if (conn !== this.conn || this.closed || this.stopping) return;
    this.stats.bytesBefore += conn.bytesSent;
    this.conn = undefined;
    this.stopKeyframeRequests();
    this.lastError = reason;
    if (this.current !== 'publishing') return; // a failure while connecting is handled by its caller
    this.scheduleRestore(reason);
  }

  private scheduleRestore(reason: string): void {
    const delay = this.policy.nextDelay(this.restoreAttempts);
    if (delay === undefined) {
      const why = this.policy.enabled ? `${reason}; gave up after ${this.restoreAttempts} restore attempts` : reason;
      this.finish('failed', why);
      return;
    }
    this.setState('restoring', `${reason}; attempt ${this.restoreAttempts + 1} in ${delay} ms`);
    this.restoreTimer = setTimeout(() => {
      this.restoreTimer = undefined;
      this.restoreAttempts++;
      this.connectAndPublish().catch((err: Error) => {
        if (this.closed || this.stopping) return;
        this.lastError = err.message;
        this.scheduleRestore(err.message);
      });
    }, delay);
  }

  private clearTimers(): void {
    this.stopKeyframeRequests();
    if (this.restoreTimer) clearTimeout(this.restoreTimer);
    this.restoreTimer = undefined;
  }

  private finish(state: 'closed' | 'failed', reason: string): void {
    this.clearTimers();
    this.queue.clear();
    const conn = this.conn;
    this.conn = undefined;
    if (conn) {
      this.stats.bytesBefore += conn.bytesSent;
      conn.close(reason);
    }
    this.setState(state, reason);
  }

  private setState(state: RtmpPushState, reason: string): void {
    if (this.current === state && (state === 'closed' || state === 'failed')) return;
    this.current = state;
    this.emit('state', state, reason);
  }
}

