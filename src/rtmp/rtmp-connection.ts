/**
 * One RTMP client connection: TCP or TLS socket, handshake, chunk stream both ways,
 * protocol control (chunk size, acknowledgements, peer bandwidth, pings) and
 * command transactions. It knows nothing of publishing: RtmpPublisher drives it.
 *
 * It announces its own Window Acknowledgement Size (small: `ackWindowBytes`) so that a
 * server acknowledges often, and passes the server's acknowledgements on: with
 * `bytesSent`, they tell its owner how far the server has read (AckTracker).
 */
import net from 'node:net';
import tls from 'node:tls';
import { TypedEmitter } from '../util/typed-emitter';
import { ClientHandshake } from './handshake';
import { ChunkEncoder, type RtmpMessage } from './chunk-encoder';
import { ChunkDecoder } from './chunk-decoder';
import {
  acknowledgementMessage,
  parseControlMessage,
  pingResponseMessage,
  setChunkSizeMessage,
  windowAckSizeMessage,
} from './control-messages';
import { commandMessage, decodeCommand, type RtmpCommand } from './command-messages';
import { MessageType, UserControlEvent } from './message-types';
import type { Amf0Value } from '../amf0';
import { DestinationNotFoundError, DestinationRefusedError, type DestinationResolver } from './destination';
import { PushFailure } from './push-failure';

export interface RtmpConnectionOptions {
  host: string;
  port: number;
  tls: boolean;
  /** TLS: extra trusted CAs (PEM); the system store is used as well. */
  ca?: string | Buffer;
  /** TLS: verify the server's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** rtmp_publisher_ip: the local address to bind. */
  localAddress?: string;
  /** Deadline for TCP/TLS connect plus handshake. */
  timeoutMs: number;
  /** Our outgoing chunk size, sent right after the handshake. */
  chunkSize?: number;
  /** Cancels the TCP/TLS connect and the handshake: the socket is destroyed at once. */
  signal?: AbortSignal;
  /** The Window Acknowledgement Size we announce: the server acknowledges every this many bytes. */
  ackWindowBytes?: number;
  /**
   * Resolves and judges the host (the service's destination guard), giving the address
   * to connect to; without it the socket resolves the host itself. Its own deadline is
   * timeoutMs too. A DestinationRefusedError it throws is passed on as is.
   */
  resolve?: DestinationResolver;
}

export type RtmpConnectionEvents = {
  /** A command that is not the answer to one of our calls (onStatus, onBWDone, close …). */
  command: [command: RtmpCommand, messageStreamId: number];
  drain: [];
  /** The server acknowledged our bytes: how many it has received (uint32, wraps), counted after the handshake. */
  acknowledgement: [sequenceNumber: number];
  /** `reason` is for callers (a failure class), `detail` for the log. */
  close: [reason: string, detail: string];
};

/** Chunk stream ids as FMLE/ffmpeg use them: 3 for commands, 4 audio, 6 video, 5 data. */
export const ChunkStream = { Control: 2, Command: 3, Audio: 4, Data: 5, Video: 6 } as const;

const DEFAULT_CHUNK_SIZE = 4096;
/**
 * Payloads smaller than this are copied between their chunk headers into one buffer
 * (from Node's pool, cheap); larger ones (video frames) go as header + payload slices,
 * without a copy. Measured in bench/egress.ts --write-path.
 */
const COPY_BELOW_BYTES = 2048;
/**
 * 32 KiB: an acknowledgement every ~100 ms at 2.5 Mbit/s, every ~650 ms at 400 kbit/s
 * (fine enough for a lag bound of seconds), ~80 a second at 20 Mbit/s (cheap).
 * nginx-rtmp acknowledges by the window its client announces (every ~32.2 KiB here).
 */
export const DEFAULT_ACK_WINDOW_BYTES = 32 * 1024;

/** `message` is the failure class shown to callers; `detail` says what happened, for the log. */
export class RtmpConnectionError extends Error {
  override readonly name = 'RtmpConnectionError';

  constructor(message: string, readonly detail: string = message) {
    super(message);
  }
}

/** The owner cancelled (its AbortSignal fired); the message is the signal's reason. */
export class RtmpAbortError extends Error {
  override readonly name = 'RtmpAbortError';
}

/** The reason an AbortSignal carries, as text (an Error's message, or the string given). */
export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return typeof r === 'string' ? r : 'cancelled';
}

interface PendingCall {
  resolve: (cmd: RtmpCommand) => void;
  reject: (err: Error) => void;
}

