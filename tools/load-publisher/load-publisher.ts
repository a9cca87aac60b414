/**
 * N load streams to one server, sharing one pre-packetized source and one pacing timer.
 * Streams start a little apart, so their keyframes (and the bursts they make) do not align.
 */
import { TypedEmitter } from '../../src/util/typed-emitter';
import { loadSource, type LoadSource, type LoadSourceOptions } from './load-source';
import { LoadStream, type LoadStreamStats } from './load-stream';

export interface LoadPublisherOptions {
  /** WCS WebSocket URL of the server, e.g. ws://127.0.0.1:8080 */
  url: string;
  streams: number;
  /** stream names are `${namePrefix}${index}` (default "load-") */
  namePrefix?: string;
  /** ms between stream starts (default 150) */
  startIntervalMs?: number;
  /** deadline for each stream to reach PUBLISHING (default 15000) */
  timeoutMs?: number;
  source?: Partial<LoadSourceOptions>;
  /** a source already loaded (shared by several generators in one process) */
  loadedSource?: LoadSource;
}

export interface LoadPublisherStats {
  streams: LoadStreamStats[];
  publishing: number;
  videoKbps: number;
  totals: { videoFrames: number; audioPackets: number; rtpPackets: number; bytes: number; maxLagMs: number };
}

export type LoadPublisherEvents = {
  /** a stream ended before the generator was closed */
  streamClosed: [string, string];
};

const PUMP_INTERVAL_MS = 5;

export class LoadPublisher extends TypedEmitter<LoadPublisherEvents> {
  private readonly list: LoadStream[] = [];
  private timer?: NodeJS.Timeout;
  private closedReason?: string;
  private source?: LoadSource;

  constructor(private readonly options: LoadPublisherOptions) {
    super();
    if (!Number.isInteger(options.streams) || options.streams < 1) throw new Error(`streams must be a positive integer, not ${options.streams}`);
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  get streams(): readonly LoadStream[] {
    return this.list;
  }

  /** Encodes the source (once, cached), starts every stream; resolves when all are PUBLISHING. */
  async start(): Promise<void> {
    if (this.closed) throw new Error(`load publisher is closed (${this.closedReason})`);
    if (this.source) throw new Error('load publisher is already started');
    const source = this.options.loadedSource ?? loadSource(this.options.source);
    this.source = source;
    this.timer = setInterval(() => {
      const now = performance.now();
      for (const s of this.list) s.pump(now);
    }, PUMP_INTERVAL_MS);
    const prefix = this.options.namePrefix ?? 'load-';
    const interval = this.options.startIntervalMs ?? 150;
    // Each start settles into a result at once, so a rejection never waits unhandled
    // while the next streams are being started.
    const starts: Array<Promise<string | undefined>> = [];
    for (let i = 0; i < this.options.streams; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, interval));
      if (this.closed) break;
      const name = `${prefix}${i + 1}`;
      const stream = new LoadStream({ url: this.options.url, name, source, timeoutMs: this.options.timeoutMs });
      this.list.push(stream);
      starts.push(stream.start().then(() => {
        stream.once('close', (reason) => {
          if (!this.closed) this.emit('streamClosed', name, reason);
        });
        return undefined;
      }, (error: Error) => `${name}: ${error.message}`));
    }
    const failed = (await Promise.all(starts)).filter((f): f is string => f !== undefined);
    if (failed.length > 0) throw new Error(`${failed.length} of ${this.options.streams} streams did not start: ${failed[0]}`);
  }

  toJSON(): LoadPublisherStats {
    const streams = this.list.map((s) => s.toJSON());
    const totals = { videoFrames: 0, audioPackets: 0, rtpPackets: 0, bytes: 0, maxLagMs: 0 };
    for (const s of streams) {
      totals.videoFrames += s.videoFrames;
      totals.audioPackets += s.audioPackets;
      totals.rtpPackets += s.rtpPackets;
      totals.bytes += s.bytes;
      totals.maxLagMs = Math.max(totals.maxLagMs, s.maxLagMs);
    }
    return { streams, publishing: streams.filter((s) => s.state === 'publishing').length, videoKbps: this.source?.videoKbps ?? 0, totals };
  }

  /** Ends every stream and the timer. Idempotent. */
  close(reason = 'stopped'): void {
    if (this.closed) return;
    this.closedReason = reason;
    if (this.timer) clearInterval(this.timer);
    for (const s of this.list) s.close(reason);
    this.removeAllListeners();
  }
}
