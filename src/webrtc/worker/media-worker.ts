import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../log';
import { TypedEmitter } from '../../util/typed-emitter';
import type { PublisherHostCreateArgs } from '../publisher-host';
import { SdpError } from '../sdp-offer';
import type { EventLoopFigures } from './loop-figures';
import type { FromWorker, ToWorker } from './messages';
import { RemotePublisher } from './remote-publisher';
import { startWorkerThread } from './worker-script';

export type MediaWorkerEvents = {
  /** the thread ended: asked (close) or not (a crash, terminate from outside) */
  exit: [reason: string];
};

interface PendingCreate {
  streamName: string;
  log: Logger;
  resolve: (publisher: RemotePublisher) => void;
  reject: (error: Error) => void;
}

/** How long close() waits for the worker's publishers to release their sockets before ending the thread. */
const RELEASE_WAIT_MS = 2000;

/**
 * One worker thread receiving the media of some publishers, and the main thread's
 * RemotePublisher of each. Owned by the MediaWorkerPool. When the thread ends, for
 * whatever reason, every publisher it held is closed with that reason, and every create
 * still waiting is refused.
 */
export class MediaWorker extends TypedEmitter<MediaWorkerEvents> {
  private readonly thread: Worker;
  private readonly publishers = new Map<number, RemotePublisher>();
  private readonly pending = new Map<number, PendingCreate>();
  private nextId = 1;
  private lastError: string | undefined;
  private exitedValue = false;
  private closing: Promise<void> | undefined;
  private readonly exitedPromise: Promise<void>;
  private readyValue = false;
  private loopFigures: EventLoopFigures | undefined;
  /** the last flush taken, acknowledged once this turn ends (see `acknowledge`) */
  private takenSeq = 0;
  private ackTimer: NodeJS.Immediate | undefined;
  private settleReady!: (error?: Error) => void;
  /**
   * Settles once the thread has loaded and warmed up (it takes publishers without a cold
   * start), or rejects when it exits before that.
   */
  readonly ready: Promise<void>;
  /** The thread's id (as worker_threads numbers them), kept after it exits. */
  readonly threadId: number;

  constructor(private readonly log: Logger) {
    super((event, error) => log.error('media worker listener threw', { event, error: String(error) }));
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    // Whoever waits sees the rejection; an exit nobody waited for is reported by 'exit'.
    this.ready.catch(() => undefined);
    this.thread = startWorkerThread();
    this.threadId = this.thread.threadId;
    this.thread.once('online', () => log.info('media worker started', { thread: this.threadId }));
    this.thread.on('message', (message: FromWorker) => this.receive(message));
    this.thread.on('error', (error) => {
      this.lastError = error.message;
      log.error('media worker failed', { thread: this.threadId, error: error.message });
    });
    this.exitedPromise = new Promise((resolve) => this.thread.once('exit', (code) => {
      this.onExit(code);
      resolve();
    }));
  }

  /** Loaded and warmed up (see `ready`). */
  get isReady(): boolean {
    return this.readyValue;
  }

  get exited(): boolean {
    return this.exitedValue;
  }

  /** The thread's last report of its event loop (undefined before the first, a second after start). */
  get loop(): EventLoopFigures | undefined {
    return this.loopFigures;
  }

  /** Publishers held and being set up: the pool gives a new one to the least loaded worker. */
  get load(): number {
    return this.publishers.size + this.pending.size;
  }

  create(args: PublisherHostCreateArgs): Promise<RemotePublisher> {
    if (this.exitedValue || this.closing) return Promise.reject(new Error('the media worker is stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { streamName: args.streamName, log: args.log, resolve, reject });
      this.send({ type: 'create', id, streamName: args.streamName, offerSdp: args.offerSdp, options: args.options, bitrate: args.bitrate });
    });
  }

  /**
   * Closes its publishers, waits (bounded) for their sockets to be released, then ends
   * the thread. Resolves once the thread has exited. Idempotent.
   */
  close(reason: string): Promise<void> {
    this.closing ??= this.release(reason);
    return this.closing;
  }

  /** Ends the thread at once, as a crash would (the test seam for a dying worker). */
  terminate(): Promise<void> {
    void this.thread.terminate();
    return this.exitedPromise;
  }

  private async release(reason: string): Promise<void> {
    const drains = [...this.publishers.values()].map((p) => p.close(reason));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(drains), new Promise((resolve) => (timer = setTimeout(resolve, RELEASE_WAIT_MS)))]);
    clearTimeout(timer);
    await this.thread.terminate();
    await this.exitedPromise;
  }

  private send(message: ToWorker): void {
    if (this.exitedValue) return;
    this.thread.postMessage(message);
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'batch':
        for (const one of message.messages) this.receive(one);
        this.acknowledge(message.seq);
        return;
      case 'ready':
        this.readyValue = true;
        this.settleReady();
        return;
      case 'created': {
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id);
        const publisher = new RemotePublisher(waiting.streamName, message.id, message.description, (m) => this.send(m), waiting.log);
        this.publishers.set(message.id, publisher);
        publisher.once('close', () => {
          // kept until released: a 'released' message still has to reach it
          void publisher.drained.finally(() => this.publishers.delete(message.id));
        });
        waiting.resolve(publisher);
        return;
      }
      case 'createFailed': {
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id);
        const { error } = message;
        waiting.reject(error.sdp ? new SdpError(error.message, error.info) : new Error(error.message));
        return;
      }
      case 'stats':
        for (const [id, stats] of message.list) this.publishers.get(id)?.updateStats(stats);
        return;
      case 'loop':
        this.loopFigures = message.figures;
        return;
      case 'log': {
        const target = message.id === undefined ? this.log : (this.publishers.get(message.id)?.log ?? this.pending.get(message.id)?.log ?? this.log);
        const log = Object.keys(message.bindings).length > 0 ? target.child(message.bindings) : target;
        log[message.level](message.msg, message.fields);
        return;
      }
      default:
        this.publishers.get(message.id)?.receive(message);
    }
  }

  /**
   * Tells the worker, once per turn of this thread's event loop (however many flushes it
   * took), the last flush it has taken: the worker bounds what it keeps in flight by that
   * (publisher-backlog.ts). A stalled main thread sends nothing, so the worker drops.
   */
  private acknowledge(seq: number): void {
    this.takenSeq = seq;
    this.ackTimer ??= setImmediate(() => {
      this.ackTimer = undefined;
      this.send({ type: 'ack', seq: this.takenSeq });
    });
  }

  private onExit(code: number): void {
    this.exitedValue = true;
    if (this.ackTimer) clearImmediate(this.ackTimer);
    this.ackTimer = undefined;
    const reason = this.closing
      ? 'the media worker was stopped'
      : `media worker stopped (exit code ${code}${this.lastError ? `: ${this.lastError}` : ''})`;
    if (!this.closing) this.log.error('media worker exited', { thread: this.threadId, code, publishers: this.publishers.size, error: this.lastError });
    this.settleReady(new Error(`${reason} before it was ready`));
    for (const waiting of this.pending.values()) waiting.reject(new Error(reason));
    this.pending.clear();
    for (const publisher of this.publishers.values()) publisher.workerGone(reason);
    this.publishers.clear();
    this.emit('exit', reason);
    this.removeAllListeners();
  }
}
