import { VIDEO_RATE_INTERVAL_MS } from './stream-messages';

/** Video payload bytes received so far; undefined for a stream without video. */
export type VideoByteCounter = () => number | undefined;

export interface VideoRateReporterOptions {
  /** Told each stream's rate in bit/s once per interval. */
  send: (mediaSessionId: string, videoRate: number) => void;
  intervalMs?: number;
  /** ms clock; performance.now by default (tests give their own). */
  now?: () => number;
}

interface Watched {
  count: VideoByteCounter;
  bytes: number;
  at: number;
}

/**
 * Tells a session's pages the video rate the server receives for each of their live
 * streams, once a second (WCS's inboundVideoRate): the WebSDK compares it with what it
 * sent and fires CONNECTION_QUALITY.UPDATE. One timer per session, running only while
 * it watches a stream; `close` stops it for good.
 */
export class VideoRateReporter {
  private readonly watched = new Map<string, Watched>();
  private timer?: NodeJS.Timeout;
  private ended = false;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(private readonly options: VideoRateReporterOptions) {
    this.intervalMs = Math.max(50, options.intervalMs ?? VIDEO_RATE_INTERVAL_MS);
    this.now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.watched.size;
  }

  watch(mediaSessionId: string, count: VideoByteCounter): void {
    if (this.ended) return;
    this.watched.set(mediaSessionId, { count, bytes: count() ?? 0, at: this.now() });
    if (!this.timer) this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  unwatch(mediaSessionId: string): void {
    this.watched.delete(mediaSessionId);
    if (this.watched.size === 0) this.stopTimer();
  }

  /** One round of reports (the timer's work; tests call it directly). */
  tick(): void {
    const now = this.now();
    for (const [id, w] of this.watched) {
      const bytes = w.count();
      if (bytes === undefined) continue;
      const seconds = (now - w.at) / 1000;
      if (seconds <= 0) continue;
      const rate = (Math.max(0, bytes - w.bytes) * 8) / seconds;
      w.bytes = bytes;
      w.at = now;
      this.options.send(id, rate);
    }
  }

  close(): void {
    this.ended = true;
    this.watched.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
