/**
 * The AAC encoder host (aac_encoder_host): streams it encodes, processes it started, and
 * whether it was given up. A restart count that grows means the host dies and its
 * streams ride over it (a warn line in the log each time); `failed` 1 means new streams
 * get an ffmpeg child each. Absent when the host is off or not built.
 */
import type { Registry } from 'prom-client';
import { liveCounter, liveGauge } from './metrics-families';

export interface AacHostFigures {
  channels: number;
  restarts: number;
  failed: boolean;
}

export function registerAacHostSeries(registry: Registry, prefix: string, figures: () => AacHostFigures): void {
  liveGauge<never>(registry, {
    name: `${prefix}aac_host_channels`,
    help: 'AAC encoders open in the shared encoder host: one per stream with untouched audio, one more per muted or sound-playing push',
    labelNames: [],
    read: (emit) => emit({}, figures().channels),
  });
  liveCounter<never>(registry, {
    name: `${prefix}aac_host_restarts_total`,
    help: 'times the AAC encoder host died with streams open and a new process took them over',
    labelNames: [],
    read: (emit) => emit({}, figures().restarts),
  });
  liveGauge<never>(registry, {
    name: `${prefix}aac_host_failed`,
    help: '1 once the AAC encoder host was given up after dying too often: new streams get an ffmpeg child each',
    labelNames: [],
    read: (emit) => emit({}, figures().failed ? 1 : 0),
  });
}