export class RtmpConnection extends TypedEmitter<RtmpConnectionEvents> {
  private readonly encoder = new ChunkEncoder();
  private readonly decoder = new ChunkDecoder();
  private readonly pending = new Map<number, PendingCall>();
  private nextTransactionId = 1;
  private bytesReceived = 0;
  private lastAckSent = 0;
  private peerWindowAckSize = 0;
  private answeredWindowAckSize = false;
  private closeReason: string | undefined;
  /** Set by end(): the reason the connection ends with when the server answers our FIN with its own. */
  private endingReason: string | undefined;
  /** Bytes written after the handshake (what the server's acknowledgements count). */
  bytesSent = 0;
  /** The socket is corked until the end of this tick (see writeMessage). */
  private corkedForTick = false;
  private readonly uncorkAtTickEnd = (): void => {
    this.corkedForTick = false;
    this.socket.uncork();
  };

  private constructor(
    private readonly socket: net.Socket,
    /** The Window Acknowledgement Size we announce. */
    readonly ackWindowBytes: number,
  ) {
    super();
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Bytes accepted by write() that the kernel has not taken yet. */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  /**
   * Resolves the host (through `opts.resolve` when given), opens the socket and completes
   * the handshake, or rejects with a failure class (RtmpConnectionError, its detail for
   * the log), a DestinationRefusedError, or RtmpAbortError.
   */
  static async open(opts: RtmpConnectionOptions): Promise<RtmpConnection> {
    const signal = opts.signal;
    if (signal?.aborted) throw new RtmpAbortError(abortReason(signal));
    const address = opts.resolve ? await RtmpConnection.resolveAddress(opts, opts.resolve) : opts.host;
    return RtmpConnection.connect(opts, address);
  }

  /** The resolver's answer, within the deadline and cancelled by the signal. */
  private static resolveAddress(opts: RtmpConnectionOptions, resolver: DestinationResolver): Promise<string> {
    const signal = opts.signal;
    const where = `${opts.host}:${opts.port}`;
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const timer = setTimeout(
        () => settle(() => reject(new RtmpConnectionError(PushFailure.timedOut, `resolving ${opts.host} took longer than ${opts.timeoutMs} ms`))),
        opts.timeoutMs,
      );
      const onAbort = (): void => settle(() => reject(new RtmpAbortError(abortReason(signal!))));
      signal?.addEventListener('abort', onAbort, { once: true });
      resolver({ scheme: opts.tls ? 'rtmps' : 'rtmp', host: opts.host, port: opts.port }, signal).then(
        (address) => settle(() => resolve(address)),
        (err: unknown) => settle(() => {
          if (err instanceof DestinationRefusedError) reject(err);
          else if (err instanceof DestinationNotFoundError) reject(new RtmpConnectionError(PushFailure.hostNotFound, err.detail));
          else reject(new RtmpConnectionError(PushFailure.cannotConnect, `resolving ${where}: ${(err as Error).message}`));
        }),
      );
    });
  }

  private static connect(opts: RtmpConnectionOptions, address: string): Promise<RtmpConnection> {
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(new RtmpAbortError(abortReason(signal)));
    const where = `${opts.host}:${opts.port}${address !== opts.host ? ` (${address})` : ''}`;
    return new Promise((resolve, reject) => {
      // Binding the local address (rtmp_publisher_ip) happens on the TCP socket; TLS rides on it.
      const tcp = net.connect({ host: address, port: opts.port, localAddress: opts.localAddress });
      const socket: net.Socket = opts.tls
        ? tls.connect({
            socket: tcp,
            servername: net.isIP(opts.host) ? undefined : opts.host,
            ca: opts.ca !== undefined ? [...tls.rootCertificates, opts.ca.toString()] : undefined,
            rejectUnauthorized: opts.rejectUnauthorized ?? true,
          })
        : tcp;
      if (socket !== tcp) tcp.on('error', (err) => onError(err));
      socket.setNoDelay(true);
      const handshake = new ClientHandshake(() => Date.now());
      let settled = false;
      const timer = setTimeout(
        () => fail(new RtmpConnectionError(PushFailure.timedOut, `no RTMP handshake with ${where} within ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );

      const onAbort = (): void => fail(new RtmpAbortError(abortReason(signal!)));
      signal?.addEventListener('abort', onAbort, { once: true });
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.destroy();
        tcp.destroy();
        reject(err);
      };
      const onData = (data: Buffer): void => {
        try {
          const step = handshake.push(data);
          if (step.send) socket.write(step.send);
          if (!step.done) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          socket.off('data', onData);
          socket.off('error', onError);
          socket.off('close', onClose);
          const conn = new RtmpConnection(socket, opts.ackWindowBytes ?? DEFAULT_ACK_WINDOW_BYTES);
          conn.start(opts.chunkSize ?? DEFAULT_CHUNK_SIZE, step.rest);
          resolve(conn);
        } catch (err) {
          fail(new RtmpConnectionError(PushFailure.notRtmp, `RTMP handshake with ${where} failed: ${(err as Error).message}`));
        }
      };
      const onError = (err: Error): void => fail(socketError(err, opts, where));
      const onClose = (): void => fail(new RtmpConnectionError(PushFailure.notRtmp, `${where} closed the connection during the handshake`));
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => socket.write(handshake.start()));
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
    });
  }

  private start(chunkSize: number, rest: Buffer | undefined): void {
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('drain', () => this.emit('drain'));
    this.socket.on('error', (err: Error) => this.close(PushFailure.connectionLost, `socket error: ${err.message}`));
    // After end(), the server closing is its answer to ours, not a loss: keep our reason.
    this.socket.on('close', () => this.close(this.endingReason ?? PushFailure.serverClosed));
    this.writeMessage(setChunkSizeMessage(chunkSize));
    this.encoder.setChunkSize(chunkSize);
    this.writeMessage(windowAckSizeMessage(this.ackWindowBytes));
    if (rest && rest.length > 0) this.onData(rest);
  }

  /** Sends a command and waits for its _result; an _error rejects with the server's description. */
  call(name: string, commandObject: Amf0Value, args: Amf0Value[] = [], messageStreamId = 0): Promise<RtmpCommand> {
    if (this.closed) return Promise.reject(new RtmpConnectionError(`connection closed: ${this.closeReason}`));
    const transactionId = this.nextTransactionId++;
    return new Promise((resolve, reject) => {
      this.pending.set(transactionId, { resolve, reject });
      this.writeMessage(commandMessage({ name, transactionId, commandObject, args }, { chunkStreamId: ChunkStream.Command, messageStreamId }));
    });
  }

  /** Sends a command that expects no answer (transaction id 0). */
  notify(name: string, args: Amf0Value[], messageStreamId = 0): void {
    this.writeMessage(commandMessage({ name, transactionId: 0, commandObject: null, args }, { chunkStreamId: ChunkStream.Command, messageStreamId }));
  }

  /**
   * Queues a message on the socket; false when the socket's buffer is over its high-water mark.
   * A small message goes as one buffer. A larger one is not copied: its chunk headers and
   * payload slices go as they are. Every message written in one tick (an AAC frame and
   * the video tags the interleaver releases with it, a command and its data) leaves in
   * one writev at the end of the tick: the socket is corked at the first and uncorked in
   * process.nextTick, before any other I/O callback, so nothing waits longer than the
   * synchronous work that wrote it. Measured at 4 relayed streams (bench/threads.ts under
   * `strace -c`): about 310 writes a second to the destinations before, 160 after.
   */
  writeMessage(msg: RtmpMessage): boolean {
    if (this.closed) return false;
    if (!this.corkedForTick) {
      this.corkedForTick = true;
      this.socket.cork();
      process.nextTick(this.uncorkAtTickEnd);
    }
    if (msg.payload.length < COPY_BELOW_BYTES) {
      const bytes = this.encoder.encode(msg);
      this.bytesSent += bytes.length;
      return this.socket.write(bytes);
    }
    const parts = this.encoder.encodeParts(msg);
    const socket = this.socket;
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      this.bytesSent += parts[i].length;
      ok = socket.write(parts[i]);
    }
    return ok;
  }

  /** Ends the connection at once; pending calls reject with the reason. Idempotent. */
  close(reason: string, detail: string = reason): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    for (const call of this.pending.values()) call.reject(new RtmpConnectionError(reason, detail));
    this.pending.clear();
    this.socket.destroy();
    this.emit('close', reason, detail);
  }

  /**
   * A clean unpublish: lets queued bytes go, sends our FIN and waits for the server's,
   * which says it has read everything (the unpublish included), at most `graceMs`; then
   * closes. A server that stopped reading holds this for the whole grace.
   */
  async end(reason: string, graceMs = 1000): Promise<void> {
    if (this.closed) return;
    this.endingReason = reason;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
    this.close(reason);
  }

  private onData(data: Buffer): void {
    this.bytesReceived += data.length;
    let messages: RtmpMessage[];
    try {
      messages = this.decoder.push(data);
    } catch (err) {
      this.close(PushFailure.protocolError, `protocol error from the server: ${(err as Error).message}`);
      return;
    }
    for (const msg of messages) {
      if (this.closed) return;
      this.onMessage(msg);
    }
    this.maybeAcknowledge();
  }

  private maybeAcknowledge(): void {
    if (this.peerWindowAckSize <= 0) return;
    if (this.bytesReceived - this.lastAckSent >= this.peerWindowAckSize) {
      this.lastAckSent = this.bytesReceived;
      this.writeMessage(acknowledgementMessage(this.bytesReceived % 0x1_0000_0000));
    }
  }

  private onMessage(msg: RtmpMessage): void {
    try {
      switch (msg.typeId) {
        case MessageType.CommandAmf0:
          this.onCommand(decodeCommand(msg.payload), msg.messageStreamId);
          return;
        case MessageType.CommandAmf3:
          // AMF3 command messages start with a format byte (0) and carry AMF0 after it.
          this.onCommand(decodeCommand(msg.payload.subarray(1)), msg.messageStreamId);
          return;
        default:
          this.onControl(msg);
      }
    } catch (err) {
      this.close(PushFailure.protocolError, `protocol error from the server: ${(err as Error).message}`);
    }
  }

  private onControl(msg: RtmpMessage): void {
    const control = parseControlMessage(msg);
    if (!control) return; // data, audio, video or aggregate from the server: not for a publisher
    switch (control.kind) {
      case 'windowAckSize':
        this.peerWindowAckSize = control.size;
        // Answer at once, restating our own window (announced after the handshake).
        // Servers such as nginx-rtmp send their first control message alone and hold
        // the rest (Nagle) until it is acknowledged; data from us carries that ACK now
        // instead of after the kernel's ~40 ms delayed ACK, which made connect take
        // 40 ms on loopback.
        if (!this.answeredWindowAckSize) {
          this.answeredWindowAckSize = true;
          this.writeMessage(windowAckSizeMessage(this.ackWindowBytes));
        }
        return;
      case 'setPeerBandwidth':
        // The spec (5.4.5) would have us answer with a Window Acknowledgement Size of
        // the peer's value (nginx-rtmp: 5,000,000 bytes). We keep our own: it is how
        // often we want the server's acknowledgements, which tell how far behind it is.
        // ffmpeg does not answer it either.
        return;
      case 'ack':
        this.emit('acknowledgement', control.sequenceNumber);
        return;
      case 'userControl':
        if (control.event === UserControlEvent.PingRequest) this.writeMessage(pingResponseMessage(control.timestamp ?? 0));
        return;
      default:
        return; // set chunk size is applied by the decoder; aborts need nothing
    }
  }

  private onCommand(cmd: RtmpCommand, messageStreamId: number): void {
    if ((cmd.name === '_result' || cmd.name === '_error') && this.pending.has(cmd.transactionId)) {
      const call = this.pending.get(cmd.transactionId)!;
      this.pending.delete(cmd.transactionId);
      if (cmd.name === '_result') call.resolve(cmd);
      else call.reject(new RtmpCallError(cmd));
      return;
    }
    this.emit('command', cmd, messageStreamId);
  }
}

/** A call answered with _error: keeps the server's info object. */
export class RtmpCallError extends Error {
  override readonly name = 'RtmpCallError';
  readonly code: string;
  readonly description: string;
  constructor(readonly command: RtmpCommand) {
    const info = statusInfo(command);
    super(info.description ? `${info.code}: ${info.description}` : info.code || 'the server answered _error');
    this.code = info.code;
    this.description = info.description;
  }
}

/** The {code, description} of an onStatus/_error info object (last argument). */
export function statusInfo(cmd: RtmpCommand): { code: string; description: string; level: string } {
  const candidates = [...cmd.args].reverse();
  for (const value of candidates) {
    if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      const obj = value as Record<string, Amf0Value>;
      return {
        code: typeof obj.code === 'string' ? obj.code : '',
        description: typeof obj.description === 'string' ? obj.description : '',
        level: typeof obj.level === 'string' ? obj.level : '',
      };
    }
  }
  return { code: '', description: '', level: '' };
}

/** A socket error as its failure class, the error itself as the detail. */
function socketError(err: Error, opts: RtmpConnectionOptions, where: string): RtmpConnectionError {
  const code = (err as NodeJS.ErrnoException).code;
  const detail = `${where}: ${code ?? ''} ${err.message}`.replace(/\s+/g, ' ');
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RtmpConnectionError(PushFailure.hostNotFound, detail);
    case 'ETIMEDOUT':
      return new RtmpConnectionError(PushFailure.timedOut, detail);
    case 'EADDRNOTAVAIL':
      return new RtmpConnectionError(PushFailure.localAddress, `${detail} (local address ${opts.localAddress ?? 'unset'})`);
    default:
      if (opts.tls && /certificate|self[- ]signed|CERT_|unable to verify/i.test(`${code ?? ''} ${err.message}`)) {
        return new RtmpConnectionError(PushFailure.tlsUntrusted, detail);
      }
      return new RtmpConnectionError(PushFailure.cannotConnect, detail);
  }
}
