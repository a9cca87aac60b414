import type { Logger } from '../../log';
import type { PublisherHandle, PublisherHost, PublisherHostCreateArgs } from '../publisher-host';
import type { EventLoopFigures } from './loop-figures';
import { MediaWorker } from './media-worker';

/** One worker's figures for the metrics, by its place in the pool (a replacement takes the place of the worker it replaces). */
export interface MediaWorkerFigures {
  worker: number;
  publishers: number;
  /** undefined until the thread's first report */
  loop?: EventLoopFigures;
}

/**
 * A fixed number of media worker threads receiving publishers' media (`media_workers`),
 * so the main thread keeps signaling, REST and the transponders and the other cores take
 * the WebRTC receive path. Owns its workers: a worker that dies is replaced (its
 * publishers were closed with the reason), and close() ends them all. `ready()` settles
 * once every worker has loaded and warmed up: the service reports ready only then.
 */
export class MediaWorkerPool implements PublisherHost {
  private readonly live = new Set<MediaWorker>();
  /** each running worker's place in the pool: what the metrics label it with */
  private readonly places = new Map<MediaWorker, number>();
  private closing: Promise<void> | undefined;
  private readonly startup: Promise<void>;

  constructor(readonly size: number, private readonly log: Logger) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a media worker pool needs at least one worker, not ${size}`);
    for (let i = 0; i < size; i++) this.spawn(i);
    this.startup = Promise.all([...this.live].map((w) => w.ready)).then(
      () => undefined,
      (error: Error) => {
        throw this.closing ? new Error('the media workers were stopped while starting') : error;
      },
    );
    this.startup.catch(() => undefined);
  }

  /**
   * Resolves once every first worker has loaded its modules and warmed up, so the first
   * publishes do not wait for a thread's cold start; rejects when one exits before that
   * (a worker that cannot start is not replaced: it would only fail again).
   */
  ready(): Promise<void> {
    return this.startup;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** The running workers (tests count them, and terminate one to play a crash). */
  get workers(): readonly MediaWorker[] {
    return [...this.live];
  }

  /** Each running worker's publishers and event-loop figures, by place. */
  figures(): MediaWorkerFigures[] {
    return [...this.places].map(([worker, place]) => ({ worker: place, publishers: worker.load, loop: worker.loop })).sort((a, b) => a.worker - b.worker);
  }

  /**
   * The least loaded worker (by publishers held and being set up) takes the new
   * publisher; a ready one before one still starting (a replacement), which would make it wait.
   */
  create(args: PublisherHostCreateArgs): Promise<PublisherHandle> {
    if (this.closing) return Promise.reject(new Error('the media workers are stopped'));
    let chosen: MediaWorker | undefined;
    for (const worker of this.live) if (!chosen || preferred(worker, chosen)) chosen = worker;
    if (!chosen) return Promise.reject(new Error('no media worker is running'));
    return chosen.create(args);
  }

  /** Ends every worker (their publishers closed with `reason`); resolves when every thread has exited. */
  close(reason = 'the server is stopping'): Promise<void> {
    this.closing ??= Promise.all([...this.live].map((w) => w.close(reason))).then(() => undefined);
    return this.closing;
  }

  private spawn(place: number): void {
    const worker = new MediaWorker(this.log);
    this.live.add(worker);
    this.places.set(worker, place);
    worker.once('exit', (reason) => {
      this.live.delete(worker);
      this.places.delete(worker);
      if (this.closing) return;
      if (!worker.isReady) {
        this.log.error('media worker exited before it was ready; not replaced', { thread: worker.threadId, reason, running: this.live.size });
        return;
      }
      this.log.warn('media worker replaced', { thread: worker.threadId, reason });
      this.spawn(place);
    });
  }
}

function preferred(candidate: MediaWorker, chosen: MediaWorker): boolean {
  if (candidate.isReady !== chosen.isReady) return candidate.isReady;
  return candidate.load < chosen.load;
}
