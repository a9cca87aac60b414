/**
 * How busy a media worker's event loop is: what an operator reads to tell whether the
 * workers keep up (the main thread's own figures are prom-client's nodejs_eventloop_*).
 * A worker measures itself and reports once a second; the main thread keeps the last
 * report of each worker for the metrics.
 */
import { createHistogram, performance, type EventLoopUtilization, type RecordableHistogram } from 'node:perf_hooks';

/** How often a worker reports its figures. */
export const LOOP_REPORT_INTERVAL_MS = 1000;

/** How often the loop's delay is sampled: the resolution of the lag figures. */
const SAMPLE_INTERVAL_MS = 10;

export interface EventLoopFigures {
  /** share of the interval the loop was running callbacks rather than waiting for I/O (0..1) */
  utilization: number;
  /** 99th percentile and maximum of the loop's delay over the interval, in seconds (10 ms resolution) */
  lagP99Seconds: number;
  lagMaxSeconds: number;
}

/**
 * Measures this thread's event loop; take() returns the figures since the last take().
 * The delay is how late a 10 ms interval timer fires. Not monitorEventLoopDelay: its
 * reset() drops the first interval after it (Node 20: a 200 ms block right after a
 * reset read as 10 ms), and a block right after a report is what must not be missed.
 */
export class EventLoopMeter {
  private readonly delays: RecordableHistogram = createHistogram();
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private due = performance.now() + SAMPLE_INTERVAL_MS;
  private readonly sampler: NodeJS.Timeout;

  constructor() {
    this.sampler = setInterval(() => {
      const now = performance.now();
      // in ns, at least 1 (what a histogram records)
      this.delays.record(Math.max(1, Math.round((now - this.due) * 1e6)));
      this.due = now + SAMPLE_INTERVAL_MS;
    }, SAMPLE_INTERVAL_MS);
    // The thread's life is its owner's to end; this timer must not keep it alive.
    this.sampler.unref();
  }

  /** Delay samples taken since the last take() (one per 10 ms the loop was free to run the sampler). */
  get samples(): number {
    return this.delays.count;
  }

  take(): EventLoopFigures {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    const sampled = this.delays.count > 0;
    const figures = {
      utilization,
      lagP99Seconds: sampled ? this.delays.percentile(99) / 1e9 : 0,
      lagMaxSeconds: sampled ? this.delays.max / 1e9 : 0,
    };
    this.delays.reset();
    return figures;
  }

  /** Stops sampling. Idempotent. */
  close(): void {
    clearInterval(this.sampler);
  }
}
