/**
 * The media workers (`media_workers`), labelled by their place in the pool (0..n−1; a
 * replaced worker's successor keeps the place, so the series stay few): publishers held,
 * and how busy each worker's event loop was over its last second. A worker near
 * utilization 1 or with a lag p99 of tens of ms is full: packets wait in the socket
 * buffer and NACKs follow. Absent when media_workers is 0 (the main thread's own
 * figures are nodejs_eventloop_lag_* and nodejs_eventloop_utilization… of prom-client).
 */
import type { Registry } from 'prom-client';
import type { MediaWorkerFigures } from '../webrtc/worker';
import { liveGauge } from './metrics-families';

export function registerWorkerSeries(registry: Registry, prefix: string, figures: () => MediaWorkerFigures[]): void {
  const series: Array<[string, string, (f: MediaWorkerFigures) => number | undefined]> = [
    ['media_worker_publishers', 'publishers held by each media worker, set up or being set up', (f) => f.publishers],
    ['media_worker_event_loop_utilization', "share of the media worker's last second its event loop spent running callbacks (0..1)", (f) => f.loop?.utilization],
    ['media_worker_event_loop_lag_p99_seconds', "99th percentile of the media worker's event-loop delay over its last second (10 ms resolution)", (f) => f.loop?.lagP99Seconds],
    ['media_worker_event_loop_lag_max_seconds', "longest event-loop delay of the media worker over its last second", (f) => f.loop?.lagMaxSeconds],
  ];
  for (const [name, help, value] of series) {
    liveGauge<'worker'>(registry, {
      name: prefix + name,
      help,
      labelNames: ['worker'],
      read: (emit) => {
        for (const f of figures()) {
          const v = value(f);
          if (v !== undefined) emit({ worker: String(f.worker) }, v);
        }
      },
    });
  }
}
